"""Feeds: well-formed Atom is read from lxml's tree, anything else by feedparser, and both
readings agree on what they both read."""

from __future__ import annotations

import dataclasses
import re
import urllib.request
from collections.abc import Iterator

import pytest

from blogarchive.demo.server import DemoNetwork
from extract.feeds import extract_comment_feed, extract_feed


@pytest.fixture(scope="module")
def network() -> Iterator[DemoNetwork]:
    with DemoNetwork() as network:
        yield network


def fetch(url: str) -> bytes:
    with urllib.request.urlopen(url) as response:
        return bytes(response.read())


def test_a_blogger_posts_feed_reads_the_same_as_feedparser_reads_it(
    network: DemoNetwork,
) -> None:
    for blog in ("classic", "contempo"):
        url = f"{network.homes[blog]}feeds/posts/default?start-index=2&max-results=2"
        body = fetch(url)
        fast = extract_feed(body, url)
        slow = extract_feed(body.decode("utf-8"), url)  # text goes to feedparser
        assert fast == slow
        assert fast.ok and fast.total and len(fast.entries) == 2
        assert all(e.updated and e.comment_count is not None for e in fast.entries)


def test_a_blogger_comment_feed_reads_the_same_as_feedparser_reads_it(
    network: DemoNetwork,
) -> None:
    home = network.homes["classic"]
    ids = re.findall(r"\.post-(\d+)</id>", fetch(f"{home}feeds/posts/default").decode())
    read = 0
    for post_id in ids:
        url = f"{home}feeds/{post_id}/comments/default?start-index=1&max-results=150"
        body = fetch(url)
        fast, slow = extract_comment_feed(body, url), extract_comment_feed(body.decode(), url)
        assert (fast.post_url, fast.total, fast.ok) == (slow.post_url, slow.total, slow.ok)
        assert fast.post_ids == slow.post_ids == (post_id,) * len(fast.comments)
        for ours, theirs in zip(fast.comments, slow.comments, strict=True):
            # feedparser orders attributes its own way; the text and everything else agree
            assert dataclasses.replace(ours, content_html="") == dataclasses.replace(
                theirs, content_html=""
            )
        read += len(fast.comments)
    assert read >= 5


def test_rss_and_broken_atom_go_to_feedparser(network: DemoNetwork) -> None:
    url = f"{network.homes['wordpress']}feed/"
    rss = extract_feed(fetch(url), url)
    assert rss.ok and rss.entries and rss.entries[0].url.startswith(network.homes["wordpress"])
    broken = (
        b"<feed xmlns='http://www.w3.org/2005/Atom'><entry><title>A &amp B</title>"
        b"<link rel='alternate' type='text/html' href='/2020/01/a.html'/></entry>"
    )  # an unescaped ampersand and no closing tag: feedparser reads what it can
    [entry] = extract_feed(broken, "http://blog.example/feeds/posts/default").entries
    assert entry.url == "http://blog.example/2020/01/a.html"


def test_atom_entities_are_not_expanded() -> None:
    bomb = (
        b"<?xml version='1.0'?><!DOCTYPE feed [<!ENTITY a 'aaaaaaaaaa'>"
        + b"".join(f"<!ENTITY a{n} '{'&a;' * 10 if n == 0 else f'&a{n - 1};' * 10}'>".encode()
                   for n in range(8))
        + b"]><feed xmlns='http://www.w3.org/2005/Atom'><title>&a7;</title>"
        b"<entry><link rel='alternate' type='text/html' href='http://b.example/p.html'/>"
        b"</entry></feed>"
    )  # fmt: skip
    feed = extract_feed(bomb, "http://b.example/feeds/posts/default")
    assert len(feed.title or "") < 1000
    assert [e.url for e in feed.entries] == ["http://b.example/p.html"]


def test_relative_links_resolve_against_xml_base() -> None:
    atom = (
        b"<feed xmlns='http://www.w3.org/2005/Atom' xml:base='http://b.example/blog/'>"
        b"<entry><link rel='alternate' type='text/html' href='2020/01/p.html'/>"
        b"<updated>2020-01-02T03:04:05.000-08:00</updated></entry>"
        b"<link rel='next' href='feed?page=2'/></feed>"
    )
    feed = extract_feed(atom, "http://b.example/feeds/posts/default")
    assert [e.url for e in feed.entries] == ["http://b.example/blog/2020/01/p.html"]
    assert feed.entries[0].updated == "2020-01-02T03:04:05.000-08:00"
    assert feed.next_url == "http://b.example/blog/feed?page=2"


@pytest.mark.parametrize("body", [b"<body<width/>", "<body<width/>"])
def test_markup_feedparser_raises_on_is_not_a_feed(body: bytes | str) -> None:
    """Found by the fuzz target: feedparser raises TypeError on this (a ``width`` with no
    value); the extractors read it as what it is, not a feed, and raise nothing."""
    url = "https://example.org/feeds/posts/default"
    feed = extract_feed(body, url)
    assert not feed.ok and feed.entries == ()
    comments = extract_comment_feed(body, url)
    assert not comments.ok and comments.comments == ()


def test_entries_read_in_one_pass_agree_with_feedparser() -> None:
    """An entry's first alternate HTML link counts, a link with no type or rel is an alternate
    HTML one, xml:base on the entry applies to its links, and an entry with no such link is
    no post."""
    atom = (
        b"<?xml version='1.0'?><feed xmlns='http://www.w3.org/2005/Atom'"
        b" xmlns:thr='http://purl.org/syndication/thread/1.0'>"
        b"<title>Blog</title>"
        b"<entry><id>tag:blogger.com,1999:blog-1.post-11</id>"
        b"<link rel='replies' type='text/html' href='http://b.example/a.html#comments'/>"
        b"<link rel='alternate' type='application/atom+xml' href='http://b.example/a.xml'/>"
        b"<link rel='alternate' type='text/html' href='http://b.example/a.html'/>"
        b"<link rel='alternate' type='text/html' href='http://b.example/other.html'/>"
        b"<?pi here?><title> A title </title><published>2020-01-01T00:00:00Z</published>"
        b"<updated>2020-01-02T00:00:00Z</updated><thr:total>4</thr:total></entry>"
        b"<entry xml:base='http://b.example/2021/'><link href='b.html'/>"
        b"<updated>2021-02-03T04:05:06Z</updated><thr:total> </thr:total></entry>"
        b"<entry><link rel='self' href='http://b.example/not-a-post.xml'/></entry>"
        b"</feed>"
    )
    url = "http://b.example/feeds/posts/default"
    fast, slow = extract_feed(atom, url), extract_feed(atom.decode(), url)
    assert fast == slow
    assert [(e.url, e.platform_id, e.title, e.comment_count) for e in fast.entries] == [
        ("http://b.example/a.html", "11", "A title", 4),
        ("http://b.example/2021/b.html", None, None, None),
    ]


def test_an_entrys_first_field_counts_where_it_repeats() -> None:
    """As lxml's ``find`` reads them (feedparser keeps the last)."""
    atom = (
        b"<feed xmlns='http://www.w3.org/2005/Atom'><entry>"
        b"<id>tag:blogger.com,1999:blog-1.post-11</id><id>tag:blogger.com,1999:blog-1.post-12</id>"
        b"<title>First</title><title>Second</title>"
        b"<link rel='alternate' type='text/html' href='http://b.example/a.html'/></entry></feed>"
    )
    [entry] = extract_feed(atom, "http://b.example/feeds/posts/default").entries
    assert (entry.platform_id, entry.title) == ("11", "First")
