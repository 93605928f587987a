"""The forms of a page, described as a person filling them in would see them, and as JSON Schema.

For each ``<form>``: its visible, fillable controls in page order (hidden inputs and buttons are
not fields; a radio or checkbox group is one field with its options), each with the label a
person reads, the control type, its options by their text, whether it is required, and a
semantic type; the form's purpose and title; a JSON Schema (draft 2020-12); and an id that is a
fingerprint of the form's structure, so the same form on many pages is one form.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from typing import Final
from urllib.parse import urljoin, urlsplit, urlunsplit

from lxml import etree

from extract._dom import INVISIBLE_TAGS, Node, normalize_space, parse, select, text_content, text_of

JSON_SCHEMA_DIALECT: Final = "https://json-schema.org/draft/2020-12/schema"

#: Control types kept as they are; any other ``<input type>`` reads as ``text``.
INPUT_TYPES: Final = frozenset(
    "text email tel url number date datetime-local time password search checkbox radio file range "
    "color".split()
)
NOT_FIELDS: Final = frozenset({"hidden", "submit", "button", "reset", "image"})
#: Where a form's title is looked for inside the form, in the order tried (a legend counts only
#: when its fieldset holds the whole form, not when it names one group of fields).
#: A form's own title: its first heading, else its table's caption (tags, walked in order).
TITLE_INSIDE: Final = (("h1", "h2", "h3", "h4", "h5", "h6"), ("caption",))
#: The labels that name their control (answered from the page's index, once a page).
LABELS_FOR: Final = "label[for]"
HEADING_TAGS: Final = frozenset({"h1", "h2", "h3", "h4", "h5", "h6"})
#: How many boxes around a form its title may be looked for beside (a table's cell, row,
#: body and table, a widget's content), and the boxes that end the search.
TITLE_CLIMB: Final = 6
TITLE_CLIMB_STOP: Final = frozenset({"body", "html", "main", "article"})
#: The kinds of control a honeypot is: a box a bot fills in.
HONEYPOT_KINDS: Final = frozenset({"text", "textarea", "email", "url"})
HIDDEN_STYLE: Final = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden", re.IGNORECASE)
PLACEHOLDER_OPTION: Final = re.compile(
    r"^\W*(please\s+)?(select|choose|pick)\b.*|^\W*-+\W*$|^$|^\W*(bitte\s+)?wählen.*"
    r"|^\W*(veuillez\s+)?(choisir|sélectionner).*|^\W*(seleccione|elija|selecciona).*"
    r"|^\W*выберите.*",
    re.IGNORECASE,
)
LABEL_TRIM: Final = " \t\r\n:*："

#: ``autocomplete`` tokens taken as the semantic type as they are.
AUTOCOMPLETE_TOKENS: Final = frozenset(
    "name given-name family-name additional-name honorific-prefix honorific-suffix nickname email "
    "username new-password current-password one-time-code organization organization-title "
    "street-address address-line1 address-line2 address-line3 address-level1 address-level2 "
    "address-level3 address-level4 country country-name postal-code cc-name cc-number cc-exp "
    "cc-csc cc-type transaction-amount language bday bday-day bday-month bday-year sex url photo "
    "tel tel-national tel-country-code".split()
)
TYPE_SEMANTICS: Final = {
    "email": "email",
    "tel": "tel",
    "url": "url",
    "search": "search",
    "date": "date",
    "time": "time",
    "datetime-local": "datetime",
    "number": "number",
    "range": "number",
}
#: Words in a label, name or id that give a semantic type, in the order tried. These patterns,
#: and the purposes' and passwords' below, are lower case and look in lowered text: with
#: ``re.IGNORECASE`` Python's engine folds the case of every character it compares, and a
#: search of a lowered text without it takes a third to a half as long.
SEMANTIC_WORDS: Final[tuple[tuple[str, re.Pattern[str]], ...]] = tuple(
    (semantic, re.compile(pattern))
    for semantic, pattern in (
        (
            "captcha",
            r"captcha|security code|verif|спам|spam|human|robot|magic.?word|tarkist"
            r"|sicherheits(code|abfrage|überprüfung)|código|\bchallenge\b|\d+\s*[-+x×*]\s*\d+\s*[=?]"
            r"|image.?security|security.?image|opisz kod|kód z obrázku",
        ),
        (
            "new-password",
            r"(confirm|repeat|retype|re-enter|again|new|wiederholen|confirmer|"
            r"repetir|повтор).{0,20}(pass|pwd|kennwort|mot de passe|contrase|пароль)"
            r"|pass(word)?.?(2|confirm|again|repeat)",
        ),
        (
            "current-password",
            r"pass(word|wd)?\b|pwd|kennwort|passwort|mot de passe|contrase|пароль",
        ),
        ("email", r"e-?mail|courriel|correo|почт|mail\b"),
        ("tel", r"phone|\btel\b|telef|téléph|mobile|\bcell|handy|телефон|fax"),
        ("timezone", r"time\s*-?zone|\btz\b|zeitzone|fuseau"),
        (
            "given-name",
            r"first.?name|\bfname|given.?name|vorname|prénom|prenom|\bimię\b",
        ),
        (
            "family-name",
            r"last.?name|\blname|surname|family.?name|nachname|\bnom de famille"
            r"|apellido|фамилия|cognome|priezvisko|příjmení|prijmeni|nazwisko",
        ),
        (
            "username",
            r"user.?name|\buser\b|\blogin\b|benutzer|usuario|identifiant|логин"
            r"|screen.?name|nick|brugernavn|användarnamn|gebruikersnaam|nome utente"
            r"|display.?name|user.?id|\blog\b|utilisateur|użytkownik|felhasználó",
        ),
        (
            "organization",
            r"company|organi[sz]ation|firma|unternehmen|entreprise|empresa"
            r"|société|организац|azienda|ditta|společnost|spoločnosť|firma",
        ),
        (
            "postal-code",
            r"\bzip|postal|post.?code|\bplz\b|code postal|c[oó]digo postal|индекс|\bps[cč]\b"
            r"|\bcap\b|kod pocztowy",
        ),
        (
            "address-level2",
            r"\bcity\b|\btown\b|\bstadt\b|\bort\b|\bville\b|ciudad|город|\bmesto\b|\bměsto\b"
            r"|città|citta|miasto|\bobec\b",
        ),
        ("address-level1", r"\bstate\b|province|region|bundesland|провинц|област"),
        (
            "country",
            r"country|\bland\b|\bpays\b|\bpa[ií]s\b|страна|krajina|\bzemě\b|nazione|\bpaese\b|kraj\b",
        ),
        ("street-address", r"address|street|stra(ss|ß)e|adresse|direcci[oó]n|адрес"),
        ("bday", r"birth|geburt|naissance|nacimiento|рожден|\bdob\b|bday"),
        # a salutation (Herr / Frau, M. / Mme) asks the same as a gender
        (
            "sex",
            r"gender|\bsex\b|geschlecht|\bsexe\b|g[ée]nero|\bпол\b|anrede|salutation|civilit",
        ),
        (
            "url",
            r"website|homepage|\burl\b|\buri\b|web ?site|site web|sitio web|сайт|^web$|\bwww\b",
        ),
        ("subject", r"subject|betreff|\bobjet\b|asunto|\bтема\b|\btopic\b|oggetto|題名|件名"),
        (
            "message",
            r"message|comment|nachricht|kommentar|commentaire|mensaje|comentario"
            r"|сообщен|коммент|describe|question|inquiry|enquiry|anfrage|details",
        ),
        # "date and time", not "daytime" (a daytime phone number)
        ("datetime", r"(date|day)\b.{0,6}time|\btime.{0,6}(date|day)"),
        (
            "date",
            r"\bdate\b|datum|fecha|\bдата|check.?in|check.?out|\bchk.?(in|out)\b|arrival"
            r"|departure|anreise|abreise",
        ),
        ("time", r"\btime\b|uhrzeit|\bheure\b|\bhora\b"),
        ("search", r"search|suche|recherche|buscar|поиск|търс|query|keyword|^q$|^s$|^qs$"),
        ("consent", r"agree|consent|terms|privacy|accept|gdpr|datenschutz|akzept"),
        ("name", r"\bname\b|full.?name|your.?name|\bnom\b|nombre|\bимя|\bфио\b|\bnév\b|\bnaam\b"),
        (
            "number",
            r"quantity|\bqty\b|amount|anzahl|cantidad|количество|\bno\.|\bnumber\b|weight|gewicht"
            r"|poids|\bage\b|\balter\b|salary|gehalt|price|preis|prix|precio|distance|menge|count",
        ),
    )
)
PASSWORDS: Final = frozenset({"current-password", "new-password"})
CAMEL_CASE: Final = re.compile(r"([a-z])([A-Z])")
NAME_SEPARATORS: Final = re.compile(r"[\W_]+")
#: Meanings that hold whatever the form is for (a search form's phone field is still a phone).
STRONG: Final = frozenset({"email", "tel", "url", "date", "datetime", "time", "number", "captcha"})
#: A day, month or year part of a date (in a registration form: of a birth date).
DATE_PART: Final = re.compile(
    r"^\W*(day|month|year|dd|mm|yy|yyyy|tag|monat|jahr|d[ií]a|mes|a[ñn]o|jour|mois|ann[ée]e)\W*$"
    r"|\bdob\b|\[(day|month|year)\]",
    re.IGNORECASE,
)
#: A form about a password, without a password field, is for getting a new one.
PASSWORD_WORDS: Final = re.compile(
    r"passwor[dt]|passwd|mot de passe|contrase[ñn]a|senha|heslo|hesla|jelsz|пароль|парол|パスワード"
    r"|wachtwoord|lösenord|hasło|has[lł]a|sendpassword|reissue"
)
#: The only meanings a radio or checkbox group takes from its words (else it is ``other``).
GROUP_SEMANTICS: Final = frozenset(
    {"country", "address-level1", "sex", "bday", "consent", "subject"}
)
SEMANTIC_WORDS_BY_NAME: Final = dict(SEMANTIC_WORDS)
#: Words of a form's action, id, class, buttons and title that tell its purpose.
PURPOSE_WORDS: Final[tuple[tuple[str, re.Pattern[str]], ...]] = tuple(
    (purpose, re.compile(pattern))
    for purpose, pattern in (
        (
            "password-recovery",
            r"forgot|lost.?pass|reset.?pass|recover|passwor[dt].?(reset|vergessen)"
            r"|mot de passe oubli|olvid|восстанов|request.?reset|reset.?request"
            # Joomla's com_users "remind" view sends a forgotten username
            r"|remind",
        ),
        (
            "comment",
            r"wp-comments-post|commentform|comment-form|post.?comment|leave a (reply|comment)",
        ),
        (
            "mailing-list",
            r"subscri|newsletter|mailing|mailchimp|list-manage|signup.?form|abonn"
            r"|suscrib|рассылк|constantcontact",
        ),
        (
            "order",
            r"cart|checkout|basket|\border\b|add.?to|buy|warenkorb|panier|carrito|корзин"
            r"|paypal",
        ),
        ("registration", r"regist|sign.?up|create.?account|join|inscri|регистрац"),
        ("login", r"log.?in|log.?on|sign.?in|anmeld|connexion|iniciar|вход|войти|authentif"),
        ("search", r"search|suche|recherche|buscar|поиск|търс|\bfind\b|query|keyword"),
        ("contact", r"contact|kontakt|enquir|inquir|get in touch|связ"),
    )
)


@dataclass(frozen=True, slots=True, kw_only=True)
class Option:
    value: str
    label: str


@dataclass(frozen=True, slots=True, kw_only=True)
class FormField:
    position: int
    name: str | None
    label: str | None
    type: str
    semantic_type: str
    required: bool
    options: tuple[Option, ...]
    placeholder: str | None


@dataclass(frozen=True, slots=True, kw_only=True)
class Form:
    id: str
    purpose: str
    action: str | None
    method: str
    title: str | None
    field_count: int
    json_schema: str
    fields: tuple[FormField, ...]


def extract_forms(html: str, url: str) -> tuple[Form, ...]:
    """Every ``<form>`` of the page, in page order."""
    root = parse(html, url)
    return tuple(_described(form, url, root) for form in root.iter("form"))


#: How many form descriptions :func:`_described` keeps: a blog's pages repeat its sidebar's
#: few forms (search, follow by email, contact), and a crawl goes blog by blog.
FORMS_KEPT: Final = 64
#: What a form's description read, and the description (the oldest dropped first).
_DESCRIBED: dict[tuple[bytes, str | None, str | None, tuple[tuple[str, str, bool], ...]], Form] = {}


def _described(form: Node, url: str, root: Node) -> Form:
    """:func:`describe_form`, kept for the next page that holds the same form in the same
    context (a form is described again only if something its description reads differs)."""
    reading = _what_describing_reads(form, url, root)
    if reading is None:
        return describe_form(form, url)
    found = _DESCRIBED.pop(reading, None)
    if found is None:
        found = describe_form(form, url)
        if len(_DESCRIBED) >= FORMS_KEPT:
            del _DESCRIBED[next(iter(_DESCRIBED))]
    _DESCRIBED[reading] = found  # (the last one used is the last one dropped)
    return found


def _what_describing_reads(
    form: Node, url: str, root: Node
) -> tuple[bytes, str | None, str | None, tuple[tuple[str, str, bool], ...]] | None:
    """All that :func:`describe_form` reads of a page for ``form``: the form's own markup, its
    action made absolute, its title (read around it), and the page's labels that name its
    controls, in page order (the first one names a control); ``None`` where it reads more (an
    ``aria-labelledby``, which may point anywhere, or a ``<label>`` or ``<fieldset>`` around
    the form)."""
    ids: set[str] = set()
    for element in form.iter():
        if element.get("aria-labelledby") is not None:
            return None
        element_id = element.get("id")
        if element_id:
            ids.add(element_id)
    if next(form.iterancestors("label", "fieldset"), None) is not None:
        return None
    labels: list[tuple[str, str, bool]] = []
    if ids:
        for label in select(root, LABELS_FOR):
            target = label.get("for") or ""
            if target in ids:
                inside = _within(label, form)  # (its text is in the form's markup)
                labels.append((target, "" if inside else _text_without_controls(label), inside))
    markup = etree.tostring(form, method="html", with_tail=False)
    return markup, _action(form, url), _title(form), tuple(labels)


def _within(element: Node, ancestor: Node) -> bool:
    return any(parent is ancestor for parent in element.iterancestors())


def describe_form(form: Node, url: str) -> Form:
    fields = tuple(_fields(form))
    action = _action(form, url)
    method = (form.get("method") or "get").strip().lower() or "get"
    title = _title(form)
    purpose = _purpose(form, fields, action, title)
    fields = in_context(fields, purpose)
    return Form(
        id=fingerprint(action, method, fields),
        purpose=purpose,
        action=action,
        method=method,
        title=title,
        field_count=len(fields),
        json_schema=json.dumps(json_schema(title, fields), ensure_ascii=False),
        fields=fields,
    )


# --- controls and their labels -------------------------------------------------------------


@dataclass(slots=True)
class _Control:
    element: Node
    kind: str
    text_before: str  # the last line of text between the previous control and this one
    text_after: str  # text between this control and the next control or line break


def _controls(form: Node, *, css_hidden: bool = True) -> list[_Control]:
    """Visible controls of ``form`` with the text around them, from one walk of the form.

    With ``css_hidden``, honeypots are left out: a control hidden by ``display: none`` or
    ``hidden``, or a hidden block that holds one text control and nothing else (the spam traps
    of Contact Form 7, Gravity Forms, Akismet). A hidden block with more (a login panel, a
    "remember me" box shown on hover) is part of the form a script shows. A form whose every
    control is hidden is a popup shown by a script, and is read with them.
    """
    walk = _ControlWalk(css_hidden)
    walk.walk(form)
    return walk.controls


class _ControlWalk:
    """One walk of a form for :func:`_controls` (a class, not closures: a nested function that
    calls itself is a cycle, left for the garbage collector to find)."""

    def __init__(self, css_hidden: bool) -> None:
        self.css_hidden = css_hidden
        self.controls: list[_Control] = []
        self.lines: list[str] = [""]
        self.after_target: list[_Control] = []

    def add_text(self, text: str | None) -> None:
        if text:
            self.lines[-1] += text
            for control in self.after_target:
                control.text_after += text

    def new_line(self) -> None:
        if self.lines[-1].strip():
            self.lines.append("")
        self.after_target.clear()

    def walk(self, node: Node) -> None:
        tag = node.tag if isinstance(node.tag, str) else ""
        if tag == "noscript":  # reCAPTCHA's no-script answer box is its field
            self.controls.extend(
                _Control(c, "textarea", "", "") for c in node.iter() if _captcha(c)
            )
            return
        if tag in INVISIBLE_TAGS or (self.css_hidden and _honeypot(node)):
            return
        if tag in ("input", "select", "textarea"):
            kind = _kind(node)
            if kind is not None:
                before = next((ln for ln in reversed(self.lines) if ln.strip()), "")
                control = _Control(node, kind, normalize_space(before), "")
                self.controls.append(control)
                self.after_target.clear()
                self.after_target.append(control)
            self.lines.clear()
            self.lines.append("")
            return
        if tag in ("button", "option"):
            return
        block = tag in _LINE_BREAKERS
        if block:
            self.new_line()
        self.add_text(node.text)
        for child in node:
            self.walk(child)
            self.add_text(child.tail)
        if block:
            self.new_line()


_LINE_BREAKERS: Final = frozenset(
    "br p div li ul ol tr td th table dt dd dl h1 h2 h3 h4 h5 h6 fieldset legend section label "
    "hr".split()
)


def _captcha(node: Node) -> bool:
    """reCAPTCHA's answer field: hidden by its script, but it stands for a visible puzzle."""
    return node.tag in ("input", "textarea") and "captcha" in (node.get("name") or "").lower()


