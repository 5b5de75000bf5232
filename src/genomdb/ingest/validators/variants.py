"""VCF and gVCF validation: compression, header against the build and the manifest, record order, blocks.

The header is parsed by htslib (pysam). Records are then streamed as text, looking only at CHROM, POS and ALT
(and INFO when ALT is ``.``): that is all the checks need. A block of lines (about 4 MB) is checked at once with
NumPy — every line's tab count, POS as digits, where the contig changes, order, contig lengths, reference blocks —
and only a block where some line fails or needs a closer look is walked line by line, which names that line.
Both walks leave the same problems and counts (``tests/ingest/test_record_walk_bulk.py``).
When no tabix index was submitted, one is built into the work folder on a second core while the records are
read, and kept only if the file turns out valid.

A plain (uncompressed) ``.vcf`` is checked but reported as a problem: genomdb stores the submitted bytes
unchanged (their checksums are in the manifest), and stored VCFs must be bgzip-compressed to be indexed.
"""

from __future__ import annotations

import contextlib
import io
import re
import sys
import threading
from collections.abc import Mapping
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pysam

from genomdb.errors import Problem
from genomdb.ingest.manifest import FileFormat
from genomdb.ingest.validators.alignments import check_build_contigs, has_bgzf_eof, missing_bgzf_eof, quiet_htslib
from genomdb.ingest.validators.base import MAX_PROBLEMS_PER_FILE, FileExpectation, FileReport
from genomdb.ingest.validators.build_from_bases import RefSample, check_build_from_bases
from genomdb.ingest.validators.compression import INFLATE_ERRORS, open_gzip, open_maybe_gzip
from genomdb.ingest.validators.fastq import line_blocks, split_lines, text_blocks
from genomdb.ingest.validators.headers import vcf_header_lines
from genomdb.refdata import KNOWN_BUILDS, get_build

REFERENCE_BLOCK_ALTS = frozenset({b"<NON_REF>", b"<*>"})
_MAX_TBI_CONTIG_LENGTH = (1 << 29) - 1
_MAX_BULK_CHROM = 64
"""A block with a longer CHROM is checked line by line."""
_LOW_BYTES = np.array([(1 << (8 * k)) - 1 for k in range(9)], dtype=np.uint64)
"""The first k bytes of a little-endian word."""
_ZEROS = np.uint64(0x3030303030303030)
_SIXES = np.uint64(0x0606060606060606)
_HIGH_NIBBLES = np.uint64(0xF0F0F0F0F0F0F0F0)
_NON_REF_WORD = np.uint64(int.from_bytes(b"<NON_REF", "little"))
_STAR_WORD = np.uint64(int.from_bytes(b"<*>", "little"))


def validate_variants(path: Path, expectation: FileExpectation, *, work_dir: Path) -> FileReport:
    """Validate a VCF or gVCF: BGZF container, header, every record's contig and order, reference blocks."""
    report = FileReport()
    name = expectation.display_name
    compression = _compression(path)
    report.facts["compression"] = compression
    if not _check_container(report, path, name, compression):
        return report
    header = _read_header(report, path, name, compression)
    if header is None:
        return report
    contig_lengths, samples = header
    if not _check_header_text(report, path, name):
        return report
    report.facts["samples"] = samples
    _check_samples(report, samples, expectation)
    ref_sample = _ref_sample_wanted(expectation, contig_lengths)
    if expectation.reference_build:
        check_build_contigs(
            report,
            display_name=name,
            declared_build=expectation.reference_build,
            contig_lengths=contig_lengths,
            header_line="##contig",
            length_field="length",
        )
    index = _TabixIndex(path, work_dir, contig_lengths) if compression == "bgzf" else None
    walk = _walk_records(
        report, path, name, contig_lengths, gzipped=compression != "none", index=index, ref_sample=ref_sample
    )
    if walk is not None and ref_sample is not None and not walk.stopped:
        check_build_from_bases(report, expectation, ref_sample)
    if walk is not None:
        report.facts.update(
            n_records=walk.n_records,
            n_variant_records=walk.n_records - walk.n_reference_blocks,
            n_reference_blocks=walk.n_reference_blocks,
            contigs=[_text(contig) for contig in walk.contigs],
            is_gvcf=walk.n_reference_blocks > 0,
        )
        if not walk.stopped:
            _check_gvcf_declaration(report, expectation, walk)
    if index is not None:
        report.index_path = index.finish(keep=report.ok)
    return report


