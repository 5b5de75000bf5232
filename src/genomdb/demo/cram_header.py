"""Replace a CRAM file's header container, so that the demo's CRAMs are byte-identical wherever they are written.

htslib writes each ``@SQ UR`` as the absolute path of the reference it was given and sizes the header container
(with padding for in-place edits) from that text, so the same reads written under two folders differ in the header
container's length and everything after it shifts. This module rewrites the file with a header container holding
exactly the wanted header text (one raw block, no padding): the file definition keeps its version and gets a file id
from the file's name; the data containers after the header are copied unchanged (they hold no file offsets; the
``.crai`` index is built afterwards). CRAM 3.x layout: container = int32 length, ITF8 reference id / start / span /
records, LTF8 record counter / bases, ITF8 blocks and landmarks, CRC32; block = method, content type, ITF8 content
id / sizes, data, CRC32.
"""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

_FILE_DEFINITION_LENGTH = 26
_FILE_ID_OFFSET, _FILE_ID_LENGTH = 6, 20
_RAW, _FILE_HEADER = 0, 0


def _itf8(value: int) -> bytes:
    if value < 0x80:
        return bytes([value])
    if value < 0x4000:
        return bytes([0x80 | value >> 8, value & 0xFF])
    if value < 0x200000:
        return bytes([0xC0 | value >> 16, value >> 8 & 0xFF, value & 0xFF])
    if value < 0x10000000:
        return bytes([0xE0 | value >> 24, value >> 16 & 0xFF, value >> 8 & 0xFF, value & 0xFF])
    raise ValueError(f"{value} does not fit the header container")


def _read_itf8(data: bytes, offset: int) -> tuple[int, int]:
    """(value, offset after it) of an ITF8 integer."""
    first = data[offset]
    if first >= 0xF0:
        b1, b2, b3, b4 = data[offset + 1 : offset + 5]
        return (first & 0x0F) << 28 | b1 << 20 | b2 << 12 | b3 << 4 | (b4 & 0x0F), offset + 5
    n_extra = 0 if first < 0x80 else 1 if first < 0xC0 else 2 if first < 0xE0 else 3
    value = first & (0x7F >> n_extra)
    for byte in data[offset + 1 : offset + 1 + n_extra]:
        value = value << 8 | byte
    return value, offset + 1 + n_extra


def _skip_ltf8(data: bytes, offset: int) -> int:
    first, n_extra = data[offset], 0
    while n_extra < 8 and first & (0x80 >> n_extra):
        n_extra += 1
    return offset + 1 + n_extra


def _header_container_end(data: bytes) -> int:
    """Offset of the first byte after the header container."""
    offset = _FILE_DEFINITION_LENGTH
    blocks_length = int(struct.unpack_from("<i", data, offset)[0])
    offset += 4
    for _ in range(4):  # reference id, start, span, number of records
        _, offset = _read_itf8(data, offset)
    offset = _skip_ltf8(data, _skip_ltf8(data, offset))  # record counter, bases
    _, offset = _read_itf8(data, offset)  # number of blocks
    n_landmarks, offset = _read_itf8(data, offset)
    for _ in range(n_landmarks):
        _, offset = _read_itf8(data, offset)
    return offset + 4 + blocks_length  # CRC32, then the blocks


def _header_container(text: str) -> bytes:
    payload = struct.pack("<i", len(text.encode("ascii"))) + text.encode("ascii")
    block = bytes([_RAW, _FILE_HEADER]) + _itf8(0) + _itf8(len(payload)) + _itf8(len(payload)) + payload
    block += struct.pack("<I", zlib.crc32(block))
    fields = struct.pack("<i", len(block)) + _itf8(0) * 4 + b"\x00\x00" + _itf8(1) + _itf8(0)
    return fields + struct.pack("<I", zlib.crc32(fields)) + block


def rewrite_header(cram_path: Path, header_text: str) -> None:
    """Rewrite a CRAM 3.x file in place with this exact header text and a file id from the file's name."""
    data = cram_path.read_bytes()
    if data[:4] != b"CRAM" or data[4] != 3:
        raise ValueError(f"{cram_path}: not a CRAM 3.x file")
    file_id = cram_path.name.encode("ascii")[:_FILE_ID_LENGTH].ljust(_FILE_ID_LENGTH, b"\0")
    definition = data[:_FILE_ID_OFFSET] + file_id
    rest = data[_header_container_end(data) :]
    partial = cram_path.with_name(cram_path.name + ".partial")
    partial.write_bytes(definition + _header_container(header_text) + rest)
    partial.replace(cram_path)
