"""Post or not, decided by the page's evidence, never by its address or length alone (issue 31):
WordPress' plain and numeric permalinks are posts, a Blogger post of one line is a post, and a
page that is no post is reported with what it shows."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from extract import decide_post, extract_page
from tests.conftest import FIXTURES, run_cli

WORDPRESS_POST = (FIXTURES / "post" / "wordpress-core" / "input.html").read_text()
STATIC_PAGE = (FIXTURES / "post" / "wordpress-static-page" / "input.html").read_text()
SEED = (FIXTURES / "post" / "blogger-classic-seed" / "input.html").read_text()


def without_canonical(html: str) -> str:
    return re.sub(r'<link rel="canonical"[^>]*>', "", html)


@pytest.mark.parametrize(
    "url",
    [
        "https://notes.hypotheses.org/?p=2895",
        "https://notes.hypotheses.org/2320",
        "https://notes.hypotheses.org/1927",
    ],
)
def test_wordpress_plain_and_numeric_permalinks_are_posts(url: str, tmp_path: Path) -> None:
    page = tmp_path / "page.html"
    page.write_text(without_canonical(WORDPRESS_POST))
    result = run_cli("extract", str(page), "--url", url)
    assert result.returncode == 0, result.stderr
    output = json.loads(result.stdout)
    assert output["post"] is not None and output["post"]["url"] == url
    assert output["post"]["title"] == "Negotiation Is a Process"
    assert output["evidence"] == "WordPress single-post page (body.single-post)"
    assert "page" not in output


def test_a_blogger_post_of_one_line_is_a_post() -> None:
    start = SEED.index('<div class="post-body entry-content"')
    body_end = SEED.index('<div class="post-footer"', start)
    one_line = (
        SEED[:start]
        + '<div class="post-body entry-content" id="post-body-1">Nothing wrong here.</div>'
        + "</div>"
        + SEED[body_end:]
    )
    post, evidence = decide_post(one_line, "https://fieldnotes.blogspot.com/2024/01/ok.html")
    assert post is not None, evidence
    assert post.content_text.startswith("Nothing wrong here.")
    assert evidence == "Blogger post body in Blog1"


@pytest.mark.parametrize("body", ['<img src="/a.jpg" alt="">', '<iframe src="/v"></iframe>'])
def test_an_image_or_an_embed_only_post_is_a_post(body: str) -> None:
    html = (
        '<html><head><meta property="og:type" content="article"><title>Photo</title></head>'
        f'<body><article><h1 class="entry-title">Photo</h1><div class="entry-content">{body}'
        "</div></article></body></html>"
    )
    post, evidence = decide_post(html, "https://example.org/2024/photo/")
    assert post is not None and evidence == "og:type article"


def blogger_post_list(html: str, shown: str) -> str:
    """The seed page with ``shown`` in place of what Blog1's post list shows."""
    start = html.index('<div class="blog-posts hfeed">') + len('<div class="blog-posts hfeed">')
    end = html.index('<div class="blog-pager"', start)
    return html[:start] + shown + "</div>" + html[end:]


def test_a_not_found_page_answered_200_is_no_post_whatever_lists_it() -> None:
    """Blogger's page for an address that holds no post lists none in Blog1; WordPress names
    that view ``error404``. Some servers answer it 200: the sidebar and menus that remain are
    not a post, at a post's address or not (a general extractor finds text in them)."""
    url = "https://fieldnotes.blogspot.com/2024/01/deleted.html"
    post, evidence = decide_post(blogger_post_list(SEED, "\n"), url)
    assert post is None
    assert evidence == "not-found page markup (Blogger's Blog1 lists no post)"
    wordpress = re.sub(r'<body class="[^"]*"', '<body class="error404"', WORDPRESS_POST)
    wordpress = re.sub(r"<article.*</article>", "", wordpress, flags=re.S)
    post, evidence = decide_post(wordpress, "https://notes.hypotheses.org/2024/01/deleted/")
    assert post is None and evidence == "not-found page markup (body.error404)"
    # an answer with no body says so
    assert decide_post(" \n", url) == (None, "an empty page (the answer has no body)")
    # a list that shows only an image holds a post
    image = '<div class="post-outer"><div class="post-body"><img src="/a.jpg" alt=""></div></div>'
    post, evidence = decide_post(blogger_post_list(SEED, image), url)
    assert post is not None, evidence


