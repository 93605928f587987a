"""Extraction speed: blogarchive's full extraction of a page against trafilatura's ``extract``.

For every blog page of the corpus, the best of ``--repeat`` runs of each, from the same decoded
text: ours is ``extract.extract_page`` (blog, post, comments, key observations, forms, blog
list) and the release of the page's trees (``extract.clear_caches``), so every run starts with
nothing cached and pays for freeing what it built, as trafilatura's ``extract`` (main text)
does before it returns. Prints the median of the per-page speed-ups and the totals.

    python bench/extract_speed.py [--corpus ../shared/corpus] [--repeat 3]
"""

from __future__ import annotations

import argparse
import platform
import statistics
import time
from pathlib import Path

import trafilatura

import extract
from blogarchive import evaluate

#: Pages with at least this many comments get a figure of their own.
MANY_COMMENTS = 10


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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=evaluate.default_corpus())
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    ratios, ours_total, theirs_total = [], 0.0, 0.0
    with_comments = []  # the speed-ups on pages with many comments
    cases = evaluate.blog_cases(args.corpus)
    for case in cases:
        html = evaluate.read_page(args.corpus / "blogs" / case["file"])
        url = case["url"]
        ours = best_time(lambda: extract.extract_page(html, url), args.repeat)  # noqa: B023
        theirs = best_time(lambda: trafilatura.extract(html, url=url), args.repeat)  # noqa: B023
        ratios.append(theirs / ours)
        ours_total += ours
        theirs_total += theirs
        if len(extract.extract_comments(html, url)) >= MANY_COMMENTS:
            with_comments.append(theirs / ours)
        extract.clear_caches()
    print(f"pages: {len(cases)} ({args.corpus / 'blogs'}), best of {args.repeat} runs each")
    print(f"python {platform.python_version()}, trafilatura {trafilatura.__version__}, "
          f"{platform.machine()}")  # fmt: skip
    print(f"median speed-up per page (trafilatura time / ours): {statistics.median(ratios):.2f}x")
    print(f"pages where ours is slower: {sum(r < 1 for r in ratios)}")
    if with_comments:
        print(
            f"median speed-up on the {len(with_comments)} pages with {MANY_COMMENTS} comments or"
            f" more: {statistics.median(with_comments):.2f}x"
        )
    print(f"total: ours {ours_total:.2f}s, trafilatura {theirs_total:.2f}s")


if __name__ == "__main__":
    main()
