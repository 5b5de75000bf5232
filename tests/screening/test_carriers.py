"""Carriers of a programme in the demo cohort: planted P/LP variants found with genotype and GQ, flagged when too
frequent, stored with the versions they used; diffs after a policy change and after a reclassification; the
person who does not want to know is never found; other departments read nothing."""

from __future__ import annotations

import datetime as dt

import pytest

from genomdb.access.audit import AuditLog
from genomdb.access.records import AuditFilters
from genomdb.access.users import resolve_actor
from genomdb.classification.acmg import AcmgClass, parse_criteria
from genomdb.classification.database import ClassificationDatabase
from genomdb.classification.model import Condition, InheritanceMode, NewAssertion
from genomdb.demo.users import STEWARD, clinician_name
from genomdb.errors import Forbidden
from genomdb.screening import repository, service
from genomdb.screening.diff import NEWLY, NO_LONGER
from tests.screening.conftest import ScreeningWorld


def _dnk_pseudonyms(world: ScreeningWorld) -> set[str]:
    return {p for p, facts in repository.person_facts(world.instance.db).items() if facts.does_not_want_to_know}


def test_the_shipped_caps_flag_the_planted_carriers_of_a_20_person_cohort(world: ScreeningWorld) -> None:
    run = repository.run(world.instance.db, world.shipped_runs["fh"])
    assert run.policy_version == "2026.1" and run.release_id is not None
    for key in world.planted("LDLR"):
        assert run.classification_versions.get(key)
    flagged = set(run.flagged_variants)
    found = repository.findings(world.instance.db, run.run_id, listable_only=False)
    planted_findings = [f for f in found if set(f.variant_keys) & set(world.planted("LDLR"))]
    assert planted_findings and all(not f.reported and f.flag_reason for f in planted_findings)
    assert {k for f in planted_findings for k in f.variant_keys} <= flagged
    assert "maximum credible frequency" in next(iter(run.flagged_variants.values()))


def test_carriers_come_with_genotype_and_gq_and_the_person_who_does_not_want_to_know_is_never_found(
    world: ScreeningWorld,
) -> None:
    db = world.instance.db
    dnk = _dnk_pseudonyms(world)
    assert len(dnk) == 1  # stated in the demo manifest
    by_key: dict[str, list[str]] = {}
    for programme in ("fh", "breast-cancer"):
        for run_id in (world.shipped_runs[programme], world.baseline_runs[programme]):
            for finding in repository.findings(db, run_id, listable_only=False):
                assert finding.pseudonym not in dnk
                for call in finding.variants:
                    by_key.setdefault(call.variant_key, []).append(finding.pseudonym)
                    assert call.genotype in ("0/1", "1/1") and call.gq is not None and call.gq >= 0
    c81, c1775 = world.planted("LDLR")
    [brca2] = world.planted("BRCA2")
    assert len(set(by_key[c81])) == 2  # mother and child
    assert len(set(by_key[brca2])) == 2  # father and child
    assert len(set(by_key[c1775])) == 1  # one sibling; the unrelated carrier does not want to know


def test_a_policy_change_shows_newly_actionable_carriers_with_the_reason(world: ScreeningWorld) -> None:
    before, after = world.shipped_runs["fh"], world.baseline_runs["fh"]
    newly = {}
    for department in {d.code for d in world.instance.catalog.departments()}:
        clinician = resolve_actor(world.instance, clinician_name(department))
        changes = service.diff(world.instance, clinician, before, after)
        for change in changes.changes:
            assert change.finding.department == department or change.finding.region == clinician.region
            newly[change.finding.pseudonym] = change
    planted = set(world.planted("LDLR"))
    carriers = [c for c in newly.values() if set(c.finding.variant_keys) & planted]
    assert len(carriers) == 3
    assert all(c.direction == NEWLY and "policy 2026.1 → 2026.1-test" in c.reasons for c in carriers)


