"""The frequency engine: SQL over variant-store batches that DuckDB and Spark both run (:mod:`genomdb.variants.engine`).

Three steps, each a plain relational query in the dialect the two engines share:

1. **Cells.** Passing calls and callable blocks of a set of samples are summed per *cell* (a sample's sex,
   region and platform labels): variant cells ``(chrom, pos, ref, alt, cell) → ac, nhomalt, nhemi`` and coverage
   events ``(chrom, pos, cell) → Δallele_number, Δindividuals`` (+callable alleles where a block starts, − one
   base after it ends). A new batch's cells over the samples a release counts are its stored *partial*.
2. **Strata.** Cells are spread into one column per stratum (``CASE`` on the labels) and summed, together with
   any other signed sources (a previous release, partials of new batches, minus samples that left).
3. **Finalise.** Coverage deltas whose every column is 0 are dropped, a running sum per chromosome turns them
   into one layer of the callable-AN step function (:mod:`genomdb.frequency.coverage`), the variants take their
   AN as the sum of the release's layers at their position, and AF and FAF are derived. Sums of integers are
   exact, so any decomposition of the same samples gives identical counts — the property incremental releases
   rely on.

The engine sums; the files are written by :mod:`genomdb.frequency.release_files` from the ordered rows it returns,
so DuckDB and Spark write the same bytes from the same inputs.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa  # type: ignore[import-untyped]
import pyarrow.compute as pc  # type: ignore[import-untyped]

from genomdb.errors import IntegrityError
from genomdb.frequency import coverage as cov
from genomdb.frequency.arrowfile import SortedArrowFile
from genomdb.frequency.release_files import (
    CELL_COVERAGE_SCHEMA,
    CELL_VARIANTS_SCHEMA,
    FAF_CACHE,
    FAF_CONFIDENCES,
    ROW_BATCH,
    VARIANT_METRICS,
    FafLookup,
    VariantColumns,
    coverage_schema,
    write_parquet,
    write_release_table,
)
from genomdb.frequency.strata import (
    PLATFORM_PREFIX,
    REGION_PREFIX,
    TOTAL,
    SampleLabels,
    hemizygous_sql,
    stratum_slug,
)
from genomdb.refdata.builds import get_build
from genomdb.variants.engine import QueryEngine

__all__ = ["FAF_CACHE", "FAF_CONFIDENCES", "ROW_BATCH", "VARIANT_METRICS", "faf_lambdas"]

SAMPLES_SCHEMA = pa.schema([("sample_id", pa.int64()), ("cell", pa.int32()), ("sex", pa.string())])
UNKNOWN_CONTIG_RANK = 100_000
CELL_ORDER = "chrom, pos, ref, alt, sex NULLS LAST, region NULLS LAST, platform NULLS LAST"
EVENT_ORDER = "chrom, pos, sex NULLS LAST, region NULLS LAST, platform NULLS LAST"


def quote(text: str) -> str:
    """A SQL string literal."""
    return "'" + text.replace("'", "''") + "'"


CELLS_SCHEMA = pa.schema(
    [("cell", pa.int32()), ("sex", pa.string()), ("region", pa.string()), ("platform", pa.string())]
)


def register_samples(engine: QueryEngine, name: str, samples: Sequence[tuple[int, SampleLabels]]) -> None:
    """Make ``name(sample_id, cell, sex)`` and ``<name>_cells(cell, sex, region, platform)`` queryable.

    A cell is one distinct combination of labels, numbered here: the queries below sum per integer cell and join
    the labels back onto the (far fewer) summed rows, because grouping millions of rows by three strings costs an
    engine several times more than grouping them by one integer (Spark's hash aggregation most of all). The cell
    numbers never reach a file: the rows are the same as when grouping by the labels themselves.
    """
    cells = sorted({_cell_key(labels) for _, labels in samples}, key=lambda key: [(v is None, v or "") for v in key])
    number = {key: index for index, key in enumerate(cells)}
    table = pa.table(
        {
            "sample_id": pa.array([s for s, _ in samples], pa.int64()),
            "cell": pa.array([number[_cell_key(labels)] for _, labels in samples], pa.int32()),
            "sex": pa.array([labels.sex for _, labels in samples], pa.string()),
        },
        schema=SAMPLES_SCHEMA,
    )
    engine.register(name, table)
    labels_table = pa.table(
        {
            "cell": pa.array(range(len(cells)), pa.int32()),
            "sex": pa.array([key[0] for key in cells], pa.string()),
            "region": pa.array([key[1] for key in cells], pa.string()),
            "platform": pa.array([key[2] for key in cells], pa.string()),
        },
        schema=CELLS_SCHEMA,
    )
    engine.register(f"{name}_cells", labels_table)


def _cell_key(labels: SampleLabels) -> tuple[str | None, str | None, str | None]:
    return (labels.sex, labels.region, labels.platform)


def _only(column: str, sample_ids: Sequence[int] | None) -> str:
    if sample_ids is None:
        return ""
    return f" AND {column} IN ({', '.join(str(int(s)) for s in sample_ids) or 'NULL'})"


def cell_variants_sql(calls: str, samples_table: str, *, only: Sequence[int] | None = None) -> str:
    """Passing calls (relation ``calls``) of the samples in ``samples_table``, summed per variant and cell.

    ``only`` repeats the sample ids as a scan filter, so that a few samples are read without decoding the rest.
    """
    hemi = hemizygous_sql("c.chrom", "c.pos")
    return f"""
        SELECT v.chrom, v.pos, v.ref, v.alt, l.sex, l.region, l.platform, v.ac, v.nhomalt, v.nhemi
        FROM (
            SELECT c.chrom, c.pos, c.ref, c.alt, s.cell,
                   CAST(SUM(c.alt_count) AS BIGINT) AS ac,
                   CAST(COUNT(*) FILTER (WHERE c.alt_count = 2) AS BIGINT) AS nhomalt,
                   CAST(COUNT(*) FILTER (WHERE s.sex = 'XY' AND c.called_alleles = 1 AND {hemi}) AS BIGINT) AS nhemi
            FROM {calls} AS c
            JOIN {samples_table} AS s ON s.sample_id = c.sample_id
            WHERE c.passes{_only("c.sample_id", only)}
            GROUP BY c.chrom, c.pos, c.ref, c.alt, s.cell
        ) AS v
        JOIN {samples_table}_cells AS l ON l.cell = v.cell
    """


def cell_coverage_sql(blocks: str, samples_table: str, *, only: Sequence[int] | None = None) -> str:
    """Callable blocks (relation ``blocks``) of the samples in ``samples_table`` as coverage events, summed per
    position and cell.

    Each block yields its two events through a join with a two-row table rather than a CTE read twice, so the
    blocks stream through the aggregation instead of being materialised (which cannot spill to disk).
    """
    return f"""
        SELECT d.chrom, d.pos, l.sex, l.region, l.platform, d.d_an, d.d_ind
        FROM (
            SELECT b.chrom,
                   CAST(CASE WHEN e.opening THEN b.start_1based ELSE b.end_1based + 1 END AS INTEGER) AS pos,
                   s.cell,
                   CAST(SUM(CASE WHEN e.opening THEN b.callable_alleles ELSE -b.callable_alleles END) AS BIGINT)
                       AS d_an,
                   CAST(SUM(CASE WHEN e.opening THEN 1 ELSE -1 END) AS BIGINT) AS d_ind
            FROM {blocks} AS b
            JOIN {samples_table} AS s ON s.sample_id = b.sample_id
            CROSS JOIN (VALUES (true), (false)) AS e(opening)
            WHERE b.callable_alleles > 0{_only("b.sample_id", only)}
            GROUP BY ALL
        ) AS d
        JOIN {samples_table}_cells AS l ON l.cell = d.cell
        WHERE d.d_an <> 0 OR d.d_ind <> 0
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

    def variants_from_release(self, variants: str, release_strata: Sequence[str]) -> str:
        """The counts of a previous release's variants table (relation ``variants``; strata it lacks count 0)."""
        present = {stratum_slug(s) for s in release_strata}
        columns = [
            f"{metric}_{slug}" if slug in present else f"0 AS {metric}_{slug}"
            for slug in self.slugs
            for metric in VARIANT_METRICS
        ]
        return f"SELECT chrom, pos, ref, alt, {', '.join(columns)} FROM {variants}"

    def deltas_from_release(self, coverage: str, release_strata: Sequence[str]) -> str:
        """A previous release's callable-AN runs (relation ``coverage``) turned back into deltas (+AN at start,
        −AN after the end)."""
        present = {stratum_slug(s) for s in release_strata}

        def columns(sign: str) -> str:
            values = [f"{sign}an_{slug} AS d_{slug}" if slug in present else f"0 AS d_{slug}" for slug in self.slugs]
            return ", ".join([*values, f"{sign}callable_individuals AS d_ind"])

        return f"""
            SELECT chrom, start_1based AS pos, {columns("")} FROM {coverage}
            UNION ALL
            SELECT chrom, end_1based + 1 AS pos, {columns("-")} FROM {coverage}
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
    return ", ".join(f"CAST(SUM({c}) AS BIGINT) AS {c}" for c in columns)


def _contig_table(engine: QueryEngine, build: str) -> None:
    contigs = get_build(build).contigs
    table = pa.table({"chrom": [c.name for c in contigs], "contig_rank": pa.array(range(len(contigs)), pa.int32())})
    engine.register("contig_order", table)


def _ranked(sql: str, alias: str) -> str:
    """``sql`` (aliased ``alias``) with the contig's rank in the reference build as column ``contig_rank``."""
    return (
        f"SELECT {alias}.*, COALESCE(o.contig_rank, {UNKNOWN_CONTIG_RANK}) AS contig_rank "
        f"FROM ({sql}) AS {alias} LEFT JOIN contig_order AS o ON o.chrom = {alias}.chrom"
    )


def faf_lambdas(counts: Sequence[int], cache_dir: Path | None) -> pa.Table:
    """``(ac, faf95, faf99)``: the Poisson lower bounds of the counts, from a cache of earlier builds when given."""
    lookup = FafLookup(cache_dir)
    bounds = lookup.bounds(counts)
    lookup.save()
    columns = {"ac": pa.array(counts, pa.int64())}
    columns |= {name: pa.array([b[i] for b in bounds], pa.float64()) for i, (name, _) in enumerate(FAF_CONFIDENCES)}
    return pa.table(columns)


def _check(engine: QueryEngine, sql: str, message: str) -> None:
    found = engine.scalar(sql)
    if found:
        raise IntegrityError(f"{message} ({int(found):,} rows); the release was not written")


def _empty_source(keys: str, columns: Sequence[str]) -> str:
    """A source with the given key and count columns and no rows: what a union of no sources sums to."""
    return f"SELECT {keys}, " + ", ".join(f"CAST(0 AS BIGINT) AS {c}" for c in columns) + " WHERE false"


def _union(empty: str, sources: Sequence[str]) -> str:
    return " UNION ALL ".join(f"({s})" for s in [empty, *sources])


def coverage_layer(
    engine: QueryEngine,
    layout: StrataLayout,
    delta_sources: Sequence[str],
    *,
    complete: bool = True,
    build: str = "GRCh38",
) -> tuple[str, str]:
    """Sum signed coverage deltas into the non-zero runs of one layer: ``(sql, order_by)`` of those runs.

    A ``complete`` layer is the whole track, so no allele number may be negative; an increment's may be.
    """
    slugs = layout.slugs
    delta_columns = layout.delta_columns()
    empty_deltas = _empty_source("CAST(NULL AS STRING) AS chrom, CAST(NULL AS INTEGER) AS pos", delta_columns)
    any_delta = " OR ".join(f"{c} <> 0" for c in delta_columns)
    running = ", ".join(
        f"SUM({d}) OVER cumulative AS {name}"
        for d, name in zip(delta_columns, [f"an_{slug}" for slug in slugs] + ["callable_individuals"], strict=True)
    )
    engine.materialize(
        "coverage_steps",
        f"""SELECT chrom, pos AS start_1based, (LEAD(pos) OVER by_pos) - 1 AS end_1based, {running}
            FROM (
                SELECT chrom, CAST(pos AS INTEGER) AS pos, {_sum_columns(delta_columns)}
                FROM ({_union(empty_deltas, delta_sources)}) GROUP BY chrom, pos
            )
            WHERE {any_delta}
            WINDOW by_pos AS (PARTITION BY chrom ORDER BY pos),
                   cumulative AS (PARTITION BY chrom ORDER BY pos ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW)""",
    )
    an_columns = [f"an_{slug}" for slug in slugs] + ["callable_individuals"]
    if complete:
        _check(
            engine,
            f"SELECT count(*) FROM coverage_steps WHERE {' OR '.join(f'{c} < 0' for c in an_columns)}",
            "negative allele numbers: a sample was subtracted that the release did not contain",
        )
    nonzero = " OR ".join(f"{c} <> 0" for c in an_columns)
    _check(
        engine,
        f"SELECT count(*) FROM coverage_steps WHERE end_1based IS NULL AND ({nonzero})",
        "a callable stretch never ends",
    )
    _contig_table(engine, build)
    runs = (
        "SELECT chrom, CAST(start_1based AS INTEGER) AS start_1based, CAST(end_1based AS INTEGER) AS end_1based, "
        "CAST(callable_individuals AS INTEGER) AS callable_individuals, "
        + ", ".join(f"CAST(an_{slug} AS INTEGER) AS an_{slug}" for slug in slugs)
        + f" FROM coverage_steps WHERE end_1based IS NOT NULL AND ({nonzero})"
    )
    return _ranked(runs, "r"), "contig_rank, chrom, start_1based"


def _check_increment(layers: Sequence[SortedArrowFile], increment: Path, columns: Sequence[str]) -> None:
    """The summed track checked at each of a new increment's run starts: an increment can only make the total
    negative where it starts a negative stretch, and not at all when none of its values is negative (it only
    added samples: the layers below it were checked when they were written)."""
    with pa.memory_map(str(increment), "r") as source:
        runs = pa.ipc.open_file(source).read_all()
    if not any((pc.min(runs.column(c)).as_py() or 0) < 0 for c in columns):
        return
    starts = runs.select(["chrom", "start_1based"]).rename_columns(["chrom", "pos"])
    totals = cov.values_table(layers, starts, columns, types=[pa.int64()] * len(columns))
    negative = sum(pc.sum(pc.less(totals.column(c), 0).cast(pa.int64())).as_py() or 0 for c in columns)
    if negative:
        raise IntegrityError(
            f"negative allele numbers: a sample was subtracted that the release did not contain "
            f"({negative:,} values); the release was not written"
        )


def finalize(
    engine: QueryEngine,
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
    variant_columns = layout.variant_columns()
    empty_variants = _empty_source(
        "CAST(NULL AS STRING) AS chrom, CAST(NULL AS INTEGER) AS pos, CAST(NULL AS STRING) AS ref, "
        "CAST(NULL AS STRING) AS alt",
        variant_columns,
    )
    engine.materialize(
        "summed_variants",
        f"""SELECT * FROM (
                SELECT chrom, CAST(pos AS INTEGER) AS pos, ref, alt, {_sum_columns(variant_columns)}
                FROM ({_union(empty_variants, variant_sources)}) GROUP BY chrom, pos, ref, alt
            ) WHERE ac_all <> 0 OR {" OR ".join(f"{c} <> 0" for c in variant_columns)}""",
    )
    negative = " OR ".join(f"{c} < 0" for c in variant_columns)
    _check(engine, f"SELECT count(*) FROM summed_variants WHERE {negative}", "negative allele counts after summing")
    runs_sql, runs_order = coverage_layer(engine, layout, delta_sources, complete=not inherited, build=build)
    out_dir.mkdir(parents=True, exist_ok=True)
    coverage_parquet, coverage_ipc = (out_dir / name for name in cov.LayerInfo(layer, 0).files())
    n_runs = write_release_table(
        engine.ordered(runs_sql, runs_order), coverage_schema(layout.slugs), coverage_parquet, coverage_ipc
    )
    opened = [SortedArrowFile(path, "start_1based") for path in [*inherited, coverage_ipc]]
    faf = FafLookup(cache_dir)
    try:
        if inherited:
            an_columns = [f"an_{slug}" for slug in layout.slugs] + ["callable_individuals"]
            _check_increment(opened, coverage_ipc, an_columns)
        columns = VariantColumns(layout.slugs, opened, faf)
        n_variants = write_release_table(
            engine.ordered(
                _ranked("SELECT * FROM summed_variants WHERE ac_all <> 0", "v"), "contig_rank, chrom, pos, ref, alt"
            ),
            columns.schema,
            out_dir / "variants.parquet",
            out_dir / "variants.arrow",
            transform=columns,
        )
    finally:
        for opened_layer in opened:
            opened_layer.close()
    if columns.n_above:
        raise IntegrityError(
            "allele count above allele number: calls without callable blocks in a batch "
            f"({columns.n_above:,} values); the release was not written"
        )
    faf.save()
    return ReleaseTables(
        out_dir / "variants.parquet", coverage_parquet, out_dir / "variants.arrow", coverage_ipc, n_variants, n_runs
    )


def write_cells(engine: QueryEngine, variants_sql: str, coverage_sql: str, out_dir: Path) -> tuple[int, int]:
    """Write a partial's cell-level variants and coverage events as Parquet; return their row counts."""
    out_dir.mkdir(parents=True, exist_ok=True)
    n_variants = write_parquet(
        engine.ordered(variants_sql, CELL_ORDER), CELL_VARIANTS_SCHEMA, out_dir / "variants.parquet"
    )
    n_events = write_parquet(
        engine.ordered(coverage_sql, EVENT_ORDER), CELL_COVERAGE_SCHEMA, out_dir / "coverage.parquet"
    )
    return n_variants, n_events


def sha256_file(path: Path) -> str:
    """Hex sha256 of a file, read in chunks."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()
