"""The published archive in a real browser: headless Chromium (Debian's package) driven by
Playwright against `blogarchive serve` on the crawled demo network."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from importlib import resources
from pathlib import Path

import jsonschema
import pytest

from tests.conftest import (
    CrawledArchive,
    blogarchive_command,
    free_port,
    seed_capture,
    serving,
    wait_until_answers,
)

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
SEED_TITLE = "Miller Heiman: Round Table Discussions Part 2"
if CHROMIUM is None and os.environ.get("BLOGARCHIVE_REQUIRE_BROWSER"):
    raise RuntimeError("BLOGARCHIVE_REQUIRE_BROWSER is set but no chromium is installed")
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="no chromium (apt-get install chromium)")
LAUNCH_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]  # fmt: skip


@pytest.fixture(scope="module")
def site(crawled: CrawledArchive, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    db = tmp_path_factory.mktemp("published") / "archive.db"
    shutil.copy(crawled.path, db)
    with serving(db) as base:
        yield base


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    playwright_api = pytest.importorskip("playwright.sync_api")
    with playwright_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser: object) -> Iterator[object]:
    context = browser.new_context(accept_downloads=True)  # type: ignore[attr-defined]
    page = context.new_page()
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    page.dialogs = dialogs
    yield page
    context.close()


def row_id(site: str, table: str, **where: str) -> str:
    query = "&".join(f"{k}={urllib.request.quote(v)}" for k, v in where.items())
    with urllib.request.urlopen(f"{site}/archive/{table}.json?_shape=array&{query}") as response:
        return str(json.loads(response.read())[0]["id"])


def test_the_seed_post_reads_like_the_post(site: str, page: object) -> None:
    page.goto(f"{site}/-/post/{row_id(site, 'posts', title=SEED_TITLE)}")  # type: ignore[attr-defined]
    assert page.locator("h1.ba-title").inner_text() == SEED_TITLE  # type: ignore[attr-defined]
    body = page.locator(".ba-body").inner_text()  # type: ignore[attr-defined]
    assert "To kick off the discussion, Reese commented" in body
    items = page.locator(".ba-observations li")  # type: ignore[attr-defined]
    assert items.count() == 3
    assert "give up the “high” of closing big deals" in items.nth(1).inner_text()
    assert page.locator(".ba-comments h2").inner_text() == "0 comments"  # type: ignore[attr-defined]
    assert "Miller Heiman" in page.locator(".ba-labels").inner_text()  # type: ignore[attr-defined]


def test_the_landing_page_s_search_box_leads_to_the_seed_post(site: str, page: object) -> None:
    """Issue 36: from ``/``, "Miller Heiman" typed in the one search box; its first result is
    the seed post, whose page it opens."""
    page.goto(f"{site}/")  # type: ignore[attr-defined]
    page.get_by_label("Search posts, comments and key observations").fill("Miller Heiman")  # type: ignore[attr-defined]
    page.get_by_role("button", name="Search").click()  # type: ignore[attr-defined]
    page.wait_for_url(re.compile(r"/-/search\?q="))  # type: ignore[attr-defined]
    page.locator('[data-kind="posts"] li a').first.click()  # type: ignore[attr-defined]
    page.wait_for_url(re.compile(r"/-/post/"))  # type: ignore[attr-defined]
    assert page.locator("h1.ba-title").inner_text() == SEED_TITLE  # type: ignore[attr-defined]


def search_from_the_front_door(site: str, page: object, words: str) -> dict[str, list[str]]:
    """The titles of the posts each kind of result links to, once ``words`` are typed in
    the landing page's search box."""
    page.goto(f"{site}/")  # type: ignore[attr-defined]
    page.get_by_label("Search posts, comments and key observations").fill(words)  # type: ignore[attr-defined]
    page.get_by_role("button", name="Search").click()  # type: ignore[attr-defined]
    page.wait_for_url(re.compile(r"/-/search\?q="))  # type: ignore[attr-defined]
    return {
        kind: page.locator(f'[data-kind="{kind}"] li > a').all_inner_texts()  # type: ignore[attr-defined]
        for kind in ("posts", "comments", "key_observations")
    }


