"""The audit trail: append-only events, each carrying the hash of the one before it.

Requests append events without waiting for one another: a row is written unsealed, and the
sealer (`seal`, run by the server every few seconds and before every check) gives the rows
it finds committed their place in the chain (`seq`), their predecessor's hash and their own.
`verify_chain` checks the sealed chain and reports rows left unsealed for too long.

Each hash is an HMAC-SHA256 under a key kept outside the database (OPENWARD_AUDIT_KEY, or one
derived from the secret key), so whoever can edit the table cannot forge a chain that
verifies. Events written before keying carry the plain SHA-256 of the first release; they
are accepted only as the chain's opening stretch, and no further than the signed
checkpoints (core/audit_checkpoints.py) say the keyed part starts.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import BigInteger, Index, Integer, String, Text, func, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from openward.core.actors import Actor
from openward.core.params import is_ascii_digits, parse_id
from openward.db import SETTINGS_OPTION, Base, UTCDateTime, utcnow, write

if TYPE_CHECKING:
    from openward.core.audit_checkpoints import Checkpoint

GENESIS_HASH = "0" * 64
# Any constant works; it names the lock that lets one sealer at a time work on PostgreSQL.
_PG_SEALER_LOCK = 72_417_001
SEAL_BATCH = 5000
# An event still unsealed after this long means no sealer is running: the check says so.
UNSEALED_LIMIT = timedelta(minutes=5)


class AuditEvent(Base):
    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    )
    at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    actor_id: Mapped[int | None] = mapped_column(Integer, index=True)
    actor_username: Mapped[str] = mapped_column(String(150), default="")
    actor_role: Mapped[str | None] = mapped_column(String(32))
    action: Mapped[str] = mapped_column(String(64), index=True)
    object_type: Mapped[str | None] = mapped_column(String(64))
    object_id: Mapped[str | None] = mapped_column(String(64))
    patient_id: Mapped[int | None] = mapped_column(Integer, index=True)
    ip: Mapped[str | None] = mapped_column(String(64))
    user_agent: Mapped[str | None] = mapped_column(String(300))
    outcome: Mapped[str] = mapped_column(String(16), default="success")
    reason: Mapped[str | None] = mapped_column(Text)
    detail: Mapped[str | None] = mapped_column(Text)
    # Filled by the sealer: the place in the chain, the predecessor's hash and this one's.
    seq: Mapped[int | None] = mapped_column(BigInteger)
    prev_hash: Mapped[str | None] = mapped_column(String(64))
    hash: Mapped[str | None] = mapped_column(String(64), unique=True)

    __table_args__ = (
        Index("uq_audit_events_seq", "seq", unique=True),
        Index(
            "ix_audit_events_unsealed",
            "id",
            sqlite_where=text("seq IS NULL"),
            postgresql_where=text("seq IS NULL"),
        ),
    )


def _stamp(at: datetime) -> str:
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _canonical(event: AuditEvent) -> bytes:
    body = [
        _stamp(event.at),
        event.actor_id,
        event.actor_username,
        event.actor_role,
        event.action,
        event.object_type,
        event.object_id,
        event.patient_id,
        event.ip,
        event.user_agent,
        event.outcome,
        event.reason,
        event.detail,
        event.prev_hash,
    ]
    return json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode()


def compute_hash(event: AuditEvent, key: bytes) -> str:
    """The event's link in the keyed chain: HMAC-SHA256 of its contents and predecessor."""
    return hmac.new(key, _canonical(event), hashlib.sha256).hexdigest()


def legacy_hash(event: AuditEvent) -> str:
    """The unkeyed SHA-256 that events written before the chain was keyed carry."""
    return hashlib.sha256(_canonical(event)).hexdigest()


def chain_key(db: AsyncSession) -> bytes:
    """The HMAC key of the settings this session's engine serves (see db.create_engine)."""
    settings = db.get_bind().get_execution_options().get(SETTINGS_OPTION)
    if settings is None:
        raise RuntimeError("no audit key: make the engine with openward.db.create_engine()")
    return settings.resolved_audit_key()


async def record(
    db: AsyncSession,
    actor: Actor,
    action: str,
    *,
    object_type: str | None = None,
    object_id: object | None = None,
    patient_id: int | None = None,
    outcome: str = "success",
    reason: str | None = None,
    detail: dict[str, Any] | None = None,
) -> AuditEvent:
    """Append one event, inside the caller's transaction: one INSERT, no lock. The sealer
    links it into the chain once it is committed."""
    event = AuditEvent(
        at=utcnow(),
        actor_id=actor.id,
        actor_username=actor.username[:150],
        actor_role=actor.role,
        action=action,
        object_type=object_type,
        object_id=None if object_id is None else str(object_id),
        patient_id=patient_id,
        ip=actor.ip,
        user_agent=(actor.user_agent or None) and actor.user_agent[:300],
        outcome=outcome,
        reason=reason,
        detail=None if detail is None else json.dumps(detail, sort_keys=True, default=str),
    )
    await write(db, lambda session: _append(session, event))
    return event


