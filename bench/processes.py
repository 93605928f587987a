"""A command's processes measured from ``/proc`` (Linux): CPU seconds and peak memory.

    python bench/processes.py OUT COMMAND [ARG...]
    code, used = processes.measure(command)     # from a benchmark: the same, and the seconds

runs ``COMMAND`` as this script's child and, when it ends, writes to the file ``OUT`` a JSON
object of what it used, then exits with its exit code:

- ``cpu_s``: user and system seconds of the command and of every process under it that it
  waited for (its extraction workers);
- ``children_cpu_s``: the part of that spent by its children, each as last read while it ran
  (read ten times a second, so up to a tenth of a second of a child's may count as the
  command's own);
- ``rss_kb``: the command's own peak resident memory;
- ``together_rss_kb``: that and its children's peaks (``VmHWM`` as last read) added up, at
  least what the processes held together at any moment.

A command that this script runs as its own child reports its own peak: a process forked from a
large one (the crawl benchmark holds a generated 50,000-post blog, over 300 MB) and then exec'd
reports the larger of the two memories' high-water marks, which Linux keeps across exec.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

#: How often the children are read while the command runs (their last reading counts).
POLL_SECONDS = 0.1
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def children(pid: int) -> list[int]:
    """The live children of process ``pid`` (those of each of its threads)."""
    try:
        tasks = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return []
    found = []
    for task in tasks:
        try:
            found += map(int, Path(f"/proc/{pid}/task/{task}/children").read_text().split())
        except OSError:
            continue
    return found


def cpu_seconds(pid: int) -> float | None:
    """User and system seconds process ``pid`` has used so far (None: it is gone)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # the fields after the command's closing parenthesis: utime and stime are the 12th and 13th
    fields = stat.rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def peak_rss_kb(pid: int) -> int | None:
    """Process ``pid``'s peak resident memory so far, in KB (None: it is gone)."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return None
    for line in status.splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    return None


def tree_cpu_seconds(pid: int) -> float:
    """CPU seconds so far of process ``pid`` and its live children (nginx and its worker)."""
    return sum(cpu_seconds(process) or 0.0 for process in (pid, *children(pid)))


def children_usage(pid: int) -> dict[int, tuple[float, int]]:
    """``(CPU seconds, peak RSS KB)`` so far of each live child of process ``pid``."""
    found = {}
    for child in children(pid):
        cpu, peak = cpu_seconds(child), peak_rss_kb(child)
        if cpu is not None and peak is not None:
            found[child] = (cpu, peak)
    return found


def main(argv: list[str]) -> int:
    if len(argv) < 3:
        print("usage: python bench/processes.py OUT COMMAND [ARG...]", file=sys.stderr)
        return 2
    out, command = argv[1], argv[2:]
    pid = os.fork()
    if pid == 0:
        try:
            os.execvp(command[0], command)
        finally:
            os._exit(127)  # not found or not runnable (execvp printed nothing)
    seen: dict[int, tuple[float, int]] = {}
    done = threading.Event()

    def watch() -> None:
        while True:
            seen.update(children_usage(pid))
            if done.wait(POLL_SECONDS):
                return

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    _, status, usage = os.wait4(pid, 0)
    done.set()
    watcher.join()  # its last reading in, before ``seen`` is added up
    used = {
        "cpu_s": usage.ru_utime + usage.ru_stime,
        "children_cpu_s": sum(cpu for cpu, _ in seen.values()),
        "rss_kb": usage.ru_maxrss,
        "together_rss_kb": usage.ru_maxrss + sum(peak for _, peak in seen.values()),
    }
    Path(out).write_text(json.dumps(used))
    return os.waitstatus_to_exitcode(status)


@dataclass(frozen=True)
class Used:
    """What a command used (see the module's docstring): wall seconds, CPU seconds in all and
    by its children, and peak RSS in KB of its own process and of it and its children."""

    seconds: float
    cpu: float
    children_cpu: float
    rss_kb: int
    together_rss_kb: int

    @property
    def rss_mb(self) -> int:
        return self.rss_kb // 1024

    @property
    def together_rss_mb(self) -> int:
        return self.together_rss_kb // 1024


def measure(
    command: Sequence[str], *, cwd: str | Path | None = None, env: Mapping[str, str] | None = None
) -> tuple[int, Used]:
    """Run ``command`` (its output discarded) through this script: its exit code, and what it
    used."""
    with tempfile.NamedTemporaryFile("r") as out:
        started = time.perf_counter()
        code = subprocess.call(
            [sys.executable, str(Path(__file__).resolve()), out.name, *command],
            cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        seconds = time.perf_counter() - started
        figures = json.load(out)
    return code, Used(
        seconds,
        figures["cpu_s"],
        figures["children_cpu_s"],
        figures["rss_kb"],
        figures["together_rss_kb"],
    )


if __name__ == "__main__":
    sys.exit(main(sys.argv))
