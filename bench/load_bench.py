"""OpenWard under load beside a bare endpoint on the same database, interleaved (issue 12).

    .venv/bin/python bench/load_bench.py                                  # SQLite, temp dir
    .venv/bin/python bench/load_bench.py --database-url pg                # PostgreSQL
    .venv/bin/python bench/load_bench.py --database-url sqlite --database-url \\
        postgresql+asyncpg://postgres@127.0.0.1:5432/openward_load_bench --json out.json
    .venv/bin/python bench/load_bench.py --openward-src /tmp/before/src   # another checkout
    .venv/bin/python bench/load_bench.py --only book,doctors_day --clients 8 --seconds 10
    .venv/bin/python bench/load_bench.py --database-url pg --only book,search --workers 4

For each database: a fresh one (SQLite file in a temp dir; a PostgreSQL database dropped and
created, dropped again at the end unless --keep), migrated with `openward db upgrade`,
`--patients` made-up patients loaded in bulk (bench/patient_data.py's rows), the demo
hospital (`openward demo`: a login for every role, charts, lab, imaging, pharmacy), then
through OpenWard's JSON API in process: a department, 8 booking doctors, 4 doctors with
appointments to move, a doctor with a full day tomorrow and 100 patients on their care team,
8 nurses to sign in as, a medicine with 10 million tablets in stock. Then two servers on the
same database: `openward serve` (a subprocess, PYTHONPATH=--openward-src when given) and
bench/bare_app.py under uvicorn (its docstring says what each of its routes does).

Each operation, at each client count, is measured on both: a warm-up of each, then rounds
that alternate OpenWard and bare (A B A B ...), `--seconds` per side in `--rounds` rounds,
with asyncio + httpx clients on keep-alive connections, one request in flight per client
(sign-in, argon2-bound, gets three times the time).
The same requests go to both (the bare app serves OpenWard's paths and bodies), each write
valid every time: every booking takes a slot no one has, every reschedule moves a booked
appointment to a free slot of its doctor, every dispense gets a prescription of its own
(written through the bare endpoint before the round). Then, with the servers stopped, each
operation runs once more in process with an SQLAlchemy `before_cursor_execute` listener on
`app.state.engine.sync_engine` (BEGIN, COMMIT and ROLLBACK not counted, as in
tests/core/test_statement_counts.py); the bare app reports its own count per response.

Prints one table per database: p50, p95 and p99 in ms and requests/s for OpenWard and bare,
bare ÷ OpenWard requests/s, statements per request, and any unexpected status. It asserts
nothing. The machine is shared (2 cores here, tests running beside): absolute numbers are
noisy, the interleaving keeps the comparison fair, and the client shares the cores with the
servers, which caps the bare endpoint's rate most.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import math
import os
import random
import re
import signal
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

BENCH = Path(__file__).resolve().parent
BIN = Path(sys.executable).parent
DEFAULT_PG = "postgresql+asyncpg://postgres@127.0.0.1:5432/openward_load_bench"
PASSWORD = "Load-Bench-Pw-2026-kq7"
OW, BARE = "openward", "bare"
BOOKING_DOCTORS, MOVING_DOCTORS, MOVING_PER_DOCTOR = 8, 4, 10
SIGN_IN_USERS, CARE_PATIENTS = 8, 100
# Sign-in is argon2 (64 MiB, 3 passes) and takes a tenth of a second or more: three times the
# time, for more than a handful of samples per round.
LONGER = {"sign_in": 3}
FULL_WEEK = [{"weekday": d, "start": "08:00", "end": "18:00"} for d in range(7)]
DASHBOARD_ROLES = (
    "admin",
    "receptionist",
    "nurse",
    "doctor",
    "pharmacist",
    "lab_technician",
    "radiologist",
    "patient",
)
NOTE = (
    "Noisy 2-core machine shared with other work: absolute numbers move between runs; the "
    "rounds alternate OpenWard and bare (A B A B ...), so each pair saw the same conditions. "
    "The load client runs on the same cores, which caps the bare endpoint's rate most."
)


def _log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


# ---------------------------------------------------------------- the tree under test


def _use_source_tree(src: str | None) -> None:
    """Run this script again with PYTHONPATH=src, so that the CLI, the server, the seeding
    and the statement count all use that checkout's OpenWard (and its migrations)."""
    if not src:
        return
    src = str(Path(src).resolve())
    if os.environ.get("OPENWARD_LOAD_BENCH_SRC") == src:
        return
    env = dict(os.environ, PYTHONPATH=src, OPENWARD_LOAD_BENCH_SRC=src)
    os.execve(sys.executable, [sys.executable, *sys.argv], env)


# ---------------------------------------------------------------- the database


