"""Crawl throughput, refresh cost, memory and archive size on a generated Blogger blog.

    python bench/crawl_bench.py --posts 1000 [--posts 10000 ...] [--wget-max 10000]
                                [--bare-items 4]
    python bench/crawl_bench.py --crawl-only --posts 50000 [--keep bench50k.db]
    python bench/crawl_bench.py --search bench50k.db

``--set NAME=VALUE`` gives the crawl and the refresh a setting (``--set
BLOGARCHIVE_EXTRACT_PROCESSES=0``: no extraction processes). Peak RSS is the crawl's own
process; the last column adds the peaks of its children (its extraction process, on a machine
of two cores or more).

For each size: a synthetic Blogger blog (``blogarchive.demo.synthetic``: 3 comments on every
post, a key-observations list and a form on one post in ten) is rendered into files and served
by nginx on loopback (``bench/static_site.py``); then, with politeness off and the same
concurrency for every tool,

- ``blogarchive crawl``: posts archived per second, peak RSS, archive bytes per post;
- a bare Scrapy spider fetching the very URLs the crawl fetched and discarding them: the
  engine's own limit here, since nginx serves files far faster than Scrapy asks for them (it
  has the crawl's concurrency of requests and of items: ``CONCURRENT_ITEMS`` sets how many
  asyncio tasks Scrapy starts for every response);
- ``wget --mirror`` of the same site (a user's alternative that only saves files), up to
  ``--wget-max`` posts (it fetches one page at a time);
- ``blogarchive refresh`` of the unchanged site: its seconds, and its time and bytes as shares
  of the crawl's;
- full-text search through ``blogarchive serve`` (``posts.json?_search=``): p50 and p95 latency
  of terms a few posts hold and of terms every post holds, without facets, and of the first
  with the facets the HTML page shows.

Prints one Markdown table row per size; then, per size, the CPU milliseconds a page (user and
system time, startup included, over the pages fetched) of the bare spider, of the crawl's own
process and of its workers, and of nginx while each ran; what the target share of the bare
rate (70%) would leave the crawl a page on this machine's cores; and the share the crawl's CPU
a page allows it at most (``cpu_budget``): a benchmark's processes share the machine's cores.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from collections.abc import Sequence
from pathlib import Path

import processes  # bench/ is the script's folder
from static_site import NginxSite
from workload import FAST, as_installed, bench_blog, setting_options

#: The crawl's target: this share of the bare spider's rate (issue 8).
TARGET_SHARE = 0.7

BARE_SPIDER = """
import sys, scrapy
from scrapy.crawler import CrawlerProcess
urls = open(sys.argv[1]).read().split()
class Bare(scrapy.Spider):
    name = "bare"
    async def start(self):
        for url in urls:
            yield scrapy.Request(url, callback=self.parse, dont_filter=True)
    def parse(self, response):
        pass
process = CrawlerProcess({"LOG_LEVEL": "ERROR", "CONCURRENT_REQUESTS": 16,
    "CONCURRENT_REQUESTS_PER_DOMAIN": 16, "CONCURRENT_ITEMS": int(sys.argv[2]), "DOWNLOAD_DELAY": 0,
    "ROBOTSTXT_OBEY": False,
    "TELNETCONSOLE_ENABLED": False, "REMOTE_CONTROL_ENABLED": False})
