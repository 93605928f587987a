"""One crawl on many machines: scrapy-redis holds the queue, one ingester writes archive.db.

- ``blogarchive crawl --redis URL START...`` puts the start blogs on a Redis list and returns.
- ``blogarchive worker --redis URL`` runs the blog spider with scrapy-redis' scheduler: the
  request queue and the duplicate filter live in Redis, shared by every worker; the items the
  spider yields go to a Redis list instead of SQLite. A worker takes a start blog from the list
  when it has nothing else to do (scrapy-redis starts a spider once it is idle).
- ``blogarchive ingest --redis URL --db archive.db`` is the single writer: it moves the items
  into SQLite in batches, with the same code a local crawl uses.

Every key starts with ``blogarchive:``. Items and requests are pickled, as scrapy-redis pickles
its requests: the Redis server must be one only the workers and the ingester can reach.
"""

from __future__ import annotations

import asyncio
import base64
import dataclasses
import json
import pickle
import signal
import socket
import time
import warnings
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from functools import partial
from typing import Any

import redis
from scrapy import Request, Spider, signals
from scrapy.crawler import Crawler, CrawlerProcess
from scrapy.exceptions import (
    DontCloseSpider,
    IgnoreRequest,
    NotConfigured,
    ScrapyDeprecationWarning,
)
from scrapy.http import Response
from scrapy.robotstxt import RobotParser
from scrapy.settings import Settings
from scrapy.utils.httpobj import urlparse_cached
from twisted.internet.defer import Deferred

from blogarchive import capturing
from blogarchive.archive import Archive, open_database
from blogarchive.exceptions import CrawlInProgress, RedisUnavailable
from blogarchive.items import Capture
from blogarchive.lock import ArchiveLock
from blogarchive.middlewares import ConditionalRequestMiddleware, RobotsTxtRulesMiddleware
from blogarchive.options import CrawlOptions, crawl_settings, parse_overrides, quiet_logs
from blogarchive.pipelines import EarlyComments, Unattached, add_counts, counts_of
from blogarchive.reader import chunked
from extract.urls import origin

SEEDS = "blogarchive:seeds"  # JSON start blogs, pushed by ``crawl --redis``
ITEMS = "blogarchive:items"  # pickled items, pushed by workers
INGESTING = "blogarchive:ingesting"  # the batch the ingester is writing (kept until committed)
REQUESTS = "blogarchive:requests"  # scrapy-redis' priority queue of requests
DUPEFILTER = "blogarchive:dupefilter"  # scrapy-redis' set of request fingerprints
VALIDATORS = "blogarchive:validators"  # a refresh: archived post page URL -> [etag, modified]
KNOWN = "blogarchive:known"  # a refresh: archived post URL -> comments the archive holds
PLATFORMS = "blogarchive:platforms"  # a refresh: archived blog URL -> the platform it was read as
ROBOTS = "blogarchive:robots"  # origin -> its robots.txt answer, read once for every worker
ORIGINS = "blogarchive:origins"  # the start URLs' origins, allowed however private
#: Items moved into SQLite in one transaction.
BATCH = 500


def connect(url: str) -> redis.Redis:
    """A client for ``url`` that has answered a PING."""
    try:
        server = redis.Redis.from_url(url, socket_connect_timeout=5, socket_timeout=30)
        server.ping()
    except (redis.RedisError, ValueError) as error:
        raise RedisUnavailable(f"cannot reach Redis at {url}: {error}") from error
    return server


# -- seeding ------------------------------------------------------------------------------------


