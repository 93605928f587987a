"""Measure the extractors on real pages with others' ground truth (``../shared/corpus``).

Every set is split by site into a *tune* part and a *check* part (:func:`part_of`: a stable
hash of the site, so no site is in both). A rule, word list, threshold or selector may be chosen
by reading the tune part's misses (``blogarchive eval --show-misses``); the check part's are
never printed, only its totals, which say whether a rule generalises (CONTRIBUTING.md).

Pages with snippets (``corpus/blogs`` and ``corpus/generic``, ``cases.json``): the share of
``body_with`` snippets found in the main text, of ``body_without`` snippets absent from it, of
``comments_with`` snippets found in the comments' text, and title / author / date exact where
the case gives them (a case may give a list of right answers). The same figures are computed
for trafilatura on the same pages when it is installed.

Forms (``corpus/forms``, Formasaurus' annotated data): purpose accuracy, semantic-type accuracy
on the annotated fields whose Formasaurus type maps to our vocabulary, and the share of forms
with every mapped field right. Beside ours, Formasaurus trained on the tune part and scored on
the check part, when it is installed.
"""

from __future__ import annotations

import json
import re
import time
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from w3lib.encoding import html_to_unicode

from extract import extract_comments, extract_forms
from extract.post import decide_post, extract_article

SPACE = re.compile(r"\s+")


def normalize(text: str | None) -> str:
    """Whitespace collapsed and Unicode in NFC, so that equal text compares equal."""
    return SPACE.sub(" ", unicodedata.normalize("NFC", text or "")).strip()


def read_page(path: Path, encoding: str | None = None) -> str:
    """A saved page as text: in ``encoding`` when it is known (the forms corpus was re-saved as
    UTF-8 whatever its pages declare), else decoded as a browser would (BOM, meta charset...)."""
    data = path.read_bytes()
    if encoding:
        return data.decode(encoding, errors="replace")
    _, text = html_to_unicode(None, data)
    return text


# -- blog pages --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class Extraction:
    """What a tool found on one blog page, reduced to what the cases check."""

    text: str
    comments: str
    title: str | None = None
    author: str | None = None
    date: str | None = None


@dataclass
class Tally:
    hits: int = 0
    total: int = 0
    misses: list[str] = field(default_factory=list)

    def add(self, ok: bool, what: str) -> None:
        self.total += 1
        self.hits += ok
        if not ok:
            self.misses.append(what)

    @property
    def share(self) -> float | None:
        return self.hits / self.total if self.total else None


@dataclass
class BlogScore:
    body_with: Tally = field(default_factory=Tally)
    body_without: Tally = field(default_factory=Tally)
    comments_with: Tally = field(default_factory=Tally)
    title: Tally = field(default_factory=Tally)
    author: Tally = field(default_factory=Tally)
    date: Tally = field(default_factory=Tally)
    seconds: float = 0.0
    errors: list[str] = field(default_factory=list)

    def figures(self) -> dict[str, float | None]:
        return {
            name: getattr(self, name).share
            for name in ("body_with", "body_without", "comments_with", "title", "author", "date")
        }


#: The sets of pages with snippets, each a folder of the corpus with a ``cases.json``.
PAGE_SETS = ("blogs", "generic")
#: The two parts of every set: rules may be chosen on the first, the second checks them.
PARTS = ("tune", "check")


def blog_cases(corpus: Path, name: str = "blogs") -> list[dict[str, Any]]:
    """The cases of the set ``name`` (an empty list where the corpus has no such set)."""
    path = corpus / name / "cases.json"
    if not path.exists():
        return []
    data = json.loads(path.read_text(encoding="utf-8"))
    return list(data["cases"])


def answers(value: Any) -> set[str]:
    """A case's right answers for a title, author or date: one string, or a list of them."""
    values = value if isinstance(value, list) else [value]
    return {normalize(str(item)) for item in values if item}


def ours(html: str, url: str) -> Extraction:
    # what the archive keeps of the page: its post, as the crawl decides it; the cases include
    # static pages, which are not posts but whose main text is measured all the same (what
    # ``blogarchive extract`` shows of them under "page")
    post = decide_post(html, url)[0] or extract_article(html, url)
    comments = extract_comments(html, url)
    return Extraction(
        text=post.content_text if post else "",
        # the author with the text, as trafilatura gives them (some cases check the name)
        comments="\n".join(f"{c.author or ''}: {c.content_text}" for c in comments),
        title=post.title if post else None,
        author=post.author if post else None,
        date=(post.published or "")[:10] or None if post else None,
    )


