"""Identity: logins, roles, sign-in (sessions, tokens, MFA) and user administration."""

from __future__ import annotations

from openward.config import ROLES
from openward.core.domains import Domain, Link
from openward.core.permissions import SELF
from openward.identity import api, demo, models, pages

domain = Domain(
    name="identity",
    layer=1,
    api=[api.router],
    pages=[pages.router],
    models=[models],
    links=[
        Link("Users", "/admin/users", "users:manage", "users", rank=170),
        Link("My account", "/account", SELF, "account", rank=190),
    ],
    permissions={
        # Every signed-in person may use their own account (me, logout, MFA set-up).
        SELF: ROLES,
        "users:manage": ("admin",),
    },
    demo=demo.load,
    demo_steps=demo.STEPS,
)
