"""Form schemas are JSON Schema draft 2020-12 documents that describe what the form accepts."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest

from extract import extract_forms

FIXTURES = Path(__file__).parent / "fixtures" / "forms"
SEED = FIXTURES / "coaching-lead-form"


def seed_schema() -> dict:
    html = (SEED / "input.html").read_text(encoding="utf-8")
    url = json.loads((SEED / "meta.json").read_text())["url"]
    coaching = next(f for f in extract_forms(html, url) if f.purpose == "contact")
    return json.loads(coaching.json_schema)


@pytest.mark.parametrize("case", sorted(FIXTURES.iterdir()), ids=lambda p: p.name)
def test_every_schema_is_valid_draft_2020_12(case: Path) -> None:
    html = (case / "input.html").read_text(encoding="utf-8")
    url = json.loads((case / "meta.json").read_text())["url"]
    for form in extract_forms(html, url):
        schema = json.loads(form.json_schema)
        assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
        jsonschema.Draft202012Validator.check_schema(schema)
        assert len(schema["properties"]) == form.field_count


def test_coaching_schema_titles_and_types() -> None:
    schema = seed_schema()
    assert schema["title"] == "Do You Need One Of Our Coaches?"
    properties = list(schema["properties"].values())
    assert [p["title"] for p in properties][:5] == [
        "Name",
        "Phone Number",
        "Best time/date to chat",
        "Time Zone",
        "Email Address",
    ]
    assert properties[-1]["title"] == "How do you envision 'The Howard Group' helping?"
    assert properties[4]["format"] == "email"
    assert len(properties[5]["enum"]) == 14 and len(properties[6]["enum"]) == 2
    assert schema["required"] == ["Field1", "Field5"]


def test_coaching_schema_accepts_a_filled_form_and_rejects_a_bad_one() -> None:
    validator = jsonschema.Draft202012Validator(
        seed_schema(), format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
    )
    good = {"Field1": "Ada", "Field5": "ada@example.org", "Field6": "mentor", "Field7": "nonprofit"}
    assert list(validator.iter_errors(good)) == []
    assert list(validator.iter_errors({"Field1": "Ada"}))  # email is required
    assert list(validator.iter_errors({**good, "Field6": "astrologer"}))  # not an option
    assert list(validator.iter_errors({**good, "Field5": "not an address"}))  # not an email
