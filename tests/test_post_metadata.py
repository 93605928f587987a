"""A post's title and date from the strongest evidence the page gives (issue 32, item 4)."""

from __future__ import annotations

import pytest

from extract.post import extract_article

BODY = "<p>" + "Field notes from the coast, written the same evening. " * 6 + "</p>"


def page(head: str, body: str = BODY) -> str:
    return f"<html><head>{head}</head><body><main>{body}</main></body></html>"


@pytest.mark.parametrize(
    ("head", "body", "expected"),
    [
        # the Open Graph site name is not the post's title, on either side of the separator
        (
            '<meta property="og:site_name" content="Coast Notes">'
            '<meta property="og:title" content="Low tide at dawn | Coast Notes">',
            BODY,
            "Low tide at dawn",
        ),
        (
            '<meta property="og:site_name" content="Coast Notes">'
            "<title>Coast Notes – Low tide at dawn</title>",
            BODY,
            "Low tide at dawn",
        ),
        # no site name declared: the part of the title the page shows as a heading
        (
            "<title>Low tide at dawn - Coast Notes</title>",
            "<h2>Low tide at dawn</h2>" + BODY,
            "Low tide at dawn",
        ),
        # the title's own dashes are kept when the site's name is cut off
        (
            '<meta property="og:site_name" content="Coast Notes">'
            "<title>Low tide – at dawn | Coast Notes</title>",
            BODY,
            "Low tide – at dawn",
        ),
        # a title whose separator is its own: kept whole
        ("<title>Before - and after</title>", BODY, "Before - and after"),
    ],
)
def test_the_title_leaves_out_the_site_s_name(head: str, body: str, expected: str) -> None:
    article = extract_article(page(head, body), "https://coast.example.org/2021/low-tide")
    assert article is not None and article.title == expected


def test_a_date_only_the_text_gives_is_found() -> None:
    # no dated markup, no JSON-LD, no date in the address: htmldate's extensive search reads
    # the date the page prints
    body = "<p>Published on 14 February 2012</p>" + BODY
    article = extract_article(page("<title>Tides</title>", body), "https://coast.example.org/tides")
    assert article is not None and article.published == "2012-02-14"


def test_dated_markup_keeps_its_time_and_offset() -> None:
    body = '<article><time class="published" datetime="2009-06-15T08:30:00-07:00">June 15</time>'
    article = extract_article(page("", body + BODY + "</article>"), "https://coast.example.org/a")
    assert article is not None and article.published == "2009-06-15T08:30:00-07:00"


def test_an_author_named_elsewhere_in_the_json_ld_graph() -> None:
    # Yoast SEO's graph: the article names its author by reference to a Person node
    graph = (
        '{"@context": "https://schema.org", "@graph": ['
        '{"@type": "Article", "headline": "Lemons from seed",'
        ' "author": {"@id": "https://garden.example/#/person/1"}},'
        '{"@type": "Person", "@id": "https://garden.example/#/person/1", "name": "Flo Ionescu"}]}'
    )
    head = f'<script type="application/ld+json">{graph}</script><title>Lemons from seed</title>'
    article = extract_article(page(head), "https://garden.example/lemons-from-seed/")
    assert article is not None and article.author == "Flo Ionescu"


def test_the_dates_of_related_posts_and_comments_are_not_the_post_s() -> None:
    body = (
        '<div class="related-posts"><article><time class="published" '
        'datetime="2017-09-06T10:30:55+02:00">6 Sept 2017</time> An older post</article></div>'
        '<ol class="comment-list"><li class="comment"><time class="published" '
        'datetime="2024-01-02T08:00:00+01:00">2 Jan 2024</time> A reader</li></ol>'
        '<article><time class="entry-date" datetime="2023-10-31T09:00:00+01:00">31 Oct</time>'
        + BODY
        + "</article>"
    )
    article = extract_article(page("<title>Tides</title>", body), "https://coast.example.org/t")
    assert article is not None and article.published == "2023-10-31T09:00:00+01:00"


@pytest.mark.parametrize(
    "byline", ['<div class="author">Tim Anderson</div>', '<p class="byline">By Tim Anderson</p>']
)
def test_a_byline_of_a_template_we_do_not_know(byline: str) -> None:
    # no selector of ours, no JSON-LD, no author meta tag: trafilatura's reading of the page
    body = "<h1>Tides</h1>" + byline + BODY
    article = extract_article(page("<title>Tides</title>", body), "https://coast.example.org/t")
    assert article is not None and article.author == "Tim Anderson"