def _honeypot(node: Node) -> bool:
    """A control hidden from people, or a hidden block with one text control alone."""
    if not _hidden(node) or _captcha(node):
        return False
    if node.tag in ("input", "select", "textarea"):
        return True
    controls = [c for c in node.iter("input", "select", "textarea") if _kind(c) is not None]
    return len(controls) <= 1 and all(_kind(c) in HONEYPOT_KINDS for c in controls)


def _hidden(node: Node) -> bool:
    if node.get("hidden") is not None or node.get("aria-hidden") == "true":
        return True
    return bool(HIDDEN_STYLE.search(node.get("style") or ""))


def _kind(node: Node) -> str | None:
    if node.tag == "select":
        return "select"
    if node.tag == "textarea":
        return "textarea"
    declared = (node.get("type") or "text").strip().lower()
    if declared in NOT_FIELDS:
        return None
    return declared if declared in INPUT_TYPES else "text"


def _fields(form: Node) -> Iterator[FormField]:
    controls = _controls(form) or _controls(form, css_hidden=False)
    root = form.getroottree().getroot()
    groups: dict[tuple[str, str], list[_Control]] = {}
    order: list[list[_Control]] = []
    for control in controls:
        name = control.element.get("name")
        if control.kind in ("radio", "checkbox") and name:
            key = (control.kind, name)
            if key not in groups:
                groups[key] = []
                order.append(groups[key])
            groups[key].append(control)
        else:
            order.append([control])
    for position, group in enumerate(order, start=1):
        yield _field(position, group, root)


