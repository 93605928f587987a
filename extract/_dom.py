"""Shared, read-only helpers over an lxml tree: parsing, selectors, text and sanitizing.

Every extractor parses through :func:`parse`, which caches the last trees it built so that
running all extractors over one page parses it once. The cached tree is shared: nothing here or
in the extractors may change it. Code that needs a changed tree works on a copy (:func:`copy_tree`).
"""

from __future__ import annotations

import copy
import re
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache, partial
from html import escape as html_escape
from typing import Final, TypeAlias
from urllib.parse import urljoin, urlsplit

import nh3
from lxml import etree
from lxml.cssselect import CSSSelector
from lxml.etree import _Element

from extract.urls import ALREADY_ABSOLUTE

#: An element of a parsed page (lxml's own class: lxml.html's lookup costs a call per element).
Node: TypeAlias = _Element

#: C0 controls but tab, newline and carriage return, and DEL: no text a reader sees, and XML
#: cannot hold them (lxml refuses them when a copy of the tree is changed).
CONTROL_BYTES: Final = bytes([*range(0x09), 0x0B, 0x0C, *range(0x0E, 0x20), 0x7F])
_CONTROL_BYTES: Final = [bytes([byte]) for byte in CONTROL_BYTES]
#: U+FFFE and U+FFFF in UTF-8: not characters either.
NONCHARACTERS: Final = ("\ufffe".encode(), "\uffff".encode())

#: Elements that end a line of text when rendered.
BLOCK_TAGS: Final = frozenset(
    "address article aside blockquote body dd div dl dt fieldset figcaption figure footer form h1 "
    "h2 h3 h4 h5 h6 header hr li main nav ol p pre section table tbody td tfoot th thead tr ul "
    "caption legend option select textarea".split()
)
#: Elements whose text is never shown.
INVISIBLE_TAGS: Final = frozenset(
    "script style noscript template head title meta link iframe".split()
)

#: Tags and attributes kept in sanitized HTML (nh3 removes everything else, scripts included).
ALLOWED_TAGS: Final = frozenset(
    "a abbr b blockquote br caption cite code dd del div dl dt em figcaption figure h1 h2 h3 h4 "
    "h5 h6 hr i img ins kbd li mark ol p pre q s small span strike strong sub sup table tbody td "
    "tfoot th thead time tr u ul".split()
)
ALLOWED_ATTRIBUTES: Final = {
    "a": {"href", "title"},
    "img": {"src", "alt", "title", "width", "height"},
    "time": {"datetime"},
    "td": {"colspan", "rowspan"},
    "th": {"colspan", "rowspan"},
    "abbr": {"title"},
}


#: How many parsed pages :func:`parse` keeps, and their indexes (twice as many): a page is asked
#: again only while it is being extracted, and each tree kept holds memory.
PAGES_KEPT: Final = 4


def parse(html: str, url: str) -> Node:
    """Parse ``html`` with ``url`` as its base. The tree is shared by callers: never change it."""
    root, index = _parsed(html, url)
    # the pages parsed last keep their indexes: a page's extractors may parse other HTML (a
    # fallback's output) between two questions about the page
    key = id(root)
    if _INDEXES.pop(key, None) is None and len(_INDEXES) >= 2 * PAGES_KEPT:
        del _INDEXES[next(iter(_INDEXES))]
    _INDEXES[key] = (root, index)
    return root


@lru_cache(maxsize=PAGES_KEPT)
def _parsed(html: str, url: str) -> tuple[Node, _Index]:
    root = _parse(html, url)
    return root, _Index(root)


def parse_fragment(html: str, url: str) -> Node:
    """The ``<body>`` of a fragment of HTML (a comment from a feed): a tree of the caller's own,
    neither kept nor indexed, for the few questions asked of a fragment."""
    body = _parse(f"<html><body>{html}</body></html>", url).find("body")
    return body if body is not None else etree.Element("body")


def _parse(html: str, url: str) -> Node:
    # characters XML cannot hold go before parsing (lone surrogates become "?")
    # (looked for before they are removed: a search per byte is faster than one translate)
    data = html.encode("utf-8", "replace")
    if any(byte in data for byte in _CONTROL_BYTES):
        data = data.translate(None, CONTROL_BYTES)
    if "\ufffe" in html or "\uffff" in html:  # faster to find in the text than in its bytes
        data = data.replace(NONCHARACTERS[0], b"").replace(NONCHARACTERS[1], b"")
    # no table of ids: nothing asks XPath's id(), and the page's index keeps its own (libxml2
    # then does less work a page)
    parser = etree.HTMLParser(encoding="utf-8", remove_comments=True, collect_ids=False)
    try:
        root = etree.fromstring(data, parser=parser, base_url=url)
    except (etree.ParserError, etree.XMLSyntaxError, ValueError):
        root = None
    if root is None:  # an empty document
        root = etree.fromstring(b"<html><body></body></html>", parser=parser, base_url=url)
    siblings = [e for e in root.itersiblings() if isinstance(e.tag, str)]
    if siblings:
        # markup before a stray </html> can make libxml2 start a second document element:
        # the page is the one that holds the most
        root = max([root, *siblings], key=lambda element: sum(1 for _ in element.iter()))
    return root


