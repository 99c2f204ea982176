"""Request bodies over OPENWARD_BODY_MAX_BYTES are refused with 413 before they are read, by
their declared length or while they stream in, on the API and on the pages."""

from __future__ import annotations

import socket
import threading
import time
from typing import Any

import httpx
import pytest

from tests.live_server import live_server, server_env

LIMIT = 1_048_576
LOGIN = "/api/v1/auth/login"


def _padded_login(size: int) -> bytes:
    """A well-formed login body of about `size` bytes."""
    head = b'{"username": "nurse-1", "password": "'
    return head + b"x" * (size - len(head) - 2) + b'"}'


async def _call(
    app: Any, path: str, chunks: list[bytes] | None, headers: list[tuple[bytes, bytes]]
) -> tuple[int, dict[str, str], bytes, int]:
    """Drive the ASGI app directly: (status, headers, body, body bytes the app pulled)."""
    pulled = 0
    pending = list(chunks or [])

    async def receive() -> dict[str, Any]:
        nonlocal pulled
        if not pending:
            return {"type": "http.disconnect"}
        chunk = pending.pop(0)
        pulled += len(chunk)
        return {"type": "http.request", "body": chunk, "more_body": bool(pending)}

    sent: list[dict[str, Any]] = []

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "root_path": "",
        "query_string": b"",
        "headers": [(b"host", b"testserver"), *headers],
        "client": ("203.0.113.9", 50000),
        "server": ("testserver", 80),
    }
    await app(scope, receive, send)
    start = next(m for m in sent if m["type"] == "http.response.start")
    response_headers = {k.decode(): v.decode() for k, v in start["headers"]}
    body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    return start["status"], response_headers, body, pulled


async def test_a_2_mb_json_login_is_refused_with_413_before_a_byte_of_it_is_read(app: Any):
    body = _padded_login(2 * 1024 * 1024)
    chunks = [body[i : i + 65536] for i in range(0, len(body), 65536)]
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    status, response_headers, answer, pulled = await _call(app, LOGIN, chunks, headers)
    assert status == 413
    assert response_headers["content-type"] == "application/problem+json"
    assert b'"code":"body_too_large"' in answer
    assert pulled == 0  # the app never read the body, so the endpoint never ran
    assert response_headers["connection"] == "close"
    assert response_headers["x-request-id"]


async def test_a_streamed_body_without_a_length_is_stopped_once_it_passes_the_limit(app: Any):
    chunk = b"x" * 65536
    chunks = [b'{"username": "a", "password": "'] + [chunk] * 64  # 4 MB, no Content-Length
    headers = [(b"content-type", b"application/json"), (b"transfer-encoding", b"chunked")]
    status, _, answer, pulled = await _call(app, LOGIN, chunks, headers)
    assert status == 413
    assert b'"code":"body_too_large"' in answer
    assert pulled <= LIMIT + len(chunk)  # reading stopped at the limit, not at 4 MB


async def test_a_chunked_login_over_the_limit_gets_413_through_http(client: httpx.AsyncClient):
    async def stream():
        yield b'{"username": "a", "password": "'
        for _ in range(20):
            yield b"x" * 65536
        yield b'"}'

    response = await client.post(
        LOGIN, content=stream(), headers={"Content-Type": "application/json"}
    )
    assert "content-length" not in response.request.headers
    assert response.status_code == 413
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["code"] == "body_too_large"
    assert response.json()["errors"] == [
        {"field": "body", "message": "The request body is larger than the limit of 1 MB."}
    ]


