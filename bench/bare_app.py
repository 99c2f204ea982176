"""The bare endpoint: OpenWard's main requests answered with hand-written SQL, for comparison.

    BARE_DATABASE_URL=postgresql+asyncpg://postgres@127.0.0.1:5432/openward_load_bench \\
        .venv/bin/python -m uvicorn bare_app:app --app-dir bench --port 8101

`bench/load_bench.py` starts it beside a real `openward serve` on the same database and the
same schema (OpenWard's own migrations: the same indexes, constraints and triggers), and
sends both the same requests. It is what a minimal FastAPI service would do to answer them:
raw asyncpg (a pool of 10) or aiosqlite (8 connections, WAL, foreign keys, busy timeout,
synchronous=NORMAL as OpenWard sets them), no ORM, no Pydantic models, no audit trail, no
events, the JSON written with `json.dumps`. Every response carries `x-bare-statements`,
the number of SQL statements it sent (BEGIN and COMMIT not counted, as in OpenWard's count).

The bearer check, in every route but sign-in, is one statement: the token's SHA-256 looked
up in `refresh_tokens` (the bare sign-in stores its opaque token there), joined to the
user, their doctor profile and their patient record; the role is then checked in Python
against the same role x permission table as OpenWard's. What each route sends after it:

- `POST /api/v1/auth/login`: the user by username (1 SELECT); the argon2 hash verified in
  a worker thread (the same hash, so the same cost as OpenWard's); one INSERT of the token
  row. No throttling, no last-login update, no audit.
- `POST /api/v1/patients`: one INSERT ... RETURNING (MRN with its Luhn digit and the search
  keys computed in Python as OpenWard does). No duplicate check.
- `POST /api/v1/appointments` (a chosen doctor): one SELECT that reads the doctor (active,
  slot length, department), the weekly block holding the start, whether the doctor is on
  leave that day and whether the patient is active; the grid alignment is checked in
  Python; then one INSERT, and the exclusion constraint (PostgreSQL) or the trigger (SQLite)
  decides double booking (409). No care relationship row (OpenWard's event), no audit.
- `PATCH /api/v1/appointments/{id}`: one SELECT of the appointment with its doctor and the
  weekly block holding the new start; one UPDATE ... WHERE status = 'booked' RETURNING; the
  constraint or trigger decides overlaps.
- `GET /api/v1/appointments?doctor_id&from&to` (a doctor's day): one SELECT of the
  appointments joined to patients, the doctor's login and the department, with the total as
  a window count; a doctor sees only their own, as in OpenWard.
- `GET /api/v1/patients?q=` (search): one SELECT with OpenWard's WHERE (name words with
  LIKE, national id, MRN and phone digits) and ORDER BY (the same rank CASE, family name,
  given name, id), and the total capped at 1000 as a scalar subquery of the same statement.
  A doctor's search is limited to their patients (care team and care relationships).
- `GET /api/v1/patients/{id}`: one SELECT of the row (receptionist: no access check needed).
- `GET /api/v1/patients/{id}/encounters` (chart read): one SELECT of the encounters (newest
  50) joined to the patient, the doctor's, author's and signer's names and the diagnoses,
  with the doctor's care relationship as part of its WHERE and the total as a scalar
  subquery; one SELECT of their amendments.
- `POST /api/v1/prescriptions`: one SELECT (UNION ALL) of the medicines asked for, the
  patient's active allergies, the medicines of their prescriptions of the last 90 days and
  whether the doctor may see the patient; allergy and duplicate warnings in Python (no
  interaction table); then, in one transaction, INSERTs of the prescription, each item and
  each warning.
- `POST /api/v1/prescriptions/{id}/dispense` (all that remains): in one transaction, a
  SELECT of the prescription and its items (FOR UPDATE on PostgreSQL), then per item one
  conditional UPDATE of the first-expiring usable lot that holds enough (no split across
  lots), an INSERT of the dispensation, an INSERT of the stock movement and an UPDATE of the
  item; one UPDATE of the prescription's status.
- `GET /api/v1/dashboard`: the role's figures in one SELECT of scalar subqueries and
  conditional sums, then one SELECT per list the dashboard shows (admin: users per role,
  appointments by status today and this week, busiest departments, pending approvals,
  recent sign-ins; receptionist and nurse: today's queue; doctor: today, the next 7 days,
  their patients, the results inbox (lab and imaging in one UNION ALL); patient: their
  record, their visits with treatments), and the signed-in user's recent sign-ins (read
  from `audit_events`, as OpenWard does; no count of them).
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import re
import secrets
import sqlite3
import unicodedata
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from contextvars import ContextVar
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

import anyio.to_thread
from argon2 import PasswordHasher
from argon2.exceptions import Argon2Error
from fastapi import FastAPI, Request
from fastapi.responses import Response

DATABASE_URL = os.environ.get("BARE_DATABASE_URL", "sqlite+aiosqlite:///./openward.db")
ZONE = ZoneInfo(os.environ.get("BARE_TIMEZONE", "UTC"))
POOL_SIZE = int(os.environ.get("BARE_POOL_SIZE", "10"))
SQLITE_CONNECTIONS = int(os.environ.get("BARE_SQLITE_CONNECTIONS", "8"))
COUNT_CAP = 1000
DUPLICATE_WINDOW_DAYS = 90
ALERT_DAYS = int(os.environ.get("BARE_EXPIRY_ALERT_DAYS", "90"))
ACTIVE_STATUSES = ("booked", "checked_in", "completed")
LAB_PENDING = ("ordered", "collected", "in_progress", "resulted")
IMAGING_STATUSES = ("ordered", "scheduled", "performed", "reported", "verified", "cancelled")
CRITICAL = ("critical_low", "critical_high")
ALLERGY_SEVERITY = {"mild": "minor", "moderate": "moderate", "severe": "severe"}
ALLERGY_SEVERITY["life_threatening"] = "severe"

# Who may call what: the rows of OpenWard's role x permission table these routes need.
ROLES = {
    "patients:read": ("admin", "receptionist", "nurse", "doctor"),
    "patients:write": ("admin", "receptionist", "nurse"),
    "appointments:book": ("admin", "receptionist", "nurse", "doctor", "patient"),
    "appointments:read": ("admin", "receptionist", "nurse", "doctor", "patient"),
    "chart:read": ("nurse", "doctor", "patient"),
    "prescriptions:write": ("doctor",),
    "prescriptions:dispense": ("pharmacist",),
    "dashboard:view": (
        "admin",
        "receptionist",
        "nurse",
        "doctor",
        "pharmacist",
        "lab_technician",
        "radiologist",
        "billing",
        "patient",
    ),
}

_hasher = PasswordHasher()
_statements: ContextVar[list[int]] = ContextVar("statements")


class Refused(Exception):
    def __init__(self, status: int, code: str, detail: str = "") -> None:
        super().__init__(detail or code)
        self.status, self.code, self.detail = status, code, detail or code


# ---------------------------------------------------------------- the database


def _sqlite_sql(sql: str) -> str:
    return re.sub(r"\$(\d+)", r"?\1", sql)


class Connection:
    """One connection: fetch/fetchrow/execute with $n parameters on both databases."""

    def __init__(self, raw: Any, dialect: str) -> None:
        self.raw, self.dialect = raw, dialect

    def _count(self) -> None:
        counter = _statements.get(None)
        if counter is not None:
            counter[0] += 1

    async def fetch(self, sql: str, *args: Any) -> list[dict[str, Any]]:
        self._count()
        if self.dialect == "postgresql":
            return [dict(r) for r in await self.raw.fetch(sql, *args)]
        async with self.raw.execute(_cached_sqlite(sql), args) as cursor:
            return [dict(r) for r in await cursor.fetchall()]

    async def fetchrow(self, sql: str, *args: Any) -> dict[str, Any] | None:
        rows = await self.fetch(sql, *args)
        return rows[0] if rows else None

    async def execute(self, sql: str, *args: Any) -> int:
        self._count()
        if self.dialect == "postgresql":
            status = await self.raw.execute(sql, *args)
            return int(status.rsplit(" ", 1)[-1]) if status[-1:].isdigit() else 0
        async with self.raw.execute(_cached_sqlite(sql), args) as cursor:
            return cursor.rowcount


@lru_cache(maxsize=512)
def _cached_sqlite(sql: str) -> str:
    return _sqlite_sql(sql)


class Database:
    def __init__(self, url: str) -> None:
        self.url = url
        self.dialect = "postgresql" if url.startswith("postgresql") else "sqlite"
        self.pool: Any = None
        self.idle: asyncio.Queue[Any] = asyncio.Queue()

    async def open(self) -> None:
        if self.dialect == "postgresql":
            import asyncpg

            dsn = re.sub(r"^postgresql\+asyncpg://", "postgresql://", self.url)
            self.pool = await asyncpg.create_pool(dsn, min_size=2, max_size=POOL_SIZE)
            return
        import aiosqlite

        path = self.url.split(":///", 1)[-1]
        for _ in range(SQLITE_CONNECTIONS):
            conn = await aiosqlite.connect(path, isolation_level=None, timeout=30)
            conn.row_factory = sqlite3.Row
            for pragma in (
                "PRAGMA journal_mode=WAL",
                "PRAGMA foreign_keys=ON",
                "PRAGMA busy_timeout=30000",
                "PRAGMA synchronous=NORMAL",
            ):
                await conn.execute(pragma)
            self.idle.put_nowait(conn)

    async def close(self) -> None:
        if self.pool is not None:
            await self.pool.close()
        while not self.idle.empty():
            await self.idle.get_nowait().close()

    @asynccontextmanager
    async def connect(self) -> AsyncIterator[Connection]:
        if self.dialect == "postgresql":
            async with self.pool.acquire() as raw:
                yield Connection(raw, self.dialect)
            return
        raw = await self.idle.get()
        try:
            yield Connection(raw, self.dialect)
        finally:
            self.idle.put_nowait(raw)

    @asynccontextmanager
    async def transaction(self, conn: Connection) -> AsyncIterator[Connection]:
        if self.dialect == "postgresql":
            async with conn.raw.transaction():
                yield conn
            return
        await conn.raw.execute("BEGIN IMMEDIATE")
        try:
            yield conn
        except BaseException:
            await conn.raw.execute("ROLLBACK")
            raise
        await conn.raw.execute("COMMIT")

    # Values as each database stores them (SQLite: SQLAlchemy's text formats, naive UTC).
    def ts(self, value: datetime) -> Any:
        if self.dialect == "postgresql":
            return value
        return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")

    def day(self, value: date) -> Any:
        return value if self.dialect == "postgresql" else value.isoformat()

    def tod(self, value: time) -> Any:
        return value if self.dialect == "postgresql" else value.strftime("%H:%M:%S.%f")

    def is_integrity_error(self, exc: BaseException) -> bool:
        if self.dialect == "postgresql":
            import asyncpg

            return isinstance(exc, asyncpg.IntegrityConstraintViolationError)
        return isinstance(exc, sqlite3.IntegrityError)


db = Database(DATABASE_URL)


def _as_time(value: Any) -> time:
    return value if isinstance(value, time) else time.fromisoformat(str(value))


def _as_datetime(value: Any) -> datetime:
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    return datetime.fromisoformat(str(value)).replace(tzinfo=UTC)


# ---------------------------------------------------------------- helpers


_UNDECOMPOSED = str.maketrans(
    {"ł": "l", "ø": "o", "đ": "d", "ð": "d", "þ": "th", "æ": "ae", "œ": "oe", "ı": "i"}
)


def fold(text: str) -> str:
    """OpenWard's search key: lower case without accents, spaces collapsed."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(plain.translate(_UNDECOMPOSED).split())


