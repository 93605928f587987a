"""What a crawl is asked to do, as Scrapy settings: the command's options over the project's
settings (``blogarchive.settings``), ``-s NAME=VALUE`` overrides last.

Apart from the runners (:mod:`blogarchive.crawl`, :mod:`blogarchive.distributed`), which start
the spider: reading settings never imports it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from scrapy.settings import Settings

from blogarchive import extraction
from blogarchive.exceptions import SettingError

__all__ = [
    "CrawlOptions",
    "SettingError",
    "check_setting",
    "crawl_settings",
    "parse_overrides",
    "quiet_logs",
]

LOG_FORMAT = "%(levelname)s: %(message)s"


@dataclass
class CrawlOptions:
    urls: Sequence[str]
    db: str
    depth: int = 1
    allow_private: bool = False
    max_pages: int | None = None
    overrides: Sequence[str] = ()
    #: a refresh: the archive's posts are asked for again (read from ``db`` as the run goes)
    refresh: bool = False
    #: a refresh: revalidate every archived post page, even those their feed vouches for
    every_page: bool = False
    progress_interval: float = 5.0
    log_level: str = "WARNING"
    #: where every response is kept as WARC records (None: nowhere)
    warc_dir: str | None = None
    #: archive Blogger blogs from their feeds (``BLOGARCHIVE_FROM_FEEDS``)
    from_feeds: bool = False


def parse_overrides(pairs: Iterable[str]) -> dict[str, str]:
    """``["NAME=VALUE", ...]`` as a dict, as ``scrapy crawl -s`` reads them; a value that the
    setting cannot take (``-s BLOGARCHIVE_DEPTH=two``) is a :class:`SettingError` here, not a
    traceback once the crawl has started."""
    parsed: dict[str, str] = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name.strip():
            raise SettingError(f"-s expects NAME=VALUE, got {pair!r}")
        parsed[name.strip()] = value
        check_setting(name.strip(), value)
    return parsed


def check_setting(name: str, value: str) -> None:
    """Raise :class:`SettingError` unless ``value`` suits the setting ``name``: a number where
    its default is one, true/false/1/0 where it is a flag. Our own settings' numbers are read
    as their defaults' types; Scrapy reads some settings whose default is 0 as fractions
    (``DOWNLOAD_DELAY``), so its numbers only need to be numbers."""
    if name == "BLOGARCHIVE_EXTRACT_PROCESSES":
        try:
            extraction.process_count(value)
        except ValueError as error:
            raise SettingError(f"-s {name} {error}") from None
        return
    defaults = Settings()
    defaults.setmodule("blogarchive.settings")
    default = defaults.get(name)
    probe = Settings({name: value})
    read: Callable[[str], object]
    if isinstance(default, bool):
        read, wanted = probe.getbool, "true, false, 1 or 0"
    elif isinstance(default, int) and name.startswith("BLOGARCHIVE_"):
        read, wanted = probe.getint, "a whole number"
    elif isinstance(default, (int, float)):
        read, wanted = probe.getfloat, "a number"
    else:
        return
    try:
        read(name)
    except ValueError:
        raise SettingError(f"-s {name} expects {wanted}, got {value!r}") from None


def crawl_settings(options: CrawlOptions) -> Settings:
    settings = Settings()
    settings.setmodule("blogarchive.settings", priority="project")
    settings.set("ARCHIVE_DB", options.db, priority="cmdline")
    settings.set("BLOGARCHIVE_DEPTH", options.depth, priority="cmdline")
    settings.set("BLOGARCHIVE_ALLOW_PRIVATE", options.allow_private, priority="cmdline")
    if options.max_pages:
        settings.set("BLOGARCHIVE_MAX_PAGES_PER_BLOG", options.max_pages, priority="cmdline")
    settings.set("BLOGARCHIVE_PROGRESS_INTERVAL", options.progress_interval, priority="cmdline")
    if options.from_feeds:
        settings.set("BLOGARCHIVE_FROM_FEEDS", True, priority="cmdline")
    if options.warc_dir:
        settings.set("BLOGARCHIVE_WARC_DIR", options.warc_dir, priority="cmdline")
    settings.set("LOG_LEVEL", options.log_level, priority="cmdline")
    settings.set("LOG_FORMAT", LOG_FORMAT, priority="cmdline")
    settings.set("LOG_INSTALL_ROOT_HANDLER", True, priority="cmdline")
    for name, value in parse_overrides(options.overrides).items():
        settings.set(name, value, priority="cmdline")
    return settings


#: Loggers whose failures the archive records itself (``pages``, ``crawl_runs``): kept off the
#: terminal, where they would repeat each failure two or three times with a traceback.
RECORDED_ELSEWHERE = (
    "scrapy.downloadermiddlewares.robotstxt",
    "scrapy.downloadermiddlewares.retry",
    "scrapy.core.scraper",
)


class _NoTraceback(logging.Filter):
    """Log records keep their one-line message; the traceback goes (``-v`` shows them all)."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.exc_info = None
        record.exc_text = None
        return True


def quiet_logs() -> None:
    for name in RECORDED_ELSEWHERE:
        logging.getLogger(name).setLevel(logging.CRITICAL)
    for handler in logging.getLogger().handlers:
        handler.addFilter(_NoTraceback())
