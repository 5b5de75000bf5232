"""Just enough of the CRAM container format to serve byte ranges: the reference names of the SAM header (in the
header container), where the data containers start and end (from the CRAI), and the EOF container."""

from __future__ import annotations

import gzip
import struct
from dataclasses import dataclass

from genomdb.dataout.indexes import CraiEntry
from genomdb.dataout.sealing import RangeReader
from genomdb.errors import IntegrityError

CRAM3_EOF = bytes.fromhex("0f000000ffffffff0fe0454f4600000000010005bdd94f0001000606010001000100ee63014b")
_FILE_DEFINITION = 26


def _itf8(data: bytes, position: int) -> tuple[int, int]:
    first = data[position]
    if first < 0x80:
        return first, position + 1
    if first < 0xC0:
        return ((first & 0x7F) << 8) | data[position + 1], position + 2
    if first < 0xE0:
        return ((first & 0x3F) << 16) | (data[position + 1] << 8) | data[position + 2], position + 3
    if first < 0xF0:
        return (
            ((first & 0x1F) << 24) | (data[position + 1] << 16) | (data[position + 2] << 8) | data[position + 3],
            position + 4,
        )
    value = ((first & 0x0F) << 28) | (data[position + 1] << 20) | (data[position + 2] << 12)
    return value | (data[position + 3] << 4) | (data[position + 4] & 0x0F), position + 5


def _ltf8(data: bytes, position: int) -> tuple[int, int]:
    first = data[position]
    n_extra = 0
    while n_extra < 8 and first & (0x80 >> n_extra):
        n_extra += 1
    value = first & (0xFF >> (n_extra + 1)) if n_extra < 8 else 0
    for i in range(n_extra):
        value = (value << 8) | data[position + 1 + i]
    return value, position + 1 + n_extra


def cram_reference_names(reader: RangeReader) -> list[str]:
    """The ``@SQ`` names, in order, from the SAM header in a CRAM's header container."""
    head = reader.read_at(0, min(reader.size, 1 << 16))
    if head[:4] != b"CRAM":
        raise IntegrityError("not a CRAM file (no CRAM magic)")
    major = head[4]
    position = _FILE_DEFINITION
    length = struct.unpack_from("<i", head, position)[0]
    data = reader.read_at(position, 4 + length + 1024)
    position = 4
    for _ in range(4):  # reference id, start, span, number of records
        _, position = _itf8(data, position)
    for _ in range(2):  # record counter, bases
        _, position = _ltf8(data, position)
    _, position = _itf8(data, position)  # number of blocks
    n_landmarks, position = _itf8(data, position)
    for _ in range(n_landmarks):
        _, position = _itf8(data, position)
    if major >= 3:
        position += 4  # crc32
    method, content_type = data[position], data[position + 1]
    _, position = _itf8(data, position + 2)  # content id
    compressed_size, position = _itf8(data, position)
    _, position = _itf8(data, position)  # raw size
    if content_type != 0:
        raise IntegrityError("the CRAM header container does not start with the file header block")
    block = data[position : position + compressed_size]
    if method == 1:
        block = gzip.decompress(block)
    elif method != 0:
        raise IntegrityError(f"the CRAM header block uses compression method {method}; only raw and gzip are read")
    text_length = struct.unpack_from("<i", block, 0)[0]
    text = block[4 : 4 + text_length].decode("utf-8", errors="replace")
    names = []
    for line in text.splitlines():
        if line.startswith("@SQ"):
            fields = dict(f.split(":", 1) for f in line.split("\t")[1:] if ":" in f)
            names.append(fields.get("SN", ""))
    return names


@dataclass(frozen=True, slots=True)
class CramLayout:
    header_end: int
    """Where the first data container starts."""
    eof_start: int
    """Where the EOF container starts (the file size when there is none)."""
    eof: bytes
    container_ends: dict[int, int]

    def containers_overlapping(
        self, entries: list[CraiEntry], reference_id: int, begin_0based: int, end_0based_exclusive: int
    ) -> list[tuple[int, int]]:
        """Byte ranges (merged) of the containers holding records of a reference overlapping a region."""
        starts = sorted(
            {
                e.container_offset
                for e in entries
                if e.reference_id == reference_id
                and e.alignment_start_1based - 1 < end_0based_exclusive
                and e.alignment_start_1based - 1 + e.alignment_span > begin_0based
            }
        )
        ranges: list[tuple[int, int]] = []
        for start in starts:
            end = self.container_ends[start]
            if ranges and ranges[-1][1] == start:
                ranges[-1] = (ranges[-1][0], end)
            else:
                ranges.append((start, end))
        return ranges


def cram_layout(reader: RangeReader, entries: list[CraiEntry]) -> CramLayout:
    tail = reader.read_at(max(0, reader.size - len(CRAM3_EOF)), len(CRAM3_EOF))
    has_eof = tail[:8] == CRAM3_EOF[:8] and len(tail) == len(CRAM3_EOF)
    eof_start = reader.size - len(CRAM3_EOF) if has_eof else reader.size
    offsets = sorted({e.container_offset for e in entries})
    ends = {start: (offsets[i + 1] if i + 1 < len(offsets) else eof_start) for i, start in enumerate(offsets)}
    header_end = offsets[0] if offsets else eof_start
    return CramLayout(header_end, eof_start, tail if has_eof else CRAM3_EOF, ends)
