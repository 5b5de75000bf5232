"""Look-ups in a release: observed, not observed, not covered; regions, genes, bulk; latency."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Iterator

import pyarrow.parquet as pq
import pytest
from tests.frequency.batches import member, simulate_cohort, write_batch
from tests.frequency.conftest import cohort_labels, make_release

from genomdb.errors import InvalidInput, NotFound
from genomdb.frequency.lookup import FrequencyDatabase, ReleaseReader
from genomdb.frequency.records import FrequencyStatus, RegionFrequencies, ReleaseInfo, VariantFrequency


@pytest.fixture(scope="module")
def database(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FrequencyDatabase]:
    """A 60-sample release, opened without a catalog (shared by the module's tests: look-ups only read)."""
    tmp_path = tmp_path_factory.mktemp("release")
    cohort = simulate_cohort(cohort_labels(60), seed=13)
    batch = write_batch(cohort, cohort.samples, tmp_path / "batches", "B1")
    assembled = make_release(tmp_path, "r1", [batch], [member(s, "B1") for s in cohort.samples])
    reader = ReleaseReader(tmp_path / "r1")
    info = ReleaseInfo(
        reader.release_id,
        1,
        None,
        dt.datetime.now(dt.UTC),
        tmp_path / "r1",
        "0" * 64,
        "incremental",
        60,
        assembled.tables.n_variants,
        1,
        reader.strata,
    )
    with FrequencyDatabase.from_reader(reader, info) as opened:
        yield opened


def _rows(database: FrequencyDatabase) -> list[dict[str, object]]:
    return pq.read_table(database.release.path / "variants.parquet").to_pylist()


def test_observed_variant_has_the_release_counts(database: FrequencyDatabase) -> None:
    for row in _rows(database)[::7]:
        key = f"{row['chrom']}-{row['pos']}-{row['ref']}-{row['alt']}"
        found = database.lookup_variant(key, "controlled")
        assert found.status is FrequencyStatus.OBSERVED and found.key == key
        assert [s.stratum for s in found.strata] == list(database.strata)
        for stratum in found.strata:
            slug = stratum.stratum.replace(":", "_")
            assert (stratum.allele_count, stratum.allele_number) == (row[f"ac_{slug}"], row[f"an_{slug}"])
            assert stratum.n_homalt == row[f"nhomalt_{slug}"] and stratum.faf95 == pytest.approx(row[f"faf95_{slug}"])
        assert found.callable_individuals is not None and found.callable_individuals > 0


def test_absent_variant_versus_uncovered_position(database: FrequencyDatabase) -> None:
    row = _rows(database)[0]
    absent = database.lookup_variant(f"{row['chrom']}-{row['pos']}-{row['ref']}-ACGTACGTAC", "controlled")
    assert absent.status is FrequencyStatus.NOT_OBSERVED
    assert absent.total.allele_count == 0 and absent.total.allele_number == row["an_all"]
    assert absent.af_upper_95 == pytest.approx(1 - 0.05 ** (1 / row["an_all"]))  # type: ignore[operator]
    assert "not observed among" in absent.message and "AF <" in absent.message
    nowhere = database.lookup_variant("chr2-5000-A-G")
    assert nowhere.status is FrequencyStatus.NOT_COVERED and nowhere.total.allele_number == 0
    assert "position not covered" in nowhere.message


def test_region_gene_and_dispatch(database: FrequencyDatabase) -> None:
    rows = [r for r in _rows(database) if r["chrom"] == "chr19"]
    region = database.lookup_region("chr19:11.089M-11.09M", "controlled")
    assert [v.key for v in region.variants] == [f"chr19-{r['pos']}-{r['ref']}-{r['alt']}" for r in rows]
    gene = database.lookup_gene("LDLR", "controlled")
    assert gene.gene is not None and gene.gene.symbol == "LDLR"
    assert [v.variant.pos_1based for v in gene.variants] == [r["pos"] for r in rows if r["pos"] >= 11_089_462]  # type: ignore[operator]
    assert isinstance(database.lookup("chr19:11089000-11090000"), RegionFrequencies)
    assert isinstance(database.lookup("chr19-11089500-A-G"), VariantFrequency)
    assert database.lookup_region("chr7:1-1000").variants == ()
    with pytest.raises(NotFound):
        database.lookup_gene("NOTAGENE")


def test_public_tier_is_the_default(database: FrequencyDatabase) -> None:
    row = next(r for r in _rows(database) if 0 < r["ac_all"] < 10)  # type: ignore[operator]
    found = database.lookup_variant(f"{row['chrom']}-{row['pos']}-{row['ref']}-{row['alt']}")
    assert found.tier == "public" and found.status is FrequencyStatus.NOT_OBSERVED and not found.revealed
    assert found.total.allele_count == 0  # under the floor: answered exactly like a variant nobody carries
    registered = database.lookup_variant(found.key, "registered")
    assert registered.status in (FrequencyStatus.SUPPRESSED, FrequencyStatus.OBSERVED) and registered.revealed


def test_bulk_lookup_parses_everything_first(database: FrequencyDatabase) -> None:
    keys = [f"{r['chrom']}-{r['pos']}-{r['ref']}-{r['alt']}" for r in _rows(database)[:5]]
    found = database.bulk_lookup([*keys, "chr2-5000-A-G"], "registered")
    assert [f.key for f in found] == [*keys, "chr2-5000-A-G"]
    with pytest.raises(InvalidInput):
        database.bulk_lookup([*keys, "chr19-nonsense"])


def test_point_lookups_are_fast(database: FrequencyDatabase) -> None:
    keys = [f"{r['chrom']}-{r['pos']}-{r['ref']}-{r['alt']}" for r in _rows(database)]
    started = time.perf_counter()
    for i in range(2000):
        database.lookup_variant(keys[i % len(keys)])
    assert (time.perf_counter() - started) / 2000 < 0.005
