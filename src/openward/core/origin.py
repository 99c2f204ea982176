"""Where a request comes from, for the audit trail."""

from __future__ import annotations

from starlette.requests import HTTPConnection

from openward.core.actors import Actor


def client_ip(conn: HTTPConnection) -> str | None:
    # Behind a load balancer run uvicorn with --proxy-headers/--forwarded-allow-ips so that
    # this is the real client address.
    return conn.client.host if conn.client else None


def origin_of(conn: HTTPConnection) -> Actor:
    return Actor.anonymous(client_ip(conn), conn.headers.get("user-agent"))
