"""The demo's classifications on a generated demo cohort: every scenario the issue asks for is there."""

from __future__ import annotations

import datetime as dt

import pytest

from genomdb.classification.acmg import AcmgClass
from genomdb.classification.database import ClassificationDatabase
from genomdb.classification.model import AssertionStatus, ConflictState, ConsensusCategory
from genomdb.demo import DemoCohort, generate_demo
from genomdb.demo.classifications import load_demo_classifications
from genomdb.instance import Instance
from genomdb.model.catalog import SearchFilters


@pytest.fixture(scope="module")
def cohort(tmp_path_factory: pytest.TempPathFactory) -> DemoCohort:
    return generate_demo(tmp_path_factory.mktemp("demo"), n_individuals=20, seed=11, region_length_bp=100_000)


def test_the_demo_records_every_scenario_and_loading_again_changes_nothing(
    instance: Instance, cohort: DemoCohort
) -> None:
    instance.add_reference("GRCh38", cohort.reference_fasta)
    loaded = load_demo_classifications(instance, cohort.example_variant_keys)
    assert loaded.loaded and loaded.n_assertions >= 14 and loaded.n_versions > loaded.n_assertions
    scenarios = loaded.scenarios
    cohort_keys = set(cohort.example_variant_keys)
    assert (
        scenarios["opposite conflict"] in cohort_keys and scenarios["reclassified VUS → LP (recontact)"] in cohort_keys
    )

    with ClassificationDatabase(instance) as database:

        def category(name: str) -> ConsensusCategory | None:
            return database.national_view(scenarios[name]).overall.category

        assert category("benign agreement") is ConsensusCategory.AGREEMENT
        assert category("agreement after a resolved disagreement") is ConsensusCategory.AGREEMENT
        assert category("opposite conflict") is ConsensusCategory.OPPOSITE
        assert category("VUS against LP") is ConsensusCategory.NO_CONSENSUS
        assert category("classified by one lab") is ConsensusCategory.SINGLE_LAB

        states = {c.variant_key: c.state for c in database.conflicts()}
        assert states[scenarios["opposite conflict"]] is ConflictState.UNDER_DISCUSSION
        assert states[scenarios["VUS against LP"]] is ConflictState.OPEN
        assert states[scenarios["agreement after a resolved disagreement"]] is ConflictState.RESOLVED

        reclassified = scenarios["reclassified VUS → LP (recontact)"]
        history = database.history(reclassified)
        assert [v.acmg_class for v in history if v.department == "RH-KG"] == [
            AcmgClass.UNCERTAIN,
            AcmgClass.LIKELY_PATHOGENIC,
        ]
        assert [v.reason for v in history if v.department == "RH-KG"] == [None, "new segregation data"]
        then = database.national_view(reclassified, as_of=loaded.as_of_example).overall
        assert then.aggregate.value == "Uncertain significance"
        assert database.national_view(reclassified).overall.aggregate.value == "Likely pathogenic"
        assert any(c.variant_key == reclassified for c in database.crossings())

        withdrawn = database.history(scenarios["withdrawn assertion"])
        assert withdrawn[-1].status is AssertionStatus.WITHDRAWN
        assert database.national_view(scenarios["withdrawn assertion"]).overall.category is None
        assert database.as_of(dt.date(2021, 12, 31), variant=scenarios["withdrawn assertion"]) != []

    again = load_demo_classifications(instance, cohort.example_variant_keys)
    assert not again.loaded and again.n_versions == loaded.n_versions


@pytest.mark.slow
def test_recontact_worklists_come_from_the_harmonised_variant_store(instance: Instance, cohort: DemoCohort) -> None:
    from genomdb.demo.load import load_demo
    from genomdb.harmonize.run import harmonize
    from genomdb.variants.store import VariantStore

    load_demo(instance, cohort)
    harmonize(instance)
    loaded = load_demo_classifications(instance, cohort.example_variant_keys)
    assert loaded.n_worklist_entries > 0
    reclassified = loaded.scenarios["reclassified VUS → LP (recontact)"]
    carriers = {sample_id for sample_id, _ in VariantStore.of(instance).carriers(reclassified)}
    assert carriers
    with ClassificationDatabase(instance) as database:
        listed: set[str] = set()
        for department in {d.code for d in instance.catalog.departments()}:
            for worklist in database.worklists(department):
                for entry in worklist.entries:
                    sample = instance.catalog.sample(entry.sample_key)
                    assert sample.summary.department == department  # never another department's person
                    if worklist.crossing.variant_key == reclassified:
                        listed.add(entry.sample_key)
        expected = {
            summary.sample_key
            for summary in instance.catalog.search(SearchFilters(limit=100_000))
            if instance.catalog.sample(summary.sample_key).version_ids[-1][2] in carriers
        }
        assert listed == expected
