"""File writers for the demo cohort: per-sample gVCF/VCF, paired-end FASTQ with an aligned CRAM, and ONT FASTQ.

Call files are formatted as plain text and written through BGZF (then tabix-indexed), about 45 ms per sample;
:func:`write_calls` is a pure function of its task and runs in worker processes. Sequencing reads are
drawn from a sample's two haplotypes, so reads, alignments and calls of one person agree. In a haploid region
(chrX outside the pseudoautosomal regions, for an XY individual) genotypes are written haploid: ``1`` and ``0``.
"""

from __future__ import annotations

import datetime as dt
import functools
import itertools
import math
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pysam

from genomdb.demo.cohort import AlleleMatrix, CallFormat, IntArray, RegionVariants
from genomdb.demo.cram_header import rewrite_header
from genomdb.demo.manifests import FileDigest, digest_file
from genomdb.demo.reference import ReferenceGenome, RegionSequence
from genomdb.demo.regions import GRCH38_CONTIG_LENGTHS, GenomicRegion

MEAN_DEPTH = 30.0
MEAN_BLOCK_LENGTH_BP = 800
GAPS_PER_MB = 5.0
GAP_LENGTH_RANGE_BP = (200, 5_000)
LOW_BLOCK_FRACTION = 0.04
LOW_DEPTH_CALL_FRACTION = 0.015
LOW_BALANCE_CALL_FRACTION = 0.01
LOW_GQ_CALL_FRACTION = 0.015
BASE_ERROR_RATE = 0.01
"""Per-read error rate assumed when turning allele depths into genotype likelihoods."""

SHORT_READ_LENGTH = 150
SHORT_READ_DEPTH = 10.0
SHORT_READ_WINDOW_BP = (5_000, 35_000)
"""Short reads cover the LDLR start minus/plus these offsets (clipped to the region)."""
LONG_READ_DEPTH = 8.0
LONG_READ_FLANK_BP = 30_000
LONG_READ_LENGTH_RANGE_BP = (5_000, 30_000)

_GQ_BANDS = (0, 5, 10, 15, 20, 30, 40, 50, 60, 70, 80, 90, 99, 100)
_COMPLEMENT = bytes.maketrans(b"ACGTN", b"TGCAN")
_CODE_OF = np.full(256, 4, dtype=np.uint8)
_CODE_OF[np.frombuffer(b"ACGT", dtype=np.uint8)] = np.arange(4, dtype=np.uint8)
_BASE_OF = np.frombuffer(b"ACGTN", dtype=np.uint8)
_NOVASEQ_QUALITIES = np.array([37, 23, 12, 2])
_CIGAR_MATCH, _CIGAR_INS, _CIGAR_DEL, _CIGAR_SOFT_CLIP = 0, 1, 2, 4
_FLAG_PAIRED, _FLAG_PROPER_PAIR, _FLAG_REVERSE, _FLAG_MATE_REVERSE = 0x1, 0x2, 0x10, 0x20
_FLAG_READ_1, _FLAG_READ_2 = 0x40, 0x80


@dataclass(frozen=True, slots=True)
class SiteTable:
    """One region's sites as a call writer needs them (shared by all samples, no genotypes)."""

    region: GenomicRegion
    sequence: RegionSequence
    positions: IntArray
    ref_ends: IntArray
    alleles: tuple[tuple[str, ...], ...]
    confident: frozenset[tuple[str, int]] = frozenset()
    """(chrom, position) where every carrier's call is written at normal depth and quality: the demo's planted
    P/LP variants, so that a programme finds each planted carrier whatever the random quality draws."""

    @classmethod
    def of(
        cls, variants: RegionVariants, sequence: RegionSequence, confident: frozenset[tuple[str, int]] = frozenset()
    ) -> SiteTable:
        return cls(variants.region, sequence, variants.positions, variants.ref_ends(), variants.alleles, confident)


@dataclass(frozen=True, slots=True)
class CallTask:
    """Everything needed to write one sample's gVCF or VCF; ``haplotypes``/``gaps`` are per region."""

    path: Path
    sample_id: str
    call_format: CallFormat
    source: str
    haplotypes: tuple[AlleleMatrix, ...]
    gaps: tuple[IntArray, ...]
    seed: tuple[int, ...]
    contig_lengths: tuple[tuple[str, int], ...] = tuple(GRCH38_CONTIG_LENGTHS.items())
    """The ``##contig`` lines of the header, in reference order."""
    haploid: tuple[bool, ...] = ()
    """Per region: write haploid genotypes (the sample's first haplotype only); empty means all diploid."""


