"""Crawl throughput, refresh cost, memory and archive size on a generated Blogger blog.

    python bench/crawl_bench.py --posts 1000 [--posts 10000 ...]

For each size: a synthetic Blogger blog (``blogarchive.demo.synthetic``; a comment thread on
one post in twenty) is served on loopback by the demo server; then, with politeness off and the
same concurrency for every tool,

- ``blogarchive crawl``: posts archived per second, peak RSS, archive bytes per post;
- a bare Scrapy spider fetching the very URLs the crawl fetched and discarding them;
- ``wget --mirror`` of the same site (a user's alternative that only saves files);
- ``blogarchive refresh`` of the unchanged site: its time and bytes as shares of the crawl's;
- full-text search through ``blogarchive serve``: p50 and p95 latency of 50 queries.

The demo server is Python's threading HTTP server: the bare spider's rate is also the server's
limit here, so the ratio says how close the archiver comes to the fastest possible fetch from
this server, not to Scrapy's own limit. Prints one Markdown table row per size.
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from pathlib import Path

from blogarchive.demo.server import DemoNetwork
from blogarchive.demo.synthetic import synthetic_blogger

FAST = ["-s", "DOWNLOAD_DELAY=0", "-s", "AUTOTHROTTLE_ENABLED=False",
        "-s", "CONCURRENT_REQUESTS=16", "-s", "CONCURRENT_REQUESTS_PER_DOMAIN=16"]  # fmt: skip
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
    "CONCURRENT_REQUESTS_PER_DOMAIN": 16, "DOWNLOAD_DELAY": 0, "ROBOTSTXT_OBEY": False,
    "TELNETCONSOLE_ENABLED": False, "REMOTE_CONTROL_ENABLED": False})
process.crawl(Bare)
process.start()
"""


def blogarchive(*args: str) -> tuple[float, int]:
    """Run the CLI; (seconds, peak RSS of the child in MB)."""
    started = time.perf_counter()
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    subprocess.run([sys.executable, "-m", "blogarchive.cli", *args], check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return time.perf_counter() - started, max(peak, before) // 1024


def search_latency(db: Path, queries: list[str]) -> tuple[float, float]:
    port = 8799
    server = subprocess.Popen([sys.executable, "-m", "blogarchive.cli", "serve", "--db", str(db),
                               "--port", str(port)], stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)  # fmt: skip
    try:
        base = f"http://127.0.0.1:{port}/{db.stem}/posts.json?_search="
        for _ in range(100):
            try:
                urllib.request.urlopen(base + "coaching").read()
                break
            except OSError:
                time.sleep(0.2)
        timings = []
        for query in queries:
            started = time.perf_counter()
            urllib.request.urlopen(base + urllib.parse.quote_plus(query)).read()
            timings.append(1000 * (time.perf_counter() - started))
        timings.sort()
        return statistics.median(timings), timings[int(0.95 * (len(timings) - 1))]
    finally:
        server.terminate()
        server.wait()


def run(posts: int, folder: Path) -> dict[str, float]:
    comments = {n: 5 for n in range(0, posts, 20)}
    blog = synthetic_blogger("bench", posts=posts, comments=comments)
    db = folder / f"bench{posts}.db"
    with DemoNetwork(blogs={"bench": blog}) as network:
        home = network.start_url
        seconds, rss = blogarchive("crawl", home, "--db", str(db), "--depth", "0", "-q", *FAST)
        crawl_log = list(network.log)
        crawl_bytes = network.bytes_sent()
        urls = folder / "urls.txt"
        urls.write_text("\n".join(home.rstrip("/") + r.path for r in crawl_log))
        script = folder / "bare.py"
        script.write_text(BARE_SPIDER)
        started = time.perf_counter()
        subprocess.run([sys.executable, str(script), str(urls)], check=True)
        bare_seconds = time.perf_counter() - started
        started = time.perf_counter()
        wget = ["wget", "--mirror", "--quiet", "-e", "robots=on", "-P", str(folder / "wget")]
        subprocess.run([*wget, home], check=False)
        wget_seconds = time.perf_counter() - started
        mark = len(network.log)
        refresh_seconds, refresh_rss = blogarchive("refresh", "--db", str(db), "-q", *FAST)
        refresh_bytes = network.bytes_sent(mark)
    with sqlite3.connect(db) as conn:
        archived = conn.execute("SELECT count(*) FROM posts").fetchone()[0]
    p50, p95 = search_latency(db, ["coaching", "pipeline review", "deal", "note", "renewal"] * 10)
    return {
        "posts": archived,
        "posts_per_s": archived / seconds,
        "pages": len(crawl_log),
        "crawl_vs_bare": bare_seconds / seconds,
        "wget_s": wget_seconds,
        "crawl_s": seconds,
        "refresh_time_share": refresh_seconds / seconds,
        "refresh_byte_share": refresh_bytes / crawl_bytes,
        "rss_mb": max(rss, refresh_rss),
        "kb_per_post": db.stat().st_size / 1024 / archived,
        "fts_p50_ms": p50,
        "fts_p95_ms": p95,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posts", type=int, action="append", default=None)
    args = parser.parse_args()
    print(f"python {platform.python_version()} on {platform.machine()}, {os.cpu_count()} cores")
    print("| posts | pages | crawl s | posts/s | crawl / bare Scrapy | wget s | refresh time | "
          "refresh bytes | peak RSS MB | KB/post | FTS p50 ms | FTS p95 ms |")  # fmt: skip
    print("|" + "---|" * 12)
    for posts in args.posts or [1000]:
        with tempfile.TemporaryDirectory() as folder:
            r = run(posts, Path(folder))
        print(f"| {r['posts']} | {r['pages']} | {r['crawl_s']:.1f} | {r['posts_per_s']:.0f} | "
              f"{100 * r['crawl_vs_bare']:.0f}% | {r['wget_s']:.1f} | "
              f"{100 * r['refresh_time_share']:.0f}% | {100 * r['refresh_byte_share']:.1f}% | "
              f"{r['rss_mb']} | {r['kb_per_post']:.1f} | {r['fts_p50_ms']:.1f} | "
              f"{r['fts_p95_ms']:.1f} |", flush=True)  # fmt: skip


if __name__ == "__main__":
    main()
