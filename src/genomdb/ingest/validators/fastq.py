"""FASTQ validation: strict four-line records, quality encoding, gzip integrity, read statistics.

Records are checked a block of lines at a time with C-level bytes and list operations (one Python step per
block, not per base), so validation runs at decompression speed even for long-read files.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from itertools import repeat
from pathlib import Path

import numpy as np

from genomdb.errors import Problem
from genomdb.ingest.manifest import Platform, ReadType
from genomdb.ingest.validators.base import MAX_PROBLEMS_PER_FILE, FileExpectation, FileReport
from genomdb.ingest.validators.compression import INFLATE_DATA_ERRORS, INFLATE_ERRORS, is_gzip, open_maybe_gzip

PHRED_33 = "phred+33"
PHRED_64 = "phred+64"
MAX_SHORT_READ_LENGTH = 1000
_SEQUENCE_LETTERS = b"ACGTNUacgtnuRYKMSWBDHVrykmswbdhv."
_LOWEST_QUALITY = ord("!")
_HIGHEST_QUALITY = ord("~")
# Phred+64 (Solexa / Illumina 1.3–1.7) never uses characters below ';' and Phred+33 (Sanger, Illumina 1.8+)
# short reads never go above 'J' (Q41); a file that does both is Phred+64.
_LOWEST_PHRED64 = ord(";")
_HIGHEST_SHORT_READ_PHRED33 = ord("J")
_CHUNK = 1 << 22


class _RecordReader:
    """Running state while reading one FASTQ file."""

    def __init__(self, report: FileReport, expectation: FileExpectation) -> None:
        self.report = report
        self.name = expectation.display_name
        self.check_short = expectation.read_type is ReadType.SHORT or (
            expectation.read_type is None and expectation.platform is Platform.ILLUMINA
        )
        self.n_reads = 0
        self.n_bases = 0
        self.min_length: int | None = None
        self.max_length = 0
        self.min_quality = 255
        self.max_quality = 0
        self.stopped = False
        self._reported_long = False
        self._reported_alphabet = False
        self._reported_quality_range = False

    def add(self, problem: Problem, *, structural: bool = False) -> bool:
        """Record a problem; stop reading on a structural one (later records cannot be located) or at the cap."""
        if not self.report.add(problem) or structural or len(self.report.problems) >= MAX_PROBLEMS_PER_FILE:
            self.stopped = True
            return False
        return True

    def where(self, record: int, line_in_record: int = 0) -> str:
        return f"line {4 * (record - 1) + line_in_record + 1} (record {record})"

    def feed(self, lines: list[bytes]) -> None:
        """Check complete records (``len(lines)`` is a multiple of four)."""
        headers, sequences, separators, qualities = lines[0::4], lines[1::4], lines[2::4], lines[3::4]
        first = self.n_reads + 1
        if not self._check_headers(headers, first) or not self._check_separators(separators, headers, first):
            return
        lengths = list(map(len, sequences))
        if lengths != list(map(len, qualities)):
            for i, (sequence_length, quality) in enumerate(zip(lengths, qualities, strict=True)):
                if sequence_length != len(quality) and not self.add(
                    Problem(
                        self.name,
                        "quality line length differs from sequence length",
                        location=self.where(first + i, 3),
                        field="quality",
                        expected=f"{sequence_length} characters",
                        found=f"{len(quality)} characters",
                    )
                ):
                    return
        self._check_sequences(sequences, first)
        self._check_qualities(qualities, first)
        if self.stopped:
            return
        self.n_reads += len(sequences)
        self.n_bases += sum(lengths)
        shortest, longest = min(lengths), max(lengths)
        self.max_length = max(self.max_length, longest)
        self.min_length = shortest if self.min_length is None else min(self.min_length, shortest)
        if self.check_short and longest > MAX_SHORT_READ_LENGTH and not self._reported_long:
            self._reported_long = True
            i = next(i for i, length in enumerate(lengths) if length > MAX_SHORT_READ_LENGTH)
            self.add(
                Problem(
                    self.name,
                    "read is too long for a short-read run; is the run's read type right?",
                    location=self.where(first + i, 1),
                    field="sequence",
                    expected=f"≤ {MAX_SHORT_READ_LENGTH} bases",
                    found=f"{lengths[i]} bases",
                )
            )

    def _check_headers(self, headers: list[bytes], first: int) -> bool:
        if all(map(bytes.startswith, headers, repeat(b"@"))) and min(map(len, headers)) > 1:
            return True
        i = next(i for i, header in enumerate(headers) if not header.startswith(b"@") or len(header) < 2)
        found = _shown(headers[i]) or "an empty line"
        self.add(
            Problem(
                self.name,
                "record does not start with an '@' header line (reading stopped here)",
                location=self.where(first + i),
                field="header",
                expected="@<read name>",
                found=found,
            ),
            structural=True,
        )
        return False

    def _check_separators(self, separators: list[bytes], headers: list[bytes], first: int) -> bool:
        if separators.count(b"+") == len(separators):
            return True
        for i, separator in enumerate(separators):
            if separator == b"+":
                continue
            if not separator.startswith(b"+"):
                self.add(
                    Problem(
                        self.name,
                        "third line of the record is not a '+' line (reading stopped here)",
                        location=self.where(first + i, 2),
                        field="separator",
                        expected="+",
                        found=_shown(separator) or "an empty line",
                    ),
                    structural=True,
                )
                return False
            if separator[1:] != headers[i][1:] and not self.add(
                Problem(
                    self.name,
                    "'+' line repeats a different read name than the header",
                    location=self.where(first + i, 2),
                    field="separator",
                    expected=_shown(b"+" + headers[i][1:]),
                    found=_shown(separator),
                )
            ):
                return False
        return True

    def _check_sequences(self, sequences: list[bytes], first: int) -> None:
        if self._reported_alphabet or not b"".join(sequences).translate(None, _SEQUENCE_LETTERS):
            return
        self._reported_alphabet = True
        i = next(i for i, sequence in enumerate(sequences) if sequence.translate(None, _SEQUENCE_LETTERS))
        bad = sequences[i].translate(None, _SEQUENCE_LETTERS)
        self.add(
            Problem(
                self.name,
                "sequence contains characters that are not IUPAC nucleotide codes",
                location=self.where(first + i, 1),
                field="sequence",
                expected="A, C, G, T, N or IUPAC codes",
                found=_shown(bad[:10]),
            )
        )

    def _check_qualities(self, qualities: list[bytes], first: int) -> None:
        values = np.frombuffer(b"".join(qualities), dtype=np.uint8)
        if not values.size:
            return
        low, high = int(values.min()), int(values.max())
        self.min_quality, self.max_quality = min(self.min_quality, low), max(self.max_quality, high)
        if (low < _LOWEST_QUALITY or high > _HIGHEST_QUALITY) and not self._reported_quality_range:
            self._reported_quality_range = True
            i = next(
                i for i, q in enumerate(qualities) if q and (min(q) < _LOWEST_QUALITY or max(q) > _HIGHEST_QUALITY)
            )
            self.add(
                Problem(
                    self.name,
                    "quality line contains characters outside the printable range '!'..'~'",
                    location=self.where(first + i, 3),
                    field="quality",
                    expected="'!' (Q0) to '~' (Q93)",
                    found=_shown(qualities[i][:20]),
                )
            )


def _shown(value: bytes) -> str:
    text = value.decode("ascii", "replace")
    return text if len(text) <= 60 else text[:57] + "..."


def _decompressed_blocks(handle: io.BufferedIOBase) -> Iterator[bytes]:
    """The stream's bytes in blocks of about 4 MB; a read error is raised after the data read before it."""
    pieces: list[bytes] = []
    size = 0
    try:
        while piece := handle.read1(_CHUNK):
            pieces.append(piece)
            size += len(piece)
            if size >= _CHUNK:
                yield b"".join(pieces)
                pieces, size = [], 0
    except INFLATE_ERRORS:
        if pieces:
            yield b"".join(pieces)
        raise
    if pieces:
        yield b"".join(pieces)