@lru_cache(maxsize=512)
def css(selector: str) -> CSSSelector:
    """A compiled CSS selector (compiled once per process)."""
    return CSSSelector(selector, translator="html")


def select(root: _Element, selector: str) -> list[Node]:
    """Elements matching ``selector`` under ``root``, in document order.

    On a page from :func:`parse` (or a tree given to :func:`index_tree`), the answer comes from
    the page's index (see ``_Index``) and is kept for the next call; under an element of such a
    page, it is the page's answer cut to the element's subtree; under any other element, it
    comes from lxml's XPath translation.
    """
    index = _index_of(root)
    if index is not None:
        return index.select(selector)
    page = root.getroottree().getroot()
    if page is not root:
        index = _index_of(page)
        if index is not None:
            return index.select_under(root, selector)  # a comment, a widget
    return css(selector)(root)  # type: ignore[no-any-return]


#: One compound selector: tag, #id, .classes, [attribute] tests and :not() of those.
COMPOUND: Final = re.compile(
    r"(?P<tag>[a-z][a-z0-9]*|\*)?(?P<rest>(?:\#[\w-]+|\.[\w-]+"
    r"|\[[\w-]+(?:[~^$*|]?=(?:'[^']*'|\"[^\"]*\"|[^\]]*))?\]|:not\([^()]+\))*)"
)
PART: Final = re.compile(
    r"\#([\w-]+)|\.([\w-]+)|\[([\w-]+)(?:([~^$*|]?=)('[^']*'|\"[^\"]*\"|[^\]]*))?\]"
    r"|:not\(([^()]+)\)"
)


@dataclass(frozen=True, slots=True)
class _Compound:
    tag: str | None
    id: str | None
    classes: frozenset[str]
    attributes: tuple[tuple[str, str | None, str], ...]  # (name, operator, value)
    negations: tuple[_Compound, ...] = ()

    @property
    def pooled(self) -> bool:
        """Whether the index's list for this compound holds only matches: one class, an id or
        a tag, and no other test."""
        tests = len(self.classes) + (self.id is not None) + (self.tag is not None)
        return tests == 1 and len(self.classes) <= 1 and not self.attributes and not self.negations

    def matches(self, element: _Element) -> bool:
        # loops rather than all() and any(): a selector's context is checked ancestor by
        # ancestor, and a generator made per test was a third of the test's time
        if self.tag is not None and element.tag != self.tag:
            return False
        if self.id is not None and element.get("id") != self.id:
            return False
        if self.classes:
            value = element.get("class")
            if value is None or not self.classes.issubset(value.split()):
                return False
        for name, operator, expected in self.attributes:
            if not _attribute_matches(element.get(name), operator, expected):
                return False
        for negation in self.negations:  # noqa: SIM110 - see above
            if negation.matches(element):
                return False
        return True


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
    negations = []
    for id_, class_, name, operator, value, negated in PART.findall(match["rest"] or ""):
        if id_:
            element_id = id_
        elif class_:
            classes.add(class_)
        elif negated:
            negation = _parse_compound(negated.strip())
            if negation is None or negation.negations:
                return None  # a selector list or a nested :not(): left to lxml
            negations.append(negation)
        else:
            attributes.append((name, operator or None, value.strip("'\"")))
    return _Compound(tag, element_id, frozenset(classes), tuple(attributes), tuple(negations))


_HAVING_CLASS: Final = etree.XPath("descendant-or-self::*[@class]")

#: Tags the extractors' selectors ask for that pages hold few of.
RARE_TAGS: Final = frozenset(
    "abbr article aside body footer form h1 header iframe label link main meta nav noscript "
    "script section style time title".split()
)
#: Attributes the extractors' selectors test most (pages' metadata and microdata, labels),
#: and those whose elements a selector counts to choose its pool (``abbr[title]``,
#: ``[itemtype$=...]``): pooled in the index's one pass, not found by a walk of their own.
POOLED_ATTRIBUTES: Final = frozenset(
    ("rel", "type", "name", "property", "itemprop", "itemtype", "datetime", "for", "title")
)


