"""Polygenic scores: plink2 --score as the oracle on the same variants and genotypes (missing genotypes count 0
on both sides: plink2's no-mean-imputation), the match log's categories, the match-rate gate, bad scoring files."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from genomdb.errors import InvalidInput
from genomdb.instance import Instance
from genomdb.screening.pgs import ScoringVariant, read_scoring_file
from genomdb.screening.prs import PrsPolicy, match_variant, percentiles, score_cohort
from genomdb.screening.relatedness import assessed_samples
from genomdb.variants.store import VariantStore
from tests.screening.genetics import (
    complement,
    demo_cohort,
    harmonised_instance,
    plink2_scores,
    random_weights,
    run_genomdb,
    scoring_file_text,
    snv_keys,
)

PALINDROMIC = ({"A", "T"}, {"C", "G"})


@pytest.fixture(scope="module")
def cohort_instance(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Instance]:
    with harmonised_instance(tmp_path_factory, demo_cohort(tmp_path_factory)) as instance:
        yield instance


def _scoring_rows(instance: Instance, n: int) -> list[tuple[str, int, str, str | None, float]]:
    """``n`` of the cohort's SNVs as scoring rows: most as written, every 10th with effect and other swapped,
    every 10th (non-palindromic) on the other strand, plus one position the cohort never shows."""
    keys = snv_keys(instance)
    chosen = [keys[i] for i in sorted(np.random.default_rng(3).choice(len(keys), n, replace=False))]
    rows: list[tuple[str, int, str, str | None, float]] = []
    for k, ((chrom, pos, ref, alt), weight) in enumerate(zip(chosen, random_weights(n, 4), strict=True)):
        contig = chrom.removeprefix("chr")
        if k % 10 == 1:
            rows.append((contig, pos, ref, alt, weight))
        elif k % 10 == 2 and {ref, alt} not in PALINDROMIC:
            rows.append((contig, pos, complement(alt), complement(ref), weight))
        else:
            rows.append((contig, pos, alt, ref, weight))
    rows.append(("19", 11_000_001, "A", "G", 0.5))
    return rows


def test_every_person_scores_as_plink2(cohort_instance: Instance, tmp_path: Path) -> None:
    path = tmp_path / "PGS900001_hmPOS_GRCh38.txt"
    path.write_text(scoring_file_text(_scoring_rows(cohort_instance, 300)))
    store = VariantStore.of(cohort_instance)
    samples = assessed_samples(cohort_instance)
    result = score_cohort(store, samples, read_scoring_file(path), PrsPolicy(keep_ambiguous=True))
    assert result.withheld is None
    counts = result.counts()
    assert counts["allele-swap"] >= 20 and counts["strand-flip"] >= 10 and counts["missing"] == 1
    assert len(result.scores) == len(samples)
    assert sum(s.n_missing_genotypes for s in result.scores) > 0  # missing genotypes are exercised

    peer = plink2_scores(store, samples, result, tmp_path)
    assert len(peer) == len(result.scores)
    for score in result.scores:
        assert abs(score.score - peer[score.sample.sample_key]) <= 1e-6, score.sample.sample_key
    values = np.array([s.score for s in result.scores])
    assert result.cohort_mean == pytest.approx(values.mean())
    assert all(0 <= s.percentile <= 100 for s in result.scores)


def test_match_categories() -> None:
    def row(effect: str, other: str | None) -> ScoringVariant:
        return ScoringVariant(12, "chr19", 100, effect, other, 0.1)

    store = [("G", "A")]
    assert match_variant(row("A", "G"), store, keep_ambiguous=False).status == "matched"
    swapped = match_variant(row("G", "A"), store, keep_ambiguous=False)
    assert swapped.status == "allele-swap" and not swapped.effect_is_alt
    flipped = match_variant(row("T", "C"), store, keep_ambiguous=False)
    assert flipped.status == "strand-flip" and flipped.effect_is_alt and flipped.variant_key == "chr19-100-G-A"
    assert match_variant(row("C", "T"), store, keep_ambiguous=False).status == "strand-flip-swap"
    assert match_variant(row("A", None), store, keep_ambiguous=False).status == "matched"
    assert match_variant(row("C", "A"), store, keep_ambiguous=False).status == "missing"
    palindrome = match_variant(row("T", "A"), [("A", "T")], keep_ambiguous=False)
    assert palindrome.status == "ambiguous" and not palindrome.used
    kept = match_variant(row("T", "A"), [("A", "T")], keep_ambiguous=True)
    assert kept.status == "ambiguous" and kept.used and kept.effect_is_alt
    unharmonised = ScoringVariant(13, None, None, "A", "G", 0.1)
    assert match_variant(unharmonised, store, keep_ambiguous=True).status == "missing"


def test_percentiles_count_ties_half() -> None:
    assert percentiles(np.array([1.0, 2.0, 2.0, 3.0])).tolist() == [12.5, 50.0, 50.0, 87.5]


def test_below_the_match_rate_the_score_is_withheld(cohort_instance: Instance, tmp_path: Path) -> None:
    rows = _scoring_rows(cohort_instance, 20)
    rows += [("19", 11_000_100 + i, "A", "G", 0.1) for i in range(40)]
    path = tmp_path / "sparse.txt"
    path.write_text(scoring_file_text(rows))
    result = score_cohort(
        VariantStore.of(cohort_instance), assessed_samples(cohort_instance), read_scoring_file(path), PrsPolicy()
    )
    assert result.scores == () and result.withheld is not None
    assert "below the policy minimum of 75.0%" in result.withheld


@pytest.mark.parametrize(
    ("change", "field", "line"),
    [
        ({"build_line": "#HmPOS_build=GRCh37"}, "#HmPOS_build", "line 9"),
        ({"build_line": "#genome_build_note=none"}, "#genome_build", "line 7"),
        ({"columns": ("hm_chr", "hm_pos", "effect_allele", "effect_weight")}, "other_allele", "line 11"),
        ({"columns": ("hm_chr", "hm_pos", "effect_allele", "other_allele")}, "effect_weight", "line 11"),
    ],
)
def test_bad_scoring_files_are_refused_naming_file_line_and_column(
    tmp_path: Path, change: dict[str, object], field: str, line: str
) -> None:
    path = tmp_path / "bad.txt"
    path.write_text(scoring_file_text([("19", 11_100_236, "A", "G", 0.1)], **change))  # type: ignore[arg-type]
    with pytest.raises(InvalidInput) as caught:
        read_scoring_file(path)
    problem = caught.value.problems[0]
    assert (problem.file, problem.field, problem.location) == ("bad.txt", field, line)


def test_a_header_without_a_required_field_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "header.txt"
    text = scoring_file_text([("19", 11_100_236, "A", "G", 0.1)])
    path.write_text(text.replace("#trait_reported=Breast cancer\n", ""))
    with pytest.raises(InvalidInput) as caught:
        read_scoring_file(path)
    problem = caught.value.problems[0]
    assert problem.field == "#trait_reported" and problem.location is not None and "header" in problem.location


def test_a_bad_weight_names_its_line(tmp_path: Path) -> None:
    path = tmp_path / "weights.txt"
    text = scoring_file_text([("19", 11_100_236, "A", "G", 0.1), ("19", 11_100_240, "C", "T", 0.2)])
    path.write_text(text.replace("\t0.2\n", "\tabc\n"))
    with pytest.raises(InvalidInput) as caught:
        read_scoring_file(path)
    problem = caught.value.problems[0]
    assert problem.location == "line 13" and problem.field == "effect_weight"


def test_cli_scores_with_a_match_log(cohort_instance: Instance, tmp_path: Path) -> None:
    path = tmp_path / "score.txt"
    path.write_text(scoring_file_text(_scoring_rows(cohort_instance, 60)))
    log = tmp_path / "match.tsv"
    done = run_genomdb(
        cohort_instance, "screen", "prs", str(path), "--keep-ambiguous", "--match-log", str(log), "--json",
        "--as", "steward",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    listing = json.loads(done.stdout)
    assert listing["withheld"] is None and listing["matches"]["missing"] == 1
    assert len(listing["scores"]) > 30
    logged = log.read_text().splitlines()
    assert len(logged) == 62 and logged[0].startswith("line\tchrom\tpos")
    bad = tmp_path / "grch37.txt"
    bad.write_text(scoring_file_text([("19", 1, "A", "G", 0.1)], build_line="#HmPOS_build=GRCh37"))
    refused = run_genomdb(cohort_instance, "screen", "prs", str(bad), "--as", "steward")
    assert refused.returncode != 0 and "grch37.txt" in refused.stderr + refused.stdout
