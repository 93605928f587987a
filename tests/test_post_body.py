"""What a post's body leaves out: the blocks themes put inside it."""

from __future__ import annotations

from extract import decide_post

PARAGRAPHS = "".join(
    f"<p>Paragraph {n} of a post about the harbour, long enough to be read as text.</p>"
    for n in range(4)
)


def test_a_camel_case_class_names_its_block_s_role() -> None:
    html = (
        '<html><head><meta name="generator" content="WordPress 6.4"></head>'
        '<body class="single single-post"><article class="post type-post hentry">'
        '<h1 class="entry-title">Harbour</h1><div class="entry">'
        + PARAGRAPHS
        + '<div class="PostMeta"><div class="PostCategory">Kategorie: <a href="/k/news/">'
        "News</a></div></div></div></article></body></html>"
    )
    post, _ = decide_post(html, "https://harbour.example.org/2011/05/harbour/")
    assert post is not None and "Paragraph 3" in post.content_text
    assert "Kategorie" not in post.content_text


def _wordpress_post(body: str) -> str:
    return (
        '<html><head><meta name="generator" content="WordPress 6.4"></head>'
        '<body class="single single-post"><article class="post type-post hentry">'
        '<h1 class="entry-title">Harbour</h1><div class="entry-content">'
        + body
        + "</div></article></body></html>"
    )


URL = "https://harbour.example.org/2011/05/harbour/"


def test_the_list_under_a_related_posts_heading_goes_with_it() -> None:
    # a plugin's heading in the blog's language, and its list without a class of its own
    html = _wordpress_post(
        PARAGRAPHS + "<p><strong>Verwandte Artikel:</strong></p><ul>"
        '<li><a href="/2011/04/quay/">The quay at night</a></li>'
        '<li><strong><a href="/2011/03/ferry/">The last ferry</a></strong></li></ul>'
        "<p>Closing words of the post, after the list.</p>"
    )
    post, _ = decide_post(html, URL)
    assert post is not None
    assert "Verwandte" not in post.content_text and "quay at night" not in post.content_text
    assert "last ferry" not in post.content_text
    assert "Closing words" in post.content_text and "Paragraph 3" in post.content_text


def test_a_list_the_post_itself_makes_stays() -> None:
    html = _wordpress_post(
        PARAGRAPHS + "<p>What we saw:</p><ul><li>Gulls</li><li>A ferry</li></ul>"
    )
    post, _ = decide_post(html, URL)
    assert post is not None and "Gulls" in post.content_text and "What we saw" in post.content_text


def test_a_see_also_paragraph_of_links_is_left_out() -> None:
    links = "".join(
        f'<br/><a href="/2011/0{n}/other/" rel="bookmark">Another post about the harbour, '
        f"number {n}</a>"
        for n in range(1, 9)
    )
    html = _wordpress_post(PARAGRAPHS + f"<p>Siehe auch{links}</p>")
    post, _ = decide_post(html, URL)
    assert post is not None and "Paragraph 3" in post.content_text
    assert "Siehe auch" not in post.content_text and "number 4" not in post.content_text


def test_a_short_paragraph_that_is_one_link_is_left_out() -> None:
    html = _wordpress_post(
        PARAGRAPHS[: len(PARAGRAPHS) // 2]
        + '<p><a href="/gallery/">Pictures of the day</a></p>'
        + PARAGRAPHS[len(PARAGRAPHS) // 2 :]
    )
    post, _ = decide_post(html, URL)
    assert post is not None and "Paragraph 3" in post.content_text
    assert "Pictures of the day" not in post.content_text


def test_a_post_that_is_one_link_keeps_it() -> None:
    html = _wordpress_post('<p><a href="https://example.net/song">Listen</a></p>')
    post, _ = decide_post(html, URL)
    assert post is not None and "Listen" in post.content_text


def test_the_general_extractor_s_text_loses_a_related_articles_line_too() -> None:
    # a page of no platform we know: trafilatura reads it, and keeps blocks it cannot tell by
    # their names; what tells them by their text goes as it goes from our own bodies
    article = "".join(
        f"<p>Paragraph {n} of a report on the harbour's new ferry line, which opened in May "
        f"and carries commuters across the bay every twenty minutes.</p>"
        for n in range(6)
    )
    html = (
        "<html><head><title>Ferry</title></head><body><main><article><h1>Ferry</h1>"
        + article[: len(article) // 2]
        + '<p>Le puede interesar: <a href="/otra-nota/">Otra nota sobre el puerto</a></p>'
        + article[len(article) // 2 :]
        + "</article></main></body></html>"
    )
    post, _ = decide_post(html, "https://news.example.com/2024/05/ferry-line/")
    assert post is not None and post.extractor == "trafilatura"
    assert "Paragraph 5" in post.content_text
    assert "Le puede interesar" not in post.content_text and "Otra nota" not in post.content_text
