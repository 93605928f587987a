"""From a fetched page to the items the archive keeps of it: the step a crawl, ``reextract``
and the replay of saved responses share, and the crawl's policy on what a page is.

A page comes as a :class:`Fetched` (where it answered, the route that asked for it, its text);
what it yields depends on it, on its extraction, and on two things the caller knows of its
blog: whether a route lists the page as a post (``announced``), and where a post's comments
come from (``comments_from``). What to ask for next, caps and reports stay with the caller.
No Scrapy here: a response, a stored ``pages`` row or a WARC record each make a ``Fetched``.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Container, Iterable
from dataclasses import dataclass
from typing import Any, Final

from w3lib.encoding import html_to_unicode

from blogarchive.items import (
    BlogItem,
    Capture,
    CommentsItem,
    CommentsSeenItem,
    FormsItem,
    PageItem,
    PostItem,
    StoredBody,
    content_digest,
)
from extract import Comment, Page, Post, extract_comments, extract_observations
from extract import extract_page as _extract_page
from extract.feedposts import FeedPost
from extract.feeds import CommentFeed, extract_comment_feed
from extract.post import NOT_FOUND_EVIDENCE, announced_post, post_links, site_links
from extract.restposts import RestComment, in_page_order
from extract.urls import (
    COMMENT_PAGE,
    canonical_url,
    may_be_one_post,
    may_be_post,
    on_blog,
    post_permalink,
    same_address,
)

HTML_TYPES: Final = ("text/html", "application/xhtml+xml")

#: Sitemaps that list posts only: WordPress core's and Yoast's sitemaps of posts (and on
#: Blogger, any sitemap but that of its static pages).
POST_SITEMAPS: Final = re.compile(r"wp-sitemap-posts-post-\d+\.xml|/post-sitemap\d*\.xml")


def sitemap_route(url: str, platform: str | None) -> str:
    """The route a sitemap is: ``sitemap`` for one of posts (Blogger's ``sitemap.xml``,
    WordPress' posts sitemaps), whose every URL is a post; ``sitemap-other`` for one that lists
    a site's pages of any kind, each of which its page shows to be a post or not."""
    if platform == "blogger" and "sitemap-pages" not in url:
        return "sitemap"
    return "sitemap" if POST_SITEMAPS.search(url) else "sitemap-other"


#: Evidence that a page is no post which a route listing it as a post does not overrule.
DECIDED: Final = ("static page markup", "index page markup", "static page address")
#: What the evidence of a page starts with that shows another platform's markup than the
#: archive holds its blog as (:func:`on_archived_platform`): no route makes it a post either.
FOREIGN_EVIDENCE: Final = "not the archived blog's platform"

#: Where a post's comments come from (what ``comments_from(post)`` answers): its page; its
#: comment feed (the page's are not read); or its comment feed, with the page's read as well
#: for the case the feed fails (no comment feed of the blog has answered yet).
PAGE: Final = "page"
FEED: Final = "feed"
FEED_OR_PAGE: Final = "feed, or page"


#: A Blogger post's comment feed: the blog's address and the post's id.
COMMENT_FEED: Final = re.compile(r"^(.*/)feeds/([^/?]+)/comments/")


class StoredComments:
    """Where a replay of stored responses (``reextract``) takes a post's comments from, as the
    crawl did: from its comment feed where one is stored (``fed``: the blogs' homes and posts'
    ids of the stored comment feeds), else from its blog's comment feed where that gives them
    all (``blog_fed(home, post)``), else from its page. The posts whose feed gives their
    comments are noted, so that the feed's comments go to the post the crawl asked the feed
    for (:meth:`post_of`); those whose blog's feed gives them, in :attr:`blog_fed_posts`."""

    def __init__(
        self,
        fed: Container[tuple[str, str]],
        blog_fed: Callable[[str, Post], bool] | None = None,
    ) -> None:
        self.fed = fed
        self.blog_fed = blog_fed
        self._posts: dict[tuple[str, str], str] = {}
        #: (blog home, post id) -> post URL, of the posts whose blog's feed gives their comments
        self.blog_fed_posts: dict[tuple[str, str], str] = {}

    def route(self, home: str) -> Callable[[Post], str]:
        """``comments_from`` for the posts of the blog at ``home``."""

        def comments_from(post: Post) -> str:
            if (home, post.platform_id) in self.fed:
                self._posts[home, post.platform_id or ""] = post.url
                return FEED
            if post.platform_id and self.blog_fed is not None and self.blog_fed(home, post):
                self.blog_fed_posts[home, post.platform_id] = post.url
                return FEED
            return PAGE

        return comments_from

    def post_of(self, feed_url: str) -> str | None:
        """The post a stored comment feed was asked for, once its page was replayed."""
        match = COMMENT_FEED.match(feed_url)
        return self._posts.get((match.group(1), match.group(2))) if match else None


def page_gives_comments(comments: tuple[Comment, ...], complete: bool) -> bool:
    """Whether a post's page gives its comments as its comment feed would, so that no feed is
    asked: the page shows every comment (``complete``, :func:`shows_every_comment`), each
    with all its feed entry holds (its parent, its time in the feed's form:
    :attr:`~extract.Comment.as_in_feed`). A Blogger page shows at most 200 comments, and
    the time of day only in some formats; a platform without comment feeds has its comments
    from its pages whatever this says."""
    return complete and all(comment.as_in_feed for comment in comments)


def shows_comment_times(comments: tuple[Comment, ...]) -> bool:
    """Whether a page shows its comments' times in the feed's form (:func:`page_gives_comments`
    but for the count): a post of such a blog whose page does not show every comment reads its
    own comment feed, where one whose blog's pages show no times waits for the blog-wide one."""
    return bool(comments) and all(comment.as_in_feed for comment in comments)


def links_to_follow(html: str, url: str, platform: str) -> tuple[str, ...]:
    """The pages to visit from this one: on Blogger and WordPress, the links their templates
    mark as posts; on any other blog every same-origin link that may be a post, since nothing
    marks them (the per-blog page cap bounds it)."""
    if platform == "generic":
        return site_links(html, url)
    return post_links(html, url)


def extract_post_page(html: str, url: str, platform: str | None) -> tuple[Page, tuple[str, ...]]:
    """A post page's extraction as a crawl needs it, and the links to follow from it (for
    ``platform``, or else the one the page shows). The page is parsed once for both.

    Its comments are read (whether they spare asking a comment feed depends on them), but not
    the blog list: a crawl follows the one on the blog's home page."""
    page = _extract_page(html, url, blog_links=False)
    return page, links_to_follow(html, url, platform or page.blog.platform)


def foreign_to(page: Page, archived: str | None) -> str | None:
    """Why ``page`` is none of its blog's, where the archive holds the blog as ``archived``
    (``blogger``, ``wordpress``) and the page shows another platform's markup or none: another
    site answers at the blog's address (a parked domain, a placeholder, a move). None where it
    is the blog's own, or the archive knows no platform of it."""
    if archived not in ("blogger", "wordpress") or page.blog.platform == archived:
        return None
    shows = "none" if page.blog.platform == "generic" else f"{page.blog.platform}'s"
    return (
        f"{FOREIGN_EVIDENCE} ({archived}): the page shows {shows} (another site at its address:"
        " a parked domain, a placeholder, a move?)"
    )


def on_archived_platform(page: Page, archived: str | None) -> Page:
    """``page`` as a page of a blog the archive holds as ``archived``: where it is another
    site's (:func:`foreign_to`), no post, whatever its extraction made of it (its text is no new
    version of the archived post: the archive keeps that as it is), with no comments."""
    why = foreign_to(page, archived)
    if why is None:
        return page
    return dataclasses.replace(
        page, post=None, comments=(), key_observations=(), forms=(), evidence=why
    )


def extract_fetched(fetched: Fetched) -> tuple[Page, tuple[str, ...]]:
    """A stored page's extraction as :func:`page_items` makes it where it is given none (every
    comment read; no links to follow, no blog list): what an import can make in another
    process."""
    return _extract_page(fetched.html, fetched.url, blog_links=False), ()


def decode(body: bytes, content_type: str | None) -> str:
    """A page's text as a browser reads it: the encoding its header or markup declares (w3lib,
    as Scrapy's responses), but a page that declares UTF-8 and is written in Windows-1252
    (curly quotes and bullets become U+FFFD) is read as Windows-1252."""
    encoding, text = html_to_unicode(content_type, body)
    if "\ufffd" in text and encoding.lower().replace("-", "") in ("utf8", "ascii"):
        try:
            return body.decode("cp1252")
        except UnicodeDecodeError:
            pass
    return text


def is_html(content_type: str | None, body: bytes) -> bool:
    """Whether a response is a page of HTML: as its type says, or as its start shows."""
    if content_type:
        return content_type.split(";")[0].strip().lower() in HTML_TYPES
    return b"<html" in body[:2048].lower()


@dataclass(frozen=True, slots=True, kw_only=True)
class Fetched:
    """A fetched page: where it answered and how, and the route that asked for it."""

    url: str
    #: the home URL of the blog it belongs to
    blog: str
    #: the route that asked for it (one of :data:`~blogarchive.items.PAGE_KINDS`)
    kind: str
    status: int
    body: bytes
    fetched_at: str
    content_type: str | None = None
    etag: str | None = None
    last_modified: str | None = None
    #: its text, where already decoded (else :func:`decode` makes it)
    text: str | None = None
    #: the URLs that redirected to it, first asked first
    redirects: tuple[str, ...] = ()
    #: its body as the archive keeps it, where a worker made it already
    stored: StoredBody | None = None
    #: where it is kept as WARC records, where the crawl writes them
    capture: Capture | None = None

    @property
    def capture_id(self) -> str | None:
        return self.capture.record_id if self.capture is not None else None

    @property
    def html(self) -> str:
        return self.text if self.text is not None else decode(self.body, self.content_type)

    @property
    def is_html(self) -> bool:
        return is_html(self.content_type, self.body)

    @property
    def addresses(self) -> tuple[str, ...]:
        """The permalinks it was asked for and answered at (redirects, variants)."""
        urls = (*self.redirects, self.url)
        return tuple(dict.fromkeys(post_permalink(canonical_url(url)) for url in urls))

    def page_item(self, *, kind: str | None = None, error: str | None = None) -> PageItem:
        """Its fetch, with its body as the archive stores it (none for a 304: the archived one
        stands)."""
        stored = None
        if self.status != 304:
            stored = self.stored or StoredBody.of(self.body)
        return PageItem(
            url=canonical_url(self.url) if self.kind in ("home", "post") else self.url,
            blog_url=self.blog,
            kind=kind or self.kind,
            status=self.status,
            fetched_at=self.fetched_at,
            error=error,
            etag=self.etag,
            last_modified=self.last_modified,
            content_type=self.content_type,
            body=stored,
            capture_id=self.capture_id,
        )


@dataclass(frozen=True, slots=True)
class PageRead:
    """What a page yields: its ``items`` for the archive, and what its caller schedules by."""

    items: tuple[Any, ...]
    #: the extraction of an HTML page
    page: Page | None = None
    #: why a page asked for as HTML gave none ("not HTML: application/pdf")
    error: str = ""
    #: a post page's post (one a route announced included), and why it is or is not one
    post: Post | None = None
    evidence: str = ""
    #: links to follow from a post page
    links: tuple[str, ...] = ()
    #: the comments read: a comment feed's, or those a post page whose comments its feed
    #: gives shows, where read (:data:`FEED_OR_PAGE`, or by the extraction)
    comments: tuple[Comment, ...] | None = None
    #: whether the page shows every comment of its post (:func:`shows_every_comment`)
    shows_every_comment: bool = False
    #: the :func:`content_digest` of a post archived where its page answered, for the pages
    #: that name it as their canonical address (``holds_text``: they are it if they show it)
    own_text: str | None = None


def page_items(
    fetched: Fetched,
    extracted: tuple[Page, tuple[str, ...]] | CommentFeed | None = None,
    *,
    announced: bool | Callable[[Page], bool] = False,
    comments_from: Callable[[Post], str] = lambda post: PAGE,
    post_url: str | None = None,
    holds_text: Callable[[str, str], bool] | None = None,
) -> PageRead:
    """The items of ``fetched``: its fetch (a ``PageItem``), and by the route that asked for it
    the blog its home page shows, the post a post page holds (or the forms of a page that holds
    none), the comments of a comment feed. ``extracted`` is its extraction where made already
    (:func:`extract_post_page`, in a crawl's worker); ``announced`` says that a route of the
    blog lists the page as a post (asked, with the page's extraction, only of a page the
    extraction calls no post);
    ``comments_from(post)`` where the post's comments come from
    (:data:`PAGE`, :data:`FEED`, :data:`FEED_OR_PAGE`); ``post_url`` the post a comment feed
    was asked for (else the feed's own link to it); ``holds_text(url, digest)`` whether the
    post at ``url`` is archived with the text of that :func:`content_digest` (a page that
    names that other permalink as its canonical address is that post only then)."""
    kind = fetched.kind
    if kind in ("home", "post", "page", "index") and not fetched.is_html:
        error = f"not HTML: {fetched.content_type or 'no content type'}"
        items: tuple[Any, ...] = (fetched.page_item(error=error),)
        if kind == "home":
            blog = BlogItem(
                url=fetched.blog, title=None, platform=None, status="error", error=error
            )
            items = (blog, *items)
        return PageRead(items, error=error)
    if kind == "home":
        return _home(fetched)
    if kind in ("post", "page"):
        if not isinstance(extracted, tuple):
            extracted = extract_fetched(fetched)
        return _post_page(fetched, *extracted, announced, comments_from, holds_text)
    if kind == "comments":
        feed = extracted if isinstance(extracted, CommentFeed) else None
        feed = feed or extract_comment_feed(fetched.body, fetched.url)
        return _comment_feed(fetched, feed, post_url or feed.post_url)
    return PageRead((fetched.page_item(),))


def _home(fetched: Fetched) -> PageRead:
    page = _extract_page(fetched.html, fetched.url)
    blog = page.blog
    item = BlogItem(
        url=fetched.blog, title=blog.title, platform=blog.platform, status="ok",
        links=page.blog_links,
    )  # fmt: skip
    items: list[Any] = [item, fetched.page_item()]
    if page.forms:
        page_url = canonical_url(fetched.url)
        items.append(
            FormsItem(
                blog_url=fetched.blog,
                page_url=page_url,
                forms=page.forms,
                capture_id=fetched.capture_id,
            )
        )
    return PageRead(tuple(items), page=page)


def _post_page(
    fetched: Fetched,
    page: Page,
    links: tuple[str, ...],
    announced: bool | Callable[[Page], bool],
    comments_from: Callable[[Post], str],
    holds_text: Callable[[str, str], bool] | None,
) -> PageRead:
    # (the page's text is decoded again only where a reader below needs it: a stored page's
    # extraction was made from its own decoding, in another process maybe)
    url, page_url = fetched.url, canonical_url(fetched.url)
    post, evidence = page.post, page.evidence
    if (
        post is None
        and not evidence.startswith((*DECIDED, NOT_FOUND_EVIDENCE, FOREIGN_EVIDENCE))
        and (announced(page) if callable(announced) else announced)
    ):
        # a route lists it as a post: its address or a short body does not make it less so
        # (a "not found" page is not overruled either: the post is then missing, where a
        # static or index page a route listed is no post)
        post = announced_post(fetched.html, url)
        evidence = "listed as a post by a route of the blog" if post else evidence
    if post is None:
        items: tuple[Any, ...] = (fetched.page_item(kind="page"),)
        if page.forms:
            items += (
                FormsItem(
                    blog_url=fetched.blog,
                    page_url=page_url,
                    forms=page.forms,
                    capture_id=fetched.capture_id,
                ),
            )
        return PageRead(items, page=page, evidence=evidence, links=links)
    comments, observations = page.comments, page.key_observations
    if post is not page.post:  # (the extraction reads them only of what it calls posts)
        comments = extract_comments(fetched.html, url)
        observations = extract_observations(fetched.html, url)
    post = _at_own_address(post, fetched, holds_text)
    complete = shows_every_comment(post, comments, links, page_url)
    route = PAGE if page_gives_comments(comments, complete) else comments_from(post)
    item = PostItem(
        blog_url=fetched.blog,
        post=post,
        comments=comments if route == PAGE else (),
        key_observations=observations,
        forms=page.forms,
        page_url=page_url,
        addresses=fetched.addresses,
        capture_id=fetched.capture_id,
    )
    items = (fetched.page_item(), item)
    if route == PAGE and complete:
        items += (every_comment(fetched.blog, post.url, comments),)
    return PageRead(
        items,
        page=page,
        post=post,
        evidence=evidence,
        links=links,
        # (the page's comments go with a feed's request only where that feed may fail)
        comments=comments if route == FEED_OR_PAGE else None,
        shows_every_comment=complete,
        own_text=content_digest(post.title, post.content_text)
        if same_address(post.url, fetched.addresses[-1])
        else None,
    )


def _at_own_address(
    post: Post, fetched: Fetched, holds_text: Callable[[str, str], bool] | None = None
) -> Post:
    """``post`` at the address its page answered at, where the page names as its canonical
    address one that cannot be this post's: another site's (a copy's original), the blog's
    home page or an address that is no post's, as a misconfigured SEO plugin writes on every
    page, or another permalink of the blog, as a theme that names one post on every page
    does (the posts would all be one row, each page's overwriting the last's). An address
    that is no permalink (WordPress' ``?p=ID``), one of the post's own (its AMP page, a page
    of its comments) or one that redirected to it is archived at its canonical address; so
    is an alias, a permalink whose page is the very text archived at its canonical one."""
    return _placed(post, fetched, holds_text)[0]


def alias_pending(
    page: Page, fetched: Fetched, holds_text: Callable[[str, str], bool] | None
) -> str | None:
    """The other permalink of its blog that the post page ``fetched`` names as its canonical
    address, where only that address's own page can tell whether this one is an alias of it
    (:func:`_at_own_address`) and no text is archived from it yet: a crawl reads that page
    first, then this one again. None where the page's address is settled now."""
    if page.post is None:
        return None
    return _placed(page.post, fetched, holds_text)[1]


def _placed(
    post: Post, fetched: Fetched, holds_text: Callable[[str, str], bool] | None
) -> tuple[Post, str | None]:
    """:func:`_at_own_address`, and the canonical permalink whose own text would have made the
    page its alias (:func:`alias_pending`)."""
    answered = fetched.addresses[-1]
    if same_address(post.url, answered):
        return post, None
    own = on_blog(post.url, fetched.blog)
    if own is not None and may_be_post(own):
        if not may_be_post(answered) or may_be_one_post(own, answered):
            return post, None
        if any(same_address(own, address) for address in fetched.addresses):
            return post, None  # (the page's address before a redirect)
        text = content_digest(post.title, post.content_text)
        if holds_text is not None and holds_text(own, text):
            return post, None  # (an alias)
        return dataclasses.replace(post, url=answered), own
    return dataclasses.replace(post, url=answered), None


def _comment_feed(fetched: Fetched, feed: CommentFeed, post_url: str | None) -> PageRead:
    if not feed.ok:
        return PageRead((fetched.page_item(error="not a feed"),))
    match = re.search(r"[?&]start-index=(\d+)", fetched.url)
    start = int(match.group(1)) if match else 1
    comments = tuple(
        dataclasses.replace(comment, position=start + n) for n, comment in enumerate(feed.comments)
    )
    items: tuple[Any, ...] = (fetched.page_item(),)
    if post_url:
        items += (
            CommentsItem(
                blog_url=fetched.blog,
                post_url=post_url,
                comments=comments,
                stated=feed.total,
                capture_id=fetched.capture_id,
            ),
        )
    return PageRead(items, comments=comments)


def feed_post_item(blog: str, url: str, entry: FeedPost, capture_id: str | None) -> PostItem:
    """The item of a post its posts feed's entry carries whole (``--from-feeds``), at its
    address on ``blog`` (``url``), with the feed page as its capture."""
    assert entry.post is not None, "an entry that is not the whole post is no post"
    return PostItem(
        blog_url=blog,
        post=dataclasses.replace(entry.post, url=url),
        comments=(),
        key_observations=entry.key_observations,
        forms=(),
        page_url=url,
        addresses=tuple(dict.fromkeys((url, entry.url))),
        capture_id=capture_id,
    )


def rest_post_item(
    blog: str,
    url: str,
    entry: FeedPost,
    comments: Iterable[RestComment],
    capture_id: str | None,
) -> PostItem:
    """The item of a post a WordPress REST API gives whole (``--from-feeds``), at its address
    on ``blog`` (``url``), with ``comments`` (those the API's comments route lists of it) in
    the order its page shows them, and their count; the API's answer is its capture."""
    assert entry.post is not None, "an entry that is not the whole post is no post"
    ordered = in_page_order(comments)
    counted = dataclasses.replace(entry.post, comment_count=len(ordered))
    item = feed_post_item(blog, url, dataclasses.replace(entry, post=counted), capture_id)
    return dataclasses.replace(item, comments=ordered)


def shows_every_comment(
    post: Post, comments: tuple[Comment, ...], links: tuple[str, ...], page_url: str
) -> bool:
    """Whether a post page shows every comment of its post: comments on one page (no link to
    another page of them), as many as the page states, each with its id on the site. Only then
    does a comment the archive holds but the page lacks count as deleted."""
    if COMMENT_PAGE.search(page_url) or any(COMMENT_PAGE.search(link) for link in links):
        return False
    if not all(comment.platform_id for comment in comments):
        return False
    if post.comment_count is None:
        return bool(comments)  # (a page that states no count and shows none says nothing)
    return post.comment_count == len(comments)


def every_comment(blog: str, post_url: str, comments: tuple[Comment, ...]) -> CommentsSeenItem:
    """The comments of a page that shows all of its post's: the archive's others are gone from
    the site."""
    return CommentsSeenItem(
        blog_url=blog,
        post_url=post_url,
        platform_ids=frozenset(c.platform_id for c in comments if c.platform_id),
    )
