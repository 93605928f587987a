"""A blog post page: title, author, dates, labels, the body as sanitized HTML and as text.

The body is found by the containers that blog templates use (Blogger's ``div.post-body``,
WordPress themes' ``div.entry-content`` and their many cousins), tried in order; where several
elements match, the one holding the most paragraph text wins. A page where none holds a real
text falls back to trafilatura, a general main-text extractor. Metadata comes from the template's
markup first, then from the page's JSON-LD and meta tags, then (dates) from htmldate.

:func:`extract_article` reads the main content of any single page; :func:`extract_post` only of
blog posts: index, label, search and archive pages (several posts) and static pages are not
posts. :func:`post_links` gives the permalinks an index page lists.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import lru_cache
from itertools import islice
from typing import Any, Final
from urllib.parse import urlsplit

from lxml import etree

from extract._dom import (
    Node,
    absolute,
    clean_html,
    copy_tree,
    drop_tree,
    first_attr,
    having_class_word,
    inner_html,
    normalize_space,
    parse,
    precedes,
    pruned_copy,
    resolve_links,
    select,
    text_content,
    text_of,
    text_with_breaks,
)
from extract.comments import ITEMS as COMMENT_ITEMS
from extract.comments import comment_elements
from extract.platform import detect_platform
from extract.urls import canonical_url, may_be_post, post_permalink

#: The post body, in the order tried: Blogger (all layouts), then WordPress themes from the most
#: specific container to the most general, then generic markup.
BODY: Final = (
    "div.post-body",
    "div.entry-content",
    "div.post-content",
    "div.entry-inner",
    "div.post-entry",
    "div.entrytext",
    "div.storycontent",
    "div.postentry",
    "div.post-text",
    "div.post__content",
    "div.single-blog-content",
    "div.gp-entry-content",
    "div.td-post-content",
    "div.article-content",
    "div.article_desc",
    "div.entry-text",
    "div.body-copy",
    "div.detail__content",
    "div.newstext",
    "div.page-content",
    "div.entry",
    "div.the-content",
    "[itemprop=articleBody]",
    "div[class*=article-body]",
    "div[class*=article-content]",
    "div[class*=article-copy]",
    "div[class*=post-content]",
    "div[class*=entry-content]",
    "div[class*=story-body]",
    "article .content",
    "article",
    "main",
)
#: Candidates inside these are comments or widgets, never the post.
NOT_BODY_ANCESTORS: Final = ("comment", "comments", "commentlist", "comment-list", "sidebar")
#: A body candidate must hold at least this much paragraph text, and this share of the page's,
#: or the next selector is tried.
MIN_BODY_CHARS: Final = 120
MIN_BODY_SHARE: Final = 0.2
#: A body our selectors found that holds less than this share of the page's main text (as the
#: general extractor reads it) is suspect: a container that holds a teaser, or one the cleaning
#: emptied. The general extractor's text replaces it.
MIN_MAIN_TEXT_SHARE: Final = 0.3
#: Classes of the element around one post's title, body and footer.
POST_WRAPPER_CLASSES: Final = frozenset({"post", "post-outer", "type-post", "hentry"})
#: What no main text holds: code, a page's navigation and frame, its comments and sidebars.
NOT_MAIN_TEXT: Final = (
    "script", "style", "nav", "header", "footer", "aside", "form",
    *(f"{kind}{name}" for name in NOT_BODY_ANCESTORS for kind in (".", "#")),
)  # fmt: skip

TITLE: Final = (
    "h3.post-title",
    "h1.post-title",
    "h2.post-title",
    "h1.entry-title",
    "h2.entry-title",
    ".entry-title",
    "h1.title",
    "article h1",
    "main h1",
)
TITLE_META: Final = (
    ("meta[property='og:title']", "content"),
    ("meta[name='twitter:title']", "content"),
)
AUTHOR: Final = (
    ".post-author .fn",
    ".byline.post-author a",
    ".author.vcard .fn",
    ".author.vcard a",
    ".entry-author-name",
    ".entry-author a",
    ".post-author-name",
    ".author-name",
    "a[rel=author]",
    "[itemprop=author] [itemprop=name]",
    ".byline a",
    ".posted-by a",
)
AUTHOR_META: Final = (
    ("meta[name=author]", "content"),
    ("meta[name='twitter:data1']", "content"),
    ("meta[property='article:author']", "content"),
)
PUBLISHED: Final = (
    ("abbr.published", "title"),
    ("time.published", "datetime"),
    ("time.entry-date", "datetime"),
    ("meta[property='article:published_time']", "content"),
    ("[itemprop=datePublished]", "content"),
    ("[itemprop=datePublished]", "datetime"),
    ("article time[datetime]", "datetime"),
)
UPDATED: Final = (
    ("abbr.updated", "title"),
    ("time.updated", "datetime"),
    ("meta[property='article:modified_time']", "content"),
    ("[itemprop=dateModified]", "content"),
    ("[itemprop=dateModified]", "datetime"),
)
LABELS: Final = (".post-labels a", "a[rel~=tag]", ".tags-links a", ".cat-links a")
#: ``posts.extractor`` of a body the general main-text extractor gave.
FALLBACK_EXTRACTOR: Final = "trafilatura"
#: Blogger's 2017+ themes (Contempo, Soho, Emporio, Notable, Essential): the comments section
#: carries the post's comment count.
COMMENT_COUNT_ATTRIBUTE: Final = "#comments[data-num-comments]"
#: A post's comments area with its reply form (WordPress' ``comments.php``, ``comment_form()``).
COMMENT_FORM: Final = (
    "#comments #respond",
    "#comments form.comment-form",
    ".comments-area #respond",
    ".comments-area form.comment-form",
)
COMMENT_COUNT: Final = (
    "#comments > h4",
    "#comments h4",
    ".comments > h3.title",
    "h2.comments-title",
    "h3.comments-title",
    ".comments-title",
    "#comments-title",
)
POST_ID: Final = (
    ("meta[itemprop=postId]", "content"),
    ("div[id^=post-body-]", "id"),
    ("article[id^=post-]", "id"),
)
#: Links from an index page to the posts it lists, from a post to its neighbours and to the
#: other pages of its comments.
POST_LINKS: Final = (
    ".comment-navigation a",
    ".comments-pagination a",
    "a.page-numbers[href*='comment-page-']",
    "h3.post-title a",
    "h2.post-title a",
    "h2.entry-title a",
    "h1.entry-title a",
    "a.blog-pager-older-link",
    "a.blog-pager-newer-link",
    ".nav-previous a",
    ".nav-next a",
)
#: A page's comments section, as templates name it: never the post's text.
COMMENTS_AREAS: Final = (
    "#comments", ".comments", ".comments-area", ".wp-block-comments", "#disqus_thread",
)  # fmt: skip
#: Never part of a post's text, even when a theme puts them inside the body.
NOT_BODY: Final = (
    *COMMENTS_AREAS,
    "script",
    "style",
    "noscript",
    "form",
    "iframe",
    ".post-share-buttons",
    ".sharedaddy",
    ".sd-sharing-enabled",
    ".sharing",
    ".share-buttons",
    ".shariff",
    ".social-share",
    ".jp-relatedposts",
    ".related-posts",
    ".yarpp-related",
    ".crp_related",
    ".addtoany_share_save_container",
    ".post-footer",
    ".entry-meta",
    ".entry-footer",
    ".post-meta",
    ".postmetadata",
    ".author-box",
    ".about-author",
    "nav",
    ".navigation",
    ".post-navigation",
    ".blog-pager",
    ".screen-reader-text",
    # comments in markups that need no comments area around them
    "[itemtype$='schema.org/Comment']",
    "[itemtype$='schema.org/UserComments']",
    ".p-comment",
)
#: Pages that are not single posts: several posts (index, archive, label, search) or static pages.
INDEX_MARKERS: Final = (
    "body.home.blog",
    "body.blog:not(.single)",
    "body.archive",
    "body.search",
    "body.feed-view",
    "body.index-view",
)
NOT_A_POST: Final = ("body.page", "article.type-page", "body.static_page")
#: Markup of the page a platform shows for an address that holds no post, which some servers
#: answer 200 rather than 404: WordPress' ``body_class()`` names that view ``error404``.
NOT_FOUND: Final = ("body.error404",)
#: What the evidence of such a page starts with (a crawl reports a post listed there missing).
NOT_FOUND_EVIDENCE: Final = "not-found page markup"
#: Where Blogger's ``Blog1`` widget lists the posts a view shows (every layout's, classic and
#: 2017+, has the container); a view whose list shows nothing is Blogger's page for an address
#: that holds no post, whatever else the page shows.
POST_LIST: Final = "#Blog1 .blog-posts"
#: Markup that says a page is one blog post whatever its address (``/?p=2895``, ``/2320``) and
#: however short its body, in the order tried, with the evidence each gives. From the platforms'
#: templates: WordPress' ``body_class()`` and ``post_class()`` on a single post, Blogger's
#: ``item-view`` body (2017+ themes) and its post body in the ``Blog1`` widget (a page with one);
#: and the page's own declarations (schema.org JSON-LD, Open Graph).
POST_MARKUP: Final = (
    ("body.single-post", "WordPress single-post page (body.single-post)"),
    ("body.item-view", "Blogger post view (body.item-view)"),
    ("body.single article.type-post", "WordPress post markup (article.type-post)"),
    ("#Blog1 div.post-body", "Blogger post body in Blog1"),
    ("meta[property='og:type'][content=article]", "og:type article"),
)
#: Markup that says a page is one post only where its address may be a post's: Blogger's
#: classic templates show a label or date archive holding one post as they show that post.
WEAK_POST_MARKUP: Final = frozenset({"#Blog1 div.post-body"})
#: Where a platform keeps its static pages, never posts: Blogger's ``/p/``.
STATIC_ADDRESS: Final = re.compile(r"^/p/")
#: An element that is the whole of a post body without text: an image-only or embed-only post.
MEDIA: Final = ("img", "picture", "video", "audio", "iframe", "embed", "object", "svg")
#: Class and id words of blocks that are never a post's own text.
BOILERPLATE_WORDS: Final = frozenset(
    "share shares sharing sharedaddy shariff social socials related relatedposts yarpp crp "
    "newsletter subscribe subscription widget sidebar advert advertisement ads ad banner promo "
    "popular trending recommended recommendations breadcrumb breadcrumbs byline comments comment "
    "respond pagination toc caption credit credits sponsor sponsored donate donation cookie popup "
    "modal author meta tags categories footer nav navigation sr screen reader hidden "
    "print".split()
)
#: Of those, the ones removed even when the block is large (a long list of related posts).
ALWAYS_BOILERPLATE: Final = frozenset(
    "share sharing sharedaddy shariff social related relatedposts yarpp crp newsletter subscribe "
    "advert advertisement ads sponsor sponsored cookie popup modal paywall toc "
    "breadcrumb breadcrumbs".split()
)
#: Class-name parts that mark boilerplate inside longer names (BorlabsCookie, wp_rp_related).
BOILERPLATE_PARTS: Final = ("cookie", "paywall", "newsletter", "related", "sharing", "shariff")
CAMEL_CASE: Final = re.compile(r"([a-z])([A-Z])")
#: Boilerplate words of a block of related posts, whose dates are not the post's.
RELATED_WORDS: Final = frozenset({"related", "yarpp"})
READ_ALSO: Final = re.compile(
    r"^(lesen sie (auch|hier|mehr)|read (also|more)|related( posts| articles)?:|see also|siehe auch"
    r"|mehr zum thema|auch interessant|das könnte (dich|sie) auch interessieren|you (may|might) "
    r"also like|weiterlesen|lire aussi|à lire aussi|leer más|lee también|about the author"
    r"|über den autor|zum autor"
    # the headings related-posts plugins print in other languages (Jetpack's and YARPP's
    # translations)
    r"|verwandte (artikel|beiträge)|ähnliche (artikel|beiträge)|articles (liés|similaires)"
    r"|sur le même (thème|sujet)|entradas relacionadas|artículos relacionados"
    r"|articoli correlati|gerelateerde (artikelen|berichten)"
    r"|(le|te) puede interesar|mehr themen|weitere artikel)\b",
    re.IGNORECASE,
)
#: A block of links (a list of related posts) is shorter than this.
MOSTLY_LINKS_CHARS: Final = 1500
#: ... and more than this share of its text is its links' text.
MOSTLY_LINKS_SHARE: Final = 0.6
#: A paragraph that is one link is shorter than this (the last one of its block: the second)...
LONE_LINK_CHARS: Final = 30
LONE_LINK_LAST_CHARS: Final = 60
#: ... and more than this share of its text is its links' text.
LONE_LINK_SHARE: Final = 0.8
#: A "Read also" line is shorter than this.
READ_ALSO_CHARS: Final = 300
#: ``READ_ALSO`` matches or not within this many characters (its longest phrase and one more).
READ_ALSO_DECIDED: Final = 48
BOILERPLATE_SPLIT: Final = re.compile(r"[_-]+")
#: Class words of a lead paragraph that themes place outside the body (between a name's ``-``
#: and ``_`` separators: ``entry-intro``, ``Intro_Text``).
LEAD_WORDS: Final = frozenset(
    "lead intro excerpt standfirst subtitle subheadline teaser deck".split()
)
TAXONOMY_PREFIXES: Final = (
    "tag-",
    "category-",
    "post-",
    "type-",
    "status-",
    "format-",
    "postid-",
    "author-",
)
ARTICLE_TYPES: Final = frozenset(
    {"Article", "BlogPosting", "NewsArticle", "Report", "TechArticle", "SocialMediaPosting"}
)
#: Words one of which the text of any JSON-LD holding an article type contains.
ARTICLE_TYPE_WORDS: Final = ("Article", "Posting", "Report")
BYLINE_PREFIX: Final = re.compile(r"^(by|von|par|por|di|door|av|autor|author)[:\s]+", re.IGNORECASE)

ISO_DATE: Final = re.compile(r"^\d{4}-\d{2}-\d{2}")
#: What separates a page title from the site's name in ``<title>`` and ``og:title``.
TITLE_SEPARATOR: Final = re.compile(r"\s+[|–—-]\s+|\s*[|»]\s*")
COUNT_WORDS: Final = {"no": 0, "one": 1, "zero": 0}
FIRST_NUMBER: Final = re.compile(r"\d[\d,.]*")
COMMENT_WORD: Final = re.compile(
    r"comment|thought|response|repl|kommentar|commentaire|comentario", re.I
)


@dataclass(frozen=True, slots=True, kw_only=True)
class Post:
    url: str
    title: str | None
    author: str | None
    published: str | None
    updated: str | None
    labels: tuple[str, ...]
    content_html: str
    content_text: str
    comment_count: int | None
    platform_id: str | None
    #: what produced the body: ``blogarchive/<platform>`` (our selectors, on a Blogger,
    #: WordPress or other page) or ``trafilatura`` (the general main-text extractor, on a page of
    #: no known platform, or where our selectors found no body)
    extractor: str = ""


def extract_post(html: str, url: str) -> Post | None:
    """The post of a single-post page; ``None`` for pages that are not one blog post."""
    return decide_post(html, url)[0]


def decide_post(html: str, url: str) -> tuple[Post | None, str]:
    """The post of a single-post page, or ``None``, and the evidence that decided.

    The page's markup decides first: a static page's or an index page's markup says it is no
    post, the platforms' post markup and the page's declarations (:data:`POST_MARKUP`) that it
    is one, whatever its address and however short its body (one line, an image, an embed).
    A platform's "not found" page (:data:`NOT_FOUND`; an empty :data:`POST_LIST`, but at the
    home address) is none either, but at Blogger's static address (no post is expected there).
    Only a page without either is judged by its address (label, search, archive and feed
    addresses are not posts) and then by whether it holds a post body."""
    if not html.strip():
        return None, "an empty page (the answer has no body)"
    root = parse(html, url)
    for selector in NOT_A_POST:
        if select(root, selector):
            return None, f"static page markup ({selector})"
    address = urlsplit(url)
    if STATIC_ADDRESS.match(address.path) and detect_platform(html, url) == "blogger":
        # (Substack keeps its posts at /p/: elsewhere the page's markup decides)
        return None, "static page address (Blogger's /p/)"
    # (after the static address, where no post is expected, found or not; before the index
    # markup: Blogger's 2017+ themes mark every view but a post's, a "not found" one too, as
    # a feed view)
    for selector in NOT_FOUND:
        if select(root, selector):
            return None, f"{NOT_FOUND_EVIDENCE} ({selector})"
    if address.path not in ("", "/") and _empty_post_list(root):
        return None, f"{NOT_FOUND_EVIDENCE} (Blogger's Blog1 lists no post)"
    if is_index_page(root):
        return None, "index page markup (several posts, or an index view)"
    if address.path in ("", "/") and not address.query:
        return None, "the blog's home page"  # (which may show its latest post whole)
    evidence = post_markup(root, may_be_post(url))
    if evidence is None and not may_be_post(url):
        return None, "the address of a label, search, archive or static page, and no post markup"
    post = _article(html, url, root, short_body=evidence is not None)
    if post is None:
        return None, "no post body found"
    return post, evidence or "a post body"


def announced_post(html: str, url: str) -> Post | None:
    """The post of a page that a route of its blog lists as a post (its feed, its sitemap of
    posts), though neither its address nor its markup says so: its body container of any
    length; ``None`` where the page holds none at all."""
    return _article(html, url, parse(html, url), short_body=True)


def post_markup(root: Node, post_address: bool) -> str | None:
    """What in the page's markup says it is one post (``None``: nothing does)."""
    for selector, evidence in POST_MARKUP:
        if selector in WEAK_POST_MARKUP and not post_address:
            continue
        found = select(root, selector)
        if len(found) == 1 or (found and selector.startswith(("body", "meta"))):
            return evidence
    if _ArticleJsonLd(root).get("@type") is not None:
        return "JSON-LD article"
    return None