process.crawl(Bare)
process.start()
"""


def measured(command: Sequence[str], what: str) -> processes.Used:
    """Run ``command`` (its output discarded): what it used."""
    code, used = processes.measure(command)
    if code:
        raise SystemExit(f"bench: {what} exited with {code}")
    return used


def blogarchive(*args: str) -> processes.Used:
    """Run the CLI: what it used."""
    return measured([sys.executable, "-m", "blogarchive.cli", *args], f"blogarchive {args[0]}")


#: Searches: terms a few posts hold (a topic word) and terms every generated post holds.
SELECTIVE = [f"topic{n}" for n in range(0, 997, 20)]
COMMON = ["coaching", "pipeline review", "deal", "note", "renewal"] * 10


def search_latency(db: Path) -> dict[str, tuple[float, float]]:
    """p50 and p95 milliseconds of searches through Datasette's JSON: selective and common
    terms without facets, and selective terms with the facets the HTML page computes."""
    port = 8799
    server = subprocess.Popen([sys.executable, "-m", "blogarchive.cli", "serve", "--db", str(db),
                               "--port", str(port)], stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)  # fmt: skip
    try:
        base = f"http://127.0.0.1:{port}/{db.stem}/posts.json?_search="
        for _ in range(100):
            try:
                urllib.request.urlopen(base + "topic1").read()
                break
            except OSError:
                time.sleep(0.2)
        found = {}
        for name, queries, suffix in (
            ("selective", SELECTIVE, "&_nofacet=1"),
            ("common", COMMON, "&_nofacet=1"),
            ("faceted", SELECTIVE, ""),
        ):
            timings = []
            for query in queries:
                started = time.perf_counter()
                urllib.request.urlopen(base + urllib.parse.quote_plus(query) + suffix).read()
                timings.append(1000 * (time.perf_counter() - started))
            timings.sort()
            found[name] = (statistics.median(timings), timings[int(0.95 * (len(timings) - 1))])
        return found
    finally:
        server.terminate()
        server.wait()


def run(
    posts: int, folder: Path, wget_max: int, bare_items: int = 4, settings: Sequence[str] = ()
) -> dict[str, float]:
    blog = bench_blog(posts)
    db = folder / f"bench{posts}.db"
    with NginxSite(blog, folder / "nginx") as site:
        home = site.home
        nginx_before = site.cpu_seconds()
        crawl = blogarchive("crawl", home, "--db", str(db), "--depth", "0", "-q", *FAST, *settings)
        crawl_log = site.requests()
        nginx_crawl = site.cpu_seconds() - nginx_before
        crawl_bytes = sum(size for _, size, _ in crawl_log)
        urls = folder / "urls.txt"
        urls.write_text("\n".join(home.rstrip("/") + uri for _, _, uri in crawl_log))
        script = folder / "bare.py"
        script.write_text(BARE_SPIDER)
        site.mark()
        nginx_before = site.cpu_seconds()
        bare = measured(
            [sys.executable, str(script), str(urls), str(bare_items)], "the bare spider"
        )
        bare_fetched = len(site.requests())
        nginx_bare = site.cpu_seconds() - nginx_before
        wget_seconds = float("nan")
        if posts <= wget_max:
            started = time.perf_counter()
            wget = ["wget", "--mirror", "--quiet", "-e", "robots=on", "-P", str(folder / "wget")]
            subprocess.run([*wget, home], check=False)
            wget_seconds = time.perf_counter() - started
        site.mark()
        refresh = blogarchive("refresh", "--db", str(db), "-q", *FAST, *settings)
        refresh_bytes = sum(size for _, size, _ in site.requests())
    with sqlite3.connect(db) as conn:
        archived = conn.execute("SELECT count(*) FROM posts").fetchone()[0]
    latency = search_latency(db)
    pages = len(crawl_log)
    return {
        "posts": archived,
        "posts_per_s": archived / crawl.seconds,
        "pages": pages,
        "bare_pages_per_s": bare_fetched / bare.seconds,
        "crawl_pages_per_s": pages / crawl.seconds,
        "wget_s": wget_seconds,
        "crawl_s": crawl.seconds,
        "refresh_s": refresh.seconds,
        "refresh_time_share": refresh.seconds / crawl.seconds,
        "refresh_byte_share": refresh_bytes / crawl_bytes,
        "crawl_rss_mb": crawl.rss_mb,
        "crawl_rss_together_mb": crawl.together_rss_mb,
        "refresh_rss_mb": refresh.rss_mb,
        "kb_per_post": db.stat().st_size / 1024 / archived,
        "fts_p50_ms": latency["selective"][0],
        "fts_p95_ms": latency["selective"][1],
        "common_p50_ms": latency["common"][0],
        "common_p95_ms": latency["common"][1],
        "faceted_p95_ms": latency["faceted"][1],
        # CPU milliseconds a page
        "bare_ms": 1000 * bare.cpu / bare_fetched,
        "crawl_own_ms": 1000 * (crawl.cpu - crawl.children_cpu) / pages,
        "crawl_workers_ms": 1000 * crawl.children_cpu / pages,
        "nginx_bare_ms": 1000 * nginx_bare / bare_fetched,
        "nginx_crawl_ms": 1000 * nginx_crawl / pages,
    }


def cpu_budget(r: dict[str, float], cores: int, share: float = TARGET_SHARE) -> dict[str, float]:
    """What the crawl's CPU a page allows on ``cores`` cores, and what ``share`` of the bare
    spider's rate would allow it (milliseconds of CPU a page).

    Two limits: the crawl's own process runs on one core at a time (Scrapy's engine, and the
    archive's writes, are one Python thread), and the crawl's processes and nginx share the
    cores. ``ceiling`` is the share of the bare rate the tighter of the two allows;
    ``own_ms`` and ``all_ms`` what the crawl's own process, and its processes together, may
    spend a page to fetch at ``share`` of the bare rate.
    """
    own, together = r["crawl_own_ms"], r["crawl_own_ms"] + r["crawl_workers_ms"]
    rate = min(1000 / own, cores * 1000 / (together + r["nginx_crawl_ms"]))
    target_rate = share * r["bare_pages_per_s"]
    return {
        "ceiling": rate / r["bare_pages_per_s"],
        "own_ms": 1000 / target_rate,
        "all_ms": cores * 1000 / target_rate - r["nginx_crawl_ms"],
    }


def cpu_row(r: dict[str, float], cores: int) -> str:
    """The CPU table's row for one run."""
    budget = cpu_budget(r, cores)
    together = r["crawl_own_ms"] + r["crawl_workers_ms"]
    return (
        f"| {r['posts']} | {r['bare_ms']:.2f} | {r['crawl_own_ms']:.2f} + "
        f"{r['crawl_workers_ms']:.2f} = {together:.2f} | {r['nginx_bare_ms']:.2f} / "
        f"{r['nginx_crawl_ms']:.2f} | {budget['own_ms']:.2f} / {budget['all_ms']:.2f} | "
        f"{100 * budget['ceiling']:.0f}% |"
    )


