"""A polite crawl of a whole blog network, against the least time its politeness allows.

    python bench/network_bench.py [--blogs 50] [--largest 2000] [--latency 0.05] [--seed 1]
                                  [--skip-default] [--skip-from-feeds] [--skip-scrapy-defaults]
                                  [--skip-wget]
    python bench/network_bench.py --floors 10

A network of ``--blogs`` generated blogs is served on loopback, each on its own address
(``blogarchive.demo``: Blogger blogs, one in five WordPress), every answer ``--latency``
seconds late. Their sizes follow a power law: one of ``--largest`` posts, a few of hundreds,
most of 5 to 50; a third of the posts have comments; two blogs ask for ``Crawl-delay: 1`` in
their robots.txt. The start blog lists seven others in its blog list and each of those seven
more, so the crawl finds the network two hops out (``--depth 2``), as a real one does.

Each run crawls the whole network with the crawl's own politeness (no ``-s``), and prints:

- the **bound**: for each host, when it was first asked (its discovery, from the crawl's
  start) plus the intervals between its requests (one fewer than its requests) at the
  interval the settings allow it (``DOWNLOAD_DELAY``, or its ``Crawl-delay`` if longer); the
  largest over hosts is the least wall time a crawl making those requests at that politeness
  takes;
- the measured wall time and its ratio to the bound, the host that set the bound, and the
  requests per archived post;
- the same network crawled with ``--from-feeds`` (Blogger posts from their feeds), its
  requests a post and how many times faster it is than the default crawl; and a
  ``refresh --from-feeds`` of that archive, nothing having changed, as shares of that crawl;
- the same network crawled with Scrapy's own scheduling (``SCRAPY_DEFAULTS``), and
  ``wget --mirror`` of each blog in turn with the same wait, as ratios to the crawl's bound.

The request times are the server's (when each request arrived). ``--floors N`` prints, for the
networks of seeds 1 to N, the fewest requests a post that archive their Blogger blogs from
their feeds (:func:`feed_floor`), and crawls nothing.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import platform
import random
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from workload import as_installed  # bench/ is the script's folder

from blogarchive.demo.content import DemoBlog
from blogarchive.demo.server import BLOGGER_FEED_CAP, DemoNetwork, Response, Site
from blogarchive.demo.synthetic import synthetic_blogger, synthetic_wordpress

#: The crawl's own politeness (blogarchive/settings.py), which the bound is computed from.
DOWNLOAD_DELAY = 0.25
CRAWL_DELAY = 1.0
#: Scrapy's scheduling without the crawl's choices, at the same delay: eight requests at once
#: per domain and the delay varied at random by ±50% (Scrapy's defaults), the queue ordered by
#: priority alone (its default before 2.13; the crawl keeps 2.13's downloader-aware queue).
SCRAPY_DEFAULTS = [
    "-s", "SCHEDULER_PRIORITY_QUEUE=scrapy.pqueues.ScrapyPriorityQueue",
    "-s", "CONCURRENT_REQUESTS_PER_DOMAIN=8",
    "-s", "DOWNLOAD_DELAY_JITTER=0.5",
]  # fmt: skip


def sizes(blogs: int, largest: int, rng: random.Random) -> list[int]:
    """Posts a blog, largest first: one of ``largest``, a power law below it (most 5 to 50)."""
    drawn = [min(largest // 4, int(5 * (1 - rng.random()) ** (-1 / 1.1))) for _ in range(blogs - 1)]
    return [largest, *sorted(drawn, reverse=True)]


def network(blogs: int, largest: int, seed: int) -> tuple[dict[str, DemoBlog], set[str]]:
    """The blogs by key (the first one the start), and the keys of those asking a delay."""
    rng = random.Random(seed)
    made: dict[str, DemoBlog] = {}
    keys = [f"b{n:02d}" for n in range(blogs)]
    for n, (key, posts) in enumerate(zip(keys, sizes(blogs, largest, rng), strict=True)):
        comments = {i: rng.randint(1, 6) for i in range(posts) if rng.random() < 1 / 3}
        if n % 5 == 4:
            blog = synthetic_wordpress(key, posts=posts, comments=comments)
        else:
            blog = synthetic_blogger(key, posts=posts, comments=comments)
        made[key] = blog
    # a tree of blog lists: the start lists 7, each of those 7 more (and some links back)
    listed: dict[str, list[str]] = defaultdict(list)
    for n, key in enumerate(keys[1:], start=1):
        parent = keys[0] if n <= 7 else keys[1 + (n - 8) // 7]
        listed[parent].append(key)
        if rng.random() < 0.3:
            listed[key].append(rng.choice(keys[:n]))
    for key in keys:
        blog = made[key]
        made[key] = dataclasses.replace(blog, blog_list=tuple(listed[key]))
    delayed = set(rng.sample(keys[1:], 2))
    return made, delayed


def feed_floor(blogs: dict[str, DemoBlog]) -> tuple[int, int]:
    """The fewest requests that archive the Blogger blogs of a network from their feeds, and
    their posts: for each blog its robots.txt, its home page (its blog list is how the network
    is found), its posts feed's pages and, where it has comments, its blog-wide comment feed's
    pages, at Blogger's most entries a page (``BLOGGER_FEED_CAP``)."""
    requests = posts = 0
    for blog in blogs.values():
        if blog.platform != "blogger":
            continue
        comments = sum(len(post.comments) for post in blog.posts)
        requests += 2 + max(1, -(-len(blog.posts) // BLOGGER_FEED_CAP))
        requests += -(-comments // BLOGGER_FEED_CAP)
        posts += len(blog.posts)
    return requests, posts


def served(latency: float, delayed: set[str]) -> Any:
    """What serves each blog: the demo's site, ``latency`` late, with a ``Crawl-delay`` for
    the ``delayed`` blogs."""

    class SlowSite(Site):
        def route(self, path: str, query: dict[str, list[str]]) -> Response:
            time.sleep(latency)
            response = super().route(path, query)
            if path == "/robots.txt" and self.blog.key in delayed:
                text = response.body.decode().replace(
                    "User-agent: *\n", f"User-agent: *\nCrawl-delay: {CRAWL_DELAY:g}\n"
                )
                return Response(200, "text/plain", text.encode())
            return response

    return SlowSite


@dataclass
class Run:
    name: str
    seconds: float
    bound: float
    limiting: str
    requests: int
    posts: int
    #: per host: requests it answered, posts archived of it
    host_requests: dict[str, int] = field(default_factory=dict)
    host_posts: dict[str, int] = field(default_factory=dict)


def crawl(
    net: DemoNetwork, db: Path, delayed_hosts: set[str], extra: list[str], *, refresh: bool = False
) -> Run:
    """One crawl of the network (``refresh``: a refresh of its archive ``db``); its wall time
    and its bound, from the server's log."""
    mark = len(net.log)
    command = [sys.executable, "-m", "blogarchive.cli", "crawl", net.start_url, "--db", str(db),
               "--depth", "2", "--allow-private", "-q", "--no-warc", *extra]  # fmt: skip
    if refresh:
        command = [sys.executable, "-m", "blogarchive.cli", "refresh", "--db", str(db), "-q",
                   "--no-warc", *extra]  # fmt: skip
    started = time.monotonic()
    result = subprocess.run(command, capture_output=True, text=True)
    seconds = time.monotonic() - started
    if result.returncode != 0:
        raise SystemExit(f"the crawl failed: {result.stderr[-2000:]}")
    log = net.log[mark:]
    bound, limiting, requests = bound_of(log, started, delayed_hosts)
    with sqlite3.connect(db) as conn:
        posts = conn.execute("SELECT count(*) FROM posts").fetchone()[0]
        by_blog = conn.execute(
            "SELECT b.url, count(*) FROM posts p JOIN blogs b ON b.id = p.blog_id GROUP BY b.url"
        ).fetchall()
    run = Run("", seconds, bound, limiting, requests, posts)
    run.host_requests = dict(Counter(entry.host.split(":")[0] for entry in log))
    run.host_posts = {urlsplit(url).hostname or "": n for url, n in by_blog}
    return run


def per_post(run: Run, hosts: set[str]) -> str:
    """Requests a post on ``hosts``, with the counts."""
    requests = sum(run.host_requests.get(host, 0) for host in hosts)
    posts = sum(run.host_posts.get(host, 0) for host in hosts)
    return f"{requests / max(posts, 1):.3f} ({requests} requests, {posts} posts)"


def bound_of(log: list[Any], started: float, delayed_hosts: set[str]) -> tuple[float, str, int]:
    """The least wall time at the crawl's politeness, the host that sets it, all requests."""
    first: dict[str, float] = {}
    count: dict[str, int] = defaultdict(int)
    for entry in log:
        host = entry.host.split(":")[0]
        first[host] = min(first.get(host, entry.received), entry.received)
        count[host] += 1
    bounds = {
        host: (first[host] - started)
        + (count[host] - 1) * (CRAWL_DELAY if host in delayed_hosts else DOWNLOAD_DELAY)
        for host in first
    }
    limiting = max(bounds, key=bounds.__getitem__)
    return bounds[limiting], f"{limiting} ({count[limiting]} requests)", sum(count.values())


def wget_each(net: DemoNetwork, folder: Path) -> tuple[float, int]:
    """``wget --mirror`` of each blog in turn, waiting as the crawl does; the seconds, and the
    requests the blogs' servers answered."""
    started, mark = time.monotonic(), len(net.log)
    for home in net.homes.values():
        subprocess.run(
            ["wget", "--mirror", "--no-verbose", "--wait", str(DOWNLOAD_DELAY),
             "--directory-prefix", str(folder), "--no-host-directories", home],
            capture_output=True,
        )  # fmt: skip
    return time.monotonic() - started, len(net.log) - mark


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--blogs", type=int, default=50)
    parser.add_argument("--largest", type=int, default=2000)
    parser.add_argument("--latency", type=float, default=0.05)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--skip-default", action="store_true")
    parser.add_argument("--skip-from-feeds", action="store_true")
    parser.add_argument("--skip-scrapy-defaults", action="store_true")
    parser.add_argument("--skip-wget", action="store_true")
    parser.add_argument(
        "--floors", type=int, default=0, metavar="N",
        help="print the requests-a-post floor from the feeds of the networks of seeds 1 to N,"
        " and crawl nothing",
    )  # fmt: skip
    args = parser.parse_args()
    if args.floors:
        print("| seed | Blogger blogs' posts | fewest requests from the feeds | a post |")
        print("|---|---|---|---|")
        for seed in range(1, args.floors + 1):
            requests, posts = feed_floor(network(args.blogs, args.largest, seed)[0])
            print(f"| {seed} | {posts} | {requests} | {requests / posts:.4f} |")
        return
    as_installed()
    blogs, delayed = network(args.blogs, args.largest, args.seed)
    total = sum(len(blog.posts) for blog in blogs.values())
    print(f"python {platform.python_version()} on {platform.machine()},"
          f" {len(os.sched_getaffinity(0))} cores; {args.blogs} blogs, {total} posts"
          f" (largest {args.largest}), latency {args.latency * 1000:.0f} ms")  # fmt: skip
    floor, blogger_posts = feed_floor(blogs)
    print(f"the fewest requests from the feeds on the Blogger blogs: {floor} for"
          f" {blogger_posts} posts, {floor / blogger_posts:.4f} a post")  # fmt: skip
    runs: list[Run] = []
    with (
        tempfile.TemporaryDirectory(prefix="blogarchive-network-") as scratch,
        DemoNetwork(blogs=blogs, site=served(args.latency, delayed)) as net,
    ):
        hosts = {key: net.hosts[key] for key in delayed}
        platform_hosts = {key: net.hosts[key].split(":")[0] for key in blogs}
        delayed_hosts = set(hosts.values())
        ours = fed = refreshed = None
        if not args.skip_default:
            ours = crawl(net, Path(scratch, "ours.db"), delayed_hosts, [])
            ours.name = "blogarchive crawl"
            runs.append(ours)
        if not args.skip_from_feeds:
            fed = crawl(net, Path(scratch, "fed.db"), delayed_hosts, ["--from-feeds"])
            fed.name = "blogarchive crawl --from-feeds"
            runs.append(fed)
            refreshed = crawl(
                net, Path(scratch, "fed.db"), delayed_hosts, ["--from-feeds"], refresh=True
            )
            refreshed.name = "blogarchive refresh --from-feeds, nothing changed"
            refreshed.posts = fed.posts
            runs.append(refreshed)
        if not args.skip_scrapy_defaults:
            plain = crawl(net, Path(scratch, "scrapy.db"), delayed_hosts, SCRAPY_DEFAULTS)
            plain.name = "Scrapy's scheduling"
            runs.append(plain)
        wget = None
        if not args.skip_wget and shutil.which("wget"):
            wget = wget_each(net, Path(scratch, "wget"))
    print(
        "| run | posts | requests | requests/post | wall s | bound s | wall/bound | bound set by |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for run in runs:
        print(
            f"| {run.name} | {run.posts} | {run.requests} | {run.requests / max(run.posts, 1):.3f}"
            f" | {run.seconds:.1f} | {run.bound:.1f} | {run.seconds / run.bound:.2f}"
            f" | {run.limiting} |"
        )
    if wget is not None and ours is not None:
        seconds, requests = wget
        ratio = seconds / ours.bound
        print(f"| wget --mirror, each blog in turn | | {requests} | | {seconds:.1f}"
              f" | {ours.bound:.1f} | {ratio:.2f} | (the crawl's bound) |")  # fmt: skip
    by_platform: dict[str, set[str]] = defaultdict(set)
    for key, blog in blogs.items():
        by_platform[blog.platform].add(platform_hosts[key])
    for run in (ours, fed):
        for platform_name, hosts in sorted(by_platform.items()):
            if run is not None:
                print(f"requests a post, {run.name}, {platform_name} blogs: {per_post(run, hosts)}")
    if fed is not None and ours is not None:
        print(f"--from-feeds: {ours.seconds / fed.seconds:.1f} times as fast as the default crawl")
    if fed is not None and refreshed is not None:
        print(
            f"refresh --from-feeds of the unchanged network: {refreshed.seconds / fed.seconds:.0%}"
            f" of the crawl's time, {refreshed.requests / fed.requests:.0%} of its requests"
        )


if __name__ == "__main__":
    main()
