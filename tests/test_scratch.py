"""The crawl's bookkeeping on disk: the duplicate filter, the per-blog discovery report and a
refresh's view of the archive."""

from __future__ import annotations

from pathlib import Path

import pytest
from scrapy import Request
from scrapy.utils.test import get_crawler

from blogarchive.report import BlogReport
from blogarchive.scratch import DiskDupeFilter, report_store
from spiders.blog import BlogSpider

HOME = "https://b.example/"


def test_the_duplicate_filter_remembers_requests_in_its_file(tmp_path: Path) -> None:
    crawler = get_crawler(BlogSpider, {"JOBDIR": str(tmp_path)})
    dupefilter = DiskDupeFilter.from_crawler(crawler)
    first, same, other = (
        Request(f"{HOME}2024/01/a.html"),
        Request(f"{HOME}2024/01/a.html"),
        Request(f"{HOME}2024/01/b.html"),
    )
    assert dupefilter.request_seen(first) is False
    assert dupefilter.request_seen(same) is True
    assert dupefilter.request_seen(other) is False
    assert dupefilter.request_seen(Request(f"{HOME}2024/01/a.html", method="POST")) is False
    assert not dupefilter._fingerprints  # nothing kept in memory
    stored = dupefilter.store.read("SELECT count(*) FROM seen").fetchone()[0]
    assert stored == 3
    assert dupefilter.store.path.parent == tmp_path
    dupefilter.close("shutdown")
    assert dupefilter.store.path.exists()  # kept in the job folder, as requests.seen is


def test_a_paused_job_resumes_with_its_filter_and_a_cli_run_starts_empty(tmp_path: Path) -> None:
    """Like Scrapy's requests.seen, the fingerprints outlive a paused ``scrapy crawl -s
    JOBDIR=...``; ``blogarchive crawl`` empties its job folder before each run."""
    from blogarchive.crawl import queue_folder

    folder = tmp_path / "archive.db.queue"
    crawler = get_crawler(BlogSpider, {"JOBDIR": str(folder)})
    paused = DiskDupeFilter.from_crawler(crawler)
    paused.request_seen(Request(f"{HOME}2024/01/a.html"))
    paused.close("shutdown")
    resumed = DiskDupeFilter.from_crawler(crawler)
    assert resumed.request_seen(Request(f"{HOME}2024/01/a.html")) is True
    assert resumed.request_seen(Request(f"{HOME}2024/01/b.html")) is False
    resumed.close("finished")
    assert queue_folder(str(tmp_path / "archive.db")) == folder
    fresh = DiskDupeFilter.from_crawler(crawler)
    assert fresh.request_seen(Request(f"{HOME}2024/01/a.html")) is False
    fresh.close("finished")


def test_without_a_job_folder_nothing_is_left_on_disk() -> None:
    """The temporary file is unlinked once open: not even a killed process leaves it."""
    dupefilter = DiskDupeFilter.from_crawler(get_crawler(BlogSpider))
    path = dupefilter.store.path
    assert not path.exists() and not path.parent.exists()
    assert dupefilter.request_seen(Request(f"{HOME}2024/01/a.html")) is False
    assert dupefilter.request_seen(Request(f"{HOME}2024/01/a.html")) is True
    dupefilter.close("finished")


