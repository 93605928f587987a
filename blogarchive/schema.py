"""The archive's schema (a public contract: README, "The archive"), created in this one place.

Every table, key, foreign key, index and full-text index of ``archive.db`` is declared here.
:func:`ensure_schema` is idempotent: it creates what is missing and adds new columns to tables
an older version created, and never drops or rewrites anything.
"""

from __future__ import annotations

import hashlib
from typing import Any

from sqlite_utils import Database

SCHEMA_VERSION = 1

#: Bytes per database page of a new archive. A post's row (its HTML, text and text without
#: boilerplate: about 2 KB) fills half of SQLite's default 4 KiB page, which then holds one post
#: and wastes the rest; 16 KiB pages hold seven or eight. The file is smaller, and counting the
#: posts a search matches (which reads each one's page) reads fewer pages (bench/RESULTS.md).
#: An archive keeps the page size it was created with.
PAGE_SIZE = 16384

#: table -> (columns with types, primary key, foreign keys)
TABLES: dict[str, tuple[dict[str, Any], str | tuple[str, ...], list[tuple[str, str, str]]]] = {
    "blogs": (
        {
            "id": str,
            "url": str,
            "title": str,
            "platform": str,
            "status": str,
            "error": str,
            "first_seen": str,
            "last_crawled": str,
        },
        "id",
        [],
    ),
    "blog_links": (
        {
            "source_blog_id": str,
            "target_url": str,
            "title": str,
            "target_blog_id": str,
            "position": int,
            "widget": str,
            "target_home": str,
        },
        ("source_blog_id", "target_url"),
        [("source_blog_id", "blogs", "id"), ("target_blog_id", "blogs", "id")],
    ),
    "posts": (
        {
            "id": str,
            "blog_id": str,
            "url": str,
            "title": str,
            "author": str,
            "published": str,
            "updated": str,
            "labels": str,
            "content_html": str,
            "content_text": str,
            "comment_count": int,
            "platform_id": str,
            "extractor": str,
            "content_sha256": str,
            "content_text_main": str,
            "published_year": int,
            "published_month": str,
            "first_seen": str,
            "last_seen": str,
            "deleted_at": str,
            "capture_id": str,
        },
        "id",
        [("blog_id", "blogs", "id")],
    ),
    "post_urls": (
        {"url": str, "post_id": str, "blog_id": str},
        "url",
        [("post_id", "posts", "id"), ("blog_id", "blogs", "id")],
    ),
    "boilerplate": (
        {"blog_id": str, "text_sha256": str, "text": str, "posts": int, "share": float},
        ("blog_id", "text_sha256"),
        [("blog_id", "blogs", "id")],
    ),
    "post_revisions": (
        {
            "id": int,
            "post_id": str,
            "captured_at": str,
            "title": str,
            "content_text": str,
            "content_sha256": str,
        },
        "id",
        [("post_id", "posts", "id")],
    ),
    "comments": (
        {
            "id": str,
            "post_id": str,
            "parent_id": str,
            "author": str,
            "author_url": str,
            "published": str,
            "content_html": str,
            "content_text": str,
            "url": str,
            "platform_id": str,
            "position": int,
            "first_seen": str,
            "last_seen": str,
            "deleted_at": str,
            "capture_id": str,
        },
        "id",
        [("post_id", "posts", "id"), ("parent_id", "comments", "id")],
    ),
    "key_observations": (
        {"id": str, "post_id": str, "heading": str, "position": int, "text": str},
        "id",
        [("post_id", "posts", "id")],
    ),
    "forms": (
        {
            "id": str,
            "purpose": str,
            "action": str,
            "method": str,
            "title": str,
            "field_count": int,
            "json_schema": str,
            "capture_id": str,
        },
        "id",
        [],
    ),
    "form_fields": (
        {
            "form_id": str,
            "position": int,
            "name": str,
            "label": str,
            "type": str,
            "semantic_type": str,
            "required": int,
            "options": str,
            "placeholder": str,
        },
        ("form_id", "position"),
        [("form_id", "forms", "id")],
    ),
    "form_occurrences": (
        {
            "form_id": str,
            "url": str,
            "blog_id": str,
            "post_id": str,
            "first_seen": str,
            "last_seen": str,
            "capture_id": str,
        },
        ("form_id", "url"),
        [("form_id", "forms", "id"), ("blog_id", "blogs", "id"), ("post_id", "posts", "id")],
    ),
    "pages": (
        {
            "url": str,
            "blog_id": str,
            "kind": str,
            "status": int,
            "error": str,
            "fetched_at": str,
            "etag": str,
            "last_modified": str,
            "content_type": str,
            "content_sha256": str,
            "body": bytes,
            "crawl_run_id": int,
            "capture_id": str,
        },
        "url",
        [("blog_id", "blogs", "id"), ("crawl_run_id", "crawl_runs", "id")],
    ),
    "captures": (
        {
            "record_id": str,
            "url": str,
            "timestamp": str,
            "warc_file": str,
            "offset": int,
            "length": int,
            "payload_digest": str,
            "status": int,
            "record_type": str,
            "refers_to": str,
            "crawl_run_id": int,
        },
        "record_id",
        [("crawl_run_id", "crawl_runs", "id")],
    ),
    "crawl_runs": (
        {
            "id": int,
            "started_at": str,
            "finished_at": str,
            "status": str,
            "start_urls": str,
            "pages_fetched": int,
            "pages_not_modified": int,
            "pages_failed": int,
            "stats": str,
        },
        "id",
        [],
    ),
}