class _Index:
    """One page's elements by class and id, and the answers to the selectors asked of it.

    Selectors of tags, ids, classes, attribute tests and the descendant and child combinators are
    answered from lists of the page's elements, others (pseudo-classes) by lxml's XPath
    translation. Answers are kept, so asking again costs nothing.
    """

    def __init__(self, root: _Element) -> None:
        self.root = root
        self.by_class: dict[str, list[Node]] = {}
        self.by_id: dict[str, list[Node]] = {}
        # by rare tag name and by "@attribute"
        pools: dict[str, list[Node]] = {tag: [] for tag in RARE_TAGS}
        by_attribute: dict[str, list[Node]] = {name: [] for name in POOLED_ATTRIBUTES}
        pools.update((f"@{name}", elements) for name, elements in by_attribute.items())
        having_class: list[Node] = []
        having_id: list[Node] = []
        pools["@class"], pools["@id"] = having_class, having_id
        by_class, by_id = self.by_class, self.by_id
        # one pass over the page's elements, in document order (attribute names first: most
        # values are not needed, and making strings of them all costs more than asking for some).
        # The annotations let mypyc (setup.py) call str's and list's own code on lxml's answers.
        elements: list[Node] = list(root.iter(etree.Element))
        for element in elements:
            names: list[str] = element.keys()
            for name in names:
                if name == "class":
                    having_class.append(element)
                    classes: str = element.get("class")
                    for class_name in classes.split():
                        found = by_class.get(class_name)
                        if found is None:
                            by_class[class_name] = [element]
                        elif found[-1] is not element:  # class="a a"
                            found.append(element)
                elif name == "id":
                    having_id.append(element)
                    value: str = element.get("id")
                    if value:
                        found = by_id.get(value)
                        if found is None:
                            by_id[value] = [element]
                        else:
                            found.append(element)
                else:
                    found = by_attribute.get(name)
                    if found is not None:
                        found.append(element)
        # the few elements of the rare tags, found by libxml2 (faster than reading every tag)
        for element in root.iter(*RARE_TAGS):
            tag: str = element.tag
            pools[tag].append(element)
        self.pools = pools
        # elements by (pooled attribute, value), for [itemprop=author] and a[rel=author]: made
        # for an attribute when a selector first tests its value
        self._by_value: dict[str, dict[str, list[Node]]] = {}
        self._position: dict[Node, int] | None = None
        self._class_names: str | None = None
        self._class_names_lower: str | None = None
        self._id_order: dict[Node, int] | None = None
        self.cache: dict[str, list[Node] | None] = {}
        # the positions of a selector's answer, and the span of the last subtree asked about
        self._positions: dict[str, list[int]] = {}
        self._span: tuple[Node | None, int, int] = (None, 0, 0)

    @property
    def position(self) -> dict[Node, int]:
        if self._position is None:
            self._position = {element: n for n, element in enumerate(self.root.iter())}  # type: ignore[misc]
        return self._position

    def in_document_order(self, elements: Iterable[Node]) -> list[Node]:
        """``elements`` sorted as the page has them: a few by their paths from the root, many
        by the position of every element of the page (counted once per page)."""
        found = list(elements)
        if self._position is None and len(found) <= FEW_TO_SORT:
            return sorted(found, key=document_path)
        return sorted(found, key=self.position.__getitem__)

    def select(self, selector: str) -> list[Node]:
        return list(self._answer(selector))

    def _answer(self, selector: str) -> list[Node]:
        """The page's answer to ``selector``, worked out once and kept (do not change it)."""
        found = self.cache.get(selector)
        if found is None:
            found = self.cache[selector] = self._select(selector)
        return found

    def select_under(self, node: Node, selector: str) -> list[Node]:
        """What ``select(node, selector)`` finds, for ``node`` an element of the page: the
        page's answer (kept) cut by position to ``node``'s subtree, less the elements whose
        ancestors the selector asks for are not at or under ``node``."""
        compiled = _compile(selector)
        if compiled is None:
            return css(selector)(node)  # type: ignore[no-any-return]  # pseudo-classes
        found = self._answer(selector)
        if not found:
            return []
        positions = self._positions.get(selector)
        if positions is None:
            order = self.position
            positions = self._positions[selector] = [order[element] for element in found]
        if self._span[0] is not node:
            last = node
            while len(last):
                last = last[-1]
            self._span = (node, self.position[node], self.position[last])
        _, start, end = self._span
        matches = found[bisect_left(positions, start) : bisect_right(positions, end)]
        if matches and any(len(compounds) > 1 for compounds, _ in compiled):
            matches = [
                element
                for element in matches
                if any(
                    compounds[-1].matches(element)
                    and _in_context(element, compounds, combinators, node)
                    for compounds, combinators in compiled
                )
            ]
        return matches

    def _select(self, selector: str) -> list[Node]:
        compiled = _compile(selector)
        if compiled is None:
            return css(selector)(self.root)  # type: ignore[no-any-return]  # pseudo-classes
        if len(compiled) == 1 and len(compiled[0][0]) == 1 and compiled[0][0][0].pooled:
            return list(self._pool(compiled[0][0][0]))  # ".sharedaddy", "#comments", "script"
        found: dict[Node, None] = {}
        ordered = len(compiled) == 1
        for compounds, combinators in compiled:
            if any(_indexed(compound) and not self._pool(compound) for compound in compounds):
                continue  # a class or id the page does not have: nothing matches
            first, last = compounds[0], compounds[-1]
            if len(compounds) > 1 and _indexed(first) and not _indexed(last):
                # ".post-labels a": down from the few elements with the class
                found.update(dict.fromkeys(self._descend(compounds, combinators)))
                ordered = False
                continue
            # right to left, as browsers do: the last compound's id, class, attribute or tag
            # gives a short list, whose ancestors are then checked
            found.update(
                (element, None)
                for element in self._pool(last)
                if last.matches(element) and _in_context(element, compounds, combinators, self.root)
            )
        results = list(found)
        if not ordered:
            results = self.in_document_order(results)  # a union of lists in document order
        return results

    def _descend(
        self, compounds: tuple[_Compound, ...], combinators: tuple[str, ...]
    ) -> list[Node]:
        current = [e for e in self._pool(compounds[0]) if compounds[0].matches(e)]
        for combinator, compound in zip(combinators, compounds[1:], strict=True):
            step: dict[Node, None] = {}
            for element in current:
                if combinator == ">":
                    candidates = element.iterchildren()
                elif compound.tag is not None:
                    candidates = element.iterdescendants(compound.tag)
                else:
                    candidates = element.iterdescendants()
                step.update((c, None) for c in candidates if compound.matches(c))
            current = list(step)
        return current

    def _pool(self, compound: _Compound) -> list[Node]:
        """The fewest elements that can match ``compound``, found without testing each one."""
        if compound.id is not None:
            return self.by_id.get(compound.id, [])
        if compound.classes:
            if len(compound.classes) == 1:  # most: no generator for min() to run
                (name,) = compound.classes
                return self.by_class.get(name, [])
            return min((self.by_class.get(c, []) for c in compound.classes), key=len)
        for name, operator, value in compound.attributes:
            if name == "class" and operator in ("*=", "^=", "$=", "~=", "=") and value:
                return self._classes_like(value)
            if operator in ("=", "~=") and name in POOLED_ATTRIBUTES:
                if operator == "=" and name in self._by_value:
                    return self._by_value[name].get(value, [])
                # the page's <link>s or <meta>s, when they are fewer than the elements with the
                # attribute (most rel attributes are on links in the text), filtered here: a
                # comprehension tests an element in a sixth of the time a compound does
                candidates = self.pools[f"@{name}"]
                tagged = self.pools.get(compound.tag or "")
                if tagged is not None and len(tagged) < len(candidates):
                    candidates = tagged
                elif operator == "=":
                    return self._with_value(name).get(value, [])  # tabled: asked for again
                if operator == "~=":  # a word of rel is asked for once a page ("a[rel~=tag]")
                    return [e for e in candidates if value in (e.get(name) or "").split()]
                return [e for e in candidates if e.get(name) == value]
            if operator == "^=" and name == "id" and value:
                return self._ids_starting(value)
        if compound.tag in RARE_TAGS:
            tagged = self._tag(compound.tag)
            if not compound.attributes or len(tagged) <= len(
                self._having(compound.attributes[0][0])
            ):
                return tagged
        if compound.attributes:
            return self._having(compound.attributes[0][0])
        return self._tag(compound.tag or "*")

    def _classes_like(self, value: str) -> list[Node]:
        """Elements with a class name that contains ``value`` (a superset for any operator on
        ``@class`` whose value has no space)."""
        if " " in value:
            return self._having("class")
        return self.having_class(_literal(value))

    @property
    def class_names(self) -> str:
        """The page's class names, one a line (one search of all of them finds the names)."""
        if self._class_names is None:
            self._class_names = "\n".join(self.by_class)
        return self._class_names

    def having_class(self, pattern: re.Pattern[str]) -> list[Node]:
        """Elements with a class name in which ``pattern`` finds a match, in document order
        (do not change the list)."""
        names = {
            self._name_around(m.start(), m.end()): None for m in pattern.finditer(self.class_names)
        }
        return self._having_names(names)

    def having_class_word(self, words: frozenset[str]) -> list[Node]:
        """Elements with a class name one of whose parts between ``-`` and ``_`` is one of
        ``words`` (lower case), in any case, in document order (do not change the list).

        Each word is found by ``str.find`` in the names lowered: Python's regular expressions
        try an alternation of words case-insensitively at every character, ten times as long
        (0.2 ms on the median corpus page's 3,000 characters of class names).
        """
        text = self.class_names
        if self._class_names_lower is None:
            self._class_names_lower = text.lower()
        lowered = self._class_names_lower
        if len(lowered) != len(text):  # a character lowered to two: offsets differ
            return self.having_class(class_word_pattern(words))
        names: dict[str, None] = {}
        for word in words:
            start = lowered.find(word)
            while start >= 0:
                end = start + len(word)
                if (start == 0 or lowered[start - 1] in CLASS_WORD_EDGES) and (
                    end == len(lowered) or lowered[end] in CLASS_WORD_EDGES
                ):
                    names[self._name_around(start, end)] = None
                start = lowered.find(word, start + 1)
        return self._having_names(names)

    def _name_around(self, start: int, end: int) -> str:
        """The class name (a line of ``class_names``) that holds ``start:end``."""
        text = self.class_names
        line_end = text.find("\n", end)
        return text[text.rfind("\n", 0, start) + 1 : line_end if line_end >= 0 else len(text)]

    def _having_names(self, names: Iterable[str]) -> list[Node]:
        lists = [self.by_class[name] for name in names]
        if len(lists) == 1:
            return lists[0]
        return self.in_document_order({element: None for elements in lists for element in elements})

    def _with_value(self, name: str) -> dict[str, list[Node]]:
        """Elements with a pooled attribute, by its value."""
        found = self._by_value.get(name)
        if found is None:
            found = self._by_value[name] = {}
            for element in self.pools[f"@{name}"]:
                found.setdefault(element.get(name), []).append(element)
        return found

    def _ids_starting(self, prefix: str) -> list[Node]:
        """Elements whose id starts with ``prefix``, in document order."""
        lists = [elements for name, elements in self.by_id.items() if name.startswith(prefix)]
        if len(lists) <= 1:
            return lists[0] if lists else []
        if self._id_order is None:
            self._id_order = {element: n for n, element in enumerate(self.pools["@id"])}
        return sorted((e for elements in lists for e in elements), key=self._id_order.__getitem__)

    def _having(self, attribute: str) -> list[Node]:
        key = f"@{attribute}"
        if key not in self.pools:
            self.pools[key] = self.root.xpath(f"descendant-or-self::*[@{attribute}]")
        return self.pools[key]

    def _tag(self, name: str) -> list[Node]:
        if name not in self.pools:
            self.pools[name] = list(self.root.iter(name))  # type: ignore[arg-type]
        return self.pools[name]


