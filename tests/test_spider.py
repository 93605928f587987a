"""The spider's callbacks on saved responses: which requests and items each page leads to."""

from __future__ import annotations

import asyncio
import dataclasses
import gzip
import inspect
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from scrapy.http import HtmlResponse, Request, Response, TextResponse
from scrapy.utils.test import get_crawler
from twisted.python.failure import Failure

from blogarchive.items import BlogItem, CommentsSeenItem, FormsItem, PageItem, PostItem
from extract.feeds import FeedEntry
from spiders.blog import BlogSpider

FIXTURES = Path(__file__).parent / "fixtures"
CLASSIC_HOME = "http://127.0.0.2:8780/"


def make_spider(**settings: Any) -> BlogSpider:
    # extraction in this process: each callback's awaits run in an event loop of their own
    defaults = {"BLOGARCHIVE_DEPTH": 1, "BLOGARCHIVE_EXTRACT_PROCESSES": 0}
    crawler = get_crawler(BlogSpider, {**defaults, **settings})
    spider = BlogSpider.from_crawler(crawler, url=CLASSIC_HOME)
    crawler.spider = spider
    spider.platform_of[CLASSIC_HOME] = "blogger"  # as its home page, read first, says
    return spider


def response_for(
    case: str, url: str, *, kind: str, edit: Callable[[str], str] | None = None
) -> HtmlResponse:
    text = (FIXTURES / case / "input.html").read_text(encoding="utf-8")
    body = (edit(text) if edit else text).encode("utf-8")
    request = Request(url, meta={"blog": CLASSIC_HOME, "kind": kind})
    return HtmlResponse(
        url,
        body=body,
        encoding="utf-8",
        request=request,
        headers={"Content-Type": "text/html; charset=UTF-8"},
    )


def split(results: Any) -> tuple[list[Request], list[Any]]:
    """A callback's requests and items; an async callback's (its extraction awaited: in this
    process, as the spider has no extraction processes here) too."""
    if inspect.isasyncgen(results):

        async def collect() -> list[Any]:
            return [result async for result in results]

        results = asyncio.run(collect())
    results = list(results)
    return [r for r in results if isinstance(r, Request)], [
        r for r in results if not isinstance(r, Request)
    ]


def test_blogger_home_leads_to_feed_sitemap_posts_and_listed_blogs() -> None:
    spider = make_spider()
    spider.depth_of[CLASSIC_HOME] = 0
    requests, items = split(
        spider.parse_home(response_for("bloglist/blogger-bloglist", CLASSIC_HOME, kind="home"))
    )
    urls = [r.url for r in requests]
    assert f"{CLASSIC_HOME}feeds/posts/default?start-index=1&max-results=150" in urls
    # (its sitemap waits for the feed: only a feed that lists fewer posts than it counts needs it)
    assert f"{CLASSIC_HOME}sitemap.xml" not in urls and CLASSIC_HOME in spider.after_feed
    assert f"{CLASSIC_HOME}2010/03/miller-heiman-round-table-discussions_08.html" in urls
    assert "http://127.0.0.3:8780/" in urls and "http://127.0.0.4:8780/" in urls
    assert not [u for u in urls if "/search" in u]  # the "Older Posts" link is robots-disallowed
    assert not [u for u in urls if u[-9:] == "/2010/03/"]  # archive pages are not posts
    [blog] = [i for i in items if isinstance(i, BlogItem)]
    assert blog.status == "ok" and blog.platform == "blogger" and len(blog.links) == 2
    assert any(isinstance(i, PageItem) and i.kind == "home" for i in items)
    assert any(isinstance(i, FormsItem) for i in items)


def test_a_blogger_sitemap_is_asked_only_where_the_feed_lists_fewer_posts_than_it_counts() -> None:
    spider = make_spider()
    report = spider.report_for(CLASSIC_HOME)
    report.add_found("feed", [f"{CLASSIC_HOME}2010/03/a.html", f"{CLASSIC_HOME}2010/03/b.html"])
    report.stated = 2
    spider.after_feed[CLASSIC_HOME] = ()
    assert list(spider.release(CLASSIC_HOME)) == []
    report.stated = 3  # (or a feed that failed, or stopped short)
    spider.after_feed[CLASSIC_HOME] = ()
    assert [r.url for r in spider.release(CLASSIC_HOME)] == [f"{CLASSIC_HOME}sitemap.xml"]
    assert CLASSIC_HOME not in spider.after_feed  # (asked once)


def test_blog_list_is_not_followed_beyond_the_depth() -> None:
    spider = make_spider(BLOGARCHIVE_DEPTH=0)
    spider.depth_of[CLASSIC_HOME] = 0
    requests, _ = split(
        spider.parse_home(response_for("bloglist/blogger-bloglist", CLASSIC_HOME, kind="home"))
    )
    assert not [r for r in requests if r.url.startswith("http://127.0.0.3")]


