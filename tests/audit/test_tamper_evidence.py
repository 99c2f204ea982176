"""The audit trail against someone who can edit the database but does not hold the audit
key: `openward audit verify`, run the way an operator runs it, names a deleted row, a
deleted tail, a chain recomputed without the key and an edited checkpoint file, and passes
an intact trail; the server keeps writing signed checkpoints while it runs."""

from __future__ import annotations

import asyncio
import json
import secrets
import subprocess
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from types import SimpleNamespace

import httpx
import pytest
from sqlalchemy import select, text, update
from sqlalchemy.ext.asyncio import AsyncConnection, create_async_engine

from openward.app import configure
from openward.config import Settings
from openward.core import audit, audit_checkpoints
from openward.core.actors import Actor
from openward.core.audit import GENESIS_HASH, AuditEvent
from openward.db import create_engine, session_factory, session_scope
from tests.conftest import bearer
from tests.core.test_cli import environment, output, run
from tests.web.pages import csrf_of, sign_in, text_of

SECRET = "tamper-test-secret-" + "s" * 32
EVENTS = AuditEvent.__table__


@pytest.fixture
def trail(database_url: str, tmp_path: Path) -> SimpleNamespace:
    """A migrated database (SQLite or PostgreSQL), the operator's environment for it and the
    checkpoint file's default place: beside the SQLite file, or the working directory."""
    sqlite = database_url.startswith("sqlite")
    name = "openward.db.audit-checkpoints" if sqlite else "openward.audit-checkpoints"
    return SimpleNamespace(
        url=database_url,
        env=environment(database_url, OPENWARD_SECRET_KEY=SECRET),
        cwd=tmp_path,
        checkpoints=tmp_path / name,
    )


def verify(trail: SimpleNamespace, **env: str) -> tuple[int, str]:
    result: subprocess.CompletedProcess[str] = run(
        {**trail.env, **env}, trail.cwd, "audit", "verify"
    )
    assert "Traceback" not in output(result), output(result)
    return result.returncode, " ".join(output(result).split())


async def write_events(url: str, n: int, **settings: str) -> None:
    engine = create_engine(
        Settings(_env_file=None, database_url=url, secret_key=SECRET, **settings)
    )
    try:
        async with session_scope(session_factory(engine)) as db:
            for i in range(n):
                await audit.record(db, Actor.system("ward-feed"), "test.event", object_id=i)
        async with session_scope(session_factory(engine)) as db:
            await audit.seal_all(db)  # as the running server's sealer does within seconds
    finally:
        await engine.dispose()


@asynccontextmanager
async def tampering(url: str) -> AsyncIterator[AsyncConnection]:
    """A plain connection with the append-only guard taken off, as a database admin would."""
    engine = create_async_engine(url)
    try:
        async with engine.begin() as conn:
            if conn.dialect.name == "postgresql":
                await conn.execute(
                    text("ALTER TABLE audit_events DISABLE TRIGGER audit_events_append_only")
                )
            else:
                await conn.execute(text("DROP TRIGGER IF EXISTS audit_events_no_update"))
                await conn.execute(text("DROP TRIGGER IF EXISTS audit_events_no_delete"))
            yield conn
    finally:
        await engine.dispose()


async def event_ids(conn: AsyncConnection) -> list[int]:
    return list(await conn.scalars(select(EVENTS.c.id).order_by(EVENTS.c.id)))


async def relink(conn: AsyncConnection, hash_of: Callable[[object], str], after: int = 0) -> None:
    """Recompute prev_hash and hash of every event after id `after`, with `hash_of`."""
    prev = await conn.scalar(select(EVENTS.c.hash).where(EVENTS.c.id == after)) or GENESIS_HASH
    rows = (
        await conn.execute(select(EVENTS).where(EVENTS.c.id > after).order_by(EVENTS.c.id))
    ).all()
    for row in rows:
        event = SimpleNamespace(**{**row._mapping, "prev_hash": prev})
        forged = hash_of(event)
        await conn.execute(
            update(EVENTS).where(EVENTS.c.id == row.id).values(prev_hash=prev, hash=forged)
        )
        prev = forged


