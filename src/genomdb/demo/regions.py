"""The genomic regions the demo cohort covers, at their real GRCh38 coordinates.

Each region is a window of ``length_bp`` bases around a clinically interesting gene: LDLR (familial
hypercholesterolaemia), CYP2C19 (pharmacogenetics) and BRCA2 (hereditary breast cancer). Coordinates are 1-based
and inclusive, as in VCF.
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
"""The demo's contigs with their exact GRCh38 lengths, in reference order."""


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

    def contains(self, chrom: str, pos_1based: int) -> bool:
        return chrom == self.chrom and self.start_1based <= pos_1based <= self.end_1based

    def __str__(self) -> str:
        return f"{self.name} {self.chrom}:{self.start_1based}-{self.end_1based}"


def demo_regions(length_bp: int = DEFAULT_REGION_LENGTH_BP) -> tuple[GenomicRegion, ...]:
    """The demo regions, each ``length_bp`` long and centred on its gene, in reference order.

    A region never cuts its gene: ``length_bp`` must exceed the longest gene plus 1 kb on each side.
    """
    regions: list[GenomicRegion] = []
    for gene in DEMO_GENES:
        gene_span = gene.end_1based - gene.start_1based + 1
        if length_bp < gene_span + 2_000:
            raise ValueError(f"a region of {length_bp} bp cannot hold {gene.symbol} ({gene_span} bp) with flanks")
        middle = (gene.start_1based + gene.end_1based) // 2
        start = middle - length_bp // 2
        regions.append(GenomicRegion(gene.symbol, gene.chrom, start, start + length_bp - 1, gene))
    return tuple(regions)
