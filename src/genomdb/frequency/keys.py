"""Variant keys and genomic intervals as users type them, parsed against GRCh38.

A variant key is ``chrom-pos-ref-alt`` with a 1-based VCF position and normalised (left-aligned, trimmed,
biallelic) alleles: ``chr19-11089362-G-A``. ``:`` or ``_`` may stand for ``-`` and the ``chr`` prefix may be left
out. An interval is ``chr19:11080000-11100000`` (1-based, inclusive), with optional thousands separators and
``k``/``M`` suffixes (``chr19:11.08M-11.10M``), or a single position ``chr19:11089362``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from genomdb.errors import InvalidInput, Problem
from genomdb.refdata.builds import ReferenceBuild, get_build

MAX_INTERVAL_BP = 5_000_000
"""Longest interval a region lookup accepts."""

_KEY = re.compile(r"^\s*([A-Za-z0-9]+)[-:_](\d+)[-:_]([A-Za-z]+)[-:_>]([A-Za-z]+)\s*$")
_INTERVAL = re.compile(r"^\s*([A-Za-z0-9]+):([0-9.,]+[kKmM]?)(?:-([0-9.,]+[kKmM]?))?\s*$")
_ALLELE = re.compile(r"^[ACGTN]+$")
_MULTIPLIERS = {"": 1, "k": 1_000, "m": 1_000_000}
_KEY_FORMAT = "chrom-pos-ref-alt, e.g. chr19-11089362-G-A"
_INTERVAL_FORMAT = "chrom:start-end, e.g. chr19:11080000-11100000 or chr19:11.08M-11.10M"


@dataclass(frozen=True, slots=True, order=True)
class VariantKey:
    """A normalised biallelic variant on GRCh38; ``pos_1based`` is the VCF POS."""

    chrom: str
    pos_1based: int
    ref: str
    alt: str

    @property
    def key(self) -> str:
        return f"{self.chrom}-{self.pos_1based}-{self.ref}-{self.alt}"

    def __str__(self) -> str:
        return self.key


@dataclass(frozen=True, slots=True)
class GenomicInterval:
    """A stretch of a GRCh38 chromosome, 1-based and inclusive."""

    chrom: str
    start_1based: int
    end_1based: int

    @property
    def length_bp(self) -> int:
        return self.end_1based - self.start_1based + 1

    def __str__(self) -> str:
        return f"{self.chrom}:{self.start_1based}-{self.end_1based}"


def _contig(name: str, text: str, build: ReferenceBuild, field: str) -> tuple[str, int]:
    contig = build.contig(name)
    if contig is None:
        raise InvalidInput(
            f"unknown chromosome {name!r} in {text!r}",
            [Problem(text, f"not a {build.name} chromosome", field=field, expected="chr1-chr22, chrX, chrY, chrM")],
        )
    return contig.name, contig.length


def parse_variant_key(text: str, *, build: str = "GRCh38") -> VariantKey:
    """Parse ``chrom-pos-ref-alt`` (see module docs); raise InvalidInput naming what is wrong."""
    match = _KEY.match(text)
    if match is None:
        raise InvalidInput(
            f"not a variant key: {text!r}", [Problem(text, "malformed variant key", expected=_KEY_FORMAT, found=text)]
        )
    reference = get_build(build)
    chrom, length = _contig(match.group(1), text, reference, "chrom")
    pos = int(match.group(2))
    ref, alt = match.group(3).upper(), match.group(4).upper()
    problems: list[Problem] = []
    if not 1 <= pos <= length:
        problems.append(Problem(text, "position outside the chromosome", "pos", expected=f"1-{length}", found=str(pos)))
    for field, allele in (("ref", ref), ("alt", alt)):
        if not _ALLELE.match(allele):
            problems.append(
                Problem(text, "allele is not a DNA sequence", field, expected="A, C, G, T, N", found=allele)
            )
    if ref == alt:
        problems.append(Problem(text, "REF and ALT are the same", "alt", expected="an allele different from REF"))
    if problems:
        raise InvalidInput(f"invalid variant key {text!r}", problems)
    return VariantKey(chrom, pos, ref, alt)


def _coordinate(value: str, text: str, field: str) -> int:
    cleaned = value.replace(",", "")
    suffix = cleaned[-1].lower() if cleaned[-1].isalpha() else ""
    digits = cleaned[:-1] if suffix else cleaned
    try:
        number = Decimal(digits) * _MULTIPLIERS[suffix]
    except (InvalidOperation, KeyError):
        number = Decimal("NaN")
    if not number.is_finite() or number != number.to_integral_value():
        raise InvalidInput(
            f"not a coordinate: {value!r} in {text!r}",
            [Problem(text, "coordinate is not a whole number of bases", field, expected=_INTERVAL_FORMAT, found=value)],
        )
    return int(number)


def parse_interval(text: str, *, build: str = "GRCh38", max_length_bp: int = MAX_INTERVAL_BP) -> GenomicInterval:
    """Parse ``chrom:start-end`` or ``chrom:pos`` (see module docs); raise InvalidInput naming what is wrong."""
    match = _INTERVAL.match(text)
    if match is None:
        raise InvalidInput(
            f"not a region: {text!r}", [Problem(text, "malformed region", expected=_INTERVAL_FORMAT, found=text)]
        )
    chrom, length = _contig(match.group(1), text, get_build(build), "chrom")
    start = _coordinate(match.group(2), text, "start")
    end = _coordinate(match.group(3), text, "end") if match.group(3) else start
    problems: list[Problem] = []
    if start < 1 or end > length:
        problems.append(Problem(text, "region outside the chromosome", expected=f"{chrom}:1-{length}"))
    if end < start:
        problems.append(Problem(text, "region ends before it starts", "end", expected=f">= {start}", found=str(end)))
    elif end - start + 1 > max_length_bp:
        problems.append(
            Problem(
                text,
                "region too long",
                expected=f"at most {max_length_bp:,} bp",
                found=f"{end - start + 1:,} bp",
            )
        )
    if problems:
        raise InvalidInput(f"invalid region {text!r}", problems)
    return GenomicInterval(chrom, start, end)


def looks_like_interval(text: str) -> bool:
    """Whether ``text`` is written as a region (``chrom:start[-end]``) rather than a variant key."""
    return _INTERVAL.match(text) is not None
