"""The rules every extractor keeps (DESIGN.md, "How we write code here", 1)."""

from __future__ import annotations

import copy
import dataclasses
import subprocess
import sys
from pathlib import Path

import lxml.html
import pytest

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
    assert "__slots__" in cls.__dict__
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