def digits_of(text: str | None) -> str | None:
    digits = "".join(str(int(c)) for c in (text or "") if c.isdecimal())
    return digits or None


def luhn_check_digit(digits: str) -> str:
    total = 0
    for index, char in enumerate(reversed(digits)):
        value = int(char)
        if index % 2 == 0:
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return str((10 - total % 10) % 10)


def _like_escape(value: str) -> str:
    return value.replace("/", "//").replace("%", "/%").replace("_", "/_")


def reply(data: Any, status: int = 200) -> Response:
    counter = _statements.get(None)
    headers = {"x-bare-statements": str(counter[0] if counter else 0)}
    body = json.dumps(data, default=str, ensure_ascii=False)
    return Response(body, status_code=status, media_type="application/json", headers=headers)


def _start_counting() -> None:
    _statements.set([0])


async def auth(conn: Connection, request: Request, permission: str) -> dict[str, Any]:
    header = request.headers.get("authorization", "")
    if not header.lower().startswith("bearer "):
        raise Refused(401, "not_authenticated")
    digest = hashlib.sha256(header[7:].strip().encode()).hexdigest()
    actor = await conn.fetchrow(
        "SELECT u.id, u.role, u.username, u.full_name, d.id AS doctor_id, p.id AS patient_id "
        "FROM refresh_tokens t JOIN users u ON u.id = t.user_id "
        "LEFT JOIN doctors d ON d.user_id = u.id LEFT JOIN patients p ON p.user_id = u.id "
        "WHERE t.token_hash = $1 AND t.revoked_at IS NULL AND t.expires_at > $2 "
        "AND u.is_active AND u.is_approved",
        digest,
        db.ts(datetime.now(UTC)),
    )
    if actor is None:
        raise Refused(401, "invalid_token")
    if actor["role"] not in ROLES[permission]:
        raise Refused(403, "permission_denied")
    return actor


def _in_care_sql(doctor_param: str, patient_expr: str) -> str:
    return (
        f"(EXISTS (SELECT 1 FROM care_team_members c WHERE c.patient_id = {patient_expr} "
        f"AND c.doctor_id = {doctor_param} AND c.is_active) OR EXISTS (SELECT 1 FROM "
        f"care_relationships r WHERE r.patient_id = {patient_expr} AND r.doctor_id = "
        f"{doctor_param} AND r.is_active))"
    )


def _patients_in_care_sql(doctor_param: str) -> str:
    return (
        f"(SELECT patient_id FROM care_team_members WHERE doctor_id = {doctor_param} AND "
        f"is_active UNION SELECT patient_id FROM care_relationships WHERE doctor_id = "
        f"{doctor_param} AND is_active)"
    )


def _start_of_today() -> datetime:
    now = datetime.now(ZONE)
    return datetime.combine(now.date(), time.min, tzinfo=ZONE)


# ---------------------------------------------------------------- the app


@asynccontextmanager
async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
    await db.open()
    yield
    await db.close()


