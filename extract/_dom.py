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
from urllib.parse import urljoin, urlsplit

import lxml.html
import nh3
from lxml.cssselect import CSSSelector
from lxml.etree import ParserError, _Element
from lxml.html import HtmlElement

WHITESPACE = re.compile(r"\s+")
CONTROL_CHARACTERS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ufffe\uffff]")

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
    # characters XML cannot hold (controls, lone surrogates) are no text a reader sees, and lxml
    # refuses them when a copy of the tree is changed: they go before parsing
    data = CONTROL_CHARACTERS.sub("", html).encode("utf-8", "replace")
    parser = lxml.html.HTMLParser(encoding="utf-8", remove_comments=True)
    try:
        root = lxml.html.document_fromstring(data, parser=parser, base_url=url)
    except (ParserError, ValueError):
        root = lxml.html.document_fromstring(b"<html><body></body></html>", base_url=url)
    siblings = [e for e in root.itersiblings() if isinstance(e.tag, str)]
    if siblings:
        # markup before a stray </html> can make libxml2 start a second document element:
        # the page is the one that holds the most
        root = max([root, *siblings], key=lambda element: sum(1 for _ in element.iter()))
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

    On a page from :func:`parse`, selectors made of tags, ids, classes, attribute tests and the
    descendant and child combinators are answered from an index of the page, built once;
    others (pseudo-classes) by lxml's XPath translation.
    """
    index = _index_of(root)
    if index is not None:
        found = index.select(selector)
        if found is not None:
            return found
    return css(selector)(root)  # type: ignore[no-any-return]


#: One compound selector: tag, #id, .classes and [attribute] tests, no pseudo-classes.
COMPOUND = re.compile(
    r"(?P<tag>[a-z][a-z0-9]*|\*)?(?P<rest>(?:\#[\w-]+|\.[\w-]+"
    r"|\[[\w-]+(?:[~^$*|]?=(?:'[^']*'|\"[^\"]*\"|[^\]]*))?\])*)"
)
PART = re.compile(r"\#([\w-]+)|\.([\w-]+)|\[([\w-]+)(?:([~^$*|]?=)('[^']*'|\"[^\"]*\"|[^\]]*))?\]")


@dataclass(frozen=True, slots=True)
class _Compound:
    tag: str | None
    id: str | None
    classes: frozenset[str]
    attributes: tuple[tuple[str, str | None, str], ...]  # (name, operator, value)

    def matches(self, element: _Element) -> bool:
        if self.tag is not None and element.tag != self.tag:
            return False
        if self.id is not None and element.get("id") != self.id:
            return False
        if self.classes and not self.classes <= set((element.get("class") or "").split()):
            return False
        return all(_attribute_matches(element.get(n), op, v) for n, op, v in self.attributes)


def _attribute_matches(actual: str | None, operator: str | None, expected: str) -> bool:
    if actual is None:
        return False
    if operator is None:
        return True
    if operator == "=":
        return actual == expected
    if operator == "~=":
        return expected in actual.split()
    if operator == "^=":
        return bool(expected) and actual.startswith(expected)
    if operator == "$=":
        return bool(expected) and actual.endswith(expected)
    if operator == "*=":
        return bool(expected) and expected in actual
    return actual == expected or actual.startswith(expected + "-")  # |=


@lru_cache(maxsize=1024)
def _compile(selector: str) -> tuple[tuple[tuple[_Compound, ...], tuple[str, ...]], ...] | None:
    """``selector`` as (compounds, combinators) per comma part; ``None`` if it needs XPath."""
    compiled = []
    for part in selector.split(","):
        tokens = re.split(r"\s*(>)\s*|\s+", part.strip())
        compounds: list[_Compound] = []
        combinators: list[str] = []
        pending = " "
        for token in tokens:
            if token is None or token == "":
                continue
            if token == ">":
                pending = ">"
                continue
            compound = _parse_compound(token)
            if compound is None:
                return None
            if compounds:
                combinators.append(pending)
            compounds.append(compound)
            pending = " "
        if not compounds:
            return None
        compiled.append((tuple(compounds), tuple(combinators)))
    return tuple(compiled)


def _parse_compound(token: str) -> _Compound | None:
    match = COMPOUND.fullmatch(token)
    if match is None or not token:
        return None
    tag = match["tag"] if match["tag"] not in (None, "*") else None
    element_id = None
    classes = set()
    attributes = []
    for id_, class_, name, operator, value in PART.findall(match["rest"] or ""):
        if id_:
            element_id = id_
        elif class_:
            classes.add(class_)
        else:
            attributes.append((name, operator or None, value.strip("'\"")))
    return _Compound(tag, element_id, frozenset(classes), tuple(attributes))


class _Index:
    """One page's elements by class and id (built once), by tag and attribute (on demand)."""

    def __init__(self, root: _Element) -> None:
        self.root = root
        self.by_class: dict[str, list[HtmlElement]] = {}
        self.by_id: dict[str, list[HtmlElement]] = {}
        for element in root.xpath("descendant-or-self::*[@class or @id]"):
            for name in set((element.get("class") or "").split()):
                self.by_class.setdefault(name, []).append(element)
            if element.get("id"):
                self.by_id.setdefault(element.get("id"), []).append(element)
        self.by_tag: dict[str, list[HtmlElement]] = {}
        self.by_attribute: dict[str, list[HtmlElement]] = {}
        self._position: dict[HtmlElement, int] | None = None
        self.cache: dict[str, list[HtmlElement] | None] = {}

    @property
    def position(self) -> dict[HtmlElement, int]:
        if self._position is None:
            self._position = {element: n for n, element in enumerate(self.root.iter())}  # type: ignore[misc]
        return self._position

    def tag(self, name: str) -> list[HtmlElement]:
        if name not in self.by_tag:
            self.by_tag[name] = list(self.root.iter(name))  # type: ignore[arg-type]
        return self.by_tag[name]

    def select(self, selector: str) -> list[HtmlElement] | None:
        if selector not in self.cache:
            compiled = _compile(selector)
            self.cache[selector] = None if compiled is None else self._select(compiled)
        found = self.cache[selector]
        return None if found is None else list(found)

    def _pool(self, compound: _Compound) -> list[HtmlElement]:
        """The fewest elements that can match ``compound``, found without testing each one."""
        if compound.id is not None:
            return self.by_id.get(compound.id, [])
        if compound.classes:
            return min((self.by_class.get(c, []) for c in compound.classes), key=len)
        if compound.tag is not None:
            return self.tag(compound.tag)
        if compound.attributes:
            name = compound.attributes[0][0]
            if name not in self.by_attribute:
                self.by_attribute[name] = self.root.xpath(f"descendant-or-self::*[@{name}]")
            return self.by_attribute[name]
        return self.tag("*")

    def _select(
        self, compiled: tuple[tuple[tuple[_Compound, ...], tuple[str, ...]], ...]
    ) -> list[HtmlElement]:
        found: dict[HtmlElement, None] = {}
        for compounds, combinators in compiled:
            # left to right: the first compound is the most selective in the selectors we use
            current = [e for e in self._pool(compounds[0]) if compounds[0].matches(e)]
            for combinator, compound in zip(combinators, compounds[1:], strict=True):
                step: dict[HtmlElement, None] = {}
                for element in current:
                    if combinator == ">":
                        candidates = element.iterchildren()
                    else:
                        candidates = element.iterdescendants()
                    step.update((c, None) for c in candidates if compound.matches(c))
                current = list(step)
            found.update(dict.fromkeys(current))
        results = list(found)
        if len(compiled) > 1 or any(compounds[1:] for compounds, _ in compiled):
            results.sort(key=self.position.__getitem__)  # unions and steps may be out of order
        return results


