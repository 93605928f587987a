"""A generated blog written out as files and served by nginx: a server that is not the bottleneck.

The demo server renders every page on each request in Python, so at benchmark sizes it, not the
crawler, sets the pace. Here the same blog (the same templates, the same feeds and caps) is
rendered once into a folder, and nginx serves the files, with the ETag, Last-Modified and 304
answers it gives any static file. Blogger's feed pages differ only by their ``start-index``
query, which an nginx ``map`` turns into a file name.

    from bench.static_site import NginxSite
    with NginxSite(blog, folder) as site:
        site.home               # http://127.0.0.20:PORT/
        site.requests()         # [(status, bytes, uri), ...] from nginx's access log
        site.cpu_seconds()      # CPU seconds nginx has used so far
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from pathlib import Path
from types import TracebackType
from urllib.request import urlopen

import processes  # bench/ is the script's folder

from blogarchive.demo.content import DemoBlog
from blogarchive.demo.server import BLOGGER_FEED_CAP, Site

HOST = "127.0.0.20"

CONFIG = """
{user}
worker_processes 1;
daemon off;
pid {folder}/nginx.pid;
error_log {folder}/error.log warn;
events {{ worker_connections 1024; }}
http {{
    log_format bench '$status $body_bytes_sent $request_uri';
    access_log {folder}/access.log bench buffer=64k flush=1s;
    client_body_temp_path {folder}/tmp;
    proxy_temp_path {folder}/tmp;
    fastcgi_temp_path {folder}/tmp;
    uwsgi_temp_path {folder}/tmp;
    scgi_temp_path {folder}/tmp;
    sendfile on;
    keepalive_requests 100000;
    default_type "text/html; charset=UTF-8";
    map $args $start {{ default 1; "~(^|&)start-index=(?<n>[0-9]+)" $n; }}
    server {{
        listen {host}:{port};
        root {folder}/site;
        location = /robots.txt {{ default_type text/plain; }}
        location = /sitemap.xml {{ default_type "application/xml; charset=UTF-8"; }}
        location /feeds/ {{
            default_type "application/atom+xml; charset=UTF-8";
            try_files $uri/start-$start =404;
        }}
        location / {{ try_files $uri $uri/index.html =404; }}
    }}
}}
"""


def export(blog: DemoBlog, home: str, folder: Path) -> int:
    """Render every URL a crawl of ``blog`` asks for into ``folder``; returns the file count."""
    site = Site(blog, home, {blog.key: home}, {blog.key: blog})
    written = 0

    def write(relative: str, path: str, query: dict[str, list[str]] | None = None) -> None:
        nonlocal written
        response = site.route(path, query or {})
        if response.status != 200:
            raise RuntimeError(f"{path}: the demo site answers {response.status}")
        target = folder / relative.lstrip("/")
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(response.body)
        written += 1

    write("/robots.txt", "/robots.txt")
    write("/index.html", "/")
    write("/sitemap.xml", "/sitemap.xml")
    for start in range(1, max(1, len(site.views)) + 1, BLOGGER_FEED_CAP):
        page = {"start-index": [str(start)], "max-results": [str(BLOGGER_FEED_CAP)]}
        write(f"/feeds/posts/default/start-{start}", "/feeds/posts/default", page)
    comments = sum(len(view["all_comments"]) for view in site.views)
    for start in range(1, max(1, comments) + 1, BLOGGER_FEED_CAP):
        page = {"start-index": [str(start)], "max-results": [str(BLOGGER_FEED_CAP)]}
        write(f"/feeds/comments/default/start-{start}", "/feeds/comments/default", page)
    for view in site.views:
        write(view["path"], view["path"])
        feed = f"/feeds/{view['id']}/comments/default"
        for start in range(1, max(1, len(view["all_comments"])) + 1, BLOGGER_FEED_CAP):
            page = {"start-index": [str(start)], "max-results": [str(BLOGGER_FEED_CAP)]}
            write(f"{feed}/start-{start}", feed, page)
    return written


class NginxSite:
    """``blog`` exported into ``folder`` and served by nginx on a loopback port."""

    def __init__(self, blog: DemoBlog, folder: Path) -> None:
        nginx = shutil.which("nginx") or (
            "/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None
        )
        if nginx is None:
            raise SystemExit("bench: nginx is not installed (Debian: apt-get install nginx-core)")
        self.nginx = nginx
        self.blog = blog
        self.folder = folder
        self.port = _free_port()
        self.home = f"http://{HOST}:{self.port}/"
        self.process: subprocess.Popen[bytes] | None = None
        self.files = 0

    def __enter__(self) -> NginxSite:
        (self.folder / "tmp").mkdir(parents=True, exist_ok=True)
        self.files = export(self.blog, self.home, self.folder / "site")
        config = self.folder / "nginx.conf"
        config.write_text(
            CONFIG.format(
                user="user root;" if os.geteuid() == 0 else "",
                folder=self.folder,
                host=HOST,
                port=self.port,
            )
        )
        self.process = subprocess.Popen([self.nginx, "-c", str(config), "-p", str(self.folder)])
        for _ in range(100):
            try:
                urlopen(self.home + "robots.txt", timeout=1).read()
                break
            except OSError:
                time.sleep(0.1)
        else:
            raise SystemExit(f"bench: nginx did not start; see {self.folder}/error.log")
        self.mark()
        return self

    def mark(self) -> None:
        """Start counting requests afresh (nginx flushes its log every second)."""
        time.sleep(1.2)
        self._offset = (self.folder / "access.log").stat().st_size

    def requests(self) -> list[tuple[int, int, str]]:
        """``(status, body bytes, uri)`` of each request since the last :meth:`mark`."""
        time.sleep(1.2)
        with open(self.folder / "access.log", "rb") as log:
            log.seek(self._offset)
            lines = log.read().decode().splitlines()
        found = []
        for line in lines:
            status, size, uri = line.split(" ", 2)
            found.append((int(status), int(size), uri))
        return found

    def cpu_seconds(self) -> float:
        """User and system seconds nginx (its master and worker processes) has used so far."""
        return processes.tree_cpu_seconds(self.process.pid) if self.process else 0.0

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=10)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return int(probe.getsockname()[1])
