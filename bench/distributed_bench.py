"""How many workers one ingester keeps up with: items/s one worker queues, items/s into SQLite.

    python bench/distributed_bench.py [--posts 2000]

A generated Blogger blog (as in crawl_bench.py) is served by nginx; a redis-server is started on
loopback. One ``blogarchive worker`` crawls the whole blog (politeness off) while nothing drains
its items, so its rate is the worker's alone; then ``blogarchive ingest`` drains the list into a
new archive.db, so its rate is the writer's alone. Their ratio is the number of such workers one
ingester can serve on this machine.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import redis
from static_site import NginxSite  # bench/ is the script's folder
from workload import FAST, bench_blog


def cli(*args: str) -> float:
    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "blogarchive.cli", *args], check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posts", type=int, default=2000)
    args = parser.parse_args()
    server_binary = shutil.which("redis-server") or "/usr/bin/redis-server"
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        server = subprocess.Popen([server_binary, "--port", str(port), "--bind", "127.0.0.1",
                                   "--save", "", "--appendonly", "no", "--dir", name],
                                  stdout=subprocess.DEVNULL)  # fmt: skip
        url = f"redis://127.0.0.1:{port}/0"
        client = redis.Redis.from_url(url)
        for _ in range(100):
            try:
                client.ping()
                break
            except redis.ConnectionError:
                time.sleep(0.05)
        try:
            blog = bench_blog(args.posts)
            with NginxSite(blog, folder / "nginx") as site:
                cli("crawl", site.home, "--redis", url, "--depth", "0")
                worker_s = cli("worker", "--redis", url, "--idle-timeout", "3",
                               "--allow-private", "-q", "--warc-dir", str(folder / "warc"),
                               *FAST) - 3  # fmt: skip
            items = client.llen("blogarchive:items")
            memory = client.info("memory")["used_memory"]
            ingest_s = cli("ingest", "--redis", url, "--db", str(folder / "archive.db"),
                           "--idle-timeout", "1", "-q") - 1  # fmt: skip
        finally:
            server.terminate()
            server.wait()
    print(f"python {platform.python_version()} on {platform.machine()}, {os.cpu_count()} cores")
    print("| posts | items | one worker items/s | ingester items/s | workers per ingester "
          "| Redis MB for the queued items |")  # fmt: skip
    print("|---|---|---|---|---|---|")
    print(f"| {args.posts} | {items} | {items / worker_s:.0f} | {items / ingest_s:.0f} | "
          f"{worker_s / ingest_s:.1f} | {memory / 2**20:.0f} |")  # fmt: skip


if __name__ == "__main__":
    main()