def seed(
    url: str,
    start_urls: Iterable[str],
    *,
    depth: int,
    max_pages: int | None,
    known: Callable[[str], Iterable[tuple[str, int]]] | None = None,
    validators: Iterable[tuple[str, tuple[str | None, str | None]]] = (),
    platforms: Mapping[str, str] | None = None,
) -> int:
    """Queue the start blogs of a new crawl (or, with ``known`` and ``validators``, a refresh)
    for the workers; returns how many start blogs wait for a worker.

    For a refresh, ``known(blog)`` gives the blog's archived posts with the comments the
    archive holds of each, ``validators`` the archived post pages' ETag and Last-Modified,
    and ``platforms`` the platform each blog was archived as (a page of another is not the
    blog's: :func:`~blogarchive.pageitems.foreign_to`): they are written to Redis a batch at a
    time, as they are read, and a blog's seed goes last, so that a worker finds what it needs
    of a blog once the blog is queued.

    A new crawl starts with an empty duplicate filter, so a refresh fetches what the last crawl
    fetched: it is refused while the last crawl's requests are still queued.
    """
    server = connect(url)
    queued = int(server.zcard(REQUESTS)) + int(server.llen(SEEDS))
    if queued:
        raise CrawlInProgress(
            f"{queued} requests of an earlier crawl are still queued on {url}:"
            " let its workers finish first"
        )
    server.delete(DUPEFILTER, VALIDATORS, KNOWN, PLATFORMS, ROBOTS, ORIGINS)
    if platforms:
        server.hset(PLATFORMS, mapping=dict(platforms))  # type: ignore[arg-type]
    for pages in chunked(validators, BATCH):
        server.hset(VALIDATORS, mapping={u: json.dumps(v) for u, v in pages})
    for start in start_urls:
        posts: list[str] = []
        for batch in chunked(known(start) if known else (), BATCH):
            server.hset(KNOWN, mapping=dict(batch))  # type: ignore[arg-type]
            posts.extend(post for post, _ in batch)
        server.sadd(ORIGINS, origin(start))
        message = {
            "url": start,
            "depth": depth,
            "max_pages": max_pages or 0,
            "posts": sorted(posts),
        }
        server.rpush(SEEDS, json.dumps(message))
    return int(server.llen(SEEDS))


class RedisCounts:
    """The archive's comment counts of a refresh's posts, read from Redis by every worker (the
    spider's ``archived_comments``: which 304s are archived posts, which posts had comments)."""

    def __init__(self, server: redis.Redis) -> None:
        self.server = server

    def __contains__(self, url: object) -> bool:
        return bool(self.server.hexists(KNOWN, str(url)))

    def get(self, url: str, default: int | None = None) -> int | None:
        value = self.server.hget(KNOWN, url)
        return default if value is None else int(value)  # type: ignore[arg-type]


class RedisPlatforms(Mapping[str, str]):
    """The platform a refresh's archive holds each blog as, read from Redis by every worker
    (the spider's ``archived_platform``). Each worker asks for a blog's once: the refresh
    wrote them all before its first seed, and they do not change while it runs."""

    def __init__(self, server: redis.Redis) -> None:
        self.server = server
        self._known: dict[str, str | None] = {}

    def _of(self, blog: str) -> str | None:
        if blog not in self._known:
            value = self.server.hget(PLATFORMS, blog)
            self._known[blog] = None if value is None else value.decode()  # type: ignore[union-attr]
        return self._known[blog]

    def __getitem__(self, blog: str) -> str:
        platform = self._of(blog)
        if platform is None:
            raise KeyError(blog)
        return platform

    def __contains__(self, blog: object) -> bool:
        return isinstance(blog, str) and self._of(blog) is not None

    def __iter__(self) -> Iterator[str]:
        return (key.decode() for key in self.server.hkeys(PLATFORMS))  # type: ignore[union-attr]

    def __len__(self) -> int:
        return int(self.server.hlen(PLATFORMS))  # type: ignore[arg-type]


class RedisOrigins:
    """The start URLs' origins of the crawl the workers serve (the spider's ``start_origins``,
    which :class:`~blogarchive.middlewares.PrivateAddressMiddleware` allows however private)."""

    def __init__(self, server: redis.Redis) -> None:
        self.server = server

    def __contains__(self, value: object) -> bool:
        return bool(self.server.sismember(ORIGINS, str(value)))

    def add(self, value: str) -> None:
        self.server.sadd(ORIGINS, value)


def validators_of(server: redis.Redis, url: str) -> tuple[str | None, str | None] | None:
    """The validators a refresh queued for ``url`` (post pages only), if any."""
    value = server.hget(VALIDATORS, url)
    if value is None:
        return None
    etag, modified = json.loads(value)  # type: ignore[arg-type]
    return etag, modified


# -- workers ------------------------------------------------------------------------------------


