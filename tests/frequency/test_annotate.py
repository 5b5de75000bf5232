"""``freq annotate``: a VCF in, the same VCF with GDB_* INFO fields out, readable by bcftools."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pyarrow.parquet as pq
import pysam
import pytest
from tests.frequency.test_lookup import database  # noqa: F401

from genomdb.errors import InvalidInput
from genomdb.frequency.annotate import annotate_vcf
from genomdb.frequency.lookup import FrequencyDatabase

HEADER = """##fileformat=VCFv4.2
##contig=<ID=19,length=58617616>
##contig=<ID=chr2,length=242193529>
##INFO=<ID=GDB_AC,Number=A,Type=Integer,Description="stale">
#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO
"""


def _input(path: Path, rows: list[dict[str, object]]) -> Path:
    lines = [f"19\t{r['pos']}\t.\t{r['ref']}\t{r['alt']}\t.\tPASS\tGDB_AC=999" for r in rows]
    first = rows[0]
    lines.append(f"19\t{first['pos']}\t.\t{first['ref']}\tACGTACGT,<NON_REF>\t.\tPASS\t.")
    lines.append("chr2\t5000\t.\tA\tG\t.\tPASS\t.")
    lines.sort(key=lambda line: (line.split("\t")[0] != "19", int(line.split("\t")[1])))
    path.write_text(HEADER + "\n".join(lines) + "\n")
    return path


@pytest.mark.parametrize("suffix", [".vcf.gz", ".vcf"])
def test_annotate_round_trip(tmp_path: Path, database: FrequencyDatabase, suffix: str) -> None:  # noqa: F811
    rows = [r for r in pq.read_table(database.release.path / "variants.parquet").to_pylist() if r["chrom"] == "chr19"]
    source = _input(tmp_path / "in.vcf", rows)
    target = tmp_path / f"out{suffix}"
    report = annotate_vcf(database, source, target, tier="controlled")
    assert report.n_records == len(rows) + 2 and report.by_status["observed"] == len(rows)
    assert report.by_status["not_covered"] == 1 and report.by_status["not_looked_up"] == 1
    with pysam.VariantFile(str(target)) as annotated:
        info = annotated.header.info
        assert {"GDB_AC", "GDB_AN", "GDB_AF", "GDB_nhomalt", "GDB_FAF95"} <= set(info)
        assert database.release_id in info["GDB_AF"].description and info["GDB_AC"].number == "A"
        records = list(annotated)
    by_key = {(r.pos, r.alts): r for r in records}
    for row in rows:
        record = by_key[(row["pos"], (row["alt"],))]
        assert record.info["GDB_AC"] == (row["ac_all"],) and record.info["GDB_AN"] == row["an_all"]
        assert record.info["GDB_AF"][0] == pytest.approx(row["af_all"], rel=1e-5)
        assert record.info["GDB_nhomalt"] == (row["nhomalt_all"],)
    multi = by_key[(rows[0]["pos"], ("ACGTACGT", "<NON_REF>"))]
    assert multi.info["GDB_AC"] == (0, None) and multi.info["GDB_AN"] == rows[0]["an_all"]
    uncovered = next(r for r in records if r.chrom == "chr2")
    assert "GDB_AC" not in uncovered.info and "GDB_AN" not in uncovered.info
    if suffix == ".vcf.gz" and shutil.which("bcftools"):
        assert Path(f"{target}.tbi").exists()
        queried = subprocess.run(
            ["bcftools", "query", "-f", "%POS\t%GDB_AC\t%GDB_AN\n", "-r", "19", str(target)],
            check=True,
            capture_output=True,
            text=True,
        ).stdout.splitlines()
        assert len(queried) == len(rows) + 1
        header = subprocess.run(["bcftools", "view", "-h", str(target)], check=True, capture_output=True, text=True)
        assert f"##genomdb_frequency_release=<ID={database.release_id},tier=controlled>" in header.stdout


def test_public_annotation_answers_rare_variants_as_not_observed(tmp_path: Path, database: FrequencyDatabase) -> None:  # noqa: F811
    rows = [r for r in pq.read_table(database.release.path / "variants.parquet").to_pylist() if r["chrom"] == "chr19"]
    rare = [r for r in rows if 0 < r["ac_all"] < 10]
    report = annotate_vcf(database, _input(tmp_path / "in.vcf", rare), tmp_path / "out.vcf")
    # every rare allele, and the absent ACGTACGT allele, are "not observed": the public tier does not reveal them
    assert report.tier == "public" and report.by_status.get("not_observed") == len(rare) + 1
    assert "suppressed" not in report.by_status and "observed" not in report.by_status
    with pysam.VariantFile(str(tmp_path / "out.vcf")) as annotated:
        for record in annotated:
            if record.chrom == "chr2" or len(record.alts or ()) > 1:
                continue
            assert record.info["GDB_AC"] == (0,) and record.info["GDB_AF"] == (0.0,), record
            assert record.info["GDB_nhomalt"] == (0,)


def test_annotate_refuses_bad_paths(tmp_path: Path, database: FrequencyDatabase) -> None:  # noqa: F811
    with pytest.raises(InvalidInput):
        annotate_vcf(database, tmp_path / "missing.vcf", tmp_path / "out.vcf")
    source = tmp_path / "in.vcf"
    source.write_text(HEADER)
    with pytest.raises(InvalidInput):
        annotate_vcf(database, source, source)
