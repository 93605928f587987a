"""Whole posts from a Blogger posts feed's entries (``extract.feedposts``): what an entry says
of its post, and the entries that are not the whole post."""

from __future__ import annotations

from extract.feedposts import FEED_EXTRACTOR, extract_feed_posts

FEED_URL = "https://example.blogspot.com/feeds/posts/default"
HEAD = (
    "<?xml version='1.0' encoding='UTF-8'?><feed xmlns='http://www.w3.org/2005/Atom'"
    " xmlns:thr='http://purl.org/syndication/thread/1.0'>"
)


def feed(*entries: str) -> bytes:
    return (HEAD + "".join(entries) + "</feed>").encode()


def entry(content: str, *, path: str = "2020/01/a-post.html", extra: str = "") -> str:
    return (
        "<entry><id>tag:blogger.com,1999:blog-1.post-4242</id>"
        "<published>2020-01-05T10:30:00.001-08:00</published>"
        "<updated>2020-02-01T08:00:00.000-08:00</updated>"
        "<category scheme='http://www.blogger.com/atom/ns#' term='Sales'/>"
        "<category scheme='http://www.blogger.com/atom/ns#' term='Coaching'/>"
        "<category scheme='http://schemas.google.com/g/2005#kind' term='x#post'/>"
        "<title type='text'>A   post\n title</title>"
        f"{content}{extra}"
        f"<link rel='alternate' type='text/html' href='https://example.blogspot.com/{path}'/>"
        "<author><name>Ann Author</name></author><thr:total>3</thr:total></entry>"
    )


def html(markup: str) -> str:
    escaped = markup.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return f"<content type='html'>{escaped}</content>"


def test_a_full_entry_is_the_post_as_its_page_states_it() -> None:
    body = (
        "<p>First <a href='/2019/12/older.html'>older</a>.</p><p><b>Key Takeaways:</b></p>"
        "<ul><li>One</li><li>Two</li></ul><script>alert(1)</script>"
    )
    [read] = extract_feed_posts(feed(entry(html(body))), FEED_URL)
    post = read.post
    assert post is not None and read.partial is None
    assert post.url == "https://example.blogspot.com/2020/01/a-post.html"
    assert post.title == "A post title"
    assert post.author == "Ann Author"
    # (the fraction of a second the feed gives and the page does not, dropped)
    assert post.published == "2020-01-05T10:30:00-08:00"
    assert post.updated == "2020-02-01T08:00:00-08:00"
    assert post.labels == ("Sales", "Coaching")
    assert post.comment_count == 3
    assert post.platform_id == "4242"
    assert post.extractor == FEED_EXTRACTOR
    assert 'href="https://example.blogspot.com/2019/12/older.html"' in post.content_html
    assert "script" not in post.content_html and "alert" not in post.content_text
    assert post.content_text.splitlines()[:2] == ["First older.", "Key Takeaways:"]
    assert [(o.heading, o.text) for o in read.key_observations] == [
        ("Key Takeaways", "One"),
        ("Key Takeaways", "Two"),
    ]


def test_a_summary_is_not_the_post() -> None:
    summary = entry("<summary type='text'>The start...</summary>")
    [read] = extract_feed_posts(feed(summary), FEED_URL)
    assert read.post is None
    assert read.partial == "the feed gives a summary only"
    assert read.url == "https://example.blogspot.com/2020/01/a-post.html"


def test_an_entry_cut_at_its_jump_break_is_not_the_post() -> None:
    cut = (
        "<p>The start.</p><a href='https://example.blogspot.com/2020/01/a-post.html#more'>More</a>"
    )
    whole = "<p>The start.</p><a name='more'></a><p>The rest, and a <a href='#more'>link</a>.</p>"
    other = "<p>See <a href='https://example.blogspot.com/2019/01/other.html#more'>that</a>.</p>"
    reads = extract_feed_posts(
        feed(entry(html(cut)), entry(html(whole), path="b"), entry(html(other), path="c")), FEED_URL
    )
    assert [read.post is None for read in reads] == [True, False, False]
    assert reads[0].partial == "the feed gives the post up to its jump break"


def test_an_entry_without_a_link_or_a_document_that_is_no_atom_gives_no_post() -> None:
    no_link = entry(html("<p>x</p>")).replace("rel='alternate'", "rel='self'")
    assert extract_feed_posts(feed(no_link), FEED_URL) == ()
    assert extract_feed_posts(b"<rss><channel></channel></rss>", FEED_URL) == ()
    assert extract_feed_posts(b"not xml at all", FEED_URL) == ()