def worker_settings(redis_url: str, *, idle_timeout: float, options: CrawlOptions) -> Settings:
    """A local crawl's settings (:func:`blogarchive.options.crawl_settings`) with the request
    queue, duplicate filter, robots.txt and items moved to Redis; ``-s`` overrides last."""
    settings = crawl_settings(dataclasses.replace(options, overrides=()))
    middlewares = settings.getdict("DOWNLOADER_MIDDLEWARES")
    values: dict[str, Any] = {
        "SCHEDULER": "scrapy_redis.scheduler.Scheduler",
        "SCHEDULER_PERSIST": True,  # the queue outlives any one worker
        "BLOGARCHIVE_PROGRESS_WAITING": False,  # (the queue is Redis's, shared by every worker)
        "SCHEDULER_QUEUE_KEY": REQUESTS,
        "SCHEDULER_DUPEFILTER_KEY": DUPEFILTER,
        "DUPEFILTER_CLASS": "scrapy_redis.dupefilter.RFPDupeFilter",
        "DOWNLOADER_MIDDLEWARES": {
            **middlewares,
            "blogarchive.middlewares.RobotsTxtRulesMiddleware": None,
            "blogarchive.distributed.SharedRobotsTxtMiddleware": 100,
            REVALIDATION: None,
            "blogarchive.distributed.RedisConditionalRequestMiddleware": middlewares[REVALIDATION],
        },
        "REDIS_URL": redis_url,
        "ARCHIVE_DB": "",  # a worker has no archive: its items go to Redis
        "ITEM_PIPELINES": {"blogarchive.distributed.RedisItemPipeline": 300},
        "BLOGARCHIVE_DISTRIBUTED": True,
        "BLOGARCHIVE_IDLE_TIMEOUT": idle_timeout,
        # (the workers' WARC files go in one folder beside the archive: named by machine)
        "BLOGARCHIVE_WARC_PREFIX": f"blogarchive-{socket.gethostname()}",
    }
    for name, value in values.items():
        settings.set(name, value, priority="cmdline")
    settings.set(
        "EXTENSIONS",
        {**settings.getdict("EXTENSIONS"), "blogarchive.distributed.SeedReader": 600},
        priority="cmdline",
    )
    for name, value in parse_overrides(options.overrides).items():
        settings.set(name, value, priority="cmdline")
    return settings


#: The local crawl's revalidation middleware, which a worker's replaces.
REVALIDATION = "blogarchive.middlewares.ConditionalRequestMiddleware"


class RedisConditionalRequestMiddleware(ConditionalRequestMiddleware):
    """Revalidation on a worker, which holds no archive: a refresh queues its post pages'
    validators in Redis (not feeds' or homes': a worker has no archived body to read them
    from, should the answer be 304)."""

    def __init__(self, crawler: Crawler) -> None:
        super().__init__(crawler)
        self._validators = partial(validators_of, connect(crawler.settings.get("REDIS_URL")))


def run_worker(settings: Settings) -> dict[str, Any]:
    """Run one worker until it is stopped or idle for its timeout; returns Scrapy's stats."""
    from spiders.blog import BlogSpider

    # scrapy-redis 0.9.1 passes spider= to the stats collector, which Scrapy 2.19 deprecates
    warnings.filterwarnings("ignore", category=ScrapyDeprecationWarning, module="scrapy_redis")
    process = CrawlerProcess(settings)
    quiet_logs()
    crawler = process.create_crawler(BlogSpider)
    process.crawl(crawler)
    process.start()
    return crawler.stats.get_stats() if crawler.stats else {}


class RedisItemPipeline:
    """Pushes each item, pickled, onto the ``blogarchive:items`` list for the ingester; and
    each capture the worker keeps (:mod:`blogarchive.capturing`), before the items that name
    it."""

    def __init__(self, crawler: Crawler, server: redis.Redis) -> None:
        self.crawler = crawler
        self.server = server

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> RedisItemPipeline:
        pipeline = cls(crawler, connect(crawler.settings.get("REDIS_URL")))
        crawler.signals.connect(pipeline.captured, signal=capturing.captured)
        return pipeline

    def process_item(self, item: Any, spider: Spider | None = None) -> Any:
        self.server.rpush(ITEMS, pickle.dumps(item, protocol=pickle.HIGHEST_PROTOCOL))
        add_counts(self.crawler.stats, counts_of(item))  # the progress lines count them
        return item

    def captured(self, capture: Capture) -> None:
        self.server.rpush(ITEMS, pickle.dumps(capture, protocol=pickle.HIGHEST_PROTOCOL))


