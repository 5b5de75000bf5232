"""Releases registered in the catalog (SQLite and PostgreSQL): build, list, incremental, diff, integrity."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from tests.frequency.batches import SimCohort, member, simulate_cohort, write_batch
from tests.ingest.submission_kit import make_kit

from genomdb.errors import Conflict, IntegrityError, NotFound
from genomdb.frequency.lookup import FrequencyDatabase
from genomdb.frequency.publish import (
    build_release,
    collect_unregistered_releases,
    diff_releases,
    list_releases,
    open_release,
)
from genomdb.frequency.records import BatchSource, CohortMember
from genomdb.frequency.repository import releases_with_sample
from genomdb.frequency.strata import SampleLabels
from genomdb.ingest.submit import submit_manifest
from genomdb.instance import Instance
from genomdb.model.catalog import SearchFilters


def _catalog_cohort(instance: Instance, tmp_path: Path) -> tuple[SimCohort, BatchSource, list[CohortMember]]:
    """Two submitted samples of the catalog, given simulated genotypes in one batch."""
    submit_manifest(instance, make_kit(tmp_path / "kit").write())
    summaries = instance.catalog.search(SearchFilters(limit=10))
    ids = {s.sample_key: instance.catalog.sample(s.sample_key).version_ids[-1][2] for s in summaries}
    labels = [SampleLabels("XX", "RH", "ILLUMINA"), SampleLabels("XY", "RH", "ILLUMINA")]
    cohort = simulate_cohort(labels, seed=21, half_missing=0.0)
    members = []
    for sample, summary in zip(cohort.samples, summaries, strict=True):
        sample.sample_id = ids[summary.sample_key]
        sample.person = summary.pseudonym
    batch = write_batch(cohort, cohort.samples, tmp_path / "batches", "B1")
    for sample, summary in zip(cohort.samples, summaries, strict=True):
        members.append(
            member(
                sample,
                "B1",
                sample_key=summary.sample_key,
                submission_id=summary.submission_id,
                submission_version=summary.submission_version,
            )
        )
    return cohort, batch, members


def test_build_register_lookup_and_increment(instance: Instance, tmp_path: Path) -> None:
    cohort, batch, members = _catalog_cohort(instance, tmp_path)
    with pytest.raises(NotFound):
        open_release(instance)

    first = build_release(instance, inputs=lambda _: ([batch], members))
    info = first.release
    assert info.release_id.startswith("GDB-FREQ-") and info.release_id.endswith("-R1")
    assert info.n_samples == 2 and info.n_variants > 0 and info.parent_id is None
    assert [r.release_id for r in list_releases(instance)] == [info.release_id]
    assert releases_with_sample(instance.db, members[0].sample_id) == [info.release_id]
    _, manifest = open_release(instance)
    assert {s.sample_key for s in manifest.samples} == {m.sample_key for m in members}
    assert manifest.batch_checksums == {"B1": batch.manifest_sha256}

    row = pq.read_table(info.path / "variants.parquet").slice(0, 1).to_pylist()[0]
    key = f"{row['chrom']}-{row['pos']}-{row['ref']}-{row['alt']}"
    with FrequencyDatabase(instance) as database:
        found = database.lookup_variant(key, "controlled")
    assert (found.total.allele_count, found.total.allele_number) == (row["ac_all"], row["an_all"])

    with pytest.raises(Conflict, match="nothing changed"):
        build_release(instance, inputs=lambda _: ([batch], members))

    opted = [dataclasses.replace(members[0], research_opt_out=True), members[1]]
    second = build_release(instance, inputs=lambda _: ([batch], opted))
    assert second.release.parent_id == info.release_id and second.n_removed_samples == 1
    assert releases_with_sample(instance.db, members[0].sample_id) == [info.release_id]
    difference = diff_releases(instance, info.release_id)
    assert difference.samples_removed == (members[0].sample_id,) and difference.new == second.release.release_id

    third = build_release(instance, inputs=lambda _: ([batch], opted), full=True)
    assert third.release.mode == "full"
    for name in ("variants.parquet", "coverage.parquet"):
        assert pq.read_table(third.release.path / name).equals(pq.read_table(second.release.path / name))

    (third.release.path / "manifest.json").write_text("{}")
    with pytest.raises(IntegrityError):
        open_release(instance, third.release.release_id)
    assert cohort.samples


def test_no_batches_or_no_samples_is_a_conflict(instance: Instance, tmp_path: Path) -> None:
    with pytest.raises(Conflict, match="no harmonised batches"):
        build_release(instance, inputs=lambda _: ([], []))
    _, batch, members = _catalog_cohort(instance, tmp_path)
    gone = [dataclasses.replace(m, qc_passed=False) for m in members]
    with pytest.raises(Conflict, match="no sample version qualifies"):
        build_release(instance, inputs=lambda _: ([batch], gone))
    releases = instance.settings.resolved_home() / "frequency" / "releases"
    assert not releases.exists() or not list(releases.iterdir())


def test_unregistered_release_folders_are_collected(instance: Instance, tmp_path: Path) -> None:
    _, batch, members = _catalog_cohort(instance, tmp_path)
    kept = build_release(instance, inputs=lambda _: ([batch], members)).release.path
    releases = kept.parent
    (releases / ".tmp-crashed").mkdir()
    (releases / "GDB-FREQ-2026-11-R9").mkdir()
    removed = collect_unregistered_releases(instance, grace_seconds=0)
    assert {p.name for p in removed} == {".tmp-crashed", "GDB-FREQ-2026-11-R9"}
    assert kept.exists() and (kept / "manifest.json").exists()
    (releases / ".tmp-young").mkdir()
    assert collect_unregistered_releases(instance, grace_seconds=3600) == []
