from __future__ import annotations

from pathlib import Path

import pysam
import pytest

from genomdb.errors import Problem
from genomdb.ingest.manifest import FileFormat, Platform, ReadType
from genomdb.ingest.validators import FileExpectation, FileReport, validate_file
from tests.ingest import formats_factory as ff


def expect(
    name: str,
    fmt: FileFormat = FileFormat.BAM,
    *,
    build: str | None = "GRCh38",
    fasta: Path | None = None,
    platform: Platform | None = Platform.ILLUMINA,
    read_type: ReadType | None = ReadType.SHORT,
    samples: tuple[str, ...] = ("S1",),
) -> FileExpectation:
    return FileExpectation("a1", name, fmt, samples, build, fasta, platform, read_type)


def problems_at(report: FileReport, field: str) -> list[Problem]:
    return [p for p in report.problems if p.field == field]


def test_good_bam_passes_and_gets_an_index(tmp_path: Path, work_dir: Path) -> None:
    path = ff.write_alignments(tmp_path / "a.bam", sq=ff.build_sq("GRCh38"))
    report = validate_file(path, expect("lab/a.bam"), work_dir=work_dir)
    assert report.ok, report.problems
    assert report.facts["n_records"] == 205
    assert report.facts["n_mapped"] == 200
    assert report.facts["contigs"] == ["chr1"]
    assert report.facts["read_groups"] == ["rg1"]
    assert report.facts["samples"] == ["S1"]
    assert report.index_path == work_dir / "a.bam.bai"
    assert report.index_path.is_file()
    assert not (tmp_path / "a.bam.bai").exists()


def test_index_beside_the_file_is_used(tmp_path: Path, work_dir: Path) -> None:
    path = ff.write_alignments(tmp_path / "a.bam", sq=ff.build_sq("GRCh37"))
    pysam.index(str(path))
    report = validate_file(path, expect("a.bam", build="GRCh37"), work_dir=work_dir)
    assert report.ok, report.problems
    assert report.index_path == tmp_path / "a.bam.bai"


def test_good_cram_matches_its_reference(tmp_path: Path, work_dir: Path, reference_fasta: Path) -> None:
    path = ff.write_alignments(tmp_path / "a.cram", sq=ff.fasta_sq(reference_fasta), reference_fasta=reference_fasta)
    report = validate_file(
        path, expect("a.cram", FileFormat.CRAM, build=None, fasta=reference_fasta), work_dir=work_dir
    )
    assert report.ok, report.problems
    assert report.facts["n_records"] == 205
    assert report.index_path == work_dir / "a.cram.crai"


def test_cram_with_grch38_header_decodes_without_a_reference(tmp_path: Path, work_dir: Path) -> None:
    path = ff.write_alignments(tmp_path / "a.cram", sq=ff.build_sq("GRCh38"))
    report = validate_file(path, expect("a.cram", FileFormat.CRAM), work_dir=work_dir)
    assert report.ok, report.problems
    assert report.facts["n_mapped"] == 200


@pytest.mark.parametrize(
    ("platform", "pl"), [(Platform.ONT, "ONT"), (Platform.ONT, "oxford_nanopore"), (Platform.PACBIO, "PACBIO")]
)
def test_unaligned_long_read_bam_passes(tmp_path: Path, work_dir: Path, platform: Platform, pl: str) -> None:
    path = ff.write_unaligned_bam(tmp_path / "u.bam", read_groups=[{"ID": "rg1", "SM": "S1", "PL": pl}])
    report = validate_file(
        path, expect("u.bam", build=None, platform=platform, read_type=ReadType.LONG), work_dir=work_dir
    )
    assert report.ok, report.problems
    assert report.facts["is_aligned"] is False
    assert report.facts["n_records"] == 20
    assert report.facts["n_mapped"] == 0
    assert report.index_path is None


def test_cram_against_the_wrong_build(tmp_path: Path, work_dir: Path) -> None:
    path = ff.write_alignments(tmp_path / "a.cram", sq=ff.build_sq("GRCh37"))
    report = validate_file(path, expect("dept/a.cram", FileFormat.CRAM), work_dir=work_dir)
    [problem] = report.problems
    assert (problem.file, problem.location, problem.field) == ("dept/a.cram", "header", "LN")
    assert "looks like GRCh37" in problem.message
    assert problem.found is not None and "249250621" in problem.found
    assert report.index_path is None


def test_single_contig_length_mismatch_names_the_sq_line(tmp_path: Path, work_dir: Path) -> None:
    sq = ff.build_sq("GRCh38")
    sq[18] = ("chr19", 59128983, None)  # GRCh37 length of chromosome 19
    path = ff.write_alignments(tmp_path / "a.bam", sq=sq)
    [problem] = validate_file(path, expect("a.bam"), work_dir=work_dir).problems
    assert (problem.location, problem.field) == ("@SQ chr19", "LN")
    assert (problem.expected, problem.found) == ("58617616", "59128983")


def test_read_group_sample_mismatch(tmp_path: Path, work_dir: Path) -> None:
    read_groups = [{"ID": "rg1", "SM": "S1", "PL": "ILLUMINA"}, {"ID": "rg2", "SM": "S9", "PL": "ILLUMINA"}]
    path = ff.write_alignments(tmp_path / "a.bam", sq=ff.build_sq("GRCh38"), read_groups=read_groups)
    report = validate_file(path, expect("x/a.bam"), work_dir=work_dir)
    [problem] = report.problems
    assert (problem.file, problem.location, problem.field) == ("x/a.bam", "@RG rg2", "SM")
    assert (problem.expected, problem.found) == ("S1", "S9")
    assert report.facts["samples"] == ["S1", "S9"]


