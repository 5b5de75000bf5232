"""Variant keys: parsing the ways departments write them, and VCF-style normalisation against the reference."""

from __future__ import annotations

import hypothesis.strategies as st
import pytest
from hypothesis import given

from genomdb.classification.variants import VariantKeyError, make_variant_key, normalize_variant, parse_variant_key
from genomdb.classification.vrs import LiteralSequence
from tests.classification.conftest import chr19_sequence

CHR19 = LiteralSequence(chr19_sequence())


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("chr19-1000-C-A", "chr19-1000-C-A"),
        ("19-1000-c-a", "chr19-1000-C-A"),
        ("chr19:1000:C:A", "chr19-1000-C-A"),
        ("19_1000_C_A", "chr19-1000-C-A"),
        ("chr19:1000 C>A", "chr19-1000-C-A"),
        ("chrX-5-A-T", "chrX-5-A-T"),
        ("MT-5-A-T", "chrM-5-A-T"),
    ],
)
def test_keys_are_read_in_every_common_style(text: str, key: str) -> None:
    assert parse_variant_key(text).key == key


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("chr19-1000-C", "is not a variant key"),
        ("chr99-1000-C-A", "not a GRCh38 primary chromosome"),
        ("chr19-0-C-A", "not a 1-based position"),
        ("chr19-1000-C-C", "not a variant"),
        ("chr19-1000-C-<DEL>", "is not a variant key"),
    ],
)
def test_bad_keys_say_what_is_wrong(text: str, message: str) -> None:
    with pytest.raises(VariantKeyError, match=message):
        parse_variant_key(text)


@pytest.mark.parametrize(
    ("given_key", "normalised"),
    [
        ("chr19-1005-AA-A", "chr19-1000-CA-C"),  # deletion in the A10 homopolymer, left-aligned to its anchor
        ("chr19-1010-A-AA", "chr19-1000-C-CA"),  # insertion, likewise
        ("chr19-2006-ACA-A", "chr19-2000-TCA-T"),  # one CA unit of CACACACA deleted
        ("chr19-2008-A-ACA", "chr19-2000-T-TCA"),  # one CA unit inserted at its right end
        ("chr19-2005-CA-C", "chr19-2005-CA-C"),  # a lone A between two C: nothing to shift
        ("chr19-1000-CAA-CAG", "chr19-1002-A-G"),  # an MNV-looking SNV is trimmed to the SNV
    ],
)
def test_normalisation_left_aligns_and_trims(given_key: str, normalised: str) -> None:
    assert normalize_variant(parse_variant_key(given_key), CHR19).key == normalised


def test_ref_must_match_the_reference() -> None:
    with pytest.raises(VariantKeyError, match="does not match GRCh38 chr19:1001, which reads A"):
        normalize_variant(make_variant_key("chr19", 1001, "G", "T"), CHR19)


def test_positions_beyond_the_contig_are_refused() -> None:
    with pytest.raises(VariantKeyError, match="beyond the end"):
        normalize_variant(make_variant_key("chr19", CHR19.length + 1, "A", "T"), CHR19)


@given(st.integers(min_value=2, max_value=59_990), st.integers(min_value=1, max_value=4), st.booleans())
def test_normalisation_is_idempotent_and_keeps_ref_on_the_reference(pos: int, length: int, deletion: bool) -> None:
    ref = CHR19.fetch(pos - 1, pos - 1 + length + 1)
    key = make_variant_key("chr19", pos, ref, ref[0]) if deletion else make_variant_key("chr19", pos, ref[0], ref)
    once = normalize_variant(key, CHR19)
    assert normalize_variant(once, CHR19) == once
    assert CHR19.fetch(once.start_0based, once.end_0based) == once.ref
    assert once.ref[0] == once.alt[0] and min(len(once.ref), len(once.alt)) == 1