def test_each_seed_s_limits_hold_for_its_blogs_alone() -> None:
    """A distributed crawl's seeds each carry their depth and page cap: a seed handed over
    after another does not change the first one's, and the blogs a seed's blog list names take
    its limits; the requests carry them, for the worker that reads the answer."""
    spider = make_spider(BLOGARCHIVE_DEPTH=5, BLOGARCHIVE_MAX_PAGES_PER_BLOG=0)
    other = "http://127.0.0.9:8780/"
    [home] = spider.seed(CLASSIC_HOME, depth=0, max_pages=1)
    assert home.meta["limits"] == (0, 1)
    assert [r.url for r in spider.seed(other, depth=1, max_pages=0)] == [other]
    post = f"{CLASSIC_HOME}2010/03/a-post.html"
    assert list(spider.post_requests([post], CLASSIC_HOME)) == []  # the home took its one page
    assert [r.url for r in spider.post_requests([f"{other}2010/03/a.html"], other)]
    # its depth of 0: the blog list of the first seed's home is not followed
    home_response = response_for("bloglist/blogger-bloglist", CLASSIC_HOME, kind="home")
    home_response.meta["limits"] = home.meta["limits"]
    requests, _ = split(spider.parse_home(home_response))
    assert not [r for r in requests if r.url.startswith("http://127.0.0.3")]
    # a worker that never saw the seed learns its limits from the answer
    worker = make_spider(BLOGARCHIVE_DEPTH=5, BLOGARCHIVE_MAX_PAGES_PER_BLOG=0)
    worker.depth_of[CLASSIC_HOME] = 0
    requests, _ = split(worker.parse_home(home_response))
    assert worker.limits_of(CLASSIC_HOME) == (0, 1)
    assert not [r for r in requests if r.url.startswith("http://127.0.0.3")]
    # the blogs a seed's list names take its limits
    spider = make_spider(BLOGARCHIVE_DEPTH=0, BLOGARCHIVE_MAX_PAGES_PER_BLOG=0)
    [home] = spider.seed(CLASSIC_HOME, depth=1, max_pages=7)
    home_response.meta["limits"] = home.meta["limits"]
    requests, _ = split(spider.parse_home(home_response))
    [listed] = [r for r in requests if r.url == "http://127.0.0.3:8780/"]
    assert listed.meta["limits"] == (1, 7)


def test_each_blog_is_requested_once() -> None:
    spider = make_spider()
    assert spider.blog_request("http://127.0.0.3:8780/2019/05/x.html", depth=1) is not None
    assert spider.blog_request("http://127.0.0.3:8780/", depth=1) is None


def test_post_page_gives_a_post_item_with_everything_on_it() -> None:
    spider = make_spider()
    url = f"{CLASSIC_HOME}2010/03/miller-heiman-round-table-discussions_08.html"
    _, items = split(spider.parse_page(response_for("post/blogger-classic-seed", url, kind="post")))
    [post] = [i for i in items if isinstance(i, PostItem)]
    assert post.post.title == "Miller Heiman: Round Table Discussions Part 2"
    assert len(post.key_observations) == 3
    assert any(f.field_count == 13 for f in post.forms)
    [page] = [i for i in items if isinstance(i, PageItem)]
    assert page.kind == "post" and page.body and page.url == url


WORDPRESS_HOME = "http://127.0.0.4:8780/"
WORDPRESS_POST = f"{WORDPRESS_HOME}2021/09/20/negotiation-is-a-process/"


@pytest.mark.parametrize(
    ("answered", "canonical", "kept"),
    [
        (WORDPRESS_POST, WORDPRESS_POST, WORDPRESS_POST),
        (WORDPRESS_POST, "https://127.0.0.4:8780/2021/09/20/negotiation-is-a-process/", None),
        (WORDPRESS_POST, "https://medium.example/p/negotiation-3f1c", WORDPRESS_POST),  # a copy's
        (WORDPRESS_POST, WORDPRESS_HOME, WORDPRESS_POST),  # an SEO plugin's, on every page
        (WORDPRESS_POST, f"{WORDPRESS_HOME}category/negotiation/", WORDPRESS_POST),
        # a theme that names one post on every page: two permalinks are two posts
        (WORDPRESS_POST, f"{WORDPRESS_HOME}2021/09/21/a-newer-post/", WORDPRESS_POST),
        (f"{WORDPRESS_POST}amp/", WORDPRESS_POST, None),  # the post's own pages
        (f"{WORDPRESS_POST}comment-page-2/", WORDPRESS_POST, None),
        (f"{WORDPRESS_HOME}?p=7", WORDPRESS_POST, None),  # an address that is no permalink
    ],
)
def test_a_post_is_archived_where_it_answered_unless_its_canonical_may_be_its_own(
    answered: str, canonical: str, kept: str | None
) -> None:
    """A page's canonical address names the post, where it may be the post's own (its
    ``https`` or ``www.`` variant, its AMP page's, the permalink of a ``?p=ID``); not where it
    is another site's, the blog's home page, an address that is no post's or another
    permalink: every post would be one row."""
    spider = make_spider()
    spider.platform_of[WORDPRESS_HOME] = "wordpress"
    original = f'<link rel="canonical" href="{WORDPRESS_POST}"/>'

    def edit(text: str) -> str:
        assert original in text
        return text.replace(original, f'<link rel="canonical" href="{canonical}"/>')

    page = response_for("post/wordpress-core", answered, kind="post", edit=edit)
    # (decided as it is: a page that names another permalink waits for that page once)
    page.request.meta.update(blog=WORDPRESS_HOME, alias_checked=True)  # type: ignore[union-attr]
    _, items = split(spider.parse_page(page))
    [item] = [i for i in items if isinstance(i, PostItem)]
    assert item.post.url == (kept or canonical)


