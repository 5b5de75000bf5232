"""``genomdb harmonize``: turn accepted VCF/gVCF files into one new variant-store batch.

1. ask the catalog for current sample versions with a VCF/gVCF that no batch holds yet (or those of the named
   analyses); check their analyses are on GRCh38;
2. normalise the files on several cores (:mod:`genomdb.harmonize.normalize`), each into tab-separated records;
3. in chunks of files, load the records into DuckDB and derive genotypes, genetic sex, calls, callable blocks and
   sample QC with SQL; stage the calls and blocks as Parquet;
4. if any file had a problem, raise with every problem found and leave store and catalog unchanged; otherwise
   sort and write the batch, move it into place and register it in one catalog transaction.
"""

from __future__ import annotations

import os
import time
from collections import defaultdict
from collections.abc import Iterator, Sequence
from concurrent.futures import as_completed
from dataclasses import dataclass
from pathlib import Path

import duckdb

from genomdb.errors import InvalidInput, Problem
from genomdb.harmonize.blocks import create_blocks
from genomdb.harmonize.genotypes import (
    GenotypeFilters,
    calls_sql,
    create_genotypes,
    create_parsed,
    create_records,
    sql_text,
)
from genomdb.harmonize.normalize import NormalizedFile, NormalizeTask, normalize_call_file
from genomdb.harmonize.qc import QcThresholds, create_sample_sex, sample_qc
from genomdb.ingest.progress import ProgressSink, SilentProgress
from genomdb.instance import Instance
from genomdb.variants import layout
from genomdb.variants import repository as variant_repository
from genomdb.variants.records import CallFile, HarmonisedSample, SampleQc
from genomdb.variants.store import BatchWriter, VariantStore, connect_duckdb
from genomdb.worker_pool import worker_pool

CANONICAL_BUILD = "GRCh38"
PARALLEL_FROM_FILES = 4
CHUNK_MAX_FILES = 64
CHUNK_MAX_BYTES = 512 << 20
"""A chunk of normalised files is processed by DuckDB together; these bound its size (compressed input)."""

Normalized = tuple[NormalizeTask, NormalizedFile]


@dataclass(frozen=True, slots=True)
class HarmonizeOutcome:
    """What a harmonisation run did; ``batch_id`` is None when there was nothing to harmonise."""

    batch_id: str | None
    n_samples: int = 0
    n_files: int = 0
    n_calls: int = 0
    n_blocks: int = 0
    flagged: tuple[str, ...] = ()
    """Sample keys whose QC was flagged (``genomdb qc list --flagged``)."""
    seconds: float = 0.0

    @property
    def nothing_to_do(self) -> bool:
        return self.batch_id is None


def _build_problems(call_files: Sequence[CallFile]) -> list[Problem]:
    return [
        Problem(
            f.display_name,
            f"analysis is on {f.reference_build}: harmonisation combines only {CANONICAL_BUILD} (no mixed builds)",
            location=f"analysis {f.analysis_ref} of {f.submission_id}",
            field="reference_build",
            expected=CANONICAL_BUILD,
            found=f.reference_build,
        )
        for f in call_files
        if f.reference_build.lower() != CANONICAL_BUILD.lower()
    ]


def _tasks(
    instance: Instance, call_files: Sequence[CallFile], reference: Path, work_dir: Path
) -> tuple[list[NormalizeTask], dict[int, list[CallFile]], dict[int, int]]:
    """One task per file (a multi-sample file once, for its pending samples); also samples and size per task."""
    by_file: dict[int, list[CallFile]] = defaultdict(list)
    for call_file in call_files:
        by_file[call_file.file_id].append(call_file)
    tasks: list[NormalizeTask] = []
    samples: dict[int, list[CallFile]] = {}
    sizes: dict[int, int] = {}
    for index, (_, members) in enumerate(sorted(by_file.items())):
        first = members[0]
        tasks.append(
            NormalizeTask(
                index=index,
                sha256=first.sha256,
                display_name=first.display_name,
                sample_names=tuple(m.submitter_sample_id for m in members),
                contigs_with_records=first.contigs,
                blobs=instance.blobs,
                reference_fasta=reference,
                work_dir=work_dir,
            )
        )
        samples[index] = members
        sizes[index] = first.size
    return tasks, samples, sizes


