"""Search and lists: the search box (name words in any order, MRN, phone in any usual form,
national id, date of birth), a doctor's lists kept to their own patients, a form's patient
step, and the dashboard figures."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any, ClassVar

from sqlalchemy import (
    ColumnElement,
    Integer,
    Select,
    String,
    and_,
    bindparam,
    case,
    func,
    literal_column,
    not_,
    or_,
    select,
    true,
    union,
    union_all,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.visitors import InternalTraversal

from openward.core import audit
from openward.core.actors import Actor
from openward.core.schemas import search_text
from openward.patients import care, schemas
from openward.patients.access import get_for
from openward.patients.models import Patient
from openward.patients.search_keys import (
    date_of_birth_in,
    digits_of,
    fold,
    phone_key,
    phone_region,
)
from openward.staff import service as staff_service

# Counting every "García" among a million patients costs more than the page itself: the
# count stops here and the list says "1,000 or more".
COUNT_CAP = 1000


async def _visible(db: AsyncSession, actor: Actor, include_inactive: bool) -> list[Any]:
    """Who a list may show: active records (unless asked), and a doctor only their patients
    (care team or appointments)."""
    where: list[Any] = [] if include_inactive else [Patient.is_active]
    if actor.role == "doctor":
        doctor_id = await staff_service.doctor_id_of(db, actor)
        if doctor_id is None:
            where.append(Patient.id.is_(None))
        else:
            where.append(Patient.id.in_(care.patient_ids_in_care(doctor_id)))
    return where


class _ByteOrder(ColumnElement[str]):
    """A name sorted byte by byte: the order of ix_patients_name_search_id on both databases
    (varchar_pattern_ops on PostgreSQL, whatever the collation; BINARY on SQLite)."""

    inherit_cache = True
    _traverse_internals: ClassVar = [("element", InternalTraversal.dp_clauseelement)]

    def __init__(self, element: Any) -> None:
        self.element = element
        self.type = String()


@compiles(_ByteOrder)
def _byte_order(element: _ByteOrder, compiler: Any, **kw: Any) -> str:
    return compiler.process(element.element, **kw)


@compiles(_ByteOrder, "postgresql")
def _byte_order_postgresql(element: _ByteOrder, compiler: Any, **kw: Any) -> str:
    return f"{compiler.process(element.element, **kw)} USING ~<~"


def _value(value: str) -> Any:
    # Written into the statement, not sent as a parameter: PostgreSQL plans a pattern it can
    # see (a prefix becomes an index range, a common name a walk of the index), and never
    # falls back to one generic plan for every query of the same shape.
    return bindparam(None, value, type_=String(), literal_execute=True)


def _escaped(text: str) -> str:
    return text.replace("/", "//").replace("%", "/%").replace("_", "/_")


# What may stand between the digits of a number as people write it: "+44 (0)20 7946-0958".
_NUMBER_PUNCTUATION = str.maketrans("", "", " -().+/")


@dataclass(frozen=True)
class _Terms:
    """What a search box query means, as conditions on a patient row."""

    words: list[str]
    digits: str  # empty unless the query reads as a number (MRN, phone)
    national_id: str
    dialect: str
    phone: str = ""  # the number in E.164 when the query can be a phone number
    whole_phone: bool = False  # ... and is a whole number in use, not a fragment of one
    born: date | None = None  # a date of birth typed in it: every match was born that day

    @classmethod
    def of(cls, q: str, dialect: str, region: str) -> _Terms:
        born, q = date_of_birth_in(q, region)
        digits = digits_of(q) or ""
        typed = q.translate(_NUMBER_PUNCTUATION)
        identifier = len(digits) >= 4 and len(digits) >= len(typed) - 1  # one letter: "12345678Z"
        phone = (phone_key(q, region) or "") if identifier and len(digits) >= 6 else ""
        whole_phone = bool(phone) and phone_key(q, region, valid=True) is not None
        national_id = schemas.national_id_key(q) if q else ""
        # A number is looked up among numbers only: no name holds digits, and reading every
        # name for them is most of what such a search would cost.
        words = [] if identifier else fold(q).split()
        number = digits if identifier else ""
        return cls(words, number, national_id, dialect, phone, whole_phone, born)

    @property
    def joined(self) -> str:
        return " ".join(self.words)

    @property
    def reversed_name(self) -> str:
        return " ".join(reversed(self.words))

    def _like(self, column: Any, pattern: str) -> Any:
        return column.like(_value(pattern), escape="/")

    def _starts(self, column: Any, prefix: str) -> Any:
        if self.dialect == "sqlite":  # LIKE ignores case there, so no index serves it: a range
            following = prefix[:-1] + chr(ord(prefix[-1]) + 1)
            return and_(column >= _value(prefix), column < _value(following))
        return self._like(column, _escaped(prefix) + "%")

    @property
    def contains_all(self) -> Any:
        """Every word somewhere in the name."""
        return and_(*[self._like(Patient.name_search, f"%{_escaped(w)}%") for w in self.words])

    @property
    def word_starts(self) -> Any:
        """Every word begins a word of the name."""
        return and_(
            *[
                or_(
                    self._like(Patient.name_search, f"{_escaped(w)}%"),
                    self._like(Patient.name_search, f"% {_escaped(w)}%"),
                )
                for w in self.words
            ]
        )

    @property
    def exact_names(self) -> Any:
        return Patient.name_search.in_([_value(self.joined), _value(self.reversed_name)])

    @property
    def begins(self) -> Any:
        """The name begins with what was typed ("jose gar" -> "jose garcia lopez")."""
        return self._starts(Patient.name_search, self.joined)

    @property
    def exact_ids(self) -> list[Any]:
        exact = [Patient.national_id == _value(self.national_id)] if self.national_id else []
        if self.digits:
            exact.append(Patient.mrn == _value(self.digits))
        if self.phone:
            exact.append(Patient.phone_e164 == _value(self.phone))
        return exact

    @property
    def partial_ids(self) -> list[Any]:
        if not self.digits:
            return []
        # A whole number is found by its E.164 form (exact_ids); a fragment inside the digits.
        partial = [] if self.whole_phone else [self._like(Patient.phone_digits, f"%{self.digits}%")]
        if len(self.digits) != 10:
            partial.append(self._starts(Patient.mrn, self.digits))
        return partial

    @property
    def kinds(self) -> list[Any]:
        """Each kind of match (names, ids, phones); none when the query was only a date."""
        return [*([self.contains_all] if self.words else []), *self.exact_ids, *self.partial_ids]

    @property
    def found(self) -> Any:
        return or_(*self.kinds) if self.kinds else true()

    @property
    def filters(self) -> list[Any]:
        """What every match must be: born on the day typed (ix_patients_dob_family)."""
        return [] if self.born is None else [Patient.date_of_birth == self.born]


# The order a search shows, best first. Within a rank, names in byte order (plain letters:
# alphabetical by the name as written, given name first), then the oldest record.
EXACT_ID, EXACT_NAME, REVERSED_NAME, BEGINS, WORD_STARTS, OTHER = range(6)


def _capped_count(where: list[Any], cap: int) -> Any:
    found = select(literal_column("1")).select_from(Patient).where(*where).limit(cap)
    counted = select(func.count()).select_from(found.correlate(None).subquery())
    return counted.correlate(None).scalar_subquery()


def _page_statement(terms: _Terms, visible: list[Any], wanted: int) -> Select[Any]:
    """The first `wanted` matches in rank order, each rank read from an index in the order it
    is shown (a name range, or a walk of ix_patients_name_search_id that stops after `wanted`)
    so the cost follows the page, not the number of matches. A rank further down is only
    read when the ranks above it hold fewer than `wanted` patients."""
    name = Patient.name_search

    def rank(value: int, where: Any, *order: Any, fewer_above: Any = None) -> Select[Any]:
        arm = select(
            Patient.id.label("id"),
            literal_column(str(value), Integer).label("rank"),
            name.label("name"),
        ).where(*visible, where)
        if fewer_above is not None:  # evaluated once: a false one skips the whole rank
            arm = arm.where(_capped_count([*visible, fewer_above], wanted) < wanted)
        limited = arm.order_by(*order).limit(wanted).subquery()
        return select(limited.c.id, limited.c.rank, limited.c.name)

    in_order = (_ByteOrder(name), Patient.id)
    ranks = [rank(EXACT_ID, or_(*terms.exact_ids), Patient.id)] if terms.exact_ids else []
    if terms.words:
        not_exact = not_(terms.exact_names)
        ranks.append(rank(EXACT_NAME, name == _value(terms.joined), Patient.id))
        if terms.reversed_name != terms.joined:
            ranks.append(rank(REVERSED_NAME, name == _value(terms.reversed_name), Patient.id))
        ranks.append(rank(BEGINS, and_(terms.begins, not_exact), *in_order))
        ranks.append(
            rank(
                WORD_STARTS,
                and_(terms.word_starts, not_(terms.begins), not_exact),
                *in_order,
                fewer_above=or_(terms.begins, terms.exact_names),
            )
        )
        ranks.append(
            rank(
                OTHER,
                and_(terms.contains_all, not_(terms.word_starts)),
                *in_order,
                fewer_above=terms.word_starts,
            )
        )
    if terms.partial_ids:
        fewer_above = terms.word_starts if terms.words else None
        ranks.append(rank(OTHER, or_(*terms.partial_ids), *in_order, fewer_above=fewer_above))
    if not terms.kinds:  # a date of birth alone: everyone born that day, by name
        ranks.append(rank(OTHER, true(), *in_order))
    matches = union_all(*ranks).subquery("matches")
    return (
        select(Patient)
        .join(matches, Patient.id == matches.c.id)
        .order_by(matches.c.rank, _ByteOrder(matches.c.name), matches.c.id)
        # One patient can match in two ranks (an exact id and a name): room for the repeats.
        .limit(wanted + len(ranks))
    )


def _found(terms: _Terms) -> Any:
    if terms.dialect == "sqlite" and terms.born is None and terms.kinds:
        # One narrow index per kind of match (names, phones; ids by lookup) instead of a scan
        # of the whole table, which the OR of them would need on SQLite. (With a date of
        # birth, its index finds the few born that day and the OR is tested on those.)
        return Patient.id.in_(
            union(*[select(Patient.id).where(kind).correlate(None) for kind in terms.kinds])
        )
    return terms.found


def _few_statement(terms: _Terms, visible: list[Any], limit: int, offset: int) -> Select[Any]:
    """The page when there are fewer than COUNT_CAP matches: rank each and sort them. (Walking
    the name index would cross all of it to find a handful.)"""
    name = Patient.name_search
    ranks: list[Any] = [(or_(*terms.exact_ids), EXACT_ID)] if terms.exact_ids else []
    if terms.words:
        ranks += [
            (name == _value(terms.joined), EXACT_NAME),
            (name == _value(terms.reversed_name), REVERSED_NAME),
            (terms.begins, BEGINS),
            (terms.word_starts, WORD_STARTS),
        ]
    rank = case(*ranks, else_=OTHER) if ranks else literal_column(str(OTHER), Integer)
    query = select(Patient).where(*visible, _found(terms))
    ordered = query.order_by(rank, _ByteOrder(name), Patient.id)
    return ordered.limit(limit).offset(offset)


async def search(
    db: AsyncSession,
    actor: Actor,
    q: str | None,
    *,
    limit: int = 20,
    offset: int = 0,
    include_inactive: bool = False,
) -> tuple[list[Patient], int]:
    """Best matches first: an exact MRN, national id or phone number (national or
    international form), the exact name (as typed, then in the other order), names beginning
    with what was typed, names with a word beginning with every word typed, then any other
    match. A date of birth in the query ("1984-02-29", "29/02/1984", "29 Feb 1984") keeps
    those born that day. Without a query, the newest registrations first. The total is exact
    up to COUNT_CAP and capped there (see total_is_capped)."""
    visible = await _visible(db, actor, include_inactive)
    q = search_text(q or "")  # a pasted name finds the record: NFC, no invisible characters
    if q:
        terms = _Terms.of(q, db.get_bind().dialect.name, phone_region(db))
        visible += terms.filters
        count = _capped_count([*visible, _found(terms)], COUNT_CAP)
        total = int(await db.scalar(select(count)) or 0)
        if total < COUNT_CAP:
            statement = _few_statement(terms, visible, limit, offset)
            rows = list(await db.scalars(statement)) if total > offset else []
        else:
            seen: set[int] = set()
            page: list[Patient] = []
            wanted = offset + limit
            for patient in await db.scalars(_page_statement(terms, visible, wanted)):
                if patient.id not in seen:
                    seen.add(patient.id)
                    page.append(patient)
            rows = page[offset:wanted]
    else:
        query = select(Patient).where(*visible)
        capped = query.with_only_columns(Patient.id).limit(COUNT_CAP).subquery()
        total = int(await db.scalar(select(func.count()).select_from(capped)) or 0)
        ordered = query.order_by(Patient.created_at.desc(), Patient.id.desc())
        rows = list(await db.scalars(ordered.limit(limit).offset(offset)))
    await audit.record(
        db,
        actor,
        "patient.search",
        object_type="patient",
        detail={"q": q[:100], "total": total, "shown": [p.id for p in rows]},
    )
    return rows, total


async def chosen_or_matches(
    db: AsyncSession, actor: Actor, patient_id: int | None, q: str | None
) -> tuple[Patient | None, list[Patient]]:
    """A form's patient step: the chosen patient (read as get_for does),
    or else the first ten matching what was typed."""
    if patient_id:
        return await get_for(db, actor, patient_id), []
    if q:
        matches, _ = await search(db, actor, q, limit=10)
        return None, matches
    return None, []


# ---------------------------------------------------------------- figures


async def count_active(db: AsyncSession) -> int:
    return int(await db.scalar(select(func.count(Patient.id)).where(Patient.is_active)) or 0)


async def count_registered_since(db: AsyncSession, since: object) -> int:
    query = select(func.count(Patient.id)).where(Patient.created_at >= since)
    return int(await db.scalar(query) or 0)
