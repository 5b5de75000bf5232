"""The REST upload flow: start → part URLs → PUT each part (to presigned RGW URLs with a real HTTP client, or to
genomdb's own part endpoint on the local store) → complete; resumable from the part list; submitters only."""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Iterator

import httpx
import pytest
from fastapi.testclient import TestClient

from genomdb.access.records import Actor, Role
from genomdb.access.tokens import create_token
from genomdb.api.app import create_app
from genomdb.ingest import repository
from tests.identities import fake_cpr
from tests.storage.test_uploads import PART, Place, place  # noqa: F401  (the fixture, on both backends)


@pytest.fixture
def api(place: Place) -> Iterator[tuple[TestClient, dict[str, dict[str, str]]]]:  # noqa: F811
    admin = Actor("admin", Role.ADMIN)
    headers = {
        name: {"Authorization": f"Bearer {create_token(place.instance, admin, name, label='tests').secret}"}
        for name in ("kg-submitter", "ouh-submitter", "kg-clinician")
    }
    with TestClient(create_app(place.settings, instance=place.instance), raise_server_exceptions=False) as client:
        yield client, headers


def _put(client: TestClient, target: dict[str, object], body: bytes, token: dict[str, str]) -> httpx.Response:
    md5 = hashlib.md5(body, usedforsecurity=False).digest()
    headers = {"Content-Type": "application/octet-stream", "Content-MD5": base64.b64encode(md5).decode()}
    url = str(target["url"])
    if target["needs_token"]:
        return client.put(url, content=body, headers={**headers, **token})
    assert not url.startswith("http://testserver"), "on S3 a part goes straight to the object store"
    return httpx.put(url, content=body, headers=headers, timeout=60)  # a real HTTP client, to the RGW


def test_a_file_sent_part_by_part_over_rest_resumes_and_completes(
    place: Place,  # noqa: F811
    api: tuple[TestClient, dict[str, dict[str, str]]],
) -> None:
    client, headers = api
    me = headers["kg-submitter"]
    # raw bytes that happen to hold a CPR-shaped run are file content, not an identifier in a request
    data = (fake_cpr(1, 2, 83, 1234).encode() + bytes(range(256)) * 4096) * 12
    data = data[: 2 * PART + 777]
    started = client.post(
        "/api/uploads", json={"file_name": "S1.cram", "size": len(data), "part_size": PART}, headers=me
    )
    assert started.status_code == 201, started.text
    upload_id = started.json()["upload_id"]
    assert started.json()["n_parts"] == 3

    targets = client.post(f"/api/uploads/{upload_id}/parts", json={"numbers": [1, 2, 3]}, headers=me)
    assert targets.status_code == 200, targets.text
    parts = {t["number"]: t for t in targets.json()["parts"]}
    assert all(t["needs_token"] == (place.rgw is None) for t in parts.values())
    chunks = {n: data[(n - 1) * PART : n * PART] for n in parts}
    md5s = {n: hashlib.md5(chunk, usedforsecurity=False).hexdigest() for n, chunk in chunks.items()}

    for number in (1, 3):  # then the connection drops
        sent = _put(client, parts[number], chunks[number], me)
        assert sent.status_code == 200, sent.text
        assert sent.headers["ETag"].strip('"') == md5s[number]
    status = client.get(f"/api/uploads/{upload_id}", headers=me)
    assert status.status_code == 200
    assert [(p["number"], p["md5"]) for p in status.json()["parts_received"]] == [(1, md5s[1]), (3, md5s[3])]

    early = client.post(
        f"/api/uploads/{upload_id}/complete",
        json={"sha256": hashlib.sha256(data).hexdigest(), "parts": [{"number": n, "md5": md5s[n]} for n in (1, 3)]},
        headers=me,
    )
    assert early.status_code == 400 and "part 2" in early.text

    assert _put(client, parts[2], chunks[2], me).status_code == 200
    done = client.post(
        f"/api/uploads/{upload_id}/complete",
        json={"sha256": hashlib.sha256(data).hexdigest(), "parts": [{"number": n, "md5": md5s[n]} for n in (1, 2, 3)]},
        headers=me,
    )
    assert done.status_code == 200, done.text
    assert done.json()["state"] == "complete" and done.json()["sha256"] == hashlib.sha256(data).hexdigest()
    assert not place.instance.blobs.exists(hashlib.sha256(data).hexdigest()), "waits, invisible, for a submission"
    listed = client.get("/api/uploads", headers=me).json()["uploads"]
    assert [u["upload_id"] for u in listed] == [upload_id]


def test_a_declared_sha256_the_content_does_not_have_removes_the_upload(
    place: Place,  # noqa: F811
    api: tuple[TestClient, dict[str, dict[str, str]]],
) -> None:
    client, headers = api
    me = headers["kg-submitter"]
    data = b"ACGT" * 1000
    upload_id = client.post("/api/uploads", json={"file_name": "x.vcf.gz", "size": len(data)}, headers=me).json()[
        "upload_id"
    ]
    (target,) = client.post(f"/api/uploads/{upload_id}/parts", json={"numbers": [1]}, headers=me).json()["parts"]
    assert _put(client, target, data, me).status_code == 200
    md5 = hashlib.md5(data, usedforsecurity=False).hexdigest()
    wrong = client.post(
        f"/api/uploads/{upload_id}/complete",
        json={"sha256": hashlib.sha256(b"other").hexdigest(), "parts": [{"number": 1, "md5": md5}]},
        headers=me,
    )
    assert wrong.status_code >= 400 and "hashes to" in wrong.text
    assert place.upload_area_objects() == []
    record = repository.upload(place.instance.db, upload_id)
    assert record is not None and record.state == "aborted"


def test_only_the_departments_submitters_use_the_upload_routes(
    place: Place,  # noqa: F811
    api: tuple[TestClient, dict[str, dict[str, str]]],
) -> None:
    client, headers = api
    start = {"file_name": "y.cram", "size": 100}
    assert client.post("/api/uploads", json=start).status_code == 401
    assert client.post("/api/uploads", json=start, headers=headers["kg-clinician"]).status_code == 403
    upload_id = client.post("/api/uploads", json=start, headers=headers["kg-submitter"]).json()["upload_id"]
    other = headers["ouh-submitter"]
    assert client.get(f"/api/uploads/{upload_id}", headers=other).status_code == 404
    assert client.post(f"/api/uploads/{upload_id}/parts", json={"numbers": [1]}, headers=other).status_code == 404
    put = client.put(
        f"/api/uploads/{upload_id}/parts/1",
        content=b"x" * 100,
        headers={**other, "Content-Type": "application/octet-stream"},
    )
    assert put.status_code == 404
    assert client.delete(f"/api/uploads/{upload_id}", headers=other).status_code == 404
    assert client.delete(f"/api/uploads/{upload_id}", headers=headers["kg-submitter"]).status_code == 204
    assert place.upload_area_objects() == []
