"""A synthetic GRCh38-shaped reference: real contig names and lengths, random sequence in the demo regions.

Inside each region (plus a small flank) the sequence is random with human-like base composition (GC ≈ 41%)
and sprinkled with homopolymers and short tandem repeats, so that indel representation matters; everything
else is ``N``. The FASTA is written as a stream of lines into BGZF and indexed by htslib (``.fai`` + ``.gzi``),
and each contig's MD5 (of the uppercase sequence, as in a CRAM ``@SQ M5`` tag) is computed on the way.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pysam

from genomdb.demo.regions import GRCH38_CONTIG_LENGTHS, GenomicRegion

FASTA_LINE_WIDTH = 60
_BASES = np.frombuffer(b"ACGT", dtype=np.uint8)
_BASE_PROBABILITIES = (0.295, 0.205, 0.205, 0.295)
_MEAN_REPEAT_SPACING_BP = 700
_N_LINES_PER_CHUNK = 16_384


@dataclass(frozen=True, slots=True)
class RepeatTract:
    """A homopolymer or short tandem repeat planted in the synthetic sequence (1-based start)."""

    start_1based: int
    unit: str
    n_copies: int

    @property
    def end_1based(self) -> int:
        return self.start_1based + len(self.unit) * self.n_copies - 1


@dataclass(frozen=True, slots=True)
class RegionSequence:
    """The synthetic sequence of one region plus flank; ``bases`` holds uppercase A/C/G/T."""

    region: GenomicRegion
    start_1based: int
    bases: bytes = field(repr=False)
    repeats: tuple[RepeatTract, ...] = field(repr=False)

    @property
    def chrom(self) -> str:
        return self.region.chrom

    @property
    def end_1based(self) -> int:
        return self.start_1based + len(self.bases) - 1

    def fetch(self, start_1based: int, end_1based: int) -> str:
        """The bases from ``start_1based`` to ``end_1based`` inclusive."""
        if start_1based < self.start_1based or end_1based > self.end_1based:
            raise ValueError(f"{self.chrom}:{start_1based}-{end_1based} is outside the synthetic sequence")
        offset = start_1based - self.start_1based
        return self.bases[offset : offset + end_1based - start_1based + 1].decode("ascii")

    def base_at(self, pos_1based: int) -> str:
        return self.fetch(pos_1based, pos_1based)


@dataclass(frozen=True, slots=True)
class ReferenceGenome:
    """The written reference FASTA and what a CRAM header needs to name it."""

    fasta: Path
    contig_lengths: dict[str, int]
    contig_md5: dict[str, str]


def synthesize_region_sequence(region: GenomicRegion, rng: np.random.Generator) -> RegionSequence:
    """Random sequence (GC ≈ 41%) with planted homopolymers and short tandem repeats for one region."""
    start = region.reference_start_1based
    length = region.reference_end_1based - start + 1
    codes = rng.choice(4, size=length, p=_BASE_PROBABILITIES)
    sequence = _BASES[codes]
    repeats: list[RepeatTract] = []
    cursor = int(rng.integers(50, _MEAN_REPEAT_SPACING_BP))
    while cursor < length - 200:
        unit_length = int(rng.choice(4, p=(0.5, 0.25, 0.12, 0.13))) + 1
        unit = _BASES[rng.choice(4, size=unit_length, p=_BASE_PROBABILITIES)]
        if unit_length > 1 and np.all(unit == unit[0]):
            unit[-1] = _BASES[(int(np.searchsorted(_BASES, unit[0])) + 1 + int(rng.integers(3))) % 4]
        n_copies = int(rng.integers(6, 19)) if unit_length == 1 else int(rng.integers(4, 13))
        tract = np.tile(unit, n_copies)
        sequence[cursor : cursor + tract.size] = tract
        repeats.append(RepeatTract(start + cursor, unit.tobytes().decode("ascii"), n_copies))
        cursor += tract.size + 20 + int(rng.exponential(_MEAN_REPEAT_SPACING_BP))
    return RegionSequence(region, start, sequence.tobytes(), tuple(repeats))


class _LineWriter:
    """Wraps sequence into fixed-width FASTA lines, writing whole chunks of ``N`` lines at a time."""

    def __init__(self, handle: pysam.BGZFile, md5: hashlib._Hash) -> None:
        self._handle = handle
        self._md5 = md5
        self._column = 0
        self._n_line = b"N" * FASTA_LINE_WIDTH + b"\n"

    def write(self, bases: bytes) -> None:
        self._md5.update(bases)
        out: list[bytes] = []
        offset = 0
        if self._column:
            take = min(FASTA_LINE_WIDTH - self._column, len(bases))
            out.append(bases[:take])
            offset = take
            self._column += take
            if self._column == FASTA_LINE_WIDTH:
                out.append(b"\n")
                self._column = 0
        while len(bases) - offset >= FASTA_LINE_WIDTH:
            out.append(bases[offset : offset + FASTA_LINE_WIDTH])
            out.append(b"\n")
            offset += FASTA_LINE_WIDTH
        if offset < len(bases):
            out.append(bases[offset:])
            self._column = len(bases) - offset
        self._handle.write(b"".join(out))

    def write_n(self, count: int) -> None:
        if count <= 0:
            return
        head = min(count, (FASTA_LINE_WIDTH - self._column) % FASTA_LINE_WIDTH)
        if head:
            self.write(b"N" * head)
            count -= head
        n_full_lines = count // FASTA_LINE_WIDTH
        chunk_lines = min(n_full_lines, _N_LINES_PER_CHUNK)
        if chunk_lines:
            chunk = self._n_line * chunk_lines
            chunk_bases = b"N" * (FASTA_LINE_WIDTH * chunk_lines)
            for _ in range(n_full_lines // chunk_lines):
                self._handle.write(chunk)
                self._md5.update(chunk_bases)
            rest_lines = n_full_lines % chunk_lines
            if rest_lines:
                self._handle.write(self._n_line * rest_lines)
                self._md5.update(b"N" * (FASTA_LINE_WIDTH * rest_lines))
        tail = count - n_full_lines * FASTA_LINE_WIDTH
        if tail:
            self.write(b"N" * tail)

    def finish(self) -> None:
        if self._column:
            self._handle.write(b"\n")
            self._column = 0


def _contig_pieces(length: int, sequences: Sequence[RegionSequence]) -> Iterator[bytes | int]:
    """The contig as alternating runs of N (an int count) and synthetic sequence (bytes)."""
    cursor = 1
    for sequence in sorted(sequences, key=lambda s: s.start_1based):
        if sequence.start_1based < cursor or sequence.end_1based > length:
            raise ValueError(f"synthetic sequence for {sequence.region} overlaps another or the contig end")
        yield sequence.start_1based - cursor
        yield sequence.bases
        cursor = sequence.end_1based + 1
    yield length - cursor + 1


def write_reference(
    path: Path, sequences: Sequence[RegionSequence], *, contig_lengths: Mapping[str, int] | None = None
) -> ReferenceGenome:
    """Write the bgzipped, faidx-indexed FASTA with all demo contigs at their GRCh38 lengths.

    ``contig_lengths`` names the contigs to write, in order (default: the autosomal demo contigs).
    """
    lengths = dict(contig_lengths if contig_lengths is not None else GRCH38_CONTIG_LENGTHS)
    path.parent.mkdir(parents=True, exist_ok=True)
    by_contig: dict[str, list[RegionSequence]] = {name: [] for name in lengths}
    for sequence in sequences:
        by_contig[sequence.chrom].append(sequence)
    contig_md5: dict[str, str] = {}
    with pysam.BGZFile(str(path), "wb", None) as handle:
        for name, length in lengths.items():
            handle.write(f">{name}\n".encode("ascii"))
            md5 = hashlib.md5()
            writer = _LineWriter(handle, md5)
            for piece in _contig_pieces(length, by_contig[name]):
                if isinstance(piece, int):
                    writer.write_n(piece)
                else:
                    writer.write(piece)
            writer.finish()
            contig_md5[name] = md5.hexdigest()
    pysam.faidx(str(path))
    return ReferenceGenome(path, lengths, contig_md5)