def _ref_sample_wanted(expectation: FileExpectation, contig_lengths: Mapping[str, int | None]) -> RefSample | None:
    """A REF sample when the header names contigs of the declared build but gives none of them a length."""
    if expectation.reference_build not in KNOWN_BUILDS:
        return None
    build = get_build(expectation.reference_build)
    in_build = [length for contig, length in contig_lengths.items() if build.contig(contig) is not None]
    return RefSample() if in_build and all(length is None for length in in_build) else None


def _check_gvcf_declaration(report: FileReport, expectation: FileExpectation, walk: _RecordWalk) -> None:
    name = expectation.display_name
    if expectation.format is FileFormat.GVCF and walk.n_reference_blocks == 0:
        report.add(
            Problem(
                name,
                "declared gVCF but contains no reference blocks",
                location="all records",
                field="ALT",
                expected="reference blocks (ALT <NON_REF> or <*> with INFO/END)",
                found=f"0 reference blocks in {walk.n_records} records",
            )
        )
    elif expectation.format is FileFormat.VCF and walk.n_reference_blocks > 0:
        report.add(
            Problem(
                name,
                "contains reference blocks, so it is a gVCF: declare its format as GVCF",
                location="all records",
                field="ALT",
                expected="no reference blocks in a VCF",
                found=f"{walk.n_reference_blocks} reference blocks",
            )
        )


class _TabixIndex:
    """The submitted .tbi/.csi beside the file, or one built into the work folder on a background thread."""

    def __init__(self, path: Path, work_dir: Path, contig_lengths: Mapping[str, int | None]) -> None:
        self.path = path
        self.existing = next(
            (c for c in (path.with_name(path.name + ".tbi"), path.with_name(path.name + ".csi")) if c.is_file()),
            None,
        )
        self.use_csi = any((length or 0) > _MAX_TBI_CONTIG_LENGTH for length in contig_lengths.values())
        self.built = work_dir / (path.name + (".csi" if self.use_csi else ".tbi"))
        self.work_dir = work_dir
        self.failed = False
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        """Start building the index (htslib releases the GIL) unless one was submitted."""
        if self.existing is not None:
            return
        self.work_dir.mkdir(parents=True, exist_ok=True)
        self._thread = threading.Thread(target=self._build, name=f"tabix {self.path.name}", daemon=True)
        self._thread.start()

    def _build(self) -> None:
        try:  # no quiet_htslib here: its verbosity and warning settings are process-wide, not per thread
            pysam.tabix_index(
                str(self.path),
                preset="vcf",
                index=str(self.built),
                keep_original=True,
                force=True,
                csi=self.use_csi,
            )
        except (OSError, ValueError):
            self.failed = True

    def finish(self, *, keep: bool) -> Path | None:
        """Wait for the build; return the index to store, removing a built one that is not wanted."""
        if self.existing is not None:
            return self.existing if keep else None
        if self._thread is not None:
            self._thread.join()
        if keep and not self.failed and self.built.is_file():
            return self.built
        self.built.unlink(missing_ok=True)
        return None


def _compression(path: Path) -> str:
    """``bgzf``, ``gzip`` or ``none``, from the first gzip member's header."""
    with path.open("rb") as handle:
        head = handle.read(16)
    if head[:2] != b"\x1f\x8b":
        return "none"
    is_bgzf = len(head) >= 16 and head[3] & 4 and head[10:12] == b"\x06\x00" and head[12:14] == b"BC"
    return "bgzf" if is_bgzf else "gzip"