def extract_article(html: str, url: str) -> Post | None:
    """The main content of any single page: a post, a static page, or an index page (whose
    main text is what the general extractor reads there); ``None`` for a page with no text."""
    root = parse(html, url)
    return _article(html, url, root, short_body=False, index=is_index_page(root))


def _article(
    html: str, url: str, root: Node, *, short_body: bool, index: bool = False
) -> Post | None:
    """The page's main content; with ``short_body`` (the page is known to be one post), a
    body container of any length is taken, even one with only an image or an embed.

    A body found by our selectors that holds much less than the page's main text
    (:data:`MIN_MAIN_TEXT_SHARE`) gives way to the general extractor's; so does a page none of
    our templates fits, and an index page (several posts: no one container is its text)."""
    platform = detect_platform(html, url)
    found = None
    if platform == "generic" or index:
        # a template none of our selectors was made from: a general main-text extractor knows
        # many more of them
        found, extractor = _main_text_fallback(html, url, recall=False), FALLBACK_EXTRACTOR
    if found is None:
        short = _keeps_own_container(root, short_body)
        cleaned = short_post_body(html, url) if short else cleaned_body(html, url)
        if cleaned is None and short_body:
            cleaned = short_post_body(html, url)
        if cleaned is not None:
            # the copy's links are already absolute (cleaned_body)
            found = clean_html(inner_html(cleaned)), text_with_breaks(cleaned)
            extractor = f"blogarchive/{platform}"
            found, extractor = _unless_suspect(
                html, url, root, found, extractor, known_post=short_body, own_body=short
            )
        elif platform != "generic":
            found, extractor = _main_text_fallback(html, url), FALLBACK_EXTRACTOR
            if found is not None:
                found, extractor = _unless_suspect(
                    html, url, root, found, extractor, known_post=short_body, own_body=False
                )
    if found is None:
        return None
    content_html, content_text = found
    ld = _ArticleJsonLd(root)
    return Post(
        url=post_permalink(
            canonical_url(first_attr(root, [("link[rel=canonical]", "href")]) or url, base=url)
        ),
        title=_title(root, ld),
        author=_author(html, url, root, ld),
        published=_first_time(root, PUBLISHED)
        or _iso(_ld_text(ld, "datePublished"))
        or _find_date(html, url),
        updated=_first_time(root, UPDATED) or _iso(_ld_text(ld, "dateModified")),
        labels=_labels(root),
        content_html=content_html,
        content_text=content_text,
        comment_count=_comment_count(root),
        platform_id=_platform_id(root),
        extractor=extractor,
    )


