"""Building a release's tables: a pure function of (batches, cohort, previous release) to files in a folder.

:func:`plan_release` decides, without reading any genotype, which sample versions the release counts and how it
differs from the previous one. :func:`assemble_release` then computes the tables:

* **incremental** (the default): previous release + partials of new batches (over the samples they count) −
  samples that left old batches (opt-out, superseded, withdrawn, QC, a better sample of the same person) + samples
  that joined from old batches. Old batches are read only for the rows of samples that left or joined. The first
  release is the incremental case with an empty previous release. The variants table is rewritten (it is small:
  one row per variant); the callable-AN track is not: the previous release's coverage layers are hard-linked and
  one layer holding only the change is added, until they are folded into one (:mod:`genomdb.frequency.coverage`).
* **full**: every counted sample read directly from the batches; the independent path that proves the other.

Partials are cached per batch under ``partials/<batch_id>/<digest>/`` (the digest covers the batch checksum, the
samples counted and their labels) and written atomically; a later build of the same change reuses them after
checking their sha256.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import shutil
import tempfile
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow as pa  # type: ignore[import-untyped]

from genomdb.errors import IntegrityError
from genomdb.frequency import aggregate as agg
from genomdb.frequency.coverage import BASE_LAYER, LayerInfo, next_layer_name, should_fold
from genomdb.frequency.inclusion import POLICY_DESCRIPTION, InclusionDecision, select_samples
from genomdb.frequency.manifest import SCHEMA_VERSION, ReleaseManifest, read_manifest, sample_entry
from genomdb.frequency.records import BatchSource, CohortMember, IncludedSample
from genomdb.frequency.release_files import (
    CELL_COVERAGE_SCHEMA,
    CELL_VARIANTS_SCHEMA,
    conform,
    coverage_schema,
    rechunk,
    variants_schema,
)
from genomdb.frequency.strata import SampleLabels, strata_of_cells, stratum_slug
from genomdb.ingest.progress import ProgressSink, SilentProgress
from genomdb.variants.engine import DEFAULT_ENGINE, DuckDBEngine, QueryEngine, create_engine_backend
from genomdb.variants.layout import BLOCKS, CALLABLE, CALLABLE_SCHEMA, CALLS_SCHEMA

PARTIAL_MANIFEST = "partial.json"
UNLABELLED = SampleLabels(None, None, None)


@dataclass(frozen=True, slots=True)
class PreviousRelease:
    """A release the next one is built on: its folder and validated manifest."""

    path: Path
    manifest: ReleaseManifest

    @classmethod
    def open(cls, path: Path) -> PreviousRelease:
        return cls(path, read_manifest(path))


@dataclass(frozen=True, slots=True)
class ReleasePlan:
    """What a release will count and how it differs from its parent; computed without reading genotypes."""

    batches: tuple[BatchSource, ...]
    decision: InclusionDecision
    included: tuple[IncludedSample, ...]
    strata: tuple[str, ...]
    previous: PreviousRelease | None
    full: bool
    new_batches: tuple[BatchSource, ...]
    batch_labels: dict[str, tuple[tuple[int, SampleLabels], ...]]
    """Labels of every sample of every batch (samples the cohort does not know are unlabelled)."""
    leaving: tuple[tuple[int, SampleLabels], ...]
    """Samples of old batches to subtract: counted by the previous release but not now (or with other labels)."""
    joining: tuple[tuple[int, SampleLabels], ...]
    """Samples of old batches to add: counted now but not by the previous release (or with other labels)."""

    @property
    def is_unchanged(self) -> bool:
        return not self.full and self.previous is not None and not (self.new_batches or self.leaving or self.joining)

    def counted_in(self, batch: BatchSource) -> tuple[tuple[int, SampleLabels], ...]:
        """The samples of ``batch`` this release counts, with their labels: what a new batch's partial sums."""
        counted = {s.sample_id for s in self.included}
        return tuple(entry for entry in self.batch_labels[batch.batch_id] if entry[0] in counted)

    @property
    def n_removed(self) -> int:
        previous_ids = {s.sample_id for s in self.previous.manifest.samples} if self.previous else set()
        return len(previous_ids - {s.sample_id for s in self.included})

    @property
    def n_added(self) -> int:
        previous_ids = {s.sample_id for s in self.previous.manifest.samples} if self.previous else set()
        return len({s.sample_id for s in self.included} - previous_ids)


