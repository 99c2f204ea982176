"""Counting failed attempts for throttling, shared by every web process.

Failures are counted per (subject, address), per subject, per address and hospital-wide
within a sliding window. The database is the default store (the `login_attempts` table);
with `OPENWARD_REDIS_URL` set, Redis sorted sets hold the counts instead, so a burst of
failures costs no database writes. A subject is a username for sign-ins ("login") and
"patient:<id>" for linking an online account to a record ("link").
"""

from __future__ import annotations

import asyncio
import hashlib
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import and_, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from openward.config import Settings
from openward.db import utcnow
from openward.identity.models import LoginAttempt


@dataclass(frozen=True)
class Counts:
    """Failures in the window, and when the oldest of each counted group happened."""

    pair: int = 0
    subject: int = 0
    address: int = 0
    everywhere: int = 0
    pair_oldest: datetime | None = None
    address_oldest: datetime | None = None


def _address(ip: str | None) -> str:
    return ip or "unknown"


class DatabaseCounter:
    def __init__(self, db: AsyncSession) -> None:
        self.db = db

    async def add(self, kind: str, subject: str, ip: str | None, at: datetime) -> None:
        self.db.add(LoginAttempt(kind=kind, username=subject, ip=_address(ip), at=at))
        await self.db.flush()

    async def counts(self, kind: str, subject: str, ip: str | None, since: datetime) -> Counts:
        address = _address(ip)
        live = and_(LoginAttempt.kind == kind, LoginAttempt.cleared.is_(False))
        recent = and_(live, LoginAttempt.at >= since)
        is_pair = and_(LoginAttempt.username == subject, LoginAttempt.ip == address)
        # One round trip: the hospital-wide count uses the (kind, at) index, the others
        # pick their rows from the same window.
        row = (
            await self.db.execute(
                select(
                    func.count(LoginAttempt.id),
                    func.count(LoginAttempt.id).filter(is_pair),
                    func.min(LoginAttempt.at).filter(is_pair),
                    func.count(LoginAttempt.id).filter(LoginAttempt.username == subject),
                    func.count(LoginAttempt.id).filter(LoginAttempt.ip == address),
                    func.min(LoginAttempt.at).filter(LoginAttempt.ip == address),
                ).where(recent)
            )
        ).one()
        return Counts(
            everywhere=row[0],
            pair=row[1],
            pair_oldest=row[2],
            subject=row[3],
            address=row[4],
            address_oldest=row[5],
        )

    async def clear(self, kind: str, subject: str, ip: str | None = None) -> None:
        """Forget the subject's failures: from one address, or (ip None) from everywhere."""
        query = update(LoginAttempt).where(
            LoginAttempt.kind == kind,
            LoginAttempt.username == subject,
            LoginAttempt.cleared.is_(False),
        )
        if ip is not None:
            query = query.where(LoginAttempt.ip == _address(ip))
        await self.db.execute(query.values(cleared=True))

    async def locked_subjects(
        self, kind: str, subjects: list[str], since: datetime, pair_max: int, subject_max: int
    ) -> set[str]:
        """Subjects locked for at least one address, or locked everywhere."""
        if not subjects:
            return set()
        base = select(LoginAttempt.username).where(
            LoginAttempt.kind == kind,
            LoginAttempt.username.in_(subjects),
            LoginAttempt.cleared.is_(False),
            LoginAttempt.at >= since,
        )
        per_pair = base.group_by(LoginAttempt.username, LoginAttempt.ip).having(
            func.count(LoginAttempt.id) >= pair_max
        )
        per_subject = base.group_by(LoginAttempt.username).having(
            func.count(LoginAttempt.id) >= subject_max
        )
        return set(await self.db.scalars(per_pair)) | set(await self.db.scalars(per_subject))


_clients: dict[tuple[str, int], Any] = {}


def _redis(url: str) -> Any:
    """One client per event loop (redis.asyncio connections belong to the loop)."""
    import redis.asyncio as aioredis

    key = (url, id(asyncio.get_running_loop()))
    client = _clients.get(key)
    if client is None:
        client = _clients[key] = aioredis.from_url(url)
    return client


