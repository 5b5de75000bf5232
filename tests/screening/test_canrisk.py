"""CanRisk 2.0 pedigree files: the declared family, gene results and the PRS, checked against the format's
columns and rules (CanRisk Pedigree Data v2 File Format Specification)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from genomdb.access.records import Actor, Role
from genomdb.errors import Forbidden, InvalidInput
from genomdb.instance import Instance
from genomdb.screening.canrisk import (
    COLUMNS,
    GeneResult,
    PolygenicScore,
    canrisk_pedigree,
    export_canrisk,
)
from genomdb.screening.relatedness import declared_relationships
from tests.screening.genetics import (
    demo_cohort,
    harmonised_instance,
    random_weights,
    run_genomdb,
    scoring_file_text,
    snv_keys,
)

SPEC_COLUMNS = [
    "FamID", "Name", "Target", "IndivID", "FathID", "MothID", "Sex", "MZtwin", "Dead", "Age", "Yob",
    "BC1", "BC2", "OC", "PRO", "PAN", "Ashkn",
    "BRCA1", "BRCA2", "PALB2", "ATM", "CHEK2", "BARD1", "RAD51D", "RAD51C", "BRIP1",
    "ER:PR:HER2:CK14:CK56",
]  # fmt: skip
GENE_TEST = re.compile(r"^[0ST]:[0PN]$")


def parse_canrisk(text: str) -> tuple[dict[str, str], list[dict[str, str]]]:
    """Parse per the spec: ``##CanRisk 2.0`` first, ``##key=value`` risk factors, the ``##FamID …`` column header
    last, then one whitespace-separated record of every column per person; checks the record-level rules."""
    lines = text.splitlines()
    assert lines[0] == "##CanRisk 2.0"
    header = next(i for i, line in enumerate(lines) if line.startswith("##FamID"))
    factors = dict(line[2:].split("=", 1) for line in lines[1:header])
    assert lines[header][2:].split() == SPEC_COLUMNS
    records = [dict(zip(SPEC_COLUMNS, line.split(), strict=True)) for line in lines[header + 1 :]]
    ids = {r["IndivID"] for r in records}
    assert len(ids) == len(records)
    assert sum(r["Target"] == "1" for r in records) == 1
    assert len({r["FamID"] for r in records}) == 1
    for r in records:
        assert r["Sex"] in ("M", "F") and r["Target"] in ("0", "1")
        assert (r["FathID"] == "0") == (r["MothID"] == "0"), r
        if r["FathID"] != "0":
            father = next(p for p in records if p["IndivID"] == r["FathID"])
            mother = next(p for p in records if p["IndivID"] == r["MothID"])
            assert father["Sex"] == "M" and mother["Sex"] == "F"
        for column in ("MZtwin", "Dead", "Age", "Yob", "BC1", "BC2", "OC", "PRO", "PAN", "Ashkn"):
            assert r[column].isdigit(), (column, r[column])
        for gene in SPEC_COLUMNS[17:26]:
            assert GENE_TEST.match(r[gene]), (gene, r[gene])
        assert re.match(r"^[0NP]:[0NP]:[0NP]:[0NP]:[0NP]$", r["ER:PR:HER2:CK14:CK56"])
    return factors, records


@pytest.fixture(scope="module")
def cohort_instance(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Instance]:
    with harmonised_instance(tmp_path_factory, demo_cohort(tmp_path_factory)) as instance:
        yield instance


def test_columns_are_the_spec_columns() -> None:
    assert list(COLUMNS) == SPEC_COLUMNS


def test_trio_child_with_gene_results_and_prs(cohort_instance: Instance) -> None:
    declared = declared_relationships(cohort_instance)
    child = next(r.pseudonym for r in declared if r.relation == "mother")
    mother = next(r.relative for r in declared if r.relation == "mother" and r.pseudonym == child)
    results = {child: [GeneResult("BRCA2", "P")], mother: [GeneResult("BRCA2", "P", "T"), GeneResult("CHEK2", "N")]}
    pedigree = canrisk_pedigree(
        cohort_instance, child, gene_results=results, prs=PolygenicScore(0.45, 1.2345), index_breast_cancer_age=41
    )
    factors, records = parse_canrisk(pedigree.text)
    assert factors["PRS_BC"] == "alpha=0.45,zscore=1.2345"
    assert len(records) == 3 and set(pedigree.individuals.values()) == {
        child,
        mother,
        *(r.relative for r in declared if r.relation == "father" and r.pseudonym == child),
    }
    by_person = {pedigree.individuals[r["IndivID"]]: r for r in records}
    target = by_person[child]
    assert target["Target"] == "1" and target["BRCA2"] == "S:P" and target["BC1"] == "41"
    assert by_person[mother]["BRCA2"] == "T:P" and by_person[mother]["CHEK2"] == "S:N"
    assert target["MothID"] == by_person[mother]["IndivID"] and target["BRCA1"] == "0:0"
    assert "GDB-" not in pedigree.text  # pseudonyms stay out of the file


def test_siblings_get_placeholder_parents(cohort_instance: Instance) -> None:
    declared = declared_relationships(cohort_instance)
    sibling = next(r for r in declared if r.relation == "sibling")
    pedigree = canrisk_pedigree(cohort_instance, sibling.pseudonym)
    _, records = parse_canrisk(pedigree.text)
    assert len(records) == 4 and len(pedigree.individuals) == 2
    children = [r for r in records if r["FathID"] != "0"]
    assert len(children) == 2 and len({(r["FathID"], r["MothID"]) for r in children}) == 1


def test_unknown_gene_and_bad_alpha_are_refused(cohort_instance: Instance) -> None:
    person = declared_relationships(cohort_instance)[0].pseudonym
    with pytest.raises(InvalidInput) as caught:
        canrisk_pedigree(cohort_instance, person, gene_results={person: [GeneResult("LDLR", "P")]})
    assert caught.value.problems[0].found == "LDLR"
    with pytest.raises(InvalidInput):
        canrisk_pedigree(cohort_instance, person, prs=PolygenicScore(1.5, 0.0))


def test_export_goes_through_the_access_policy(cohort_instance: Instance) -> None:
    person = declared_relationships(cohort_instance)[0].pseudonym
    assert export_canrisk(cohort_instance, Actor("steward", Role.STEWARD), person).text.startswith("##CanRisk 2.0")
    with pytest.raises(Forbidden):
        export_canrisk(cohort_instance, Actor("nobody-res", Role.RESEARCHER, "RH-KG", "RH"), person)


def test_cli_writes_the_file_with_the_prs(cohort_instance: Instance, tmp_path: Path) -> None:
    declared = declared_relationships(cohort_instance)
    child = next(r.pseudonym for r in declared if r.relation == "mother")
    palindromic = ({"A", "T"}, {"C", "G"})
    keys = [k for k in snv_keys(cohort_instance)[::7] if {k[2], k[3]} not in palindromic][:80]
    weights = random_weights(len(keys), 9)
    rows = [(c.removeprefix("chr"), p, a, r, w) for (c, p, r, a), w in zip(keys, weights, strict=True)]
    scoring = tmp_path / "bc.txt"
    scoring.write_text(scoring_file_text(rows))
    out = tmp_path / "family.canrisk"
    done = run_genomdb(
        cohort_instance, "screen", "canrisk", child, "--out", str(out), "--gene-result", "BRCA2=S:P",
        "--scoring-file", str(scoring), "--prs-alpha", "0.45", "--as", "steward",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    factors, records = parse_canrisk(out.read_text())
    assert factors["PRS_BC"].startswith("alpha=0.45,zscore=")
    assert next(r for r in records if r["Target"] == "1")["BRCA2"] == "S:P"
    bad = run_genomdb(cohort_instance, "screen", "canrisk", child, "--out", str(out), "--gene-result", "X")
    assert bad.returncode != 0 and "--gene-result" in bad.stdout + bad.stderr