@dataclass
class Target:
    url: str
    tmp: Path

    @property
    def is_sqlite(self) -> bool:
        return self.url.startswith("sqlite")

    @property
    def label(self) -> str:
        return "SQLite" if self.is_sqlite else "PostgreSQL"

    @property
    def sqlite_path(self) -> str:
        return self.url.split(":///", 1)[-1]

    def conninfo(self, dbname: str | None = None) -> str:
        from sqlalchemy.engine import make_url

        url = make_url(self.url)
        parts = {
            "host": url.host or "127.0.0.1",
            "port": url.port or 5432,
            "user": url.username or "postgres",
            "password": url.password,
            "dbname": dbname or url.database,
        }
        return " ".join(f"{k}={v}" for k, v in parts.items() if v is not None)

    @property
    def pg_name(self) -> str:
        from sqlalchemy.engine import make_url

        return make_url(self.url).database or "openward_load_bench"


def openward_env(target: Target) -> dict[str, str]:
    """The server's settings (config.py): high sign-in throttles, day-long access tokens."""
    return {
        "OPENWARD_DATABASE_URL": target.url,
        "OPENWARD_SECRET_KEY": "load-bench-secret-key-" + "s" * 32,
        "OPENWARD_AUDIT_KEY": "load-bench-audit-key-" + "a" * 32,
        "OPENWARD_AUDIT_CHECKPOINT_PATH": str(target.tmp / "audit-checkpoints"),
        "OPENWARD_MEDIA_DIR": str(target.tmp / "media"),
        "OPENWARD_LOG_LEVEL": "WARNING",
        "OPENWARD_ACCESS_TOKEN_MINUTES": "1440",
        "OPENWARD_LOGIN_MAX_FAILURES": "100",
        "OPENWARD_LOGIN_IP_MAX_FAILURES": "10000",
        "OPENWARD_LOGIN_ACCOUNT_MAX_FAILURES": "100000",
        "OPENWARD_LOGIN_GLOBAL_MAX_FAILURES": "1000000",
        "OPENWARD_LINK_IP_MAX_FAILURES": "10000",
    }


def _environment(target: Target) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("OPENWARD_")}
    return {**env, **openward_env(target)}


def _openward(target: Target, *args: str) -> None:
    done = subprocess.run(
        [str(BIN / "openward"), *args],
        check=False,
        env=_environment(target),
        cwd=target.tmp,
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        raise SystemExit(f"openward {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")


def create_database(target: Target) -> None:
    if target.is_sqlite:
        return
    import psycopg
    from psycopg import sql

    with psycopg.connect(target.conninfo("postgres"), autocommit=True) as admin:
        name = sql.Identifier(target.pg_name)
        admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(name))
        admin.execute(sql.SQL("CREATE DATABASE {}").format(name))


def drop_database(target: Target) -> None:
    if target.is_sqlite:
        return
    import psycopg
    from psycopg import sql

    with psycopg.connect(target.conninfo("postgres"), autocommit=True) as admin:
        name = sql.Identifier(target.pg_name)
        admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(name))


def load_patients(target: Target, count: int) -> None:
    """bench/patient_data.py's made-up patients, in bulk, into the migrated database."""
    import patient_data

    columns = ", ".join(patient_data.COLUMNS)
    if target.is_sqlite:
        conn = sqlite3.connect(target.sqlite_path, isolation_level=None)
        try:
            marks = ", ".join("?" for _ in patient_data.COLUMNS)
            conn.execute("BEGIN")
            conn.executemany(
                f"INSERT INTO patients ({columns}) VALUES ({marks})",
                ([patient_data._sqlite_value(v) for v in row] for row in patient_data.rows(count)),
            )
            conn.execute("COMMIT")
        finally:
            conn.close()
        return
    import psycopg

    with psycopg.connect(target.conninfo()) as conn, conn.cursor() as cursor:
        with cursor.copy(f"COPY patients ({columns}) FROM STDIN") as copy:
            for row in patient_data.rows(count):
                copy.write(("\t".join(map(patient_data._pg_text, row)) + "\n").encode())
        conn.commit()


def analyze(target: Target) -> None:
    if target.is_sqlite:
        conn = sqlite3.connect(target.sqlite_path, isolation_level=None)
        conn.execute("ANALYZE")
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        conn.close()
        return
    import psycopg

    with psycopg.connect(target.conninfo(), autocommit=True) as conn:
        conn.execute("VACUUM (ANALYZE)")


def _demo_logins(path: Path) -> dict[str, tuple[str, str]]:
    """username -> (role, password) from `openward demo --credentials-file`."""
    found = {}
    for line in path.read_text().splitlines():
        if line and not line.startswith("#"):
            role, username, password = line.split("\t")
            found[username] = (role, password)
    return found


# ---------------------------------------------------------------- seeding through the API


@dataclass
class Fixture:
    logins: dict[str, tuple[str, str]]  # who -> (username, password)
    booking_doctors: list[int]
    moving: list[tuple[int, int]]  # (appointment id, doctor id)
    moving_doctors: list[int]
    day_doctor: int
    day: str
    book_patients: list[int]
    care_patients: list[int]
    read_patients: list[int]
    medicine: int
    chart_patient: int
    sign_in_users: list[str]


