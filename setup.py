"""The build: metadata, packages and entry points come from pyproject.toml.

The extractors that ``extract.extract_page`` runs are compiled to C with mypyc when a wheel is
built (``pip install .``, ``pip wheel .``): the full extraction of a page then takes about a
sixth less time (``bench/extract_speed.py``). An editable install (``pip install -e .``) and
the egg scrapyd-deploy builds with ``setup.py bdist_egg`` stay pure Python, so that edits to
``extract/`` take effect at once and the egg runs on any machine. ``BLOGARCHIVE_COMPILE=1``
compiles any build, ``BLOGARCHIVE_COMPILE=0`` none. A build that cannot compile (no mypy, no C
compiler or Python headers) goes on in pure Python and says so: the two behave the same
(tests/test_compiled.py).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext

#: The modules compiled: the extractors and what they share. Not ``extract/__init__.py`` (its
#: ``Page`` and its pickling of results stay Python) nor ``extract/feeds.py`` (the crawl's).
COMPILED = [
    f"extract/{name}.py"
    for name in "_dom urls platform post comments observations forms bloglist".split()
]


#: The commands that build modules (not egg_info or dist_info, which pip runs for metadata and
#: build requirements, before it has installed mypy).
BUILDING = frozenset(
    ("bdist_wheel", "editable_wheel", "bdist_egg", "build", "build_ext", "install", "develop")
)


def _wanted() -> bool:
    if not BUILDING.intersection(sys.argv[1:]):
        return False
    choice = os.environ.get("BLOGARCHIVE_COMPILE", "")
    if choice in ("0", "1"):
        return choice == "1"
    return "bdist_wheel" in sys.argv  # pip's wheel builds; not editable_wheel nor bdist_egg


def _pure(reason: str) -> list[Extension]:
    print(f"blogarchive: extractors left pure Python ({reason})", file=sys.stderr)
    return []


def _extensions() -> list[Extension]:
    if not _wanted():
        return []
    try:
        from mypyc.build import mypycify
    except ImportError:
        return _pure("mypy, which holds mypyc, is not installed")
    try:
        return mypycify(COMPILED, opt_level="3")
    except (Exception, SystemExit) as error:  # mypyc exits on a type error it finds
        return _pure(f"mypyc failed: {error}")


class BuildExtensions(build_ext):
    """Compiles the extensions, or none: a failed C build leaves no module half-installed
    (the compiled modules share one library, and each needs it)."""

    def run(self) -> None:
        try:
            super().run()
        except Exception as error:  # no compiler, no Python headers, a compiler error
            for output in self.get_outputs():
                Path(output).unlink(missing_ok=True)
            self.extensions.clear()
            _pure(f"the C build failed: {error}")


setup(ext_modules=_extensions(), cmdclass={"build_ext": BuildExtensions})
