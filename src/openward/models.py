"""Every installed domain's models, so Alembic and the tests see the whole schema."""

from __future__ import annotations

from types import ModuleType

from openward.app import DOMAINS


def load_all_models() -> list[ModuleType]:
    """The models modules of the installed domains (importing openward.app loaded them)."""
    return [module for domain in DOMAINS for module in domain.models]