class SharedRobotsTxtMiddleware(RobotsTxtRulesMiddleware):
    """The robots.txt middleware (:class:`~blogarchive.middlewares.RobotsTxtRulesMiddleware`)
    with each origin's robots.txt fetched by one worker and its answer shared with the others
    through Redis (a crawl asks for it once, as for any URL).

    The first worker to need an origin's rules claims it and fetches; the others wait for the
    answer it stores (up to ``WAIT`` seconds, then they fetch it themselves).
    """

    WAIT = 30.0

    def __init__(self, crawler: Crawler) -> None:
        super().__init__(crawler)
        self.redis = connect(crawler.settings.get("REDIS_URL"))

    async def robot_parser(self, request: Request) -> RobotParser | None:
        url = urlparse_cached(request)
        netloc, origin = url.netloc, f"{url.scheme}://{url.netloc}"
        if netloc in self._parsers or self.redis.hsetnx(ROBOTS, origin, PENDING):
            return await super().robot_parser(request)  # known here, or ours to fetch
        # this worker's other requests to the origin wait on this one's answer (Scrapy's
        # _parse_robots and _robots_error fire the Deferred that the origin's entry holds)
        waiting: Deferred[RobotParser | None] = Deferred()
        self._parsers[netloc] = waiting
        answer = await self._answer(origin)
        if answer is None:  # the claimant never answered: fetched here, and shared
            del self._parsers[netloc]
            fetched = await super().robot_parser(request)
            waiting.callback(fetched)
            return fetched
        if answer.get("error"):
            self._robots_error(IgnoreRequest(answer["error"]), netloc)
        else:
            response = Response(
                f"{origin}/robots.txt",
                status=answer["status"],
                body=base64.b64decode(answer["body"]),
                request=request,
            )
            # (the worker that fetched it told its spider through Scrapy's response_received)
            note = getattr(self.crawler.spider, "note_robots", None)
            if note is not None and response.status == 200:
                note(netloc, response)
            await self._parse_robots(response, netloc, request)
        return self._parsers[netloc]  # type: ignore[return-value]

    async def _answer(self, origin: str) -> dict[str, Any] | None:
        deadline = time.monotonic() + self.WAIT
        while time.monotonic() < deadline:
            value = self.redis.hget(ROBOTS, origin)
            if value is not None and value != PENDING:
                return dict(json.loads(value))  # type: ignore[arg-type]
            await asyncio.sleep(0.1)
        return None

    async def _parse_robots(self, response: Response, netloc: str, request: Request) -> None:
        origin = f"{urlparse_cached(request).scheme}://{netloc}"
        answer = {"status": response.status, "body": base64.b64encode(response.body).decode()}
        self.redis.hset(ROBOTS, origin, json.dumps(answer))
        await super()._parse_robots(response, netloc, request)

    def _robots_error(self, exc: Exception, netloc: str) -> None:
        for scheme in ("http", "https"):
            if self.redis.hget(ROBOTS, f"{scheme}://{netloc}") == PENDING:
                self.redis.hset(ROBOTS, f"{scheme}://{netloc}", json.dumps({"error": str(exc)}))
        super()._robots_error(exc, netloc)


#: The value of an origin in ``blogarchive:robots`` while a worker fetches its robots.txt.
PENDING = b"pending"