@lru_cache(maxsize=8)
def cleaned_body(html: str, url: str) -> Node | None:
    """A copy of the post body without boilerplate, its lead put back and its links made
    absolute (shared: do not change)."""
    root = parse(html, url)
    body = post_body(root)
    if body is None:
        return None
    cleaned = without_boilerplate(pruned_copy(body, NOT_BODY))
    lead = _lead(root, body)
    if lead is not None:
        cleaned.insert(0, lead)
    resolve_links(cleaned, url)
    return cleaned


def body_copy(html: str, url: str) -> Node | None:
    """The cleaned copy of the post body that :func:`extract_post` reads (shared: do not
    change): what the other extractors of the post's text (key observations) read too, so that
    a page's body is copied once."""
    root = parse(html, url)
    if _keeps_own_container(root, post_markup(root, may_be_post(url)) is not None):
        return short_post_body(html, url)
    return cleaned_body(html, url)


def _keeps_own_container(root: Node, known_post: bool) -> bool:
    """Whether a page known to be a post has a short body container of its own (a line, an
    image, an embed): that container is its body, not a wrapper its comments make look long."""
    own = _own_container(root) if known_post else None
    return own is not None and _paragraph_chars(own) < MIN_BODY_CHARS


def _own_container(root: Node) -> Node | None:
    """The one element the first body selector (:data:`BODY`, in order) that finds any finds
    outside the comments: a platform's container of the post's body; ``None`` where that
    selector finds several (an index, related posts)."""
    for selector in BODY:
        candidates = [c for c in select(root, selector) if not _in_comments(c)]
        if candidates:
            return candidates[0] if len(candidates) == 1 else None
    return None


