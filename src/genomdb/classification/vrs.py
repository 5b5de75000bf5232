"""GA4GH VRS 2.0 Allele identifiers, computed here without the ``ga4gh.vrs`` package.

An identifier is ``ga4gh:VA.<digest>`` where the digest is ``sha512t24u`` (base64url of the first 24 bytes of
SHA-512) of the Allele's canonical JSON: only its inherent properties, keys sorted, no whitespace, and the
location replaced by its own digest::

    SequenceLocation  {"end":E,"sequenceReference":{"refgetAccession":"SQ.…","type":"SequenceReference"},
                       "start":S,"type":"SequenceLocation"}
    Allele            {"location":"<SequenceLocation digest>","state":<state>,"type":"Allele"}
    state             {"sequence":"T","type":"LiteralSequenceExpression"}  or
                      {"length":L,"repeatSubunitLength":R,"type":"ReferenceLengthExpression"}

``start``/``end`` are 0-based interbase coordinates on the sequence whose refget accession is
``SQ.<sha512t24u of the uppercase sequence>``. Before identification an Allele is normalised the VRS 2.0 way
("fully justified", after NCBI VOCA): shared flanks are trimmed; a substitution keeps a literal state; an
insertion or deletion is expanded over its whole region of ambiguity, and becomes a ReferenceLengthExpression when
that region is non-empty and the new sequence is derivable from the reference (else a literal). This follows
vrs-python 2.x (``ga4gh.vrs.normalize``) step by step and is tested against its published identifiers.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import cycle
from pathlib import Path
from typing import Any, Protocol

import pysam

VRS_VERSION = "2.0"
RLE_SEQUENCE_LIMIT = 50
"""Longest sequence kept (for display only) on a ReferenceLengthExpression, as vrs-python's default."""
_CHUNK = 1 << 22
_ACCESSION = re.compile(r"^SQ\.[0-9A-Za-z_\-]+$")
_RESIDUES = re.compile(r"^[A-Z*\-]*$")
_ROLL_WINDOW = 256


def sha512t24u(blob: bytes) -> str:
    """The GA4GH digest: base64url (no padding) of the first 24 bytes of the SHA-512 of ``blob``."""
    return base64.urlsafe_b64encode(hashlib.sha512(blob).digest()[:24]).decode("ascii")


def refget_accession(sequence: str | bytes) -> str:
    """The refget accession ``SQ.…`` of a sequence (digest of its uppercase residues)."""
    data = sequence.encode("ascii") if isinstance(sequence, str) else sequence
    return "SQ." + sha512t24u(data.upper())


def fasta_refget_accession(fasta: pysam.FastaFile, contig: str) -> str:
    """The refget accession of one FASTA sequence, read in chunks so memory stays bounded."""
    digest = hashlib.sha512()
    length = fasta.get_reference_length(contig)
    for start in range(0, length, _CHUNK):
        digest.update(fasta.fetch(contig, start, min(start + _CHUNK, length)).upper().encode("ascii"))
    return "SQ." + base64.urlsafe_b64encode(digest.digest()[:24]).decode("ascii")