def test_missing_read_group_and_wrong_platform(tmp_path: Path, work_dir: Path) -> None:
    path = ff.write_alignments(tmp_path / "a.bam", sq=ff.build_sq("GRCh38"), read_groups=())
    [problem] = validate_file(path, expect("a.bam"), work_dir=work_dir).problems
    assert (problem.location, problem.field, problem.found) == ("header", "@RG SM", "no @RG lines")
    path = ff.write_unaligned_bam(tmp_path / "u.bam", read_groups=[{"ID": "r", "SM": "S1", "PL": "ILLUMINA"}])
    [problem] = validate_file(path, expect("u.bam", build=None, platform=Platform.PACBIO), work_dir=work_dir).problems
    assert (problem.location, problem.field, problem.found) == ("@RG r", "PL", "ILLUMINA")


def test_cram_without_m5_tags(tmp_path: Path, work_dir: Path) -> None:
    sq = ff.build_sq("GRCh38")
    sq[0] = ("chr1", sq[0][1], None)
    sq[21] = ("chr22", sq[21][1], None)
    path = ff.write_alignments(tmp_path / "a.cram", sq=sq)
    report = validate_file(path, expect("a.cram", FileFormat.CRAM), work_dir=work_dir)
    assert [(p.file, p.location, p.field) for p in report.problems] == [
        ("a.cram", "@SQ chr1", "M5"),
        ("a.cram", "@SQ chr22", "M5"),
    ]


def test_many_missing_m5_tags_are_summarised(tmp_path: Path, work_dir: Path) -> None:
    path = ff.write_alignments(tmp_path / "a.cram", sq=ff.build_sq("GRCh38", with_md5=False))
    report = validate_file(path, expect("a.cram", FileFormat.CRAM), work_dir=work_dir)
    assert len(report.problems) == 6
    assert report.problems[-1].message == "20 more @SQ lines without an M5 tag"


def test_cram_m5_differs_from_the_given_reference(tmp_path: Path, work_dir: Path, reference_fasta: Path) -> None:
    other = ff.write_reference_fasta(tmp_path / "other.fa", seed=99)
    path = ff.write_alignments(tmp_path / "a.cram", sq=ff.fasta_sq(other), reference_fasta=other)
    report = validate_file(
        path, expect("a.cram", FileFormat.CRAM, build=None, fasta=reference_fasta), work_dir=work_dir
    )
    assert [(p.location, p.field) for p in report.problems] == [("@SQ chr1", "M5"), ("@SQ chr2", "M5")]
    expected_md5 = {name: md5 for name, _, md5 in ff.fasta_sq(reference_fasta)}["chr1"]
    assert report.problems[0].expected == expected_md5
    assert report.facts["n_records"] == 205  # records still walked, without decoding against the wrong reference


def test_bam_without_eof_marker(tmp_path: Path, work_dir: Path) -> None:
    path = ff.truncate(ff.write_alignments(tmp_path / "a.bam", sq=ff.build_sq("GRCh38")), drop_bytes=28)
    report = validate_file(path, expect("a.bam"), work_dir=work_dir)
    assert [(p.location, p.field) for p in report.problems] == [("end of file", "BGZF EOF block")]
    assert report.index_path is None


def test_bam_truncated_mid_file(tmp_path: Path, work_dir: Path) -> None:
    path = ff.write_alignments(tmp_path / "a.bam", sq=ff.build_sq("GRCh38"), n_reads=20000, span=100000)
    ff.truncate(path, keep=0.5)
    report = validate_file(path, expect("a.bam"), work_dir=work_dir)
    assert report.problems[0].field == "BGZF EOF block"
    problem = report.problems[1]
    assert "truncated or corrupt" in problem.message
    assert problem.location is not None and problem.location.startswith("record ")
    assert 0 < report.facts["n_records"] < 20005


def test_cram_without_eof_container(tmp_path: Path, work_dir: Path) -> None:
    path = ff.truncate(ff.write_alignments(tmp_path / "a.cram", sq=ff.build_sq("GRCh38")), drop_bytes=38)
    report = validate_file(path, expect("a.cram", FileFormat.CRAM), work_dir=work_dir)
    assert [(p.location, p.field) for p in report.problems] == [("end of file", "EOF container")]


def test_declared_format_must_match_the_content(tmp_path: Path, work_dir: Path) -> None:
    cram = ff.write_alignments(tmp_path / "a.cram", sq=ff.build_sq("GRCh38"))
    [problem] = validate_file(cram, expect("a.bam"), work_dir=work_dir).problems
    assert (problem.location, problem.field, problem.found) == ("byte 0", "magic", "a CRAM file")


def test_unsorted_records_despite_coordinate_sort_order(tmp_path: Path, work_dir: Path) -> None:
    header = pysam.AlignmentHeader.from_dict(ff.alignment_header(ff.build_sq("GRCh38"), [{"ID": "r", "SM": "S1"}]))
    path = tmp_path / "a.bam"
    with pysam.AlignmentFile(str(path), "wb", header=header) as out:
        for i, start in enumerate([100, 50, 200]):
            segment = pysam.AlignedSegment(header)
            segment.query_name, segment.query_sequence, segment.flag = f"r{i}", "ACGT", 0
            segment.reference_id, segment.reference_start, segment.cigartuples = 0, start, [(0, 4)]
            out.write(segment)
    report = validate_file(path, expect("a.bam"), work_dir=work_dir)
    [problem] = report.problems
    assert (problem.location, problem.field, problem.found) == ("record 2", "POS", "51")
    assert report.index_path is None
