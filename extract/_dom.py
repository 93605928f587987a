"""Shared, read-only helpers over an lxml tree: parsing, selectors, text and sanitizing.

Every extractor parses through :func:`parse`, which caches the last trees it built so that
running all extractors over one page parses it once. The cached tree is shared: nothing here or
in the extractors may change it. Code that needs a changed tree works on ``copy.deepcopy``.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from functools import lru_cache
from urllib.parse import urljoin

import lxml.html
import nh3
from lxml.cssselect import CSSSelector
from lxml.etree import ParserError, _Element
from lxml.html import HtmlElement

WHITESPACE = re.compile(r"\s+")

#: Elements that end a line of text when rendered.
BLOCK_TAGS = frozenset(
    "address article aside blockquote body dd div dl dt fieldset figcaption figure footer form h1 "
    "h2 h3 h4 h5 h6 header hr li main nav ol p pre section table tbody td tfoot th thead tr ul "
    "caption legend option select textarea".split()
)
#: Elements whose text is never shown.
INVISIBLE_TAGS = frozenset("script style noscript template head title meta link iframe".split())

#: Tags and attributes kept in sanitized HTML (nh3 removes everything else, scripts included).
ALLOWED_TAGS = frozenset(
    "a abbr b blockquote br caption cite code dd del div dl dt em figcaption figure h1 h2 h3 h4 "
    "h5 h6 hr i img ins kbd li mark ol p pre q s small span strike strong sub sup table tbody td "
    "tfoot th thead time tr u ul".split()
)
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt", "title", "width", "height"},
    "time": {"datetime"},
    "td": {"colspan", "rowspan"},
    "th": {"colspan", "rowspan"},
    "abbr": {"title"},
}


@lru_cache(maxsize=8)
def parse(html: str, url: str) -> HtmlElement:
    """Parse ``html`` with ``url`` as its base. The tree is shared by callers: never change it."""
    data = html.encode("utf-8", "surrogatepass")
    parser = lxml.html.HTMLParser(encoding="utf-8", remove_comments=True)
    try:
        root = lxml.html.document_fromstring(data, parser=parser, base_url=url)
    except (ParserError, ValueError):
        root = lxml.html.document_fromstring(b"<html><body></body></html>", base_url=url)
    if len(_INDEXES) >= 2 * (parse.cache_info().maxsize or 8):
        _INDEXES.clear()  # the pages parse() has dropped; the ones it keeps index again
    _INDEXES[id(root)] = (root, _Index(root))
    return root


@lru_cache(maxsize=512)
def css(selector: str) -> CSSSelector:
    """A compiled CSS selector (compiled once per process)."""
    return CSSSelector(selector, translator="html")


def select(root: _Element, selector: str) -> list[HtmlElement]:
    """Elements matching ``selector`` under ``root``, in document order.

    On a page from :func:`parse`, simple selectors (``tag``, ``.class``, ``tag.class.class``,
    comma-separated) are answered from an index of the page built once; others by XPath.
    """
    index = _index_of(root)
    if index is not None:
        found = index.select(selector)
        if found is not None:
            return found
    return css(selector)(root)  # type: ignore[no-any-return]


SIMPLE_SELECTOR = re.compile(r"^(?P<tag>[a-z][a-z0-9]*)?(?P<classes>(?:\.[\w-]+)*)$")


class _Index:
    """Every element of one page by tag and by class, with its position in the document."""

    def __init__(self, root: _Element) -> None:
        self.by_tag: dict[str, list[HtmlElement]] = {}
        self.by_class: dict[str, list[HtmlElement]] = {}
        self.position: dict[HtmlElement, int] = {}
        for position, element in enumerate(root.iter()):
            tag = element.tag
            if not isinstance(tag, str):
                continue
            self.position[element] = position  # type: ignore[index]
            self.by_tag.setdefault(tag, []).append(element)  # type: ignore[arg-type]
            for name in set((element.get("class") or "").split()):
                self.by_class.setdefault(name, []).append(element)  # type: ignore[arg-type]
        self.cache: dict[str, list[HtmlElement] | None] = {}

    def select(self, selector: str) -> list[HtmlElement] | None:
        if selector not in self.cache:
            self.cache[selector] = self._select(selector)
        found = self.cache[selector]
        return None if found is None else list(found)

    def _select(self, selector: str) -> list[HtmlElement] | None:
        results: dict[HtmlElement, None] = {}
        for part in selector.split(","):
            match = SIMPLE_SELECTOR.match(part.strip())
            if match is None or not (match["tag"] or match["classes"]):
                return None
            classes = [c for c in match["classes"].split(".") if c]
            if classes:
                pool = min((self.by_class.get(c, []) for c in classes), key=len)
                matches = [
                    e
                    for e in pool
                    if (not match["tag"] or e.tag == match["tag"])
                    and set(classes) <= set((e.get("class") or "").split())
                ]
            else:
                matches = self.by_tag.get(match["tag"], [])
            results.update(dict.fromkeys(matches))
        return sorted(results, key=self.position.__getitem__)


#: Indexes of the pages :func:`parse` keeps, by the id of their root (checked on lookup).
_INDEXES: dict[int, tuple[_Element, _Index]] = {}


def _index_of(root: _Element) -> _Index | None:
    entry = _INDEXES.get(id(root))
    if entry is None or entry[0] is not root:
        return None
    return entry[1]


def select_first(root: _Element, selectors: Sequence[str]) -> HtmlElement | None:
    """The first element matched by the first selector, of ``selectors``, that matches anything."""
    for selector in selectors:
        found = select(root, selector)
        if found:
            return found[0]
    return None


def first_attr(root: _Element, selectors: Sequence[tuple[str, str]]) -> str | None:
    """The first non-empty attribute value found by ``(selector, attribute)`` pairs, in order."""
    for selector, attribute in selectors:
        for element in select(root, selector):
            value = (element.get(attribute) or "").strip()
            if value:
                return value
    return None


def first_text(root: _Element, selectors: Sequence[str]) -> str | None:
    """The normalized text of the first matching element that has any text."""
    for selector in selectors:
        for element in select(root, selector):
            text = text_of(element)
            if text:
                return text
    return None


def normalize_space(text: str) -> str:
    return WHITESPACE.sub(" ", text).strip()


def iter_visible_text(element: _Element) -> Iterator[str]:
    """Visible strings of ``element``'s subtree in document order (tails of children included)."""
    if not isinstance(element.tag, str) or element.tag in INVISIBLE_TAGS:
        return
    if element.text:
        yield element.text
    for child in element:
        yield from iter_visible_text(child)
        if child.tail:
            yield child.tail