def test_a_blog_report_counts_and_names_what_is_missing(tmp_path: Path) -> None:
    store = report_store(tmp_path)
    report, other = BlogReport(store, HOME), BlogReport(store, "https://c.example/")
    posts = [f"{HOME}2024/01/post-{n:03}.html" for n in range(150)]
    report.add_found("sitemap", posts)
    report.add_found("feed", posts[:120])
    report.add_found("feed", posts[:120])  # found twice by one route: counted once
    report.add_found("html", [*posts[:3], f"{HOME}search/label/x"])
    other.add_found("sitemap", ["https://c.example/2024/01/only-here.html"])
    report.add_asked(posts[:130])
    report.add_asked(posts[:2])  # asked twice: kept once
    assert report.asked_among([posts[0], posts[140], f"{HOME}2024/01/new.html"]) == {posts[0]}
    assert other.asked_among(posts) == set()  # another blog's
    report.add_archived(*posts[:30])
    report.add_archived(*posts[25:40])  # archived twice: counted once
    report.add_not_post(posts[40], "static page markup (body.page)")
    report.add_not_post(posts[149], "no post body found")  # a sitemap's post: still missing
    report.add_failed(posts[41], "HTTP 503")
    report.add_failed(posts[41], "HTTP 500")  # the last reason stands
    report.add_unasked(posts[41], "not fetched: a cap")  # an earlier reason stands
    summary = report.summary()
    assert summary["found"] == {"feed": 120, "html": 4, "sitemap": 150}
    assert summary["found_distinct"] == 151
    assert summary["archived"] == 40
    assert summary["failed"] == 1
    assert summary["not_posts"] == 2  # the static page, and the label page html linked to
    assert summary["missing_count"] == 109
    missing = summary["missing"]
    assert len(missing) == BlogReport.MISSING_SHOWN  # 109 missing, the first 100 named
    assert missing[0] == {"url": posts[41], "reason": "HTTP 500"}
    assert missing[1] == {
        "url": posts[42],
        "reason": "not fetched: the crawl ended before asking for it",
    }
    assert [m["url"] for m in missing] == sorted(m["url"] for m in missing)
    assert all("search/label" not in m["url"] for m in missing)  # not a post URL
    # which are archived is the archive's to say, when it is asked
    held = report.summary(held=lambda urls: {u for u in urls if u in posts[:10]})
    assert held["archived"] == 10 and held["missing"][0]["url"] == posts[10]
    assert (
        held["missing"][0]["reason"]
        == "archived by the crawl, but not in the archive (a write failed)"
    )
    # a page a sitemap of posts lists, with no body: missing, with the evidence
    small = BlogReport(store, "https://d.example/")
    small.add_found("sitemap", ["https://d.example/2320", "https://d.example/about/"])
    small.add_not_post("https://d.example/2320", "no post body found")
    small.add_not_post("https://d.example/about/", "static page markup (body.page)")
    assert small.summary()["missing"] == [
        {"url": "https://d.example/2320", "reason": "not a post: no post body found"}
    ]
    assert small.summary()["not_posts"] == 1
    assert other.summary()["found"] == {"sitemap": 1}
    store.close()
    assert not store.path.exists()