async def _append(db: AsyncSession, event: AuditEvent) -> None:
    db.add(event)
    await db.flush()


async def seal(db: AsyncSession, *, batch: int = SEAL_BATCH) -> int:
    """Chain the committed rows not yet sealed, oldest first; returns how many. One sealer
    at a time: on PostgreSQL a sealer that finds another at work leaves it to it; on SQLite
    the write transaction already excludes the others."""
    if db.get_bind().dialect.name == "postgresql":
        got = await db.scalar(text("SELECT pg_try_advisory_xact_lock(:k)"), {"k": _PG_SEALER_LOCK})
        if not got:
            return 0
    head = (
        await db.execute(
            select(AuditEvent.seq, AuditEvent.hash)
            .where(AuditEvent.seq.is_not(None))
            .order_by(AuditEvent.seq.desc())
            .limit(1)
        )
    ).first()
    seq, prev = (head[0], head[1]) if head is not None else (0, GENESIS_HASH)
    rows = (
        await db.scalars(
            select(AuditEvent).where(AuditEvent.seq.is_(None)).order_by(AuditEvent.id).limit(batch)
        )
    ).all()
    if not rows:
        return 0
    key = chain_key(db)
    sealed = []
    for row in rows:
        seq += 1
        row.prev_hash = prev
        prev = compute_hash(row, key)
        sealed.append({"id": row.id, "seq": seq, "prev_hash": row.prev_hash, "hash": prev})
    for row in rows:
        db.expunge(row)  # the rows are written below, in one statement per batch
    await db.execute(update(AuditEvent), sealed)
    return len(sealed)


async def seal_all(db: AsyncSession) -> int:
    """Seal until nothing committed is left unsealed (a backlog larger than one batch)."""
    total = 0
    while True:
        done = await seal(db)
        total += done
        if done < SEAL_BATCH:
            return total


def _utc_bound(value: datetime | None) -> datetime | None:
    """A search bound in UTC; a time beyond either end of the calendar is pinned to that end."""
    if value is None:
        return None
    try:
        return value.astimezone(UTC)
    except OverflowError:  # e.g. 0001-01-01 00:00 in a zone east of UTC
        return (datetime.min if value.year == 1 else datetime.max).replace(tzinfo=UTC)


@dataclass(frozen=True)
class ChainCheck:
    ok: bool
    checked: int
    broken_id: int | None = None
    problem: str | None = None
    # A stable code for what was found: chain_break, hmac_mismatch, tail_missing,
    # checkpoint_head_missing, checkpoint_count_mismatch, checkpoint_bad_signature.
    finding: str | None = None
    legacy: int = 0  # events before keying, verified by the old unkeyed hash
    checkpoints: int = 0  # signed checkpoints the trail was held against


async def _in_order(db: AsyncSession, batch: int = 2000) -> AsyncIterator[AuditEvent]:
    """The sealed events in chain order."""
    last_seq = 0
    while True:
        rows = (
            await db.scalars(
                select(AuditEvent)
                .where(AuditEvent.seq > last_seq)
                .order_by(AuditEvent.seq)
                .limit(batch)
            )
        ).all()
        if not rows:
            return
        for row in rows:
            yield row
        last_seq = rows[-1].seq or last_seq
        db.expunge_all()


async def unsealed_backlog(db: AsyncSession, older_than: timedelta) -> tuple[int, datetime | None]:
    """How many events wait unsealed for longer than `older_than`, and the oldest's time."""
    cutoff = utcnow() - older_than
    row = (
        await db.execute(
            select(func.count(), func.min(AuditEvent.at)).where(
                AuditEvent.seq.is_(None), AuditEvent.at < cutoff
            )
        )
    ).first()
    return (int(row[0]), row[1]) if row is not None else (0, None)