def _indexed(compound: _Compound) -> bool:
    return compound.id is not None or bool(compound.classes)


def _in_context(
    element: Node, compounds: tuple[_Compound, ...], combinators: tuple[str, ...], root: Node
) -> bool:
    """Whether ``element`` (matching ``compounds[-1]``) has the ancestors the rest ask for, at
    or under ``root`` (as a selector asked of ``root`` sees them)."""
    if len(compounds) == 1:
        return True
    if element is root:
        return False  # the ancestors it needs are outside the tree asked
    wanted, rest = compounds[-2], compounds[:-1]
    if combinators[-1] == ">":
        parent = element.getparent()
        return (
            parent is not None
            and wanted.matches(parent)
            and _in_context(parent, rest, combinators[:-1], root)
        )
    for ancestor in element.iterancestors():
        if wanted.matches(ancestor) and _in_context(ancestor, rest, combinators[:-1], root):
            return True
        if ancestor is root:
            break
    return False


#: Indexes of the pages :func:`parse` keeps, by the id of their root (checked on lookup).
_INDEXES: Final[dict[int, tuple[_Element, _Index]]] = {}


#: Indexes of the trees :func:`index_tree` was given, by the id of their root.
_TREE_INDEXES: Final[dict[int, tuple[_Element, _Index]]] = {}


