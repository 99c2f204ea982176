"""What the identity pages share: who may use them, where to go after sign-in, and the QR
code an authenticator app scans."""

from __future__ import annotations

from typing import Annotated

import segno

from openward.core.actors import Actor
from openward.identity.access import require

Me = Annotated[Actor, require("account:self")]
Admin = Annotated[Actor, require("users:manage")]


def safe_next(target: str | None) -> str:
    """Only same-site paths: never bounce a user to another site after sign-in."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return "/dashboard"


def qr_svg(uri: str) -> str:
    return segno.make(uri, error="m").svg_inline(scale=4, dark="#0b3b40")