def _included_sample(member: CohortMember) -> IncludedSample:
    return IncludedSample(
        sample_id=member.sample_id,
        sample_key=member.sample_key,
        submission_id=member.submission_id,
        submission_version=member.submission_version,
        batch_id=member.batch_id,
        labels=member.labels,
    )


def plan_release(
    batches: Sequence[BatchSource],
    cohort: Sequence[CohortMember],
    previous: PreviousRelease | None,
    *,
    full: bool = False,
) -> ReleasePlan:
    """Apply the inclusion policy and work out the difference to ``previous`` (see the module docs)."""
    by_id = {b.batch_id: b for b in batches}
    if len(by_id) != len(batches):
        raise IntegrityError("the same batch was given twice")
    members = {m.sample_id: m for m in cohort}
    placed: dict[str, list[int]] = {}
    for m in cohort:
        placed.setdefault(m.batch_id, []).append(m.sample_id)
    batch_labels: dict[str, tuple[tuple[int, SampleLabels], ...]] = {}
    for batch in batches:
        batch_labels[batch.batch_id] = tuple(
            (sid, members[sid].labels if sid in members else UNLABELLED) for sid in sorted(batch.sample_ids)
        )
        held = set(batch.sample_ids)
        stray = [sid for sid in placed.get(batch.batch_id, []) if sid not in held]
        if stray:
            raise IntegrityError(f"batch {batch.batch_id} does not hold samples the catalog places in it: {stray[:5]}")
    decision = select_samples(cohort, by_id.keys())
    included = tuple(_included_sample(m) for m in decision.included)
    strata = strata_of_cells(s.labels for s in included)
    previous_batches = previous.manifest.batch_checksums if previous and not full else {}
    for batch_id, checksum in previous_batches.items():
        if batch_id in by_id and by_id[batch_id].manifest_sha256 != checksum:
            raise IntegrityError(f"batch {batch_id} changed since {previous.manifest.release_id if previous else ''}")
    new_batches = tuple(b for b in batches if b.batch_id not in previous_batches)
    new_ids = {b.batch_id for b in new_batches}
    target = {s.sample_id: s for s in included}
    before = {s.sample_id: s for s in previous.manifest.samples} if previous and not full else {}
    leaving: list[tuple[int, SampleLabels]] = []
    joining: list[tuple[int, SampleLabels]] = []
    for sid, was in before.items():
        if was.batch_id not in by_id:
            raise IntegrityError(f"batch {was.batch_id} of the previous release is no longer registered")
        still = target.get(sid)
        if still is None or still.labels != was.labels:
            leaving.append((sid, was.labels))
    for sid, now in target.items():
        earlier = before.get(sid)
        if now.batch_id in new_ids:
            continue
        if earlier is None or earlier.labels != now.labels:
            joining.append((sid, now.labels))
    return ReleasePlan(
        batches=tuple(batches),
        decision=decision,
        included=included,
        strata=strata,
        previous=previous,
        full=full,
        new_batches=new_batches,
        batch_labels=batch_labels,
        leaving=tuple(sorted(leaving)),
        joining=tuple(sorted(joining)),
    )


@dataclass(frozen=True, slots=True)
class AssembledRelease:
    """The tables of a release written into a folder, with what went into them."""

    tables: agg.ReleaseTables
    partials: tuple[dict[str, Any], ...]
    seconds: float
    files: dict[str, str] = field(default_factory=dict)
    layers: tuple[LayerInfo, ...] = ()
    """The coverage layers whose sum is the callable-AN track (see :mod:`genomdb.frequency.coverage`)."""
    engine: dict[str, str] = field(default_factory=lambda: {"name": DEFAULT_ENGINE})
    """The engine that summed the counts: name, version and (Spark) master."""


def _labels_digest(batch: BatchSource, labels: Sequence[tuple[int, SampleLabels]]) -> str:
    payload = json.dumps(
        [batch.manifest_sha256, [[sid, lab.sex, lab.region, lab.platform] for sid, lab in labels]], sort_keys=True
    )
    return hashlib.sha256(payload.encode()).hexdigest()[:16]