app = FastAPI(lifespan=lifespan, openapi_url=None, docs_url=None, redoc_url=None)


@app.exception_handler(Refused)
async def _refused(_request: Request, exc: Refused) -> Response:
    return reply({"code": exc.code, "detail": exc.detail}, exc.status)


@app.get("/healthz")
async def healthz() -> Response:
    return reply({"status": "ok"})


@app.post("/api/v1/auth/login")
async def login(request: Request) -> Response:
    _start_counting()
    body = await request.json()
    username = str(body.get("username", "")).strip().lower()
    password = str(body.get("password", ""))
    async with db.connect() as conn:
        user = await conn.fetchrow(
            "SELECT id, username, full_name, role, password_hash, is_active, is_approved "
            "FROM users WHERE username = $1",
            username,
        )
        stored = user["password_hash"] if user else None
        ok = await anyio.to_thread.run_sync(_verify, password, stored)
        if user is None or not ok or not user["is_active"] or not user["is_approved"]:
            raise Refused(401, "invalid_credentials")
        token = secrets.token_urlsafe(32)
        now = datetime.now(UTC)
        await conn.execute(
            "INSERT INTO refresh_tokens (user_id, family_id, token_hash, created_at, expires_at) "
            "VALUES ($1, $2, $3, $4, $5)",
            user["id"],
            uuid.uuid4().hex,
            hashlib.sha256(token.encode()).hexdigest(),
            db.ts(now),
            db.ts(now + timedelta(days=1)),
        )
    brief = {k: user[k] for k in ("id", "username", "full_name", "role")}
    return reply(
        {"access_token": token, "token_type": "bearer", "expires_in": 86400, "user": brief}
    )


def _verify(password: str, stored: str | None) -> bool:
    try:
        return _hasher.verify(stored or _DUMMY_HASH, password) and stored is not None
    except Argon2Error:
        return False


_DUMMY_HASH = _hasher.hash(secrets.token_urlsafe(16))


# ---------------------------------------------------------------- patients


@app.post("/api/v1/patients")
async def create_patient(request: Request) -> Response:
    _start_counting()
    body = await request.json()
    async with db.connect() as conn:
        await auth(conn, request, "patients:write")
        given, family = body["given_name"].strip(), body["family_name"].strip()
        born = date.fromisoformat(body["date_of_birth"])
        phone = body.get("phone")
        now = datetime.now(UTC)
        for _attempt in range(5):
            payload = f"{secrets.randbelow(900_000_000) + 100_000_000}"
            try:
                row = await conn.fetchrow(
                    "INSERT INTO patients (mrn, given_name, family_name, date_of_birth, sex, "
                    "phone, email, is_active, created_at, updated_at, address, blood_group, "
                    "national_id, name_search, phone_digits) VALUES ($1, $2, $3, $4, $5, $6, "
                    "$7, true, $8, $8, $9, $10, $11, $12, $13) RETURNING id, mrn, created_at",
                    payload + luhn_check_digit(payload),
                    given,
                    family,
                    db.day(born),
                    body["sex"],
                    phone,
                    body.get("email"),
                    db.ts(now),
                    body.get("address"),
                    body.get("blood_group"),
                    body.get("national_id"),
                    fold(f"{given} {family}"),
                    digits_of(phone),
                )
            except Exception as exc:
                if db.is_integrity_error(exc) and "mrn" in str(exc):
                    continue
                raise
            break
        else:
            raise Refused(500, "mrn_exhausted")
    out = {**row, "given_name": given, "family_name": family, "full_name": f"{given} {family}"}
    out.update(date_of_birth=born, sex=body["sex"], phone=phone, is_active=True)
    return reply(out, 201)


def _search_where(q: str, first: int) -> tuple[str, str, list[Any]]:
    """OpenWard's search (patients/search.py) as SQL: (where, rank, params from $first)."""
    words = fold(q).split()
    digits = digits_of(q) or ""
    params: list[Any] = []

    def p(value: Any) -> str:
        params.append(value)
        return f"CAST(${first + len(params) - 1} AS TEXT)"

    national = p("".join(q.split()).upper())
    name_match = " AND ".join(
        f"(p.name_search LIKE '%' || {p(_like_escape(w))} || '%' ESCAPE '/')" for w in words
    )
    found = [f"({name_match})"] if words else []
    found.append(f"p.national_id = {national}")
    exact = f"p.national_id = {national}"
    if len(digits) >= 4 and len(digits) >= len(q.replace(" ", "").replace("-", "")) - 1:
        d = p(digits)
        if len(digits) == 10:
            found.append(f"p.mrn = {d}")
        else:
            found.append(f"p.mrn LIKE {p(_like_escape(digits))} || '%' ESCAPE '/'")
        found.append(f"p.phone_digits LIKE '%' || {p(_like_escape(digits))} || '%' ESCAPE '/'")
        exact = f"({exact} OR p.mrn = {d})"
    joined, backwards = p(" ".join(words)), p(" ".join(reversed(words)))
    starts = " AND ".join(
        f"((p.name_search LIKE {p(_like_escape(w))} || '%' ESCAPE '/') OR "
        f"(p.name_search LIKE '%' || {p(' ' + _like_escape(w))} || '%' ESCAPE '/'))"
        for w in words
    )
    rank = (
        f"CASE WHEN {exact} THEN 0 WHEN p.name_search IN ({joined}, {backwards}) THEN 1 "
        + (f"WHEN {starts} THEN 2 " if words else "")
        + "ELSE 3 END"
    )
    return "(" + " OR ".join(found) + ")", rank, params


_BRIEF = "p.id, p.mrn, p.given_name, p.family_name, p.date_of_birth, p.sex, p.phone, p.is_active"


def _brief(row: dict[str, Any]) -> dict[str, Any]:
    row["full_name"] = f"{row['given_name']} {row['family_name']}"
    return row


async def _search(
    conn: Connection, actor: dict[str, Any], q: str, limit: int, offset: int
) -> tuple[list[dict[str, Any]], int]:
    params: list[Any] = [limit, offset]
    scope = ""
    if actor["role"] == "doctor":
        params.append(actor["doctor_id"] or 0)
        scope = f" AND p.id IN {_patients_in_care_sql('$3')}"
    q = unicodedata.normalize("NFC", q).strip()
    if q:
        where, rank, more = _search_where(q, len(params) + 1)
        params += more
        where = f"p.is_active AND {where}{scope}"
        order = f"{rank}, p.family_name, p.given_name, p.id"
    else:
        where, order = f"p.is_active{scope}", "p.created_at DESC, p.id DESC"
    rows = await conn.fetch(
        f"SELECT {_BRIEF}, (SELECT count(*) FROM (SELECT p.id FROM patients p WHERE {where} "
        f"LIMIT {COUNT_CAP}) c) AS total FROM patients p WHERE {where} ORDER BY {order} "
        "LIMIT $1 OFFSET $2",
        *params,
    )
    total = rows[0].pop("total") if rows else 0
    for row in rows[1:]:
        row.pop("total")
    return [_brief(r) for r in rows], int(total)


@app.get("/api/v1/patients")
async def search_patients(request: Request) -> Response:
    _start_counting()
    args = request.query_params
    limit, offset = int(args.get("limit", 20)), int(args.get("offset", 0))
    async with db.connect() as conn:
        actor = await auth(conn, request, "patients:read")
        rows, total = await _search(conn, actor, args.get("q") or "", limit, offset)
    return reply({"items": rows, "total": total, "total_is_capped": total >= COUNT_CAP})


