"""One writer per archive: a crawl or refresh holds an exclusive lock beside the database.

The lock is an ``flock`` on ``<db>.lock``: the operating system releases it when the process
ends, however it ends (SIGKILL included), so a killed crawl never leaves a stale lock.
"""

from __future__ import annotations

import fcntl
import os
from pathlib import Path
from typing import IO

from blogarchive.exceptions import ArchiveLocked

__all__ = ["ArchiveLock", "ArchiveLocked"]


class ArchiveLock:
    def __init__(self, db: str | Path) -> None:
        self.path = Path(f"{db}.lock")
        self.handle: IO[str] | None = None

    def acquire(self) -> None:
        handle = open(self.path, "a+", encoding="utf-8")  # noqa: SIM115 - held until release()
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().strip() or "another process"
            handle.close()
            raise ArchiveLocked(
                f"another crawl or refresh is writing to {str(self.path)[:-5]} (pid {holder}); "
                "wait for it to end"
            ) from None
        handle.seek(0)
        handle.truncate()
        handle.write(str(os.getpid()))
        handle.flush()
        self.handle = handle

    def release(self) -> None:
        if self.handle is not None:
            fcntl.flock(self.handle, fcntl.LOCK_UN)
            self.handle.close()
            self.handle = None

    def __enter__(self) -> ArchiveLock:
        self.acquire()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()