@dataclass(frozen=True, slots=True)
class CallFileResult:
    """A written call file; ``degraded`` lists per region the site indices written as low-quality calls."""

    sample_id: str
    digest: FileDigest
    n_variant_records: int
    n_reference_blocks: int
    degraded: tuple[IntArray, ...]


@dataclass(frozen=True, slots=True)
class ReadFiles:
    """Written read files of one sample: paired FASTQs and the CRAM aligned from them."""

    fastq_1: FileDigest
    fastq_2: FileDigest
    cram: FileDigest
    n_pairs: int


def plan_gaps(region: GenomicRegion, rng: np.random.Generator) -> IntArray:
    """No-call stretches for one sample in one region: sorted, merged (start, end) rows, 1-based inclusive."""
    n_gaps = int(rng.poisson(GAPS_PER_MB * region.length_bp / 1e6))
    low, high = GAP_LENGTH_RANGE_BP
    lengths = np.exp(rng.uniform(math.log(low), math.log(high), size=n_gaps)).astype(np.int64)
    starts = np.sort(rng.integers(region.start_1based, region.end_1based - high, size=n_gaps))
    merged: list[tuple[int, int]] = []
    for start, length in zip(starts.tolist(), lengths.tolist(), strict=True):
        end = start + length - 1
        if merged and start <= merged[-1][1] + 1:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return np.array(merged, dtype=np.int64).reshape(-1, 2)


# --- calls ---------------------------------------------------------------------------------------------


def _vcf_header(sample_id: str, source: str, *, gvcf: bool, contig_lengths: tuple[tuple[str, int], ...]) -> str:
    lines = ["##fileformat=VCFv4.2"]
    if gvcf:
        lines.append(
            '##ALT=<ID=NON_REF,Description="Represents any possible alternative allele not already represented '
            'at this location by REF and ALT">'
        )
    lines += [
        '##FILTER=<ID=PASS,Description="All filters passed">',
        '##FILTER=<ID=LowQual,Description="Low quality">',
        '##FORMAT=<ID=AD,Number=R,Type=Integer,Description="Allelic depths for the ref and alt alleles in the '
        'order listed">',
        '##FORMAT=<ID=DP,Number=1,Type=Integer,Description="Approximate read depth (reads with MQ=255 or with bad '
        'mates are filtered)">',
        '##FORMAT=<ID=GQ,Number=1,Type=Integer,Description="Genotype Quality">',
        '##FORMAT=<ID=GT,Number=1,Type=String,Description="Genotype">',
    ]
    if gvcf:
        lines.append(
            '##FORMAT=<ID=MIN_DP,Number=1,Type=Integer,Description="Minimum DP observed within the GVCF block">'
        )
    lines.append(
        '##FORMAT=<ID=PL,Number=G,Type=Integer,Description="Normalized, Phred-scaled likelihoods for genotypes '
        'as defined in the VCF specification">'
    )
    if gvcf:
        lines += [
            f"##GVCFBlock{lo}-{hi}=minGQ={lo}(inclusive),maxGQ={hi}(exclusive)"
            for lo, hi in itertools.pairwise(_GQ_BANDS)
        ]
    lines.append(
        '##INFO=<ID=DP,Number=1,Type=Integer,Description="Approximate read depth; some reads may have been filtered">'
    )
    if gvcf:
        lines.append('##INFO=<ID=END,Number=1,Type=Integer,Description="Stop position of the interval">')
    lines.append(f"##source={source}")
    lines += [f"##contig=<ID={name},length={length},assembly=GRCh38>" for name, length in contig_lengths]
    lines.append("##reference=GRCh38")
    lines.append("\t".join(["#CHROM", "POS", "ID", "REF", "ALT", "QUAL", "FILTER", "INFO", "FORMAT", sample_id]))
    return "\n".join(lines) + "\n"


@functools.lru_cache(maxsize=65_536)
def _phred_likelihoods(allele_depths: tuple[int, ...], n_alleles: int) -> tuple[int, ...]:
    """Normalised PLs for every genotype of ``n_alleles`` alleles (VCF order) from per-allele read counts.

    Alleles beyond ``len(allele_depths)`` (the gVCF's ``<NON_REF>``) explain no read except as an error.
    """
    error = BASE_ERROR_RATE
    log_match, log_miss = math.log10(1 - error), math.log10(error / 3)
    log_likelihoods: list[float] = []
    for second in range(n_alleles):
        for first in range(second + 1):
            total = 0.0
            for allele, depth in enumerate(allele_depths):
                if depth:
                    p_first = log_match if allele == first else log_miss
                    p_second = log_match if allele == second else log_miss
                    total += depth * math.log10(0.5 * 10**p_first + 0.5 * 10**p_second)
            log_likelihoods.append(total)
    best = max(log_likelihoods)
    return tuple(round(-10 * (value - best)) for value in log_likelihoods)


