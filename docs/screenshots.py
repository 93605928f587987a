"""Take the README's screenshots: crawl the demo network, serve it, photograph five pages.

python docs/screenshots.py        (needs Debian's chromium and `pip install playwright`)
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from playwright.sync_api import sync_playwright

HERE = Path(__file__).parent
PORT = 8011


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        db = Path(folder) / "demo.db"
        blogarchive = [sys.executable, "-m", "blogarchive.cli"]
        subprocess.run([*blogarchive, "demo", "--db", str(db), "--no-serve"], check=True)
        server = subprocess.Popen([*blogarchive, "serve", "--db", str(db), "--port", str(PORT)])
        try:
            for _ in range(100):
                try:
                    urllib.request.urlopen(f"http://127.0.0.1:{PORT}/-/versions.json")
                    break
                except OSError:
                    time.sleep(0.2)
            from blogarchive.cli import demo_pages

            pages = dict(demo_pages(str(db)))
            shots = {
                "front.png": pages["what it holds, one search"],
                "blog.png": pages["the seed post"],  # (replaced below by the seed post's blog)
                "post.png": pages["the seed post"],
                "form.png": pages["the coaching form"],
                "network.png": pages["who lists whom"],
            }
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(
                    executable_path=shutil.which("chromium"), args=["--no-sandbox", "--disable-gpu"]
                )
                page = browser.new_page(viewport={"width": 1100, "height": 900})
                page.goto(f"http://127.0.0.1:{PORT}{shots['post.png']}")
                shots["blog.png"] = page.locator(".ba-crumbs a").first.get_attribute("href") or "/"
                for name, path in shots.items():
                    page.goto(f"http://127.0.0.1:{PORT}{path}")
                    page.screenshot(
                        path=str(HERE / name), full_page=name not in ("post.png", "front.png")
                    )
                browser.close()
        finally:
            server.terminate()
            server.wait()


if __name__ == "__main__":
    main()
