"""Declared against inferred relatedness: every kind of disagreement flagged, agreement not; the steward's check
through the access policy (audited, other roles refused) on SQLite and PostgreSQL; the CLI."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from genomdb.access.audit import AuditLog
from genomdb.access.records import Actor, AuditFilters, Role
from genomdb.errors import Forbidden
from genomdb.instance import Instance
from genomdb.screening.kinship import KinshipResult, degrees
from genomdb.screening.relatedness import (
    DeclaredRelation,
    InferredPair,
    check_relatedness,
    compare,
    declared_relationships,
    person_pair_columns,
    person_pairs,
)
from genomdb.variants.records import CohortSample
from tests.conftest import postgres_schema
from tests.screening.genetics import demo_cohort, harmonised_instance, run_genomdb


def _sample(key: str, person: str) -> CohortSample:
    return CohortSample(
        sample_id=int(key.removeprefix("S")),
        sample_key=key,
        pseudonym=person,
        region="RH",
        department="RH-KG",
        platform="ILLUMINA",
        sex=None,
        research_opt_out=False,
        current=True,
        withdrawn=False,
        batch_id="VB-1",
        submission_id="SUB-1",
        submission_version=1,
        harmonised_at=dt.datetime(2026, 12, 1, tzinfo=dt.UTC),
        qc_passed=True,
        flags=(),
        call_rate=1.0,
        callable_bases=1,
        callable_fraction=1.0,
        ti_tv=None,
        het_hom_ratio=None,
    )


def _result(samples: list[CohortSample], kinship: dict[tuple[int, int], float]) -> KinshipResult:
    first, second = np.triu_indices(len(samples), k=1)
    values = np.array([kinship.get((int(i), int(j)), 0.0) for i, j in zip(first, second, strict=True)])
    zeros = np.zeros(values.size, dtype=np.int32)
    return KinshipResult(
        tuple(samples), first.astype(np.int32), second.astype(np.int32), values, zeros, zeros, degrees(values), 500
    )


def test_each_disagreement_is_flagged_and_agreement_is_not() -> None:
    people = ["P-MOTHER", "P-CHILD", "P-SIB", "P-STRANGER", "P-TWICE", "P-SWAP"]
    samples = [_sample(f"S{i + 1}", person) for i, person in enumerate(people)]
    samples.append(_sample("S7", "P-SWAP"))  # a second sample of P-SWAP
    samples.append(_sample("S8", "P-UNDECLARED"))
    kinship = {
        (0, 1): 0.25,  # declared mother, inferred first degree: agrees
        (1, 2): 0.01,  # declared sibling, genomes unrelated
        (3, 4): 0.49,  # two persons, one genome
        (5, 6): 0.0,  # one person, two different genomes
        (0, 7): 0.24,  # first degree, nothing declared
    }
    declared = [
        DeclaredRelation("P-CHILD", "mother", "P-MOTHER"),
        DeclaredRelation("P-MOTHER", "child", "P-CHILD"),
        DeclaredRelation("P-CHILD", "sibling", "P-SIB"),
        DeclaredRelation("P-CHILD", "father", "P-NOT-SEQUENCED"),
    ]
    flags = compare(_result(samples, kinship), declared)
    found = {(f.kind, f.first, f.second) for f in flags}
    assert found == {
        ("declared-not-found", "P-CHILD", "P-SIB"),
        ("duplicate-samples", "P-STRANGER", "P-TWICE"),
        ("same-person-differs", "P-SWAP", "P-SWAP"),
        ("undeclared-first-degree", "P-MOTHER", "P-UNDECLARED"),
        ("not-assessable", "P-CHILD", "P-NOT-SEQUENCED"),
    }
    sibling = next(f for f in flags if f.kind == "declared-not-found")
    assert sibling.declared == "sibling" and sibling.inferred == "unrelated"
    assert sibling.kinship == 0.01  # the closest of their sample pairs, found by position among all pairs


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.integration)])
def cohort_instance(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, postgres_problem: str | None
) -> Iterator[Instance]:
    cohort = demo_cohort(tmp_path_factory)
    if request.param == "sqlite":
        with harmonised_instance(tmp_path_factory, cohort) as instance:
            yield instance
        return
    with (
        postgres_schema(postgres_problem) as url,
        harmonised_instance(tmp_path_factory, cohort, database_url=url) as inst,
    ):
        yield inst


def test_steward_check_reads_through_the_policy(cohort_instance: Instance) -> None:
    declared = declared_relationships(cohort_instance)
    assert {r.relation for r in declared} == {"mother", "father", "child", "sibling"}
    report = check_relatedness(cohort_instance, Actor("steward", Role.STEWARD))
    assert report.n_assessed + len(report.not_assessed) == report.n_samples
    assert report.n_pairs == report.n_assessed * (report.n_assessed - 1) // 2
    assert any(p.degree == 1 for p in report.related)
    kinds = {f.kind for f in report.flags}
    assert kinds <= {
        "duplicate-samples",
        "same-person-differs",
        "declared-not-found",
        "undeclared-first-degree",
        "not-assessable",
    }
    audited = AuditLog(cohort_instance).search(AuditFilters(actor="steward", action="read-metadata", limit=100_000))
    assert len([e for e in audited if (e.detail or {}).get("request") == "relatedness check"]) == report.n_samples
    with pytest.raises(Forbidden):
        check_relatedness(cohort_instance, Actor("clin-rh", Role.CLINICIAN, "RH-KG", "RH"))


def test_cli_lists_flags_as_json_and_refuses_without_a_steward(cohort_instance: Instance, tmp_path: Path) -> None:
    done = run_genomdb(cohort_instance, "screen", "kinship", "--json", "--as", "steward")
    assert done.returncode == 0, done.stderr
    listing = json.loads(done.stdout)
    assert listing["n_pairs"] == listing["n_assessed"] * (listing["n_assessed"] - 1) // 2
    assert {"kind", "person", "relative", "declared", "inferred", "kinship", "detail"} <= set(listing["flags"][0])
    prefix = tmp_path / "export"
    tsv = run_genomdb(
        cohort_instance, "screen", "kinship", "--pairs", "--tsv", "--plink", str(prefix), "--as", "steward"
    )
    assert tsv.returncode == 0 and tsv.stdout.splitlines()[0].split("\t")[:3] == ["person", "relative", "degree"]
    fam = prefix.with_suffix(".fam").read_text().splitlines()
    assert len(fam) == listing["n_assessed"]
    assert len(prefix.with_suffix(".bim").read_text().splitlines()) == listing["n_variants"]
    refused = run_genomdb(cohort_instance, "screen", "kinship", "--as", "clin-rh")
    assert refused.returncode != 0 and "steward" in refused.stderr + refused.stdout
    nobody = run_genomdb(cohort_instance, "screen", "kinship")
    assert nobody.returncode != 0 and "--as USER" in nobody.stderr + nobody.stdout


def _person_pairs_one_by_one(result: KinshipResult, max_degree: int) -> list[InferredPair]:
    """The definition ``person_pairs`` computes with arrays: a loop over the related sample pairs."""
    best: dict[tuple[str, str], InferredPair] = {}
    for index in result.related(max_degree):
        a, b = result.samples[result.first[index]], result.samples[result.second[index]]
        if a.pseudonym == b.pseudonym:
            continue
        (first, first_key), (second, second_key) = sorted(((a.pseudonym, a.sample_key), (b.pseudonym, b.sample_key)))
        pair = InferredPair(
            first, second, int(result.degree[index]), float(result.kinship[index]), first_key, second_key
        )
        known = best.get((first, second))
        if known is None or pair.kinship > known.kinship:
            best[(first, second)] = pair
    return sorted(best.values(), key=lambda p: (p.degree, p.first, p.second))


def test_person_pairs_keep_the_closest_sample_pair_of_each_two_persons() -> None:
    """Persons with several samples (ties included) in random kinships: the array version equals the loop."""
    rng = np.random.default_rng(12)
    people = [f"GDB-P{p:02d}" for p in rng.permutation(12)]
    samples = [_sample(f"S{k + 1}", people[k % 12] if k < 24 else people[k % 5]) for k in range(30)]
    n = len(samples)
    values = rng.choice([0.02, 0.05, 0.1, 0.1, 0.2, 0.25, 0.4, 0.5], size=n * (n - 1) // 2)
    first, second = np.triu_indices(n, k=1)
    result = _result(samples, {(int(i), int(j)): float(v) for i, j, v in zip(first, second, values, strict=True)})
    for max_degree in (1, 2, 3):
        assert person_pairs(result, max_degree) == _person_pairs_one_by_one(result, max_degree)
    assert len(person_pairs(result, 3)) > 30
    columns, listed = person_pair_columns(result), person_pairs(result)
    assert [columns[k] for k in range(len(columns))] == listed and columns[-1] == listed[-1]
    assert columns[3:9] == listed[3:9] and columns.closer_than(2) == [p for p in listed if p.degree <= 1]
    assert columns.persons() == ([p.first for p in listed], [p.second for p in listed])
    assert columns.kinship_texts(4) == [f"{p.kinship:.4f}" for p in listed]
    assert columns.sample_keys() == ([p.first_sample for p in listed], [p.second_sample for p in listed])
    wanted = [(p.first, p.second) for p in listed[::7]] + [("GDB-P00", "GDB-NOBODY"), ("GDB-P99", "GDB-P98")]
    assert columns.find(wanted) == {(p.first, p.second): p for p in listed[::7]}
    with pytest.raises(IndexError):
        columns[len(listed)]
