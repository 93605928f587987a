"""Extraction speed: blogarchive's full extraction of a page against trafilatura's ``extract``.

For every blog page of the corpus, the best of ``--repeat`` runs of each, from the same decoded
text: ours is ``extract.extract_page`` (blog, post, comments, key observations, forms, blog
list) and the release of the page's trees (``extract.clear_caches``), so every run starts with
nothing cached and pays for freeing what it built, as trafilatura's ``extract`` (main text)
does before it returns. Prints the median of the per-page speed-ups and the totals, and which
build of the extractors ran: compiled by mypyc (a wheel's, ``pip install .``) or pure Python
(an editable install's).

With ``--parts``, also where our time goes: the median time a page of each part of the
extraction (libxml2's parse, the page's index, each extractor, the release of the trees); the
median speed-up there would be if parsing and indexing cost nothing (how far the extractors'
own work alone is from a target); and the pages no known template fits, whose main text comes
from trafilatura itself (so they cannot be faster than it), apart from the others.

It also says what the fallback to trafilatura costs: how many pages' body came from it
(``posts.extractor``), and our median and 95th-percentile time a page, on those and on the rest.
``--set generic`` measures the corpus's pages of other sites (news, magazines, other platforms),
where the fallback is taken most.

    python bench/extract_speed.py [--corpus ../shared/corpus] [--set blogs] [--repeat 3] [--parts]
                                  [--pages N]
"""

from __future__ import annotations

import argparse
import platform
import statistics
import time
from collections.abc import Callable
from pathlib import Path

import trafilatura

import extract
from blogarchive import evaluate
from extract import _dom
from extract.post import cleaned_body

#: Pages with at least this many comments get a figure of their own.
MANY_COMMENTS = 10


def build() -> str:
    """Which build of the extractors runs: compiled (what ``pip install .`` installs) or pure."""
    if Path(_dom.__file__ or "").suffix in (".so", ".pyd"):
        return f"compiled by mypyc ({Path(_dom.__file__ or '').parent})"
    return f"pure Python ({Path(_dom.__file__ or '').parent}; `pip install .` compiles them)"


def best_time(function, repeat: int) -> float:  # type: ignore[no-untyped-def]
    """The shortest of ``repeat`` runs of ``function`` and of the release of what it kept:
    trafilatura frees its trees before it returns, ours stay cached until they are forgotten."""
    best = float("inf")
    extract.clear_caches()
    for _ in range(repeat):
        started = time.perf_counter()
        function()
        extract.clear_caches()
        best = min(best, time.perf_counter() - started)
    return best


#: The parts of ``extract.extract_page``, in the order it runs them (each after the ones before,
#: so that each finds the page parsed and indexed, as in a full extraction).
PARTS: tuple[tuple[str, Callable[[str, str], object]], ...] = (
    ("post", extract.extract_post),
    ("blog", extract.extract_blog),
    ("comments", extract.extract_comments),
    ("key observations", extract.extract_observations),
    ("forms", extract.extract_forms),
    ("blog list", extract.extract_blog_links),
)


