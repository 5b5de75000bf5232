"""Reference genome builds: primary chromosome names, lengths and sequence md5s, and FASTA contig digests.

The tables ship as package data (``data/<build>_contigs.tsv``). Lookups accept both naming styles
(``chr1``/``1``, ``chrM``/``MT``) so that a header written against UCSC-style names and one written against
Ensembl-style names are checked against the same build.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from pathlib import Path
from typing import NamedTuple

from genomdb.errors import InvalidInput, Problem

GRCH38_PAR_1BASED: tuple[tuple[str, int, int], ...] = (
    ("chrX", 10_001, 2_781_479),
    ("chrX", 155_701_383, 156_030_895),
    ("chrY", 10_001, 2_781_479),
    ("chrY", 56_887_903, 57_217_415),
)
"""GRCh38 pseudoautosomal regions (1-based, inclusive): diploid in XY individuals, like the autosomes."""

KNOWN_BUILDS = ("GRCh38", "GRCh37")
_MITOCHONDRIAL = "MT"
_FASTA_CHUNK = 1 << 22


class Contig(NamedTuple):
    """One reference sequence: its name in the build's own style, length in bases, and md5 (or None)."""

    name: str
    length: int
    md5: str | None


def canonical_contig_name(name: str) -> str:
    """The naming-style-free key of a contig: ``chr1``→``1``, ``chrX``→``X``, ``chrM``/``M``→``MT``."""
    key = name[3:] if name[:3].lower() == "chr" else name
    upper = key.upper()
    if upper in ("M", "MT"):
        return _MITOCHONDRIAL
    if upper in ("X", "Y"):
        return upper
    return key


@dataclass(frozen=True, slots=True)
class ReferenceBuild:
    """A reference build's primary assembly chromosomes, in karyotype order."""

    name: str
    contigs: tuple[Contig, ...]
    _by_key: dict[str, Contig] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_by_key", {canonical_contig_name(c.name): c for c in self.contigs})

    def contig(self, name: str) -> Contig | None:
        """The build's contig called ``name`` in either naming style, or None when it is not a primary contig."""
        return self._by_key.get(canonical_contig_name(name))

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and canonical_contig_name(name) in self._by_key

    @property
    def contig_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.contigs)

    @property
    def nuclear_contigs(self) -> tuple[Contig, ...]:
        """Chromosomes 1–22, X and Y (the mitochondrial sequence is the same in GRCh37 and GRCh38)."""
        return tuple(c for c in self.contigs if canonical_contig_name(c.name) != _MITOCHONDRIAL)


def _parse_table(text: str, source: str) -> tuple[Contig, ...]:
    contigs: list[Contig] = []
    for line in text.splitlines():
        if not line or line.startswith("#") or line.startswith("name\t"):
            continue
        name, length, md5 = line.split("\t")
        contigs.append(Contig(name, int(length), md5 or None))
    if not contigs:
        raise ValueError(f"reference table {source} has no contigs")
    return tuple(contigs)


@cache
def _load_build(name: str) -> ReferenceBuild:
    filename = f"{name.lower()}_contigs.tsv"
    text = resources.files("genomdb.refdata").joinpath("data", filename).read_text(encoding="utf-8")
    return ReferenceBuild(name=name, contigs=_parse_table(text, filename))


def get_build(name: str) -> ReferenceBuild:
    """The reference build called ``name`` (``GRCh38`` or ``GRCh37``, case-insensitive)."""
    for known in KNOWN_BUILDS:
        if name.lower() == known.lower():
            return _load_build(known)
    raise InvalidInput(
        f"unknown reference build {name!r}",
        [Problem("reference_build", "unknown reference build", expected=" or ".join(KNOWN_BUILDS), found=name)],
    )


def guess_build(contig_lengths: Mapping[str, int]) -> str | None:
    """The known build whose chromosome lengths the given contigs have, or None when none fits.

    A build fits when at least one of its nuclear chromosomes is present and every one that is present has the
    build's length; contigs outside the primary assembly (alts, decoys, test contigs) are ignored.
    """
    by_key: dict[str, int] = {}
    for contig_name, contig_length in contig_lengths.items():
        by_key.setdefault(canonical_contig_name(contig_name), contig_length)
    best: tuple[int, str] | None = None
    for name in KNOWN_BUILDS:
        build = _load_build(name)
        matched = 0
        for contig in build.nuclear_contigs:
            length = by_key.get(canonical_contig_name(contig.name))
            if length is None:
                continue
            if length != contig.length:
                matched = -1
                break
            matched += 1
        if matched > 0 and (best is None or matched > best[0]):
            best = (matched, name)
    return best[1] if best else None


def read_fasta_contigs(path: Path) -> list[Contig]:
    """Name, length and md5 of every sequence in an indexed FASTA (plain or bgzipped).

    The md5 is that of the uppercased sequence, as in ``samtools dict`` and CRAM ``M5`` tags; sequences are
    read in chunks so memory stays bounded for whole chromosomes.
    """
    import pysam  # only here: importing it costs every command that merely names a build

    contigs: list[Contig] = []
    with pysam.FastaFile(str(path)) as fasta:
        for name, length in zip(fasta.references, fasta.lengths, strict=True):
            digest = hashlib.md5(usedforsecurity=False)
            for start in range(0, length, _FASTA_CHUNK):
                chunk = fasta.fetch(name, start, min(start + _FASTA_CHUNK, length))
                digest.update(chunk.upper().encode("ascii"))
            contigs.append(Contig(name, length, digest.hexdigest()))
    return contigs
