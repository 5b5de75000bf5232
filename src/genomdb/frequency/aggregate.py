"""The frequency engine: DuckDB SQL over variant-store batches, written so that Spark could run the same logic.

Three steps, each a plain relational query:

1. **Cells.** Passing calls and callable blocks of a set of samples are summed per *cell* (a sample's sex,
   region and platform labels): variant cells ``(chrom, pos, ref, alt, cell) → ac, nhomalt, nhemi`` and coverage
   events ``(chrom, pos, cell) → Δallele_number, Δindividuals`` (+callable alleles where a block starts, − one
   base after it ends). A batch's cells over all of its samples are its stored *partial*.
2. **Strata.** Cells are spread into one column per stratum (``CASE`` on the labels) and summed, together with
   any other signed sources (a previous release, partials of new batches, minus samples that left).
3. **Finalise.** Coverage deltas whose every column is 0 are dropped, a running sum per chromosome turns them
   into one layer of the callable-AN step function (:mod:`genomdb.frequency.coverage`), the variants take their
   AN as the sum of the release's layers at their position, and AF and FAF are derived. Sums of integers are
   exact, so any decomposition of the same samples gives identical counts — the property incremental releases
   rely on.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pyarrow as pa  # type: ignore[import-untyped]
import pyarrow.compute as pc  # type: ignore[import-untyped]
import pyarrow.parquet as pq  # type: ignore[import-untyped]

from genomdb.errors import IntegrityError
from genomdb.frequency import coverage as cov
from genomdb.frequency.arrowfile import SortedArrowFile
from genomdb.frequency.faf import poisson_lower_bound
from genomdb.frequency.strata import (
    PLATFORM_PREFIX,
    REGION_PREFIX,
    TOTAL,
    SampleLabels,
    hemizygous_sql,
    stratum_slug,
)
from genomdb.refdata.builds import get_build

SAMPLES_SCHEMA = pa.schema(
    [("sample_id", pa.int64()), ("sex", pa.string()), ("region", pa.string()), ("platform", pa.string())]
)
VARIANT_METRICS = ("ac", "nhomalt", "nhemi")
FAF_CONFIDENCES = (("faf95", 0.95), ("faf99", 0.99))
DEFAULT_MEMORY_LIMIT = "1GB"
ROW_BATCH = 65_536
"""Rows per Parquet row group and per Arrow record batch of release files."""
Column = np.ndarray[Any, np.dtype[Any]]


def quote(text: str) -> str:
    """A SQL string literal."""
    return "'" + text.replace("'", "''") + "'"


def _path_list(paths: Iterable[str]) -> str:
    return "[" + ", ".join(quote(p) for p in paths) + "]"


def open_engine(
    work_dir: Path, *, threads: int | None = None, memory_limit: str | None = None
) -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB that spills to ``work_dir`` beyond ``memory_limit`` (default 1 GB, so the peak memory
    of a build stays flat as the cohort grows) and keeps the order of ``ORDER BY`` results."""
    work_dir.mkdir(parents=True, exist_ok=True)
    config: dict[str, str | bool | int | float | list[str]] = {
        "temp_directory": str(work_dir / "duckdb-spill"),
        "preserve_insertion_order": True,
    }
    if threads:
        config["threads"] = threads
    config["memory_limit"] = memory_limit or DEFAULT_MEMORY_LIMIT
    return duckdb.connect(":memory:", config=config)


def register_samples(con: duckdb.DuckDBPyConnection, name: str, samples: Sequence[tuple[int, SampleLabels]]) -> None:
    """Create temp table ``name(sample_id, sex, region, platform)``."""
    table = pa.table(
        {
            "sample_id": pa.array([s for s, _ in samples], pa.int64()),
            "sex": pa.array([labels.sex for _, labels in samples], pa.string()),
            "region": pa.array([labels.region for _, labels in samples], pa.string()),
            "platform": pa.array([labels.platform for _, labels in samples], pa.string()),
        },
        schema=SAMPLES_SCHEMA,
    )
    con.register(f"{name}_arrow", table)
    con.execute(f"CREATE OR REPLACE TEMP TABLE {name} AS SELECT * FROM {name}_arrow")
    con.unregister(f"{name}_arrow")


