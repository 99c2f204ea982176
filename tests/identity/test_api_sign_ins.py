"""API sign-ins end: an absolute lifetime per token family, re-checked at every refresh,
and a list of one's sign-ins (browser and API) with "sign out everywhere"."""

from __future__ import annotations

from datetime import timedelta

import httpx
import time_machine

from openward.app import create_app
from tests.conftest import STRONG_PASSWORD, login
from tests.web.pages import sign_in, submit, text_of


async def _refresh(client: httpx.AsyncClient, token: str) -> httpx.Response:
    return await client.post("/api/v1/auth/refresh", json={"refresh_token": token})


async def test_refreshing_never_keeps_an_api_sign_in_past_30_days(client, make_user):
    await make_user("nurse", username="nadia")
    pair = (await login(client, "nadia")).json()
    token = pair["refresh_token"]
    for days in (10, 20, 29):
        with time_machine.travel(timedelta(days=days)):
            renewed = await _refresh(client, token)
            assert renewed.status_code == 200, (days, renewed.text)
            token = renewed.json()["refresh_token"]
    with time_machine.travel(timedelta(days=30, minutes=1)):
        ended = await _refresh(client, token)
    assert ended.status_code == 401
    assert ended.json()["code"] in ("sign_in_ended", "invalid_token")


async def test_a_role_that_now_needs_mfa_cannot_keep_refreshing_without_it(
    client, make_user, settings_factory
):
    await make_user("nurse", username="nadia")
    pair = (await login(client, "nadia")).json()
    stricter = create_app(settings_factory(require_mfa_for=["nurse"]))
    try:
        transport = httpx.ASGITransport(app=stricter)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            refused = await _refresh(http, pair["refresh_token"])
    finally:
        await stricter.state.engine.dispose()
    assert refused.status_code == 401
    assert refused.json()["code"] == "sign_in_ended"
    assert "two-step" in refused.json()["detail"].lower()


async def test_i_see_my_sign_ins_and_can_end_one_or_all(client, app, make_user):
    await make_user("doctor", username="dr.who")
    phone = (await login(client, "dr.who")).json()
    tablet = (await login(client, "dr.who")).json()
    headers = {"Authorization": f"Bearer {phone['access_token']}"}

    listed = await client.get("/api/v1/auth/sign-ins", headers=headers)
    assert listed.status_code == 200, listed.text
    rows = listed.json()
    assert [r["kind"] for r in rows] == ["api", "api"]
    assert sum(r["current"] for r in rows) == 1
    other = next(r for r in rows if not r["current"])

    ended = await client.delete(f"/api/v1/auth/sign-ins/{other['id']}", headers=headers)
    assert ended.status_code == 204
    assert (await _refresh(client, tablet["refresh_token"])).status_code == 401
    assert len((await client.get("/api/v1/auth/sign-ins", headers=headers)).json()) == 1

    # Someone else's sign-in is not mine to end.
    await make_user("doctor", username="dr.other")
    theirs = (await login(client, "dr.other")).json()
    their_headers = {"Authorization": f"Bearer {theirs['access_token']}"}
    [their_row] = (await client.get("/api/v1/auth/sign-ins", headers=their_headers)).json()
    refused = await client.delete(f"/api/v1/auth/sign-ins/{their_row['id']}", headers=headers)
    assert refused.status_code == 404

    everywhere = await client.post("/api/v1/auth/sign-out-everywhere", headers=headers)
    assert everywhere.status_code == 204
    assert (await client.get("/api/v1/auth/me", headers=headers)).status_code == 401
    assert (await _refresh(client, phone["refresh_token"])).status_code == 401
    # The other doctor is still signed in.
    assert (await client.get("/api/v1/auth/me", headers=their_headers)).status_code == 200


async def test_my_account_page_lists_browser_and_app_sign_ins_and_signs_out_everywhere(
    client, make_user
):
    await make_user("receptionist", username="rita")
    app_pair = (await login(client, "rita")).json()
    await sign_in(client, "rita")
    page = await client.get("/account")
    words = text_of(page.text)
    assert "Where you are signed in" in words
    assert "Browser" in words and "App / API" in words and "This one" in words

    done = await submit(client, "/account", "/account/sign-out-everywhere")
    assert done.status_code == 303
    assert "notice=signed_out_everywhere" in done.headers["location"]
    assert (await client.get("/account")).status_code in (303, 401)
    assert (await _refresh(client, app_pair["refresh_token"])).status_code == 401
    again = await client.post(
        "/api/v1/auth/login", json={"username": "rita", "password": STRONG_PASSWORD}
    )
    assert again.status_code == 200
