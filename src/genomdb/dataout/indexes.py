"""Reading genomic indexes to find where a region's records are: BAI, tabix (TBI) and CSI give BGZF chunks
(virtual offset ranges), CRAI gives CRAM containers.

The answers are supersets: every record overlapping the region lies in them, and some others may too (htsget
allows that; the client filters).
"""

from __future__ import annotations

import gzip
import struct
from dataclasses import dataclass, field

from genomdb.errors import IntegrityError

_BAI_MIN_SHIFT, _BAI_DEPTH = 14, 5


@dataclass(frozen=True, slots=True)
class Chunk:
    begin: int
    end: int


@dataclass
class _ReferenceBins:
    bins: dict[int, list[Chunk]] = field(default_factory=dict)
    linear: list[int] = field(default_factory=list)


@dataclass
class BinningIndex:
    """A BAI, TBI or CSI index: chunks per bin per reference, and the reference names when the index has them."""

    min_shift: int
    depth: int
    references: list[_ReferenceBins]
    names: list[str] | None

    def query(self, reference_id: int, begin_0based: int, end_0based_exclusive: int) -> list[Chunk]:
        """Merged chunks holding every record that overlaps the region."""
        if reference_id < 0 or reference_id >= len(self.references):
            return []
        reference = self.references[reference_id]
        bins = _region_bins(begin_0based, end_0based_exclusive, self.min_shift, self.depth)
        window = begin_0based >> self.min_shift
        min_offset = reference.linear[window] if window < len(reference.linear) else 0
        chunks = sorted(
            (c for b in bins for c in reference.bins.get(b, ()) if c.end > min_offset),
            key=lambda c: c.begin,
        )
        merged: list[Chunk] = []
        for chunk in chunks:
            if merged and chunk.begin >> 16 <= merged[-1].end >> 16:
                if chunk.end > merged[-1].end:
                    merged[-1] = Chunk(merged[-1].begin, chunk.end)
            else:
                merged.append(chunk)
        return merged


def _region_bins(begin: int, end: int, min_shift: int, depth: int) -> list[int]:
    """The bins overlapping [begin, end) in the UCSC binning scheme (htslib's reg2bins)."""
    if begin >= end:
        return []
    shift = min_shift + 3 * depth
    end = min(end, 1 << shift) - 1
    bins: list[int] = []
    first = 0
    for level in range(depth + 1):
        bins.extend(range(first + (begin >> shift), first + (end >> shift) + 1))
        shift -= 3
        first += 1 << (3 * level)
    return bins


class _Cursor:
    def __init__(self, data: bytes) -> None:
        self.data = data
        self.position = 0

    def take(self, fmt: str) -> tuple[int, ...]:
        values = struct.unpack_from(fmt, self.data, self.position)
        self.position += struct.calcsize(fmt)
        return values

    def one(self, fmt: str) -> int:
        return int(self.take(fmt)[0])

    def raw(self, n: int) -> bytes:
        chunk = self.data[self.position : self.position + n]
        self.position += n
        return chunk


def _pseudo_bin(depth: int) -> int:
    return ((1 << (3 * (depth + 1))) - 1) // 7 + 1


def _tabix_names(cursor: _Cursor) -> list[str]:
    cursor.take("<6i")  # format, col_seq, col_beg, col_end, meta, skip
    names = cursor.raw(cursor.one("<i"))
    return [n.decode() for n in names.split(b"\x00") if n]


def _binned_references(
    cursor: _Cursor, depth: int, *, csi: bool, n_references: int | None = None
) -> list[_ReferenceBins]:
    pseudo = _pseudo_bin(depth)
    references = []
    for _ in range(cursor.one("<i") if n_references is None else n_references):
        reference = _ReferenceBins()
        for _ in range(cursor.one("<i")):
            bin_number = cursor.one("<I")
            if csi:
                cursor.take("<Q")  # loffset
            n_chunks = cursor.one("<i")
            values = cursor.take(f"<{2 * n_chunks}Q")
            if bin_number != pseudo:
                reference.bins[bin_number] = [Chunk(values[i], values[i + 1]) for i in range(0, len(values), 2)]
        if not csi:
            n_windows = cursor.one("<i")
            linear = list(cursor.take(f"<{n_windows}Q"))
            # empty windows hold 0: give them the next offset to the left, as htslib does
            for i in range(1, len(linear)):
                if linear[i] == 0:
                    linear[i] = linear[i - 1]
            reference.linear = linear
        references.append(reference)
    return references


def read_binning_index(data: bytes) -> BinningIndex:
    """Parse a BAI, TBI or CSI index (TBI and CSI are BGZF-compressed on disk)."""
    if data[:2] == b"\x1f\x8b":
        data = gzip.decompress(data)
    cursor = _Cursor(data)
    magic = cursor.raw(4)
    try:
        if magic == b"BAI\x01":
            return BinningIndex(_BAI_MIN_SHIFT, _BAI_DEPTH, _binned_references(cursor, _BAI_DEPTH, csi=False), None)
        if magic == b"TBI\x01":
            n_references = cursor.one("<i")
            names = _tabix_names(cursor)
            references = _binned_references(cursor, _BAI_DEPTH, csi=False, n_references=n_references)
            return BinningIndex(_BAI_MIN_SHIFT, _BAI_DEPTH, references, names)
        if magic == b"CSI\x01":
            min_shift, depth, aux_length = cursor.take("<3i")
            aux = cursor.raw(aux_length)
            csi_names = _tabix_names(_Cursor(aux)) if aux_length >= 28 else None
            return BinningIndex(min_shift, depth, _binned_references(cursor, depth, csi=True), csi_names)
    except struct.error as exc:
        raise IntegrityError(f"the index is truncated or corrupt: {exc}") from None
    raise IntegrityError(f"not a BAI, TBI or CSI index (magic {magic!r})")


@dataclass(frozen=True, slots=True)
class CraiEntry:
    reference_id: int
    alignment_start_1based: int
    alignment_span: int
    container_offset: int


def read_crai(data: bytes) -> list[CraiEntry]:
    """Parse a CRAM index: one line per slice (and per reference of a multi-reference slice)."""
    text = gzip.decompress(data) if data[:2] == b"\x1f\x8b" else data
    entries = []
    for number, line in enumerate(text.decode("ascii").splitlines(), start=1):
        fields = line.split("\t")
        if len(fields) < 6:
            if line.strip():
                raise IntegrityError(f"CRAM index line {number} has {len(fields)} fields, not 6")
            continue
        entries.append(CraiEntry(int(fields[0]), int(fields[1]), int(fields[2]), int(fields[3])))
    return entries