@lru_cache(maxsize=8)
def short_post_body(html: str, url: str) -> Node | None:
    """The first body container (:data:`BODY`, in order) that holds any text or media, without
    boilerplate, for a page known to be one post whose body :func:`post_body` finds too short
    (shared: do not change)."""
    root = parse(html, url)
    for selector in BODY:
        for candidate in select(root, selector):
            if _in_comments(candidate):
                continue
            if text_content(candidate).strip() or next(candidate.iter(*MEDIA), None) is not None:
                cleaned = without_boilerplate(pruned_copy(candidate, NOT_BODY))
                resolve_links(cleaned, url)
                return cleaned
    return None


def is_index_page(root: Node) -> bool:
    """True for pages that list several posts (Blogger index views, WordPress archives)."""
    if len(select(root, "div.post-body")) > 1:
        return True
    return any(select(root, selector) for selector in INDEX_MARKERS)


def _empty_post_list(root: Node) -> bool:
    """Whether the page's post list (:data:`POST_LIST`) is there and shows nothing: no text,
    no image or embed."""
    lists = select(root, POST_LIST)
    return (
        len(lists) == 1
        and not text_content(lists[0]).strip()
        and next(lists[0].iter(*MEDIA), None) is None
    )


def post_body(root: Node) -> Node | None:
    """The element holding the post's text: the first selector whose best match has real text.

    A match must hold a fair share of the page's paragraph text: a theme's "post-content" that
    holds only an excerpt while a page builder holds the article is not the body.
    """
    page = root.find("body")
    page_chars: int | None = None
    # when a fifth of this is in the match, the page's paragraphs need no count
    all_chars = _paragraph_chars_bound(root, page) if page is not None else 0
    for selector in BODY:
        candidates = [c for c in select(root, selector) if not _in_comments(c)]
        if not candidates:
            continue
        sizes = [_paragraph_chars(candidate) for candidate in candidates]
        if max(sizes) < MIN_BODY_CHARS:
            continue
        if max(sizes) < all_chars * MIN_BODY_SHARE:
            if page_chars is None:
                page_chars = _paragraph_chars(page) if page is not None else 0
            if max(sizes) < page_chars * MIN_BODY_SHARE:
                continue
        real = [
            c
            for c, size in zip(candidates, sizes, strict=True)
            if size >= MIN_BODY_CHARS and size * 10 >= max(sizes)
        ]
        # matches in other articles are related or infinite-scroll posts: the page's own is the
        # first; matches in the same article are sections of one post: their common container
        article = _article_of(real[0])
        sections = [c for c in real if _article_of(c) is article]
        return real[0] if len(sections) == 1 else _common_ancestor(sections)
    return None


