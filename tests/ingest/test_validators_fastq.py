from __future__ import annotations

import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from genomdb.errors import Problem
from genomdb.ingest.manifest import FileFormat, Platform, ReadType
from genomdb.ingest.validators import FileExpectation, FileReport, check_mates, validate_file
from genomdb.ingest.validators.fastq import validate_fastq
from tests.ingest import formats_factory as ff


def expect(
    name: str, *, platform: Platform = Platform.ILLUMINA, read_type: ReadType | None = ReadType.SHORT
) -> FileExpectation:
    return FileExpectation("f1", name, FileFormat.FASTQ, ("S1",), platform=platform, read_type=read_type)


def only(report: FileReport) -> Problem:
    assert len(report.problems) == 1, report.problems
    return report.problems[0]


def test_good_gzip_fastq_passes_with_facts(tmp_path: Path, work_dir: Path) -> None:
    path = ff.write_fastq(tmp_path / "r1.fastq.gz", ff.fastq_records(500, (90, 150)))
    report = validate_file(path, expect("lab/r1.fastq.gz"), work_dir=work_dir)
    assert report.ok, report.problems
    assert report.facts["n_reads"] == 500
    assert report.facts["quality_encoding"] == "phred+33"
    assert 90 <= report.facts["min_read_length"] <= report.facts["max_read_length"] <= 150
    assert report.facts["n_bases"] == pytest.approx(500 * report.facts["mean_read_length"], abs=50)


def test_good_plain_fastq_with_crlf_and_trailing_blank_line_passes(tmp_path: Path) -> None:
    text = ff.fastq_text(ff.fastq_records(3)).replace(b"\n", b"\r\n") + b"\r\n"
    report = validate_fastq(ff.write_fastq(tmp_path / "r.fastq", text), expect("r.fastq"))
    assert report.ok, report.problems
    assert report.facts["n_reads"] == 3


@pytest.mark.parametrize("platform", [Platform.ONT, Platform.PACBIO])
def test_long_reads_pass_without_length_complaint(tmp_path: Path, platform: Platform) -> None:
    records = ff.fastq_records(20, (5_000, 40_000), max_quality=60)
    path = ff.write_fastq(tmp_path / "long.fastq.gz", records)
    report = validate_fastq(path, expect("long.fastq.gz", platform=platform, read_type=ReadType.LONG))
    assert report.ok, report.problems
    assert report.facts["max_read_length"] > 5_000


def test_long_read_in_short_read_run_is_a_problem(tmp_path: Path) -> None:
    records = [*ff.fastq_records(3, 100), *ff.fastq_records(1, 5000, prefix="long")]
    report = validate_fastq(ff.write_fastq(tmp_path / "r.fastq", records), expect("r.fastq"))
    problem = only(report)
    assert (problem.file, problem.location, problem.field) == ("r.fastq", "line 14 (record 4)", "sequence")


def test_truncated_gzip_is_reported(tmp_path: Path) -> None:
    path = ff.truncate(ff.write_fastq(tmp_path / "r1.fastq.gz", ff.fastq_records(2000)), keep=0.6)
    report = validate_fastq(path, expect("run7/r1.fastq.gz"))
    problem = report.problems[0]
    assert problem.file == "run7/r1.fastq.gz"
    assert "truncated gzip" in problem.message
    assert problem.location is not None and problem.location.startswith("after record")
    assert problem.field == "gzip stream"


def test_corrupt_gzip_data_is_reported(tmp_path: Path) -> None:
    path = ff.write_fastq(tmp_path / "r1.fastq.gz", ff.fastq_records(2000))
    data = bytearray(path.read_bytes())
    middle = len(data) // 4  # breaks a deflate block: the inflater's own error, not a CRC mismatch
    data[middle : middle + 200] = bytes(b ^ 0x5A for b in data[middle : middle + 200])
    path.write_bytes(bytes(data))
    report = validate_fastq(path, expect("run7/r1.fastq.gz"))
    problem = report.problems[0]
    assert problem.file == "run7/r1.fastq.gz"
    assert problem.message.startswith("corrupt gzip data")
    assert problem.location is not None and problem.location.startswith("after record")
    assert problem.field == "gzip stream"


def test_phred64_is_reported(tmp_path: Path) -> None:
    path = ff.write_fastq(tmp_path / "old.fastq.gz", ff.fastq_records(200, phred_offset=64))
    report = validate_fastq(path, expect("old.fastq.gz"))
    problem = only(report)
    assert (problem.file, problem.location, problem.field) == ("old.fastq.gz", "all records", "quality")
    assert "Phred+64" in problem.message
    assert report.facts["quality_encoding"] == "phred+64"


def test_quality_length_mismatch_names_the_line(tmp_path: Path) -> None:
    records = ff.fastq_records(5)
    name, seq, qual = records[2]
    records[2] = (name, seq, qual[:-1])
    report = validate_fastq(ff.write_fastq(tmp_path / "r.fastq", records), expect("r.fastq"))
    problem = only(report)
    assert (problem.location, problem.field) == ("line 12 (record 3)", "quality")
    assert (problem.expected, problem.found) == ("100 characters", "99 characters")