def _only(column: str, sample_ids: Sequence[int] | None) -> str:
    if sample_ids is None:
        return ""
    return f" AND {column} IN ({', '.join(str(int(s)) for s in sample_ids) or 'NULL'})"


def cell_variants_sql(calls_globs: Sequence[str], samples_table: str, *, only: Sequence[int] | None = None) -> str:
    """Passing calls of the samples in ``samples_table``, summed per variant and cell.

    ``only`` repeats the sample ids as a scan filter, so that a few samples are read without decoding the rest.
    """
    hemi = hemizygous_sql("c.chrom", "c.pos")
    return f"""
        SELECT c.chrom, c.pos, c.ref, c.alt, s.sex, s.region, s.platform,
               SUM(c.alt_count)::BIGINT AS ac,
               COUNT(*) FILTER (WHERE c.alt_count = 2)::BIGINT AS nhomalt,
               COUNT(*) FILTER (WHERE s.sex = 'XY' AND c.called_alleles = 1 AND {hemi})::BIGINT AS nhemi
        FROM read_parquet({_path_list(calls_globs)}, hive_partitioning = true, union_by_name = true) AS c
        JOIN {samples_table} AS s ON s.sample_id = c.sample_id
        WHERE c.passes{_only("c.sample_id", only)}
        GROUP BY c.chrom, c.pos, c.ref, c.alt, s.sex, s.region, s.platform
    """


def cell_coverage_sql(blocks_globs: Sequence[str], samples_table: str, *, only: Sequence[int] | None = None) -> str:
    """Callable blocks of the samples in ``samples_table`` as coverage events, summed per position and cell.

    Each block yields its two events through a join with a two-row table rather than a CTE read twice, so the
    blocks stream through the aggregation instead of being materialised (which cannot spill to disk).
    """
    return f"""
        SELECT b.chrom,
               CASE WHEN e.opening THEN b.start_1based ELSE b.end_1based + 1 END AS pos,
               s.sex, s.region, s.platform,
               SUM(CASE WHEN e.opening THEN b.callable_alleles ELSE -b.callable_alleles END)::BIGINT AS d_an,
               SUM(CASE WHEN e.opening THEN 1 ELSE -1 END)::BIGINT AS d_ind
        FROM read_parquet({_path_list(blocks_globs)}, hive_partitioning = true, union_by_name = true) AS b
        JOIN {samples_table} AS s ON s.sample_id = b.sample_id
        CROSS JOIN (VALUES (true), (false)) AS e(opening)
        WHERE b.callable_alleles > 0{_only("b.sample_id", only)}
        GROUP BY ALL
        HAVING SUM(CASE WHEN e.opening THEN b.callable_alleles ELSE -b.callable_alleles END) <> 0
            OR SUM(CASE WHEN e.opening THEN 1 ELSE -1 END) <> 0
    """


def _member_sql(stratum: str, value: str) -> str:
    if stratum == TOTAL:
        return value
    if stratum.startswith(REGION_PREFIX):
        condition = f"region = {quote(stratum.removeprefix(REGION_PREFIX))}"
    elif stratum.startswith(PLATFORM_PREFIX):
        condition = f"platform = {quote(stratum.removeprefix(PLATFORM_PREFIX))}"
    else:
        condition = f"sex = {quote(stratum)}"
    return f"CASE WHEN {condition} THEN {value} ELSE 0 END"