def _field(position: int, group: list[_Control], root: Node) -> FormField:
    first = group[0]
    element = first.element
    kind = first.kind
    grouped = kind in ("radio", "checkbox") and (len(group) > 1 or kind == "radio")
    if grouped:
        label = _group_label(first, root)
        options = tuple(
            Option(value=c.element.get("value") or "on", label=_option_label(c, root))
            for c in group
        )
    else:
        label = _label(first, root)
        options = _select_options(element) if kind == "select" else ()
    placeholder = (element.get("placeholder") or "").strip() or None
    required = any(_required(c.element) for c in group) or _marked_required(first, root)
    return FormField(
        position=position,
        name=element.get("name"),
        label=label,
        type=kind,
        semantic_type=semantic_type(element, kind, label, placeholder, grouped=grouped),
        required=required,
        options=options,
        placeholder=placeholder,
    )


def _label(control: _Control, root: Node) -> str | None:
    """The label a person reads for a control, found the way browsers' autofill looks for it."""
    element = control.element
    for text in (
        _label_for(element, root),
        _wrapping_label(element),
        _labelled_by(element, root),
        element.get("aria-label"),
        control.text_before,
        _cell_context(element),
        element.get("placeholder"),
        element.get("title"),
    ):
        cleaned = _clean_label(text)
        if cleaned:
            return cleaned
    return None


