"""Database engine, sessions and the declarative Base shared by every domain."""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import DateTime, MetaData, event
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.orm import DeclarativeBase
from sqlalchemy.types import TypeDecorator
from sqlalchemy.util import await_
from starlette.requests import Request

from openward.config import Settings
from openward.core import private_files
from openward.core.errors import DomainError

SETTINGS_OPTION = "openward_settings"  # engine execution option: the Settings it serves
READ_OPTION = "openward_read"  # engine execution option: transactions that only read
_AFTER_READ = "openward_after_read"  # Session.info: the writes a read leaves for after it
_READ_VERBS = ("SELECT", "WITH", "PRAGMA", "BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE")
Write = Callable[[AsyncSession], Awaitable[object]]
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC timestamps on every backend (SQLite stores them naive)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; OpenWard stores aware UTC times only")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def utcnow() -> datetime:
    return datetime.now(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


def create_engine(settings: Settings, **kwargs: Any) -> AsyncEngine:
    """An async engine; SQLite gets WAL, foreign keys and serialized write transactions."""
    # Every session reaches its settings (the audit chain's key) through its engine.
    options = kwargs.pop("execution_options", {})
    kwargs["execution_options"] = {**options, SETTINGS_OPTION: settings}
    if settings.is_sqlite:
        _make_database_file_private(settings.sqlite_path)
        engine = create_async_engine(settings.database_url, connect_args={"timeout": 30}, **kwargs)
        _configure_sqlite(engine)
        return engine
    # No ping on every checkout (asyncpg's costs three round trips per request): BEGIN is
    # sent when the session begins, so a connection that died in the pool fails there,
    # before any work, and `begun` retries once on a fresh one.
    engine = create_async_engine(settings.database_url, pool_pre_ping=False, **kwargs)
    _begin_eagerly(engine.sync_engine.dialect)
    return engine


def _begin_eagerly(dialect: Any) -> None:
    """asyncpg sends BEGIN lazily, with the first statement; sending it when SQLAlchemy
    begins costs no extra round trip, and SQLAlchemy's disconnect handling sees a failure
    there (do_begin errors go through it): the dead connection and the pool's other stale
    ones are discarded, and the error says `connection_invalidated`."""

    def do_begin(connection: Any) -> None:
        adapted = getattr(connection, "dbapi_connection", connection)
        start = getattr(adapted, "_start_transaction", None)
        if start is not None and getattr(adapted, "_transaction", None) is None:
            await_(start())

    dialect.do_begin = do_begin


def _make_database_file_private(db_file: Path | None) -> None:
    """The database file is created 0600 before SQLite first opens it, so its -wal and -shm
    files (which SQLite gives the database's mode) are private too; an existing database
    and its companions are tightened at start-up."""
    if db_file is None or not db_file.parent.is_dir():  # a missing directory stays an error
        return
    private_files.create_private_file(db_file)
    for suffix in ("-wal", "-shm", "-journal"):
        private_files.tighten(db_file.with_name(db_file.name + suffix), private_files.FILE_MODE)


def _configure_sqlite(engine: AsyncEngine) -> None:
    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy, not the driver, decide when transactions begin.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(connection: Any) -> None:
        if connection.get_execution_options().get(READ_OPTION):
            # A read: a deferred BEGIN takes no lock, and WAL lets any number run beside
            # the one writer, each on its own snapshot.
            connection.exec_driver_sql("BEGIN")
            return
        # One writer at a time, decided at BEGIN: no lost updates, no stale reads-then-writes.
        connection.exec_driver_sql("BEGIN IMMEDIATE")

    @event.listens_for(engine.sync_engine, "before_cursor_execute")
    def _refuse_writes_in_reads(connection: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        # Upgrading a read to a write fails at random (SQLITE_BUSY_SNAPSHOT) when another
        # writer committed first; a read's writes go through `write`, which keeps them for
        # after it. Anything else writing here is a bug, and says so every time.
        reads = connection.get_execution_options().get(READ_OPTION)
        if reads and not statement.lstrip()[:9].upper().startswith(_READ_VERBS):
            raise WriteInReadTransaction(statement.split("\n", 1)[0][:120])


class WriteInReadTransaction(RuntimeError):
    """A statement that writes was sent in a read transaction (see `write`)."""


class DatabaseBusy(DomainError):
    """SQLite's one writer did not finish within the busy timeout."""

    status = 503
    code = "database_busy"
    title = "The database is busy; please try again"


class AccessNotRecorded(DomainError):
    """The short write after a read (its audit rows) failed: nothing read is sent."""

    status = 503
    code = "access_not_recorded"
    title = "The record of this access could not be written; please try again"


def insert_on_conflict(db: AsyncSession) -> Any:
    """The session's dialect's INSERT, the one that knows ON CONFLICT (PostgreSQL and SQLite
    spell it alike): an upsert, or an insert that answers with nothing instead of failing."""
    return postgresql_insert if db.get_bind().dialect.name == "postgresql" else sqlite_insert


async def insert_unless_taken(db: AsyncSession, draft: Any) -> Any:
    """INSERT the columns the unsaved `draft` sets, ON CONFLICT DO NOTHING, RETURNING the
    row as the model: None when a unique or exclusion constraint said no. One statement,
    and the session stays usable for a retry or the form shown again (no savepoint)."""
    model = type(draft)
    values = {
        column.key: getattr(draft, column.key)
        for column in model.__table__.columns
        if getattr(draft, column.key) is not None
    }
    insert = insert_on_conflict(db)(model).values(**values).on_conflict_do_nothing()
    return (await db.scalars(insert.returning(model))).first()


def session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False, autoflush=False)


def read_session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    """Sessions for requests that only read. On SQLite their transactions take no write
    lock (see `_configure_sqlite`) and what they must write waits for `write`; PostgreSQL's
    reads never block its writers, so there they are ordinary sessions."""
    if engine.dialect.name != "sqlite":
        return session_factory(engine)
    return session_factory(engine.execution_options(**{READ_OPTION: True}))


def is_read(db: AsyncSession) -> bool:
    return _AFTER_READ in db.info


async def write(db: AsyncSession, work: Write) -> None:
    """Write now, in the session's transaction; or, in a read transaction, just after it,
    in one short write transaction that commits before the response is sent (`get_db`)."""
    if is_read(db):
        db.info[_AFTER_READ].append(work)
    else:
        await work(db)


WRITE_WAIT_SECONDS = 30.0  # as SQLite's busy timeout
_write_turns: weakref.WeakKeyDictionary[Any, asyncio.Lock] = weakref.WeakKeyDictionary()


@asynccontextmanager
async def _turn(factory: async_sessionmaker[AsyncSession]) -> AsyncIterator[None]:
    """On SQLite, this process's write transactions take turns, first come first served,
    before BEGIN IMMEDIATE: waiting on SQLite's lock instead means polling it with sleeps
    that grow to 100 ms, which is where the slowest requests under load lost their time.
    (Another process still meets SQLite's busy timeout.) Reads and PostgreSQL pass."""
    engine = factory.kw.get("bind")
    sync = getattr(engine, "sync_engine", None)
    if (
        sync is None
        or sync.dialect.name != "sqlite"
        or sync.get_execution_options().get(READ_OPTION)
    ):
        yield
        return
    turn = _write_turns.setdefault(sync.pool, asyncio.Lock())
    try:
        await asyncio.wait_for(turn.acquire(), WRITE_WAIT_SECONDS)
    except TimeoutError:
        raise DatabaseBusy() from None
    try:
        yield
    finally:
        turn.release()


async def begun(factory: async_sessionmaker[AsyncSession]) -> AsyncSession:
    """A session whose transaction has begun. A pooled connection the database dropped
    (a restart, a failover, a cut link) fails on that BEGIN, before anything is read or
    written; the pool then discards it and the session is opened once more on a fresh one."""
    try:
        return await _begin(factory)
    except DBAPIError as exc:
        if not exc.connection_invalidated:
            raise
    return await _begin(factory)


async def _begin(factory: async_sessionmaker[AsyncSession]) -> AsyncSession:
    session = factory()
    try:
        await session.connection()
    except BaseException:
        await session.close()
        raise
    return session


@asynccontextmanager
async def session_scope(factory: async_sessionmaker[AsyncSession]) -> AsyncIterator[AsyncSession]:
    """A unit of work: commit on success, roll back on error (jobs and the CLI use this)."""
    async with _turn(factory), await begun(factory) as session:
        try:
            yield session
            await session.commit()
        except BaseException:
            await session.rollback()
            raise


async def get_db(request: Request) -> AsyncIterator[AsyncSession]:
    """The request's unit of work: commit on success, roll back on error.

    A domain error marked `keep_writes` (failed sign-in, permission denial) keeps what the
    service deliberately wrote (the audit row, the failure count) and nothing else.
    GET and HEAD run in a read transaction; what they write (audit rows, the session's
    last activity) is written after it, before the response leaves.
    """
    writer: async_sessionmaker[AsyncSession] = request.app.state.sessionmaker
    reads = request.method in ("GET", "HEAD")
    factory = request.app.state.read_sessionmaker if reads else writer
    async with _turn(factory), await begun(factory) as session:
        if session.get_bind().get_execution_options().get(READ_OPTION):
            session.info[_AFTER_READ] = []
        try:
            yield session
        except DomainError as exc:
            if exc.keep_writes:
                await session.commit()
                await _write_after_read(writer, session)
            else:
                await session.rollback()
            raise
        except BaseException:
            await session.rollback()
            raise
        else:
            await session.commit()
            await _write_after_read(writer, session)


async def _write_after_read(writer: async_sessionmaker[AsyncSession], read: AsyncSession) -> None:
    writes: list[Write] = read.info.pop(_AFTER_READ, [])
    if not writes:
        return
    try:
        async with session_scope(writer) as db:
            for work in writes:
                await work(db)
    except DBAPIError as exc:  # e.g. the write lock not had within the busy timeout
        raise AccessNotRecorded() from exc