@pytest.mark.parametrize(
    ("words", "kind", "title"),
    [
        # (a word only a comment of the thread holds, and one of the seed post's observations)
        ("bookmarked", "comments", "Coaching Is Not Inspecting"),
        ("credibility", "key_observations", SEED_TITLE),
    ],
)
def test_the_front_door_s_search_finds_comments_and_key_observations(
    site: str, page: object, words: str, kind: str, title: str
) -> None:
    found = search_from_the_front_door(site, page, words)
    assert title in found[kind], found


def test_search_finds_the_seed_post(site: str, page: object) -> None:
    page.goto(f"{site}/archive/posts?_search=Miller+Heiman")  # type: ignore[attr-defined]
    assert SEED_TITLE in page.locator("table.rows-and-columns").inner_text()  # type: ignore[attr-defined]


HOSTILE = ["Remote Teams and Rituals", "What We Learned From 100 Coaching Calls",
           "Coaching Is Not Inspecting"]  # fmt: skip


@pytest.mark.parametrize("title", HOSTILE)
def test_hostile_markup_stays_inert(site: str, page: object, title: str) -> None:
    page.goto(f"{site}/-/post/{row_id(site, 'posts', title=title)}")  # type: ignore[attr-defined]
    page.wait_for_timeout(300)  # type: ignore[attr-defined]
    assert page.dialogs == []  # type: ignore[attr-defined]
    assert page.title() != "pwned"  # type: ignore[attr-defined]
    article = page.locator("article.ba-post")  # type: ignore[attr-defined]
    assert article.locator("script, iframe, object, embed").count() == 0
    assert article.locator("[onerror], [onclick], [onload]").count() == 0
    assert article.locator("a[href^='javascript:']").count() == 0


def test_the_coaching_form_schema_downloads_and_validates(site: str, page: object) -> None:
    form_id = row_id(site, "forms", title="Do You Need One Of Our Coaches?")
    page.goto(f"{site}/-/form/{form_id}")  # type: ignore[attr-defined]
    assert page.locator("table.ba-fields tbody tr").count() == 13  # type: ignore[attr-defined]
    assert page.locator(".ba-preview fieldset[disabled]").count() == 1  # type: ignore[attr-defined]
    with page.expect_download() as download_info:  # type: ignore[attr-defined]
        page.click("text=JSON Schema")  # type: ignore[attr-defined]
    download = download_info.value
    assert download.suggested_filename == f"{form_id}.schema.json"
    schema = json.loads(Path(download.path()).read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)
    titles = [p["title"] for p in schema["properties"].values()]
    assert len(titles) == 13
    assert titles[:2] == ["Name", "Phone Number"]
    assert titles[-1] == "How do you envision 'The Howard Group' helping?"


def test_the_network_picture_shows_the_cycle_and_the_dead_link(site: str, page: object) -> None:
    page.goto(f"{site}/-/network")  # type: ignore[attr-defined]
    svg = page.locator(".ba-network svg")  # type: ignore[attr-defined]
    assert svg.locator("g.blog").count() == 4
    assert svg.locator("g.blog[data-status='unreachable']").count() == 1
    assert svg.locator("line.link").count() == 5


def test_security_headers_and_robots(site: str) -> None:
    with urllib.request.urlopen(f"{site}/archive/posts") as response:
        csp = response.headers["Content-Security-Policy"]
        assert (
            "script-src 'self'" in csp
            and "'unsafe-inline'" not in csp.split("script-src")[1].split(";")[0]
        )
        assert response.headers["X-Robots-Tag"] == "noindex, nofollow"
    with urllib.request.urlopen(f"{site}/robots.txt") as response:
        assert response.read().decode() == "User-agent: *\nDisallow: /\n"


#: The path the archive is published under in the tests of a proxied publication.
PREFIX = "/published/"
#: axe-core's rules for WCAG 2.0 and 2.1, levels A and AA.
WCAG_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]