def _group_label(first: _Control, root: Node) -> str | None:
    fieldset = next(first.element.iterancestors("fieldset"), None)
    if fieldset is not None:
        legend = fieldset.find("legend")
        if legend is not None and _clean_label(text_of(legend)):
            return _clean_label(text_of(legend))
    for text in (
        _labelled_by(first.element, root),
        first.element.get("aria-label"),
        first.text_before,
        _cell_context(first.element),
    ):
        cleaned = _clean_label(text)
        if cleaned:
            return cleaned
    return None


def _option_label(control: _Control, root: Node) -> str:
    element = control.element
    for text in (_label_for(element, root), _wrapping_label(element), control.text_after):
        cleaned = _clean_label(text)
        if cleaned:
            return cleaned
    return element.get("value") or "on"


def _label_for(element: Node, root: Node) -> str | None:
    control_id = element.get("id")
    if not control_id:
        return None
    for label in select(root, LABELS_FOR):
        if label.get("for") == control_id:
            return _text_without_controls(label)
    return None


def _wrapping_label(element: Node) -> str | None:
    label = next(element.iterancestors("label"), None)
    return _text_without_controls(label) if label is not None else None


def _labelled_by(element: Node, root: Node) -> str | None:
    ids = (element.get("aria-labelledby") or "").split()
    if not ids:
        return None
    by_id = {node.get("id"): node for node in root.iter() if node.get("id") in ids}
    return " ".join(text_of(by_id[i]) for i in ids if i in by_id) or None


