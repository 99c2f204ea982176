"""Whatever a person types into a page, the answer is a page with a message, a redirect or
a 4xx, never a 500.

Each role of the demo hospital signs in with an in-process client, crawls the pages its
menu and their links reach, and finds every <form> by parsing the HTML. Each field of each
form (hidden ones too, for an attacker edits those) is posted with each hostile value, the
other fields left at what the page filled in; the ids and query values of the crawled
addresses get the same values. One test per role, so pytest-xdist can spread them.
"""

from __future__ import annotations

import re
import shutil
import time
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, quote, urlencode, urlsplit

import httpx
import pytest

from openward.app import configure
from openward.config import Settings
from openward.demo import load_demo

# Digits that pass str.isdigit() but are not 0-9, numbers out of every range, dates at the
# ends of the calendar, a very long string, control characters, injection attempts, nothing.
HOSTILE = [
    "²",
    "٣",
    "１",
    "00",
    "-1",
    "1e309",
    "9999-12-31",
    "0001-01-01",
    "x" * 5000,
    "\u202e",
    "\x00",
    "' OR 1=1 --",
    "<script>",
    "NaN",
    "",
]
# Forms the fuzz must not submit: they end the very session it is using.
SKIP_ACTIONS = re.compile(r"^/(logout|account/sessions)")
# Addresses not worth crawling: files, and the ones that end the session.
SKIP_LINKS = re.compile(r"^/(static|logout|media)|\.(pdf|csv|png|svg)$|/(pdf|csv|image)s?(/|$)")
PAGES_PER_ROLE = 200
PAGES_PER_SHAPE = 6  # orders in different states show different forms; forms are deduplicated


# ---------------------------------------------------------------- reading the pages


@dataclass
class Form:
    action: str
    method: str
    fields: dict[str, str] = field(default_factory=dict)  # name -> what the page filled in

    def shape(self) -> tuple[str, str, tuple[str, ...]]:
        return (self.method, _shape(self.action), tuple(sorted(self.fields)))


class PageReader(HTMLParser):
    """The links and forms of one page, with each field's default value as a browser would
    submit it (checked boxes, the selected or first option, a textarea's text)."""

    def __init__(self, url: str) -> None:
        super().__init__(convert_charrefs=True)
        self.url = url
        self.links: list[str] = []
        self.forms: list[Form] = []
        self._form: Form | None = None
        self._select: str | None = None
        self._select_first: str | None = None
        self._textarea: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "option":
            self._option(a)
        elif tag == "a" and a.get("href"):
            self.links.append(a["href"])
        elif tag == "form":
            action = a.get("action") or urlsplit(self.url).path
            self._form = Form(action, a.get("method", "get").lower())
            self.forms.append(self._form)
        elif self._form is None or "name" not in a:
            return
        elif tag == "input":
            kind = a.get("type", "text").lower()
            if kind in ("checkbox", "radio"):
                if "checked" in a or kind == "radio":
                    self._form.fields.setdefault(a["name"], a.get("value", "on"))
            elif kind not in ("submit", "button", "reset", "image", "file"):
                self._form.fields[a["name"]] = a.get("value", "")
        elif tag == "button" and a.get("type", "submit") == "submit":
            self._form.fields.setdefault(a["name"], a.get("value", ""))
        elif tag == "select":
            self._select, self._select_first = a["name"], None
            self._form.fields[a["name"]] = ""
        elif tag == "textarea":
            self._textarea = a["name"]
            self._form.fields[a["name"]] = ""

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)

    def handle_data(self, data: str) -> None:
        if self._form is not None and self._textarea:
            self._form.fields[self._textarea] += data

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._form = None
        elif tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None

    def _option(self, attrs: dict[str, str]) -> None:
        if self._form is None or self._select is None:
            return
        value = attrs.get("value", "")
        if self._select_first is None or "selected" in attrs:
            self._select_first = value
            self._form.fields[self._select] = value


