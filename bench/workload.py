"""What every crawl benchmark crawls, and how: one generated blog shape, politeness off.

A synthetic Blogger blog (``blogarchive.demo.synthetic``) of ``posts`` posts with 3 comments
on every post and a key-observations list and a form on one post in ten; and the settings that
turn politeness off with 16 concurrent requests, given to every tool measured.
"""

from __future__ import annotations

import compileall
from collections.abc import Iterable
from pathlib import Path

import blogarchive
from blogarchive.demo.content import DemoBlog
from blogarchive.demo.synthetic import synthetic_blogger

FAST = ["-s", "DOWNLOAD_DELAY=0", "-s", "AUTOTHROTTLE_ENABLED=False",
        "-s", "CONCURRENT_REQUESTS=16", "-s", "CONCURRENT_REQUESTS_PER_DOMAIN=16"]  # fmt: skip


def bench_blog(posts: int) -> DemoBlog:
    """The benchmarks' blog of ``posts`` posts."""
    return synthetic_blogger(
        "bench", posts=posts, comments=dict.fromkeys(range(posts), 3), extras_every=10
    )


def setting_options(settings: Iterable[str]) -> list[str]:
    """``NAME=VALUE`` settings as the command line's options: ``-s NAME=VALUE`` each."""
    return [option for setting in settings for option in ("-s", setting)]


def as_installed() -> None:
    """Byte-compile the project's packages, as ``pip install`` does: a benchmark measures the
    crawl, not Python compiling its sources again at every run where ``.pyc`` files are not
    written (an editable install run with ``PYTHONDONTWRITEBYTECODE``, as on the CI machines)."""
    root = Path(blogarchive.__file__).resolve().parent.parent
    for package in ("blogarchive", "extract", "spiders"):
        if (root / package).is_dir():
            compileall.compile_dir(root / package, quiet=1)
