"""How a domain plugs into OpenWard: one `Domain` declaration per domain package, and the
installed list the application, the pages' layout, the dashboard, the demo and the
catalogues read. `openward.app` holds the ordered list and installs it; core never imports
a domain, it only keeps what the domains declared."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from types import ModuleType
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from openward.config import ROLES, Settings
from openward.core import events, permissions
from openward.core.actors import Actor

if TYPE_CHECKING:
    from fastapi import APIRouter, Request


@dataclass(frozen=True)
class Link:
    """A sidebar link, shown to the roles that have its permission."""

    label: str
    href: str
    permission: str
    icon: str = "dot"  # a name from web/_icon.html
    rank: int = 100  # where it stands in the sidebar (lower first; ties keep domain order)


@dataclass(frozen=True)
class Card:
    """A "work waiting" figure at the top of a dashboard, linking to the list behind it."""

    key: str
    label: str
    value: Any
    href: str | None = None
    tone: str = ""  # "", "warning" or "danger": drawn in that colour when value is not 0
    rank: int = 100  # where it stands among the cards (lower first; ties keep domain order)


@dataclass
class DemoRun:
    """What every demo loader shares: one session, one reading of the clock, the logins."""

    db: AsyncSession
    settings: Settings
    now: datetime
    progress: Callable[[str], None]
    new_password: Callable[[str], str]
    created: list[tuple[str, str, str]] = field(default_factory=list)  # role, user, password

    @property
    def zone(self) -> ZoneInfo:
        return self.settings.zone


CardSource = Callable[[AsyncSession, Settings, Actor], Awaitable[Sequence[Card]]]
PageHook = Callable[["Request", AsyncSession, Actor], Awaitable[None]]
DemoLoader = Callable[[DemoRun], Awaitable[None]]
CatalogueSeeder = Callable[[AsyncSession], Awaitable[int]]  # rows added (idempotent)


@dataclass(frozen=True)
class Domain:
    """Everything a domain brings, each part optional. `permissions` maps a permission to
    the roles that hold it; `subscribers` pairs an event type with its handler; `demo_steps`
    names the progress steps the demo loader reports (the CLI's progress bar counts them);
    `extends` adds to an extension point a lower domain offers (its name, and a function
    with the signature that domain documents), so what a higher domain knows of a patient
    shows on a lower domain's page without the lower one importing it."""

    name: str
    layer: int = 1  # imports only domains of lower layers; peers of one layer are independent
    api: Sequence[APIRouter] = ()
    pages: Sequence[APIRouter] = ()
    models: Sequence[ModuleType] = ()
    links: Sequence[Link] = ()
    permissions: Mapping[str, Sequence[str]] = field(default_factory=dict)
    subscribers: Sequence[tuple[type[events.Event], Callable[..., Awaitable[None]]]] = ()
    dashboard_cards: Sequence[CardSource] = ()
    page_hooks: Sequence[PageHook] = ()
    template_filters: Mapping[str, Callable[..., Any]] = field(default_factory=dict)
    extends: Sequence[tuple[str, Callable[..., Any]]] = ()
    demo: DemoLoader | None = None
    demo_steps: Sequence[str] = ()
    catalogues: Mapping[str, CatalogueSeeder] = field(default_factory=dict)


class _Installed:
    domains: tuple[Domain, ...] = ()


def install(domains: Sequence[Domain]) -> None:
    """Make these the installed domains (again is a no-op): the permission table, the event
    subscriptions and everything the layout and the dashboard read."""
    domains = tuple(domains)
    if domains == _Installed.domains:
        return
    names = [d.name for d in domains]
    if len(set(names)) != len(names):
        raise RuntimeError(f"a domain is listed twice: {names}")
    if [d.layer for d in domains] != sorted(d.layer for d in domains):
        raise RuntimeError(f"list the domains lower layers first: {names}")
    permissions.set_table(permission_table(domains))
    _Installed.domains = domains
    for domain in domains:
        for event_type, handler in domain.subscribers:
            events.subscribe(event_type, handler)


def installed() -> tuple[Domain, ...]:
    return _Installed.domains


def permission_table(domains: Sequence[Domain] | None = None) -> dict[str, tuple[str, ...]]:
    """permission -> the roles that hold it, from every domain's declaration."""
    table: dict[str, tuple[str, ...]] = {}
    for domain in installed() if domains is None else domains:
        for permission, roles in domain.permissions.items():
            if permission in table:
                raise RuntimeError(f"{permission} is declared by two domains")
            unknown = set(roles) - set(ROLES)
            if unknown:
                raise RuntimeError(f"{permission}: unknown roles {sorted(unknown)}")
            table[permission] = tuple(r for r in ROLES if r in roles)
    return table


def links() -> list[Link]:
    every = [link for d in installed() for link in d.links]
    return sorted(every, key=lambda link: link.rank)


def card_sources() -> list[CardSource]:
    return [source for d in installed() for source in d.dashboard_cards]


def page_hooks() -> list[PageHook]:
    return [hook for d in installed() for hook in d.page_hooks]


def template_filters() -> dict[str, Callable[..., Any]]:
    return {name: f for d in installed() for name, f in d.template_filters.items()}


def extensions(point: str) -> list[Callable[..., Any]]:
    """What the installed domains add to an extension point, in domain order."""
    return [fn for d in installed() for name, fn in d.extends if name == point]