def _paragraph_chars_bound(root: Node, page: Node) -> int:
    """At least ``_paragraph_chars(page)``, found without reading the paragraphs: the page's
    text but its scripts and styles (unless a paragraph holds them), or half of all of it when
    no paragraph has text."""
    all_chars = len(text_content(page))
    if not any(chunk.strip() for block in page.iter(*TEXT_BLOCKS) for chunk in block.itertext()):
        return all_chars // 2
    code = 0
    for node in (*select(root, "script"), *select(root, "style")):
        for ancestor in node.iterancestors():
            if ancestor.tag in TEXT_BLOCKS:
                break  # a paragraph's text, script or not
            if ancestor is page:
                # libxml2 reads a script's or a style's content as one text, no elements
                code += len(node.text or "") if not len(node) else len(text_content(node))
                break
    return all_chars - code


def _article_of(node: Node) -> Node | None:
    return next(node.iterancestors("article"), None)


def _common_ancestor(nodes: list[Node]) -> Node:
    shared = [node for node in (nodes[0], *nodes[0].iterancestors())]
    for other in nodes[1:]:
        lineage = {id(node) for node in (other, *other.iterancestors())}
        shared = [node for node in shared if id(node) in lineage]
    return shared[0]


def without_boilerplate(body: Node) -> Node:
    """``body`` (a copy) without the blocks themes put inside posts: sharing, related posts,
    author boxes, tables of contents, captions, and lists that are mostly links."""
    half = max(1, _paragraph_chars(body)) / 2
    # in document order, each block before what it holds; a dropped block's content is not
    # looked at (a stack, not recursion: pages can nest deeper than Python's call stack)
    stack = list(reversed(body))
    while stack:
        node = stack.pop()
        if not isinstance(node.tag, str):
            continue
        words = _boilerplate_words(node)
        if _read_also(node):
            following = node.getnext()
            drop_tree(node)
            # the list of other posts under a "Related posts:" heading goes with it (the
            # related-posts plugins' own markup, where it carries no class of theirs)
            if stack and stack[-1] is following and _list_of_links(following):
                drop_tree(stack.pop())
        elif node.tag == "figcaption" or words & ALWAYS_BOILERPLATE:
            drop_tree(node)
        elif (words or _mostly_links(node) or _lone_link(node)) and _paragraph_chars(node) < half:
            drop_tree(node)  # a block that holds most of the text is the post, whatever its name
        else:
            stack.extend(reversed(node))
    return body


def _boilerplate_words(node: Node) -> frozenset[str]:
    class_, id_ = node.get("class"), node.get("id")
    if not class_ and not id_:
        return NO_WORDS
    return _boilerplate_words_of(class_, id_)


NO_WORDS: Final[frozenset[str]] = frozenset()


@lru_cache(maxsize=4096)
def _boilerplate_words_of(class_: str | None, id_: str | None) -> frozenset[str]:
    """The boilerplate words of a class and id (a theme repeats the same few on every page)."""
    # camelCase names are words too (PostMeta, RelatedPosts)
    names = CAMEL_CASE.sub(r"\1_\2", f"{class_ or ''} {id_ or ''}").lower().split()
    # WordPress marks posts with their taxonomy (tag-social-media, category-ads): not a role
    names = [name for name in names if not name.startswith(TAXONOMY_PREFIXES)]
    words = {word for name in names for word in BOILERPLATE_SPLIT.split(name)}
    found = words & BOILERPLATE_WORDS
    found.update(part for part in BOILERPLATE_PARTS for name in names if part in name)
    return frozenset(found)


def _read_also(node: Node) -> bool:
    """A short "Read also: …" / "Lesen Sie auch …" line pointing to other posts."""
    if node.tag not in ("p", "h2", "h3", "h4", "h5", "h6", "div"):
        return False
    # the words such a line starts with are in its first characters: most blocks are told
    # apart by their own text, without reading their children's
    start = (node.text or "").lstrip()
    if len(start) >= READ_ALSO_DECIDED and READ_ALSO.match(start) is None:
        return False
    text = text_content(node)
    if len(text) >= MOSTLY_LINKS_CHARS:
        return False
    # (its own text alone where a <br> parts the words from the first link's)
    if READ_ALSO.match(text.strip()) is None and READ_ALSO.match(start) is None:
        return False
    # a longer one is the heading and its links in one paragraph ("See also<br><a>…")
    return len(text) < READ_ALSO_CHARS or _linked_share(node, text) > MOSTLY_LINKS_SHARE


def _lead(root: Node, body: Node) -> Node | None:
    """A copy of the post's lead (intro, excerpt, standfirst) where the theme puts it before and
    outside the body, in the same article or page header; ``None`` when there is none."""
    scope = next(body.iterancestors("article"), None)
    if scope is None:
        scope = root.find("body")
    if scope is None:
        return None
    ancestors = set(body.iterancestors())
    candidates = having_class_word(root, LEAD_WORDS)
    # the last one that starts before the body and does not hold it
    before = [node for node in candidates if node not in ancestors and precedes(node, body)]
    for node in before[::-1]:  # not reversed(): mypyc cannot compile it over a list of Any
        if (
            (node is scope or scope in node.iterancestors())
            and 30 <= len(text_of(node)) <= 1500
            and not _in_comments(node)
            and not any(a.tag in ("nav", "aside", "footer") for a in node.iterancestors())
        ):
            lead = copy_tree(node)
            lead.tail = None
            return lead
    return None


def _lone_link(node: Node) -> bool:
    """A short paragraph that is one link and little else ("Pictures of the meeting", "About
    the rating"): a pointer away from the post, not its text. trafilatura's link-density test
    drops the same paragraphs, with the same bounds."""
    if node.tag not in ("p", "div"):
        return False
    text = text_content(node)
    # a last paragraph may be longer: a closing "more on this" link
    limit = LONE_LINK_LAST_CHARS if node.getnext() is None else LONE_LINK_CHARS
    if len(text) >= 4 * limit or not text.strip() or len(normalize_space(text)) >= limit:
        return False
    return node.find(".//a") is not None and _linked_share(node, text) > LONE_LINK_SHARE


