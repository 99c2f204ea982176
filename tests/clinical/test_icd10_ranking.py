"""ICD-10 search puts what a clinician means first: the code typed, the common outpatient
diagnosis the words name, a description that is exactly the term, then word starts, then
words found inside other words. (Speed is measured by bench/icd10_search_bench.py.)"""

from __future__ import annotations

import pytest

from openward.clinical import icd10


def codes(q: str, limit: int = 20) -> list[str]:
    return [c.code for c in icd10.search(q, limit)]


@pytest.mark.parametrize("q", ["hypertension", "hypert", "Hypertension", "  hyper  "])
def test_hypertension_and_its_first_letters_find_essential_hypertension_first(q):
    assert codes(q)[0] == "I10"


def test_diabetes_finds_type_2_without_complications_near_the_top():
    found = codes("diabetes")
    assert found[0] == "E11.9"
    assert found.index("E11.9") < found.index("E23.2")  # before diabetes insipidus


def test_asthma_finds_asthma_unspecified_first_and_the_category_next():
    assert codes("asthma")[:2] == ["J45.9", "J45"]


@pytest.mark.parametrize("q", ["i10", "I10", "i 10", "I10."])
def test_a_code_typed_as_a_code_comes_first(q):
    assert codes(q)[0] == "I10"


def test_a_category_typed_comes_first_then_its_common_subcategory_then_the_others():
    found = codes("E11")
    assert found[:2] == ["E11", "E11.9"]
    assert all(c.startswith("E11") for c in found)
    assert codes("e11.9")[0] == "E11.9"


@pytest.mark.parametrize(
    ("q", "first"),
    [
        ("copd", "J44.9"),
        ("uti", "N39.0"),
        ("gerd", "K21.9"),
        ("high blood pressure", "I10"),
        ("back pain", "M54.5"),
        ("depression", "F32.9"),
        ("flu", "J11.1"),
        ("sore throat", "J02.9"),
    ],
)
def test_the_names_clinicians_use_for_common_diagnoses_find_them_first(q, first):
    assert codes(q)[0] == first


def test_word_starts_come_before_words_found_inside_other_words():
    found = codes("tension", 100)
    # "Tension-type headache" starts a word; "hypertension" only holds it inside.
    assert found.index("G44.2") < found.index("I15.9")


def test_diseases_come_before_injury_and_external_cause_codes_for_the_same_words():
    found = codes("burn", 50)
    first_special = next(i for i, c in enumerate(found) if c[0] in "STVWXYZ")
    assert found[:first_special], "a disease code mentioning burns comes first"
    assert codes("fracture femur")[0].startswith("S72")


def test_every_word_typed_must_match_and_nothing_matches_nonsense():
    assert all(
        "otitis" in d.lower() and "media" in d.lower()
        for d in (c.description for c in icd10.search("otitis media", 30))
    )
    assert codes("qqqzzz") == [] and codes("") == [] and codes("   ") == []


def test_the_limit_is_kept_and_clamped():
    assert len(codes("disease", 5)) == 5
    assert len(codes("disease", 0)) == 1
    assert len(codes("disease", 1000)) == 100


def test_every_common_diagnosis_is_a_real_who_code():
    for code, aliases in icd10.COMMON_DIAGNOSES:
        assert icd10.is_valid(code), code
        assert aliases.strip(), code
    assert len({c for c, _ in icd10.COMMON_DIAGNOSES}) == len(icd10.COMMON_DIAGNOSES)


def test_british_and_american_spellings_find_the_same_codes():
    assert codes("hemorrhage")[:5] == codes("haemorrhage")[:5]
    assert codes("anemia")[0] == codes("anaemia")[0]


async def test_the_api_answers_with_the_same_ranking(client, as_role):
    doctor = await as_role("doctor")
    for q, first in (("hypert", "I10"), ("diabetes", "E11.9"), ("asthma", "J45.9")):
        response = await client.get("/api/v1/icd10", headers=doctor, params={"q": q})
        assert response.status_code == 200, response.text
        assert response.json()["items"][0]["code"] == first