@dataclass(frozen=True, slots=True)
class StrataLayout:
    """The strata of one release and the SQL that spreads cells and sources into their columns."""

    strata: tuple[str, ...]

    @property
    def slugs(self) -> tuple[str, ...]:
        return tuple(stratum_slug(s) for s in self.strata)

    def variant_columns(self) -> list[str]:
        return [f"{metric}_{slug}" for slug in self.slugs for metric in VARIANT_METRICS]

    def delta_columns(self) -> list[str]:
        return [f"d_{slug}" for slug in self.slugs] + ["d_ind"]

    def variants_from_cells(self, cells_sql: str, sign: int) -> str:
        """Wide per-stratum counts from a cell-level variant source, multiplied by ``sign``."""
        columns = [
            f"{sign} * {_member_sql(stratum, metric)} AS {metric}_{slug}"
            for stratum, slug in zip(self.strata, self.slugs, strict=True)
            for metric in VARIANT_METRICS
        ]
        return f"SELECT chrom, pos, ref, alt, {', '.join(columns)} FROM ({cells_sql})"

    def deltas_from_cells(self, cells_sql: str, sign: int) -> str:
        """Wide per-stratum coverage deltas from a cell-level coverage source, multiplied by ``sign``."""
        columns = [
            f"{sign} * {_member_sql(stratum, 'd_an')} AS d_{slug}"
            for stratum, slug in zip(self.strata, self.slugs, strict=True)
        ]
        return f"SELECT chrom, pos, {', '.join(columns)}, {sign} * d_ind AS d_ind FROM ({cells_sql})"

    def variants_from_release(self, variants_parquet: Path, release_strata: Sequence[str]) -> str:
        """The counts of a previous release's ``variants.parquet`` (strata it lacks count 0)."""
        present = {stratum_slug(s) for s in release_strata}
        columns = [
            f"{metric}_{slug}" if slug in present else f"0 AS {metric}_{slug}"
            for slug in self.slugs
            for metric in VARIANT_METRICS
        ]
        return f"SELECT chrom, pos, ref, alt, {', '.join(columns)} FROM read_parquet({quote(str(variants_parquet))})"

    def deltas_from_release(self, coverage_parquet: Path, release_strata: Sequence[str]) -> str:
        """A previous release's callable-AN runs turned back into deltas (+AN at start, −AN after the end)."""
        present = {stratum_slug(s) for s in release_strata}
        path = quote(str(coverage_parquet))

        def columns(sign: str) -> str:
            values = [f"{sign}an_{slug} AS d_{slug}" if slug in present else f"0 AS d_{slug}" for slug in self.slugs]
            return ", ".join([*values, f"{sign}callable_individuals AS d_ind"])

        return f"""
            SELECT chrom, start_1based AS pos, {columns("")} FROM read_parquet({path})
            UNION ALL
            SELECT chrom, end_1based + 1 AS pos, {columns("-")} FROM read_parquet({path})
        """


@dataclass(frozen=True, slots=True)
class ReleaseTables:
    """Where a finalised release's tables were written and how many rows they have.

    ``coverage``/``coverage_ipc`` are the layer this build wrote (see :mod:`genomdb.frequency.coverage`);
    ``n_coverage_runs`` counts its runs only.
    """

    variants: Path
    coverage: Path
    variants_ipc: Path
    coverage_ipc: Path
    n_variants: int
    n_coverage_runs: int


def _sum_columns(columns: Sequence[str]) -> str:
    return ", ".join(f"SUM({c})::BIGINT AS {c}" for c in columns)


def _contig_table(con: duckdb.DuckDBPyConnection, build: str) -> None:
    contigs = get_build(build).contigs
    table = pa.table({"chrom": [c.name for c in contigs], "contig_rank": list(range(len(contigs)))})
    con.register("contig_order_arrow", table)
    con.execute("CREATE OR REPLACE TEMP TABLE contig_order AS SELECT * FROM contig_order_arrow")
    con.unregister("contig_order_arrow")


FAF_CACHE = "faf-lambda.parquet"