def _list_of_links(node: Node) -> bool:
    """A list whose every item links somewhere, and little text besides its items (other
    posts, each a title, maybe an image and an excerpt)."""
    items = list(node.iter("li"))
    if not items or not all(item.find(".//a[@href]") is not None for item in items):
        return False
    outside = len(text_content(node)) - sum(len(text_content(item)) for item in _outermost(items))
    return outside < READ_ALSO_CHARS


def _in_comments(node: Node) -> bool:
    for element in (node, *node.iterancestors()):
        names = f"{element.get('class') or ''} {element.get('id') or ''}".lower().split()
        if any(name in NOT_BODY_ANCESTORS for name in names):
            return True
    return False


def _mostly_links(node: Node) -> bool:
    if node.tag not in ("ul", "ol", "div", "section", "aside", "nav", "table"):
        return False
    if sum(1 for _ in islice(node.iter("a"), 3)) < 3:
        return False
    text = text_content(node)
    if len(text) >= MOSTLY_LINKS_CHARS and _longer_than(text, MOSTLY_LINKS_CHARS):
        return False  # a long block is read, whatever it links to
    if len(normalize_space(text)) >= MOSTLY_LINKS_CHARS:
        return False
    return _linked_share(node, text) > MOSTLY_LINKS_SHARE


def _linked_share(node: Node, text: str) -> float:
    """How much of ``text`` (the node's) is the text of its links."""
    length = len(normalize_space(text))
    linked = sum(len(normalize_space(text_content(a))) for a in node.iter("a"))
    return linked / length if length else 0.0


def _longer_than(text: str, chars: int) -> bool:
    """Whether ``text`` with its whitespace collapsed has at least ``chars`` characters, told from
    its start where it can be (a post's wrapper holds all of its text)."""
    return len(normalize_space(text[: 2 * chars])) >= chars


def _paragraph_chars(element: Node) -> int:
    """How much text ``element`` holds in paragraphs, list items, headings and quotes."""
    text = _block_text(element)
    if not text.strip():
        return len(text_content(element).strip()) // 2  # text outside paragraphs counts less
    return len(normalize_space(text))


#: Elements whose text is paragraph text.
TEXT_BLOCKS: Final = ("p", "li", "h2", "h3", "h4", "blockquote", "pre", "td")


def _block_text(element: Node) -> str:
    """The text inside the text blocks under ``element``, each text once: the outermost blocks'
    whole text, in document order."""
    parts = []
    walker = etree.iterwalk(element, events=("start",), tag=TEXT_BLOCKS)
    for _, block in walker:
        if block is not element:  # the element's own text is not inside a block under it
            parts.append(text_content(block))
            walker.skip_subtree()
    return "".join(parts)


def _main_text_fallback(html: str, url: str, *, recall: bool = True) -> tuple[str, str] | None:
    """trafilatura's main text of a page: (html, text). With ``recall``, for a page whose body
    our selectors did not find (what it finds is all there is); without, for a page of a
    template we do not know, where its default balance keeps less of what is not the text."""
    import trafilatura  # imported here: most pages never need it

    extracted = trafilatura.extract(
        _for_the_general_extractor(html, url), url=url, output_format="html",
        include_comments=False, include_tables=True, include_links=True, include_images=False,
        favor_recall=recall,
    )  # fmt: skip
    if not extracted or len(extracted) < MIN_BODY_CHARS:
        return None  # a page with no text to speak of (a calendar, a link list) is no post
    tree = parse(extracted, url)
    body = tree.find("body")
    if body is None:
        return None
    # what it keeps of a post's surroundings by their text alone ("Related articles:" and its
    # links, a lone link) goes as it goes from our bodies; its output has no class names left
    body = without_boilerplate(copy_tree(body))  # (the parsed tree is shared)
    return clean_html("".join(_outer_html(child) for child in body)), text_with_breaks(body)


def _unless_suspect(
    html: str,
    url: str,
    root: Node,
    found: tuple[str, str],
    extractor: str,
    *,
    known_post: bool,
    own_body: bool,
) -> tuple[tuple[str, str], str]:
    """``found`` (html, text) and its extractor, or the general extractor's main text where
    ``found`` holds less than :data:`MIN_MAIN_TEXT_SHARE` of it. On a page its markup says is
    one post (``known_post``) whose body is the platform's one container (``own_body``: a short
    container taken as it is), the main text is looked for in the post's own wrapper: on a page
    with little text, the general extractor takes the page's frame (the blog's header, the
    date, the sidebar) for the text of a short post."""
    chars = len(found[1].strip())
    page = root.find("body")
    if page is None or chars >= MIN_MAIN_TEXT_SHARE * _visible_chars(page):
        return found, extractor  # the main text cannot be that much longer: no need to read it
    own = _own_container(root) if known_post else None
    if own is not None and (own_body or post_body(root) is own):
        wrapper = _post_wrapper(own)
    else:
        wrapper = None
    main = _main_text_fallback(
        html if wrapper is None else f"<html><body>{_outer_html(wrapper)}</body></html>",
        url,
        recall=False,
    )
    if main is not None and chars < MIN_MAIN_TEXT_SHARE * len(main[1].strip()):
        return main, FALLBACK_EXTRACTOR
    return found, extractor


def _post_wrapper(container: Node) -> Node | None:
    """The element that holds the whole of one post around its body container: its
    ``article``, WordPress' ``type-post``, Blogger's ``post`` / ``post-outer``, hAtom's
    ``hentry``."""
    for ancestor in container.iterancestors():
        classes = (ancestor.get("class") or "").split()
        if ancestor.tag == "article" or POST_WRAPPER_CLASSES.intersection(classes):
            return ancestor
    return None


def _visible_chars(page: Node) -> int:
    """At least the length of any main text read from the page: its text but what no main text
    holds (:data:`NOT_MAIN_TEXT`: scripts, navigation, comments...)."""
    found = _outermost(node for selector in NOT_MAIN_TEXT for node in select(page, selector))
    return len(text_content(page)) - sum(len(text_content(node)) for node in found)


def _outermost(nodes: Iterable[Node]) -> list[Node]:
    """``nodes`` less those inside another of them, each once."""
    members = dict.fromkeys(nodes)
    return [
        node
        for node in members
        if not any(ancestor in members for ancestor in node.iterancestors())
    ]