def _classify(world: ScreeningWorld, key: str, acmg_class: AcmgClass, criteria: str) -> None:
    with ClassificationDatabase(world.instance) as database:
        for department in ("RH-KG", "RM-KG"):
            database.add(
                department,
                NewAssertion(
                    variant=key,
                    acmg_class=acmg_class,
                    condition=Condition("Familial hypercholesterolemia", "OMIM:143890"),
                    inheritance=InheritanceMode.AUTOSOMAL_DOMINANT,
                    criteria=parse_criteria(criteria),
                    evidence="test",
                    classifier="test",
                    asserted_on=dt.date(2026, 12, 1),
                    gene="LDLR",
                    reason="test reclassification",
                ),
                source="test",
            )


def test_a_reclassification_shows_no_longer_then_newly_actionable(world: ScreeningWorld) -> None:
    steward = resolve_actor(world.instance, STEWARD)
    _, c1775 = world.planted("LDLR")
    before = service.latest_run(world.instance, "fh")
    _classify(world, c1775, AcmgClass.UNCERTAIN, "PM2_Supporting")
    try:
        middle = service.run_programme(world.instance, steward, "fh")
        assert middle.n_no_longer_actionable == 1
    finally:
        _classify(world, c1775, AcmgClass.PATHOGENIC, "PS3 PS4 PM2_Supporting PP1 PP3")
    after = service.run_programme(world.instance, steward, "fh")
    assert after.n_newly_actionable == 1
    carrier = next(f for f in repository.findings(world.instance.db, after.run.run_id) if c1775 in f.variant_keys)
    clinician = resolve_actor(world.instance, clinician_name(carrier.department))
    [gone] = service.diff(world.instance, clinician, before.run_id, middle.run.run_id).changes
    assert gone.direction == NO_LONGER and gone.finding.pseudonym == carrier.pseudonym
    assert any(reason.startswith(f"{c1775} reclassified") for reason in gone.reasons)
    [back] = service.diff(world.instance, clinician, middle.run.run_id, after.run.run_id).changes
    assert back.direction == NEWLY and back.finding.pseudonym == carrier.pseudonym


def test_a_run_as_of_a_day_before_the_classifications_finds_nothing_of_them(world: ScreeningWorld) -> None:
    steward = resolve_actor(world.instance, STEWARD)
    outcome = service.run_programme(world.instance, steward, "breast-cancer", as_of=dt.date(2020, 1, 1))
    assert outcome.run.as_of is not None and outcome.run.as_of.date() == dt.date(2020, 1, 1)
    assert outcome.run.n_reported == outcome.run.n_flagged == 0 and outcome.run.classification_versions == {}
    service.run_programme(world.instance, steward, "breast-cancer")  # back to now for the other tests


def test_results_go_to_the_person_s_department_only_and_every_read_is_audited(world: ScreeningWorld) -> None:
    run = repository.run(world.instance.db, world.baseline_runs["breast-cancer"])
    [carrier, *_] = [f for f in repository.findings(world.instance.db, run.run_id) if f.reported]
    own = resolve_actor(world.instance, clinician_name(carrier.department))
    _, found = service.worklist(world.instance, own, "breast-cancer", run_id=run.run_id)
    assert carrier.pseudonym in {f.pseudonym for f in found}
    other_department = next(d for d in world.instance.catalog.departments() if d.region.code != carrier.region)
    other = resolve_actor(world.instance, clinician_name(other_department.code))
    _, seen = service.worklist(world.instance, other, "breast-cancer", run_id=run.run_id)
    assert carrier.pseudonym not in {f.pseudonym for f in seen}
    audit = AuditLog(world.instance)
    allowed = audit.search(AuditFilters(person=carrier.pseudonym, actor=own.username, action="read-data"))
    refused = audit.search(AuditFilters(person=carrier.pseudonym, actor=other.username, action="read-data"))
    assert any(e.decision == "allowed" and e.detail.get("request") == "screening worklist" for e in allowed)
    assert any(e.decision == "refused" and e.detail.get("request") == "screening worklist" for e in refused)
    with pytest.raises(Forbidden):
        service.worklist(world.instance, resolve_actor(world.instance, STEWARD), "breast-cancer")