async def test_a_body_within_the_limit_still_reaches_the_route(client: httpx.AsyncClient):
    response = await client.post(
        LOGIN, content=_padded_login(LIMIT - 10), headers={"Content-Type": "application/json"}
    )
    assert response.status_code in (401, 422)  # read and answered by the route itself


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_the_limit_follows_the_setting(settings_factory: Any, assembled_app: Any):
    from openward.app import configure

    configure(assembled_app, settings_factory(body_max_bytes=4096))
    try:
        transport = httpx.ASGITransport(app=assembled_app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            small = await http.post(LOGIN, content=_padded_login(5000))
            assert small.status_code == 413 and small.json()["code"] == "body_too_large"
            assert small.json()["max_bytes"] == 4096
            fits = await http.post(LOGIN, json={"username": "nobody", "password": "wrong"})
            assert fits.status_code == 401
    finally:
        await assembled_app.state.engine.dispose()


async def test_a_page_form_over_the_limit_gets_a_readable_413_page(client: httpx.AsyncClient):
    response = await client.post(
        "/login",
        content=b"username=a&password=" + b"x" * (2 * LIMIT),
        headers={"Content-Type": "application/x-www-form-urlencoded", "Accept": "text/html"},
    )
    assert response.status_code == 413
    assert response.headers["content-type"].startswith("text/html")
    assert "larger than the limit of 1 MB" in response.text


async def test_a_streamed_page_form_over_the_limit_gets_413_not_500(client: httpx.AsyncClient):
    async def stream():
        yield b"username=a&password="
        for _ in range(40):
            yield b"x" * 65536

    response = await client.post(
        "/login",
        content=stream(),
        headers={"Content-Type": "application/x-www-form-urlencoded", "Accept": "text/html"},
    )
    assert response.status_code == 413
    assert "larger than the limit of 1 MB" in response.text


# ---------------------------------------------------------------- against a live server


@pytest.fixture(scope="module")
def sqlite_server(tmp_path_factory: pytest.TempPathFactory):
    database = tmp_path_factory.mktemp("limits") / "openward.db"
    with live_server(server_env(f"sqlite+aiosqlite:///{database}")) as base:
        yield base


def _flood(port: int, answers: list[tuple[float, bytes]], chunked: bool) -> None:
    """Claim a 250 MB login body (or stream one chunked) and push bytes until the server
    answers or hangs up; records how long the answer took and its status line."""
    started = time.monotonic()
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        framing = b"Transfer-Encoding: chunked" if chunked else b"Content-Length: 262144000"
        sock.sendall(
            b"POST /api/v1/auth/login HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            b"Content-Type: application/json\r\n" + framing + b"\r\n\r\n"
        )
        piece = b"x" * 65536
        if chunked:
            piece = b"10000\r\n" + piece + b"\r\n"
        sock.settimeout(0.05)
        received = b""
        try:
            for _ in range(4000):  # up to 250 MB
                try:
                    sock.sendall(piece)
                except OSError:
                    break  # the server closed the connection: it will not read the rest
                try:
                    received += sock.recv(65536)
                    if received:
                        break
                except TimeoutError:
                    continue
            sock.settimeout(5)
            while b"\r\n" not in received:
                more = sock.recv(65536)
                if not more:
                    break
                received += more
        except OSError:
            pass
    answers.append((time.monotonic() - started, received.split(b"\r\n", 1)[0]))


@pytest.mark.parametrize("chunked", [False, True], ids=["content-length", "chunked"])
def test_a_live_server_refuses_huge_bodies_quickly_and_stays_healthy(sqlite_server, chunked):
    port = int(sqlite_server.rsplit(":", 1)[1])
    answers: list[tuple[float, bytes]] = []
    floods = [threading.Thread(target=_flood, args=(port, answers, chunked)) for _ in range(4)]
    for flood in floods:
        flood.start()
    health_times = []
    for _ in range(5):
        started = time.monotonic()
        health = httpx.get(f"{sqlite_server}/healthz", timeout=5)
        health_times.append(time.monotonic() - started)
        assert health.status_code == 200
    for flood in floods:
        flood.join(timeout=30)
    assert len(answers) == 4
    for elapsed, status_line in answers:
        assert status_line.startswith(b"HTTP/1.1 413"), status_line
        assert elapsed < 5
    assert max(health_times) < 1.0
