"""PGx over persons already in the instance: evidence from the variant store (calls + callable blocks), stored
results per data version, resumable batch runs, and reads through the access policy."""

from __future__ import annotations

from pathlib import Path

import pytest

from genomdb.access.records import Actor, Role
from genomdb.errors import Forbidden
from genomdb.harmonize.run import harmonize
from genomdb.instance import Instance
from genomdb.pgx import runs
from genomdb.pgx.runs import pgx_reports, run_pgx
from genomdb.pgx.store_evidence import genotype_calls
from tests.harmonize.kit import CallFileSpec, SmallReference, block, call, submit_calls
from tests.pgx import kit

CLINICIAN_RH = Actor("anna", Role.CLINICIAN, "RH-KG", "RH")
CLINICIAN_RM = Actor("bo", Role.CLINICIAN, "RM-KG", "RM")


@pytest.fixture(scope="module")
def cyp2c19_reference(tmp_path_factory: pytest.TempPathFactory) -> SmallReference:
    return kit.cyp2c19_reference(tmp_path_factory.mktemp("pgx-ref"))


@pytest.fixture
def harmonised(instance: Instance, cyp2c19_reference: SmallReference, tmp_path: Path) -> Instance:
    return kit.harmonise_star2_17(instance, cyp2c19_reference, tmp_path / "sub")


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
        contigs=[kit.CHR10],
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


def _stored_genes(instance: Instance) -> dict[str, object]:
    reports = [r for key in ("WITH-BLOCKS", "CALLS-ONLY") for r in pgx_reports(instance, CLINICIAN_RH, key)]
    return {r["sample"]: r["genes"] for r in reports}


def test_worker_processes_store_the_same_results(harmonised: Instance, monkeypatch: pytest.MonkeyPatch) -> None:
    serial = run_pgx(harmonised, workers=1)
    first = _stored_genes(harmonised)
    monkeypatch.setattr(runs, "PARALLEL_FROM", 0)  # two samples: use the worker pool anyway
    parallel = run_pgx(harmonised, workers=2, redo=True)
    assert (parallel.n_called, parallel.n_differing) == (2, serial.n_differing)
    assert _stored_genes(harmonised) == first