def _shape(path: str) -> str:
    """/patients/12/chart -> /patients/{id}/chart"""
    return re.sub(r"/\d+(?=/|$)", "/{id}", urlsplit(path).path)


def _local(href: str) -> str | None:
    parts = urlsplit(href)
    if parts.scheme or parts.netloc or not parts.path.startswith("/"):
        return None
    if SKIP_LINKS.search(parts.path):
        return None
    return parts.path + (f"?{parts.query}" if parts.query else "")


# ---------------------------------------------------------------- the demo hospital


@pytest.fixture(scope="session")
async def demo_hospital(
    sqlite_template: Path, tmp_path_factory: pytest.TempPathFactory
) -> tuple[Path, dict[str, str]]:
    """The demo hospital, loaded once per test process; each role's test gets a copy."""
    path = tmp_path_factory.mktemp("fuzz-demo") / "openward.db"
    shutil.copy(sqlite_template, path)
    created = await load_demo(_settings(path, tmp_path_factory.mktemp("fuzz-media")))
    return path, {username: password for _role, username, password in created}


def _settings(path: Path, media: Path) -> Settings:
    return Settings(
        _env_file=None,
        database_url=f"sqlite+aiosqlite:///{path}",
        media_dir=media,
        secret_key="test-secret-key-" + "x" * 32,
        log_level="CRITICAL",
        # The fuzzer types hostile passwords from one address thousands of times; the sign-in
        # throttles (tests/identity/test_sign_in_throttling.py) would lock it out mid-crawl.
        login_max_failures=100,
        login_ip_max_failures=10_000,
        login_account_max_failures=100_000,
        login_global_max_failures=1_000_000,
        link_ip_max_failures=10_000,
    )


@dataclass
class Fuzzer:
    client: httpx.AsyncClient
    username: str
    password: str
    failures: list[str] = field(default_factory=list)
    requests: int = 0
    last: str = ""
    csrf: str = ""
    new_passwords: list[str] = field(default_factory=list)

    async def sign_in(self) -> None:
        """Sign in; when a fuzzed password field was accepted as this account's password
        (the administrator's own user page sets it), sign in with that one from now on."""
        for candidate in reversed(self.new_passwords):
            self.new_passwords.remove(candidate)
            if await self._sign_in_with(candidate):
                self.password = candidate
                break
        else:
            assert await self._sign_in_with(self.password), (self.username, self.last)
        dashboard = await self.client.get("/dashboard")
        token = re.search(r'name="csrf_token" value="([^"]+)"', dashboard.text)
        assert token, "the dashboard has no form with the session's CSRF token"
        self.csrf = token.group(1)  # the crawl's forms carry another session's token

    async def _sign_in_with(self, password: str) -> bool:
        self.client.cookies.clear()
        page = await self.client.get("/login")
        token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
        assert token, "the sign-in page has no CSRF token"
        response = await self.client.post(
            "/login",
            data={
                "csrf_token": token.group(1),
                "username": self.username,
                "password": password,
                "next": "/dashboard",
            },
        )
        return response.status_code == 303

    async def send(
        self, method: str, url: str, data: dict[str, str] | None = None, name: str = ""
    ) -> Any:
        self.requests += 1
        self.last = f"{method.upper()} {url[:160]} {_note(data, name)}"
        try:
            if method == "post":
                response = await self.client.post(url, data=data or {})
            else:
                response = await self.client.get(url)
        except Exception as exc:  # noqa: BLE001 - the app raised: the person would have seen a 500
            self.failures.append(f"{method.upper()} {url[:160]} {_note(data, name)}: {exc!r}")
            return None
        if response.status_code >= 500:
            self.failures.append(
                f"{method.upper()} {url[:160]} {_note(data, name)}: {response.status_code}"
            )
        elif response.status_code == 303 and data and "password" in name:
            self.new_passwords.append(data[name])
        if response.status_code == 303 and response.headers["location"].startswith("/login"):
            await self.sign_in()  # a hostile value signed us out: carry on signed in again
        return response


