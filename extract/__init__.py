"""Pure extractors: ``(html: str, url: str)`` in, frozen dataclasses out.

No network, no Scrapy, no SQLite. :func:`extract_page` runs them all over one page.
"""

from __future__ import annotations

import copyreg
import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from extract._dom import clean_html
from extract.bloglist import BlogLink, extract_blog_links
from extract.comments import Comment, extract_comments
from extract.forms import Form, FormField, Option, extract_forms
from extract.observations import KeyObservation, extract_observations
from extract.platform import Blog, detect_platform, extract_blog
from extract.post import Post, decide_post, extract_post, post_links

__all__ = [
    "Blog",
    "BlogLink",
    "Comment",
    "Form",
    "FormField",
    "KeyObservation",
    "Option",
    "Page",
    "Post",
    "clean_html",
    "clear_caches",
    "decide_post",
    "detect_platform",
    "extract_blog",
    "extract_blog_links",
    "extract_comments",
    "extract_forms",
    "extract_observations",
    "extract_page",
    "extract_post",
    "post_links",
]


@dataclass(frozen=True, slots=True, kw_only=True)
class Page:
    """Everything the extractors find on one page."""

    url: str
    blog: Blog
    post: Post | None
    comments: tuple[Comment, ...]
    key_observations: tuple[KeyObservation, ...]
    forms: tuple[Form, ...]
    blog_links: tuple[BlogLink, ...]
    #: why the page is, or is not, a post (:func:`~extract.post.decide_post`)
    evidence: str = ""


def _rebuilt(cls: type[Any], values: dict[str, object]) -> Any:
    """A result unpickled: made again from its fields' values."""
    return cls(**values)


def _reduced(result: Any) -> tuple[Any, tuple[type[Any], dict[str, object]]]:
    values = {field.name: getattr(result, field.name) for field in dataclasses.fields(result)}
    return _rebuilt, (type(result), values)


# Results are pickled to and from the crawl's extraction worker. Compiled by mypyc (see
# setup.py), a frozen dataclass loses the __getstate__/__setstate__ that dataclasses gives a
# slotted one, and unpickling it by setattr() fails; these classes pickle as their fields'
# values by name instead, in either build, so either reads what the other wrote.
for _cls in (Blog, BlogLink, Comment, Form, FormField, KeyObservation, Option, Post):
    copyreg.pickle(_cls, _reduced)


def clear_caches() -> None:
    """Forget the parsed pages (their trees are freed), and the matched labels and class words
    kept for reuse (benchmarks time extraction from scratch, and the release of its trees)."""
    from extract import _dom, forms, post

    _dom._parsed.cache_clear()
    _dom._INDEXES.clear()
    _dom._TREE_INDEXES.clear()
    _dom._LINES.clear()
    post.cleaned_body.cache_clear()
    post.short_post_body.cache_clear()
    post._boilerplate_words_of.cache_clear()
    forms._semantic_of_words.cache_clear()


def extract_page(
    html: str,
    url: str,
    *,
    read_comments: Callable[[Post, Blog], bool] | None = None,
    blog_links: bool = True,
) -> Page:
    """Run every extractor over one page (the page is parsed once and shared between them).

    ``read_comments(post, blog)`` says whether the post's comments are read from the page (by
    default they are); a crawl that takes a post's comments from elsewhere (a Blogger comment
    feed) says no for it, and the page's ``comments`` are then empty. Without ``blog_links``,
    the blog list is not read (a crawl reads it from the blog's home page only).
    """
    post, evidence = decide_post(html, url)
    blog = extract_blog(html, url)
    comments = post is not None and (read_comments is None or read_comments(post, blog))
    return Page(
        url=url,
        blog=blog,
        post=post,
        comments=extract_comments(html, url) if comments else (),
        key_observations=extract_observations(html, url) if post else (),
        forms=extract_forms(html, url),
        blog_links=extract_blog_links(html, url) if blog_links else (),
        evidence=evidence,
    )
