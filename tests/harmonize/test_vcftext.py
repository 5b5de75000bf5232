"""The chunk reader (DuckDB reads the text, bcftools normalises each distinct site once) gives exactly the records
that ``bcftools norm -m-any --check-ref e`` and ``bcftools query`` print file by file, on demo gVCFs with chrX,
hand-made tricky cases, a multi-sample VCF, a BCF and a plain-text VCF; and names each file whose REF does not
match the reference as bcftools does."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import duckdb
import pysam
import pysam.bcftools
import pytest

from genomdb.demo import DemoCohort
from genomdb.harmonize import vcftext
from genomdb.harmonize.genotypes import create_records
from genomdb.harmonize.normalize import OLD_RECORD_TAG, QUERY_EXCLUDE, query_format
from genomdb.harmonize.vcftext import CallText, create_records_from_text, header_line_count
from genomdb.ingest.manifest import FileFormat, parse_manifest
from tests.harmonize.kit import AUTOSOME, WINDOW_START, SmallReference, call, write_calls
from tests.harmonize.test_normalize import _tricky_records

COMPARED = "sample_name, chrom, pos, end_pos, ref, alt, gt, gq, dp, min_dp, ad"


def _connection(reference: Path) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    con.execute(
        "CREATE TEMP TABLE chunk_samples (source VARCHAR, sample_name VARCHAR, sample_id BIGINT, "
        "declared_sex VARCHAR, is_gvcf BOOLEAN, file_index INTEGER)"
    )
    con.execute("CREATE TEMP TABLE contig_order (chrom VARCHAR, rank INTEGER)")
    with Path(f"{reference}.fai").open() as index:
        names = [line.split("\t", 1)[0] for line in index]
    con.executemany("INSERT INTO contig_order VALUES (?, ?)", [(n, i) for i, n in enumerate(names)])
    return con


def _samples_of(path: Path) -> tuple[str, ...]:
    with pysam.VariantFile(str(path)) as vcf:
        return tuple(vcf.header.samples)


def _fill_chunk_samples(con: duckdb.DuckDBPyConnection, sources: list[tuple[Path, tuple[str, ...]]]) -> None:
    con.execute("DELETE FROM chunk_samples")
    rows = [
        (str(source), name, 1000 * i + j, "female", True, i)
        for i, (source, names) in enumerate(sources)
        for j, name in enumerate(names)
    ]
    con.executemany("INSERT INTO chunk_samples VALUES (?, ?, ?, ?, ?, ?)", rows)


def _rows(con: duckdb.DuckDBPyConnection) -> list[tuple[Any, ...]]:
    return con.execute(f"SELECT {COMPARED} FROM records JOIN chunk_samples USING (sample_id) ORDER BY ALL").fetchall()


def _by_bcftools(files: list[Path], reference: Path, work: Path) -> list[tuple[Any, ...]]:
    """The per-file route: bcftools norm + query on every file, loaded by the file-by-file loader."""
    con = _connection(reference)
    tsvs: list[tuple[Path, tuple[str, ...]]] = []
    for i, path in enumerate(files):
        normalized, tsv = work / f"{i}.norm.bcf", work / f"{i}.tsv"
        pysam.bcftools.norm(
            "-m-any", "--check-ref", "e", "--fasta-ref", str(reference), "--old-rec-tag", OLD_RECORD_TAG,
            "--output-type", "u", "--output", str(normalized), str(path), catch_stdout=False,
        )  # fmt: skip
        with pysam.VariantFile(str(path)) as vcf:
            formats = set(vcf.header.formats.keys())
        pysam.bcftools.query(
            "--exclude", QUERY_EXCLUDE, "--format", query_format(formats), "--output", str(tsv), str(normalized),
            catch_stdout=False,
        )  # fmt: skip
        tsvs.append((tsv, _samples_of(path)))
    _fill_chunk_samples(con, tsvs)
    create_records(con, [tsv for tsv, _ in tsvs if tsv.stat().st_size])
    return _rows(con)


def _by_chunk(files: list[Path], reference: Path, work: Path) -> tuple[list[tuple[Any, ...]], list[Any]]:
    con = _connection(reference)
    texts = []
    for i, path in enumerate(files):
        lines, gzipped = header_line_count(path)
        texts.append(CallText(i, path.name, path, gzipped, lines, _samples_of(path)))
    _fill_chunk_samples(con, [(t.path, t.samples) for t in texts])
    problems = create_records_from_text(con, texts, reference, work)
    return _rows(con), problems


def test_demo_gvcfs_read_as_bcftools_prints_them(demo_x: DemoCohort, tmp_path: Path) -> None:
    files: list[Path] = []
    for manifest_path in demo_x.manifest_paths:
        for entry in parse_manifest(manifest_path).files:
            if entry.format in (FileFormat.VCF, FileFormat.GVCF):
                assert entry.path is not None
                files.append(manifest_path.parent / entry.path)
    assert len(files) >= 10
    expected = _by_bcftools(files, demo_x.reference_fasta, tmp_path)
    got, problems = _by_chunk(files, demo_x.reference_fasta, tmp_path)
    assert problems == []
    assert got == expected
    assert len(got) > 10_000
    assert any(row[1] == "chrX" and row[6] in ("0", "1") for row in got), "haploid chrX genotypes are read"


def _multi_sample_lines(reference: SmallReference) -> list[str]:
    """Three samples with different genotypes, a tri-allelic site, a missing genotype and a trailing-field cut."""
    lines = []
    p = WINDOW_START + 5_000
    base = reference.bases(AUTOSOME, p)
    first, second, _ = (b for b in "ACGT" if b != base)
    lines.append(
        "\t".join(
            [AUTOSOME, str(p), ".", base, f"{first},{second}", "50", "PASS", ".", "GT:AD:DP:GQ",
             "1/2:0,10,12:22:40", "0/1:9,8,0:17:35", "./.:.:.:."]
        )
    )  # fmt: skip
    p = WINDOW_START + 6_000
    two = reference.bases(AUTOSOME, p, 2)
    lines.append(
        "\t".join(
            [AUTOSOME, str(p), ".", two, two[0], "50", "PASS", ".", "GT:AD:DP:GQ",
             "0/1:10,9:19:44", "1/1:0,20:20:60", "0/0:25,0:25"]
        )
    )  # fmt: skip
    return lines


@pytest.mark.parametrize("gvcf", [True, False], ids=["gvcf", "vcf"])
def test_tricky_multi_sample_bcf_and_plain_files_read_as_bcftools_prints_them(
    small_reference: SmallReference, tmp_path: Path, gvcf: bool
) -> None:
    contigs = small_reference.contigs
    tricky, _ = _tricky_records(small_reference, gvcf=gvcf)
    single = write_calls(tmp_path / "tricky.vcf.gz", tricky, samples=["T1"], contigs=contigs, gvcf=gvcf)
    multi = write_calls(
        tmp_path / "multi.vcf.gz", _multi_sample_lines(small_reference), samples=["M1", "M2", "M3"],
        contigs=contigs, gvcf=False,
    )  # fmt: skip
    bcf = tmp_path / "tricky.bcf"
    pysam.bcftools.view("--output-type", "b", "--output", str(bcf), str(single), catch_stdout=False)
    text = tmp_path / "tricky-text.vcf"
    pysam.bcftools.view("--output-type", "v", "--output", str(text), str(single), catch_stdout=False)
    text_of_bcf = tmp_path / "from-bcf.vcf"
    pysam.bcftools.view("--output-type", "v", "--output", str(text_of_bcf), str(bcf), catch_stdout=False)
    files = [single, multi, text]
    expected = _by_bcftools([*files, bcf], small_reference.fasta, tmp_path)
    got, problems = _by_chunk([*files, text_of_bcf], small_reference.fasta, tmp_path)
    assert problems == []
    assert [row[1:] for row in got] == [row[1:] for row in expected]
    assert {row[0] for row in got} == {"T1", "M1", "M2", "M3"}
    assert ("M1", AUTOSOME, WINDOW_START + 5_000) in {row[:3] for row in got}
    assert any(row[0] == "M1" and row[6] == "0/1" for row in got), "1/2 becomes 1/0 and 0/1 on the split records"


def test_ref_mismatch_names_each_file_at_its_first_bad_record(small_reference: SmallReference, tmp_path: Path) -> None:
    contigs = small_reference.contigs
    good = write_calls(
        tmp_path / "good.vcf.gz", [call(AUTOSOME, WINDOW_START + 100, small_reference.bases(AUTOSOME,
        WINDOW_START + 100), "T" if small_reference.bases(AUTOSOME, WINDOW_START + 100) != "T" else "A", "0/1")],
        samples=["G1"], contigs=contigs, gvcf=False,
    )  # fmt: skip
    bad_lines = []
    for p in (WINDOW_START + 300, WINDOW_START + 700):
        base = small_reference.bases(AUTOSOME, p)
        wrong = "A" if base != "A" else "C"
        bad_lines.append(call(AUTOSOME, p, wrong, "G" if wrong != "G" else "T", "0/1"))
    bad = write_calls(tmp_path / "bad.vcf.gz", bad_lines, samples=["B1"], contigs=contigs, gvcf=False)
    with pytest.raises(pysam.utils.SamtoolsError) as refused:
        pysam.bcftools.norm("--check-ref", "e", "-f", str(small_reference.fasta), "-o", "/dev/null", str(bad))
    assert f"{AUTOSOME}:{WINDOW_START + 300}" in str(refused.value), "bcftools stops at the same record"

    _, problems = _by_chunk([good, bad], small_reference.fasta, tmp_path)
    assert [(p.file, p.location, p.field) for p in problems] == [
        ("bad.vcf.gz", f"record {AUTOSOME}:{WINDOW_START + 300}", "REF")
    ]
    assert problems[0].expected.startswith(small_reference.bases(AUTOSOME, WINDOW_START + 300))


def test_one_base_refs_are_checked_as_bcftools_checks_them(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """SNVs and reference blocks are checked against the reference in NumPy, not by bcftools: soft-masked and IUPAC
    reference bases, lower-case, ``N`` and non-ACGTN REFs, each in a file of its own, must fail exactly where
    ``bcftools norm --check-ref e`` stops on that file, and pass through to the same records where it does not.
    The reference is read in windows of 5 bases here, so that windows and FASTA lines cut across each other."""
    monkeypatch.setattr(vcftext, "REFERENCE_WINDOW", 5)
    sequence = "ACGTacgtNnRYkmSWBDHVacgt-X" * 3
    fasta = tmp_path / "masked.fa"
    fasta.write_text(">chrM\n" + "\n".join(sequence[i : i + 20] for i in range(0, len(sequence), 20)) + "\n")
    pysam.faidx(str(fasta))
    contigs = [("chrM", len(sequence))]
    files: list[Path] = []
    for pos in range(1, 27):
        for given in sorted({sequence[pos - 1], sequence[pos - 1].upper(), sequence[pos - 1].lower(), "N", "A", "R"}):
            for gvcf in (False, True):
                alt = "<NON_REF>" if gvcf else ("G" if given.upper() != "G" else "T")
                line = "\t".join(["chrM", str(pos), ".", given, alt, "50", "PASS", ".", "GT:AD:DP:GQ", "0/1:5,5:10:40"])
                name = f"p{pos}-{'lower' if given.islower() else given}-{'block' if gvcf else 'snv'}.vcf.gz"
                files.append(write_calls(tmp_path / name, [line], samples=["S"], contigs=contigs, gvcf=gvcf))
    refused: set[str] = set()
    for path in files:
        try:
            pysam.bcftools.norm("--check-ref", "e", "-f", str(fasta), "-o", "/dev/null", str(path))
        except pysam.utils.SamtoolsError:
            refused.add(path.name)
    assert 30 < len(refused) < len(files) - 30, "both outcomes are exercised"

    _, problems = _by_chunk(files, fasta, tmp_path)
    assert {p.file for p in problems} == refused
    passed = [path for path in files if path.name not in refused]
    rows, problems = _by_chunk(passed, fasta, tmp_path)
    assert problems == []
    assert rows == _by_bcftools(passed, fasta, tmp_path)
