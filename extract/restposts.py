"""Whole posts and their comments from WordPress' REST API, for a crawl that archives a blog
from what it publishes for machines (``--from-feeds``).

``/wp-json/wp/v2/posts?_embed=1`` gives each post's title, dates, content and, embedded, its
author and terms (categories, then tags); ``/wp-json/wp/v2/comments`` gives the approved
comments, each naming its post and its parent. The REST API gives times twice, on the site's
clock (``date``) and in UTC (``date_gmt``), and neither with an offset: the offset is what they
differ by, and the time is written as a WordPress theme writes it in a post page's ``<time
datetime>`` (``2019-03-01T10:00:00+02:00``).

The body is read as a post page's is (``extract.post``): the same boilerplate dropped, links
made absolute against the post's address, the same sanitizing. A post the API gives no content
for (password-protected, or empty) is given with the reason, and its page is the post's route.
Comments are numbered as a threaded page shows them: each thread in the order of its first
comment, every reply after its parent, oldest first.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any, Final

from extract._dom import (
    absolute,
    clean_html,
    inner_html,
    normalize_space,
    parse_fragment,
    pruned_copy,
    resolve_links,
    text_of,
    text_with_breaks,
)
from extract.comments import Comment
from extract.feedposts import FeedPost
from extract.observations import observations_in
from extract.post import NOT_BODY, Post, without_boilerplate
from extract.urls import canonical_url, post_permalink

#: What ``Post.extractor`` says of a post read from WordPress' REST API.
REST_EXTRACTOR: Final = "blogarchive/wordpress-rest"
#: The terms a post page lists as its labels, in the order WordPress embeds them.
LABEL_TAXONOMIES: Final = ("category", "post_tag")
#: What WordPress gives as the time of what has none (a draft's ``date_gmt``).
NO_TIME: Final = "0000-00-00T00:00:00"


@dataclass(frozen=True, slots=True)
class RestComment:
    """A comment of the REST API's list, with the ids that place it."""

    id: str
    post_id: str
    parent_id: str | None
    #: when it was made, in UTC, for ordering (``date_gmt``)
    instant: str
    comment: Comment


def extract_rest_posts(body: bytes | str, url: str) -> tuple[FeedPost, ...]:
    """The posts of a page of ``/wp-json/wp/v2/posts`` (anything but a JSON list gives none),
    in its order; a post without a ``link`` is left out. ``comment_count`` is left unknown:
    the API counts no comments, and the comments route gives them."""
    found = []
    for item in _items(body):
        link = item.get("link")
        if not isinstance(link, str) or not link.strip():
            continue
        permalink = post_permalink(canonical_url(link.strip(), base=url))
        content = item.get("content")
        if not isinstance(content, dict) or content.get("protected"):
            found.append(FeedPost(url=permalink, post=None, partial="the API gives no content"))
            continue
        html = content.get("rendered")
        if not isinstance(html, str) or not html.strip():
            found.append(FeedPost(url=permalink, post=None, partial="the API gives no content"))
            continue
        cleaned = without_boilerplate(pruned_copy(parse_fragment(html, permalink), NOT_BODY))
        resolve_links(cleaned, permalink)
        published = wordpress_time(item.get("date"), item.get("date_gmt"))
        post = Post(
            url=permalink,
            title=_rendered_text(item.get("title"), permalink),
            author=_author(item),
            published=published,
            updated=wordpress_time(item.get("modified"), item.get("modified_gmt")) or published,
            labels=_labels(item),
            content_html=clean_html(inner_html(cleaned)),
            content_text=text_with_breaks(cleaned),
            comment_count=None,
            platform_id=_id(item.get("id")),
            extractor=REST_EXTRACTOR,
        )
        found.append(FeedPost(url=permalink, post=post, key_observations=observations_in(cleaned)))
    return tuple(found)


def extract_rest_comments(body: bytes | str, url: str) -> tuple[RestComment, ...]:
    """The comments of a page of ``/wp-json/wp/v2/comments``, in its order (``position`` is
    left 0: :func:`in_page_order` numbers a post's comments once all are read); one without
    an id or a post is left out."""
    found = []
    for item in _items(body):
        own, post = _id(item.get("id")), _id(item.get("post"))
        if own is None or post is None:
            continue
        parent = _id(item.get("parent"))
        link = _string(item.get("link"))
        content = item.get("content")
        html = content.get("rendered") if isinstance(content, dict) else None
        fragment = parse_fragment(html if isinstance(html, str) else "", link or url)
        resolve_links(fragment, link or url)
        author = item.get("author_name")
        comment = Comment(
            platform_id=own,
            parent_platform_id=parent if parent != "0" else None,
            position=0,
            author=(normalize_space(author) or None) if isinstance(author, str) else None,
            author_url=absolute(link or url, _string(item.get("author_url"))),
            published=wordpress_time(item.get("date"), item.get("date_gmt")),
            content_html=clean_html(inner_html(fragment)),
            content_text=text_with_breaks(fragment),
            url=absolute(url, link),  # (as a page gives it: its #comment-N kept)
        )
        instant = _string(item.get("date_gmt")) or _string(item.get("date")) or ""
        found.append(RestComment(own, post, comment.parent_platform_id, instant, comment))
    return tuple(found)


