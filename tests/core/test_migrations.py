"""The schema is only ever changed by a migration: the migrations build exactly what the
models describe, on SQLite and PostgreSQL, and SQLite runs with WAL and foreign keys."""

from __future__ import annotations

import asyncio
import shutil

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, text
from sqlalchemy.exc import DBAPIError, IntegrityError

from openward.config import Settings
from openward.core import audit
from openward.core.actors import Actor
from openward.db import Base, create_engine, session_scope
from openward.migrate import alembic_config, head_revision
from openward.models import load_all_models

TABLES = {
    "audit_events",
    "login_attempts",
    "users",
    "patients",
    "refresh_tokens",
    "web_sessions",
    "api_sign_ins",
    "patient_activation_codes",
    "departments",
    "doctors",
    "doctor_weekly_hours",
    "doctor_availability_exceptions",
    "appointments",
    "care_relationships",
    "care_team_members",
    "encounters",
    "encounter_diagnoses",
    "encounter_amendments",
    "vital_signs",
    "allergies",
    "allergy_assessments",
    "problems",
    "care_plans",
    "medicines",
    "stock_lots",
    "stock_movements",
    "prescriptions",
    "prescription_items",
    "prescription_warnings",
    "dispensations",
    "renewal_requests",
    "lab_tests",
    "lab_analytes",
    "lab_reference_ranges",
    "lab_orders",
    "lab_order_tests",
    "lab_results",
    "modalities",
    "imaging_exams",
    "imaging_orders",
    "imaging_attachments",
    "notifications",
}
# Built by the migrations for one database only (trigram search on PostgreSQL); the models
# cannot describe operator-class GIN indexes, so the comparison leaves them out by name.
DIALECT_ONLY_INDEXES = (
    "ix_patients_name_trgm",
    "ix_patients_phone_trgm",
    "ix_patients_mrn_pattern",
)


def _schema_differences(connection) -> list:
    context = MigrationContext.configure(connection, opts={"compare_type": True})
    return compare_metadata(context, Base.metadata)


@pytest.mark.filterwarnings("ignore:.*expression-based index")
async def test_the_migrations_build_exactly_the_schema_the_models_describe(app):
    load_all_models()
    async with app.state.engine.connect() as connection:
        dialect = connection.dialect.name
        differences = await connection.run_sync(_schema_differences)
        tables = set(await connection.run_sync(lambda c: inspect(c).get_table_names()))
    if dialect == "sqlite":  # SQLite cannot reflect expression indexes
        differences = [d for d in differences if "uq_users_email_lower" not in repr(d)]
    differences = [d for d in differences if not any(n in repr(d) for n in DIALECT_ONLY_INDEXES)]
    assert differences == []
    assert tables == TABLES | {"alembic_version"}


async def test_downgrading_to_nothing_and_upgrading_again_restores_the_schema(app, database_url):
    config = alembic_config(database_url)
    await app.state.engine.dispose()  # no pooled connection may hold a lock on the tables
    await asyncio.to_thread(command.downgrade, config, "base")
    async with app.state.engine.connect() as connection:
        left = set(await connection.run_sync(lambda c: inspect(c).get_table_names()))
    assert left == {"alembic_version"}

    await asyncio.to_thread(command.upgrade, config, "head")
    async with app.state.engine.connect() as connection:
        tables = set(await connection.run_sync(lambda c: inspect(c).get_table_names()))
        assert await connection.scalar(text("SELECT version_num FROM alembic_version")) == (
            head_revision()
        )
    assert tables == TABLES | {"alembic_version"}
    # The append-only guard came back with the table.
    async with session_scope(app.state.sessionmaker) as db:
        await audit.record(db, Actor.system("test"), "test.after_upgrade")
    async with app.state.sessionmaker() as db:
        with pytest.raises(DBAPIError, match="append-only"):
            await db.execute(text("DELETE FROM audit_events"))


def _sqlite_engine(path):
    settings = Settings(
        _env_file=None, database_url=f"sqlite+aiosqlite:///{path}", secret_key="s" * 40
    )
    return create_engine(settings)


async def test_every_sqlite_connection_uses_wal_and_foreign_keys(tmp_path):
    # A new file: WAL is remembered by the file, so only a new one shows the engine sets it.
    sqlite_engine = _sqlite_engine(tmp_path / "new.db")
    # Several connections at once: each one the pool opens must be set up, not just the first.
    connections = []
    try:
        for _ in range(3):
            connection = await sqlite_engine.connect()  # the others stay checked out
            connections.append(connection)
            assert await connection.scalar(text("PRAGMA journal_mode")) == "wal"
            assert await connection.scalar(text("PRAGMA foreign_keys")) == 1
            assert await connection.scalar(text("PRAGMA busy_timeout")) == 30000
            await connection.rollback()  # every transaction takes the write lock: let go
    finally:
        for connection in connections:
            await connection.close()
        await sqlite_engine.dispose()


async def test_sqlite_refuses_a_row_that_points_at_nothing(tmp_path, sqlite_template):
    shutil.copy(sqlite_template, tmp_path / "openward.db")
    engine = _sqlite_engine(tmp_path / "openward.db")
    try:
        async with engine.connect() as connection:
            with pytest.raises(IntegrityError, match="FOREIGN KEY"):
                await connection.execute(
                    text(
                        "INSERT INTO refresh_tokens (user_id, family_id, token_hash, created_at, "
                        "expires_at) VALUES (424242, 'f', 'h', '2026-01-01', '2026-02-01')"
                    )
                )
    finally:
        await engine.dispose()
