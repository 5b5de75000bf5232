"""``genomdb harmonize``: turn accepted VCF/gVCF files into one new variant-store batch.

1. ask the catalog for current sample versions with a VCF/gVCF that no batch holds yet (or those of the named
   analyses); check their analyses are on GRCh38;
2. in chunks of files, read the records with DuckDB and normalise the chunk's distinct alleles once with bcftools
   (:mod:`genomdb.harmonize.vcftext`; file by file, :mod:`genomdb.harmonize.normalize`, when bcftools refuses the
   chunk's sites), then derive genotypes, genetic sex, calls, callable blocks and sample QC with SQL; stage the
   calls and blocks as Parquet. With several chunks, each core's worker process takes a chunk at a time with a
   one-thread DuckDB of its own (:func:`worker_pool`: the workers die with this process); a single chunk runs
   here on every core;
3. if any file had a problem, raise with every problem found and leave store and catalog unchanged; otherwise
   sort and write the batch, move it into place and register it in one catalog transaction.
"""

from __future__ import annotations

import os
import shutil
import time
from collections import defaultdict
from collections.abc import Iterator, Sequence
from contextlib import ExitStack
from dataclasses import dataclass, replace
from pathlib import Path

import duckdb
import pysam

from genomdb.errors import InvalidInput, Problem
from genomdb.harmonize.blocks import callable_runs, create_blocks
from genomdb.harmonize.genotypes import (
    GenotypeFilters,
    calls_sql,
    create_genotypes,
    create_parsed,
    create_records,
    sql_text,
)
from genomdb.harmonize.normalize import (
    NormalizeTask,
    header_problems,
    local_plaintext,
    normalize_call_file,
    reference_lengths,
)
from genomdb.harmonize.qc import QcThresholds, create_sample_sex, sample_qc
from genomdb.harmonize.vcftext import (
    CallText,
    SitesRefused,
    as_text,
    create_records_from_text,
    drop_records,
    header_line_count,
)
from genomdb.ingest.progress import ProgressSink, SilentProgress
from genomdb.ingest.validators.alignments import quiet_htslib
from genomdb.instance import Instance
from genomdb.variants import layout
from genomdb.variants import repository as variant_repository
from genomdb.variants.records import CallFile, HarmonisedSample, SampleQc
from genomdb.variants.store import VariantStore, connect_duckdb
from genomdb.worker_pool import worker_pool

CANONICAL_BUILD = "GRCh38"
CHUNK_MAX_BYTES = 256 << 20
"""A chunk of files is read and normalised by DuckDB and bcftools together; it holds at most this much stored
input (compressed) and at most ``Settings.harmonize_chunk_files`` files. A worker process harmonises one chunk at
a time, so peak memory is about one chunk's per core."""


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


def _chunks(
    tasks: Sequence[NormalizeTask], sizes: dict[int, int], threads: int, max_files: int
) -> Iterator[list[NormalizeTask]]:
    """Tasks in chunks of at most ``max_files`` files and CHUNK_MAX_BYTES of stored input, but never fewer files
    than threads (a gzip file is read by one thread: whole-genome gVCFs of a few GB each still use every core)."""
    chunk: list[NormalizeTask] = []
    n_bytes = 0
    for task in tasks:
        chunk.append(task)
        n_bytes += sizes[task.index]
        if len(chunk) >= max_files or (n_bytes >= CHUNK_MAX_BYTES and len(chunk) >= threads):
            yield chunk
            chunk, n_bytes = [], 0
    if chunk:
        yield chunk


def _call_text(task: NormalizeTask, stack: ExitStack, lengths: dict[str, int]) -> tuple[CallText | None, list[Problem]]:
    """A task's file as DuckDB will read it (kept local until ``stack`` closes), or the problems of its header."""
    path = stack.enter_context(local_plaintext(task.blobs, task.sha256, task.work_dir))
    try:
        with quiet_htslib(), pysam.VariantFile(str(path)) as variants:
            header = variants.header.copy()
    except (OSError, ValueError) as exc:
        return None, [Problem(task.display_name, f"cannot read the VCF: {exc}")]
    problems, _ = header_problems(task, header, lengths)
    if problems:
        return None, problems
    text = as_text(path, task.work_dir, task.index)
    if text != path:
        stack.callback(text.unlink, missing_ok=True)
    lines, gzipped = header_line_count(text)
    return CallText(task.index, task.display_name, text, gzipped, lines, tuple(header.samples)), []


