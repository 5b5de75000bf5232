"""KING-robust kinship between every pair of persons, from the variant store's common, callable, biallelic SNVs.

Genotypes come from the harmonised calls and the callable reference blocks (docs/variant-store.md): a passing
diploid call gives its alt count, a position inside a diploid callable block without a call is hom-ref, anything
else (a failing or half-missing call, no evidence) is missing. The estimator is KING-robust's between-family
kinship (Manichaikul et al. 2010), counted over the variants both persons have called::

    phi = 1/2 - (het_i + het_j - 2 * n_het_het + 4 * n_ibs0) / (4 * min(het_i, het_j))

computed for all pairs at once with four matrix products (float32 counts are exact below 2**24 variants).
Degrees follow KING's thresholds: > 0.354 duplicate / monozygotic twin, > 0.177 first, > 0.0884 second,
> 0.0442 third degree, else unrelated.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import pyarrow as pa  # type: ignore[import-untyped]

from genomdb.errors import InvalidInput, Problem
from genomdb.variants.records import CohortSample
from genomdb.variants.store import VariantStore, connect_duckdb

DosageMatrix = npt.NDArray[np.int8]
AUTOSOMES = tuple(f"chr{n}" for n in range(1, 23))

DUPLICATE = 0
UNRELATED = 4
DEGREE_THRESHOLDS = (0.354, 0.177, 0.0884, 0.0442)
"""Lower bounds (exclusive) of degree 0 (duplicate / MZ twin), 1, 2 and 3; below the last: unrelated."""
DEGREE_NAMES = {0: "duplicate", 1: "first-degree", 2: "second-degree", 3: "third-degree", 4: "unrelated"}


@dataclass(frozen=True, slots=True)
class KinshipPolicy:
    """Which variants and samples the estimate uses; the steward may change these."""

    min_maf: float = 0.05
    min_site_call_rate: float = 0.95
    """Share of assessable samples with a called genotype at a variant."""
    min_sample_call_rate: float = 0.90
    """Share of candidate variants a sample must have called to be assessed at all."""

    def __post_init__(self) -> None:
        bounds = {
            "min_maf": (self.min_maf, 0.0, 0.5),
            "min_site_call_rate": (self.min_site_call_rate, 0.0, 1.0),
            "min_sample_call_rate": (self.min_sample_call_rate, 0.0, 1.0),
        }
        problems = [
            Problem("kinship policy", "out of range", field=name, expected=f"{low} < value ≤ {high}", found=str(value))
            for name, (value, low, high) in bounds.items()
            if not low < value <= high
        ]
        if problems:
            raise InvalidInput("bad kinship policy", problems)


@dataclass(frozen=True, slots=True)
class GenotypeMatrix:
    """Alt-allele dosages (0, 1, 2; -1 missing) of samples (rows) at biallelic sites (columns)."""

    samples: tuple[CohortSample, ...]
    chrom: tuple[str, ...]
    pos: npt.NDArray[np.int64]
    """1-based."""
    ref: tuple[str, ...]
    alt: tuple[str, ...]
    dosages: DosageMatrix

    def site_ids(self) -> list[str]:
        """``chrom:pos:ref:alt`` per site (1-based), as written to PLINK files."""
        return [
            f"{c}:{p}:{r}:{a}" for c, p, r, a in zip(self.chrom, self.pos.tolist(), self.ref, self.alt, strict=True)
        ]

    def select(self, rows: Any = slice(None), columns: Any = slice(None)) -> GenotypeMatrix:
        """A sub-matrix: ``rows`` and ``columns`` are index arrays, boolean masks or slices."""
        sample_index = np.arange(len(self.samples))[rows]
        site_index = np.arange(self.pos.size)[columns]
        return GenotypeMatrix(
            samples=tuple(self.samples[i] for i in sample_index),
            chrom=tuple(self.chrom[i] for i in site_index),
            pos=self.pos[site_index],
            ref=tuple(self.ref[i] for i in site_index),
            alt=tuple(self.alt[i] for i in site_index),
            dosages=self.dosages[np.ix_(sample_index, site_index)],
        )


@dataclass(frozen=True, slots=True)
class KinshipResult:
    """Every pair ``(first[k], second[k])`` (indices into ``samples``, first < second) with its estimate."""

    samples: tuple[CohortSample, ...]
    first: npt.NDArray[np.int32]
    second: npt.NDArray[np.int32]
    kinship: npt.NDArray[np.float64]
    n_ibs0: npt.NDArray[np.int32]
    n_variants: npt.NDArray[np.int32]
    """Variants both members of the pair have called."""
    degree: npt.NDArray[np.int8]
    n_sites: int
    excluded: tuple[CohortSample, ...] = ()
    """Samples below the sample call rate: not assessed."""

    def related(self, max_degree: int = 3) -> npt.NDArray[np.intp]:
        """Indices of the pairs of degree ``max_degree`` or closer."""
        return np.flatnonzero(self.degree <= max_degree)


def degrees(kinship: npt.NDArray[np.float64]) -> npt.NDArray[np.int8]:
    """KING's degree of relationship for each kinship value (0 duplicate … 4 unrelated)."""
    out = np.full(kinship.shape, UNRELATED, dtype=np.int8)
    for degree, bound in reversed(list(enumerate(DEGREE_THRESHOLDS))):
        out[kinship > bound] = degree
    return out


