"""Passwords (argon2id), signed access tokens (JWT), opaque tokens and TOTP codes."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import os
import secrets
import uuid
import weakref
from datetime import datetime, timedelta
from typing import Any

import anyio
import anyio.to_thread
import jwt
import pyotp
from pwdlib import PasswordHash
from pwdlib.hashers.argon2 import Argon2Hasher

from openward.core.params import parse_id
from openward.db import utcnow

# The browser session's cookie: set at sign-in (identity), cleared by the layout on expiry.
SESSION_COOKIE = "ow_session"

# argon2id with OWASP's first recommended parameter set for argon2id: 64 MiB, 3 passes,
# 4 lanes (pwdlib's defaults, stated here so that a library upgrade cannot weaken them).
ARGON2_TIME_COST = 3
ARGON2_MEMORY_KIB = 65536
ARGON2_PARALLELISM = 4

_password_hash = PasswordHash(
    (
        Argon2Hasher(
            time_cost=ARGON2_TIME_COST,
            memory_cost=ARGON2_MEMORY_KIB,
            parallelism=ARGON2_PARALLELISM,
        ),
    )
)
# A hash to verify against when the username is unknown, so timing does not tell.
_DUMMY_HASH = _password_hash.hash(secrets.token_urlsafe(16))


def use_password_hasher(hasher: PasswordHash) -> None:
    """Swap the hasher for new hashes (the test suite's cheap one); stored hashes keep
    verifying, since argon2 hashes carry their own parameters."""
    global _password_hash, _DUMMY_HASH
    _password_hash = hasher
    _DUMMY_HASH = hasher.hash(secrets.token_urlsafe(16))


def password_hasher() -> PasswordHash:
    return _password_hash


JWT_ALGORITHM = "HS256"


def hash_password(password: str) -> str:
    return _password_hash.hash(password)


def verify_password(password: str, password_hash: str | None) -> bool:
    if not password_hash:
        _password_hash.verify(password, _DUMMY_HASH)
        return False
    try:
        return _password_hash.verify(password, password_hash)
    except Exception:  # noqa: BLE001 - a malformed stored hash never signs anyone in
        return False


# Each hash holds ARGON2_MEMORY_KIB (64 MiB) while it runs: with the thread pool's 40 threads
# a burst of sign-ins could take 2.5 GB. More hashes at once than cores gain nothing, so a
# process runs at most this many; the rest wait their turn.
HASHES_AT_ONCE = max(1, min(4, os.cpu_count() or 1))
_hashing: weakref.WeakKeyDictionary[Any, anyio.CapacityLimiter] = weakref.WeakKeyDictionary()


def _hashing_limiter() -> anyio.CapacityLimiter:
    loop = asyncio.get_running_loop()  # a limiter belongs to its event loop
    limiter = _hashing.get(loop)
    if limiter is None:
        limiter = _hashing[loop] = anyio.CapacityLimiter(HASHES_AT_ONCE)
    return limiter


async def hash_password_off_loop(password: str) -> str:
    """Argon2 takes tens of milliseconds of CPU: keep it off the event loop."""
    return await anyio.to_thread.run_sync(hash_password, password, limiter=_hashing_limiter())


async def verify_password_off_loop(password: str, password_hash: str | None) -> bool:
    return await anyio.to_thread.run_sync(
        verify_password, password, password_hash, limiter=_hashing_limiter()
    )


def new_opaque_token() -> str:
    return secrets.token_urlsafe(32)


def token_digest(token: str) -> str:
    """What we store for an opaque token: its SHA-256, never the token itself."""
    return hashlib.sha256(token.encode()).hexdigest()


def constant_time_equal(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode(), b.encode())


def encode_jwt(
    secret: str, subject: str, purpose: str, lifetime: timedelta, **claims: Any
) -> tuple[str, datetime]:
    now = utcnow()
    expires = now + lifetime
    payload = {
        "sub": subject,
        "typ": purpose,
        "iat": int(now.timestamp()),
        "exp": int(expires.timestamp()),
        "jti": uuid.uuid4().hex,
        **claims,
    }
    return jwt.encode(payload, secret, algorithm=JWT_ALGORITHM), expires


def decode_jwt(secret: str, token: str, purpose: str) -> dict[str, Any] | None:
    """The claims of a valid, unexpired token of this purpose; None otherwise."""
    try:
        claims = jwt.decode(
            token, secret, algorithms=[JWT_ALGORITHM], options={"require": ["exp", "sub", "typ"]}
        )
    except jwt.PyJWTError:
        return None
    if claims.get("typ") != purpose:
        return None
    # Every subject we issue is a user id: anything else ("²", "abc", 10**30) names no
    # user, so the token is refused here rather than crashing `int(claims["sub"])`.
    subject = claims.get("sub")
    if not isinstance(subject, str) or parse_id(subject) is None:
        return None
    if not all(isinstance(claims.get(name, ""), str) for name in ("fam", "jti")):
        return None
    return claims


def new_totp_secret() -> str:
    return pyotp.random_base32()


def totp_uri(secret: str, account: str, issuer: str) -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=account, issuer_name=issuer)


def totp_step(secret: str, code: str) -> int | None:
    """The 30-second time step a code belongs to (this one or a neighbour), else None.

    Callers remember the last step used so that a code, once used, is never accepted again.
    """
    code = "".join(ch for ch in code if ch in "0123456789")
    if len(code) != 6:
        return None
    totp = pyotp.TOTP(secret)
    current = totp.timecode(utcnow())
    for step in (current - 1, current, current + 1):
        if hmac.compare_digest(totp.generate_otp(step), code):
            return step
    return None