def fsync_tree(folder: Path) -> None:
    for path in folder.iterdir():
        if path.is_file():
            with path.open("rb") as handle:
                os.fsync(handle.fileno())
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def ensure_partial(
    engine: QueryEngine,
    batch: BatchSource,
    labels: Sequence[tuple[int, SampleLabels]],
    partials_dir: Path,
) -> tuple[Path, dict[str, Any]]:
    """The batch's cell-level partial over the given samples: reused when present and intact, else computed."""
    digest = _labels_digest(batch, labels)
    target = partials_dir / batch.batch_id / digest
    if (target / PARTIAL_MANIFEST).exists():
        meta: dict[str, Any] = json.loads((target / PARTIAL_MANIFEST).read_text())
        for name, checksum in meta["files"].items():
            if agg.sha256_file(target / name) != checksum:
                raise IntegrityError(f"partial {target / name} does not match its recorded sha256")
        return target, meta
    target.parent.mkdir(parents=True, exist_ok=True)
    scratch = target.parent / f".tmp-{uuid.uuid4().hex}"
    try:
        agg.register_samples(engine, "partial_samples", labels)
        n_variants, n_events = agg.write_cells(
            engine,
            agg.cell_variants_sql(engine.dataset([batch.path / "calls"], CALLS_SCHEMA), "partial_samples"),
            agg.cell_coverage_sql(callable_stretches(engine, [batch.path]), "partial_samples"),
            scratch,
        )
        meta = {
            "schema_version": 1,
            "batch_id": batch.batch_id,
            "batch_manifest_sha256": batch.manifest_sha256,
            "digest": digest,
            "n_samples": len(labels),
            "n_variant_cells": n_variants,
            "n_coverage_events": n_events,
            "files": {name: agg.sha256_file(scratch / name) for name in ("variants.parquet", "coverage.parquet")},
        }
        (scratch / PARTIAL_MANIFEST).write_text(json.dumps(meta, indent=1, sort_keys=True) + "\n")
        fsync_tree(scratch)
        try:
            scratch.rename(target)
        except OSError:
            if not (target / PARTIAL_MANIFEST).exists():
                raise
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return target, meta


def callable_stretches(engine: QueryEngine, batches: Sequence[Path]) -> str:
    """The callable stretches of batch folders as a relation: each batch's ``callable`` runs, or its ``blocks``
    when it was written before that table existed (the same allele numbers at every position, in more rows)."""
    folders = [folder / CALLABLE if (folder / CALLABLE).is_dir() else folder / BLOCKS for folder in batches]
    return engine.dataset(folders, CALLABLE_SCHEMA)


def _add_samples(
    engine: QueryEngine,
    layout: agg.StrataLayout,
    plan: ReleasePlan,
    samples: Sequence[tuple[int, SampleLabels]],
    table: str,
    sign: int,
) -> tuple[list[str], list[str]]:
    if not samples:
        return [], []
    batch_of = {sid: batch_id for batch_id, labels in plan.batch_labels.items() for sid, _ in labels}
    wanted = {batch_of[sid] for sid, _ in samples}
    folders = [b.path for b in plan.batches if b.batch_id in wanted]
    calls = engine.dataset([f / "calls" for f in folders], CALLS_SCHEMA)
    blocks = callable_stretches(engine, folders)
    agg.register_samples(engine, table, samples)
    ids = [sid for sid, _ in samples]
    return (
        [layout.variants_from_cells(agg.cell_variants_sql(calls, table, only=ids), sign)],
        [layout.deltas_from_cells(agg.cell_coverage_sql(blocks, table, only=ids), sign)],
    )