@functools.lru_cache(maxsize=65_536)
def _haploid_likelihoods(allele_depths: tuple[int, ...], n_alleles: int) -> tuple[int, ...]:
    """Normalised PLs for the ``n_alleles`` haploid genotypes from per-allele read counts."""
    log_match, log_miss = math.log10(1 - BASE_ERROR_RATE), math.log10(BASE_ERROR_RATE / 3)
    log_likelihoods = [
        sum(depth * (log_match if allele == called else log_miss) for allele, depth in enumerate(allele_depths))
        for called in range(n_alleles)
    ]
    best = max(log_likelihoods)
    return tuple(round(-10 * (value - best)) for value in log_likelihoods)


def _genotype_index(first: int, second: int) -> int:
    low, high = min(first, second), max(first, second)
    return high * (high + 1) // 2 + low


class _BlockStream:
    """Reference blocks drawn in batches: (length, text after END=…) for loops that need one at a time."""

    def __init__(self, rng: np.random.Generator, batch: int, *, haploid: bool = False) -> None:
        self._rng = rng
        self._batch = batch
        self._haploid = haploid
        self._rows: list[tuple[int, str]] = []
        self._next = 0

    def take(self) -> tuple[int, str]:
        if self._next >= len(self._rows):
            self._rows = _draw_blocks(self._rng, self._batch, haploid=self._haploid)
            self._next = 0
        row = self._rows[self._next]
        self._next += 1
        return row


def _draw_blocks(rng: np.random.Generator, n: int, *, haploid: bool = False) -> list[tuple[int, str]]:
    """``n`` reference blocks: length and FORMAT columns (DP, GQ, MIN_DP, PL), a few with low depth and GQ."""
    lengths = np.maximum(1, rng.exponential(MEAN_BLOCK_LENGTH_BP, size=n)).astype(np.int64)
    depth = rng.poisson(MEAN_DEPTH, size=n)
    min_depth = np.clip(depth - rng.geometric(0.25, size=n) + 1, 8, None)
    depth = np.maximum(depth, min_depth)
    gq = np.minimum(99, 3 * min_depth - rng.integers(0, 4, size=n))
    low = rng.random(n) < LOW_BLOCK_FRACTION
    min_depth[low] = rng.integers(1, 8, size=int(low.sum()))
    depth[low] = min_depth[low] + rng.integers(0, 4, size=int(low.sum()))
    gq[low] = rng.integers(0, 20, size=int(low.sum()))
    pl_hom = 2 * gq + 10 * min_depth
    if haploid:
        return [
            (length, f"\tGT:DP:GQ:MIN_DP:PL\t0:{dp}:{q}:{md}:0,{q}\n")
            for length, dp, q, md in zip(lengths.tolist(), depth.tolist(), gq.tolist(), min_depth.tolist(), strict=True)
        ]
    return [
        (length, f"\tGT:DP:GQ:MIN_DP:PL\t0/0:{dp}:{q}:{md}:0,{q},{pl}\n")
        for length, dp, q, md, pl in zip(
            lengths.tolist(), depth.tolist(), gq.tolist(), min_depth.tolist(), pl_hom.tolist(), strict=True
        )
    ]


@dataclass(frozen=True, slots=True)
class _CallDraws:
    """Per-call random draws for one region, made in bulk: depth, quality class and read splits."""

    depth: list[int]
    kind: list[int]
    """0 normal, 1 low depth, 2 skewed allele balance (hets), 3 low GQ."""
    half: list[int]
    skewed: list[int]
    errors: list[int]
    low_gq: list[int]

    @classmethod
    def draw(cls, rng: np.random.Generator, n: int, sample_depth: float) -> _CallDraws:
        depth = rng.poisson(rng.gamma(20.0, sample_depth / 20.0, size=n)).astype(np.int64)
        u = rng.random(n)
        kind = np.zeros(n, dtype=np.int64)
        kind[u < LOW_DEPTH_CALL_FRACTION + LOW_BALANCE_CALL_FRACTION + LOW_GQ_CALL_FRACTION] = 3
        kind[u < LOW_DEPTH_CALL_FRACTION + LOW_BALANCE_CALL_FRACTION] = 2
        kind[u < LOW_DEPTH_CALL_FRACTION] = 1
        depth[kind == 1] = rng.integers(3, 10, size=int((kind == 1).sum()))
        depth = np.maximum(depth, 4)
        return cls(
            depth=depth.tolist(),
            kind=kind.tolist(),
            half=rng.binomial(depth, 0.5).tolist(),
            skewed=np.maximum(1, rng.binomial(depth, rng.uniform(0.08, 0.19, size=n))).tolist(),
            errors=rng.binomial(depth, BASE_ERROR_RATE).tolist(),
            low_gq=rng.integers(5, 20, size=n).tolist(),
        )


