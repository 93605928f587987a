"""The captures served as they were captured, with pywb (Webrecorder's replay server), on a
loopback address: a post's capture at ``/blogarchive/TIMESTAMP/URL``.

pywb pins libraries older than ours (redis 2.10), so it lives in a virtualenv of its own:
``blogarchive replay --pywb DIR`` names its ``bin`` folder (else ``wayback`` is looked for on
the PATH). Its collection is a folder beside the archive (``ARCHIVE-replay/``) whose WARC files
are links to the archive's, indexed by ``wb-manager``: nothing is copied.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

from blogarchive.reader import ArchiveReader

COLLECTION = "blogarchive"


class ReplayError(Exception):
    """Why the captures cannot be served (one line)."""


def pywb_tools(folder: str | Path | None) -> tuple[str, str]:
    """The paths of pywb's ``wb-manager`` and ``wayback``: in ``folder``, else on the PATH."""
    found = []
    for tool in ("wb-manager", "wayback"):
        path = shutil.which(tool, path=str(folder)) if folder else shutil.which(tool)
        if path is None:
            where = f"in {folder}" if folder else "on the PATH"
            raise ReplayError(
                f"pywb's {tool} is not {where}: install pywb in a virtualenv of its own"
                " (python3 -m venv ~/.pywb && ~/.pywb/bin/pip install pywb) and give"
                " --pywb ~/.pywb/bin"
            )
        found.append(path)
    return found[0], found[1]


def replay_folder(db: str | Path) -> Path:
    """Where the pywb collection of the archive ``db`` is kept: beside it."""
    db = Path(db)
    return db.absolute().with_name(f"{db.stem}-replay")


def prepare(db: str | Path, wb_manager: str) -> tuple[Path, int]:
    """(Re)make the pywb collection of the archive's captures: links to its WARC files,
    indexed. Returns the collection's root folder and how many files it holds."""
    db = Path(db)
    root = replay_folder(db)
    with ArchiveReader(db) as reader:
        names = reader.warc_files()
    files = [db.absolute().parent / name for name in names if "#" not in name]
    files = [path for path in files if path.is_file()]
    if not files:
        raise ReplayError(f"{db} names no WARC file that is there: nothing to replay")
    if (root / "collections" / COLLECTION).exists():
        shutil.rmtree(root / "collections" / COLLECTION)
    root.mkdir(parents=True, exist_ok=True)
    _run([wb_manager, "init", COLLECTION], root)
    archive = root / "collections" / COLLECTION / "archive"
    for path in files:
        os.symlink(path, archive / path.name)
    _run([wb_manager, "reindex", COLLECTION], root)
    config = root / "config.yaml"
    if not config.exists():  # (pywb reads one if there is one, and says so if there is none)
        config.write_text(
            "# pywb's settings: its defaults serve the collections folder\nframed_replay: true\n"
        )
    return root, len(files)


def serve(root: Path, wayback: str, port: int, host: str = "127.0.0.1") -> subprocess.Popen[bytes]:
    """Start pywb's ``wayback`` on the collection at ``root``."""
    return subprocess.Popen([wayback, "-p", str(port), "-b", host, "-d", str(root)], cwd=root)


def _run(command: list[str], cwd: Path) -> None:
    result = subprocess.run(command, cwd=cwd, capture_output=True, text=True, timeout=3600)
    if result.returncode != 0:
        last = (result.stderr or result.stdout).strip().splitlines()[-1:] or ["no output"]
        raise ReplayError(f"{Path(command[0]).name} {command[1]} failed: {last[0]}")