def test_missing_separator_stops_at_the_record(tmp_path: Path) -> None:
    text = ff.fastq_text(ff.fastq_records(4)).replace(b"\n+\n", b"\n-\n", 2)
    report = validate_fastq(ff.write_fastq(tmp_path / "r.fastq", text), expect("r.fastq"))
    problem = only(report)
    assert (problem.location, problem.field, problem.found) == ("line 3 (record 1)", "separator", "-")


def test_bad_header_and_bad_bases(tmp_path: Path) -> None:
    report = validate_fastq(ff.write_fastq(tmp_path / "a.fastq", b"read1\nACGT\n+\nIIII\n"), expect("a.fastq"))
    assert (only(report).location, only(report).field) == ("line 1 (record 1)", "header")
    report = validate_fastq(ff.write_fastq(tmp_path / "b.fastq", b"@r1\nAC-T\n+\nIIII\n"), expect("b.fastq"))
    assert (only(report).location, only(report).field, only(report).found) == ("line 2 (record 1)", "sequence", "-")


def test_incomplete_last_record_is_reported(tmp_path: Path) -> None:
    text = ff.fastq_text(ff.fastq_records(3)) + b"@r4\nACGT\n"
    report = validate_fastq(ff.write_fastq(tmp_path / "r.fastq", text), expect("r.fastq"))
    problem = only(report)
    assert (problem.location, problem.field) == ("line 15 (record 4)", "separator")


def test_empty_and_mislabelled_files(tmp_path: Path) -> None:
    report = validate_fastq(ff.write_fastq(tmp_path / "e.fastq.gz", b""), expect("e.fastq.gz"))
    assert only(report).message == "file contains no reads"
    path = tmp_path / "p.fastq.gz"
    path.write_bytes(ff.fastq_text(ff.fastq_records(2)))
    report = validate_fastq(path, expect("p.fastq.gz"))
    assert (only(report).field, only(report).found) == ("compression", "uncompressed")
    assert report.facts["n_reads"] == 2


def test_mates_with_different_read_counts(tmp_path: Path) -> None:
    r1 = validate_fastq(ff.write_fastq(tmp_path / "r1.fq.gz", ff.fastq_records(100)), expect("s/r1.fq.gz"))
    r2 = validate_fastq(ff.write_fastq(tmp_path / "r2.fq.gz", ff.fastq_records(97, seed=2)), expect("s/r2.fq.gz"))
    assert r1.ok and r2.ok
    problems = check_mates(r1, r2, name_a="s/r1.fq.gz", name_b="s/r2.fq.gz")
    assert len(problems) == 1
    problem = problems[0]
    assert (problem.file, problem.location, problem.field) == ("s/r2.fq.gz", "record 98", "n_reads")
    assert (problem.expected, problem.found) == ("100 reads (as in s/r1.fq.gz)", "97 reads")
    assert check_mates(r1, r1, name_a="a", name_b="b") == []


def test_problem_cap_stops_reading(tmp_path: Path) -> None:
    records = [(name, seq, qual[:-1]) for name, seq, qual in ff.fastq_records(60)]
    report = validate_fastq(ff.write_fastq(tmp_path / "r.fastq", records), expect("r.fastq"))
    assert len(report.problems) == 25


record_names = st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789:_-./", min_size=1, max_size=20)
bases = st.text(alphabet="ACGTN", min_size=0, max_size=80)


@st.composite
def fastq_files(draw: st.DrawFn) -> tuple[bytes, int]:
    records = []
    for name, seq in draw(st.lists(st.tuples(record_names, bases), min_size=1, max_size=12)):
        quality = draw(st.text(alphabet=[chr(c) for c in range(33, 75)], min_size=len(seq), max_size=len(seq)))
        records.append((name, seq, quality))
    return ff.fastq_text(records), len(records)


def _validate_bytes(data: bytes) -> FileReport:
    with tempfile.TemporaryDirectory() as folder:
        return validate_fastq(ff.write_fastq(Path(folder) / "p.fastq.gz", data), expect("p.fastq.gz"))


@settings(max_examples=60, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
@given(fastq_files())
def test_valid_random_fastq_always_passes(case: tuple[bytes, int]) -> None:
    data, n_records = case
    report = _validate_bytes(data)
    assert report.ok, report.problems
    assert report.facts["n_reads"] == n_records


@settings(max_examples=80, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
@given(fastq_files(), st.data())
def test_structural_corruption_is_caught_or_harmless(case: tuple[bytes, int], data: st.DataObject) -> None:
    text, n_records = case
    structural = [i for i, byte in enumerate(text) if byte in b"@+\n" and (i == 0 or text[i - 1] == ord("\n"))]
    structural += [i for i, byte in enumerate(text) if byte == ord("\n")]
    where = data.draw(st.sampled_from(sorted(set(structural))))
    replacement = data.draw(
        st.sampled_from([b"X", b"@", b"+", b"\n", b" ", b"\r", b"\t"]).filter(lambda r: r[0] != text[where])
    )
    report = _validate_bytes(text[:where] + replacement + text[where + 1 :])
    assert not report.ok or report.facts["n_reads"] == n_records