def trafilatura_extraction(html: str, url: str) -> Extraction:
    import trafilatura

    document = trafilatura.bare_extraction(
        html, url=url, include_comments=True, with_metadata=True, favor_precision=False
    )
    if document is None:
        return Extraction(text="", comments="")
    data = document if isinstance(document, dict) else document.as_dict()
    return Extraction(
        text=data.get("text") or "",
        comments=data.get("comments") or "",
        title=data.get("title"),
        author=data.get("author"),
        date=(data.get("date") or "")[:10] or None,
    )


def score_blogs(
    corpus: Path,
    extractor: Callable[[str, str], Extraction],
    cases: list[dict[str, Any]] | None = None,
    name: str = "blogs",
) -> BlogScore:
    """``extractor`` scored on ``cases`` of the set ``name`` (by default all of its cases)."""
    score = BlogScore()
    for case in cases if cases is not None else blog_cases(corpus, name):
        html = read_page(corpus / name / case["file"])
        started = time.perf_counter()
        try:
            found = extractor(html, case["url"])
        except Exception as error:  # a page that raises scores zero on it, and is listed
            score.errors.append(f"{case['file']}: {type(error).__name__}: {error}")
            found = Extraction(text="", comments="")
        score.seconds += time.perf_counter() - started
        text, comments = normalize(found.text), normalize(found.comments)
        for snippet in case.get("body_with", []):
            score.body_with.add(normalize(snippet) in text, f"{case['file']}: {snippet}")
        for snippet in case.get("body_without", []):
            score.body_without.add(normalize(snippet) not in text, f"{case['file']}: {snippet}")
        for snippet in case.get("comments_with", []):
            score.comments_with.add(normalize(snippet) in comments, f"{case['file']}: {snippet}")
        for field_name in ("title", "author", "date"):
            expected = answers(case.get(field_name))
            if expected:
                got = normalize(getattr(found, field_name))
                tally: Tally = getattr(score, field_name)
                tally.add(got in expected, f"{case['file']}: {got!r} not in {sorted(expected)!r}")
    return score


# -- forms -------------------------------------------------------------------------------------

#: Formasaurus form types -> our purposes. Its "c" is contact *or* comment: either answer counts.
FORM_PURPOSES: dict[str, tuple[str, ...]] = {
    "s": ("search",),
    "l": ("login",),
    "r": ("registration",),
    "p": ("password-recovery",),
    "c": ("contact", "comment"),
    "m": ("mailing-list",),
    "b": ("order",),
    "o": ("other",),
    "P": ("other",),  # poll
    "V": ("other",),  # display options
    "N": ("other",),  # navigation
    "C": ("other",),  # captcha-only form
}

#: Formasaurus field types -> our semantic types, where the two vocabularies meet. A code not
#: here (buttons, "other text", honeypots, style selects...) is not scored. Each choice:
FIELD_SEMANTICS: dict[str, tuple[str, ...]] = {
    "us": ("username",),  # username
    "p1": ("current-password", "new-password"),  # a password; which one depends on the form
    "p2": ("new-password",),  # password confirmation is always a new password
    "e1": ("email",),
    "e2": ("email",),  # email confirmation asks for an email
    "ue": ("username", "email"),  # "username or email": either reading is right
    "ca": ("captcha",),
    "tC": ("consent",),  # accept terms
    "eC": ("consent",),  # "send me emails" opt-in
    "rC": ("consent",),  # "remember me": a yes/no consent checkbox in our vocabulary
    "n1": ("given-name",),
    "n3": ("family-name",),
    "nf": ("name",),  # full name
    "no": ("organization",),
    "ge": ("sex",),  # gender: the autocomplete token is "sex"
    "bd": ("bday", "date"),  # day of birth (one part of a birth date)
    "bm": ("bday", "date"),
    "by": ("bday", "date"),
    "bD": ("bday", "date"),
    "tz": ("timezone",),
    "Co": ("country",),
    "Ci": ("address-level2",),  # city
    "St": ("address-level1",),  # state / region
    "Ad": ("street-address",),
    "Sa": ("street-address",),
    "A1": ("street-address",),
    "A2": ("street-address",),
    "Zi": ("postal-code",),
    "ph": ("tel",),
    "fa": ("tel",),  # fax is a telephone number
    "ws": ("url",),
    "am": ("message",),  # "about me" free text
    "CC": ("message",),  # comment text
    "CT": ("subject",),  # comment title / subject
    "qq": ("search",),  # search query
    "qt": ("number",),  # product quantity
    "OD": ("date",),
    "ON": ("number",),
}