#: Indexes of the pages :func:`parse` keeps, by the id of their root (checked on lookup).
_INDEXES: dict[int, tuple[_Element, _Index]] = {}


def _index_of(root: _Element) -> _Index | None:
    entry = _INDEXES.get(id(root))
    if entry is None or entry[0] is not root:
        return None
    return entry[1]


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


def lines_of(element: _Element) -> list[Line]:
    """Render ``element`` into lines as a browser would break them (blocks and ``<br>``).

    Each line remembers the innermost ``<li>`` it sits in, so callers can tell list items from
    plain lines.
    """
    lines: list[Line] = []
    buffer: list[str] = []
    current: list[HtmlElement | None] = [None]  # the list item the buffered text belongs to

    def flush() -> None:
        text = normalize_space("".join(buffer))
        buffer.clear()
        if text:
            lines.append(Line(text, current[0]))

    def walk(node: HtmlElement, li: HtmlElement | None) -> None:
        tag = node.tag if isinstance(node.tag, str) else ""
        if tag in INVISIBLE_TAGS:
            return
        is_block = tag in BLOCK_TAGS
        if tag == "li":
            li = node
        if is_block:
            flush()
        current[0] = li
        if tag == "br":
            flush()
        elif tag in ("input", "select", "textarea", "button"):
            pass
        elif node.text:
            buffer.append(node.text)
        for child in node:
            walk(child, li)
            current[0] = li
            if child.tail:
                buffer.append(child.tail)
        if is_block:
            flush()

    walk(element, None)  # type: ignore[arg-type]
    flush()
    return lines


def text_with_breaks(element: _Element) -> str:
    """Visible text with one line per rendered line (what ``content_text`` holds)."""
    return "\n".join(line.text for line in lines_of(element))


def pruned_copy(element: _Element, drop: Sequence[str] = ()) -> HtmlElement:
    """A deep copy of ``element`` without the subtrees that the ``drop`` selectors match."""
    clone = copy.deepcopy(element)
    if not drop:
        return clone  # type: ignore[return-value]
    index = _Index(clone)  # one pass, then every selector is a lookup
    doomed: list[HtmlElement] = []
    for selector in drop:
        found = index.select(selector)
        doomed.extend(css(selector)(clone) if found is None else found)
    for node in doomed:
        if node is not clone and node.getparent() is not None:
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
    try:
        joined = urljoin(url, href)
        urlsplit(joined).port  # noqa: B018 - a port that is no number raises here
    except ValueError:
        return None  # a malformed address is no link
    return joined