def _link_layers(previous: PreviousRelease, layers: Sequence[LayerInfo], out_dir: Path) -> dict[str, str]:
    """Hard-link (or copy, across file systems) the previous release's layers into ``out_dir``; their checksums."""
    out_dir.mkdir(parents=True, exist_ok=True)
    recorded = previous.manifest.files
    checksums: dict[str, str] = {}
    for layer in layers:
        for name in layer.files():
            source = previous.path / name
            if not source.exists():
                raise IntegrityError(f"release {previous.manifest.release_id}: coverage layer {source} is missing")
            try:
                os.link(source, out_dir / name)
            except OSError:
                shutil.copy2(source, out_dir / name)
            checksums[name] = recorded.get(name) or agg.sha256_file(out_dir / name)
    return checksums


def assemble_release(
    plan: ReleasePlan,
    *,
    out_dir: Path,
    partials_dir: Path,
    work_dir: Path,
    threads: int | None = None,
    memory_limit: str | None = None,
    build: str = "GRCh38",
    engine: str = DEFAULT_ENGINE,
    master: str | None = None,
    progress: ProgressSink | None = None,
) -> AssembledRelease:
    """Compute the release tables of ``plan`` into ``out_dir`` (see the module docs for the two modes).

    ``progress`` counts steps: one per new batch, one for samples joining or leaving, one for the final tables.
    ``engine`` (``duckdb`` or ``spark``, with a Spark ``master``) sums the counts; the files are the same either way.
    """
    started = time.perf_counter()
    progress = progress or SilentProgress()
    progress.begin("building the frequency release", len(plan.new_batches) + 2)
    layout = agg.StrataLayout(plan.strata)
    backend = create_engine_backend(
        engine, work_dir=work_dir, threads=threads, memory_limit=memory_limit, master=master
    )
    engine_info = {"name": backend.name, "version": backend.version}
    if backend.name == "spark":
        engine_info["master"] = str(getattr(backend, "master", master))
    partials: list[dict[str, Any]] = []
    inherited: dict[str, str] = {}
    try:
        variant_sources: list[str] = []
        delta_sources: list[str] = []
        previous_layers: tuple[LayerInfo, ...] = ()
        fold = True
        if plan.full:
            counted = [(s.sample_id, s.labels) for s in plan.included]
            v, d = _add_samples(backend, layout, plan, counted, "counted_samples", +1)
            variant_sources += v
            delta_sources += d
            progress.advance(len(plan.new_batches) + 1, note=f"{len(counted)} samples counted")
        else:
            if plan.previous is not None:
                previous_strata = plan.previous.manifest.strata
                previous_layers = plan.previous.manifest.coverage_layers
                fold = should_fold(previous_layers, strata_changed=previous_strata != plan.strata)
                previous_slugs = [stratum_slug(s) for s in previous_strata]
                variant_sources.append(
                    layout.variants_from_release(
                        backend.parquet([plan.previous.path / "variants.parquet"], variants_schema(previous_slugs)),
                        previous_strata,
                    )
                )
                if fold:
                    delta_sources += [
                        layout.deltas_from_release(
                            backend.parquet([plan.previous.path / layer.files()[0]], coverage_schema(previous_slugs)),
                            previous_strata,
                        )
                        for layer in previous_layers
                    ]
            for batch in plan.new_batches:
                summed = plan.counted_in(batch)
                if not summed:
                    progress.advance(1, note=f"batch {batch.batch_id}: no sample counted")
                    continue
                folder, meta = ensure_partial(backend, batch, summed, partials_dir)
                partials.append({"batch_id": batch.batch_id, "digest": meta["digest"]})
                cells_v = f"SELECT * FROM {backend.parquet([folder / 'variants.parquet'], CELL_VARIANTS_SCHEMA)}"
                cells_d = f"SELECT * FROM {backend.parquet([folder / 'coverage.parquet'], CELL_COVERAGE_SCHEMA)}"
                variant_sources.append(layout.variants_from_cells(cells_v, +1))
                delta_sources.append(layout.deltas_from_cells(cells_d, +1))
                progress.advance(1, note=f"batch {batch.batch_id}")
            for samples, table, sign in ((plan.leaving, "leaving_samples", -1), (plan.joining, "joining_samples", +1)):
                v, d = _add_samples(backend, layout, plan, samples, table, sign)
                variant_sources += v
                delta_sources += d
            progress.advance(1, note=f"+{len(plan.joining)} / -{len(plan.leaving)} samples")
        if fold or plan.previous is None:
            tables = agg.finalize(
                backend, layout, variant_sources, delta_sources, out_dir, build=build, cache_dir=work_dir
            )
            layers: tuple[LayerInfo, ...] = (LayerInfo(BASE_LAYER, tables.n_coverage_runs),)
        else:
            inherited = _link_layers(plan.previous, previous_layers, out_dir)
            name = next_layer_name(previous_layers)
            tables = agg.finalize(
                backend,
                layout,
                variant_sources,
                delta_sources,
                out_dir,
                layer=name,
                inherited=[out_dir / layer.files()[1] for layer in previous_layers],
                build=build,
                cache_dir=work_dir,
            )
            layers = (*previous_layers, LayerInfo(name, tables.n_coverage_runs))
        progress.advance(1, note="tables written")
    finally:
        backend.close()
        progress.end()
    files = inherited | {
        path.name: agg.sha256_file(path)
        for path in (tables.variants, tables.coverage, tables.variants_ipc, tables.coverage_ipc)
    }
    return AssembledRelease(
        tables, tuple(partials), time.perf_counter() - started, dict(sorted(files.items())), layers, engine_info
    )