def _sql_list(values: Sequence[str]) -> str:
    return "[" + ", ".join("'" + v.replace("'", "''") + "'" for v in values) + "]"


def read_genotypes(
    store: VariantStore,
    samples: Sequence[CohortSample],
    sites: pa.Table,
) -> GenotypeMatrix:
    """Dosages of ``samples`` at ``sites`` (a table of ``chrom, pos, ref, alt``), read in one pass per table."""
    ordered = sorted(samples, key=lambda s: s.sample_id)
    n_sites = sites.num_rows
    dosages = np.full((len(ordered), n_sites), -1, dtype=np.int8)
    wanted_ids = np.array([s.sample_id for s in ordered], dtype=np.int64)
    batch_ids = sorted({s.batch_id for s in ordered})
    calls_glob, blocks_glob = store.calls_glob(batch_ids), store.blocks_glob(batch_ids)
    indexed = pa.table(
        {
            "chrom": sites["chrom"],
            "pos": sites["pos"].cast(pa.int32()),
            "ref": sites["ref"],
            "alt": sites["alt"],
            "site_index": pa.array(np.arange(n_sites, dtype=np.int32)),
        }
    )
    wanted = pa.table(
        {
            "sample_id": pa.array([s.sample_id for s in ordered], pa.int64()),
            "sample_index": pa.array(np.arange(len(ordered), dtype=np.int32)),
        }
    )
    con = connect_duckdb(threads=2)
    store.datasets.attach(con)
    try:
        con.register("sites", indexed)
        con.register("wanted", wanted)
        if blocks_glob and n_sites:
            for chrom in sorted(set(indexed["chrom"].to_pylist())):
                _mark_covered(con, blocks_glob, chrom, indexed, wanted_ids, dosages)
        if calls_glob and n_sites:
            called = con.execute(
                "SELECT w.sample_index, s.site_index, "
                "CASE WHEN c.passes AND c.called_alleles = 2 THEN c.alt_count ELSE -1 END AS dosage "
                f"FROM read_parquet({_sql_list(calls_glob)}, hive_partitioning = true, union_by_name = true) AS c "
                "JOIN wanted AS w ON c.sample_id = w.sample_id "
                "JOIN sites AS s ON c.chrom = s.chrom AND c.pos = s.pos AND c.ref = s.ref AND c.alt = s.alt"
            ).fetchnumpy()
            dosages[called["sample_index"], called["site_index"]] = called["dosage"].astype(np.int8)
    finally:
        con.close()
    return GenotypeMatrix(
        samples=tuple(ordered),
        chrom=tuple(sites["chrom"].to_pylist()),
        pos=np.asarray(sites["pos"].to_numpy(zero_copy_only=False), dtype=np.int64),
        ref=tuple(sites["ref"].to_pylist()),
        alt=tuple(sites["alt"].to_pylist()),
        dosages=dosages,
    )