def faf_lambdas(counts: Sequence[int], cache_dir: Path | None) -> pa.Table:
    """``(ac, faf95, faf99)``: the Poisson lower bounds of the counts, from a cache of earlier builds when given.

    The bounds are a pure function of the count; computing the exact ones costs ~0.1 ms each in Python, which
    adds up over thousands of distinct counts, so builds keep them in ``cache_dir`` (replaced atomically; an
    unreadable cache is ignored).
    """
    names = [name for name, _ in FAF_CONFIDENCES]
    known: dict[int, tuple[float, ...]] = {}
    cache = cache_dir / FAF_CACHE if cache_dir is not None else None
    if cache is not None and cache.exists():
        try:
            rows = pq.read_table(cache).to_pylist()
            known = {int(r["ac"]): tuple(float(r[name]) for name in names) for r in rows}
        except (OSError, pa.ArrowInvalid, KeyError):
            known = {}
    missing = [c for c in counts if c not in known]
    for count in missing:
        known[count] = tuple(poisson_lower_bound(count, conf) for _, conf in FAF_CONFIDENCES)
    if cache is not None and missing:
        everything = sorted(known)
        scratch = cache.with_name(f".{cache.name}.{os.getpid()}")
        columns = {"ac": pa.array(everything, pa.int64())}
        columns |= {name: pa.array([known[c][i] for c in everything], pa.float64()) for i, name in enumerate(names)}
        pq.write_table(pa.table(columns), scratch)
        scratch.replace(cache)
    columns = {"ac": pa.array(counts, pa.int64())}
    columns |= {name: pa.array([known[c][i] for c in counts], pa.float64()) for i, name in enumerate(names)}
    return pa.table(columns)


@dataclass(frozen=True, slots=True)
class _FafColumns:
    """Adds ``faf95_<s>``/``faf99_<s>`` after each stratum's ``nhemi_<s>``: λ(AC) / AN (0 for AC < 2, null
    without AN), λ looked up by a sorted search in the table of distinct counts."""

    slugs: tuple[str, ...]
    counts: Column
    lambdas: dict[str, Column]

    @classmethod
    def of(cls, con: duckdb.DuckDBPyConnection, layout: StrataLayout, cache_dir: Path | None) -> _FafColumns:
        union = " UNION ".join(f"SELECT ac_{slug} AS ac FROM summed_variants" for slug in layout.slugs)
        rows = con.execute(f"SELECT DISTINCT ac FROM ({union}) WHERE ac >= 2 ORDER BY ac").fetchall()
        table = faf_lambdas([int(row[0]) for row in rows], cache_dir)
        return cls(
            layout.slugs,
            table.column("ac").to_numpy(),
            {name: table.column(name).to_numpy() for name, _ in FAF_CONFIDENCES},
        )

    def schema(self, schema: pa.Schema) -> pa.Schema:
        for slug in self.slugs:
            at = schema.get_field_index(f"nhemi_{slug}") + 1
            for offset, (name, _) in enumerate(FAF_CONFIDENCES):
                schema = schema.insert(at + offset, pa.field(f"{name}_{slug}", pa.float64()))
        return schema

    def __call__(self, batch: pa.RecordBatch) -> pa.RecordBatch:
        for slug in self.slugs:
            ac = batch.column(f"ac_{slug}").to_numpy(zero_copy_only=False).astype(np.int64)
            an = batch.column(f"an_{slug}").to_numpy(zero_copy_only=False).astype(np.int64)
            found = np.minimum(np.searchsorted(self.counts, ac), max(len(self.counts) - 1, 0))
            at = batch.schema.get_field_index(f"nhemi_{slug}") + 1
            for offset, (name, _) in enumerate(FAF_CONFIDENCES):
                lam = np.where(ac >= 2, self.lambdas[name][found] if len(self.counts) else 0.0, 0.0)
                with np.errstate(divide="ignore", invalid="ignore"):
                    faf = lam / an
                values = pa.array(faf, pa.float64(), mask=an <= 0)
                batch = batch.add_column(at + offset, pa.field(f"{name}_{slug}", pa.float64()), values)
        return batch


