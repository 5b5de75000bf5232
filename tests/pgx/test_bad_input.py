"""Every bad input is refused with an error naming file, record or line, field and expectation."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from genomdb.cli.app import app
from genomdb.errors import InvalidInput
from genomdb.pgx.calling import PgxCaller
from genomdb.pgx.definitions import load_pgx_data, packaged_data_dir
from genomdb.pgx.outside_calls import parse_outside_calls
from genomdb.pgx.vcf import read_vcf_evidence
from tests.identities import fake_cpr
from tests.pgx.conftest import HEADER, VcfWriter, person_rows, run_genomdb


def _problem_text(exc: InvalidInput) -> str:
    return str(exc)


def test_grch37_contig_lengths_refused(caller: PgxCaller, write_vcf: VcfWriter) -> None:
    header = HEADER.replace("##contig=<ID=chr1,length=248956422>", "##contig=<ID=chr1,length=249250621>")
    path = write_vcf(person_rows(caller, "TPMT", "*1", "*1"), header=header)
    with pytest.raises(InvalidInput) as err:
        read_vcf_evidence(path, data=caller.data)
    text = _problem_text(err.value)
    assert str(path) in text and "GRCh37" in text and "248956422" in text


def test_grch37_reference_header_refused(caller: PgxCaller, write_vcf: VcfWriter) -> None:
    header = HEADER.replace("##reference=GRCh38", "##reference=file:///refs/hs37d5.fa")
    with pytest.raises(InvalidInput, match="not a GRCh38 VCF"):
        read_vcf_evidence(write_vcf(person_rows(caller, "TPMT", "*1", "*1"), header=header), data=caller.data)


def test_plain_contig_names_refused_in_header_and_records(caller: PgxCaller, write_vcf: VcfWriter) -> None:
    header = HEADER.replace("ID=chr6,", "ID=6,")
    rows = [("6", *row[1:]) for row in person_rows(caller, "TPMT", "*1", "*1")]
    with pytest.raises(InvalidInput) as err:
        read_vcf_evidence(write_vcf(rows, header=header), data=caller.data)
    problem = err.value.problems[0]
    assert (problem.field, problem.expected, problem.found) == ("CHROM", "chr6", "6")
    # no contig lines at all: the first record tells
    bare = '##fileformat=VCFv4.2\n##FORMAT=<ID=GT,Number=1,Type=String,Description="Genotype">\n'
    with pytest.raises(InvalidInput) as err:
        read_vcf_evidence(write_vcf(rows, header=bare, name="bare.vcf"), data=caller.data)
    problem = err.value.problems[0]
    assert problem.location is not None and problem.location.startswith("record 1 (6:")
    assert problem.field == "CHROM"


def test_unnormalised_indel_at_defining_position_refused(caller: PgxCaller, write_vcf: VcfWriter) -> None:
    rows = [("chr2", "233760233", "CATAT", "CATATAT", ".", "GT", "0/1")]
    with pytest.raises(InvalidInput) as err:
        read_vcf_evidence(write_vcf(rows), data=caller.data)
    problem = err.value.problems[0]
    assert problem.location == "record 1 (chr2:233760233)"
    assert problem.field == "REF/ALT"
    assert problem.found == "CATAT>CATATAT"
    assert "bcftools norm" in (problem.expected or "")
    # PharmCAT's own spelling and bcftools' parsimonious spelling of *28 are both accepted and read alike
    pharmcat = [("chr2", "233760233", "CAT", "CATAT,C,CATATAT", ".", "GT", "0/1")]
    bcftools = [("chr2", "233760233", "C", "CAT", ".", "GT", "0/1")]
    for rows, name in ((pharmcat, "p.vcf"), (bcftools, "b.vcf")):
        evidence = read_vcf_evidence(write_vcf(rows, name=name), data=caller.data)
        assert "*28" in caller.call_genes(evidence, top_candidates_only=False)["UGT1A1"].diplotype_names[0]


def test_multi_sample_vcf_needs_a_sample(caller: PgxCaller, write_vcf: VcfWriter) -> None:
    rows = [(*row, row[-1]) for row in person_rows(caller, "TPMT", "*1", "*3A")]
    path = write_vcf(rows, samples=("A", "B"))
    with pytest.raises(InvalidInput) as err:
        read_vcf_evidence(path, data=caller.data)
    assert err.value.problems[0].field == "--sample"
    assert "2 samples" in str(err.value)
    chosen = read_vcf_evidence(path, data=caller.data, sample="B")
    assert caller.call_genes(chosen)["TPMT"].diplotype_names == ["*1/*3A"]
    with pytest.raises(InvalidInput, match="no sample of that name"):
        read_vcf_evidence(path, data=caller.data, sample="C")
    out = run_genomdb("pgx", "call", str(path))
    assert out.returncode == 2
    assert "--sample" in out.stderr


def test_cpr_like_sample_name_never_echoed(caller: PgxCaller, write_vcf: VcfWriter) -> None:
    path = write_vcf(person_rows(caller, "TPMT", "*1", "*1"), samples=(fake_cpr(1, 1, 90, 1234, dash=True),))
    evidence = read_vcf_evidence(path, data=caller.data)
    assert "010190" not in evidence.sample_label
    out = CliRunner().invoke(app, ["pgx", "call", str(path), "--json"])
    assert out.exit_code == 0 and "010190" not in out.output


@pytest.mark.parametrize(
    ("content", "line", "field"),
    [
        ("CYP2D6\t*1/*3\textra\t1.0\tfifth\n", "line 1", None),
        ("# comment\nCYP2D6\t\t\tone\n", "line 2", "activity score"),
        ("CYP2D6\tCYP2D6*3/CYP2D6*4\n", "line 1", "diplotype"),
        ("CYP2D6\t*1/*2/*3\n", "line 1", "diplotype"),
        ("CYP2D6\n", "line 1", "diplotype/phenotype/activity score"),
        ("CYP2D6\t*1/*3\nCYP2D6\t*1/*4\n", "line 2", "gene"),
    ],
)
def test_malformed_outside_call_file(
    tmp_path: Path, caller: PgxCaller, content: str, line: str, field: str | None
) -> None:
    path = tmp_path / "outside.tsv"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(InvalidInput) as err:
        parse_outside_calls(path, known_genes=caller.known_genes)
    problem = err.value.problems[0]
    assert problem.file == str(path)
    assert problem.location == line
    if field is not None:
        assert problem.field == field


def test_unknown_gene_in_outside_call_file(tmp_path: Path, caller: PgxCaller, write_vcf: VcfWriter) -> None:
    path = tmp_path / "outside.tsv"
    path.write_text("CYP2D6\t*1/*3\nCYP9Z9\t*1/*1\n", encoding="utf-8")
    with pytest.raises(InvalidInput) as err:
        parse_outside_calls(path, known_genes=caller.known_genes)
    problem = err.value.problems[0]
    assert (problem.location, problem.field, problem.found) == ("line 2", "gene", "CYP9Z9")
    vcf = write_vcf(person_rows(caller, "TPMT", "*1", "*1"))
    out = run_genomdb("pgx", "call", str(vcf), "--outside-calls", str(path))
    assert out.returncode == 2
    assert "unknown gene" in out.stderr and "line 2" in out.stderr


def _copy_data(tmp_path: Path) -> Path:
    target = tmp_path / "pgx-data"
    shutil.copytree(packaged_data_dir(), target)
    return target


def test_definition_file_of_unknown_schema(tmp_path: Path) -> None:
    data = _copy_data(tmp_path)
    path = data / "definition" / "alleles" / "TPMT_translation.json"
    raw = json.loads(path.read_text())
    raw["formatVersion"] = 7
    path.write_text(json.dumps(raw))
    with pytest.raises(InvalidInput) as err:
        load_pgx_data(data)
    problem = err.value.problems[0]
    assert problem.file == str(path)
    assert (problem.field, problem.expected, problem.found) == ("formatVersion", "2", "7")
    del raw["formatVersion"]
    path.write_text(json.dumps(raw))
    with pytest.raises(InvalidInput, match="unknown allele-definition schema"):
        load_pgx_data(data)


def test_malformed_definition_and_manifest(tmp_path: Path) -> None:
    data = _copy_data(tmp_path)
    path = data / "definition" / "alleles" / "CYP3A5_translation.json"
    raw = json.loads(path.read_text())
    raw["namedAlleles"][1]["alleles"] = raw["namedAlleles"][1]["alleles"][:-1]
    path.write_text(json.dumps(raw))
    with pytest.raises(InvalidInput) as err:
        load_pgx_data(data)
    assert err.value.problems[0].field == "namedAlleles.1.alleles"
    shutil.rmtree(data)
    data = _copy_data(tmp_path)
    manifest = data / "manifest.json"
    raw = json.loads(manifest.read_text())
    raw["schema_version"] = 2
    manifest.write_text(json.dumps(raw))
    with pytest.raises(InvalidInput) as err:
        load_pgx_data(data)
    assert err.value.problems[0].field == "schema_version"
    (data / "phenotype" / "TPMT.json").write_text("{not json")
    raw["schema_version"] = 1
    manifest.write_text(json.dumps(raw))
    with pytest.raises(InvalidInput, match="not valid JSON"):
        load_pgx_data(data)


def test_newer_data_directory_from_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caller: PgxCaller, write_vcf: VcfWriter
) -> None:
    data = _copy_data(tmp_path)
    manifest = data / "manifest.json"
    raw = json.loads(manifest.read_text())
    raw["data_version"] = "test-newer-1"
    manifest.write_text(json.dumps(raw))
    monkeypatch.setenv("GENOMDB_PGX_DATA", str(data))
    vcf = write_vcf(person_rows(caller, "TPMT", "*1", "*1"))
    out = CliRunner().invoke(app, ["pgx", "call", str(vcf), "--json"])
    assert out.exit_code == 0, out.output
    report = json.loads(out.stdout)
    assert report["data_version"] == "test-newer-1"
    assert all(r["data_version"] == "test-newer-1" for r in report["recommendations"])
    from genomdb.config import Settings

    assert Settings().pgx_data == data