class RedisCounter:
    """Sorted sets of failure times per group; members expire with the window."""

    def __init__(self, url: str, window: timedelta, namespace: str) -> None:
        self.client = _redis(url)
        self.window = window
        self.ns = namespace

    def _keys(self, kind: str, subject: str, address: str) -> dict[str, str]:
        return {
            "pair": f"{self.ns}:fail:{kind}:pair:{subject}|{address}",
            "subject": f"{self.ns}:fail:{kind}:subject:{subject}",
            "address": f"{self.ns}:fail:{kind}:address:{address}",
            "everywhere": f"{self.ns}:fail:{kind}:everywhere",
        }

    async def add(self, kind: str, subject: str, ip: str | None, at: datetime) -> None:
        address = _address(ip)
        keys = self._keys(kind, subject, address)
        score = at.timestamp()
        ttl = int(self.window.total_seconds()) + 60
        pipe = self.client.pipeline(transaction=False)
        for key in keys.values():
            pipe.zadd(key, {f"{score}:{uuid.uuid4().hex[:8]}": score})
            pipe.expire(key, ttl)
        pipe.sadd(f"{self.ns}:fail:{kind}:addresses:{subject}", address)
        pipe.expire(f"{self.ns}:fail:{kind}:addresses:{subject}", ttl)
        await pipe.execute()

    async def counts(self, kind: str, subject: str, ip: str | None, since: datetime) -> Counts:
        keys = self._keys(kind, subject, _address(ip))
        low = since.timestamp()
        pipe = self.client.pipeline(transaction=False)
        for key in keys.values():
            pipe.zremrangebyscore(key, "-inf", f"({low}")
            pipe.zcard(key)
        pipe.zrange(keys["pair"], 0, 0, withscores=True)
        pipe.zrange(keys["address"], 0, 0, withscores=True)
        answers = await pipe.execute()
        n = dict(zip(keys, answers[1:8:2], strict=True))
        first_pair, first_address = answers[8], answers[9]
        return Counts(
            pair=n["pair"],
            subject=n["subject"],
            address=n["address"],
            everywhere=n["everywhere"],
            pair_oldest=_when(first_pair),
            address_oldest=_when(first_address),
        )

    async def clear(self, kind: str, subject: str, ip: str | None = None) -> None:
        if ip is not None:
            await self.client.delete(f"{self.ns}:fail:{kind}:pair:{subject}|{_address(ip)}")
            return
        addresses = await self.client.smembers(f"{self.ns}:fail:{kind}:addresses:{subject}")
        keys = [f"{self.ns}:fail:{kind}:subject:{subject}"]
        keys += [
            f"{self.ns}:fail:{kind}:pair:{subject}|{a.decode() if isinstance(a, bytes) else a}"
            for a in addresses
        ]
        await self.client.delete(*keys, f"{self.ns}:fail:{kind}:addresses:{subject}")

    async def locked_subjects(
        self, kind: str, subjects: list[str], since: datetime, pair_max: int, subject_max: int
    ) -> set[str]:
        locked = set()
        low = since.timestamp()
        for subject in subjects:
            if await self.client.zcount(
                f"{self.ns}:fail:{kind}:subject:{subject}", low, "+inf"
            ) >= (subject_max):
                locked.add(subject)
                continue
            addresses = await self.client.smembers(f"{self.ns}:fail:{kind}:addresses:{subject}")
            for a in addresses:
                address = a.decode() if isinstance(a, bytes) else a
                key = f"{self.ns}:fail:{kind}:pair:{subject}|{address}"
                if await self.client.zcount(key, low, "+inf") >= pair_max:
                    locked.add(subject)
                    break
        return locked


def _when(first: list[tuple[Any, float]]) -> datetime | None:
    if not first:
        return None
    return datetime.fromtimestamp(first[0][1], UTC)


def counter(db: AsyncSession, settings: Settings) -> DatabaseCounter | RedisCounter:
    if settings.redis_url:
        # One Redis may serve several hospitals (or test databases): keys carry the database.
        namespace = "openward:" + hashlib.sha256(settings.database_url.encode()).hexdigest()[:12]
        window = timedelta(minutes=settings.login_window_minutes)
        return RedisCounter(settings.redis_url, window, namespace)
    return DatabaseCounter(db)


def window_start(settings: Settings) -> datetime:
    return utcnow() - timedelta(minutes=settings.login_window_minutes)


def seconds_until_free(oldest: datetime | None, settings: Settings) -> int:
    """When the oldest counted failure leaves the window (at least one second)."""
    if oldest is None:
        return settings.login_window_minutes * 60
    free_at = oldest + timedelta(minutes=settings.login_window_minutes)
    return max(1, int((free_at - utcnow()).total_seconds()) + 1)