def _check_container(report: FileReport, path: Path, name: str, compression: str) -> bool:
    if compression == "none":
        with path.open("rb") as handle:
            starts_like_vcf = handle.read(16).startswith(b"##fileformat=VCF")
        if not starts_like_vcf:
            report.add(
                Problem(
                    name,
                    "not a VCF file",
                    location="line 1",
                    field="##fileformat",
                    expected="##fileformat=VCFv4.x (bgzip-compressed)",
                    found="other content",
                )
            )
            return False
        report.add(
            Problem(
                name,
                "VCF must be bgzip-compressed (.vcf.gz) so that it can be indexed and stored",
                location="whole file",
                field="compression",
                expected="BGZF (bgzip)",
                found="uncompressed text",
            )
        )
    elif compression == "gzip":
        report.add(
            Problem(
                name,
                "VCF is gzip-compressed but not with bgzip, so it cannot be indexed",
                location="whole file",
                field="compression",
                expected="BGZF (bgzip)",
                found="plain gzip",
            )
        )
    elif not has_bgzf_eof(path):
        report.add(missing_bgzf_eof(name))
    return True


def _read_header(
    report: FileReport, path: Path, name: str, compression: str
) -> tuple[dict[str, int | None], list[str]] | None:
    """Contig lengths (None where the header gives none) and sample names, as htslib parses the header."""
    if compression == "gzip":
        return _header_from_text(path)  # htslib cannot open a non-BGZF gzip VCF; that is reported already
    with quiet_htslib():
        try:
            variants = pysam.VariantFile(str(path), ignore_truncation=True)
        except (OSError, ValueError, NotImplementedError) as exc:
            report.add(
                Problem(name, f"header cannot be parsed: {exc}", location="header", expected="a valid VCF header")
            )
            return None
        try:
            contigs = {str(contig): variants.header.contigs[contig].length for contig in variants.header.contigs}
            samples = list(variants.header.samples)
        finally:
            with contextlib.suppress(OSError):
                variants.close()
    return contigs, samples


def _check_header_text(report: FileReport, path: Path, name: str) -> bool:
    """What htslib's header parser lets through: a contig declared twice with two lengths, a second #CHROM line.

    Return False when the header contradicts itself (the records cannot then be checked against it).
    """
    declared: dict[str, tuple[int, str]] = {}
    ok = True
    n_chrom_lines = 0
    try:
        for number, line in vcf_header_lines(path):
            text = line.decode("utf-8", "replace")
            if text.startswith("#CHROM"):
                n_chrom_lines += 1
            if not text.startswith("##contig=<"):
                continue
            fields = dict(_CONTIG_FIELD.findall(text[len("##contig=<") : -1]))
            contig_id = fields.get("ID")
            if contig_id is None:
                continue
            length = fields.get("length", "")
            if contig_id in declared and declared[contig_id][1] != length:
                first_line, first_length = declared[contig_id]
                ok = False
                report.add(
                    Problem(
                        name,
                        f"contig {contig_id} is declared twice with different lengths (lines {first_line} and "
                        f"{number})",
                        location=f"line {number}",
                        field="##contig",
                        expected="each contig declared once (or twice identically)",
                        found=f"length={first_length or '(none)'} and length={length or '(none)'}",
                    )
                )
            declared.setdefault(contig_id, (number, length))
    except INFLATE_ERRORS:
        return True  # unreadable data is reported by the record walk
    return ok


_CONTIG_FIELD = re.compile(r'([A-Za-z_]+)=("[^"]*"|[^,>]*)')


def _header_from_text(path: Path) -> tuple[dict[str, int | None], list[str]]:
    contigs: dict[str, int | None] = {}
    with open_gzip(path) as handle:
        for raw in handle:
            line = raw.rstrip(b"\r\n").decode("utf-8", "replace")
            if line.startswith("##contig=<"):
                fields = dict(_CONTIG_FIELD.findall(line[len("##contig=<") :]))
                if "ID" in fields:
                    length = fields.get("length", "")
                    contigs[fields["ID"]] = int(length) if length.isdigit() else None
            elif line.startswith("#CHROM"):
                return contigs, line.split("\t")[9:]
            elif not line.startswith("##"):
                break
    return contigs, []