def _check(con: duckdb.DuckDBPyConnection, sql: str, message: str) -> None:
    rows = con.execute(sql).fetchall()
    found = int(rows[0][0]) if rows and rows[0][0] is not None else 0
    if found:
        raise IntegrityError(f"{message} ({found:,} rows); the release was not written")


def _empty_source(keys: str, columns: Sequence[str]) -> str:
    """A source with the given key and count columns and no rows: what a union of no sources sums to."""
    return f"SELECT {keys}, " + ", ".join(f"0::BIGINT AS {c}" for c in columns) + " WHERE false"


def _union(empty: str, sources: Sequence[str]) -> str:
    return " UNION ALL ".join(f"({s})" for s in [empty, *sources])


def coverage_layer(
    con: duckdb.DuckDBPyConnection,
    layout: StrataLayout,
    delta_sources: Sequence[str],
    *,
    complete: bool = True,
    build: str = "GRCh38",
) -> None:
    """Sum signed coverage deltas into temp table ``coverage_runs``: the non-zero runs of one layer, in order.

    A ``complete`` layer is the whole track, so no allele number may be negative; an increment's may be.
    """
    slugs = layout.slugs
    delta_columns = layout.delta_columns()
    empty_deltas = _empty_source("NULL::VARCHAR AS chrom, NULL::INTEGER AS pos", delta_columns)
    any_delta = " OR ".join(f"{c} <> 0" for c in delta_columns)
    running = ", ".join(
        f"SUM({d}) OVER cumulative AS {name}"
        for d, name in zip(delta_columns, [f"an_{slug}" for slug in slugs] + ["callable_individuals"], strict=True)
    )
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE coverage_steps AS
            SELECT chrom, pos AS start_1based, (LEAD(pos) OVER by_pos) - 1 AS end_1based, {running}
            FROM (
                SELECT chrom, pos::INTEGER AS pos, {_sum_columns(delta_columns)}
                FROM ({_union(empty_deltas, delta_sources)}) GROUP BY chrom, pos
            )
            WHERE {any_delta}
            WINDOW by_pos AS (PARTITION BY chrom ORDER BY pos),
                   cumulative AS (PARTITION BY chrom ORDER BY pos ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW)"""
    )
    an_columns = [f"an_{slug}" for slug in slugs] + ["callable_individuals"]
    if complete:
        _check(
            con,
            f"SELECT count(*) FROM coverage_steps WHERE {' OR '.join(f'{c} < 0' for c in an_columns)}",
            "negative allele numbers: a sample was subtracted that the release did not contain",
        )
    nonzero = " OR ".join(f"{c} <> 0" for c in an_columns)
    _check(
        con,
        f"SELECT count(*) FROM coverage_steps WHERE end_1based IS NULL AND ({nonzero})",
        "a callable stretch never ends",
    )
    _contig_table(con, build)
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE coverage_runs AS
            SELECT s.chrom, s.start_1based::INTEGER AS start_1based, s.end_1based::INTEGER AS end_1based,
                   s.callable_individuals::INTEGER AS callable_individuals,
                   {", ".join(f"s.an_{slug}::INTEGER AS an_{slug}" for slug in slugs)}
            FROM coverage_steps AS s LEFT JOIN contig_order AS o ON o.chrom = s.chrom
            WHERE s.end_1based IS NOT NULL AND ({nonzero})
            ORDER BY COALESCE(o.contig_rank, 100000), s.chrom, s.start_1based"""
    )


