"""The extractors compiled by mypyc (what ``pip install .`` installs, see setup.py) behave as the
pure Python ones the other tests run: the same results, field for field, on every saved page.

The build is setup.py's own (``BLOGARCHIVE_COMPILE=1 setup.py build_ext --inplace``) in a copy
of the project; a second Python process imports the compiled modules from that copy, extracts
every page, and pickles the results back, so their pickling across the two builds (as between
the crawl and its extraction worker) is checked with them.
"""

from __future__ import annotations

import os
import pickle
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import extract
from blogarchive import evaluate

pytest.importorskip("mypyc", reason="mypy (which holds mypyc) is installed with the test extras")

ROOT = Path(__file__).resolve().parents[1]
CORPUS = evaluate.default_corpus()

#: Extracts every page named on stdin (a pickled list of (label, path, url, encoding)) and
#: pickles [(label, Page or the error's repr)] to stdout; fails unless the modules are compiled.
EXTRACTOR = """
import pickle, sys
import extract, extract._dom
from blogarchive.evaluate import read_page
from pathlib import Path
assert extract._dom.__file__.endswith(".so"), extract._dom.__file__
pages = pickle.load(sys.stdin.buffer)
results = []
for label, path, url, encoding in pages:
    try:
        results.append((label, extract.extract_page(read_page(Path(path), encoding), url)))
    except Exception as error:
        results.append((label, repr(error)))
sys.stdout.buffer.write(pickle.dumps(results))
"""


@pytest.fixture(scope="module")
def compiled(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the project whose extractors setup.py compiled in place."""
    copy = tmp_path_factory.mktemp("compiled")
    for name in ("setup.py", "pyproject.toml", "README.md", "tools", "extract", "blogarchive"):
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, copy / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(source, copy / name)
    build = subprocess.run(
        [sys.executable, "setup.py", "-q", "build_ext", "--inplace"],
        cwd=copy,
        env={**os.environ, "BLOGARCHIVE_COMPILE": "1"},
        capture_output=True,
        text=True,
    )
    assert build.returncode == 0, build.stderr[-3000:]
    assert "left pure Python" not in build.stderr, build.stderr[-3000:]
    return copy


def saved_pages() -> list[tuple[str, str, str, str | None]]:
    """(label, path, url, encoding) of the test fixtures' pages and, where it is beside the
    repository, of every corpus page (blog posts and pages with forms)."""
    pages = [
        (str(path.relative_to(ROOT)), str(path), "http://127.0.0.2:8780/2010/03/post.html", None)
        for path in sorted((ROOT / "tests" / "fixtures").rglob("*.html"))
    ]
    if (CORPUS / "blogs" / "cases.json").exists():
        pages += [
            (f"blogs/{case['file']}", str(CORPUS / "blogs" / case["file"]), case["url"], None)
            for case in evaluate.blog_cases(CORPUS)
        ]
        pages += [
            (f"forms/{key}", str(CORPUS / "forms" / key), page["url"], "utf-8")
            for key, page in sorted(evaluate.form_pages(CORPUS).items())
        ]
    return pages


def test_compiled_extractors_give_the_pure_results(compiled: Path) -> None:
    pages = saved_pages()
    run = subprocess.run(
        [sys.executable, "-c", EXTRACTOR],
        input=pickle.dumps(pages),
        cwd=compiled,
        env={**os.environ, "PYTHONPATH": str(compiled)},
        capture_output=True,
    )
    assert run.returncode == 0, run.stderr.decode()[-3000:]
    theirs = dict(pickle.loads(run.stdout))
    assert len(theirs) == len(pages)
    differ = []
    for label, path, url, encoding in pages:
        try:
            ours: object = extract.extract_page(evaluate.read_page(Path(path), encoding), url)
        except Exception as error:
            ours = repr(error)
        if theirs[label] != ours:
            differ.append(label)
    assert differ == []
