"""GRCh38 gene spans by symbol, for region look-ups such as ``genomdb freq --gene LDLR``.

The table ships as package data (``data/genes_grch38.tsv``; its header names the source): clinically used
genes only — the demo's genes, ACMG secondary-findings genes, hereditary cancer and cardiovascular panels and
pharmacogenes. Coordinates are 1-based and inclusive.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from importlib import resources

from genomdb.errors import NotFound

GENES_FILE = "genes_grch38.tsv"


@dataclass(frozen=True, slots=True)
class Gene:
    """A gene's GRCh38 span (1-based, inclusive) and strand."""

    symbol: str
    chrom: str
    start_1based: int
    end_1based: int
    strand: str
    biotype: str

    @property
    def length_bp(self) -> int:
        return self.end_1based - self.start_1based + 1


@cache
def grch38_genes() -> dict[str, Gene]:
    """Every gene of the table, by upper-cased symbol."""
    text = resources.files("genomdb.refdata").joinpath("data", GENES_FILE).read_text(encoding="utf-8")
    genes: dict[str, Gene] = {}
    for line in text.splitlines():
        if not line or line.startswith("#") or line.startswith("symbol\t"):
            continue
        symbol, chrom, start, end, strand, biotype = line.split("\t")
        genes[symbol.upper()] = Gene(symbol, chrom, int(start), int(end), strand, biotype)
    return genes


def find_gene(symbol: str) -> Gene:
    """The gene called ``symbol`` (case-insensitive); NotFound names close matches when there is none."""
    genes = grch38_genes()
    gene = genes.get(symbol.strip().upper())
    if gene is not None:
        return gene
    prefix = symbol.strip().upper()[:3]
    similar = sorted(g.symbol for key, g in genes.items() if prefix and key.startswith(prefix))
    hint = f"; similar: {', '.join(similar[:8])}" if similar else ""
    raise NotFound(f"gene {symbol!r} is not in genomdb's GRCh38 gene table ({len(genes)} clinical genes){hint}")
