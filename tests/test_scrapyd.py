"""Scheduling the way operators do: a real scrapyd on loopback, the project deployed with
scrapyd-deploy, the spider scheduled through schedule.json against the demo network."""

from __future__ import annotations

import json
import shutil
import sqlite3
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from blogarchive.demo.server import DemoNetwork
from tests.conftest import free_port

REPOSITORY = Path(__file__).parent.parent
PROJECT_FILES = ("pyproject.toml", "setup.py", "scrapy.cfg", "README.md")
PACKAGES = ("blogarchive", "spiders", "extract")


def tool(name: str) -> str:
    path = shutil.which(name, path=str(Path(sys.executable).parent)) or shutil.which(name)
    if path is None:
        pytest.skip(f"{name} is not installed (pip install -e '.[test]')")
    return path


def get_json(url: str, data: dict[str, str] | list[tuple[str, str]] | None = None) -> dict:
    body = urllib.parse.urlencode(data).encode() if data is not None else None
    with urllib.request.urlopen(url, data=body, timeout=10) as response:
        return json.loads(response.read())


@pytest.fixture
def scrapyd(tmp_path: Path) -> Iterator[str]:
    port = free_port()
    folder = tmp_path / "scrapyd"
    folder.mkdir()
    (folder / "scrapyd.conf").write_text(
        "[scrapyd]\nbind_address = 127.0.0.1\n"
        f"http_port = {port}\neggs_dir = {folder}/eggs\nlogs_dir = {folder}/logs\n"
        f"dbs_dir = {folder}/dbs\nitems_dir =\nmax_proc = 1\n"
    )
    process = subprocess.Popen([tool("scrapyd")], cwd=folder, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)  # fmt: skip
    url = f"http://127.0.0.1:{port}/"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                get_json(url + "daemonstatus.json")
                break
            except OSError:
                assert process.poll() is None and time.monotonic() < deadline, (
                    "scrapyd did not start"
                )
                time.sleep(0.2)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_deploy_and_schedule_with_scrapyd(scrapyd: str, tmp_path: Path) -> None:
    project = tmp_path / "project"
    project.mkdir()
    for name in PROJECT_FILES:
        shutil.copy(REPOSITORY / name, project / name)
    for package in PACKAGES:
        shutil.copytree(REPOSITORY / package, project / package,
                        ignore=shutil.ignore_patterns("__pycache__"))  # fmt: skip
    config = project / "scrapy.cfg"
    config.write_text(config.read_text().replace("http://127.0.0.1:6800/", scrapyd))
    deployed = subprocess.run([tool("scrapyd-deploy"), "-p", "blogarchive"], cwd=project,
                              capture_output=True, text=True, timeout=180)  # fmt: skip
    assert deployed.returncode == 0 and '"status": "ok"' in deployed.stdout, deployed.stdout
    db = tmp_path / "archive.db"
    with DemoNetwork() as network:
        scheduled = get_json(scrapyd + "schedule.json", [
            ("project", "blogarchive"), ("spider", "blog"), ("url", network.start_url),
            ("setting", f"ARCHIVE_DB={db}"), ("setting", "BLOGARCHIVE_DEPTH=2"),
            ("setting", "BLOGARCHIVE_ALLOW_PRIVATE=True"), ("setting", "DOWNLOAD_DELAY=0"),
            ("setting", "AUTOTHROTTLE_ENABLED=False"),
        ])  # fmt: skip
        assert scheduled["status"] == "ok", scheduled
        deadline = time.monotonic() + 120
        while True:
            jobs = get_json(scrapyd + "listjobs.json?project=blogarchive")
            if any(job["id"] == scheduled["jobid"] for job in jobs["finished"]):
                break
            assert time.monotonic() < deadline, jobs
            time.sleep(0.5)
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT count(*) FROM posts").fetchone() == (13,)
        assert conn.execute("SELECT status FROM crawl_runs").fetchall() == [("finished",)]
        assert conn.execute("SELECT count(*) FROM blogs WHERE status = 'ok'").fetchone() == (3,)