@functools.lru_cache(maxsize=65_536)
def _call_columns(genotype: tuple[int, ...], allele_depths: tuple[int, ...], low_gq: int, gvcf: bool) -> str:
    """QUAL to the sample column of a call; the called genotype always has PL 0 (GQ 0 when reads disagree).

    ``genotype`` has one allele (haploid) or two. ``low_gq`` > 0 rescales the likelihoods so that GQ equals it.
    """
    n_alleles = len(allele_depths) + (1 if gvcf else 0)
    if len(genotype) == 1:
        pls = list(_haploid_likelihoods(allele_depths, n_alleles))
        called = genotype[0]
    else:
        pls = list(_phred_likelihoods(allele_depths, n_alleles))
        called = _genotype_index(genotype[0], genotype[1])
    if pls[called]:
        shift = pls[called]
        pls = [max(0, pl - shift) for pl in pls]
        pls[called] = 0
    gq = min(99, min(pl for i, pl in enumerate(pls) if i != called))
    if low_gq and gq > 0:
        pls = [round(pl * low_gq / gq) for pl in pls]
        gq = low_gq
    qual = float(pls[0])
    depth = sum(allele_depths)
    ad_text = ",".join(map(str, allele_depths + ((0,) if gvcf else ())))
    filters = "." if gvcf else ("PASS" if qual >= 30 else "LowQual")
    return (
        f"{qual:.2f}\t{filters}\tDP={depth}\tGT:AD:DP:GQ:PL\t{'/'.join(map(str, genotype))}:{ad_text}:{depth}:{gq}:"
        f"{','.join(map(str, pls))}\n"
    )


def _call_record(
    table: SiteTable, site: int, first: int, second: int, draws: _CallDraws, k: int, gvcf: bool, haploid: bool
) -> str:
    """One variant record: the sample's alleles become local alleles (REF, its ALTs[, <NON_REF>]).

    A haploid sample carries ``first`` only and is written with a one-allele genotype.
    """
    alleles = table.alleles[site]
    low, high = (first, second) if first <= second else (second, first)
    depth, kind = draws.depth[k], draws.kind[k]
    allele_depths: tuple[int, ...]
    genotype: tuple[int, ...]
    local: tuple[int, ...]
    if haploid:
        local, genotype = (first,), (1,)
        allele_depths = (draws.errors[k], depth - draws.errors[k])
    elif low == high:
        local = (high,)
        genotype = (1, 1)
        allele_depths = (draws.errors[k], depth - draws.errors[k])
    else:
        n_second = draws.skewed[k] if kind == 2 else draws.half[k]
        if low == 0:
            local, genotype = (high,), (0, 1)
            allele_depths = (depth - n_second, n_second)
        else:
            local, genotype = (low, high), (1, 2)
            allele_depths = (0, depth - n_second, n_second)
    columns = _call_columns(genotype, allele_depths, draws.low_gq[k] if kind == 3 else 0, gvcf)
    alt_text = ",".join([alleles[a] for a in local] + (["<NON_REF>"] if gvcf else []))
    return f"{table.region.chrom}\t{table.positions[site]}\t.\t{alleles[0]}\t{alt_text}\t{columns}"


def called_sites(table: SiteTable, haplotypes: AlleleMatrix, gaps: IntArray) -> IntArray:
    """Sites where the sample carries a non-reference allele and that no gap touches."""
    carried = np.flatnonzero((haplotypes[0] != 0) | (haplotypes[1] != 0))
    if gaps.size == 0 or carried.size == 0:
        return carried
    starts, ends = gaps[:, 0], gaps[:, 1]
    k = np.searchsorted(starts, table.ref_ends[carried], side="right") - 1
    hit = (k >= 0) & (ends[np.maximum(k, 0)] >= table.positions[carried])
    return carried[~hit]