def wordpress_page(url: str, edit: Any = None, **meta: Any) -> HtmlResponse:
    page = response_for("post/wordpress-core", url, kind="post", edit=edit)
    page.request.meta.update({"blog": WORDPRESS_HOME, **meta})  # type: ignore[union-attr]
    return page


def test_a_page_showing_the_text_archived_at_the_permalink_it_names_canonical_is_that_post() -> (
    None
):
    """An alias (an old slug answered without a redirect) is the post its canonical address
    names where it shows the text archived there; a page with a text of its own that names it
    is a post of its own. Read before its canonical page, it waits for it: asked for again
    once that page is read, it is that post, not a second row of the same text."""
    spider = make_spider()
    spider.platform_of[WORDPRESS_HOME] = "wordpress"
    alias = f"{WORDPRESS_HOME}2021/09/20/negotiation/"
    other = f"{WORDPRESS_HOME}2021/09/22/a-newer-post/"

    requests, items = split(spider.parse_page(wordpress_page(alias)))
    assert not [i for i in items if isinstance(i, PostItem)]
    [first] = requests
    assert (first.url, first.callback) == (WORDPRESS_POST, spider.parse_canonical)
    assert first.dont_filter  # (its answer is what the alias waits for, asked before or not)

    requests, items = split(spider.parse_canonical(wordpress_page(WORDPRESS_POST, **first.meta)))
    [canonical] = [i for i in items if isinstance(i, PostItem)]
    assert canonical.post.url == WORDPRESS_POST
    [again] = [r for r in requests if r.meta.get("alias_checked")]
    assert again.url == alias and again.dont_filter

    requests, items = split(spider.parse_page(wordpress_page(alias, **again.meta)))
    [item] = [i for i in items if isinstance(i, PostItem)]
    assert item.post.url == WORDPRESS_POST and alias in item.addresses
    assert not [r for r in requests if r.callback == spider.parse_canonical]

    # (its canonical page read now: a page with a text of its own is decided at once)
    def own_text(text: str) -> str:
        return text.replace("Most negotiations", "Some negotiations")

    requests, items = split(spider.parse_page(wordpress_page(other, edit=own_text)))
    [item] = [i for i in items if isinstance(i, PostItem)]
    assert item.post.url == other


def test_a_page_that_names_another_permalink_waits_only_where_the_blog_s_limits_leave_room() -> (
    None
):
    """Waiting costs two requests (the named page, this one again): with room for one, the
    page is decided as it is, archived where it answered, rather than left unread."""
    spider = make_spider()
    spider.platform_of[WORDPRESS_HOME] = "wordpress"
    spider.limits[WORDPRESS_HOME] = (0, 10)  # (--max-pages 10)
    spider.pages_of[WORDPRESS_HOME] = 9  # (room for one more request)
    alias = f"{WORDPRESS_HOME}2021/09/20/negotiation/"
    requests, items = split(spider.parse_page(wordpress_page(alias)))
    [item] = [i for i in items if isinstance(i, PostItem)]
    assert item.post.url == alias
    assert not [r for r in requests if r.callback == spider.parse_canonical]
    spider.pages_of[WORDPRESS_HOME] = 8  # room for both: it waits
    [first], _ = split(spider.parse_page(wordpress_page(alias)))
    assert first.callback == spider.parse_canonical


def test_a_canonical_address_that_redirects_to_the_waiting_page_reads_it_once() -> None:
    """The named address redirects to the page that waited for it: that answer is the post
    at the canonical address, the waiting page among its addresses, and it is not asked for
    again (it would be a second row of the same text)."""
    spider = make_spider()
    spider.platform_of[WORDPRESS_HOME] = "wordpress"
    alias = f"{WORDPRESS_HOME}2021/09/20/negotiation/"
    [first], _ = split(spider.parse_page(wordpress_page(alias)))
    answer = wordpress_page(alias, **first.meta)
    answer.request.meta["redirect_urls"] = [WORDPRESS_POST]  # type: ignore[union-attr]
    requests, items = split(spider.parse_canonical(answer))
    [item] = [i for i in items if isinstance(i, PostItem)]
    assert item.post.url == WORDPRESS_POST and alias in item.addresses
    assert not [r for r in requests if r.meta.get("alias_checked")]