def _for_the_general_extractor(html: str, url: str) -> str:
    """The page's HTML without its comments (as :func:`extract.comments.comment_elements` finds
    them) and its forms, for the general extractor, which knows fewer comment markups than we
    do: a comment is never the post's text, nor is a form (our bodies leave them out too). Each
    one's HTML is cut out of the page's, as lxml writes both (the shared tree is never
    changed)."""
    root = parse(html, url)
    cut = _outermost(  # an element inside another is cut with it
        [
            *comment_elements(root),
            *(node for selector in COMMENTS_AREAS for node in select(root, selector)),
            *select(root, "form"),
        ]
    )
    if not cut:
        return html
    page = _outer_html(root)
    for element in cut:
        page = page.replace(
            etree.tostring(element, encoding="unicode", method="html", with_tail=False), "", 1
        )
    return page


def _outer_html(element: Node) -> str:
    return etree.tostring(element, encoding="unicode", method="html")


# -- metadata -------------------------------------------------------------------------------------


def _title(root: Node, ld: _ArticleJsonLd) -> str | None:
    for selector in TITLE:
        for heading in select(root, selector):
            text = text_of(heading)
            if text:
                return text
    return _without_site_name(
        root,
        first_attr(root, TITLE_META)
        or _ld_text(ld, "headline")
        or _single_h1(root)
        or (normalize_space(root.findtext(".//title") or "") or None),
    )


def _without_site_name(root: Node, title: str | None) -> str | None:
    """A page title without the site's name that sites add to it ("Post | Site", "Site - Post"):
    the title less the Open Graph ``og:site_name`` at either end, or else the part of it that is
    one of the page's headings."""
    if not title:
        return title
    separators = list(TITLE_SEPARATOR.finditer(title))
    if not separators:
        return title
    site = normalize_space(first_attr(root, [("meta[property='og:site_name']", "content")]) or "")
    if site:
        first, last = separators[0], separators[-1]
        if normalize_space(title[last.end() :]).casefold() == site.casefold():
            return normalize_space(title[: last.start()]) or title
        if normalize_space(title[: first.start()]).casefold() == site.casefold():
            return normalize_space(title[first.end() :]) or title
    headings = {text_of(heading) for heading in root.iter("h1", "h2")}
    parts = (normalize_space(part) for part in TITLE_SEPARATOR.split(title))
    return next((part for part in parts if part and part in headings), title)


def _single_h1(root: Node) -> str | None:
    headings = [text_of(h) for h in root.iter("h1")]
    headings = [h for h in headings if h]
    return headings[0] if len(headings) == 1 else None


def _author(html: str, url: str, root: Node, ld: _ArticleJsonLd) -> str | None:
    """The post's author: from the template's byline, the JSON-LD article, trafilatura's
    reading of the page (bylines of many more templates), then the ``author`` meta tags (which
    often name the site)."""
    name = None
    for selector in AUTHOR:
        for node in select(root, selector):
            name = text_of(node)
            if name:
                break
        if name:
            break
    name = name or _ld_author(ld) or _general_author(html, url) or first_attr(root, AUTHOR_META)
    if not name or name.startswith("http"):
        return None
    return BYLINE_PREFIX.sub("", name).strip() or None


def _general_author(html: str, url: str) -> str | None:
    import trafilatura  # imported here: most posts name their author in their markup

    try:
        # (its date search is the cheap one: the author is all that is read of it)
        metadata = trafilatura.extract_metadata(html, default_url=url, extensive=False)
    except Exception:  # htmldate, which it runs, raises on some malformed pages: no author
        return None
    return normalize_space(metadata.author or "") or None if metadata is not None else None


class _ArticleJsonLd:
    """The page's JSON-LD article, read when a value is first asked for: most pages' markup
    answers every question, and a site's JSON-LD graph can be larger than its post."""

    __slots__ = ("_item", "_root")

    def __init__(self, root: Node) -> None:
        self._root = root
        self._item: dict[str, Any] | None = None

    def get(self, key: str) -> Any:
        if self._item is None:
            self._item = _json_ld_article(self._root)
        return self._item.get(key)


def _json_ld_article(root: Node) -> dict[str, Any]:
    """The first Article / BlogPosting object of the page's JSON-LD, or ``{}``."""
    for script in select(root, "script[type='application/ld+json']"):
        text = script.text or ""
        if not any(name in text for name in ARTICLE_TYPE_WORDS):
            continue  # no article in it: not worth parsing
        try:
            data = json.loads(text)
        except ValueError:
            continue
        items = _ld_items(data)
        for item in items:
            types = item.get("@type")
            types = types if isinstance(types, list) else [types]
            if ARTICLE_TYPES & {t for t in types if isinstance(t, str)}:
                return _with_author_resolved(item, items)
    return {}


def _with_author_resolved(item: dict[str, Any], items: list[dict[str, Any]]) -> dict[str, Any]:
    """``item`` whose author, given as a reference to another node of its graph (``{"@id":
    ...}``, as Yoast SEO writes it), is that node."""
    author = item.get("author")
    if isinstance(author, list):
        author = author[0] if author else None
    if not isinstance(author, dict) or "name" in author or "@id" not in author:
        return item
    node = next((other for other in items if other.get("@id") == author["@id"]), None)
    return {**item, "author": node} if node is not None else item


def _ld_items(data: Any) -> list[dict[str, Any]]:
    if isinstance(data, list):
        return [item for entry in data for item in _ld_items(entry)]
    if isinstance(data, dict):
        return [data, *_ld_items(data.get("@graph", []))]
    return []


def _ld_text(ld: _ArticleJsonLd, key: str) -> str | None:
    value = ld.get(key)
    return normalize_space(value) or None if isinstance(value, str) else None


def _ld_author(ld: _ArticleJsonLd) -> str | None:
    author = ld.get("author")
    if isinstance(author, list):
        author = author[0] if author else None
    if isinstance(author, dict):
        author = author.get("name")
    return normalize_space(author) or None if isinstance(author, str) else None


def _first_time(root: Node, selectors: tuple[tuple[str, str], ...]) -> str | None:
    """The first value of ``selectors`` that is an ISO 8601 date or time (as the page gives it),
    outside the comments and the lists of related posts (their dates are theirs)."""
    for selector, attribute in selectors:
        for element in select(root, selector):
            value = _iso(element.get(attribute))
            if value and not _in_comments(element) and not _in_related(element):
                return value
    return None


