"""Saved responses replayed give the crawl's rows: the crawl and the replay (``reextract``, and
later the WARC import) take the same step from a page to its items
(:func:`blogarchive.pageitems.page_items`). The crawl writes the responses it read into
``pages``; replayed into an empty archive, offline, they must give the same posts, comments,
key observations, forms and blog list as the crawl wrote.

The sites: the demo network (Blogger with threaded comment feeds, WordPress with its comments
on the page, forms on pages and posts) and generated hostile blogs (``tests/sitegen``)."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, Phase, example, given, settings

from blogarchive.archive import Archive, open_database
from blogarchive.demo.content import BLOGS
from blogarchive.demo.server import DemoNetwork
from blogarchive.reader import ArchiveReader
from blogarchive.reextract import reextract
from tests.conftest import FAST, content_rows, run_cli
from tests.sitegen import PostSpec, SiteSpec, factory, site_specs

#: Each table's columns that the pages decide (not when a row was written or checked). Not
#: ``post_urls``: the addresses that redirected to a post are the fetch's, and ``pages`` keeps
#: the address a page answered at (a WARC's request records will keep the others).
CONTENT = {
    "blogs": "id, url, title, platform",
    "blog_links": "source_blog_id, target_url, title, position, widget, target_home",
    "posts": "id, blog_id, url, title, author, published, updated, labels, content_html,"
    " content_text, comment_count, platform_id, extractor, content_sha256, deleted_at",
    "comments": "id, post_id, parent_id, author, author_url, published, content_html,"
    " content_text, url, platform_id, position, deleted_at",
    "key_observations": "post_id, heading, position, text",
    "forms": "id, purpose, action, method, title, field_count, json_schema",
    "form_fields": "form_id, position, name, label, type, semantic_type, required, options,"
    " placeholder",
    "form_occurrences": "form_id, url, blog_id, post_id",
}


def rows(db: Path) -> dict[str, list[tuple]]:
    return content_rows(db, CONTENT)


def replayed(crawled: Path, into: Path) -> dict[str, list[tuple]]:
    """The rows the responses saved in ``crawled`` give, replayed into the empty ``into``."""
    archive = Archive(open_database(into))
    with ArchiveReader(crawled) as reader:
        reextract(archive, reader)
    archive.db.close()
    return rows(into)


def test_the_demo_network_replayed_gives_the_crawl_s_rows(tmp_path: Path) -> None:
    crawled = tmp_path / "crawled.db"
    with DemoNetwork(blogs=dict(BLOGS)) as network:
        result = run_cli(
            "crawl", network.homes["classic"], "--db", str(crawled), "--allow-private", *FAST
        )
        assert result.returncode == 0, result.stderr
    expected = rows(crawled)
    assert len(expected["posts"]) == sum(len(blog.posts) for blog in BLOGS.values())
    assert expected["comments"] and expected["key_observations"] and expected["form_fields"]
    assert replayed(crawled, tmp_path / "replayed.db") == expected


@settings(
    max_examples=int(os.environ.get("BLOGARCHIVE_REPLAY_EXAMPLES", "4")),
    deadline=None,
    derandomize=True,
    phases=(Phase.explicit, Phase.generate),
    suppress_health_check=list(HealthCheck),
)
@given(spec=site_specs(max_posts=8))
@example(  # posts that redirect to another address whose page names the first as canonical
    spec=SiteSpec(platform="wordpress", posts=(PostSpec("line", "chain", "protocol", 1),
                  PostSpec("embed", "robots", "plain", 2),
                  PostSpec("image", "private", "protocol", 3),
                  PostSpec("image", "404", "relative", 1),
                  PostSpec("text", "chain", "protocol", 0)),
                  paging="404", feed_cap=2, shuffle=True, duplicate=False, comment_feeds=False,
                  pages_sitemap=False, seed=233),
)  # fmt: skip
def test_a_generated_blog_replayed_gives_the_crawl_s_rows(spec: SiteSpec) -> None:
    """Whatever the site did (redirects, failures, comment feeds that answer 404 so that the
    comments come from the post's page), the responses the crawl kept give its rows."""
    with tempfile.TemporaryDirectory() as folder:
        crawled = Path(folder, "crawled.db")
        with DemoNetwork(blogs={spec.key: spec.blog()}, site=factory(spec)) as network:
            result = run_cli(
                "crawl", network.homes[spec.key], "--db", str(crawled), "--depth", "0", "-q",
                *FAST,
            )  # fmt: skip
            assert result.returncode == 0, result.stderr[-3000:]
        assert replayed(crawled, Path(folder, "replayed.db")) == rows(crawled)
