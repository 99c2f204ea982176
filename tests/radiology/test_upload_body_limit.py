"""Upload routes keep their own, larger limit (upload_max_mb) under the app-wide body limit;
every other route of the domain keeps the small one."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.radiology.conftest import Clinic, advance, order
from tests.radiology.test_attachments import PNG, upload
from tests.scheduling.factories import code


@pytest.fixture
def settings(settings_factory: Any, tmp_path: Path):
    """A 1 MB upload limit above a 64 KB limit for every other body."""
    return settings_factory(media_dir=tmp_path / "media", upload_max_mb=1, body_max_bytes=65536)


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_an_upload_under_upload_max_mb_works_above_the_body_limit_and_one_over_is_413(
    client: httpx.AsyncClient, clinic: Clinic
):
    created = await order(client, clinic.doctor, clinic.patient_id)
    await advance(client, clinic, created["id"], "performed")
    half_mb = PNG + b"\x00" * (512 * 1024)
    response = await upload(client, clinic.radiologist, created["id"], half_mb)
    assert response.status_code == 201, response.text
    too_big = PNG + b"\x00" * (2 * 1024 * 1024)
    response = await upload(client, clinic.radiologist, created["id"], too_big)
    assert response.status_code == 413 and code(response) == "file_too_large"

    async def stream():
        yield b'--b\r\nContent-Disposition: form-data; name="file"; filename="a.png"\r\n\r\n'
        for _ in range(40):
            yield b"\x00" * 65536

    response = await client.post(
        f"/api/v1/radiology/orders/{created['id']}/attachments",
        headers={**clinic.radiologist, "Content-Type": "multipart/form-data; boundary=b"},
        content=stream(),
    )
    assert response.status_code == 413 and code(response) == "file_too_large"


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_other_radiology_routes_keep_the_small_body_limit(
    client: httpx.AsyncClient, clinic: Clinic
):
    created = await order(client, clinic.doctor, clinic.patient_id)
    response = await client.post(
        f"/api/v1/radiology/orders/{created['id']}/cancel",
        headers={**clinic.reception, "Content-Type": "application/json"},
        content=b'{"reason": "' + b"x" * 100_000 + b'"}',
    )
    assert response.status_code == 413 and code(response) == "body_too_large"