class CommentsByPost:
    """The comments a REST API's comments route lists, by the post they are on, as its pages
    are read: a comment listed twice (a page the server repeats) is held once, as last listed."""

    def __init__(self) -> None:
        self._posts: dict[str, dict[str, RestComment]] = {}

    def add(self, comments: Iterable[RestComment]) -> None:
        for comment in comments:
            self._posts.setdefault(comment.post_id, {})[comment.id] = comment

    def of(self, post_id: str) -> Collection[RestComment]:
        """The comments of the post whose id on the site is ``post_id``."""
        listed = self._posts.get(post_id)
        return listed.values() if listed is not None else ()

    def __len__(self) -> int:
        """How many distinct comments were listed."""
        return sum(map(len, self._posts.values()))


def in_page_order(comments: Iterable[RestComment]) -> tuple[Comment, ...]:
    """One post's comments as its threaded page shows them, numbered from 1: threads in the
    order of their first comments, each reply after its parent, oldest first. A reply whose
    parent is not among them starts a thread of its own."""
    by_id = {c.id: c for c in comments}
    children: dict[str | None, list[RestComment]] = {}
    for comment in by_id.values():
        parent = comment.parent_id if comment.parent_id in by_id else None
        children.setdefault(parent, []).append(comment)
    for replies in children.values():
        replies.sort(key=lambda c: (c.instant, _number(c.id)))
    ordered: list[Comment] = []
    stack = list(reversed(children.get(None, [])))
    seen: set[str] = set()
    while stack:  # depth first, without recursion (a thread may be thousands deep)
        current = stack.pop()
        if current.id in seen:
            continue
        seen.add(current.id)
        ordered.append(_numbered(current.comment, len(ordered) + 1))
        stack.extend(reversed(children.get(current.id, [])))
    return tuple(ordered)


def wordpress_time(local: object, gmt: object) -> str | None:
    """A REST API time as a post page gives it: the site's clock with the offset that
    ``local`` and ``gmt`` differ by (to the minute); the site's clock alone where UTC is not
    given, and None where neither is a time."""
    try:
        clock = datetime.fromisoformat(str(local))
    except ValueError:
        return None
    clock = clock.replace(tzinfo=None, microsecond=0)
    try:
        utc = datetime.fromisoformat(str(gmt)) if gmt and gmt != NO_TIME else None
    except ValueError:
        utc = None
    if utc is None:
        return clock.isoformat()
    minutes = round((clock - utc.replace(tzinfo=None)).total_seconds() / 60)
    if abs(minutes) >= 24 * 60:
        return clock.isoformat()  # no offset a site's clock can have
    return clock.replace(tzinfo=timezone(timedelta(minutes=minutes))).isoformat()


def _items(body: bytes | str) -> list[dict[str, Any]]:
    try:
        answer = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return []
    if not isinstance(answer, list):
        return []
    return [item for item in answer if isinstance(item, dict)]


def _id(value: object) -> str | None:
    if isinstance(value, bool) or not isinstance(value, int | str):
        return None
    text = str(value).strip()
    return text if text.isdigit() else None


def _string(value: object) -> str | None:
    return (value.strip() or None) if isinstance(value, str) else None


def _number(value: str) -> int:
    return int(value) if value.isdigit() else 0


def _rendered_text(field: object, url: str) -> str | None:
    html = field.get("rendered") if isinstance(field, dict) else None
    if not isinstance(html, str):
        return None
    return text_of(parse_fragment(html, url)) or None


def _embedded(item: dict[str, Any], name: str) -> list[Any]:
    embedded = item.get("_embedded")
    found = embedded.get(name) if isinstance(embedded, dict) else None
    return found if isinstance(found, list) else []


def _author(item: dict[str, Any]) -> str | None:
    for author in _embedded(item, "author"):
        if isinstance(author, dict) and isinstance(author.get("name"), str):
            return normalize_space(author["name"]) or None
    return None


def _labels(item: dict[str, Any]) -> tuple[str, ...]:
    terms = [
        term
        for group in _embedded(item, "wp:term")
        if isinstance(group, list)
        for term in group
        if isinstance(term, dict) and term.get("taxonomy") in LABEL_TAXONOMIES
    ]
    terms.sort(key=lambda term: LABEL_TAXONOMIES.index(term["taxonomy"]))  # (a stable sort)
    names = (normalize_space(str(term.get("name") or "")) for term in terms)
    return tuple(dict.fromkeys(name for name in names if name))


def _numbered(comment: Comment, position: int) -> Comment:
    return dataclasses.replace(comment, position=position)
