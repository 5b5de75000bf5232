"""The REST API's behaviour: person-level reads through the policy (and its audit log), submissions through the
same data-in path as the CLI, frequencies at the caller's tier, bad requests → the right 4xx, the public budget."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient

from genomdb.access.audit import AuditLog
from genomdb.access.records import AuditFilters, Role
from genomdb.api.settings import ServiceSettings
from tests.api.conftest import make_app
from tests.api.world import World, vcf_only_manifest
from tests.identities import fake_cpr

PROBLEM = "application/problem+json"


def test_a_submitter_sees_its_departments_samples_and_each_decision_is_audited(
    client: TestClient, world: World
) -> None:
    before = len(AuditLog(world.instance).search(AuditFilters(actor="sub-rh", limit=100_000)))
    found = client.get("/api/catalog/samples", headers=world.headers(Role.SUBMITTER)).json()["samples"]
    assert found and {s["department"] for s in found} == {"RH-KG"}
    everything = client.get("/api/catalog/samples?limit=1000", headers=world.headers(Role.STEWARD)).json()
    assert {s["department"] for s in everything["samples"]} >= {"RH-KG", "RM-KG", "RSD-KG-OUH"}
    refused = client.get(f"/api/catalog/samples/{world.samples['RM-KG']}", headers=world.headers(Role.SUBMITTER))
    assert refused.status_code == 403 and "deny-by-default" in refused.json()["detail"]
    entries = AuditLog(world.instance).search(AuditFilters(actor="sub-rh", limit=100_000))
    assert len(entries) > before
    assert {e.decision for e in entries} == {"allowed", "refused"}
    assert all(e.legal_basis for e in entries if e.decision == "allowed")
    missing = client.get("/api/catalog/samples/SMP-NOPE", headers=world.headers(Role.STEWARD))
    assert missing.status_code == 404


def test_submissions_are_listed_and_shown_for_their_department_only(client: TestClient, world: World) -> None:
    own = client.get("/api/submissions", headers=world.headers(Role.SUBMITTER)).json()["submissions"]
    assert {s["department"] for s in own} == {"RH-KG"}
    other = client.get(f"/api/submissions/{world.submissions['RM-KG']}", headers=world.headers(Role.SUBMITTER))
    assert other.status_code == 403
    history = client.get(f"/api/submissions/{world.submissions['RH-KG']}/history", headers=world.headers(Role.STEWARD))
    assert history.status_code == 200 and history.json()["events"]


def test_an_upload_is_validated_and_stored_like_a_cli_submission(
    client: TestClient, world: World, tmp_path: Path
) -> None:
    manifest = vcf_only_manifest(tmp_path / "up", "RH-KG", [("RH-KG-UP1", fake_cpr(3, 4, 88, 2468))], title="upload")
    vcf = manifest.parent / "RH-KG-UP1.vcf.gz"
    files = [("manifest", ("manifest.yaml", manifest.read_bytes())), ("files", (vcf.name, vcf.read_bytes()))]
    stored = client.post("/api/submissions", files=files, headers=world.headers(Role.SUBMITTER))
    assert stored.status_code == 201, stored.text
    again = client.post("/api/submissions", files=files, headers=world.headers(Role.SUBMITTER))
    assert again.status_code == 200 and again.json()["unchanged"]
    other = client.post("/api/submissions", files=files, headers={"Authorization": f"Bearer {world.tokens['sub-rm']}"})
    assert other.status_code == 403 and "RH-KG" in other.json()["detail"]
    rejected = client.post("/api/submissions", files=files[:1], headers=world.headers(Role.SUBMITTER))
    assert rejected.status_code in (200, 422)
    broken = [("manifest", ("manifest.yaml", b"schema_version: 1\nsubmitter: {department: RH-KG}\n"))]
    report = client.post("/api/submissions", files=broken, headers=world.headers(Role.SUBMITTER))
    assert report.status_code == 422 and report.headers["content-type"].startswith(PROBLEM)
    assert report.json()["problems"] and report.json()["submission_id"].startswith("SUB-")
    escape = [*files[:1], ("files", ("../evil.vcf.gz", b"x"))]
    assert client.post("/api/submissions", files=escape, headers=world.headers(Role.SUBMITTER)).status_code == 400


def test_frequencies_at_each_tier(client: TestClient, world: World) -> None:
    url = f"/api/frequency/variants/{world.suppressed}"
    public = client.get(url).json()
    assert public["tier"] == "public" and public["status"] == "not_observed"  # under the floor: not revealed
    assert public["strata"][0]["allele_count"] == 0 and public["message"].startswith("not observed among")
    registered = client.get(url, headers=world.headers(Role.RESEARCHER)).json()
    assert registered["tier"] == "registered" and registered["status"] == "suppressed"
    assert registered["strata"][0]["allele_count"] is None
    steward = client.get(url, headers=world.headers(Role.STEWARD)).json()
    assert steward["tier"] == "controlled" and steward["status"] == "observed"
    above = client.get(url + "?tier=controlled", headers=world.headers(Role.RESEARCHER))
    assert above.status_code == 403 and "registered" in above.json()["detail"]
    absent = client.get(f"/api/frequency/variants/{world.not_observed}").json()
    assert absent["status"] == "not_observed" and absent["af_upper_95"] > 0
    old = client.get(f"/api/frequency/variants/{world.observed}?release={world.releases[0]}").json()
    assert old["release_id"] == world.releases[0]
    bulk = client.post("/api/frequency/variants", json={"variants": [world.observed, world.not_observed]}).json()
    assert [v["variant"] for v in bulk["variants"]] == [world.observed, world.not_observed]
    diff = client.get(f"/api/releases/{world.releases[0]}/diff").json()
    assert diff["new"] == world.releases[1] and diff["n_samples_removed"] == 1


def test_bad_requests_get_the_right_4xx_with_a_clear_message(client: TestClient, world: World) -> None:
    cases = [
        ("GET", "/api/frequency/variants/chr1-abc-A-G", None, 400, "malformed variant key"),
        ("GET", "/api/frequency/variants/chr99-100-A-G", None, 400, "unknown chromosome"),
        ("GET", "/api/frequency/regions/chr1:1-90000000", None, 400, "too long"),
        ("GET", "/api/frequency/genes/NOTAGENE", None, 404, "not in genomdb"),
        ("GET", "/api/frequency/variants/chr1-100-A-G?tier=secret", None, 400, "unknown disclosure tier"),
        ("GET", "/api/frequency/variants/chr1-100-A-G?release=GDB-FREQ-1999-01-R9", None, 404, "no frequency release"),
        ("POST", "/api/frequency/variants", {"variants": ["chr1-100-A-G"] * 1001}, 413, "bulk"),
        ("POST", "/api/frequency/variants", {"variants": "chr1-100-A-G"}, 422, "schema"),
        ("GET", "/api/nothing-here", None, 404, "no such"),
    ]
    for method, url, body, status, fragment in cases:
        response = client.request(method, url, json=body, headers=world.headers(Role.RESEARCHER))
        assert response.status_code == status, (url, response.text)
        assert response.headers["content-type"].startswith(PROBLEM)
        assert fragment in response.text, (url, response.text)
        assert "Traceback" not in response.text and "/tmp" not in response.text
    huge = client.post(
        "/api/frequency/variants", content=b"{" + b" " * 300_000 + b"}", headers={"content-type": "application/json"}
    )
    assert huge.status_code == 413 and "too large" in huge.json()["detail"]


def test_the_public_tier_has_a_query_budget_per_client(world: World) -> None:
    with TestClient(
        make_app(world, ServiceSettings(public_queries_per_minute=3)), raise_server_exceptions=False
    ) as client:
        url = f"/api/frequency/variants/{world.observed}"
        assert [client.get(url).status_code for _ in range(3)] == [200, 200, 200]
        refused = client.get(url)
        assert refused.status_code == 429 and int(refused.headers["Retry-After"]) >= 1
        assert "retry in" in refused.json()["detail"]
        assert client.get(url, headers=world.headers(Role.RESEARCHER)).status_code == 200
        bulk = client.post("/api/frequency/variants", json={"variants": [world.observed] * 5})
        assert bulk.status_code == 413


def test_readiness_and_openapi(client: TestClient) -> None:
    ready = client.get("/health/ready").json()
    assert ready["status"] == "ready" and {c["name"] for c in ready["checks"]} >= {"catalog", "blob store"}
    spec = client.get("/openapi.json").json()
    assert spec["openapi"].startswith("3.") and "/api/frequency/variants/{key}" in spec["paths"]
    assert client.get("/docs").status_code == 200