def test_a_page_waiting_for_its_canonical_page_is_decided_when_that_page_fails() -> None:
    """The canonical page an alias named fails: the alias is asked for again all the same,
    and archived where it answered (nothing else shows that text), never waiting twice."""
    spider = make_spider()
    spider.platform_of[WORDPRESS_HOME] = "wordpress"
    alias = f"{WORDPRESS_HOME}2021/09/20/negotiation/"
    [first], _ = split(spider.parse_page(wordpress_page(alias)))
    failure = Failure(ConnectionRefusedError("Connection was refused by other side"))
    failure.request = first  # type: ignore[attr-defined]

    requests, items = split(first.errback(failure))
    [again] = [r for r in requests if r.meta.get("alias_checked")]
    assert again.url == alias
    [page] = [i for i in items if isinstance(i, PageItem)]
    assert page.url == WORDPRESS_POST and page.error

    requests, items = split(spider.parse_page(wordpress_page(alias, **again.meta)))
    [item] = [i for i in items if isinstance(i, PostItem)]
    assert item.post.url == alias
    assert not [r for r in requests if r.callback == spider.parse_canonical]


#: The address the fixture ``comments/blogger-threaded`` names as its canonical one.
THREADED_POST = f"{CLASSIC_HOME}2010/03/miller-heiman-round-table-discussions.html"


def test_a_blogger_page_that_shows_every_comment_and_its_time_asks_no_feed() -> None:
    """Its page gives what the feed would: each comment, its parent, its time in the blog's
    offset to the millisecond. No feed is asked, and the archive's other comments are gone."""
    url = THREADED_POST
    requests, items = split(
        make_spider().parse_page(response_for("comments/blogger-threaded", url, kind="post"))
    )
    [post] = [i for i in items if isinstance(i, PostItem)]
    assert len(post.comments) == post.post.comment_count == 4
    assert post.comments[0].published == "2010-03-02T09:45:00.000-08:00"
    assert not [r for r in requests if "/comments/" in r.url]
    [seen] = [i for i in items if isinstance(i, CommentsSeenItem)]
    assert len(seen.platform_ids) == 4


def _dates_only(html: str) -> str:
    """The page as a blog whose comment time format shows no time of day shows it."""
    return re.sub(r"(\d{4}) at \d{1,2}:\d{2} [AP]M", r"\1", html)


def test_a_blogger_page_that_shows_no_comment_times_waits_for_its_blog_s_feed() -> None:
    """Dates only: the blog-wide comment feed is asked for (once), and the post's comments
    wait for it, the page's kept should it fail."""
    url = THREADED_POST
    spider = make_spider()
    response = response_for("comments/blogger-threaded", url, kind="post", edit=_dates_only)
    requests, items = split(spider.parse_page(response))
    [post] = [i for i in items if isinstance(i, PostItem)]
    assert post.comments == ()
    assert [r.url for r in requests if "/comments/" in r.url] == [
        f"{CLASSIC_HOME}feeds/comments/default?start-index=1&max-results=150"
    ]
    [waiting] = spider.blog_comments.release(CLASSIC_HOME)
    assert waiting.url == post.post.url and waiting.shown is not None and len(waiting.shown) == 4


def test_a_blogger_page_that_shows_fewer_comments_than_it_counts_reads_the_post_s_feed() -> None:
    """Times shown, but not every comment: the post's own feed (one request, not the whole
    blog's), carrying the page's comments should it fail."""
    url = THREADED_POST
    response = response_for(
        "comments/blogger-threaded",
        url,
        kind="post",
        edit=lambda h: h.replace("4 comments:", "205 comments:"),
    )
    requests, items = split(make_spider().parse_page(response))
    [post] = [i for i in items if isinstance(i, PostItem)]
    assert post.comments == () and post.post.comment_count == 205
    [feed] = [r for r in requests if "/comments/" in r.url]
    assert "/feeds/" in feed.url and "/comments/default?start-index=1" in feed.url
    assert feed.meta["page_url"] == url and len(feed.meta["shown_comments"]) == 4


def test_the_crawl_reads_a_blog_list_on_the_home_page_only() -> None:
    """A post page's extraction in the crawl leaves the blog list out (the home page's is the one
    followed); the page's own extraction has it."""
    from blogarchive.pageitems import extract_post_page
    from extract import extract_page

    html = (FIXTURES / "bloglist/blogger-bloglist/input.html").read_text()
    url = f"{CLASSIC_HOME}2010/03/a-post.html"
    page, _ = extract_post_page(html, url, "blogger")
    assert page.blog_links == () and len(extract_page(html, url).blog_links) == 2