def _app():
    from openward.app import create_app
    from openward.config import Settings

    return create_app(Settings(_env_file=None))


async def _login(client: httpx.AsyncClient, username: str, password: str) -> dict[str, str]:
    response = await client.post(
        "/api/v1/auth/login", json={"username": username, "password": password}
    )
    if response.status_code != 200 or "access_token" not in response.json():
        raise SystemExit(f"sign-in as {username} failed: {response.status_code} {response.text}")
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


async def _ok(response: Awaitable[httpx.Response], *statuses: int) -> dict[str, Any]:
    answer = await response
    if answer.status_code not in (statuses or (200, 201)):
        raise SystemExit(
            f"seeding: {answer.request.method} {answer.request.url.path} -> "
            f"{answer.status_code} {answer.text[:500]}"
        )
    return answer.json() if answer.content else {}


def _slot(days: int, minutes: int) -> str:
    day = datetime.now(UTC).date() + timedelta(days=days)
    start = datetime(day.year, day.month, day.day, tzinfo=UTC) + timedelta(minutes=minutes)
    return start.isoformat()


async def seed(target: Target, patients: int) -> Fixture:
    from sqlalchemy import text

    demo = _demo_logins(target.tmp / "demo-logins")
    first = {}
    for username, (role, password) in demo.items():
        first.setdefault(role, (username, password))
    logins = {role: first[role] for role in DASHBOARD_ROLES}
    app = _app()
    engine = app.state.engine
    try:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://seed") as c:
            admin = await _login(c, *logins["admin"])
            desk = await _login(c, *logins["receptionist"])
            pharmacist = await _login(c, *logins["pharmacist"])
            department = await _ok(
                c.post(
                    "/api/v1/departments",
                    headers=admin,
                    json={"name": "Load bench clinic", "location": "Block L"},
                )
            )

            async def doctor(name: str) -> int:
                body = {
                    "username": name,
                    "password": PASSWORD,
                    "full_name": f"Dr {name.title()}",
                    "email": f"{name}@example.org",
                    "department_id": department["id"],
                    "specialization": "General medicine",
                    "qualification": "MBBS",
                    "experience_years": 5,
                    "consultation_fee": "40.00",
                    "license_number": f"LIC-{name}",
                }
                made = await _ok(c.post("/api/v1/doctors", headers=admin, json=body))
                await _ok(
                    c.put(
                        f"/api/v1/doctors/{made['id']}/availability",
                        headers=admin,
                        json={"slot_minutes": 30, "weekly": FULL_WEEK},
                    )
                )
                return made["id"]

            booking = [await doctor(f"load-book-{i}") for i in range(BOOKING_DOCTORS)]
            moving_doctors = [await doctor(f"load-move-{i}") for i in range(MOVING_DOCTORS)]
            day_doctor = await doctor("load-day")
            logins["day_doctor"] = ("load-day", PASSWORD)
            sign_in_users = [f"load-signin-{i}" for i in range(SIGN_IN_USERS)]
            for username in sign_in_users:
                body = {"username": username, "password": PASSWORD, "role": "nurse"}
                body["full_name"] = username.replace("-", " ").title()
                await _ok(c.post("/api/v1/users", headers=admin, json=body))

            async with engine.connect() as conn:
                ids = list(
                    (
                        await conn.execute(
                            text("SELECT id FROM patients WHERE is_active ORDER BY id LIMIT :n"),
                            {"n": patients},
                        )
                    ).scalars()
                )
            moving_patients, ids = ids[:40], ids[40:]
            care, ids = ids[:CARE_PATIENTS], ids[CARE_PATIENTS:]
            day_patients, ids = ids[:20], ids[20:]
            read, book_patients = ids[:100], ids[100:]

            day = (datetime.now(UTC).date() + timedelta(days=1)).isoformat()
            for index, patient in enumerate(day_patients):
                body = {"patient_id": patient, "doctor_id": day_doctor, "reason": "Check-up"}
                body["start"] = _slot(1, 8 * 60 + 30 * index)
                await _ok(c.post("/api/v1/appointments", headers=desk, json=body))
            moving = []
            patient_iter = iter(moving_patients)
            for doctor_id in moving_doctors:
                for index in range(MOVING_PER_DOCTOR):
                    body = {"patient_id": next(patient_iter), "doctor_id": doctor_id}
                    body.update(start=_slot(9, 8 * 60 + 30 * index), reason="Follow-up")
                    made = await _ok(c.post("/api/v1/appointments", headers=desk, json=body))
                    moving.append((made["id"], doctor_id))
            for patient in care:
                await _ok(
                    c.post(
                        f"/api/v1/patients/{patient}/care-team",
                        headers=admin,
                        json={"doctor_id": day_doctor},
                    )
                )
            medicine = await _ok(
                c.post(
                    "/api/v1/pharmacy/medicines",
                    headers=pharmacist,
                    json={
                        "name": "Benchamol",
                        "generic_name": "benchamol",
                        "form": "tablet",
                        "strength": "500 mg",
                        "unit": "tablet",
                        "unit_price": "0.10",
                    },
                )
            )
            expiry = (datetime.now(UTC).date() + timedelta(days=730)).isoformat()
            await _ok(
                c.post(
                    "/api/v1/pharmacy/stock/receipts",
                    headers=pharmacist,
                    json={
                        "medicine_id": medicine["id"],
                        "batch_number": "LOAD-1",
                        "expiry_date": expiry,
                        "quantity": 10_000_000,
                        "unit_cost": "0.05",
                    },
                )
            )
            # The chart to read: the demo doctor with the most encounters of one patient.
            async with engine.connect() as conn:
                chart = (
                    await conn.execute(
                        text(
                            "SELECT e.patient_id, u.username, count(*) AS n FROM encounters e "
                            "JOIN doctors d ON d.id = e.doctor_id JOIN users u ON u.id = "
                            "d.user_id GROUP BY e.patient_id, u.username ORDER BY n DESC, "
                            "e.patient_id LIMIT 1"
                        )
                    )
                ).first()
            if chart is None or chart.username not in demo:
                raise SystemExit("the demo data has no encounters to read")
            logins["chart_doctor"] = (chart.username, demo[chart.username][1])
            reader = await _login(c, *logins["chart_doctor"])
            seen = await c.get(f"/api/v1/patients/{chart.patient_id}/encounters", headers=reader)
            if seen.status_code == 403:  # not in their care: put them on the care team
                doctor_id = (await _ok(c.get("/api/v1/doctors/me", headers=reader)))["id"]
                await _ok(
                    c.post(
                        f"/api/v1/patients/{chart.patient_id}/care-team",
                        headers=admin,
                        json={"doctor_id": doctor_id},
                    )
                )
    finally:
        await engine.dispose()
    return Fixture(
        logins=logins,
        booking_doctors=booking,
        moving=moving,
        moving_doctors=moving_doctors,
        day_doctor=day_doctor,
        day=day,
        book_patients=book_patients,
        care_patients=care,
        read_patients=read,
        medicine=medicine["id"],
        chart_patient=chart.patient_id,
        sign_in_users=sign_in_users,
    )