def _check_samples(report: FileReport, samples: list[str], expectation: FileExpectation) -> None:
    name = expectation.display_name
    duplicates = sorted({s for s in samples if samples.count(s) > 1})
    if duplicates:
        report.add(
            Problem(
                name,
                "sample column names repeat",
                location="#CHROM line",
                field="samples",
                expected="unique sample names",
                found=", ".join(duplicates),
            )
        )
    if expectation.sample_ids and set(samples) != set(expectation.sample_ids):
        missing = sorted(set(expectation.sample_ids) - set(samples))
        extra = sorted(set(samples) - set(expectation.sample_ids))
        details = "; ".join(
            part
            for part in (
                f"missing {', '.join(missing)}" if missing else "",
                f"unexpected {', '.join(extra)}" if extra else "",
            )
            if part
        )
        report.add(
            Problem(
                name,
                f"sample columns differ from the manifest ({details})",
                location="#CHROM line",
                field="samples",
                expected=", ".join(sorted(expectation.sample_ids)),
                found=", ".join(sorted(samples)) or "no samples",
            )
        )


def _open_text(path: Path, *, gzipped: bool) -> io.BufferedIOBase:
    return open_maybe_gzip(path, gzipped=gzipped)


class _RecordWalk:
    """Streaming checks over record lines: contig declared, contig not revisited, positions ascending."""

    def __init__(
        self,
        report: FileReport,
        name: str,
        contig_lengths: Mapping[str, int | None],
        *,
        first_line: int,
        n_tabs: int,
    ) -> None:
        self.report = report
        self.name = name
        self.lengths = {contig.encode(): length or sys.maxsize for contig, length in contig_lengths.items()}
        self.n_tabs = n_tabs
        self.line_number = first_line - 1
        self.n_records = 0
        self.n_reference_blocks = 0
        self.contigs: list[bytes] = []
        self._seen_contigs: set[bytes] = set()
        self.last_chrom: bytes | None = None
        self.last_pos = 0
        self.contig_length = sys.maxsize
        self.is_sorted = True
        self.stopped = False

    def feed(self, lines: list[bytes]) -> None:
        """Check a block of complete record lines."""
        n_tabs = self.n_tabs
        last_chrom, last_pos, contig_length = self.last_chrom, self.last_pos, self.contig_length
        line_number = self.line_number
        n_blocks = 0
        for line in lines:
            line_number += 1
            fields = line.split(b"\t", 5)
            if len(fields) != 6 or line.count(b"\t") != n_tabs:
                if not self._add(self._malformed(line, line_number)):
                    break
                continue
            chrom, pos_text, _id, _ref, alt, rest = fields
            try:
                pos = int(pos_text)
            except ValueError:
                if chrom.startswith(b"#"):
                    if not self._add(self._header_line_among_records(line, line_number)):
                        break
                    continue
                if not self._add(
                    Problem(
                        self.name,
                        "POS is not a number",
                        location=f"line {line_number}",
                        field="POS",
                        expected="an integer",
                        found=_text(pos_text),
                    )
                ):
                    break
                continue
            if chrom != last_chrom:
                if not self._new_contig(chrom, last_chrom, line_number):
                    break
                last_chrom, contig_length = chrom, self.contig_length
            elif pos < last_pos and self.is_sorted:
                self.is_sorted = False
                problem = Problem(
                    self.name,
                    "records are not sorted: position goes backwards",
                    location=f"line {line_number}",
                    field="POS",
                    expected=f"≥ {last_pos} on {_text(chrom)}",
                    found=str(pos),
                )
                if not self._add(problem):
                    break
            if pos > contig_length:
                contig_length = sys.maxsize  # report once per contig
                problem = Problem(
                    self.name,
                    "position lies beyond the end of its contig",
                    location=f"line {line_number}",
                    field="POS",
                    expected=f"≤ {self.lengths[chrom]} on {_text(chrom)}",
                    found=str(pos),
                )
                if not self._add(problem):
                    break
            last_pos = pos
            if alt in REFERENCE_BLOCK_ALTS or (alt == b"." and b"END=" in rest):
                n_blocks += 1
        self.n_records += line_number - self.line_number
        self.n_reference_blocks += n_blocks
        self.line_number, self.last_chrom, self.last_pos, self.contig_length = (
            line_number,
            last_chrom,
            last_pos,
            contig_length,
        )

    def feed_text(self, block: bytes) -> None:
        """Check a block of whole record lines as :func:`text_blocks` yields it: all at once with NumPy when every
        line is a plain, well-formed record in order; otherwise line by line (:meth:`feed`), which names the line."""
        if not self._feed_plain(block):
            self.feed(split_lines(block))

    def _feed_plain(self, block: bytes) -> bool:
        """The checks of :meth:`feed` over a whole block, when the block passes them all; False, with nothing
        changed, when any line needs :meth:`feed` to look at it (a problem, or a form ``int()`` reads but the
        bulk parse does not: a sign, spaces, underscores in POS; CRLF; a long CHROM)."""
        n_tabs = self.n_tabs
        if n_tabs < 5 or not block.endswith(b"\n") or b"\r" in block:
            return False
        data = np.frombuffer(block, dtype=np.uint8)
        words = _words(block)
        ends = np.flatnonzero(data == 10)
        tabs = np.flatnonzero(data == 9)
        n = ends.size
        if tabs.size != n * n_tabs:
            return False
        starts = np.empty(n, dtype=np.int64)
        starts[0] = 0
        starts[1:] = ends[:-1] + 1
        tab = tabs.reshape(n, n_tabs)
        # with as many tabs as lines × n_tabs, row i holds line i's tabs exactly when each row lies in its line
        if np.any(tab[:, 0] < starts) or np.any(tab[:, -1] > ends):
            return False
        pos = _digits(words, tab[:, 0] + 1, tab[:, 1])
        chrom_length = tab[:, 0] - starts
        if pos is None or chrom_length.min() < 1 or chrom_length.max() > _MAX_BULK_CHROM:
            return False
        if chrom_length.max() <= 8:  # each CHROM whole in its line's first word
            chroms = words[starts] & _LOW_BYTES[chrom_length]
            differs = chroms[1:] != chroms[:-1]
        else:
            wide = _fixed_width(data, starts, chrom_length)
            differs = np.any(wide[1:] != wide[:-1], axis=1)
        changes = np.flatnonzero((chrom_length[1:] != chrom_length[:-1]) | differs)
        run_starts = [int(i) + 1 for i in changes]
        first_chrom = block[: tab[0, 0]]
        continues = first_chrom == self.last_chrom
        if not continues:
            run_starts.insert(0, 0)
        elif int(pos[0]) < self.last_pos:
            return False
        run_chroms = [block[starts[i] : tab[i, 0]] for i in run_starts]
        # a new contig must be declared, and not seen before (in an earlier block or in this one)
        if len(set(run_chroms)) != len(run_chroms) or any(
            c in self._seen_contigs or c not in self.lengths for c in run_chroms
        ):
            return False
        within_run = np.ones(n - 1, dtype=np.bool_)
        within_run[changes] = False
        if np.any((pos[1:] < pos[:-1]) & within_run):
            return False
        bounds = [0, *run_starts] if continues else run_starts
        lengths = (
            [self.contig_length] + [self.lengths[c] for c in run_chroms]
            if continues
            else [self.lengths[c] for c in run_chroms]
        )
        for low, high, length in zip(bounds, [*bounds[1:], n], lengths, strict=True):
            if high > low and int(pos[low:high].max()) > length:
                return False
        n_blocks = self._count_blocks(block, data, words, tab, ends)
        for index, chrom in zip(run_starts, run_chroms, strict=True):
            self._new_contig(chrom, self.last_chrom, self.line_number + index + 1)  # declared and new: no problem
            self.last_chrom = chrom
        self.line_number += n
        self.n_records += n
        self.n_reference_blocks += n_blocks
        self.last_pos = int(pos[-1])
        return True

    @staticmethod
    def _count_blocks(
        block: bytes,
        data: npt.NDArray[np.uint8],
        words: npt.NDArray[np.uint64],
        tab: npt.NDArray[np.intp],
        ends: npt.NDArray[np.intp],
    ) -> int:
        """How many lines are reference blocks: ALT ``<NON_REF>`` or ``<*>``, or ALT ``.`` with ``END=`` after it."""
        alt_start = tab[:, 3] + 1
        alt_length = tab[:, 4] - alt_start
        first_word = words[alt_start]
        non_ref = (alt_length == 9) & (first_word == _NON_REF_WORD) & (data[alt_start + 8] == ord(">"))
        star = (alt_length == 3) & ((first_word & _LOW_BYTES[3]) == _STAR_WORD)
        count = int(np.count_nonzero(non_ref | star))
        dots = np.flatnonzero((alt_length == 1) & (data[alt_start] == ord(".")))
        count += sum(b"END=" in block[int(tab[i, 4]) + 1 : int(ends[i])] for i in dots)
        return count

    def _new_contig(self, chrom: bytes, previous: bytes | None, line_number: int) -> bool:
        problem: Problem | None = None
        if chrom in self._seen_contigs:
            if self.is_sorted:
                self.is_sorted = False
                problem = Problem(
                    self.name,
                    "records are not sorted: contig appears again after another contig",
                    location=f"line {line_number}",
                    field="CHROM",
                    expected=f"all {_text(chrom)} records together",
                    found=f"{_text(chrom)} after {_text(previous or b'')}",
                )
        else:
            self.contigs.append(chrom)
            self._seen_contigs.add(chrom)
            if chrom not in self.lengths:
                problem = Problem(
                    self.name,
                    "record's contig is not declared in a ##contig header line",
                    location=f"line {line_number}",
                    field="CHROM",
                    expected="a contig declared in the header",
                    found=_text(chrom),
                )
        self.contig_length = self.lengths.get(chrom, sys.maxsize)
        return problem is None or self._add(problem)

    def _malformed(self, line: bytes, line_number: int) -> Problem:
        if line.startswith(b"#"):
            return self._header_line_among_records(line, line_number)
        if not line:
            return Problem(
                self.name,
                "empty line among the records",
                location=f"line {line_number}",
                field="columns",
                expected=f"{self.n_tabs + 1} tab-separated columns",
                found="empty line",
            )
        return Problem(
            self.name,
            "record has the wrong number of columns",
            location=f"line {line_number}",
            field="columns",
            expected=f"{self.n_tabs + 1} tab-separated columns (as #CHROM)",
            found=str(line.count(b"\t") + 1),
        )

    def _header_line_among_records(self, line: bytes, line_number: int) -> Problem:
        if line.startswith(b"#CHROM"):
            return Problem(
                self.name,
                "a second #CHROM header line: the header is repeated (two VCFs concatenated?)",
                location=f"line {line_number}",
                field="#CHROM",
                expected="one #CHROM line, ending the header, then records only",
                found="a #CHROM line among the records",
            )
        return Problem(
            self.name,
            "a header line (starting with #) among the records",
            location=f"line {line_number}",
            field="header",
            expected="all header lines before #CHROM",
            found=_text(line.split(b"=", 1)[0][:40]),
        )

    def _add(self, problem: Problem) -> bool:
        if not self.report.add(problem) or len(self.report.problems) >= MAX_PROBLEMS_PER_FILE:
            self.stopped = True
            return False
        return True


