"""Issue #14's oracle at the size it names: on a 500-person demo cohort (the demo's own generator, submitted through
data-in and harmonised into the real variant store, once per session), kinship and degree of every pair equal
plink2 ``--make-king-table``, and every person's polygenic score equals plink2 ``--score … no-mean-imputation``
(a missing genotype counts 0 on both sides), both on our PLINK export of the exact variants and genotypes used.

plink2 prints six significant digits; the tolerances are what that allows (kinship 5e-7 plus rounding, scores
1e-6). Added test time: about 40 s (generation 10 s, data-in 11 s, harmonisation 11 s on a loaded 2-core machine)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from genomdb.demo import generate_demo
from genomdb.instance import Instance
from genomdb.screening.kinship import KinshipPolicy, common_snv_genotypes, degrees, king_robust
from genomdb.screening.pgs import read_scoring_file
from genomdb.screening.plink import write_bed
from genomdb.screening.prs import PrsPolicy, score_cohort
from genomdb.screening.relatedness import assessed_samples, declared_relationships, person_pairs
from genomdb.variants.store import VariantStore
from tests.screening.genetics import (
    harmonised_instance,
    plink2_scores,
    random_weights,
    read_table,
    run_plink2,
    scoring_file_text,
    snv_keys,
)

pytestmark = [pytest.mark.slow]

N_PERSONS = 500


@pytest.fixture(scope="module")
def instance_500(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Instance]:
    cohort = generate_demo(
        tmp_path_factory.mktemp("demo-500"),
        n_individuals=N_PERSONS,
        seed=31,
        region_length_bp=300_000,
        n_read_samples=0,
    )
    with harmonised_instance(tmp_path_factory, cohort) as instance:
        yield instance


def test_every_pair_of_500_persons_equals_plink2(instance_500: Instance, tmp_path: Path) -> None:
    store = VariantStore.of(instance_500)
    samples = assessed_samples(instance_500)
    assert len({s.pseudonym for s in samples}) >= N_PERSONS - 10
    matrix, excluded = common_snv_genotypes(store, samples, KinshipPolicy())
    result = king_robust(matrix, excluded=excluded)
    n = len(result.samples)
    assert n >= 400 and result.n_sites >= 400
    assert result.first.size == n * (n - 1) // 2

    write_bed(matrix, tmp_path / "cohort")
    run_plink2("--bfile", str(tmp_path / "cohort"), "--make-king-table", "--out", str(tmp_path / "cohort"))
    peer = read_table(tmp_path / "cohort.kin0")
    assert len(peer) == result.first.size
    keys = [s.sample_key for s in result.samples]
    index = {key: i for i, key in enumerate(keys)}
    first = np.array([index[row["IID1"]] for row in peer])
    second = np.array([index[row["IID2"]] for row in peer])
    low, high = np.minimum(first, second), np.maximum(first, second)
    position = low * n - low * (low + 1) // 2 + (high - low - 1)  # row-major index of (low, high) among i < j
    assert np.array_equal(result.first[position], low) and np.array_equal(result.second[position], high)

    peer_kinship = np.array([float(row["KINSHIP"]) for row in peer])
    ours = result.kinship[position]
    tolerance = 5e-7 + 5e-6 * np.abs(peer_kinship)  # six significant digits
    assert np.all(np.abs(ours - peer_kinship) <= tolerance)
    assert np.array_equal(degrees(ours), degrees(peer_kinship))
    assert np.array_equal(result.n_variants[position], [int(row["NSNP"]) for row in peer])
    peer_ibs0 = np.array([float(row["IBS0"]) for row in peer])  # a share of NSNP
    our_ibs0 = result.n_ibs0[position] / result.n_variants[position]
    assert np.all(np.abs(our_ibs0 - peer_ibs0) <= 5e-7 + 5e-6 * peer_ibs0)
    related = degrees(peer_kinship) <= 3
    assert related.sum() >= 50  # the cohort has families: the comparison covers every degree, not only noise
    assert {1, 2, 3, 4} <= set(degrees(peer_kinship).tolist())

    pairs = {(p.first, p.second) for p in person_pairs(result, max_degree=1)}
    assessed = {s.pseudonym for s in result.samples}
    parental = {
        tuple(sorted((r.pseudonym, r.relative)))
        for r in declared_relationships(instance_500)
        if r.relation in ("mother", "father") and {r.pseudonym, r.relative} <= assessed
    }
    # ~520 SNVs in three linked 300 kb regions make single estimates noisy (a parent and child at 0.13–0.17 is
    # called second degree): most, not all, declared parent-child pairs come out first degree
    assert len(parental) >= 20 and len(parental & pairs) >= 0.7 * len(parental)


def test_every_score_of_500_persons_equals_plink2(instance_500: Instance, tmp_path: Path) -> None:
    keys = snv_keys(instance_500)
    chosen = [keys[i] for i in sorted(np.random.default_rng(8).choice(len(keys), 2000, replace=False))]
    rows: list[tuple[str, int, str, str | None, float]] = []
    for k, ((chrom, pos, ref, alt), weight) in enumerate(zip(chosen, random_weights(len(chosen), 9), strict=True)):
        effect, other = (ref, alt) if k % 7 == 3 else (alt, ref)  # some weights on the reference allele
        rows.append((chrom.removeprefix("chr"), pos, effect, other, weight))
    path = tmp_path / "PGS900500_hmPOS_GRCh38.txt"
    path.write_text(scoring_file_text(rows))
    store = VariantStore.of(instance_500)
    samples = assessed_samples(instance_500)
    result = score_cohort(store, samples, read_scoring_file(path), PrsPolicy(keep_ambiguous=True))
    assert result.withheld is None and len(result.scores) == len(samples) >= N_PERSONS
    assert sum(s.n_missing_genotypes for s in result.scores) > 0

    peer = plink2_scores(store, samples, result, tmp_path)
    assert len(peer) == len(result.scores)
    differences = [abs(s.score - peer[s.sample.sample_key]) for s in result.scores]
    assert max(differences) <= 1e-6
