"""A form described once is not described again on the next page that holds it: the
description kept is the one :func:`extract.forms.describe_form` gives on that page, whatever
around the form differs (its heading, the labels outside it, the page's address)."""

from __future__ import annotations

import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from blogarchive import evaluate
from extract import extract_forms
from extract._dom import parse
from extract.forms import describe_form

CORPUS = evaluate.default_corpus()


def described_afresh(html: str, url: str) -> tuple[object, ...]:
    return tuple(describe_form(form, url) for form in parse(html, url).iter("form"))


@pytest.mark.corpus
def test_the_forms_corpus_read_twice_in_any_order_gives_each_pages_own_forms() -> None:
    """Every page of the forms corpus (509 pages of many sites), read in a shuffled order
    twice over, so that the descriptions kept come from other pages and other sites."""
    if CORPUS is None:
        pytest.skip("../shared/corpus is not beside the project")
    pages = evaluate.form_pages(CORPUS)
    order = sorted(pages) * 2
    random.Random(7).shuffle(order)
    compared = 0
    for key in order:
        html = evaluate.read_page(CORPUS / "forms" / key, encoding="utf-8")
        url = pages[key]["url"]
        assert extract_forms(html, url) == described_afresh(html, url), key
        compared += 1
    assert compared == 2 * len(pages)


SIDEBAR_FORM = (
    '<form action="{action}" method="post" class="follow-by-email-inner">'
    '<input type="email" name="email" id="{control}" placeholder="Email address">'
    '{inside}<input type="submit" value="Submit"></form>'
)


@st.composite
def pages_with_one_form(draw: st.DrawFn) -> tuple[str, str]:
    """A page holding the same sidebar form as many others, in a context drawn at random."""
    heading = draw(st.sampled_from(["", "<h2>Follow by Email</h2>", "<h2>Newsletter</h2>"]))
    control = draw(st.sampled_from(["email-1", "email-2"]))
    label = draw(st.sampled_from(["", "Your address", "E-mail"]))
    outside = f'<label for="{draw(st.sampled_from(["email-1", "email-2"]))}">{label}</label>'
    inside = draw(st.sampled_from(["", f'<label for="{control}">Mail</label>']))
    if draw(st.booleans()):  # a group, whose label a <fieldset> around the form gives
        inside += '<input type="radio" name="often" value="d"><input type="radio" name="often">'
    form = SIDEBAR_FORM.format(
        action=draw(st.sampled_from(["", "subscribe", "/subscribe", "http://other.test/x"])),
        control=control,
        inside=inside,
    )
    if draw(st.booleans()):
        form = f"<fieldset><legend>Around</legend>{form}</fieldset>"
    if draw(st.booleans()):
        form = form.replace('name="email"', 'name="email" aria-labelledby="said"')
    before, after = (outside, "") if draw(st.booleans()) else ("", outside)
    html = (
        f'<html><body><p id="said">Said elsewhere</p><div class="widget">{heading}'
        f"{before if label else ''}<div class='widget-content'>{form}</div>"
        f"{after if label else ''}</div></body></html>"
    )
    url = draw(st.sampled_from(["http://a.test/2024/01/p.html", "http://b.test/x/y.html"]))
    return html, url


@given(st.lists(pages_with_one_form(), min_size=2, max_size=6))
@settings(max_examples=200, deadline=None)
def test_a_form_kept_from_another_page_is_what_this_page_gives(
    pages: list[tuple[str, str]],
) -> None:
    for html, url in pages:
        assert extract_forms(html, url) == described_afresh(html, url)


def test_a_blogs_pages_share_their_sidebar_forms() -> None:
    """The description is made once and given again (the same object) on another page of the
    same blog, and made anew where the heading differs, or the page's address where the form
    submits to the page itself."""
    form = SIDEBAR_FORM.format(action="/subscribe", control="e", inside="")
    page = "<html><body><h2>Follow</h2><div>{form}</div><p>{n}</p></body></html>"
    first = extract_forms(page.format(form=form, n=1), "http://a.test/2024/01/one.html")
    second = extract_forms(page.format(form=form, n=2), "http://a.test/2024/02/two.html")
    assert first[0] is second[0]
    assert first[0].action == "http://a.test/subscribe"
    other = extract_forms(
        page.format(form=form, n=1).replace("Follow", "Subscribe"), "http://a.test/"
    )
    assert other[0] is not first[0]
    assert other[0].title == "Subscribe"
    to_itself = form.replace('action="/subscribe"', 'action=""')
    here, there = (
        extract_forms(page.format(form=to_itself, n=1), url)[0]
        for url in ("http://a.test/2024/01/one.html", "http://a.test/2024/02/two.html")
    )
    assert (here.action, there.action) == (
        "http://a.test/2024/01/one.html",
        "http://a.test/2024/02/two.html",
    )
