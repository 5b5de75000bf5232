from __future__ import annotations

import gzip
from pathlib import Path

import pysam
import pytest

from genomdb.ingest.manifest import FileFormat
from genomdb.ingest.validators import MAX_PROBLEMS_PER_FILE, FileExpectation, validate_file
from tests.ingest import formats_factory as ff

N_META = 6  # fileformat, END, GT, DP, GQ + #CHROM in ff.vcf_text without contigs and without the gVCF ALT line


def expect(
    name: str, fmt: FileFormat = FileFormat.VCF, *, samples: tuple[str, ...] = ("S1",), build: str | None = "GRCh38"
) -> FileExpectation:
    return FileExpectation("v1", name, fmt, samples, build)


def first_record_line(n_contigs: int, *, gvcf: bool = False) -> int:
    return N_META + n_contigs + (1 if gvcf else 0) + 1


def test_good_vcf_passes_and_index_goes_to_work_dir(tmp_path: Path, work_dir: Path) -> None:
    path = ff.write_vcf(tmp_path / "x.vcf.gz", ff.many_variants("chr1", 300) + ff.many_variants("chr2", 200))
    before = path.read_bytes()
    report = validate_file(path, expect("lab/x.vcf.gz"), work_dir=work_dir)
    assert report.ok, report.problems
    assert report.facts["n_records"] == 500
    assert report.facts["n_variant_records"] == 500
    assert report.facts["n_reference_blocks"] == 0
    assert report.facts["is_gvcf"] is False
    assert report.facts["contigs"] == ["chr1", "chr2"]
    assert report.facts["samples"] == ["S1"]
    assert report.index_path == work_dir / "x.vcf.gz.tbi"
    assert path.read_bytes() == before
    assert not (tmp_path / "x.vcf.gz.tbi").exists()
    with pysam.VariantFile(str(path), index_filename=str(report.index_path)) as variants:
        assert len(list(variants.fetch("chr2", 10_000, 10_100))) == 2


def test_full_grch38_header_and_index_beside(tmp_path: Path, work_dir: Path) -> None:
    path = ff.write_vcf(tmp_path / "x.vcf.gz", ff.many_variants("chrX", 10), contigs=ff.grch38_vcf_contigs())
    pysam.tabix_index(str(path), preset="vcf")
    report = validate_file(path, expect("x.vcf.gz"), work_dir=work_dir)
    assert report.ok, report.problems
    assert report.index_path == tmp_path / "x.vcf.gz.tbi"


@pytest.mark.parametrize("alt", ["<NON_REF>", "<*>"])
def test_good_gvcf_passes(tmp_path: Path, work_dir: Path, alt: str) -> None:
    lines = [
        ff.reference_block("chr1", 1, 999, alt=alt),
        ff.vcf_line("chr1", 1000, alt=f"G,{alt}", genotypes=("0/1:30:99",)),
        ff.reference_block("chr1", 1001, 5000, alt=alt),
        ff.reference_block("chr2", 1, 100, alt=alt),
    ]
    path = ff.write_vcf(tmp_path / "s.g.vcf.gz", lines, gvcf=True)
    report = validate_file(path, expect("s.g.vcf.gz", FileFormat.GVCF), work_dir=work_dir)
    assert report.ok, report.problems
    assert report.facts["is_gvcf"] is True
    assert (report.facts["n_reference_blocks"], report.facts["n_variant_records"]) == (3, 1)


def test_gvcf_without_reference_blocks(tmp_path: Path, work_dir: Path) -> None:
    path = ff.write_vcf(tmp_path / "s.g.vcf.gz", ff.many_variants("chr1", 20), gvcf=True)
    report = validate_file(path, expect("s.g.vcf.gz", FileFormat.GVCF), work_dir=work_dir)
    [problem] = report.problems
    assert problem.message == "declared gVCF but contains no reference blocks"
    assert (problem.file, problem.location, problem.field) == ("s.g.vcf.gz", "all records", "ALT")
    assert report.index_path is None
    assert not (work_dir / "s.g.vcf.gz.tbi").exists()


def test_vcf_that_is_really_a_gvcf(tmp_path: Path, work_dir: Path) -> None:
    path = ff.write_vcf(tmp_path / "s.vcf.gz", [ff.reference_block("chr1", 1, 100)], gvcf=True)
    [problem] = validate_file(path, expect("s.vcf.gz"), work_dir=work_dir).problems
    assert (problem.field, problem.found) == ("ALT", "1 reference blocks")


