"""The pieces of Scrapy and sqlite-utils that are not public API and that blogarchive relies on.

pyproject.toml pins both to the ranges tested here. When a new release is let in, these tests
say which piece changed, by name, before a crawl or a write goes wrong in a subtler way.
"""

from __future__ import annotations

import asyncio
import inspect
from pathlib import Path

from scrapy import Request
from scrapy.downloadermiddlewares.robotstxt import RobotsTxtMiddleware
from scrapy.squeues import PickleLifoDiskQueue
from scrapy.utils.test import get_crawler
from sqlite_utils import Database
from sqlite_utils.db import Table, jsonify_if_needed, quote_identifier
from twisted.internet.defer import Deferred

from blogarchive.archive import _SchemaTable
from blogarchive.distributed import SharedRobotsTxtMiddleware
from blogarchive.middlewares import RobotsTxtRulesMiddleware
from blogarchive.scratch import DiskDupeFilter, DiskQueue


def parameters(function: object) -> list[str]:
    return list(inspect.signature(function).parameters)  # type: ignore[arg-type]


def test_scrapy_s_robots_middleware_keeps_the_internals_the_shared_one_extends() -> None:
    # SharedRobotsTxtMiddleware (distributed.py) fills _parsers and calls the two hooks
    assert inspect.iscoroutinefunction(RobotsTxtMiddleware._parse_robots)
    assert parameters(RobotsTxtMiddleware._parse_robots) == [
        "self",
        "response",
        "netloc",
        "request",
    ]
    assert parameters(RobotsTxtMiddleware._robots_error) == ["self", "exc", "netloc"]
    assert inspect.iscoroutinefunction(RobotsTxtMiddleware.robot_parser)
    crawler = get_crawler(settings_dict={"ROBOTSTXT_OBEY": True})
    assert isinstance(RobotsTxtMiddleware(crawler)._parsers, dict)
    assert issubclass(SharedRobotsTxtMiddleware, RobotsTxtMiddleware)


def what_waiters_get(middleware: RobotsTxtMiddleware) -> list[object]:
    """What three requests get that wait for an origin's robots.txt while it is fetched."""

    async def three_waiters() -> list[object]:
        pending = middleware._parsers["a.example"] = Deferred()
        asking = [
            asyncio.ensure_future(middleware.robot_parser(Request(f"https://a.example/{n}")))
            for n in range(3)
        ]
        await asyncio.sleep(0)
        pending.callback("rules")
        return list(await asyncio.gather(*asking))

    return asyncio.run(three_waiters())


def test_scrapy_s_robots_middleware_still_gives_its_rules_to_the_first_waiter_only() -> None:
    # why RobotsTxtRulesMiddleware (middlewares.py) exists: once this fails, Scrapy hands the
    # rules to every request waiting for an origin's robots.txt, and ours can go
    settings = {"ROBOTSTXT_OBEY": True}
    assert what_waiters_get(RobotsTxtMiddleware(get_crawler(settings_dict=settings))) == [
        "rules",
        None,
        None,
    ]
    ours = RobotsTxtRulesMiddleware(get_crawler(settings_dict=settings))
    assert what_waiters_get(ours) == ["rules"] * 3


def test_scrapy_s_disk_queue_serializes_what_its_parent_is_given(tmp_path: Path) -> None:
    # DiskQueue.push names the callbacks itself and hands the dict to the queue under
    # PickleLifoDiskQueue, whose own push would name them again
    parent = PickleLifoDiskQueue.__mro__[1]
    assert parameters(parent.push) == ["self", "obj"]
    assert "to_dict" in inspect.getsource(PickleLifoDiskQueue.push)
    crawler = get_crawler()
    queue = DiskQueue(crawler, str(tmp_path / "queue"))
    queue.push(Request("https://example.org/a"))
    assert queue.pop().url == "https://example.org/a"
    queue.close()


def test_scrapy_s_duplicate_filter_keeps_its_fingerprinter(tmp_path: Path) -> None:
    crawler = get_crawler()
    seen = DiskDupeFilter.from_crawler(crawler)
    assert hasattr(seen, "fingerprinter")
    assert seen.request_seen(Request("https://example.org/a")) is False
    assert seen.request_seen(Request("https://example.org/a")) is True
    seen.close("finished")


def test_sqlite_utils_asks_the_methods_the_archive_s_tables_answer_once(tmp_path: Path) -> None:
    # _SchemaTable remembers exists() and columns; Archive.atomic wraps Database.atomic
    assert parameters(Table.exists) == ["self"]
    assert isinstance(inspect.getattr_static(Table, "columns"), property)
    assert inspect.isfunction(inspect.unwrap(Database.atomic))
    db = Database(tmp_path / "t.db")
    db["t"].insert({"id": 1, "v": [1]}, pk="id")
    table = _SchemaTable(db, "t")
    assert table.exists() and [c.name for c in table.columns] == ["id", "v"]
    assert jsonify_if_needed([1]) == "[1]" and quote_identifier("a b") == '"a b"'


def test_scrapy_s_sitemap_reader_streams_entries_with_their_loc() -> None:
    # scrapy.utils.sitemap says its API "is subject to change without notice"
    from scrapy.utils.sitemap import Sitemap, sitemap_urls_from_robots

    body = b"<sitemapindex><sitemap><loc> https://a.example/s.xml </loc></sitemap></sitemapindex>"
    sitemap = Sitemap(body)
    assert sitemap.type == "sitemapindex"
    assert [entry["loc"] for entry in sitemap] == ["https://a.example/s.xml"]
    robots = b"Sitemap: /s.xml\n"
    assert list(sitemap_urls_from_robots(robots, base_url="https://a.example/")) == [
        "https://a.example/s.xml"
    ]


def test_scrapy_s_downloader_keeps_what_crawl_delay_holds_a_slot_with() -> None:
    # blogarchive.politeness sets a slot's delay and jitter, and the settings a slot is made
    # again from (Scrapy drops a slot idle for a minute); it pauses a slot by moving the time
    # its last request was sent, which holds the slot back only while it has a delay
    from scrapy.core.downloader import Downloader, Slot

    slot = Slot(concurrency=1, delay=0.5, jitter=0.0)
    assert (slot.delay, slot.jitter, slot.download_delay()) == (0.5, 0.0, 0.5)
    crawler = get_crawler(settings_dict={"DOWNLOAD_SLOTS": {"a.example": {"delay": 2}}})
    downloader = Downloader(crawler)
    assert downloader.per_slot_settings == {"a.example": {"delay": 2}}
    assert "per_slot_settings" in inspect.getsource(Downloader._get_slot)
    assert "jitter" in inspect.getsource(Downloader._get_slot)
    assert isinstance(downloader.slots, dict)
    queueing = inspect.getsource(Downloader._process_queue)
    assert "delay - now + slot.lastseen" in queueing and "if delay:" in queueing
    assert downloader.get_slot_key(Request("https://b.example/y")) == "b.example"