def folded_coverage(release_dir: Path) -> pa.Table:
    """A release's callable-AN track folded into one table of runs: the layers' sum, as a full rebuild writes it."""
    manifest = read_manifest(release_dir)
    layout = agg.StrataLayout(manifest.strata)
    schema = coverage_schema(layout.slugs)
    with tempfile.TemporaryDirectory(prefix="genomdb-fold-") as scratch:
        engine = DuckDBEngine(Path(scratch))
        try:
            sources = [
                layout.deltas_from_release(engine.parquet([release_dir / layer.files()[0]], schema), manifest.strata)
                for layer in manifest.coverage_layers
            ]
            sql, order = agg.coverage_layer(engine, layout, sources, build=manifest.document["reference_build"])
            batches = [conform(batch, schema) for batch in rechunk(engine.ordered(sql, order))]
            return pa.Table.from_batches(batches, schema=schema)
        finally:
            engine.close()


def release_document(
    plan: ReleasePlan,
    assembled: AssembledRelease,
    *,
    release_id: str,
    created: dt.datetime,
    build: str = "GRCh38",
) -> dict[str, Any]:
    """The manifest of a release assembled from ``plan`` (see :mod:`genomdb.frequency.manifest`)."""
    included_ids = {s.sample_id for s in plan.included}
    return {
        "schema_version": SCHEMA_VERSION,
        "release_id": release_id,
        "parent": plan.previous.manifest.release_id if plan.previous else None,
        "created": created.isoformat(),
        "reference_build": build,
        "mode": "full" if plan.full else "incremental",
        "engine": {**assembled.engine, "seconds": round(assembled.seconds, 3)},
        "strata": list(plan.strata),
        "inclusion_policy": POLICY_DESCRIPTION,
        "batches": [
            {
                "batch_id": b.batch_id,
                "manifest_sha256": b.manifest_sha256,
                "n_samples": len(b.sample_ids),
                "n_counted": sum(1 for sid in b.sample_ids if sid in included_ids),
                "filters": b.filters,
            }
            for b in plan.batches
        ],
        "samples": [sample_entry(s) for s in plan.included],
        "excluded": [
            {"sample_id": sid, "reason": reason.value} for sid, reason in sorted(plan.decision.excluded.items())
        ],
        "counts": {
            "n_samples": len(plan.included),
            "n_excluded": len(plan.decision.excluded),
            "excluded_by_reason": plan.decision.excluded_counts(),
            "n_variants": assembled.tables.n_variants,
            "n_coverage_runs": sum(layer.n_runs for layer in assembled.layers),
        },
        "coverage_layers": [{"name": layer.name, "n_runs": layer.n_runs} for layer in assembled.layers],
        "changes": {
            "n_new_batches": len(plan.new_batches),
            "n_added_samples": plan.n_added,
            "n_removed_samples": plan.n_removed,
            "n_subtracted_samples": len(plan.leaving),
            "n_joined_from_old_batches": len(plan.joining),
        },
        "partials": list(assembled.partials),
        "files": assembled.files,
    }
