"""KING-robust kinship from the variant store against plink2's implementation of the same estimator, every pair.

The oracle: Debian's ``king`` package is not KING (it is KiNG, the Kinemage 3-D viewer), so the peer is plink2's
``--make-king-table`` (KING-robust, between-family, every pair of the .fam), run on our PLINK export of exactly the
variants and genotypes we used. Cohort: the 40-person demo (tests/screening/genetics.py).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from genomdb.errors import InvalidInput
from genomdb.instance import Instance
from genomdb.screening.kinship import (
    DUPLICATE,
    UNRELATED,
    KinshipPolicy,
    common_snv_genotypes,
    degrees,
    king_robust,
    read_genotypes,
    read_store_genotypes,
)
from genomdb.screening.panel import genotype_panel, pack_bed_rows, panel_key, unpack_bed_rows
from genomdb.screening.plink import read_bed_dosages, write_bed
from genomdb.screening.relatedness import assessed_samples, declared_relationships, person_pairs
from genomdb.variants.store import VariantStore, connect_duckdb
from tests.screening.genetics import demo_cohort, harmonised_instance, read_table, run_plink2


@pytest.fixture(scope="module")
def cohort_instance(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Instance]:
    with harmonised_instance(tmp_path_factory, demo_cohort(tmp_path_factory)) as instance:
        yield instance


def test_degrees_follow_king_thresholds() -> None:
    values = np.array([0.5, 0.354, 0.3541, 0.25, 0.177, 0.1771, 0.125, 0.0884, 0.06, 0.0442, 0.0, -0.2])
    assert degrees(values).tolist() == [0, 1, 0, 1, 2, 1, 2, 3, 3, 4, 4, 4]
    assert DUPLICATE == 0 and UNRELATED == 4


def test_every_pair_equals_plink2_king_table(cohort_instance: Instance, tmp_path: Path) -> None:
    store = VariantStore.of(cohort_instance)
    matrix, excluded = common_snv_genotypes(store, assessed_samples(cohort_instance), KinshipPolicy())
    result = king_robust(matrix, excluded=excluded)
    n = len(result.samples)
    assert n >= 30 and result.n_sites > 300
    assert result.first.size == n * (n - 1) // 2

    write_bed(matrix, tmp_path / "cohort")
    fam_ids, variant_ids, dosages = read_bed_dosages(tmp_path / "cohort")
    assert fam_ids == [s.sample_key for s in matrix.samples] and variant_ids == matrix.site_ids()
    assert np.array_equal(dosages, matrix.dosages)
    run_plink2("--bfile", str(tmp_path / "cohort"), "--make-king-table", "--out", str(tmp_path / "cohort"))
    peer = read_table(tmp_path / "cohort.kin0")
    assert len(peer) == result.first.size

    keys = [s.sample_key for s in result.samples]
    ours = {
        frozenset((keys[i], keys[j])): (k, int(nv))
        for i, j, k, nv in zip(result.first, result.second, result.kinship, result.n_variants, strict=True)
    }
    peer_kinship = np.array([float(row["KINSHIP"]) for row in peer])
    our_kinship = np.array([ours[frozenset((row["IID1"], row["IID2"]))][0] for row in peer])
    assert np.max(np.abs(our_kinship - peer_kinship)) <= 0.005
    assert np.max(np.abs(our_kinship - peer_kinship)) <= 1e-5  # plink2 prints 6 significant digits
    assert degrees(our_kinship).tolist() == degrees(peer_kinship).tolist()
    assert [ours[frozenset((row["IID1"], row["IID2"]))][1] for row in peer] == [int(row["NSNP"]) for row in peer]


def test_samples_below_call_rate_are_left_out(cohort_instance: Instance) -> None:
    store = VariantStore.of(cohort_instance)
    samples = assessed_samples(cohort_instance)
    matrix, excluded = common_snv_genotypes(store, samples, KinshipPolicy())
    # plain-VCF people have evidence only at their own variants: never assessable as a whole genome
    assert excluded
    assert {s.sample_key for s in excluded}.isdisjoint({s.sample_key for s in matrix.samples})
    rates = (matrix.dosages >= 0).mean(axis=1)
    assert rates.min() >= KinshipPolicy().min_sample_call_rate
    strict, _ = common_snv_genotypes(store, samples, KinshipPolicy(min_maf=0.3))
    assert 0 < strict.pos.size < matrix.pos.size


def test_declared_parents_and_children_are_inferred_first_degree(cohort_instance: Instance) -> None:
    store = VariantStore.of(cohort_instance)
    matrix, excluded = common_snv_genotypes(store, assessed_samples(cohort_instance), KinshipPolicy())
    pairs = {(p.first, p.second): p for p in person_pairs(king_robust(matrix, excluded=excluded), max_degree=3)}
    assessed = {s.pseudonym for s in matrix.samples}
    parental = [
        tuple(sorted((r.pseudonym, r.relative)))
        for r in declared_relationships(cohort_instance)
        if r.relation in ("mother", "father") and {r.pseudonym, r.relative} <= assessed
    ]
    assert len(parental) >= 4
    for pair in parental:
        assert pair in pairs and pairs[pair].degree == 1, pair


def test_the_panel_holds_what_the_store_says(cohort_instance: Instance) -> None:
    """Every panel genotype equals the one read from the store's calls and blocks; the panel is built once and
    reused; its key names the batches it came from."""
    store = VariantStore.of(cohort_instance)
    samples = assessed_samples(cohort_instance)
    batch_ids = sorted({s.batch_id for s in samples})
    panel = genotype_panel(store, batch_ids)
    assert panel.sites.num_rows > 1000 and panel.n_samples >= len(samples)
    built = (panel.path / "genotypes.bed").stat().st_mtime_ns
    again = genotype_panel(store, batch_ids)
    assert again.path == panel.path and (again.path / "genotypes.bed").stat().st_mtime_ns == built
    columns = panel.sample_rows([s.sample_id for s in sorted(samples, key=lambda s: s.sample_id)])
    from_store = read_store_genotypes(store, samples, panel.sites)
    from_panel = panel.dosages(np.arange(panel.sites.num_rows), columns)
    assert np.array_equal(from_panel, from_store.dosages)
    assert {-1, 0, 1, 2} <= set(np.unique(from_panel).tolist())
    alt, called = panel.counts(columns)
    assert np.array_equal(panel.alt_counts(columns), alt)
    assert np.array_equal(alt, np.where(from_panel > 0, from_panel, 0).sum(axis=0))
    assert np.array_equal(called, (from_panel >= 0).sum(axis=0))
    batches = [(b.batch_id, b.manifest_sha256) for b in store.batches()]
    assert panel.key == panel_key(batches) != panel_key([*batches, ("VB-new", "0" * 64)])


def test_sites_beyond_the_panel_are_read_from_the_store(cohort_instance: Instance) -> None:
    """Indels are not in the panel: ``read_genotypes`` reads them from the store, panel SNVs beside them."""
    import pyarrow as pa

    store = VariantStore.of(cohort_instance)
    samples = assessed_samples(cohort_instance)
    con = connect_duckdb(threads=1)
    indels = con.execute(
        f"SELECT DISTINCT chrom, pos, ref, alt FROM read_parquet({store.calls_glob()!r}, hive_partitioning = true) "
        "WHERE length(ref) <> length(alt) ORDER BY ALL LIMIT 20"
    ).fetchall()
    con.close()
    snvs = [tuple(r.values()) for r in genotype_panel(store, sorted({s.batch_id for s in samples})).sites.to_pylist()]
    rows = [*indels[:10], *[r[:4] for r in snvs[:: max(1, len(snvs) // 30)]], *indels[10:]]
    assert len(indels) == 20
    sites = pa.table({name: [r[k] for r in rows] for k, name in enumerate(("chrom", "pos", "ref", "alt"))})
    mixed = read_genotypes(store, samples, sites)
    assert np.array_equal(mixed.dosages, read_store_genotypes(store, samples, sites).dosages)
    assert (mixed.dosages[:, :10] >= 0).any()
    only_indels = sites.take(pa.array(list(range(10))))
    assert np.array_equal(
        read_genotypes(store, samples, only_indels).dosages, read_store_genotypes(store, samples, only_indels).dosages
    )


def test_bed_rows_round_trip() -> None:
    dosages = np.random.default_rng(2).integers(-1, 3, size=(7, 13)).astype(np.int8)
    assert np.array_equal(unpack_bed_rows(pack_bed_rows(dosages), 13), dosages)
    assert unpack_bed_rows(pack_bed_rows(dosages[:0]), 13).shape == (0, 13)


def test_blocked_estimator_equals_one_block(cohort_instance: Instance, monkeypatch: pytest.MonkeyPatch) -> None:
    """Row blocks and site chunks (here forced small) give the same pairs and counts as one product."""
    from genomdb.screening import kinship

    store = VariantStore.of(cohort_instance)
    matrix, _ = common_snv_genotypes(store, assessed_samples(cohort_instance), KinshipPolicy())
    whole = king_robust(matrix)
    monkeypatch.setattr(kinship, "ROW_BLOCK_CELLS", 50)
    monkeypatch.setattr(kinship, "SITE_CHUNK", 97)
    blocked = king_robust(matrix)
    assert np.array_equal(whole.first, blocked.first) and np.array_equal(whole.second, blocked.second)
    assert np.allclose(whole.kinship, blocked.kinship, rtol=0, atol=1e-12, equal_nan=True)
    assert np.array_equal(whole.n_ibs0, blocked.n_ibs0) and np.array_equal(whole.n_variants, blocked.n_variants)


@pytest.mark.parametrize("change", [{"min_maf": 0.0}, {"min_maf": 0.6}, {"min_site_call_rate": 1.5}])
def test_a_policy_out_of_range_is_refused(change: dict[str, float]) -> None:
    with pytest.raises(InvalidInput) as caught:
        KinshipPolicy(**change)
    assert caught.value.problems[0].field == next(iter(change))


def test_sites_are_found_by_contig_position_and_both_alleles() -> None:
    """A site is found only where all four columns agree: other contigs and alleles at its position are not it."""
    import pyarrow as pa

    from genomdb.screening.kinship import _rows_of

    table = pa.table(
        {
            "chrom": ["chr1", "chr1", "chr1", "chr2", "chr2"],
            "pos": pa.array([100, 100, 200, 100, 300], pa.int32()),
            "ref": ["A", "A", "C", "A", "G"],
            "alt": ["C", "G", "T", "C", "A"],
        }
    )
    sites = pa.table(
        {
            "chrom": ["chr2", "chr1", "chr1", "chr3", "chr1", "chr2"],
            "pos": pa.array([100, 100, 100, 100, 200, 300], pa.int64()),
            "ref": ["A", "A", "A", "A", "C", "G"],
            "alt": ["C", "G", "T", "C", "T", "A"],
        }
    )
    assert _rows_of(table, sites).tolist() == [3, 1, -1, -1, 2, 4]
    assert _rows_of(table.slice(0, 0), sites).tolist() == [-1] * 6
