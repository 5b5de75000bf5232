"""Polygenic scores of the cohort from the variant store: variant matching with a log, a match-rate gate, a score
per person and where it lies in the national cohort's distribution.

Matching (per scoring-file row, against the variants the cohort's calls hold at that position):

- ``matched``: effect allele = ALT and other allele = REF (or no other allele given and the effect allele is the
  ALT); ``allele-swap``: effect = REF, other = ALT (the dose of the effect allele is 2 − ALT dose);
- ``strand-flip`` / ``strand-flip-swap``: the same after complementing both alleles (never for palindromic pairs);
- ``ambiguous``: a palindromic pair (A/T, C/G), whose strand cannot be told from the alleles: left out unless the
  policy keeps them (then matched only as written, without a flip);
- ``missing``: no variant in the store with these alleles at this position (or the row was not harmonised).

Missing genotypes: a person without a called genotype at a matched variant contributes **0** there (no mean
imputation), the handling of ``plink2 --score … no-mean-imputation``; the number of such variants is reported
per person. Below the policy's minimum match rate the score is withheld, with the reason, for everybody.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

import numpy as np
import numpy.typing as npt

from genomdb.errors import InvalidInput, NotFound, Problem
from genomdb.screening.kinship import GenotypeMatrix, read_genotypes
from genomdb.screening.pgs import ScoringFile, ScoringVariant
from genomdb.variants.records import CohortSample

if TYPE_CHECKING:
    import pyarrow as pa  # type: ignore[import-untyped]

    from genomdb.variants.store import VariantStore

MatchStatus = Literal["matched", "allele-swap", "strand-flip", "strand-flip-swap", "ambiguous", "missing"]
USED: frozenset[str] = frozenset({"matched", "allele-swap", "strand-flip", "strand-flip-swap"})
_COMPLEMENT = str.maketrans("ACGT", "TGCA")


@dataclass(frozen=True, slots=True)
class PrsPolicy:
    min_match_rate: float = 0.75
    """Share of the scoring file's variants that must be matched for a score to be given."""
    keep_ambiguous: bool = False

    def __post_init__(self) -> None:
        if not 0.0 <= self.min_match_rate <= 1.0:
            raise InvalidInput(
                "bad PRS policy",
                [
                    Problem(
                        "PRS policy",
                        "out of range",
                        field="min_match_rate",
                        expected="0 ≤ share ≤ 1",
                        found=str(self.min_match_rate),
                    )
                ],
            )


@dataclass(frozen=True, slots=True)
class VariantMatch:
    """One scoring-file row and what it matched in the store."""

    variant: ScoringVariant
    status: MatchStatus
    variant_key: str | None = None
    """``chrom-pos-ref-alt`` of the store variant used (1-based)."""
    effect_is_alt: bool = True

    @property
    def used(self) -> bool:
        return self.status in USED or (self.status == "ambiguous" and self.variant_key is not None)


@dataclass(frozen=True, slots=True)
class PersonScore:
    sample: CohortSample
    score: float
    percentile: float
    """Share of the cohort (in %) scoring lower, ties counted half."""
    z_score: float
    n_missing_genotypes: int


@dataclass(frozen=True, slots=True)
class PrsResult:
    scoring_file: ScoringFile
    matches: tuple[VariantMatch, ...]
    match_rate: float
    withheld: str | None
    """Why no score is given (below the match-rate minimum), or None."""
    scores: tuple[PersonScore, ...]
    cohort_mean: float | None
    cohort_sd: float | None

    def counts(self) -> dict[str, int]:
        found: dict[str, int] = defaultdict(int)
        for match in self.matches:
            found[match.status] += 1
        return dict(found)


def _is_palindromic(first: str, second: str | None) -> bool:
    return second is not None and len(first) == len(second) == 1 and first.translate(_COMPLEMENT) == second