def test_a_blogger_post_whose_feed_the_page_cap_leaves_out_keeps_its_page_s_comments() -> None:
    url = THREADED_POST
    spider = make_spider(BLOGARCHIVE_MAX_PAGES_PER_BLOG=1)
    spider.pages_of[CLASSIC_HOME] = 1  # the page itself took the last place
    requests, items = split(
        spider.parse_page(response_for("comments/blogger-threaded", url, kind="post"))
    )
    [post] = [i for i in items if isinstance(i, PostItem)]
    assert len(post.comments) == 4
    assert not [r for r in requests if "/comments/default" in r.url]


def test_a_post_page_asks_only_for_posts_not_asked_for_before() -> None:
    """Its own link and a neighbour the feed asked for are not asked for again (the duplicate
    filter would drop them, at a cost); both still count as found by the html route."""
    url = f"{CLASSIC_HOME}2010/03/miller-heiman-round-table-discussions_08.html"
    neighbour = f"{CLASSIC_HOME}2010/03/miller-heiman-round-table-discussions.html"
    page = response_for("post/blogger-classic-seed", url, kind="post")
    spider = make_spider()
    requests, _ = split(spider.parse_page(page))
    assert [r.url for r in requests] == [neighbour]  # not the page itself
    spider = make_spider()
    spider.report_for(CLASSIC_HOME).add_found("feed", [neighbour])
    assert [r.url for r in spider.post_requests([neighbour], CLASSIC_HOME)] == [neighbour]
    requests, _ = split(spider.parse_page(page))
    assert requests == []
    assert spider.report_for(CLASSIC_HOME).summary()["found"] == {"feed": 1, "html": 2}


def test_an_index_page_asks_for_the_posts_it_lists() -> None:
    """An index page notes its links as found by the index route, and asks for those no
    route asked for before; a sitemap read after it asks for none of them again."""
    spider = make_spider()
    spider.platform_of[CLASSIC_HOME] = "wordpress"
    posts = [f"{CLASSIC_HOME}2024/01/0{n}/note-{n}/" for n in (1, 2, 3)]
    list(spider.post_requests(posts[:1], CLASSIC_HOME))  # (a feed's)
    links = "".join(f'<h2 class="entry-title"><a href="{url}">{url}</a></h2>' for url in posts)
    index = f"{CLASSIC_HOME}page/2/"
    request = Request(index, meta={"blog": CLASSIC_HOME, "kind": "index"})
    page = HtmlResponse(index, body=f"<html><body>{links}</body></html>".encode(),
                        encoding="utf-8", request=request)  # fmt: skip
    requests, _ = split(spider.parse_index(page))
    assert [r.url for r in requests if r.meta["kind"] == "post"] == posts[1:]
    entries = "".join(f"<url><loc>{url}</loc></url>" for url in posts)
    body = f'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{entries}</urlset>'
    requests, _ = split(spider.parse_sitemap(sitemap_response(body.encode())))
    assert requests == []


def test_a_found_post_s_other_pages_of_comments_are_still_asked_for() -> None:
    spider = make_spider()
    home = "http://127.0.0.4:8780/"
    post = f"{home}2024/05/a-post/"
    spider.report_for(home).add_found("feed", [post])
    assert len(list(spider.post_requests([post], home))) == 1  # (the feed's)
    requests = list(
        spider.linked_posts((post, f"{post}comment-page-2/", f"{post}comment-page-2/"), home, home)
    )
    assert [r.url for r in requests] == [f"{post}comment-page-2/"]


def test_static_page_gives_forms_but_no_post() -> None:
    spider = make_spider()
    url = "http://127.0.0.4:8780/contact/"
    _, items = split(spider.parse_page(response_for("forms/contact-form-7", url, kind="post")))
    assert not [i for i in items if isinstance(i, PostItem)]
    [forms] = [i for i in items if isinstance(i, FormsItem)]
    assert {f.purpose for f in forms.forms} == {"contact", "search"}
    assert [i.kind for i in items if isinstance(i, PageItem)] == ["page"]


def test_feed_entries_become_post_requests_and_next_page_is_followed() -> None:
    spider = make_spider()
    home = CLASSIC_HOME
    feed = f"""<?xml version='1.0' encoding='UTF-8'?>
<feed xmlns='http://www.w3.org/2005/Atom' xmlns:openSearch='http://a9.com/-/spec/opensearchrss/1.0/'>
<openSearch:totalResults>3</openSearch:totalResults>
<link rel='next' href='{home}feeds/posts/default?start-index=3&amp;max-results=2'/>
<entry><id>a</id><link rel='alternate' type='text/html' href='{home}2010/01/a.html?m=1'/></entry>
<entry><id>b</id><link rel='alternate' type='text/html' href='{home}2010/01/b.html'/></entry>
</feed>""".encode()
    url = f"{CLASSIC_HOME}feeds/posts/default?start-index=1&max-results=2"
    response = TextResponse(
        url,
        body=feed,
        encoding="utf-8",
        request=Request(url, meta={"blog": CLASSIC_HOME, "kind": "feed"}),
    )
    requests, items = split(spider.parse_feed(response))
    assert [r.url for r in requests] == [
        f"{CLASSIC_HOME}2010/01/a.html",  # ?m=1 (the mobile view) is the same post
        f"{CLASSIC_HOME}2010/01/b.html",
        f"{CLASSIC_HOME}feeds/posts/default?start-index=3&max-results=2",
    ]
    assert spider.report_for(CLASSIC_HOME).stated == 3
    assert [i.kind for i in items] == ["feed"]