def text_blocks(handle: io.BufferedIOBase) -> Iterator[bytes]:
    """A text stream (plain or decompressed) in blocks of whole lines: each block ends with a newline, except a
    last line without one, which comes alone. A line cut short by a decompression error is dropped and the error
    raised, so callers can say after which line the stream broke."""
    tail = b""
    for block in _decompressed_blocks(handle):
        data = tail + block if tail else block
        cut = data.rfind(b"\n") + 1
        tail = data[cut:]
        if cut:
            yield data[:cut]
    if tail:
        yield tail


def split_lines(block: bytes) -> list[bytes]:
    """The lines of a :func:`text_blocks` block, without line ends; CRLF is read as LF."""
    lines = block.split(b"\n")
    if block.endswith(b"\n"):
        lines.pop()
    if b"\r" in block:
        lines = [line[:-1] if line.endswith(b"\r") else line for line in lines]
    return lines


def line_blocks(handle: io.BufferedIOBase) -> Iterator[list[bytes]]:
    """Lines of a text stream (plain or decompressed) in blocks, without line ends (:func:`text_blocks`,
    :func:`split_lines`)."""
    for block in text_blocks(handle):
        yield split_lines(block)


def validate_fastq(path: Path, expectation: FileExpectation) -> FileReport:
    """Validate a FASTQ file (plain or gzip): record structure, sequence and quality lines, truncation."""
    report = FileReport()
    name = expectation.display_name
    gzipped = is_gzip(path)
    if path.name.endswith(".gz") and not gzipped:
        report.add(
            Problem(
                name,
                "file name ends in .gz but the file is not gzip-compressed",
                location="byte 0",
                field="compression",
                expected="gzip",
                found="uncompressed",
            )
        )
    reader = _RecordReader(report, expectation)
    pending: list[bytes] = []
    try:
        with open_maybe_gzip(path, gzipped=gzipped) as handle:
            for block in line_blocks(handle):
                lines = pending + block if pending else block
                # Trailing blank lines wait for what follows: after the last record they are harmless.
                end = len(lines)
                while end and not lines[end - 1]:
                    end -= 1
                complete = end - end % 4
                pending = lines[complete:]
                if complete:
                    reader.feed(lines[:complete])
                if reader.stopped:
                    break
    except EOFError:
        reader.add(
            Problem(
                name,
                "truncated gzip: the compressed stream ends before its end marker",
                location=f"after record {reader.n_reads}",
                field="gzip stream",
                expected="a complete gzip stream",
                found="end of file",
            )
        )
        pending = []
    except INFLATE_DATA_ERRORS as exc:
        reader.add(
            Problem(
                name,
                f"corrupt gzip data ({exc})",
                location=f"after record {reader.n_reads}",
                field="gzip stream",
                expected="valid gzip data",
                found="undecodable bytes",
            )
        )
        pending = []
    if not reader.stopped:
        _finish_pending(reader, pending)
    _finish(report, reader, expectation)
    return report


