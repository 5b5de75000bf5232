"""Coverage layers: increments stack on hard-linked layers, fold back into one, and read as their sum."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from tests.frequency.batches import SimCohort, member, simulate_cohort, write_batch
from tests.frequency.conftest import BuildRelease, cohort_labels

from genomdb.errors import IntegrityError
from genomdb.frequency import coverage
from genomdb.frequency.coverage import LayerInfo, should_fold
from genomdb.frequency.keys import VariantKey
from genomdb.frequency.lookup import ReleaseReader
from genomdb.frequency.manifest import read_manifest
from genomdb.frequency.records import CohortMember
from genomdb.frequency.release import folded_coverage


@pytest.fixture
def cohort() -> SimCohort:
    return simulate_cohort(cohort_labels(40), seed=11, first_sample_id=1)


def _members(
    cohort: SimCohort, batches: dict[str, range], opted_out: frozenset[int] = frozenset()
) -> list[CohortMember]:
    return [
        member(cohort.samples[i], batch_id, research_opt_out=i in opted_out)
        for batch_id, indexes in batches.items()
        for i in indexes
    ]


def _layers(release: Path) -> list[str]:
    return [layer.name for layer in read_manifest(release).coverage_layers]


def _assert_reads_alike(layered: Path, full: Path) -> None:
    """Every look-up answer (AN at run edges and at variants, counts of variants) is the same from both."""
    folded = folded_coverage(full)
    assert folded_coverage(layered).equals(folded)
    assert pq.read_table(layered / "variants.parquet").equals(pq.read_table(full / "variants.parquet"))
    a, b = ReleaseReader(layered), ReleaseReader(full)
    try:
        for row in folded.select(["chrom", "start_1based", "end_1based"]).to_pylist():
            for pos in (row["start_1based"] - 1, row["start_1based"], row["end_1based"], row["end_1based"] + 1):
                assert a.coverage_at(row["chrom"], pos) == b.coverage_at(row["chrom"], pos)
        for row in pq.read_table(full / "variants.parquet").select(["chrom", "pos", "ref", "alt"]).to_pylist():
            key = VariantKey(row["chrom"], row["pos"], row["ref"], row["alt"])
            assert a.variant_counts(key) == b.variant_counts(key)
    finally:
        a.close()
        b.close()


def test_increments_stack_then_fold(
    tmp_path: Path, cohort: SimCohort, build_release: BuildRelease, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(coverage, "FOLD_FRACTION", 100.0)
    root = tmp_path / "batches"
    spans = {"B1": range(20), "B2": range(20, 25), "B3": range(25, 30), "B4": range(30, 35), "B5": range(35, 40)}
    batches = {name: write_batch(cohort, (cohort.samples[i] for i in span), root, name) for name, span in spans.items()}
    names = list(spans)
    expected_layers = [
        ["coverage"],
        ["coverage", "coverage-1"],
        ["coverage", "coverage-1", "coverage-2"],
        ["coverage", "coverage-1", "coverage-2", "coverage-3"],
        ["coverage"],
    ]
    previous: Path | None = None
    for step, layers in enumerate(expected_layers, start=1):
        included = {name: spans[name] for name in names[:step]}
        opted_out = frozenset({3} if step >= 3 else ())
        members = _members(cohort, included, opted_out)
        chosen = [batches[name] for name in names[:step]]
        build_release(f"r{step}", chosen, members, previous=previous)
        build_release(f"r{step}-full", chosen, members, full=True)
        release = tmp_path / f"r{step}"
        assert _layers(release) == layers
        assert _layers(tmp_path / f"r{step}-full") == ["coverage"]
        _assert_reads_alike(release, tmp_path / f"r{step}-full")
        if previous is not None and len(layers) > 1:
            for layer in _layers(previous):
                assert (release / f"{layer}.arrow").stat().st_ino == (previous / f"{layer}.arrow").stat().st_ino
            manifest = read_manifest(release)
            assert manifest.files[f"{layers[-1]}.arrow"]
            assert manifest.document["counts"]["n_coverage_runs"] == sum(x.n_runs for x in manifest.coverage_layers)
        previous = release


def test_a_subtraction_below_zero_is_refused_with_layers(
    tmp_path: Path, cohort: SimCohort, build_release: BuildRelease, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(coverage, "FOLD_FRACTION", 100.0)
    b1 = write_batch(cohort, cohort.samples[:20], tmp_path / "batches", "B1")
    b2 = write_batch(cohort, cohort.samples[20:25], tmp_path / "batches", "B2")
    build_release("r1", [b1], _members(cohort, {"B1": range(20)}))
    # The previous release's base layer is swapped for an empty one: subtracting a sample would go below zero.
    table = pq.read_table(tmp_path / "r1" / "coverage.parquet").slice(0, 0)
    with pa.OSFile(str(tmp_path / "r1" / "coverage.arrow"), "wb") as sink, pa.ipc.new_file(sink, table.schema) as ipc:
        ipc.write_table(table)
    with pytest.raises(IntegrityError, match="negative allele numbers"):
        build_release(
            "r2",
            [b1, b2],
            _members(cohort, {"B1": range(20), "B2": range(20, 25)}, frozenset({4})),
            previous=tmp_path / "r1",
        )
    assert not (tmp_path / "r2" / "variants.parquet").exists()


def test_when_to_fold() -> None:
    base = LayerInfo("coverage", 1000)
    assert should_fold([], strata_changed=False)
    assert not should_fold([base], strata_changed=False)
    assert should_fold([base], strata_changed=True)
    assert not should_fold([base, LayerInfo("coverage-1", 100), LayerInfo("coverage-2", 100)], strata_changed=False)
    assert should_fold([base, *(LayerInfo(f"coverage-{i}", 10) for i in (1, 2, 3))], strata_changed=False)
    assert should_fold([base, LayerInfo("coverage-1", 260)], strata_changed=False)
    assert coverage.next_layer_name([base, LayerInfo("coverage-2", 1)]) == "coverage-3"