def _cell_context(element: Node) -> str | None:
    """The text of the table cell, ``dt`` or ``li`` that introduces the control's own cell."""
    for ancestor in element.iterancestors():
        if ancestor.tag in ("td", "dd"):
            previous = ancestor.getprevious()
            if previous is not None and previous.tag in ("td", "th", "dt"):
                return text_of(previous)
            return None
        if ancestor.tag == "li":
            return _text_without_controls(ancestor)
        if ancestor.tag == "form":
            return None
    return None


def _text_without_controls(element: Node) -> str:
    parts: list[str] = []
    _add_text_without_controls(element, parts)
    return normalize_space(" ".join(parts))


def _add_text_without_controls(node: Node, parts: list[str]) -> None:
    # a function of its own, not a closure: a nested function that calls itself is a cycle,
    # left for the garbage collector to find
    tag = node.tag if isinstance(node.tag, str) else ""
    if tag not in INVISIBLE_TAGS and tag not in ("select", "textarea", "option", "button"):
        parts.append(node.text or "")
        for child in node:
            _add_text_without_controls(child, parts)
            parts.append(child.tail or "")


def _clean_label(text: str | None) -> str | None:
    if not text:
        return None
    cleaned = normalize_space(text).strip(LABEL_TRIM).strip()
    return cleaned or None


