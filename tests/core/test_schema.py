"""The migrations build exactly the schema the models describe, with SQLite set up safely."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import text

from openward.config import Settings
from openward.db import Base, create_engine
from openward.models import load_all_models


@pytest.mark.filterwarnings("ignore:.*expression-based index")
async def test_models_and_migrations_agree(app):
    load_all_models()

    def differences(connection):
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return compare_metadata(context, Base.metadata)

    async with app.state.engine.connect() as connection:
        diff = await connection.run_sync(differences)
    # SQLite cannot reflect expression indexes; everything else must match.
    diff = [d for d in diff if "uq_users_email_lower" not in repr(d)]
    assert diff == []


async def test_sqlite_runs_in_wal_mode_with_foreign_keys(tmp_path):
    settings = Settings(_env_file=None, database_url=f"sqlite+aiosqlite:///{tmp_path}/w.db")
    engine = create_engine(settings)
    try:
        async with engine.connect() as connection:
            assert (await connection.scalar(text("PRAGMA journal_mode"))) == "wal"
            assert (await connection.scalar(text("PRAGMA foreign_keys"))) == 1
    finally:
        await engine.dispose()