def _note(data: dict[str, str] | None, name: str) -> str:
    """The field that was changed and its value, shortened."""
    if not data or not name:
        return ""
    value = data[name]
    return f"{name}={value[:20] + '…' if len(value) > 20 else value!r}"


async def _crawl(fuzzer: Fuzzer) -> tuple[list[str], list[Form]]:
    seen_shapes: dict[str, int] = {}
    queue, visited, forms = ["/dashboard"], set(), {}
    while queue and len(visited) < PAGES_PER_ROLE:
        url = queue.pop(0)
        shape = _shape(url) + "?" + ",".join(sorted(k for k, _ in parse_qsl(urlsplit(url).query)))
        if url in visited or seen_shapes.get(shape, 0) >= PAGES_PER_SHAPE:
            continue
        visited.add(url)
        seen_shapes[shape] = seen_shapes.get(shape, 0) + 1
        response = await fuzzer.send("get", url)
        if response is None or response.status_code != 200:
            continue
        if not response.headers.get("content-type", "").startswith("text/html"):
            continue
        reader = PageReader(url)
        reader.feed(response.text)
        for form in reader.forms:
            forms.setdefault(form.shape(), form)
        queue += [local for href in reader.links if (local := _local(href))]
    return sorted(visited), list(forms.values())


async def _fuzz_forms(fuzzer: Fuzzer, forms: list[Form]) -> None:
    for form in forms:
        if SKIP_ACTIONS.search(form.action):
            continue
        # quantity_0, quantity_1 ... and d0_0_start, d1_0_start ... are read by one loop:
        # the first of each kind stands for the rest.
        kinds: set[str] = set()
        for name in form.fields:
            kind = re.sub(r"\d+", "#", name)
            if name == "csrf_token" or kind in kinds:
                continue
            kinds.add(kind)
            for value in HOSTILE:
                data = {**form.fields, name: value}
                if "csrf_token" in data:
                    data["csrf_token"] = fuzzer.csrf
                if form.method == "post":
                    await fuzzer.send("post", form.action, data, name)
                else:
                    query = f"{urlsplit(form.action).path}?{urlencode(data)}"
                    await fuzzer.send("get", query, None, name)


async def _fuzz_addresses(fuzzer: Fuzzer, urls: list[str]) -> None:
    """Each id in a crawled path, and each query value, replaced by each hostile value."""
    done: set[str] = set()
    for url in urls:
        parts = urlsplit(url)
        segments = parts.path.split("/")
        for i, segment in enumerate(segments):
            if not segment.isascii() or not segment.isdigit():
                continue
            for value in HOSTILE:
                path = "/".join([*segments[:i], quote(value, safe=""), *segments[i + 1 :]])
                if path not in done:
                    done.add(path)
                    await fuzzer.send("get", path)
        query = parse_qsl(parts.query, keep_blank_values=True)
        for i, (key, _value) in enumerate(query):
            for value in HOSTILE:
                changed = [*query[:i], (key, value), *query[i + 1 :]]
                target = f"{parts.path}?{urlencode(changed)}"
                if target not in done:
                    done.add(target)
                    await fuzzer.send("get", target)


# The demo logins, in the order that decides which role fuzzes a form many roles reach.
ROLES = [
    "admin",
    "reception",
    "nurse",
    "doctor",
    "pharmacist",
    "labtech",
    "radiologist",
    "billing",
    "patient",
]
EXTRA_ADDRESSES = {  # ids and filters typed by hand, beside those the crawl finds
    "admin": ["/admin/audit?actor=1&patient_id=1&since=2026-01-01&until=2026-01-02"],
    "reception": ["/patients/1", "/appointments?doctor_id=1&date=2026-01-01&patient_id=1"],
    "doctor": [
        "/patients/1/chart",
        "/lab/orders?patient_id=1",
        "/radiology/orders?patient_id=1",
        "/prescriptions/new?patient_id=1",
        "/encounters/new?patient_id=1&appointment_id=1",
    ],
}


