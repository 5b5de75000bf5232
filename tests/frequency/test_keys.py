"""Variant keys, regions and genes as users type them; every mistake is an InvalidInput naming it."""

from __future__ import annotations

import contextlib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from genomdb.errors import InvalidInput, NotFound
from genomdb.frequency.keys import GenomicInterval, VariantKey, looks_like_interval, parse_interval, parse_variant_key
from genomdb.refdata.genes import find_gene, grch38_genes


@pytest.mark.parametrize(
    "text",
    ["chr19-11089362-G-A", "19-11089362-g-a", "chr19:11089362:G:A", "chr19_11089362_G_A", " chr19-11089362-G>A "],
)
def test_variant_key_spellings(text: str) -> None:
    assert parse_variant_key(text) == VariantKey("chr19", 11_089_362, "G", "A")
    assert parse_variant_key(text).key == "chr19-11089362-G-A"


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("chr19-11089362-G", "malformed"),
        ("chr99-100-G-A", "not a GRCh38 chromosome"),
        ("chr19-0-G-A", "outside the chromosome"),
        ("chr19-999999999-G-A", "outside the chromosome"),
        ("chr19-100-G-G", "same"),
        ("chr19-100-X-A", "not a DNA sequence"),
        ("rs12345", "malformed"),
    ],
)
def test_bad_variant_keys(text: str, fragment: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        parse_variant_key(text)
    assert fragment in str(caught.value)


@pytest.mark.parametrize(
    ("text", "interval"),
    [
        ("chr19:11.08M-11.10M", GenomicInterval("chr19", 11_080_000, 11_100_000)),
        ("chr19:11080000-11100000", GenomicInterval("chr19", 11_080_000, 11_100_000)),
        ("19:11,080,000-11,100,000", GenomicInterval("chr19", 11_080_000, 11_100_000)),
        ("chrX:155k-156k", GenomicInterval("chrX", 155_000, 156_000)),
        ("chr19:11089362", GenomicInterval("chr19", 11_089_362, 11_089_362)),
    ],
)
def test_region_spellings(text: str, interval: GenomicInterval) -> None:
    assert looks_like_interval(text)
    assert parse_interval(text) == interval


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("chr19:11.1M-11.0M", "ends before"),
        ("chr19:1-6000000", "too long"),
        ("chr19:1.00001k-2k", "whole number"),
        ("chr19:58617000-58618000", "outside"),
        ("chrQ:1-100", "not a GRCh38 chromosome"),
        ("chr19", "malformed"),
    ],
)
def test_bad_regions(text: str, fragment: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        parse_interval(text)
    assert fragment in str(caught.value)


@given(st.text(max_size=40))
def test_parsers_never_crash(text: str) -> None:
    for parse in (parse_variant_key, parse_interval):
        with contextlib.suppress(InvalidInput):
            parse(text)


def test_gene_table() -> None:
    genes = grch38_genes()
    required = "LDLR APOB PCSK9 BRCA1 BRCA2 CYP2C19 CYP2D6 CYP2C9 DPYD TPMT NUDT15 SLCO1B1 MLH1 MSH2 MSH6 PMS2 APC TP53"
    for symbol in (*required.split(), "PALB2", "CHEK2", "ATM"):
        assert symbol in genes
    ldlr = find_gene("ldlr")
    assert (ldlr.chrom, ldlr.start_1based, ldlr.strand) == ("chr19", 11_089_462, "+")
    assert 40_000 < ldlr.length_bp < 50_000
    assert find_gene("BRCA1").chrom == "chr17" and find_gene("CYP2C19").start_1based == 94_762_681
    with pytest.raises(NotFound, match="similar: BRCA1, BRCA2"):
        find_gene("BRCA3")
