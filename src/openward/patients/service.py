"""Patients as the other domains (and this one's API and pages) call them: one name for
each rule about a patient record, wherever it lives. Every read and write of a patient is
audited.

The rules live beside it: `registration` (a new record under a unique MRN, the duplicate
checks, changes, (de)activation, linking a login), `access` (who may see whom, break the
glass, reading one record, many or one's own), `search` (the search box, a doctor's lists,
a form's patient step, the figures), `care_team` (the doctors assigned to a patient) and
`search_keys` (folded names and phone digits). The care relationships that decide access are
`care`'s."""

from __future__ import annotations

from openward.patients.access import (
    ALL_PATIENTS_ROLES,
    BREAK_GLASS_MAX,
    BREAK_GLASS_MIN,
    DEPARTMENT_ROLES,
    break_glass_problem,
    brief_of,
    briefs,
    check_access,
    for_user,
    get,
    get_for,
    id_of_login,
    mine,
    my_id,
    recipient,
    with_patient,
)
from openward.patients.banner import BANNER_FACTS, Banner, BannerFact, banner
from openward.patients.care_team import assign_doctor, care_team, remove_doctor
from openward.patients.deactivation import deactivate
from openward.patients.errors import PatientNotFound
from openward.patients.registration import (
    SEXES,
    audit_disclosure,
    create,
    find_duplicates,
    link_login,
    possible_duplicates,
    register,
    set_active,
    update,
)
from openward.patients.search import (
    COUNT_CAP,
    chosen_or_matches,
    count_active,
    count_registered_since,
    search,
)
from openward.patients.search_keys import digits_of, fold, search_name

# Extension point (core.domains.Domain.extends) for the patient's page and their own record:
# async (db, actor, patient_id, *, zone, break_glass_reason) -> a history with `items` and
# `treatments_withheld` (the visits and what was done at each).
VISIT_HISTORY = "patient.visit_history"

__all__ = [
    "ALL_PATIENTS_ROLES",
    "BANNER_FACTS",
    "BREAK_GLASS_MAX",
    "BREAK_GLASS_MIN",
    "COUNT_CAP",
    "DEPARTMENT_ROLES",
    "SEXES",
    "VISIT_HISTORY",
    "Banner",
    "BannerFact",
    "PatientNotFound",
    "assign_doctor",
    "audit_disclosure",
    "banner",
    "break_glass_problem",
    "brief_of",
    "briefs",
    "care_team",
    "check_access",
    "chosen_or_matches",
    "count_active",
    "count_registered_since",
    "create",
    "deactivate",
    "digits_of",
    "find_duplicates",
    "fold",
    "for_user",
    "get",
    "get_for",
    "id_of_login",
    "link_login",
    "mine",
    "my_id",
    "possible_duplicates",
    "recipient",
    "register",
    "remove_doctor",
    "search",
    "search_name",
    "set_active",
    "update",
    "with_patient",
]