def _index_of(root: _Element) -> _Index | None:
    entry = _INDEXES.get(id(root)) or _TREE_INDEXES.get(id(root))
    if entry is None or entry[0] is not root:
        return None
    return entry[1]


def index_tree(root: _Element) -> _Element:
    """Index the tree under ``root`` (a copy the caller built, or a part of a page), so that
    :func:`select` under ``root`` answers from the index, as on a page from :func:`parse`:
    worth it when many selectors are asked of it. Afterwards, only attributes the index does
    not keep (``href``, ``src``) may change: answers given are kept."""
    if len(_TREE_INDEXES) >= 32:
        _TREE_INDEXES.clear()
    _TREE_INDEXES[id(root)] = (root, _Index(root))
    return root


def having_class(root: _Element, pattern: re.Pattern[str]) -> list[Node]:
    """Elements under ``root`` with a class name in which ``pattern`` finds a match, in document
    order. ``^`` and ``$`` stand for the start and end of a name only with ``re.MULTILINE``, and
    the pattern must not match a line break (the page's names are searched as lines)."""
    index = _index_of(root)
    if index is None:
        return [
            element
            for element in _HAVING_CLASS(root)
            if any(pattern.search(name) for name in element.get("class").split())
        ]
    return list(index.having_class(pattern))


