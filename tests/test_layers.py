"""The project's layers: extract/ is pure, the spider crawls, nothing imports the command line
(the contracts in pyproject.toml's ``[tool.importlinter]``), and no import circle, lazy
imports inside functions included."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from collections.abc import Iterable
from pathlib import Path

import grimp
import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("blogarchive", "spiders", "extract")


def import_circles(packages: Iterable[str]) -> list[list[str]]:
    """The sets of modules that import each other, directly or not (Tarjan's strongly
    connected components of grimp's import graph, which counts imports inside functions)."""
    graph = grimp.build_graph(*packages, cache_dir=None)
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    circles: list[list[str]] = []

    def visit(module: str) -> None:  # (the graph is a few dozen modules deep at most)
        index[module] = low[module] = len(index)
        stack.append(module)
        on_stack.add(module)
        for imported in sorted(graph.find_modules_directly_imported_by(module)):
            if imported not in index:
                visit(imported)
                low[module] = min(low[module], low[imported])
            elif imported in on_stack:
                low[module] = min(low[module], index[imported])
        if low[module] == index[module]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == module:
                    break
            if len(component) > 1:
                circles.append(sorted(component))

    for module in sorted(graph.modules):
        if module not in index:
            visit(module)
    return circles


def test_no_import_circle_among_the_project_s_modules() -> None:
    assert import_circles(PACKAGES) == []


def test_the_circle_check_finds_a_circle(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    package = tmp_path / "circular"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "a.py").write_text("from circular import b\n")
    (package / "b.py").write_text("def later():\n    from circular import c\n")
    (package / "c.py").write_text("import circular.a\n")
    (package / "d.py").write_text("import circular.a\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    assert import_circles(["circular"]) == [["circular.a", "circular.b", "circular.c"]]


def test_the_layer_contracts_hold() -> None:
    # in a process of its own: import-linter reads the modules' sources, not this process's
    # imports, and its output names what broke a contract
    script = shutil.which("lint-imports", path=str(Path(sys.executable).parent))
    assert script is not None, "import-linter is one of the test dependencies"
    result = subprocess.run(
        [script, "--config", "pyproject.toml", "--no-cache"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


def test_archive_db_is_read_through_the_reader_alone() -> None:
    """Outside the writer (archive.py, schema.py) and Datasette's side (the plugin, the
    metadata's canned queries), no module asks archive.db's tables anything itself: the
    questions are ArchiveReader's."""
    from blogarchive.schema import TABLES

    tables = "|".join(sorted(TABLES, key=len, reverse=True))
    # (SQL as the project writes it: upper-case keywords; prose says "from posts" in lower case)
    query = re.compile(rf"\b(FROM|JOIN)\s+\"?({tables})\b")
    allowed = {"blogarchive/reader.py", "blogarchive/archive.py", "blogarchive/schema.py"}
    asking = []
    for path in sorted([*ROOT.glob("blogarchive/**/*.py"), *ROOT.glob("spiders/**/*.py")]):
        name = path.relative_to(ROOT).as_posix()
        if name in allowed or name.startswith("blogarchive/datasette/"):
            continue
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            if query.search(line):
                asking.append(f"{name}:{number}: {line.strip()}")
    assert asking == []
