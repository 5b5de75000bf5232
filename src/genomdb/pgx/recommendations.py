"""CPIC drug recommendations by phenotype, with the guideline link and the data version.

Source format: PyPGx's ``recommendation-table.csv`` (Drug, Gene1, Phenotype1, Gene2, Phenotype2, Recommendation) and
``cpic-table.csv`` (Gene, Drug, …, Guideline, CPICLevel, …). A drug whose genes all have a phenotype with a row gets
that row's text; a drug whose gene is not called or whose phenotype has no row gets an explicit "no recommendation".
"""

from __future__ import annotations

import csv
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from genomdb.errors import InvalidInput, Problem

RECOMMENDATION_COLUMNS = ["Drug", "Gene1", "Phenotype1", "Gene2", "Phenotype2", "Recommendation"]
GUIDELINE_COLUMNS = ["Gene", "Drug", "Guideline", "CPICLevel"]


@dataclass(frozen=True, slots=True)
class RecommendationRow:
    drug: str
    genes: tuple[tuple[str, str], ...]
    text: str


@dataclass(frozen=True, slots=True)
class DrugRecommendation:
    """What CPIC says for one drug given the person's phenotypes; ``status`` says plainly when it says nothing."""

    drug: str
    genes: tuple[str, ...]
    phenotypes: tuple[str | None, ...]
    status: str
    """``recommendation`` | ``no recommendation`` | ``indeterminate``"""
    text: str
    guideline_url: str | None
    cpic_level: str | None
    data_version: str


@dataclass(frozen=True)
class RecommendationTable:
    rows: tuple[RecommendationRow, ...]
    guidelines: Mapping[tuple[str, str], tuple[str, str]]
    """(gene, drug) → (guideline URL, CPIC level)"""

    def drugs_for(self, gene: str) -> list[str]:
        return sorted({row.drug for row in self.rows if any(g == gene for g, _ in row.genes)})


def _read_csv(path: Path, required: list[str]) -> list[dict[str, str]]:
    try:
        with path.open(encoding="utf-8", newline="") as handle:
            reader = csv.DictReader(handle)
            header = reader.fieldnames or []
            missing = [column for column in required if column not in header]
            if missing:
                raise InvalidInput(
                    f"unknown recommendation table schema in {path}",
                    [
                        Problem(str(path), "column missing", location="line 1", field=column, expected="present")
                        for column in missing
                    ],
                )
            return list(reader)
    except FileNotFoundError as exc:
        raise InvalidInput(f"PGx data file missing: {path}", [Problem(str(path), "file not found")]) from exc


def load_recommendations(directory: Path) -> RecommendationTable:
    rows: list[RecommendationRow] = []
    problems: list[Problem] = []
    path = directory / "recommendation-table.csv"
    for number, raw in enumerate(_read_csv(path, RECOMMENDATION_COLUMNS), start=2):
        if not raw["Drug"] or not raw["Gene1"] or not raw["Recommendation"]:
            problems.append(Problem(str(path), "empty Drug, Gene1 or Recommendation", location=f"line {number}"))
            continue
        genes = [(raw["Gene1"], raw["Phenotype1"])]
        if raw["Gene2"] not in ("", "None"):
            genes.append((raw["Gene2"], raw["Phenotype2"]))
        rows.append(RecommendationRow(raw["Drug"], tuple(genes), raw["Recommendation"]))
    guideline_path = directory / "cpic-table.csv"
    guidelines: dict[tuple[str, str], tuple[str, str]] = {}
    for raw in _read_csv(guideline_path, GUIDELINE_COLUMNS):
        guidelines[(raw["Gene"], raw["Drug"])] = (raw["Guideline"], raw["CPICLevel"])
    if problems:
        raise InvalidInput(f"malformed recommendation table {path}", problems)
    return RecommendationTable(tuple(rows), guidelines)


def recommend(
    table: RecommendationTable, phenotypes: Mapping[str, str | None], *, data_version: str
) -> list[DrugRecommendation]:
    """One entry per drug that involves a gene in ``phenotypes`` (gene → phenotype, None = not called)."""
    by_drug: dict[str, list[RecommendationRow]] = {}
    for row in table.rows:
        by_drug.setdefault(row.drug, []).append(row)
    out: list[DrugRecommendation] = []
    for drug in sorted(by_drug):
        rows = by_drug[drug]
        genes = sorted({gene for row in rows for gene, _ in row.genes})
        if not any(gene in phenotypes for gene in genes):
            continue
        url, level = _guideline(table, genes, drug)
        person = tuple(phenotypes.get(gene) for gene in genes)
        unknown = [gene for gene in genes if phenotypes.get(gene) in (None, "not called")]
        indeterminate = [gene for gene in genes if phenotypes.get(gene) == "Indeterminate"]
        match = None
        for row in rows:
            if all(phenotypes.get(gene) == phenotype for gene, phenotype in row.genes):
                match = row
                break
        if indeterminate:
            status = "indeterminate"
            text = "No recommendation: the phenotype of " + ", ".join(indeterminate) + " is indeterminate."
            if match is not None:
                text += f" CPIC's text for an indeterminate phenotype: {match.text}"
        elif match is not None:
            status, text = "recommendation", match.text
        elif unknown:
            status = "no recommendation"
            text = "No recommendation: " + ", ".join(unknown) + " has no phenotype (not called or not provided)."
        else:
            status = "no recommendation"
            text = "No recommendation: CPIC has no row for this phenotype."
        out.append(DrugRecommendation(drug, tuple(genes), person, status, text, url, level, data_version))
    return out


def _guideline(table: RecommendationTable, genes: list[str], drug: str) -> tuple[str | None, str | None]:
    for gene in genes:
        found = table.guidelines.get((gene, drug))
        if found:
            return found
    return None, None
