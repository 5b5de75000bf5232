"""The demo plants star alleles: its reference carries the true GRCh38 base at every defining position in the
simulated regions, founders carry CYP2C19 *2/*3/*17 (and CYP2C9 *2/*3 where the region reaches) so families inherit
them, and after the real load (submit → harmonise → variant store) `pgx run` calls the planted diplotypes."""

from __future__ import annotations

from collections import Counter

import pysam
import pytest

from genomdb.access.records import Actor, Role
from genomdb.demo import DemoCohort, generate_demo
from genomdb.demo.load import load_demo
from genomdb.harmonize.run import harmonize
from genomdb.instance import Instance
from genomdb.pgx.calling import PgxCaller
from genomdb.pgx.evidence import ReferenceBlock, build_person_evidence
from genomdb.pgx.runs import pgx_reports, run_pgx


@pytest.fixture(scope="module")
def cohort(tmp_path_factory: pytest.TempPathFactory) -> DemoCohort:
    return generate_demo(tmp_path_factory.mktemp("demo"), n_individuals=30, seed=5, region_length_bp=100_000)


def _expected(caller: PgxCaller, cohort: DemoCohort) -> dict[str, tuple[str, ...]]:
    """CYP2C19 diplotypes of the simulated truth (every other position reference, as simulated)."""
    blocks = [ReferenceBlock(r.chrom, r.start_1based, r.end_1based) for r in cohort.regions]
    positions = caller.defining_positions()
    return {
        sample: caller.call_person(build_person_evidence(sample, calls, blocks, defining_positions=positions))
        .gene("CYP2C19")
        .diplotypes
        for sample, calls in cohort.pgx_truth.items()
    }


def test_the_reference_carries_the_true_bases_and_founders_the_alleles(caller: PgxCaller, cohort: DemoCohort) -> None:
    region = next(r for r in cohort.regions if r.name == "CYP2C19")
    model = caller.models["CYP2C19"]
    with pysam.FastaFile(str(cohort.reference_fasta)) as fasta:
        inside = [locus for locus in model.loci if region.contains(model.chromosome, locus.position)]
        assert len(inside) > 20
        for locus in inside:
            assert fasta.fetch("chr10", locus.position - 1, locus.position - 1 + len(locus.ref)) == locus.ref
    expected = Counter(_expected(caller, cohort).values())
    carriers = {d for diplotypes in expected for d in diplotypes}
    assert any("*2" in d.split("/") for d in carriers) and any("*17" in d.split("/") for d in carriers), expected


def test_the_loaded_demo_calls_the_planted_diplotypes(
    instance: Instance, caller: PgxCaller, cohort: DemoCohort
) -> None:
    load_demo(instance, cohort)
    harmonize(instance)
    summary = run_pgx(instance)
    assert summary.n_called == summary.n_samples >= cohort.n_samples - 2
    expected = _expected(caller, cohort)
    compared: Counter[str] = Counter()
    for department in {path.parent.name for path in cohort.manifest_paths}:
        clinician = Actor(f"clin-{department.lower()}", Role.CLINICIAN, department, None)
        for sample_id in [s for s in expected if s.startswith(department + "-S")]:
            [report] = pgx_reports(instance, clinician, sample_id)
            gene = next(g for g in report["genes"] if g["gene"] == "CYP2C19")
            if gene["missing_positions"]:
                continue  # no-call gaps, failing calls, low-GQ blocks, plain VCFs: positions without evidence
            assert tuple(gene["diplotypes"]) == expected[sample_id], sample_id
            compared.update(allele for d in gene["diplotypes"] for allele in d.split("/"))
    n_compared = compared.total() // 2
    assert n_compared >= len(expected) // 4, f"only {n_compared} of {len(expected)} persons with every position"
    assert compared["*2"] and compared["*17"], compared