def _words(text: bytes) -> npt.NDArray[np.uint64]:
    """The 8 bytes from every offset of ``text`` as one little-endian word (the text padded so the last exist)."""
    return np.ndarray((len(text),), dtype="<u8", buffer=text + bytes(8), strides=(1,))


def _digits(
    words: npt.NDArray[np.uint64], first: npt.NDArray[np.intp], end: npt.NDArray[np.intp]
) -> npt.NDArray[np.int64] | None:
    """The numbers written in ``text[first:end]`` of each row (``words``: the text's 8 bytes at every offset), or
    None unless every one is 1 to 16 ASCII digits: the last 8 digits and the ones before them, a word each."""
    width = end - first
    if width.min() < 1 or width.max() > 16:
        return None
    low_width = np.minimum(width, 8)
    low = _eight_digits(words, end - low_width, low_width)
    high_width = width - low_width
    if low is None or not high_width.any():
        return low
    high = _eight_digits(words, first, high_width)
    return None if high is None else high * 100_000_000 + low


def _eight_digits(
    words: npt.NDArray[np.uint64], first: npt.NDArray[np.intp], width: npt.NDArray[np.intp]
) -> npt.NDArray[np.int64] | None:
    """The number in the ``width`` (0 to 8) bytes from ``first`` of each row, or None unless they are all digits.

    Eight characters at once (SWAR): the number's bytes are right-aligned in their word and the left filled with
    "0"s, every byte is checked to be a digit, and the bytes are folded pairwise (× 10, × 100, × 10,000).
    """
    pad = (8 - width).astype(np.uint64) * np.uint64(8)
    # masked before the shift, so that a width of 0 (a shift by 64 bits) leaves 0 however the shift is done
    text: npt.NDArray[np.uint64] = ((words[first] & _LOW_BYTES[width]) << pad) | (_ZEROS & _LOW_BYTES[8 - width])
    if np.any((text & _HIGH_NIBBLES) != _ZEROS) or np.any(((text + _SIXES) & _HIGH_NIBBLES) != _ZEROS):
        return None
    value: npt.NDArray[np.uint64] = text - _ZEROS
    value = (value * np.uint64(10) + (value >> np.uint64(8))) & np.uint64(0x00FF00FF00FF00FF)
    value = (value * np.uint64(100) + (value >> np.uint64(16))) & np.uint64(0x0000FFFF0000FFFF)
    value = (value * np.uint64(10000) + (value >> np.uint64(32))) & np.uint64(0x00000000FFFFFFFF)
    return value.astype(np.int64)


