"""Scrapy settings for blogarchive (``scrapy.cfg`` points here; the CLI starts from them too)."""

from blogarchive import __version__

BOT_NAME = "blogarchive"
SPIDER_MODULES = ["spiders"]
NEWSPIDER_MODULE = "spiders"

#: Where the pipeline writes. ``blogarchive crawl --db`` and ``-s ARCHIVE_DB=...`` override it.
ARCHIVE_DB = "archive.db"
#: Blog-list hops to follow from the start blogs (``--depth``).
BLOGARCHIVE_DEPTH = 1
#: Follow links and redirects to private, loopback and link-local addresses (``--allow-private``).
BLOGARCHIVE_ALLOW_PRIVATE = False
#: Most pages fetched from one blog (``--max-pages``); 0 means no limit.
BLOGARCHIVE_MAX_PAGES_PER_BLOG = 0
#: Most pages fetched from a blog on no known platform, explored link by link (0: no limit).
BLOGARCHIVE_GENERIC_MAX_PAGES = 2000
#: Every blog's request budget: this many requests, and BLOGARCHIVE_BUDGET_PER_POST more for each
#: post the blog states, or its sitemaps or REST API list, or a refresh's archive holds (both 0: no
#: budget). It ends any loop that no route's own stop foresaw; the blog's report says so, and names
#: the posts it left unasked. The constant is what a blog on no known platform may take
#: (BLOGARCHIVE_GENERIC_MAX_PAGES): a blog that states no count is not cut shorter than that.
BLOGARCHIVE_BUDGET_BASE = 2000
BLOGARCHIVE_BUDGET_PER_POST = 10
#: The most pages a paginated route (feed, REST, index pages, sitemaps of a sitemap index) may
#: take from a blog that states no post count; one that states one is capped by it.
BLOGARCHIVE_ROUTE_MAX_PAGES = 1000
#: Posts asked for per page of a Blogger feed (Blogger serves at most 150 per page).
BLOGARCHIVE_FEED_PAGE_SIZE = 150
#: Where a Blogger blog's pages do not show its comments with their times, read them from its
#: blog-wide comment feed (a request for each 150 comments), a post's own feed only where that
#: does not list all of the post's comments; False: one feed for each such post (see
#: ``spiders/comment_feeds.py``).
BLOGARCHIVE_BLOG_COMMENT_FEED = True
#: Archive a Blogger blog from its feeds (``--from-feeds``): each post from its posts feed's
#: entry where that carries the whole post (the blog's feed setting "Full"), its comments from
#: the comment feeds; a post page is fetched only for an entry that gives less. What only a post
#: page shows (forms inside posts) is then not archived. See ``extract/feedposts.py``.
BLOGARCHIVE_FROM_FEEDS = False
#: Worker processes that extract post pages while the crawl fetches and writes: a number (0: the
#: crawl's own process extracts them), or "auto": one where the crawl may use two cores or more.
#: See ``blogarchive/extraction.py``.
BLOGARCHIVE_EXTRACT_PROCESSES = "auto"
#: The garbage collector's first threshold in the crawl's own process while the crawl runs
#: (Python's is 700; 0 keeps Python's). See ``blogarchive/extensions.py``.
BLOGARCHIVE_GC_THRESHOLD = 50_000

USER_AGENT = (
    f"blogarchive/{__version__} (+https://github.com/blogarchive/blogarchive; research archiver)"
)
ROBOTSTXT_OBEY = True
#: Scrapy's defaults, but the encodings asked for are those that replay tools (pywb,
#: ReplayWeb.page) decode: a captured body stays as the server encoded it, and Scrapy would
#: ask for Brotli and Zstandard too.
DEFAULT_REQUEST_HEADERS = {
    "Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
    "Accept-Language": "en",
    "Accept-Encoding": "gzip, deflate",
}

#: Request fingerprints in a file of the job folder, not in memory (``blogarchive.scratch``).
DUPEFILTER_CLASS = "blogarchive.scratch.DiskDupeFilter"
#: Scrapy's disk queue, naming callbacks from a table (``blogarchive.scratch.DiskQueue``).
SCHEDULER_DISK_QUEUE = "blogarchive.scratch.DiskQueue"