def part_times(html: str, url: str, repeat: int) -> dict[str, float]:
    """Seconds each part of a full extraction of the page takes: the run (of ``repeat``)
    whose parts add up to the least. The parse and the index are timed apart, on the same
    text (``extract.extract_page`` makes both in its first call)."""
    best: dict[str, float] = {}
    for _ in range(repeat):
        extract.clear_caches()
        times = {}
        started = time.perf_counter()
        root = _dom._parse(html, url)
        times["parse"] = time.perf_counter() - started
        started = time.perf_counter()
        _dom._Index(root)
        times["index"] = time.perf_counter() - started
        del root
        extract.clear_caches()
        _dom.parse(html, url)  # the page as the extractors find it (not timed: see above)
        for name, function in PARTS:
            started = time.perf_counter()
            function(html, url)
            times[name] = time.perf_counter() - started
        started = time.perf_counter()
        extract.clear_caches()
        times["release"] = time.perf_counter() - started
        if not best or sum(times.values()) < sum(best.values()):
            best = times
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=evaluate.default_corpus())
    parser.add_argument("--set", dest="page_set", choices=evaluate.PAGE_SETS, default="blogs")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument(
        "--parts", action="store_true", help="also time each part of our extraction"
    )
    parser.add_argument(
        "--pages", type=int, default=None, metavar="N", help="only the corpus's first N pages"
    )
    args = parser.parse_args()
    if not (args.corpus / args.page_set / "cases.json").exists():
        raise SystemExit(f"extract_speed: no {args.page_set}/ set of pages at {args.corpus}")
    ratios, ours_total, theirs_total = [], 0.0, 0.0
    parts: list[dict[str, float]] = []
    without_parse = []  # the speed-ups if parsing and indexing cost nothing
    templated = []  # the speed-ups on pages whose body a known template gives
    with_comments = []  # the speed-ups on pages with many comments
    by_extractor: dict[str, list[float]] = {}  # our times a page, by what gave its body
    cases = evaluate.blog_cases(args.corpus, args.page_set)[: args.pages]
    for case in cases:
        html = evaluate.read_page(args.corpus / args.page_set / case["file"])
        url = case["url"]
        ours = best_time(lambda: extract.extract_page(html, url), args.repeat)  # noqa: B023
        post = extract.extract_page(html, url).post
        fallback = post is not None and post.extractor == "trafilatura"
        by_extractor.setdefault("trafilatura" if fallback else "ours", []).append(ours)
        theirs = best_time(lambda: trafilatura.extract(html, url=url), args.repeat)  # noqa: B023
        ratios.append(theirs / ours)
        ours_total += ours
        theirs_total += theirs
        if len(extract.extract_comments(html, url)) >= MANY_COMMENTS:
            with_comments.append(theirs / ours)
        extract.clear_caches()
        if args.parts:
            times = part_times(html, url, args.repeat)
            parts.append(times)
            # the parts' sum stands for ours, so the two parts left out are measured alike
            rest = sum(times.values()) - times["parse"] - times["index"]
            without_parse.append(theirs / rest)
            if cleaned_body(html, url) is not None:
                templated.append(theirs / ours)
            extract.clear_caches()
    print(f"pages: {len(cases)} ({args.corpus / args.page_set}), best of {args.repeat} runs each")
    print(f"python {platform.python_version()}, trafilatura {trafilatura.__version__}, "
          f"{platform.machine()}")  # fmt: skip
    print(f"extractors: {build()}")
    print(f"median speed-up per page (trafilatura time / ours): {statistics.median(ratios):.2f}x")
    print(f"pages where ours is slower: {sum(r < 1 for r in ratios)}")
    if with_comments:
        print(
            f"median speed-up on the {len(with_comments)} pages with {MANY_COMMENTS} comments or"
            f" more: {statistics.median(with_comments):.2f}x"
        )
    print(f"total: ours {ours_total:.2f}s, trafilatura {theirs_total:.2f}s")
    for name, label in (("ours", "our selectors"), ("trafilatura", "the fallback to trafilatura")):
        times = sorted(by_extractor.get(name, []))
        if times:
            p95 = times[min(len(times) - 1, round(0.95 * (len(times) - 1)))]
            print(
                f"pages whose body {label} gave: {len(times)}, ours a page: median"
                f" {statistics.median(times) * 1000:.1f} ms, p95 {p95 * 1000:.1f} ms"
            )
    if parts:
        print("our parts, median ms a page:")
        for name in parts[0]:
            print(f"  {name}: {statistics.median(p[name] for p in parts) * 1000:.2f}")
        print(
            "median speed-up if parsing and indexing cost nothing:"
            f" {statistics.median(without_parse):.2f}x"
        )
        print(
            "pages no known template fits (main text from trafilatura):"
            f" {len(ratios) - len(templated)}"
        )
        if templated:
            print(
                f"median speed-up on the other {len(templated)}:"
                f" {statistics.median(templated):.2f}x"
            )


if __name__ == "__main__":
    main()
