"""The patient banner: who this is (name, age, sex, MRN), what can hurt them (allergies, red
when severe), where they are now (today's visit, an admission) and who looks after them (the
care team), on every page about one patient. The facts beyond the record come from the
domains that hold them, through the `BANNER_FACTS` extension point."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from openward.core import domains
from openward.patients import schemas
from openward.patients.access import get
from openward.patients.care_team import care_team
from openward.patients.mrn import format_mrn

# Extension point: async (db, patient_id, zone) -> list[BannerFact]
BANNER_FACTS = "patient.banner_facts"


@dataclass(frozen=True)
class BannerFact:
    """One line of the banner: `kind` orders it (allergies first), `tone` colours it
    (danger, warning, info, muted), `href` links to where it is kept."""

    kind: str
    label: str
    text: str
    tone: str = "info"
    href: str | None = None
    items: tuple[tuple[str, str], ...] = ()  # (text, tone) of each entry, e.g. each allergy


@dataclass
class Banner:
    patient_id: int
    name: str
    age: int
    sex: str
    mrn: str
    date_of_birth: date
    is_active: bool
    care_team: list[str]
    facts: list[BannerFact] = field(default_factory=list)


ORDER = {"allergies": 0, "admission": 1, "visit": 2}


def age_on(born: date, today: date) -> int:
    return today.year - born.year - ((today.month, today.day) < (born.month, born.day))


async def banner(db: AsyncSession, patient_id: int, zone: ZoneInfo) -> Banner:
    """The banner of a patient the caller has already been allowed to see (the page's own
    read checked access and is audited)."""
    patient = await get(db, patient_id)
    facts: list[BannerFact] = []
    for feed in domains.extensions(BANNER_FACTS):
        facts.extend(await feed(db, patient.id, zone))
    facts.sort(key=lambda f: ORDER.get(f.kind, 9))
    team = await care_team(db, patient.id)
    return Banner(
        patient_id=patient.id,
        name=patient.full_name,
        age=age_on(patient.date_of_birth, datetime.now(zone).date()),
        sex=schemas.SEX_LABELS.get(patient.sex, patient.sex),
        mrn=format_mrn(patient.mrn),
        date_of_birth=patient.date_of_birth,
        is_active=patient.is_active,
        care_team=[f"{m.doctor_name} ({m.department_name})" for m in team],
        facts=facts,
    )
