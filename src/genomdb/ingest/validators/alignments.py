"""BAM, CRAM and unaligned (u)BAM validation: container integrity, header against the build, read groups.

Also home of the htslib container helpers shared with the VCF validator (BGZF end-of-file marker, quieting
htslib's own stderr chatter while genomdb reports problems itself).
"""

from __future__ import annotations

import contextlib
import warnings
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path
from typing import Any

import pysam
from pysam.utils import SamtoolsError

from genomdb.errors import InvalidInput, Problem
from genomdb.ingest.manifest import FileFormat, Platform
from genomdb.ingest.validators.base import MAX_PROBLEMS_PER_FILE, FileExpectation, FileReport
from genomdb.refdata import Contig, ReferenceBuild, get_build, guess_build, read_fasta_contigs

BGZF_EOF = bytes.fromhex("1f8b08040000000000ff0600424302001b0003000000000000000000")
_CRAM_EOF = {
    2: bytes.fromhex("0b000000ffffffff0fe0454f460000000001000001000606010001000100"),
    3: bytes.fromhex("0f000000ffffffff0fe0454f4600000000010005bdd94f0001000606010001000100ee63014b"),
}
# Decode only what the checks use: FLAG, RNAME and POS; SEQ too when a reference is at hand, so that htslib
# verifies every slice against the reference md5.
_CRAM_FIELDS_HEADER_ONLY = 0x002 | 0x004 | 0x008
_CRAM_FIELDS_WITH_SEQUENCE = _CRAM_FIELDS_HEADER_ONLY | 0x200
_PLATFORM_NAMES: Mapping[Platform, frozenset[str]] = {
    Platform.ILLUMINA: frozenset({"ILLUMINA"}),
    Platform.ONT: frozenset({"ONT", "OXFORD_NANOPORE", "NANOPORE"}),
    Platform.PACBIO: frozenset({"PACBIO"}),
}
_INDIVIDUAL_CONTIG_PROBLEMS = 5


@contextmanager
def quiet_htslib() -> Iterator[None]:
    """Silence htslib's stderr messages and pysam's truncation warnings; genomdb reports problems itself."""
    previous = pysam.get_verbosity()
    pysam.set_verbosity(0)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            yield
    finally:
        pysam.set_verbosity(previous)


def _read_tail(path: Path, size: int) -> bytes:
    with path.open("rb") as handle:
        handle.seek(max(0, path.stat().st_size - size))
        return handle.read(size)


def has_bgzf_eof(path: Path) -> bool:
    """Whether the file ends with the empty BGZF block that marks a complete BAM / bgzipped file."""
    return _read_tail(path, len(BGZF_EOF)) == BGZF_EOF


def missing_bgzf_eof(name: str) -> Problem:
    """The problem reported for a BGZF file (BAM, bgzipped VCF) whose end-of-file block is missing."""
    return Problem(
        name,
        "BGZF end-of-file marker missing: the file is truncated",
        location="end of file",
        field="BGZF EOF block",
        expected="28-byte empty BGZF block",
        found="no EOF block",
    )


def _cram_eof_state(path: Path) -> tuple[int, bool | None]:
    """The CRAM major version and whether its end-of-file container is present (None: version has none)."""
    with path.open("rb") as handle:
        magic = handle.read(6)
    major = magic[4] if len(magic) == 6 and magic[:4] == b"CRAM" else 0
    template = _CRAM_EOF.get(major)
    if template is None:
        return major, None
    tail = bytearray(_read_tail(path, len(template)))
    if len(tail) == len(template):
        tail[8] &= 0x0F  # early Java and C writers differ in this ITF-8 byte; htslib masks it the same way
    return major, bytes(tail) == template


def _add_contig_problems(report: FileReport, problems: Sequence[Problem], *, what: str) -> bool:
    """Report a few per-contig problems individually and the rest as one summary; False once the cap is hit."""
    for problem in problems[:_INDIVIDUAL_CONTIG_PROBLEMS]:
        if not report.add(problem):
            return False
    rest = problems[_INDIVIDUAL_CONTIG_PROBLEMS:]
    if rest:
        names = ", ".join(p.location or "" for p in rest[:10])
        more = "" if len(rest) <= 10 else f" and {len(rest) - 10} more"
        summary = Problem(rest[0].file, f"{len(rest)} more {what}", location=f"{names}{more}", field=rest[0].field)
        return report.add(summary)
    return True


