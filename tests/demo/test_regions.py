from __future__ import annotations

import pytest

from genomdb.demo.regions import DEMO_GENES, GRCH38_CONTIG_LENGTHS, demo_regions
from genomdb.refdata import get_build


def test_regions_hold_their_genes_at_grch38_coordinates() -> None:
    regions = {region.name: region for region in demo_regions()}
    assert set(regions) == {"LDLR", "CYP2C19", "BRCA2"}
    for region in regions.values():
        assert region.length_bp == 1_000_000
        assert region.start_1based < region.gene.start_1based <= region.gene.end_1based < region.end_1based
    assert regions["LDLR"].contains("chr19", 11_089_362)
    assert regions["LDLR"].contains("chr19", 11_133_830)
    assert regions["CYP2C19"].contains("chr10", 94_762_681)
    assert regions["BRCA2"].contains("chr13", 32_400_268)


def test_small_regions_still_contain_the_genes() -> None:
    for region in demo_regions(100_000):
        assert region.length_bp == 100_000
        assert region.start_1based < region.gene.start_1based and region.gene.end_1based < region.end_1based
    assert demo_regions(100_000)[2].contains("chr19", 11_089_362)


def test_a_region_shorter_than_its_gene_is_refused() -> None:
    with pytest.raises(ValueError, match="cannot hold"):
        demo_regions(50_000)


def test_contig_lengths_are_exactly_grch38() -> None:
    build = get_build("GRCh38")
    for name, length in GRCH38_CONTIG_LENGTHS.items():
        contig = build.contig(name)
        assert contig is not None and contig.length == length
    assert {gene.chrom for gene in DEMO_GENES} == set(GRCH38_CONTIG_LENGTHS)
