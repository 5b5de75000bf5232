"""Phenotype → CPIC recommendation, with plain "no recommendation" and "indeterminate" answers."""

from __future__ import annotations

from pathlib import Path

import pytest

from genomdb.errors import InvalidInput
from genomdb.pgx.calling import PgxCaller
from genomdb.pgx.recommendations import DrugRecommendation, load_recommendations, recommend


def _by_drug(caller: PgxCaller, phenotypes: dict[str, str | None]) -> dict[str, DrugRecommendation]:
    found = recommend(caller.recommendations, phenotypes, data_version=caller.data.data_version)
    return {r.drug: r for r in found}


def test_recommendation_with_guideline_and_version(caller: PgxCaller) -> None:
    clopidogrel = _by_drug(caller, {"CYP2C19": "Normal Metabolizer"})["clopidogrel"]
    assert clopidogrel.status == "recommendation"
    assert clopidogrel.text == "If considering clopidogrel, use at standard dose (75 mg/day)."
    assert clopidogrel.guideline_url == "https://cpicpgx.org/guidelines/guideline-for-clopidogrel-and-cyp2c19/"
    assert clopidogrel.data_version == caller.data.data_version


def test_not_called_and_indeterminate_are_said_plainly(caller: PgxCaller) -> None:
    not_called = _by_drug(caller, {"CYP2C19": "not called"})["clopidogrel"]
    assert not_called.status == "no recommendation"
    assert "CYP2C19 has no phenotype" in not_called.text
    indeterminate = _by_drug(caller, {"CYP2C19": "Indeterminate"})["clopidogrel"]
    assert indeterminate.status == "indeterminate"
    assert indeterminate.text.startswith("No recommendation: the phenotype of CYP2C19 is indeterminate.")


def test_two_gene_drug_needs_both(caller: PgxCaller) -> None:
    both = _by_drug(caller, {"CYP2C19": "Normal Metabolizer", "CYP2D6": "Normal Metabolizer"})["amitriptyline"]
    assert both.status == "recommendation"
    assert both.genes == ("CYP2C19", "CYP2D6")
    one = _by_drug(caller, {"CYP2C19": "Normal Metabolizer", "CYP2D6": None})["amitriptyline"]
    assert one.status == "no recommendation"
    assert "CYP2D6" in one.text


def test_recommendation_table_of_unknown_schema(tmp_path: Path) -> None:
    (tmp_path / "recommendation-table.csv").write_text("Drug,Gene,Advice\nx,y,z\n")
    (tmp_path / "cpic-table.csv").write_text("Gene,Drug,Guideline,CPICLevel\n")
    with pytest.raises(InvalidInput) as err:
        load_recommendations(tmp_path)
    fields = {p.field for p in err.value.problems}
    assert {"Gene1", "Phenotype1", "Recommendation"} <= fields
    assert all(p.file == str(tmp_path / "recommendation-table.csv") for p in err.value.problems)
