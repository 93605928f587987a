"""CPU a post: ``blogarchive crawl`` against the archiver a user would build on plain Scrapy.

    python bench/diy_bench.py [--posts 1000] [--rounds 3]

The do-it-yourself archiver: Scrapy's ``SitemapSpider`` reads the blog's ``sitemap.xml``,
fetches every post it lists, and keeps what ``trafilatura.extract`` makes of each page (its
text, metadata and comments, as JSON lines through Scrapy's feed exports). Against it, the
crawl: every post and comment, key observations, forms and the blog list in ``archive.db``,
each page stored, and (by default) its WARC records; and the crawl ``--from-feeds``, which
archives the same posts and comments from the blog's feeds (no post page fetched).

Both run on the same generated Blogger blog (``bench/workload.py``: 3 comments a post), served
by nginx on loopback (``bench/static_site.py``), politeness off, 16 requests at a time, the
project's modules byte-compiled first as an install has them (``workload.as_installed``). For
each: the posts it kept, wall seconds, and the CPU seconds of all its processes (the crawl's
extraction workers included; ``bench/processes.py``), medians of ``--rounds`` rounds, and the
CPU milliseconds a post. The last lines give each crawl's CPU a post as a share of the other
archiver's.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sqlite3
import statistics
import sys
import tempfile
from pathlib import Path

import processes  # bench/ is the script's folder
from static_site import NginxSite
from workload import FAST, as_installed, bench_blog

DIY_SPIDER = """
import json, sys
import trafilatura
from scrapy.crawler import CrawlerProcess
from scrapy.spiders import SitemapSpider

home, out = sys.argv[1], sys.argv[2]

class DoItYourself(SitemapSpider):
    name = "diy"
    sitemap_urls = [home + "sitemap.xml"]

    def parse(self, response):
        kept = trafilatura.extract(response.text, url=response.url, output_format="json",
                                   with_metadata=True, include_comments=True)
        if kept:
            yield json.loads(kept)

process = CrawlerProcess({
    "LOG_LEVEL": "ERROR", "CONCURRENT_REQUESTS": 16, "CONCURRENT_REQUESTS_PER_DOMAIN": 16,
    "DOWNLOAD_DELAY": 0, "ROBOTSTXT_OBEY": True, "TELNETCONSOLE_ENABLED": False,
    "FEEDS": {out: {"format": "jsonlines"}},
})
process.crawl(DoItYourself)
process.start()
"""


def ours(
    home: str, folder: Path, round_: int, *extra: str, name: str = "ours"
) -> tuple[int, processes.Used]:
    db = folder / f"{name}-{round_}.db"
    command = [sys.executable, "-m", "blogarchive.cli", "crawl", home, "--db", str(db),
               "--depth", "0", "-q", *FAST, *extra]  # fmt: skip
    code, used = processes.measure(command)
    if code:
        raise SystemExit(f"bench: blogarchive crawl exited with {code}")
    with sqlite3.connect(db) as conn:
        (posts,) = conn.execute("SELECT count(*) FROM posts").fetchone()
    return int(posts), used


def diy(home: str, folder: Path, round_: int) -> tuple[int, processes.Used]:
    script, out = folder / "diy.py", folder / f"diy-{round_}.jsonl"
    script.write_text(DIY_SPIDER)
    code, used = processes.measure([sys.executable, str(script), home, str(out)])
    if code:
        raise SystemExit(f"bench: the Scrapy + trafilatura spider exited with {code}")
    kept = [json.loads(line) for line in out.read_text().splitlines() if line.strip()]
    return len(kept), used


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--posts", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    print(f"python {platform.python_version()} on {platform.machine()}, {os.cpu_count()} cores;"
          f" {args.posts} posts, {args.rounds} rounds (medians)")  # fmt: skip
    as_installed()
    runs: dict[str, list[tuple[int, processes.Used]]] = {"ours": [], "fed": [], "diy": []}
    with tempfile.TemporaryDirectory(prefix="blogarchive-diy-") as scratch:
        folder = Path(scratch)
        with NginxSite(bench_blog(args.posts), folder / "site") as site:
            for round_ in range(args.rounds):  # alternating, so that both see the same machine
                runs["ours"].append(ours(site.home, folder, round_))
                runs["fed"].append(ours(site.home, folder, round_, "--from-feeds", name="fed"))
                runs["diy"].append(diy(site.home, folder, round_))
    print("| run | posts | wall s | CPU s, all processes | CPU ms a post |")
    print("|---|---|---|---|---|")
    per_post = {}
    names = {
        "ours": "blogarchive crawl",
        "fed": "blogarchive crawl --from-feeds",
        "diy": "Scrapy SitemapSpider + trafilatura.extract",
    }
    for key, results in runs.items():
        posts = min(p for p, _ in results)
        wall = statistics.median(u.seconds for _, u in results)
        cpu = statistics.median(u.cpu for _, u in results)
        per_post[key] = cpu / posts * 1000 if posts else float("inf")
        print(f"| {names[key]} | {posts} | {wall:.1f} | {cpu:.1f} | {per_post[key]:.1f} |")
    print(f"the crawl's CPU a post: {per_post['ours'] / per_post['diy']:.2f} of the other's")
    print(f"--from-feeds, CPU a post: {per_post['fed'] / per_post['diy']:.2f} of the other's")


if __name__ == "__main__":
    main()