def text_of(element: _Element) -> str:
    """Visible text of ``element`` on one line, whitespace collapsed."""
    return normalize_space(" ".join(iter_visible_text(element)))


@dataclass(frozen=True, slots=True)
class Line:
    """One rendered line of text, and the list item it belongs to, if any."""

    text: str
    list_item: HtmlElement | None = None
    element: HtmlElement | None = None


def lines_of(element: _Element) -> list[Line]:
    """Render ``element`` into lines as a browser would break them (blocks and ``<br>``).

    Each line remembers the innermost ``<li>`` it sits in and the block element that holds it,
    so callers can tell list items from plain lines.
    """
    lines: list[Line] = []
    buffer: list[str] = []
    state: dict[str, HtmlElement | None] = {"li": None, "block": None}

    def flush() -> None:
        text = normalize_space("".join(buffer))
        buffer.clear()
        if text:
            lines.append(Line(text, state["li"], state["block"]))

    def walk(node: HtmlElement, li: HtmlElement | None, block: HtmlElement | None) -> None:
        tag = node.tag if isinstance(node.tag, str) else ""
        if tag in INVISIBLE_TAGS:
            return
        is_block = tag in BLOCK_TAGS
        if tag == "li":
            li = node
        if is_block:
            flush()
            block = node
        state["li"], state["block"] = li, block
        if tag == "br":
            flush()
        elif tag in ("input", "select", "textarea", "button"):
            pass
        elif node.text:
            buffer.append(node.text)
        for child in node:
            walk(child, li, block)
            state["li"], state["block"] = li, block
            if child.tail:
                buffer.append(child.tail)
        if is_block:
            flush()

    walk(element, None, None)  # type: ignore[arg-type]
    flush()
    return lines


def text_with_breaks(element: _Element) -> str:
    """Visible text with one line per rendered line (what ``content_text`` holds)."""
    return "\n".join(line.text for line in lines_of(element))


def pruned_copy(element: _Element, drop: Sequence[str] = ()) -> HtmlElement:
    """A deep copy of ``element`` without the subtrees that the ``drop`` selectors match."""
    clone = copy.deepcopy(element)
    for selector in drop:
        for node in select(clone, selector):
            if node is not clone:
                node.drop_tree()
    return clone  # type: ignore[return-value]


def sanitize(element: _Element, url: str) -> str:
    """Safe HTML for ``element``'s content: links made absolute, scripts and handlers removed."""
    clone = copy.deepcopy(element)
    clone.make_links_absolute(url, resolve_base_href=False)
    inner = (clone.text or "") + "".join(
        lxml.html.tostring(child, encoding="unicode") for child in clone
    )
    return clean_html(inner)


def clean_html(html: str) -> str:
    """``html`` with only the allowed tags, attributes and URL schemes (nh3, an ammonia binding)."""
    return nh3.clean(
        html,
        tags=set(ALLOWED_TAGS),
        attributes={tag: set(attrs) for tag, attrs in ALLOWED_ATTRIBUTES.items()},
        url_schemes={"http", "https", "mailto"},
        link_rel="nofollow noopener noreferrer",
    ).strip()


def absolute(url: str, href: str | None) -> str | None:
    if not href:
        return None
    href = href.strip()
    if not href or href.startswith(("javascript:", "mailto:", "data:", "#")):
        return None
    return urljoin(url, href)