def test_per_blog_page_cap() -> None:
    spider = make_spider(BLOGARCHIVE_MAX_PAGES_PER_BLOG=2)
    made = [
        spider.page_request(f"{CLASSIC_HOME}p{n}", CLASSIC_HOME, "post", spider.parse_page)
        for n in range(4)
    ]
    assert [m is not None for m in made] == [True, True, False, False]
    assert spider.crawler.stats.get_value("blogarchive/capped") == 2


def archive_with_a_post(path: Path, post: str, comments: int, checked: str) -> None:
    """An archive holding one post of CLASSIC_HOME with ``comments`` comments, its page last
    answering at ``checked``."""
    from blogarchive.archive import blog_id_for, open_database, post_id_for

    db = open_database(path)
    db["blogs"].insert({"id": blog_id_for(CLASSIC_HOME), "url": CLASSIC_HOME})
    db["posts"].insert({"id": post_id_for(post), "blog_id": blog_id_for(CLASSIC_HOME), "url": post})
    for n in range(comments):
        db["comments"].insert({"id": f"c{n}", "post_id": post_id_for(post)})
    db["pages"].insert({"url": post, "status": 200, "fetched_at": checked})
    db.close()


def refresh_spider(archive: Path) -> BlogSpider:
    """A refresh's spider on ``archive``, started (its archived posts wait for their feed)."""
    import asyncio

    crawler = get_crawler(BlogSpider, {})
    spider = BlogSpider.from_crawler(crawler, refresh_from=str(archive))  # no -a url

    async def start() -> list[Any]:
        return [request async for request in spider.start()]

    requests = asyncio.run(start())
    assert [r.url for r in requests] == [CLASSIC_HOME]  # its home; the post waits for the feed
    return spider


def test_a_feed_entry_vouches_for_a_post_only_when_dated_well_before_its_check(
    tmp_path: Path,
) -> None:
    post = f"{CLASSIC_HOME}2010/03/a-post.html"
    archive_with_a_post(tmp_path / "archive.db", post, 2, "2026-11-27T12:00:00+00:00")
    spider = refresh_spider(tmp_path / "archive.db")

    def entry(updated: str | None, comments: int | None = 2) -> FeedEntry:
        return FeedEntry(
            url=post, id=None, platform_id="1", title="A post", published=None,
            updated=updated, comment_count=comments,
        )  # fmt: skip

    def vouches(entry: FeedEntry) -> bool:
        assert spider.trust is not None
        state = spider.trust.archived.states([entry.url]).get(entry.url)
        return spider.trust.vouches(entry.url, entry, state)

    assert vouches(entry("2026-11-27T03:00:00.000-08:00"))  # 11:00 UTC: an hour before
    assert not vouches(entry("2026-11-27T03:30:00.000-08:00"))  # within the margin
    assert not vouches(entry("2026-11-27T13:00:00+00:00"))  # edited after the check
    assert not vouches(entry("2010-03-01T10:00:00-08:00", comments=3))  # a new comment
    assert not vouches(entry("2010-03-01T10:00:00-08:00", comments=None))
    assert not vouches(entry("2010-03-01T10:00:00"))  # no offset: no comparison
    assert not vouches(entry(None))
    assert not vouches(dataclasses.replace(entry("2010-03-01T10:00:00Z"), url=post + "x"))
    spider.close_reports()


