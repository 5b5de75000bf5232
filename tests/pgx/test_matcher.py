"""Matcher semantics on generated persons: phase, missing positions, callable blocks, exceptions by gene."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from genomdb.cli.app import app
from genomdb.pgx.calling import PgxCaller
from genomdb.pgx.evidence import EvidenceSource, EvidenceState
from genomdb.pgx.vcf import read_vcf_evidence
from tests.pgx.conftest import VcfWriter, person_rows

UGT1A1_80 = 233759924
UGT1A1_TA = 233760233


def _ugt1a1(caller: PgxCaller, write_vcf: VcfWriter, gt80: str, gt28: str, fmt: str = "GT") -> list[str]:
    rows = [
        ("chr2", str(UGT1A1_80), "C", "T", ".", fmt, gt80),
        ("chr2", str(UGT1A1_TA), "CAT", "CATAT", ".", fmt, gt28),
        ("chr2", "233760498", "G", ".", ".", "GT", "0/0"),
        ("chr2", "233760973", "C", ".", ".", "GT", "0/0"),
    ]
    evidence = read_vcf_evidence(write_vcf(rows), data=caller.data)
    return caller.call_genes(evidence)["UGT1A1"].diplotype_names


def test_phased_cis_and_trans_give_different_diplotypes(caller: PgxCaller, write_vcf: VcfWriter) -> None:
    """*80 and *28 on one strand is *1/*80+*28; on opposite strands *28/*80 (PharmCAT's s28s80phased semantics)."""
    assert _ugt1a1(caller, write_vcf, "0|1", "0|1") == ["*1/*80+*28"]
    assert _ugt1a1(caller, write_vcf, "0|1", "1|0") == ["*28/*80"]
    # long-read style: the same phase set keeps the arrangement ...
    assert _ugt1a1(caller, write_vcf, "0|1:7", "1|0:7", fmt="GT:PS") == ["*28/*80"]
    # ... two phase sets are not phased to each other, so the answer is the unphased top score
    assert _ugt1a1(caller, write_vcf, "0|1:7", "1|0:9", fmt="GT:PS") == ["*1/*80+*28"]
    assert _ugt1a1(caller, write_vcf, "0/1", "0/1") == ["*1/*80+*28"]


def test_unphased_reports_every_plausible_diplotype_best_first(caller: PgxCaller, write_vcf: VcfWriter) -> None:
    rows = person_rows(caller, "TPMT", "*3B", "*3C")
    evidence = read_vcf_evidence(write_vcf(rows), data=caller.data)
    assert caller.call_genes(evidence)["TPMT"].diplotype_names == ["*1/*3A"]
    every = caller.call_genes(evidence, top_candidates_only=False)["TPMT"]
    assert every.diplotype_names == ["*1/*3A", "*3B/*3C"]
    first, second = (d.score for d in every.diplotypes)
    assert first > second
    phased = read_vcf_evidence(write_vcf(person_rows(caller, "TPMT", "*3B", "*3C", phased=True)), data=caller.data)
    assert caller.call_genes(phased)["TPMT"].diplotype_names == ["*3B/*3C"]


def test_missing_positions_lower_the_score_and_are_never_reference(caller: PgxCaller, write_vcf: VcfWriter) -> None:
    full = read_vcf_evidence(write_vcf(person_rows(caller, "CYP2C19", "*2", "*38")), data=caller.data)
    full_call = caller.call_genes(full)["CYP2C19"]
    assert full_call.diplotype_names == ["*2/*38"]
    assert full_call.missing_positions == ()
    sparse_rows = person_rows(caller, "CYP2C19", "*2", "*38", only_variant_positions=True)
    sparse = caller.call_genes(read_vcf_evidence(write_vcf(sparse_rows, name="sparse.vcf"), data=caller.data))
    call = sparse["CYP2C19"]
    assert len(call.missing_positions) == 35 - len(sparse_rows)
    assert call.diplotypes[0].score < full_call.diplotypes[0].score
    assert call.diplotype_names == ["*2/*38"]
    # one record that is homozygous reference: nothing else is read as reference, so *1 and *38 stay possible
    only_ref = [row for row in person_rows(caller, "CYP2C19", "*38", "*38") if row[1] == "94761900"]
    lone = caller.call_genes(read_vcf_evidence(write_vcf(only_ref, name="lone.vcf"), data=caller.data))["CYP2C19"]
    assert {"*1/*1", "*1/*38", "*38/*38"} <= set(lone.diplotype_names)
    assert {d.score for d in lone.diplotypes} == {2}


def _gvcf_rows(caller: PgxCaller, *, gq: int) -> list[tuple[str, ...]]:
    """A gVCF without any variant in CYP2C19: TPMT *1/*3A as records, reference blocks over all of CYP2C19."""
    rows: list[tuple[str, ...]] = [("chr10", "94700000", "N", "<NON_REF>", "END=94900000", "GT:GQ:DP", f"0/0:{gq}:30")]
    rows += person_rows(caller, "TPMT", "*1", "*3A", only_variant_positions=True)
    return rows


def test_callable_blocks_make_reference_with_evidence(caller: PgxCaller, write_vcf: VcfWriter) -> None:
    """PharmCAT sees no CYP2C19 record in this gVCF and cannot call it; the callable block says *38/*38."""
    evidence = read_vcf_evidence(write_vcf(_gvcf_rows(caller, gq=40), name="p.g.vcf"), data=caller.data)
    assert evidence.n_from_blocks() == 35
    assert all(
        ev.state is EvidenceState.REFERENCE for ev in evidence.positions.values() if ev.source is EvidenceSource.BLOCK
    )
    comparison = caller.call_person_both(evidence)
    alone = comparison.from_records_alone.gene("CYP2C19")
    with_blocks = comparison.with_callable_blocks.gene("CYP2C19")
    assert alone.diplotypes == ()
    assert alone.phenotype == "not called"
    assert len(alone.missing_positions) == 35
    assert with_blocks.diplotypes == ("*38/*38",)
    assert with_blocks.phenotype == "Normal Metabolizer"
    assert with_blocks.missing_positions == ()
    assert [d.gene for d in comparison.differences] == ["CYP2C19"]
    difference = comparison.differences[0]
    assert (difference.from_records_alone, difference.with_callable_blocks) == ((), ("*38/*38",))
    # the genes with explicit records are the same either way
    assert comparison.from_records_alone.gene("TPMT").diplotypes == ("*1/*3A",)
    assert comparison.with_callable_blocks.gene("TPMT").diplotypes == ("*1/*3A",)


def test_low_quality_blocks_are_not_evidence(caller: PgxCaller, write_vcf: VcfWriter) -> None:
    evidence = read_vcf_evidence(write_vcf(_gvcf_rows(caller, gq=5), name="low.g.vcf"), data=caller.data)
    assert evidence.n_from_blocks() == 0
    assert caller.call_person_both(evidence).differences == ()


def test_cli_json_shows_both_calls(caller: PgxCaller, write_vcf: VcfWriter) -> None:
    path = write_vcf(_gvcf_rows(caller, gq=40), name="cli.g.vcf")
    out = CliRunner().invoke(app, ["pgx", "call", str(path), "--json"])
    assert out.exit_code == 0, out.output
    report = json.loads(out.stdout)
    assert report["schema_version"] == 1
    assert report["data_version"] == caller.data.data_version
    gene = next(g for g in report["genes"] if g["gene"] == "CYP2C19")
    assert gene["diplotypes"] == ["*38/*38"]
    assert gene["phenotype"] == "Normal Metabolizer"
    assert {"gene", "diplotypes", "phenotype", "activity_score", "missing_positions"} <= set(gene)
    diff = next(d for d in report["differences_from_callable_blocks"] if d["gene"] == "CYP2C19")
    assert (diff["from_records_alone"], diff["with_callable_blocks"]) == ([], ["*38/*38"])
    clopidogrel = next(r for r in report["recommendations"] if r["drug"] == "clopidogrel")
    assert clopidogrel["status"] == "recommendation"
    assert clopidogrel["guideline"].startswith("https://cpicpgx.org/guidelines/")
    assert clopidogrel["data_version"] == caller.data.data_version
    human = CliRunner().invoke(app, ["pgx", "call", str(path)])
    assert "from the VCF alone" in human.output and "with callable blocks" in human.output


def _with_unknown_alt(
    caller: PgxCaller, gene: str, rows: list[tuple[str, ...]], position: int
) -> list[tuple[str, ...]]:
    model = caller.models[gene]
    unknown = sorted(set("ACGT") - model.known_alleles[model.index_of[position]])[0]
    out: list[tuple[str, ...]] = []
    for chrom, pos, ref, alt, info, fmt, value in rows:
        if pos == str(position):
            alt, value = unknown, "0/1"
        out.append((chrom, pos, ref, alt, info, fmt, value))
    return out


def test_undocumented_alt_not_called_except_toxicity_genes(caller: PgxCaller, write_vcf: VcfWriter) -> None:
    rows = _with_unknown_alt(caller, "CYP2C19", person_rows(caller, "CYP2C19", "*38", "*38"), 94761900)
    call = caller.call_genes(read_vcf_evidence(write_vcf(rows), data=caller.data))["CYP2C19"]
    assert call.diplotypes == ()
    assert call.positions_with_undocumented_variations == (94761900,)
    assert any("undocumented" in w for w in call.warnings)
    tpmt = _with_unknown_alt(caller, "TPMT", person_rows(caller, "TPMT", "*1", "*3B"), 18130687)
    call = caller.call_genes(read_vcf_evidence(write_vcf(tpmt, name="t.vcf"), data=caller.data))["TPMT"]
    assert call.diplotype_names == ["*1/*3B"]
    assert call.positions_with_undocumented_variations == (18130687,)
    assert call.treat_undocumented_as_reference


def test_partial_genotype_is_missing(caller: PgxCaller, write_vcf: VcfWriter) -> None:
    rows = person_rows(caller, "CYP2C19", "*17", "*38")
    rows = [
        (c, p, r, "T" if p == "94761900" else a, i, f, "./1" if p == "94761900" else v) for c, p, r, a, i, f, v in rows
    ]
    call = caller.call_genes(read_vcf_evidence(write_vcf(rows), data=caller.data))["CYP2C19"]
    assert 94761900 in call.missing_positions


def test_g6pd_hemizygous_for_xy(caller: PgxCaller, write_vcf: VcfWriter) -> None:
    haploid = [
        (*row[:-1], row[-1].split("/")[0]) for row in person_rows(caller, "G6PD", "A- 202A_376G", "A- 202A_376G")
    ]
    call = caller.call_genes(read_vcf_evidence(write_vcf(haploid), data=caller.data))["G6PD"]
    assert call.haploid
    assert call.diplotype_names == ["A- 202A_376G"]
    diploid = person_rows(caller, "G6PD", "A- 202A_376G", "A- 202A_376G")
    as_xy = read_vcf_evidence(write_vcf(diploid, name="d.vcf"), data=caller.data, sex="XY")
    assert caller.call_genes(as_xy)["G6PD"].diplotype_names == ["A- 202A_376G"]
    het = person_rows(caller, "G6PD", "A- 202A_376G", "B (reference)")
    het_xy = read_vcf_evidence(write_vcf(het, name="h.vcf"), data=caller.data, sex="XY")
    assert len(caller.call_genes(het_xy)["G6PD"].missing_positions) == 2
    het_xx = read_vcf_evidence(write_vcf(het, name="h2.vcf"), data=caller.data, sex="XX")
    assert caller.call_genes(het_xx)["G6PD"].diplotype_names == ["A- 202A_376G/B (reference)"]


DPYD_2A = "c.1905+1G>A (*2A)"
DPYD_2846 = "c.2846A>T"
DPYD_13 = "c.1679T>G (*13)"
HAPB3 = "c.1129-5923C>G, c.1236G>A (HapB3)"


def _dpyd_rows(genotypes: dict[int, str]) -> list[tuple[str, ...]]:
    alts = {
        97450058: ("C", "T"),
        97082391: ("T", "A"),
        97515787: ("A", "C"),
        97579893: ("G", "C"),
        97573863: ("C", "T"),
    }
    return [("chr1", str(pos), alts[pos][0], alts[pos][1], ".", "GT", gt) for pos, gt in sorted(genotypes.items())]


def test_dpyd_phased_lists_variants_per_strand(caller: PgxCaller, write_vcf: VcfWriter) -> None:
    rows = _dpyd_rows({97450058: "1|0", 97082391: "0|1", 97515787: "1|0", 97579893: "0|0", 97573863: "0|0"})
    result = caller.call_person(read_vcf_evidence(write_vcf(rows), data=caller.data))
    dpyd = result.gene("DPYD")
    assert dpyd.diplotypes == (f"c.2846A>T/[{DPYD_13} + {DPYD_2A}]",)
    # lowest function per strand: *2A or *13 (both no function) on one strand, c.2846A>T (decreased) on the other
    assert dpyd.phenotype == "Poor Metabolizer"
    assert dpyd.activity_score == "0.5"


def test_dpyd_unphased_uses_the_two_lowest(caller: PgxCaller, write_vcf: VcfWriter) -> None:
    rows = _dpyd_rows({97450058: "0/1", 97082391: "0/1", 97515787: "0/1", 97579893: "0/0", 97573863: "0/0"})
    dpyd = caller.call_person(read_vcf_evidence(write_vcf(rows), data=caller.data)).gene("DPYD")
    assert dpyd.diplotypes == ()
    assert dpyd.call is not None
    assert dpyd.call.haplotype_matches == (DPYD_13, DPYD_2A, DPYD_2846)
    assert dpyd.lookup_diplotype == f"{DPYD_13}/{DPYD_2A}"
    assert (dpyd.phenotype, dpyd.activity_score) == ("Poor Metabolizer", "0.0")


def test_dpyd_hapb3_from_intronic_or_exonic_snp(caller: PgxCaller, write_vcf: VcfWriter) -> None:
    exonic_only = _dpyd_rows({97573863: "0/1"})
    dpyd = caller.call_genes(read_vcf_evidence(write_vcf(exonic_only), data=caller.data))["DPYD"]
    assert dpyd.diplotype_names == [f"Reference/{HAPB3}"]
    assert any("exonic rs56038477 only" in w for w in dpyd.warnings)
    intronic_ref = _dpyd_rows({97573863: "0/1", 97579893: "0/0"})
    dpyd = caller.call_genes(read_vcf_evidence(write_vcf(intronic_ref, name="i.vcf"), data=caller.data))["DPYD"]
    assert dpyd.diplotype_names == ["Reference/Reference"]
    both_hom = _dpyd_rows({97573863: "0/1", 97579893: "1/1"})
    dpyd = caller.call_genes(read_vcf_evidence(write_vcf(both_hom, name="b.vcf"), data=caller.data))["DPYD"]
    assert dpyd.diplotype_names == [f"{HAPB3}/{HAPB3}"]


def test_instance_person_seam_matches_the_gvcf_reader(caller: PgxCaller, write_vcf: VcfWriter) -> None:
    """Calls plus callable blocks (as the variant store holds them) give the same evidence as the gVCF reader."""
    from genomdb.pgx.evidence import GenotypeCall, ReferenceBlock, build_person_evidence

    tpmt = person_rows(caller, "TPMT", "*1", "*3A", only_variant_positions=True)
    calls = [
        GenotypeCall(chrom, int(pos), ref, (alt,), tuple(int(i) for i in gt.split("/")))
        for chrom, pos, ref, alt, _info, _fmt, gt in tpmt
    ]
    blocks = [ReferenceBlock("chr10", 94_700_001, 94_900_000)]
    evidence = build_person_evidence(
        "GDB-TEST", calls, blocks, defining_positions=caller.defining_positions(), origin="variant store"
    )
    from_file = read_vcf_evidence(write_vcf(_gvcf_rows(caller, gq=40), name="seam.g.vcf"), data=caller.data)
    assert evidence.positions == from_file.positions
    result = caller.call_person(evidence)
    assert result.gene("CYP2C19").diplotypes == ("*38/*38",)
    assert result.gene("TPMT").diplotypes == ("*1/*3A",)
    assert result.data_version == caller.data.data_version


def test_indexed_bgzipped_gvcf_reads_the_same(caller: PgxCaller, write_vcf: VcfWriter) -> None:
    """A bgzipped, tabix-indexed gVCF is read region by region and gives the same evidence as a full scan."""
    import pysam

    rows = sorted(_gvcf_rows(caller, gq=40), key=lambda r: (r[0], int(r[1])))
    plain = write_vcf(rows, name="indexed.g.vcf")
    compressed = pysam.tabix_index(str(plain), preset="vcf", keep_original=True, force=True)
    scanned = read_vcf_evidence(plain, data=caller.data)
    indexed = read_vcf_evidence(Path(compressed), data=caller.data)
    assert indexed.positions == scanned.positions
    assert indexed.n_from_blocks() == 35
