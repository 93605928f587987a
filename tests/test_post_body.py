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
