"""``/api/screening`` and the browser pages over the same service: roles, the one access policy, bad input refused
with nothing changed — and persons who do not want to know, or opted out of research, never listed on any surface
(CLI, REST, web page), whether the flag came through data-in or from a steward."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator

import pytest
import yaml
from fastapi.testclient import TestClient

from genomdb.api.app import create_app
from genomdb.api.settings import ServiceSettings
from genomdb.demo.users import STEWARD, clinician_name
from genomdb.ingest.submit import submit_manifest
from genomdb.screening import repository, service
from tests.ingest import formats_factory as ff
from tests.screening.conftest import Run, ScreeningWorld


@pytest.fixture
def client(world: ScreeningWorld) -> Iterator[TestClient]:
    app = create_app(world.instance.settings, ServiceSettings(), instance=world.instance)
    with TestClient(app) as test_client:
        yield test_client


def _listed_carrier(world: ScreeningWorld) -> tuple[str, str]:
    """A planted FH carrier reported in the newest run, with relatives on the worklist (newly actionable between the
    world's shipped-policy run and its test-policy run): (pseudonym, department)."""
    run = service.latest_run(world.instance, "fh")
    entries = repository.relatives(world.instance.db, programme="fh")
    indexes = {e.index_pseudonym for e in entries}
    planted = set(world.planted("LDLR"))
    carrier = next(
        f
        for f in repository.findings(world.instance.db, run.run_id)
        if f.reported and f.pseudonym in indexes and set(f.variant_keys) & planted
    )
    return carrier.pseudonym, carrier.department


def _surfaces(
    world: ScreeningWorld, client: TestClient, genomdb: Run, department: str, pseudonym: str
) -> dict[str, str]:
    """What a clinician of the department sees of the FH programme on every surface, as text (the family page: its
    status, 200 when the person is listed)."""
    user = clinician_name(department)
    runs = (world.shipped_runs["fh"], world.baseline_runs["fh"])
    headers = world.headers(user)
    return {
        "cli worklist": genomdb(world, "screen", "worklist", "fh", "--as", user, "--tsv").stdout,
        "cli cascade": genomdb(world, "screen", "cascade", "--as", user, "--tsv").stdout,
        "rest worklist": client.get("/api/screening/worklists/fh", headers=headers).text,
        "rest cascade": client.get("/api/screening/cascade", headers=headers).text,
        "web worklist": client.get("/screening/fh", headers=headers).text,
        "cli diff": genomdb(world, "screen", "diff", *runs, "--as", user, "--tsv").stdout,
        "rest diff": client.get("/api/screening/runs/{}/diff/{}".format(*runs), headers=headers).text,
        "web family": str(client.get(f"/screening/family/{pseudonym}", headers=headers).status_code),
    }


def _resubmit_person(world: ScreeningWorld, pseudonym: str, department: str, name: str, **flags: bool) -> None:
    """Data-in: the department submits one more sample of a person genomdb knows, stating the flags."""
    folder = world.folder / f"resubmit-{name}"
    folder.mkdir()
    path = ff.write_vcf(
        folder / "s.vcf.gz", [ff.vcf_line("chr19", 5_000, "A", "G")], contigs=ff.grch38_vcf_contigs(), samples=(name,)
    )
    document = {
        "schema_version": 1,
        "submitter": {"department": department},
        "title": f"flags of one person ({name})",
        "individuals": [{"id": "p1", "pseudonym": pseudonym, **flags}],
        "samples": [{"id": name, "individual": "p1", "tissue": "blood"}],
        "files": [
            {"id": "f1", "path": path.name, "format": "VCF", "sha256": hashlib.sha256(path.read_bytes()).hexdigest()}
        ],
        "analyses": [
            {
                "id": "a1",
                "samples": [name],
                "pipeline": {"name": "gatk", "version": "4.5.0"},
                "reference_build": "GRCh38",
                "outputs": ["f1"],
            }
        ],
    }
    manifest = folder / "manifest.yaml"
    manifest.write_text(yaml.safe_dump(document, sort_keys=False))
    submit_manifest(world.instance, manifest)


def test_does_not_want_to_know_and_research_opt_out_are_never_listed_on_any_surface(
    world: ScreeningWorld, client: TestClient, genomdb: Run
) -> None:
    pseudonym, department = _listed_carrier(world)

    def visible() -> dict[str, bool]:
        found = _surfaces(world, client, genomdb, department, pseudonym)
        return {k: (v == "200" if k == "web family" else pseudonym in v) for k, v in found.items()}

    assert all(visible().values()), visible()

    suffix = "pg" if world.instance.settings.database_url else "lite"
    _resubmit_person(world, pseudonym, department, f"DNK-{suffix}", does_not_want_to_know=True)
    assert not any(visible().values()), visible()

    cleared = genomdb(world, "screen", "dnk", "clear", pseudonym, "--as", STEWARD)
    assert cleared.returncode == 0, cleared.stderr
    assert all(visible().values()), visible()

    response = client.put(
        f"/api/screening/persons/{pseudonym}/does-not-want-to-know",
        json={"does_not_want_to_know": True},
        headers=world.headers(STEWARD),
    )
    assert response.status_code == 200 and response.json()["changed"] is True
    assert not any(visible().values()), visible()
    assert genomdb(world, "screen", "dnk", "clear", pseudonym, "--as", STEWARD).returncode == 0

    _resubmit_person(world, pseudonym, department, f"OPT-{suffix}", research_opt_out=True)
    assert not any(visible().values()), visible()
    _resubmit_person(world, pseudonym, department, f"BACK-{suffix}", research_opt_out=False)
    assert all(visible().values()), visible()


def test_roles_the_one_access_policy_and_audit(world: ScreeningWorld, client: TestClient) -> None:
    assert client.get("/api/screening/worklists/fh").status_code == 401
    assert client.get("/api/screening/worklists/fh", headers=world.headers(STEWARD)).status_code == 403
    programmes = client.get("/api/screening/programmes", headers=world.headers(STEWARD)).json()
    assert {p["programme"] for p in programmes} == {"fh", "breast-cancer"}
    pseudonym, department = _listed_carrier(world)
    own = client.get("/api/screening/worklists/fh", headers=world.headers(clinician_name(department))).json()
    assert pseudonym in {f["pseudonym"] for f in own["findings"]}
    home_region = world.instance.catalog.department(department)
    assert home_region is not None
    other = next(d.code for d in world.instance.catalog.departments() if d.region.code != home_region.region.code)
    theirs = client.get("/api/screening/worklists/fh", headers=world.headers(clinician_name(other))).json()
    assert pseudonym not in {f["pseudonym"] for f in theirs["findings"]}
    assert (
        client.post(
            "/api/screening/runs", json={"programme": "fh"}, headers=world.headers(clinician_name(department))
        ).status_code
        == 403
    )
    page = client.get("/screening/fh", headers=world.headers(STEWARD))
    assert page.status_code == 403 and "clinical roles" in page.text
    assert client.get("/screening/fh", follow_redirects=False).status_code == 303  # to the login page


def test_bad_input_over_rest_is_refused_with_nothing_changed(world: ScreeningWorld, client: TestClient) -> None:
    before = repository.counts(world.instance.db)
    steward = world.headers(STEWARD)
    response = client.put("/api/screening/capacity/RH/fh", json={"monthly_capacity": "many"}, headers=steward)
    assert response.status_code == 400 and "not a number" in response.text
    bad = yaml.safe_load(yaml.safe_dump(service.current_policy(world.instance, "fh").document))
    bad["policy_version"] = "2027.1"
    bad["genes"]["LDLR"]["rule"] = "sometimes"
    response = client.put(
        "/api/screening/programmes/fh/policy",
        json={"yaml": yaml.safe_dump(bad), "name": "edited.yaml"},
        headers=steward,
    )
    assert response.status_code == 400 and "genes.LDLR.rule" in response.text and "sometimes" in response.text
    _pseudonym, department = _listed_carrier(world)
    clinician = world.headers(clinician_name(department))
    entry = next(
        e
        for e in client.get("/api/screening/cascade", headers=clinician).json()["relatives"]
        if e["status"] == "to_invite"
    )
    response = client.post(
        f"/api/screening/cascade/{entry['entry_id']}/status", json={"status": "tested"}, headers=clinician
    )
    assert response.status_code == 400 and "skips a step" in response.text
    assert repository.counts(world.instance.db) == before
    ok = client.post(
        f"/api/screening/cascade/{entry['entry_id']}/status", json={"status": "invited"}, headers=clinician
    )
    assert ok.status_code == 200 and ok.json()["status"] == "invited"


def test_the_family_page_lists_relatives_first_degree_first(world: ScreeningWorld, client: TestClient) -> None:
    pseudonym, department = _listed_carrier(world)
    page = client.get(f"/screening/family/{pseudonym}", headers=world.headers(clinician_name(department)))
    assert page.status_code == 200
    assert 'id="relatives"' in page.text and "Yield:" in page.text
    for entry in repository.relatives(world.instance.db, index=pseudonym):
        assert entry.relative_pseudonym in page.text