def test_a_refresh_asks_for_the_archived_posts_its_feed_does_not_vouch_for(
    tmp_path: Path,
) -> None:
    """The archived post waits for the feed; a feed entry that vouches keeps it from being
    asked for; once released, a post no entry vouched for is asked for, and only once."""
    from extract.feeds import Feed

    post = f"{CLASSIC_HOME}2010/03/a-post.html"
    other = f"{CLASSIC_HOME}2010/04/b-post.html"
    archive_with_a_post(tmp_path / "archive.db", post, 0, "2026-11-27T12:00:00+00:00")
    spider = refresh_spider(tmp_path / "archive.db")
    assert spider.trust is not None and spider.trust.pending is not None
    assert spider.trust.pending.waits([post]) == {post}
    assert [r.url for r in spider.post_requests([post, other], CLASSIC_HOME)] == [other]
    unchanged = FeedEntry(
        url=post, id=None, platform_id="1", title="A post", published=None,
        updated="2010-03-01T10:00:00Z", comment_count=0,
    )  # fmt: skip
    feed = Feed(url=f"{CLASSIC_HOME}feeds/posts/default", title=None, entries=(unchanged,),
                total=1, next_url=None, ok=True)  # fmt: skip
    seen = list(spider.vouch(CLASSIC_HOME, feed))
    assert [item.urls for item in seen] == [(post,)]
    assert list(spider.release(CLASSIC_HOME)) == []  # vouched for: not asked
    assert list(spider.post_requests([post], CLASSIC_HOME)) == []
    spider.close_reports()

    archive_with_a_post(tmp_path / "edited.db", post, 0, "2026-11-27T12:00:00+00:00")
    spider = refresh_spider(tmp_path / "edited.db")
    edited = dataclasses.replace(unchanged, updated="2026-11-27T12:30:00Z")
    assert list(spider.vouch(CLASSIC_HOME, dataclasses.replace(feed, entries=(edited,)))) == []
    assert [r.url for r in spider.post_requests([post], CLASSIC_HOME)] == [post]
    spider.close_reports()


def test_a_feed_entry_giving_an_archived_post_s_https_address_vouches_for_it(
    tmp_path: Path,
) -> None:
    """A feed may give its posts' addresses as their ``https`` variant: the entry is still the
    archived post's (else its page is read again at every refresh, and a post taken from its
    feed gets a revision of its page's text)."""
    from extract.feeds import Feed

    post = f"{CLASSIC_HOME}2010/03/a-post.html"
    archive_with_a_post(tmp_path / "archive.db", post, 0, "2026-11-27T12:00:00+00:00")
    spider = refresh_spider(tmp_path / "archive.db")
    entry = FeedEntry(
        url=post.replace("http://", "https://"), id=None, platform_id="1", title="A post",
        published=None, updated="2010-03-01T10:00:00Z", comment_count=0,
    )  # fmt: skip
    feed = Feed(url=f"{CLASSIC_HOME}feeds/posts/default", title=None, entries=(entry,),
                total=1, next_url=None, ok=True)  # fmt: skip
    assert [item.urls for item in spider.vouch(CLASSIC_HOME, feed)] == [(post,)]
    assert list(spider.release(CLASSIC_HOME)) == []
    spider.close_reports()


def sitemap_response(body: bytes, url: str = f"{CLASSIC_HOME}sitemap.xml") -> TextResponse:
    request = Request(url, meta={"blog": CLASSIC_HOME, "kind": "sitemap"})
    return TextResponse(url, body=body, request=request, headers={"Content-Type": "text/xml"})


def test_a_sitemap_is_read_entry_by_entry() -> None:
    spider = make_spider()
    entries = "".join(
        f"<url><loc>{CLASSIC_HOME}2024/01/post-{n}.html</loc></url>" for n in range(2000)
    )
    body = f'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{entries}</urlset>'
    requests, items = split(spider.parse_sitemap(sitemap_response(body.encode())))
    assert [i.error for i in items if isinstance(i, PageItem)] == [None]
    assert len(requests) == 2000
    assert requests[0].url == f"{CLASSIC_HOME}2024/01/post-0.html"
    assert spider.report_for(CLASSIC_HOME).summary()["found"] == {"sitemap": 2000}


def test_a_sitemap_asks_only_for_posts_not_asked_for_before() -> None:
    """Not those a route asked for; those a page only linked to, at an address that is no
    post's (``/?p=7``: not asked for as links), it does."""
    spider = make_spider()
    listed = [f"{CLASSIC_HOME}2024/01/{name}.html" for name in ("a", "b", "c")]
    plain = f"{CLASSIC_HOME}?p=7"
    spider.report_for(CLASSIC_HOME).add_found("feed", listed[:2])
    list(spider.post_requests(listed[:2], CLASSIC_HOME))
    assert list(spider.linked_posts((plain,), CLASSIC_HOME, CLASSIC_HOME)) == []
    entries = "".join(f"<url><loc>{url}</loc></url>" for url in [*listed, listed[2], plain])
    body = f'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{entries}</urlset>'
    requests, _ = split(spider.parse_sitemap(sitemap_response(body.encode())))
    # (a post listed twice asked for once)
    assert [r.url for r in requests] == [listed[2], plain]
    found = spider.report_for(CLASSIC_HOME).summary()["found"]
    assert found == {"feed": 2, "html": 1, "sitemap": 4}


def test_a_sitemap_cut_short_keeps_its_first_entries_and_junk_is_no_sitemap() -> None:
    spider = make_spider()
    cut = (
        f"<urlset><url><loc>{CLASSIC_HOME}2024/01/a.html</loc></url>"
        f"<url><loc>{CLASSIC_HOME}2024/01/b.html</loc></url><url><lo"
    )
    requests, _ = split(spider.parse_sitemap(sitemap_response(cut.encode())))
    assert [r.url for r in requests] == [
        f"{CLASSIC_HOME}2024/01/a.html",
        f"{CLASSIC_HOME}2024/01/b.html",
    ]
    requests, items = split(spider.parse_sitemap(sitemap_response(b"\x00\x01 no XML here")))
    assert requests == [] and [i.error for i in items] == ["not a sitemap"]


