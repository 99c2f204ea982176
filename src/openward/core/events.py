"""Domain events: a service publishes what happened; other domains subscribe and react.

Handlers run inside the publishing transaction, so a reaction (a notification row, say)
commits or rolls back with the change that caused it. A handler that must reach outside the
database (e-mail, a FHIR feed) should enqueue a job rather than do slow work here."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession


@dataclass(frozen=True)
class Event:
    """Base of every domain event: a frozen record of ids and facts, never ORM objects."""

    @property
    def name(self) -> str:
        return getattr(self, "NAME", type(self).__name__)


E = TypeVar("E", bound=Event)
Handler = Callable[[AsyncSession, Any], Awaitable[None]]

_handlers: dict[type[Event], list[Handler]] = {}


def subscribe(event_type: type[E], handler: Callable[[AsyncSession, E], Awaitable[None]]) -> None:
    """Register a handler once (subscribing the same handler twice is a no-op)."""
    handlers = _handlers.setdefault(event_type, [])
    if handler not in handlers:
        handlers.append(handler)


def unsubscribe_all() -> None:
    _handlers.clear()


async def publish(db: AsyncSession, event: Event) -> None:
    for event_type, handlers in list(_handlers.items()):
        if isinstance(event, event_type):
            for handler in list(handlers):
                await handler(db, event)