def check_build_contigs(
    report: FileReport,
    *,
    display_name: str,
    declared_build: str,
    contig_lengths: Mapping[str, int | None],
    header_line: str,
    length_field: str,
) -> None:
    """Check header contig names and lengths against the declared build; say which build they look like."""
    try:
        build: ReferenceBuild = get_build(declared_build)
    except InvalidInput:
        report.add(
            Problem(
                display_name,
                "unknown reference build",
                location="manifest",
                field="reference_build",
                expected="GRCh38 or GRCh37",
                found=declared_build,
            )
        )
        return
    known = {name: length for name, length in contig_lengths.items() if length is not None}
    guessed = guess_build(known)
    if guessed is not None and guessed != build.name:
        report.add(
            Problem(
                display_name,
                f"contig lengths are those of {guessed}, not of the declared {build.name}; this looks like {guessed}",
                location="header",
                field=length_field,
                expected=f"{build.name} lengths (e.g. {build.contigs[0].name} {build.contigs[0].length})",
                found=_example_length(build, known, guessed),
            )
        )
        return
    problems: list[Problem] = []
    n_in_build = 0
    for name, length in contig_lengths.items():
        contig = build.contig(name)
        if contig is None:
            continue
        n_in_build += 1
        if length is not None and length != contig.length:
            problems.append(
                Problem(
                    display_name,
                    f"contig length differs from {build.name}",
                    location=f"{header_line} {name}",
                    field=length_field,
                    expected=str(contig.length),
                    found=str(length),
                )
            )
    if n_in_build == 0:
        report.add(
            Problem(
                display_name,
                f"no header contig is a {build.name} chromosome",
                location="header",
                field=header_line,
                expected=f"{build.contigs[0].name} … {build.contigs[-1].name}",
                found=", ".join(list(contig_lengths)[:5]) or "no contigs",
            )
        )
    _add_contig_problems(report, problems, what=f"contig lengths differ from {build.name}")


def _example_length(build: ReferenceBuild, lengths: Mapping[str, int], guessed: str) -> str:
    for name, length in lengths.items():
        if name in build:
            return f"{guessed} lengths (e.g. {name} {length})"
    return f"{guessed} lengths"


@lru_cache(maxsize=8)
def _fasta_digests(path: str, size: int, mtime_ns: int) -> dict[str, Contig]:
    return {c.name: c for c in read_fasta_contigs(Path(path))}


def reference_digests(fasta: Path) -> dict[str, Contig]:
    """Contig lengths and md5s of a reference FASTA, computed once per file version in this process."""
    stat = fasta.stat()
    return _fasta_digests(str(fasta.resolve()), stat.st_size, stat.st_mtime_ns)


def validate_alignments(path: Path, expectation: FileExpectation, *, work_dir: Path) -> FileReport:
    """Validate a BAM, CRAM or unaligned BAM: container, header, read groups, every record, index."""
    report = FileReport()
    name = expectation.display_name
    is_cram = expectation.format is FileFormat.CRAM
    if not _check_container(report, path, name, is_cram=is_cram):
        return report
    with quiet_htslib():
        try:
            # The header needs no reference; CRAM records are decoded by a second, field-limited reader.
            alignments = _open(path, is_cram=is_cram, reference=None, fields=_CRAM_FIELDS_HEADER_ONLY)
        except (OSError, ValueError) as exc:
            report.add(
                Problem(name, f"header cannot be read: {exc}", location="header", expected=str(expectation.format))
            )
            return report
        try:
            header = alignments.header.to_dict()
            reference_matches = _check_header(report, header, expectation, is_cram=is_cram)
            if len(report.problems) >= MAX_PROBLEMS_PER_FILE:
                return report
            if not is_cram and alignments.format != "BAM":
                report.add(
                    Problem(
                        name,
                        "not a BAM file",
                        location="header",
                        field="format",
                        expected="BAM",
                        found=str(alignments.format),
                    )
                )
                return report
            if is_cram:
                _close(alignments)
                reference = expectation.reference_fasta if reference_matches else None
                fields = _CRAM_FIELDS_WITH_SEQUENCE if reference else _CRAM_FIELDS_HEADER_ONLY
                alignments = _open(path, is_cram=True, reference=reference, fields=fields)
            _walk_records(report, alignments, header, name)
        except (OSError, ValueError) as exc:
            report.add(
                Problem(name, f"file cannot be read: {exc}", location="header", expected=str(expectation.format))
            )
            return report
        finally:
            _close(alignments)
    if report.facts["is_aligned"] and report.ok and report.facts["sort_order"] == "coordinate":
        _attach_index(report, path, name, work_dir, is_cram=is_cram)
    return report


def _open(path: Path, *, is_cram: bool, reference: Path | None, fields: int) -> pysam.AlignmentFile:
    if not is_cram:
        return pysam.AlignmentFile(str(path), "rb", check_sq=False, ignore_truncation=True)
    return pysam.AlignmentFile(
        str(path),
        "rc",
        check_sq=False,
        ignore_truncation=True,
        reference_filename=str(reference) if reference else None,
        format_options=[f"required_fields={fields:#x}"],
    )