def _records_file_by_file(
    con: duckdb.DuckDBPyConnection, tasks: Sequence[NormalizeTask], samples: dict[int, list[CallFile]]
) -> list[Problem]:
    """``records`` of ``tasks`` normalised file by file (``bcftools norm`` and ``query`` on each): slower, but a
    file bcftools refuses is named with bcftools' own reason."""
    drop_records(con)
    problems: list[Problem] = []
    tsv_files: list[Path] = []
    for task in tasks:
        result = normalize_call_file(task)
        problems.extend(result.problems)
        if result.tsv is None:
            continue
        tsv_files.append(result.tsv)
        con.execute("UPDATE chunk_samples SET source = ? WHERE file_index = ?", [str(result.tsv), task.index])
    try:
        create_records(con, [p for p in tsv_files if p.stat().st_size])
    finally:
        for tsv in tsv_files:
            tsv.unlink(missing_ok=True)
    return problems


def _missing_blocks(con: duckdb.DuckDBPyConnection, names: dict[int, str]) -> list[Problem]:
    """gVCFs among the chunk's files without a single reference block (in ``genotypes``)."""
    rows = con.execute(
        """
        SELECT s.file_index, count(r.sample_id) AS n_records,
               count(r.sample_id) FILTER (WHERE r.kind = 'reference') AS n_blocks
        FROM chunk_samples AS s LEFT JOIN genotypes AS r USING (sample_id)
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


@dataclass(frozen=True, slots=True)
class ChunkJob:
    """A chunk of files to harmonise, with everything needed to do it in another process."""

    number: int
    tasks: tuple[NormalizeTask, ...]
    samples: dict[int, list[CallFile]]
    reference: Path
    lengths: dict[str, int]
    work_dir: Path
    """The chunk's own folder for its temporary files (chunks run side by side, and the sites of each go to
    bcftools under the same names); every task of the chunk works in it too."""
    staging: dict[str, Path]
    """Where the chunk's calls and blocks are staged, by table."""
    filters: GenotypeFilters
    thresholds: QcThresholds
    stage: bool
    """False when an earlier problem means no batch will be written."""


def _harmonise_chunk(con: duckdb.DuckDBPyConnection, job: ChunkJob) -> tuple[list[SampleQc], list[Problem]]:
    """Records, genotypes, sex, calls, blocks and QC of a chunk of files; calls and blocks are staged unless
    ``job.stage`` is off or the chunk has problems itself."""
    tasks, samples, reference, filters, thresholds = job.tasks, job.samples, job.reference, job.filters, job.thresholds
    problems: list[Problem] = []
    job.work_dir.mkdir(parents=True, exist_ok=True)
    with ExitStack() as stack:
        stack.callback(shutil.rmtree, job.work_dir, ignore_errors=True)
        texts: list[CallText] = []
        for task in tasks:
            text, found = _call_text(task, stack, job.lengths)
            problems.extend(found)
            if text is not None:
                texts.append(text)
        con.execute(
            "CREATE OR REPLACE TEMP TABLE chunk_samples (source VARCHAR, sample_name VARCHAR, sample_id BIGINT, "
            "declared_sex VARCHAR, is_gvcf BOOLEAN, file_index INTEGER)"
        )
        rows = [
            (str(t.path), m.submitter_sample_id, m.sample_id, m.declared_sex, m.file_format == "GVCF", t.index)
            for t in texts
            for m in samples[t.index]
        ]
        if rows:
            con.executemany("INSERT INTO chunk_samples VALUES (?, ?, ?, ?, ?, ?)", rows)
        try:
            problems.extend(create_records_from_text(con, texts, reference, job.work_dir))
        except SitesRefused:
            read = {t.index for t in texts}
            problems.extend(_records_file_by_file(con, [t for t in tasks if t.index in read], samples))
    create_parsed(con, filters)
    create_sample_sex(con, thresholds)
    create_genotypes(con)
    drop_records(con)
    problems.extend(_missing_blocks(con, {task.index: task.display_name for task in tasks}))
    create_blocks(con)
    qc = sample_qc(con, thresholds)
    if job.stage and not problems:
        con.register("callable_runs", callable_runs(con))
        staged = (
            (layout.CALLS, calls_sql()),
            (layout.BLOCKS, "SELECT * FROM blocks"),
            (layout.CALLABLE, "SELECT * FROM callable_runs"),
        )
        try:
            for table, query in staged:
                target = job.staging[table] / f"chunk-{job.number:05d}"
                options = "FORMAT parquet, PARTITION_BY (chrom), COMPRESSION zstd"
                con.execute(f"COPY ({query}) TO {sql_text(str(target))} ({options})")
        finally:
            con.unregister("callable_runs")
    return qc, problems


