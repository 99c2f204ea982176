"""The order of search results, with a handful of matches and with more than COUNT_CAP (where
each rank is read from the name index instead of sorting every match): the same order, the
same pages, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import date

from openward.core.actors import Actor
from openward.db import session_scope
from openward.patients import service as patients_service
from openward.patients.models import Patient
from openward.patients.search_keys import refresh_search_keys

ACTOR = Actor.system("test")
# Expected order for "ana silva": exact name, the other way round, names beginning with it,
# names with words beginning with both words, then names merely containing them.
RANKED = [
    ("Ana", "Silva"),
    ("Silva", "Ana"),
    ("Ana", "Silvano"),
    ("Anabel", "Silvano"),
    ("Marta Ana", "Silva"),
    ("Diana", "Silva"),
]


async def _add(app, names, first_mrn: int = 1_000_000_000) -> list[int]:
    async with session_scope(app.state.sessionmaker) as db:
        patients = []
        for index, (given, family) in enumerate(names):
            patient = Patient(
                mrn=str(first_mrn + index),
                given_name=given,
                family_name=family,
                date_of_birth=date(1980, 1, 1),
                sex="female",
                national_id=f"NI{first_mrn + index}",
            )
            refresh_search_keys(patient)
            patients.append(patient)
        db.add_all(patients)
        await db.flush()
        return [p.id for p in patients]


async def _search(app, q: str, **kwargs):
    async with session_scope(app.state.sessionmaker) as db:
        rows, total = await patients_service.search(db, ACTOR, q, **kwargs)
        return [(p.given_name, p.family_name) for p in rows], total


async def test_matches_come_best_first_exact_identifier_then_name_then_word_starts(app):
    ids = await _add(app, list(reversed(RANKED)))
    shown, total = await _search(app, "ana silva")
    assert shown == RANKED and total == len(RANKED)
    # An identifier beats every name; the identified patient is not listed twice.
    by_national_id = f"NI{1_000_000_000 + 2}"
    shown, _ = await _search(app, by_national_id)
    assert shown == [list(reversed(RANKED))[2]] and len(ids) == len(RANKED)


async def test_with_more_matches_than_the_count_cap_the_order_and_pages_stay_the_same(app):
    await _add(app, list(reversed(RANKED)))
    many = patients_service.COUNT_CAP + 50
    crowd = [(f"Zoe{index:04d}", "Silvaz Anax") for index in range(many)]
    await _add(app, crowd, first_mrn=2_000_000_000)
    shown, total = await _search(app, "ana silva", limit=10)
    assert total == patients_service.COUNT_CAP  # "1,000 or more"
    # The crowd has a word starting with each word ("zoe0000 silvaz anax"): it comes after
    # "marta ana silva" in name order and before "diana silva", which only contains them.
    word_starts = RANKED[:5] + crowd
    assert shown == word_starts[:10]
    # Pages follow on without a gap or a repeat, deep into the crowd and on to the last rank.
    second, _ = await _search(app, "ana silva", limit=10, offset=10)
    assert second == word_starts[10:20]
    last, _ = await _search(app, "ana silva", limit=10, offset=len(word_starts) - 3)
    assert last == [*word_starts[-3:], RANKED[5]]


async def test_a_common_word_lists_names_starting_with_it_before_names_only_containing_it(app):
    contained = [(f"Ivan{index:04d}", "Xgarcia") for index in range(patients_service.COUNT_CAP)]
    await _add(app, contained)
    await _add(app, [("Luis", "García"), ("García", "Ana")], first_mrn=3_000_000_000)
    shown, total = await _search(app, "garcia", limit=3)
    assert total == patients_service.COUNT_CAP
    assert shown == [("García", "Ana"), ("Luis", "García"), contained[0]]


async def test_quotes_and_pattern_characters_in_the_search_box_are_only_text(app):
    """The search values are written into the statement (so PostgreSQL plans the real
    pattern): quotes, backslashes and LIKE wildcards stay plain text and find only names."""
    await _add(app, [("Seán", "O'Brien"), ("Ana", "Silva"), ("Ana", "100% Silva_x")])
    shown, total = await _search(app, "o'brien")
    assert shown == [("Seán", "O'Brien")] and total == 1
    for hostile in ("x'; DELETE FROM patients; --", "\\'", "a%s", "'||'", "ana_silva"):
        shown, total = await _search(app, hostile)
        assert total == 0 and shown == [], hostile
    # A control character from a bad paste separates words, as a space does (the values are
    # written into the statement, where SQLite refuses a NUL).
    assert await _search(app, "o'brien\x00sean") == await _search(app, "o'brien sean")
    assert (await _search(app, "o'brien\x00sean"))[0] == [("Seán", "O'Brien")]
    for wildcard in ("%", "_", "100%"):  # a wildcard finds only the name that holds it
        shown, _ = await _search(app, wildcard)
        assert shown == [("Ana", "100% Silva_x")], wildcard
    _, everyone = await _search(app, "")
    assert everyone == 3
