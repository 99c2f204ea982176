"""One label and one colour per status on every page: the shared badge and its callers."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import openward
from openward.db import Base
from openward.models import load_all_models
from openward.web.status import STATUSES, status_of
from openward.web.templating import env

SRC = Path(openward.__file__).parent
BADGE = re.compile(
    r'<span class="badge ow-status text-bg-(?P<colour>[a-z]+)[^"]*" '
    r'data-status="(?P<status>[^"]*)">(?P<label>[^<]*)</span>'
)


def _render(source: str, **values: object) -> str:
    return env.from_string(source).render(**values)


def _badge(html: str) -> tuple[str, str, str]:
    match = BADGE.search(html)
    assert match, f"no status badge in {html!r}"
    return match["status"], match["label"], match["colour"]


def stored_statuses() -> set[str]:
    """Every value a `status` (or an allergy's `verification`) column may hold, read from the
    tables' CHECK constraints, so a status added to a model must get its badge."""
    load_all_models()
    found: set[str] = set()
    for table in Base.metadata.tables.values():
        for constraint in table.constraints:
            text = str(getattr(constraint, "sqltext", ""))
            match = re.match(r"\s*(status|verification)\s+IN\s*\((.*)\)\s*$", text, re.DOTALL)
            if match:
                found.update(re.findall(r"'([a-z_]+)'", match.group(2)))
    return found


def test_every_stored_status_has_its_own_label_and_colour():
    statuses = stored_statuses()
    assert {"booked", "signed", "verified", "dispensed", "refuted"} <= statuses
    missing = sorted(s for s in statuses if s not in STATUSES)
    assert missing == [], f"statuses without a badge: {missing}"


@pytest.mark.parametrize("status", sorted(STATUSES))
def test_the_shared_badge_shows_the_status_label_in_its_colour(status: str):
    html = _render('{% import "web/macros.html" as m %}{{ m.status_badge(s) }}', s=status)
    assert _badge(html) == (status, STATUSES[status].label, STATUSES[status].colour)
    assert "_" not in STATUSES[status].label


# Each domain's own badge macro, called as its templates call it.
DOMAIN_BADGES = {
    "appointment": ('{% import "web/macros.html" as m %}{{ m.status_badge(s) }}', None),
    "visit history": ('{% import "patients/_macros.html" as pm %}{{ pm.visit_badge(s) }}', None),
    "clinical": ('{% import "clinical/_macros.html" as cm %}{{ cm.state_badge(s) }}', None),
    "lab": ('{% import "lab/_macros.html" as lab %}{{ lab.status(s) }}', None),
    "radiology": ('{% import "radiology/_macros.html" as r %}{{ r.status_badge(s) }}', None),
    "pharmacy": ('{% import "pharmacy/_m.html" as rx %}{{ rx.rx_badge(s) }}', None),
}


@pytest.mark.parametrize("status", ["active", "cancelled", "completed", "verified", "draft"])
def test_a_status_looks_the_same_whichever_domain_shows_it(status: str):
    seen = {
        name: _badge(_render(source, s=status))[1:] for name, (source, _) in DOMAIN_BADGES.items()
    }
    assert set(seen.values()) == {(STATUSES[status].label, STATUSES[status].colour)}, seen


def test_a_patient_record_badge_says_active_or_inactive_like_everything_else():
    source = '{% import "patients/_macros.html" as pm %}{{ pm.status_badge(p) }}'
    active = _render(source, p={"is_active": True})
    inactive = _render(source, p={"is_active": False})
    assert _badge(active)[1:] == (STATUSES["active"].label, STATUSES["active"].colour)
    assert _badge(inactive)[1:] == (STATUSES["inactive"].label, STATUSES["inactive"].colour)


def test_an_unknown_status_still_reads_as_words():
    assert status_of("awaiting_porter") == ("Awaiting porter", "light")
    assert status_of(None).label == "—"


# ------------------------------------------------- no hand-written status badge anywhere

_ANY_BADGE = re.compile(r'<span class="badge[^"]*"[^>]*>(.*?)</span>', re.DOTALL)
_LABELS = {s.label.lower() for s in STATUSES.values()} | {key.replace("_", " ") for key in STATUSES}


def hand_written_status_badges() -> list[str]:
    """`<span class="badge">` in a template whose text is a status label, or which prints a
    status value itself, outside the shared macro."""
    shared = SRC / "web" / "templates" / "web" / "macros.html"
    found = []
    for template in sorted(SRC.glob("*/templates/**/*.html")):
        if template == shared:
            continue
        text = template.read_text()
        for match in _ANY_BADGE.finditer(text):
            inner = match.group(1)
            words = re.sub(r"\s+", " ", re.sub(r"{[{%#].*?[}%#]}", "", inner)).strip().lower()
            prints_status = re.search(r"{{[^}]*\b(status|state)\b[^}]*}}", inner)
            if words in _LABELS or prints_status:
                line = text.count("\n", 0, match.start()) + 1
                found.append(f"{template.relative_to(SRC)}:{line}: {match.group(0)[:90]}")
    return found


def test_no_template_writes_its_own_status_badge():
    assert hand_written_status_badges() == []


def test_the_walker_would_catch_a_hand_written_badge():
    """The check above is not vacuous: the same walk over a template that writes its own
    "Completed" badge reports it."""
    html = '<td><span class="badge text-bg-info">Completed</span></td>'
    match = _ANY_BADGE.search(html)
    assert match and match.group(1).strip().lower() in _LABELS
    printed = '<span class="badge text-bg-{{ c }}">{{ a.status|capitalize }}</span>'
    match = _ANY_BADGE.search(printed)
    assert match and re.search(r"{{[^}]*\b(status|state)\b[^}]*}}", match.group(1))