def _required(element: Node) -> bool:
    return element.get("required") is not None or element.get("aria-required") == "true"


def _marked_required(control: _Control, root: Node) -> bool:
    """A label ending in ``*`` marks a required field, by a common convention."""
    raw = (
        _label_for(control.element, root) or _wrapping_label(control.element) or control.text_before
    )
    return bool(raw) and raw.rstrip().rstrip(":").rstrip().endswith("*")


def _select_options(select_element: Node) -> tuple[Option, ...]:
    options: list[Option] = []
    for option in select_element.iter("option"):
        label = normalize_space(text_content(option))
        value = option.get("value")
        value = label if value is None else value
        if not value.strip() and PLACEHOLDER_OPTION.match(label):
            continue
        if PLACEHOLDER_OPTION.match(label) and (option.get("disabled") is not None or not value):
            continue
        options.append(Option(value=value, label=label or value))
    return tuple(options)


# --- semantic types, purpose, title --------------------------------------------------------


def semantic_type(
    element: Node,
    kind: str,
    label: str | None,
    placeholder: str | None,
    *,
    grouped: bool = False,
) -> str:
    """The field's meaning: an autocomplete token where one fits, else one of our extra words."""
    for token in reversed((element.get("autocomplete") or "").lower().split()):
        if token in AUTOCOMPLETE_TOKENS:
            return "tel" if token.startswith("tel") else token
    if kind == "number" and any(
        SEMANTIC_WORDS_BY_NAME["tel"].search((t or "").lower())
        for t in (label, element.get("name"))
    ):
        return "tel"  # a phone number in a number box
    if kind in TYPE_SEMANTICS:
        return TYPE_SEMANTICS[kind]
    if kind == "checkbox" and not grouped:
        return "captcha" if SEMANTIC_WORDS[0][1].search((label or "").lower()) else "consent"
    allowed = GROUP_SEMANTICS if grouped else None
    if grouped and kind == "checkbox":
        allowed = GROUP_SEMANTICS - {"subject"}  # several topics ticked are not a subject line
    if kind == "password":
        words = " ".join(filter(None, (label, element.get("name"), element.get("id"))))
        new = SEMANTIC_WORDS[1][1].search(words.lower())
        return "new-password" if new else "current-password"
    for text in (label, _as_words(element.get("name")), _as_words(element.get("id")), placeholder):
        if text:
            found = _semantic_of_words(text, allowed)
            if found is not None:
                return found
    if kind == "textarea":
        return "message"
    return "other"


