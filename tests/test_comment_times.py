"""Blogger comments' times from their page, in the blog's offset as the comment feed gives
them, or left in UTC where the page cannot say the offset for sure: never a wrong offset."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from extract import extract_comments

URL = "http://example.blogspot.com/2020/03/a-post.html"

#: zones with summer time, quarter hours, and the two sides of the date line
ZONES = (
    "UTC",
    "America/Los_Angeles",
    "Europe/Berlin",
    "Asia/Kolkata",
    "Asia/Kathmandu",
    "Australia/Lord_Howe",
    "Pacific/Chatham",
    "Pacific/Pago_Pago",
    "Pacific/Kiritimati",
)
#: formats Blogger offers for comment times, and some a blog's owner may type
WITH_CLOCK = (
    "%B %-d, %Y at %-I:%M %p",  # the default: "March 2, 2010 at 9:45 AM"
    "%A, %B %d, %Y %-I:%M:%S %p",
    "%d. %B %Y um %H:%M",
    "%H:%M",
    "%d/%m/%Y %H:%M:%S",
)
TWELVE_HOURS_UNMARKED = "%d.%m.%Y %-I:%M"
DATE_ONLY = ("%B %-d, %Y", "%d.%m.%y", "%Y-%m-%d")


def page(comments: list[tuple[str, datetime, str]], post_time: str | None) -> str:
    """A Blogger post page with threaded comments: (id, moment, shown time) each."""
    items = "".join(
        f'<li class="comment" id="c{cid}"><div class="comment-block"><div class="comment-header">'
        f'<cite class="user">Reader {n}</cite><span class="datetime secondary-text">'
        f'<a href="{URL}?showComment={int(moment.timestamp() * 1000)}#c{cid}">{shown}</a>'
        f'</span></div><p class="comment-content">Comment {n}.</p></div></li>'
        for n, (cid, moment, shown) in enumerate(comments)
    )
    published = f'<abbr class="published" title="{post_time}">x</abbr>' if post_time else ""
    return (
        '<html><body><div class="post hentry"><h3 class="post-title">A post</h3>'
        f'{published}<div class="post-body">Text.</div></div>'
        f'<div class="comments" id="comments"><h4>{len(comments)} comments:</h4>'
        f'<div class="comments-content"><div class="comment-thread"><ol>{items}</ol></div>'
        "</div></div></body></html>"
    )


moments = st.datetimes(
    min_value=datetime(2005, 1, 1), max_value=datetime(2030, 1, 1), timezones=st.just(UTC)
).map(lambda m: m.replace(microsecond=m.microsecond // 1000 * 1000))


@settings(max_examples=300, deadline=None)
@given(
    zone=st.sampled_from(ZONES),
    when=st.lists(moments, min_size=1, max_size=6),
    shown=st.sampled_from((*WITH_CLOCK, TWELVE_HOURS_UNMARKED, *DATE_ONLY)),
    post_offset=st.booleans(),
)
def test_a_comment_time_is_the_feed_s_or_utc_never_a_wrong_offset(
    zone: str, when: list[datetime], shown: str, post_offset: bool
) -> None:
    tz = ZoneInfo(zone)
    comments = [(str(1000 + n), m, m.astimezone(tz).strftime(shown)) for n, m in enumerate(when)]
    post_time = min(when).astimezone(tz) - timedelta(hours=3)
    html = page(comments, post_time.isoformat() if post_offset else None)
    read = extract_comments(html, URL)
    assert len(read) == len(when)
    for comment, moment in zip(read, when, strict=True):
        assert comment.published is not None
        if comment.as_in_feed:
            # the feed's form: milliseconds, the blog's offset at that moment
            assert comment.published == moment.astimezone(tz).isoformat(timespec="milliseconds")
        else:
            assert datetime.fromisoformat(comment.published) == moment.replace(microsecond=0)
    if shown in DATE_ONLY:
        assert not any(c.as_in_feed for c in read)
    elif shown in WITH_CLOCK[:3] and post_offset:
        assert all(c.as_in_feed for c in read)  # a sure clock and an offset to check against


def test_the_default_format_gives_the_feed_s_time() -> None:
    moment = datetime(2017, 9, 10, 16, 12, 36, 197000, tzinfo=UTC)
    html = page([("6452", moment, "10. September 2017 um 18:12")], "2017-09-09T10:52:00+02:00")
    (comment,) = extract_comments(html, URL)
    assert comment.published == "2017-09-10T18:12:36.197+02:00"
    assert comment.as_in_feed


def test_a_twelve_hour_clock_without_am_or_pm_and_nothing_to_check_is_left_in_utc() -> None:
    moment = datetime(2017, 9, 10, 16, 12, tzinfo=UTC)
    html = page([("1", moment, "10.09.2017 6:12")], None)  # 18:12 in Berlin, shown as 6:12
    (comment,) = extract_comments(html, URL)
    assert comment.published == "2017-09-10T16:12:00+00:00"
    assert not comment.as_in_feed


def test_offsets_that_disagree_leave_every_time_in_utc() -> None:
    first = datetime(2017, 9, 10, 16, 12, tzinfo=UTC)
    second = datetime(2017, 9, 11, 16, 12, tzinfo=UTC)
    html = page([("1", first, "18:12"), ("2", second, "21:12")], None)  # +02:00, then +05:00
    assert [c.as_in_feed for c in extract_comments(html, URL)] == [False, False]