def _region_records(
    table: SiteTable,
    haplotypes: AlleleMatrix,
    gaps: IntArray,
    rng: np.random.Generator,
    out: list[str],
    *,
    gvcf: bool,
    haploid: bool = False,
) -> tuple[int, int, IntArray]:
    """Append one region's records; return (variant records, reference blocks, degraded site indices)."""
    sites = called_sites(table, haplotypes, gaps)
    draws = _CallDraws.draw(rng, sites.size, float(rng.normal(MEAN_DEPTH, 3.0)))
    first_haplotype, second_haplotype = haplotypes[0].tolist(), haplotypes[1].tolist()
    n_blocks = 0
    chrom = table.region.chrom
    bases = table.sequence.bases
    offset = table.sequence.start_1based
    blocks = _BlockStream(
        rng, batch=max(256, int(2.5 * table.region.length_bp / MEAN_BLOCK_LENGTH_BP)), haploid=haploid
    )
    gap_rows = gaps.tolist()
    gap_cursor = 0

    def emit_range(start: int, end: int) -> None:
        nonlocal n_blocks
        while start <= end:
            length, tail = blocks.take()
            stop = min(end, start + length - 1)
            out.append(f"{chrom}\t{start}\t.\t{chr(bases[start - offset])}\t<NON_REF>\t.\t.\tEND={stop}{tail}")
            n_blocks += 1
            start = stop + 1

    def emit_callable(start: int, end: int) -> None:
        nonlocal gap_cursor
        while start <= end:
            while gap_cursor < len(gap_rows) and gap_rows[gap_cursor][1] < start:
                gap_cursor += 1
            if gap_cursor < len(gap_rows) and gap_rows[gap_cursor][0] <= end:
                gap_start, gap_end = gap_rows[gap_cursor]
                if gap_start > start:
                    emit_range(start, gap_start - 1)
                start = gap_end + 1
                gap_cursor += 1
            else:
                emit_range(start, end)
                return

    cursor = table.region.start_1based
    positions, ref_ends = table.positions.tolist(), table.ref_ends.tolist()
    for k, site in enumerate(sites.tolist()):
        if (table.region.chrom, positions[site]) in table.confident:
            draws.kind[k] = 0
            draws.depth[k] = max(draws.depth[k], int(MEAN_DEPTH))
            draws.half[k] = draws.depth[k] // 2
        if gvcf:
            emit_callable(cursor, positions[site] - 1)
        out.append(_call_record(table, site, first_haplotype[site], second_haplotype[site], draws, k, gvcf, haploid))
        cursor = ref_ends[site] + 1
    if gvcf:
        emit_callable(cursor, table.region.end_1based)
    return sites.size, n_blocks, sites[np.asarray(draws.kind, dtype=np.int64) != 0]


def write_calls(task: CallTask, tables: Sequence[SiteTable]) -> CallFileResult:
    """Write one sample's bgzipped, tabix-indexed gVCF (with reference blocks) or plain VCF."""
    rng = np.random.default_rng(np.random.SeedSequence(list(task.seed)))
    gvcf = task.call_format == "gvcf"
    out = [_vcf_header(task.sample_id, task.source, gvcf=gvcf, contig_lengths=task.contig_lengths)]
    n_variants = n_blocks = 0
    degraded: list[IntArray] = []
    haploid = task.haploid or (False,) * len(tables)
    for table, haplotypes, gaps, is_haploid in zip(tables, task.haplotypes, task.gaps, haploid, strict=True):
        n_region_variants, n_region_blocks, region_degraded = _region_records(
            table, haplotypes, gaps, rng, out, gvcf=gvcf, haploid=is_haploid
        )
        n_variants += n_region_variants
        n_blocks += n_region_blocks
        degraded.append(region_degraded)
    task.path.parent.mkdir(parents=True, exist_ok=True)
    with pysam.BGZFile(str(task.path), "wb", None) as handle:
        handle.write("".join(out).encode("ascii"))
    pysam.tabix_index(str(task.path), preset="vcf", force=True)
    return CallFileResult(task.sample_id, digest_file(task.path), n_variants, n_blocks, tuple(degraded))


_WORKER_TABLES: tuple[SiteTable, ...] = ()


def init_call_worker(tables: tuple[SiteTable, ...]) -> None:
    """Process-pool initializer: keep the shared site tables in the worker."""
    global _WORKER_TABLES
    _WORKER_TABLES = tables


def write_calls_in_worker(task: CallTask) -> CallFileResult:
    """:func:`write_calls` with the tables given to :func:`init_call_worker`."""
    return write_calls(task, _WORKER_TABLES)


# --- reads ---------------------------------------------------------------------------------------------


