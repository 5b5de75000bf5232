"""Genotype-based screening, part of ``genomdb screen``: relatedness and identity check, polygenic scores, CanRisk
pedigrees (registered on the group by :mod:`genomdb.cli.screen_cmd`).

Each command acts as a named user (``--as USER`` / ``GENOMDB_USER``) and reads through the access policy, which
audits every person-level read: the relatedness check and the cohort's scores are a data steward's, a CanRisk
pedigree is for whoever may read the index case and the relatives in it.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from genomdb.cli.context import AsUser, acting, state
from genomdb.cli.output import Column, TsvFlag, console, print_json, print_listing
from genomdb.errors import InvalidInput, Problem

if TYPE_CHECKING:
    from genomdb.instance import Instance

AsJson = Annotated[bool, typer.Option("--json", help="print JSON instead of tables")]

_FLAG_COLUMNS = [
    Column("flag", identifier=True),
    Column("person", identifier=True),
    Column("relative", identifier=True),
    Column("declared", drop_order=2),
    Column("inferred", drop_order=3),
    Column("kinship", justify="right"),
    Column("detail", drop_order=1),
]
"""A flag is a code and is never wrapped; on a narrow terminal the relationships give way before the kinship."""
_PAIR_COLUMNS = [
    Column("person", identifier=True),
    Column("relative", identifier=True),
    Column("degree"),
    Column("kinship", justify="right"),
    Column("samples", drop_order=1),
]


def kinship(
    pairs: Annotated[bool, typer.Option("--pairs", help="list the related pairs (third degree or closer)")] = False,
    min_maf: Annotated[float, typer.Option("--min-maf", help="minor allele frequency of the variants used")] = 0.05,
    plink: Annotated[
        Path | None,
        typer.Option("--plink", help="also write the genotypes used as PREFIX.bed/.bim/.fam (for KING or plink2)"),
    ] = None,
    as_user: AsUser = None,
    as_json: AsJson = False,
    as_tsv: TsvFlag = False,
) -> None:
    """KING-robust kinship between every pair of persons, and every disagreement with the declared relationships
    (sample swaps, persons registered twice, undeclared or unconfirmed relatives) flagged for the steward."""
    from genomdb.screening.kinship import DEGREE_NAMES, KinshipPolicy
    from genomdb.screening.relatedness import check_relatedness

    with state.open() as instance:
        actor = acting(instance, as_user, needed_for="the relatedness check")
        report = check_relatedness(instance, actor, policy=KinshipPolicy(min_maf=min_maf), plink_prefix=plink)
    if as_json:
        print_json(
            {
                "n_samples": report.n_samples,
                "n_assessed": report.n_assessed,
                "n_variants": report.n_variants,
                "n_pairs": report.n_pairs,
                "not_assessed": list(report.not_assessed),
                "flags": [
                    {
                        "kind": f.kind,
                        "person": f.first,
                        "relative": f.second,
                        "declared": f.declared,
                        "inferred": f.inferred,
                        "kinship": f.kinship,
                        "detail": f.detail,
                    }
                    for f in report.flags
                ],
                "related": [
                    {
                        "person": p.first,
                        "relative": p.second,
                        "degree": DEGREE_NAMES[p.degree],
                        "kinship": p.kinship,
                        "samples": [p.first_sample, p.second_sample],
                    }
                    for p in report.related
                ],
            }
        )
        return
    if not as_tsv:
        console.print(
            f"{report.n_assessed} of {report.n_samples} samples assessed over {report.n_variants:,} common SNVs "
            f"({report.n_pairs:,} pairs); {len(report.flags)} flag(s) for the steward",
            highlight=False,
        )
        if report.not_assessed:
            console.print(f"not assessed (sample call rate too low): {', '.join(report.not_assessed)}", highlight=False)
    if pairs:  # built column by column: a large cohort has a million related pairs
        related = report.related
        persons, relatives = related.persons()
        samples = map(" ".join, zip(*related.sample_keys(), strict=True))
        kinship_texts = related.kinship_texts(4)
        pair_rows = list(zip(persons, relatives, related.degree_names(), kinship_texts, samples, strict=True))
        print_listing(_PAIR_COLUMNS, pair_rows, as_tsv=as_tsv, title="related persons")
        return
    rows = [
        [
            f.kind,
            f.first,
            f.second,
            f.declared or "",
            f.inferred or "",
            "" if f.kinship is None else f"{f.kinship:.4f}",
            f.detail,
        ]
        for f in report.flags
    ]
    print_listing(_FLAG_COLUMNS, rows, as_tsv=as_tsv, title="relatedness flags")


_SCORE_COLUMNS = [
    Column("person", identifier=True),
    Column("sample", identifier=True, drop_order=2),
    Column("score", justify="right"),
    Column("percentile", justify="right"),
    Column("z", justify="right"),
    Column("missing genotypes", justify="right", drop_order=1),
]


def prs(
    scoring_file: Annotated[Path, typer.Argument(help="PGS Catalog scoring file, harmonised to GRCh38 (.txt[.gz])")],
    min_match_rate: Annotated[
        float, typer.Option("--min-match-rate", help="below this share of matched variants the score is withheld")
    ] = 0.75,
    keep_ambiguous: Annotated[
        bool, typer.Option("--keep-ambiguous", help="use palindromic (A/T, C/G) variants, matched as written")
    ] = False,
    match_log: Annotated[
        Path | None, typer.Option("--match-log", help="write the per-variant match log here (TSV)")
    ] = None,
    as_user: AsUser = None,
    as_json: AsJson = False,
    as_tsv: TsvFlag = False,
) -> None:
    """A polygenic score for every person, with the variant match log, the match-rate gate and each person's
    percentile in the national cohort."""
    from genomdb.screening.pgs import read_scoring_file
    from genomdb.screening.prs import PrsPolicy, score_cohort
    from genomdb.screening.relatedness import audited_samples
    from genomdb.variants.store import VariantStore

    scoring = read_scoring_file(scoring_file)
    with state.open() as instance:
        actor = acting(instance, as_user, needed_for="polygenic scores")
        samples = audited_samples(instance, actor, via="cli", request="polygenic score")
        result = score_cohort(
            VariantStore.of(instance),
            samples,
            scoring,
            PrsPolicy(min_match_rate=min_match_rate, keep_ambiguous=keep_ambiguous),
        )
    if match_log is not None:
        lines = ["line\tchrom\tpos\teffect_allele\tother_allele\teffect_weight\tstatus\tstore_variant\teffect_is"]
        for m in result.matches:
            v = m.variant
            lines.append(
                f"{v.line}\t{v.chrom or ''}\t{v.pos or ''}\t{v.effect_allele}\t{v.other_allele or ''}\t"
                f"{v.effect_weight!r}\t{m.status}\t{m.variant_key or ''}\t"
                f"{('alt' if m.effect_is_alt else 'ref') if m.variant_key else ''}"
            )
        match_log.write_text("\n".join(lines) + "\n", encoding="utf-8")
    if as_json:
        print_json(
            {
                "pgs_id": scoring.pgs_id,
                "match_rate": result.match_rate,
                "matches": result.counts(),
                "withheld": result.withheld,
                "cohort_mean": result.cohort_mean,
                "cohort_sd": result.cohort_sd,
                "scores": [
                    {
                        "person": s.sample.pseudonym,
                        "sample": s.sample.sample_key,
                        "score": s.score,
                        "percentile": s.percentile,
                        "z": s.z_score,
                        "missing_genotypes": s.n_missing_genotypes,
                    }
                    for s in result.scores
                ],
            }
        )
        return
    if not as_tsv:
        counts = ", ".join(f"{n} {status}" for status, n in sorted(result.counts().items()))
        console.print(
            f"{scoring.pgs_id or scoring_file.name}: {len(result.matches)} variants ({counts}); match rate "
            f"{100 * result.match_rate:.1f}%",
            highlight=False,
        )
    if result.withheld:
        console.print(f"[bold]withheld[/]: {result.withheld}", highlight=False)
        return
    rows = [
        [
            s.sample.pseudonym,
            s.sample.sample_key,
            f"{s.score:.6g}",
            f"{s.percentile:.1f}",
            f"{s.z_score:.3f}",
            str(s.n_missing_genotypes),
        ]
        for s in result.scores
    ]
    print_listing(_SCORE_COLUMNS, rows, as_tsv=as_tsv, title="polygenic scores (missing genotypes count 0)")


def _parse_gene_results(values: list[str], index: str) -> dict[str, list[object]]:
    from genomdb.screening.canrisk import GeneResult

    found: dict[str, list[object]] = {}
    problems = []
    for value in values:
        person, _, rest = value.rpartition(":") if value.count(":") == 2 else ("", "", value)
        gene, sep, outcome = rest.partition("=")
        test, _, result = outcome.partition(":") if ":" in outcome else ("S", "", outcome)
        if not sep or test not in ("S", "T") or result not in ("P", "N"):
            problems.append(
                Problem(
                    "--gene-result",
                    "not a gene result",
                    field="--gene-result",
                    expected="[PSEUDONYM:]GENE=[S|T:]P|N, e.g. BRCA2=S:P",
                    found=value,
                )
            )
            continue
        found.setdefault(person or index, []).append(GeneResult(gene.upper(), result, test))  # type: ignore[arg-type]
    if problems:
        raise InvalidInput("bad gene results", problems)
    return found


def canrisk(
    person: Annotated[str, typer.Argument(help="the index case's pseudonym (GDB-…)")],
    out: Annotated[Path, typer.Option("--out", help="write the CanRisk pedigree file here")],
    gene_result: Annotated[
        list[str] | None,
        typer.Option("--gene-result", help="[PSEUDONYM:]GENE=[S|T:]P|N, repeatable; default person: the index"),
    ] = None,
    breast_cancer_age: Annotated[
        int | None, typer.Option("--breast-cancer-age", help="the index case's age at breast-cancer diagnosis")
    ] = None,
    scoring_file: Annotated[
        Path | None, typer.Option("--scoring-file", help="breast-cancer PGS: the index's z in the cohort goes in")
    ] = None,
    prs_alpha: Annotated[
        float | None, typer.Option("--prs-alpha", help="the PGS's alpha (√ of the polygenic variance it explains)")
    ] = None,
    as_user: AsUser = None,
) -> None:
    """A CanRisk (BOADICEA) pedigree file for a breast-cancer index case: declared family, gene results and PRS."""
    from genomdb.screening.canrisk import PolygenicScore, export_canrisk

    if (scoring_file is None) != (prs_alpha is None):
        raise InvalidInput(
            "PRS half given",
            [Problem("--prs-alpha", "give --scoring-file and --prs-alpha together", field="--prs-alpha")],
        )
    results = _parse_gene_results(gene_result or [], person)
    with state.open() as instance:
        actor = acting(instance, as_user, needed_for="CanRisk pedigrees")
        polygenic = None
        if scoring_file is not None and prs_alpha is not None:
            polygenic = PolygenicScore(prs_alpha, _index_z(instance, person, scoring_file))
        pedigree = export_canrisk(
            instance,
            actor,
            person,
            gene_results=results,  # type: ignore[arg-type]
            prs=polygenic,
            index_breast_cancer_age=breast_cancer_age,
        )
    out.write_text(pedigree.text, encoding="utf-8")
    console.print(
        f"wrote {out}: family {pedigree.family_id}, {len(pedigree.individuals)} persons from the catalogue",
        highlight=False,
    )
    console.print(json.dumps(pedigree.individuals), highlight=False)


def _index_z(instance: Instance, person: str, scoring_file: Path) -> float:
    """The index case's z within the national cohort's scores (only this one value leaves the function)."""
    from genomdb.screening.pgs import read_scoring_file
    from genomdb.screening.prs import person_z_score
    from genomdb.screening.relatedness import assessed_samples
    from genomdb.variants.store import VariantStore

    scoring = read_scoring_file(scoring_file)
    return person_z_score(VariantStore.of(instance), assessed_samples(instance), scoring, person)
