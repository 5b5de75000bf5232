"""Recontact worklists: when the national view crosses P/LP, each department gets its own carriers — only those."""

from __future__ import annotations

from pathlib import Path

import pytest

from genomdb.classification.acmg import AcmgClass, parse_criteria
from genomdb.classification.database import ClassificationDatabase
from genomdb.classification.model import AggregateTerm, Condition, CrossingDirection, InheritanceMode, NewAssertion
from genomdb.classification.recontact import NoCarriers, VariantStoreCarriers, default_carrier_source
from genomdb.instance import Instance
from tests.classification.conftest import Clock, snv
from tests.classification.store_kit import Call, ParquetCarriers, people, sample_ids, submit_department, write_batch

FH = Condition("Familial hypercholesterolemia", "MONDO:0007750")


def fh(variant: str, acmg_class: AcmgClass, criteria: str) -> NewAssertion:
    return NewAssertion(
        variant, acmg_class, FH, InheritanceMode.AUTOSOMAL_DOMINANT, parse_criteria(criteria), gene="LDLR"
    )


class BatchGlobs:
    """The two things VariantStoreCarriers asks of the variant store, over batches written by ``write_batch``."""

    def __init__(self, home: Path) -> None:
        self._home = home

    def calls_glob(self) -> list[str]:
        return [
            str(batch / "calls" / "chrom=*" / "*.parquet")
            for batch in sorted((self._home / "variants" / "batches").glob("*"))
        ]

    def carriers(self, variant_key: str, *, current_only: bool) -> list[tuple[int, int]]:
        return ParquetCarriers(self._home).carriers(variant_key)


@pytest.fixture
def cohort(referenced: Instance, tmp_path: Path) -> dict[str, dict[str, int]]:
    """Three RH-KG and two RM-KG persons with samples in the catalog (RSJ-KG submitted nobody)."""
    return {
        "RH-KG": submit_department(referenced, tmp_path / "rh", "RH-KG", people("RH", 3, year2=71)),
        "RM-KG": submit_department(referenced, tmp_path / "rm", "RM-KG", people("RM", 2, year2=82)),
    }


def test_worklists_list_each_department_s_own_carriers_only(
    referenced: Instance, cohort: dict[str, dict[str, int]], reference_sequences: dict[str, str], clock: Clock
) -> None:
    key = snv(reference_sequences, "chr19", 7_000)
    other = snv(reference_sequences, "chr19", 7_100)
    rh, rm = cohort["RH-KG"], cohort["RM-KG"]
    home = referenced.settings.resolved_home()
    write_batch(
        home,
        "B-1",
        [
            Call(rh["RH-S000"], key, alt_count=1),
            Call(rh["RH-S002"], key, alt_count=2),
            Call(rm["RM-S001"], key, alt_count=1),
            Call(rm["RM-S000"], key, alt_count=1, passes=False),  # fails the genotype filters: not a carrier
            Call(rh["RH-S001"], other, alt_count=1),
        ],
    )
    carriers = VariantStoreCarriers(BatchGlobs(home))  # type: ignore[arg-type]
    assert carriers.carriers_many([key, other, "chr19-1-A-C"]) == {
        key: [(rh["RH-S000"], 1), (rh["RH-S002"], 2), (rm["RM-S001"], 1)],
        other: [(rh["RH-S001"], 1)],
        "chr19-1-A-C": [],
    }
    with ClassificationDatabase(referenced, carriers=carriers, clock=clock) as database:
        became = database.add("RSJ-KG", fh(key, AcmgClass.LIKELY_PATHOGENIC, "PVS1 PM2"))
        [crossing] = became.effects.crossings
        assert crossing.direction is CrossingDirection.BECAME_ACTIONABLE
        assert (crossing.before, crossing.after) == (AggregateTerm.NOT_CLASSIFIED, AggregateTerm.LIKELY_PATHOGENIC)
        assert crossing.trigger == f"{became.version.assertion_id}/v1" and became.effects.n_worklist_entries == 3

        [rh_list] = database.worklists("RH-KG")
        assert rh_list.crossing == crossing
        assert [(e.submitter_sample_id, e.alt_count) for e in rh_list.entries] == [("RH-S000", 1), ("RH-S002", 2)]
        assert all(e.pseudonym.startswith("GDB-") for e in rh_list.entries)
        [rm_list] = database.worklists("RM-KG")
        assert [e.submitter_sample_id for e in rm_list.entries] == ["RM-S001"]
        assert database.worklists("RSJ-KG") == []  # it classified the variant but submitted no carrier

        clock.advance(days=3)
        agreeing = database.add("RH-KG", fh(key, AcmgClass.PATHOGENIC, "PVS1 PS4 PM2"))
        assert agreeing.effects.crossings == ()  # LP → P/LP: still actionable, no new worklist

        clock.advance(days=3)
        dropped = database.add("RM-KG", fh(key, AcmgClass.UNCERTAIN, "PM2_Supporting"))
        [crossing_back] = dropped.effects.crossings
        assert crossing_back.direction is CrossingDirection.NO_LONGER_ACTIONABLE
        assert crossing_back.after is AggregateTerm.CONFLICTING
        rh_lists = database.worklists("RH-KG", variant=key)
        assert [w.crossing.direction for w in rh_lists] == [
            CrossingDirection.BECAME_ACTIONABLE,
            CrossingDirection.NO_LONGER_ACTIONABLE,
        ]
        for department, own in cohort.items():
            listed = {e.sample_key for w in database.worklists(department) for e in w.entries}
            own_keys = {referenced.catalog.sample(sample).summary.sample_key for sample in own}
            assert listed <= own_keys, department
        assert database.crossings(variant=key) == [crossing, crossing_back]


def test_a_carrier_in_an_older_version_of_a_sample_is_listed_with_its_current_version(
    referenced: Instance,
    cohort: dict[str, dict[str, int]],
    reference_sequences: dict[str, str],
    clock: Clock,
    tmp_path: Path,
) -> None:
    key = snv(reference_sequences, "chr19", 7_200)
    old_id = cohort["RM-KG"]["RM-S000"]
    submission = referenced.catalog.sample("RM-S000").summary.submission_id
    manifest = tmp_path / "rm" / "manifest.yaml"
    manifest.write_text(manifest.read_text().replace("tissue: blood", "tissue: saliva"))
    from genomdb.ingest.submit import submit_manifest

    submit_manifest(referenced, manifest, corrects=submission, reason="tissue")
    new_id = sample_ids(referenced, "RM-KG")["RM-S000"]
    assert new_id != old_id
    home = referenced.settings.resolved_home()
    write_batch(home, "B-old", [Call(old_id, key)])
    with ClassificationDatabase(referenced, carriers=ParquetCarriers(home), clock=clock) as database:
        database.add("RM-KG", fh(key, AcmgClass.PATHOGENIC, "PVS1 PS4"))
        [worklist] = database.worklists("RM-KG")
        [entry] = worklist.entries
        assert entry.submitter_sample_id == "RM-S000"
        assert entry.sample_key == referenced.catalog.sample("RM-S000").summary.sample_key


def test_the_instance_s_variant_store_is_the_default_source(referenced: Instance) -> None:
    source = default_carrier_source(referenced)
    assert not isinstance(source, NoCarriers)
    assert list(source.carriers("chr19-7000-A-G")) == []
