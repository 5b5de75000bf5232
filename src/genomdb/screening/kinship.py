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
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from genomdb.errors import InvalidInput, Problem
from genomdb.variants.records import CohortSample

if TYPE_CHECKING:
    import pyarrow as pa  # type: ignore[import-untyped]

    from genomdb.variants.store import VariantStore

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


def read_genotypes(
    store: VariantStore,
    samples: Sequence[CohortSample],
    sites: pa.Table,
) -> GenotypeMatrix:
    """Dosages of ``samples`` at ``sites`` (a table of ``chrom, pos, ref, alt``): autosomal SNVs from the genotype
    panel of the samples' batches (:mod:`genomdb.screening.panel`), any other site from the store itself."""
    import pyarrow as pa

    from genomdb.screening.panel import genotype_panel

    ordered = sorted(samples, key=lambda s: s.sample_id)
    n_sites = sites.num_rows
    batch_ids = sorted({s.batch_id for s in ordered})
    if not (ordered and n_sites and batch_ids):
        return _matrix(ordered, sites, np.full((len(ordered), n_sites), -1, dtype=np.int8))
    panel = genotype_panel(store, batch_ids)
    rows_in_panel = _rows_of(panel.sites, sites)
    site_index = np.flatnonzero(rows_in_panel >= 0)
    in_panel = panel.dosages(rows_in_panel[site_index], panel.sample_rows([s.sample_id for s in ordered]))
    if site_index.size == n_sites:  # every site in the panel, in order: its matrix is the whole answer
        return _matrix(ordered, sites, in_panel)
    dosages = np.full((len(ordered), n_sites), -1, dtype=np.int8)
    dosages[:, site_index] = in_panel
    rest = np.setdiff1d(np.arange(n_sites), site_index)
    dosages[:, rest] = read_store_genotypes(store, ordered, sites.take(pa.array(rest))).dosages
    return _matrix(ordered, sites, dosages)


def _rows_of(table: pa.Table, sites: pa.Table) -> npt.NDArray[np.intp]:
    """The row of ``table`` holding each site (same chrom, pos, ref and alt), or -1: candidates by position (a
    binary search over the table's sorted positions), then the few rows at a position compared whole."""
    table_pos = np.asarray(table["pos"].to_numpy(zero_copy_only=False), dtype=np.int64)
    site_pos = np.asarray(sites["pos"].to_numpy(zero_copy_only=False), dtype=np.int64)
    by_pos = np.argsort(table_pos, kind="stable")
    low = np.searchsorted(table_pos[by_pos], site_pos, side="left")
    high = np.searchsorted(table_pos[by_pos], site_pos, side="right")
    found = np.full(site_pos.size, -1, dtype=np.intp)
    columns = ("chrom", "ref", "alt")
    table_text = [table[c].to_numpy(zero_copy_only=False) for c in columns]
    site_text = [sites[c].to_numpy(zero_copy_only=False) for c in columns]
    for offset in range(int((high - low).max(initial=0))):  # rows sharing a position: other contigs or alleles
        open_sites = np.flatnonzero((low + offset < high) & (found < 0))
        candidates = by_pos[low[open_sites] + offset]
        same = np.ones(open_sites.size, dtype=bool)
        for in_table, in_sites in zip(table_text, site_text, strict=True):
            same &= in_table[candidates] == in_sites[open_sites]
        found[open_sites[same]] = candidates[same]
    return found


def _matrix(samples: Sequence[CohortSample], sites: Any, dosages: DosageMatrix) -> GenotypeMatrix:
    """The matrix of ``samples`` (rows) at the sites of an Arrow table with chrom, pos (1-based), ref and alt."""
    return GenotypeMatrix(
        samples=tuple(samples),
        chrom=tuple(sites["chrom"].to_pylist()),
        pos=np.asarray(sites["pos"].to_numpy(zero_copy_only=False), dtype=np.int64),
        ref=tuple(sites["ref"].to_pylist()),
        alt=tuple(sites["alt"].to_pylist()),
        dosages=dosages,
    )


def _sql_list(values: Sequence[str]) -> str:
    return "[" + ", ".join("'" + v.replace("'", "''") + "'" for v in values) + "]"