@app.get("/api/v1/patients/{patient_id}")
async def get_patient(patient_id: int, request: Request) -> Response:
    _start_counting()
    async with db.connect() as conn:
        actor = await auth(conn, request, "patients:read")
        if actor["role"] == "doctor":
            care = _in_care_sql("$2", "p.id")
            row = await conn.fetchrow(
                f"SELECT p.* FROM patients p WHERE p.id = $1 AND {care}",
                patient_id,
                actor["doctor_id"] or 0,
            )
        else:
            row = await conn.fetchrow("SELECT p.* FROM patients p WHERE p.id = $1", patient_id)
    if row is None:
        raise Refused(404, "patient_not_found")
    return reply(_brief(row))


# ---------------------------------------------------------------- appointments


def _slot_fits(start_local: datetime, block_start: Any, block_end: Any, minutes: int) -> bool:
    begin = datetime.combine(start_local.date(), _as_time(block_start), tzinfo=start_local.tzinfo)
    end = datetime.combine(start_local.date(), _as_time(block_end), tzinfo=start_local.tzinfo)
    offset = (start_local - begin).total_seconds() / 60
    return offset >= 0 and offset % minutes == 0 and start_local + timedelta(minutes=minutes) <= end


def _parse_start(value: str) -> datetime:
    start = datetime.fromisoformat(value)
    if start.tzinfo is None:
        start = start.replace(tzinfo=ZONE)
    return start.astimezone(UTC)


def _leave(first: int) -> str:
    """Whether the doctor is on leave at the slot: parameters day, start, start + 1 minute."""
    day, start, after = first, first + 1, first + 2
    return (
        "EXISTS (SELECT 1 FROM doctor_availability_exceptions x WHERE x.doctor_id = d.id AND "
        f"x.day = ${day} AND x.is_active AND x.kind = 'leave' AND (x.start IS NULL OR "
        f'(x.start < ${after} AND x."end" > ${start}))) AS on_leave'
    )


def _appointment_out(row: dict[str, Any], start: datetime, end: datetime) -> dict[str, Any]:
    return {**row, "start": start.astimezone(ZONE), "end": end.astimezone(ZONE)}


@app.post("/api/v1/appointments")
async def book(request: Request) -> Response:
    _start_counting()
    body = await request.json()
    start = _parse_start(body["start"])
    local = start.astimezone(ZONE)
    async with db.connect() as conn:
        actor = await auth(conn, request, "appointments:book")
        row = await conn.fetchrow(
            "SELECT d.department_id, d.slot_minutes, w.start AS block_start, "
            'w."end" AS block_end, (SELECT is_active FROM patients WHERE id = $2) AS '
            f"patient_active, {_leave(3)} FROM doctors d LEFT JOIN doctor_weekly_hours w ON "
            'w.doctor_id = d.id AND w.weekday = $6 AND w.start <= $4 AND w."end" > $4 '
            "WHERE d.id = $1 AND d.is_active",
            int(body["doctor_id"]),
            int(body["patient_id"]),
            db.day(local.date()),
            db.tod(local.time()),
            db.tod((local + timedelta(minutes=1)).time()),
            local.weekday(),
        )
        if row is None:
            raise Refused(409, "doctor_inactive")
        if not row["patient_active"]:
            raise Refused(422, "patient_inactive")
        if start <= datetime.now(UTC):
            raise Refused(422, "in_the_past")
        minutes = row["slot_minutes"]
        fits = row["block_start"] is not None and _slot_fits(
            local, row["block_start"], row["block_end"], minutes
        )
        if not fits or row["on_leave"]:
            raise Refused(422, "outside_availability")
        end = start + timedelta(minutes=minutes)
        now = datetime.now(UTC)
        try:
            made = await conn.fetchrow(
                "INSERT INTO appointments (patient_id, doctor_id, department_id, start_at, "
                "end_at, status, reason, booked_by, created_at, updated_at) VALUES ($1, $2, $3, "
                "$4, $5, 'booked', $6, $7, $8, $8) RETURNING id, status, patient_id, doctor_id, "
                "department_id, reason",
                int(body["patient_id"]),
                int(body["doctor_id"]),
                row["department_id"],
                db.ts(start),
                db.ts(end),
                body.get("reason"),
                actor["id"],
                db.ts(now),
            )
        except Exception as exc:
            if db.is_integrity_error(exc):
                busy = "patient" in str(exc)
                raise Refused(409, "patient_busy" if busy else "slot_taken") from None
            raise
    return reply(_appointment_out(made, start, end), 201)


@app.patch("/api/v1/appointments/{appointment_id}")
async def reschedule(appointment_id: int, request: Request) -> Response:
    _start_counting()
    body = await request.json()
    start = _parse_start(body["start"])
    local = start.astimezone(ZONE)
    async with db.connect() as conn:
        actor = await auth(conn, request, "appointments:book")
        row = await conn.fetchrow(
            "SELECT a.status, a.doctor_id, a.patient_id, d.slot_minutes, d.is_active, "
            'w.start AS block_start, w."end" AS block_end, ' + _leave(2) + " FROM appointments a "
            "JOIN doctors d ON d.id = a.doctor_id LEFT JOIN doctor_weekly_hours w ON "
            'w.doctor_id = d.id AND w.weekday = $5 AND w.start <= $3 AND w."end" > $3 '
            "WHERE a.id = $1",
            appointment_id,
            db.day(local.date()),
            db.tod(local.time()),
            db.tod((local + timedelta(minutes=1)).time()),
            local.weekday(),
        )
        if row is None:
            raise Refused(404, "appointment_not_found")
        if actor["role"] == "doctor" and row["doctor_id"] != actor["doctor_id"]:
            raise Refused(403, "not_your_appointment")
        if row["status"] != "booked":
            raise Refused(409, "invalid_transition")
        if not row["is_active"]:
            raise Refused(409, "doctor_inactive")
        minutes = row["slot_minutes"]
        fits = row["block_start"] is not None and _slot_fits(
            local, row["block_start"], row["block_end"], minutes
        )
        if start <= datetime.now(UTC) or not fits or row["on_leave"]:
            raise Refused(422, "outside_availability")
        end = start + timedelta(minutes=minutes)
        try:
            moved = await conn.fetchrow(
                "UPDATE appointments SET start_at = $2, end_at = $3, rescheduled_from = start_at, "
                "updated_at = $4 WHERE id = $1 AND status = 'booked' RETURNING id, status, "
                "patient_id, doctor_id, department_id, reason",
                appointment_id,
                db.ts(start),
                db.ts(end),
                db.ts(datetime.now(UTC)),
            )
        except Exception as exc:
            if db.is_integrity_error(exc):
                busy = "patient" in str(exc)
                raise Refused(409, "patient_busy" if busy else "slot_taken") from None
            raise
    if moved is None:
        raise Refused(409, "invalid_transition")
    return reply(_appointment_out(moved, start, end))


