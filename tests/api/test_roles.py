"""A role check on every write and every person-level read, the same through the CLI and the REST service.

The CLI runs in this process through its real entry point (``main``: errors → exit codes) against the served
world's instance, acting as the world's users with ``--as``; the service answers through the real app. Both go
through the same domain functions (``classification.service``, ``access.catalog_reads``), so they must agree.
"""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from genomdb.access.audit import AuditLog
from genomdb.access.grants import create_grant
from genomdb.access.records import Actor, AuditEntry, AuditFilters, GrantScope, NewGrant, Purpose, Role
from genomdb.access.repository import AccessRepository
from genomdb.access.tokens import create_token
from genomdb.access.users import add_user
from genomdb.classification.database import ClassificationDatabase
from genomdb.cli.app import main
from genomdb.model.catalog import SearchFilters
from tests.api.world import World

Run = Callable[..., subprocess.CompletedProcess[str]]
FORBIDDEN = 5


@pytest.fixture
def cli(world: World, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> Run:
    """``genomdb ARGS`` on the world's instance, through ``main()`` in this process."""
    settings = world.instance.settings

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        monkeypatch.setenv("GENOMDB_HOME", str(settings.resolved_home()))
        if settings.database_url:
            monkeypatch.setenv("GENOMDB_DATABASE_URL", settings.database_url)
        monkeypatch.delenv("GENOMDB_USER", raising=False)
        monkeypatch.setenv("COLUMNS", "400")
        monkeypatch.setattr(sys, "argv", ["genomdb", *args])
        capsys.readouterr()
        try:
            main()
            code = 0
        except SystemExit as exit_:
            code = exit_.code if isinstance(exit_.code, int) else 1
        captured = capsys.readouterr()
        return subprocess.CompletedProcess(["genomdb", *args], code, captured.out, captured.err)

    return run


def _audit(world: World, actor: str, action: str) -> list[AuditEntry]:
    return AuditLog(world.instance).search(AuditFilters(actor=actor, action=action, limit=100_000))


def _export(folder: Path, variant: str) -> Path:
    path = folder / "rm-kg-export.tsv"
    path.write_text(
        "variant\tclassification\tcondition\tcriteria\tevidence\n"
        f"{variant}\tLP\tFamilial hypercholesterolemia\tPVS1,PM2_Supporting\tnonsense\n"
    )
    return path


def _versions(world: World, variant: str) -> list[str]:
    with ClassificationDatabase(world.instance) as database:
        return [f"{v.department} {v.acmg_class.value}" for v in database.history(variant)]


# --- writes -------------------------------------------------------------------------------------------------


def test_only_a_clinician_of_the_department_imports_its_classifications(cli: Run, world: World, tmp_path: Path) -> None:
    variant = world.fresh_variant()
    export = _export(tmp_path, variant)
    before = len(_audit(world, "res-rh", "write-classification"))

    nobody = cli("classify", "import", str(export), "-d", "RM-KG")
    assert nobody.returncode == FORBIDDEN and "classification writes need --as USER or GENOMDB_USER" in nobody.stderr
    researcher = cli("classify", "import", str(export), "-d", "RM-KG", "--as", "res-rh")
    assert researcher.returncode == FORBIDDEN, researcher.stdout
    assert "role-required" in researcher.stderr and "clinician" in researcher.stderr
    other_department = cli("classify", "import", str(export), "-d", "RM-KG", "--as", "clin-rh")
    assert other_department.returncode == FORBIDDEN and "own-department-only" in other_department.stderr
    assert _versions(world, variant) == [], "a refused import wrote a classification"

    refusals = _audit(world, "res-rh", "write-classification")[before:]
    [refusal] = refusals
    assert refusal.decision == "refused" and refusal.rule == "role-required"
    assert refusal.resource_kind == "import" and refusal.resource_id == export.name
    assert refusal.detail["via"] == "cli" and refusal.detail["departments"] == ["RM-KG"]
    assert [e.rule for e in _audit(world, "clin-rh", "write-classification") if e.resource_id == export.name] == [
        "own-department-only"
    ]

    imported = cli("classify", "import", str(export), "--as", "clin-rm", "--json")
    assert imported.returncode == 0, imported.stderr
    assert json.loads(imported.stdout)["department"] == "RM-KG"
    assert _versions(world, variant) == ["RM-KG Likely pathogenic"]
    [allowed] = [e for e in _audit(world, "clin-rm", "write-classification") if e.resource_id == export.name]
    assert allowed.decision == "allowed" and allowed.rule == "own-department"


def test_every_cli_write_of_the_national_variant_database_acts_as_a_user(cli: Run, world: World) -> None:
    variant = world.fresh_variant()
    add = ["classify", "add", variant, "--class", "VUS", "--condition", "FH", "--criteria", "PM2_Supporting"]
    assert cli(*add).returncode == FORBIDDEN
    assert cli(*add, "--as", "sub-rh").returncode == FORBIDDEN
    assert cli(*add, "-d", "RH-KG", "--as", "clin-rm").returncode == FORBIDDEN
    assert _versions(world, variant) == []
    added = cli(*add, "--as", "clin-rh", "--json")
    assert added.returncode == 0, added.stderr
    assertion_id = json.loads(added.stdout)["version"]["assertion_id"]
    assert cli("classify", "withdraw", assertion_id, "--reason", "x", "--as", "clin-rm").returncode == FORBIDDEN
    assert cli("classify", "conflicts", "resolve", world.conflict, "--resolution", "x").returncode == FORBIDDEN
    assert cli("classify", "conflicts", "discuss", world.conflict, "--note", "x", "--as", "res-rh").returncode == (
        FORBIDDEN
    )
    withdrawn = cli("classify", "withdraw", assertion_id, "--reason", "sample swap", "--as", "clin-rh")
    assert withdrawn.returncode == 0, withdrawn.stderr
    assert _versions(world, variant) == ["RH-KG Uncertain significance"] * 2
    assert cli("classify", "thresholds", "BRCA1", "--ba1", "0.02", "--as", "clin-rh").returncode == FORBIDDEN
    assert cli("classify", "worklist", "-d", "RM-KG", "--as", "clin-rh").returncode == FORBIDDEN


def test_the_service_refuses_another_departments_classification_and_writes_nothing(
    client: TestClient, world: World
) -> None:
    variant = world.fresh_variant()
    body = {
        "variant": variant,
        "acmg_class": "LP",
        "condition": "Familial hypercholesterolemia",
        "criteria": ["PVS1", "PM2_Supporting"],
        "department": "RM-KG",
    }
    researcher = client.post("/api/classifications/assertions", json=body, headers=world.user_headers("res-rh"))
    assert researcher.status_code == 403
    before = len(_audit(world, "clin-rh", "write-classification"))
    other = client.post("/api/classifications/assertions", json=body, headers=world.user_headers("clin-rh"))
    assert other.status_code == 403 and "own-department-only" in other.json()["detail"]
    [refusal] = _audit(world, "clin-rh", "write-classification")[before:]
    assert refusal.decision == "refused" and refusal.detail["via"] == "api"
    history = client.get(f"/api/classifications/variants/{variant}/history", headers=world.user_headers("clin-rh"))
    assert history.status_code == 200 and history.json()["versions"] == []
    own = client.post("/api/classifications/assertions", json=body, headers=world.user_headers("clin-rm"))
    assert own.status_code == 201, own.text
    assert _versions(world, variant) == ["RM-KG Likely pathogenic"]


# --- catalogue reads ------------------------------------------------------------------------------------------


@pytest.fixture
def granted_clinician(world: World) -> tuple[str, set[str]]:
    """A clinician of RM-KG (region RM: only RM-KG's samples) with a treatment grant on three RSD cohort samples;
    returns the user and the sample keys the policy lets them read."""
    username = "clin-roles"
    repository = AccessRepository(world.instance.db)
    everything = world.instance.catalog.search(SearchFilters(limit=100_000))
    cohort = sorted(s.sample_key for s in everything if s.department == "RSD-KG-OUH")[:3]
    if repository.user(username) is None:
        steward = Actor("steward", Role.STEWARD)
        add_user(world.instance, steward, username, role=Role.CLINICIAN, department="RM-KG")
        world.tokens[username] = create_token(world.instance, steward, username, label="tests").secret
        create_grant(
            world.instance,
            steward,
            NewGrant(
                scope=GrantScope(samples=tuple(cohort)),
                purpose=Purpose.TREATMENT,
                reference="REF-ROLES-1",
                legal_basis="Sundhedsloven § 42 a",
                expires_at=dt.datetime.now(dt.UTC) + dt.timedelta(days=30),
                grantee_user=username,
            ),
        )
    readable = {s.sample_key for s in everything if s.region == "RM"} | set(cohort)
    return username, readable


def test_a_clinician_searches_exactly_what_the_policy_lets_them_read_through_cli_and_rest(
    cli: Run, client: TestClient, world: World, granted_clinician: tuple[str, set[str]]
) -> None:
    username, readable = granted_clinician
    assert len(readable) == 5 and len(world.instance.catalog.search(SearchFilters(limit=100_000))) > 5

    refused = cli("catalog", "search", "--json")
    assert refused.returncode == FORBIDDEN and not refused.stdout
    assert "person-level reads need --as USER or GENOMDB_USER" in refused.stderr

    by_cli = json.loads(cli("catalog", "search", "--json", "--as", username).stdout)
    response = client.get("/api/catalog/samples?limit=1000", headers=world.user_headers(username))
    assert response.status_code == 200, response.text
    by_api = response.json()["samples"]
    assert {s["sample_key"] for s in by_cli} == readable
    assert [s["sample_key"] for s in by_api] == [s["sample_key"] for s in by_cli]

    page = client.get("/api/catalog/samples?limit=4", headers=world.user_headers(username)).json()["samples"]
    assert len(page) == 4 and [s["sample_key"] for s in page] == [s["sample_key"] for s in by_api[:4]]
    cli_page = json.loads(cli("catalog", "search", "--json", "--limit", "4", "--as", username).stdout)
    assert [s["sample_key"] for s in cli_page] == [s["sample_key"] for s in page]

    everything = world.instance.catalog.search(SearchFilters(limit=1000))
    readable_persons = {s.pseudonym for s in everything if s.sample_key in readable}
    unreadable = next(s for s in everything if s.pseudonym not in readable_persons)
    shown = cli("catalog", "show", unreadable.sample_key, "--as", username)
    assert shown.returncode == FORBIDDEN and "deny-by-default" in shown.stderr
    person = client.get(f"/api/catalog/persons/{unreadable.pseudonym}", headers=world.user_headers(username))
    assert person.status_code == 403


def test_the_cli_answers_the_public_tier_to_anyone_and_higher_tiers_by_role(cli: Run, world: World) -> None:
    public = cli("freq", world.observed, "--json")
    assert public.returncode == 0 and json.loads(public.stdout)["tier"] == "public"
    nobody = cli("freq", world.suppressed, "--tier", "controlled", "--json")
    assert nobody.returncode == FORBIDDEN and not nobody.stdout
    said = " ".join(nobody.stderr.split())  # the console wraps long errors at its width
    assert "--as USER or GENOMDB_USER" in said and "clinician or steward" in said
    researcher = cli("freq", world.suppressed, "--tier", "controlled", "--json", "--as", "res-rh")
    assert researcher.returncode == FORBIDDEN
    assert "highest tier you may ask for is registered" in " ".join(researcher.stderr.split())
    registered = cli("freq", world.suppressed, "--tier", "registered", "--json", "--as", "res-rh")
    assert registered.returncode == 0 and json.loads(registered.stdout)["tier"] == "registered"
    controlled = cli("freq", world.suppressed, "--tier", "controlled", "--json", "--as", "clin-rh")
    assert controlled.returncode == 0 and json.loads(controlled.stdout)["status"] == "observed"


# --- submissions: an unknown id and another department's get the same answer ---------------------------------


def test_an_unknown_and_a_foreign_submission_get_the_same_answer(client: TestClient, world: World, cli: Run) -> None:
    foreign, unknown = world.submissions["RM-KG"], "SUB-" + "0" * len(world.submissions["RM-KG"][4:])
    headers = world.headers(Role.SUBMITTER)
    for suffix in ("", "/history"):
        answers = [client.get(f"/api/submissions/{sid}{suffix}", headers=headers) for sid in (foreign, unknown)]
        assert [a.status_code for a in answers] == [403, 403]
        bodies = [a.json() for a in answers]
        assert bodies[0].keys() == bodies[1].keys()
        assert bodies[0]["detail"].replace(foreign, "ID") == bodies[1]["detail"].replace(unknown, "ID")
        assert "RM-KG" not in bodies[0]["detail"]
    own = client.get(f"/api/submissions/{world.submissions['RH-KG']}", headers=headers)
    assert own.status_code == 200
    steward = client.get(f"/api/submissions/{unknown}", headers=world.headers(Role.STEWARD))
    assert steward.status_code == 404

    for command in (("catalog", "show"), ("catalog", "history")):
        results = [cli(*command, sid, "--as", "sub-rh") for sid in (foreign, unknown)]
        assert [r.returncode for r in results] == [FORBIDDEN, FORBIDDEN]
        assert results[0].stderr.replace(foreign, "ID") == results[1].stderr.replace(unknown, "ID")
        assert "RM-KG" not in results[0].stderr
    assert cli("catalog", "history", world.submissions["RH-KG"], "--as", "sub-rh").returncode == 0


def test_a_correction_of_an_unknown_or_foreign_submission_gets_the_same_answer(
    client: TestClient, world: World
) -> None:
    foreign, unknown = world.submissions["RM-KG"], "SUB-" + "0" * len(world.submissions["RM-KG"][4:])
    manifest = [("manifest", ("manifest.yaml", b"schema_version: 1\nsubmitter: {department: RH-KG}\n"))]
    answers = [
        client.post(
            "/api/submissions",
            files=manifest,
            data={"corrects": sid, "reason": "fix"},
            headers=world.headers(Role.SUBMITTER),
        )
        for sid in (foreign, unknown)
    ]
    assert [a.status_code for a in answers] == [403, 403]
    assert answers[0].json()["detail"].replace(foreign, "ID") == answers[1].json()["detail"].replace(unknown, "ID")


def test_classify_show_gives_the_controlled_frequency_only_to_roles_of_that_tier(cli: Run, world: World) -> None:
    nobody = cli("classify", "show", world.classified, "--json")
    assert nobody.returncode == 0, nobody.stderr
    assert json.loads(nobody.stdout)["frequency"] is None and json.loads(nobody.stdout)["suggestions"] == []
    assert "at the controlled tier, for a clinician or steward" in cli("classify", "show", world.classified).stdout
    researcher = json.loads(cli("classify", "show", world.classified, "--json", "--as", "res-rh").stdout)
    assert researcher["frequency"] is None
    clinician = json.loads(cli("classify", "show", world.classified, "--json", "--as", "clin-rh").stdout)
    assert clinician["frequency"]["allele_number"] > 0
    assert clinician["national"] == researcher["national"]
