"""Sign-in and authenticated-read latency, in process, on SQLite or PostgreSQL.

    .venv/bin/python bench/auth_bench.py                       # SQLite in a temp dir
    .venv/bin/python bench/auth_bench.py --database-url postgresql+asyncpg://postgres@127.0.0.1/bench

Prints numbers; it asserts nothing (targets are read by people, not by CI).
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from pathlib import Path

import httpx

from openward.app import create_app
from openward.config import Settings
from openward.core.actors import Actor
from openward.db import session_scope
from openward.identity import schemas
from openward.identity import service as identity_service
from openward.migrate import upgrade

PASSWORD = "Bench-Password-2026"


def _percentile(samples: list[float], pct: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(len(ordered) * pct / 100))]


async def _timed(samples: list[float], call) -> httpx.Response:
    started = time.perf_counter()
    response = await call()
    samples.append((time.perf_counter() - started) * 1000)
    return response


async def run(database_url: str, logins: int, reads: int, concurrency: int) -> None:
    settings = Settings(
        _env_file=None, database_url=database_url, secret_key="b" * 40, log_level="WARNING"
    )
    app = create_app(settings)
    async with session_scope(app.state.sessionmaker) as db:
        await identity_service.create_user(
            db,
            Actor.system("bench"),
            schemas.UserCreate(
                username="bench-nurse", password=PASSWORD, full_name="Bench Nurse", role="nurse"
            ),
        )
    transport = httpx.ASGITransport(app=app)
    limit = asyncio.Semaphore(concurrency)
    async with httpx.AsyncClient(transport=transport, base_url="http://bench") as http:
        login_ms: list[float] = []

        async def login() -> httpx.Response:
            async with limit:
                return await _timed(
                    login_ms,
                    lambda: http.post(
                        "/api/v1/auth/login", json={"username": "bench-nurse", "password": PASSWORD}
                    ),
                )

        started = time.perf_counter()
        responses = await asyncio.gather(*[login() for _ in range(logins)])
        login_wall = time.perf_counter() - started
        token = responses[-1].json()["access_token"]
        headers = {"Authorization": f"Bearer {token}"}

        read_ms: list[float] = []

        async def read() -> httpx.Response:
            async with limit:
                return await _timed(read_ms, lambda: http.get("/api/v1/auth/me", headers=headers))

        started = time.perf_counter()
        await asyncio.gather(*[read() for _ in range(reads)])
        read_wall = time.perf_counter() - started
    await app.state.engine.dispose()

    print(f"database: {database_url.split('://')[0]}   concurrency: {concurrency}")
    print(
        f"login     n={logins:5d}  p50={statistics.median(login_ms):7.1f} ms  "
        f"p95={_percentile(login_ms, 95):7.1f} ms  throughput={logins / login_wall:7.1f}/s"
    )
    print(
        f"auth/me   n={reads:5d}  p50={statistics.median(read_ms):7.1f} ms  "
        f"p95={_percentile(read_ms, 95):7.1f} ms  throughput={reads / read_wall:7.1f}/s"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url")
    parser.add_argument("--logins", type=int, default=50)
    parser.add_argument("--reads", type=int, default=1000)
    parser.add_argument("--concurrency", type=int, default=10)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = args.database_url or f"sqlite+aiosqlite:///{Path(tmp) / 'bench.db'}"
        upgrade(url)
        asyncio.run(run(url, args.logins, args.reads, args.concurrency))


if __name__ == "__main__":
    main()