def read_store_genotypes(
    store: VariantStore,
    samples: Sequence[CohortSample],
    sites: pa.Table,
) -> GenotypeMatrix:
    """Dosages of ``samples`` at ``sites`` read from the store's calls and blocks (one pass per table), without the
    panel: for sites the panel does not hold (indels, sex chromosomes), and as the panel's reference in tests."""
    import pyarrow as pa

    from genomdb.variants.store import connect_duckdb

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
    return _matrix(ordered, sites, dosages)


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


def common_snv_genotypes(
    store: VariantStore, samples: Sequence[CohortSample], policy: KinshipPolicy
) -> tuple[GenotypeMatrix, tuple[CohortSample, ...]]:
    """The genotypes kinship uses: common (MAF ≥ policy), callable, biallelic autosomal SNVs of the samples that
    pass the sample call rate; and the samples left out for too low a call rate.

    Candidates are the genotype panel's rows (:mod:`genomdb.screening.panel`) at positions where the batches' calls
    show one allele only, an SNV, whose alt alleles among the samples' called genotypes reach the count the MAF
    and site call-rate minimums imply; the sample call rate is counted over them, then the site filters over the
    samples kept."""
    ordered = sorted(samples, key=lambda s: s.sample_id)
    n = len(ordered)
    batch_ids = sorted({s.batch_id for s in ordered})
    if not ordered or not batch_ids:
        empty = GenotypeMatrix(tuple(ordered), (), np.zeros(0, np.int64), (), (), np.zeros((n, 0), np.int8))
        return empty, ()
    from genomdb.screening.panel import genotype_panel

    panel = genotype_panel(store, batch_ids)
    columns = panel.sample_rows([s.sample_id for s in ordered])
    alt_count = panel.alt_counts(columns)
    lower_bound = int(np.floor(policy.min_maf * 2 * n * policy.min_site_call_rate))
    biallelic = np.asarray(panel.sites["n_alleles"].to_numpy(), dtype=np.int64) == 1
    rows = np.flatnonzero(biallelic & (alt_count >= max(1, lower_bound)))
    chrom, ref, alt = (panel.sites[c].to_numpy(zero_copy_only=False)[rows].tolist() for c in ("chrom", "ref", "alt"))
    matrix = GenotypeMatrix(  # columns indexed with numpy: Table.take would import pyarrow.compute (~0.1 s)
        samples=tuple(ordered),
        chrom=tuple(chrom),
        pos=np.asarray(panel.sites["pos"].to_numpy(), dtype=np.int64)[rows],
        ref=tuple(ref),
        alt=tuple(alt),
        dosages=panel.dosages(rows, columns),
    )
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


ROW_BLOCK_CELLS = 1 << 20
"""Pairs computed at once: a block of rows against the columns after them holds about this many pairs."""
SITE_CHUNK = 4095
"""Sites per product: two counts (each ≤ 4095) packed as ``a + 4096 b`` stay exact in float32 (< 2**24)."""
_PACK = 4096.0
_SHIFT, _LOW = 12, 4095
"""``a + 4096 b`` as an integer: ``b`` is ``>> 12``, ``a`` is ``& 4095``."""