def haplotype_window(
    variants: RegionVariants, sequence: RegionSequence, haplotype_row: int, start_1based: int, end_1based: int
) -> tuple[bytes, IntArray]:
    """One haplotype's bases over a reference window, and each base's 1-based reference position (-1: inserted)."""
    alleles_carried = variants.haplotypes[haplotype_row]
    in_window = np.flatnonzero(
        (variants.positions >= start_1based) & (variants.ref_ends() <= end_1based) & (alleles_carried != 0)
    )
    pieces: list[bytes] = []
    positions: list[IntArray] = []
    cursor = start_1based
    for site in in_window.tolist():
        pos = int(variants.positions[site])
        if pos < cursor:
            continue
        ref = variants.alleles[site][0]
        alt = variants.alleles[site][int(alleles_carried[site])]
        pieces.append(sequence.fetch(cursor, pos - 1).encode("ascii") if pos > cursor else b"")
        positions.append(np.arange(cursor, pos, dtype=np.int64))
        shared = min(len(ref), len(alt))
        pieces.append(alt.encode("ascii"))
        positions.append(np.arange(pos, pos + shared, dtype=np.int64))
        positions.append(np.full(len(alt) - shared, -1, dtype=np.int64))
        cursor = pos + len(ref)
    pieces.append(sequence.fetch(cursor, end_1based).encode("ascii"))
    positions.append(np.arange(cursor, end_1based + 1, dtype=np.int64))
    return b"".join(pieces), np.concatenate(positions)


def _alignment(reference_positions: IntArray) -> tuple[int, list[tuple[int, int]]] | None:
    """0-based alignment start and CIGAR of a read from the reference positions of its bases (forward)."""
    mapped = np.flatnonzero(reference_positions >= 0)
    if mapped.size == 0:
        return None
    first, last = int(mapped[0]), int(mapped[-1])
    core = reference_positions[first : last + 1]
    start = int(core[0]) - 1
    if core.size == mapped.size and np.all(np.diff(core) == 1):
        ops = [(_CIGAR_MATCH, core.size)]
    else:
        ops = []
        previous = -1
        for value in core.tolist():
            if value < 0:
                op = _CIGAR_INS
            else:
                if previous >= 0 and value > previous + 1:
                    ops.append((_CIGAR_DEL, value - previous - 1))
                op, previous = _CIGAR_MATCH, value
            if ops and ops[-1][0] == op:
                ops[-1] = (op, ops[-1][1] + 1)
            else:
                ops.append((op, 1))
    if first:
        ops.insert(0, (_CIGAR_SOFT_CLIP, first))
    if last < reference_positions.size - 1:
        ops.append((_CIGAR_SOFT_CLIP, reference_positions.size - 1 - last))
    return start, ops


def _reverse_complement(seq: bytes) -> bytes:
    return seq.translate(_COMPLEMENT)[::-1]


def _sequencing_errors(
    rng: np.random.Generator, reads: npt.NDArray[np.uint8]
) -> tuple[npt.NDArray[np.uint8], npt.NDArray[np.int64]]:
    """NovaSeq-like binned qualities (worse towards the 3' end) and substitutions at their error rates."""
    n_reads, length = reads.shape
    along = np.linspace(0.0, 1.0, length)
    p_low = 0.01 + 0.05 * along**2
    u = rng.random((n_reads, length))
    bins = (u < p_low).astype(np.int64) + (u < p_low / 4) + (u < p_low / 40)
    qualities = _NOVASEQ_QUALITIES[bins]
    error = rng.random((n_reads, length)) < 10.0 ** (-qualities / 10.0)
    codes = _CODE_OF[reads]
    codes = np.where(error, (codes + rng.integers(1, 4, size=codes.shape)) % 4, codes).astype(np.uint8)
    codes[qualities == 2] = 4
    return _BASE_OF[codes], qualities


def _fastq_record(name: str, comment: str, seq: bytes, qualities: npt.NDArray[np.int64]) -> bytes:
    quality_text = (qualities + 33).astype(np.uint8).tobytes()
    return b"@" + f"{name} {comment}".encode("ascii") + b"\n" + seq + b"\n+\n" + quality_text + b"\n"


def _cram_header(reference: ReferenceGenome, sample_id: str, read_group: str, library: str) -> pysam.AlignmentHeader:
    return pysam.AlignmentHeader.from_dict(
        {
            "HD": {"VN": "1.6", "SO": "coordinate"},
            "SQ": [
                {"SN": name, "LN": length, "M5": reference.contig_md5[name], "AS": "GRCh38", "UR": reference.fasta.name}
                for name, length in reference.contig_lengths.items()
            ],
            "RG": [{"ID": read_group, "SM": sample_id, "PL": "ILLUMINA", "LB": library, "PM": "NovaSeq 6000"}],
            "PG": [{"ID": "dragen", "PN": "DRAGEN", "VN": "4.2.4"}],
        }
    )


