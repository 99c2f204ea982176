"""Memory of one web process under load at a million patients (issue 12's target: < 200 MB).

    .venv/bin/python bench/memory_bench.py                       # openward_bench, 1M patients
    .venv/bin/python bench/memory_bench.py --database-url postgresql+asyncpg://.../db \\
        --seconds 60 --clients 8

Uses a PostgreSQL database holding the patients (bench/patient_data.py loads them when there
are fewer than --patients; bench/patient_search_bench.py's database will do) and the demo
hospital's logins (`openward demo` is run once when the database has none). Starts
`openward serve` (one process), signs in as the demo receptionist and doctor, then for
--seconds sends, from --clients concurrent clients, a front-desk mix: searches (a common
surname, a fragment, two words, an MRN), patient records, pages of the patient list and of
appointments, and the dashboards, after a burst of --clients sign-ins. Samples the server's resident memory (VmRSS, VmHWM) every
half second and prints the start, the peak and the end with the requests served and any
unexpected status. Prints numbers; it asserts nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import subprocess
import tempfile
import time
from pathlib import Path

import httpx
from load_bench import BIN, Target, _demo_logins, _environment, _free_port
from patient_data import ensure

DEFAULT_PG = "postgresql+asyncpg://postgres@127.0.0.1:5432/openward_bench"
QUERIES = ["garcia", "lef", "garcia jose", "zoe muller", "wójcik", "mar"]


def _memory_kb(pid: int) -> dict[str, int]:
    found = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            found[key] = int(value.split()[0])
    return found


def _logins(url: str, tmp: Path, env: dict[str, str]) -> dict[str, tuple[str, str]]:
    """role -> (username, password) of the demo hospital, loaded once (its logins are kept
    in the temp dir, named after the database, for the next run)."""
    path = Path(tempfile.gettempdir()) / f"openward-memory-{url.rsplit('/', 1)[-1]}.logins"
    demo = subprocess.run(
        [str(BIN / "openward"), "demo", "--credentials-file", str(path)],
        env=env,
        cwd=tmp,
        capture_output=True,
        text=True,
        check=False,
    )
    found: dict[str, tuple[str, str]] = {}
    if path.exists():
        for username, (role, password) in _demo_logins(path).items():
            found.setdefault(role, (username, password))
    if "receptionist" not in found or "doctor" not in found:
        raise SystemExit(
            f"no demo logins for {url} in {path} (demo loaded by another run?): "
            f"{demo.stdout[-300:]} {demo.stderr[-300:]}"
        )
    return found


async def _sign_in(http: httpx.AsyncClient, login: tuple[str, str]) -> dict[str, str]:
    response = await http.post(
        "/api/v1/auth/login", json={"username": login[0], "password": login[1]}
    )
    response.raise_for_status()
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


async def _drive(base: str, logins, pid: int, seconds: float, clients: int) -> dict:
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=60) as http:
        # A burst of sign-ins first: each argon2 check holds 64 MiB while it runs.
        signed_in = await asyncio.gather(
            *[_sign_in(http, logins["receptionist"]) for _ in range(clients)],
            _sign_in(http, logins["doctor"]),
        )
        desk, doctor = signed_in[0], signed_in[-1]
        page = await http.get("/api/v1/patients?limit=200", headers=desk)
        ids = [p["id"] for p in page.json()["items"]]
        mrns = [p["mrn"] for p in page.json()["items"]]
        requests = [
            lambda r: ("/api/v1/patients", {"q": r.choice(QUERIES)}, desk),
            lambda r: ("/api/v1/patients", {"q": r.choice(mrns)}, desk),
            lambda r: (f"/api/v1/patients/{r.choice(ids)}", {}, desk),
            lambda r: ("/api/v1/patients", {"offset": r.randrange(0, 5000)}, desk),
            lambda r: ("/api/v1/appointments", {"limit": 50}, desk),
            lambda r: ("/api/v1/dashboard", {}, desk),
            lambda r: ("/api/v1/dashboard", {}, doctor),
        ]
        samples: list[dict[str, int]] = [_memory_kb(pid)]  # after the sign-ins
        served, unexpected = 0, {}
        deadline = time.monotonic() + seconds

        async def client(seed: int) -> None:
            nonlocal served
            rng = random.Random(seed)
            while time.monotonic() < deadline:
                path, params, headers = rng.choice(requests)(rng)
                response = await http.get(path, params=params, headers=headers)
                served += 1
                if response.status_code != 200:
                    key = f"{response.status_code} {path.split('/')[3]}"
                    unexpected[key] = unexpected.get(key, 0) + 1

        async def sample() -> None:
            while time.monotonic() < deadline:
                await asyncio.sleep(0.5)
                samples.append(_memory_kb(pid))

        await asyncio.gather(sample(), *[client(i) for i in range(clients)])
        samples.append(_memory_kb(pid))
    return {"samples": samples, "served": served, "unexpected": unexpected}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--database-url", default=DEFAULT_PG)
    parser.add_argument("--patients", type=int, default=1_000_000)
    parser.add_argument("--seconds", type=float, default=45.0)
    parser.add_argument("--clients", type=int, default=8)
    args = parser.parse_args()
    target = ensure(args.database_url, args.patients, reuse=True)
    url = getattr(target, "url", args.database_url)
    with tempfile.TemporaryDirectory(prefix="openward-memory-") as tmp_name:
        tmp = Path(tmp_name)
        env = _environment(Target(url, tmp))
        logins = _logins(url, tmp, env)
        port = _free_port()
        log = (tmp / "server.log").open("wb")
        server = subprocess.Popen(
            [str(BIN / "openward"), "serve", "--host", "127.0.0.1", "--port", str(port)],
            env=env,
            cwd=tmp,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            base = f"http://127.0.0.1:{port}"
            for _ in range(120):
                try:
                    if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                        break
                except httpx.HTTPError:
                    time.sleep(0.5)
            result = asyncio.run(_drive(base, logins, server.pid, args.seconds, args.clients))
        finally:
            server.terminate()
            server.wait(15)
    samples = result["samples"]
    peak = max(s.get("VmHWM", 0) for s in samples)
    print(
        f"one web process, {args.clients} clients, {args.seconds:.0f} s, "
        f"{result['served']:,} requests ({result['served'] / args.seconds:.0f}/s) on {url}"
    )
    print(f"  RSS at start  {samples[0]['VmRSS'] / 1024:7.1f} MB")
    print(f"  RSS at end    {samples[-1]['VmRSS'] / 1024:7.1f} MB")
    print(f"  peak (VmHWM)  {peak / 1024:7.1f} MB")
    print(f"  unexpected statuses: {result['unexpected'] or 'none'}")


if __name__ == "__main__":
    main()