def _coverage_at_variants(
    con: duckdb.DuckDBPyConnection, layout: StrataLayout, layers: Sequence[Path], *, check_from: Path | None
) -> None:
    """Temp table ``variant_an``: the layers' summed allele numbers at every variant position.

    With ``check_from`` (a new increment's Arrow file), the summed track is also checked at each of that
    layer's run starts: an increment can only make the total negative where it starts a negative stretch.
    """
    columns = [f"an_{slug}" for slug in layout.slugs] + ["callable_individuals"]
    opened = [SortedArrowFile(path, "start_1based") for path in layers]
    try:
        if check_from is not None:
            with pa.memory_map(str(check_from), "r") as source:
                starts = pa.ipc.open_file(source).read_all().select(["chrom", "start_1based"])
                starts = starts.rename_columns(["chrom", "pos"])
            totals = cov.values_table(opened, starts, columns, types=[pa.int64()] * len(columns))
            negative = sum(pc.sum(pc.less(totals.column(c), 0).cast(pa.int64())).as_py() or 0 for c in columns)
            if negative:
                raise IntegrityError(
                    f"negative allele numbers: a sample was subtracted that the release did not contain "
                    f"({negative:,} values); the release was not written"
                )
        positions = con.sql("SELECT DISTINCT chrom, pos FROM summed_variants ORDER BY chrom, pos").to_arrow_table()
        table = cov.values_table(opened, positions, columns, types=[pa.int32()] * len(columns))
    finally:
        for layer in opened:
            layer.close()
    con.register("variant_an_arrow", table)
    con.execute("CREATE OR REPLACE TEMP TABLE variant_an AS SELECT * FROM variant_an_arrow")
    con.unregister("variant_an_arrow")


def finalize(
    con: duckdb.DuckDBPyConnection,
    layout: StrataLayout,
    variant_sources: Sequence[str],
    delta_sources: Sequence[str],
    out_dir: Path,
    *,
    layer: str = cov.BASE_LAYER,
    inherited: Sequence[Path] = (),
    build: str = "GRCh38",
    cache_dir: Path | None = None,
) -> ReleaseTables:
    """Sum the signed sources and write ``variants`` and one coverage layer as Parquet and Arrow IPC.

    ``delta_sources`` make the layer named ``layer``; ``inherited`` are the Arrow files of the layers it adds to
    (already in ``out_dir``). Without them the layer is the whole callable-AN track. The variants' allele numbers
    are the sum of all layers at their position.
    """
    slugs = layout.slugs
    variant_columns = layout.variant_columns()
    empty_variants = _empty_source(
        "NULL::VARCHAR AS chrom, NULL::INTEGER AS pos, NULL::VARCHAR AS ref, NULL::VARCHAR AS alt", variant_columns
    )
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE summed_variants AS
            SELECT * FROM (
                SELECT chrom, pos::INTEGER AS pos, ref, alt, {_sum_columns(variant_columns)}
                FROM ({_union(empty_variants, variant_sources)}) GROUP BY chrom, pos, ref, alt
            ) WHERE ac_all <> 0 OR {" OR ".join(f"{c} <> 0" for c in variant_columns)}"""
    )
    negative = " OR ".join(f"{c} < 0" for c in variant_columns)
    _check(con, f"SELECT count(*) FROM summed_variants WHERE {negative}", "negative allele counts after summing")
    con.execute("DELETE FROM summed_variants WHERE ac_all = 0")
    coverage_layer(con, layout, delta_sources, complete=not inherited, build=build)
    out_dir.mkdir(parents=True, exist_ok=True)
    coverage_parquet, coverage_ipc = (out_dir / name for name in cov.LayerInfo(layer, 0).files())
    n_runs = _write_table(con, "coverage_runs", coverage_parquet, coverage_ipc)
    _coverage_at_variants(con, layout, [*inherited, coverage_ipc], check_from=coverage_ipc if inherited else None)
    faf = _FafColumns.of(con, layout, cache_dir)
    per_stratum = []
    for slug in slugs:
        an = f"COALESCE(a.an_{slug}, 0)"
        per_stratum += [
            f"v.ac_{slug}::INTEGER AS ac_{slug}",
            f"({an})::INTEGER AS an_{slug}",
            f"CASE WHEN ({an}) > 0 THEN v.ac_{slug} / ({an}) END AS af_{slug}",
            f"v.nhomalt_{slug}::INTEGER AS nhomalt_{slug}",
            f"v.nhemi_{slug}::INTEGER AS nhemi_{slug}",
        ]
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE release_variants AS
            SELECT v.chrom, v.pos::INTEGER AS pos, v.ref, v.alt, {", ".join(per_stratum)}
            FROM summed_variants AS v
            LEFT JOIN variant_an AS a ON a.chrom = v.chrom AND a.pos = v.pos
            LEFT JOIN contig_order AS o ON o.chrom = v.chrom
            ORDER BY COALESCE(o.contig_rank, 100000), v.chrom, v.pos, v.ref, v.alt"""
    )
    _check(
        con,
        f"SELECT count(*) FROM release_variants WHERE {' OR '.join(f'ac_{s} > an_{s}' for s in slugs)}",
        "allele count above allele number: calls without callable blocks in a batch",
    )
    n_variants = _write_table(
        con, "release_variants", out_dir / "variants.parquet", out_dir / "variants.arrow", transform=faf
    )
    return ReleaseTables(
        out_dir / "variants.parquet", coverage_parquet, out_dir / "variants.arrow", coverage_ipc, n_variants, n_runs
    )


