"""Writes what the crawl saw into ``archive.db``: the one place that writes archive rows.

Ids are derived from what identifies a row (a post's canonical URL, a comment's id on its site),
so crawling the same site twice updates rows instead of adding them. Nothing is deleted: a row
keeps ``first_seen``, and a changed post gets a new ``post_revisions`` row. Each ``save_*``
method runs in one transaction.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from collections import Counter
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlite_utils import Database
from sqlite_utils.db import Column, NotFoundError, Table, jsonify_if_needed, quote_identifier

from blogarchive.exceptions import ArchiveError
from blogarchive.items import (
    BlogItem,
    Capture,
    CommentsItem,
    CommentsSeenItem,
    FormsItem,
    GoneItem,
    PageItem,
    PostItem,
    SeenItem,
    content_digest,
)
from blogarchive.reader import TEXT_HELD, blog_id_for, post_id_for
from blogarchive.schema import FTS, ensure_schema, stable_id
from extract import Comment, Form
from extract.urls import home_url

#: A line is boilerplate when at least this many posts of its blog (and half of them) repeat it.
BOILERPLATE_MIN_POSTS = 3
#: Forms whose saved rows a writer remembers (see Archive._forms_saved); then it starts over.
FORMS_REMEMBERED = 4096


def now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


class ArchiveDatabase(Database):
    """sqlite-utils' ``Database`` whose ``atomic()`` blocks nest into one savepoint.

    Inside a transaction (a crawl keeps one open and commits it every second), sqlite-utils
    makes each insert, update and upsert a savepoint of its own, named afresh each time: some
    fifteen a post in a crawl, each a statement SQLite compiles anew. The archive's writes are
    grouped by what they record (a page, a post with its comments and forms), and each group is
    written whole or not at all: its outermost block is the one savepoint (under one name, so
    SQLite compiles it once), and the blocks inside it run in it. A statement that fails undoes
    itself (SQLite's statements are atomic); the group's block then undoes the whole group.
    Outside a transaction, a block is a transaction, as in sqlite-utils.
    """

    _blocks = 0  # the atomic() blocks open now

    @contextmanager
    def atomic(self) -> Iterator[Database]:
        if self._blocks:
            yield self  # inside a group: its savepoint or transaction covers this block
            return
        self._blocks += 1
        try:
            if not self.conn.in_transaction:
                with super().atomic():
                    yield self
                return
            self.conn.execute("SAVEPOINT archive_group")
            try:
                yield self
            except BaseException:
                if self.conn.in_transaction:  # (a RAISE(ROLLBACK) trigger ends it altogether)
                    self.conn.execute("ROLLBACK TO SAVEPOINT archive_group")
                    self.conn.execute("RELEASE SAVEPOINT archive_group")
                raise
            self.conn.execute("RELEASE SAVEPOINT archive_group")
        finally:
            self._blocks -= 1


def open_database(path: str | Path) -> Database:
    """Open (or create) the archive at ``path`` with its schema, or raise :class:`ArchiveError`."""
    path = Path(path)
    if path.is_dir():
        raise ArchiveError(f"{path} is a directory, not a database file")
    if not path.parent.exists():
        raise ArchiveError(f"cannot create {path}: folder {path.parent} does not exist")
    try:
        db = ArchiveDatabase(path)
        ensure_schema(db)
    except sqlite3.DatabaseError as error:
        raise ArchiveError(f"cannot use {path} as an archive: {error}") from None
    return db


class Archive:
    """The archive's writer. ``changes`` counts rows added, changed and marked deleted."""

    def __init__(self, db: Database) -> None:
        self.db = db
        ensure_schema(db)
        self.changes: Counter[str] = Counter()
        #: table -> the SELECT of one row by its primary key (the schema is fixed while we write)
        self._select_by_key: dict[str, str] = {}
        #: form id -> the form as this writer last committed it: a form shown on every page of
        #: a blog (a sidebar's) is written once, then compared in memory, not row by row
        self._forms_saved: dict[str, Form] = {}
        self._tables: dict[str, _SchemaTable] = {}

    # -- crawl runs ---------------------------------------------------------------------------

    def start_run(self, start_urls: Iterable[str]) -> int:
        """A new crawl_runs row. Runs still marked running were killed: the caller holds the
        archive's lock, so no other run is alive."""
        with self.db.atomic():
            self.db.execute("UPDATE crawl_runs SET status = 'interrupted' WHERE status = 'running'")
            table = self.db.table("crawl_runs")
            table.insert(
                {
                    "started_at": now(),
                    "status": "running",
                    "start_urls": json.dumps(list(start_urls)),
                }
            )
            return int(table.last_pk)  # type: ignore[arg-type]

    def end_run(self, run_id: int, status: str, stats: dict[str, Any]) -> dict[str, Any]:
        """What a run that wrote to the archive (a crawl, an ingester's) ends with: the lines
        that most posts of each blog it read repeat marked as boilerplate, the search indexes
        merged (:meth:`optimize_search`), the run's row finished (:meth:`finish_run`, whose row
        is returned), and the write-ahead log folded into the database file, so that every
        reader sees every row."""
        for (blog_id,) in self.db.execute(
            "SELECT DISTINCT blog_id FROM pages WHERE crawl_run_id = ?", [run_id]
        ).fetchall():
            self.mark_boilerplate(blog_id)
        self.optimize_search()
        row = self.finish_run(run_id, status, stats)
        self.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        return row

    def finish_run(self, run_id: int, status: str, stats: dict[str, Any]) -> dict[str, Any]:
        counts = self.db.execute(
            "SELECT count(*), sum(status = 304), sum(error IS NOT NULL) FROM pages"
            " WHERE crawl_run_id = ?",
            [run_id],
        ).fetchone()
        row = {
            "finished_at": now(),
            "status": status,
            "pages_fetched": counts[0] or 0,
            "pages_not_modified": counts[1] or 0,
            "pages_failed": counts[2] or 0,
            "stats": json.dumps({**stats, "rows": dict(self.changes)}, default=str, sort_keys=True),
        }
        with self.db.atomic():
            self.db.table("crawl_runs").update(run_id, row)
        return row

    # -- blogs --------------------------------------------------------------------------------

    def save_blog(self, item: BlogItem) -> str:
        blog_id = blog_id_for(item.url)
        moment = now()
        with self.db.atomic():
            row: dict[str, Any] = {
                "url": home_url(item.url),
                "status": item.status,
                "error": item.error,
                "last_crawled": moment,
            }
            if item.title:
                row["title"] = item.title
            if item.platform:
                row["platform"] = item.platform
            self._insert_or_update("blogs", blog_id, row, {"first_seen": moment}, "blogs")
            for link in item.links:
                target_home = home_url(link.target_url)
                target_id = blog_id_for(target_home)
                link_row = {
                    "source_blog_id": blog_id,
                    "target_url": link.target_url,
                    "title": link.title,
                    "position": link.position,
                    "widget": link.widget,
                    "target_home": target_home,
                    "target_blog_id": target_id if self._exists("blogs", target_id) else None,
                }
                self._upsert_counted("blog_links", link_row, ("source_blog_id", "target_url"))
            self.db.execute(
                "UPDATE blog_links SET target_blog_id = ? WHERE target_home = ?"
                " AND target_blog_id IS NULL",
                [blog_id, home_url(item.url)],
            )
        return blog_id

    def ensure_blog(self, url: str) -> str:
        """The id of the blog ``url`` belongs to, adding a row for it if the archive has none."""
        blog_id = blog_id_for(url)
        if not self._exists("blogs", blog_id):
            self.save_blog(BlogItem(url=home_url(url), title=None, platform=None, status="ok"))
        return blog_id

    # -- pages --------------------------------------------------------------------------------

    def save_page(self, item: PageItem, run_id: int | None) -> None:
        blog_id = self.ensure_blog(item.blog_url)
        row: dict[str, Any] = {
            "url": item.url,
            "blog_id": blog_id,
            "kind": item.kind,
            "status": item.status,
            "error": item.error,
            "fetched_at": item.fetched_at,
            "etag": item.etag,
            "last_modified": item.last_modified,
            "content_type": item.content_type,
            "crawl_run_id": run_id,
        }
        if item.body is not None:  # a 304 sends none: the archived body stands
            row["content_sha256"] = item.body.sha256
            row["body"] = item.body.compressed
        if item.status == 304:
            row = {k: v for k, v in row.items() if v is not None or k == "error"}
        if item.capture_id is not None:
            row["capture_id"] = item.capture_id
        with self.db.atomic():
            self._table("pages").upsert_row(row, "url")

    def save_capture(self, capture: Capture, run_id: int | None) -> None:
        """A response kept as WARC records: where, and what it holds."""
        row = {**asdict(capture), "crawl_run_id": run_id}
        columns = ", ".join(row)
        with self.db.atomic():
            self.db.execute(
                f"INSERT OR IGNORE INTO captures ({columns})"
                f" VALUES ({', '.join('?' for _ in row)})",
                list(row.values()),
            )

    # -- posts --------------------------------------------------------------------------------

    def save_post(self, item: PostItem) -> str:
        blog_id = self.ensure_blog(item.blog_url)
        post = item.post
        post_id = post_id_for(post.url)
        moment = now()
        digest = content_digest(post.title, post.content_text)
        row = {
            "blog_id": blog_id,
            "url": post.url,
            "title": post.title,
            "author": post.author,
            "published": post.published,
            "published_year": int(post.published[:4]) if post.published else None,
            "published_month": (post.published or "")[:7] or None,
            "updated": post.updated,
            "labels": json.dumps(list(post.labels), ensure_ascii=False),
            "content_html": post.content_html,
            "content_text": post.content_text,
            "comment_count": post.comment_count,
            "platform_id": post.platform_id,
            "extractor": post.extractor or None,
            "content_sha256": digest,
            "last_seen": moment,
            "deleted_at": None,
        }
        if item.capture_id is not None:
            row["capture_id"] = item.capture_id
        with self._writing_forms():
            previous = self._get("posts", post_id)
            self._insert_or_update("posts", post_id, row, {"first_seen": moment}, "posts")
            if previous is None or previous["content_sha256"] != digest:
                self._table("post_revisions").insert_row(
                    {
                        "post_id": post_id,
                        "captured_at": moment,
                        "title": post.title,
                        "content_text": post.content_text,
                        "content_sha256": digest,
                    }
                )
                self.changes["post_revisions.added"] += 1
            self.db.conn.executemany(
                "INSERT OR REPLACE INTO post_urls (url, post_id, blog_id) VALUES (?, ?, ?)",
                [(url, post_id, blog_id) for url in dict.fromkeys((post.url, *item.addresses))],
            )
            self._save_comments(post_id, item.comments, moment, item.capture_id)
            self._save_observations(post_id, item)
            self._save_forms(item.forms, item.page_url, blog_id, post_id, moment, item.capture_id)
        return post_id

    def holds_text(self, url: str, digest: str) -> bool:
        """Whether the post at ``url`` is archived with the text whose
        :func:`~blogarchive.items.content_digest` is ``digest``."""
        return self.db.execute(TEXT_HELD, [post_id_for(url), digest]).fetchone() is not None

    def posts_at(self, urls: list[str]) -> set[str]:
        """Those of ``urls`` at which the archive holds a post: its permalink, or an address it
        was asked for or answered at."""
        marks = ", ".join("?" for _ in urls)
        return {
            url
            for (url,) in self.db.execute(
                f"SELECT url FROM post_urls WHERE url IN ({marks})"
                f" UNION SELECT url FROM posts WHERE url IN ({marks})",
                [*urls, *urls],
            )
        }

    def page_kinds(self, urls: list[str]) -> dict[str, str]:
        """The kind each of ``urls`` the archive holds a page at was fetched as."""
        marks = ", ".join("?" for _ in urls)
        return dict(self.db.execute(f"SELECT url, kind FROM pages WHERE url IN ({marks})", urls))

    def platform_of(self, blog_url: str) -> str | None:
        """The platform of the blog at ``blog_url``, as its home page shows it."""
        row = self.db.execute(
            "SELECT platform FROM blogs WHERE id = ?", [blog_id_for(blog_url)]
        ).fetchone()
        return row[0] if row else None

    def post_with_platform_id(self, blog_url: str, platform_id: str) -> str | None:
        """The URL of the blog's post whose id on its platform is ``platform_id``."""
        row = self.db.execute(
            "SELECT url FROM posts WHERE blog_id = ? AND platform_id = ? LIMIT 1",
            [blog_id_for(blog_url), platform_id],
        ).fetchone()
        return row[0] if row else None

    def comments_stated(self, post_url: str) -> int | None:
        """How many comments the archived post's page (or feed) says it has."""
        row = self.db.execute(
            "SELECT comment_count FROM posts WHERE id = ?", [post_id_for(post_url)]
        ).fetchone()
        return row[0] if row else None

    def save_comments(self, item: CommentsItem) -> bool:
        """Comments that came without their page (a comment feed), for a post already saved;
        whether it is (else there is nothing to attach them to)."""
        post_id = post_id_for(item.post_url)
        if not self._exists("posts", post_id):
            return False  # the page that names the post failed
        with self.db.atomic():
            self._save_comments(post_id, item.comments, now(), item.capture_id)
            if item.stated is not None:  # where the page stated no count, the feed's stands
                self.db.execute(
                    "UPDATE posts SET comment_count = ? WHERE id = ? AND comment_count IS NULL",
                    [item.stated, post_id],
                )
        return True

    def mark_seen(self, item: SeenItem) -> None:
        """Unchanged posts the site still publishes: only their ``last_seen`` moves."""
        seen = now()
        with self.db.atomic():
            self.db.conn.executemany(
                "UPDATE posts SET last_seen = ? WHERE id = ?",
                [(seen, post_id_for(url)) for url in item.urls],
            )  # by the primary key: a refresh does this once per post

    def mark_gone(self, item: GoneItem) -> bool:
        """The site says the post is gone (404/410): set ``deleted_at``; the row stays."""
        with self.db.atomic():
            cursor = self.db.execute(
                "UPDATE posts SET deleted_at = ? WHERE id = ? AND deleted_at IS NULL",
                [now(), post_id_for(item.url)],
            )
        if cursor.rowcount:
            self.changes["posts.deleted"] += cursor.rowcount
        return bool(cursor.rowcount)

    def mark_comments_seen(self, item: CommentsSeenItem) -> int:
        """A complete comment feed lists ``platform_ids``: the post's other comments are gone."""
        post_id = post_id_for(item.post_url)
        keep = sorted(item.platform_ids)
        placeholders = ", ".join("?" for _ in keep) or "''"
        with self.db.atomic():
            cursor = self.db.execute(
                "UPDATE comments SET deleted_at = ? WHERE post_id = ? AND deleted_at IS NULL"
                f" AND platform_id IS NOT NULL AND platform_id NOT IN ({placeholders})",
                [now(), post_id, *keep],
            )
        if cursor.rowcount:
            self.changes["comments.deleted"] += cursor.rowcount
        return int(cursor.rowcount)

    def _save_comments(
        self,
        post_id: str,
        comments: tuple[Comment, ...],
        moment: str,
        capture_id: str | None = None,
    ) -> None:
        saved: set[str] = set()
        for comment in comments:
            key = comment.platform_id or (comment.author, comment.published, comment.content_text)
            comment_id = stable_id(post_id, key)
            parent = None
            if comment.parent_platform_id:
                parent = stable_id(post_id, comment.parent_platform_id)
                if parent not in saved and not self._exists("comments", parent):
                    parent = None  # a parent the archive never saw cannot be linked
            saved.add(comment_id)
            row = {
                "post_id": post_id,
                "parent_id": parent,
                "author": comment.author,
                "author_url": comment.author_url,
                "published": comment.published,
                "content_html": comment.content_html,
                "content_text": comment.content_text,
                "url": comment.url,
                "platform_id": comment.platform_id,
                "position": comment.position,
                "last_seen": moment,
                "deleted_at": None,
            }
            if capture_id is not None:
                row["capture_id"] = capture_id
            self._insert_or_update("comments", comment_id, row, {"first_seen": moment}, "comments")

    def _save_observations(self, post_id: str, item: PostItem) -> None:
        keep: list[str] = []
        for index, observation in enumerate(item.key_observations, start=1):
            row = {"id": stable_id(post_id, "observation", index), "post_id": post_id}
            row.update(asdict(observation))
            keep.append(row["id"])
            self._upsert_counted("key_observations", row, "id")
        placeholders = ", ".join("?" for _ in keep) or "''"
        self.db.execute(
            f"DELETE FROM key_observations WHERE post_id = ? AND id NOT IN ({placeholders})",
            [post_id, *keep],
        )

    # -- search -------------------------------------------------------------------------------

    def optimize_search(self) -> None:
        """Merge each full-text index into one segment (FTS5's ``optimize``), as a run ends.

        Every commit of rows adds its own small segment to an index, and FTS5 merges them only
        now and then; a search reads every segment. The merge takes little time next to a
        crawl, and makes searches faster (``bench/RESULTS.md``). An index that is one segment
        already costs next to nothing to merge again.
        """
        for table in FTS:
            self.db.table(table).optimize()

    # -- boilerplate --------------------------------------------------------------------------

    def mark_boilerplate(
        self, blog_id: str, *, min_posts: int = BOILERPLATE_MIN_POSTS, min_share: float = 0.5
    ) -> int:
        """Mark the lines that most of a blog's posts repeat (a signature, a promo block).

        Such a line is listed in ``boilerplate`` and left out of ``posts.content_text_main``;
        ``content_text`` keeps every line. Returns how many distinct lines are boilerplate.

        The posts are read in chunks, and the repeated lines found with a fixed number of
        counters (Misra and Gries' frequent items), so memory does not grow with the blog.
        """
        posts, lines = self.db.execute(
            "SELECT count(*), sum(length(content_text) - length(replace(content_text, char(10),"
            " '')) + 1) FROM posts WHERE blog_id = ? AND deleted_at IS NULL",
            [blog_id],
        ).fetchone()
        if not posts:
            return 0
        threshold = max(min_posts, min_share * posts)
        # a line in at least `threshold` posts is more frequent than lines / (slots + 1)
        slots = int((lines or 0) / threshold) + 1
        candidates: dict[str, int] = {}
        for _, text in self._post_texts(blog_id):
            for line in _distinct_lines(text):
                if line in candidates:
                    candidates[line] += 1
                elif len(candidates) < slots:
                    candidates[line] = 1
                else:
                    candidates = {k: n - 1 for k, n in candidates.items() if n > 1}
        counts = dict.fromkeys(candidates, 0)
        for _, text in self._post_texts(blog_id):
            for line in _distinct_lines(text):
                if line in counts:
                    counts[line] += 1
        repeated = {line: n for line, n in counts.items() if n >= threshold}
        with self.db.atomic():
            self.db.execute("DELETE FROM boilerplate WHERE blog_id = ?", [blog_id])
            self.db.table("boilerplate").insert_all(
                {
                    "blog_id": blog_id,
                    "text_sha256": hashlib.sha256(line.encode()).hexdigest(),
                    "text": line,
                    "posts": n,
                    "share": round(n / posts, 3),
                }
                for line, n in repeated.items()
            )
            for post_id, text in self._post_texts(blog_id):
                main = "\n".join(line for line in (text or "").splitlines() if line not in repeated)
                self.db.execute(
                    "UPDATE posts SET content_text_main = ? WHERE id = ?"
                    " AND content_text_main IS NOT ?",
                    [main, post_id, main],
                )
        return len(repeated)

    def _post_texts(self, blog_id: str, chunk: int = 500) -> Iterator[tuple[str, str | None]]:
        """``(id, content_text)`` of the blog's posts, read ``chunk`` rows at a time."""
        last = 0
        while True:
            rows = self.db.execute(
                "SELECT rowid, id, content_text FROM posts WHERE blog_id = ?"
                " AND deleted_at IS NULL AND rowid > ? ORDER BY rowid LIMIT ?",
                [blog_id, last, chunk],
            ).fetchall()
            if not rows:
                return
            last = rows[-1][0]
            for _, post_id, text in rows:
                yield post_id, text

    # -- forms --------------------------------------------------------------------------------

    def save_forms(self, item: FormsItem) -> None:
        blog_id = self.ensure_blog(item.blog_url)
        with self._writing_forms():
            self._save_forms(item.forms, item.page_url, blog_id, None, now(), item.capture_id)

    def _save_forms(
        self,
        forms: tuple[Form, ...],
        page_url: str,
        blog_id: str,
        post_id: str | None,
        moment: str,
        capture_id: str | None = None,
    ) -> None:
        for form in forms:
            if self._forms_saved.get(form.id) != form:
                self._save_form(form, capture_id)
                if len(self._forms_saved) >= FORMS_REMEMBERED:
                    self._forms_saved.clear()
                self._forms_saved[form.id] = form
            occurrence = {"blog_id": blog_id, "post_id": post_id, "last_seen": moment}
            if capture_id is not None:
                occurrence["capture_id"] = capture_id
            self._insert_or_update(
                "form_occurrences",
                (form.id, page_url),
                occurrence,
                {"form_id": form.id, "url": page_url, "first_seen": moment},
                "form_occurrences",
            )

    def _save_form(self, form: Form, capture_id: str | None = None) -> None:
        form_row: dict[str, Any] = {
            "id": form.id,
            "purpose": form.purpose,
            "action": form.action,
            "method": form.method,
            "title": form.title,
            "field_count": form.field_count,
            "json_schema": form.json_schema,
        }
        if capture_id is not None:  # (the page it was read from; a re-extraction keeps it)
            form_row["capture_id"] = capture_id
        self._upsert_counted("forms", form_row, "id")
        for field in form.fields:
            field_row = {
                "form_id": form.id,
                "position": field.position,
                "name": field.name,
                "label": field.label,
                "type": field.type,
                "semantic_type": field.semantic_type,
                "required": int(field.required),
                "options": json.dumps(
                    [asdict(option) for option in field.options], ensure_ascii=False
                ),
                "placeholder": field.placeholder,
            }
            self._upsert_counted("form_fields", field_row, ("form_id", "position"))

    # -- helpers ------------------------------------------------------------------------------

    @contextmanager
    def _writing_forms(self) -> Iterator[None]:
        """A transaction that may save forms: rolled back, it forgets the forms it saved."""
        try:
            with self.db.atomic():
                yield
        except BaseException:
            self._forms_saved.clear()
            raise

    def _get(self, table: str, pk: Any) -> dict[str, Any] | None:
        """The row of ``table`` with primary key ``pk`` (a value, or a tuple for a compound key).

        One query, where sqlite-utils' ``Table.get`` asks for the table's columns and names first:
        a crawl looks rows up some thirty times a post."""
        sql = self._select_by_key.get(table)
        if sql is None:
            where = " AND ".join(f"[{key}] = ?" for key in self._primary_key(table))
            sql = self._select_by_key[table] = f"SELECT * FROM [{table}] WHERE {where}"
        cursor = self.db.execute(sql, list(pk) if isinstance(pk, tuple) else [pk])
        row = cursor.fetchone()
        if row is None:
            return None
        return dict(zip([column[0] for column in cursor.description], row, strict=True))

    def _table(self, name: str) -> _SchemaTable:
        """The table ``name``, made once: sqlite-utils lists the database's views each time it
        makes one (a crawl writes some twenty rows a post)."""
        table = self._tables.get(name)
        if table is None:
            table = self._tables[name] = _SchemaTable(self.db, name)
        return table

    def _primary_key(self, table: str) -> list[str]:
        return self._table(table).pks  # (from the columns the table remembers)

    def _exists(self, table: str, pk: Any) -> bool:
        return self._get(table, pk) is not None

    def _insert_or_update(
        self, table: str, pk: Any, row: dict[str, Any], on_insert: dict[str, Any], label: str
    ) -> None:
        """Insert ``row`` plus ``on_insert`` (first-seen values), or update an existing row."""
        existing = self._get(table, pk)
        if existing is None:
            keys = dict(
                zip(self._primary_key(table), pk if isinstance(pk, tuple) else (pk,), strict=True)
            )
            self._table(table).insert_row({**keys, **on_insert, **row})
            self.changes[f"{label}.added"] += 1
            return
        changed = {k: v for k, v in row.items() if existing.get(k) != v}
        if changed:
            self._table(table).update_row(pk, changed)
            if set(changed) - TOUCHED:
                self.changes[f"{label}.changed"] += 1

    def _upsert_counted(self, table: str, row: dict[str, Any], pk: str | tuple[str, ...]) -> None:
        keys = (pk,) if isinstance(pk, str) else pk
        key = tuple(row[k] for k in keys)
        existing = self._get(table, key if len(key) > 1 else key[0])
        if existing is None:
            self._table(table).insert_row(row)
            self.changes[f"{table}.added"] += 1
        elif any(existing.get(k) != v for k, v in row.items()):
            self._table(table).update_row(key if len(key) > 1 else key[0], row)
            self.changes[f"{table}.changed"] += 1


#: Columns that move with every check of a row, not with what it holds.
TOUCHED = frozenset({"last_seen", "last_crawled", "capture_id"})


def _distinct_lines(text: str | None) -> set[str]:
    return {line for line in (text or "").splitlines() if line}


class _SchemaTable(Table):
    """A table of the archive's schema, which stays as it is while we write (``ensure_schema``
    made it, and no write adds columns): it exists, and its columns are known, once sqlite-utils
    has asked. (It asks sqlite_master before every insert and ``PRAGMA table_info`` before every
    upsert: 13 queries a post.)"""

    _exists = False
    _columns: list[Column] | None = None

    def __init__(self, db: Database, name: str) -> None:
        super().__init__(db, name)
        #: the row writers' statements, by (kind, columns)
        self._statements: dict[tuple[str, tuple[str, ...]], str] = {}

    def exists(self) -> bool:
        if not self._exists:
            self._exists = super().exists()
        return self._exists

    @property
    def columns(self) -> list[Column]:
        if self._columns is None:
            columns = super().columns
            if not columns:
                return columns  # (not made yet)
            self._columns = columns
        return self._columns

    # The archive's writes of one row, each one statement made once per table and set of
    # columns, run inside the caller's atomic() block: sqlite-utils builds the statement again
    # for every row, and its update reads the row first (the archive has just read it). Values
    # are converted as sqlite-utils converts them. The writer is what limits a crawl's own
    # process, and this nearly halves its time a post (bench/RESULTS.md).

    def insert_row(self, record: dict[str, Any]) -> None:
        """``insert(record)``: a new row."""
        sql = self._statement("insert", tuple(record))
        self.db.execute(sql, [jsonify_if_needed(value) for value in record.values()])

    def upsert_row(self, record: dict[str, Any], pk: str) -> None:
        """``upsert(record, pk=pk)``: a new row, or these columns of the row ``pk`` names."""
        sql = self._statement(f"upsert {pk}", tuple(record))
        self.db.execute(sql, [jsonify_if_needed(value) for value in record.values()])

    def update_row(self, pk: Any, updates: dict[str, Any]) -> None:
        """``update(pk, updates)`` of a row the caller found: ``NotFoundError`` if it is gone."""
        sql = self._statement("update", tuple(updates))
        keys = list(pk) if isinstance(pk, tuple) else [pk]
        values = [jsonify_if_needed(value) for value in updates.values()]
        if self.db.execute(sql, [*values, *keys]).rowcount != 1:
            raise NotFoundError(f"{self.name}: no row {pk!r}")

    def _statement(self, kind: str, columns: tuple[str, ...]) -> str:
        sql = self._statements.get((kind, columns))
        if sql is None:
            sql = self._statements[(kind, columns)] = self._build(kind, columns)
        return sql

    def _build(self, kind: str, columns: tuple[str, ...]) -> str:
        table = quote_identifier(self.name)
        names = [quote_identifier(column) for column in columns]
        if kind == "update":
            where = " AND ".join(f"{quote_identifier(key)} = ?" for key in self.pks)
            return f"UPDATE {table} SET {', '.join(f'{n} = ?' for n in names)} WHERE {where}"
        sql = f"INSERT INTO {table} ({', '.join(names)}) VALUES ({', '.join('?' * len(names))})"
        if kind.startswith("upsert "):
            key = kind.removeprefix("upsert ")
            rest = [f"{n} = excluded.{n}" for c, n in zip(columns, names, strict=True) if c != key]
            action = f"DO UPDATE SET {', '.join(rest)}" if rest else "DO NOTHING"
            sql += f" ON CONFLICT({quote_identifier(key)}) {action}"
        return sql
