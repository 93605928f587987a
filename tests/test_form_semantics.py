"""Semantic types and purposes of small forms, one rule each (the corpus eval measures all)."""

from __future__ import annotations

import pytest

from extract import extract_forms

URL = "http://127.0.0.1/form"


def only_form(body: str) -> tuple[str, dict[str, str]]:
    (form,) = extract_forms(f"<html><body>{body}</body></html>", URL)
    return form.purpose, {field.name or "": field.semantic_type for field in form.fields}


@pytest.mark.parametrize(
    ("label", "expected"),
    [
        ("Daytime phone", "tel"),  # "daytime" is no date and time
        ("Date and time", "datetime"),
        ("Check-in", "date"),
        ("Anreise", "date"),
        ("Anrede", "sex"),
        ("Cognome", "family-name"),
        ("Priezvisko", "family-name"),
        ("Mesto", "address-level2"),
        ("Krajina", "country"),
        ("PSČ", "postal-code"),
        ("Azienda", "organization"),
        ("Image security", "captcha"),
        # the words are matched in any case, in every script
        ("E-MAIL", "email"),
        ("VORNAME", "given-name"),
        ("ФАМИЛИЯ", "family-name"),
        ("CODE POSTAL", "postal-code"),
    ],
)
def test_label_words(label: str, expected: str) -> None:
    _, fields = only_form(
        f'<form action="/send"><label for="f">{label}</label><input id="f" name="f">'
        '<textarea name="body"></textarea></form>'
    )
    assert fields["f"] == expected


def test_a_newsletter_box_without_a_telling_name_takes_the_email() -> None:
    purpose, fields = only_form(
        '<form action="/newsletter/subscribe"><input name="newsletter">'
        "<button>Subscribe</button></form>"
    )
    assert (purpose, fields["newsletter"]) == ("mailing-list", "email")


def test_a_reset_request_is_password_recovery() -> None:
    purpose, _ = only_form(
        '<form action="/index.php?task=requestreset"><label for="e">E-mail Address</label>'
        '<input id="e" name="email"><button>Submit</button></form>'
    )
    assert purpose == "password-recovery"


def test_purpose_and_password_words_are_matched_in_any_case() -> None:
    purpose, _ = only_form('<form action="/LIST"><input name="x"><button>SUBSCRIBE</button></form>')
    assert purpose == "mailing-list"
    purpose, fields = only_form(
        '<form action="/konto"><input name="u"><label for="p">REPEAT PASSWORD</label>'
        '<input type="password" id="p" name="p"></form>'
    )
    assert (purpose, fields["p"]) == ("login", "new-password")
