"""Generated blogs for tests and benchmarks: as many posts and comments as a case needs."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from blogarchive.demo.content import DemoBlog, DemoComment, DemoPost

OFFSET = timezone(timedelta(hours=-5))
LABELS = ("Sales", "Coaching", "Leadership", "Hiring", "Forecasting")
WORDS = (
    "pipeline review coaching quota forecast territory account manager rep call deal buyer "
    "champion renewal objection discovery demo proposal negotiation close handoff"
).split()


def synthetic_blogger(
    key: str,
    *,
    posts: int,
    comments: dict[int, int] | None = None,
    template: str = "blogger_classic.html",
    extras_every: int = 0,
) -> DemoBlog:
    """A Blogger blog of ``posts`` posts, newest first; ``comments`` maps a post's index to how
    many comments it has (every fifth one a reply to the comment before it). With
    ``extras_every``, one post in that many also has a key-observations list and a form."""
    start = datetime(2015, 1, 1, 9, 0, tzinfo=OFFSET)
    generated = []
    for n in range(posts):
        published = start + timedelta(hours=7 * n)
        post_id = f"{9_000_000_000 + n}"
        count = (comments or {}).get(n, 0)
        generated.append(
            DemoPost(
                id=post_id,
                slug=f"post-number-{n}",
                title=f"Field note {n}: {WORDS[n % len(WORDS)]} and {WORDS[(n * 7) % len(WORDS)]}",
                author="Synthetic Author",
                published=published.isoformat(),
                labels=(LABELS[n % len(LABELS)],),
                html=_body(n) + (_extras(n) if extras_every and n % extras_every == 0 else ""),
                comments=tuple(_comments(post_id, published, count)),
            )
        )
    return DemoBlog(
        key=key,
        title=f"Synthetic blog {key}",
        description=f"{posts} generated posts.",
        platform="blogger",
        template=template,
        posts=tuple(generated),
        blog_list=(),
    )


def _body(n: int) -> str:
    words = " ".join(WORDS[(n + i) % len(WORDS)] for i in range(60))
    # every post shares the small vocabulary; one word in 997 names its topic, so a search has
    # both terms that match every post and terms that match a few
    return (
        f"<p>Note {n}. {words.capitalize()}.</p>"
        f"<p>Second paragraph of note {n}, on topic{n % 997}.</p>"
    )


def _extras(n: int) -> str:
    items = "".join(
        f"<li>{WORDS[(n + i) % len(WORDS)].capitalize()} matters.</li>" for i in range(3)
    )
    return (
        f"<p><b>Key observations:</b></p><ul>{items}</ul>"
        '<form action="https://example.invalid/contact" method="post">'
        '<label for="name">Name</label><input id="name" name="name" type="text">'
        '<label for="email">Email Address</label><input id="email" name="email" type="email">'
        '<label for="msg">Your question</label><textarea id="msg" name="msg"></textarea>'
        '<input type="submit" value="Send"></form>'
    )


def _comments(post_id: str, published: datetime, count: int) -> list[DemoComment]:
    made: list[DemoComment] = []
    last_top: str | None = None
    for i in range(count):
        comment_id = f"{post_id}{i:04d}"
        reply = i % 5 == 4 and last_top is not None
        made.append(
            DemoComment(
                id=comment_id,
                author=f"Reader {i % 37}",
                published=(published + timedelta(minutes=10 * (i + 1))).isoformat(),
                html=f"Comment {i} on this note: {WORDS[i % len(WORDS)]}.",
                parent=last_top if reply else None,
            )
        )
        if not reply:
            last_top = comment_id
    return made


def synthetic_wordpress(
    key: str, *, posts: int, comments: dict[int, int] | None = None, rest: bool = True
) -> DemoBlog:
    """A WordPress blog of ``posts`` posts; ``rest=False`` answers the REST API with 401, as
    sites that disable it do. Comments nest: every third one answers the one before."""
    start = datetime(2019, 3, 1, 10, 0, tzinfo=timezone(timedelta(hours=2)))
    generated = []
    for n in range(posts):
        published = start + timedelta(hours=11 * n)
        count = (comments or {}).get(n, 0)
        made: list[DemoComment] = []
        for i in range(count):
            parent = made[-1].id if i % 3 == 2 and made else None
            made.append(
                DemoComment(
                    id=str(10_000 + n * 1000 + i),
                    author=f"Commenter {i % 23}",
                    published=(published + timedelta(minutes=7 * (i + 1))).isoformat(),
                    html=f"<p>Reply {i} to post {n}: {WORDS[i % len(WORDS)]}.</p>",
                    parent=parent,
                )
            )
        generated.append(
            DemoPost(
                id=str(100 + n),
                slug=f"wp-note-{n}",
                title=f"Notebook entry {n}",
                author="Lena Fischer",
                published=published.isoformat(),
                labels=(LABELS[n % len(LABELS)],),
                html=_body(n),
                comments=tuple(made),
            )
        )
    return DemoBlog(
        key=key,
        title=f"Synthetic WordPress {key}",
        description=f"{posts} generated posts.",
        platform="wordpress",
        template="wordpress.html",
        posts=tuple(generated),
        blog_list=(),
        index_size=10,
        extra={"rest": "on" if rest else "off"},
    )
