"""The archive's captures as one WACZ package (Webrecorder's format, which ReplayWeb.page and
pywb open): its WARC files, a CDXJ index, ``pages/pages.jsonl`` made from the archived posts
(their URL, capture time and title) and ``datapackage.json`` with every file's digest. Made and
then checked by py-wacz (``wacz create``, ``wacz validate``).
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from blogarchive.reader import ArchiveReader


class ExportError(Exception):
    """Why a package could not be made (one line)."""


@dataclass
class ExportReport:
    warcs: list[Path] = field(default_factory=list)
    pages: int = 0
    #: WARC files the captures name that are not there (moved, deleted), or inside a WACZ
    missing: list[str] = field(default_factory=list)


def export_wacz(db: str | Path, out: str | Path, title: str | None = None) -> ExportReport:
    """Package the captures of the archive ``db`` as the WACZ ``out``, validated."""
    db, out = Path(db), Path(out)
    report = ExportReport()
    with ArchiveReader(db) as reader, tempfile.TemporaryDirectory() as scratch:
        for name in reader.warc_files():
            path = db.absolute().parent / name  # (an absolute name stays as it is)
            if "#" in name or not path.is_file():
                report.missing.append(name)
            else:
                report.warcs.append(path)
        if not report.warcs:
            raise ExportError(f"{db} names no WARC file that is there: nothing to package")
        pages = Path(scratch, "pages.jsonl")
        with pages.open("w", encoding="utf-8") as jsonl:
            header = {"format": "json-pages-1.0", "id": "pages", "title": title or db.stem}
            jsonl.write(json.dumps(header) + "\n")
            for url, timestamp, post_title in reader.captured_posts():
                page = {"url": url, "ts": timestamp, "title": post_title or url}
                jsonl.write(json.dumps(page, ensure_ascii=False) + "\n")
                report.pages += 1
        # (inside the scratch folder's block: py-wacz reads the pages file from it)
        _wacz("create", "-o", str(out), "-p", str(pages), *map(str, report.warcs))
    _wacz("validate", "-f", str(out))
    return report


def _wacz(*args: str) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "wacz", *args], capture_output=True, text=True, timeout=3600
    )
    if result.returncode != 0:
        last = (result.stderr or result.stdout).strip().splitlines()[-1:] or ["no output"]
        raise ExportError(f"wacz {args[0]} failed: {last[0]}")