def _normalized(tasks: Sequence[NormalizeTask], workers: int) -> Iterator[Normalized]:
    """Normalise every task, on several processes when there are enough files; results as they complete."""
    n_workers = min(workers or os.cpu_count() or 1, len(tasks))
    if n_workers <= 1 or len(tasks) < PARALLEL_FROM_FILES:
        for task in tasks:
            yield task, normalize_call_file(task)
        return
    # forkserver, not fork: the parent holds threads (DuckDB, progress bars, database pools) a fork would copy
    with worker_pool(n_workers, preload=["genomdb.harmonize.normalize"]) as pool:
        futures = {pool.submit(normalize_call_file, task): task for task in tasks}
        try:
            for future in as_completed(futures):
                yield futures[future], future.result()
        finally:
            for future in futures:
                future.cancel()  # when the run stops early, files not started yet are not normalised for nothing


def _in_chunks(
    normalized: Iterator[Normalized], sizes: dict[int, int], problems: list[Problem], progress: ProgressSink
) -> Iterator[list[Normalized]]:
    """Group normalised files into chunks for DuckDB; files with problems only add their problems."""
    chunk: list[Normalized] = []
    n_bytes = 0
    for task, result in normalized:
        progress.advance(sizes[task.index], note=task.display_name)
        if result.problems:
            problems.extend(result.problems)
            continue
        chunk.append((task, result))
        n_bytes += sizes[task.index]
        if len(chunk) >= CHUNK_MAX_FILES or n_bytes >= CHUNK_MAX_BYTES:
            yield chunk
            chunk, n_bytes = [], 0
    if chunk:
        yield chunk


def _missing_blocks(con: duckdb.DuckDBPyConnection, names: dict[int, str]) -> list[Problem]:
    """gVCFs among the chunk's files without a single reference block."""
    rows = con.execute(
        """
        SELECT s.file_index, count(r.sample_id) AS n_records,
               count(r.sample_id) FILTER (WHERE r.alt IS NULL OR r.alt IN ('<NON_REF>', '<*>')) AS n_blocks
        FROM chunk_samples AS s LEFT JOIN records AS r USING (sample_id)
        WHERE s.is_gvcf
        GROUP BY s.file_index
        HAVING n_blocks = 0
        ORDER BY s.file_index
        """
    ).fetchall()
    return [
        Problem(
            names[int(file_index)],
            "gVCF without reference blocks: its callable stretches are unknown",
            location="all records",
            field="ALT",
            expected="reference blocks (ALT <NON_REF> or <*> with INFO/END)",
            found=f"0 reference blocks in {n_records} records",
        )
        for file_index, n_records, _ in rows
    ]


def _harmonise_chunk(
    con: duckdb.DuckDBPyConnection,
    chunk: list[Normalized],
    samples: dict[int, list[CallFile]],
    writer: BatchWriter,
    number: int,
    filters: GenotypeFilters,
    thresholds: QcThresholds,
    *,
    stage: bool,
) -> tuple[list[SampleQc], list[Problem]]:
    """Genotypes, sex, calls, blocks and QC of a chunk of normalised files; calls and blocks are staged unless
    ``stage`` is off (an earlier problem means no batch will be written) or the chunk has problems itself."""
    con.execute(
        "CREATE OR REPLACE TEMP TABLE chunk_samples (tsv VARCHAR, sample_name VARCHAR, sample_id BIGINT, "
        "declared_sex VARCHAR, is_gvcf BOOLEAN, file_index INTEGER)"
    )
    rows = [
        (str(result.tsv), m.submitter_sample_id, m.sample_id, m.declared_sex, m.file_format == "GVCF", task.index)
        for task, result in chunk
        for m in samples[task.index]
    ]
    con.executemany("INSERT INTO chunk_samples VALUES (?, ?, ?, ?, ?, ?)", rows)
    tsv_files = [result.tsv for _, result in chunk if result.tsv is not None and result.tsv.stat().st_size]
    create_records(con, tsv_files)
    problems = _missing_blocks(con, {task.index: task.display_name for task, _ in chunk})
    create_parsed(con, filters)
    create_sample_sex(con, thresholds)
    create_genotypes(con)
    create_blocks(con)
    qc = sample_qc(con, thresholds)
    if stage and not problems:
        for table, query in ((layout.CALLS, calls_sql()), (layout.BLOCKS, "SELECT * FROM blocks")):
            target = writer.staging_dir(table) / f"chunk-{number:05d}"
            con.execute(
                f"COPY ({query}) TO {sql_text(str(target))} (FORMAT parquet, PARTITION_BY (chrom), COMPRESSION zstd)"
            )
    for _, result in chunk:
        if result.tsv is not None:
            result.tsv.unlink(missing_ok=True)
    return qc, problems


