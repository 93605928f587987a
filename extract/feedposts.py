"""Whole posts from a Blogger posts feed: each entry's title, author, dates, labels, comment
count and full text, for a crawl that archives a blog from its feeds (``--from-feeds``).

Blogger's "Allow blog feed" setting decides what an entry carries: ``Full`` gives the post's
whole HTML in ``<content type="html">``; ``Until jump break`` gives the text before the break,
followed by a link to the post's ``#more``; ``Short`` gives a ``<summary>`` of plain text. Only
the first is a post: an entry of either other kind is given with the reason, and its page is
the post's route.

The body is read as a post page's is (``extract.post``): the same boilerplate dropped, links
made absolute against the post's address, the same sanitizing, so a post archived from its
feed has the text a crawl of its page gives. Times drop the fraction of a second Blogger's
feeds give and its pages do not (``2013-05-06T11:03:00.001-07:00`` is the page's
``2013-05-06T11:03:00-07:00``).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Final

from extract._dom import (
    Node,
    clean_html,
    inner_html,
    joined,
    normalize_space,
    parse_fragment,
    pruned_copy,
    resolve_links,
    text_with_breaks,
)
from extract.feeds import ATOM, THREAD_TOTAL, atom_root, blogger_id, is_alternate
from extract.observations import KeyObservation, observations_in
from extract.post import NOT_BODY, Post, without_boilerplate
from extract.urls import canonical_url, post_permalink

#: What ``Post.extractor`` says of a post read from its feed entry.
FEED_EXTRACTOR: Final = "blogarchive/blogger-feed"
#: A Blogger label, among an entry's categories.
LABEL_SCHEME: Final = "http://www.blogger.com/atom/ns#"
#: The fraction of a second in a feed's time.
FRACTION: Final = re.compile(r"(T\d{2}:\d{2}:\d{2})\.\d+")
#: A link to the rest of a post cut at its jump break.
JUMP_LINK: Final = "#more"


@dataclass(frozen=True, slots=True, kw_only=True)
class FeedPost:
    """A posts feed's entry: the post it carries whole, or why it does not carry it."""

    #: the post's permalink, from the entry's ``alternate`` link
    url: str
    #: the whole post; None where the entry gives less (see ``partial``)
    post: Post | None
    key_observations: tuple[KeyObservation, ...] = ()
    #: why the entry is not the whole post, where it is not
    partial: str | None = None


def extract_feed_posts(xml: bytes, url: str) -> tuple[FeedPost, ...]:
    """The posts of a page of a Blogger posts feed (well-formed Atom; anything else gives
    none), in the feed's order; an entry without a link to its post is left out, as
    :func:`extract.feeds.extract_feed` leaves it out."""
    root = atom_root(xml, url)
    if root is None:
        return ()
    return tuple(_entries(root, url))


def _entries(root: Any, url: str) -> Iterator[FeedPost]:
    for entry in root.iterchildren(f"{ATOM}entry"):
        base = entry.base or url
        link = _alternate(entry)
        if not link:
            continue
        permalink = post_permalink(canonical_url(joined(base, link), base=url))
        content = entry.find(f"{ATOM}content")
        if content is None or content.get("type", "text") not in ("html", "text"):
            yield FeedPost(url=permalink, post=None, partial="the feed gives a summary only")
            continue
        html = content.text or ""
        if content.get("type", "text") == "text":
            html = f"<p>{_escape(html)}</p>" if html.strip() else ""
        body = parse_fragment(html, permalink)
        if _cut_at_jump_break(body, permalink):
            yield FeedPost(
                url=permalink, post=None, partial="the feed gives the post up to its jump break"
            )
            continue
        cleaned = without_boilerplate(pruned_copy(body, NOT_BODY))
        resolve_links(cleaned, permalink)
        post = Post(
            url=permalink,
            title=_text(entry, f"{ATOM}title"),
            author=_author(entry),
            published=_time(_text(entry, f"{ATOM}published")),
            updated=_time(_text(entry, f"{ATOM}updated")),
            labels=_labels(entry),
            content_html=clean_html(inner_html(cleaned)),
            content_text=text_with_breaks(cleaned),
            comment_count=_count(entry),
            platform_id=blogger_id(_text(entry, f"{ATOM}id")),
            extractor=FEED_EXTRACTOR,
        )
        yield FeedPost(url=permalink, post=post, key_observations=observations_in(cleaned))


def _alternate(entry: Any) -> str | None:
    for link in entry.iterchildren(f"{ATOM}link"):
        if is_alternate(link):
            return link.get("href") or None
    return None


def _cut_at_jump_break(body: Node, permalink: str) -> bool:
    """Whether the entry ends where the post's jump break is, with a link to the rest (a
    whole post holds the break itself, ``<a name="more">``)."""
    links = list(body.iter("a"))
    if any(link.get("name") == "more" for link in links):
        return False
    for link in links:
        href = (link.get("href") or "").strip()
        if href.endswith(JUMP_LINK) and (
            href == JUMP_LINK or post_permalink(canonical_url(joined(permalink, href))) == permalink
        ):
            return True
    return False


def _text(element: Any, tag: str) -> str | None:
    child = element.find(tag)
    if child is None:
        return None
    return normalize_space(child.text or "") or None


def _author(entry: Any) -> str | None:
    author = entry.find(f"{ATOM}author")
    return None if author is None else _text(author, f"{ATOM}name")


def _labels(entry: Any) -> tuple[str, ...]:
    labels = (
        normalize_space(category.get("term") or "")
        for category in entry.iterchildren(f"{ATOM}category")
        if category.get("scheme", LABEL_SCHEME) == LABEL_SCHEME
    )
    return tuple(dict.fromkeys(label for label in labels if label))


def _time(value: str | None) -> str | None:
    return FRACTION.sub(r"\1", value) if value else None


def _count(entry: Any) -> int | None:
    text = _text(entry, THREAD_TOTAL) or ""
    return int(text) if text.isdigit() else None


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