def _mark_covered(
    con: Any,
    blocks_glob: Sequence[str],
    chrom: str,
    sites: pa.Table,
    wanted_ids: npt.NDArray[np.int64],
    dosages: DosageMatrix,
) -> None:
    """Set 0 (hom-ref) where a diploid callable block of a wanted sample (``wanted_ids``: sorted sample ids, the
    rows of ``dosages``) covers a site of ``chrom``.

    Blocks are fetched as arrays and matched to the sorted site positions by binary search (a SQL range join
    with the chromosome as an equality key degenerates to blocks × sites); within a sample blocks never overlap,
    so a running sum of +1 at a block's first covered site and −1 after its last marks coverage."""
    on_chrom = np.flatnonzero(np.asarray(sites["chrom"].to_pylist()) == chrom)
    positions = np.asarray(sites["pos"].to_numpy(zero_copy_only=False), dtype=np.int64)[on_chrom]
    order = np.argsort(positions, kind="stable")
    sorted_positions = positions[order]
    blocks = con.execute(
        "SELECT b.sample_id, b.start_1based, b.end_1based "
        f"FROM read_parquet({_sql_list(blocks_glob)}, hive_partitioning = true, union_by_name = true) AS b "
        "WHERE b.chrom = $chrom AND b.callable_alleles = 2 AND b.end_1based >= $first AND b.start_1based <= $last",
        {"chrom": chrom, "first": int(sorted_positions[0]), "last": int(sorted_positions[-1])},
    ).fetchnumpy()
    first = np.searchsorted(sorted_positions, blocks["start_1based"].astype(np.int64), side="left")
    after = np.searchsorted(sorted_positions, blocks["end_1based"].astype(np.int64), side="right")
    covering = np.flatnonzero(after > first)
    sample_ids = blocks["sample_id"].astype(np.int64)[covering]
    rows = np.minimum(np.searchsorted(wanted_ids, sample_ids), wanted_ids.size - 1)
    wanted = wanted_ids[rows] == sample_ids
    rows, first, after = rows[wanted], first[covering][wanted], after[covering][wanted]
    width = sorted_positions.size + 1
    size = dosages.shape[0] * width
    steps = np.bincount(rows * width + first, minlength=size) - np.bincount(rows * width + after, minlength=size)
    steps = steps.reshape(dosages.shape[0], width)
    covered = np.cumsum(steps[:, :-1], axis=1) > 0
    columns = on_chrom[order]
    sample_rows, site_positions = np.nonzero(covered)
    dosages[sample_rows, columns[site_positions]] = 0


def candidate_snvs(store: VariantStore, samples: Sequence[CohortSample], *, min_allele_count: int) -> pa.Table:
    """Autosomal positions where the samples' calls show exactly one allele, a SNV, carried in passing calls at
    least ``min_allele_count`` times; sorted by chromosome and position."""
    batch_ids = sorted({s.batch_id for s in samples})
    calls_glob = store.calls_glob(batch_ids)
    if not calls_glob:
        return pa.table({"chrom": pa.array([], pa.string()), "pos": pa.array([], pa.int32()), "ref": [], "alt": []})
    con = connect_duckdb(threads=2)
    store.datasets.attach(con)
    try:
        con.register("wanted", pa.table({"sample_id": pa.array(sorted(s.sample_id for s in samples), pa.int64())}))
        table = con.sql(
            "SELECT chrom, pos, min(ref) AS ref, min(alt) AS alt "
            f"FROM read_parquet({_sql_list(calls_glob)}, hive_partitioning = true, union_by_name = true) AS c "
            "SEMI JOIN wanted AS w ON c.sample_id = w.sample_id "
            f"WHERE chrom IN ({', '.join(repr(a) for a in AUTOSOMES)}) "
            "GROUP BY chrom, pos "
            "HAVING count(DISTINCT ref || '>' || alt) = 1 AND length(min(ref)) = 1 AND length(min(alt)) = 1 "
            "AND sum(CASE WHEN passes THEN alt_count ELSE 0 END) >= $min_ac",
            params={"min_ac": min_allele_count},
        ).to_arrow_table()
    finally:
        con.close()
    rank = {name: i for i, name in enumerate(AUTOSOMES)}
    if table.num_rows == 0:
        return table
    order = sorted(range(table.num_rows), key=lambda i: (rank[table["chrom"][i].as_py()], table["pos"][i].as_py()))
    return table.take(pa.array(order, pa.int64()))


