"""A burst of sign-ins runs at most HASHES_AT_ONCE argon2 hashes at a time in a process: each
holds 64 MiB while it runs, so the thread pool's 40 threads could otherwise take 2.5 GB."""

from __future__ import annotations

import asyncio
import threading
import time

from openward.core import security


async def test_a_burst_of_password_checks_hashes_a_few_at_a_time(monkeypatch):
    running = 0
    most = 0
    guard = threading.Lock()

    def slow_verify(password: str, password_hash: str | None) -> bool:
        nonlocal running, most
        with guard:
            running += 1
            most = max(most, running)
        time.sleep(0.05)
        with guard:
            running -= 1
        return password == "right"

    monkeypatch.setattr(security, "verify_password", slow_verify)
    results = await asyncio.gather(
        *[security.verify_password_off_loop("right" if i % 2 else "wrong", "x") for i in range(16)]
    )
    assert results == [bool(i % 2) for i in range(16)]
    assert most <= security.HASHES_AT_ONCE
    assert most >= 1