def checkpoint_lines(trail: SimpleNamespace) -> list[dict]:
    return [json.loads(line) for line in trail.checkpoints.read_text().splitlines()]


# ---------------------------------------------------------------- intact


async def test_an_intact_trail_passes_and_every_verify_appends_a_signed_checkpoint(trail):
    await write_events(trail.url, 5)

    code, said = verify(trail)
    assert code == 0, said
    assert "Audit trail intact: 5 events verified, no earlier checkpoints" in said
    assert trail.checkpoints.stat().st_mode & 0o777 == 0o600
    [first] = checkpoint_lines(trail)
    async with tampering(trail.url) as conn:  # only read here
        head_id, head_hash = (
            await conn.execute(select(EVENTS.c.id, EVENTS.c.hash).order_by(EVENTS.c.id.desc()))
        ).first()
    assert (first["head_id"], first["head_hash"], first["count"]) == (head_id, head_hash, 5)
    assert first["legacy_through"] == 0 and len(first["mac"]) == 64
    assert f"Checkpoint written to {trail.checkpoints}: event id {head_id}, 5 events" in said

    await write_events(trail.url, 2)
    code, said = verify(trail)
    assert code == 0, said
    assert "Audit trail intact: 7 events verified, held against 1 signed checkpoints" in said
    assert [line["count"] for line in checkpoint_lines(trail)] == [5, 7]


async def test_the_checkpoint_file_goes_where_the_setting_says_created_private(trail, tmp_path):
    await write_events(trail.url, 3)
    elsewhere = tmp_path / "evidence" / "ward-7.checkpoints"

    code, said = verify(trail, OPENWARD_AUDIT_CHECKPOINT_PATH=str(elsewhere))
    assert code == 0, said
    assert elsewhere.stat().st_mode & 0o777 == 0o600
    assert [line["count"] for line in json.loads(f"[{elsewhere.read_text().strip()}]")] == [3]
    assert not trail.checkpoints.exists()


# ---------------------------------------------------------------- a deleted middle row


async def test_a_deleted_middle_row_is_named_even_when_the_rest_is_relinked(trail):
    await write_events(trail.url, 6)
    assert verify(trail)[0] == 0
    async with tampering(trail.url) as conn:
        ids = await event_ids(conn)
        await conn.execute(EVENTS.delete().where(EVENTS.c.id == ids[2]))

    code, said = verify(trail)
    assert code == 1
    assert f"Audit trail broken at event id {ids[3]}: its link to the previous event" in said
    assert "(2 events before it verified)" in said

    # Relinking the rest with the only formula a forger has (no key) does not hide it.
    async with tampering(trail.url) as conn:
        await relink(conn, audit.legacy_hash, after=ids[1])
    code, said = verify(trail)
    assert code == 1
    assert f"Audit trail broken at event id {ids[3]}: HMAC mismatch" in said


# ---------------------------------------------------------------- deleted newest rows


async def test_deleting_the_newest_rows_after_a_checkpoint_is_named(trail):
    await write_events(trail.url, 60)
    assert verify(trail)[0] == 0
    async with tampering(trail.url) as conn:
        ids = await event_ids(conn)
        await conn.execute(EVENTS.delete().where(EVENTS.c.id > ids[9]))

    code, said = verify(trail)
    assert code == 1
    assert "Audit trail broken: the newest events were deleted" in said
    assert f"recorded 60 events up to event id {ids[-1]}" in said
    assert f"the trail now has 10 events up to event id {ids[9]}" in said
    assert len(checkpoint_lines(trail)) == 1  # the damage is not checkpointed as normal

    # Writing as many new events again restores the count, not the checkpointed head.
    await write_events(trail.url, 50)
    code, said = verify(trail)
    assert code == 1
    assert f"recorded 60 events up to event id {ids[-1]}, but that event's hash is no " in said
    assert "longer in the trail" in said


@pytest.fixture
async def checkpointed(
    settings_factory, assembled_app, app, tmp_path
) -> AsyncIterator[tuple[httpx.AsyncClient, Settings]]:
    """A client of the app with its checkpoint file in the test's own folder."""
    settings = settings_factory(audit_checkpoint_path=tmp_path / "checkpoints")
    await app.state.engine.dispose()
    configure(assembled_app, settings)
    transport = httpx.ASGITransport(app=assembled_app, client=("203.0.113.7", 51000))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        yield http, settings