def crawl_only(posts: int, keep: Path | None = None, settings: Sequence[str] = ()) -> str:
    blog = bench_blog(posts)
    with tempfile.TemporaryDirectory() as folder, NginxSite(blog, Path(folder) / "nginx") as site:
        db = Path(folder) / "crawl.db"
        crawl = blogarchive(
            "crawl", site.home, "--db", str(db), "--depth", "0", "-q", *FAST, *settings
        )
        if keep is not None:
            shutil.copyfile(db, keep)  # checkpointed when the crawl ended: one file
    return (
        f"{posts} posts: crawl {crawl.seconds:.0f} s, peak RSS {crawl.rss_mb} MB"
        f" ({crawl.together_rss_mb} MB with its workers' peaks added)"
    )


def search_only(db: Path) -> str:
    with sqlite3.connect(db) as conn:
        posts = conn.execute("SELECT count(*) FROM posts").fetchone()[0]
    latency = search_latency(db)
    return (
        f"{posts} posts: FTS p50 / p95 ms: a few posts {latency['selective'][0]:.1f} / "
        f"{latency['selective'][1]:.1f}, every post {latency['common'][0]:.0f} / "
        f"{latency['common'][1]:.0f}, a few with facets p95 {latency['faceted'][1]:.0f}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posts", type=int, action="append", default=None)
    parser.add_argument("--wget-max", type=int, default=10_000)
    parser.add_argument(
        "--bare-items", type=int, default=4, metavar="N",
        help="the bare spider's CONCURRENT_ITEMS (the crawl's is 4; Scrapy's default is 100)",
    )  # fmt: skip
    parser.add_argument(
        "--crawl-only", action="store_true", help="only the crawl: its time and peak RSS"
    )
    parser.add_argument(
        "--keep", type=Path, metavar="DB", help="with --crawl-only: keep the archive as DB"
    )
    parser.add_argument(
        "--search", type=Path, metavar="DB", help="only the searches, on an archive kept before"
    )
    parser.add_argument(
        "--set", action="append", default=[], metavar="NAME=VALUE", dest="settings",
        help="a Scrapy setting for the crawl and the refresh (not the bare spider); repeatable",
    )  # fmt: skip
    args = parser.parse_args()
    as_installed()
    settings = setting_options(args.settings)
    if args.search:
        print(search_only(args.search), flush=True)
        return
    if args.crawl_only:
        for posts in args.posts or [1000]:
            print(crawl_only(posts, args.keep, settings), flush=True)
        return
    print(
        f"python {platform.python_version()} on {platform.machine()}, {os.cpu_count()} cores"
        + (f", crawl and refresh with {' '.join(args.settings)}" if args.settings else "")
    )
    print("| posts | pages | crawl s | posts/s | pages/s crawl / bare Scrapy | wget s "
          "| refresh s = time | refresh bytes | peak RSS MB crawl / refresh | KB/post "
          "| FTS p50 / p95 ms: a few posts | every post | a few, with facets "
          "| peak RSS MB, crawl and its workers |")  # fmt: skip
    print("|" + "---|" * 14)
    runs = []
    for posts in args.posts or [1000]:
        with tempfile.TemporaryDirectory() as folder:
            r = run(posts, Path(folder), args.wget_max, args.bare_items, settings)
        runs.append(r)
        print(f"| {r['posts']} | {r['pages']} | {r['crawl_s']:.1f} | {r['posts_per_s']:.0f} | "
              f"{r['crawl_pages_per_s']:.0f} / {r['bare_pages_per_s']:.0f} = "
              f"{100 * r['crawl_pages_per_s'] / r['bare_pages_per_s']:.0f}% | "
              f"{r['wget_s']:.1f} | {r['refresh_s']:.1f} = {100 * r['refresh_time_share']:.0f}% | "
              f"{100 * r['refresh_byte_share']:.1f}% | "
              f"{r['crawl_rss_mb']} / {r['refresh_rss_mb']} | "
              f"{r['kb_per_post']:.1f} | {r['fts_p50_ms']:.1f} / {r['fts_p95_ms']:.1f} | "
              f"{r['common_p50_ms']:.0f} / {r['common_p95_ms']:.0f} | "
              f"{r['faceted_p95_ms']:.0f} | {r['crawl_rss_together_mb']} |",
              flush=True)  # fmt: skip
    cores = len(os.sched_getaffinity(0))
    print(f"\nCPU ms a page, and what {cores} cores allow the crawl ({TARGET_SHARE:.0%}: the "
          "target share of the bare rate):")  # fmt: skip
    print(
        f"| posts | bare Scrapy | crawl: own process + workers = in all | nginx: bare / crawl "
        f"| {TARGET_SHARE:.0%} of bare leaves: own / in all | ceiling on {cores} cores |"
    )
    print("|" + "---|" * 6)
    for r in runs:
        print(cpu_row(r, cores), flush=True)


if __name__ == "__main__":
    main()
