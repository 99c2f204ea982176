"""The lab's tests run with the starter catalogue loaded, as a hospital would after set-up."""

from __future__ import annotations

from typing import Any

import pytest

from openward.db import session_scope
from openward.lab.starter_catalogue import seed_catalogue


@pytest.fixture(autouse=True)
async def catalogue(app: Any) -> None:
    async with session_scope(app.state.sessionmaker) as db:
        await seed_catalogue(db)
