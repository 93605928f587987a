"""Property-based tests: every extractor, on generated and mutated HTML, never raises and
always returns results of the declared shapes. A bounded run of the fuzz target too."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import extract
from extract import _dom
from extract.feeds import extract_comment_feed, extract_feed

FIXTURES = Path(__file__).parent / "fixtures"
PAGES = sorted(FIXTURES.glob("*/*/input.html"))
URL = "https://example.org/2024/01/post.html"
TAGS = (
    "p div ul ol li form input select option textarea label h1 h2 h3 b br article main table tr "
    "td script a dl dt dd time abbr section fieldset legend button span"
).split()
ATTRIBUTES = (
    "class id name type for href value title datetime required style placeholder aria-label rel"
).split()
WORDS = [
    "Key Observations:",
    "TL;DR",
    "• item",
    "1. one",
    "Name",
    "Email",
    "comment",
    "post-body",
    "entry-content",
    "comment-list",
    "display:none",
    "",
    "&amp;",
    "<",
    "c123",
]

element = st.deferred(
    lambda: st.builds(
        lambda tag, attrs, children: (
            f"<{tag}"
            + "".join(f' {k}="{v}"' for k, v in attrs)
            + ">"
            + "".join(children)
            + (f"</{tag}>" if tag not in ("br", "input") else "")
        ),
        st.sampled_from(TAGS),
        st.lists(st.tuples(st.sampled_from(ATTRIBUTES), st.sampled_from(WORDS)), max_size=3),
        st.lists(st.one_of(st.sampled_from(WORDS), st.text(max_size=20), element), max_size=4),
    )
)


def check(html: str) -> None:
    page = extract.extract_page(html, URL)
    if page.post is not None:
        assert isinstance(page.post.content_text, str) and isinstance(page.post.labels, tuple)
    for form in page.forms:
        assert form.field_count == len(form.fields)
        schema = json.loads(form.json_schema)
        assert len(schema["properties"]) == form.field_count
        assert [f.position for f in form.fields] == list(range(1, form.field_count + 1))
    assert [o.position >= 1 for o in page.key_observations] == [True] * len(page.key_observations)
    assert [link.position for link in page.blog_links] == list(range(1, len(page.blog_links) + 1))
    extract_feed(html, URL)
    extract_comment_feed(html, URL)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(element, min_size=1, max_size=6))
def test_generated_html(fragments: list[str]) -> None:
    check("<html><body>" + "".join(fragments) + "</body></html>")


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(PAGES), st.integers(0, 10**9), st.integers(1, 200), st.binary(max_size=40))
def test_mutated_real_pages(page: Path, where: int, cut: int, junk: bytes) -> None:
    data = page.read_bytes()
    at = where % max(1, len(data))
    mutated = data[:at] + junk + data[at + cut :]
    check(mutated.decode("utf-8", errors="replace"))


@settings(max_examples=50, deadline=None)
@given(st.text(max_size=300))
def test_any_text(text: str) -> None:
    check(text)


URL_CHARS = "abcXYZ09./-_~!$&'()*+,=:@%?#; é"


@settings(max_examples=400, deadline=None)
@given(
    st.sampled_from(["http://", "https://", "HTTP://", ""]),
    st.sampled_from(
        ["a.example", "B.example", "127.0.0.20:8080", "h:99999", "h:65536", "h:0", "a..b", ""]
    ),
    st.text(URL_CHARS, max_size=30),
    st.sampled_from([None, "http://a.example/x/", "https://b.example/feeds/1?x=1"]),
)
def test_an_address_canonical_as_it_is_comes_back_as_the_whole_rule_makes_it(
    scheme: str, host: str, path: str, base: str | None
) -> None:
    """``canonical_url`` gives back an address its one match finds plain; the whole rule (and
    ``urljoin``, which feeds' links skip for such an address) gives back the same."""
    from urllib.parse import urljoin

    from extract.urls import ALREADY_ABSOLUTE, ALREADY_CANONICAL, _canonical, canonical_url

    url = f"{scheme}{host}/{path}"
    assert canonical_url(url, base=base) == _canonical(url, base)
    if ALREADY_CANONICAL.fullmatch(url):
        assert urljoin(base or "http://c.example/", url) == url
    if ALREADY_ABSOLUTE.fullmatch(url):  # (a query and a fragment too)
        assert urljoin(base or "http://c.example/", url) == url
    # a page's links: made absolute with and without the shortcut alike
    page = base or "http://c.example/"
    assert _dom.joined(page, url) == urljoin(page, url)
    resolved: str | None = urljoin(page, url.strip())
    try:
        _ = urlsplit(resolved).port  # a port that is no number raises
    except ValueError:
        resolved = None
    if not url.strip() or url.strip().startswith(("javascript:", "mailto:", "data:", "#")):
        resolved = None
    assert _dom.absolute(page, url) == resolved


@pytest.mark.fuzz
def test_the_fuzz_target_runs_without_a_crash(tmp_path: Path) -> None:
    pytest.importorskip("atheris")
    seconds = os.environ.get("BLOGARCHIVE_FUZZ_SECONDS", "10")
    # a fixed seed, so that what a run finds in CI is found again by the same run here
    seed = os.environ.get("BLOGARCHIVE_FUZZ_SEED", "1")
    corpus = tmp_path / "corpus"  # libFuzzer adds what it finds to it: a copy, never the fixtures
    corpus.mkdir()
    for n, page in enumerate(PAGES):
        (corpus / f"seed-{n}.html").write_bytes(page.read_bytes())
    result = subprocess.run(
        [sys.executable, str(Path(__file__).parent.parent / "fuzz" / "fuzz_extract.py"),
         f"-max_total_time={seconds}", f"-seed={seed}", "-rss_limit_mb=4096",
         f"-artifact_prefix={tmp_path}/",
         str(corpus)],
        capture_output=True, text=True, timeout=int(seconds) + 120,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-3000:]
    assert "Done" in result.stderr or "done" in result.stderr.lower()
