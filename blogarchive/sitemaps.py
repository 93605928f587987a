"""Sitemaps as Scrapy reads them: gzipped or not, a sitemap index or a list of pages, read entry
by entry (``scrapy.utils.sitemap.Sitemap`` parses as a stream and drops each entry once read, so
a sitemap of 50,000 posts never becomes one tree, nor one list), and the sitemaps a robots.txt
names (``Sitemap:`` lines)."""

from __future__ import annotations

import struct
import zlib
from collections.abc import Iterator

from lxml import etree
from scrapy.http import Response
from scrapy.utils.gz import gunzip
from scrapy.utils.sitemap import Sitemap, sitemap_urls_from_robots

__all__ = ["SitemapError", "robots_sitemaps", "sitemap_body_locations", "sitemap_entries"]


class SitemapError(ValueError):
    """A response that holds no sitemap (the reason says why, in a line)."""


def sitemap_entries(
    response: Response, max_size: int = 0
) -> tuple[str, Iterator[tuple[str, str | None]]]:
    """``(kind, entries)`` of the sitemap in ``response``: ``urlset`` or ``sitemapindex``,
    and the ``<loc>`` and ``<lastmod>`` (None where it gives none) of each entry as the sitemap
    is read. A gzipped sitemap (``.xml.gz``, served as it is) is decompressed first, up to
    ``max_size`` bytes (0: no limit).

    Raises :class:`SitemapError` for a body that is no XML or a gzip file that will not open.
    """
    return _sitemap(response.body, max_size)


def sitemap_body_locations(body: bytes, max_size: int = 0) -> tuple[str, Iterator[str]]:
    """The kind of the sitemap in ``body`` (a stored response's) and each entry's ``<loc>``
    (:func:`sitemap_entries`)."""
    kind, entries = _sitemap(body, max_size)
    return kind, (location for location, _ in entries)


def _sitemap(body: bytes, max_size: int) -> tuple[str, Iterator[tuple[str, str | None]]]:
    if body[:3] == b"\x1f\x8b\x08":
        try:
            body = gunzip(body, max_size=max_size)
        except ValueError:  # (Scrapy's error for a body over max_size is a ValueError)
            raise SitemapError(f"a gzipped sitemap over {max_size} bytes once unpacked") from None
        except (OSError, EOFError, struct.error, zlib.error):
            raise SitemapError("a gzip file that does not open") from None
    try:
        sitemap = Sitemap(body)
    except (etree.XMLSyntaxError, StopIteration):
        raise SitemapError("not a sitemap") from None
    if sitemap.type not in ("urlset", "sitemapindex"):
        raise SitemapError(f"not a sitemap (<{sitemap.type or '?'}>)")
    return sitemap.type, _entries(sitemap)


def _entries(sitemap: Sitemap) -> Iterator[tuple[str, str | None]]:
    try:
        for entry in sitemap:
            location = entry.get("loc", "").strip()
            if location:
                yield location, entry.get("lastmod", "").strip() or None
    except etree.XMLSyntaxError:
        return  # a sitemap cut short: the entries before the cut stand


def robots_sitemaps(robots_txt: bytes, base_url: str) -> list[str]:
    """The sitemaps a robots.txt names (``Sitemap:`` lines), resolved against ``base_url``."""
    return list(dict.fromkeys(sitemap_urls_from_robots(robots_txt, base_url=base_url)))