@dataclass
class FormScore:
    purpose: Tally = field(default_factory=Tally)
    fields: Tally = field(default_factory=Tally)
    forms_all_right: Tally = field(default_factory=Tally)
    seconds: float = 0.0
    errors: list[str] = field(default_factory=list)

    def figures(self) -> dict[str, float | None]:
        return {
            "purpose": self.purpose.share,
            "semantic_type": self.fields.share,
            "forms_all_right": self.forms_all_right.share,
        }


def form_pages(corpus: Path) -> dict[str, dict[str, Any]]:
    return dict(json.loads((corpus / "forms" / "index.json").read_text(encoding="utf-8")))


def site_of(url: str) -> str:
    """The registered site of a URL (last two labels of the host): the unit of the split."""
    from urllib.parse import urlsplit

    host = (urlsplit(url).hostname or "").removeprefix("www.")
    return ".".join(host.split(".")[-2:])


def part_of(url: str) -> str:
    """``tune`` or ``check``: the part of every set the page at ``url`` belongs to, chosen by
    a stable hash of its site (no site is in both parts)."""
    import hashlib

    digest = hashlib.sha256(site_of(url).encode()).digest()[0]
    return PARTS[digest % 2]


def split_by_site(pages: dict[str, dict[str, Any]]) -> tuple[list[str], list[str]]:
    """The pages' keys in the tune part and in the check part (:func:`part_of`)."""
    parts: dict[str, list[str]] = {part: [] for part in PARTS}
    for key, page in sorted(pages.items()):
        parts[part_of(page["url"])].append(key)
    return parts["tune"], parts["check"]


