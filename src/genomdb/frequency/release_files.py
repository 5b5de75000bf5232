"""Writing a release's files from the ordered rows an engine returns: the part every engine shares.

Whichever engine summed the counts (:mod:`genomdb.variants.engine`), its ordered rows are re-cut here into record
batches of at most :data:`ROW_BATCH` rows that never span two chromosomes, cast to the release's fixed schemas and
written by pyarrow as zstd Parquet and an uncompressed Arrow IPC twin. The cut depends only on the rows, so a
release computed by DuckDB and one computed by Spark from the same inputs are the same bytes. The variants'
allele numbers (the sum of the coverage layers at each position), allele frequencies and filtering allele
frequencies are added on the way, batch by batch, so memory stays flat in the number of variants.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pyarrow as pa  # type: ignore[import-untyped]
import pyarrow.compute as pc  # type: ignore[import-untyped]
import pyarrow.parquet as pq  # type: ignore[import-untyped]

from genomdb.frequency import coverage as cov
from genomdb.frequency.arrowfile import SortedArrowFile
from genomdb.frequency.faf import poisson_lower_bound

ROW_BATCH = 65_536
"""Rows per Parquet row group and per Arrow record batch of release files."""
VARIANT_METRICS = ("ac", "nhomalt", "nhemi")
FAF_CONFIDENCES = (("faf95", 0.95), ("faf99", 0.99))
FAF_CACHE = "faf-lambda.parquet"
Column = np.ndarray[Any, np.dtype[Any]]

CELL_VARIANTS_SCHEMA = pa.schema(
    [
        ("chrom", pa.string()),
        ("pos", pa.int32()),
        ("ref", pa.string()),
        ("alt", pa.string()),
        ("sex", pa.string()),
        ("region", pa.string()),
        ("platform", pa.string()),
        ("ac", pa.int64()),
        ("nhomalt", pa.int64()),
        ("nhemi", pa.int64()),
    ]
)
"""A partial's variant cells: counts of one batch's samples per variant and cell."""
CELL_COVERAGE_SCHEMA = pa.schema(
    [
        ("chrom", pa.string()),
        ("pos", pa.int32()),
        ("sex", pa.string()),
        ("region", pa.string()),
        ("platform", pa.string()),
        ("d_an", pa.int64()),
        ("d_ind", pa.int64()),
    ]
)
"""A partial's coverage events: the change of callable alleles and individuals at a position, per cell."""


def coverage_schema(slugs: Sequence[str]) -> pa.Schema:
    """A coverage layer's runs: ``chrom, start_1based, end_1based, callable_individuals, an_<stratum>…``."""
    fields = [("chrom", pa.string()), ("start_1based", pa.int32()), ("end_1based", pa.int32())]
    fields += [("callable_individuals", pa.int32())] + [(f"an_{slug}", pa.int32()) for slug in slugs]
    return pa.schema(fields)


def variants_schema(slugs: Sequence[str]) -> pa.Schema:
    """The variants table: per stratum AC, AN, AF, nhomalt, nhemi, FAF95, FAF99."""
    fields = [("chrom", pa.string()), ("pos", pa.int32()), ("ref", pa.string()), ("alt", pa.string())]
    for slug in slugs:
        fields += [(f"ac_{slug}", pa.int32()), (f"an_{slug}", pa.int32()), (f"af_{slug}", pa.float64())]
        fields += [(f"nhomalt_{slug}", pa.int32()), (f"nhemi_{slug}", pa.int32())]
        fields += [(f"{name}_{slug}", pa.float64()) for name, _ in FAF_CONFIDENCES]
    return pa.schema(fields)


def conform(batch: pa.RecordBatch, schema: pa.Schema) -> pa.RecordBatch:
    """The schema's columns of ``batch``, cast to its types (engines differ in integer widths and metadata)."""
    return pa.RecordBatch.from_arrays([batch.column(f.name).cast(f.type) for f in schema], schema=schema)


def _by_chrom(batch: pa.RecordBatch) -> Iterator[pa.RecordBatch]:
    n_rows = batch.num_rows
    if n_rows <= 1:
        if n_rows:
            yield batch
        return
    chroms = batch.column("chrom")
    changed = pc.not_equal(chroms.slice(1), chroms.slice(0, n_rows - 1))
    start = 0
    for index in pc.indices_nonzero(changed).to_pylist():
        yield batch.slice(start, index + 1 - start)
        start = index + 1
    yield batch.slice(start)


def _joined(pieces: list[pa.RecordBatch]) -> pa.RecordBatch:
    if len(pieces) == 1:
        return pieces[0]
    return pa.Table.from_batches(pieces).combine_chunks().to_batches()[0]


