"""Every fixture case: ``tests/fixtures/<extractor>/<case>/{input.html, meta.json, expected.json}``.

``expected.json`` lists only the fields a case is about; each is compared with the extractor's
result. A list is compared item by item (and must have the same length); a value of the form
``{"must_contain": [...], "must_not_contain": [...]}`` checks snippets of long text;
``option_labels`` compares a field's option labels only.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import asdict, is_dataclass
from pathlib import Path
from typing import Any

import pytest

import extract
from extract.post import extract_article

FIXTURES = Path(__file__).parent / "fixtures"
EXTRACTORS: dict[str, Callable[[str, str], Any]] = {
    "post": extract.extract_post,
    "comments": extract.extract_comments,
    "observations": extract.extract_observations,
    "forms": extract.extract_forms,
    "bloglist": extract.extract_blog_links,
}
CASES = sorted(path for path in FIXTURES.glob("*/*") if (path / "expected.json").exists())


def as_plain(value: Any) -> Any:
    if is_dataclass(value) and not isinstance(value, type):
        return as_plain(asdict(value))
    if isinstance(value, dict):
        return {key: as_plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [as_plain(item) for item in value]
    return value


def compare(expected: Any, actual: Any, where: str) -> list[str]:
    """Differences between ``expected`` and ``actual``, each as one readable line."""
    if isinstance(expected, dict) and (
        "must_contain" in expected or "must_not_contain" in expected
    ):
        text = actual or ""
        problems = [
            f"{where}: missing {s!r}" for s in expected.get("must_contain", []) if s not in text
        ]
        problems += [
            f"{where}: should not contain {s!r}"
            for s in expected.get("must_not_contain", [])
            if s in text
        ]
        return problems
    if isinstance(expected, dict):
        if not isinstance(actual, dict):
            return [f"{where}: expected an object, got {actual!r}"]
        problems = []
        for key, value in expected.items():
            if key == "option_labels":
                labels = [option["label"] for option in actual.get("options", [])]
                problems += compare(value, labels, f"{where}.options[].label")
            elif key not in actual:
                problems.append(f"{where}: no field {key!r}")
            else:
                problems += compare(value, actual[key], f"{where}.{key}")
        return problems
    if isinstance(expected, list):
        if not isinstance(actual, list):
            return [f"{where}: expected a list, got {actual!r}"]
        problems = []
        if len(expected) != len(actual):
            problems.append(f"{where}: expected {len(expected)} items, got {len(actual)}")
        for index, (want, got) in enumerate(zip(expected, actual, strict=False)):
            problems += compare(want, got, f"{where}[{index}]")
        return problems
    return [] if expected == actual else [f"{where}: expected {expected!r}, got {actual!r}"]


@pytest.mark.parametrize("case", CASES, ids=[f"{c.parent.name}/{c.name}" for c in CASES])
def test_fixture_case(case: Path) -> None:
    extractor = EXTRACTORS[case.parent.name]
    html = (case / "input.html").read_text(encoding="utf-8")
    url = json.loads((case / "meta.json").read_text(encoding="utf-8"))["url"]
    expected = json.loads((case / "expected.json").read_text(encoding="utf-8"))
    actual = as_plain(extractor(html, url))
    problems = compare(expected, actual, case.parent.name)
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize(
    "case",
    [c for c in CASES if c.parent.name == "comments"],
    ids=[c.name for c in CASES if c.parent.name == "comments"],
)
def test_no_comment_is_taken_into_the_page_s_text(case: Path) -> None:
    html = (case / "input.html").read_text(encoding="utf-8")
    url = json.loads((case / "meta.json").read_text(encoding="utf-8"))["url"]
    article = extract_article(html, url)
    text = article.content_text if article is not None else ""
    comments = [c.content_text for c in extract.extract_comments(html, url)]
    assert comments and not [c for c in comments if c and c in text]


def test_every_extractor_has_cases() -> None:
    assert {case.parent.name for case in CASES} == set(EXTRACTORS)


def test_comparison_reports_differences() -> None:
    """The comparator itself fails on a wrong value, a missing item and a forbidden snippet."""
    assert compare({"a": 1}, {"a": 2}, "x") == ["x.a: expected 1, got 2"]
    assert compare([1, 2], [1], "x") == ["x: expected 2 items, got 1"]
    assert compare({"must_not_contain": ["nav"]}, "text nav", "t") == [
        "t: should not contain 'nav'"
    ]


def test_comments_of_several_tags_with_a_wrapped_reply_keep_page_order() -> None:
    # a selector's matches of two tags, and a comment of the same tag and class around the
    # first (found by fuzzing: the page order was read over the last match's tag only)
    html = (
        "<html><body><article><h1>Night walks</h1><p>The town after ten.</p></article>"
        '<div class="thread"><p>Thread</p><div class="thread" itemscope'
        ' itemtype="https://schema.org/Comment"><span itemprop="author">Ann</span>'
        '<p itemprop="text">First.</p></div></div>'
        '<article itemscope itemtype="https://schema.org/Comment"><span itemprop="author">Bo'
        '</span><p itemprop="text">Second.</p></article></body></html>'
    )
    comments = extract.extract_comments(html, "https://town.example.org/2019/11/night-walks.html")
    texts = [comment.content_text for comment in comments]
    assert any("First." in text for text in texts) and any("Second." in text for text in texts)
    first = next(n for n, text in enumerate(texts) if "First." in text)
    second = next(n for n, text in enumerate(texts) if "Second." in text)
    assert first < second
