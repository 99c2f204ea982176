"""No free-text path to a clinical fact remains: no form in any template and no request body
in the API takes a free-text diagnosis, treatment note, prescription or allergy summary. A
visit is recorded as its encounter (coded diagnoses), medicines go through prescribing (with
its checks), allergies are structured entries of the one list."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import openward
from openward.app import create_app

FREE_TEXT_RECORD_FIELDS = {"prescription", "treatment_notes", "diagnosis", "allergies_summary"}
TEMPLATES = sorted(Path(openward.__file__).parent.glob("**/templates/**/*.html"))


class _FormFields(HTMLParser):
    """The names of every input, textarea and select inside a <form>."""

    def __init__(self) -> None:
        super().__init__()
        self.depth = 0
        self.names: set[str] = set()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "form":
            self.depth += 1
        elif self.depth and tag in ("input", "textarea", "select"):
            name = dict(attrs).get("name")
            if name and "{{" not in name:
                self.names.add(name)

    def handle_endtag(self, tag: str) -> None:
        if tag == "form" and self.depth:
            self.depth -= 1


def _macro_field_names(source: str) -> set[str]:
    """Fields written through the form macros: m.field("name", ...), pm.textarea("name", ...)."""
    return set(re.findall(r"\b(?:field|textarea|select|cfield|cselect)\(\s*\"([a-z_]+)\"", source))


def test_there_are_templates_to_walk():
    assert len(TEMPLATES) > 50


def test_no_form_in_any_template_takes_a_free_text_record():
    found = {}
    for template in TEMPLATES:
        source = template.read_text(encoding="utf-8")
        parser = _FormFields()
        parser.feed(source)
        names = (parser.names | _macro_field_names(source)) & FREE_TEXT_RECORD_FIELDS
        if names:
            found[str(template.relative_to(Path(openward.__file__).parent))] = sorted(names)
    assert found == {}


def test_no_request_body_in_the_api_takes_a_free_text_record(settings):
    document = create_app(settings).openapi()
    found = {}
    for name, schema in document["components"]["schemas"].items():
        fields = set(schema.get("properties", {})) & FREE_TEXT_RECORD_FIELDS
        if fields and not name.endswith("Out"):
            found[name] = sorted(fields)
    assert found == {}
