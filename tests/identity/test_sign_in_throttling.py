"""Sign-in throttles an attacker cannot turn against the account's owner: per address, per
account from one address, per account from everywhere, and hospital-wide."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

import httpx
import pytest

from openward.app import create_app
from openward.core import security
from openward.db import session_scope
from openward.identity.models import User
from tests.conftest import STRONG_PASSWORD, need, totp_code
from tests.web.pages import sign_in, submit, text_of

WRONG = "not-the-password-42"


@asynccontextmanager
async def from_address(app, ip: str) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app, client=(ip, 40000))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        yield client


async def _login(client: httpx.AsyncClient, username: str, password: str) -> httpx.Response:
    return await client.post(
        "/api/v1/auth/login", json={"username": username, "password": password}
    )


async def test_a_password_spray_from_one_address_is_stopped(settings_factory, store, make_user):
    """60 passwords over 20 usernames from one address: the address is throttled after 20
    failures, whatever the username, and the accounts themselves stay open to others."""
    for n in range(20):
        await make_user("nurse", username=f"nurse{n:02d}")
    answers = []
    async with strict(settings_factory, store) as app:
        async with from_address(app, "198.51.100.7") as sprayer:
            for attempt in range(60):
                answer = await _login(sprayer, f"nurse{attempt % 20:02d}", f"{WRONG}{attempt}")
                answers.append(answer)
        async with from_address(app, "192.0.2.44") as owner:
            assert (await _login(owner, "nurse03", STRONG_PASSWORD)).status_code == 200
    assert [a.status_code for a in answers[:20]] == [401] * 20
    assert {a.status_code for a in answers[20:]} == {429}
    assert answers[25].json()["code"] == "too_many_attempts"
    assert int(answers[25].headers["Retry-After"]) > 0


async def test_locking_the_admin_from_one_address_does_not_lock_the_admin_out(
    settings_factory, store, make_user
):
    await make_user("admin", username="boss")
    await make_user("admin", username="deputy")
    async with strict(settings_factory, store) as app:
        async with from_address(app, "198.51.100.8") as attacker:
            for _ in range(5):
                assert (await _login(attacker, "boss", WRONG)).status_code == 401
            locked = await _login(attacker, "boss", STRONG_PASSWORD)
            assert locked.status_code == 429 and locked.json()["code"] == "account_locked"
        async with from_address(app, "192.0.2.10") as admin_desk:
            assert (await _login(admin_desk, "boss", STRONG_PASSWORD)).status_code == 200
            # The other admin sees the lock and lifts it; the attacker's address may try again.
            deputy = await _login(admin_desk, "deputy", STRONG_PASSWORD)
            headers = {"Authorization": f"Bearer {deputy.json()['access_token']}"}
            users = await admin_desk.get("/api/v1/users", params={"q": "boss"}, headers=headers)
            [boss] = [u for u in users.json()["items"] if u["username"] == "boss"]
            assert boss["locked"] is True
            unlocked = await admin_desk.post(f"/api/v1/users/{boss['id']}/unlock", headers=headers)
            assert unlocked.status_code == 200 and unlocked.json()["locked"] is False
        async with from_address(app, "198.51.100.8") as attacker:
            assert (await _login(attacker, "boss", WRONG)).status_code == 401


REDIS_URL = os.environ.get("OPENWARD_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


def _redis_up() -> bool:
    try:
        import redis

        return bool(redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping())
    except Exception:  # noqa: BLE001 - any failure means "not here"
        return False


@pytest.fixture(params=["database", "redis"])
def store(request) -> dict:
    """Where the failures are counted: the database (default) or Redis when configured."""
    if request.param == "redis":
        need(_redis_up(), f"Redis is not reachable at {REDIS_URL}: Redis throttle run skipped")
        return {"redis_url": REDIS_URL}
    return {}


@asynccontextmanager
async def strict(settings_factory: Callable, store: dict, **limits) -> AsyncIterator:
    """An app on the same database whose limits are low enough to reach in a test."""
    application = create_app(settings_factory(**store, **limits))
    try:
        yield application
    finally:
        await application.state.engine.dispose()


async def test_an_account_attacked_from_many_addresses_stays_open_to_its_owner(
    settings_factory, store, make_user
):
    async with strict(settings_factory, store, login_account_max_failures=6) as application:
        await make_user("doctor", username="dr.owner")
        # The owner has signed in from their desk before.
        async with from_address(application, "192.0.2.20") as desk:
            assert (await _login(desk, "dr.owner", STRONG_PASSWORD)).status_code == 200
        for n in range(6):  # a botnet: one try per address
            async with from_address(application, f"198.51.100.{100 + n}") as bot:
                assert (await _login(bot, "dr.owner", WRONG)).status_code == 401
        # A new address with the right password is refused: it could be the attacker.
        async with from_address(application, "203.0.113.50") as stranger:
            refused = await _login(stranger, "dr.owner", STRONG_PASSWORD)
            assert refused.status_code == 429 and refused.json()["code"] == "account_locked"
            wrong = await _login(stranger, "dr.owner", WRONG)
            assert wrong.json()["code"] == "account_locked"  # no oracle for the password
        # The owner's usual address still gets in.
        async with from_address(application, "192.0.2.20") as desk:
            assert (await _login(desk, "dr.owner", STRONG_PASSWORD)).status_code == 200


async def test_an_attacked_account_with_totp_still_signs_in_with_password_and_code(
    settings_factory, store, make_user, app
):
    async with strict(settings_factory, store, login_account_max_failures=3) as application:
        secret = security.new_totp_secret()
        user = await make_user("nurse", username="nadia")
        async with session_scope(app.state.sessionmaker) as db:
            stored = await db.get(User, user.id)
            stored.totp_secret, stored.totp_enabled = secret, True
        for n in range(3):
            async with from_address(application, f"198.51.100.{150 + n}") as bot:
                await _login(bot, "nadia", WRONG)
        async with from_address(application, "203.0.113.77") as travelling:
            step = await _login(travelling, "nadia", STRONG_PASSWORD)
            assert step.status_code == 200, step.text
            challenge = step.json()
            assert "mfa_token" in challenge
            done = await travelling.post(
                "/api/v1/auth/mfa",
                json={"mfa_token": challenge["mfa_token"], "code": totp_code(secret)},
            )
            assert done.status_code == 200, done.text


async def test_a_hospital_wide_attack_pauses_new_addresses_only(settings_factory, store, make_user):
    async with strict(settings_factory, store, login_global_max_failures=8) as application:
        await make_user("receptionist", username="rita")
        async with from_address(application, "192.0.2.30") as front_desk:
            assert (await _login(front_desk, "rita", STRONG_PASSWORD)).status_code == 200
        for n in range(8):
            async with from_address(application, f"198.51.100.{200 + n}") as bot:
                await _login(bot, f"user{n}", WRONG)
        async with from_address(application, "203.0.113.90") as new_place:
            paused = await _login(new_place, "rita", STRONG_PASSWORD)
            assert paused.status_code == 429 and paused.json()["code"] == "too_many_attempts"
        async with from_address(application, "192.0.2.30") as front_desk:
            assert (await _login(front_desk, "rita", STRONG_PASSWORD)).status_code == 200


async def test_an_unknown_username_costs_the_same_password_work(client, make_user, monkeypatch):
    """Both answers verify one argon2 hash with the same parameters, so timing tells nothing."""
    await make_user("nurse", username="nadia")
    seen: list[str] = []
    real = security.verify_password

    def spy(password: str, stored: str | None) -> bool:
        target = stored or security._DUMMY_HASH
        seen.append(target.rsplit("$", 2)[0])  # algorithm, version and parameters
        return real(password, stored)

    monkeypatch.setattr(security, "verify_password", spy)
    known = await _login(client, "nadia", WRONG)
    unknown = await _login(client, "nobody-here", WRONG)
    assert known.status_code == unknown.status_code == 401
    assert known.json()["detail"] == unknown.json()["detail"]
    assert len(seen) == 2 and seen[0] == seen[1]


async def test_a_borrowed_session_cannot_guess_the_current_password(client, make_user):
    """Changing one's password proves the current one; wrong guesses count like failed
    sign-ins, so an unattended signed-in screen is not an unthrottled password oracle."""
    await make_user("nurse", username="nadia")
    await sign_in(client, "nadia")
    answers = []
    for n in range(6):
        answer = await submit(
            client,
            "/account",
            "/account/password",
            current_password=f"{WRONG}{n}",
            new_password="An0ther-long-passphrase",
            confirm_password="An0ther-long-passphrase",
        )
        assert answer.status_code == 200  # the form again, with its message
        answers.append(text_of(answer.text))
    assert all("current password is not right" in words for words in answers[:5])
    assert "Too many failed" in answers[5]