def _check_container(report: FileReport, path: Path, name: str, *, is_cram: bool) -> bool:
    with path.open("rb") as handle:
        magic = handle.read(4)
    if is_cram:
        if magic != b"CRAM":
            report.add(
                Problem(
                    name,
                    "not a CRAM file",
                    location="byte 0",
                    field="magic",
                    expected="CRAM",
                    found=_describe_magic(magic),
                )
            )
            return False
        major, eof_present = _cram_eof_state(path)
        report.facts["cram_version"] = major
        if eof_present is False:
            report.add(
                Problem(
                    name,
                    "CRAM end-of-file container missing: the file is truncated",
                    location="end of file",
                    field="EOF container",
                    expected="CRAM EOF container",
                    found="no EOF container",
                )
            )
        return True
    if magic[:2] != b"\x1f\x8b":
        report.add(
            Problem(
                name,
                "not a BAM file",
                location="byte 0",
                field="magic",
                expected="BGZF-compressed BAM",
                found=_describe_magic(magic),
            )
        )
        return False
    if not has_bgzf_eof(path):
        report.add(missing_bgzf_eof(name))
    return True


def _describe_magic(magic: bytes) -> str:
    if magic == b"CRAM":
        return "a CRAM file"
    if magic[:1] == b"@":
        return "SAM text"
    return "bytes " + magic.hex()


def _check_header(
    report: FileReport, header: Mapping[str, Any], expectation: FileExpectation, *, is_cram: bool
) -> bool:
    """Check @HD, @SQ and @RG; return whether the @SQ lines agree with the reference FASTA (if one is given)."""
    name = expectation.display_name
    sequence_lines: Sequence[Mapping[str, Any]] = header.get("SQ", [])
    report.facts["sort_order"] = header.get("HD", {}).get("SO", "unknown")
    report.facts["is_aligned"] = bool(sequence_lines)
    if expectation.reference_build:
        if not sequence_lines:
            report.add(
                Problem(
                    name,
                    f"no @SQ lines, but the analysis declares build {expectation.reference_build}",
                    location="header",
                    field="@SQ",
                    expected=f"{expectation.reference_build} @SQ lines",
                    found="none",
                )
            )
        else:
            check_build_contigs(
                report,
                display_name=name,
                declared_build=expectation.reference_build,
                contig_lengths={sq["SN"]: sq.get("LN") for sq in sequence_lines},
                header_line="@SQ",
                length_field="LN",
            )
    reference_matches = True
    if is_cram and sequence_lines:
        reference_matches = _check_cram_md5(report, sequence_lines, expectation)
    _check_read_groups(report, header.get("RG", []), expectation)
    return reference_matches


def _check_cram_md5(
    report: FileReport, sequence_lines: Sequence[Mapping[str, Any]], expectation: FileExpectation
) -> bool:
    """Every @SQ needs an M5; with a reference FASTA, M5 and LN must match it.

    Return whether the FASTA holds every @SQ sequence unchanged, so that records can be decoded against it.
    """
    name = expectation.display_name
    missing = [
        Problem(
            name,
            "@SQ line has no M5 tag: the reference sequence cannot be identified",
            location=f"@SQ {sq['SN']}",
            field="M5",
            expected="MD5 of the reference sequence",
            found="no M5",
        )
        for sq in sequence_lines
        if not sq.get("M5")
    ]
    _add_contig_problems(report, missing, what="@SQ lines without an M5 tag")
    if expectation.reference_fasta is None:
        return False
    try:
        digests = reference_digests(expectation.reference_fasta)
    except (OSError, ValueError) as exc:
        report.add(
            Problem(name, f"reference FASTA cannot be read: {exc}", location="reference", field="reference_fasta")
        )
        return False
    mismatches: list[Problem] = []
    all_in_reference = True
    for sq in sequence_lines:
        contig = digests.get(sq["SN"])
        if contig is None:
            all_in_reference = False  # not a problem in itself, but reads there cannot be decoded against it
            continue
        if sq.get("LN") != contig.length:
            mismatches.append(
                Problem(
                    name,
                    "@SQ length differs from the reference FASTA",
                    location=f"@SQ {sq['SN']}",
                    field="LN",
                    expected=str(contig.length),
                    found=str(sq.get("LN")),
                )
            )
        m5 = str(sq.get("M5") or "").lower()
        if m5 and m5 != contig.md5:
            mismatches.append(
                Problem(
                    name,
                    "@SQ M5 differs from the reference FASTA sequence",
                    location=f"@SQ {sq['SN']}",
                    field="M5",
                    expected=contig.md5,
                    found=m5,
                )
            )
    _add_contig_problems(report, mismatches, what="@SQ lines that differ from the reference FASTA")
    return all_in_reference and not mismatches


