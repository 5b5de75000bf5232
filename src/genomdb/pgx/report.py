"""Serialise PGx results: genomdb's JSON report (schema versioned) and a PharmCAT-comparable ``.match.json``."""

from __future__ import annotations

from typing import Any

from genomdb.pgx.calling import GeneResult, PersonPgxResult, PgxComparison
from genomdb.pgx.matcher import GeneCall, ObservedVariant


def _gene_json(result: GeneResult) -> dict[str, Any]:
    call = result.call
    detail = result.phenotype_detail
    out: dict[str, Any] = {
        "gene": result.gene,
        "source": result.source,
        "diplotypes": list(result.diplotypes),
        "called": bool(result.diplotypes) or result.lookup_diplotype is not None,
        "phenotype": result.phenotype,
        "activity_score": result.activity_score,
        "lookup_diplotype": result.lookup_diplotype,
        "phenotype_note": detail.note,
        "per_diplotype": [
            {
                "diplotype": p.diplotype,
                "phenotype": p.phenotype,
                "activity_score": p.activity_score,
                "alleles": [
                    {"name": a.name, "function": a.function, "activity_value": a.activity_value} for a in p.alleles
                ],
            }
            for p in detail.per_diplotype
        ],
        "missing_positions": list(result.missing_positions),
    }
    if call is not None:
        out.update(
            {
                "scores": [d.score for d in call.diplotypes],
                "phased": call.phased,
                "effectively_phased": call.effectively_phased,
                "haploid": call.haploid,
                "variants_found": list(call.haplotype_matches),
                "positions_with_undocumented_variations": list(call.positions_with_undocumented_variations),
                "undocumented_read_as_reference": call.treat_undocumented_as_reference
                and bool(call.positions_with_undocumented_variations),
                "missing_required_positions": list(call.missing_required_positions),
                "positions_from_callable_blocks": list(call.positions_from_blocks),
                "definition_version": call.definition_version,
                "warnings": list(call.warnings),
            }
        )
    if result.outside_call is not None:
        oc = result.outside_call
        out["outside_call"] = {
            "diplotype": oc.diplotype,
            "phenotype": oc.phenotype,
            "activity_score": oc.activity_score,
            "line": oc.line,
        }
    return out


def result_to_json(result: PersonPgxResult) -> dict[str, Any]:
    """genomdb's PGx report of one person (``schema_version`` 1)."""
    return {
        "schema_version": result.schema_version,
        "sample": result.sample_label,
        "input": result.origin,
        "data_version": result.data_version,
        "definitions_version": result.definitions_version,
        "positions_from_callable_blocks": result.positions_from_blocks,
        "genes": [_gene_json(gene) for gene in result.genes],
        "recommendations": [
            {
                "drug": r.drug,
                "genes": list(r.genes),
                "phenotypes": list(r.phenotypes),
                "status": r.status,
                "recommendation": r.text,
                "guideline": r.guideline_url,
                "cpic_level": r.cpic_level,
                "data_version": r.data_version,
            }
            for r in result.recommendations
        ],
        "warnings": list(result.warnings),
    }


def comparison_to_json(comparison: PgxComparison) -> dict[str, Any]:
    """Both calls of a person and the genes where the callable blocks change the answer."""
    out = result_to_json(comparison.with_callable_blocks)
    out["from_records_alone"] = {
        gene.gene: {"diplotypes": list(gene.diplotypes), "phenotype": gene.phenotype}
        for gene in comparison.from_records_alone.genes
    }
    out["differences_from_callable_blocks"] = [
        {
            "gene": d.gene,
            "from_records_alone": list(d.from_records_alone),
            "with_callable_blocks": list(d.with_callable_blocks),
            "phenotype_from_records_alone": d.phenotype_from_records_alone,
            "phenotype_with_callable_blocks": d.phenotype_with_callable_blocks,
        }
        for d in comparison.differences
    ]
    return out


def _variant(v: ObservedVariant) -> dict[str, Any]:
    return {"position": v.position, "rsid": v.rsid, "vcfCall": v.call, "phased": v.phased, "phaseSet": v.phase_set}


def _match_gene(call: GeneCall, chromosome: str) -> dict[str, Any]:
    haplotypes: dict[str, int] = {}
    diplotypes = []
    for d in call.diplotypes:
        entry: dict[str, Any] = {"name": d.name, "haplotype1": {"name": d.allele1.name}, "score": d.score}
        haplotypes.setdefault(d.allele1.name, d.allele1.score)
        if d.allele2 is not None:
            entry["haplotype2"] = {"name": d.allele2.name}
            haplotypes.setdefault(d.allele2.name, d.allele2.score)
        diplotypes.append(entry)
    return {
        "gene": call.gene,
        "version": call.definition_version,
        "chromosome": chromosome,
        "diplotypes": diplotypes,
        "haplotypes": [{"name": name} for name in haplotypes],
        "haplotypeMatches": [{"name": name} for name in call.haplotype_matches],
        "phased": call.phased,
        "variants": [_variant(v) for v in call.variants if v.call is not None],
        "variantsOfInterest": [_variant(v) for v in call.variants_of_interest],
        "matchData": {
            "missingPositions": [{"position": p} for p in call.missing_positions],
            "positionsWithUndocumentedVariations": [
                {"position": p} for p in call.positions_with_undocumented_variations
            ],
            "treatUndocumentedVariationsAsReference": call.treat_undocumented_as_reference,
            "phased": call.phased,
            "effectivelyPhased": call.effectively_phased,
            "missingRequiredPositions": list(call.missing_required_positions),
        },
        "warnings": list(call.warnings),
    }


def result_to_match_json(result: PersonPgxResult, *, chromosomes: dict[str, str]) -> dict[str, Any]:
    """The matcher's calls in the shape of PharmCAT's ``.match.json`` (names of fields kept for comparison)."""
    return {
        "metadata": {
            "namedAlleleMatcher": "genomdb",
            "genomeBuild": "GRCh38",
            "inputFilename": result.origin,
            "sampleId": result.sample_label,
            "topCandidatesOnly": True,
            "findCombinations": False,
            "dataVersion": result.data_version,
        },
        "results": [
            _match_gene(gene.call, chromosomes.get(gene.gene, "")) for gene in result.genes if gene.call is not None
        ],
    }
