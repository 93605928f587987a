"""The item pipeline: items of two answers reach it in the order Scrapy processes them, not the
order the spider made them in; a post's comments that come before the post wait for it."""

from __future__ import annotations

import logging
import sqlite3
from pathlib import Path

import pytest
from scrapy import Spider
from scrapy.utils.test import get_crawler

from blogarchive.items import CommentsItem, PostItem
from blogarchive.pipelines import ArchivePipeline
from extract import Comment, Post

BLOG = "http://127.0.0.1:9/"


def post(n: int) -> PostItem:
    url = f"{BLOG}2024/01/post-{n}.html"
    return PostItem(
        blog_url=BLOG,
        post=Post(
            url=url,
            title=f"Post {n}",
            author="Ana",
            published="2024-01-02T03:04:05+00:00",
            updated=None,
            labels=(),
            content_html="<p>Text</p>",
            content_text="Text",
            comment_count=2,
            platform_id=str(n),
            extractor="test",
        ),
        comments=(),
        key_observations=(),
        forms=(),
        page_url=url,
    )


def comments(n: int) -> CommentsItem:
    url = f"{BLOG}2024/01/post-{n}.html"
    return CommentsItem(
        blog_url=BLOG,
        post_url=url,
        comments=tuple(
            Comment(
                platform_id=f"{n}{c}",
                parent_platform_id=None,
                position=c,
                author="Reader",
                author_url=None,
                published=f"2024-01-0{3 + c}T00:00:00+00:00",
                content_html=f"<p>Comment {c}</p>",
                content_text=f"Comment {c}",
                url=None,
            )
            for c in (1, 2)
        ),
    )


@pytest.fixture
def pipeline(tmp_path: Path) -> ArchivePipeline:
    crawler = get_crawler(Spider, {"ARCHIVE_DB": str(tmp_path / "archive.db")})
    crawler.spider = Spider("test")
    opened = ArchivePipeline.from_crawler(crawler)
    opened.open_spider()
    return opened


def archived_comments(db: Path) -> dict[str, int]:
    with sqlite3.connect(db) as conn:
        return dict(
            conn.execute(
                "SELECT p.url, count(c.id) FROM posts p JOIN comments c ON c.post_id = p.id"
                " GROUP BY p.url"
            ).fetchall()
        )


def test_comments_that_come_before_their_post_are_archived_with_it(
    pipeline: ArchivePipeline, tmp_path: Path
) -> None:
    pipeline.process_item(comments(1))  # from the comment feed, passing its post
    pipeline.process_item(post(2))
    pipeline.process_item(post(1))
    pipeline.process_item(comments(2))  # the usual order
    pipeline.spider_closed(pipeline.crawler.spider, "finished")  # type: ignore[arg-type]
    assert archived_comments(tmp_path / "archive.db") == {
        f"{BLOG}2024/01/post-1.html": 2,
        f"{BLOG}2024/01/post-2.html": 2,
    }
    assert pipeline.crawler.stats.get_value("archive/comments_without_post") is None  # type: ignore[union-attr]


def test_comments_whose_post_never_comes_are_said_not_dropped_quietly(
    pipeline: ArchivePipeline, caplog: pytest.LogCaptureFixture
) -> None:
    pipeline.process_item(comments(3))
    with caplog.at_level(logging.WARNING, logger="blogarchive.pipelines"):
        pipeline.spider_closed(pipeline.crawler.spider, "finished")  # type: ignore[arg-type]
    assert pipeline.crawler.stats.get_value("archive/comments_without_post") == 2  # type: ignore[union-attr]
    assert [r.getMessage() for r in caplog.records] == [
        f"2 comments of 1 posts were not archived: their posts were not ({BLOG}2024/01/post-3.html)"
    ]
