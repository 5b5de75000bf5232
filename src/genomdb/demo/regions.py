"""The genomic regions the demo cohort covers, at their real GRCh38 coordinates.

Each region is a window of ``length_bp`` bases around a clinically interesting gene: LDLR (familial
hypercholesterolaemia), CYP2C19 (pharmacogenetics) and BRCA2 (hereditary breast cancer). On request a smaller
window on chrX around GLA (Fabry disease, outside the pseudoautosomal regions) is added, where XY individuals are
hemizygous. Coordinates are 1-based and inclusive, as in VCF.
"""

from __future__ import annotations

from dataclasses import dataclass

DEFAULT_REGION_LENGTH_BP = 1_000_000
REFERENCE_FLANK_BP = 2_000
"""Bases of real (non-N) synthetic sequence kept on each side of a region, so reads and indels near an edge fit."""

GRCH38_CONTIG_LENGTHS: dict[str, int] = {
    "chr10": 133_797_422,
    "chr13": 114_364_328,
    "chr19": 58_617_616,
}
"""The demo's autosomal contigs with their exact GRCh38 lengths, in reference order."""

CHRX_LENGTH = 156_040_895
"""GRCh38 chrX, written to the demo reference only when the sex-chromosome region is simulated."""
SEX_CHROMOSOME_REGION_LENGTH_BP = 200_000


@dataclass(frozen=True, slots=True)
class Gene:
    """A gene's GRCh38 span (1-based, inclusive; NCBI RefSeq coordinates)."""

    symbol: str
    chrom: str
    start_1based: int
    end_1based: int


DEMO_GENES: tuple[Gene, ...] = (
    Gene("CYP2C19", "chr10", 94_762_681, 94_855_547),
    Gene("BRCA2", "chr13", 32_315_508, 32_400_268),
    Gene("LDLR", "chr19", 11_089_462, 11_133_830),
)

SEX_CHROMOSOME_GENES: tuple[Gene, ...] = (Gene("GLA", "chrX", 101_397_803, 101_407_925),)
"""Genes of the optional chrX region; GLA lies outside both pseudoautosomal regions."""


@dataclass(frozen=True, slots=True)
class GenomicRegion:
    """A simulated window of the genome (1-based, inclusive) named after the gene it contains."""

    name: str
    chrom: str
    start_1based: int
    end_1based: int
    gene: Gene

    @property
    def length_bp(self) -> int:
        return self.end_1based - self.start_1based + 1

    @property
    def reference_start_1based(self) -> int:
        """First base of the synthetic sequence written for this region (region plus flank)."""
        return self.start_1based - REFERENCE_FLANK_BP

    @property
    def reference_end_1based(self) -> int:
        """Last base of the synthetic sequence written for this region (region plus flank)."""
        return self.end_1based + REFERENCE_FLANK_BP

    @property
    def x_linked(self) -> bool:
        """The region lies on chrX outside the pseudoautosomal regions: one copy in XY individuals."""
        return self.chrom == "chrX"

    def contains(self, chrom: str, pos_1based: int) -> bool:
        return chrom == self.chrom and self.start_1based <= pos_1based <= self.end_1based

    def __str__(self) -> str:
        return f"{self.name} {self.chrom}:{self.start_1based}-{self.end_1based}"


def _region_around(gene: Gene, length_bp: int) -> GenomicRegion:
    gene_span = gene.end_1based - gene.start_1based + 1
    if length_bp < gene_span + 2_000:
        raise ValueError(f"a region of {length_bp} bp cannot hold {gene.symbol} ({gene_span} bp) with flanks")
    middle = (gene.start_1based + gene.end_1based) // 2
    start = middle - length_bp // 2
    return GenomicRegion(gene.symbol, gene.chrom, start, start + length_bp - 1, gene)


def demo_regions(
    length_bp: int = DEFAULT_REGION_LENGTH_BP, *, sex_chromosomes: bool = False
) -> tuple[GenomicRegion, ...]:
    """The demo regions, each ``length_bp`` long and centred on its gene, in reference order.

    A region never cuts its gene: ``length_bp`` must exceed the longest gene plus 1 kb on each side. With
    ``sex_chromosomes`` the chrX region (at most ``SEX_CHROMOSOME_REGION_LENGTH_BP`` long) comes last.
    """
    regions = [_region_around(gene, length_bp) for gene in DEMO_GENES]
    if sex_chromosomes:
        x_length = min(length_bp, SEX_CHROMOSOME_REGION_LENGTH_BP)
        regions += [_region_around(gene, x_length) for gene in SEX_CHROMOSOME_GENES]
    return tuple(regions)


def demo_contig_lengths(*, sex_chromosomes: bool = False) -> dict[str, int]:
    """The contigs of the demo reference (and of every demo VCF header) with their GRCh38 lengths, in order."""
    return {**GRCH38_CONTIG_LENGTHS, **({"chrX": CHRX_LENGTH} if sex_chromosomes else {})}