def canonical_json(value: Any) -> bytes:
    """GA4GH canonical JSON: sorted keys, no insignificant whitespace, UTF-8."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


@dataclass(frozen=True, slots=True)
class LiteralSequenceExpression:
    sequence: str

    def serializable(self) -> dict[str, Any]:
        return {"sequence": self.sequence, "type": "LiteralSequenceExpression"}

    def serialization(self) -> str:
        return f'{{"sequence":"{self.sequence}","type":"LiteralSequenceExpression"}}'

    def to_json(self) -> dict[str, Any]:
        return self.serializable()


@dataclass(frozen=True, slots=True)
class ReferenceLengthExpression:
    """A repeat-derived sequence of ``length`` residues; ``sequence`` is kept for display, not identity."""

    length: int
    repeat_subunit_length: int
    sequence: str | None = None

    def serializable(self) -> dict[str, Any]:
        return {
            "length": self.length,
            "repeatSubunitLength": self.repeat_subunit_length,
            "type": "ReferenceLengthExpression",
        }

    def serialization(self) -> str:
        return (
            f'{{"length":{self.length},"repeatSubunitLength":{self.repeat_subunit_length},'
            '"type":"ReferenceLengthExpression"}'
        )

    def to_json(self) -> dict[str, Any]:
        value = self.serializable()
        if self.sequence is not None:
            value["sequence"] = self.sequence
        return value


SequenceExpression = LiteralSequenceExpression | ReferenceLengthExpression


@dataclass(frozen=True, slots=True)
class VrsAllele:
    """A VRS Allele on a refget sequence, at 0-based interbase ``[start_0based, end_0based)``."""

    refget_accession: str
    start_0based: int
    end_0based: int
    state: SequenceExpression

    def __post_init__(self) -> None:
        if not _ACCESSION.match(self.refget_accession):
            raise ValueError(f"{self.refget_accession!r} is not a refget accession (SQ.…)")
        if isinstance(self.state, LiteralSequenceExpression) and not _RESIDUES.match(self.state.sequence):
            raise ValueError(f"{self.state.sequence!r} is not a sequence of residues")

    def location_serialization(self) -> bytes:
        """The SequenceLocation's canonical JSON, written directly: every value is an integer or a string of
        ``[A-Za-z0-9._-]``, which JSON writes as is (``canonical_json`` of the same dict gives the same bytes)."""
        return (
            f'{{"end":{self.end_0based},"sequenceReference":{{"refgetAccession":"{self.refget_accession}",'
            f'"type":"SequenceReference"}},"start":{self.start_0based},"type":"SequenceLocation"}}'
        ).encode("ascii")

    @property
    def location_digest(self) -> str:
        return sha512t24u(self.location_serialization())

    def serialization(self) -> bytes:
        return f'{{"location":"{self.location_digest}","state":{self.state.serialization()},"type":"Allele"}}'.encode(
            "ascii"
        )

    @property
    def digest(self) -> str:
        return sha512t24u(self.serialization())

    @property
    def identifier(self) -> str:
        """``ga4gh:VA.<digest>``."""
        return f"ga4gh:VA.{self.digest}"

    @property
    def location_identifier(self) -> str:
        return f"ga4gh:SL.{self.location_digest}"

    def to_json(self) -> dict[str, Any]:
        """The Allele as VRS 2.0 JSON, with its computed ids and digests."""
        return {
            "id": self.identifier,
            "type": "Allele",
            "digest": self.digest,
            "location": {
                "id": self.location_identifier,
                "type": "SequenceLocation",
                "digest": self.location_digest,
                "sequenceReference": {"type": "SequenceReference", "refgetAccession": self.refget_accession},
                "start": self.start_0based,
                "end": self.end_0based,
            },
            "state": self.state.to_json(),
        }


class Sequence(Protocol):
    """Uppercase residues of one reference sequence, by 0-based half-open range."""

    @property
    def length(self) -> int: ...

    def fetch(self, start_0based: int, end_0based: int) -> str: ...


@dataclass(frozen=True, slots=True)
class LiteralSequence:
    """A sequence held in memory (tests, short references)."""

    residues: str

    @property
    def length(self) -> int:
        return len(self.residues)

    def fetch(self, start_0based: int, end_0based: int) -> str:
        return self.residues[max(0, start_0based) : max(0, end_0based)].upper()


class FastaSequence:
    """One contig of an indexed FASTA (plain or bgzipped)."""

    def __init__(self, fasta: pysam.FastaFile, contig: str) -> None:
        self._fasta = fasta
        self._contig = contig
        self._length = fasta.get_reference_length(contig)

    @property
    def length(self) -> int:
        return self._length

    def fetch(self, start_0based: int, end_0based: int) -> str:
        start, end = max(0, start_0based), min(self._length, end_0based)
        if end <= start:
            return ""
        return str(self._fasta.fetch(self._contig, start, end)).upper()


def open_fasta(path: Path) -> pysam.FastaFile:
    return pysam.FastaFile(str(path))


def _trim(ref: str, alt: str) -> tuple[int, int, str, str]:
    """Drop the shared prefix, then the shared suffix; return (bases dropped left, right, ref, alt)."""
    left = 0
    while left < len(ref) and left < len(alt) and ref[left] == alt[left]:
        left += 1
    ref, alt = ref[left:], alt[left:]
    right = 0
    while right < len(ref) and right < len(alt) and ref[-1 - right] == alt[-1 - right]:
        right += 1
    return left, right, ref[: len(ref) - right], alt[: len(alt) - right]


def _bases_left_of(sequence: Sequence, position: int) -> Iterator[str]:
    """Residues at position-1, position-2, … down to 0."""
    end = position
    while end > 0:
        start = max(0, end - _ROLL_WINDOW)
        yield from reversed(sequence.fetch(start, end))
        end = start


def _bases_right_of(sequence: Sequence, position: int) -> Iterator[str]:
    """Residues at position, position+1, … up to the end of the sequence."""
    start = position
    while start < sequence.length:
        end = min(sequence.length, start + _ROLL_WINDOW)
        yield from sequence.fetch(start, end)
        start = end


def _roll_left(sequence: Sequence, allele: str, start: int) -> int:
    """How far ``allele`` (inserted or deleted at ``start``) can shift left and describe the same sequence."""
    distance = 0
    for base in _bases_left_of(sequence, start):
        if allele[-(distance + 1) % len(allele)] != base:
            break
        distance += 1
    return distance


def _roll_right(sequence: Sequence, allele: str, end: int) -> int:
    distance = 0
    for base in _bases_right_of(sequence, end):
        if allele[distance % len(allele)] != base:
            break
        distance += 1
    return distance


def _factors_descending(n: int) -> Iterator[int]:
    lower: list[int] = []
    i = 1
    while i * i <= n:
        if n % i == 0:
            yield n // i
            if n // i != i:
                lower.append(i)
        i += 1
    yield from reversed(lower)


def _continues_cycle(template_start: int, template: str, target: str) -> bool:
    """Whether ``target`` beyond ``len(template)`` repeats ``template[template_start:]`` cyclically."""
    repeat = cycle(template[template_start:])
    return all(char == next(repeat) for char in target[len(template) :])


def _rle(length: int, repeat_subunit_length: int, sequence: str) -> ReferenceLengthExpression:
    return ReferenceLengthExpression(length, repeat_subunit_length, sequence if length <= RLE_SEQUENCE_LIMIT else None)


def normalize_allele(sequence: Sequence, accession: str, start_0based: int, end_0based: int, alt: str) -> VrsAllele:
    """The VRS 2.0 normalised Allele replacing ``[start_0based, end_0based)`` of ``sequence`` by ``alt``."""
    alt = alt.upper()
    ref = sequence.fetch(start_0based, end_0based)
    if len(ref) != end_0based - start_0based:
        raise ValueError(f"interval {start_0based}-{end_0based} is outside the sequence (length {sequence.length})")
    if ref == alt:
        return VrsAllele(accession, start_0based, end_0based, _rle(len(alt), len(alt), alt))
    left, right, trimmed_ref, trimmed_alt = _trim(ref, alt)
    start, end = start_0based + left, end_0based - right
    if trimmed_ref and trimmed_alt:
        return VrsAllele(accession, start, end, LiteralSequenceExpression(trimmed_alt))
    seed = trimmed_ref or trimmed_alt
    left_roll = _roll_left(sequence, seed, start)
    right_roll = _roll_right(sequence, seed, end)
    new_start, new_end = start - left_roll, end + right_roll
    extended_ref = sequence.fetch(new_start, new_end)
    extended_alt = sequence.fetch(new_start, start) + trimmed_alt + sequence.fetch(end, new_end)
    if not extended_ref:
        return VrsAllele(accession, new_start, new_end, LiteralSequenceExpression(extended_alt))
    if len(extended_alt) < len(extended_ref):
        return VrsAllele(accession, new_start, new_end, _rle(len(extended_alt), len(seed), extended_alt))
    if len(extended_alt) > len(extended_ref):
        for cycle_length in _factors_descending(len(seed)):
            if cycle_length > len(extended_ref):
                continue
            if _continues_cycle(len(extended_ref) - cycle_length, extended_ref, extended_alt):
                return VrsAllele(accession, new_start, new_end, _rle(len(extended_alt), cycle_length, extended_alt))
    return VrsAllele(accession, new_start, new_end, LiteralSequenceExpression(extended_alt))