async def _checkpoint_now(app_settings: Settings, assembled_app) -> audit_checkpoints.Checkpoint:
    async with session_scope(assembled_app.state.sessionmaker) as db:
        return await audit_checkpoints.write(db, app_settings.audit_checkpoint_file)


async def test_the_api_names_a_deleted_tail_against_the_servers_checkpoint(
    checkpointed, assembled_app, make_user
):
    http, settings = checkpointed
    admin = await make_user("admin")
    headers = await bearer(http, admin.username)
    taken = await _checkpoint_now(settings, assembled_app)
    intact = (await http.get("/api/v1/audit/verify", headers=headers)).json()
    assert intact["ok"] is True and intact["checkpoints"] == 1
    async with tampering(settings.database_url) as conn:
        await conn.execute(EVENTS.delete().where(EVENTS.c.id >= taken.head_id))

    check = (await http.get("/api/v1/audit/verify", headers=headers)).json()
    assert check["ok"] is False and check["finding"] == "tail_missing"
    assert "the newest events were deleted" in check["problem"]


async def test_the_audit_page_names_an_edited_checkpoint_file(
    checkpointed, assembled_app, make_user
):
    http, settings = checkpointed
    await make_user("admin", username="chief")
    await sign_in(http, "chief")
    await _checkpoint_now(settings, assembled_app)
    path = settings.audit_checkpoint_file
    path.write_text(path.read_text().replace('"count":', '"count":1'))

    page = await http.get("/admin/audit")
    verified = await http.post("/admin/audit/verify", data={"csrf_token": csrf_of(page.text)})
    said = text_of(verified.text)
    assert f"The audit trail is broken: line 1 of the checkpoint file {path}" in said
    assert "has a bad signature: the file was edited" in said


# ---------------------------------------------------------------- a chain recomputed without the key


async def test_a_chain_recomputed_end_to_end_with_the_unkeyed_formula_is_named(trail):
    await write_events(trail.url, 8)
    assert verify(trail)[0] == 0
    async with tampering(trail.url) as conn:
        first = (await event_ids(conn))[0]
        await conn.execute(
            update(EVENTS).where(EVENTS.c.id == first).values(actor_username="someone-else")
        )
        await relink(conn, audit.legacy_hash)

    code, said = verify(trail)
    assert code == 1
    assert f"Audit trail broken at event id {first}: HMAC mismatch" in said
    assert "recomputed without the audit key" in said
    assert "(0 events before it verified)" in said


async def test_a_chain_recomputed_with_another_key_is_named_without_any_checkpoint(trail):
    await write_events(trail.url, 8)
    other_key = secrets.token_bytes(32)
    async with tampering(trail.url) as conn:
        first = (await event_ids(conn))[0]
        await relink(conn, lambda event: audit.compute_hash(event, other_key))

    code, said = verify(trail)
    assert code == 1
    assert f"Audit trail broken at event id {first}: HMAC mismatch" in said


async def test_the_chain_is_keyed_with_openward_audit_key_when_it_is_set(trail):
    key = "ward-audit-key-" + "k" * 32
    await write_events(trail.url, 4, audit_key=key)
    # Another secret key does not matter: the audit key alone signs the chain.
    assert verify(trail, OPENWARD_AUDIT_KEY=key, OPENWARD_SECRET_KEY="z" * 40)[0] == 0

    code, said = verify(trail)  # without it, the key derived from the secret key is wrong
    assert code == 1 and "bad signature" in said  # the checkpoint was signed with the audit key
    trail.checkpoints.unlink()
    code, said = verify(trail)
    assert code == 1 and "HMAC mismatch" in said and "OPENWARD_AUDIT_KEY" in said

    code, said = verify(trail, OPENWARD_AUDIT_KEY="too-short")
    assert code == 2
    assert "OPENWARD_AUDIT_KEY must be at least 32 characters long" in said


# ---------------------------------------------------------------- an edited checkpoint


