"""Patient search at scale: the real `patients_service.search()` over a million patients.

    .venv/bin/python bench/patient_search_bench.py                          # PostgreSQL, 1M
    .venv/bin/python bench/patient_search_bench.py --reuse                  # keep loaded data
    .venv/bin/python bench/patient_search_bench.py --database-url sqlite    # /tmp file, 100k
    .venv/bin/python bench/patient_search_bench.py --patients 20000 --runs 10

Loads the patients with bench/patient_data.py (unless --reuse finds enough), then times
each query of a front-desk mix: p50/p95 of the search() call (count, page and audit row;
the commit is not timed) and the total hits. On PostgreSQL it prints EXPLAIN (ANALYZE) of
the statements search() sends for a name query, and for any query slower than --slow-ms.
Prints numbers; it asserts nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import math
import os
import re
import statistics
import time
from dataclasses import dataclass, field
from typing import Any

import phonenumbers
from patient_data import ensure
from sqlalchemy import event, text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from openward.config import Settings
from openward.core.actors import Actor
from openward.db import create_engine, session_factory
from openward.patients import service as patients_service
from openward.patients.mrn import format_mrn

ACTOR = Actor.system("bench")
# The long column list the ORM selects, shortened when a statement is printed.
_COLUMN_LIST = re.compile(r"SELECT (?:patients\.\w+(?: AS \w+)?, )+patients\.\w+(?: AS \w+)? FROM")


@dataclass
class Query:
    label: str
    q: str
    samples: list[float] = field(default_factory=list)
    total: int = 0
    shown: int = 0
    statements: list[tuple[str, Any]] = field(default_factory=list)

    @property
    def p50(self) -> float:
        return statistics.median(self.samples)

    @property
    def p95(self) -> float:  # nearest rank: of 20 runs, the 19th fastest
        ordered = sorted(self.samples)
        return ordered[max(0, math.ceil(len(ordered) * 0.95) - 1)]


class StatementLog:
    """The SQL search() sends, captured at the driver so EXPLAIN sees exactly that."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.recording: list[tuple[str, Any]] | None = None
        event.listen(engine.sync_engine, "before_cursor_execute", self._seen)

    def _seen(self, _conn: Any, _cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        if self.recording is not None and "FROM patients" in statement:
            self.recording.append((statement, parameters))


async def _probe(factory: async_sessionmaker[AsyncSession]) -> dict[str, str]:
    """One real patient's identifiers, from the middle of the table, and one UK phone."""
    async with factory() as db:
        middle = await db.scalar(text("SELECT max(id) / 2 FROM patients"))
        row = (
            await db.execute(
                text(
                    "SELECT mrn, national_id, phone_digits, date_of_birth, family_name "
                    "FROM patients WHERE is_active AND national_id IS NOT NULL "
                    "AND phone_digits IS NOT NULL AND id >= :middle ORDER BY id LIMIT 1"
                ),
                {"middle": middle},
            )
        ).one()
        uk_phone = await db.scalar(
            text(
                "SELECT phone_e164 FROM patients WHERE is_active AND phone_e164 LIKE '+44%' "
                "AND id >= :middle ORDER BY id LIMIT 1"
            ),
            {"middle": middle},
        )
    born = row.date_of_birth
    born = born if isinstance(born, str) else born.isoformat()  # SQLite answers text
    uk = phonenumbers.parse(uk_phone)
    return {
        "mrn": row.mrn,
        "national_id": row.national_id,
        "phone": row.phone_digits,
        "phone_national": phonenumbers.format_number(uk, phonenumbers.PhoneNumberFormat.NATIONAL),
        "phone_international": phonenumbers.format_number(
            uk, phonenumbers.PhoneNumberFormat.INTERNATIONAL
        ),
        "born_iso": born,
        "born_day_first": "/".join(reversed(born.split("-"))),
        "family_name": row.family_name,
    }


def _queries(probe: dict[str, str]) -> list[Query]:
    return [
        Query("family name", "Wójcik"),
        Query("fragment, 3 letters", "lef"),
        Query("two words reversed", "garcia jose"),
        Query("accent-free, accented name", "zoe muller"),
        Query("exact MRN", probe["mrn"]),
        Query("MRN with dashes", format_mrn(probe["mrn"])),
        Query("phone fragment, 6 digits", probe["phone"][-8:-2]),
        Query("national id", probe["national_id"]),
        Query("phone, national form", probe["phone_national"]),
        Query("phone, international form", probe["phone_international"]),
        Query("date of birth, ISO", probe["born_iso"]),
        Query("date of birth, dd/mm/yyyy", probe["born_day_first"]),
        Query("family name + birth date", f"{probe['family_name']} {probe['born_day_first']}"),
        Query("common name, many hits", "garcia"),
        Query("ł/ø are not folded by NFKD", "lukasz wojcik"),
    ]


async def _search(
    factory: async_sessionmaker[AsyncSession], query: Query, record: bool = True
) -> None:
    async with factory() as db:
        started = time.perf_counter()
        rows, total = await patients_service.search(db, ACTOR, query.q, limit=20)
        elapsed = (time.perf_counter() - started) * 1000
        await db.commit()  # the audit row, as the request would
    if record:
        query.samples.append(elapsed)
        query.total, query.shown = total, len(rows)


async def _explain(engine: AsyncEngine, query: Query, dialect: str) -> None:
    print(f"\n--- EXPLAIN for {query.label!r}: search({query.q!r})")
    async with engine.connect() as conn:
        for statement, parameters in query.statements:
            shown = _COLUMN_LIST.sub("SELECT <patients columns> FROM", " ".join(statement.split()))
            print("\n" + shown)
            print(f"  parameters: {parameters}")
            if dialect == "postgresql":
                explain = "EXPLAIN (ANALYZE, BUFFERS) " + statement
            else:
                explain = "EXPLAIN QUERY PLAN " + statement
            result = await conn.exec_driver_sql(explain, parameters)
            for row in result:
                print("  " + " | ".join(str(part) for part in row))


def _machine() -> str:
    load = ", ".join(f"{value:.2f}" for value in os.getloadavg())
    return f"{os.cpu_count()} cores, load average {load}"


async def run(url: str, runs: int, warmup: int, slow_ms: float) -> None:
    settings = Settings(_env_file=None, database_url=url, secret_key="x" * 40, log_level="WARNING")
    engine = create_engine(settings)
    factory = session_factory(engine)
    log = StatementLog(engine)
    dialect = engine.dialect.name
    async with factory() as db:
        patients = await db.scalar(text("SELECT count(*) FROM patients"))
        server = (
            await db.scalar(text("SELECT current_setting('server_version')"))
            if dialect == "postgresql"
            else await db.scalar(text("SELECT sqlite_version()"))
        )
    queries = _queries(await _probe(factory))
    print(f"\n{dialect} {server}: {patients:,} patients; {_machine()}")
    for query in queries:
        for _ in range(warmup):
            await _search(factory, query, record=False)
        log.recording = query.statements
        await _search(factory, query)
        log.recording = None
        for _ in range(runs - 1):
            await _search(factory, query)
    print(f"after the runs: {_machine()}\n")

    print(f"{'query':28s} {'q':24s} {'p50 ms':>8s} {'p95 ms':>8s} {'max ms':>8s} {'hits':>9s}")
    for query in queries:
        print(
            f"{query.label:28s} {query.q!r:24s} {query.p50:8.1f} {query.p95:8.1f} "
            f"{max(query.samples):8.1f} {query.total:9,d}"
        )
    print(f"(search() with limit=20, {runs} runs after {warmup} warm-up; p95 is nearest rank)")

    explained = [queries[0], *[q for q in queries[1:] if q.p95 > slow_ms]]
    for query in explained:
        await _explain(engine, query, dialect)
    await engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--database-url",
        help="default postgresql+asyncpg://postgres@127.0.0.1:5432/openward_bench; "
        "'sqlite' means a file under /tmp",
    )
    parser.add_argument("--patients", type=int, help="default 1,000,000 (PostgreSQL), 100,000")
    parser.add_argument("--reuse", action="store_true", help="skip the load if enough patients")
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--warmup", type=int, default=2)
    parser.add_argument("--slow-ms", type=float, default=300.0, help="EXPLAIN queries above")
    args = parser.parse_args()
    target = ensure(args.database_url, args.patients, reuse=args.reuse)
    asyncio.run(run(target.url, args.runs, args.warmup, args.slow_ms))


if __name__ == "__main__":
    main()
