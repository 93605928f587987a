"""Run the blog spider in this process, with the project's settings and the command's options."""

from __future__ import annotations

import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from scrapy.crawler import CrawlerProcess

from blogarchive.options import CrawlOptions, crawl_settings, quiet_logs
from spiders.blog import BlogSpider


@dataclass
class CrawlResult:
    stats: dict[str, Any] = field(default_factory=dict)
    seconds: float = 0.0

    @property
    def summary(self) -> dict[str, Any]:
        return dict(self.stats.get("archive/summary") or {})


def run_crawl(options: CrawlOptions) -> CrawlResult:
    """Crawl ``options.urls`` into ``options.db``; blocks until the crawl ends.

    Twisted's reactor cannot be restarted, so this runs once per process.
    """
    settings = crawl_settings(options)
    queue = queue_folder(options.db)
    if not settings.get("JOBDIR"):
        # requests wait on disk, not in memory: a sitemap of 50,000 posts queues 50,000 of them
        settings.set("JOBDIR", str(queue), priority="cmdline")
    process = CrawlerProcess(settings)
    if options.log_level != "DEBUG":
        quiet_logs()
    crawler = process.create_crawler(BlogSpider)
    started = time.monotonic()
    try:
        process.crawl(crawler, urls=" ".join(options.urls),
                      refresh_from=options.db if options.refresh else None,
                      every_page=options.every_page)  # fmt: skip
        process.start()
    finally:
        shutil.rmtree(queue, ignore_errors=True)
    stats = crawler.stats.get_stats() if crawler.stats else {}
    return CrawlResult(stats=stats, seconds=time.monotonic() - started)


def queue_folder(db: str) -> Path:
    """Where a run of ``db`` keeps its request queue: beside the archive, emptied first.

    A run that was killed left its queue there; it is not resumed (its duplicate filter would
    hide pages the new run must fetch): the new run starts from the blogs again.
    """
    folder = Path(f"{db}.queue")
    shutil.rmtree(folder, ignore_errors=True)
    return folder
