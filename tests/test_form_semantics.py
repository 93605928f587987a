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


@pytest.mark.parametrize(
    "trap",
    [
        # Contact Form 7's honeypot, Gravity Forms' validation container, Akismet's textarea
        '<span style="display:none !important"><input name="your-website-hp" tabindex="-1"></span>',
        '<div class="gform_validation_container" style="display:none">'
        '<label for="h">Leave empty</label><input id="h" name="input_999"></div>',
        '<p style="display: none"><textarea name="ak_hp_textarea"></textarea></p>',
        '<input name="website" style="display:none">',
    ],
)
def test_a_honeypot_is_no_field(trap: str) -> None:
    _, fields = only_form(
        f'<form action="/contact"><input name="email" type="email">{trap}'
        '<textarea name="message"></textarea></form>'
    )
    assert set(fields) == {"email", "message"}


def test_a_hidden_panel_a_script_shows_is_part_of_the_form() -> None:
    purpose, fields = only_form(
        '<form action="/" method="post"><label>login:</label><input name="login">'
        '<input type="password" name="passwd"><span style="display: none;">'
        '<input type="checkbox" name="remember" id="r" value="1"><label for="r">Stay signed in'
        '</label><input name="otp"></span></form>'
    )
    assert purpose == "login"
    assert set(fields) == {"login", "passwd", "remember", "otp"}


@pytest.mark.parametrize(
    ("form", "expected"),
    [
        # Joomla's com_users "remind" view: a forgotten username is sent by email
        (
            '<form action="/index.php?option=com_user&amp;task=remindusername">'
            '<label for="e">E-mail Address</label><input id="e" name="email">'
            "<button>Submit</button></form>",
            "password-recovery",
        ),
        # Constant Contact's sign-up form posts to visitor.constantcontact.com
        (
            '<form action="https://visitor.r20.constantcontact.com/d.jsp">'
            '<input name="ea"><button>GO</button></form>',
            "mailing-list",
        ),
        # a search box on a shop's pages sends to its cart script
        ('<form action="/cart.php"><input name="search"></form>', "search"),
    ],
)
def test_purpose_from_platforms_and_fields(form: str, expected: str) -> None:
    assert only_form(form)[0] == expected
