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
    Link("Results", "/results", "results:inbox", "inbox"),
    Link("Renewal requests", "/prescriptions/renewals", "renewals:decide", "renew"),
    Link("Pharmacy queue", "/pharmacy", "prescriptions:dispense", "pill"),
    Link("Stock", "/pharmacy/stock", "stock:read", "box"),
    Link("Medicines", "/pharmacy/medicines", "medicines:write", "pill"),
    Link("Lab worklist", "/lab/worklist", "lab:process", "flask"),
    Link("Lab orders", "/lab/orders", "lab:order", "flask"),
    Link("Radiology worklist", "/radiology/worklist", "radiology:process", "scan"),
    Link("Imaging orders", "/radiology/orders", "radiology:order", "scan"),
    Link("My record", "/my/record", "patients:self", "record"),
    Link("My results", "/my/results", "clinical:self", "flask"),
    Link("My prescriptions", "/my/prescriptions", "clinical:self", "pill"),
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


def _matches(href: str, path: str) -> bool:
    return path == href or path.startswith(href + "/")


def menu_for(actor: Actor, path: str) -> list[MenuItem]:
    links = [link for link in LINKS if actor.can(link.permission)]
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