_worker_con: duckdb.DuckDBPyConnection | None = None
"""A chunk worker's own DuckDB connection (one thread), made when the worker starts."""


def _open_chunk_connection(
    contigs: Sequence[str], *, threads: int, temp_dir: Path, memory_limit: str | None = None
) -> duckdb.DuckDBPyConnection:
    con = connect_duckdb(threads=threads, temp_dir=temp_dir, memory_limit=memory_limit)
    con.execute("CREATE TEMP TABLE contig_order (chrom VARCHAR, rank INTEGER)")
    con.executemany("INSERT INTO contig_order VALUES (?, ?)", [(c, i) for i, c in enumerate(contigs)])
    return con


def _start_chunk_worker(contigs: Sequence[str], work_dir: Path, memory_limit: str) -> None:
    global _worker_con
    _worker_con = _open_chunk_connection(
        contigs, threads=1, temp_dir=work_dir / f"duckdb-{os.getpid()}.tmp", memory_limit=memory_limit
    )


def _chunk_in_worker(job: ChunkJob) -> tuple[list[SampleQc], list[Problem]]:
    if _worker_con is None:
        raise RuntimeError("chunk worker used before it started")
    return _harmonise_chunk(_worker_con, job)


def _memory_share(processes: int) -> str:
    """DuckDB's default memory limit (80% of RAM) shared between ``processes`` chunk workers."""
    total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    return f"{max(256, int(total * 0.8 / processes) >> 20)}MB"


def _run_chunks(
    jobs: Iterator[ChunkJob], threads: int, processes: int, contigs: Sequence[str], work_dir: Path
) -> Iterator[tuple[ChunkJob, list[SampleQc], list[Problem]]]:
    """Each chunk harmonised, in order: in this process on ``threads`` threads (``processes`` 1), or one chunk
    per worker process at a time, each on one thread."""
    if processes <= 1:
        con = _open_chunk_connection(contigs, threads=threads, temp_dir=work_dir / "duckdb.tmp")
        try:
            for job in jobs:
                yield job, *_harmonise_chunk(con, job)
        finally:
            con.close()
        return
    with worker_pool(
        processes,
        preload=["genomdb.harmonize.run"],
        initializer=_start_chunk_worker,
        initargs=(list(contigs), work_dir, _memory_share(processes)),
    ) as pool:
        pending = [(job, pool.submit(_chunk_in_worker, job)) for job in jobs]
        try:
            for job, future in pending:
                yield job, *future.result()
        except BaseException:
            for _, future in pending:  # a chunk failed or the run was stopped: start no other
                future.cancel()
            raise


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
        contigs = _contig_order(reference)
        lengths = reference_lengths(reference)
        staging = {table: writer.staging_dir(table) for table in (layout.CALLS, layout.BLOCKS, layout.CALLABLE)}
        # several chunks run in worker processes, one chunk and one core each (a single-threaded DuckDB wastes
        # nothing waiting on the other threads of a statement, and the Python steps between statements run in
        # parallel too); a single chunk runs here on every core. Jobs are made as they are taken: in this process
        # a chunk after a problem is not staged (no batch will be written)
        chunks = list(_chunks(tasks, sizes, n_threads, instance.settings.harmonize_chunk_files))
        processes = min(n_threads, len(chunks))
        jobs = (
            ChunkJob(
                number, tuple(replace(t, work_dir=writer.work_dir / f"work-{number:05d}") for t in chunk),
                {t.index: samples[t.index] for t in chunk}, reference, lengths,
                writer.work_dir / f"work-{number:05d}", staging, filters, thresholds, stage=not problems,
            )
            for number, chunk in enumerate(chunks, start=1)
        )  # fmt: skip
        progress.begin(f"harmonising {len(tasks)} file(s)", sum(sizes.values()))
        try:
            for job, found_qc, found in _run_chunks(jobs, n_threads, processes, contigs, writer.work_dir):
                qc.extend(found_qc)
                problems.extend(found)
                for task in job.tasks:
                    progress.advance(sizes[task.index], note=task.display_name)
        finally:
            progress.end()
        if problems:
            raise InvalidInput(
                f"harmonisation stopped: {len(problems)} problem(s); nothing was stored",
                sorted(problems, key=lambda p: (p.file, p.location or "")),
            )
        written = writer.finish(
            contig_order=contigs,
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