def test_truncated_bgzf(tmp_path: Path, work_dir: Path) -> None:
    path = ff.write_vcf(tmp_path / "x.vcf.gz", ff.many_variants("chr1", 30_000))
    ff.truncate(path, keep=0.5)
    report = validate_file(path, expect("dept/x.vcf.gz"), work_dir=work_dir)
    eof, stream = report.problems
    assert (eof.file, eof.location, eof.field) == ("dept/x.vcf.gz", "end of file", "BGZF EOF block")
    assert stream.field == "compressed stream"
    assert stream.location is not None and stream.location.startswith("after line ")
    assert 0 < report.facts["n_records"] < 30_000
    assert report.index_path is None


def _corrupt_deflate(path: Path) -> Path:
    """Flip the bits of 200 bytes inside a deflate block: the inflater raises its own error (not a CRC mismatch),
    which must become the file's problem."""
    data = bytearray(path.read_bytes())
    middle = len(data) // 3  # inside a deflate block: the inflater's own error, not a CRC mismatch
    data[middle : middle + 200] = bytes(b ^ 0x5A for b in data[middle : middle + 200])
    path.write_bytes(bytes(data))
    return path


def test_corrupt_compressed_data(tmp_path: Path, work_dir: Path) -> None:
    path = _corrupt_deflate(ff.write_vcf(tmp_path / "x.vcf.gz", ff.many_variants("chr1", 30_000)))
    report = validate_file(path, expect("dept/x.vcf.gz"), work_dir=work_dir)
    stream = next(p for p in report.problems if p.field == "compressed stream")
    assert stream.file == "dept/x.vcf.gz"
    assert "truncated or corrupt" in stream.message
    assert stream.location is not None and stream.location.startswith("after line ")
    assert 0 < report.facts["n_records"] < 30_000
    assert report.index_path is None


def test_missing_eof_marker_only(tmp_path: Path, work_dir: Path) -> None:
    path = ff.truncate(ff.write_vcf(tmp_path / "x.vcf.gz", ff.many_variants("chr1", 10)), drop_bytes=28)
    report = validate_file(path, expect("x.vcf.gz"), work_dir=work_dir)
    assert [(p.location, p.field) for p in report.problems] == [("end of file", "BGZF EOF block")]
    assert report.facts["n_records"] == 10


def test_sample_names_must_match_the_manifest(tmp_path: Path, work_dir: Path) -> None:
    path = ff.write_vcf(
        tmp_path / "x.vcf.gz", [ff.vcf_line("chr1", 5, genotypes=("0/1:3:9", "0/0:3:9"))], samples=("S1", "S2x")
    )
    [problem] = validate_file(path, expect("x.vcf.gz", samples=("S2", "S1")), work_dir=work_dir).problems
    assert (problem.file, problem.location, problem.field) == ("x.vcf.gz", "#CHROM line", "samples")
    assert (problem.expected, problem.found) == ("S1, S2", "S1, S2x")
    assert "missing S2" in problem.message and "unexpected S2x" in problem.message


def test_sample_order_does_not_matter(tmp_path: Path, work_dir: Path) -> None:
    path = ff.write_vcf(
        tmp_path / "x.vcf.gz", [ff.vcf_line("chr1", 5, genotypes=("0/1:3:9", "0/0:3:9"))], samples=("S2", "S1")
    )
    assert validate_file(path, expect("x.vcf.gz", samples=("S1", "S2")), work_dir=work_dir).ok


def test_position_going_backwards(tmp_path: Path, work_dir: Path) -> None:
    lines = [ff.vcf_line("chr1", 100), ff.vcf_line("chr1", 300), ff.vcf_line("chr1", 200), ff.vcf_line("chr1", 150)]
    report = validate_file(ff.write_vcf(tmp_path / "u.vcf.gz", lines), expect("u.vcf.gz"), work_dir=work_dir)
    [problem] = report.problems
    assert (problem.file, problem.location, problem.field) == ("u.vcf.gz", f"line {first_record_line(2) + 2}", "POS")
    assert (problem.expected, problem.found) == ("≥ 300 on chr1", "200")
    assert report.index_path is None