#: Full-text search: table -> columns; kept in step by triggers.
FTS = {
    "posts": ["title", "content_text"],
    "comments": ["author", "content_text"],
    "key_observations": ["heading", "text"],
}
INDEXES = [
    ("posts", ["blog_id"]),
    ("posts", ["published"]),
    ("posts", ["blog_id", "platform_id"]),  # (an imported comment feed finds its post)
    ("post_urls", ["post_id"]),
    ("comments", ["post_id"]),
    ("key_observations", ["post_id"]),
    ("form_occurrences", ["blog_id"]),
    ("form_occurrences", ["post_id"]),
    ("pages", ["blog_id"]),
    ("post_revisions", ["post_id"]),
    ("captures", ["url", "timestamp"]),
]
#: table -> {column: the column it repeats}: the names the archive's contract gives columns
#: that were made under other names, as generated columns (computed as they are read, so they
#: take no space and an archive of any age gets them without a rewrite).
SYNONYMS: dict[str, dict[str, str]] = {
    "captures": {
        "captured_at": "timestamp",
        "warc_offset": "offset",
        "warc_length": "length",
        "warc_record_id": "record_id",
    },
}
#: Tables in the order their rows may be written (parents first).
CREATION_ORDER = (
    "blogs",
    "crawl_runs",
    "blog_links",
    "posts",
    "post_urls",
    "post_revisions",
    "boilerplate",
    "comments",
    "key_observations",
    "forms",
    "form_fields",
    "form_occurrences",
    "pages",
    "captures",
)


def ensure_schema(db: Database) -> None:
    """Create every table, index and search index that ``db`` lacks; add missing columns."""
    if not db.table_names():
        # only an empty database can take a page size (before WAL, and before its first table)
        db.execute(f"PRAGMA page_size = {PAGE_SIZE}")
    db.execute("PRAGMA foreign_keys = ON")
    db.execute("PRAGMA synchronous = NORMAL")
    if db.journal_mode != "wal":
        db.enable_wal()
    for name in CREATION_ORDER:
        columns, pk, foreign_keys = TABLES[name]
        table = db.table(name)
        if not table.exists():
            db.create_table(name, columns, pk=pk, foreign_keys=foreign_keys)  # type: ignore[arg-type]
        else:
            present = table.columns_dict  # (asked once: each asks sqlite_master and PRAGMA)
            missing = {c: t for c, t in columns.items() if c not in present}
            for column, column_type in missing.items():
                table.add_column(column, column_type)
    for name, synonyms in SYNONYMS.items():
        made = {row[1] for row in db.execute(f'PRAGMA table_xinfo("{name}")').fetchall()}
        for column, source in synonyms.items():
            if column not in made:
                db.execute(
                    f'ALTER TABLE "{name}" ADD COLUMN "{column}" GENERATED ALWAYS AS ("{source}")'
                )
    for name, indexed in INDEXES:
        db.table(name).create_index(indexed, if_not_exists=True)
    for name, searched in FTS.items():
        if not db.table(name).detect_fts():
            db.table(name).enable_fts(searched, create_triggers=True, tokenize="porter")
        _reindex_on_searched_columns(db, name, searched)
    db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")


def _reindex_on_searched_columns(db: Database, table: str, searched: list[str]) -> None:
    """Have the search index's update trigger fire only when a searched column is updated.

    The trigger sqlite-utils makes fires on any update, and takes the row's text out of the
    index and puts it back: a refresh that moved ``last_seen`` on every unchanged post indexed
    every post again (and left the index that much bigger until it was merged). Archives made
    before get the narrower trigger when they are next opened for writing.
    """
    trigger = f"{table}_au"
    found = db.execute(
        "SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = ?", [trigger]
    ).fetchone()
    if found is not None and " UPDATE OF " in found[0]:
        return
    fts = f"{table}_fts"
    columns = ", ".join(f'"{column}"' for column in searched)
    old = ", ".join(f'old."{column}"' for column in searched)
    new = ", ".join(f'new."{column}"' for column in searched)
    with db.atomic():  # (never an archive without the trigger: its index would fall behind)
        db.execute(f'DROP TRIGGER IF EXISTS "{trigger}"')
        db.execute(
            f'CREATE TRIGGER "{trigger}" AFTER UPDATE OF {columns} ON "{table}" BEGIN\n'
            f'  INSERT INTO "{fts}" ("{fts}", rowid, {columns})'
            f" VALUES('delete', old.rowid, {old});\n"
            f'  INSERT INTO "{fts}" (rowid, {columns}) VALUES (new.rowid, {new});\n'
            "END"
        )


def stable_id(*parts: object) -> str:
    """A short id derived from what identifies a row, so it is the same in every crawl."""
    text = "\x1f".join("" if part is None else str(part) for part in parts)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]
