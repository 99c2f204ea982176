"""Who is acting, with what role, and from where: passed explicitly to every service."""

from __future__ import annotations

from dataclasses import dataclass, replace

from openward.core.permissions import has_permission


@dataclass(frozen=True)
class Actor:
    id: int | None
    username: str
    role: str | None
    ip: str | None = None
    user_agent: str | None = None
    via: str = "system"  # token, session, anonymous, cli, job
    token_family: str | None = None
    session_id: int | None = None
    full_name: str = ""

    def can(self, permission: str) -> bool:
        return self.role is not None and has_permission(self.role, permission)

    def as_anonymous(self, username: str) -> Actor:
        """The same origin, naming the username someone is trying to sign in as."""
        return replace(self, id=None, username=username, role=None, via="anonymous")

    @classmethod
    def system(cls, via: str = "cli") -> Actor:
        return cls(id=None, username=f"system:{via}", role="admin", via=via)

    @classmethod
    def anonymous(cls, ip: str | None = None, user_agent: str | None = None) -> Actor:
        return cls(id=None, username="", role=None, ip=ip, user_agent=user_agent, via="anonymous")