@lru_cache(maxsize=8192)
def _semantic_of_words(text: str, allowed: frozenset[str] | None) -> str | None:
    """The first semantic type whose words ``text`` holds (a blog's forms repeat on every
    page, their labels with them: each is matched against the word lists once)."""
    text = text.lower()
    for semantic, pattern in SEMANTIC_WORDS:
        if semantic in PASSWORDS:
            continue  # only a password input asks for a password, whatever its label says
        if pattern.search(text) and (allowed is None or semantic in allowed):
            return semantic
    return None


def in_context(fields: tuple[FormField, ...], purpose: str) -> tuple[FormField, ...]:
    """Semantic types the form's purpose decides: what a field means depends on its form."""
    adjusted = []
    seen_password = False
    for field in fields:
        semantic = field.semantic_type
        if purpose == "search" and field.type in ("text", "search") and semantic not in STRONG:
            semantic = "search"  # every free-text box of a search form is part of the query
        elif purpose == "login" and field.type == "text" and not seen_password:
            if semantic in ("name", "given-name", "other", "username"):
                semantic = "username"
        elif purpose == "registration" and field.type == "password":
            semantic = "new-password"
        elif purpose == "registration" and DATE_PART.match(field.name or field.label or ""):
            semantic = "bday"
        elif purpose == "mailing-list" and field.type in ("text", "email") and semantic == "other":
            semantic = "email"  # a newsletter's unnamed box takes the address it sends to
        seen_password |= field.type == "password"
        adjusted.append(field if semantic == field.semantic_type else _with(field, semantic))
    return tuple(adjusted)


def _with(field: FormField, semantic: str) -> FormField:
    from dataclasses import replace

    return replace(field, semantic_type=semantic)


def _as_words(name: str | None) -> str | None:
    """A control's name or id as words: ``billing_zipCode[0]`` -> ``billing zip Code 0``."""
    if not name:
        return None
    return NAME_SEPARATORS.sub(" ", CAMEL_CASE.sub(r"\1 \2", name)).strip()


def _purpose(
    form: Node, fields: tuple[FormField, ...], action: str | None, title: str | None
) -> str:
    """What the form is for, from its fields first, then the words around it."""
    semantics = [f.semantic_type for f in fields]
    kinds = [f.type for f in fields]
    passwords = kinds.count("password")
    words = " ".join(
        filter(
            None,
            (
                action,
                form.get("id"),
                form.get("class"),
                form.get("name"),
                form.get("role"),
                title,
                _buttons_text(form),
            ),
        )
    ).lower()
    said = (purpose for purpose, pattern in PURPOSE_WORDS if pattern.search(words))
    by_words = next(said, None)
    about_password = by_words == "password-recovery" or PASSWORD_WORDS.search(words)
    if passwords == 0 and about_password and len(fields) <= 3:
        return "password-recovery"
    if passwords:
        # one password: a login form, even on a page that also offers to register
        later = {by_words, *said}  # the words' other purposes, read only here
        registering = "registration" in later and "login" not in later
        if passwords >= 2 or registering or len(fields) > 5:
            return "registration"
        return "login"
    if "search" in semantics and len(fields) <= 3:
        return "search"  # a search box says more than the page it sends to (cart.php)
    if by_words in ("comment", "mailing-list", "order", "registration", "search"):
        return by_words
    if "textarea" in kinds and (set(semantics) & {"email", "tel", "name", "given-name"}):
        return "comment" if "comment" in words else "contact"
    if by_words in ("contact", "login"):
        return by_words
    if "number" in semantics and len(fields) <= 3:
        return "order"  # a quantity box next to "buy"
    if "email" in semantics and len(fields) <= 3 and "textarea" not in kinds:
        return "mailing-list"
    return "other"


def _buttons_text(form: Node) -> str:
    parts = [text_of(b) for b in form.iter("button")]
    parts += [
        i.get("value") or ""
        for i in form.iter("input")
        if (i.get("type") or "").lower() in ("submit", "image", "button")
    ]
    return " ".join(parts)


