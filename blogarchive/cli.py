"""The ``blogarchive`` command line (see ``blogarchive --help``)."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import tempfile
from dataclasses import asdict
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import click
from w3lib.encoding import html_to_unicode

from blogarchive import __version__
from blogarchive.archive import ArchiveError, open_database
from blogarchive.reader import ArchiveReader

DEFAULT_DB = "archive.db"
METADATA = Path(__file__).parent / "datasette" / "metadata.yml"
SUMMARY_TABLES = (
    "blogs",
    "posts",
    "comments",
    "key_observations",
    "forms",
    "form_occurrences",
    "blog_links",
)


def fail(message: str) -> None:
    """Print a one-line error and exit with status 2 (a bad argument or an unusable database)."""
    click.echo(f"Error: {message}", err=True)
    sys.exit(2)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="blogarchive")
def cli() -> None:
    """Archive blogs for research: crawl them into SQLite, publish them with Datasette."""


db_option = click.option(
    "--db",
    default=DEFAULT_DB,
    show_default=True,
    type=click.Path(dir_okay=False),
    help="The SQLite archive.",
)


# -- crawl ------------------------------------------------------------------------------------


def crawl_options(command: Any) -> Any:
    """The options ``crawl`` and ``refresh`` share: Scrapy settings, quiet, verbose."""
    command = click.option(
        "-v", "--verbose", is_flag=True, help="Scrapy's full log on standard error."
    )(command)
    command = click.option(
        "-q", "--quiet", is_flag=True, help="No progress lines, only the summary."
    )(command)
    return click.option(
        "-s",
        "--set",
        "overrides",
        multiple=True,
        metavar="NAME=VALUE",
        help="Set a Scrapy setting for this run (repeatable).",
    )(command)


def warc_options(command: Any) -> Any:
    """Where ``crawl`` and ``refresh`` keep their captures as WARC files."""
    command = click.option(
        "--no-warc", is_flag=True, help="Keep no WARC files (the archive's rows cite no capture)."
    )(command)
    return click.option(
        "--warc-dir",
        metavar="DIR",
        help="Keep every response as WARC/1.1 records here.  [default: beside the archive,"
        " ARCHIVE-warc/]",
    )(command)


def warc_folder(db: str, warc_dir: str | None, no_warc: bool) -> str | None:
    from blogarchive.capturing import default_warc_dir

    if no_warc:
        return None
    return str(warc_dir or default_warc_dir(db))


def make_warc_folder(folder: str) -> None:
    try:
        Path(folder).mkdir(parents=True, exist_ok=True)
    except OSError as error:
        fail(f"cannot keep WARC files in {folder}: {error.strerror or error}")


@cli.command()
@click.argument("urls", nargs=-1, required=True, metavar="URL...")
@db_option
@click.option(
    "--depth",
    default=1,
    show_default=True,
    type=click.IntRange(min=0),
    help="Blog-list hops to follow from the start blogs (0: only the start blogs).",
)
@click.option(
    "--allow-private",
    is_flag=True,
    help="Follow links and redirects to private, loopback and link-local addresses.",
)
@click.option("--max-pages", type=click.IntRange(min=1), help="Most pages to fetch from one blog.")
@click.option(
    "--from-feeds",
    is_flag=True,
    help="Archive Blogger posts from their feeds; fetch a post page only where its feed entry"
    " is not the whole post (forms inside posts are then not archived).",
)
@click.option(
    "--redis",
    "redis_url",
    metavar="URL",
    help="Queue the blogs for `blogarchive worker` processes on this Redis and return.",
)
@warc_options
@crawl_options
def crawl(
    urls: tuple[str, ...],
    db: str,
    depth: int,
    allow_private: bool,
    max_pages: int | None,
    from_feeds: bool,
    redis_url: str | None,
    warc_dir: str | None,
    no_warc: bool,
    overrides: tuple[str, ...],
    quiet: bool,
    verbose: bool,
) -> None:
    """Crawl the blogs at URL... and the blogs they list into the archive."""
    if redis_url:
        if from_feeds:
            fail("--from-feeds is not available for a distributed crawl (--redis)")
        seed_distributed(redis_url, urls, depth=depth, max_pages=max_pages)
        return
    run_and_report(
        urls,
        db,
        depth=depth,
        allow_private=allow_private,
        max_pages=max_pages,
        from_feeds=from_feeds,
        warc_dir=warc_folder(db, warc_dir, no_warc),
        overrides=overrides,
        quiet=quiet,
        verbose=verbose,
    )


def check_urls(urls: tuple[str, ...] | list[str]) -> None:
    for url in urls:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            fail(f"not an http(s) URL: {url}")


def seed_distributed(redis_url: str, urls: tuple[str, ...], **options: Any) -> None:
    from blogarchive.distributed import CrawlInProgress, RedisUnavailable, seed

    check_urls(urls)
    try:
        queued = seed(redis_url, urls, **options)
    except (RedisUnavailable, CrawlInProgress) as error:
        fail(str(error))
    click.echo(
        f"Queued {len(urls)} start blog(s) on {redis_url} ({queued} waiting for a worker)."
        " Run `blogarchive worker --redis URL` on each machine and one"
        " `blogarchive ingest --redis URL --db archive.db`.",
        err=True,
    )


def run_and_report(urls: tuple[str, ...] | list[str], db: str, **options: Any) -> None:
    """Validate, crawl, print the summary. Exits 2 on bad arguments, 0 once the crawl ends."""
    from blogarchive.crawl import run_crawl
    from blogarchive.options import CrawlOptions, SettingError, parse_overrides

    check_urls(urls)
    try:
        parse_overrides(options.get("overrides", ()))
    except SettingError as error:
        fail(str(error))
    check_database(db)
    check_unlocked(db)
    if options.get("warc_dir"):
        make_warc_folder(options["warc_dir"])
    quiet = options.pop("quiet", False)
    verbose = options.pop("verbose", False)
    what = "Refreshing" if options.get("refresh") else "Crawling"
    shown = ", ".join(urls[:5]) + (f" and {len(urls) - 5} more" if len(urls) > 5 else "")
    click.echo(f"{what} {shown} into {db} (depth {options.get('depth', 1)})", err=True)
    result = run_crawl(
        CrawlOptions(
            urls=list(urls),
            db=db,
            progress_interval=0 if quiet else 5.0,
            log_level="DEBUG" if verbose else "WARNING",
            **options,
        )
    )
    if "archive/error" in result.stats:
        fail(str(result.stats["archive/error"]))
    print_summary(db, result.summary, result.seconds, what=what.removesuffix("ing"))


def check_unlocked(db: str) -> None:
    """Refuse to start while another crawl or refresh writes to ``db`` (SQLite has one writer)."""
    from blogarchive.lock import ArchiveLock, ArchiveLocked

    try:
        with ArchiveLock(db):
            pass
    except ArchiveLocked as error:
        fail(str(error))


def check_database(db: str) -> None:
    try:
        open_database(db).close()
    except ArchiveError as error:
        fail(str(error))


def print_summary(db: str, run: dict[str, Any], seconds: float, what: str = "Crawl") -> None:
    with ArchiveReader(db) as reader:
        _print_summary(reader, db, run, seconds, what)


def _print_summary(
    reader: ArchiveReader, db: str, run: dict[str, Any], seconds: float, what: str
) -> None:
    stats = json.loads(run.get("stats") or "{}") if run else {}
    rows = stats.get("rows", {})
    click.echo(f"\n{what} {run.get('status', 'ended')} in {seconds:.1f}s: {db}")
    for table in SUMMARY_TABLES:
        total = reader.row_count(table)
        added = rows.get(f"{table}.added", 0)
        changed = rows.get(f"{table}.changed", 0)
        click.echo(f"  {table:<17} {total:>6}  (+{added} new, {changed} changed)")
    click.echo(
        f"  {'pages':<17} {run.get('pages_fetched', 0):>6}  fetched this run, "
        f"{run.get('pages_failed', 0)} failed, {run.get('pages_not_modified', 0)} not modified"
    )
    if stats.get("blogarchive/captures"):
        revisits = stats.get("blogarchive/revisits", 0)
        click.echo(
            f"  {'captures':<17} {stats['blogarchive/captures']:>6}  responses kept as WARC"
            f" records in {stats['blogarchive/warc_dir']}"
            + (f", {revisits} of them revisits of earlier captures" if revisits else "")
        )
    if stats.get("blogarchive/unchanged_in_feed"):
        click.echo(
            f"  {'feed vouched':<17} {stats['blogarchive/unchanged_in_feed']:>6}  posts unchanged"
            " in their feed, not asked for (--every-page asks)"
        )
    for url, status, error in reader.unreadable_blogs():
        click.echo(f"  ! {url} {status}: {error}")
    report = stats.get("blogarchive/report", {})
    if report:
        click.echo("Posts per blog (stated by the site / found by each route / archived):")
    for blog, figures in report.items():
        stated = figures["stated"] if figures["stated"] is not None else "?"
        routes = ", ".join(f"{route} {n}" for route, n in figures["found"].items()) or "none"
        line = f"  {blog}  stated {stated}  found: {routes}  archived {figures['archived']}"
        missing_count = figures.get("missing_count", len(figures["missing"]))
        if missing_count:
            line += f"  missing {missing_count}"
        click.echo(line)
        for missing in figures["missing"][:10]:
            click.echo(f"    missing {missing['url']}: {missing['reason']}")
        if missing_count > 10:
            click.echo(f"    … {missing_count - 10} more in crawl_runs.stats")
        for route, why in figures.get("stops", {}).items():
            click.echo(f"    {route} stopped: {why}")
        unlisted = (figures["stated"] or 0) - figures["archived"] - missing_count
        if unlisted > 0:  # (no route read named them: the stops say why)
            click.echo(f"    {unlisted} more posts the blog states were listed by no route read")


@cli.command()
@db_option
@click.option(
    "--redis",
    "redis_url",
    metavar="URL",
    help="Queue the refresh for `blogarchive worker` processes on this Redis and return.",
)
@click.option(
    "--every-page",
    is_flag=True,
    help="Revalidate every archived post page, also those a Blogger feed lists unchanged.",
)
@click.option(
    "--from-feeds",
    is_flag=True,
    help="As `crawl --from-feeds`: a changed or new Blogger post from its feed entry, a"
    " WordPress blog's posts from its REST API; only the pages of archived posts they no"
    " longer list are revalidated.",
)
@warc_options
@crawl_options
def refresh(
    db: str,
    redis_url: str | None,
    every_page: bool,
    from_feeds: bool,
    warc_dir: str | None,
    no_warc: bool,
    overrides: tuple[str, ...],
    quiet: bool,
    verbose: bool,
) -> None:
    """Re-crawl every blog in the archive, asking only for what changed.

    Homes, feeds and sitemaps are revalidated (If-None-Match / If-Modified-Since); a 304 costs
    no body. On Blogger, a post whose feed entry is unchanged since its page was archived
    (same `updated`, same comment count) is not asked for at all; every other archived post
    page is revalidated, a post the feed no longer lists included (--every-page: all of
    them). With --from-feeds, a post a Blogger feed lists changed or new is archived from its
    entry, and a WordPress blog's posts from its REST API, as `crawl --from-feeds` does. Edited
    posts get a revision, new posts and comments are added, a post or comment the site says is
    gone gets deleted_at; a network error or a 5xx deletes nothing.
    """
    if not Path(db).exists():
        fail(f"no archive at {db}: run `blogarchive crawl` first")
    with ArchiveReader(db) as reader:
        blogs = reader.blog_urls()
        if not blogs:
            fail(f"{db} holds no blogs to refresh")
        if redis_url:
            if from_feeds:
                fail("--from-feeds is not available for a distributed refresh (--redis)")
            # workers hold no archive: the archived posts, their comment counts and their
            # pages' validators go to Redis with the seeds, read from the archive as they go
            seed_distributed(redis_url, tuple(blogs), depth=0, max_pages=None,
                             known=reader.posts_with_comments,
                             validators=reader.post_validators(),
                             platforms=reader.platforms())  # fmt: skip
            return
    # the spider reads the archived posts from the archive as it goes (blogarchive.reader)
    run_and_report(
        blogs, db, depth=0, allow_private=False, refresh=True, every_page=every_page,
        from_feeds=from_feeds, warc_dir=warc_folder(db, warc_dir, no_warc), overrides=overrides,
        quiet=quiet, verbose=verbose,
    )  # fmt: skip


# -- distributed ------------------------------------------------------------------------------

redis_option = click.option(
    "--redis", "redis_url", required=True, metavar="URL", help="The Redis the crawl shares."
)
idle_option = click.option(
    "--idle-timeout",
    type=click.FloatRange(min=0),
    default=0,
    show_default=True,
    metavar="SECONDS",
    help="Exit after this long with nothing to do (0: run until stopped).",
)


@cli.command()
@redis_option
@idle_option
@click.option(
    "--allow-private",
    is_flag=True,
    help="Follow links and redirects to private, loopback and link-local addresses.",
)
@crawl_options
@click.option("--no-warc", is_flag=True, help="Keep no WARC files (the rows cite no capture).")
@click.option(
    "--warc-dir",
    metavar="DIR",
    default="blogarchive-warc",
    show_default=True,
    help="Keep every response as WARC/1.1 records here; put the folder beside the archive.",
)
def worker(
    redis_url: str,
    idle_timeout: float,
    allow_private: bool,
    overrides: tuple[str, ...],
    quiet: bool,
    verbose: bool,
    warc_dir: str,
    no_warc: bool,
) -> None:
    """Fetch and extract pages of a distributed crawl; items go to Redis for `ingest`.

    Every response is kept as WARC records in --warc-dir, named after this machine; the
    ingester's rows cite them as that folder's files, relative to the archive's folder.
    """
    from blogarchive.distributed import RedisUnavailable, connect, run_worker, worker_settings
    from blogarchive.options import CrawlOptions, SettingError

    options = CrawlOptions(
        urls=[],
        db="",
        allow_private=allow_private,
        overrides=overrides,
        progress_interval=0 if quiet else 5.0,
        log_level="DEBUG" if verbose else "WARNING",
        warc_dir=None if no_warc else warc_dir,
    )
    if options.warc_dir:
        make_warc_folder(options.warc_dir)
    try:
        settings = worker_settings(redis_url, idle_timeout=idle_timeout, options=options)
        connect(redis_url)
    except (SettingError, RedisUnavailable) as error:
        fail(str(error))
    click.echo(f"Worker {os.getpid()} taking requests from {redis_url}", err=True)
    stats = run_worker(settings)
    click.echo(
        f"Worker {os.getpid()} stopped ({stats.get('finish_reason', 'unknown')}):"
        f" {stats.get('response_received_count', 0)} pages fetched,"
        f" {stats.get('item_scraped_count', 0)} items queued"
        + (
            f", {stats['blogarchive/captures']} responses kept in {options.warc_dir}"
            if stats.get("blogarchive/captures")
            else ""
        ),
        err=True,
    )


@cli.command()
@redis_option
@db_option
@idle_option
@click.option("-q", "--quiet", is_flag=True, help="No progress lines, only the summary.")
def ingest(redis_url: str, db: str, idle_timeout: float, quiet: bool) -> None:
    """Write the items workers queue on Redis into the archive (the crawl's only writer)."""
    from blogarchive.distributed import IngestReport, RedisUnavailable, connect
    from blogarchive.distributed import ingest as run_ingest
    from blogarchive.lock import ArchiveLocked

    check_database(db)

    def progress(report: IngestReport) -> None:
        click.echo(
            f"  {sum(report.items.values())} items in {report.seconds:.0f}s ({report.rate:.0f}/s)",
            err=True,
        )

    try:
        connect(redis_url)
    except RedisUnavailable as error:
        fail(str(error))
    click.echo(f"Ingesting from {redis_url} into {db}", err=True)
    try:
        report = run_ingest(
            redis_url, db, idle_timeout=idle_timeout, progress=None if quiet else progress
        )
    except (RedisUnavailable, ArchiveLocked, ArchiveError) as error:
        fail(str(error))
    items = ", ".join(f"{name} {count}" for name, count in sorted(report.items.items()))
    click.echo(
        f"Ingested {sum(report.items.values())} items in {report.seconds:.1f}s"
        f" ({report.rate:.0f}/s): {items or 'none'}",
        err=True,
    )
    if report.unattached:
        click.echo(f"Warning: {report.unattached}", err=True)
    print_summary(db, report.run, report.seconds)


@cli.command()
@db_option
def reextract(db: str) -> None:
    """Rebuild the extracted tables from the stored pages with today's extractors, offline."""
    from blogarchive.archive import Archive
    from blogarchive.lock import ArchiveLock, ArchiveLocked
    from blogarchive.reextract import reextract as run

    if not Path(db).exists():
        fail(f"no archive at {db}")
    try:
        lock = ArchiveLock(db)
        lock.acquire()
    except ArchiveLocked as error:
        fail(str(error))
    try:
        archive = Archive(open_database(db))

        def progress(done: int, total: int) -> None:
            if done % 500 == 0 or done == total:
                click.echo(f"  … {done}/{total} pages", err=True)

        with ArchiveReader(db) as reader:
            read = run(archive, reader, progress)
        archive.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        changed = {k: v for k, v in sorted(archive.changes.items())}
        archive.db.close()
    finally:
        lock.release()
    pages = ", ".join(f"{n} {kind}" for kind, n in sorted(read.items())) or "no pages"
    click.echo(f"Re-extracted {pages} from {db}")
    for key, value in changed.items():
        click.echo(f"  {key:<28} {value:>6}")


# -- web archives -----------------------------------------------------------------------------


@cli.command("import")
@click.argument("files", nargs=-1, required=True, metavar="FILE...")
@db_option
@click.option(
    "--workers",
    default=0,
    show_default=True,
    type=click.IntRange(min=0),
    help="Processes that read the files, one a task, while this one writes (0: read here).",
)
def import_command(files: tuple[str, ...], db: str, workers: int) -> None:
    """Read WARC files (.warc, .warc.gz, .warc.zst) and WACZ packages into the archive, offline.

    Every captured page is read as a crawl reads it; each row names the capture it came from.
    What cannot be read (a truncated record, a damaged file) is reported, and the rest read.
    """
    import time

    from blogarchive.archive import Archive
    from blogarchive.importing import WarcImport
    from blogarchive.lock import ArchiveLock, ArchiveLocked

    paths = [Path(file) for file in files]
    for path in paths:
        if not path.is_file():
            fail(f"no such file: {path}")
    check_database(db)
    try:
        lock = ArchiveLock(db)
        lock.acquire()
    except ArchiveLocked as error:
        fail(str(error))
    started = time.monotonic()
    try:
        archive = Archive(open_database(db))
        run_id = archive.start_run([str(path) for path in paths])

        def progress(captures: int) -> None:
            click.echo(f"  … {captures} captured pages written", err=True)

        with archive.db.atomic():
            importing = WarcImport(
                archive, run_id, progress=progress, base=Path(db).parent, workers=workers
            )
            report = importing.run(paths)
        stats = {
            "import/records": report.records,
            "import/revisits": report.revisits,
            "import/failures": [list(failure) for failure in report.failures],
            "blogarchive/report": report.blogs,
        }
        run = archive.end_run(run_id, "finished", stats)
        archive.db.close()
    finally:
        lock.release()
    pages = ", ".join(f"{n} {kind}" for kind, n in sorted(report.pages.items())) or "no pages"
    click.echo(
        f"Read {report.records} records from {len(paths)} file(s): {pages};"
        f" {report.revisits} revisits resolved"
    )
    print_summary(db, run, time.monotonic() - started, what="Import")
    if report.failures:
        click.echo(f"{len(report.failures)} could not be read:")
        for where, offset, why in report.failures[:20]:
            at = f" at offset {offset}" if offset is not None else ""
            click.echo(f"  ! {where}{at}: {why}")


@cli.command()
@db_option
@click.option("--wacz", "out", required=True, metavar="OUT.wacz", help="The package to write.")
def export(db: str, out: str) -> None:
    """Package the archive's captures as a WACZ (WARCs, CDXJ index, pages of the posts).

    ReplayWeb.page and pywb open it; `blogarchive import` reads it back.
    """
    from blogarchive.export import ExportError, export_wacz

    if not Path(db).exists():
        fail(f"no archive at {db}")
    try:
        report = export_wacz(db, out)
    except ExportError as error:
        fail(str(error))
    click.echo(
        f"Wrote {out}: {len(report.warcs)} WARC file(s), {report.pages} pages (posts),"
        " validated with wacz validate"
    )
    for name in report.missing:
        click.echo(f"  ! not packaged (not there, or inside a WACZ): {name}")


@cli.command()
@db_option
@click.option("--port", default=8080, show_default=True, type=click.IntRange(0, 65535))
@click.option(
    "--pywb",
    metavar="DIR",
    envvar="BLOGARCHIVE_PYWB",
    help="The bin folder of a virtualenv with pywb (else pywb's tools on the PATH).",
)
def replay(db: str, port: int, pywb: str | None) -> None:
    """Serve the archive's captures as they were captured, with pywb, on 127.0.0.1."""
    from blogarchive.replay import COLLECTION, ReplayError, prepare, pywb_tools, serve

    if not Path(db).exists():
        fail(f"no archive at {db}")
    try:
        wb_manager, wayback = pywb_tools(pywb)
        root, files = prepare(db, wb_manager)
    except ReplayError as error:
        fail(str(error))
    click.echo(
        f"Replaying {files} WARC file(s) of {db} at http://127.0.0.1:{port}/{COLLECTION}/"
        f" (a capture: /{COLLECTION}/TIMESTAMP/URL); Ctrl-C stops",
        err=True,
    )
    wait_for(serve(root, wayback, port))


# -- extract ----------------------------------------------------------------------------------


@cli.command()
@click.argument("file", type=click.Path(exists=True, dir_okay=False, readable=True))
@click.option("--url", required=True, help="The URL the page was published at.")
def extract(file: str, url: str) -> None:
    """Print what the extractors find in one saved page, as JSON."""
    from extract import extract_page
    from extract.post import extract_article

    if urlsplit(url).scheme not in ("http", "https"):
        fail(f"not an http(s) URL: {url}")
    data = Path(file).read_bytes()
    _, text = html_to_unicode(None, data)
    page = extract_page(text, url)
    output = {
        "url": url,
        "platform": page.blog.platform,
        "blog": asdict(page.blog),
        "post": asdict(page.post) if page.post else None,
        "evidence": page.evidence,
        "comments": [asdict(comment) for comment in page.comments],
        "key_observations": [asdict(item) for item in page.key_observations],
        "forms": [
            {**asdict(form), "json_schema": json.loads(form.json_schema)} for form in page.forms
        ],
        "blog_links": [asdict(link) for link in page.blog_links],
    }
    if page.post is None:
        # a page that is no post (an About page): what it shows is kept all the same
        article = extract_article(text, url)
        output["page"] = {
            "url": article.url if article else url,
            "title": article.title if article else None,
            "content_text": article.content_text if article else "",
            "forms": output["forms"],
        }
    click.echo(json.dumps(output, indent=2, ensure_ascii=False))


# -- eval -------------------------------------------------------------------------------------


@cli.command("eval")
@click.option(
    "--corpus",
    type=click.Path(file_okay=False),
    default=None,
    help="The corpus folder (default: ../shared/corpus beside the repository).",
)
@click.option(
    "--baselines/--no-baselines",
    default=True,
    show_default=True,
    help="Also score trafilatura and Formasaurus (trained on the tune part).",
)
@click.option(
    "--show-misses",
    "show_misses",
    is_flag=False,
    flag_value="tune",
    default=None,
    metavar="[tune]",
    help="Also print our misses on the tune parts, page by page (never the check parts').",
)
def eval_command(corpus: str | None, baselines: bool, show_misses: str | None) -> None:
    """Measure the extractors on real pages with others' ground truth, beside other tools:
    each set split by site into a tune part and a check part."""
    from blogarchive import evaluate

    if show_misses not in (None, "tune"):
        fail(
            f"--show-misses shows the tune part only, not {show_misses!r}: the check part's "
            "misses are never read, so that it can say whether a rule generalises "
            "(CONTRIBUTING.md)"
        )
    folder = Path(corpus) if corpus else evaluate.default_corpus()
    if (
        not (folder / "blogs" / "cases.json").exists()
        or not (folder / "forms" / "index.json").exists()
    ):
        fail(f"no corpus at {folder} (expected blogs/cases.json and forms/index.json)")
    click.echo(f"Scoring the extractors on {folder} …", err=True)
    report = evaluate.run(folder, baselines=baselines)
    click.echo(evaluate.render(report))
    if show_misses:
        click.echo("\nMisses on the tune parts:")
        click.echo(evaluate.render_misses(report))


# -- forms ------------------------------------------------------------------------------------


@cli.group()
def forms() -> None:
    """Work with the forms found in the archive."""


@forms.command("export")
@db_option
@click.option("--out", required=True, type=click.Path(file_okay=False), help="Folder to write to.")
def forms_export(db: str, out: str) -> None:
    """Write one JSON Schema file per form: OUT/<form id>.schema.json."""
    if not Path(db).exists():
        fail(f"no archive at {db}")
    folder = Path(out)
    folder.mkdir(parents=True, exist_ok=True)
    count = 0
    with ArchiveReader(db) as reader:
        for form_id, title, purpose, json_schema in reader.forms():
            schema = json.loads(json_schema)
            (folder / f"{form_id}.schema.json").write_text(
                json.dumps(schema, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
            )
            click.echo(f"{form_id}.schema.json  {purpose:<13} {title or ''}")
            count += 1
    click.echo(f"{count} schemas written to {folder}", err=True)


# -- serve and demo ---------------------------------------------------------------------------


def metadata_for(db: str) -> dict[str, Any]:
    """The shipped metadata, its table descriptions attached to the database being served."""
    import yaml

    metadata: dict[str, Any] = yaml.safe_load(METADATA.read_text(encoding="utf-8"))
    databases = metadata.get("databases", {})
    if "*" in databases:
        databases[Path(db).stem] = databases.pop("*")
    return metadata


def datasette_command(
    db: str, port: int, metadata: Path, host: str = "127.0.0.1", base_url: str = "/"
) -> list[str]:
    """``datasette serve`` of the archive, read-only (immutable), with the archive's metadata
    and a time limit on queries; the plugin (pages, security headers) loads by entry point."""
    settings = ["--setting", "sql_time_limit_ms", "2000", "--setting", "default_page_size", "50"]
    if base_url != "/":
        settings += ["--setting", "base_url", base_url]
    return [
        *(sys.executable, "-m", "datasette", "serve", "--immutable", db),
        *("--metadata", str(metadata), "--host", host, "--port", str(port)),
        *settings,
    ]


def checkpoint(db: str) -> None:
    """Fold the write-ahead log into the database file so every reader sees every row."""
    database = open_database(db)
    database.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    database.close()


@cli.command()
@db_option
@click.option("--port", default=8001, show_default=True, type=click.IntRange(0, 65535))
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option(
    "--base-url",
    default="/",
    show_default=True,
    callback=lambda ctx, param, value: base_url_path(value),
    help="The path the archive is published under, behind a proxy (/archive/).",
)
@click.option(
    "--replay-url",
    metavar="URL",
    help="Where `blogarchive replay` serves the captures (http://127.0.0.1:8080/blogarchive/):"
    " each post page links its capture there.",
)
def serve(db: str, port: int, host: str, base_url: str, replay_url: str | None) -> None:
    """Publish the archive with Datasette (the project's metadata and templates)."""
    if not Path(db).exists():
        fail(f"no archive at {db}: run `blogarchive crawl` first")
    checkpoint(db)
    run_datasette(db, port, host, base_url, replay_url)


def base_url_path(value: str) -> str:
    """``--base-url`` as Datasette's ``base_url`` wants it: a path with a slash at each end."""
    if "://" in value or "?" in value or "#" in value:
        fail(f"--base-url expects a path such as /archive/, got {value!r}")
    path = "/".join(part for part in value.split("/") if part)
    return f"/{path}/" if path else "/"


def run_datasette(
    db: str,
    port: int,
    host: str = "127.0.0.1",
    base_url: str = "/",
    replay_url: str | None = None,
) -> None:
    click.echo(f"Serving {db} at http://{host}:{port}{base_url} (Ctrl-C to stop)", err=True)
    with tempfile.TemporaryDirectory(prefix="blogarchive-") as folder:
        metadata = Path(folder) / "metadata.json"
        published = metadata_for(db)
        if replay_url:
            published.setdefault("plugins", {}).setdefault("blogarchive", {})["replay_url"] = (
                replay_url
            )
        metadata.write_text(json.dumps(published), encoding="utf-8")
        wait_for(subprocess.Popen(datasette_command(db, port, metadata, host, base_url)))


def wait_for(child: subprocess.Popen[Any]) -> None:
    """Wait for a server ``child`` to end; it ends with us, on Ctrl-C or when we are told to
    stop (SIGTERM), never left behind."""

    def stop(signum: int, frame: object) -> None:
        child.terminate()

    previous = signal.signal(signal.SIGTERM, stop)
    try:
        with contextlib.suppress(KeyboardInterrupt):
            child.wait()
    finally:
        if child.poll() is None:
            child.terminate()
            child.wait(timeout=10)
        signal.signal(signal.SIGTERM, previous)


@cli.command()
@db_option
@click.option(
    "--out",
    required=True,
    type=click.Path(file_okay=False),
    help="Folder to write the publishable archive to.",
)
def publish(db: str, out: str) -> None:
    """Prepare the archive for the web: a checkpointed copy and its metadata, plus the
    `datasette publish` / `datasette package` commands that serve them with the plugin."""
    import shutil

    if not Path(db).exists():
        fail(f"no archive at {db}")
    checkpoint(db)
    folder = Path(out)
    folder.mkdir(parents=True, exist_ok=True)
    copy = folder / Path(db).name
    shutil.copyfile(db, copy)
    metadata = folder / "metadata.json"
    metadata.write_text(json.dumps(metadata_for(db), indent=2), encoding="utf-8")
    common = (
        f"{copy} --metadata {metadata} --install blogarchive "
        "--setting sql_time_limit_ms 2000 --setting default_page_size 50"
    )
    click.echo(f"Wrote {copy} and {metadata}. To publish them (the plugin comes with the package):")
    click.echo(f"  datasette publish cloudrun {common} --service blogarchive")
    click.echo(f"  datasette package {common} --tag blogarchive   # a Docker image")
    click.echo(f"  datasette serve -i {copy} --metadata {metadata}   # on a server of your own")


@cli.command()
@click.option(
    "--db",
    default="demo.db",
    show_default=True,
    type=click.Path(dir_okay=False),
    help="Where to write the demo archive.",
)
@click.option(
    "--port",
    default=8001,
    show_default=True,
    type=click.IntRange(0, 65535),
    help="Datasette's port.",
)
@click.option(
    "--demo-port",
    default=8780,
    show_default=True,
    type=click.IntRange(0, 65535),
    help="The demo blogs' port on 127.0.0.2-4 (fixed, so that crawls of it add up).",
)
@click.option(
    "--serve/--no-serve",
    default=True,
    show_default=True,
    help="Serve the archive with Datasette once crawled.",
)
def demo(db: str, port: int, demo_port: int, serve: bool) -> None:
    """Start the bundled demo blog network on loopback, crawl it, then serve the archive."""
    from blogarchive.demo.server import DemoNetwork

    try:
        network = DemoNetwork(demo_port).start()
    except OSError as error:
        fail(f"cannot start the demo blogs on port {demo_port}: {error.strerror or error}")
    for key, home in network.homes.items():
        click.echo(f"demo blog {key:<10} {home}", err=True)
    try:
        run_and_report(
            [network.start_url],
            db,
            depth=2,
            allow_private=True,
            warc_dir=warc_folder(db, None, False),
            quiet=True,
            overrides=["DOWNLOAD_DELAY=0", "AUTOTHROTTLE_ENABLED=False"],
        )
        if serve:
            checkpoint(db)
            base = f"http://127.0.0.1:{port}"
            click.echo(f"\nThe archive, at {base}/ :", err=True)
            for what, path in demo_pages(db):
                click.echo(f"  {what:<28} {base}{path}", err=True)
            run_datasette(db, port)
    finally:
        network.stop()


def demo_pages(db: str) -> list[tuple[str, str]]:
    """Where the demo's highlights are once served: the front door, the tables, the seed post,
    the coaching form, the map."""
    pages = [("what it holds, one search", "/"), ("browse the tables", f"/{Path(db).stem}")]
    with ArchiveReader(db) as reader:
        post = reader.id_titled("posts", "Miller Heiman: Round Table Discussions Part 2")
        form = reader.id_titled("forms", "Do You Need One Of Our Coaches?")
    if post:
        pages.append(("the seed post", f"/-/post/{post}"))
    if form:
        pages.append(("the coaching form", f"/-/form/{form}"))
    pages.append(("who lists whom", "/-/network"))
    return pages


def main() -> None:
    os.environ.setdefault("SCRAPY_SETTINGS_MODULE", "blogarchive.settings")
    cli(prog_name="blogarchive")


if __name__ == "__main__":
    main()
