"""Uploaded images are patient data: their folders are 0700 and the files 0600, whatever
the umask, and a media folder left open by an older install is closed."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from openward.app import configure
from openward.radiology.demo import demo_radiograph
from tests.radiology.conftest import Clinic, advance, order

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def open_umask() -> Iterator[None]:
    previous = os.umask(0o022)
    yield
    os.umask(previous)


async def attach(client: httpx.AsyncClient, clinic: Clinic) -> httpx.Response:
    created = await order(client, clinic.doctor, clinic.patient_id)
    await advance(client, clinic, created["id"], "performed")
    return await client.post(
        f"/api/v1/radiology/orders/{created['id']}/attachments",
        headers=clinic.radiologist,
        files={"file": ("film.png", demo_radiograph(48), "image/png")},
    )


async def test_an_uploaded_image_and_its_folders_are_private(
    client: httpx.AsyncClient, clinic: Clinic, settings: Any, open_umask
):
    response = await attach(client, clinic)
    assert response.status_code == 201, response.text
    media = Path(settings.media_dir)
    (stored,) = (media / "radiology").iterdir()
    assert (mode(media), mode(media / "radiology"), mode(stored)) == (0o700, 0o700, 0o600)


async def test_media_folders_left_open_are_closed(
    app: Any, client: httpx.AsyncClient, clinic: Clinic, settings: Any, open_umask
):
    media = Path(settings.media_dir)
    (media / "radiology").mkdir(parents=True)
    media.chmod(0o755)
    (media / "radiology").chmod(0o755)
    replaced = app.state.engine
    configure(app, settings)  # start-up closes the media folder itself
    await replaced.dispose()
    assert mode(media) == 0o700
    assert (await attach(client, clinic)).status_code == 201  # an upload closes the rest
    assert mode(media / "radiology") == 0o700