@pytest.fixture(scope="module")
def prefixed_site(
    crawled: CrawledArchive, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """The archive published under :data:`PREFIX`, as behind a proxy."""
    db = tmp_path_factory.mktemp("prefixed") / "archive.db"
    shutil.copy(crawled.path, db)
    with serving(db, base_url=PREFIX) as base:
        yield base


def our_page(site: str, kind: str) -> str:
    if kind == "landing":
        return f"{site}/"
    if kind == "search":
        return f"{site}/-/search?q=coaching"
    if kind == "post":
        return f"{site}/-/post/{row_id(site, 'posts', title=SEED_TITLE)}"
    if kind == "form":
        return f"{site}/-/form/{row_id(site, 'forms', title='Do You Need One Of Our Coaches?')}"
    if kind == "blog":
        return (
            f"{site}/-/blog/{row_id(site, 'blogs', title='The Howard Group Sales Coaching Blog')}"
        )
    return f"{site}/-/network"


@pytest.mark.parametrize("kind", ["landing", "search", "post", "form", "blog", "network"])
def test_a_page_under_a_base_url_links_within_it_and_passes_axe(
    prefixed_site: str, browser: object, kind: str
) -> None:
    # (axe-core is injected by the test: the pages' policy allows no script of anyone else's)
    context = browser.new_context(bypass_csp=True)  # type: ignore[attr-defined]
    page = context.new_page()
    try:
        response = page.goto(our_page(prefixed_site, kind))
        assert response is not None and response.status == 200
        hrefs = page.eval_on_selector_all(
            "a[href], link[href]", "nodes => nodes.map(n => n.getAttribute('href'))"
        )
        local = [href for href in hrefs if href.startswith("/")]
        assert local and all(href.startswith(PREFIX) for href in local), local
        # the plugin's stylesheet came through the prefix too
        stylesheets = page.eval_on_selector_all(
            "link[rel=stylesheet]", "nodes => nodes.map(n => n.sheet !== null)"
        )
        assert len(stylesheets) >= 2 and all(stylesheets)
        assert page.locator("html").get_attribute("lang") == "en"
        page.add_script_tag(path=str(resources.files("axe_playwright_python") / "axe.min.js"))
        found = page.evaluate(
            "tags => axe.run(document, {runOnly: {type: 'tag', values: tags}})", WCAG_AA
        )
        violations = [
            (v["id"], v["help"], [node["target"] for node in v["nodes"]][:5])
            for v in found["violations"]
        ]
        assert violations == []
    finally:
        context.close()


def test_the_form_preview_names_every_control(prefixed_site: str, browser: object) -> None:
    context = browser.new_context()  # type: ignore[attr-defined]
    page = context.new_page()
    try:
        page.goto(our_page(prefixed_site, "form"))
        controls = page.locator(".ba-preview input, .ba-preview select, .ba-preview textarea")
        assert controls.count() >= 13
        for n in range(controls.count()):
            control = controls.nth(n)
            if control.get_attribute("type") == "hidden":
                continue
            # what assistive technology announces: the label the page's form gave the field
            name = control.evaluate(
                "c => (c.labels && c.labels.length ? c.labels[0].textContent : '')"
                " || (c.closest('[role=group]') ? 'group' : '')"
            )
            assert name.strip(), control.evaluate("c => c.outerHTML")
        assert page.get_by_label("Phone Number").count() == 1
    finally:
        context.close()


def test_replay_shows_the_seed_post_from_its_capture(
    crawled: CrawledArchive, browser: object, pywb_bin: str
) -> None:
    """`blogarchive replay` serves the crawl's WARC files with pywb on loopback: the seed
    post's capture opens in Chromium (in pywb's replay frame) with the post's text."""
    url, timestamp = seed_capture(crawled.path, SEED_TITLE)
    stamp = re.sub(r"\D", "", timestamp)[:14]
    port = free_port()
    process = subprocess.Popen(
        [*blogarchive_command(), "replay", "--db", str(crawled.path), "--port", str(port),
         "--pywb", pywb_bin],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}/blogarchive"
    try:
        wait_until_answers(f"{base}/", process, "replay", seconds=120)
        context = browser.new_context()  # type: ignore[attr-defined]
        page = context.new_page()
        page.goto(f"{base}/{stamp}/{url}")
        frame = page.frame_locator("#replay_iframe")
        body = frame.locator(".post-body").inner_text(timeout=30_000)
        assert "To kick off the discussion, Reese commented" in body
        assert SEED_TITLE in frame.locator("h3.post-title").inner_text()
        context.close()
    finally:
        process.terminate()
        process.wait(timeout=20)
    # pywb went with the command that started it
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(f"{base}/", timeout=1).read()
        except (urllib.error.URLError, ConnectionError):
            break
        time.sleep(0.3)
    else:
        raise AssertionError("pywb still answers once `blogarchive replay` was stopped")
