"""The audit trail's pages and API: who did what to which record (the trail itself is core)."""

from __future__ import annotations

from openward.audit import api, pages
from openward.core import audit
from openward.core.domains import Domain, Link

domain = Domain(
    name="audit",
    layer=2,
    api=[api.router],
    pages=[pages.router],
    models=[audit],
    links=[Link("Audit trail", "/admin/audit", "audit:read", "audit", rank=180)],
    permissions={"audit:read": ("admin",)},
)