def _short_read_pairs(
    rng: np.random.Generator, haplotypes: Sequence[tuple[bytes, IntArray]], n_pairs: int
) -> Iterator[tuple[int, bytes, IntArray, bytes, IntArray]]:
    """(fragment strand, R1 bases, R1 reference positions, R2 bases, R2 reference positions), unmutated."""
    for _ in range(n_pairs):
        seq, positions = haplotypes[int(rng.integers(2))]
        fragment = int(np.clip(rng.normal(350, 40), 200, 600))
        start = int(rng.integers(0, len(seq) - fragment))
        left = slice(start, start + SHORT_READ_LENGTH)
        right = slice(start + fragment - SHORT_READ_LENGTH, start + fragment)
        forward = int(rng.integers(2))
        yield forward, seq[left], positions[left], seq[right], positions[right]


def write_short_reads(
    folder: Path,
    *,
    sample_id: str,
    run_id: str,
    variants: RegionVariants,
    sequence: RegionSequence,
    person_index: int,
    reference: ReferenceGenome,
    rng: np.random.Generator,
) -> ReadFiles:
    """Paired-end 150 bp FASTQs (~10× over a window at the LDLR start) and the coordinate-sorted CRAM of them."""
    region = variants.region
    window_start = max(region.start_1based, region.gene.start_1based - SHORT_READ_WINDOW_BP[0])
    window_end = min(region.end_1based, region.gene.start_1based + SHORT_READ_WINDOW_BP[1])
    haplotypes = [haplotype_window(variants, sequence, 2 * person_index + h, window_start, window_end) for h in (0, 1)]
    n_pairs = int(SHORT_READ_DEPTH * (window_end - window_start + 1) / (2 * SHORT_READ_LENGTH))
    pairs = list(_short_read_pairs(rng, haplotypes, n_pairs))
    # Sequencing order: R1 reads the fragment's forward strand when ``forward``, else its reverse complement.
    as_read_1 = [p[1] if p[0] else _reverse_complement(p[3]) for p in pairs]
    as_read_2 = [_reverse_complement(p[3]) if p[0] else p[1] for p in pairs]
    read_1, quality_1 = _sequencing_errors(rng, np.frombuffer(b"".join(as_read_1), np.uint8).reshape(n_pairs, -1))
    read_2, quality_2 = _sequencing_errors(rng, np.frombuffer(b"".join(as_read_2), np.uint8).reshape(n_pairs, -1))
    flowcell = "H" + "".join(rng.choice(list("ABCDEFGHJKLMNPRSTUVWXY23456789"), size=4)) + "DSX3"
    names = [
        f"A00953:{412 + person_index % 50}:{flowcell}:1:{1101 + i // 5000}:{1000 + i % 5000 * 7}:{2000 + i}"
        for i in range(n_pairs)
    ]
    barcode = "".join(rng.choice(list("ACGT"), size=8))

    folder.mkdir(parents=True, exist_ok=True)
    fastq_paths = [folder / f"{sample_id}_R1.fastq.gz", folder / f"{sample_id}_R2.fastq.gz"]
    for mate, (reads, qualities, path) in enumerate(
        ((read_1, quality_1, fastq_paths[0]), (read_2, quality_2, fastq_paths[1])), start=1
    ):
        with pysam.BGZFile(str(path), "wb", None) as handle:
            handle.write(
                b"".join(
                    _fastq_record(name, f"{mate}:N:0:{barcode}", reads[i].tobytes(), qualities[i])
                    for i, name in enumerate(names)
                )
            )

    cram_path = folder / f"{sample_id}.cram"
    header = _cram_header(reference, sample_id, run_id, f"{sample_id}-LIB1")
    tid = header.get_tid(region.chrom)
    segments: list[tuple[int, int, pysam.AlignedSegment]] = []
    for i, (forward, _, positions_left, _, positions_right) in enumerate(pairs):
        # Reference-strand bases as sequenced (errors included): R1 is forward-strand when ``forward``.
        read_1_forward = read_1[i].tobytes() if forward else _reverse_complement(read_1[i].tobytes())
        read_2_forward = _reverse_complement(read_2[i].tobytes()) if forward else read_2[i].tobytes()
        quality_1_forward = quality_1[i] if forward else quality_1[i][::-1]
        quality_2_forward = quality_2[i][::-1] if forward else quality_2[i]
        left_is_read_1 = bool(forward)
        left = _alignment(positions_left)
        right = _alignment(positions_right)
        if left is None or right is None:
            continue
        mates = (
            (
                left,
                read_1_forward if left_is_read_1 else read_2_forward,
                quality_1_forward if left_is_read_1 else quality_2_forward,
                left_is_read_1,
                False,
            ),
            (
                right,
                read_2_forward if left_is_read_1 else read_1_forward,
                quality_2_forward if left_is_read_1 else quality_1_forward,
                not left_is_read_1,
                True,
            ),
        )
        left_start, right_start = left[0], right[0]
        right_end = right_start + sum(n for op, n in right[1] if op in (_CIGAR_MATCH, _CIGAR_DEL))
        span = right_end - left_start
        for (start, cigar), seq, quals, is_read_1, is_reverse in mates:
            segment = pysam.AlignedSegment(header)
            segment.query_name = names[i]
            strand = _FLAG_REVERSE if is_reverse else _FLAG_MATE_REVERSE
            segment.flag = _FLAG_PAIRED | _FLAG_PROPER_PAIR | strand | (_FLAG_READ_1 if is_read_1 else _FLAG_READ_2)
            segment.reference_id = tid
            segment.reference_start = start
            segment.mapping_quality = 60
            segment.cigartuples = cigar
            segment.next_reference_id = tid
            segment.next_reference_start = right_start if not is_reverse else left_start
            segment.template_length = -span if is_reverse else span
            segment.query_sequence = seq.decode("ascii")
            segment.query_qualities = pysam.qualitystring_to_array((quals + 33).astype(np.uint8).tobytes().decode())
            segment.set_tag("RG", run_id)
            segments.append((start, len(segments), segment))
    segments.sort(key=lambda item: (item[0], item[1]))
    with pysam.AlignmentFile(str(cram_path), "wc", header=header, reference_filename=str(reference.fasta)) as cram:
        for _, _, segment in segments:
            cram.write(segment)
    rewrite_header(cram_path, str(header))  # location independent: no absolute reference path, fixed file id
    pysam.index(str(cram_path))
    return ReadFiles(digest_file(fastq_paths[0]), digest_file(fastq_paths[1]), digest_file(cram_path), n_pairs)


