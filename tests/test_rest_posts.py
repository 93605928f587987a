"""Posts and comments read from WordPress' REST API are those its post pages give: each post
of the demo's WordPress blogs (served on loopback) read both ways, field by field, and the
comments numbered as their threaded page shows them."""

from __future__ import annotations

import json
import urllib.request
from collections.abc import Iterator

import pytest

from blogarchive.demo.content import BLOGS
from blogarchive.demo.server import DemoNetwork
from blogarchive.demo.synthetic import synthetic_wordpress
from extract import extract_page
from extract.restposts import (
    REST_EXTRACTOR,
    extract_rest_comments,
    extract_rest_posts,
    in_page_order,
    wordpress_time,
)

#: A synthetic blog whose comments nest (every third answers the one before), and the demo's
#: own WordPress blog (author links, several labels, replies to replies).
BLOGS_READ = {
    "synthetic": synthetic_wordpress("synthetic", posts=12, comments={0: 7, 3: 1, 5: 12}),
    "wordpress": BLOGS["wordpress"],
}


def fetch(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=10) as answer:
        return bytes(answer.read())


@pytest.fixture(scope="module")
def served() -> Iterator[dict[str, str]]:
    with DemoNetwork(blogs={**BLOGS, **BLOGS_READ}) as network:  # (the blogs it lists too)
        yield network.homes


@pytest.mark.parametrize("key", sorted(BLOGS_READ))
def test_a_post_from_the_api_is_its_pages_post(served: dict[str, str], key: str) -> None:
    home = served[key]
    api = f"{home}wp-json/wp/v2/posts?per_page=100&page=1&_embed=1"
    read = extract_rest_posts(fetch(api), api)
    assert len(read) == len(BLOGS_READ[key].posts)
    comments_api = f"{home}wp-json/wp/v2/comments?per_page=100&page=1"
    by_post: dict[str, list] = {}
    for comment in extract_rest_comments(fetch(comments_api), comments_api):
        by_post.setdefault(comment.post_id, []).append(comment)
    compared = 0
    for entry in read:
        assert entry.post is not None, entry.partial
        page = extract_page(fetch(entry.url).decode(), entry.url)
        assert page.post is not None
        ours = entry.post
        assert ours.extractor == REST_EXTRACTOR
        for field in ("url", "title", "author", "published", "updated", "labels", "platform_id"):
            assert getattr(ours, field) == getattr(page.post, field), (entry.url, field)
        if key == "synthetic":
            assert (ours.content_html, ours.content_text) == (
                page.post.content_html,
                page.post.content_text,
            )
            assert entry.key_observations == page.key_observations
        else:  # a short post's page gives its title too, in the article its selectors took
            assert ours.content_text in page.post.content_text
            assert ours.content_text.count("\n") >= page.post.content_text.count("\n") - 1
        comments = in_page_order(by_post.get(ours.platform_id or "", []))
        assert comments == page.comments, entry.url
        assert len(comments) == (page.post.comment_count or 0)
        compared += len(comments)
    assert compared == sum(len(post.comments) for post in BLOGS_READ[key].posts)


def test_a_post_the_api_gives_no_content_for_goes_to_its_page() -> None:
    link = "http://127.0.0.1:9/2024/01/02/locked/"
    body = json.dumps(
        [
            {"id": 7, "link": link, "content": {"rendered": "", "protected": True}},
            {"id": 8, "link": link.replace("locked", "empty"), "content": {"rendered": " "}},
            {"id": 9, "content": {"rendered": "<p>No link</p>"}},
            "not a post",
        ]
    )
    read = extract_rest_posts(body, "http://127.0.0.1:9/wp-json/wp/v2/posts")
    assert [(entry.url, entry.post, entry.partial) for entry in read] == [
        (link, None, "the API gives no content"),
        (link.replace("locked", "empty"), None, "the API gives no content"),
    ]


@pytest.mark.parametrize("body", [b"", b"<html>", b'{"code": "rest_disabled"}', b"\xff\xfe"])
def test_an_answer_that_is_no_list_of_posts_gives_none(body: bytes) -> None:
    url = "http://127.0.0.1:9/wp-json/wp/v2/posts"
    assert extract_rest_posts(body, url) == ()
    assert extract_rest_comments(body, url) == ()


def test_replies_follow_their_parents_whatever_order_the_api_lists_them_in() -> None:
    """Newest first, as the API lists by default: threads oldest first, each reply after its
    parent; a reply whose parent is not listed (held for moderation) starts its own thread."""
    listed = [
        (5, 2, "2024-01-01T05:00:00"),
        (4, 0, "2024-01-01T04:00:00"),
        (3, 1, "2024-01-01T03:00:00"),
        (2, 1, "2024-01-01T02:00:00"),
        (6, 99, "2024-01-01T01:30:00"),
        (1, 0, "2024-01-01T01:00:00"),
    ]
    body = json.dumps(
        [
            {"id": i, "post": 1, "parent": parent, "date": day, "date_gmt": day, "link": f"#c{i}"}
            for i, parent, day in listed
        ]
    )
    ordered = in_page_order(extract_rest_comments(body, "http://127.0.0.1:9/p/"))
    assert [(c.platform_id, c.position) for c in ordered] == [
        ("1", 1), ("2", 2), ("5", 3), ("3", 4), ("6", 5), ("4", 6),
    ]  # fmt: skip
    assert [c.parent_platform_id for c in ordered] == [None, "1", "2", "1", "99", None]


@pytest.mark.parametrize(
    ("local", "gmt", "expected"),
    [
        ("2019-03-01T10:00:00", "2019-03-01T08:00:00", "2019-03-01T10:00:00+02:00"),
        ("2019-03-01T00:30:00", "2019-03-01T05:00:00", "2019-03-01T00:30:00-04:30"),
        ("2019-03-01T10:00:00", "2019-03-01T10:00:00", "2019-03-01T10:00:00+00:00"),
        ("2019-03-01T10:00:00", "0000-00-00T00:00:00", "2019-03-01T10:00:00"),
        ("2019-03-01T10:00:00", None, "2019-03-01T10:00:00"),
        ("2019-03-01T10:00:00", "1970-01-01T00:00:00", "2019-03-01T10:00:00"),
        ("not a time", "2019-03-01T08:00:00", None),
        (None, None, None),
    ],
)
def test_a_time_takes_the_offset_its_two_clocks_differ_by(
    local: object, gmt: object, expected: str | None
) -> None:
    assert wordpress_time(local, gmt) == expected