def having_class_word(root: _Element, words: frozenset[str]) -> list[Node]:
    """Elements under ``root`` with a class name one of whose parts between ``-`` and ``_`` is
    one of ``words`` (lower case), in any case (``intro`` finds ``entry-intro``, ``Intro_Text``),
    in document order."""
    index = _index_of(root)
    if index is None:
        return having_class(root, class_word_pattern(words))
    return list(index.having_class_word(words))


#: What a word of a class name starts and ends at (a line break: names are searched as lines).
CLASS_WORD_EDGES: Final = "\n_-"


@lru_cache(maxsize=16)
def class_word_pattern(words: frozenset[str]) -> re.Pattern[str]:
    """A class name with one of ``words`` between its ``-`` and ``_`` separators."""
    alternatives = "|".join(re.escape(word) for word in sorted(words))
    return re.compile(rf"(?:^|[_-])(?:{alternatives})(?:[_-]|$)", re.IGNORECASE | re.MULTILINE)


@lru_cache(maxsize=64)
def _literal(value: str) -> re.Pattern[str]:
    return re.compile(re.escape(value))


#: Up to this many elements are sorted by their paths (see ``_Index.in_document_order``).
FEW_TO_SORT: Final = 32


def document_path(element: _Element) -> list[int]:
    """The indexes of ``element`` and its ancestors among their siblings, from the root down:
    elements sort by these as their document has them."""
    path = []
    parent = element.getparent()
    while parent is not None:
        path.append(parent.index(element))
        element, parent = parent, parent.getparent()
    path.reverse()
    return path


def precedes(element: _Element, other: _Element) -> bool:
    """Whether ``element`` starts before ``other`` in their document."""
    return document_path(element) < document_path(other)


def first_attr(root: _Element, selectors: Sequence[tuple[str, str]]) -> str | None:
    """The first non-empty attribute value found by ``(selector, attribute)`` pairs, in order."""
    return first_attr_found(partial(select, root), selectors)


def first_attr_found(
    find: Callable[[str], Iterable[Node]], selectors: Sequence[tuple[str, str]]
) -> str | None:
    """:func:`first_attr` with ``find(selector)`` for the elements a selector finds (a part
    of a page that is not one subtree, such as a comment less its replies)."""
    for selector, attribute in selectors:
        for element in find(selector):
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


def drop_tree(node: Node) -> None:
    """Remove ``node`` and its subtree, keeping its tail text (lxml.html's ``drop_tree``)."""
    parent = node.getparent()
    if parent is None:
        return
    if node.tail:
        previous = node.getprevious()
        if previous is None:
            parent.text = (parent.text or "") + node.tail
        else:
            previous.tail = (previous.tail or "") + node.tail
    parent.remove(node)


def text_content(element: _Element) -> str:
    """All the text of ``element``, hidden text included (lxml.html's ``text_content``).

    libxml2's text serializer gives the same string as XPath's ``string()`` (checked on every
    element of the corpus) in half the time.
    """
    return etree.tostring(element, method="text", encoding="unicode", with_tail=False)  # type: ignore[no-any-return]


def normalize_space(text: str) -> str:
    return " ".join(text.split())


def visible_strings(element: _Element) -> list[str]:
    """Visible strings of ``element``'s subtree in document order (tails of children included)."""
    strings: list[str] = []
    if isinstance(element.tag, str) and element.tag not in INVISIBLE_TAGS:
        _add_visible(element, strings)
    return strings


def _add_visible(element: _Element, strings: list[str]) -> None:
    # appends rather than yields: a generator chain hands each string up through every level
    if element.text:
        strings.append(element.text)
    for child in element:
        tag = child.tag
        if isinstance(tag, str) and tag not in INVISIBLE_TAGS:
            _add_visible(child, strings)
        if child.tail:
            strings.append(child.tail)


def text_of(element: _Element) -> str:
    """Visible text of ``element`` on one line, whitespace collapsed."""
    return normalize_space(" ".join(visible_strings(element)))


@dataclass(frozen=True, slots=True)
class Line:
    """One rendered line of text, and the list item it belongs to, if any."""

    text: str
    list_item: Node | None = None


def lines_of(element: _Element) -> list[Line]:
    """Render ``element`` into lines as a browser would break them (blocks and ``<br>``).

    Each line remembers the innermost ``<li>`` it sits in, so callers can tell list items from
    plain lines. The lines of a tree :func:`pruned_copy` or the extractors built are kept with
    it, so rendering the same copy twice walks it once.
    """
    cached = _LINES.get(id(element))
    if cached is not None and cached[0] is element:
        return cached[1]
    lines: list[Line] = []
    buffer: list[str] = []
    if isinstance(element.tag, str) and element.tag not in INVISIBLE_TAGS:
        _render(element, None, buffer, lines)
    _flush(buffer, lines, None)
    if len(_LINES) > 64:
        _LINES.clear()
    _LINES[id(element)] = (element, lines)
    return lines


