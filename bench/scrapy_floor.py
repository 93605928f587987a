"""What Scrapy alone costs a crawl configured as ours: from a bare spider to ``blogarchive crawl``.

    python bench/scrapy_floor.py [--posts 2000] [--rounds 3]

The crawl benchmark compares ``blogarchive crawl`` with a bare spider that fetches the same
URLs and discards them (``crawl_bench.py``). Between the two lie things any archiver built on
Scrapy would have before a line of its own code runs. This adds them to the bare spider one at
a time, each step keeping the ones before, on the URLs the crawl fetched (a generated Blogger
blog served by nginx, politeness off, 16 requests at a time, as in ``crawl_bench.py``):

1. ``bare``: as the bare spider of ``crawl_bench.py`` (every URL a start request);
2. ``queued by a page``: the first page's callback queues the others, as a feed or a sitemap
   queues a crawl's posts (Scrapy takes start requests one at a time, others from its queue);
3. ``+ disk queue``: with a job folder (``JOBDIR``), as ``blogarchive crawl`` has, so that
   queued requests wait on disk and not in memory;
4. ``+ duplicate filter``: the crawl's filter (``blogarchive.scratch.DiskDupeFilter``), and
   every other response queues again the URL before it, as the crawl's responses yield one
   request the filter drops for every two it lets through (Scrapy's ``dupefilter/filtered``
   of a 2,000-post crawl: 2,000, for 4,016 requests);
5. ``+ middlewares``: the crawl's downloader middlewares, extensions, robots.txt and headers;
6. ``+ items``: every response yields two or three small items (the crawl's average, 2.5)
   through a pipeline that passes them on;

then ``blogarchive crawl`` itself. The spider's callback returns a list (nothing, at the first
step, as the bare spider's): a generator callback would make Scrapy read its source again on
every response to warn of a ``return`` in it, which the crawl turns off
(``WARN_ON_GENERATOR_RETURN_VALUE``) and would cost these steps, not the crawl.

Rounds alternate the steps. Prints each step's pages a second and CPU milliseconds a page (the
process's and its children's, medians), and its share of the bare spider's rate.
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import scrapy
from static_site import NginxSite  # bench/ is the script's folder
from workload import FAST, bench_blog

REPOSITORY = Path(__file__).resolve().parent.parent

SPIDER = """
import dataclasses, sys
import scrapy
from scrapy.crawler import CrawlerProcess
urls = open(sys.argv[1]).read().split()
step = int(sys.argv[2])
position = {url: n for n, url in enumerate(urls)}

@dataclasses.dataclass(frozen=True, slots=True)
class Item:
    url: str
    n: int

class PassOn:
    def process_item(self, item):
        return item

class Floor(scrapy.Spider):
    name = "floor"
    async def start(self):
        for url in (urls if step == 1 else urls[:1]):
            yield scrapy.Request(url, callback=self.parse, dont_filter=step < 4)
    def parse(self, response):
        # a list, not a generator: Scrapy reads a generator callback's source again on every
        # response to warn of a return value in it (unless WARN_ON_GENERATOR_RETURN_VALUE is off)
        found = []
        if step >= 2 and response.url == urls[0]:
            found.extend(scrapy.Request(url, callback=self.parse, dont_filter=step < 4)
                         for url in urls[1:])
        if step >= 4:
            n = position.get(response.url, 0)
            if n % 2:
                found.append(scrapy.Request(urls[n - 1], callback=self.parse))
        if step >= 6:
            found.extend(Item(url=response.url, n=k) for k in range(2 + len(response.url) % 2))
        return found or None

settings = {"LOG_LEVEL": "ERROR", "CONCURRENT_REQUESTS": 16, "CONCURRENT_REQUESTS_PER_DOMAIN": 16,
    "CONCURRENT_ITEMS": 4, "DOWNLOAD_DELAY": 0, "ROBOTSTXT_OBEY": False,
    "TELNETCONSOLE_ENABLED": False, "REMOTE_CONTROL_ENABLED": False}
if step >= 3:
    settings["JOBDIR"] = sys.argv[3]
if step >= 4:
    settings["DUPEFILTER_CLASS"] = "blogarchive.scratch.DiskDupeFilter"
