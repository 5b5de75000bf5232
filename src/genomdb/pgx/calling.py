"""Call one person: evidence → gene calls → phenotypes → CPIC recommendations (the pure core of ``pgx``).

``PgxCaller`` is built once per data version and is safe to reuse for many persons. ``call_person`` takes the
person's evidence (from ``pgx.vcf`` or from the variant store via ``evidence.build_person_evidence``) and optional
outside calls; ``call_person_both`` also calls the same person from the explicit records alone (PharmCAT's view) and
lists the genes where the callable reference blocks change the answer.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from genomdb.pgx.definitions import (
    OUTSIDE_ONLY_GENES,
    VCF_GENES,
    PgxData,
    load_pgx_data,
)
from genomdb.pgx.evidence import PersonEvidence, PositionEvidence
from genomdb.pgx.matcher import GeneCall, GeneModel, build_gene_model, call_gene
from genomdb.pgx.outside_calls import OutsideCall
from genomdb.pgx.phenotypes import (
    GenePhenotypeResult,
    Phenotype,
    allele_activity,
    diplotype_phenotype,
    summarise,
)
from genomdb.pgx.recommendations import DrugRecommendation, RecommendationTable, load_recommendations, recommend

RESULT_SCHEMA_VERSION = 1


@dataclass(frozen=True)
class GeneResult:
    """One gene of a person: the call (matcher or outside call), its phenotype and why it may be missing."""

    gene: str
    source: str
    """``matcher`` or ``outside call``"""
    diplotypes: tuple[str, ...]
    phenotype: str | None
    activity_score: str | None
    phenotype_detail: GenePhenotypeResult
    call: GeneCall | None = None
    outside_call: OutsideCall | None = None
    lookup_diplotype: str | None = None

    @property
    def missing_positions(self) -> tuple[int, ...]:
        return self.call.missing_positions if self.call else ()


@dataclass(frozen=True)
class PersonPgxResult:
    sample_label: str
    origin: str
    data_version: str
    definitions_version: str
    genes: tuple[GeneResult, ...]
    recommendations: tuple[DrugRecommendation, ...]
    positions_from_blocks: int
    warnings: tuple[str, ...] = field(default=())
    schema_version: int = RESULT_SCHEMA_VERSION

    def gene(self, name: str) -> GeneResult:
        for result in self.genes:
            if result.gene == name:
                return result
        raise KeyError(name)


@dataclass(frozen=True, slots=True)
class CallDifference:
    gene: str
    from_records_alone: tuple[str, ...]
    with_callable_blocks: tuple[str, ...]
    phenotype_from_records_alone: str | None
    phenotype_with_callable_blocks: str | None


@dataclass(frozen=True)
class PgxComparison:
    """A person called twice: from the explicit records alone (as PharmCAT) and with the callable blocks."""

    from_records_alone: PersonPgxResult
    with_callable_blocks: PersonPgxResult
    differences: tuple[CallDifference, ...]


class PgxCaller:
    """Gene models, phenotype tables and recommendations of one data version, ready to call many persons."""

    def __init__(self, data: PgxData) -> None:
        self.data = data
        self.models: dict[str, GeneModel] = {
            gene: build_gene_model(data.definitions[gene], data.exemptions.get(gene)) for gene in VCF_GENES
        }
        self.recommendations: RecommendationTable = load_recommendations(data.recommendations_dir)
        self._activity = {gene: allele_activity(data, gene) for gene in ("DPYD", "CYP2C9", "CYP2D6")}
        self._no_evidence: dict[tuple[str, bool], GeneCall] = {}
        """A gene without any evidence gets the same call for everyone (by gene and top-candidates flag)."""
        self._phenotypes: dict[tuple[str, tuple[str, ...]], Phenotype] = {}
        self._recommended: dict[frozenset[tuple[str, str | None]], list[DrugRecommendation]] = {}

    @classmethod
    def load(cls, data_dir: Path | None = None) -> PgxCaller:
        """The caller for a data directory (default: the packaged data)."""
        return cls(load_pgx_data(data_dir))

    @property
    def known_genes(self) -> frozenset[str]:
        return frozenset({*VCF_GENES, *OUTSIDE_ONLY_GENES})

    def defining_positions(self) -> set[tuple[str, int]]:
        """Every (chrom, position) the matcher reads: what the variant store must be asked for."""
        out: set[tuple[str, int]] = set()
        for model in self.models.values():
            out.update((model.chromosome, locus.position) for locus in model.loci)
            out.update((locus.chromosome, locus.position) for locus in model.extra_loci)
        return out

    def call_genes(
        self,
        evidence: PersonEvidence,
        *,
        top_candidates_only: bool = True,
        known: Mapping[str, GeneCall] | None = None,
    ) -> dict[str, GeneCall]:
        """Every VCF gene's call; ``known`` are calls already made from the same evidence (kept as they are)."""
        calls: dict[str, GeneCall] = {}
        for gene, model in self.models.items():
            if known is not None and gene in known:
                calls[gene] = known[gene]
                continue
            by_position: dict[int, PositionEvidence] = {}
            for locus in (*model.loci, *model.extra_loci):
                found = evidence.at(locus.chromosome, locus.position)
                if found is not None:
                    by_position[locus.position] = found
            if not by_position and (gene, top_candidates_only) in self._no_evidence:
                calls[gene] = self._no_evidence[(gene, top_candidates_only)]
                continue
            calls[gene] = call_gene(
                model,
                by_position,
                top_candidates_only=top_candidates_only,
                allele_activity=self._activity.get(gene),
            )
            if not by_position:
                self._no_evidence[(gene, top_candidates_only)] = calls[gene]
        return calls

    def call_person(
        self,
        evidence: PersonEvidence,
        *,
        outside_calls: Mapping[str, OutsideCall] | None = None,
        top_candidates_only: bool = True,
        known: Mapping[str, GeneCall] | None = None,
    ) -> PersonPgxResult:
        """Diplotypes, phenotypes and recommendations of one person; outside calls override the matcher.

        ``known``: gene calls already made from this same evidence (``call_person_both`` reuses them)."""
        outside_calls = outside_calls or {}
        calls = self.call_genes(evidence, top_candidates_only=top_candidates_only, known=known)
        genes: list[GeneResult] = []
        for gene in sorted({*VCF_GENES, *outside_calls}):
            if gene in outside_calls:
                genes.append(self._from_outside_call(outside_calls[gene], calls.get(gene)))
            else:
                genes.append(self._from_matcher(calls[gene]))
        phenotypes = {result.gene: result.phenotype for result in genes}
        for gene in OUTSIDE_ONLY_GENES:
            phenotypes.setdefault(gene, None)
        recommendations = self._recommend(phenotypes)
        warnings = list(evidence.warnings)
        overridden = sorted(gene for gene in outside_calls if gene in calls)
        if overridden:
            warnings.append("outside calls override the matcher for " + ", ".join(overridden))
        return PersonPgxResult(
            sample_label=evidence.sample_label,
            origin=evidence.origin,
            data_version=self.data.data_version,
            definitions_version=self.data.manifest.definitions_version,
            genes=tuple(genes),
            recommendations=tuple(recommendations),
            positions_from_blocks=evidence.n_from_blocks(),
            warnings=tuple(warnings),
        )

    def call_person_both(
        self,
        evidence: PersonEvidence,
        *,
        outside_calls: Mapping[str, OutsideCall] | None = None,
        top_candidates_only: bool = True,
    ) -> PgxComparison:
        """Call from the explicit records alone and with the callable blocks; list the genes that differ.

        A gene none of whose positions came from a block reads the same evidence both ways: it is called once."""
        calls = self.call_genes(evidence, top_candidates_only=top_candidates_only)
        with_blocks = self.call_person(
            evidence, outside_calls=outside_calls, top_candidates_only=top_candidates_only, known=calls
        )
        same = {gene: call for gene, call in calls.items() if not call.positions_from_blocks}
        alone = self.call_person(
            evidence.without_blocks(), outside_calls=outside_calls, top_candidates_only=top_candidates_only, known=same
        )
        differences = []
        for before, after in zip(alone.genes, with_blocks.genes, strict=True):
            if before.diplotypes != after.diplotypes or before.phenotype != after.phenotype:
                differences.append(
                    CallDifference(before.gene, before.diplotypes, after.diplotypes, before.phenotype, after.phenotype)
                )
        return PgxComparison(alone, with_blocks, tuple(differences))

    def _recommend(self, phenotypes: Mapping[str, str | None]) -> list[DrugRecommendation]:
        key = frozenset(phenotypes.items())
        found = self._recommended.get(key)
        if found is None:
            found = recommend(self.recommendations, phenotypes, data_version=self.data.data_version)
            self._recommended[key] = found
        return list(found)

    def _phenotype(self, gene: str, alleles: tuple[str, ...]) -> Phenotype:
        key = (gene, alleles)
        found = self._phenotypes.get(key)
        if found is None:
            found = diplotype_phenotype(self.data, gene, alleles)
            self._phenotypes[key] = found
        return found

    def _from_matcher(self, call: GeneCall) -> GeneResult:
        gene = call.gene
        if gene == "DPYD" and call.lookup_alleles:
            per = [self._phenotype(gene, tuple(call.lookup_alleles))]
            detail = summarise(per)
            names = tuple(call.diplotype_names)
            return GeneResult(
                gene,
                "matcher",
                names,
                detail.phenotype,
                detail.activity_score,
                detail,
                call=call,
                lookup_diplotype="/".join(call.lookup_alleles),
            )
        per_diplotype: list[Phenotype] = [
            self._phenotype(gene, tuple(diplotype.allele_names)) for diplotype in call.diplotypes
        ]
        detail = summarise(per_diplotype)
        return GeneResult(
            gene,
            "matcher",
            tuple(call.diplotype_names),
            detail.phenotype,
            detail.activity_score,
            detail,
            call=call,
            lookup_diplotype=call.diplotype_names[0] if len(call.diplotypes) == 1 else None,
        )

    def _from_outside_call(self, outside: OutsideCall, matcher_call: GeneCall | None) -> GeneResult:
        gene = outside.gene
        if outside.diplotype:
            alleles = tuple(a.strip() for a in outside.diplotype.split("/"))
            looked_up = diplotype_phenotype(self.data, gene, alleles)
            detail = summarise([looked_up])
        else:
            detail = GenePhenotypeResult(outside.phenotype, outside.activity_score, (), note="phenotype given")
        phenotype = outside.phenotype or detail.phenotype
        score = outside.activity_score or detail.activity_score
        if gene == "CYP2D6" and outside.activity_score and not outside.phenotype:
            from genomdb.pgx.phenotypes import cyp2d6_phenotype

            phenotype = cyp2d6_phenotype(float(outside.activity_score.replace("≥", "")))
        return GeneResult(
            gene,
            "outside call",
            (outside.diplotype,) if outside.diplotype else (),
            phenotype,
            score,
            detail,
            call=matcher_call,
            outside_call=outside,
            lookup_diplotype=outside.diplotype,
        )
