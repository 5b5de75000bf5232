"""PGx under /api/pgx: a run for a person, the JSON report (schema versioned), the one-page HTML report and the
list of results — every read through the access policy and audited, refusals as problem documents."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from genomdb.access.audit import AuditLog
from genomdb.access.records import Actor, AuditFilters, Role
from genomdb.access.tokens import create_token
from genomdb.access.users import add_user
from genomdb.api.app import create_app
from genomdb.instance import Instance
from tests.api.conftest import GENEROUS
from tests.harmonize.kit import SmallReference
from tests.identities import fake_cpr
from tests.pgx import kit

PROBLEM = "application/problem+json"
Served = tuple[TestClient, dict[str, str]]
USERS = {
    "steward": (Role.STEWARD, None),
    "clin-rh": (Role.CLINICIAN, "RH-KG"),
    "clin-rm": (Role.CLINICIAN, "RM-KG"),
    "res-rh": (Role.RESEARCHER, "RH-KG"),
}


@pytest.fixture(scope="module")
def reference(tmp_path_factory: pytest.TempPathFactory) -> SmallReference:
    return kit.cyp2c19_reference(tmp_path_factory.mktemp("pgx-ref"))


@pytest.fixture
def served(
    instance: Instance, reference: SmallReference, tmp_path: Path
) -> Iterator[tuple[TestClient, dict[str, str]]]:
    kit.harmonise_star2_17(instance, reference, tmp_path / "sub")
    admin = add_user(instance, None, "admin", role=Role.ADMIN, department=None)
    acting = Actor(admin.username, admin.role)
    headers = {}
    for username, (role, department) in USERS.items():
        add_user(instance, acting, username, role=role, department=department)
        token = create_token(instance, acting, username, label="tests").secret
        headers[username] = f"Bearer {token}"
    app = create_app(instance.settings, GENEROUS, instance=instance)
    with TestClient(app, raise_server_exceptions=False) as client:
        yield client, headers


def _as(headers: dict[str, str], user: str) -> dict[str, str]:
    return {"Authorization": headers[user]}


def test_a_clinician_runs_and_reads_their_departments_person(served: Served, instance: Instance) -> None:
    client, headers = served
    before = client.get("/api/pgx/reports/WITH-BLOCKS", headers=_as(headers, "clin-rh"))
    assert before.status_code == 404 and before.headers["content-type"] == PROBLEM
    assert "pgx run" in before.json()["detail"]

    ran = client.post("/api/pgx/runs/WITH-BLOCKS", headers=_as(headers, "clin-rh"))
    assert ran.status_code == 200, ran.text
    assert (ran.json()["n_samples"], ran.json()["n_called"]) == (1, 1)
    again = client.post("/api/pgx/runs/WITH-BLOCKS", headers=_as(headers, "clin-rh")).json()
    assert (again["n_called"], again["n_unchanged"]) == (0, 1)

    report = client.get("/api/pgx/reports/WITH-BLOCKS", headers=_as(headers, "clin-rh")).json()
    assert report["schema_version"] == 1 and report["sample"].startswith("SMP-")
    assert report["person"].startswith("GDB-") and report["data_version"]
    cyp2c19 = next(g for g in report["genes"] if g["gene"] == "CYP2C19")
    assert cyp2c19["diplotypes"] == ["*2/*17"] and cyp2c19["phenotype"] == "Intermediate Metabolizer"
    clopidogrel = next(r for r in report["recommendations"] if r["drug"] == "clopidogrel")
    assert clopidogrel["status"] == "recommendation" and clopidogrel["guideline"].startswith("https://")

    by_person = client.get(f"/api/pgx/reports/{report['person']}", headers=_as(headers, "clin-rh")).json()
    assert by_person["sample"] == report["sample"]

    page = client.get("/api/pgx/reports/WITH-BLOCKS/html", headers=_as(headers, "clin-rh"))
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert "*2/*17" in page.text and "Intermediate Metabolizer" in page.text and "clopidogrel" in page.text
    assert report["data_version"] in page.text

    listed = client.get("/api/pgx/results", headers=_as(headers, "clin-rh")).json()
    assert [r["sample"] for r in listed["results"]] == [report["sample"]]
    assert listed["results"][0]["diplotypes"]["CYP2C19"] == ["*2/*17"]

    entries = AuditLog(instance).search(AuditFilters(actor="clin-rh", limit=1000))
    requests = [e.detail.get("request") for e in entries]
    assert {"pgx run", "pgx report", "pgx results"} <= set(requests)
    assert all(e.detail.get("via") == "api" for e in entries if str(e.detail.get("request", "")).startswith("pgx"))


def test_another_departments_clinician_and_other_roles_are_refused(served: Served, instance: Instance) -> None:
    client, headers = served
    assert client.post("/api/pgx/runs/WITH-BLOCKS", headers=_as(headers, "clin-rh")).status_code == 200
    for path in ("/api/pgx/reports/WITH-BLOCKS", "/api/pgx/reports/WITH-BLOCKS/html"):
        refused = client.get(path, headers=_as(headers, "clin-rm"))
        assert refused.status_code == 403 and refused.headers["content-type"] == PROBLEM
        assert "*2/*17" not in refused.text
    unknown = client.get("/api/pgx/reports/NO-SUCH-SAMPLE", headers=_as(headers, "clin-rm"))
    assert unknown.status_code == 403, "an unknown sample reads like a refused one"
    assert client.get("/api/pgx/results", headers=_as(headers, "clin-rm")).json()["results"] == []
    assert client.post("/api/pgx/runs/WITH-BLOCKS", headers=_as(headers, "clin-rm")).status_code == 403

    researcher = client.get("/api/pgx/reports/WITH-BLOCKS", headers=_as(headers, "res-rh"))
    assert researcher.status_code == 403 and "researcher" in researcher.json()["detail"]
    assert client.get("/api/pgx/results").status_code == 401

    # a steward runs under data stewardship but reads no person's result without a grant
    ran = client.post("/api/pgx/runs/CALLS-ONLY", headers=_as(headers, "steward"))
    assert ran.status_code == 200 and ran.json()["n_called"] == 1
    assert client.get("/api/pgx/reports/CALLS-ONLY", headers=_as(headers, "steward")).status_code == 403

    entries = AuditLog(instance).search(AuditFilters(actor="clin-rm", limit=1000))
    assert any(e.decision == "refused" and e.detail.get("request") == "pgx report" for e in entries)


def test_a_cpr_shaped_key_is_refused_at_the_edge(served: Served) -> None:
    client, headers = served
    cpr = fake_cpr(1, 2, 83, 1234)
    answer = client.get(f"/api/pgx/reports/{cpr}", headers=_as(headers, "clin-rh"))
    assert answer.status_code == 400 and cpr not in answer.text
