"""The same crawl from two or more source trees, back to back: which one costs less.

    git worktree add /tmp/before <commit>
    python bench/crawl_ab.py --posts 2000 --rounds 3 /tmp/before .

A tree may carry Scrapy settings for its runs, after ``@`` (comma-separated): the same tree
with and without extraction processes is ``. .@BLOGARCHIVE_EXTRACT_PROCESSES=0``.

A generated Blogger blog (as ``crawl_bench.py`` makes it) is served by nginx once; each round
crawls it with every tree in turn (``blogarchive crawl`` run with the tree as its working
folder and ``PYTHONPATH``), politeness off. Prints each run, then each tree's median wall and
CPU seconds. Runs alternate so that a machine that slows down or speeds up during the
benchmark weighs on every tree alike.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from static_site import NginxSite
from workload import FAST, bench_blog, setting_options


def crawl(tree: Path, home: str, db: Path, settings: list[str]) -> tuple[float, float]:
    """(wall, CPU) seconds of one crawl of ``home`` with the code in ``tree`` (CPU: the crawl's
    and its own children's, extraction processes included)."""
    for leftover in db.parent.glob(db.name + "*"):
        shutil.rmtree(leftover) if leftover.is_dir() else leftover.unlink()
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "blogarchive.cli", "crawl", home, "--db", str(db), "--depth", "0",
         "-q", *FAST, *setting_options(settings)],
        cwd=tree, env={**os.environ, "PYTHONPATH": str(tree)}, check=True,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime
    return wall, cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "trees", nargs="+", help="source trees (repository clones), each as TREE[@NAME=VALUE,...]"
    )
    parser.add_argument("--posts", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    variants = {}  # label -> (tree, settings)
    for given in args.trees:
        folder, _, settings = given.partition("@")
        tree = Path(folder).resolve()
        if not (tree / "blogarchive" / "cli.py").exists():
            raise SystemExit(f"crawl_ab: {tree} is not a blogarchive source tree")
        label = f"{tree}@{settings}" if settings else str(tree)
        variants[label] = (tree, [s for s in settings.split(",") if s])
    posts = args.posts
    blog = bench_blog(posts)
    runs: dict[str, list[tuple[float, float]]] = {label: [] for label in variants}
    with tempfile.TemporaryDirectory() as folder, NginxSite(blog, Path(folder) / "nginx") as site:
        for round_ in range(1, args.rounds + 1):
            for label, (tree, settings) in variants.items():
                wall, cpu = crawl(tree, site.home, Path(folder) / "crawl.db", settings)
                runs[label].append((wall, cpu))
                print(f"round {round_}: {label}: wall {wall:.1f} s, CPU {cpu:.1f} s", flush=True)
    for label, timings in runs.items():
        wall = statistics.median(t[0] for t in timings)
        cpu = statistics.median(t[1] for t in timings)
        print(f"{label}: {posts} posts, median wall {wall:.1f} s, CPU {cpu:.1f} s")


if __name__ == "__main__":
    main()