def test_a_gzipped_sitemap_is_read_and_a_broken_or_huge_one_is_a_recorded_failure() -> None:
    spider = make_spider(DOWNLOAD_MAXSIZE=50_000)
    entries = "".join(f"<url><loc>{CLASSIC_HOME}2024/01/p-{n}.html</loc></url>" for n in range(3))
    body = f'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{entries}</urlset>'
    url = f"{CLASSIC_HOME}sitemap.xml.gz"
    packed = Response(
        url,
        body=gzip.compress(body.encode()),
        request=Request(url, meta={"blog": CLASSIC_HOME, "kind": "sitemap"}),
        headers={"Content-Type": "application/gzip"},
    )
    requests, items = split(spider.parse_sitemap(packed))
    assert [r.url for r in requests] == [f"{CLASSIC_HOME}2024/01/p-{n}.html" for n in range(3)]
    assert [i.error for i in items] == [None]
    huge = gzip.compress(b"<urlset>" + b" " * 60_000 + b"</urlset>")
    broken = gzip.compress(body.encode())[:12]
    for payload, reason in [(huge, "over 50000 bytes"), (broken, "does not open")]:
        response = packed.replace(body=payload)
        requests, items = split(spider.parse_sitemap(response))
        assert requests == [] and reason in items[0].error


def test_a_post_a_route_lists_is_archived_whatever_its_address_and_markup() -> None:
    """Issue 31: a sitemap of posts lists ``/2320`` (a WordPress numeric permalink, which looks
    like a year's archive); its page has no post markup and one short paragraph. It is asked
    for and archived as a post, with its key observations; a page no route lists, at an address
    that is no post's, is not."""
    spider = make_spider()
    spider.platform_of[CLASSIC_HOME] = "wordpress"
    url = f"{CLASSIC_HOME}2320"
    listed = f"<urlset><url><loc>{url}</loc></url></urlset>"
    requests, _ = split(
        spider.parse_sitemap(
            sitemap_response(listed.encode(), f"{CLASSIC_HOME}wp-sitemap-posts-post-1.xml")
        )
    )
    assert url in [r.url for r in requests]
    html = (
        "<html><body><article><p>A note.</p><p>Key points:</p><ul><li>one</li><li>two</li></ul>"
        "</article></body></html>"
    )

    def page(at: str) -> HtmlResponse:
        request = Request(at, meta={"blog": CLASSIC_HOME, "kind": "post"})
        return HtmlResponse(at, body=html.encode(), encoding="utf-8", request=request,
                            headers={"Content-Type": "text/html; charset=UTF-8"})  # fmt: skip

    _, items = split(spider.parse_page(page(url)))
    [post] = [item for item in items if isinstance(item, PostItem)]
    assert post.post.url == url and post.post.content_text.startswith("A note.")
    assert [o.text for o in post.key_observations] == ["one", "two"]
    assert post.addresses == (url,)
    _, items = split(spider.parse_page(page(f"{CLASSIC_HOME}1999")))  # listed by no route
    assert not [item for item in items if isinstance(item, PostItem)]


def test_the_sitemaps_a_robots_txt_names_are_read_on_the_blog_s_origin_only() -> None:
    # the robots.txt Scrapy's middleware fetches (once a host) names them; the blog's
    # discovery asks for those on its origin
    spider = make_spider()
    home = "https://words.example.org/"
    robots = b"""User-agent: *
Disallow: /wp-admin/
Sitemap: https://words.example.org/sitemap_index.xml
sitemap: /post-sitemap.xml
Sitemap: https://words.example.org/wp-sitemap-users-1.xml
Sitemap: https://elsewhere.example.net/sitemap.xml
Sitemap: https://words.example.org/sitemap_index.xml
"""
    url = f"{home}robots.txt"
    request = Request(url, meta={"dont_obey_robotstxt": True})
    response = TextResponse(url, body=robots, request=request)
    spider.robots_answered(response, request)
    spider.robots_answered(response.replace(status=404, body=b""), request)  # (not an answer)
    discovered = [r.url for r in spider.discovery_requests(home, "wordpress", ())]
    named = [f"{home}sitemap_index.xml", f"{home}post-sitemap.xml"]
    assert [u for u in discovered if u in named or "elsewhere" in u or "users" in u] == named
    assert f"{home}wp-sitemap.xml" in discovered
    # a page of the crawl's own at that address is no answer of the robots.txt middleware
    other = Request(f"{CLASSIC_HOME}robots.txt", meta={})
    spider.robots_answered(response.replace(url=other.url), other)
    assert urlsplit(CLASSIC_HOME).netloc not in spider.robots_sitemaps