def _contig_order(fasta: Path) -> list[str]:
    with Path(f"{fasta}.fai").open(encoding="ascii") as index:
        return [line.split("\t", 1)[0] for line in index if line.strip()]


def harmonize(
    instance: Instance,
    *,
    analyses: Sequence[str] | None = None,
    filters: GenotypeFilters | None = None,
    thresholds: QcThresholds | None = None,
    progress: ProgressSink | None = None,
    workers: int = 0,
) -> HarmonizeOutcome:
    """Harmonise every current VCF/gVCF sample version not yet in a batch (or those of ``analyses``).

    Writes and registers one batch, or raises :class:`InvalidInput` naming every bad file and changes nothing.
    """
    started = time.perf_counter()
    filters = filters or GenotypeFilters()
    thresholds = thresholds or QcThresholds()
    progress = progress or SilentProgress()
    call_files = variant_repository.call_files_to_harmonise(instance.db, analyses=analyses)
    if not call_files:
        return HarmonizeOutcome(None, seconds=time.perf_counter() - started)
    problems = _build_problems(call_files)
    if problems:
        raise InvalidInput(f"harmonisation refused: {len(problems)} problem(s); nothing was stored", problems)
    reference = instance.require_reference(CANONICAL_BUILD)
    store = VariantStore.of(instance)
    n_threads = max(1, min(workers or os.cpu_count() or 1, os.cpu_count() or 1))
    qc: list[SampleQc] = []
    with store.new_batch() as writer:
        tasks, samples, sizes = _tasks(instance, call_files, reference, writer.work_dir)
        con = connect_duckdb(threads=n_threads, temp_dir=writer.work_dir / "duckdb.tmp")
        progress.begin(f"harmonising {len(tasks)} file(s)", sum(sizes.values()))
        try:
            normalized = _normalized(tasks, workers)
            for number, chunk in enumerate(_in_chunks(normalized, sizes, problems, progress), start=1):
                found_qc, found = _harmonise_chunk(
                    con, chunk, samples, writer, number, filters, thresholds, stage=not problems
                )
                qc.extend(found_qc)
                problems.extend(found)
        finally:
            progress.end()
            con.close()
        if problems:
            raise InvalidInput(
                f"harmonisation stopped: {len(problems)} problem(s); nothing was stored",
                sorted(problems, key=lambda p: (p.file, p.location or "")),
            )
        written = writer.finish(
            contig_order=_contig_order(reference),
            reference_build=CANONICAL_BUILD,
            filters=filters.to_dict(),
            sample_ids=[f.sample_id for f in call_files],
            threads=n_threads,
        )
    file_of = {f.sample_id: f for f in call_files}
    batch = store.publish(written, [HarmonisedSample(q.sample_id, file_of[q.sample_id].file_id, q) for q in qc])
    return HarmonizeOutcome(
        batch_id=batch.batch_id,
        n_samples=batch.n_samples,
        n_files=len(tasks),
        n_calls=batch.n_calls,
        n_blocks=batch.n_blocks,
        flagged=tuple(sorted(file_of[q.sample_id].sample_key for q in qc if q.flagged)),
        seconds=time.perf_counter() - started,
    )