_APPOINTMENT_ROWS = (
    "SELECT a.id, a.status, a.patient_id, p.given_name || ' ' || p.family_name AS "
    "patient_name, p.mrn AS patient_mrn, a.doctor_id, u.full_name AS doctor_name, "
    'a.department_id, dep.name AS department_name, a.start_at AS start, a.end_at AS "end", '
    "a.reason, a.created_at, a.checked_in_at, a.completed_at, a.cancelled_at, a.cancel_reason"
)
_APPOINTMENT_JOINS = (
    " FROM appointments a JOIN patients p ON p.id = a.patient_id JOIN doctors d ON d.id = "
    "a.doctor_id JOIN users u ON u.id = d.user_id JOIN departments dep ON dep.id = "
    "a.department_id"
)


def _day_bounds(first: str | None, last: str | None) -> tuple[datetime | None, datetime | None]:
    start = end = None
    if first:
        start = datetime.combine(date.fromisoformat(first), time.min, tzinfo=ZONE)
    if last:
        end = datetime.combine(date.fromisoformat(last) + timedelta(days=1), time.min, tzinfo=ZONE)
    return start, end


@app.get("/api/v1/appointments")
async def list_appointments(request: Request) -> Response:
    _start_counting()
    args = request.query_params
    limit, offset = int(args.get("limit", 50)), int(args.get("offset", 0))
    async with db.connect() as conn:
        actor = await auth(conn, request, "appointments:read")
        conditions, params = [], [limit, offset]

        def p(value: Any) -> str:
            params.append(value)
            return f"${len(params)}"

        if actor["role"] == "doctor":
            conditions.append(f"a.doctor_id = {p(actor['doctor_id'] or 0)}")
        elif actor["role"] == "patient":
            conditions.append(f"a.patient_id = {p(actor['patient_id'] or 0)}")
        if args.get("doctor_id"):
            conditions.append(f"a.doctor_id = {p(int(args['doctor_id']))}")
        if args.get("patient_id"):
            conditions.append(f"a.patient_id = {p(int(args['patient_id']))}")
        start, end = _day_bounds(args.get("from"), args.get("to"))
        if start is not None:
            conditions.append(f"a.start_at >= {p(db.ts(start))}")
        if end is not None:
            conditions.append(f"a.start_at < {p(db.ts(end))}")
        where = " WHERE " + " AND ".join(conditions) if conditions else ""
        rows = await conn.fetch(
            f"{_APPOINTMENT_ROWS}, count(*) OVER () AS total{_APPOINTMENT_JOINS}{where} "
            "ORDER BY a.start_at, a.id LIMIT $1 OFFSET $2",
            *params,
        )
    total = rows[0]["total"] if rows else 0
    for row in rows:
        row.pop("total")
    return reply({"items": rows, "total": total})


# ---------------------------------------------------------------- the chart


@app.get("/api/v1/patients/{patient_id}/encounters")
async def list_encounters(patient_id: int, request: Request) -> Response:
    _start_counting()
    limit = int(request.query_params.get("limit", 50))
    async with db.connect() as conn:
        actor = await auth(conn, request, "chart:read")
        params: list[Any] = [patient_id, limit]
        access = "true"
        if actor["role"] == "doctor":
            params.append(actor["doctor_id"] or 0)
            access = _in_care_sql("$3", "e.patient_id")
        elif actor["role"] == "patient":
            params.append(actor["patient_id"] or 0)
            access = "e.patient_id = $3 AND e.status = 'signed'"
        rows = await conn.fetch(
            "SELECT e.id, e.status, e.patient_id, p.given_name || ' ' || p.family_name AS "
            "patient_name, e.appointment_id, e.doctor_id, du.full_name AS doctor_name, "
            "e.author_id, au.full_name AS author_name, e.chief_complaint, e.history, "
            "e.examination, e.assessment, e.plan, e.next_visit_date, e.signed_at, e.signed_by, "
            "su.full_name AS signed_by_name, e.created_at, e.updated_at, x.code, x.description, "
            "x.is_primary, (SELECT count(*) FROM encounters t WHERE t.patient_id = $1) AS total "
            "FROM encounters e JOIN patients p ON p.id = e.patient_id LEFT JOIN doctors d ON "
            "d.id = e.doctor_id LEFT JOIN users du ON du.id = d.user_id JOIN users au ON au.id "
            "= e.author_id LEFT JOIN users su ON su.id = e.signed_by LEFT JOIN "
            "encounter_diagnoses x ON x.encounter_id = e.id WHERE e.patient_id = $1 AND e.id "
            "IN (SELECT id FROM encounters WHERE patient_id = $1 ORDER BY created_at DESC, id "
            f"DESC LIMIT $2) AND {access} ORDER BY e.created_at DESC, e.id DESC, "
            "x.is_primary DESC, x.position",
            *params,
        )
        encounters: dict[int, dict[str, Any]] = {}
        total = 0
        for row in rows:
            code, description, primary = (
                row.pop("code"),
                row.pop("description"),
                row.pop("is_primary"),
            )
            total = row.pop("total")
            entry = encounters.setdefault(row["id"], {**row, "diagnoses": [], "amendments": []})
            if code is not None:
                entry["diagnoses"].append(
                    {"code": code, "description": description, "is_primary": bool(primary)}
                )
        if encounters:
            marks = ", ".join(f"${i + 1}" for i in range(len(encounters)))
            for row in await conn.fetch(
                "SELECT m.encounter_id, m.text, m.author_id, u.full_name AS author_name, "
                "m.created_at FROM encounter_amendments m JOIN users u ON u.id = m.author_id "
                f"WHERE m.encounter_id IN ({marks}) ORDER BY m.created_at, m.id",
                *encounters,
            ):
                encounters[row.pop("encounter_id")]["amendments"].append(row)
    return reply({"items": list(encounters.values()), "total": total})


# ---------------------------------------------------------------- prescriptions


