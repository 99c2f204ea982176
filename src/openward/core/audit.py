"""The audit trail: append-only events, each carrying the hash of the one before it."""

from __future__ import annotations

import hashlib
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import BigInteger, Integer, String, Text, func, select, text
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from openward.core.actors import Actor
from openward.core.params import parse_id
from openward.db import Base, UTCDateTime, utcnow

GENESIS_HASH = "0" * 64
# Any constant works; it names the lock that orders audit writes on PostgreSQL.
_PG_AUDIT_LOCK = 72_417_001


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
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64), unique=True)


def _stamp(at: datetime) -> str:
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def compute_hash(event: AuditEvent) -> str:
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
    canonical = json.dumps(body, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


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
    """Append one event to the chain, inside the caller's transaction."""
    if db.get_bind().dialect.name == "postgresql":
        # Orders concurrent writers so each links to the true previous row.
        await db.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_AUDIT_LOCK})
    prev = await db.scalar(select(AuditEvent.hash).order_by(AuditEvent.id.desc()).limit(1))
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
        prev_hash=prev or GENESIS_HASH,
    )
    event.hash = compute_hash(event)
    db.add(event)
    await db.flush()
    return event


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


async def _in_order(db: AsyncSession, batch: int = 2000) -> AsyncIterator[AuditEvent]:
    last_id = 0
    while True:
        rows = (
            await db.scalars(
                select(AuditEvent)
                .where(AuditEvent.id > last_id)
                .order_by(AuditEvent.id)
                .limit(batch)
            )
        ).all()
        if not rows:
            return
        for row in rows:
            yield row
        last_id = rows[-1].id
        db.expunge_all()


async def verify_chain(db: AsyncSession) -> ChainCheck:
    """Recompute every hash in order; name the first row that does not match."""
    expected_prev = GENESIS_HASH
    checked = 0
    async for event in _in_order(db):
        if event.prev_hash != expected_prev:
            return ChainCheck(False, checked, event.id, "its link to the previous row is broken")
        if compute_hash(event) != event.hash:
            return ChainCheck(False, checked, event.id, "its contents were changed")
        expected_prev = event.hash
        checked += 1
    return ChainCheck(True, checked)


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
        if actor.isdigit():
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