def _render(node: Node, item: Node | None, buffer: list[str], lines: list[Line]) -> None:
    """Add the text of ``node`` (a visible element inside list item ``item``, if any) to
    ``buffer``, and the lines it ends to ``lines``. Recursive: a parsed page is at most 255
    elements deep (libxml2's limit), and a call per element costs less than a walker's two
    events."""
    tag = node.tag
    if tag in BLOCK_TAGS or tag == "br":
        _flush(buffer, lines, item)
    own = node if tag == "li" else item
    if node.text and tag not in CONTROL_TAGS:
        buffer.append(node.text)
    for child in node:
        child_tag = child.tag
        if isinstance(child_tag, str) and child_tag not in INVISIBLE_TAGS:
            _render(child, own, buffer, lines)
        if child.tail:
            buffer.append(child.tail)
    if tag in BLOCK_TAGS:
        _flush(buffer, lines, own)


def _flush(buffer: list[str], lines: list[Line], list_item: Node | None) -> None:
    if buffer:
        text = " ".join("".join(buffer).split())
        buffer.clear()
        if text:
            lines.append(Line(text, list_item))


#: Lines rendered by :func:`lines_of`, by the id of the element (checked on lookup).
_LINES: Final[dict[int, tuple[_Element, list[Line]]]] = {}
#: Form controls: their own text is a value, not a label.
CONTROL_TAGS: Final = frozenset(("input", "select", "textarea", "button"))


def text_with_breaks(element: _Element) -> str:
    """Visible text with one line per rendered line (what ``content_text`` holds)."""
    return "\n".join(line.text for line in lines_of(element))


def _is_id(element: _Element) -> bool:
    """Whether ``element`` has an attribute libxml2 enters in an HTML document's ID table: an
    ``id``, or the ``name`` of an ``<a>``."""
    return element.get("id") is not None or (element.tag == "a" and element.get("name") is not None)


def _holds_id(element: _Element) -> bool:
    """Whether ``element`` or an element under it :func:`_is_id` (a walk that stops at the
    first: libxml2's XPath gathers every match before it answers, four times as long)."""
    return any(_is_id(node) for node in element.iter(etree.Element))


def _identity(select: str) -> etree.XSLT:
    """An identity transform: a copy of what ``select`` finds (``.``, the subtree it is given, or
    the node at ``path`` in the document it is given) in a result document of its own. That
    document is XML, where neither attribute is an ID, and says it is UTF-8 (without an
    encoding, libxml2's HTML serializer writes every character outside ASCII as a reference)."""
    return etree.XSLT(
        etree.XML(
            '<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform"'
            ' xmlns:dyn="http://exslt.org/dynamic" extension-element-prefixes="dyn">'
            '<xsl:output method="xml" encoding="UTF-8"/><xsl:param name="path" select="\'/\'"/>'
            f'<xsl:template match="/"><xsl:copy-of select="{select}"/></xsl:template>'
            "</xsl:stylesheet>"
        ),
        access_control=etree.XSLTAccessControl.DENY_ALL,
    )


_COPY_SUBTREE: Final = _identity(".")
_COPY_AT: Final = _identity("dyn:evaluate($path)")


def copy_tree(element: _Element) -> Node:
    """A deep copy of ``element`` (and its tail), the root of a tree of its own.

    ``copy.deepcopy`` of an element of an HTML page enters every ``id`` (and ``<a name>``) it
    copies in the new document's ID table, whose keys libxml2 keeps in the string dictionary
    that lxml shares between all the documents of a thread; a dictionary never lets go of a
    string, so a crawl kept every post's and comment's ids for the rest of its life (about 60
    bytes each, 420 a post on the benchmark's blog). A subtree with such attributes is copied
    by XSLT instead, into an XML document, which has no ID table to fill. lxml hands an element
    to XSLT as the root of a stand-in HTML document holding a copy of the element itself, so an
    element that is an ID itself is found by its path in its own document instead.
    """
    if not _holds_id(element):
        return copy.deepcopy(element)
    try:
        if not _is_id(element):
            clone = _COPY_SUBTREE(element).getroot()
        else:
            path = etree.XSLT.strparam(_position_path(element))
            clone = _COPY_AT(element.getroottree(), path=path).getroot()
    except etree.XSLTError:
        clone = None
    if clone is None:  # not seen on the corpus's pages; a copy with a few ids kept is still one
        return copy.deepcopy(element)
    clone.tail = element.tail
    return clone


