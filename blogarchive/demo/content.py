"""The demo network's content: three small blogs that link to each other.

- ``classic``: a Blogger blog in the classic layout carrying the seed post ("Miller Heiman: Round
  Table Discussions Part 2"), with the coaching form in every post, labels, threaded comments,
  more posts than its index page shows, and a "My Blog List" widget;
- ``contempo``: a Blogger blog in a 2017+ theme whose blog list links back (a cycle) and to a blog
  that does not answer;
- ``wordpress``: a WordPress blog with nested core comments, a contact page and a blogroll.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from importlib import resources


@dataclass(frozen=True)
class DemoComment:
    id: str
    author: str
    published: str  # ISO 8601 with offset
    html: str
    parent: str | None = None
    author_url: str | None = None


@dataclass(frozen=True)
class DemoPost:
    id: str
    slug: str
    title: str
    author: str
    published: str  # ISO 8601 with the blog's offset
    labels: tuple[str, ...]
    html: str
    comments: tuple[DemoComment, ...] = ()
    updated: str | None = None

    @property
    def path(self) -> str:
        return f"/{self.published[:4]}/{self.published[5:7]}/{self.slug}.html"


@dataclass(frozen=True)
class DemoPage:
    slug: str
    title: str
    html: str


@dataclass(frozen=True)
class DemoBlog:
    key: str
    title: str
    description: str
    platform: str
    template: str
    posts: tuple[DemoPost, ...]
    blog_list: tuple[str, ...]  # keys of other demo blogs, or "dead"
    pages: tuple[DemoPage, ...] = ()
    index_size: int = 5
    extra: dict[str, str] = field(default_factory=dict)


def _read(name: str) -> str:
    return resources.files("blogarchive.demo").joinpath(name).read_text(encoding="utf-8")


SEED_BODY = _read("seed_post.html")

CLASSIC_POSTS = (
    DemoPost(
        id="3907710912546632198",
        slug="miller-heiman-round-table-discussions_08",
        title="Miller Heiman: Round Table Discussions Part 2",
        author="The Howard Group",
        published="2010-03-08T09:30:00-08:00",
        labels=("Miller Heiman", "Sales Management", "Coaching"),
        html=SEED_BODY,
    ),
    DemoPost(
        id="6122083307513385214",
        slug="miller-heiman-round-table-discussions",
        title="Miller Heiman: Round Table Discussions Part 1",
        author="The Howard Group",
        published="2010-03-01T08:15:00-08:00",
        labels=("Miller Heiman", "Sales Management"),
        html=(
            "<p>Twelve sales executives met in San Francisco to compare notes on what separates a "
            "world-class sales organization from the rest. The conversation kept returning to one "
            "theme: the front-line manager.</p>"
            "<p>Participants agreed that a shared sales methodology gives managers a common "
            "language, but only when leadership uses it in every pipeline review.</p>"
            "<p><strong>Key Takeaways:</strong><br />"
            "1. Inspect the pipeline with the same questions every week.<br />"
            "2. Coach on one opportunity at a time, not on the whole forecast.<br />"
            "3. Reward managers for the reps they develop.</p>"
        ),
        comments=(
            DemoComment(
                id="1267541100000",
                author="Dana Whitfield",
                published="2010-03-02T09:45:00-08:00",
                html="Great summary. The weekly pipeline questions idea is one we use too.",
                author_url="https://www.blogger.com/profile/04151823546213372801",
            ),
            DemoComment(
                id="1267555500000",
                author="The Howard Group",
                published="2010-03-02T13:45:00-08:00",
                html="Thanks Dana! Which questions work best for your team?",
                parent="1267541100000",
            ),
            DemoComment(
                id="1267632300000",
                author="Dana Whitfield",
                published="2010-03-03T11:05:00-08:00",
                html="&ldquo;What would have to be true for this to close?&rdquo; works wonders.",
                parent="1267541100000",
            ),
            DemoComment(
                id="1267718700000",
                author="Marcus Lee",
                published="2010-03-04T11:05:00-08:00",
                html="Would love to see part 2 soon.",
            ),
        ),
    ),
    DemoPost(
        id="7418026915310962431",
        slug="coaching-is-not-inspecting",
        title="Coaching Is Not Inspecting",
        author="The Howard Group",
        published="2010-02-22T07:00:00-08:00",
        labels=("Coaching",),
        html=(
            "<p>Many managers believe they coach when they ask for a deal update. An update is an "
            "inspection: it tells the manager where things stand. Coaching changes what the rep "
            "does next.</p><p>A simple test: after the conversation, does the rep know one thing "
            "to do differently tomorrow?</p>"
        ),
        comments=(
            DemoComment(
                id="1266958800000",
                author="Priya N.",
                published="2010-02-23T13:00:00-08:00",
                html="This one hit home. <script>alert('xss')</script>Bookmarked.",
            ),
        ),
    ),
    DemoPost(
        id="2280394425146061571",
        slug="hiring-your-first-sales-manager",
        title="Hiring Your First Sales Manager",
        author="The Howard Group",
        published="2010-02-15T10:20:00-08:00",
        labels=("Hiring", "Sales Management"),
        html=(
            "<p>The best rep is rarely the best first manager. Look for the person other reps "
            "already ask for help.</p>"
            "<p><b>Lessons Learned:</b></p>"
            "<ul><li>Promote for coaching ability, not quota attainment alone.</li>"
            "<li>Give the new manager a mentor outside the team.</li></ul>"
        ),
    ),
    DemoPost(
        id="5523470113367207759",
        slug="the-first-ninety-days",
        title="The First Ninety Days",
        author="The Howard Group",
        published="2010-02-08T06:45:00-08:00",
        labels=("Coaching", "Leadership"),
        html=(
            "<p>A new leader's first ninety days set the rhythm for the year: the meetings they "
            "keep, the numbers they watch and the people they listen to.</p>"
        ),
    ),
    DemoPost(
        id="8840176650983374312",
        slug="forecasting-without-fear",
        title="Forecasting Without Fear",
        author="The Howard Group",
        published="2010-02-01T09:00:00-08:00",
        labels=("Forecasting",),
        html=(
            "<p>Forecasts fail when reps are punished for honesty. Make it safe to call a deal "
            "lost early.</p>"
        ),
    ),
    DemoPost(
        id="1039937516241126548",
        slug="key-accounts-are-relationships",
        title="Key Accounts Are Relationships",
        author="The Howard Group",
        published="2010-01-25T08:30:00-08:00",
        labels=("Key Accounts",),
        html=(
            "<p>A key account is not a larger deal; it is a relationship with many people, each "
            "with their own idea of success.</p>"
        ),
    ),
)

CONTEMPO_POSTS = (
    DemoPost(
        id="4419283746501928374",
        slug="what-we-learned-from-100-coaching-calls",
        title="What We Learned From 100 Coaching Calls",
        author="Dana Whitfield",
        published="2019-05-14T10:00:00+01:00",
        labels=("Coaching", "Research"),
        html=(
            "<p>Over six months we recorded one hundred coaching calls between sales managers and "
            "their reps, with everyone's consent, and read every transcript.</p>"
            "<h3>Key Points</h3>"
            "<ol><li>Managers talked 70% of the time.</li>"
            "<li>The best calls ended with one agreed next step.</li>"
            "<li>Reps remembered questions, not advice.</li></ol>"
            "<p>We will publish the full method next month.</p>"
        ),
        comments=(
            DemoComment(
                id="7712001",
                author="The Howard Group",
                published="2019-05-14T12:30:00+01:00",
                html="Fascinating numbers. Did talk time differ by tenure?",
                author_url="https://www.blogger.com/profile/17320956620347819042",
            ),
            DemoComment(
                id="7712002",
                author="Dana Whitfield",
                published="2019-05-14T15:10:00+01:00",
                html="It did: new managers talked even more. More on that soon.",
                parent="7712001",
            ),
            DemoComment(
                id="7712003",
                author="Sam Ortiz",
                published="2019-05-15T09:00:00+01:00",
                html=(
                    'Nice work. <img src="x" onerror="alert(1)"> '
                    '<a href="javascript:alert(2)">see this</a>'
                    '<iframe src="http://127.0.0.9/"></iframe>'
                ),
            ),
        ),
    ),
    DemoPost(
        id="4419283746501928375",
        slug="questions-that-coach",
        title="Questions That Coach",
        author="Dana Whitfield",
        published="2019-04-02T08:00:00+01:00",
        labels=("Coaching",),
        html=(
            "<p>Good coaching questions are short, open and about the next action.</p>"
            "<p>TL;DR:<br />• Ask, then wait.<br />• One question at a time.<br />"
            "• End with a next step.</p>"
        ),
    ),
    DemoPost(
        id="4419283746501928376",
        slug="remote-teams-and-rituals",
        title="Remote Teams and Rituals",
        author="Dana Whitfield",
        published="2019-03-11T09:30:00+01:00",
        updated="2019-03-12T18:00:00+01:00",
        labels=("Leadership", "Remote"),
        html=(
            "<p>Rituals hold remote teams together: a weekly win, a shared calendar, a demo.</p>"
            # what a hostile or hacked blog can hold: the archive must keep it inert
            "<script>document.title = 'pwned'</script>"
            '<p>Our calendar: <iframe src="http://127.0.0.9/calendar"></iframe></p>'
            '<p><a href="javascript:alert(3)">Click for the agenda</a>'
            ' <img src="x.png" onerror="alert(4)" alt="agenda"></p>'
        ),
    ),
)

WORDPRESS_POSTS = (
    DemoPost(
        id="41",
        slug="negotiation-is-a-process",
        title="Negotiation Is a Process",
        author="Lena Fischer",
        published="2021-09-20T14:00:00+02:00",
        labels=("Negotiation", "Sales"),
        html=(
            "<p>Most negotiations are lost before the first offer, in the preparation nobody "
            "did.</p><h2>Bottom line</h2><ul><li>Know your walk-away point.</li>"
            "<li>Trade, never give.</li></ul>"
        ),
        comments=(
            DemoComment(
                id="12",
                author="Tom Becker",
                published="2021-09-21T08:12:00+02:00",
                html="<p>Trade, never give &mdash; I am writing that on my wall.</p>",
                author_url="https://tom.example.invalid/",
            ),
            DemoComment(
                id="13",
                author="Lena Fischer",
                published="2021-09-21T10:00:00+02:00",
                html="<p>Glad it helps, Tom!</p>",
                parent="12",
            ),
            DemoComment(
                id="14",
                author="Tom Becker",
                published="2021-09-21T11:30:00+02:00",
                html="<p>It already did, in a renewal this morning.</p>",
                parent="13",
            ),
        ),
    ),
    DemoPost(
        id="37",
        slug="pricing-conversations",
        title="Pricing Conversations",
        author="Lena Fischer",
        published="2021-08-02T09:00:00+02:00",
        labels=("Sales",),
        html="<p>Say the price, then stop talking. Silence is part of the offer.</p>",
    ),
    DemoPost(
        id="33",
        slug="welcome",
        title="Welcome to the Notebook",
        author="Lena Fischer",
        published="2021-07-01T12:00:00+02:00",
        labels=("News",),
        html="<p>This notebook collects what we learn about selling well and fairly.</p>",
    ),
)

CONTACT_PAGE = DemoPage(
    slug="contact",
    title="Contact",
    html="<p>Questions about a workshop? Write to us.</p>",
)

BLOGS = {
    "classic": DemoBlog(
        key="classic",
        title="The Howard Group Sales Coaching Blog",
        description="Notes on sales leadership and coaching.",
        platform="blogger",
        template="blogger_classic.html",
        posts=CLASSIC_POSTS,
        blog_list=("contempo", "wordpress"),
    ),
    "contempo": DemoBlog(
        key="contempo",
        title="Field Notes on Coaching",
        description="Research notes from the coaching floor.",
        platform="blogger",
        template="blogger_contempo.html",
        posts=CONTEMPO_POSTS,
        blog_list=("classic", "dead"),
    ),
    "wordpress": DemoBlog(
        key="wordpress",
        title="Open Sales Notebook",
        description="Selling well and fairly.",
        platform="wordpress",
        template="wordpress.html",
        posts=WORDPRESS_POSTS,
        blog_list=("classic",),
        pages=(CONTACT_PAGE,),
    ),
}
