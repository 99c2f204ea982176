"""Signed checkpoints of the audit chain, kept in a file outside the database.

Each line is one JSON record of the chain's head (event id and hash), its length, where
keying started and the time, with an HMAC under a key derived from the audit key. Someone
who can edit the database cannot shorten the trail below what a checkpoint saw, and cannot
forge a checkpoint to match. Lines are appended with O_APPEND, one write each, so several
web processes can share the file.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import logging
import os
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from openward.core import audit
from openward.core.audit import GENESIS_HASH, AuditEvent, ChainCheck
from openward.core.private_files import FILE_MODE, make_private_dirs, tighten
from openward.db import session_scope

log = logging.getLogger("openward.audit")
_VERSION = 1
_FIELDS = {"v", "at", "head_id", "head_hash", "count", "legacy_through", "mac"}
_STAMP = "%Y-%m-%dT%H:%M:%S.%fZ"


@dataclass(frozen=True)
class Checkpoint:
    at: datetime
    head_id: int  # the id of the last sealed event in chain order (0: the trail was empty)
    head_hash: str
    count: int
    legacy_through: int  # the last event chained without the key (0: none)


def _signing_key(audit_key: bytes) -> bytes:
    return hmac.new(audit_key, b"openward audit checkpoints v1", hashlib.sha256).digest()


def _mac(audit_key: bytes, body: dict[str, Any]) -> str:
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":")).encode()
    return hmac.new(_signing_key(audit_key), canonical, hashlib.sha256).hexdigest()


def to_line(checkpoint: Checkpoint, audit_key: bytes) -> bytes:
    body: dict[str, Any] = {
        "v": _VERSION,
        "at": checkpoint.at.astimezone(UTC).strftime(_STAMP),
        "head_id": checkpoint.head_id,
        "head_hash": checkpoint.head_hash,
        "count": checkpoint.count,
        "legacy_through": checkpoint.legacy_through,
    }
    body["mac"] = _mac(audit_key, body)
    return (json.dumps(body, sort_keys=True, separators=(",", ":")) + "\n").encode()


def _parse(line: str, audit_key: bytes) -> Checkpoint | None:
    """The checkpoint a line holds, or None if it is not one signed with this key."""
    try:
        body = json.loads(line)
        if not isinstance(body, dict) or set(body) != _FIELDS or body["v"] != _VERSION:
            return None
        mac = body.pop("mac")
        if not isinstance(mac, str) or not hmac.compare_digest(mac, _mac(audit_key, body)):
            return None
        return Checkpoint(
            at=datetime.strptime(body["at"], _STAMP).replace(tzinfo=UTC),
            head_id=int(body["head_id"]),
            head_hash=str(body["head_hash"]),
            count=int(body["count"]),
            legacy_through=int(body["legacy_through"]),
        )
    except (ValueError, TypeError, KeyError):
        return None


def read(path: Path, audit_key: bytes) -> tuple[list[Checkpoint], int | None]:
    """The file's checkpoints, oldest first, and the number of its first line that is not a
    complete, validly signed checkpoint (None when every line is). No file: no checkpoints."""
    try:
        data = Path(path).read_bytes()
    except FileNotFoundError:
        return [], None
    checkpoints: list[Checkpoint] = []
    for number, line in enumerate(data.splitlines(keepends=True), start=1):
        checkpoint = _parse(line.decode("utf-8", "replace"), audit_key)
        if checkpoint is None or not line.endswith(b"\n"):
            return checkpoints, number
        checkpoints.append(checkpoint)
    return checkpoints, None


def append(path: Path, checkpoint: Checkpoint, audit_key: bytes) -> None:
    """Add one line; a single O_APPEND write, so concurrent writers never interleave."""
    path = Path(path)
    make_private_dirs(path.parent)
    line = to_line(checkpoint, audit_key)
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, FILE_MODE)
    try:
        written = os.write(fd, line)
    finally:
        os.close(fd)
    tighten(path, FILE_MODE)  # a file left more open by hand
    if written != len(line):
        raise OSError(f"only {written} of {len(line)} bytes of a checkpoint reached {path}")


async def take(db: AsyncSession, legacy_through: int | None = None) -> Checkpoint:
    """The sealed chain's head (its event id and hash) and length now, read in one
    statement (one snapshot)."""
    total = (
        select(func.count())
        .select_from(AuditEvent)
        .where(AuditEvent.seq.is_not(None))
        .scalar_subquery()
    )
    head = (
        await db.execute(
            select(AuditEvent.id, AuditEvent.hash, total)
            .where(AuditEvent.seq.is_not(None))
            .order_by(AuditEvent.seq.desc())
            .limit(1)
        )
    ).first()
    now = datetime.now(UTC)
    if head is None:
        return Checkpoint(now, 0, GENESIS_HASH, 0, 0)
    head_id, head_hash, count = head
    if legacy_through is None:
        legacy_through = await _last_unkeyed(db, head_id)
    return Checkpoint(now, head_id, head_hash, int(count), min(legacy_through, head_id))


async def _last_unkeyed(db: AsyncSession, head_id: int, batch: int = 500) -> int:
    """The newest event whose hash is not keyed (0: none), walking back from the head. Only
    the first checkpoint ever needs this: later ones carry the answer forward."""
    key = audit.chain_key(db)
    before = await db.scalar(select(AuditEvent.seq).where(AuditEvent.id == head_id))
    before = (before or 0) + 1
    while True:
        rows = (
            await db.scalars(
                select(AuditEvent)
                .where(AuditEvent.seq < before)
                .order_by(AuditEvent.seq.desc())
                .limit(batch)
            )
        ).all()
        if not rows:
            return 0
        for row in rows:
            if not hmac.compare_digest(audit.compute_hash(row, key), row.hash or ""):
                return row.id
        before = rows[-1].seq or 0


async def write(db: AsyncSession, path: Path) -> Checkpoint:
    """Append a checkpoint of the trail as it stands. Refuses (OSError) to add to a file
    with a line this key did not sign: that file is evidence, and the key may be wrong."""
    key = audit.chain_key(db)
    known, bad_line = read(path, key)
    if bad_line is not None:
        raise OSError(f"{path} line {bad_line} is not a checkpoint signed with this audit key")
    carried = min((c.legacy_through for c in known), default=None)
    await audit.seal_all(db)
    checkpoint = await take(db, carried)
    append(path, checkpoint, key)
    return checkpoint


async def verify_trail(db: AsyncSession, path: Path) -> ChainCheck:
    """The whole check: the checkpoint file's signatures, then the keyed chain held against
    the checkpoints. The file is read first, so every checkpoint in it predates the scan."""
    key = audit.chain_key(db)
    try:
        checkpoints, bad_line = read(path, key)
    except OSError as exc:
        problem = f"the checkpoint file {path} cannot be read ({exc.strerror or exc})"
        return ChainCheck(False, 0, problem=problem, finding="checkpoint_unreadable")
    if bad_line is not None:
        problem = (
            f"line {bad_line} of the checkpoint file {path} has a bad signature: the file was "
            "edited, or it was signed with another audit key"
        )
        return ChainCheck(
            False,
            0,
            problem=problem,
            finding="checkpoint_bad_signature",
            checkpoints=len(checkpoints),
        )
    return await audit.verify_chain(db, checkpoints)


async def verify_and_checkpoint(
    db: AsyncSession, path: Path
) -> tuple[ChainCheck, Checkpoint | None]:
    """`openward audit verify`: the whole check, then a new checkpoint if the trail is intact
    (a broken trail is not checkpointed: that would only record the damage as normal)."""
    await audit.seal_all(db)  # what is committed is sealed first, as the server would
    check = await verify_trail(db, path)
    if not check.ok:
        return check, None
    return check, await write(db, path)


async def keep_writing(
    sessionmaker: async_sessionmaker[AsyncSession], path: Path, every_seconds: float
) -> None:
    """The server's checkpoints: one at start-up, then one per interval, until cancelled.
    A failure is logged and retried at the next interval; it never stops the server."""
    while True:
        try:
            async with session_scope(sessionmaker) as db:
                await write(db, path)
        except Exception:
            log.exception("could not write an audit checkpoint to %s", path)
        await asyncio.sleep(every_seconds)


async def keep_sealing(
    sessionmaker: async_sessionmaker[AsyncSession], every_seconds: float
) -> None:
    """The server's sealer: chain what requests appended, every few seconds, until
    cancelled. A failure is logged and retried; it never stops the server."""
    while True:
        try:
            async with session_scope(sessionmaker) as db:
                await audit.seal_all(db)
        except Exception:
            log.exception("could not seal the audit trail")
        await asyncio.sleep(every_seconds)