@asynccontextmanager
async def _signed_in(app: Any, template: Path, where: Path, username: str, password: str):
    """A copy of the demo hospital and a client signed in as one of its people."""
    shutil.copy(template, where / "openward.db")
    configure(app, _settings(where / "openward.db", where / "media"))
    transport = httpx.ASGITransport(
        app=app,
        raise_app_exceptions=False,
        client=(f"198.51.100.{ROLES.index(username) + 1}", 40000),
    )
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            fuzzer = Fuzzer(http, username, password)
            await fuzzer.sign_in()
            yield fuzzer
    finally:
        await app.state.engine.dispose()


@dataclass
class Reach:
    """What one role's crawl found, and the part of it that role's test fuzzes: a form or
    an address shape many roles reach is fuzzed once, by the first of them."""

    urls: list[str]
    forms: list[Form]
    own_urls: list[str] = field(default_factory=list)
    own_forms: list[Form] = field(default_factory=list)


@pytest.fixture(scope="session")
async def reach(demo_hospital, assembled_app, tmp_path_factory) -> dict[str, Reach]:
    template, passwords = demo_hospital
    found: dict[str, Reach] = {}
    form_shapes: set[Any] = set()
    url_shapes: set[str] = set()
    started = time.perf_counter()
    for username in ROLES:
        where = tmp_path_factory.mktemp(f"crawl-{username}")
        async with _signed_in(assembled_app, template, where, username, passwords[username]) as f:
            urls, forms = await _crawl(f)
            assert not f.failures, "\n".join(f.failures[:40])
        role = found[username] = Reach(urls, forms)
        for form in forms:
            if form.shape() not in form_shapes:
                form_shapes.add(form.shape())
                role.own_forms.append(form)
        for url in urls + EXTRA_ADDRESSES.get(username, []):
            shape = _shape(url) + "?" + ",".join(k for k, _ in parse_qsl(urlsplit(url).query))
            if shape not in url_shapes:
                url_shapes.add(shape)
                role.own_urls.append(url)
    pages = sum(len(role.urls) for role in found.values())
    print(f"crawl: {pages} pages of {len(ROLES)} roles, {time.perf_counter() - started:.1f}s")
    return found


def test_the_crawl_reaches_every_roles_pages_and_forms(reach) -> None:
    """Guards the fuzz below: each role signed in and found its pages and forms (a broken
    sign-in or parser would find only the dashboard)."""
    for username in ROLES:
        assert len(reach[username].urls) >= 5, (username, reach[username].urls)
        assert reach[username].forms, username
    assert {"/prescriptions/new", "/appointments/new", "/patients/new"} <= {
        form.action for role in reach.values() for form in role.forms
    }
    actions = {_shape(form.action) for role in reach.values() for form in role.own_forms}
    assert "/pharmacy/prescriptions/{id}/dispense" in actions
    assert "/patients/{id}/chart/vitals" in actions


@pytest.mark.parametrize("username", ROLES)
async def test_no_form_field_or_address_makes_a_page_fail(
    username: str, reach, demo_hospital, assembled_app, tmp_path: Path
) -> None:
    template, passwords = demo_hospital
    started = time.perf_counter()
    async with _signed_in(
        assembled_app, template, tmp_path, username, passwords[username]
    ) as fuzzer:
        await _fuzz_forms(fuzzer, reach[username].own_forms)
        await _fuzz_addresses(fuzzer, reach[username].own_urls)
    print(
        f"{username}: {len(reach[username].own_forms)} forms,"
        f" {len(reach[username].own_urls)} addresses, {fuzzer.requests} requests,"
        f" {time.perf_counter() - started:.1f}s"
    )
    assert not fuzzer.failures, "\n".join(fuzzer.failures[:40])