def write_long_reads(
    path: Path,
    *,
    variants: RegionVariants,
    sequence: RegionSequence,
    person_index: int,
    rng: np.random.Generator,
    run_started: dt.datetime,
) -> tuple[FileDigest, int]:
    """ONT reads of 5–30 kb (~8× around LDLR, ~4% substitution/indel errors, Q ≈ 18) as one FASTQ."""
    region = variants.region
    window_start = max(region.start_1based, region.gene.start_1based - LONG_READ_FLANK_BP)
    window_end = min(region.end_1based, region.gene.end_1based + LONG_READ_FLANK_BP)
    haplotypes = [
        haplotype_window(variants, sequence, 2 * person_index + h, window_start, window_end)[0] for h in (0, 1)
    ]
    low, high = LONG_READ_LENGTH_RANGE_BP
    n_reads = max(1, int(LONG_READ_DEPTH * (window_end - window_start + 1) / ((low + high) / 2)))
    run_id = uuid.UUID(bytes=rng.bytes(16), version=4).hex
    records: list[bytes] = []
    for number in range(n_reads):
        seq = haplotypes[int(rng.integers(2))]
        length = int(np.clip(rng.lognormal(math.log(12_000), 0.45), low, min(high, len(seq) - 1)))
        start = int(rng.integers(0, len(seq) - length))
        read = seq[start : start + length]
        if rng.integers(2):
            read = _reverse_complement(read)
        codes = _CODE_OF[np.frombuffer(read, np.uint8)]
        event = rng.choice(4, size=codes.size, p=(0.955, 0.015, 0.012, 0.018))  # match, sub, insertion, deletion
        codes = np.where(event == 1, (codes + rng.integers(1, 4, size=codes.size)) % 4, codes).astype(np.uint8)
        qualities = np.clip(rng.normal(18, 4, size=codes.size), 3, 40).astype(np.int64)
        qualities[event != 0] = rng.integers(3, 9, size=int((event != 0).sum()))
        inserted_at = np.flatnonzero(event == 2) + 1
        codes = np.insert(codes, inserted_at, rng.integers(0, 4, size=inserted_at.size).astype(np.uint8))
        qualities = np.insert(qualities, inserted_at, rng.integers(3, 9, size=inserted_at.size))
        keep = np.ones(codes.size, dtype=np.bool_)
        deleted = np.flatnonzero(event == 3)
        keep[deleted + np.searchsorted(inserted_at, deleted, side="right")] = False
        name = str(uuid.UUID(bytes=rng.bytes(16), version=4))
        started = run_started + dt.timedelta(seconds=int(rng.integers(0, 72 * 3600)))
        channel = int(rng.integers(1, 2_676))
        comment = f"runid={run_id} read={number + 1} ch={channel} start_time={started:%Y-%m-%dT%H:%M:%SZ}"
        records.append(_fastq_record(name, comment, _BASE_OF[codes[keep]].tobytes(), qualities[keep]))
    path.parent.mkdir(parents=True, exist_ok=True)
    with pysam.BGZFile(str(path), "wb", None) as handle:
        handle.write(b"".join(records))
    return digest_file(path), n_reads
