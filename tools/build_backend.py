"""blogarchive's build backend: setuptools', asking for mypy when setup.py will compile.

setup.py compiles the extractors with mypyc when a wheel is built (``pip install .``) and
leaves an editable install pure Python; ``BLOGARCHIVE_COMPILE=1`` or ``=0`` decides either way.
pip installs a build's requirements before running setup.py, so mypy (which holds mypyc) is
asked for here, and only for a build that will compile.
"""

from __future__ import annotations

import os

from setuptools import build_meta as _setuptools
from setuptools.build_meta import *  # noqa: F403 - every other hook is setuptools' own

#: The mypy the compiled extractors were checked with (tests/test_compiled.py).
MYPY = "mypy>=2.4"


def _compile(default: bool) -> list[str]:
    choice = os.environ.get("BLOGARCHIVE_COMPILE", "")
    return [MYPY] if (choice == "1" if choice in ("0", "1") else default) else []


def get_requires_for_build_wheel(config_settings: dict[str, str] | None = None) -> list[str]:
    return _setuptools.get_requires_for_build_wheel(config_settings) + _compile(True)


def get_requires_for_build_editable(config_settings: dict[str, str] | None = None) -> list[str]:
    return _setuptools.get_requires_for_build_editable(config_settings) + _compile(False)
