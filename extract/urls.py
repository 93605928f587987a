"""URL rules shared by extractors and spiders: canonical permalinks, and which URLs are posts."""

from __future__ import annotations

import re
from typing import Final
from urllib.parse import SplitResult, parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

from w3lib.url import safe_url_string

#: Query parameters that never change which post a URL names.
TRACKING_PARAMS: Final = frozenset({"m", "showcomment", "replytocom", "fbclid", "gclid", "amp"})
TRACKING_PREFIXES: Final = ("utm_",)

#: Path patterns of pages that are never posts (labels, search, archives, calendars, feeds).
NOT_POST_PATHS: Final = (
    re.compile(r"^/search(/|$)"),
    re.compile(r"^/(tag|category|author|page|feed|comments|wp-json|wp-admin|wp-content)(/|$)"),
    re.compile(r"^/p/"),  # Blogger static pages
    re.compile(r"^/\d{4}(/\d{2}(/\d{2})?)?/?$"),  # date archives
    re.compile(r"/\d{4}/\d{1,2}(/\d{1,2})?/?$"),  # calendars and date archives anywhere
    re.compile(r"/(calendar|tags?|labels?|categor(y|ies)|authors?|search)(/|$)"),
    re.compile(r"/archives?(/\d{4}(/\d{1,2})?)?/?$"),  # not /archives/123, a post's address
    re.compile(r"^/feeds/"),
    re.compile(r"^/$"),
)


#: An address :func:`canonical_url` gives back as it is: http(s), a lower-case host, a path of
#: characters that need no escaping, no query, no fragment (the permalinks feeds and sitemaps
#: list). Checked by one match, where the whole rule costs about 20 us an address: a refresh
#: of a 10,000-post blog makes some 30,000 of them canonical.
ALREADY_CANONICAL: Final = re.compile(
    r"https?://[a-z0-9.-]+(?::[0-9]{1,5})?/[A-Za-z0-9._~!$&'()*+,=:@/-]*"
)
#: An address ``urljoin`` gives back as it is: one :data:`ALREADY_CANONICAL` matches, with a
#: query and a fragment of the same characters if any (not empty: urljoin drops a bare ``?``
#: or ``#``). Blogger's comment permalinks (``?showComment=...#c...``) and share links.
ALREADY_ABSOLUTE: Final = re.compile(
    r"https?://[a-z0-9.-]+(?::[0-9]{1,5})?/[A-Za-z0-9._~!$&'()*+,=:@/-]*"
    r"(?:\?[A-Za-z0-9._~!$&'()*+,=:@/?-]+)?(?:#[A-Za-z0-9._~!$&'()*+,=:@/?-]+)?"
)


def canonical_url(url: str, *, base: str | None = None) -> str:
    """``url`` made absolute, without fragment or tracking parameters, host in lower case.

    >>> canonical_url("HTTPS://Example.blogspot.com/2010/03/post.html?m=1&utm_source=x#c12")
    'https://example.blogspot.com/2010/03/post.html'
    """
    if ALREADY_CANONICAL.fullmatch(url):  # absolute: a base changes nothing
        return url
    return _canonical(url, base)


def _canonical(url: str, base: str | None) -> str:
    try:
        if base:
            url = urljoin(base, url)
        parts = urlsplit(safe_url_string(url.strip()))
    except ValueError:  # a malformed address (a port that is no number, a broken IPv6 host)
        return url.strip().split("#", 1)[0]
    query = [
        (key, value)
        for key, value in parse_qsl(parts.query, keep_blank_values=True)
        if key.lower() not in TRACKING_PARAMS and not key.lower().startswith(TRACKING_PREFIXES)
    ]
    path = parts.path or "/"
    return urlunsplit((parts.scheme.lower(), parts.netloc.lower(), path, urlencode(query), ""))


COMMENT_PAGE: Final = re.compile(r"comment-page-\d+/?$")


def split(url: str) -> SplitResult:
    """``urlsplit``, where a malformed address (a broken IPv6 host) has empty parts."""
    try:
        return urlsplit(url)
    except ValueError:
        return urlsplit("")


def post_permalink(url: str) -> str:
    """The post a URL shows: a WordPress comment page (``…/slug/comment-page-2/``) is its post."""
    parts = split(url)
    if not parts.netloc:
        return url
    path = COMMENT_PAGE.sub("", parts.path) or "/"
    return urlunsplit((parts.scheme, parts.netloc, path, parts.query, ""))


def origin(url: str) -> str:
    """``scheme://host[:port]`` of ``url``."""
    parts = split(url)
    return f"{parts.scheme.lower()}://{parts.netloc.lower()}"


def home_url(url: str) -> str:
    """The home page of the blog that ``url`` belongs to (its origin, with a trailing slash)."""
    return origin(url) + "/"


def may_be_post(url: str) -> bool:
    """False for label, search, archive, feed and static pages: they are never posts."""
    path = split(url).path or "/"
    return not any(pattern.search(path) for pattern in NOT_POST_PATHS)


def on_blog(url: str, blog: str) -> str | None:
    """``url`` as an address of ``blog`` (a home URL): as it is when it has the blog's origin; on
    the blog's origin when it differs only by ``http``/``https`` or a ``www.`` (the variants a
    feed or sitemap may give of the blog's own posts); ``None`` for another site's."""
    parts, home = split(url), split(blog)
    if parts.scheme == home.scheme and parts.netloc == home.netloc:
        return url
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return None
    if parts.netloc.removeprefix("www.") != home.netloc.removeprefix("www."):
        return None
    return urlunsplit((home.scheme, home.netloc, parts.path, parts.query, ""))


def may_be_one_post(a: str, b: str) -> bool:
    """Whether two addresses of one blog may show the same post by their paths alone: the
    same path (another query, scheme or trailing slash), or one path that goes on from the
    other by whole segments (AMP's ``/slug/amp/``, a page of the post or of its comments,
    Tumblr's ``/post/ID`` and ``/post/ID/slug``). Two permalinks that are neither are two
    posts, whatever the one's page names as its canonical address.

    >>> may_be_one_post("http://b.example/2021/09/a/amp/", "https://b.example/2021/09/a/")
    True
    >>> may_be_one_post("http://b.example/2021/09/a.html", "http://b.example/2021/09/b.html")
    False
    """
    first, second = split(a).path.rstrip("/"), split(b).path.rstrip("/")
    shorter, longer = sorted((first, second), key=len)
    return longer == shorter or (bool(shorter) and longer.startswith(shorter + "/"))


def same_address(a: str, b: str) -> bool:
    """Whether two URLs differ at most by a trailing slash and their scheme (one page: the
    platforms redirect one form to the other)."""
    return a.split(":", 1)[-1].rstrip("/") == b.split(":", 1)[-1].rstrip("/")