def split_cases(cases: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    """The cases of a set in its tune and check parts."""
    parts: dict[str, list[dict[str, Any]]] = {part: [] for part in PARTS}
    for case in cases:
        parts[part_of(case["url"])].append(case)
    return parts


#: One form as a tool sees it: purpose and semantic type per field name.
FormGuess = tuple[str, dict[str, str]]


def our_forms(html: str, url: str) -> list[FormGuess]:
    return [
        (form.purpose, {f.name: f.semantic_type for f in form.fields if f.name})
        for form in extract_forms(html, url)
    ]


def score_forms(
    corpus: Path,
    keys: Iterable[str],
    classify: Callable[[str, str], list[FormGuess]],
) -> FormScore:
    pages = form_pages(corpus)
    score = FormScore()
    for key in keys:
        page = pages[key]
        html = read_page(corpus / "forms" / key, encoding="utf-8")
        started = time.perf_counter()
        try:
            guesses = classify(html, page["url"])
        except Exception as error:
            score.errors.append(f"{key}: {type(error).__name__}: {error}")
            guesses = []
        score.seconds += time.perf_counter() - started
        for index, (form_type, fields) in enumerate(
            zip(page["forms"], page["visible_html_fields"], strict=False)
        ):
            guess = guesses[index] if index < len(guesses) else ("", {})
            if form_type in FORM_PURPOSES:
                score.purpose.add(
                    guess[0] in FORM_PURPOSES[form_type],
                    f"{key}#{index}: {form_type} -> {guess[0]}",
                )
            right = True
            mapped = 0
            for name, code in fields.items():
                if code not in FIELD_SEMANTICS:
                    continue
                mapped += 1
                got = guess[1].get(name, "")
                ok = got in FIELD_SEMANTICS[code]
                right &= ok
                score.fields.add(ok, f"{key}#{index} {name}: {code} -> {got}")
            if mapped and form_type in FORM_PURPOSES:
                score.forms_all_right.add(right, f"{key}#{index}")
    return score


def formasaurus_classifier(
    corpus: Path, train_keys: Iterable[str]
) -> Callable[[str, str], list[FormGuess]]:
    """Formasaurus trained on ``train_keys`` only (not its bundled model, which saw every page),
    its answers put in our vocabulary through the same maps the scoring uses."""
    import contextlib
    import io
    import os
    import tempfile

    import formasaurus

    pages = form_pages(corpus)
    config = json.loads((corpus / "forms" / "config.json").read_text(encoding="utf-8"))
    short = {t["full"]: t["short"] for t in config["form_types"]["types"]}
    short_field = {t["full"]: t["short"] for t in config["field_types"]["types"]}
    with tempfile.TemporaryDirectory(prefix="formasaurus-") as folder:
        root = Path(folder)
        (root / "html").mkdir()
        (root / "config.json").write_text(json.dumps(config), encoding="utf-8")
        keys = list(train_keys)
        (root / "index.json").write_text(json.dumps({k: pages[k] for k in keys}), encoding="utf-8")
        for key in keys:
            os.symlink((corpus / "forms" / key).resolve(), root / key)
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
            model = formasaurus.FormFieldClassifier.trained_on(str(root))

    def classify(html: str, url: str) -> list[FormGuess]:
        guesses: list[FormGuess] = []
        for _, info in model.extract_forms(html):
            code = short.get(str(info["form"]), "o")
            purpose = FORM_PURPOSES.get(code, ("other",))[0]
            fields = {
                name: FIELD_SEMANTICS.get(short_field.get(str(kind), ""), ("other",))[0]
                for name, kind in info["fields"].items()
            }
            guesses.append((purpose, fields))
        return guesses

    return classify


# -- the report ----------------------------------------------------------------------------------


def default_corpus() -> Path:
    """``../shared/corpus`` beside the repository (or the working directory)."""
    beside_repository = Path(__file__).resolve().parents[2] / "shared" / "corpus"
    return beside_repository if beside_repository.exists() else Path("../shared/corpus")


@dataclass
class PageSetReport:
    """One set of pages with snippets: ours and trafilatura's scores on each part."""

    name: str
    pages: dict[str, int]
    ours: dict[str, BlogScore]
    trafilatura: dict[str, BlogScore] | None


@dataclass
class Report:
    corpus: Path
    page_sets: list[PageSetReport]
    form_pages: dict[str, int]
    forms: dict[str, FormScore]
    formasaurus: FormScore | None
    notes: list[str] = field(default_factory=list)


def run(corpus: Path, *, baselines: bool = True) -> Report:
    """Score our extractors (and, with ``baselines``, trafilatura and Formasaurus) on each part
    of each set of ``corpus``."""
    notes: list[str] = []
    page_sets = []
    trafilatura_missing = False
    for name in PAGE_SETS:
        parts = split_cases(blog_cases(corpus, name))
        if not any(parts.values()):
            continue
        baseline: dict[str, BlogScore] | None = None
        if baselines and not trafilatura_missing:
            try:
                baseline = {
                    part: score_blogs(corpus, trafilatura_extraction, cases, name)
                    for part, cases in parts.items()
                }
            except ImportError:
                trafilatura_missing = True
                notes.append("trafilatura is not installed: pip install -e '.[test]'")
        page_sets.append(
            PageSetReport(
                name=name,
                pages={part: len(cases) for part, cases in parts.items()},
                ours={
                    part: score_blogs(corpus, ours, cases, name) for part, cases in parts.items()
                },
                trafilatura=baseline,
            )
        )
    pages = form_pages(corpus)
    tune, check = split_by_site(pages)
    formasaurus_score = None
    if baselines:
        try:
            formasaurus_score = score_forms(corpus, check, formasaurus_classifier(corpus, tune))
        except ImportError:
            notes.append("Formasaurus is not installed: pip install -e '.[test]'")
    return Report(
        corpus=corpus,
        page_sets=page_sets,
        form_pages={"tune": len(tune), "check": len(check)},
        forms={
            "tune": score_forms(corpus, tune, our_forms),
            "check": score_forms(corpus, check, our_forms),
        },
        formasaurus=formasaurus_score,
        notes=notes,
    )


def _percent(value: float | None) -> str:
    return "—" if value is None else f"{100 * value:.1f}%"


PAGE_FIGURES = {
    "body_with": "body_with found in main text",
    "body_without": "body_without absent from it",
    "comments_with": "comments_with found in comments",
    "title": "title exact",
    "author": "author exact",
    "date": "date exact",
}
FORM_FIGURES = {
    "purpose": "purpose",
    "semantic_type": "semantic_type (mapped fields)",
    "forms_all_right": "forms with every field right",
}


def render(report: Report) -> str:
    """The report as plain-text tables (what ``blogarchive eval`` prints): each set's figures
    on its tune and check parts, ours beside the baseline."""
    import importlib.metadata

    def version(package: str) -> str:
        try:
            return importlib.metadata.version(package)
        except importlib.metadata.PackageNotFoundError:
            return "?"

    lines: list[str] = []
    for page_set in report.page_sets:
        traf = page_set.trafilatura
        lines += [
            f"{page_set.name}/: {sum(page_set.pages.values())} pages in "
            f"{report.corpus / page_set.name}, split by site into {page_set.pages['tune']} tune "
            f"and {page_set.pages['check']} check pages",
            f"  {'':34} {'blogarchive':>17} {'trafilatura ' + version('trafilatura'):>20}",
            f"  {'':34} {'tune':>8} {'check':>8} {'tune':>11} {'check':>8}",
        ]
        for key, label in PAGE_FIGURES.items():
            cells = [_percent(page_set.ours[part].figures()[key]) for part in PARTS]
            cells += [_percent(traf[part].figures()[key]) if traf else "—" for part in PARTS]
            lines.append(f"  {label:34} {cells[0]:>8} {cells[1]:>8} {cells[2]:>11} {cells[3]:>8}")
        seconds = [f"{page_set.ours[part].seconds:.1f}" for part in PARTS]
        seconds += [f"{traf[part].seconds:.1f}" if traf else "—" for part in PARTS]
        lines += [
            f"  {'seconds':34} {seconds[0]:>8} {seconds[1]:>8} {seconds[2]:>11} {seconds[3]:>8}",
            "",
        ]
    lines += [
        f"forms/: {sum(report.form_pages.values())} pages in {report.corpus / 'forms'}, split by "
        f"site into {report.form_pages['tune']} tune and {report.form_pages['check']} check pages",
        f"  {'':34} {'blogarchive':>17} {'Formasaurus ' + version('formasaurus'):>20}",
        f"  {'':34} {'tune':>8} {'check':>8} {'check (trained on tune)':>24}",
    ]
    fs = report.formasaurus.figures() if report.formasaurus else {}
    for key, label in FORM_FIGURES.items():
        cells = [_percent(report.forms[part].figures()[key]) for part in PARTS]
        lines.append(f"  {label:34} {cells[0]:>8} {cells[1]:>8} {_percent(fs.get(key)):>24}")
    scored = [f"{report.forms[p].purpose.total}/{report.forms[p].fields.total}" for p in PARTS]
    lines.append(f"  {'forms / mapped fields scored':34} {scored[0]:>8} {scored[1]:>8}")
    errors = [
        error
        for page_set in report.page_sets
        for part in PARTS
        for error in page_set.ours[part].errors
    ] + [error for part in PARTS for error in report.forms[part].errors]
    lines += ["", f"Pages that raised: {len(errors)}", *(f"  {error}" for error in errors)]
    lines += [f"Note: {note}" for note in report.notes]
    return "\n".join(lines)


def render_misses(report: Report) -> str:
    """Our misses on the tune parts, page by page: what a rule may be chosen from. The check
    parts' misses are never shown (CONTRIBUTING.md)."""
    lines: list[str] = []
    for page_set in report.page_sets:
        score = page_set.ours["tune"]
        for key in PAGE_FIGURES:
            tally: Tally = getattr(score, key)
            lines += [f"{page_set.name} tune {key}: {miss}" for miss in tally.misses]
    forms = report.forms["tune"]
    for key, tally in (
        ("purpose", forms.purpose),
        ("semantic_type", forms.fields),
        ("forms_all_right", forms.forms_all_right),
    ):
        lines += [f"forms tune {key}: {miss}" for miss in tally.misses]
    return "\n".join(lines)