@app.post("/api/v1/prescriptions")
async def prescribe(request: Request) -> Response:
    _start_counting()
    body = await request.json()
    items = body["items"]
    patient_id = int(body["patient_id"])
    medicine_ids = [int(item["medicine_id"]) for item in items]
    since = datetime.now(UTC) - timedelta(days=DUPLICATE_WINDOW_DAYS)
    async with db.connect() as conn:
        actor = await auth(conn, request, "prescriptions:write")
        marks = ", ".join(f"${i + 4}" for i in range(len(medicine_ids)))
        rows = await conn.fetch(
            "SELECT 'medicine' AS kind, m.id, m.name, m.generic_name, m.is_active AS flag FROM "
            f"medicines m WHERE m.id IN ({marks}) UNION ALL SELECT 'allergy', CAST(NULL AS "
            "INTEGER), a.substance, a.severity, CAST(NULL AS BOOLEAN) FROM allergies a WHERE "
            "a.patient_id = $1 AND a.status = 'active' UNION ALL SELECT DISTINCT 'current', "
            "m.id, m.name, m.generic_name, CAST(NULL AS BOOLEAN) FROM medicines m JOIN "
            "prescription_items i ON i.medicine_id = m.id JOIN prescriptions x ON x.id = "
            "i.prescription_id WHERE x.patient_id = $1 AND x.status != 'cancelled' AND "
            "x.created_at >= $2 UNION ALL SELECT 'patient', p.id, CAST(NULL AS TEXT), CAST(NULL "
            f"AS TEXT), p.is_active FROM patients p WHERE p.id = $1 AND {_in_care_sql('$3', 'p.id')}",
            patient_id,
            db.ts(since),
            actor["doctor_id"] or 0,
            *medicine_ids,
        )
        kinds: dict[str, list[dict[str, Any]]] = {}
        for row in rows:
            kinds.setdefault(row["kind"], []).append(row)
        patient = kinds.get("patient", [])
        if not patient:
            raise Refused(403, "not_your_patient")
        if not patient[0]["flag"]:
            raise Refused(422, "patient_inactive")
        medicines = {m["id"]: m for m in kinds.get("medicine", [])}
        if any(i not in medicines or not medicines[i]["flag"] for i in medicine_ids):
            raise Refused(422, "unknown_medicine")
        warnings = _warnings(
            [medicines[i] for i in medicine_ids], kinds.get("allergy", []), kinds.get("current", [])
        )
        override = (body.get("override_reason") or "").strip() or None
        severe = [w for w in warnings if w["severity"] == "severe"]
        if severe and override is None:
            raise Refused(409, "interaction_severe", "; ".join(w["message"] for w in severe))
        now = datetime.now(UTC)
        async with db.transaction(conn):
            made = await conn.fetchrow(
                "INSERT INTO prescriptions (patient_id, prescriber_id, status, notes, "
                "override_reason, created_at, updated_at) VALUES ($1, $2, 'active', $3, $4, $5, "
                "$5) RETURNING id, created_at",
                patient_id,
                actor["id"],
                body.get("notes"),
                override if severe else None,
                db.ts(now),
            )
            out_items = []
            for item in items:
                added = await conn.fetchrow(
                    "INSERT INTO prescription_items (prescription_id, medicine_id, dose, route, "
                    "frequency, duration_days, quantity, quantity_dispensed, instructions) VALUES "
                    "($1, $2, $3, $4, $5, $6, $7, 0, $8) RETURNING id",
                    made["id"],
                    int(item["medicine_id"]),
                    item["dose"],
                    item["route"],
                    item["frequency"],
                    item.get("duration_days"),
                    int(item["quantity"]),
                    item.get("instructions"),
                )
                out_items.append({**item, "id": added["id"], "quantity_dispensed": 0})
            for warning in warnings:
                await conn.execute(
                    "INSERT INTO prescription_warnings (prescription_id, type, severity, message) "
                    "VALUES ($1, $2, $3, $4)",
                    made["id"],
                    warning["type"],
                    warning["severity"],
                    warning["message"],
                )
    out = {**made, "status": "active", "patient_id": patient_id, "prescriber_id": actor["id"]}
    out.update(items=out_items, warnings=warnings)
    return reply(out, 201)


def _key(text: str) -> str:
    return " ".join(text.casefold().split())


def _warnings(
    medicines: list[dict[str, Any]], allergies: list[dict[str, Any]], current: list[dict[str, Any]]
) -> list[dict[str, str]]:
    found = []
    for medicine in medicines:
        generic = _key(medicine["generic_name"])
        for allergy in allergies:
            allergen = _key(allergy["name"])
            if allergen and (allergen in (generic, _key(medicine["name"])) or generic in allergen):
                found.append(
                    {
                        "type": "allergy",
                        "severity": ALLERGY_SEVERITY.get(allergy["generic_name"], "moderate"),
                        "message": f"Recorded allergy to {allergy['name']}: {medicine['name']}.",
                    }
                )
    current_generics = {_key(m["generic_name"]) for m in current}
    seen = [_key(m["generic_name"]) for m in medicines]
    for medicine, generic in zip(medicines, seen, strict=True):
        if seen.count(generic) > 1 or generic in current_generics:
            found.append(
                {
                    "type": "duplicate",
                    "severity": "moderate",
                    "message": f"{medicine['generic_name']} is already prescribed to this patient "
                    f"in the last {DUPLICATE_WINDOW_DAYS} days.",
                }
            )
    order = {"severe": 0, "moderate": 1, "minor": 2}
    return sorted(found, key=lambda w: order.get(w["severity"], 3))


@app.post("/api/v1/prescriptions/{prescription_id}/dispense")
async def dispense(prescription_id: int, request: Request) -> Response:
    _start_counting()
    today = datetime.now(ZONE).date()
    lock = " FOR UPDATE OF x" if db.dialect == "postgresql" else ""
    async with db.connect() as conn:
        actor = await auth(conn, request, "prescriptions:dispense")
        async with db.transaction(conn):
            rows = await conn.fetch(
                "SELECT x.status, x.patient_id, i.id, i.medicine_id, i.quantity, "
                "i.quantity_dispensed FROM prescriptions x JOIN prescription_items i ON "
                f"i.prescription_id = x.id WHERE x.id = $1 ORDER BY i.id{lock}",
                prescription_id,
            )
            if not rows:
                raise Refused(404, "prescription_not_found")
            if rows[0]["status"] not in ("active", "partially_dispensed"):
                raise Refused(409, "invalid_transition")
            now = db.ts(datetime.now(UTC))
            lines, complete = [], True
            for item in rows:
                need = item["quantity"] - item["quantity_dispensed"]
                lot = None
                if need > 0:
                    lot = await conn.fetchrow(
                        "UPDATE stock_lots SET quantity = quantity - $1 WHERE id = (SELECT id "
                        "FROM stock_lots WHERE medicine_id = $2 AND quantity >= $1 AND "
                        "expiry_date > $3 ORDER BY expiry_date, id LIMIT 1) AND quantity >= $1 "
                        "RETURNING id, batch_number, expiry_date",
                        need,
                        item["medicine_id"],
                        db.day(today),
                    )
                if lot is None:
                    complete = complete and need <= 0
                    continue
                given = await conn.fetchrow(
                    "INSERT INTO dispensations (prescription_item_id, lot_id, quantity, "
                    "dispensed_by, dispensed_at) VALUES ($1, $2, $3, $4, $5) RETURNING id",
                    item["id"],
                    lot["id"],
                    need,
                    actor["id"],
                    now,
                )
                await conn.execute(
                    "INSERT INTO stock_movements (lot_id, medicine_id, kind, quantity, "
                    "dispensation_id, actor_id, created_at) VALUES ($1, $2, 'dispense', $3, $4, "
                    "$5, $6)",
                    lot["id"],
                    item["medicine_id"],
                    -need,
                    given["id"],
                    actor["id"],
                    now,
                )
                await conn.execute(
                    "UPDATE prescription_items SET quantity_dispensed = quantity_dispensed + $2 "
                    "WHERE id = $1",
                    item["id"],
                    need,
                )
                lines.append({"item_id": item["id"], "dispensed": need, "lots": [lot]})
            if not lines:
                raise Refused(409, "out_of_stock")
            status = "dispensed" if complete else "partially_dispensed"
            await conn.execute(
                "UPDATE prescriptions SET status = $2, updated_at = $3 WHERE id = $1",
                prescription_id,
                status,
                now,
            )
    out = {"prescription_id": prescription_id, "status": status, "complete": complete}
    return reply({**out, "lines": lines})


# ---------------------------------------------------------------- dashboards


async def _my_sign_ins(conn: Connection, actor_id: int | None, limit: int) -> list[dict]:
    mine, args = ("actor_id = $2 AND ", (actor_id,)) if actor_id is not None else ("", ())
    return await conn.fetch(
        "SELECT actor_username AS username, actor_role AS role, at, ip, detail FROM "
        f"audit_events WHERE {mine}action = 'auth.login' AND outcome = 'success' "
        "ORDER BY id DESC LIMIT $1",
        limit,
        *args,
    )


