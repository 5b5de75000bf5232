"""BGZF, the blocked gzip of BAM and bgzipped VCF: read single blocks, write new ones, and turn a range of
virtual offsets into byte pieces (whole blocks served from the file, partial blocks re-compressed inline).

A virtual offset is ``compressed block offset << 16 | offset within the uncompressed block``.
"""

from __future__ import annotations

import struct
import zlib
from collections.abc import Callable
from dataclasses import dataclass

from genomdb.dataout.sealing import RangeReader
from genomdb.errors import IntegrityError

EOF_BLOCK = bytes.fromhex("1f8b08040000000000ff0600424302001b0003000000000000000000")
MAX_BLOCK_DATA = 0xFF00
_HEADER = struct.Struct("<4BI2BH")


def compress(data: bytes) -> bytes:
    """``data`` as BGZF blocks (no EOF block); empty data gives no blocks."""
    out = []
    for start in range(0, len(data), MAX_BLOCK_DATA):
        chunk = data[start : start + MAX_BLOCK_DATA]
        deflate = zlib.compressobj(6, zlib.DEFLATED, -15)
        cdata = deflate.compress(chunk) + deflate.flush()
        block_size = 18 + len(cdata) + 8
        out.append(_HEADER.pack(31, 139, 8, 4, 0, 0, 255, 6))
        out.append(struct.pack("<2BHH", 66, 67, 2, block_size - 1))
        out.append(cdata)
        out.append(struct.pack("<II", zlib.crc32(chunk), len(chunk)))
    return b"".join(out)


def read_block(reader: RangeReader, offset: int) -> tuple[bytes, int]:
    """The uncompressed content and the compressed size of the BGZF block at a file offset."""
    head = reader.read_at(offset, 18)
    if len(head) < 18 or head[:4] != b"\x1f\x8b\x08\x04":
        raise IntegrityError(f"no BGZF block at byte {offset}")
    extra_length = struct.unpack_from("<H", head, 10)[0]
    extra = reader.read_at(offset + 12, extra_length)
    position, block_size = 0, None
    while position + 4 <= len(extra):
        si1, si2, length = struct.unpack_from("<2BH", extra, position)
        if (si1, si2, length) == (66, 67, 2):
            block_size = struct.unpack_from("<H", extra, position + 4)[0] + 1
        position += 4 + length
    if block_size is None:
        raise IntegrityError(f"the gzip block at byte {offset} is not BGZF (no BC field)")
    block = reader.read_at(offset, block_size)
    data = zlib.decompress(block[12 + extra_length : -8], -15)
    return data, block_size


@dataclass(frozen=True, slots=True)
class Inline:
    """Bytes carried in the ticket itself (a ``data:`` URI)."""

    data: bytes


@dataclass(frozen=True, slots=True)
class FileRange:
    """Bytes ``start`` to ``end`` (exclusive) of the file the ticket is about."""

    start: int
    end: int


Piece = Inline | FileRange


def pieces_between(reader: RangeReader, begin: int, end: int) -> list[Piece]:
    """Byte pieces that decompress to exactly the data between two virtual offsets."""
    begin_block, begin_within = begin >> 16, begin & 0xFFFF
    end_block, end_within = end >> 16, end & 0xFFFF
    if (begin_block, begin_within) >= (end_block, end_within):
        return []
    pieces: list[Piece] = []
    if begin_block == end_block:
        data, _ = read_block(reader, begin_block)
        return [Inline(compress(data[begin_within:end_within]))]
    whole_from = begin_block
    if begin_within:
        data, block_size = read_block(reader, begin_block)
        if data[begin_within:]:
            pieces.append(Inline(compress(data[begin_within:])))
        whole_from = begin_block + block_size
    if whole_from < end_block:
        pieces.append(FileRange(whole_from, end_block))
    if end_within:
        data, _ = read_block(reader, end_block)
        pieces.append(Inline(compress(data[:end_within])))
    return pieces


def leading_data(reader: RangeReader, length_of: Callable[[bytes], int | None]) -> tuple[bytes, int]:
    """The file's first bytes up to where ``length_of`` says the header ends, and the virtual offset after them."""
    data = b""
    offset = 0
    while True:
        if offset >= reader.size:
            raise IntegrityError("the file ends inside its header")
        block, block_size = read_block(reader, offset)
        before = len(data)
        data += block
        wanted = length_of(data)
        if wanted is not None and wanted <= len(data):
            within = wanted - before
            if within == len(block):
                return data[:wanted], (offset + block_size) << 16
            return data[:wanted], (offset << 16) | within
        offset += block_size


def eof_offset(reader: RangeReader) -> int:
    """Where the records end: the start of the trailing EOF block, or the end of the file when there is none."""
    if reader.size >= len(EOF_BLOCK) and reader.read_at(reader.size - len(EOF_BLOCK), len(EOF_BLOCK)) == EOF_BLOCK:
        return reader.size - len(EOF_BLOCK)
    return reader.size


def bam_header_length(data: bytes) -> int | None:
    """Length of the BAM header (magic, text, references) at the start of ``data``, once enough is there."""
    if len(data) < 8:
        return None
    if data[:4] != b"BAM\x01":
        raise IntegrityError("not a BAM file (no BAM magic)")
    position: int = 8 + struct.unpack_from("<i", data, 4)[0]
    if len(data) < position + 4:
        return None
    n_references = struct.unpack_from("<i", data, position)[0]
    position += 4
    for _ in range(n_references):
        if len(data) < position + 4:
            return None
        name_length: int = struct.unpack_from("<i", data, position)[0]
        position += 4 + name_length + 4
    return position


def bam_reference_names(header: bytes) -> list[str]:
    """The reference names of a complete BAM header, in order."""
    position: int = 8 + struct.unpack_from("<i", header, 4)[0]
    n_references: int = struct.unpack_from("<i", header, position)[0]
    position += 4
    names = []
    for _ in range(n_references):
        name_length: int = struct.unpack_from("<i", header, position)[0]
        names.append(header[position + 4 : position + 4 + name_length - 1].decode())
        position += 4 + name_length + 4
    return names


def vcf_header_length(data: bytes) -> int | None:
    """Length of the VCF header (through the ``#CHROM`` line) at the start of ``data``, once enough is there."""
    marker = data.find(b"\n#CHROM")
    if marker < 0:
        return None
    line_end = data.find(b"\n", marker + 1)
    return None if line_end < 0 else line_end + 1


def bcf_header_length(data: bytes) -> int | None:
    """Length of the BCF header (magic, text length, text) at the start of ``data``, once enough is there."""
    if len(data) < 9:
        return None
    if data[:3] != b"BCF" or data[3] != 2:
        raise IntegrityError("not a BCF 2 file (no BCF magic)")
    length: int = 9 + struct.unpack_from("<I", data, 5)[0]
    return length