def test_contig_revisited(tmp_path: Path, work_dir: Path) -> None:
    lines = [ff.vcf_line("chr1", 100), ff.vcf_line("chr2", 50), ff.vcf_line("chr1", 200)]
    [problem] = validate_file(
        ff.write_vcf(tmp_path / "u.vcf.gz", lines), expect("u.vcf.gz"), work_dir=work_dir
    ).problems
    assert (problem.location, problem.field, problem.found) == (
        f"line {first_record_line(2) + 2}",
        "CHROM",
        "chr1 after chr2",
    )


def test_undeclared_contig(tmp_path: Path, work_dir: Path) -> None:
    lines = [ff.vcf_line("chr1", 100), ff.vcf_line("chr7", 50), ff.vcf_line("chr7", 60)]
    report = validate_file(ff.write_vcf(tmp_path / "u.vcf.gz", lines), expect("u.vcf.gz"), work_dir=work_dir)
    [problem] = report.problems
    assert (problem.file, problem.location, problem.field, problem.found) == (
        "u.vcf.gz",
        f"line {first_record_line(2) + 1}",
        "CHROM",
        "chr7",
    )
    assert report.facts["contigs"] == ["chr1", "chr7"]


def test_header_contig_of_the_wrong_build(tmp_path: Path, work_dir: Path) -> None:
    contigs = [("1", 249250621), ("2", 243199373)]
    path = ff.write_vcf(tmp_path / "x.vcf.gz", [ff.vcf_line("1", 100)], contigs=contigs)
    [problem] = validate_file(path, expect("x.vcf.gz"), work_dir=work_dir).problems
    assert (problem.location, problem.field) == ("header", "length")
    assert "looks like GRCh37" in problem.message
    assert validate_file(path, expect("x.vcf.gz", build="GRCh37"), work_dir=work_dir).ok


def test_position_beyond_contig_and_malformed_lines(tmp_path: Path, work_dir: Path) -> None:
    lines = [ff.vcf_line("chrM", 20000), "chrM\t20001\t.\tA", "chrM\tx\t.\tA\tG\t1\tPASS\t.\tGT:DP:GQ\t0/1:1:1"]
    path = ff.write_vcf(tmp_path / "x.vcf.gz", lines, contigs=[("chrM", 16569)])
    report = validate_file(path, expect("x.vcf.gz"), work_dir=work_dir)
    start = first_record_line(1)
    assert [(p.location, p.field) for p in report.problems] == [
        (f"line {start}", "POS"),
        (f"line {start + 1}", "columns"),
        (f"line {start + 2}", "POS"),
    ]


def test_plain_vcf_must_be_bgzipped(tmp_path: Path, work_dir: Path) -> None:
    path = ff.write_vcf(tmp_path / "x.vcf", [*ff.many_variants("chr1", 5), ff.vcf_line("chr9", 1)])
    report = validate_file(path, expect("x.vcf"), work_dir=work_dir)
    assert [(p.location, p.field) for p in report.problems] == [
        ("whole file", "compression"),
        (f"line {first_record_line(2) + 5}", "CHROM"),
    ]
    assert report.facts["n_records"] == 6
    assert report.index_path is None


def test_gzip_that_is_not_bgzf(tmp_path: Path, work_dir: Path) -> None:
    path = tmp_path / "x.vcf.gz"
    path.write_bytes(gzip.compress(ff.vcf_text(ff.many_variants("chr1", 5), contigs=[("chr1", None)]).encode()))
    report = validate_file(path, expect("x.vcf.gz", build=None), work_dir=work_dir)
    [problem] = report.problems
    assert (problem.field, problem.found) == ("compression", "plain gzip")
    assert report.facts["n_records"] == 5


def test_problem_cap(tmp_path: Path, work_dir: Path) -> None:
    lines = [ff.vcf_line(f"chrUn{i:03d}", 10) for i in range(40)]
    report = validate_file(ff.write_vcf(tmp_path / "x.vcf.gz", lines), expect("x.vcf.gz"), work_dir=work_dir)
    assert len(report.problems) == MAX_PROBLEMS_PER_FILE
    assert all(p.field == "CHROM" for p in report.problems)


def test_unparseable_header(tmp_path: Path, work_dir: Path) -> None:
    path = tmp_path / "x.vcf.gz"
    plain = tmp_path / "x.txt"
    plain.write_text("##fileformat=VCFv4.2\nnot a header\n")
    pysam.tabix_compress(str(plain), str(path))
    report = validate_file(path, expect("x.vcf.gz"), work_dir=work_dir)
    assert report.problems[0].location == "header"