def _status_sums(statuses: tuple[str, ...], column: str = "status") -> str:
    return ", ".join(
        f"coalesce(sum(CASE WHEN {column} = '{s}' THEN 1 ELSE 0 END), 0) AS {s}" for s in statuses
    )


_APPOINTMENT_STATUSES = ("booked", "checked_in", "completed", "cancelled", "no_show")


async def _pharmacy_figures(conn: Connection) -> dict[str, Any]:
    today = datetime.now(ZONE).date()
    return await conn.fetchrow(
        "SELECT (SELECT count(*) FROM prescriptions WHERE status IN ('active', "
        "'partially_dispensed')) AS queue_length, (SELECT count(*) FROM medicines m WHERE "
        "m.is_active AND m.reorder_level > 0 AND coalesce((SELECT sum(l.quantity) FROM "
        "stock_lots l WHERE l.medicine_id = m.id AND l.expiry_date > $1), 0) < "
        "m.reorder_level) AS low_stock, (SELECT count(*) FROM stock_lots WHERE quantity > 0 "
        "AND expiry_date > $1 AND expiry_date <= $2) AS expiring_soon, (SELECT count(*) FROM "
        "stock_lots WHERE quantity > 0 AND expiry_date <= $1) AS expired_lots, (SELECT "
        "coalesce(sum(l.quantity * l.unit_cost), 0) FROM stock_lots l WHERE l.quantity > 0 "
        "AND l.expiry_date > $1) AS inventory_value_at_cost, (SELECT coalesce(sum(l.quantity "
        "* m.unit_price), 0) FROM stock_lots l JOIN medicines m ON m.id = l.medicine_id WHERE "
        "l.quantity > 0 AND l.expiry_date > $1) AS inventory_value_at_price",
        db.day(today),
        db.day(today + timedelta(days=ALERT_DAYS)),
    )


async def _admin(conn: Connection) -> tuple[dict, dict]:
    today = _start_of_today()
    week = today - timedelta(days=today.weekday())
    figures = await conn.fetchrow(
        "SELECT (SELECT count(*) FROM users WHERE NOT is_approved AND is_active) AS "
        "pending_approvals, (SELECT count(*) FROM patients WHERE is_active) AS "
        "patients_registered, (SELECT count(*) FROM doctors d JOIN departments x ON x.id = "
        "d.department_id WHERE d.is_active) AS doctors_active"
    )
    figures.update(await _pharmacy_figures(conn))
    per_role = await conn.fetch(
        "SELECT role, count(*) AS n FROM users WHERE is_active AND is_approved GROUP BY role"
    )
    figures["users_per_role"] = {r["role"]: r["n"] for r in per_role}
    figures["users_total"] = sum(figures["users_per_role"].values())
    low, high = min(today, week), max(today + timedelta(days=1), week + timedelta(days=7))
    by_status = await conn.fetch(
        "SELECT status, sum(CASE WHEN start_at >= $1 AND start_at < $2 THEN 1 ELSE 0 END) AS "
        "today, sum(CASE WHEN start_at >= $3 AND start_at < $4 THEN 1 ELSE 0 END) AS week FROM "
        "appointments WHERE start_at >= $5 AND start_at < $6 GROUP BY status",
        db.ts(today),
        db.ts(today + timedelta(days=1)),
        db.ts(week),
        db.ts(week + timedelta(days=7)),
        db.ts(low),
        db.ts(high),
    )
    figures["appointments_today"] = {r["status"]: r["today"] for r in by_status}
    figures["appointments_week"] = {r["status"]: r["week"] for r in by_status}
    lists = {
        "busiest_departments": await conn.fetch(
            "SELECT a.department_id, x.name AS department_name, count(*) AS appointments FROM "
            "appointments a JOIN departments x ON x.id = a.department_id WHERE a.start_at >= $1 "
            "AND a.start_at < $2 AND a.status != 'cancelled' GROUP BY a.department_id, x.name "
            "ORDER BY count(*) DESC, a.department_id LIMIT 5",
            db.ts(week),
            db.ts(week + timedelta(days=7)),
        ),
        "pending_approvals": await conn.fetch(
            "SELECT id, username, full_name, role, created_at FROM users WHERE NOT is_approved "
            "AND is_active ORDER BY full_name, id LIMIT 10"
        ),
        "recent_sign_ins": await _my_sign_ins(conn, None, 10),
    }
    return figures, lists


async def _front_desk(conn: Connection, actor: dict[str, Any]) -> tuple[dict, dict]:
    today = _start_of_today()
    tomorrow = today + timedelta(days=1)
    nurse = ""
    if actor["role"] == "nurse":
        nurse = (
            ", (SELECT count(*) FROM vital_signs WHERE created_at >= $1) AS vitals_recorded_today"
            ", (SELECT count(*) FROM vital_signs WHERE created_at >= $1 AND recorded_by = $3) AS "
            "my_vitals_today, (SELECT count(*) FROM vital_signs WHERE created_at >= $1 AND "
            "flags != '') AS flagged_vitals_today"
        )
    figures = await conn.fetchrow(
        "SELECT (SELECT count(*) FROM patients WHERE is_active) AS patients_registered, "
        "(SELECT count(*) FROM patients WHERE created_at >= $1) AS patients_registered_today, "
        f"{_status_sums(_APPOINTMENT_STATUSES)}{nurse} FROM appointments WHERE start_at >= $1 "
        "AND start_at < $2",
        db.ts(today),
        db.ts(tomorrow),
        *((actor["id"],) if nurse else ()),
    )
    queue = await conn.fetch(
        f"{_APPOINTMENT_ROWS}{_APPOINTMENT_JOINS} WHERE a.start_at >= $1 AND a.start_at < $2 "
        "AND a.status IN ('booked', 'checked_in') ORDER BY a.start_at LIMIT 200",
        db.ts(today),
        db.ts(tomorrow),
    )
    return figures, {"today_queue": queue}


