"""No form shows a placeholder that passes for a value: every placeholder in the templates
reads as a hint ("e.g. oral", "Name, MRN or phone"), and the clinical order forms
(prescribing, encounter, lab order, imaging order) mark what is required."""

from __future__ import annotations

import re
from pathlib import Path

import httpx
import pytest

import openward
from tests.pharmacy.factories import pharmacy
from tests.web.pages import sign_in

SOURCE = Path(openward.__file__).parent
PLACEHOLDER = re.compile(r"""placeholder=(["'])(.*?)\1""", re.DOTALL)
MARK = '<span class="text-danger" aria-hidden="true">*</span>'


def reads_as_hint(text: str) -> bool:
    """An example ("e.g. ..."), or a description of what to type: several things
    ("Name, MRN or phone") or a sentence ("Type a name ..."). A lone word or number
    ("oral", "Negative", "1") looks typed in, and a template value ({{ x }}) looks like data."""
    if "{{" in text:
        return bool(re.match(r"^e\.g\. ", text))
    return (
        "e.g." in text
        or " or " in text
        or ", " in text
        or text.startswith(("Type ", "Find ", "Search "))
    )


def test_every_placeholder_in_the_templates_reads_as_a_hint():
    found = []
    for template in sorted(SOURCE.rglob("*.html")):
        for match in PLACEHOLDER.finditer(template.read_text(encoding="utf-8")):
            found.append((template.relative_to(SOURCE), match.group(2)))
    assert found, "the templates have placeholders to check"
    misleading = [(str(path), text) for path, text in found if not reads_as_hint(text)]
    assert misleading == []


@pytest.mark.parametrize("text", ["oral", "Negative", "1", "{{ a.normal_text }}", "mg"])
def test_a_lone_value_is_not_a_hint(text):
    assert not reads_as_hint(text)


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_the_clinical_order_forms_mark_their_required_fields(client, app, as_role):
    ph = await pharmacy(client, as_role)
    transport = httpx.ASGITransport(app=app, client=("203.0.113.9", 52000))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as doctor:
        signed = await sign_in(doctor, ph.doctor_row["username"])
        assert signed.status_code == 303
        pages = {
            f"/prescriptions/new?patient_id={ph.patient_id}": (
                "Medicine",
                "Dose",
                "Route",
                "Frequency",
                "Quantity",
            ),
            f"/encounters/new?patient_id={ph.patient_id}": ("Chief complaint",),
            f"/lab/orders/new?patient_id={ph.patient_id}": ("2. Tests",),
            f"/radiology/orders/new?patient_id={ph.patient_id}": ("Exam",),
        }
        for url, labels in pages.items():
            page = await doctor.get(url)
            assert page.status_code == 200, (url, page.text[:300])
            for label in labels:
                assert f"{label} {MARK}" in page.text, (url, label)