def _fixed_width(
    data: npt.NDArray[np.uint8], first: npt.NDArray[np.intp], width: npt.NDArray[np.intp]
) -> npt.NDArray[np.uint8]:
    """Each row's ``data[first:first + width]`` left-aligned in a matrix as wide as the widest, padded with 0."""
    columns = np.arange(int(width.max()))
    inside = columns < width[:, None]
    picked = data[np.where(inside, first[:, None] + columns, 0)]
    picked[~inside] = 0
    return picked


def _text(value: bytes) -> str:
    return value.decode("ascii", "replace")


def _walk_records(
    report: FileReport,
    path: Path,
    name: str,
    contig_lengths: Mapping[str, int | None],
    *,
    gzipped: bool,
    index: _TabixIndex | None,
    ref_sample: RefSample | None = None,
) -> _RecordWalk | None:
    """Stream every record line (building the index alongside); None when the header has no #CHROM line."""
    walk: _RecordWalk | None = None
    try:
        with _open_text(path, gzipped=gzipped) as handle:
            n_header_lines, n_tabs = _skip_header(handle)
            if n_tabs < 0:
                report.add(
                    Problem(
                        name,
                        "header has no #CHROM line",
                        location=f"line {n_header_lines}",
                        field="#CHROM",
                        expected="#CHROM POS ID REF ALT QUAL FILTER INFO …",
                        found="a line that is not a header line",
                    )
                )
                return None
            walk = _RecordWalk(report, name, contig_lengths, first_line=n_header_lines + 1, n_tabs=n_tabs)
            if index is not None:
                index.start()
            if ref_sample is not None:
                for lines in line_blocks(handle):
                    ref_sample.feed(lines, walk.n_records)
                    walk.feed(lines)
                    if walk.stopped:
                        break
            else:
                for block in text_blocks(handle):
                    walk.feed_text(block)
                    if walk.stopped:
                        break
    except INFLATE_ERRORS as exc:
        after = f"line {walk.line_number}" if walk else "the header"
        report.add(
            Problem(
                name,
                f"file is truncated or corrupt ({exc})",
                location=f"after {after}",
                field="compressed stream",
                expected="a complete compressed stream",
                found="unreadable data",
            )
        )
        if walk:
            walk.stopped = True
    return walk


def _skip_header(handle: io.BufferedIOBase) -> tuple[int, int]:
    """Number of header lines and the number of tabs a record line must have (-1 without a #CHROM line)."""
    line_number = 0
    for line in handle:
        line_number += 1
        if line.startswith(b"#CHROM"):
            return line_number, line.rstrip(b"\r\n").count(b"\t")
        if not line.startswith(b"##"):
            break
    return line_number, -1