# ---------------------------------------------------------------- the operations


Request = tuple[str, str, str, dict[str, Any] | None]  # method, path, who, json


def _free_slots(doctors: list[int], first_day: int) -> Iterator[tuple[int, str]]:
    """(doctor, start) never handed out before: day by day, slot by slot, doctor by doctor."""
    for days in itertools.count(first_day):
        for minutes in range(8 * 60, 18 * 60, 30):
            for doctor in doctors:
                yield doctor, _slot(days, minutes)


class Workload:
    """Every operation's next request, shared by both sides so no write is made twice."""

    def __init__(self, fixture: Fixture) -> None:
        self.f = fixture
        self.counter = itertools.count()
        self.booking = _free_slots(fixture.booking_doctors, 12)
        self.moves = {d: _free_slots([d], 12) for d in fixture.moving_doctors}
        self.patients = itertools.cycle(fixture.book_patients)
        self.rng = random.Random(12)
        self.to_dispense: dict[str, list[int]] = {}

    def prescription(self, patient: int) -> dict[str, Any]:
        item = {"medicine_id": self.f.medicine, "dose": "500 mg", "route": "oral"}
        item.update(frequency="twice daily", duration_days=5, quantity=1)
        return {"patient_id": patient, "items": [item]}

    def requests(self) -> dict[str, tuple[str, Callable[[str, int], Request | None]]]:
        f = self.f
        n = self.counter

        def sign_in(side: str, worker: int) -> Request:
            user = f.sign_in_users[worker % len(f.sign_in_users)]
            body = {"username": user, "password": PASSWORD}
            return "POST", "/api/v1/auth/login", "", body

        def create_patient(side: str, worker: int) -> Request:
            k = next(n)
            born = date(1940, 1, 1) + timedelta(days=self.rng.randrange(365 * 80))
            body = {
                "given_name": "Bench",
                "family_name": f"Loadtest{k:07d}{self.rng.randrange(10**6):06d}",
                "date_of_birth": born.isoformat(),
                "sex": self.rng.choice(["female", "male"]),
                "phone": f"+44 7{k:03d} {self.rng.randrange(10**6):06d}",
            }
            return "POST", "/api/v1/patients", "receptionist", body

        def book(side: str, worker: int) -> Request:
            doctor, start = next(self.booking)
            body = {"patient_id": next(self.patients), "doctor_id": doctor, "start": start}
            body["reason"] = "Check-up"
            return "POST", "/api/v1/appointments", "receptionist", body

        def reschedule(side: str, worker: int) -> Request:
            appointment, doctor = f.moving[next(n) % len(f.moving)]
            _doctor, start = next(self.moves[doctor])
            return "PATCH", f"/api/v1/appointments/{appointment}", "receptionist", {"start": start}

        def doctors_day(side: str, worker: int) -> Request:
            path = f"/api/v1/appointments?doctor_id={f.day_doctor}&from={f.day}&to={f.day}"
            return "GET", path, "day_doctor", None

        def search(q: str) -> Callable[[str, int], Request]:
            return lambda side, worker: ("GET", f"/api/v1/patients?q={q}", "receptionist", None)

        def patient_read(side: str, worker: int) -> Request:
            patient = f.read_patients[next(n) % len(f.read_patients)]
            return "GET", f"/api/v1/patients/{patient}", "receptionist", None

        def chart_read(side: str, worker: int) -> Request:
            return "GET", f"/api/v1/patients/{f.chart_patient}/encounters", "chart_doctor", None

        def prescribe(side: str, worker: int) -> Request:
            patient = f.care_patients[next(n) % len(f.care_patients)]
            return "POST", "/api/v1/prescriptions", "day_doctor", self.prescription(patient)

        def dispense(side: str, worker: int) -> Request | None:
            pool = self.to_dispense.setdefault(side, [])
            if not pool:
                return None
            return "POST", f"/api/v1/prescriptions/{pool.pop()}/dispense", "pharmacist", None

        def dashboard(side: str, worker: int, role: str = "") -> Request:
            return "GET", "/api/v1/dashboard", role, None

        ops: dict[str, tuple[str, Callable[[str, int], Request | None]]] = {
            "sign_in": ("sign in", sign_in),
            "create_patient": ("create patient", create_patient),
            "book": ("book", book),
            "reschedule": ("reschedule", reschedule),
            "doctors_day": ("a doctor's day", doctors_day),
            "search_fragment": ("search 'mar'", search("mar")),
            "search_surname": ("search 'garcia'", search("garcia")),
            "patient_read": ("read a patient", patient_read),
            "chart_read": ("chart read (encounters)", chart_read),
            "prescribe": ("prescribe", prescribe),
            "dispense": ("dispense", dispense),
        }
        for role in DASHBOARD_ROLES:
            ops[f"dashboard_{role}"] = (
                f"dashboard: {role}",
                lambda side, worker, role=role: dashboard(side, worker, role),
            )
        return ops