async def _doctor(conn: Connection, actor: dict[str, Any]) -> tuple[dict, dict]:
    today = _start_of_today()
    tomorrow = today + timedelta(days=1)
    now = datetime.now(UTC)
    me, doctor = actor["id"], actor["doctor_id"] or 0
    pending = ", ".join(f"'{s}'" for s in LAB_PENDING)
    critical = ", ".join(f"'{s}'" for s in CRITICAL)
    figures = await conn.fetchrow(
        "SELECT (SELECT count(*) FROM encounters WHERE author_id = $1 AND status = 'draft') AS "
        "draft_encounters, (SELECT count(DISTINCT patient_id) FROM encounters WHERE author_id "
        "= $1 AND created_at >= $2) AS patients_seen_this_week, (SELECT count(*) FROM "
        f"lab_orders WHERE doctor_user_id = $1 AND status IN ({pending})) AS pending_orders, "
        "(SELECT count(*) FROM lab_orders WHERE doctor_user_id = $1 AND status = 'verified' AND "
        "verified_at >= $3) AS results_last_30_days, (SELECT count(DISTINCT o.id) FROM "
        "lab_orders o JOIN lab_results r ON r.order_id = o.id WHERE o.doctor_user_id = $1 AND "
        f"o.status IN ('in_progress', 'resulted') AND r.flag IN ({critical})) AS "
        "critical_awaiting_verification, (SELECT count(*) FROM renewal_requests r JOIN "
        "prescriptions x ON x.id = r.prescription_id WHERE x.prescriber_id = $1 AND r.status "
        "= 'pending') AS renewals_pending, (SELECT count(*) FROM (SELECT p.id FROM patients p "
        f"WHERE p.is_active AND p.id IN {_patients_in_care_sql('$4')} LIMIT {COUNT_CAP}) c) AS "
        "my_patients",
        me,
        db.ts(now - timedelta(days=7)),
        db.ts(now - timedelta(days=30)),
        doctor,
    )
    todays = await conn.fetch(
        f"{_APPOINTMENT_ROWS}{_APPOINTMENT_JOINS} WHERE a.doctor_id = $1 AND a.start_at >= $2 "
        "AND a.start_at < $3 AND a.status IN ('booked', 'checked_in', 'completed', 'no_show') "
        "ORDER BY a.start_at LIMIT 100",
        doctor,
        db.ts(today),
        db.ts(tomorrow),
    )
    upcoming = await conn.fetch(
        f"{_APPOINTMENT_ROWS}, count(*) OVER () AS total{_APPOINTMENT_JOINS} WHERE a.doctor_id "
        "= $1 AND a.start_at >= $2 AND a.start_at < $3 AND a.status = 'booked' ORDER BY "
        "a.start_at LIMIT 15",
        doctor,
        db.ts(tomorrow),
        db.ts(tomorrow + timedelta(days=7)),
    )
    patients = await conn.fetch(
        f"SELECT {_BRIEF} FROM patients p WHERE p.is_active AND p.id IN "
        f"{_patients_in_care_sql('$1')} ORDER BY p.created_at DESC, p.id DESC LIMIT 20",
        doctor,
    )
    names = (
        "string_agg(t.name, ', ' ORDER BY ot.id)"
        if db.dialect == "postgresql"
        else ("group_concat(t.name, ', ')")
    )
    inbox = await conn.fetch(
        "SELECT * FROM (SELECT coalesce(o.verified_at, o.ordered_at) AS at, 'lab' AS kind, o.id "
        "AS order_id, o.patient_id, p.given_name || ' ' || p.family_name AS patient_name, p.mrn, "
        f"(SELECT {names} FROM lab_order_tests ot JOIN lab_tests t ON t.id = ot.test_id WHERE "
        "ot.order_id = o.id) AS title, o.status, (SELECT max(r.flag) FROM lab_results r WHERE "
        f"r.order_id = o.id AND r.flag IN ({critical})) AS flag FROM lab_orders o JOIN patients "
        "p ON p.id = o.patient_id WHERE o.doctor_user_id = $1 AND ((o.status = 'verified' AND "
        "o.verified_at >= $2) OR (o.status IN ('in_progress', 'resulted') AND o.id IN (SELECT "
        f"order_id FROM lab_results WHERE flag IN ({critical})))) UNION ALL SELECT "
        "o.verified_at, 'imaging', o.id, o.patient_id, p.given_name || ' ' || p.family_name, "
        "p.mrn, e.name, o.status, CAST(NULL AS TEXT) FROM imaging_orders o JOIN imaging_exams e ON e.id = "
        "o.exam_id JOIN patients p ON p.id = o.patient_id WHERE o.doctor_user_id = $1 AND "
        "o.status = 'verified' AND o.verified_at >= $2) inbox ORDER BY CASE WHEN flag IS NULL "
        "THEN 1 ELSE 0 END, at DESC LIMIT 5",
        me,
        db.ts(now - timedelta(days=30)),
    )
    figures["today_total"] = len(todays)
    figures["today_waiting"] = sum(1 for a in todays if a["status"] == "checked_in")
    figures["upcoming_total"] = upcoming[0]["total"] if upcoming else 0
    lists = {"today": todays, "upcoming": upcoming, "my_patients": patients, "results": inbox}
    return figures, lists


async def _lab(conn: Connection) -> tuple[dict, dict]:
    start = _start_of_today()
    pending = ", ".join(f"'{s}'" for s in LAB_PENDING)
    critical = ", ".join(f"'{s}'" for s in CRITICAL)
    figures = await conn.fetchrow(
        f"SELECT {_status_sums(LAB_PENDING)}, coalesce(sum(CASE WHEN priority = 'stat' THEN 1 "
        "ELSE 0 END), 0) AS stat_pending, (SELECT count(*) FROM lab_results WHERE flag IN "
        f"({critical}) AND entered_at >= $1) AS critical_today, (SELECT count(*) FROM "
        "lab_orders WHERE status = 'verified' AND verified_at >= $1) AS verified_today FROM "
        f"lab_orders WHERE status IN ({pending})",
        db.ts(start),
    )
    return figures, {}


async def _radiology(conn: Connection) -> tuple[dict, dict]:
    start = _start_of_today()
    figures = await conn.fetchrow(
        f"SELECT {_status_sums(IMAGING_STATUSES)}, coalesce(sum(CASE WHEN status IN "
        "('scheduled', 'performed', 'reported', 'verified') AND scheduled_at >= $1 AND "
        "scheduled_at < $2 THEN 1 ELSE 0 END), 0) AS scheduled_today, coalesce(sum(CASE WHEN "
        "priority = 'stat' AND status IN ('ordered', 'scheduled', 'performed') THEN 1 ELSE 0 "
        "END), 0) AS stat_pending FROM imaging_orders",
        db.ts(start),
        db.ts(start + timedelta(days=1)),
    )
    return figures, {}


async def _patient(conn: Connection, actor: dict[str, Any]) -> tuple[dict, dict]:
    record = await conn.fetchrow(
        f"SELECT {_BRIEF}, p.email FROM patients p WHERE p.id = $1", actor["patient_id"] or 0
    )
    visits = await conn.fetch(
        f"{_APPOINTMENT_ROWS}, t.diagnosis, t.treatment_notes, t.prescription AS "
        f"treatment_prescription, t.next_visit_date{_APPOINTMENT_JOINS} LEFT JOIN treatments t "
        "ON t.appointment_id = a.id WHERE a.patient_id = $1 ORDER BY a.start_at DESC, a.id DESC",
        actor["patient_id"] or 0,
    )
    now = datetime.now(UTC)
    upcoming = [v for v in visits if _as_datetime(v["start"]) >= now and v["status"] == "booked"]
    past = [v for v in visits if _as_datetime(v["start"]) < now or v["status"] == "completed"]
    lists = {"my_record": [record] if record else [], "upcoming": upcoming[::-1], "past": past}
    return {}, lists


@app.get("/api/v1/dashboard")
async def dashboard(request: Request) -> Response:
    _start_counting()
    async with db.connect() as conn:
        actor = await auth(conn, request, "dashboard:view")
        role = actor["role"]
        if role == "admin":
            figures, lists = await _admin(conn)
        elif role in ("receptionist", "nurse", "billing"):
            figures, lists = await _front_desk(conn, actor)
        elif role == "doctor":
            figures, lists = await _doctor(conn, actor)
        elif role == "pharmacist":
            figures, lists = await _pharmacy_figures(conn), {}
        elif role == "lab_technician":
            figures, lists = await _lab(conn)
        elif role == "radiologist":
            figures, lists = await _radiology(conn)
        else:
            figures, lists = await _patient(conn, actor)
        if role != "admin":
            lists["my_recent_sign_ins"] = await _my_sign_ins(conn, actor["id"], 5)
    return reply({"role": role, "figures": figures, "lists": lists})