def test_a_label_address_without_post_markup_is_no_post() -> None:
    html = "<html><body><main><p>" + "Posts labelled notes. " * 20 + "</p></main></body></html>"
    post, evidence = decide_post(html, "https://example.org/tag/notes/")
    assert post is None and "label" in evidence


def test_a_page_that_is_no_post_is_reported_with_what_it_shows(tmp_path: Path) -> None:
    page = tmp_path / "contact.html"
    page.write_text(STATIC_PAGE)
    result = run_cli("extract", str(page), "--url", "http://127.0.0.4:8780/contact/")
    output = json.loads(result.stdout)
    assert output["post"] is None
    assert output["evidence"] == "static page markup (body.page)"
    assert output["page"]["title"] == "Contact"
    assert "Questions about a workshop?" in output["page"]["content_text"]
    assert output["page"]["forms"] and output["page"]["forms"] == output["forms"]
    assert extract_page(STATIC_PAGE, "http://127.0.0.4:8780/contact/").post is None


def test_an_index_page_is_reported_with_its_main_text(tmp_path: Path) -> None:
    page = tmp_path / "index.html"
    page.write_text((FIXTURES / "post" / "blogger-index-page" / "input.html").read_text())
    result = run_cli("extract", str(page), "--url", "http://127.0.0.2:8780/")
    output = json.loads(result.stdout)
    assert output["post"] is None and output["evidence"].startswith("index page markup")
    # the posts it lists, read by the general extractor: no one container is its text
    assert (
        "Increasing the Effectiveness of Front-line Sales Managers"
        in (output["page"]["content_text"])
    )


@pytest.mark.parametrize(
    ("url", "blog", "expected"),
    [
        ("http://ex.org/a/", "http://ex.org/", "http://ex.org/a/"),
        ("https://ex.org/a/?p=2", "http://ex.org/", "http://ex.org/a/?p=2"),
        ("http://www.ex.org/a/", "http://ex.org/", "http://ex.org/a/"),
        ("https://ex.org/a/", "https://www.ex.org/", "https://www.ex.org/a/"),
        ("http://other.org/a/", "http://ex.org/", None),
        ("http://ex.org:8080/a/", "http://ex.org/", None),
        ("ftp://ex.org/a/", "http://ex.org/", None),
    ],
)
def test_a_route_s_variants_of_the_blog_s_own_addresses(
    url: str, blog: str, expected: str | None
) -> None:
    """A feed or sitemap may give the blog's own posts at ``http``/``https`` and ``www.``
    variants of its origin: they are the blog's (its other sites' addresses are not)."""
    from extract.urls import on_blog

    assert on_blog(url, blog) == expected


def test_a_p_address_is_a_static_page_on_blogger_only() -> None:
    body = "<p>" + "A newsletter issue about tides and the people who read them. " * 4 + "</p>"
    substack = (
        '<html><head><meta property="og:type" content="article">'
        "<title>Tides</title></head><body><article><h1>Tides</h1>"
        f'<div class="available-content"><div class="body markup">{body}</div></div>'
        "</article></body></html>"
    )
    post, evidence = decide_post(substack, "https://tides.substack.com/p/tides")
    assert post is not None and evidence == "og:type article", evidence
    blogger = (
        '<html><head><meta name="generator" content="Blogger"><title>About</title></head>'
        f'<body><div class="post-body entry-content">{body}</div></body></html>'
    )
    post, evidence = decide_post(blogger, "https://fieldnotes.blogspot.com/p/about.html")
    assert post is None and evidence == "static page address (Blogger's /p/)"