def match_variant(
    variant: ScoringVariant, store_alleles: Sequence[tuple[str, str]], *, keep_ambiguous: bool
) -> VariantMatch:
    """Match one scoring row against the store's ``(ref, alt)`` pairs at its position."""
    if variant.chrom is None or variant.pos is None:
        return VariantMatch(variant, "missing")
    effect, other = variant.effect_allele, variant.other_allele

    def key(ref: str, alt: str) -> str:
        return f"{variant.chrom}-{variant.pos}-{ref}-{alt}"

    def direct() -> VariantMatch | None:
        for ref, alt in store_alleles:
            if alt == effect and (other is None or ref == other):
                return VariantMatch(variant, "matched", key(ref, alt), True)
            if ref == effect and ((other is None and len(store_alleles) == 1) or alt == other):
                return VariantMatch(variant, "allele-swap", key(ref, alt), False)
        return None

    if _is_palindromic(effect, other):
        found = direct() if keep_ambiguous else None
        if found is None:
            return VariantMatch(variant, "ambiguous")
        return VariantMatch(variant, "ambiguous", found.variant_key, found.effect_is_alt)
    found = direct()
    if found is not None:
        return found
    flipped_effect = effect.translate(_COMPLEMENT)
    flipped_other = other.translate(_COMPLEMENT) if other is not None else None
    if other is not None:
        for ref, alt in store_alleles:
            if alt == flipped_effect and ref == flipped_other:
                return VariantMatch(variant, "strand-flip", key(ref, alt), True)
            if ref == flipped_effect and alt == flipped_other:
                return VariantMatch(variant, "strand-flip-swap", key(ref, alt), False)
    return VariantMatch(variant, "missing")


def store_alleles_at(
    store: VariantStore, samples: Sequence[CohortSample], positions: Sequence[tuple[str, int]]
) -> dict[tuple[str, int], list[tuple[str, str]]]:
    """The ``(ref, alt)`` pairs the samples' calls hold at each position."""
    import pyarrow as pa

    from genomdb.variants.store import connect_duckdb

    batch_ids = sorted({s.batch_id for s in samples})
    calls_glob = store.calls_glob(batch_ids)
    found: dict[tuple[str, int], list[tuple[str, str]]] = defaultdict(list)
    if not calls_glob or not positions:
        return found
    unique = sorted(set(positions))
    con = connect_duckdb(threads=2)
    store.datasets.attach(con)
    try:
        con.register(
            "positions",
            pa.table({"chrom": [c for c, _ in unique], "pos": pa.array([p for _, p in unique], pa.int32())}),
        )
        con.register("wanted", pa.table({"sample_id": pa.array(sorted(s.sample_id for s in samples), pa.int64())}))
        globs = "[" + ", ".join("'" + g.replace("'", "''") + "'" for g in calls_glob) + "]"
        rows = con.execute(
            "SELECT DISTINCT c.chrom, c.pos, c.ref, c.alt "
            f"FROM read_parquet({globs}, hive_partitioning = true, union_by_name = true) AS c "
            "SEMI JOIN positions AS p ON c.chrom = p.chrom AND c.pos = p.pos "
            "SEMI JOIN wanted AS w ON c.sample_id = w.sample_id "
            "ORDER BY c.chrom, c.pos, c.ref, c.alt"
        ).fetchall()
    finally:
        con.close()
    for chrom, pos, ref, alt in rows:
        found[(str(chrom), int(pos))].append((str(ref), str(alt)))
    return found


def match_scoring_file(
    store: VariantStore, samples: Sequence[CohortSample], scoring: ScoringFile, policy: PrsPolicy
) -> tuple[VariantMatch, ...]:
    """The match log: one entry per scoring-file row, in file order."""
    positions = [(v.chrom, v.pos) for v in scoring.variants if v.chrom is not None and v.pos is not None]
    alleles = store_alleles_at(store, samples, positions)
    return tuple(
        match_variant(v, alleles.get((v.chrom or "", v.pos or 0), []), keep_ambiguous=policy.keep_ambiguous)
        for v in scoring.variants
    )


def used_variants(matches: Sequence[VariantMatch]) -> pa.Table:
    """The store variants the used matches point at, as a ``chrom, pos, ref, alt`` table (in match order)."""
    import pyarrow as pa

    keys = [m.variant_key for m in matches if m.used and m.variant_key is not None]
    parts = [k.rsplit("-", 3) for k in keys]
    return pa.table(
        {
            "chrom": pa.array([p[0] for p in parts], pa.string()),
            "pos": pa.array([int(p[1]) for p in parts], pa.int32()),
            "ref": pa.array([p[2] for p in parts], pa.string()),
            "alt": pa.array([p[3] for p in parts], pa.string()),
        }
    )


