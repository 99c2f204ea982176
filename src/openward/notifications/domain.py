"""In-app notifications: the bell in every page's header and the list behind it. Other
domains notify through `notifications.service.notify` from their own reactions."""

from __future__ import annotations

from fastapi import Request
from sqlalchemy.ext.asyncio import AsyncSession

from openward.config import ROLES
from openward.core.actors import Actor
from openward.core.domains import Domain
from openward.notifications import api, models, pages
from openward.notifications import service as notifications_service


async def unread_for_the_bell(request: Request, db: AsyncSession, actor: Actor) -> None:
    """The bell in the page header shows how many notifications wait unread."""
    request.state.unread_notifications = await notifications_service.unread_count(db, actor.id)


domain = Domain(
    name="notifications",
    layer=2,
    api=[api.router],
    pages=[pages.router],
    models=[models],
    permissions={"notifications:read": ROLES},
    page_hooks=[unread_for_the_bell],
)