def test_a_refresh_reads_the_archived_posts_page_by_page(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``ArchiveReader`` lists a blog's posts in archive order across pages, leaves out deleted
    ones, and answers comment counts and last answers per URL; ``PendingPosts`` releases what
    its feed did not vouch for, in URL order, across pages, each once."""
    from blogarchive import reader, refresh
    from blogarchive.archive import blog_id_for, open_database, post_id_for

    monkeypatch.setattr(reader, "PAGE", 7)
    monkeypatch.setattr(refresh, "PAGE", 7)
    urls = [f"{HOME}2024/01/post-{n:03}.html" for n in range(40, 0, -1)]  # archived newest first
    db = open_database(tmp_path / "archive.db")
    db["blogs"].insert({"id": blog_id_for(HOME), "url": HOME})
    db["posts"].insert_all(
        {"id": post_id_for(url), "blog_id": blog_id_for(HOME), "url": url,
         "deleted_at": "2026-01-01T00:00:00Z" if n == 5 else None}
        for n, url in enumerate(urls)
    )  # fmt: skip
    db["comments"].insert_all({"id": f"c{n}", "post_id": post_id_for(urls[0])} for n in range(3))
    db["pages"].insert({"url": urls[0], "status": 304, "fetched_at": "2026-11-27T12:00:00Z"})
    db["pages"].insert({"url": urls[1], "status": 500, "error": "HTTP 500"})
    db.close()

    archived = reader.ArchiveReader(tmp_path / "archive.db")
    live = [url for n, url in enumerate(urls) if n != 5]
    assert archived.blogs_with_posts() == [HOME]
    assert list(archived.posts(HOME)) == live
    assert list(archived.posts("https://not-archived.example/")) == []
    assert (archived.comments(urls[0]), archived.comments(urls[1])) == (3, 0)
    assert archived.comments(urls[5]) is None  # deleted: not an archived post
    assert archived.has(urls[1]) and not archived.has(urls[5])
    assert not archived.has("https://not-archived.example/2024/01/x.html")
    monkeypatch.setattr(reader, "IN_LIST", 3)  # looked up three at a time
    assert (
        archived.states([*urls[:6], urls[0], "https://not-archived.example/x.html"])
        == {
            urls[0]: ("2026-11-27T12:00:00Z", 3),
            urls[1]: (None, 0),  # its last answer was an error
            **{url: (None, 0) for url in urls[2:5]},
        }
    )  # urls[5] is deleted: not an archived post
    counts = refresh.CommentCounts(archived)
    assert urls[0] in counts and counts.get(urls[0]) == 3 and urls[5] not in counts

    pending = refresh.PendingPosts(tmp_path)
    pending.wait(HOME, archived.posts(HOME))
    pending.vouch([live[0]])
    pending.discard([live[1]])
    assert pending.held(live[:4]) == set(live[:4]) - {live[1]}  # discarded: asked for as new
    assert pending.waits(live[:4]) == set(live[2:4])  # vouched: held, not waiting
    assert pending.waiting(HOME) and pending.blogs() == [HOME]
    released = list(pending.release(HOME))
    assert released == sorted(live[2:])
    assert list(pending.release(HOME)) == [] and pending.blogs() == []
    assert pending.held([live[0]]) == {live[0]}  # a vouched post stays held after the release
    pending.close()
    archived.close()


def test_the_disk_queue_gives_back_what_scrapy_s_would(tmp_path: Path) -> None:
    """``DiskQueue`` names callbacks from a table of the spider's methods rather than from all
    of its members per request: the files hold what Scrapy's queue writes, and requests come
    back with the same callbacks, errbacks and meta."""
    from scrapy.http.request import NO_CALLBACK
    from scrapy.squeues import PickleLifoDiskQueue

    from blogarchive.scratch import DiskQueue

    crawler = get_crawler(BlogSpider)
    crawler.spider = spider = BlogSpider.from_crawler(crawler, url=HOME)
    requests = [
        Request(f"{HOME}a.html", callback=spider.parse_page, errback=spider.failed,
                meta={"blog": HOME, "kind": "post"}, priority=3),
        Request(f"{HOME}feeds/1/comments/default", callback=spider.parse_comment_feed),
        Request(f"{HOME}b.html", callback=spider.parse_shown_comments,
                errback=spider.shown_comments_failed, dont_filter=True),
        Request(f"{HOME}c.html"),
    ]  # fmt: skip
    ours = DiskQueue.from_crawler(crawler, str(tmp_path / "ours"))
    theirs = PickleLifoDiskQueue.from_crawler(crawler, str(tmp_path / "theirs"))
    for request in requests:
        ours.push(request)
        theirs.push(request)
    assert requests[0].callback == spider.parse_page  # the request queued is left as it was
    ours.close()
    theirs.close()
    assert (tmp_path / "ours").read_bytes() == (tmp_path / "theirs").read_bytes()
    ours = DiskQueue.from_crawler(crawler, str(tmp_path / "ours"))
    back = [ours.pop() for _ in requests]
    assert ours.pop() is None
    for request, again in zip(reversed(requests), back, strict=True):
        assert again.to_dict(spider=spider) == request.to_dict(spider=spider)
    # what Scrapy's queue cannot keep on disk, this one cannot either (kept in memory instead)
    for callback in (NO_CALLBACK, BlogSpider.from_crawler(crawler, url=HOME).parse_page):
        with pytest.raises(ValueError, match="not an instance method"):
            ours.push(Request(f"{HOME}d.html", callback=callback))


def test_the_reader_pages_through_forms_in_id_order(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from blogarchive import reader
    from blogarchive.archive import open_database

    monkeypatch.setattr(reader, "PAGE", 3)
    db = open_database(tmp_path / "archive.db")
    ids = [f"{n:016x}" for n in (7, 1, 12, 3, 9, 5, 11)]
    db["forms"].insert_all(
        {"id": i, "title": f"t{i}", "purpose": "contact", "json_schema": "{}"} for i in ids
    )
    db.close()
    with reader.ArchiveReader(tmp_path / "archive.db") as archived:
        assert [form[0] for form in archived.forms()] == sorted(ids)