if step >= 5:
    import blogarchive.settings as crawl
    for name in ("DOWNLOADER_MIDDLEWARES", "ROBOTSTXT_OBEY", "USER_AGENT", "COOKIES_ENABLED",
                 "HTTPERROR_ALLOWED_CODES", "DOWNLOAD_MAXSIZE", "DOWNLOAD_WARNSIZE",
                 "WARN_ON_GENERATOR_RETURN_VALUE"):
        settings[name] = getattr(crawl, name)
    # not the progress line (off in the benchmark's crawls: -q)
    settings["EXTENSIONS"] = {**crawl.EXTENSIONS, "blogarchive.extensions.CrawlProgress": None}
    settings["BLOGARCHIVE_ALLOW_PRIVATE"] = True  # the blog is on loopback
if step >= 6:
    settings["ITEM_PIPELINES"] = {"__main__.PassOn": 300}
process = CrawlerProcess(settings)
process.crawl(Floor)
process.start()
"""

STEPS = (
    "bare",
    "queued by a page",
    "+ disk queue",
    "+ duplicate filter",
    "+ middlewares",
    "+ items",
)


def run(command: list[str]) -> None:
    """Run ``command`` from the repository; its last line of errors, if it fails."""
    done = subprocess.run(command, cwd=REPOSITORY, capture_output=True, text=True,
                          env={**os.environ, "PYTHONPATH": str(REPOSITORY)})  # fmt: skip
    if done.returncode:
        last = (done.stderr.strip().splitlines() or ["(nothing on standard error)"])[-1]
        raise SystemExit(f"scrapy_floor: {command[1]} exited with {done.returncode}: {last}")


def timed(command: list[str], site: NginxSite) -> tuple[float, float]:
    """Run ``command``; its pages a second (as the server counted them, robots.txt aside) and
    CPU milliseconds a page."""
    site.mark()
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    run(command)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime
    pages = sum(1 for _, _, uri in site.requests() if uri != "/robots.txt")
    if not pages:
        raise SystemExit(f"scrapy_floor: {' '.join(command[1:3])} fetched nothing")
    return pages / wall, cpu / pages * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posts", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    results: dict[str, list[tuple[float, float]]] = {}
    with (
        tempfile.TemporaryDirectory() as name,
        NginxSite(bench_blog(args.posts), Path(name) / "nginx") as site,
    ):
        folder = Path(name)
        crawl = [sys.executable, "-m", "blogarchive.cli", "crawl", site.home, "--depth", "0",
                 "-q", *FAST]  # fmt: skip
        site.mark()
        run([*crawl, "--db", str(folder / "first.db")])
        urls = folder / "urls.txt"
        fetched = [uri for _, _, uri in site.requests() if uri != "/robots.txt"]
        urls.write_text("\n".join(site.home.rstrip("/") + uri for uri in fetched))
        spider = folder / "floor.py"
        spider.write_text(SPIDER)
        for round_ in range(1, args.rounds + 1):
            for step, label in enumerate(STEPS, start=1):
                command = [sys.executable, str(spider), str(urls), str(step),
                           str(folder / f"job{round_}-{step}")]  # fmt: skip
                results.setdefault(label, []).append(timed(command, site))
            db = folder / f"crawl{round_}.db"
            results.setdefault("blogarchive crawl", []).append(
                timed([*crawl, "--db", str(db)], site)
            )
            print(f"round {round_}: " + ", ".join(
                f"{label} {runs[-1][0]:.0f}" for label, runs in results.items()
            ) + " pages/s", flush=True)  # fmt: skip
    print(f"python {platform.python_version()}, Scrapy {scrapy.__version__}, "
          f"{platform.machine()}, {os.cpu_count()} cores; {args.posts} posts, "
          f"medians of {args.rounds} rounds")  # fmt: skip
    print("| step | pages/s | share of bare | CPU ms a page |")
    print("|---|---|---|---|")
    bare = statistics.median(rate for rate, _ in results["bare"])
    for label, runs in results.items():
        rate = statistics.median(r for r, _ in runs)
        cpu = statistics.median(c for _, c in runs)
        print(f"| {label} | {rate:.0f} | {rate / bare:.0%} | {cpu:.2f} |")


if __name__ == "__main__":
    main()
