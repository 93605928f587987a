"""Import rate and memory: a generated collection of WARC records read by `blogarchive import`.

    python bench/import_bench.py --records 25000 --records 100000 [--workers 0 --workers 2]
        [--file-mb 100]

For each size: a synthetic Blogger blog (``blogarchive.demo.synthetic``: 3 comments on every
post, a key-observations list and a form on one post in ten) is rendered page by page and
written as a WARC collection (``blogarchive.warc``: each post page and its comment feed, as a
server sends them, gzip-encoded, and the request for each; a home, a sitemap and the posts
feed), in files of 100 MB (``--file-mb``), as a crawl writes them. Then ``blogarchive import``
reads it into a new archive, in a process of its own; printed: records, posts, seconds, records
and posts a second, and the import process's peak RSS (which should not grow with the
records), with each ``--workers`` count (processes that read the files, one a task, while the
import's own process writes), and the largest peak RSS among the workers.
"""

from __future__ import annotations

import argparse
import gzip
import platform
import resource
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from blogarchive.demo.server import BLOGGER_FEED_CAP, Site
from blogarchive.demo.synthetic import synthetic_blogger
from blogarchive.warc import Exchange, WarcFiles

HOME = "http://127.0.0.2:8780/"
HEADERS = (("Accept-Encoding", "gzip, deflate"), ("User-Agent", "blogarchive bench"))


def write_collection(records: int, folder: Path, file_mb: int = 100) -> tuple[int, int]:
    """A collection of about ``records`` records in ``folder``; returns (records, posts)."""
    posts = max(1, records // 4)  # a post page and its comment feed, each with its request
    blog = synthetic_blogger(
        "bench", posts=posts, comments={n: 3 for n in range(posts)}, extras_every=10
    )
    site = Site(blog, HOME, {blog.key: HOME}, {blog.key: blog})
    files = WarcFiles(folder, prefix="bench", max_size=file_mb << 20)
    written = 0

    def capture(path: str, query: dict[str, list[str]] | None = None) -> None:
        nonlocal written
        response = site.route(path, query or {})
        url = HOME.rstrip("/") + path
        if query:
            url += "?" + "&".join(f"{k}={v[0]}" for k, v in query.items())
        body = gzip.compress(response.body, mtime=0)
        headers = (
            ("Content-Type", response.content_type),
            ("Content-Encoding", "gzip"),
            ("Content-Length", str(len(body))),
        )
        files.write(
            Exchange(url=url, request_headers=HEADERS, status=response.status,
                     response_headers=headers, body=body, ip_address="127.0.0.2")
        )  # fmt: skip
        written += 2

    capture("/")
    capture("/sitemap.xml")
    for start in range(1, len(site.views) + 1, BLOGGER_FEED_CAP):
        page = {"start-index": [str(start)], "max-results": [str(BLOGGER_FEED_CAP)]}
        capture("/feeds/posts/default", page)
    for view in site.views:
        capture(view["path"])
        feed = {"start-index": ["1"], "max-results": [str(BLOGGER_FEED_CAP)]}
        capture(f"/feeds/{view['id']}/comments/default", feed)
    files.close()
    return written + len(files.names), posts  # (each file's warcinfo too)


#: The import, printing its peak RSS as it ends: the kernel's high-water mark of its own memory
#: (``VmHWM``; ``ru_maxrss`` would count the bench's pages it was forked with).
IMPORT = """
import re, resource, sys
from blogarchive.cli import main
try:
    main()
finally:
    status = open("/proc/self/status").read()
    workers = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss  # (KiB: the largest)
    print(re.search(r"VmHWM:\\s+(\\d+)", status).group(1), workers, file=sys.stderr)
"""


def run_import(folder: Path, db: Path, workers: int) -> tuple[float, int, int, str]:
    files = sorted(str(path) for path in folder.glob("*.warc.gz"))
    started = time.monotonic()
    result = subprocess.run(
        [sys.executable, "-c", IMPORT, "import", *files, "--db", str(db),
         "--workers", str(workers)],
        capture_output=True, text=True,
    )  # fmt: skip
    seconds = time.monotonic() - started
    if result.returncode != 0:
        raise SystemExit(f"import failed: {result.stderr[-2000:]}")
    peak_kib, workers_kib = map(int, result.stderr.strip().splitlines()[-1].split())
    return seconds, peak_kib, workers_kib, result.stdout


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--records", type=int, action="append", default=[])
    parser.add_argument(
        "--workers", type=int, action="append", default=[],
        help="import's --workers (repeatable: each size is imported with each)",
    )  # fmt: skip
    parser.add_argument("--file-mb", type=int, default=100, help="the WARC files' size")
    args = parser.parse_args()
    sizes = args.records or [25_000]
    print(f"python {platform.python_version()} on {platform.machine()},"
          f" {len(__import__('os').sched_getaffinity(0))} cores")  # fmt: skip
    print(
        "| records | posts | WARC MB | workers | seconds | records/s | posts/s | peak RSS MB"
        " | a worker's peak RSS MB |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    for size in sizes:
        with tempfile.TemporaryDirectory(prefix="blogarchive-import-bench-") as scratch:
            folder = Path(scratch, "warc")
            records, posts = write_collection(size, folder, args.file_mb)
            megabytes = sum(p.stat().st_size for p in folder.glob("*")) / 1e6
            for workers in args.workers or [0]:
                db = Path(scratch, f"archive-{workers}.db")
                seconds, peak_kib, workers_kib, _ = run_import(folder, db, workers)
                with sqlite3.connect(db) as conn:
                    archived = conn.execute("SELECT count(*) FROM posts").fetchone()[0]
                if archived != posts:
                    raise SystemExit(f"the import archived {archived} posts of {posts}")
                worker = f"{workers_kib / 1024:.0f}" if workers else "–"
                print(
                    f"| {records} | {posts} | {megabytes:.0f} | {workers} | {seconds:.1f} |"
                    f" {records / seconds:.0f} | {posts / seconds:.1f} | {peak_kib / 1024:.0f} |"
                    f" {worker} |"
                )
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024
    print(f"(the bench's own process, which writes the collections: peak RSS {own} MB)")


if __name__ == "__main__":
    main()
