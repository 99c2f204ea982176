"""The sidebar: which links each role sees (by permission, like the routes)."""

from __future__ import annotations

from dataclasses import dataclass

from openward.core.actors import Actor


@dataclass(frozen=True)
class Link:
    label: str
    href: str
    permission: str
    icon: str = "dot"  # a name from web/_icon.html


# Later domains add their links here; a link shows only when the role has its permission.
LINKS: list[Link] = [
    Link("Dashboard", "/dashboard", "dashboard:view", "dashboard"),
    Link("Patients", "/patients", "patients:read", "patients"),
    Link("Appointments", "/appointments", "appointments:read", "calendar"),
    Link("Doctors", "/doctors", "directory:read", "doctor"),
    Link("Departments", "/departments", "directory:read", "building"),
    Link("My record", "/my/record", "patients:self", "record"),
    Link("Users", "/admin/users", "users:manage", "users"),
    Link("Audit trail", "/admin/audit", "audit:read", "audit"),
    Link("My account", "/account", "account:self", "account"),
]


@dataclass(frozen=True)
class MenuItem:
    label: str
    href: str
    icon: str
    active: bool


def menu_for(actor: Actor, path: str) -> list[MenuItem]:
    return [
        MenuItem(
            link.label, link.href, link.icon, path == link.href or path.startswith(link.href + "/")
        )
        for link in LINKS
        if actor.can(link.permission)
    ]
