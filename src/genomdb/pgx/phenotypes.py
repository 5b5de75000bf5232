"""Diplotype → allele function → phenotype (and activity score where the gene defines one)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass

from genomdb.pgx.definitions import ACTIVITY_SCORE_GENES, GenePhenotype, PgxData, PhenotypeDiplotype

INDETERMINATE = "Indeterminate"
NOT_CALLED = "not called"


@dataclass(frozen=True, slots=True)
class AlleleFunction:
    name: str
    function: str | None
    activity_value: str | None


@dataclass(frozen=True, slots=True)
class Phenotype:
    """The phenotype of one diplotype; ``phenotype`` is None when the data has no mapping for it."""

    diplotype: str
    phenotype: str | None
    activity_score: str | None
    alleles: tuple[AlleleFunction, ...]
    note: str | None = None


def _phenotype_key(gene: str) -> str:
    return gene.replace("-", "_")


def gene_phenotype_table(data: PgxData, gene: str) -> GenePhenotype | None:
    return data.phenotypes.get(gene) or data.phenotypes.get(_phenotype_key(gene))


def allele_activity(data: PgxData, gene: str) -> dict[str, float]:
    """Allele → activity value (float) for genes whose table gives one."""
    if gene == "CYP2D6":
        out: dict[str, float] = {}
        for name, (value, _function) in data.cyp2d6_activity.alleles.items():
            parsed = _float(value)
            if parsed is not None:
                out[name] = parsed
        return out
    table = gene_phenotype_table(data, gene)
    if table is None:
        return {}
    source = table.activityValues or (table.haplotypes if gene in ACTIVITY_SCORE_GENES else {})
    activity: dict[str, float] = {}
    for name, raw in source.items():
        number = _float(raw)
        if number is not None:
            activity[name] = number
    return activity


def _float(raw: str | None) -> float | None:
    if raw is None:
        return None
    try:
        return float(raw.replace("≥", ""))
    except ValueError:
        return None


def _allele_function(data: PgxData, gene: str, name: str) -> AlleleFunction:
    if gene == "CYP2D6":
        value, function = data.cyp2d6_activity.alleles.get(name, (None, None))
        return AlleleFunction(name, function, value)
    table = gene_phenotype_table(data, gene)
    if table is None:
        return AlleleFunction(name, None, None)
    for allele in table.namedAlleles:
        if allele.name == name:
            return AlleleFunction(name, allele.functionValue, allele.activityValue)
    function = table.haplotypes.get(name)
    activity = table.activityValues.get(name)
    if gene in ACTIVITY_SCORE_GENES and function is not None and _float(function) is not None:
        activity, function = function, None
    return AlleleFunction(name, function, activity)


def cyp2d6_phenotype(score: float) -> str:
    """CPIC CYP2D6 activity score → phenotype (0 PM; 0.25–1.0 IM; 1.25–2.25 NM; > 2.25 UM)."""
    if score == 0:
        return "Poor Metabolizer"
    if score <= 1.0:
        return "Intermediate Metabolizer"
    if score <= 2.25:
        return "Normal Metabolizer"
    return "Ultrarapid Metabolizer"


def diplotype_phenotype(data: PgxData, gene: str, allele_names: tuple[str, ...]) -> Phenotype:
    """Phenotype of one diplotype (or single allele for haploid genes) from the gene's phenotype table."""
    alleles = tuple(_allele_function(data, gene, name) for name in allele_names)
    name = "/".join(allele_names)
    if gene == "CYP2D6":
        values = [_float(a.activity_value) for a in alleles]
        if any(v is None for v in values) or not values:
            return Phenotype(name, INDETERMINATE, None, alleles, note="an allele has no CPIC activity value")
        score = sum(v for v in values if v is not None)
        capped = any(a.activity_value and a.activity_value.startswith("≥") for a in alleles)
        score_text = ("≥" if capped else "") + f"{score:.2f}".rstrip("0").rstrip(".")
        if "." not in score_text:
            score_text += ".0"
        return Phenotype(name, cyp2d6_phenotype(score), score_text, alleles)
    table = gene_phenotype_table(data, gene)
    if table is None:
        return Phenotype(name, None, None, alleles, note=f"no {gene} phenotype table in this data version")
    entry = _diplotype_index(data, gene, table).get(_diplotype_key(Counter(allele_names)))
    if entry is not None:
        return Phenotype(name, entry.generesult, entry.activityScore, alleles)
    return Phenotype(name, None, None, alleles, note="diplotype not in the phenotype table")


def _diplotype_key(counts: Mapping[str, int]) -> tuple[tuple[str, int], ...]:
    return tuple(sorted(counts.items()))


def _diplotype_index(
    data: PgxData, gene: str, table: GenePhenotype
) -> dict[tuple[tuple[str, int], ...], PhenotypeDiplotype]:
    """Diplotype (allele counts) → phenotype row, built once per gene and data version."""
    key = f"phenotype_index:{gene}"
    index: dict[tuple[tuple[str, int], ...], PhenotypeDiplotype] | None = data.cache.get(key)
    if index is None:
        index = {}
        for entry in table.diplotypes:
            index.setdefault(_diplotype_key(entry.diplotypekey), entry)
        data.cache[key] = index
    return index


@dataclass(frozen=True, slots=True)
class GenePhenotypeResult:
    """The gene's phenotype over all its top-scoring diplotypes: one phenotype, or Indeterminate when they differ."""

    phenotype: str | None
    activity_score: str | None
    per_diplotype: tuple[Phenotype, ...]
    note: str | None = None


def summarise(per_diplotype: list[Phenotype]) -> GenePhenotypeResult:
    if not per_diplotype:
        return GenePhenotypeResult(NOT_CALLED, None, (), note="no diplotype could be called")
    phenotypes = {p.phenotype for p in per_diplotype}
    scores = {p.activity_score for p in per_diplotype}
    if len(phenotypes) == 1:
        only = per_diplotype[0]
        return GenePhenotypeResult(
            only.phenotype, only.activity_score if len(scores) == 1 else None, tuple(per_diplotype), only.note
        )
    return GenePhenotypeResult(
        INDETERMINATE,
        None,
        tuple(per_diplotype),
        note="the tied diplotypes have different phenotypes",
    )
