"""Variant keys: ``chrom-pos-ref-alt`` on GRCh38, normalised as the variant store and frequency database write them.

A key is normalised when it is biallelic, parsimonious (no base shared by REF and ALT that could be dropped) and
left-aligned, with VCF's anchor base before an insertion or deletion (Tan et al. 2015). ``pos`` is 1-based.
Departments write keys in several styles (``19-11100236-C-T``, ``chr19:11100236:C:T``, ``chr19:g.11100236C>T``
is not accepted: HGVS needs a transcript mapper); :func:`parse_variant_key` accepts the first two.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from genomdb.classification.vrs import Sequence
from genomdb.refdata.builds import get_build

BUILD = "GRCh38"
_KEY = re.compile(
    r"^\s*(?P<chrom>[A-Za-z0-9_.]+)[-:_ ](?P<pos>\d+)[-:_ ](?P<ref>[ACGTNacgtn]+)[-:_ >/](?P<alt>[ACGTNacgtn]+)\s*$"
)


_ALLELE = re.compile(r"[ACGTN]+")


class VariantKeyError(ValueError):
    """A variant that cannot be a GRCh38 key; the message says what was expected."""


@dataclass(frozen=True, slots=True, order=True)
class VariantKey:
    """A biallelic variant on GRCh38; ``pos`` is VCF's 1-based position."""

    chrom: str
    pos: int
    ref: str
    alt: str

    @property
    def key(self) -> str:
        return f"{self.chrom}-{self.pos}-{self.ref}-{self.alt}"

    @property
    def start_0based(self) -> int:
        return self.pos - 1

    @property
    def end_0based(self) -> int:
        return self.pos - 1 + len(self.ref)

    @property
    def is_snv(self) -> bool:
        return len(self.ref) == 1 and len(self.alt) == 1

    def __str__(self) -> str:
        return self.key


@lru_cache(maxsize=256)
def canonical_chrom(name: str) -> str:
    """The GRCh38 name (``chr19``) of a primary chromosome written in either style (``19``, ``chr19``)."""
    contig = get_build(BUILD).contig(name)
    if contig is None:
        raise VariantKeyError(f"{name!r} is not a GRCh38 primary chromosome (chr1–chr22, chrX, chrY, chrM)")
    return contig.name


def make_variant_key(chrom: str, pos: int, ref: str, alt: str) -> VariantKey:
    """A key from its parts, checked for shape (not yet against the reference)."""
    chrom = canonical_chrom(chrom)
    ref, alt = ref.strip().upper(), alt.strip().upper()
    if pos < 1:
        raise VariantKeyError(f"position {pos} is not a 1-based position")
    for name, allele in (("REF", ref), ("ALT", alt)):
        if not _ALLELE.fullmatch(allele):
            raise VariantKeyError(f"{name} {allele!r} is not a sequence of A, C, G, T, N")
    if ref == alt:
        raise VariantKeyError(f"REF and ALT are both {ref}: not a variant")
    return VariantKey(chrom, pos, ref, alt)


def parse_variant_key(text: str) -> VariantKey:
    """``chr19-11100236-C-T`` (or ``19:11100236:C:T``) → VariantKey."""
    match = _KEY.match(text)
    if match is None:
        raise VariantKeyError(f"{text.strip()!r} is not a variant key like chr19-11100236-C-T")
    return make_variant_key(match["chrom"], int(match["pos"]), match["ref"], match["alt"])


def normalize_variant(key: VariantKey, sequence: Sequence) -> VariantKey:
    """Check REF against the reference and return the parsimonious, left-aligned key."""
    if key.end_0based > sequence.length:
        raise VariantKeyError(f"{key.chrom}:{key.pos} is beyond the end of {key.chrom} ({sequence.length:,} bases)")
    reference = sequence.fetch(key.start_0based, key.end_0based)
    if reference != key.ref:
        raise VariantKeyError(f"REF {key.ref} does not match GRCh38 {key.chrom}:{key.pos}, which reads {reference}")
    ref, alt, start = key.ref, key.alt, key.start_0based
    changed = True
    while changed:
        changed = False
        if ref and alt and ref[-1] == alt[-1] and ((len(ref) > 1 and len(alt) > 1) or start > 0):
            ref, alt = ref[:-1], alt[:-1]
            changed = True
        if (not ref or not alt) and start > 0:
            base = sequence.fetch(start - 1, start)
            ref, alt, start = base + ref, base + alt, start - 1
            changed = True
    while len(ref) > 1 and len(alt) > 1 and ref[0] == alt[0]:
        ref, alt, start = ref[1:], alt[1:], start + 1
    return VariantKey(key.chrom, start + 1, ref, alt)