SCORE_CHUNK = 2048
"""Variants scored at once (float64 work arrays of samples × this many)."""


def weighted_sums(
    matrix: GenotypeMatrix, matches: Sequence[VariantMatch], *, chunk: int = SCORE_CHUNK
) -> npt.NDArray[np.float64]:
    """Per sample, the sum over used matches of weight × dose of the effect allele; a missing genotype adds 0.

    The dose is the alt dosage when the effect allele is the alt, else 2 − dosage; so with ``d`` the dosage (0 when
    missing) and ``c`` 1 when called: Σ w·d over alt effects + Σ w·(2c − d) over ref effects."""
    used = [m for m in matches if m.used]
    weights = np.array([m.variant.effect_weight for m in used], dtype=np.float64)
    effect_is_alt = np.array([m.effect_is_alt for m in used], dtype=bool)
    signed = np.where(effect_is_alt, weights, -weights)
    twice_ref = np.where(effect_is_alt, 0.0, 2.0 * weights)
    total = np.zeros(matrix.dosages.shape[0], dtype=np.float64)
    for start in range(0, len(used), chunk):
        block = matrix.dosages[:, start : start + chunk]
        called = block >= 0
        total += np.where(called, block, 0).astype(np.float64) @ signed[start : start + chunk]
        total += called.astype(np.float64) @ twice_ref[start : start + chunk]
    return total


def percentiles(scores: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    """Mid-rank percentile of each score within the scores themselves."""
    ordered = np.sort(scores)
    below = np.searchsorted(ordered, scores, side="left")
    at_or_below = np.searchsorted(ordered, scores, side="right")
    return np.asarray(100.0 * (below + (at_or_below - below) / 2) / max(1, scores.size), dtype=np.float64)


def score_cohort(
    store: VariantStore, samples: Sequence[CohortSample], scoring: ScoringFile, policy: PrsPolicy | None = None
) -> PrsResult:
    """Match the scoring file, gate on the match rate, and score every sample; the samples given are the
    reference distribution for percentiles and z-scores."""
    chosen = policy or PrsPolicy()
    matches = match_scoring_file(store, samples, scoring, chosen)
    n_used = sum(1 for m in matches if m.used)
    rate = n_used / len(matches) if matches else 0.0
    if rate < chosen.min_match_rate:
        reason = (
            f"{n_used} of {len(matches)} variants matched ({100 * rate:.1f}%), below the policy minimum of "
            f"{100 * chosen.min_match_rate:.1f}%: the score is withheld"
        )
        return PrsResult(scoring, matches, rate, reason, (), None, None)
    matrix = read_genotypes(store, samples, used_variants(matches))
    values = weighted_sums(matrix, matches)
    mean = float(values.mean()) if values.size else 0.0
    sd = float(values.std(ddof=1)) if values.size > 1 else 0.0
    ranks = percentiles(values)
    missing = (matrix.dosages < 0).sum(axis=1)
    scores = tuple(
        PersonScore(
            sample=sample,
            score=float(value),
            percentile=float(rank),
            z_score=(float(value) - mean) / sd if sd > 0 else 0.0,
            n_missing_genotypes=int(n_missing),
        )
        for sample, value, rank, n_missing in zip(matrix.samples, values, ranks, missing, strict=True)
    )
    return PrsResult(scoring, matches, rate, None, scores, mean, sd)


def person_z_score(
    store: VariantStore,
    samples: Sequence[CohortSample],
    scoring: ScoringFile,
    pseudonym: str,
    policy: PrsPolicy | None = None,
) -> float:
    """One person's z-score within the samples' score distribution (for a CanRisk file); InvalidInput when the
    score is withheld, NotFound when the person has no scored sample."""
    result = score_cohort(store, samples, scoring, policy)
    if result.withheld:
        raise InvalidInput("polygenic score withheld", [Problem(scoring.path.name, result.withheld)])
    found = [s for s in result.scores if s.sample.pseudonym == pseudonym]
    if not found:
        raise NotFound(f"{pseudonym} has no harmonised sample to score")
    return found[0].z_score