def rechunk(batches: Iterable[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
    """The same rows in batches of :data:`ROW_BATCH` rows, cut early only where the chromosome changes."""
    pending: list[pa.RecordBatch] = []
    n_pending = 0
    chrom: Any = None
    for batch in batches:
        for piece in _by_chrom(batch):
            first = piece.column("chrom")[0].as_py()
            if pending and first != chrom:
                yield _joined(pending)
                pending, n_pending = [], 0
            chrom = first
            while piece.num_rows:
                take = min(ROW_BATCH - n_pending, piece.num_rows)
                pending.append(piece.slice(0, take))
                n_pending += take
                piece = piece.slice(take)
                if n_pending == ROW_BATCH:
                    yield _joined(pending)
                    pending, n_pending = [], 0
    if pending:
        yield _joined(pending)


def _canonical(batch: pa.RecordBatch) -> pa.RecordBatch:
    """The same rows in freshly allocated buffers of exactly their size, whatever the engine handed over."""
    return pa.RecordBatch.from_arrays([pa.concat_arrays([column]) for column in batch.columns], schema=batch.schema)


def write_release_table(
    batches: Iterable[pa.RecordBatch],
    schema: pa.Schema,
    parquet_path: Path,
    ipc_path: Path,
    *,
    transform: Callable[[pa.RecordBatch], pa.RecordBatch] | None = None,
) -> int:
    """Write ordered rows as zstd Parquet and uncompressed Arrow IPC (no batch spans two chromosomes).

    Arrow IPC records buffers as they are, and engines hand over buffers with different spare capacity (slices of
    bigger arrays), so each batch is copied into buffers of exactly its size before it is written: the IPC twin's
    bytes then depend only on the rows, as the Parquet file's do.
    """

    def write(piece: pa.RecordBatch) -> None:
        parquet.write_batch(piece, row_group_size=ROW_BATCH)
        ipc.write_batch(piece)

    with (
        pq.ParquetWriter(parquet_path, schema, compression="zstd", compression_level=1) as parquet,
        pa.OSFile(str(ipc_path), "wb") as sink,
        pa.ipc.new_file(sink, schema) as ipc,
    ):
        pieces = (_canonical(transform(c) if transform is not None else conform(c, schema)) for c in rechunk(batches))
        return _written_behind(pieces, write)


def _written_behind(pieces: Iterable[pa.RecordBatch], write: Callable[[pa.RecordBatch], None]) -> int:
    """``write`` each piece in a thread of its own while the next piece is produced (pyarrow releases the GIL
    while it encodes); the number of rows written.

    At most one write is pending, so memory holds two pieces; the writes happen in order, one at a time, and an
    error on either side stops both (a pending write is finished before the error is raised).
    """
    n_rows = 0
    with ThreadPoolExecutor(max_workers=1) as writer:
        pending: Future[None] | None = None
        for piece in pieces:
            if pending is not None:
                pending.result()
            pending = writer.submit(write, piece)
            n_rows += piece.num_rows
        if pending is not None:
            pending.result()
    return n_rows


def write_parquet(batches: Iterable[pa.RecordBatch], schema: pa.Schema, path: Path) -> int:
    """Write ordered rows as one zstd Parquet file of the given schema; return the row count."""
    with pq.ParquetWriter(path, schema, compression="zstd", compression_level=1) as writer:
        return _written_behind(
            (conform(chunk, schema) for chunk in rechunk(batches)),
            lambda piece: writer.write_batch(piece, row_group_size=ROW_BATCH),
        )


class FafLookup:
    """Poisson lower bounds λ(AC) for the FAF, computed once per count and kept in ``cache_dir`` between builds.

    The bounds are a pure function of the count; computing the exact ones costs ~0.1 ms each in Python, which
    adds up over thousands of distinct counts. The cache is replaced atomically; an unreadable one is ignored.
    """

    def __init__(self, cache_dir: Path | None) -> None:
        self.cache = cache_dir / FAF_CACHE if cache_dir is not None else None
        self._changed = False
        self._table: npt.NDArray[np.float64] = np.zeros((2, len(FAF_CONFIDENCES)))
        """λ per count, the row being the count (NaN: not known yet; rows 0 and 1 hold 0, a singleton's FAF)."""
        if self.cache is not None and self.cache.exists():
            try:
                cached = pq.read_table(self.cache)
                counts = cached.column("ac").to_numpy().astype(np.int64)
                values = np.column_stack([cached.column(name).to_numpy() for name, _ in FAF_CONFIDENCES])
            except (OSError, pa.ArrowInvalid, KeyError):
                return
            usable = counts >= 2
            self._grown(int(counts.max()) if len(counts) else 0)[counts[usable]] = values[usable]

    def bounds(self, counts: Iterable[int]) -> list[tuple[float, ...]]:
        """λ at each confidence of :data:`FAF_CONFIDENCES`, per count (the bound itself for counts below 2 too)."""
        wanted = np.fromiter(counts, np.int64)
        found = self.lambdas(wanted)
        out = list(zip(*(found[name].tolist() for name, _ in FAF_CONFIDENCES), strict=True))
        for row in np.flatnonzero(wanted < 2):
            out[row] = tuple(poisson_lower_bound(int(wanted[row]), conf) for _, conf in FAF_CONFIDENCES)
        return out

    def lambdas(self, ac: Column) -> dict[str, Column]:
        """λ per confidence for an array of counts (0 where AC < 2: singletons have FAF 0).

        Known counts are looked up in a table indexed by the count itself; only counts never seen are computed.
        """
        ac = np.asarray(ac, np.int64)
        index = np.where(ac >= 2, ac, 0)
        top = int(index.max()) if len(index) else 0
        if top >= len(self._table) or np.isnan(self._table[index, 0]).any():
            missing = np.unique(index[np.isnan(self._grown(top)[index, 0])])
            self._table[missing] = [[poisson_lower_bound(int(c), conf) for _, conf in FAF_CONFIDENCES] for c in missing]
            self._changed = True
        values = self._table[index]
        return {name: values[:, i] for i, (name, _) in enumerate(FAF_CONFIDENCES)}

    def _grown(self, top: int) -> npt.NDArray[np.float64]:
        """The count-indexed table, with rows up to ``top`` (new rows NaN)."""
        if top >= len(self._table):
            table = np.full((max(top + 1, 2 * len(self._table)), len(FAF_CONFIDENCES)), np.nan)
            table[: len(self._table)] = self._table
            self._table = table
        return self._table

    def save(self) -> None:
        if self.cache is None or not self._changed:
            return
        everything = np.flatnonzero(~np.isnan(self._table[:, 0]))
        everything = everything[everything >= 2]
        scratch = self.cache.with_name(f".{self.cache.name}.{os.getpid()}")
        columns = {"ac": pa.array(everything, pa.int64())}
        for i, (name, _) in enumerate(FAF_CONFIDENCES):
            columns[name] = pa.array(self._table[everything, i], pa.float64())
        pq.write_table(pa.table(columns), scratch)
        scratch.replace(self.cache)
        self._changed = False


class VariantColumns:
    """Turns a chunk of summed variant counts into release rows: AN from the coverage layers, AF, FAF.

    AN is the layers' sum at the variant's position (0 where nothing was callable); AF is AC/AN and FAF λ(AC)/AN,
    both null without AN. Counts whose AC exceeds AN are counted in :attr:`n_above` (calls without callable blocks).
    """

    def __init__(self, slugs: Sequence[str], layers: Sequence[SortedArrowFile], faf: FafLookup) -> None:
        self.slugs = tuple(slugs)
        self.layers = layers
        self.faf = faf
        self.schema = variants_schema(self.slugs)
        self.n_above = 0

    def __call__(self, batch: pa.RecordBatch) -> pa.RecordBatch:
        positions = pa.table({"chrom": batch.column("chrom"), "pos": batch.column("pos")})
        an_columns = [f"an_{slug}" for slug in self.slugs]
        numbers = cov.values_table(self.layers, positions, an_columns, types=[pa.int64()] * len(an_columns))
        arrays: list[pa.Array] = [
            batch.column("chrom").cast(pa.string()),
            batch.column("pos").cast(pa.int32()),
            batch.column("ref").cast(pa.string()),
            batch.column("alt").cast(pa.string()),
        ]
        for slug in self.slugs:
            ac = batch.column(f"ac_{slug}").to_numpy(zero_copy_only=False).astype(np.int64)
            an = numbers.column(f"an_{slug}").to_numpy(zero_copy_only=False).astype(np.int64)
            self.n_above += int(np.count_nonzero(ac > an))
            missing = an <= 0
            with np.errstate(divide="ignore", invalid="ignore"):
                af = ac / an
                lambdas = self.faf.lambdas(ac)
                fafs = [pa.array(lambdas[name] / an, pa.float64(), mask=missing) for name, _ in FAF_CONFIDENCES]
            arrays += [
                pa.array(ac, pa.int32()),
                pa.array(an, pa.int32()),
                pa.array(af, pa.float64(), mask=missing),
                batch.column(f"nhomalt_{slug}").cast(pa.int32()),
                batch.column(f"nhemi_{slug}").cast(pa.int32()),
                *fafs,
            ]
        return pa.RecordBatch.from_arrays(arrays, schema=self.schema)
