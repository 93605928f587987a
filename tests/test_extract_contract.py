"""The rules every extractor keeps: pure functions of ``(html, url)`` that import neither Scrapy
nor SQLite and return frozen dataclasses (README, "Development")."""

from __future__ import annotations

import copy
import dataclasses
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import lxml.html
import pytest
from lxml import etree

import extract
from extract import _dom

RESULT_TYPES = [
    extract.Blog,
    extract.BlogLink,
    extract.Comment,
    extract.Form,
    extract.FormField,
    extract.KeyObservation,
    extract.Option,
    extract.Page,
    extract.Post,
]
SEED_PAGE = Path(__file__).parent / "fixtures" / "post" / "blogger-classic-seed"


def test_extract_imports_neither_scrapy_nor_sqlite_utils() -> None:
    code = (
        "import sys, extract, extract.feeds; "
        "roots = {m.split('.')[0] for m in sys.modules}; "
        "bad = sorted(roots & {'scrapy', 'sqlite_utils', 'twisted'}); "
        "print(','.join(bad))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == ""


@pytest.mark.parametrize("cls", RESULT_TYPES, ids=lambda c: c.__name__)
def test_results_are_frozen_slotted_keyword_dataclasses(cls: type) -> None:
    params = cls.__dataclass_params__  # type: ignore[attr-defined]
    assert params.frozen
    # slotted: no instance carries a __dict__ (mypyc's compiled classes have none either)
    assert cls.__dictoffset__ == 0
    assert all(field.kw_only for field in dataclasses.fields(cls))


def test_extractors_do_not_change_the_shared_tree() -> None:
    html = (SEED_PAGE / "input.html").read_text(encoding="utf-8")
    url = "http://127.0.0.2:8780/2010/03/miller-heiman-round-table-discussions_08.html"
    tree = _dom.parse(html, url)
    before = lxml.html.tostring(copy.deepcopy(tree))
    page = extract.extract_page(html, url)
    assert page.post is not None and page.forms
    assert _dom.parse(html, url) is tree  # parsed once, shared
    assert lxml.html.tostring(tree) == before


@pytest.mark.parametrize(
    ("url", "post"),
    [
        ("https://b.blogspot.com/2010/03/post.html", True),
        ("https://w.example/2021/09/20/negotiation-is-a-process/", True),
        ("https://w.example/archives/123", True),
        ("https://w.example/posts/alpha.html", True),
        ("https://b.blogspot.com/search/label/Coaching", False),
        ("https://b.blogspot.com/2010/03/", False),
        ("https://w.example/calendar/2020/01/", False),
        ("https://w.example/blog/2020/01/", False),
        ("https://w.example/tag/notes/", False),
        ("https://w.example/category/news/page/2/", False),
        ("https://w.example/archives/2020/05", False),
        ("https://b.blogspot.com/p/about.html", False),
        ("https://w.example/", False),
    ],
)
def test_which_urls_may_be_posts(url: str, post: bool) -> None:
    from extract.urls import may_be_post

    assert may_be_post(url) is post


@pytest.mark.parametrize("href", ["http://example.org:87a/x", "http://[::1/x", "https://:0x/"])
def test_malformed_addresses_do_not_raise(href: str) -> None:
    """Found by the fuzz target: a port that is no number made canonical_url raise."""
    from extract.urls import canonical_url

    html = (
        f'<html><head><link rel="canonical" href="{href}"></head><body><a href="{href}">x</a>'
        f'<form action="{href}"><input name="q"></form><div class="post-body"><p>{"text " * 40}'
        "</p></div></body></html>"
    )
    page = extract.extract_page(html, "https://example.org/2024/01/p.html")
    assert page.post is not None and len(page.forms) == 1
    assert isinstance(canonical_url(href), str)


FIXTURE_PAGES = sorted(Path(__file__).parent.glob("fixtures/*/*/input.html"))


def extracted(page: Path) -> tuple[etree._Element, _dom._Index]:
    """A fixture page after every extractor ran over it: its tree, and its index with the
    answers the extractors asked for."""
    html = page.read_text(encoding="utf-8")
    url = "https://example.org/2024/01/post.html"
    extract.clear_caches()
    extract.extract_page(html, url)
    root = _dom.parse(html, url)
    index = _dom._index_of(root)
    assert index is not None
    return root, index


@pytest.mark.parametrize("page", FIXTURE_PAGES, ids=lambda p: p.parent.name)
def test_the_page_index_answers_selectors_as_lxml_does(page: Path) -> None:
    """Every selector the extractors ask of a page gets, from the page's index, the elements
    lxml's own CSS translation finds, in the same order."""
    root, index = extracted(page)
    asked = [*index.cache, "body.blog:not(.single)", "input:not([type=hidden]):not(.x) , a"]
    assert len(asked) > 10
    for selector in asked:
        assert index.select(selector) == _dom.css(selector)(root), selector


def comment_selectors() -> list[str]:
    """The selectors the comment extractor asks of a comment."""
    from extract import comments

    return [
        *comments.AUTHOR,
        *comments.AUTHOR_LINK,
        *comments.BODY,
        *comments.NOT_TEXT,
        *comments.PERMALINK,
        *(selector for selector, _ in comments.TIME),
    ]


def fixture_comments() -> Iterator[tuple[etree._Element, set[etree._Element]]]:
    """Every comment element of the fixture pages, with the comments of its kind on its page."""
    from extract import comments

    for page in FIXTURE_PAGES:
        root = _dom.parse(page.read_text(encoding="utf-8"), "https://example.org/")
        for selector in comments.ITEMS:
            items = _dom.select(root, selector)
            for item in items:
                yield item, set(items)


def test_a_comments_own_tree_answers_selectors_as_lxml_does() -> None:
    """A comment's subtree on the page (answered from the page's index), or a copy of it
    without its replies (indexed with ``index_tree``). Every selector the comment
    extractor asks of it gets what lxml's CSS translation finds under it, in the same order;
    ancestors above it do not count."""
    from extract import comments

    asked = [
        *comment_selectors(),
        "li[id^=comment-] p, [rel~=nofollow]",
        "body p",  # body is above every comment: nothing under one matches
        "ol .comment-content, li > div",
        "p:not(.x) a",  # a pseudo-class: lxml's own translation
    ]
    checked = 0
    kinds = set()
    for item, members in fixture_comments():
        replies = comments._replies(item, members)
        own = comments._copy_without(item, replies) if replies else item
        assert own is item or _dom._index_of(own) is not None
        kinds.add("subtree" if own is item else "copy")
        for selector in asked:
            expected = _dom.css(selector)(own)
            assert _dom.select(own, selector) == expected, selector
            checked += bool(expected)
    assert checked > 100
    assert kinds == {"subtree", "copy"}


def test_a_comments_scope_answers_what_its_copy_without_replies_does() -> None:
    """A comment is read on the page itself, less what lies in its replies: each selector the
    comment extractor asks finds there the same elements (the same HTML) as in a copy of the
    comment without its replies."""
    from extract import comments

    with_replies = checked = 0
    for item, members in fixture_comments():
        replies = comments._replies(item, members)
        with_replies += bool(replies)
        scope = comments._Scope(item, replies, copied=False)
        copy = comments._copy_without(item, replies)
        for selector in [*comment_selectors(), "p", "a"]:
            on_page = [outer_html(e) for e in scope.select(selector)]
            assert on_page == [outer_html(e) for e in _dom.select(copy, selector)], selector
            checked += bool(on_page)
    assert with_replies > 5 and checked > 100


def test_a_comment_part_holding_a_reply_is_read_from_a_copy() -> None:
    """A theme that puts the replies inside the comment's text: the text is the comment's own,
    and the reply is a comment of its own."""
    html = (
        "<html><body><ol class='comment-list'>"
        "<li class='comment' id='comment-1'><cite class='fn'>Ann</cite>"
        "<div class='comment-content'><p>First words.</p>"
        "<ol class='children'><li class='comment' id='comment-2'><cite class='fn'>Bob</cite>"
        "<div class='comment-content'><p>A reply.</p></div></li></ol></div></li>"
        "</ol></body></html>"
    )
    found = extract.extract_comments(html, "https://example.org/2024/01/post.html")
    assert [(c.platform_id, c.parent_platform_id, c.author) for c in found] == [
        ("1", None, "Ann"),
        ("2", "1", "Bob"),
    ]
    assert found[0].content_text == "First words."
    assert "reply" not in found[0].content_html
    assert found[1].content_text == "A reply."


def outer_html(element: etree._Element) -> bytes:
    return etree.tostring(element, method="html", with_tail=False)


@pytest.mark.parametrize("page", FIXTURE_PAGES[::3], ids=lambda p: p.parent.name)
def test_any_element_of_a_page_answers_selectors_as_lxml_does(page: Path) -> None:
    """Under any element of a parsed page, a selector gets the page's answer cut to the
    element's subtree: what lxml's CSS translation finds under that element, in order."""
    root, index = extracted(page)
    asked = [*list(index.cache)[:40], "div p", "div > a", "li a, p", "ul > li > a", "body div"]
    elements = [e for e in root.iter(etree.Element) if e.get("class") or e.get("id")][::4]
    assert elements
    found = 0
    for element in elements:
        for selector in asked:
            expected = _dom.css(selector)(element)
            assert _dom.select(element, selector) == expected, (selector, element.get("class"))
            found += len(expected)
    assert found > 0


def test_class_words_are_found_as_the_regular_expression_finds_them() -> None:
    """The index finds class words by ``str.find`` in the lowered names: it finds what the
    pattern of those words finds in each name (a part between ``-`` and ``_``, in any case;
    not inside a longer word), on the fixture pages and on names made to trip it, one of
    them lowered to two characters (the pattern's own search then)."""
    from extract.post import LEAD_WORDS

    words = frozenset({*LEAD_WORDS, "cookie"})
    pattern = _dom.class_word_pattern(words)
    tricky = (
        "<html><body><p class='entry-intro'>a</p><p class='Intro_Text leader'>b</p>"
        "<p class='misleading lead-'>c</p><p class='post--LEAD x'>d</p><p class='introduction'>"
        "e</p><p class='BorlabsCookie'>f</p><p class='a_cookie_b teaser'>g</p></body></html>"
    )
    pages = [*(p.read_text(encoding="utf-8") for p in FIXTURE_PAGES), tricky, tricky.replace(
        "<p class='introduction'>", "<p class='İntro intro'>"
    )]  # fmt: skip
    matched = 0
    for html in pages:
        extract.clear_caches()
        root = _dom.parse(html, "https://example.org/")
        expected = [
            element
            for element in root.iter()
            if any(pattern.search(name) for name in (element.get("class") or "").split())
        ]
        assert _dom.having_class_word(root, words) == expected
        matched += len(expected)
    assert matched >= 11  # five on the first made page, six on the second


def test_a_page_keeps_its_index_while_other_html_is_parsed() -> None:
    """A page's extractors may parse other HTML between two questions about the page (the
    fallback's output): the page stays indexed until many more pages were parsed after it,
    and is indexed again whenever it is parsed again."""
    url = "https://example.org/2024/01/post.html"
    page = "<html><body><div class='post-body'><p>Text</p></div></body></html>"
    _dom._INDEXES.clear()
    for n in range(5):  # parsed before it
        _dom.parse(f"<html><body><p>Earlier page {n}</p></body></html>", url)
    root = _dom.parse(page, url)
    for n in range(2 * _dom.PAGES_KEPT - 1):
        _dom.parse(f"<html><body><p>Other page {n}</p></body></html>", url)
        assert _dom._index_of(root) is not None, n
    for n in range(2 * _dom.PAGES_KEPT):
        _dom.parse(f"<html><body><p>Later page {n}</p></body></html>", url)
    again = _dom.parse(page, url)
    assert _dom._index_of(again) is not None
    assert _dom.select(again, "div.post-body") == _dom.css("div.post-body")(again)


def test_copy_tree_copies_exactly_into_a_tree_of_its_own() -> None:
    """``copy_tree`` (which copies a subtree with ids by XSLT rather than ``deepcopy``, see
    bench/copy_memory.py) gives what ``deepcopy`` gives: the same HTML, characters outside
    ASCII included, the same tail, and a root of its own that changes leave the page alone.
    Whether the element is an ID itself (found by its path) or holds them (copied as a subtree),
    an anchor's ``name`` is one, a tag XPath cannot name is on the way, or it is the whole page."""
    import copy

    from lxml import etree

    html = (
        "<html><body><div id='post-body-1' class='post-body'><p id='p1'>One &amp; <b>two</b>"
        "</p><ul><li id='c1'>A <a href='/x'>link</a> über – 😀</li></ul>"
        "<svg xmlns='http://www.w3.org/2000/svg' xmlns:xlink='http://www.w3.org/1999/xlink'>"
        "<use xlink:href='#a'/></svg><script>if (a < b && c) {}</script></div>"
        "after<div class='plain'><p>No id here.</p></div>tail<div><a name='note-1'>1</a> Note"
        "</div><o:p><div><span id='deep'>Word's markup</span></div></o:p></body></html>"
    )
    root = _dom.parse(html, "https://example.org/")
    elements = [*root.find("body"), root.find(".//span"), root.find(".//span/.."), root]
    for element in elements:
        copied = _dom.copy_tree(element)
        expected = copy.deepcopy(element)
        assert etree.tostring(copied, method="html", encoding="unicode") == etree.tostring(
            expected, method="html", encoding="unicode"
        )
        assert copied.tail == element.tail and copied.getparent() is None
        copied.clear()
        assert len(element) > 0 or element.tag == "span"  # the page is untouched
    assert _dom.text_of(root.find("body/div")) == "One & two A link über – 😀"


def test_paragraph_text_is_the_text_inside_text_blocks() -> None:
    """``_block_text`` walks what this XPath union selects: each text node inside a block once."""
    from lxml import etree

    from extract import post

    union = etree.XPath(
        "|".join(f".//{tag}//text()" for tag in post.TEXT_BLOCKS), smart_strings=False
    )
    checked = 0
    for page in FIXTURE_PAGES:
        root = _dom.parse(page.read_text(encoding="utf-8"), "https://example.org/")
        for element in root.iter("body", "div", "li", "td", "article", "section", "p"):
            assert post._block_text(element) == "".join(union(element))
            checked += 1
    assert checked > 500


def test_extracting_a_page_leaves_nothing_for_the_garbage_collector() -> None:
    """Everything an extraction builds is freed by its reference counts once the page's trees
    are forgotten: no cycle (a nested function that calls itself is one) waits for a
    collection, holding a parsed tree meanwhile."""
    import gc

    gc.collect()
    gc.set_debug(gc.DEBUG_SAVEALL)  # what a collection finds stays in gc.garbage, to be named
    try:
        for page in FIXTURE_PAGES:
            extract.extract_page(
                page.read_text(encoding="utf-8"), "http://127.0.0.2/2010/03/a.html"
            )
            extract.clear_caches()
        gc.collect()
        # ours: the extractors' functions and objects (the test run's own machinery, pytest's
        # and its plugins', may leave cycles of their own meanwhile)
        left = sorted(
            getattr(thing, "__qualname__", type(thing).__qualname__)
            for thing in gc.garbage
            if (getattr(thing, "__module__", None) or type(thing).__module__).startswith("extract")
        )
    finally:
        gc.set_debug(0)
        gc.garbage.clear()
    assert left == []