def king_robust(matrix: GenotypeMatrix, *, excluded: Sequence[CohortSample] = ()) -> KinshipResult:
    """KING-robust between-family kinship for every pair of the matrix's samples.

    Computed in blocks of rows against the columns after them (working memory bounded by ``ROW_BLOCK_CELLS``; the
    pairs returned are written into arrays allocated once) with three float32 products per block and chunk of
    ``SITE_CHUNK`` sites, each exact: hets of i × (called + 4096 hets) of j gives both i's hets where j is called
    and the shared hets; called of i × (hets + 4096 called) of j gives j's hets where i is called and the sites
    both called; centred dosages give same-homozygous minus opposite-homozygous sites, from which opposite
    homozygotes (IBS0) follow. The per-pair arithmetic is done on each block's rectangle in place; each row's
    pairs (the columns after it) are then copied out as one slice."""
    g = matrix.dosages
    n, m = g.shape
    called = (g >= 0).astype(np.float32)
    het = (g == 1).astype(np.float32)
    centred = np.where(g >= 0, g.astype(np.float32) - 1, 0).astype(np.float32)
    chunks = [slice(a, min(m, a + SITE_CHUNK)) for a in range(0, m, SITE_CHUNK)]
    right_het = [np.ascontiguousarray((called[:, c] + _PACK * het[:, c]).T) for c in chunks]
    right_called = [np.ascontiguousarray((het[:, c] + _PACK * called[:, c]).T) for c in chunks]
    right_centred = [np.ascontiguousarray(centred[:, c].T) for c in chunks]
    n_pairs = n * (n - 1) // 2
    pairs_of_row = np.arange(n - 1, -1, -1, dtype=np.int64)
    """Row i pairs with the columns after it: n − 1 − i pairs, written in row-major order."""
    row_offset = np.concatenate(([0], np.cumsum(pairs_of_row)))
    first = np.repeat(np.arange(n, dtype=np.int32), pairs_of_row)
    second = (np.arange(n_pairs, dtype=np.int64) - row_offset[first] + first + 1).astype(np.int32)
    kinship_all = np.empty(n_pairs, np.float64)
    n_ibs0, n_variants = np.empty(n_pairs, np.int32), np.empty(n_pairs, np.int32)
    start = 0
    while start < n - 1:
        rows = max(1, min(n - 1 - start, ROW_BLOCK_CELLS // max(1, n - start)))
        stop = start + rows
        het_called = het_het = called_het = n_both = same_minus_opposite = np.zeros(0, np.int32)
        for k, c in enumerate(chunks):
            packed_het = (het[start:stop, c] @ right_het[k][:, start:]).astype(np.int32)
            packed_called = (called[start:stop, c] @ right_called[k][:, start:]).astype(np.int32)
            centred_product = (centred[start:stop, c] @ right_centred[k][:, start:]).astype(np.int32)
            if k == 0:
                het_het, n_both = packed_het >> _SHIFT, packed_called >> _SHIFT
                packed_het &= _LOW
                packed_called &= _LOW
                het_called, called_het, same_minus_opposite = packed_het, packed_called, centred_product
            else:
                het_het += packed_het >> _SHIFT
                n_both += packed_called >> _SHIFT
                het_called += packed_het & _LOW
                called_het += packed_called & _LOW
                same_minus_opposite += centred_product
        # hom-hom sites both called = both − hets of i − hets of j + shared hets; IBS0 = (hom-hom − same+opp) / 2
        ibs0 = n_both - het_called
        ibs0 -= called_het
        ibs0 += het_het
        ibs0 -= same_minus_opposite
        ibs0 >>= 1  # an even count: floor division by 2
        numerator = het_called + called_het
        numerator -= 2 * het_het
        numerator += 4 * ibs0  # integers below 2**24: the same value as the float64 sum
        smaller = np.minimum(het_called, called_het)
        kinship = smaller.astype(np.float64)
        kinship *= 4.0
        with np.errstate(invalid="ignore", divide="ignore"):
            np.divide(numerator, kinship, out=kinship)
        np.subtract(0.5, kinship, out=kinship)  # 0.5 − numerator / (4 · smaller), one float64 array throughout
        kinship[smaller <= 0] = np.nan
        for local_row in range(rows):  # row start + r pairs with columns start + r + 1 … n − 1
            at = int(row_offset[start + local_row])
            out = slice(at, at + n - 1 - start - local_row)
            kinship_all[out] = kinship[local_row, local_row + 1 :]
            n_ibs0[out] = ibs0[local_row, local_row + 1 :]
            n_variants[out] = n_both[local_row, local_row + 1 :]
        start = stop
    return KinshipResult(
        samples=matrix.samples,
        first=first,
        second=second,
        kinship=kinship_all,
        n_ibs0=n_ibs0,
        n_variants=n_variants,
        degree=degrees(kinship_all),  # NaN compares false: unrelated, as 0 would be
        n_sites=int(m),
        excluded=tuple(excluded),
    )


def cohort_kinship(
    store: VariantStore, samples: Sequence[CohortSample], policy: KinshipPolicy | None = None
) -> KinshipResult:
    """Kinship of every pair of the given sample versions from the store (see the module docstring)."""
    matrix, excluded = common_snv_genotypes(store, samples, policy or KinshipPolicy())
    return king_robust(matrix, excluded=excluded)
