"""Concordance with PharmCAT: its static test VCFs and example VCFs give the same diplotypes (needs ../shared)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from genomdb.pgx.calling import PgxCaller
from genomdb.pgx.vcf import read_vcf_evidence
from tests.pgx.oracles import PHARMCAT, example_cases, static_rows, static_vcf_cases


def test_static_test_vcfs_give_pharmcats_diplotypes(shared_dir: Path, caller: PgxCaller) -> None:
    """Every (VCF → diplotypes) pair PharmCAT's Java tests assert with default arguments.

    Those tests run the matcher with ``topCandidateOnly=false`` (every plausible diplotype, best first), so we do too.
    """
    cases = static_vcf_cases(shared_dir, caller)
    assert len(cases) >= 25
    assert [c for c in cases if not c.agrees] == []


def test_example_vcfs_give_pharmcats_diplotypes(shared_dir: Path, caller: PgxCaller) -> None:
    cases = example_cases(shared_dir, caller)
    assert len(cases) == 38
    assert [c for c in cases if not c.agrees] == []


def test_top_candidate_only_row(shared_dir: Path, caller: PgxCaller) -> None:
    """The one non-default row whose flag we implement: ``ugt1a1s28s80unphasedTopCandidateOnly``."""
    row = next(r for r in static_rows(shared_dir) if r["test_method"] == "ugt1a1s28s80unphasedTopCandidateOnly")
    vcf = shared_dir / PHARMCAT / "src" / "test" / "resources" / row["vcf_resource"]
    evidence = read_vcf_evidence(vcf, data=caller.data)
    got = caller.call_genes(evidence, top_candidates_only=True)["UGT1A1"].diplotype_names
    assert got == row["expected_diplotypes(| = any of)"].split("|") == ["*1/*80+*28"]


@pytest.mark.parametrize("example", ["pharmcat.example", "pharmcat.example2"])
def test_example_vcfs_match_pharmcat_match_json_and_report(shared_dir: Path, caller: PgxCaller, example: str) -> None:
    examples = shared_dir / PHARMCAT / "docs" / "examples"
    result = caller.call_person(read_vcf_evidence(examples / f"{example}.vcf", data=caller.data))
    match = json.loads((examples / f"{example}.match.json").read_text())
    assert len(match["results"]) == 19
    for gene_call in match["results"]:
        ours = result.gene(gene_call["gene"])
        assert list(ours.diplotypes) == [d["name"] for d in gene_call["diplotypes"]], gene_call["gene"]
        assert list(ours.missing_positions) == [p["position"] for p in gene_call["matchData"]["missingPositions"]]
    report = [line.rstrip("\n").split("\t") for line in (examples / f"{example}.report.tsv").open(encoding="utf-8")]
    header = report[1]
    compared = 0
    for row in report[2:]:
        fields = dict(zip(header, row, strict=False))
        gene = fields["Gene"]
        if fields["Outside Call"] == "yes":
            continue
        ours = result.gene(gene)
        if gene in ("G6PD", "RYR1"):
            # PharmCAT's G6PD.json and RYR1.json phenotype tables are not in the shipped data (NOTICE.md)
            assert ours.phenotype is None
            assert ours.phenotype_detail.note == f"no {gene} phenotype table in this data version"
            continue
        assert (ours.phenotype or "") == fields["Phenotype"].strip(), gene
        assert (ours.activity_score or "") == fields["Activity Score"], gene
        compared += 1
    assert compared >= 16


def test_example_outside_call_file(shared_dir: Path, caller: PgxCaller) -> None:
    """PharmCAT's example outside calls: CYP2D6 *1/*3 → activity 1.0, Intermediate Metabolizer (as its report)."""
    from genomdb.pgx.outside_calls import parse_outside_calls

    examples = shared_dir / PHARMCAT / "docs" / "examples"
    outside = parse_outside_calls(examples / "pharmcat.example.outsideCall.tsv", known_genes=caller.known_genes)
    result = caller.call_person(
        read_vcf_evidence(examples / "pharmcat.example.vcf", data=caller.data), outside_calls=outside
    )
    cyp2d6 = result.gene("CYP2D6")
    assert cyp2d6.source == "outside call"
    assert cyp2d6.diplotypes == ("*1/*3",)
    assert (cyp2d6.phenotype, cyp2d6.activity_score) == ("Intermediate Metabolizer", "1.0")
    assert result.gene("HLA-B").diplotypes == ("*15:02/*57:01",)


@pytest.mark.parametrize("example", ["pharmcat.example", "pharmcat.example2"])
def test_match_json_output_is_comparable_with_pharmcat(shared_dir: Path, tmp_path: Path, example: str) -> None:
    """Diplotype names, scores (incl. PharmCAT's wobble and ignored-position scoring) and phase flags agree."""
    from tests.pgx.conftest import run_genomdb

    examples = shared_dir / PHARMCAT / "docs" / "examples"
    out = tmp_path / f"{example}.match.json"
    result = run_genomdb("pgx", "call", str(examples / f"{example}.vcf"), "--match-json", str(out), "--json")
    assert result.returncode == 0, result.stderr
    ours = {g["gene"]: g for g in json.loads(out.read_text())["results"]}
    theirs = json.loads((examples / f"{example}.match.json").read_text())["results"]
    assert set(ours) == {g["gene"] for g in theirs}
    for gene in theirs:
        mine = ours[gene["gene"]]
        assert [d["name"] for d in mine["diplotypes"]] == [d["name"] for d in gene["diplotypes"]]
        assert [d["score"] for d in mine["diplotypes"]] == [d["score"] for d in gene["diplotypes"]]
        assert mine["phased"] == gene["phased"]
        assert mine["matchData"]["effectivelyPhased"] == gene["matchData"]["effectivelyPhased"]