def _check_read_groups(
    report: FileReport, read_groups: Sequence[Mapping[str, Any]], expectation: FileExpectation
) -> None:
    name = expectation.display_name
    expected_samples = ", ".join(expectation.sample_ids) or None
    report.facts["read_groups"] = [str(rg.get("ID", "")) for rg in read_groups]
    report.facts["samples"] = sorted({str(rg["SM"]) for rg in read_groups if "SM" in rg})
    if not read_groups:
        if expectation.sample_ids:
            report.add(
                Problem(
                    name,
                    "no @RG line names the sample",
                    location="header",
                    field="@RG SM",
                    expected=expected_samples,
                    found="no @RG lines",
                )
            )
        return
    for rg in read_groups:
        where = f"@RG {rg.get('ID', '(no ID)')}"
        sample = rg.get("SM")
        if expectation.sample_ids and (sample is None or str(sample) not in expectation.sample_ids):
            message = "read group has no SM tag" if sample is None else "read group sample differs from the manifest"
            if not report.add(
                Problem(
                    name,
                    message,
                    location=where,
                    field="SM",
                    expected=expected_samples,
                    found=None if sample is None else str(sample),
                )
            ):
                return
        platform = rg.get("PL")
        if platform is not None and expectation.platform is not None:
            allowed = _PLATFORM_NAMES[expectation.platform]
            if str(platform).upper() not in allowed and not report.add(
                Problem(
                    name,
                    "read group platform differs from the manifest",
                    location=where,
                    field="PL",
                    expected=" or ".join(sorted(allowed)),
                    found=str(platform),
                )
            ):
                return


def _walk_records(report: FileReport, alignments: pysam.AlignmentFile, header: Mapping[str, Any], name: str) -> None:
    """Read every record (streaming) to find truncation or corruption; count records, check coordinate order."""
    names: Sequence[str] = [sq["SN"] for sq in header.get("SQ", [])]
    check_order = report.facts.get("sort_order") == "coordinate"
    n_records = n_mapped = 0
    last_tid = last_pos = -2
    seen_tids: set[int] = set()
    contig_order: list[int] = []
    try:
        for record in alignments.fetch(until_eof=True):
            n_records += 1
            if not record.flag & 4:
                n_mapped += 1
            tid = record.reference_id
            if tid != last_tid:
                if check_order and (tid in seen_tids or last_tid == -1):
                    check_order = False
                    report.add(
                        Problem(
                            name,
                            "records are not in coordinate order although @HD SO:coordinate",
                            location=f"record {n_records}",
                            field="RNAME",
                            expected="each reference's records together, unmapped reads last",
                            found=f"{_tid_name(names, tid)} again after {_tid_name(names, last_tid)}",
                        )
                    )
                if tid not in seen_tids:
                    seen_tids.add(tid)
                    if tid >= 0:
                        contig_order.append(tid)
                last_tid, last_pos = tid, -2
            if check_order and tid >= 0:
                pos = record.reference_start
                if pos < last_pos:
                    check_order = False
                    report.add(
                        Problem(
                            name,
                            "records are not in coordinate order although @HD SO:coordinate",
                            location=f"record {n_records}",
                            field="POS",
                            expected=f"position ≥ {last_pos + 1}",
                            found=str(pos + 1),
                        )
                    )
                last_pos = pos
    except (OSError, ValueError) as exc:
        report.add(
            Problem(
                name,
                f"file is truncated or corrupt: {exc}",
                location=f"record {n_records + 1}",
                expected="a complete record",
                found="unreadable data",
            )
        )
    report.facts["n_records"] = n_records
    report.facts["n_mapped"] = n_mapped
    report.facts["contigs"] = [names[tid] for tid in contig_order if tid < len(names)]


def _tid_name(names: Sequence[str], tid: int) -> str:
    if tid == -1:
        return "unmapped reads"
    return names[tid] if 0 <= tid < len(names) else f"reference {tid}"


def _close(alignments: pysam.AlignmentFile) -> None:
    with contextlib.suppress(OSError):  # closing a file that failed mid-read repeats the read error
        alignments.close()


def _attach_index(report: FileReport, path: Path, name: str, work_dir: Path, *, is_cram: bool) -> None:
    suffixes = (".crai",) if is_cram else (".bai", ".csi")
    for suffix in suffixes:
        for candidate in (path.with_name(path.name + suffix), path.with_suffix(suffix)):
            if candidate.is_file():
                report.index_path = candidate
                return
    index = work_dir / (path.name + suffixes[0])
    work_dir.mkdir(parents=True, exist_ok=True)
    try:
        with quiet_htslib():
            pysam.index(str(path), str(index))
    except SamtoolsError as exc:
        report.add(Problem(name, f"file cannot be indexed: {exc}", location="whole file", field="index"))
        return
    if index.is_file():
        report.index_path = index
