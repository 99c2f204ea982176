"""Images attached to imaging orders: type by content, size and emptiness limits, files kept
outside the database under random names, and served only to those who may see the patient."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import httpx
import pytest

from openward.db import session_scope
from openward.radiology.demo import demo_radiograph
from openward.radiology.models import ImagingAttachment
from tests.radiology.conftest import Clinic, advance, order
from tests.scheduling.factories import code, field_errors

API = "/api/v1/radiology"
PNG = demo_radiograph(48)
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 200
PDF = b"%PDF-1.4\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n"
DICOM = b"\x00" * 128 + b"DICM" + b"\x02\x00\x00\x00UL\x04\x00" + b"\x00" * 64


async def upload(
    client: httpx.AsyncClient,
    headers: dict[str, str],
    order_id: int,
    content: bytes,
    filename: str = "film.png",
    content_type: str = "image/png",
) -> httpx.Response:
    return await client.post(
        f"{API}/orders/{order_id}/attachments",
        headers=headers,
        files={"file": (filename, content, content_type)},
    )


@pytest.fixture
async def performed(client: httpx.AsyncClient, clinic: Clinic) -> dict[str, Any]:
    created = await order(client, clinic.doctor, clinic.patient_id)
    await advance(client, clinic, created["id"], "performed")
    return created


@pytest.mark.parametrize(
    ("content", "sent_type", "stored_type", "extension"),
    [
        (PNG, "image/png", "image/png", "png"),
        (JPEG, "image/jpeg", "image/jpeg", "jpg"),
        (PDF, "application/pdf", "application/pdf", "pdf"),
        (DICOM, "application/octet-stream", "application/dicom", "dcm"),
    ],
)
@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_each_accepted_type_is_recognised_by_its_content(
    client: httpx.AsyncClient,
    clinic: Clinic,
    performed: dict[str, Any],
    content: bytes,
    sent_type: str,
    stored_type: str,
    extension: str,
):
    response = await upload(
        client, clinic.radiologist, performed["id"], content, f"scan.{extension}", sent_type
    )
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["content_type"] == stored_type
    assert body["filename"] == f"scan.{extension}"
    assert body["size_bytes"] == len(content)
    assert body["sha256"] == hashlib.sha256(content).hexdigest()


async def test_a_file_is_stored_outside_the_database_under_a_random_key(
    client: httpx.AsyncClient, clinic: Clinic, performed: dict[str, Any], app: Any, settings: Any
):
    response = await upload(
        client, clinic.radiologist, performed["id"], PNG, "../../etc/Chest PA – Fischer.png"
    )
    assert response.status_code == 201
    body = response.json()
    assert body["filename"] == "Chest-PA-Fischer.png"  # a safe name, for the download only
    async with session_scope(app.state.sessionmaker) as db:
        row = await db.get(ImagingAttachment, body["id"])
        key = row.storage_key
    stored = Path(settings.media_dir) / "radiology" / key
    assert stored.read_bytes() == PNG
    assert "Fischer" not in key and "chest" not in key.lower()
    assert [p.name for p in stored.parent.iterdir()] == [key]  # no temporary file left behind


async def test_the_type_is_checked_by_content_not_by_the_name_or_header(
    client: httpx.AsyncClient, clinic: Clinic, performed: dict[str, Any], settings: Any
):
    script = b"<html><script>alert(1)</script></html>"
    response = await upload(
        client, clinic.radiologist, performed["id"], script, "x.png", "image/png"
    )
    assert response.status_code == 422
    assert code(response) == "unsupported_file_type" and "file" in field_errors(response)
    exe = b"MZ\x90\x00" + b"\x00" * 300
    response = await upload(
        client, clinic.radiologist, performed["id"], exe, "scan.dcm", "application/dicom"
    )
    assert response.status_code == 422
    media = Path(settings.media_dir) / "radiology"
    assert not media.exists() or list(media.iterdir()) == []


async def test_an_empty_file_is_refused(
    client: httpx.AsyncClient, clinic: Clinic, performed: dict[str, Any]
):
    response = await upload(client, clinic.radiologist, performed["id"], b"")
    assert response.status_code == 422 and code(response) == "empty_file"


async def test_a_file_over_the_upload_limit_is_refused_as_problem_json(
    client: httpx.AsyncClient, clinic: Clinic, performed: dict[str, Any], settings: Any
):
    just_over = PNG + b"\x00" * (1024 * 1024 - len(PNG) + 1)  # the limit is 1 MB in these tests
    response = await upload(client, clinic.radiologist, performed["id"], just_over)
    assert response.status_code == 413
    assert response.headers["content-type"].startswith("application/problem+json")
    assert code(response) == "file_too_large"
    huge = b"\x00" * (3 * 1024 * 1024)
    response = await upload(client, clinic.radiologist, performed["id"], huge)
    assert response.status_code == 413 and code(response) == "file_too_large"
    at_limit = PNG + b"\x00" * (1024 * 1024 - len(PNG))
    assert (await upload(client, clinic.radiologist, performed["id"], at_limit)).status_code == 201
    media = Path(settings.media_dir) / "radiology"
    assert len(list(media.iterdir())) == 1


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_a_streamed_upload_without_a_length_is_stopped_at_the_limit(
    client: httpx.AsyncClient, clinic: Clinic, performed: dict[str, Any]
):
    boundary = "xyzBOUNDARY"
    head = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="a.png"\r\n'
        "Content-Type: image/png\r\n\r\n"
    ).encode()

    async def body():
        yield head + PNG
        for _ in range(40):
            yield b"\x00" * (64 * 1024)
        yield f"\r\n--{boundary}--\r\n".encode()

    response = await client.post(
        f"{API}/orders/{performed['id']}/attachments",
        headers={**clinic.radiologist, "Content-Type": f"multipart/form-data; boundary={boundary}"},
        content=body(),
    )
    assert response.status_code == 413 and code(response) == "file_too_large"


async def test_only_radiologists_attach_and_never_to_a_cancelled_order(
    client: httpx.AsyncClient, clinic: Clinic, performed: dict[str, Any]
):
    for headers in (clinic.doctor, clinic.nurse, clinic.reception, clinic.patient):
        assert (await upload(client, headers, performed["id"], PNG)).status_code == 403
    cancelled = await order(client, clinic.doctor, clinic.patient_id)
    await advance(client, clinic, cancelled["id"], "cancelled")
    response = await upload(client, clinic.radiologist, cancelled["id"], PNG)
    assert response.status_code == 409 and code(response) == "order_cancelled"
    missing = await upload(client, clinic.radiologist, 987654, PNG)
    assert missing.status_code == 404


async def test_download_is_an_attachment_with_a_safe_name_and_nosniff(
    client: httpx.AsyncClient, clinic: Clinic, performed: dict[str, Any]
):
    created = (await upload(client, clinic.radiologist, performed["id"], PNG, "a;b c.png")).json()
    response = await client.get(created["url"], headers=clinic.doctor)
    assert response.status_code == 200
    assert response.content == PNG
    assert response.headers["content-type"] == "image/png"
    assert response.headers["x-content-type-options"] == "nosniff"
    disposition = response.headers["content-disposition"]
    assert disposition.startswith("attachment;") and 'filename="a-b-c.png"' in disposition
    listed = await client.get(f"{API}/orders/{performed['id']}/attachments", headers=clinic.doctor)
    assert [a["id"] for a in listed.json()["items"]] == [created["id"]]
    assert listed.json()["items"][0]["is_image"] is True


async def test_patients_get_their_images_only_with_the_verified_report(
    client: httpx.AsyncClient, clinic: Clinic, performed: dict[str, Any]
):
    created = (await upload(client, clinic.radiologist, performed["id"], PNG)).json()
    early = await client.get(created["url"], headers=clinic.patient)
    assert early.status_code == 404 and code(early) == "report_not_verified"
    early_list = await client.get(
        f"{API}/orders/{performed['id']}/attachments", headers=clinic.patient
    )
    assert early_list.status_code == 404
    await client.post(
        f"{API}/orders/{performed['id']}/report",
        headers=clinic.radiologist,
        json={"findings": "Clear.", "impression": "Normal."},
    )
    await client.post(f"{API}/orders/{performed['id']}/verify", headers=clinic.second_radiologist)
    # The images reach the patient with the report, once the doctor has acknowledged it.
    waiting = await client.get(created["url"], headers=clinic.patient)
    assert waiting.status_code == 404
    await client.post(f"{API}/orders/{performed['id']}/acknowledge", headers=clinic.doctor)
    assert (await client.get(created["url"], headers=clinic.patient)).content == PNG
    other = await client.get(created["url"], headers=clinic.other_patient)
    assert other.status_code == 403


async def test_a_doctor_without_relationship_opens_images_only_by_breaking_the_glass(
    client: httpx.AsyncClient, clinic: Clinic, performed: dict[str, Any]
):
    created = (await upload(client, clinic.radiologist, performed["id"], PNG)).json()
    refused = await client.get(created["url"], headers=clinic.other_doctor)
    assert refused.status_code == 403 and code(refused) == "not_your_patient"
    glass = {**clinic.other_doctor, "X-Break-Glass-Reason": "Second opinion requested in MDT"}
    assert (await client.get(created["url"], headers=glass)).status_code == 200


async def test_uploads_and_downloads_are_audited(
    client: httpx.AsyncClient, clinic: Clinic, performed: dict[str, Any]
):
    created = (await upload(client, clinic.radiologist, performed["id"], PNG)).json()
    await client.get(created["url"], headers=clinic.doctor)
    await client.get(created["url"], headers=clinic.other_doctor)  # refused
    trail = await client.get(
        "/api/v1/audit",
        headers=clinic.admin,
        params={"patient_id": clinic.patient_id, "limit": 100},
    )
    assert trail.status_code == 200, trail.text
    actions = [(e["action"], e["outcome"], e["actor_role"]) for e in trail.json()["items"]]
    assert ("radiology.attachment_upload", "success", "radiologist") in actions
    assert ("radiology.attachment_read", "success", "doctor") in actions
    assert ("patient.read", "denied", "doctor") in actions