def _split_by_chrom(batch: pa.RecordBatch) -> Iterable[pa.RecordBatch]:
    n_rows = batch.num_rows
    if n_rows <= 1:
        yield batch
        return
    chroms = batch.column("chrom")
    changed = pc.not_equal(chroms.slice(1), chroms.slice(0, n_rows - 1))
    start = 0
    for index in pc.indices_nonzero(changed).to_pylist():
        yield batch.slice(start, index + 1 - start)
        start = index + 1
    yield batch.slice(start)


def _write_table(
    con: duckdb.DuckDBPyConnection,
    table: str,
    parquet_path: Path,
    ipc_path: Path,
    *,
    transform: _FafColumns | None = None,
) -> int:
    """Stream a table, in order, into a zstd Parquet file and an uncompressed Arrow IPC file (one chrom a batch)."""
    reader = con.sql(f"SELECT * FROM {table}").to_arrow_reader(ROW_BATCH)
    n_rows = 0
    schema = transform.schema(reader.schema) if transform is not None else reader.schema
    with (
        pq.ParquetWriter(parquet_path, schema, compression="zstd", compression_level=1) as parquet,
        pa.OSFile(str(ipc_path), "wb") as sink,
        pa.ipc.new_file(sink, schema) as ipc,
    ):
        for batch in reader:
            for piece in _split_by_chrom(batch):
                if transform is not None:
                    piece = transform(piece)
                parquet.write_batch(piece, row_group_size=ROW_BATCH)
                ipc.write_batch(piece)
                n_rows += piece.num_rows
    return n_rows


def write_cells(con: duckdb.DuckDBPyConnection, variants_sql: str, coverage_sql: str, out_dir: Path) -> tuple[int, int]:
    """Write a partial's cell-level variants and coverage events as Parquet; return their row counts."""
    out_dir.mkdir(parents=True, exist_ok=True)
    counts = []
    for name, sql, order in (
        ("variants", variants_sql, "chrom, pos, ref, alt, sex, region, platform"),
        ("coverage", coverage_sql, "chrom, pos, sex, region, platform"),
    ):
        path = out_dir / f"{name}.parquet"
        con.execute(
            f"COPY (SELECT * FROM ({sql}) ORDER BY {order}) TO {quote(str(path))} "
            f"(FORMAT parquet, COMPRESSION zstd, COMPRESSION_LEVEL 1, ROW_GROUP_SIZE {ROW_BATCH})"
        )
        counts.append(pq.ParquetFile(path).metadata.num_rows)
    return counts[0], counts[1]


def sha256_file(path: Path) -> str:
    """Hex sha256 of a file, read in chunks."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()