def _position_path(element: _Element) -> str:
    """An XPath that finds ``element`` in its document by position alone (``/*[1]/*[2]``): a
    page's tag names need not be names XPath accepts (``o:p``)."""
    steps = []
    for node in (element, *element.iterancestors()):
        before = sum(1 for _ in node.itersiblings(etree.Element, preceding=True))
        steps.append(f"/*[{before + 1}]")
    return "".join(reversed(steps))


def pruned_copy(element: _Element, drop: Sequence[str] = ()) -> Node:
    """A deep copy of ``element`` without the subtrees that the ``drop`` selectors match."""
    clone = copy_tree(element)
    if not drop:
        return clone
    index = _index_of(element.getroottree().getroot())
    if index is not None:
        # the page's index answers the selectors; a copy has the same shape, so walking both in
        # step pairs each node with its copy
        matched = {node for selector in drop for node in index.select(selector)}
        doomed = [
            copied
            for node, copied in zip(element.iter(), clone.iter(), strict=True)
            if node in matched
        ]
    else:
        own = _Index(clone)
        doomed = [node for selector in drop for node in own.select(selector)]
    for node in doomed:
        if node is not clone:
            drop_tree(node)
    return clone


def sanitize(element: _Element, url: str) -> str:
    """Safe HTML for ``element``'s content: links made absolute, scripts and handlers removed."""
    return clean_html(inner_html(element), base=url)


def inner_html(element: _Element) -> str:
    """The HTML of ``element``'s content (its text and children, not its own tag)."""
    return html_escape(element.text or "", quote=False) + "".join(
        etree.tostring(child, encoding="unicode", method="html") for child in element
    )


def resolve_links(element: _Element, base: str) -> None:
    """Make the links and images under ``element`` (a tree of the caller's own) absolute, as
    :func:`clean_html` does with a ``base``: sanitizing it then needs no base, which spares nh3 a
    call back into Python for every attribute."""
    for node in element.iter("a", "img"):
        attribute = "href" if node.tag == "a" else "src"
        value = node.get(attribute)
        if value is not None:
            resolved = _resolve(base, node.tag, attribute, value)
            if resolved is None:
                del node.attrib[attribute]
            else:
                node.set(attribute, resolved)


def _cleaner(base: str | None) -> nh3.Cleaner:
    """The sanitizer of :func:`clean_html`: its settings are fixed, so it is built once, and
    once per base its links are resolved against."""
    return nh3.Cleaner(
        tags=set(ALLOWED_TAGS),
        attributes={tag: set(attrs) for tag, attrs in ALLOWED_ATTRIBUTES.items()},
        url_schemes={"http", "https", "mailto"},
        link_rel="nofollow noopener noreferrer",
        attribute_filter=None if base is None else partial(_resolve, base),
    )


#: The sanitizer for HTML whose links need no resolving (no call back into Python).
_CLEANER: Final = _cleaner(None)
#: Sanitizers that resolve links, for the last pages' addresses.
_cleaner_for = lru_cache(maxsize=16)(_cleaner)


def clean_html(html: str, base: str | None = None) -> str:
    """``html`` with only the allowed tags, attributes and URL schemes (nh3, an ammonia binding);
    links and images resolved against ``base`` when one is given."""
    cleaner = _CLEANER if base is None else _cleaner_for(base)
    return cleaner.clean(html).strip()  # type: ignore[no-any-return]


def _resolve(base: str, tag: str, attribute: str, value: str) -> str | None:
    """nh3's attribute filter: ``href`` and ``src`` resolved against ``base``."""
    if attribute not in ("href", "src"):
        return value
    try:
        return joined(base, value.strip())
    except ValueError:
        return None  # a malformed address is no link


def joined(base: str, href: str) -> str:
    """``urljoin(base, href)``, which gives back as it is an address already absolute and plain
    (most of a page's links and of a feed's, five an entry; urljoin costs some microseconds)."""
    return href if ALREADY_ABSOLUTE.fullmatch(href) else urljoin(base, href)


#: The highest TCP port: an address with a higher one is malformed (``urlsplit`` says so).
MAX_PORT: Final = 65535


def absolute(url: str, href: str | None) -> str | None:
    if not href:
        return None
    href = href.strip()
    if not href or href.startswith(("javascript:", "mailto:", "data:", "#")):
        return None
    if ALREADY_ABSOLUTE.fullmatch(href):
        authority = href.split("/", 3)[2]
        if ":" not in authority or int(authority.rpartition(":")[2]) <= MAX_PORT:
            return href  # what urljoin gives back, its port (if any) a port
    try:
        resolved = urljoin(url, href)
        urlsplit(resolved).port  # noqa: B018 - a port that is no number raises here
    except ValueError:
        return None  # a malformed address is no link
    return resolved
