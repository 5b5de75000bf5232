"""PGx over persons already in the instance: evidence from the variant store (calls + callable blocks), stored
results per data version, resumable batch runs, and reads through the access policy."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest

from genomdb.access.records import Actor, Role
from genomdb.demo.reference import synthesize_region_sequence, write_reference
from genomdb.demo.regions import Gene, GenomicRegion
from genomdb.errors import Forbidden
from genomdb.harmonize.run import harmonize
from genomdb.instance import Instance
from genomdb.pgx.calling import PgxCaller
from genomdb.pgx.runs import pgx_reports, run_pgx
from genomdb.pgx.store_evidence import genotype_calls
from genomdb.pgx.vcf import defined_alleles
from tests.harmonize.kit import CallFileSpec, SmallReference, block, call, submit_calls

CYP2C19_STAR2_17 = (
    (94_761_900, "C", "T", "0/1"),  # rs12248560: *17
    (94_775_367, "A", "G", "0/1"),  # rs12769205: *2
    (94_781_859, "G", "A", "0/1"),  # rs4244285: *2
    (94_842_866, "A", "G", "1/1"),  # rs3758581: *1 background of both (*38 is the GRCh38 sequence)
)
"""A CYP2C19 *2/*17 person as PharmCAT's definitions spell it (GRCh38, 1-based)."""
WINDOW = (94_755_001, 94_860_000)
CLINICIAN_RH = Actor("anna", Role.CLINICIAN, "RH-KG", "RH")
CLINICIAN_RM = Actor("bo", Role.CLINICIAN, "RM-KG", "RM")


@pytest.fixture(scope="module")
def cyp2c19_reference(tmp_path_factory: pytest.TempPathFactory) -> SmallReference:
    """chr10 with synthetic sequence around CYP2C19 carrying the true GRCh38 base at every defining position."""
    gene = Gene("CYP2C19", "chr10", 94_762_681, 94_855_547)
    region = GenomicRegion("CYP2C19", "chr10", WINDOW[0] + 2_000, WINDOW[1] - 2_000, gene)
    sequence = synthesize_region_sequence(region, np.random.default_rng(3))
    bases = bytearray(sequence.bases)
    for (chrom, pos), (ref, _alts) in defined_alleles(PgxCaller.load().data).items():
        offset = pos - sequence.start_1based
        if chrom == "chr10" and offset >= 0 and offset + len(ref) <= len(bases) and set(ref) <= set("ACGT"):
            bases[offset : offset + len(ref)] = ref.encode()
    sequence = dataclasses.replace(sequence, bases=bytes(bases))
    written = write_reference(
        tmp_path_factory.mktemp("pgx-ref") / "chr10.fa.gz", [sequence], contig_lengths={"chr10": 133_797_422}
    )
    return SmallReference(written.fasta, {"chr10": sequence})


def _calls(reference: SmallReference, *, blocks: bool) -> list[str]:
    """*2/*17; as a gVCF with reference blocks over the rest of the window, or as a plain VCF."""
    lines = [call("chr10", pos, ref, alt, gt, gvcf=blocks) for pos, ref, alt, gt in CYP2C19_STAR2_17]
    if blocks:
        edges = [reference.sequences["chr10"].start_1based - 1, *(pos for pos, *_ in CYP2C19_STAR2_17)]
        ends = [*(pos for pos, *_ in CYP2C19_STAR2_17), reference.sequences["chr10"].end_1based + 1]
        lines += [block(reference, "chr10", a + 1, b - 1) for a, b in zip(edges, ends, strict=True) if b - a > 1]
    return lines


@pytest.fixture
def harmonised(instance: Instance, cyp2c19_reference: SmallReference, tmp_path: Path) -> Instance:
    instance.add_reference("GRCh38", cyp2c19_reference.fasta)
    specs = [
        CallFileSpec("WITH-BLOCKS", _calls(cyp2c19_reference, blocks=True), person=0),
        CallFileSpec("CALLS-ONLY", _calls(cyp2c19_reference, blocks=False), person=1, gvcf=False),
    ]
    submit_calls(instance, tmp_path / "sub", specs, cyp2c19_reference, contigs=[("chr10", 133_797_422)])
    assert harmonize(instance).n_samples == 2
    return instance


def _cyp2c19(report: dict[str, object]) -> dict[str, object]:
    genes = report["genes"]
    assert isinstance(genes, list)
    return next(g for g in genes if g["gene"] == "CYP2C19")


def test_store_rows_join_back_into_genotypes() -> None:
    rows = [
        ("chr10", 5, "A", "C", 1, 2, False),
        ("chr10", 5, "A", "G", 1, 2, False),  # a split 1/2
        ("chr10", 9, "T", "G", 2, 2, True),
        ("chrX", 3, "C", "T", 1, 1, False),  # haploid
    ]
    calls = {(c.chrom, c.pos_1based): c for c in genotype_calls(rows)}
    assert calls[("chr10", 5)].alts == ("C", "G") and calls[("chr10", 5)].allele_indices == (1, 2)
    assert calls[("chr10", 9)].allele_indices == (1, 1) and calls[("chr10", 9)].phased
    assert calls[("chrX", 3)].allele_indices == (1,)


def test_a_batch_run_calls_from_the_store_and_resumes(harmonised: Instance) -> None:
    first = run_pgx(harmonised)
    assert (first.n_samples, first.n_called, first.n_unchanged) == (2, 2, 0)
    again = run_pgx(harmonised)
    assert (again.n_called, again.n_unchanged) == (0, 2), "unchanged inputs and data version are not redone"

    [with_blocks] = pgx_reports(harmonised, CLINICIAN_RH, "WITH-BLOCKS")
    gene = _cyp2c19(with_blocks)
    assert gene["diplotypes"] == ["*2/*17"]
    assert gene["phenotype"] == "Intermediate Metabolizer"
    assert gene["missing_positions"] == [], "every other CYP2C19 position is a callable reference block"
    assert with_blocks["positions_from_callable_blocks"] > 0

    [calls_only] = pgx_reports(harmonised, CLINICIAN_RH, "CALLS-ONLY")
    alone = _cyp2c19(calls_only)
    assert len(alone["missing_positions"]) > 20, "without blocks the other positions have no evidence"
    assert "*2/*17" in alone["diplotypes"]


def test_a_reference_block_over_a_defining_position_changes_the_answer(
    instance: Instance, cyp2c19_reference: SmallReference, tmp_path: Path
) -> None:
    """Only the *2 core SNP called: PharmCAT's view (other *2 positions missing) still says *2; the callable block
    over rs12769205 says it was sequenced as reference, so no named allele explains it — reported as a difference."""
    instance.add_reference("GRCh38", cyp2c19_reference.fasta)
    start, end = cyp2c19_reference.sequences["chr10"].start_1based, cyp2c19_reference.sequences["chr10"].end_1based
    lines = [
        call("chr10", 94_781_859, "G", "A", "0/1", gvcf=True),
        block(cyp2c19_reference, "chr10", start, 94_781_858),
        block(cyp2c19_reference, "chr10", 94_781_860, end),
    ]
    submit_calls(
        instance,
        tmp_path / "sub",
        [CallFileSpec("CORE-ONLY", lines)],
        cyp2c19_reference,
        contigs=[("chr10", 133_797_422)],
    )
    harmonize(instance)
    run_pgx(instance)
    [report] = pgx_reports(instance, CLINICIAN_RH, "CORE-ONLY")
    assert _cyp2c19(report)["diplotypes"] == []
    assert any("*2" in d for d in report["from_records_alone"]["CYP2C19"]["diplotypes"])
    assert [d["gene"] for d in report["differences_from_callable_blocks"]] == ["CYP2C19"]


def test_reports_are_read_through_the_policy(harmonised: Instance) -> None:
    run_pgx(harmonised, keys=["WITH-BLOCKS"])
    with pytest.raises(Forbidden):
        pgx_reports(harmonised, CLINICIAN_RM, "WITH-BLOCKS")
    with pytest.raises(Forbidden):
        pgx_reports(harmonised, CLINICIAN_RH, "NO-SUCH-SAMPLE")  # the same answer as a refusal
