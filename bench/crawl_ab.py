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

The CPU is split between the crawl's own process (Scrapy, the archive's writes) and its
children (the extraction worker, multiprocessing's resource tracker), with the share of the
wall time the crawl's own process was busy: near 100%, that process is what limits the crawl,
and moving work out of it (or taking work off it) is what would make the crawl faster.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import processes
from static_site import NginxSite
from workload import FAST, bench_blog, setting_options


@dataclass(frozen=True)
class Run:
    """One crawl's seconds: wall, and CPU in all (``cpu``) and in its children (``children``)."""

    wall: float
    cpu: float
    children: float

    @property
    def own(self) -> float:
        """CPU seconds of the crawl's own process."""
        return self.cpu - self.children

    @property
    def busy(self) -> float:
        """The share of the wall time the crawl's own process was busy."""
        return self.own / self.wall

    def __str__(self) -> str:
        return describe(self.wall, self.cpu, self.own, self.busy, self.children)


def describe(wall: float, cpu: float, own: float, busy: float, children: float) -> str:
    return (
        f"wall {wall:.1f} s, CPU {cpu:.1f} s (the crawl's own process {own:.1f} s, busy"
        f" {busy:.0%} of the wall time; its children {children:.1f} s)"
    )


def crawl(tree: Path, home: str, db: Path, settings: list[str]) -> Run:
    """One crawl of ``home`` with the code in ``tree``: its wall and CPU seconds (CPU: the
    crawl's and its children's, extraction processes included, as ``processes.py`` reads
    them)."""
    for leftover in db.parent.glob(db.name + "*"):
        shutil.rmtree(leftover) if leftover.is_dir() else leftover.unlink()
    crawl = [sys.executable, "-m", "blogarchive.cli", "crawl", home, "--db", str(db),
             "--depth", "0", "-q", *FAST, *setting_options(settings)]  # fmt: skip
    code, used = processes.measure(crawl, cwd=tree, env={**os.environ, "PYTHONPATH": str(tree)})
    if code:
        raise SystemExit(f"crawl_ab: the crawl with {tree} exited with {code}")
    return Run(used.seconds, used.cpu, used.children_cpu)


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
    runs: dict[str, list[Run]] = {label: [] for label in variants}
    with tempfile.TemporaryDirectory() as folder, NginxSite(blog, Path(folder) / "nginx") as site:
        for round_ in range(1, args.rounds + 1):
            for label, (tree, settings) in variants.items():
                run = crawl(tree, site.home, Path(folder) / "crawl.db", settings)
                runs[label].append(run)
                print(f"round {round_}: {label}: {run}", flush=True)
    for label, timings in runs.items():
        medians = (
            statistics.median(getattr(run, name) for run in timings)
            for name in ("wall", "cpu", "own", "busy", "children")
        )
        print(f"{label}: {posts} posts, medians: {describe(*medians)}")


if __name__ == "__main__":
    main()
