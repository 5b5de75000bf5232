"""A ticket's data as one stream: the plaintext the pieces of a ticket concatenate to, and its crypt4gh form for a
recipient (htsget 1.3 ``encryptionScheme=c4gh``), readable at any byte range without building the whole file.

The crypt4gh stream is a header (the session key sealed for the recipient's public key, sent inline in the
ticket) and a body of 64 KiB plaintext segments, each ChaCha20-Poly1305 encrypted as crypt4gh defines. Block
requests come later and separately, so the body must be the same bytes every time: the session key is derived
from the instance's block key and the ticket's random id, and each segment's nonce from the session key, the
segment's number and the digest of its plaintext (a nonce is never reused for different plaintext).
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Sequence

from genomdb.dataout.bgzf import Inline, Piece
from genomdb.dataout.sealing import CIPHER_OVERHEAD, SEGMENT_SIZE, RangeReader, _quiet_crypt4gh

NONCE_BYTES = 12


class PlainStream:
    """The bytes a sequence of pieces concatenates to: inline data and ranges of one source file."""

    def __init__(self, pieces: Sequence[Piece], reader: RangeReader) -> None:
        self._pieces = list(pieces)
        self._bytes = reader
        self._starts: list[int] = []
        position = 0
        for piece in self._pieces:
            self._starts.append(position)
            position += len(piece.data) if isinstance(piece, Inline) else piece.end - piece.start
        self.size = position

    def read_at(self, offset: int, length: int) -> bytes:
        end = min(self.size, offset + length)
        out = []
        for piece, start in zip(self._pieces, self._starts, strict=True):
            size = len(piece.data) if isinstance(piece, Inline) else piece.end - piece.start
            stop = start + size
            if stop <= offset or start >= end:
                continue
            lo, hi = max(offset, start) - start, min(end, stop) - start
            if isinstance(piece, Inline):
                out.append(piece.data[lo:hi])
            else:
                out.append(self._bytes.read_at(piece.start + lo, hi - lo))
        return b"".join(out)

    def close(self) -> None:
        self._bytes.close()

    def digest(self) -> str:
        """A digest of the layout (inline bytes and source ranges), short enough for a URL."""
        hasher = hashlib.sha256()
        for piece in self._pieces:
            if isinstance(piece, Inline):
                hasher.update(b"I" + hashlib.sha256(piece.data).digest())
            else:
                hasher.update(f"R{piece.start}-{piece.end}".encode())
        return hasher.hexdigest()[:32]


def session_key(block_key: bytes, ticket_id: str, user: str) -> bytes:
    """The crypt4gh session key of one ticket (32 bytes), derivable only with the instance's block key."""
    return hmac.new(block_key, f"c4gh-session\n{ticket_id}\n{user}".encode(), hashlib.sha256).digest()


def c4gh_header(key: bytes, *, sender_secret_key: bytes, recipient_public_key: bytes) -> bytes:
    """A crypt4gh header holding the session key for the recipient's public key (no edit list)."""
    from crypt4gh import header

    with _quiet_crypt4gh():
        packets = header.encrypt(header.make_packet_data_enc(0, key), [(0, sender_secret_key, recipient_public_key)])
    serialized: bytes = header.serialize(packets)
    return serialized


class EncryptedBody:
    """The crypt4gh body (segments after the header) of a plaintext stream, read by byte range."""

    def __init__(self, plain: PlainStream, key: bytes) -> None:
        from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305

        self._plain = plain
        self._key = key
        self._cipher = ChaCha20Poly1305(key)
        n_full, rest = divmod(plain.size, SEGMENT_SIZE)
        self.n_segments = n_full + (1 if rest else 0)
        self.size = plain.size + self.n_segments * CIPHER_OVERHEAD

    def _segment(self, index: int) -> bytes:
        data = self._plain.read_at(index * SEGMENT_SIZE, SEGMENT_SIZE)
        material = index.to_bytes(8, "big") + hashlib.sha256(data).digest()
        nonce = hmac.new(self._key, material, hashlib.sha256).digest()[:NONCE_BYTES]
        return nonce + self._cipher.encrypt(nonce, data, None)

    def read_at(self, offset: int, length: int) -> bytes:
        end = min(self.size, offset + length)
        if offset >= end:
            return b""
        cipher_segment = SEGMENT_SIZE + CIPHER_OVERHEAD
        first, last = offset // cipher_segment, (end - 1) // cipher_segment
        joined = b"".join(self._segment(i) for i in range(first, last + 1))
        base = first * cipher_segment
        return joined[offset - base : end - base]

    def close(self) -> None:
        self._plain.close()