def _in_related(node: Node) -> bool:
    """Whether ``node`` is in a block of related posts (``related-posts``, ``yarpp``...)."""
    return any(
        not RELATED_WORDS.isdisjoint(_boilerplate_words(element))
        for element in node.iterancestors()
    )


def _iso(value: str | None) -> str | None:
    value = (value or "").strip()
    return value if ISO_DATE.match(value) else None


def _find_date(html: str, url: str) -> str | None:
    """The publication date htmldate finds (URL, markup, then the page's text: its extensive
    search finds a date on many pages whose markup gives none), as YYYY-MM-DD."""
    from htmldate import find_date  # imported here: only pages without dated markup need it

    try:
        return find_date(html, url=url, original_date=True, extensive_search=True)
    except Exception:  # htmldate raises on some malformed pages; no date is the answer
        return None


def _labels(root: Node) -> tuple[str, ...]:
    for selector in LABELS:
        labels = [text_of(link) for link in select(root, selector)]
        labels = [label for label in labels if label]
        if labels:
            return tuple(dict.fromkeys(labels))
    return ()


def _comment_count(root: Node) -> int | None:
    # Blogger's 2017+ themes state it in an attribute; their heading may say only "Comments"
    stated = first_attr(root, [(COMMENT_COUNT_ATTRIBUTE, "data-num-comments")])
    if stated is not None and stated.strip().isdigit():
        return int(stated)
    for selector in COMMENT_COUNT:
        for heading in select(root, selector):
            count = parse_count(text_of(heading))
            if count is not None:
                return count
    # WordPress themes title the comments only when there are some: a comments area that holds
    # its reply form and no comment shows a post without comments
    if any(select(root, selector) for selector in COMMENT_FORM) and not any(
        select(root, selector) for selector in COMMENT_ITEMS
    ):
        return 0
    return None


def parse_count(text: str) -> int | None:
    """The number a heading such as "0 comments:", "One thought on …" or "1,204 Comments" states."""
    match = FIRST_NUMBER.search(text)
    if match:
        return int(re.sub(r"[,.]", "", match.group()))
    first_word = text.strip().split(" ", 1)[0].lower()
    if first_word in COUNT_WORDS and COMMENT_WORD.search(text):
        return COUNT_WORDS[first_word]
    return None


def _platform_id(root: Node) -> str | None:
    value = first_attr(root, POST_ID)
    if value is None:
        return None
    digits = re.search(r"\d+", value)
    return digits.group() if digits else value


#: Links from an index page to the next (older) one. Blogger's go to /search, which its
#: robots.txt disallows: only the other platforms' are followed.
INDEX_LINKS: Final = (
    "a.next.page-numbers",
    "link[rel=next]",
    ".nav-links .nav-previous a",
    ".older-posts a",
)


def index_links(html: str, url: str) -> tuple[str, ...]:
    """The next index pages an index page links to (same origin, never a post)."""
    root = parse(html, url)
    host = urlsplit(url).netloc
    links = [
        canonical_url(href)
        for selector in INDEX_LINKS
        for link in select(root, selector)
        if (href := absolute(url, link.get("href"))) and urlsplit(href).netloc == host
    ]
    return tuple(dict.fromkeys(link for link in links if not may_be_post(link)))


#: Links to files that are not pages.
NOT_PAGES: Final = re.compile(
    r"\.(jpe?g|png|gif|webp|svg|ico|css|js|pdf|zip|gz|mp3|mp4|mov|avi|docx?|xlsx?|pptx?|xml|rss)$",
    re.IGNORECASE,
)


def site_links(html: str, url: str) -> tuple[str, ...]:
    """Every link to a page of the same origin that may be a post, canonical, in page order
    (how a blog on no known platform is explored; label, search and archive pages excluded)."""
    pages = _same_origin_pages(url, parse(html, url).iter("a"))
    return tuple(dict.fromkeys(link for link in pages if may_be_post(link)))


def _same_origin_pages(url: str, anchors: Iterable[Node]) -> Iterator[str]:
    """The canonical http(s) addresses on ``url``'s origin that ``anchors`` link to, in their
    order, but for files that are no pages (images, archives, documents)."""
    host = urlsplit(url).netloc
    for anchor in anchors:
        href = absolute(url, anchor.get("href"))
        if not href:
            continue
        parts = urlsplit(href)
        if parts.netloc != host or parts.scheme not in ("http", "https"):
            continue
        link = canonical_url(href)
        if not NOT_PAGES.search(urlsplit(link).path):
            yield link


#: Links to a blog's static pages (About, Contact), whose forms the archive keeps: its menus,
#: in the order tried (themes' navigation, WordPress' menus, Blogger's Pages widget).
MENU_LINKS: Final = ("nav a", ".menu a", ".menu-item a", "#PageList1 a", ".PageList a")
#: Menu links that lead to no static page: search, feeds, label and archive views, admin.
MENU_SKIP: Final = re.compile(
    r"/(search|feeds?|comments|tag|category|author|page|wp-admin|wp-content|wp-json|wp-login"
    r"|\d{4})(/|$|\.php)"
)
#: The most menu links followed from a home page.
MENU_LINKS_MAX: Final = 30


def menu_links(html: str, url: str) -> tuple[str, ...]:
    """The same-origin pages a blog's menus link to (its home, feeds and files aside), in page
    order, canonical: static pages, whose forms are part of the archive though they are no
    posts."""
    root = parse(html, url)
    home = canonical_url(url)
    anchors = (link for selector in MENU_LINKS for link in select(root, selector))
    links = [
        page
        for page in _same_origin_pages(url, anchors)
        if page != home and not MENU_SKIP.match(path := urlsplit(page).path) and path != "/"
    ]
    return tuple(dict.fromkeys(links))[:MENU_LINKS_MAX]


def post_links(html: str, url: str) -> tuple[str, ...]:
    """Permalinks of the posts that an index, label or archive page lists, in page order."""
    root = parse(html, url)
    host = urlsplit(url).netloc
    links: list[str] = []
    for selector in POST_LINKS:
        for link in select(root, selector):
            href = absolute(url, link.get("href"))
            if href and urlsplit(href).netloc == host and may_be_post(href):
                links.append(canonical_url(href))
    return tuple(dict.fromkeys(links))