EXPECTED = {"POST": (200, 201), "PATCH": (200,), "GET": (200,)}


# ---------------------------------------------------------------- measuring


@dataclass
class Side:
    name: str
    client: httpx.AsyncClient
    headers: dict[str, dict[str, str]] = field(default_factory=dict)


@dataclass
class Samples:
    latencies: list[float] = field(default_factory=list)
    busy: float = 0.0
    errors: dict[str, int] = field(default_factory=dict)
    sample_error: str | None = None
    statements: int | None = None

    def add_round(self, latencies: list[float], elapsed: float) -> None:
        self.latencies += latencies
        self.busy += elapsed

    @property
    def rps(self) -> float:
        return len(self.latencies) / self.busy if self.busy else 0.0

    def pct(self, p: float) -> float:
        if not self.latencies:
            return float("nan")
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(len(ordered) * p / 100))]

    def summary(self) -> dict[str, Any]:
        return {
            "requests": len(self.latencies),
            "seconds": round(self.busy, 3),
            "rps": round(self.rps, 1),
            "p50_ms": round(self.pct(50), 2) if self.latencies else None,
            "p95_ms": round(self.pct(95), 2) if self.latencies else None,
            "p99_ms": round(self.pct(99), 2) if self.latencies else None,
            "mean_ms": round(statistics.fmean(self.latencies), 2) if self.latencies else None,
            "errors": self.errors,
            "sample_error": self.sample_error,
        }


async def run_round(
    side: Side,
    make: Callable[[str, int], Request | None],
    clients: int,
    seconds: float,
    samples: Samples | None,
) -> tuple[int, float]:
    """`clients` loops sending one request after another until the time is up."""
    latencies: list[float] = []
    deadline = time.perf_counter() + seconds

    async def loop(worker: int) -> None:
        while time.perf_counter() < deadline:
            request = make(side.name, worker)
            if request is None:
                return
            method, path, who, body = request
            headers = side.headers.get(who, {})
            started = time.perf_counter()
            try:
                response = await side.client.request(method, path, headers=headers, json=body)
            except httpx.HTTPError as exc:  # a dropped connection counts, and the round goes on
                latencies.append((time.perf_counter() - started) * 1000)
                if samples is not None:
                    key = type(exc).__name__
                    samples.errors[key] = samples.errors.get(key, 0) + 1
                    samples.sample_error = samples.sample_error or f"{method} {path} -> {key}"
                continue
            latencies.append((time.perf_counter() - started) * 1000)
            if samples is None:
                continue
            if response.status_code not in EXPECTED[method]:
                key = str(response.status_code)
                samples.errors[key] = samples.errors.get(key, 0) + 1
                samples.sample_error = samples.sample_error or (
                    f"{method} {path} -> {response.status_code} {response.text[:300]}"
                )
            elif "x-bare-statements" in response.headers:
                samples.statements = int(response.headers["x-bare-statements"])

    started = time.perf_counter()
    await asyncio.gather(*(loop(i) for i in range(clients)))
    elapsed = time.perf_counter() - started
    if samples is not None:
        samples.add_round(latencies, elapsed)
    return len(latencies), elapsed


