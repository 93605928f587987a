"""Measure the extractors on real pages with others' ground truth (``../shared/corpus``).

Blog pages (``corpus/blogs/cases.json``): the share of ``body_with`` snippets found in the post
text, of ``body_without`` snippets absent from it, of ``comments_with`` snippets found in the
comments' text, and title / author / date exact where the case gives them. The same figures are
computed for trafilatura on the same pages when it is installed.

Forms (``corpus/forms``, Formasaurus' annotated data): purpose accuracy, semantic-type accuracy
on the annotated fields whose Formasaurus type maps to our vocabulary, and the share of forms
with every mapped field right. Beside ours, Formasaurus trained on one half of the sites and
tested on the other, when it is installed.
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
from extract.post import extract_article

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


def blog_cases(corpus: Path) -> list[dict[str, Any]]:
    data = json.loads((corpus / "blogs" / "cases.json").read_text(encoding="utf-8"))
    return list(data["cases"])


def ours(html: str, url: str) -> Extraction:
    # extract_article, not extract_post: the cases include static pages, which are not posts
    # but whose main text is measured all the same
    post = extract_article(html, url)
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
) -> BlogScore:
    score = BlogScore()
    for case in cases if cases is not None else blog_cases(corpus):
        html = read_page(corpus / "blogs" / case["file"])
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
        for name in ("title", "author", "date"):
            if case.get(name):
                got = normalize(getattr(found, name))
                score_name: Tally = getattr(score, name)
                score_name.add(
                    got == normalize(case[name]), f"{case['file']}: {got!r} != {case[name]!r}"
                )
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


def split_by_site(pages: dict[str, dict[str, Any]]) -> tuple[list[str], list[str]]:
    """Two halves of the pages, no site in both, chosen by a stable hash of the site."""
    import hashlib

    first: list[str] = []
    second: list[str] = []
    for key, page in sorted(pages.items()):
        digest = hashlib.sha256(site_of(page["url"]).encode()).digest()[0]
        (first if digest % 2 == 0 else second).append(key)
    return first, second


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
class Report:
    corpus: Path
    blog_pages: int
    ours: BlogScore
    trafilatura: BlogScore | None
    form_pages: int
    train_pages: int
    forms_all: FormScore
    forms_test: FormScore
    formasaurus: FormScore | None
    notes: list[str] = field(default_factory=list)


def run(corpus: Path, *, baselines: bool = True) -> Report:
    """Score our extractors (and, with ``baselines``, trafilatura and Formasaurus) on ``corpus``."""
    cases = blog_cases(corpus)
    notes: list[str] = []
    trafilatura_score = None
    if baselines:
        try:
            trafilatura_score = score_blogs(corpus, trafilatura_extraction, cases)
        except ImportError:
            notes.append("trafilatura is not installed: pip install -e '.[test]'")
    pages = form_pages(corpus)
    train, test = split_by_site(pages)
    formasaurus_score = None
    if baselines:
        try:
            formasaurus_score = score_forms(corpus, test, formasaurus_classifier(corpus, train))
        except ImportError:
            notes.append("Formasaurus is not installed: pip install -e '.[test]'")
    return Report(
        corpus=corpus,
        blog_pages=len(cases),
        ours=score_blogs(corpus, ours, cases),
        trafilatura=trafilatura_score,
        form_pages=len(pages),
        train_pages=len(train),
        forms_all=score_forms(corpus, list(pages), our_forms),
        forms_test=score_forms(corpus, test, our_forms),
        formasaurus=formasaurus_score,
        notes=notes,
    )


def _percent(value: float | None) -> str:
    return "—" if value is None else f"{100 * value:.1f}%"


def render(report: Report) -> str:
    """The report as one plain-text table (what ``blogarchive eval`` prints)."""
    import importlib.metadata

    def version(package: str) -> str:
        try:
            return importlib.metadata.version(package)
        except importlib.metadata.PackageNotFoundError:
            return "?"

    traf = report.trafilatura
    lines = [
        f"Blog pages: {report.blog_pages} pages in {report.corpus / 'blogs'}",
        f"  {'':34} {'blogarchive':>12} {'trafilatura ' + version('trafilatura'):>18}",
    ]
    labels = {
        "body_with": "body_with found in post text",
        "body_without": "body_without absent from it",
        "comments_with": "comments_with found in comments",
        "title": "title exact",
        "author": "author exact",
        "date": "date exact",
    }
    ours_figures = report.ours.figures()
    traf_figures = traf.figures() if traf else {}
    for key, label in labels.items():
        lines.append(
            f"  {label:34} {_percent(ours_figures[key]):>12} {_percent(traf_figures.get(key)):>18}"
        )
    lines.append(
        f"  {'seconds for all pages':34} {report.ours.seconds:>12.1f} "
        f"{(f'{traf.seconds:.1f}' if traf else '—'):>18}"
    )
    test_pages = report.form_pages - report.train_pages
    lines += [
        "",
        f"Forms: {report.form_pages} pages in {report.corpus / 'forms'}; split by site into "
        f"{report.train_pages} training and {test_pages} test pages",
        f"  {'':34} {'blogarchive':>12} {'blogarchive':>12} "
        f"{'Formasaurus ' + version('formasaurus'):>18}",
        f"  {'':34} {'all pages':>12} {'test pages':>12} {'test pages':>18}",
    ]
    fs = report.formasaurus.figures() if report.formasaurus else {}
    all_figures, test_figures = report.forms_all.figures(), report.forms_test.figures()
    for key, label in (
        ("purpose", "purpose"),
        ("semantic_type", "semantic_type (mapped fields)"),
        ("forms_all_right", "forms with every field right"),
    ):
        lines.append(
            f"  {label:34} {_percent(all_figures[key]):>12} {_percent(test_figures[key]):>12} "
            f"{_percent(fs.get(key)):>18}"
        )
    lines.append(
        f"  {'forms / mapped fields scored':34} "
        f"{f'{report.forms_all.purpose.total}/{report.forms_all.fields.total}':>12} "
        f"{f'{report.forms_test.purpose.total}/{report.forms_test.fields.total}':>12}"
    )
    errors = report.ours.errors + report.forms_all.errors
    lines += ["", f"Pages that raised: {len(errors)}", *(f"  {error}" for error in errors)]
    lines += [f"Note: {note}" for note in report.notes]
    return "\n".join(lines)
