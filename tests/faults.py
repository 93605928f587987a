"""A loopback blog that misbehaves on purpose, one path per fault (tests/test_faults.py)."""

from __future__ import annotations

import gzip
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

PARAGRAPH = "A paragraph long enough to be the body of a post on a small personal site. " * 3


def post(title: str, text: str = "", charset: str | None = "utf-8") -> bytes:
    meta = f'<meta charset="{charset}">' if charset else ""
    html = (
        f"<!doctype html><html><head>{meta}<title>{title}</title></head><body>"
        f'<article><h1 class="entry-title">{title}</h1><div class="entry-content">'
        f"<p>{text}</p><p>{PARAGRAPH}</p></div></article></body></html>"
    )
    return html.encode(charset or "utf-8", errors="replace")


class Fault:
    """What one path answers: a status, headers and a body, or a misbehaviour."""

    def __init__(
        self,
        status: int = 200,
        body: bytes = b"",
        content_type: str = "text/html; charset=utf-8",
        headers: dict[str, str] | None = None,
        delay: float = 0.0,
        action: str | None = None,  # "reset", "truncate"
    ) -> None:
        self.status, self.body, self.content_type = status, body, content_type
        self.headers = headers or {}
        self.delay, self.action = delay, action


class FaultyBlog:
    """Serves ``routes`` (path -> Fault or a function of the request count) on 127.0.0.8;
    ``fallback`` (a function of the path) answers the paths no route names."""

    def __init__(
        self,
        routes: dict[str, Fault | Callable[[int], Fault]],
        fallback: Callable[[str], Fault | None] | None = None,
    ) -> None:
        self.routes = routes
        self.fallback = fallback
        self.hits: dict[str, int] = {}
        self.log: list[tuple[str, str]] = []

    @contextmanager
    def running(self, port: int = 0) -> Iterator[str]:
        """Serve until the block ends, on ``port`` (0: a free one; a second run of the same
        blog passes the first's, so that a refresh finds it where the crawl did)."""
        blog = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:
                path = self.path
                blog.log.append((path, self.headers.get("User-Agent", "")))
                blog.hits[path] = blog.hits.get(path, 0) + 1
                route = blog.routes.get(path.split("#")[0]) or blog.routes.get("*")
                fault = route(blog.hits[path]) if callable(route) else route
                if fault is None and blog.fallback is not None:
                    fault = blog.fallback(path)
                if fault is None:
                    fault = Fault(404, b"<html><body>not found</body></html>")
                time.sleep(fault.delay)
                if fault.action == "reset":  # an RST instead of an answer
                    self.connection.setsockopt(
                        socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00"
                    )
                    self.connection.close()
                    self.close_connection = True
                    return
                self.send_response(fault.status)
                self.send_header("Content-Type", fault.content_type)
                length = len(fault.body) * (2 if fault.action == "truncate" else 1)
                self.send_header("Content-Length", str(length))
                for name, value in fault.headers.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(fault.body)
                if fault.action == "truncate":  # half the promised body, then the end
                    self.wfile.flush()
                    self.connection.shutdown(socket.SHUT_RDWR)
                    self.close_connection = True

            def log_message(self, *args: object) -> None:
                pass

        server = ThreadingHTTPServer(("127.0.0.8", port), Handler)
        server.daemon_threads = True
        threading.Thread(target=server.serve_forever, daemon=True).start()
        try:
            yield f"http://127.0.0.8:{server.server_address[1]}/"
        finally:
            server.shutdown()
            server.server_close()


def gzip_bomb(megabytes: int) -> bytes:
    """A gzip body that inflates to ``megabytes`` MB of zeros."""
    return gzip.compress(b"\0" * (megabytes * 1024 * 1024), compresslevel=9)
