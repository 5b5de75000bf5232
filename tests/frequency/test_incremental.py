"""Incremental releases equal full rebuilds: new batches, opt-outs, superseded samples, best sample per person."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from tests.frequency.batches import SimCohort, member, simulate_cohort, write_batch
from tests.frequency.conftest import BuildRelease, cohort_labels

from genomdb.errors import IntegrityError
from genomdb.frequency.aggregate import sha256_file
from genomdb.frequency.records import BatchSource, CohortMember, ExclusionReason
from genomdb.frequency.release import PreviousRelease, folded_coverage, plan_release
from genomdb.frequency.strata import SampleLabels


def _persons(n: int) -> list[str]:
    persons = [f"P{i:04d}" for i in range(n)]
    persons[25] = persons[5]
    persons[32] = persons[12]
    persons[35] = persons[15]
    return persons


@pytest.fixture
def cohort() -> SimCohort:
    return simulate_cohort(cohort_labels(40), seed=5, first_sample_id=101, persons=_persons(40))


def _members(cohort: SimCohort, batches: dict[str, range], **overrides: dict[str, object]) -> list[CohortMember]:
    members = []
    for batch_id, indexes in batches.items():
        for i in indexes:
            sample = cohort.samples[i]
            changes: dict[str, object] = {"call_rate": 0.95 + i / 1000, **overrides.get(str(i), {})}
            members.append(member(sample, batch_id, **changes))
    return members


def _assert_same_release(a: Path, b: Path) -> None:
    """The same variants table, byte for byte in content, and the same callable-AN track once layers are folded."""
    pairs = {
        "variants": (pq.read_table(a / "variants.parquet"), pq.read_table(b / "variants.parquet")),
        "coverage": (folded_coverage(a), folded_coverage(b)),
    }
    for name, (left, right) in pairs.items():
        assert left.schema == right.schema, name
        assert left.num_rows == right.num_rows, name
        assert left.equals(right), name


def test_incremental_release_equals_full_rebuild(
    tmp_path: Path, cohort: SimCohort, build_release: BuildRelease
) -> None:
    root = tmp_path / "batches"
    b1 = write_batch(cohort, cohort.samples[:20], root, "B1")
    b2 = write_batch(cohort, cohort.samples[20:30], root, "B2")
    b3 = write_batch(cohort, cohort.samples[30:], root, "B3")
    first = _members(cohort, {"B1": range(20), "B2": range(20, 30)}, **{"3": {"research_opt_out": True}})
    r1 = build_release("r1", [b1, b2], first)
    _assert_same_release(tmp_path / "r1", build_release("r1-full", [b1, b2], first, full=True).tables.variants.parent)

    moved = dataclasses.replace(cohort.samples[9].labels, region="RH", platform="ONT")
    second = _members(
        cohort,
        {"B1": range(20), "B2": range(20, 30), "B3": range(30, 40)},
        **{
            "3": {"research_opt_out": True},
            "7": {"research_opt_out": True},
            "12": {"current": False},
            "14": {"withdrawn": True},
            "9": {"labels": moved},
            "35": {"call_rate": 0.999},
            "38": {"qc_passed": False},
        },
    )
    plan = plan_release([b1, b2, b3], second, PreviousRelease.open(tmp_path / "r1"))
    excluded = plan.decision.excluded
    assert excluded[cohort.samples[3].sample_id] is ExclusionReason.RESEARCH_OPT_OUT
    assert excluded[cohort.samples[7].sample_id] is ExclusionReason.RESEARCH_OPT_OUT
    assert excluded[cohort.samples[12].sample_id] is ExclusionReason.NOT_CURRENT
    assert excluded[cohort.samples[15].sample_id] is ExclusionReason.DUPLICATE_PERSON
    assert excluded[cohort.samples[38].sample_id] is ExclusionReason.QC_FAILED
    assert excluded[cohort.samples[5].sample_id] is ExclusionReason.DUPLICATE_PERSON
    assert [sid for sid, _ in plan.joining] == [cohort.samples[9].sample_id]
    assert cohort.samples[32].sample_id in {s.sample_id for s in plan.included}

    r2 = build_release("r2", [b1, b2, b3], second, previous=tmp_path / "r1")
    full = build_release("r2-full", [b1, b2, b3], second, full=True)
    _assert_same_release(tmp_path / "r2", tmp_path / "r2-full")
    assert r2.tables.n_variants == full.tables.n_variants > 0
    assert r1.partials and r2.partials == ({"batch_id": "B3", "digest": r2.partials[0]["digest"]},)
    assert cohort.samples[9].labels.region == "RN"

    third = [
        dataclasses.replace(m, research_opt_out=False) if m.sample_id == cohort.samples[3].sample_id else m
        for m in second
    ]
    build_release("r3", [b1, b2, b3], third, previous=tmp_path / "r2")
    build_release("r3-full", [b1, b2, b3], third, full=True)
    _assert_same_release(tmp_path / "r3", tmp_path / "r3-full")


def test_unchanged_plan_and_changed_batch(tmp_path: Path, cohort: SimCohort, build_release: BuildRelease) -> None:
    b1 = write_batch(cohort, cohort.samples[:10], tmp_path / "batches", "B1")
    members = _members(cohort, {"B1": range(10)})
    build_release("r1", [b1], members)
    previous = PreviousRelease.open(tmp_path / "r1")
    assert plan_release([b1], members, previous).is_unchanged
    assert not plan_release([b1], members, previous, full=True).is_unchanged
    tampered = dataclasses.replace(b1, manifest_sha256="0" * 64)
    with pytest.raises(IntegrityError, match="changed"):
        plan_release([tampered], members, previous)


def test_partials_are_reused_and_checked(tmp_path: Path, cohort: SimCohort, build_release: BuildRelease) -> None:
    b1 = write_batch(cohort, cohort.samples[:10], tmp_path / "batches", "B1")
    members = _members(cohort, {"B1": range(10)})
    first = build_release("r1", [b1], members)
    folder = tmp_path / "partials" / "B1" / first.partials[0]["digest"]
    stamp = (folder / "variants.parquet").stat().st_mtime_ns
    build_release("again", [b1], members)
    assert (folder / "variants.parquet").stat().st_mtime_ns == stamp
    _assert_same_release(tmp_path / "r1", tmp_path / "again")
    (folder / "coverage.parquet").write_bytes(b"broken")
    with pytest.raises(IntegrityError, match="sha256"):
        build_release("broken", [b1], members)


def test_unknown_batch_members_are_refused(tmp_path: Path, cohort: SimCohort) -> None:
    b1 = write_batch(cohort, cohort.samples[:5], tmp_path / "batches", "B1")
    stray = member(cohort.samples[7], "B1")
    with pytest.raises(IntegrityError, match="does not hold"):
        plan_release([b1], [*_members(cohort, {"B1": range(5)}), stray], None)


def test_unlabelled_samples_count_in_total_only(tmp_path: Path, build_release: BuildRelease) -> None:
    cohort = simulate_cohort([SampleLabels(None, None, None)] * 4 + cohort_labels(4), seed=9)
    batch = write_batch(cohort, cohort.samples, tmp_path / "batches", "B1")
    release = build_release("r1", [batch], [member(s, "B1") for s in cohort.samples])
    rows = pq.read_table(release.tables.coverage).to_pylist()
    assert any(r["callable_individuals"] == 8 and r["an_XX"] + r["an_XY"] < r["an_all"] for r in rows)


def test_new_batch_partials_sum_only_the_samples_counted(
    tmp_path: Path, cohort: SimCohort, build_release: BuildRelease
) -> None:
    """A new batch's partial covers the samples the release counts, so nothing of it is read twice to be taken
    away again; a new batch none of whose samples count adds nothing and needs no partial."""
    root = tmp_path / "batches"
    b1 = write_batch(cohort, cohort.samples[:20], root, "B1")
    b2 = write_batch(cohort, cohort.samples[20:30], root, "B2")
    b3 = write_batch(cohort, cohort.samples[30:], root, "B3")
    build_release("r1", [b1], _members(cohort, {"B1": range(20)}))
    opted_out = {str(i): {"research_opt_out": True} for i in range(20, 30)}
    qc_failed = {"31": {"qc_passed": False}, "36": {"qc_passed": False}}
    members = _members(cohort, {"B1": range(20), "B2": range(20, 30), "B3": range(30, 40)}, **opted_out, **qc_failed)
    plan = plan_release([b1, b2, b3], members, PreviousRelease.open(tmp_path / "r1"))
    # Only old batches' samples leave: 12 and 15, whose persons' better samples 32 and 35 arrive in B3.
    assert [sid for sid, _ in plan.leaving] == [cohort.samples[12].sample_id, cohort.samples[15].sample_id]
    assert plan.counted_in(b2) == ()
    assert [sid for sid, _ in plan.counted_in(b3)] == [
        s.sample_id for i, s in enumerate(cohort.samples) if i >= 30 and i not in (31, 36)
    ]
    r2 = build_release("r2", [b1, b2, b3], members, previous=tmp_path / "r1")
    assert [p["batch_id"] for p in r2.partials] == ["B3"]
    build_release("r2-full", [b1, b2, b3], members, full=True)
    _assert_same_release(tmp_path / "r2", tmp_path / "r2-full")
    counted_partial = tmp_path / "partials" / "B3" / r2.partials[0]["digest"] / "partial.json"
    assert json.loads(counted_partial.read_text())["n_samples"] == 8


def test_callable_runs_give_the_release_the_blocks_give(
    tmp_path: Path, cohort: SimCohort, build_release: BuildRelease
) -> None:
    """A batch's ``callable`` runs (harmonisation writes them since session 11) and its ``blocks`` (all that batches
    written before have) make the same release files, byte for byte; a release mixes both kinds of batch."""
    members = _members(cohort, {"B1": range(20), "B2": range(20, 30), "B3": range(30, 40)})
    spans = {"B1": slice(0, 20), "B2": slice(20, 30), "B3": slice(30, 40)}

    def batches(root: str, with_callable: set[str]) -> list[BatchSource]:
        return [
            write_batch(cohort, cohort.samples[span], tmp_path / root, name, with_callable=name in with_callable)
            for name, span in spans.items()
        ]

    from_blocks = batches("blocks", set())
    from_runs = batches("runs", {"B1", "B2", "B3"})
    mixed = batches("mixed", {"B2"})

    def rows(table: str) -> int:
        return sum(pq.ParquetFile(part).metadata.num_rows for part in (from_runs[0].path / table).rglob("*.parquet"))

    assert 0 < rows("callable") < rows("blocks") / 2, "abutting blocks were merged"

    built = {
        name: build_release(name, sources, members, **options).tables
        for name, sources, options in (
            ("blocks", from_blocks, {}),
            ("runs", from_runs, {}),
            ("mixed", mixed, {}),
            ("runs-full", from_runs, {"full": True}),
        )
    }
    digests = {
        name: [sha256_file(path) for path in (t.variants, t.coverage, t.variants_ipc, t.coverage_ipc)]
        for name, t in built.items()
    }
    assert digests["runs"] == digests["blocks"] == digests["mixed"] == digests["runs-full"]

    # and the runs are what is read when a batch has them: one run cut short changes the allele numbers
    part = next((from_runs[0].path / "callable").rglob("*.parquet"))
    table = pq.read_table(part)
    ends = table.column("end_1based").to_pylist()
    ends[0] -= 1
    pq.write_table(
        table.set_column(table.schema.get_field_index("end_1based"), "end_1based", pa.array(ends, pa.int32())), part
    )
    shortened = build_release("shortened", [from_runs[0]], _members(cohort, {"B1": range(20)})).tables
    whole = build_release("whole", [from_blocks[0]], _members(cohort, {"B1": range(20)})).tables
    assert sha256_file(shortened.coverage) != sha256_file(whole.coverage)