async def test_an_edited_checkpoint_line_is_named(trail):
    await write_events(trail.url, 20)
    assert verify(trail)[0] == 0
    await write_events(trail.url, 1)
    assert verify(trail)[0] == 0
    # Hide a deleted tail: lower what the newest checkpoint recorded.
    async with tampering(trail.url) as conn:
        ids = await event_ids(conn)
        await conn.execute(EVENTS.delete().where(EVENTS.c.id > ids[9]))
    lines = checkpoint_lines(trail)
    lines[-1].update(count=10, head_id=ids[9])
    trail.checkpoints.write_text("".join(json.dumps(line) + "\n" for line in lines))

    code, said = verify(trail)
    assert code == 1
    assert "Audit trail broken: line 2 of the checkpoint file" in said
    assert "has a bad signature: the file was edited" in said
    assert len(trail.checkpoints.read_text().splitlines()) == 2  # nothing added to evidence


# ---------------------------------------------------------------- events from before keying


async def test_events_from_before_keying_verify_only_as_the_opening_stretch(trail):
    """An upgraded hospital: its old events carry the unkeyed SHA-256 of the first release.
    They verify as legacy; the first checkpoint pins where keying starts, so recomputing
    newer events the old way is still named."""
    await write_events(trail.url, 3)
    async with tampering(trail.url) as conn:
        await relink(conn, audit.legacy_hash)  # what an older OpenWard wrote
        legacy_ids = await event_ids(conn)

    code, said = verify(trail)
    assert code == 0, said
    assert "Audit trail intact: 3 events verified" in said
    assert "3 of them were written before the chain was keyed" in said
    assert checkpoint_lines(trail)[0]["legacy_through"] == legacy_ids[-1]

    await write_events(trail.url, 2)  # after the upgrade: keyed, linked to the old head
    code, said = verify(trail)
    assert code == 0, said
    assert "Audit trail intact: 5 events verified" in said and "3 of them" in said

    async with tampering(trail.url) as conn:
        ids = await event_ids(conn)
        await relink(conn, audit.legacy_hash)
    code, said = verify(trail)
    assert code == 1
    assert f"Audit trail broken at event id {ids[3]}: HMAC mismatch" in said
    assert "(3 events before it verified)" in said


# ---------------------------------------------------------------- the server's checkpoints


async def test_the_server_writes_a_checkpoint_at_start_up(
    settings_factory, assembled_app, tmp_path
):
    path = tmp_path / "checkpoints"
    configure(assembled_app, settings_factory(audit_checkpoint_path=path))
    async with assembled_app.router.lifespan_context(assembled_app):
        for _ in range(100):
            if path.exists() and path.read_text():
                break
            await asyncio.sleep(0.05)
    lines = [json.loads(line) for line in path.read_text().splitlines()]
    assert len(lines) == 1 and lines[0]["count"] >= 0
    assert path.stat().st_mode & 0o777 == 0o600


async def test_the_checkpoint_writer_keeps_writing_each_interval(app, tmp_path):
    path = tmp_path / "checkpoints"
    writer = asyncio.create_task(
        audit_checkpoints.keep_writing(app.state.sessionmaker, path, every_seconds=0.05)
    )
    try:
        for round_ in range(3):
            async with session_scope(app.state.sessionmaker) as db:
                await audit.record(db, Actor.system("ward-feed"), "test.event", object_id=round_)
            await asyncio.sleep(0.12)
        # On a loaded machine the writer may lag: wait (a while) for its next checkpoint.
        for _ in range(100):
            lines = path.read_text().splitlines() if path.exists() else []
            if len(lines) >= 4 and json.loads(lines[-1])["count"] == 3:
                break
            await asyncio.sleep(0.05)
    finally:
        writer.cancel()
        with pytest.raises(asyncio.CancelledError):
            await writer
    counts = [json.loads(line)["count"] for line in path.read_text().splitlines()]
    assert len(counts) >= 4 and counts == sorted(counts) and counts[-1] == 3
    async with app.state.sessionmaker() as db:
        check = await audit_checkpoints.verify_trail(db, path)
    assert check.ok and check.checkpoints == len(counts)