def _title(form: Node) -> str | None:
    for tags in TITLE_INSIDE:
        for node in form.iter(*tags):
            text = text_of(node)
            if text:
                return text
    legend = _whole_form_legend(form)
    if legend:
        return legend
    for attribute in ("aria-label", "title"):
        if form.get(attribute):
            return normalize_space(form.get(attribute))
    # the heading just before the form, or before a box it sits in: a table's cell, a
    # widget's content (Blogger's widgets put their title in an h2 beside it)
    element: Node | None = form
    for _ in range(TITLE_CLIMB):
        if element is None or element.tag in TITLE_CLIMB_STOP:
            break
        previous = element.getprevious()
        for _ in range(2):
            if previous is None:
                break
            if previous.tag in HEADING_TAGS and text_of(previous):
                return text_of(previous)
            if next(previous.iter("form"), None) is not None:
                return None  # the heading of the form before it
            previous = previous.getprevious()
        element = element.getparent()
        if element is not None and sum(1 for _ in element.iter("form")) > 1:
            break  # a box of several forms: a heading beside it is none of theirs
    return None


def _whole_form_legend(form: Node) -> str | None:
    controls = _count_controls(form)
    for fieldset in form.iter("fieldset"):
        legend = fieldset.find("legend")
        if legend is not None and _count_controls(fieldset) == controls:
            return text_of(legend) or None
    return None


def _count_controls(element: Node) -> int:
    """The inputs (but hidden ones and submit buttons), selects and textareas under ``element``."""
    return sum(
        1
        for node in element.iter("input", "select", "textarea")
        if node.tag != "input" or node.get("type") not in ("hidden", "submit")
    )


def _action(form: Node, url: str) -> str | None:
    """The absolute URL the form submits to (the page itself when it names none)."""
    action = (form.get("action") or "").strip()
    if action.lower().startswith("javascript:"):
        return None
    try:
        return urljoin(url, action) if action else url
    except ValueError:  # a malformed action (a broken IPv6 host): the form posts nowhere known
        return None


# --- schema and fingerprint ----------------------------------------------------------------


def json_schema(title: str | None, fields: tuple[FormField, ...]) -> dict[str, object]:
    """A JSON Schema (draft 2020-12) describing what the form accepts."""
    properties: dict[str, object] = {}
    required: list[str] = []
    for field in fields:
        key = _property_name(field, properties)
        properties[key] = _field_schema(field)
        if field.required:
            required.append(key)
    schema: dict[str, object] = {"$schema": JSON_SCHEMA_DIALECT, "type": "object"}
    if title:
        schema["title"] = title
    schema["properties"] = properties
    if required:
        schema["required"] = required
    return schema


def _property_name(field: FormField, taken: dict[str, object]) -> str:
    base = field.name or (field.label or f"field_{field.position}")
    key = base
    suffix = 2
    while key in taken:
        key = f"{base}_{suffix}"
        suffix += 1
    return key


def _field_schema(field: FormField) -> dict[str, object]:
    schema: dict[str, object] = {}
    if field.label:
        schema["title"] = field.label
    values = [option.value for option in field.options]
    if field.type == "checkbox" and values:
        schema.update(type="array", items={"enum": values}, uniqueItems=True)
    elif field.type == "checkbox":
        schema["type"] = "boolean"
    elif field.type in ("number", "range"):
        schema["type"] = "number"
    else:
        schema["type"] = "string"
        if values:
            schema["enum"] = values
        fmt = _FORMATS.get(field.type) or _FORMATS.get(field.semantic_type)
        if fmt:
            schema["format"] = fmt
    if field.placeholder:
        schema["examples"] = [field.placeholder]
    return schema


_FORMATS: Final = {
    "email": "email",
    "url": "uri",
    "date": "date",
    "time": "time",
    "datetime-local": "date-time",
}


def fingerprint(action: str | None, method: str, fields: tuple[FormField, ...]) -> str:
    """A stable id from the form's structure (where it posts, its fields), not from its page."""
    target = ""
    if action:
        parts = urlsplit(action)
        target = urlunsplit((parts.scheme, parts.netloc.lower(), parts.path, "", ""))
    structure = [
        target,
        method,
        [(f.type, f.name, f.label, [o.value for o in f.options]) for f in fields],
    ]
    digest = hashlib.sha256(json.dumps(structure, sort_keys=True).encode("utf-8")).hexdigest()
    return digest[:16]