def _finish_pending(reader: _RecordReader, pending: list[bytes]) -> None:
    """Lines left at the end of the file: blank lines are dropped (a record never has an empty header)."""
    while pending and not pending[-1] and (len(pending) % 4 or not any(pending[-4:])):
        pending.pop()
    complete = len(pending) - len(pending) % 4
    if complete:
        reader.feed(pending[:complete])
        pending = pending[complete:]
    if pending and not reader.stopped:
        reader.add(
            Problem(
                reader.name,
                "last record is incomplete: the file is truncated",
                location=reader.where(reader.n_reads + 1, len(pending)),
                field=("sequence", "separator", "quality")[len(pending) - 1],
                expected="4 lines per record",
                found=f"{len(pending)} line(s)",
            )
        )


def _finish(report: FileReport, reader: _RecordReader, expectation: FileExpectation) -> None:
    name = expectation.display_name
    report.facts.update(
        n_reads=reader.n_reads,
        n_bases=reader.n_bases,
        min_read_length=reader.min_length or 0,
        max_read_length=reader.max_length,
        mean_read_length=round(reader.n_bases / reader.n_reads, 1) if reader.n_reads else 0.0,
    )
    if reader.n_reads == 0:
        if report.ok:
            report.add(
                Problem(
                    name,
                    "file contains no reads",
                    location="whole file",
                    field="records",
                    expected="at least one record",
                    found="0 records",
                )
            )
        return
    long_reads = expectation.platform in (Platform.ONT, Platform.PACBIO) or expectation.read_type is ReadType.LONG
    looks_phred64 = (
        reader.min_quality >= _LOWEST_PHRED64 and reader.max_quality > _HIGHEST_SHORT_READ_PHRED33 and not long_reads
    )
    report.facts["quality_encoding"] = PHRED_64 if looks_phred64 else PHRED_33
    if looks_phred64:
        report.add(
            Problem(
                name,
                "qualities are Phred+64 (Solexa / Illumina 1.3–1.7); convert them to Phred+33",
                location="all records",
                field="quality",
                expected="Phred+33 (Sanger, Illumina 1.8+)",
                found=f"Phred+64 (characters {chr(reader.min_quality)!r}..{chr(reader.max_quality)!r})",
            )
        )


def check_mates(a: FileReport, b: FileReport, *, name_a: str, name_b: str) -> list[Problem]:
    """Problems between the two files of a read pair: both must hold the same number of reads."""
    n_a, n_b = a.facts.get("n_reads"), b.facts.get("n_reads")
    if not isinstance(n_a, int) or not isinstance(n_b, int) or n_a == n_b or not (a.ok and b.ok):
        return []
    (short_name, n_short), (long_name, n_long) = sorted(((name_a, n_a), (name_b, n_b)), key=lambda item: item[1])
    return [
        Problem(
            short_name,
            f"paired-end mates have different read counts: this file ends after {n_short} reads, "
            f"its mate {long_name} has {n_long}",
            location=f"record {n_short + 1}",
            field="n_reads",
            expected=f"{n_long} reads (as in {long_name})",
            found=f"{n_short} reads",
        )
    ]