async def _fill_dispense_pool(
    workload: Workload, side: str, wanted: int, writer: Side, clients: int = 8
) -> None:
    """Fresh prescriptions for `side` to dispense, written through `writer` (not timed)."""
    pool = workload.to_dispense.setdefault(side, [])
    missing = wanted - len(pool)
    if missing <= 0:
        return
    patients = itertools.cycle(workload.f.care_patients)
    lock = asyncio.Lock()
    remaining = [missing]

    async def loop() -> None:
        while True:
            async with lock:
                if remaining[0] <= 0:
                    return
                remaining[0] -= 1
                body = workload.prescription(next(patients))
            response = await writer.client.post(
                "/api/v1/prescriptions", headers=writer.headers["day_doctor"], json=body
            )
            if response.status_code != 201:
                raise SystemExit(f"prescribing to dispense failed: {response.text[:300]}")
            pool.append(response.json()["id"])

    await asyncio.gather(*(loop() for _ in range(clients)))


async def _sign_in_everyone(side: Side, fixture: Fixture) -> None:
    for who, (username, password) in fixture.logins.items():
        side.headers[who] = await _login(side.client, username, password)


async def measure_all(
    fixture: Fixture,
    urls: dict[str, str],
    ops: list[str],
    clients: list[int],
    seconds: float,
    rounds: int,
    warmup: float,
    workload: Workload,
) -> dict[tuple[str, int], dict[str, Samples]]:
    limits = httpx.Limits(max_connections=max(clients) + 4, max_keepalive_connections=64)
    timeout = httpx.Timeout(120)
    sides = {
        name: Side(name, httpx.AsyncClient(base_url=url, limits=limits, timeout=timeout))
        for name, url in urls.items()
    }
    try:
        for side in sides.values():
            await _sign_in_everyone(side, fixture)
        table = workload.requests()
        results: dict[tuple[str, int], dict[str, Samples]] = {}
        rates = {OW: 50.0, BARE: 200.0}
        for op in ops:
            label, make = table[op]
            stretch = LONGER.get(op, 1)
            per_round, warm = seconds * stretch / rounds, warmup * stretch
            for c in clients:
                _log(f"{label:28} x{c}")
                samples = {OW: Samples(), BARE: Samples()}

                async def one(
                    name: str, length: float, keep: bool, op=op, c=c, make=make, samples=samples
                ) -> None:
                    if op == "dispense":
                        wanted = int(rates[name] * length * 1.5) + 2 * c + 5
                        await _fill_dispense_pool(workload, name, wanted, sides[BARE])
                    count, elapsed = await run_round(
                        sides[name], make, c, length, samples[name] if keep else None
                    )
                    if elapsed > 0 and count:
                        rates[name] = max(rates[name] * 0.5, count / elapsed)

                for name in (OW, BARE):
                    await one(name, warm, keep=False)
                for _round in range(rounds):
                    for name in (OW, BARE):
                        await one(name, per_round, keep=True)
                results[(op, c)] = samples
        return results
    finally:
        for side in sides.values():
            await side.client.aclose()


# ---------------------------------------------------------------- statements per request


_TRANSACTION = ("BEGIN", "COMMIT", "ROLLBACK")


async def count_statements(
    fixture: Fixture, ops: list[str], workload: Workload
) -> dict[str, dict[str, Any]]:
    """Each operation once in process, the statements OpenWard sends counted."""
    from sqlalchemy import event

    app = _app()
    seen: list[str] = []

    def listen(_conn, _cursor, statement, *_args) -> None:
        if not statement.lstrip().upper().startswith(_TRANSACTION):
            seen.append(" ".join(statement.split())[:160])

    counts: dict[str, dict[str, Any]] = {}
    transport = httpx.ASGITransport(app=app)
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://count") as client:
            side = Side("count", client)
            await _sign_in_everyone(side, fixture)
            table = workload.requests()
            event.listen(app.state.engine.sync_engine, "before_cursor_execute", listen)
            for op in ops:
                _label, make = table[op]
                if op == "dispense":
                    await _fill_dispense_pool(workload, "count", 1, side, clients=1)
                seen.clear()
                request = make("count", 0)
                assert request is not None
                method, path, who, body = request
                response = await client.request(
                    method, path, headers=side.headers.get(who, {}), json=body
                )
                counts[op] = {
                    "statements": len(seen),
                    "status": response.status_code,
                    "sql": list(seen),
                }
            event.remove(app.state.engine.sync_engine, "before_cursor_execute", listen)
    finally:
        await app.state.engine.dispose()
    return counts


