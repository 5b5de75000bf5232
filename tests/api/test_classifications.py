"""The national variant database over REST: a department writes only its own assertions (decided by the access
policy, every write in the audit log and the chain intact), the national view as of any moment, conflict cases
updated only by the departments involved, recontact worklists of the caller's own department only, bad input
named by its field and changing nothing. Runs on SQLite and PostgreSQL (the ``world`` fixture)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from fastapi.testclient import TestClient

from genomdb.access.audit import AuditLog
from genomdb.access.records import AuditEntry, AuditFilters, Role
from genomdb.classification.acmg import AcmgClass
from genomdb.classification.database import ClassificationDatabase
from tests.api.world import World, fh

PROBLEM = "application/problem+json"
API = "/api/classifications"


def _body(variant: str, acmg_class: str = "VUS", criteria: list[str] | None = None, **more: Any) -> dict[str, Any]:
    return {
        "variant": variant,
        "acmg_class": acmg_class,
        "condition": "Familial hypercholesterolemia",
        "condition_id": "MONDO:0007750",
        "inheritance": "AD",
        "criteria": ["PM2_Supporting"] if criteria is None else criteria,
        **more,
    }


def _audit(world: World, actor: str, action: str) -> list[AuditEntry]:
    return AuditLog(world.instance).search(AuditFilters(actor=actor, action=action, limit=100_000))


def _counts(world: World) -> dict[str, int]:
    with ClassificationDatabase(world.instance) as database:
        return database.counts()


def _verify(world: World) -> None:
    result = AuditLog(world.instance).verify()
    assert result.ok, result.problems


def test_a_clinician_records_for_its_own_department_with_the_combining_rule_warning_and_an_audit_entry(
    client: TestClient, world: World
) -> None:
    variant = world.fresh_variant()
    clinician = world.headers(Role.CLINICIAN)
    stored = client.post(f"{API}/assertions", json=_body(variant, "LP", gene="LDLR"), headers=clinician)
    assert stored.status_code == 201, stored.text
    body = stored.json()
    version = body["version"]
    assert (version["department"], version["version"], version["status"]) == ("RH-KG", 1, "asserted")
    assert version["variant_key"] == variant and version["vrs_allele_id"].startswith("ga4gh:VA.")
    assert version["acmg_class"] == "Likely pathogenic" and version["supported_class"] == "Uncertain significance"
    assert body["warning"] == "asserted Likely pathogenic; its criteria support Uncertain significance"
    assert body["created"] and not body["unchanged"] and body["national"]["consensus"] == "classified by one lab"
    assert stored.headers["location"] == f"{API}/assertions/{version['assertion_id']}"
    again = client.post(
        f"{API}/assertions", json=_body(variant, "LP", gene="LDLR", department="RH-KG"), headers=clinician
    )
    assert again.status_code == 200 and again.json()["unchanged"]
    entries = [e for e in _audit(world, "clin-rh", "write-classification") if e.resource_id == variant]
    assert len(entries) == 2 and {(e.decision, e.rule) for e in entries} == {("allowed", "own-department")}
    assert entries[0].resource_kind == "classification" and entries[0].actor_department == "RH-KG"
    assert entries[0].detail["department"] == "RH-KG" and entries[0].legal_basis
    _verify(world)


def test_a_department_cannot_write_reclassify_or_withdraw_for_another(client: TestClient, world: World) -> None:
    clinician = world.headers(Role.CLINICIAN)
    before = _counts(world)
    variant = world.fresh_variant()
    other = client.post(f"{API}/assertions", json=_body(variant, department="RM-KG"), headers=clinician)
    assert other.status_code == 403 and other.headers["content-type"].startswith(PROBLEM)
    assert "own-department-only" in other.json()["detail"] and "RM-KG" in other.json()["detail"]
    rm_assertion = world.assertions["RM-KG"]
    history = client.get(f"{API}/assertions/{rm_assertion}", headers=clinician).json()["versions"]
    reclassified = client.post(
        f"{API}/assertions/{rm_assertion}/versions", json={"acmg_class": "B", "reason": "x"}, headers=clinician
    )
    withdrawn = client.post(f"{API}/assertions/{rm_assertion}/withdraw", json={"reason": "x"}, headers=clinician)
    for refused in (reclassified, withdrawn):
        assert refused.status_code == 403 and "own-department-only" in refused.json()["detail"]
    assert client.get(f"{API}/assertions/{rm_assertion}", headers=clinician).json()["versions"] == history
    assert _counts(world) == before
    refusals = [e for e in _audit(world, "clin-rh", "write-classification") if e.decision == "refused"]
    assert {e.resource_id for e in refusals} >= {variant, rm_assertion}
    assert all(e.rule == "own-department-only" and e.detail["departments"] == ["RM-KG"] for e in refusals[-3:])
    own = client.post(f"{API}/assertions", json=_body(variant), headers=world.user_headers("clin-rm"))
    assert own.status_code == 201 and own.json()["version"]["department"] == "RM-KG"
    assertion_id = own.json()["version"]["assertion_id"]
    gone = client.post(
        f"{API}/assertions/{assertion_id}/withdraw",
        json={"reason": "sample mix-up"},
        headers=world.user_headers("clin-rm"),
    )
    assert gone.status_code == 200 and gone.json()["version"]["status"] == "withdrawn"
    assert gone.json()["version"]["reason"] == "sample mix-up"
    twice = client.post(
        f"{API}/assertions/{assertion_id}/withdraw", json={"reason": "again"}, headers=world.user_headers("clin-rm")
    )
    assert twice.status_code == 409
    missing = client.post(f"{API}/assertions/CLS-NOSUCH/withdraw", json={"reason": "x"}, headers=clinician)
    assert missing.status_code == 404
    _verify(world)


def test_reclassification_history_and_the_national_view_as_of_a_moment(client: TestClient, world: World) -> None:
    variant = world.fresh_variant()
    rh, rm = world.headers(Role.CLINICIAN), world.user_headers("clin-rm")
    first = client.post(f"{API}/assertions", json=_body(variant, gene="LDLR", transcript="NM_000527.5"), headers=rh)
    v1 = first.json()["version"]
    changed = client.post(
        f"{API}/assertions/{v1['assertion_id']}/versions",
        json={"acmg_class": "LP", "criteria": ["PVS1", "PM2"], "reason": "segregation in three families"},
        headers=rh,
    )
    assert changed.status_code == 201, changed.text
    v2 = changed.json()["version"]
    assert (v2["assertion_id"], v2["version"], v2["acmg_class"]) == (v1["assertion_id"], 2, "Likely pathogenic")
    assert v2["gene"] == "LDLR" and v2["transcript"] == "NM_000527.5" and v2["warning"] is None
    assert v2["reason"] == "segregation in three families" and changed.json()["crossings"]
    benign = client.post(f"{API}/assertions", json=_body(variant, "LB", ["BP4", "BS3_Supporting"]), headers=rm)
    assert benign.status_code == 201 and benign.json()["conflicts_opened"]
    view = client.get(f"{API}/variants/{variant}", headers=world.headers(Role.STEWARD)).json()
    assert view["overall"]["consensus"] == "opposite" and view["as_of"] is None
    assert view["overall"]["aggregate"] == "Conflicting classifications of pathogenicity"
    assert view["overall"]["review_status"] == "criteria provided, conflicting classifications"
    assert {(a["department"], a["acmg_class"]) for a in view["assertions"]} == {
        ("RH-KG", "Likely pathogenic"),
        ("RM-KG", "Likely benign"),
    }
    differences = {d["code"]: d["by_department"] for d in view["overall"]["criteria_differences"]}
    assert differences["PVS1"] == {"RH-KG": "PVS1", "RM-KG": None}
    assert differences["BS3"] == {"RH-KG": None, "RM-KG": "BS3_Supporting"}
    then = client.get(f"{API}/variants/{variant}", params={"as_of": v1["recorded_at"]}, headers=rh).json()
    assert [(a["acmg_class"], a["version"]) for a in then["assertions"]] == [("Uncertain significance", 1)]
    assert then["overall"]["consensus"] == "classified by one lab" and then["as_of"] is not None
    before = client.get(f"{API}/variants/{variant}?as_of=2020-01-01", headers=rh).json()
    assert before["assertions"] == [] and before["overall"]["consensus"] is None
    history = client.get(f"{API}/variants/{variant}/history", headers=world.headers(Role.SUBMITTER)).json()
    assert [(v["department"], v["version"]) for v in history["versions"]] == [("RH-KG", 1), ("RH-KG", 2), ("RM-KG", 1)]
    early = client.get(f"{API}/variants/{variant}/history", params={"as_of": v1["recorded_at"]}, headers=rh).json()
    assert [v["version"] for v in early["versions"]] == [1]
    own = client.get(f"{API}/variants/{variant}/history?department=RM-KG", headers=rh).json()
    assert [v["department"] for v in own["versions"]] == ["RM-KG"]
    bad = client.get(f"{API}/variants/{variant}?as_of=yesterday", headers=rh)
    assert bad.status_code == 400 and bad.json()["problems"][0]["field"] == "as_of"


def test_conflict_cases_are_listed_and_updated_only_by_the_departments_involved(
    client: TestClient, world: World
) -> None:
    variant = world.fresh_variant()
    with ClassificationDatabase(world.instance) as database:
        database.add("RM-KG", fh(variant, AcmgClass.PATHOGENIC, "PVS1 PS3 PM2_Supporting"))
        database.add("RSD-KG-OUH", fh(variant, AcmgClass.BENIGN, "BA1"))
    listed = client.get(f"{API}/conflicts", params={"variant": variant}, headers=world.headers(Role.SUBMITTER)).json()
    assert listed["n_conflicts"] == 1
    case = listed["conflicts"][0]
    assert case["state"] == "open" and case["category"] == "opposite"
    assert case["departments"] == ["RM-KG", "RSD-KG-OUH"]
    url = f"{API}/conflicts/{case['conflict_id']}"
    outsider = client.patch(
        url, json={"state": "resolved", "resolution": "agreed"}, headers=world.headers(Role.CLINICIAN)
    )
    assert outsider.status_code == 403 and "own-department-only" in outsider.json()["detail"]
    refused = _audit(world, "clin-rh", "update-conflict")[-1]
    assert (refused.decision, refused.resource_id) == ("refused", case["conflict_id"])
    rm = world.user_headers("clin-rm")
    for body, field in (
        ({"state": "open", "note": "x"}, "state"),
        ({"state": "closed"}, "state"),
        ({"state": "resolved", "note": "agreed"}, "resolution"),
        ({"state": "under-discussion"}, "note"),
    ):
        bad = client.patch(url, json=body, headers=rm)
        assert bad.status_code == 400 and bad.json()["problems"][0]["field"] == field, bad.text
    discussed = client.patch(url, json={"state": "under-discussion", "note": "variant forum, 12 May"}, headers=rm)
    assert discussed.status_code == 200 and discussed.json()["state"] == "under discussion"
    resolved = client.patch(url, json={"state": "resolved", "resolution": "agreed to disagree"}, headers=rm)
    assert resolved.status_code == 200, resolved.text
    case = resolved.json()
    assert case["state"] == "resolved" and case["resolution"] == "agreed to disagree"
    assert [(e["state"], e["actor"]) for e in case["events"]][-2:] == [
        ("under discussion", "clin-rm"),
        ("resolved", "clin-rm"),
    ]
    allowed = _audit(world, "clin-rm", "update-conflict")
    assert [e.detail["state"] for e in allowed[-2:]] == ["under discussion", "resolved"]
    assert all(e.decision == "allowed" and e.rule == "own-department" for e in allowed[-2:])
    still = client.patch(url, json={"state": "under discussion", "note": "again"}, headers=rm)
    assert still.status_code == 409
    done = client.get(f"{API}/conflicts?state=resolved&department=RSD-KG-OUH", headers=rm).json()["conflicts"]
    assert case["conflict_id"] in {c["conflict_id"] for c in done}
    unknown = client.get(f"{API}/conflicts?state=closed", headers=rm)
    assert unknown.status_code == 400 and unknown.json()["problems"][0]["field"] == "state"
    assert (
        client.patch(
            f"{API}/conflicts/CNF-NOSUCH", json={"state": "resolved", "resolution": "x"}, headers=rm
        ).status_code
        == 404
    )
    _verify(world)


def test_a_worklist_lists_only_the_callers_departments_persons_and_every_read_is_audited(
    client: TestClient, world: World
) -> None:
    rh_sample, rm_sample = world.samples["RH-KG"], world.samples["RM-KG"]
    own = client.get(f"{API}/worklists", headers=world.headers(Role.CLINICIAN))
    assert own.status_code == 200, own.text
    found = own.json()
    assert found["department"] == "RH-KG" and found["n_persons"] >= 1
    [worklist] = [w for w in found["worklists"] if w["crossing"]["variant_key"] == world.recontact]
    assert worklist["crossing"]["direction"] == "became actionable"
    assert [(e["pseudonym"], e["sample_key"]) for e in worklist["entries"]] == [(world.persons["RH-KG"], rh_sample)]
    entries = [e for w in found["worklists"] for e in w["entries"]]
    assert all(e["submitter_sample_id"].startswith("RH-KG-") for e in entries)
    assert rm_sample not in own.text and "RM-KG-" not in own.text
    theirs = client.get(f"{API}/worklists?variant={world.recontact}", headers=world.user_headers("clin-rm")).json()
    assert [(e["pseudonym"], e["sample_key"]) for w in theirs["worklists"] for e in w["entries"]] == [
        (world.persons["RM-KG"], rm_sample)
    ]
    asked = client.get(f"{API}/worklists?department=RM-KG", headers=world.headers(Role.CLINICIAN))
    assert asked.status_code == 403 and "own-department-only" in asked.json()["detail"]
    assert rm_sample not in asked.text and "RM-KG-" not in asked.text
    reads = AuditLog(world.instance).search(AuditFilters(person=world.persons["RH-KG"], actor="clin-rh", limit=100_000))
    worklist_reads = [e for e in reads if e.detail.get("request") == "recontact worklist"]
    assert worklist_reads and all(e.action == "read-metadata" and e.decision == "allowed" for e in worklist_reads)
    assert {e.detail["sample"] for e in worklist_reads} == {rh_sample}
    decided = _audit(world, "clin-rh", "read-worklist")
    assert {(e.resource_id, e.decision) for e in decided} >= {("RH-KG", "allowed"), ("RM-KG", "refused")}
    _verify(world)


def test_bad_input_names_the_field_and_changes_nothing(client: TestClient, world: World) -> None:
    clinician = world.headers(Role.CLINICIAN)
    fresh = world.fresh_variant()
    chrom, pos, ref, alt = fresh.split("-")
    wrong_ref = next(b for b in "ACGT" if b not in (ref, alt))
    tomorrow = (dt.datetime.now(dt.UTC).date() + dt.timedelta(days=2)).isoformat()
    before = _counts(world)
    cases: list[tuple[dict[str, Any], int, str, str]] = [
        (_body(fresh, "Probably bad"), 400, "acmg_class", "not an ACMG class"),
        (_body("chr1-abc-A-T"), 400, "variant", "not a variant key"),
        (_body("chr99-100-A-T"), 400, "variant", "not a GRCh38 primary chromosome"),
        (_body(fresh, criteria=["PM2_Supporting", "PX9"]), 400, "criteria", "unknown ACMG criterion 'PX9'"),
        (_body(fresh, criteria=["BA1_Strong"]), 400, "criteria", "cannot be applied at Strong"),
        (_body(fresh, criteria=["PM2", "PM2_Supporting"]), 400, "criteria", "more than once"),
        (_body(f"{chrom}-{pos}-{wrong_ref}-{alt}"), 400, "variant", "does not match GRCh38"),
        (_body(fresh, inheritance="sometimes"), 400, "inheritance", "unknown mode of inheritance"),
        (_body(fresh, condition_id="MONDO:12"), 400, "condition_id", "not a MONDO"),
        (_body(fresh, date=tomorrow), 400, "date", "future"),
        (_body(fresh, classs="LP"), 422, "classs", "Extra inputs"),
        ({k: v for k, v in _body(fresh).items() if k != "condition"}, 422, "condition", "Field required"),
    ]
    for body, status, field, fragment in cases:
        response = client.post(f"{API}/assertions", json=body, headers=clinician)
        assert response.status_code == status, (body, response.text)
        assert response.headers["content-type"].startswith(PROBLEM)
        problems = response.json()["problems"]
        assert field in {p["field"] for p in problems} and fragment in response.text, (body, response.text)
    located = client.post(f"{API}/assertions", json=_body(fresh, criteria=["PVS1", "PX9"]), headers=clinician).json()
    assert located["problems"][0]["location"] == "body.criteria[1]"
    several = client.post(f"{API}/assertions", json=_body(fresh, "??", criteria=["PX9"]), headers=clinician).json()
    assert {p["field"] for p in several["problems"]} == {"acmg_class", "criteria"}
    reclassified = client.post(
        f"{API}/assertions/{world.assertions['RH-KG']}/versions",
        json={"acmg_class": "maybe", "reason": "x"},
        headers=clinician,
    )
    assert reclassified.status_code == 400 and reclassified.json()["problems"][0]["field"] == "acmg_class"
    assert _counts(world) == before
    view = client.get(f"{API}/variants/{fresh}", headers=clinician).json()
    assert view["assertions"] == []
    malformed = client.get(f"{API}/variants/chr1-abc-A-T", headers=clinician)
    assert malformed.status_code == 400 and malformed.json()["problems"][0]["field"] == "variant"


def test_frequency_evidence_is_a_suggestion_for_the_controlled_tier(client: TestClient, world: World) -> None:
    absent = client.get(
        f"{API}/variants/{world.not_observed}/frequency-evidence", headers=world.headers(Role.CLINICIAN)
    )
    assert absent.status_code == 200, absent.text
    body = absent.json()
    assert body["observation"]["allele_count"] == 0 and body["observation"]["allele_number"] > 0
    assert [s["criterion"] for s in body["suggestions"]] == ["PM2_Supporting"]
    assert body["thresholds"]["gene"] is None and "never added" in body["note"]
    ldlr = client.get(
        f"{API}/variants/{world.not_observed}/frequency-evidence?gene=LDLR", headers=world.headers(Role.STEWARD)
    ).json()
    assert [s["criterion"] for s in ldlr["suggestions"]] == ["PM2"] and ldlr["thresholds"]["gene"] == "LDLR"
    submitter = client.get(
        f"{API}/variants/{world.not_observed}/frequency-evidence", headers=world.headers(Role.SUBMITTER)
    )
    assert submitter.status_code == 403 and "controlled" in submitter.json()["detail"]


def test_the_national_consensus_exports_as_tsv_and_vcf(client: TestClient, world: World) -> None:
    exported = client.get(f"{API}/export", headers=world.headers(Role.STEWARD))
    assert exported.status_code == 200 and exported.headers["content-type"].startswith("text/tab-separated-values")
    assert "attachment" in exported.headers["content-disposition"]
    lines = exported.text.splitlines()
    header = next(line for line in lines if not line.startswith("##")).lstrip("#").split("\t")
    assert header[:3] == ["variant_key", "vrs_allele_id", "genes"]
    rows = {line.split("\t")[0]: line for line in lines if line.startswith("chr")}
    assert world.classified in rows and "no consensus" in rows[world.classified]
    assert int(exported.headers["x-genomdb-variants"]) == len(rows)
    empty = client.get(f"{API}/export?as_of=2020-01-01", headers=world.headers(Role.CLINICIAN))
    assert empty.status_code == 200 and empty.headers["x-genomdb-variants"] == "0"
    vcf = client.get(f"{API}/export?format=vcf", headers=world.headers(Role.SUBMITTER))
    assert vcf.status_code == 200 and vcf.text.startswith("##fileformat=VCF")
    assert client.get(f"{API}/export?format=xlsx", headers=world.headers(Role.STEWARD)).status_code == 422
