"""The national variant database on SQLite and PostgreSQL: versions, as-of queries, withdrawal, conflict cases."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest

from genomdb.classification.acmg import AcmgClass, parse_criteria
from genomdb.classification.database import ClassificationDatabase
from genomdb.classification.frequency_evidence import FrequencyObservation, FrequencyThresholds
from genomdb.classification.model import (
    AssertionStatus,
    Condition,
    ConflictState,
    ConsensusCategory,
    InheritanceMode,
    NewAssertion,
)
from genomdb.errors import Conflict, Forbidden, InvalidInput, NotFound
from genomdb.instance import Instance
from tests.classification.conftest import Clock, snv

FH = Condition("Familial hypercholesterolemia", "MONDO:0007750")
P, LP, VUS, LB, B = (
    AcmgClass.PATHOGENIC,
    AcmgClass.LIKELY_PATHOGENIC,
    AcmgClass.UNCERTAIN,
    AcmgClass.LIKELY_BENIGN,
    AcmgClass.BENIGN,
)


def assertion(variant: str, acmg_class: AcmgClass, criteria: str = "", **changes: object) -> NewAssertion:
    base = NewAssertion(
        variant=variant,
        acmg_class=acmg_class,
        condition=FH,
        inheritance=InheritanceMode.AUTOSOMAL_DOMINANT,
        criteria=parse_criteria(criteria),
        evidence="segregates in two families",
        classifier="AB",
        gene="LDLR",
        transcript="NM_000527.5",
    )
    return dataclasses.replace(base, **changes)  # type: ignore[arg-type]


@pytest.fixture
def key(reference_sequences: dict[str, str]) -> str:
    return snv(reference_sequences, "chr19", 5_000)


def test_an_assertion_is_stored_with_its_vrs_id_and_the_class_its_criteria_support(
    database: ClassificationDatabase, key: str
) -> None:
    outcome = database.add("RH-KG", assertion(key, P, "PVS1 PM2_Supporting"))
    version = outcome.version
    assert outcome.created and not outcome.unchanged and version.version == 1
    assert version.vrs_allele_id.startswith("ga4gh:VA.") and len(version.vrs_allele_id) == 41
    assert version.supported_class is VUS
    assert version.warning == "asserted Pathogenic; its criteria support Uncertain significance"
    assert version.asserted_on == dt.date(2024, 1, 1) and version.source == "api"
    assert outcome.national.overall.category is ConsensusCategory.SINGLE_LAB
    by_id = database.national_view(version.vrs_allele_id)
    assert by_id.variant_key == key and by_id.assertions == (version,)


def test_the_same_content_again_writes_nothing(database: ClassificationDatabase, key: str, clock: Clock) -> None:
    first = database.add("RH-KG", assertion(key, LP, "PVS1 PM2"))
    clock.advance(days=1)
    again = database.add("RH-KG", assertion(key, LP, "PM2 PVS1", asserted_on=dt.date(2024, 1, 1)))
    assert again.unchanged and again.version == first.version
    assert database.counts()["versions"] == 1


def test_a_reclassification_is_a_new_version_and_as_of_answers_what_was_said_then(
    database: ClassificationDatabase, key: str, clock: Clock
) -> None:
    database.add("RH-KG", assertion(key, VUS, "PM2_Supporting", asserted_on=dt.date(2023, 12, 20)))
    clock.advance(days=30, hours=5)  # 2024-01-31 14:00
    reclassified = database.add(
        "RH-KG", assertion(key, LP, "PM2_Supporting PS4 PP1_Strong", reason="two more families segregate")
    )
    assert reclassified.version.version == 2 and not reclassified.created
    history = database.history(key)
    assert [(v.version, v.acmg_class) for v in history] == [(1, VUS), (2, LP)]
    assert history[1].reason == "two more families segregate"

    assert database.as_of(dt.date(2023, 12, 31), variant=key) == []  # nothing recorded yet (transaction time)
    assert [v.acmg_class for v in database.as_of(dt.date(2024, 1, 30), variant=key)] == [VUS]
    assert [v.acmg_class for v in database.as_of(dt.date(2024, 1, 31), variant=key)] == [LP]
    before_noon = dt.datetime(2024, 1, 31, 12, 0, tzinfo=dt.UTC)
    assert [v.acmg_class for v in database.as_of(before_noon, variant=key)] == [VUS]
    assert database.national_view(key, as_of=before_noon).overall.aggregate.value == "Uncertain significance"
    # valid time: as known now, what had the department asserted by 2024-01-15?
    assert [v.acmg_class for v in database.as_of(clock.now, variant=key, valid_on=dt.date(2024, 1, 15))] == [VUS]
    assert [v.version for v in database.history(key, as_of=dt.date(2024, 1, 1))] == [1]


def test_as_of_for_a_department(
    database: ClassificationDatabase, reference_sequences: dict[str, str], clock: Clock
) -> None:
    first, second = snv(reference_sequences, "chr19", 6_000), snv(reference_sequences, "chr13", 700)
    database.add("RM-KG", assertion(first, B, "BA1"))
    clock.advance(days=2)
    database.add("RM-KG", assertion(second, LB, "BS1 BP4"))
    database.add("RH-KG", assertion(second, LB, "BS1 BP4"))
    assert [v.variant_key for v in database.as_of(dt.date(2024, 1, 1), department="RM-KG")] == [first]
    assert {v.variant_key for v in database.as_of(clock.now, department="RM-KG")} == {first, second}
    assert [v.department for v in database.history(department="RH-KG")] == ["RH-KG"]


def test_withdrawal_is_a_version_and_only_the_owner_may_withdraw(
    database: ClassificationDatabase, key: str, clock: Clock
) -> None:
    added = database.add("RH-KG", assertion(key, LP, "PVS1 PM2")).version
    database.add("RM-KG", assertion(key, LP, "PVS1 PM2"))
    clock.advance(days=1)
    with pytest.raises(Forbidden):
        database.withdraw(added.assertion_id, department="RM-KG", reason="not ours")
    withdrawn = database.withdraw(added.assertion_id, department="RH-KG", reason="sample swap", classifier="CD")
    assert withdrawn.version.status is AssertionStatus.WITHDRAWN and withdrawn.version.version == 2
    assert withdrawn.national.overall.n_departments == 1
    with pytest.raises(Conflict, match="already withdrawn"):
        database.withdraw(added.assertion_id, department="RH-KG", reason="again")
    assert [v.department for v in database.as_of(clock.now, variant=key)] == ["RM-KG"]
    assert {v.department for v in database.as_of(dt.date(2024, 1, 1), variant=key)} == {"RH-KG", "RM-KG"}
    clock.advance(days=1)
    restored = database.add("RH-KG", assertion(key, LP, "PVS1 PM2"))
    assert restored.version.version == 3 and restored.version.status is AssertionStatus.ASSERTED
    with pytest.raises(InvalidInput):
        database.withdraw(added.assertion_id, department="RH-KG", reason=" ")


def test_conflict_cases_open_change_and_resolve(database: ClassificationDatabase, key: str, clock: Clock) -> None:
    database.add("RH-KG", assertion(key, LP, "PVS1 PM2"))
    clock.advance(days=1)
    opened = database.add("RM-KG", assertion(key, VUS, "PM2_Supporting"))
    [case_id] = opened.effects.conflicts_opened
    case = database.conflicts()[0]
    assert case.conflict_id == case_id and case.category is ConsensusCategory.NO_CONSENSUS
    assert case.departments == ("RH-KG", "RM-KG") and case.state is ConflictState.OPEN
    assert case.classes == (("RH-KG", "LP"), ("RM-KG", "VUS"))
    assert case.opened_by.endswith("/v1") and "no consensus" in case.events[0].note

    clock.advance(days=1)
    discussed = database.discuss_conflict(case_id, actor="RH-KG AB", note="meeting on 2024-01-10")
    assert discussed.state is ConflictState.UNDER_DISCUSSION

    clock.advance(days=1)
    changed = database.add("RN-KG", assertion(key, LB, "BS1 BP4"))
    assert changed.effects.conflicts_updated == (case_id,) and not changed.effects.conflicts_opened
    case = database.conflicts(variant=key)[0]
    assert case.category is ConsensusCategory.OPPOSITE and case.state is ConflictState.UNDER_DISCUSSION
    assert database.conflicts(department="RN-KG") == [case]
    assert database.conflicts(states=[ConflictState.RESOLVED]) == []

    clock.advance(days=5)
    database.add("RN-KG", assertion(key, LP, "PVS1 PM2", reason="functional study"))
    resolved = database.add("RM-KG", assertion(key, LP, "PVS1 PM2", reason="agreed at meeting"))
    assert resolved.effects.conflicts_resolved == (case_id,)
    case = database.conflicts()[0]
    assert case.state is ConflictState.RESOLVED and case.resolution is not None
    assert "consensus reached" in case.resolution and case.resolved_at == clock.now
    assert [e.state for e in case.events] == [
        ConflictState.OPEN,
        ConflictState.UNDER_DISCUSSION,
        ConflictState.UNDER_DISCUSSION,
        ConflictState.UNDER_DISCUSSION,
        ConflictState.RESOLVED,
    ]


def test_a_resolved_disagreement_does_not_reopen_until_it_changes(
    database: ClassificationDatabase, key: str, clock: Clock
) -> None:
    database.add("RH-KG", assertion(key, P, "PVS1 PS4"))
    case_id = database.add("RSJ-KG", assertion(key, LB, "BS1 BP4")).effects.conflicts_opened[0]
    clock.advance(days=1)
    resolved = database.resolve_conflict(
        case_id, actor="steering group", resolution="agreed to disagree: RSJ-KG sees a different founder"
    )
    assert resolved.state is ConflictState.RESOLVED
    with pytest.raises(Conflict):
        database.discuss_conflict(case_id, actor="x", note="reopen?")
    clock.advance(days=1)
    same = database.add("RSJ-KG", assertion(key, B, "BS1 BS2", reason="more controls"))  # still LB/B: same dispute
    assert same.effects.conflicts_opened == ()
    clock.advance(days=1)
    new = database.add("RM-KG", assertion(key, VUS))
    assert len(new.effects.conflicts_opened) == 1
    assert [c.state for c in database.conflicts()] == [ConflictState.RESOLVED, ConflictState.OPEN]
    with pytest.raises(InvalidInput):
        database.resolve_conflict(new.effects.conflicts_opened[0], actor="x", resolution="")


def test_versions_are_recorded_in_time_order(database: ClassificationDatabase, key: str, clock: Clock) -> None:
    database.add("RH-KG", assertion(key, VUS))
    clock.advance(days=-1)
    with pytest.raises(Conflict, match="time order"):
        database.add("RH-KG", assertion(key, LP, "PVS1 PM2"))


def test_bad_input_is_refused_with_the_reason(database: ClassificationDatabase, key: str) -> None:
    with pytest.raises(NotFound):
        database.add("XX-NOPE", assertion(key, VUS))
    chrom, pos, ref, alt = key.split("-")
    wrong_ref = f"{chrom}-{pos}-{alt}-{ref}"
    with pytest.raises(InvalidInput) as error:
        database.add("RH-KG", assertion(wrong_ref, VUS))
    assert "does not match GRCh38" in str(error.value)
    with pytest.raises(InvalidInput, match="future"):
        database.add("RH-KG", assertion(key, VUS, asserted_on=dt.date(2030, 1, 1)))
    assert database.counts()["versions"] == 0


def test_indels_are_stored_under_their_normalised_key(database: ClassificationDatabase) -> None:
    outcome = database.add("RH-KG", assertion("chr19-1005-AA-A", LP, "PVS1 PM2", gene="LDLR"))
    assert outcome.version.variant_key == "chr19-1000-CA-C"
    same = database.national_view("chr19-1009-AA-A")
    assert same.variant_key == "chr19-1000-CA-C" and len(same.assertions) == 1


class FixedFrequency:
    def __init__(self, observation: FrequencyObservation | None) -> None:
        self.observation = observation

    def lookup(self, variant_key: str) -> FrequencyObservation | None:
        return self.observation


def test_frequency_evidence_is_only_ever_a_suggestion(referenced: Instance, key: str, clock: Clock) -> None:
    source = FixedFrequency(FrequencyObservation(40, 10_000, 0.0031, release="REL-1"))
    with ClassificationDatabase(referenced, clock=clock, frequency=source) as database:  # type: ignore[arg-type]
        database.add("RH-KG", assertion(key, VUS, "PM2_Supporting", gene="LDLR"))
        report = database.show(key)
        assert [s.criterion.label for s in report.suggestions] == ["BS1"]  # LDLR: FAF95 > 0.2%
        assert [c.label for c in report.national.assertions[0].criteria] == ["PM2_Supporting"]
        database.set_frequency_thresholds(FrequencyThresholds("LDLR", 0.01, 0.005, 0.0002, "PM2", "local panel"))
        assert database.frequency_evidence(key, gene="LDLR")[1] == ()
        assert database.frequency_thresholds("ldlr").source == "local panel"
        source.observation = FrequencyObservation(0, 10_000, None)
        _, suggestions = database.frequency_evidence(key, gene="BRCA2")
        assert [s.criterion.label for s in suggestions] == ["PM2_Supporting"]


def test_without_a_frequency_release_there_is_no_frequency_evidence(
    database: ClassificationDatabase, referenced: Instance, key: str
) -> None:
    from genomdb.classification.frequency_lookup import national_frequency

    database.add("RH-KG", assertion(key, VUS))
    assert national_frequency(referenced, key) is None
    report = database.show(key)
    assert report.frequency is None and report.suggestions == ()