def common_snv_genotypes(
    store: VariantStore, samples: Sequence[CohortSample], policy: KinshipPolicy
) -> tuple[GenotypeMatrix, tuple[CohortSample, ...]]:
    """The genotypes kinship uses: common (MAF ≥ policy), callable, biallelic autosomal SNVs of the samples that
    pass the sample call rate; and the samples left out for too low a call rate."""
    n = len(samples)
    lower_bound = int(np.floor(policy.min_maf * 2 * n * policy.min_site_call_rate))
    candidates = candidate_snvs(store, samples, min_allele_count=max(1, lower_bound))
    matrix = read_genotypes(store, samples, candidates)
    called = matrix.dosages >= 0
    sample_rate = called.mean(axis=1) if matrix.pos.size else np.zeros(len(matrix.samples))
    keep_samples = sample_rate >= policy.min_sample_call_rate
    excluded = tuple(s for s, kept in zip(matrix.samples, keep_samples, strict=True) if not kept)
    kept = matrix.dosages[keep_samples]
    kept_called = kept >= 0
    n_called = kept_called.sum(axis=0)
    alt_sum = np.where(kept_called, kept, 0).sum(axis=0, dtype=np.int64)
    with np.errstate(invalid="ignore", divide="ignore"):
        alt_frequency = np.where(n_called > 0, alt_sum / np.maximum(2 * n_called, 1), 0.0)
        site_rate = n_called / max(1, int(keep_samples.sum()))
    maf = np.minimum(alt_frequency, 1 - alt_frequency)
    keep_sites = (site_rate >= policy.min_site_call_rate) & (maf >= policy.min_maf) & (n_called > 0)
    return matrix.select(np.flatnonzero(keep_samples), np.flatnonzero(keep_sites)), excluded


def king_robust(matrix: GenotypeMatrix, *, excluded: Sequence[CohortSample] = ()) -> KinshipResult:
    """KING-robust between-family kinship for every pair of the matrix's samples."""
    g = matrix.dosages
    called = (g >= 0).astype(np.float32)
    het = (g == 1).astype(np.float32)
    centred = np.where(g >= 0, g.astype(np.float32) - 1, 0).astype(np.float32)
    n_both = called @ called.T
    het_het = het @ het.T
    het_called = het @ called.T
    """[i, j]: hets of i where j is called."""
    same_minus_opposite = centred @ centred.T
    """[i, j]: same-homozygous minus opposite-homozygous variants."""
    het_j = np.ascontiguousarray(het_called.T)
    """[i, j]: hets of j where i is called (contiguous: elementwise work on a transposed view is slow)."""
    ibs0 = n_both - het_called - het_j + het_het - same_minus_opposite
    ibs0 *= 0.5
    """[i, j]: opposite-homozygous variants (both-homozygous minus same-homozygous, halved; exact in float32)."""
    numerator = het_called + het_j - 2 * het_het + 4 * ibs0
    smaller = np.minimum(het_called, het_j)
    with np.errstate(invalid="ignore", divide="ignore"):
        full = 0.5 - numerator.astype(np.float64) / (4.0 * smaller.astype(np.float64))
    full[smaller == 0] = np.nan
    n = len(matrix.samples)
    first, second = np.triu_indices(n, k=1)
    flat = first.astype(np.int64) * n + second
    kinship = np.take(full.ravel(), flat)
    return KinshipResult(
        samples=matrix.samples,
        first=first.astype(np.int32),
        second=second.astype(np.int32),
        kinship=kinship,
        n_ibs0=np.rint(np.take(ibs0.ravel(), flat)).astype(np.int32),
        n_variants=np.rint(np.take(n_both.ravel(), flat)).astype(np.int32),
        degree=degrees(np.nan_to_num(kinship, nan=0.0)),
        n_sites=int(matrix.pos.size),
        excluded=tuple(excluded),
    )


def cohort_kinship(
    store: VariantStore, samples: Sequence[CohortSample], policy: KinshipPolicy | None = None
) -> KinshipResult:
    """Kinship of every pair of the given sample versions from the store (see the module docstring)."""
    matrix, excluded = common_snv_genotypes(store, samples, policy or KinshipPolicy())
    return king_robust(matrix, excluded=excluded)