async def verify_chain(
    db: AsyncSession,
    checkpoints: Sequence[Checkpoint] = (),
    *,
    unsealed_limit: timedelta = UNSEALED_LIMIT,
) -> ChainCheck:
    """Recompute every HMAC in chain order, hold the trail against the signed checkpoints,
    and refuse a backlog of unsealed events older than `unsealed_limit` (an event no sealer
    has chained is not protected); name the first problem found."""
    key = chain_key(db)
    # Unkeyed events may open the chain, but not beyond where a checkpoint saw keying start.
    legacy_limit = min((c.legacy_through for c in checkpoints), default=None)
    heads = {c.head_hash for c in checkpoints}
    found: dict[str, tuple[int, int]] = {}  # a checkpointed head hash: (its id, events to it)
    expected_prev = GENESIS_HASH
    checked = legacy = 0
    head_id = 0
    async for event in _in_order(db):
        if event.prev_hash != expected_prev:
            problem = "its link to the previous event is broken: an event before it was deleted"
            return ChainCheck(False, checked, event.id, problem, "chain_break", legacy)
        if not hmac.compare_digest(compute_hash(event, key), event.hash):
            unkeyed = legacy_hash(event) == event.hash
            may_be_legacy = checked == legacy and (legacy_limit is None or event.id <= legacy_limit)
            if not (unkeyed and may_be_legacy):
                return ChainCheck(
                    False, checked, event.id, _mismatch(unkeyed), "hmac_mismatch", legacy
                )
            legacy += 1
        expected_prev = event.hash
        checked += 1
        head_id = max(head_id, event.id)  # the newest id sealed (chain order is seal order)
        if event.hash in heads:
            found[event.hash] = (event.id, checked)
    for checkpoint in checkpoints:
        missing = _behind(checkpoint, found, checked, head_id)
        if missing is not None:
            finding, problem = missing
            return ChainCheck(False, checked, None, problem, finding, legacy, len(checkpoints))
    waiting, oldest = await unsealed_backlog(db, unsealed_limit)
    if waiting:
        problem = (
            f"{waiting} events (the oldest from {_stamp(oldest) if oldest else '?'}) have waited "
            f"more than {int(unsealed_limit.total_seconds())} s to be sealed into the chain: "
            "is the server (its sealer) running? `openward audit verify` seals them"
        )
        return ChainCheck(False, checked, None, problem, "unsealed", legacy, len(checkpoints))
    return ChainCheck(True, checked, legacy=legacy, checkpoints=len(checkpoints))


def _mismatch(unkeyed: bool) -> str:
    if unkeyed:
        return (
            "HMAC mismatch: its hash uses the old unkeyed formula although keyed hashing had "
            "started; the chain was recomputed without the audit key"
        )
    return (
        "HMAC mismatch: its contents were changed, or its hash was computed without this "
        "installation's audit key (OPENWARD_AUDIT_KEY, or the secret key it derives from)"
    )


def _behind(
    checkpoint: Checkpoint, found: dict[str, tuple[int, int]], count: int, head_id: int
) -> tuple[str, str] | None:
    """What is missing against one checkpoint: (finding, problem), or None."""
    if checkpoint.count == 0:
        return None
    when = checkpoint.at.strftime("%Y-%m-%d %H:%M:%S UTC")
    recorded = f"the checkpoint of {when} recorded {checkpoint.count} events up to event id "
    recorded += str(checkpoint.head_id)
    where = found.get(checkpoint.head_hash)
    if where is None and (count < checkpoint.count or head_id < checkpoint.head_id):
        problem = f"the newest events were deleted: {recorded}, the trail now has {count} "
        return "tail_missing", problem + f"events up to event id {head_id}"
    if where is None:
        problem = f"{recorded}, but that event's hash is no longer in the trail: events were "
        return "checkpoint_head_missing", problem + "deleted and others written in their place"
    if where != (checkpoint.head_id, checkpoint.count):
        problem = f"{recorded}, but the trail now has {where[1]} events up to it (event id "
        return "checkpoint_count_mismatch", problem + f"{where[0]}): events were removed"
    return None


async def count(db: AsyncSession) -> int:
    return int(await db.scalar(select(func.count()).select_from(AuditEvent)) or 0)


async def search(
    db: AsyncSession,
    *,
    actor: str | None = None,
    patient_id: int | None = None,
    action: str | None = None,
    outcome: str | None = None,
    object_type: str | None = None,
    object_id: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    limit: int = 50,
    offset: int = 0,
) -> tuple[list[AuditEvent], int]:
    """Newest first. `actor` is a username or a user id; `action` may end with `*`."""
    query = select(AuditEvent)
    if actor:
        if is_ascii_digits(actor):
            query = query.where(AuditEvent.actor_id == (parse_id(actor) or 0))
        else:
            query = query.where(AuditEvent.actor_username == actor.lower())
    if patient_id is not None:
        query = query.where(AuditEvent.patient_id == patient_id)
    if action:
        if action.endswith("*"):
            query = query.where(AuditEvent.action.startswith(action[:-1], autoescape=True))
        else:
            query = query.where(AuditEvent.action == action)
    if outcome:
        query = query.where(AuditEvent.outcome == outcome)
    if object_type:
        query = query.where(AuditEvent.object_type == object_type)
    if object_id:
        query = query.where(AuditEvent.object_id == object_id)
    if since is not None:
        query = query.where(AuditEvent.at >= _utc_bound(since))
    if until is not None:
        query = query.where(AuditEvent.at < _utc_bound(until))
    total = int(await db.scalar(select(func.count()).select_from(query.subquery())) or 0)
    rows = await db.scalars(query.order_by(AuditEvent.id.desc()).limit(limit).offset(offset))
    return list(rows), total
