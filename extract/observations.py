"""Key-observation lists: the items of a list introduced by a heading such as "Key Observations:".

The heading can be any element or a lead-in line ("<b>Key Takeaways:</b><br>"); the list can be
``<ul>``/``<ol>`` items, bullet characters between line breaks, or numbered lines. The page is
rendered into lines first (:func:`extract._dom.lines_of`), so every markup reads the same.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final

from extract._dom import Line, Node, lines_of, parse, pruned_copy
from extract.post import NOT_BODY, body_copy

#: Heading words, as a person writes them; matched case-insensitively on a whole short line.
HEADINGS: Final = (
    "key observations",
    "key takeaways",
    "key take-aways",
    "takeaways",
    "take-aways",
    "key points",
    "key findings",
    "lessons learned",
    "lessons learnt",
    "highlights",
    "summary",
    "tl;dr",
    "tldr",
    "bottom line",
    "the bottom line",
)
HEADING: Final = re.compile(
    r"^(?:(?:my|our|the|some|a few|here are (?:the|my|our|some)?)\s+)?"
    r"(?:" + "|".join(re.escape(h) for h in HEADINGS) + r")"
    r"(?:\s+(?:from|of|for|on)\b[^:]{0,60})?\s*[:\-–—]?$",
    re.IGNORECASE,
)
BULLET: Final = re.compile(r"^\s*[•·▪●◦‣∙*\-–—]\s*(.+)$")
NUMBERED: Final = re.compile(r"^\s*\(?\d{1,2}[.)]\s+(.+)$")
MAX_HEADING_CHARS: Final = 80


@dataclass(frozen=True, slots=True, kw_only=True)
class KeyObservation:
    heading: str
    position: int
    text: str


def extract_observations(html: str, url: str) -> tuple[KeyObservation, ...]:
    """The key-observation items of the page's post body (or of the page, when it has none)."""
    scope = body_copy(html, url)
    if scope is None:
        scope = pruned_copy(parse(html, url), NOT_BODY)
    return observations_in(scope)


def observations_in(element: Node) -> tuple[KeyObservation, ...]:
    """Every key-observation list in ``element``, numbered per list from 1."""
    lines = lines_of(element)
    found: list[KeyObservation] = []
    index = 0
    while index < len(lines):
        line = lines[index]
        if line.list_item is None and _is_heading(line.text):
            heading = line.text.rstrip(" :-–—").strip()
            items = _items_after(lines, index + 1)
            found.extend(
                KeyObservation(heading=heading, position=position, text=text)
                for position, text in enumerate(items, start=1)
            )
            index += 1 + len(items)
            continue
        index += 1
    return tuple(found)


def _is_heading(text: str) -> bool:
    return len(text) <= MAX_HEADING_CHARS and HEADING.match(text) is not None


def _items_after(lines: list[Line], start: int) -> list[str]:
    """The items of the list that starts at ``lines[start]``, in whichever markup it uses."""
    if start >= len(lines):
        return []
    first = lines[start]
    if first.list_item is not None:
        return _list_items(lines, start)
    for pattern in (BULLET, NUMBERED):
        if pattern.match(first.text):
            items = []
            for line in lines[start:]:
                match = pattern.match(line.text)
                if not match:
                    break
                items.append(match.group(1).strip())
            return items
    return []


def _list_items(lines: list[Line], start: int) -> list[str]:
    """Text of each top-level ``li`` of the list that ``lines[start]`` opens."""
    the_list = lines[start].list_item.getparent()  # type: ignore[union-attr]
    texts: dict[Node, list[str]] = {}
    for line in lines[start:]:
        item = line.list_item
        while item is not None and item.getparent() is not the_list:
            item = next((a for a in item.iterancestors("li")), None)
        if item is None:
            break
        texts.setdefault(item, []).append(line.text)
    return [" ".join(parts) for parts in texts.values()]
