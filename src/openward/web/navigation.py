"""The sidebar: which of the domains' links each role sees (by permission, like the routes)."""

from __future__ import annotations

from dataclasses import dataclass

from openward.core import domains
from openward.core.actors import Actor


@dataclass(frozen=True)
class MenuItem:
    label: str
    href: str
    icon: str
    active: bool


def _matches(href: str, path: str) -> bool:
    return path == href or path.startswith(href + "/")


def menu_for(actor: Actor, path: str) -> list[MenuItem]:
    links = [link for link in domains.links() if actor.can(link.permission)]
    # The most specific link is the active one (/pharmacy/stock, not /pharmacy).
    best = max((len(link.href) for link in links if _matches(link.href, path)), default=0)
    return [
        MenuItem(
            link.label,
            link.href,
            link.icon,
            best > 0 and len(link.href) == best and _matches(link.href, path),
        )
        for link in links
    ]