class SeedReader:
    """Hands a worker's spider the start blogs queued in Redis whenever it runs dry, and lets
    it close once it has had nothing to do for ``BLOGARCHIVE_IDLE_TIMEOUT`` seconds (0: never)."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.server = connect(crawler.settings.get("REDIS_URL"))
        self.timeout = crawler.settings.getfloat("BLOGARCHIVE_IDLE_TIMEOUT", 0)
        self.idle_since: float | None = None
        self.last_count = -1
        crawler.signals.connect(self.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(self.spider_idle, signal=signals.spider_idle)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> SeedReader:
        if not crawler.settings.getbool("BLOGARCHIVE_DISTRIBUTED"):
            raise NotConfigured
        return cls(crawler)

    def spider_opened(self, spider: Spider) -> None:
        spider.archived_comments = RedisCounts(self.server)  # type: ignore[attr-defined]
        spider.archived_platform = RedisPlatforms(self.server)  # type: ignore[attr-defined]
        # the start blogs' origins are allowed on every worker, not only the one handed the seed
        spider.start_origins = RedisOrigins(self.server)  # type: ignore[attr-defined]

    def spider_idle(self, spider: Spider) -> None:
        started = 0
        while (data := self.server.lpop(SEEDS)) is not None:
            start = json.loads(data)  # type: ignore[arg-type]
            # a refresh revalidates every archived post, listed or not
            requests = spider.seed(  # type: ignore[attr-defined]
                start["url"], int(start["depth"]), int(start["max_pages"]), start.get("posts", ())
            )
            for request in requests:
                self.crawler.engine.crawl(request)  # type: ignore[union-attr]
            started += len(requests)
        stats = self.crawler.stats
        count = stats.get_value("response_received_count", 0) if stats else 0  # type: ignore[union-attr]
        if started or count != self.last_count or self.idle_since is None:
            self.last_count, self.idle_since = count, time.monotonic()
        if not self.timeout or time.monotonic() - self.idle_since < self.timeout:
            raise DontCloseSpider  # another worker may still queue requests


# -- the ingester -------------------------------------------------------------------------------


@dataclass
class IngestReport:
    items: Counter[str] = field(default_factory=Counter)
    seconds: float = 0.0
    run: dict[str, Any] = field(default_factory=dict)
    #: comments whose post never came (held till the ingester stopped)
    unattached: Unattached | None = None

    @property
    def rate(self) -> float:
        return sum(self.items.values()) / self.seconds if self.seconds else 0.0


def ingest(
    redis_url: str,
    db: str,
    *,
    idle_timeout: float = 0,
    progress: Callable[[IngestReport], None] | None = None,
    progress_interval: float = 5.0,
) -> IngestReport:
    """Move items from Redis into ``db`` until stopped (SIGINT, SIGTERM) or idle for
    ``idle_timeout`` seconds. A batch leaves Redis only once SQLite has committed it: an
    ingester killed midway writes the same batch again when it restarts (items are idempotent).
    """
    server = connect(redis_url)
    lock = ArchiveLock(db)
    lock.acquire()
    report = IngestReport()
    stopping: list[int] = []
    previous = {
        sig: signal.signal(sig, lambda number, frame: stopping.append(number))
        for sig in (signal.SIGINT, signal.SIGTERM)
    }
    try:
        archive = Archive(open_database(db))
        run_id = archive.start_run([])
        started = last_item = last_progress = time.monotonic()
        stats: Counter[str] = Counter()
        early = EarlyComments()
        while not stopping:
            batch = _take_batch(server)
            if not batch:
                if idle_timeout and time.monotonic() - last_item >= idle_timeout:
                    break
                time.sleep(0.2)
            else:
                last_item = time.monotonic()
                with archive.db.atomic():
                    for item in _unpickled(batch, report):
                        early.store(archive, item, run_id)
                        stats.update(counts_of(item))
                server.delete(INGESTING)
            if progress and time.monotonic() - last_progress >= progress_interval:
                report.seconds = time.monotonic() - started
                progress(report)
                last_progress = time.monotonic()
        report.seconds = time.monotonic() - started
        status = "finished" if not stopping else "stopped"
        report.unattached = early.left()
        if report.unattached:
            stats["comments_without_post"] = report.unattached.count
        report.run = archive.end_run(
            run_id,
            status,
            {"ingested": dict(report.items), **{f"archive/{k}": v for k, v in stats.items()}},
        )
        archive.db.close()
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        lock.release()
    return report


def _take_batch(server: redis.Redis) -> list[bytes]:
    """The next batch of items: the unfinished one of an ingester that died, or up to ``BATCH``
    new ones, each moved onto the ``ingesting`` list in one transaction (LMOVE)."""
    pending = server.lrange(INGESTING, 0, -1)
    if pending:
        return list(pending)  # type: ignore[arg-type]
    with server.pipeline(transaction=True) as pipe:
        for _ in range(BATCH):
            pipe.lmove(ITEMS, INGESTING, "LEFT", "RIGHT")
        moved = pipe.execute()
    return [data for data in moved if data is not None]


def _unpickled(batch: list[bytes], report: IngestReport) -> Iterator[Any]:
    for data in batch:
        try:
            item = pickle.loads(data)  # our own workers' items, on a private Redis
        except Exception:  # a corrupt entry is counted and skipped, never fatal
            report.items["unreadable"] += 1
            continue
        report.items[type(item).__name__] += 1
        yield item


def queue_lengths(redis_url: str) -> dict[str, int]:
    """How much each shared list or set holds (``blogarchive status``-style numbers)."""
    server = connect(redis_url)
    return {
        "seeds": int(server.llen(SEEDS)),
        "requests": int(server.zcard(REQUESTS)),
        "items": int(server.llen(ITEMS)),
        "fingerprints": int(server.scard(DUPEFILTER)),
    }
