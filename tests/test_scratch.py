"""The crawl's bookkeeping on disk: the duplicate filter and the per-blog discovery report."""

from __future__ import annotations

from pathlib import Path

from scrapy import Request
from scrapy.utils.test import get_crawler

from blogarchive.scratch import DiskDupeFilter, report_store
from spiders.blog import BlogReport, BlogSpider

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
    for url in posts[:40]:
        report.add_archived(url)
    report.add_not_post(posts[40])
    report.add_failed(posts[41], "HTTP 503")
    report.add_failed(posts[41], "HTTP 500")  # the last reason stands
    summary = report.summary()
    assert summary["found"] == {"feed": 120, "html": 4, "sitemap": 150}
    assert summary["archived"] == 40
    assert summary["failed"] == 1
    missing = summary["missing"]
    assert len(missing) == BlogReport.MISSING_SHOWN  # 109 missing, the first 100 named
    assert missing[0] == {"url": posts[41], "reason": "HTTP 500"}
    assert missing[1] == {"url": posts[42], "reason": "not fetched (page cap or not a post)"}
    assert [m["url"] for m in missing] == sorted(m["url"] for m in missing)
    assert all("search/label" not in m["url"] for m in missing)  # not a post URL
    assert other.summary()["found"] == {"sitemap": 1}
    store.close()
    assert not store.path.exists()
