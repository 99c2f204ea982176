"""A wheel built from this checkout installs and serves on its own, away from the checkout.

The test builds the wheel as `pip wheel .` does on a fresh machine (with build isolation, so
`[build-system]` must be right), installs it into a new virtual environment, and runs that
environment's `openward` from another directory: `db upgrade`, `users create-admin` and
`serve`, then signs in through the login form and loads the dashboard and the vendored
Bootstrap CSS. That proves the templates, static files, migrations and data files ship inside
the package and are found there.

The build fetches its build requirements (setuptools) from the package index, as any
`pip wheel .` does. To stay fast, the new environment installs nothing from the index: it
takes its third-party packages from this test environment, but only those the wheel declares
(followed through their own requirements), exposed through a folder of links. So a package
the code imports without declaring it makes the server fail here, and `pip check` there
proves the declared versions are satisfied. The checkout's editable install is not visible
in the new environment: the test asserts that `openward` is imported from it, not from src/.
"""

from __future__ import annotations

import email.parser
import os
import re
import shutil
import subprocess
import sys
import time
import zipfile
from importlib import metadata
from pathlib import Path

import httpx
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from tests.live_server import free_port

REPO = Path(__file__).resolve().parents[2]
PASSWORD = "Correct-Horse-Battery-42"


def run(*command: str | Path, **kwargs) -> str:
    result = subprocess.run(
        [str(part) for part in command],
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
        **kwargs,
    )
    assert result.returncode == 0, f"{command}\n{result.stdout}\n{result.stderr}"
    return result.stdout


def build_wheel(tmp_path: Path) -> Path:
    """`pip wheel . --no-deps` on a copy of the sources, so that neither a build/ folder
    left in the checkout leaks into the wheel nor the build writes into the checkout."""
    source = tmp_path / "source"
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", "*.egg-info")
    shutil.copytree(REPO / "src", source / "src", ignore=ignore)
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(REPO / name, source / name)
    dist = tmp_path / "dist"
    run(sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", dist, source)
    (wheel,) = dist.glob("openward-*.whl")
    return wheel


def declared_requirements(wheel: Path) -> list[str]:
    with zipfile.ZipFile(wheel) as archive:
        (name,) = (n for n in archive.namelist() if n.endswith(".dist-info/METADATA"))
        headers = email.parser.Parser().parsestr(archive.read(name).decode())
    return headers.get_all("Requires-Dist") or []


def dependency_closure(requirements: list[str]) -> list[metadata.Distribution]:
    """The installed distributions these requirements need, transitively, each checked
    against its version specifier."""
    found: dict[str, metadata.Distribution] = {}
    done: set[tuple[str, str]] = set()
    pending = [(requirement, "") for requirement in requirements]
    while pending:
        text, extra = pending.pop()
        requirement = Requirement(text)
        if requirement.marker and not requirement.marker.evaluate({"extra": extra}):
            continue
        try:
            dist = metadata.distribution(requirement.name)
        except metadata.PackageNotFoundError:
            raise AssertionError(f"{text} is declared but not installed here") from None
        assert requirement.specifier.contains(dist.version, prereleases=True), (
            f"{text} is declared but {dist.version} is installed"
        )
        name = canonicalize_name(dist.metadata["Name"])
        found[name] = dist
        for wanted in ("", *sorted(canonicalize_name(e) for e in requirement.extras)):
            if (name, wanted) not in done:
                done.add((name, wanted))
                pending += [(r, wanted) for r in dist.requires or []]
    return list(found.values())


def link_packages(dists: list[metadata.Distribution], target: Path) -> None:
    """Link each distribution's top-level modules, packages and .dist-info into one folder.
    .pth files are left out: they are how the checkout's editable install works."""
    target.mkdir()
    for dist in dists:
        assert dist.files is not None, f"{dist.metadata['Name']} has no RECORD"
        for top in {f.parts[0] for f in dist.files}:
            if top in ("..", "__pycache__") or top.endswith(".pth"):
                continue
            link = target / top
            if not link.exists():
                link.symlink_to(Path(dist.locate_file(top)))


def test_wheel_installs_and_serves_outside_the_checkout(tmp_path: Path) -> None:
    started = time.monotonic()
    wheel = build_wheel(tmp_path)

    venv = tmp_path / "venv"
    run(sys.executable, "-m", "venv", "--without-pip", venv)
    python = venv / "bin" / "python"
    (site_packages,) = (venv / "lib").glob("python3.*/site-packages")
    deps = tmp_path / "deps"
    link_packages(dependency_closure(declared_requirements(wheel)), deps)
    (site_packages / "openward-deps.pth").write_text(f"{deps}\n")
    pip = (sys.executable, "-m", "pip", "--python", python)
    run(*pip, "install", "-q", "--no-deps", "--no-index", wheel)
    run(*pip, "check")

    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith("OPENWARD_")}
    env.pop("PYTHONPATH", None)
    env.update(
        OPENWARD_DATABASE_URL=f"sqlite+aiosqlite:///{tmp_path / 'openward.db'}",
        OPENWARD_MEDIA_DIR=str(tmp_path / "media"),
        OPENWARD_LOG_LEVEL="WARNING",
    )
    in_venv = {"env": env, "cwd": elsewhere}

    where = run(
        python, "-c", "import openward, sys; print(openward.__file__); print(*sys.path)", **in_venv
    ).split("\n")
    assert Path(where[0]).is_relative_to(site_packages), where[0]
    assert str(REPO / "src") not in where[1].split(), "the checkout's editable install leaked"

    openward = venv / "bin" / "openward"
    run(openward, "db", "upgrade", **in_venv)
    run(
        openward,
        "users",
        "create-admin",
        "--username",
        "chief",
        "--password",
        PASSWORD,
        "--full-name",
        "Chief Administrator",
        **in_venv,
    )

    port = free_port()
    base = f"http://127.0.0.1:{port}"
    log = (tmp_path / "server.log").open("w+")
    server = subprocess.Popen(
        [openward, "serve", "--host", "127.0.0.1", "--port", str(port)],
        stdout=log,
        stderr=subprocess.STDOUT,
        **in_venv,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            assert server.poll() is None, (tmp_path / "server.log").read_text()[-3000:]
            try:
                if httpx.get(f"{base}/readyz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline, "the server did not become ready within 30 s"
            time.sleep(0.2)

        with httpx.Client(base_url=base, timeout=10) as browser:
            page = browser.get("/login")
            assert page.status_code == 200
            token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
            assert token, page.text
            signed_in = browser.post(
                "/login",
                data={
                    "csrf_token": token.group(1),
                    "username": "chief",
                    "password": PASSWORD,
                    "next": "/dashboard",
                },
            )
            assert signed_in.status_code == 303, signed_in.text
            assert signed_in.headers["location"] == "/dashboard"

            dashboard = browser.get("/dashboard")
            assert dashboard.status_code == 200
            assert "Administrator dashboard" in dashboard.text
            assert "Welcome, Chief Administrator." in dashboard.text

            css = browser.get("/static/vendor/bootstrap/css/bootstrap.min.css")
            assert css.status_code == 200
            assert css.headers["content-type"].startswith("text/css")
            assert css.text.startswith('@charset "UTF-8";/*!\n * Bootstrap  v5.3.8')
    except BaseException:
        print("--- server log (tail) ---\n" + (tmp_path / "server.log").read_text()[-5000:])
        raise
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
        log.close()
    print(f"built, installed and served in {time.monotonic() - started:.1f} s")