# ---------------------------------------------------------------- servers


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Server:
    def __init__(self, name: str, argv: list[str], env: dict[str, str], cwd: Path) -> None:
        self.name, self.argv, self.env, self.cwd = name, argv, env, cwd
        self.log = cwd / f"{name}.log"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self, port: int) -> str:
        with open(self.log, "wb") as log:
            self.process = subprocess.Popen(
                self.argv, env=self.env, cwd=self.cwd, stdout=log, stderr=subprocess.STDOUT
            )
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise SystemExit(f"{self.name} exited:\n{self.log.read_text()[-3000:]}")
            try:
                if httpx.get(f"{url}/healthz", timeout=2).status_code == 200:
                    return url
            except httpx.HTTPError:
                pass
            time.sleep(0.3)
        raise SystemExit(f"{self.name} did not answer /healthz:\n{self.log.read_text()[-3000:]}")

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGINT)
        try:
            self.process.wait(15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(5)

    def problems(self) -> dict[str, int]:
        """The exceptions in the server's log (the last line of each traceback), counted."""
        text = self.log.read_text(errors="replace") if self.log.exists() else ""
        found: dict[str, int] = {}
        for line in text.splitlines():
            if re.match(r"^[A-Za-z_][\w.]*(Error|Exception|Timeout)\b", line):
                found[line[:200]] = found.get(line[:200], 0) + 1
        return found


@contextmanager
def servers(target: Target, workers: int = 1) -> Iterator[tuple[dict[str, str], list[Server]]]:
    env = _environment(target)
    ow_port, bare_port = _free_port(), _free_port()
    serve = ["serve", "--host", "127.0.0.1", "--port", str(ow_port), "--workers", str(workers)]
    openward = Server(
        "openward",
        [str(BIN / "openward"), *serve],
        env,
        target.tmp,
    )
    bare_env = {**env, "BARE_DATABASE_URL": target.url}
    bare = Server(
        "bare",
        [
            sys.executable,
            "-m",
            "uvicorn",
            "bare_app:app",
            "--app-dir",
            str(BENCH),
            "--host",
            "127.0.0.1",
            "--port",
            str(bare_port),
            "--log-level",
            "warning",
            "--no-access-log",
        ],
        bare_env,
        target.tmp,
    )
    started: list[Server] = []
    try:
        urls = {}
        for server, port in ((openward, ow_port), (bare, bare_port)):
            urls[server.name] = server.start(port)
            started.append(server)
        yield urls, started
    except BaseException:
        for server in started:
            print(f"--- the end of {server.log}:\n{server.log.read_text(errors='replace')[-4000:]}")
        raise
    finally:
        for server in started:
            server.stop()


# ---------------------------------------------------------------- the report


def _cell(value: float | None) -> str:
    if value is None or math.isnan(value):
        return f"{'-':>7}"
    return f"{value:7.1f}" if value < 1000 else f"{value:7.0f}"


def table(title: str, rows: list[dict[str, Any]]) -> str:
    header = (
        f"{'operation':26} {'cl':>2} {'stmts':>7} | {'OpenWard p50':>12} {'p95':>7} "
        f"{'p99':>7} {'req/s':>7} | {'bare p50':>8} {'p95':>7} {'p99':>7} {'req/s':>7} | "
        f"{'bare÷OW':>7}  problems"
    )
    lines = [title, "=" * len(title), header, "-" * len(header)]
    for row in rows:
        ow, bare = row[OW], row[BARE]
        ratio = bare["rps"] / ow["rps"] if ow["rps"] else float("nan")
        problems = []
        for name, s in ((OW, ow), (BARE, bare)):
            if s["errors"]:
                problems.append(f"{name} {s['errors']}")
        stmts = f"{row.get('statements_openward', '?')}/{row.get('statements_bare', '?')}"
        lines.append(
            f"{row['label']:26} {row['clients']:>2} {stmts:>7} | {_cell(ow['p50_ms']):>12} "
            f"{_cell(ow['p95_ms'])} {_cell(ow['p99_ms'])} {_cell(ow['rps'])} | "
            f"{_cell(bare['p50_ms']):>8} {_cell(bare['p95_ms'])} "
            f"{_cell(bare['p99_ms'])} {_cell(bare['rps'])} | {ratio:6.1f}x  " + "; ".join(problems)
        )
    return "\n".join(lines)


# ---------------------------------------------------------------- one database


def run_database(url: str, args: argparse.Namespace, ops: list[str]) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="openward-load-") as tmp_name:
        tmp = Path(tmp_name)
        if url in ("", "sqlite"):
            url = f"sqlite+aiosqlite:///{tmp / 'openward.db'}"
        elif url in ("pg", "postgresql"):
            url = DEFAULT_PG
        target = Target(url, tmp)
        os.environ.update(openward_env(target))
        started = time.perf_counter()
        _log(f"{target.label}: a fresh database")
        create_database(target)
        try:
            _openward(target, "db", "upgrade")
            _log(f"{target.label}: migrated; loading {args.patients:,} patients in bulk")
            load_patients(target, args.patients)
            _log(f"{target.label}: the demo hospital (openward demo)")
            _openward(target, "demo", "--credentials-file", str(tmp / "demo-logins"))
            _log(f"{target.label}: doctors, hours, bookings, care team, stock (through the API)")
            fixture = asyncio.run(seed(target, args.patients))
            analyze(target)
            _log(f"{target.label}: ready in {time.perf_counter() - started:.0f} s; serving")
            workload = Workload(fixture)
            with servers(target, args.workers) as (urls, running):
                results = asyncio.run(
                    measure_all(
                        fixture,
                        urls,
                        ops,
                        args.clients,
                        args.seconds,
                        args.rounds,
                        args.warmup,
                        workload,
                    )
                )
            problems = {server.name: server.problems() for server in running}
            _log(f"{target.label}: counting statements per request in process")
            counts = asyncio.run(count_statements(fixture, ops, workload))
        finally:
            if not args.keep:
                drop_database(target)
    labels = {op: label for op, (label, _make) in Workload(fixture).requests().items()}
    rows = []
    for (op, c), samples in results.items():
        rows.append(
            {
                "operation": op,
                "label": labels[op],
                "clients": c,
                "statements_openward": counts.get(op, {}).get("statements"),
                "statements_bare": samples[BARE].statements,
                OW: samples[OW].summary(),
                BARE: samples[BARE].summary(),
            }
        )
    import openward

    source = str(Path(openward.__file__).resolve().parent.parent)
    title = (
        f"{target.label}, {args.patients:,} patients: OpenWard ({source}) vs bare endpoint, "
        f"{args.seconds:g} s per side per cell in {args.rounds} interleaved rounds"
    )
    return {
        "database": target.label,
        "title": title,
        "openward_src": source,
        "rows": rows,
        "statements": counts,
        "server_log_problems": problems,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--database-url",
        action="append",
        help="sqlite (default: a temp dir), pg, or a URL; repeat for several databases",
    )
    parser.add_argument("--patients", type=int, default=10_000)
    parser.add_argument("--seconds", type=float, default=3.0, help="per side per cell")
    parser.add_argument("--rounds", type=int, default=4, help="interleaved rounds per cell")
    parser.add_argument("--warmup", type=float, default=0.5, help="seconds per side per cell")
    parser.add_argument("--only", help="operations, comma-separated (see --list)")
    parser.add_argument("--clients", default="1,8", help="concurrent clients, e.g. 1,8")
    parser.add_argument("--openward-src", help="run OpenWard from this checkout's src")
    parser.add_argument("--json", help="write every number here")
    parser.add_argument("--keep", action="store_true", help="keep the PostgreSQL database")
    parser.add_argument(
        "--workers", type=int, default=1, help="openward serve --workers (PostgreSQL for >1)"
    )
    parser.add_argument("--list", action="store_true", help="list the operations")
    args = parser.parse_args()
    _use_source_tree(args.openward_src)
    args.clients = [int(c) for c in args.clients.split(",") if c.strip()]
    known = _operation_names()
    if args.list:
        print("\n".join(known))
        return
    ops = known
    if args.only:
        wanted = [o.strip() for o in args.only.split(",") if o.strip()]
        if "dashboards" in wanted:
            wanted.remove("dashboards")
            wanted += [o for o in known if o.startswith("dashboard_")]
        unknown = sorted(set(wanted) - set(known))
        if unknown:
            raise SystemExit(f"unknown operations: {', '.join(unknown)}; known: {', '.join(known)}")
        ops = [o for o in known if o in wanted]
    import openward

    _log(f"OpenWard from {Path(openward.__file__).resolve().parent}")
    reports = [run_database(url, args, ops) for url in args.database_url or ["sqlite"]]
    for report in reports:
        print()
        print(table(report["title"], report["rows"]))
        for name, found in report["server_log_problems"].items():
            for line, times in found.items():
                print(f"{name} server log, {times}x: {line}")
    print()
    print(NOTE)
    if args.json:
        Path(args.json).write_text(json.dumps(reports, indent=2, default=str))


def _operation_names() -> list[str]:
    empty = Fixture({}, [1], [(1, 1)], [1], 1, "", [1], [1], [1], 1, 1, ["x"])
    return list(Workload(empty).requests())


if __name__ == "__main__":
    main()