ITEM_PIPELINES = {"blogarchive.pipelines.ArchivePipeline": 300}
DOWNLOADER_MIDDLEWARES = {
    # before the robots.txt middleware (100): a private address is refused before anything else
    "blogarchive.middlewares.PrivateAddressMiddleware": 50,
    # Scrapy's robots.txt middleware, with the rules given to every request waiting for them
    "scrapy.downloadermiddlewares.robotstxt.RobotsTxtMiddleware": None,
    "blogarchive.middlewares.RobotsTxtRulesMiddleware": 100,
    # next to the downloader: its headers go out last, its 304s are answered first
    "blogarchive.middlewares.ConditionalRequestMiddleware": 950,
    # Scrapy's retries, honouring Retry-After
    "scrapy.downloadermiddlewares.retry.RetryMiddleware": None,
    "blogarchive.middlewares.RetryAfterMiddleware": 550,
    # its responses are seen before the redirect middleware's (600) follows them
    "blogarchive.middlewares.RedirectLoopMiddleware": 601,
}
#: The longest Retry-After waited for before a retry; a longer one is left to the next run.
BLOGARCHIVE_RETRY_AFTER_MAX = 30
#: A crawl writes its items in transactions of at most this many seconds (and commits when it
#: stops): one commit a second, not one an item. A crawl killed outright loses only the items of
#: its last second, which the next run fetches again; what the archive held stays.
BLOGARCHIVE_COMMIT_SECONDS = 1.0
#: Ask the server whether archived pages changed (If-None-Match / If-Modified-Since).
BLOGARCHIVE_REVALIDATE = True
#: 304 Not Modified is an answer, not an error: the archived page stands.
HTTPERROR_ALLOWED_CODES = [304]
EXTENSIONS = {
    # RemoteControl and the telnet console run code sent to them: never in an archiver
    "scrapy.extensions.remote_control.RemoteControl": None,
    "scrapy.extensions.telnet.TelnetConsole": None,
    "blogarchive.extensions.CrawlProgress": 500,
    "blogarchive.extensions.CollectorThreshold": 500,
    "blogarchive.capturing.WarcCapture": 500,
    # (after AutoThrottle, 0: a host's Crawl-delay or pause is set back after AutoThrottle
    # moves it)
    "blogarchive.politeness.HostPoliteness": 600,
}
#: Where the crawl keeps every response as WARC/1.1 records (``blogarchive crawl --warc-dir``;
#: the command line's default is a folder beside the archive). Unset: none kept.
BLOGARCHIVE_WARC_DIR = None
#: A new WARC file is begun once the current one is this large (bytes).
BLOGARCHIVE_WARC_MAX_SIZE = 1 << 30
#: The WARC files' names begin with it (a distributed worker's name its machine, so that the
#: files of every worker can be put in one folder).
BLOGARCHIVE_WARC_PREFIX = "blogarchive"
REMOTE_CONTROL_ENABLED = False
TELNETCONSOLE_ENABLED = False

CONCURRENT_REQUESTS = 16
CONCURRENT_REQUESTS_PER_DOMAIN = 4
#: The pipeline writes each item to SQLite synchronously: running many at once gains nothing,
#: and Scrapy starts that many asyncio tasks for every response (100 by default).
CONCURRENT_ITEMS = 4
#: How many bytes of responses may wait in Scrapy's scraper (for their callbacks, and the post
#: pages among them for the extraction worker) before the engine stops fetching more: a page
#: waiting holds its body, its text and the frame that hands it over. With Scrapy's 5 MB the
#: crawl's peak memory varies with how far the worker falls behind; 1 MB holds it steady, at
#: no cost in time (bench/RESULTS.md).
SCRAPER_SLOT_MAX_ACTIVE_SIZE = 1_000_000
#: Scrapy's check for ``return value`` in generator callbacks re-reads the callback's source
#: with ``ast`` on every response (its cache is keyed by the short-lived bound method).
#: The spiders' tests hold what the check warns about.
WARN_ON_GENERATOR_RETURN_VALUE = False
DOWNLOAD_DELAY = 0.25
#: The delay is a floor, not a mean: no two requests to a host closer than it. Scrapy's
#: jitter (±50% by default) lets two come half the delay apart, and, as it draws the delay
#: again each time its timer fires, spaces them 1.22 times the delay on average
#: (bench/RESULTS.md). (Scrapy 2.19 names it so; ``RANDOMIZE_DOWNLOAD_DELAY`` is deprecated.)
DOWNLOAD_DELAY_JITTER = 0.0
#: The longest robots.txt ``Crawl-delay`` honoured as asked; a longer one is held to it.
BLOGARCHIVE_MAX_CRAWL_DELAY = 60.0
AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_START_DELAY = 0.25
AUTOTHROTTLE_TARGET_CONCURRENCY = 2.0
DOWNLOAD_TIMEOUT = 30
DOWNLOAD_MAXSIZE = 16 * 1024 * 1024
DOWNLOAD_WARNSIZE = 4 * 1024 * 1024
RETRY_TIMES = 2
REDIRECT_MAX_TIMES = 5
DEPTH_LIMIT = 0
COOKIES_ENABLED = False

LOG_LEVEL = "INFO"
FEED_EXPORT_ENCODING = "utf-8"
