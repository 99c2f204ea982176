"""Requests append audit events without a global lock; the sealer chains them in the order
it finds them committed. The database allows exactly that one change to a row, the check
names a backlog no sealer took care of, and concurrent writers and sealers keep one chain."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from sqlalchemy import select, text, update
from sqlalchemy.exc import DBAPIError

from openward.core import audit, audit_checkpoints
from openward.core.actors import Actor
from openward.core.audit import AuditEvent
from openward.db import session_scope


async def _write(app, n: int, action: str = "test.event") -> None:
    async with session_scope(app.state.sessionmaker) as db:
        for i in range(n):
            await audit.record(db, Actor.system("ward-feed"), action, object_id=i)


async def _seal(app) -> int:
    async with session_scope(app.state.sessionmaker) as db:
        return await audit.seal_all(db)


async def test_an_event_is_written_unsealed_in_one_statement_and_sealed_after(app):
    await _write(app, 3)
    async with app.state.sessionmaker() as db:
        rows = list(await db.scalars(select(AuditEvent).order_by(AuditEvent.id)))
    assert [(r.seq, r.prev_hash, r.hash) for r in rows] == [(None, None, None)] * 3

    assert await _seal(app) == 3
    async with app.state.sessionmaker() as db:
        rows = list(await db.scalars(select(AuditEvent).order_by(AuditEvent.seq)))
        check = await audit.verify_chain(db)
    assert [r.seq for r in rows] == [1, 2, 3]
    assert rows[0].prev_hash == audit.GENESIS_HASH
    assert [r.prev_hash for r in rows[1:]] == [r.hash for r in rows[:-1]]
    assert (check.ok, check.checked) == (True, 3)


async def test_the_database_allows_only_sealing_an_unsealed_row_and_nothing_more(app):
    await _write(app, 2)
    await _seal(app)
    await _write(app, 1)
    async with app.state.sessionmaker() as db:
        sealed, unsealed = (await db.scalars(select(AuditEvent.id).order_by(AuditEvent.id))).all()[
            1:
        ]
    refused = [
        # a sealed row sealed again (a forger relinking the chain)
        update(AuditEvent).where(AuditEvent.id == sealed).values(seq=99, hash="f" * 64),
        # sealing that also changes what the event says
        update(AuditEvent)
        .where(AuditEvent.id == unsealed)
        .values(seq=50, prev_hash="0" * 64, hash="e" * 64, actor_username="someone-else"),
        # half a seal
        update(AuditEvent).where(AuditEvent.id == unsealed).values(seq=50),
        # content of an unsealed row
        update(AuditEvent).where(AuditEvent.id == unsealed).values(outcome="failure"),
    ]
    for statement in refused:
        async with app.state.sessionmaker() as db:
            with pytest.raises(DBAPIError, match="audit_events is append-only"):
                await db.execute(statement)
    async with app.state.sessionmaker() as db:
        with pytest.raises(DBAPIError, match="audit_events is append-only"):
            await db.execute(text("DELETE FROM audit_events WHERE seq IS NULL"))
    assert await _seal(app) == 1  # the sealer's own update is the one allowed


async def test_verify_names_events_left_unsealed_too_long(app):
    await _write(app, 2)
    async with app.state.sessionmaker() as db:
        fresh = await audit.verify_chain(db)
        stale = await audit.verify_chain(db, unsealed_limit=timedelta(seconds=-1))
    assert fresh.ok  # a few seconds' backlog is the sealer's normal work
    assert (stale.ok, stale.finding) == (False, "unsealed")
    assert "2 events" in stale.problem and "sealed" in stale.problem
    await _seal(app)
    async with app.state.sessionmaker() as db:
        assert (await audit.verify_chain(db, unsealed_limit=timedelta(seconds=-1))).ok


async def test_the_servers_sealer_chains_new_events_within_moments(app):
    sealer = asyncio.create_task(audit_checkpoints.keep_sealing(app.state.sessionmaker, 0.05))
    try:
        await _write(app, 4)
        for _ in range(100):
            async with app.state.sessionmaker() as db:
                left = await db.scalar(
                    select(AuditEvent.id).where(AuditEvent.seq.is_(None)).limit(1)
                )
            if left is None:
                break
            await asyncio.sleep(0.05)
        assert left is None
    finally:
        sealer.cancel()
        with pytest.raises(asyncio.CancelledError):
            await sealer
    async with app.state.sessionmaker() as db:
        assert (await audit.verify_chain(db)).checked == 4


async def test_writers_and_two_sealers_at_once_keep_one_unbroken_chain(app):
    async def write(n: int) -> None:
        async with app.state.sessionmaker() as db:
            await audit.record(db, Actor.system("ward-feed"), "test.concurrent", object_id=n)
            await db.commit()

    async def seal_a_few_times() -> None:
        for _ in range(5):
            await _seal(app)
            await asyncio.sleep(0)

    await asyncio.gather(*(write(n) for n in range(30)), seal_a_few_times(), seal_a_few_times())
    await _seal(app)
    async with app.state.sessionmaker() as db:
        check = await audit.verify_chain(db)
        seqs = list(await db.scalars(select(AuditEvent.seq).order_by(AuditEvent.seq)))
    assert (check.ok, check.checked) == (True, 30), check
    assert seqs == list(range(1, 31))  # every event once, no gap, no twin
