"""The variant store: the Parquet layout of docs/variant-store.md, batch.json checksums, readers' globs,
carriers, and registration that either commits or leaves nothing."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from genomdb.errors import Conflict, InvalidInput
from genomdb.harmonize.run import harmonize
from genomdb.instance import Instance
from genomdb.variants import layout
from genomdb.variants import repository as variant_repository
from genomdb.variants.records import HarmonisedSample, NewBatch
from genomdb.variants.store import VariantStore, connect_duckdb
from tests.harmonize.kit import (
    AUTOSOME,
    WINDOW_START,
    CallFileSpec,
    SmallReference,
    block,
    call,
    sample_names,
    store_snapshot,
    submit_calls,
)

POS = WINDOW_START + 4_000


def _alt(reference: SmallReference, pos: int) -> tuple[str, str]:
    base = reference.bases(AUTOSOME, pos)
    return base, "T" if base != "T" else "G"


def _spec(reference: SmallReference, sample_id: str, person: int, gt: str, *, gq: int = 50) -> CallFileSpec:
    lines = [
        block(reference, AUTOSOME, POS - 300, POS - 201),
        call(AUTOSOME, POS - 200 + person, *_alt(reference, POS - 200 + person), "0/1", gvcf=True),
        block(reference, AUTOSOME, POS - 199 + person, POS - 1),
        call(AUTOSOME, POS, *_alt(reference, POS), gt, gq=gq, gvcf=True),
        block(reference, AUTOSOME, POS + 1, POS + 100),
    ]
    return CallFileSpec(sample_id, lines, person=person)


@pytest.fixture
def three_samples(ready: Instance, small_reference: SmallReference, tmp_path: Path) -> Instance:
    specs = [
        _spec(small_reference, "RH-KG-T0001", 1, "0/1"),
        _spec(small_reference, "RH-KG-T0002", 2, "1/1"),
        _spec(small_reference, "RH-KG-T0003", 3, "0/1", gq=5),
    ]
    submit_calls(ready, tmp_path / "calls", specs, small_reference)
    harmonize(ready)
    return ready


def test_batch_layout_matches_the_contract(three_samples: Instance) -> None:
    store = VariantStore.of(three_samples)
    (batch,) = store.batches()
    folder = store.batch_path(batch.batch_id)
    assert sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file()) == [
        "batch.json",
        f"blocks/chrom={AUTOSOME}/part-0.parquet",
        f"callable/chrom={AUTOSOME}/part-0.parquet",
        f"calls/chrom={AUTOSOME}/part-0.parquet",
    ]
    manifest = json.loads((folder / "batch.json").read_text())
    assert manifest["schema_version"] == 1 and manifest["batch_id"] == batch.batch_id
    assert manifest["sample_ids"] == sorted(batch.sample_ids) and len(batch.sample_ids) == 3
    assert hashlib.sha256((folder / "batch.json").read_bytes()).hexdigest() == batch.manifest_sha256
    for part in manifest["parts"]:
        path = folder / part["path"]
        assert hashlib.sha256(path.read_bytes()).hexdigest() == part["sha256"]
        table = pq.read_table(path)
        assert table.num_rows == part["rows"]
        kind = part["path"].split("/")[0]
        assert table.schema.equals(layout.TABLE_SCHEMAS[kind]), kind
        assert pq.ParquetFile(path).metadata.row_group(0).column(0).compression == "ZSTD"
        order = "pos" if kind == "calls" else "start_1based"
        values = table.column(order).to_pylist()
        assert values == sorted(values)
        assert set(table.column("chrom").to_pylist()) == {AUTOSOME}
    # per sample: two blocks around the first call, the call, a block, the second call (failing for T0003), a block
    assert (manifest["n_calls"], manifest["n_blocks"]) == (batch.n_calls, batch.n_blocks) == (6, 5 + 5 + 4)
    # the callable runs, all diploid: the first block, then (after the gap the first call's gVCF leaves) the rest
    # in one run, except where T0003's failing second call cuts it in two
    runs = next(p for p in manifest["parts"] if p["path"].startswith("callable/"))
    assert runs["rows"] == 2 + 2 + 3

    con = connect_duckdb(threads=1)
    rows = con.execute(
        f"SELECT DISTINCT chrom FROM read_parquet({store.calls_glob()!r}, hive_partitioning = true)"
    ).fetchall()
    assert rows == [(AUTOSOME,)]
    assert store.calls_glob([batch.batch_id]) == store.calls_glob() and store.calls_glob(["VB-OTHER"]) == []


def test_carriers_of_a_variant(three_samples: Instance, small_reference: SmallReference, tmp_path: Path) -> None:
    store = VariantStore.of(three_samples)
    ids = {name: sample_id for sample_id, name in sample_names(three_samples).items()}
    ref, alt = _alt(small_reference, POS)
    key = f"{AUTOSOME}-{POS}-{ref}-{alt}"
    assert store.carriers(key) == [(ids["RH-KG-T0001"], 1), (ids["RH-KG-T0002"], 2)]
    assert store.carriers(key, include_failing=True)[-1] == (ids["RH-KG-T0003"], 1)
    assert store.carriers(f"{AUTOSOME}-{POS}-{ref}-A{alt}") == []
    assert store.carriers(f"chr1-{POS}-{ref}-{alt}") == []
    with pytest.raises(InvalidInput, match="variant key"):
        store.carriers("chr21:1000:A:G")


def test_superseded_versions_are_no_carriers(ready: Instance, small_reference: SmallReference, tmp_path: Path) -> None:
    spec = _spec(small_reference, "RH-KG-T0001", 1, "0/1")
    first = submit_calls(ready, tmp_path / "v1", [spec], small_reference)
    harmonize(ready)
    ref, alt = _alt(small_reference, POS)
    store = VariantStore.of(ready)
    ((old_id, _),) = store.carriers(f"{AUTOSOME}-{POS}-{ref}-{alt}")
    spec.lines.append(block(small_reference, AUTOSOME, POS + 101, POS + 200))
    submit_calls(ready, tmp_path / "v2", [spec], small_reference, corrects=first.submission_id, reason="re-called")
    assert store.carriers(f"{AUTOSOME}-{POS}-{ref}-{alt}") == []
    assert store.carriers(f"{AUTOSOME}-{POS}-{ref}-{alt}", current_only=False) == [(old_id, 1)]
    harmonize(ready)
    ((new_id, _),) = store.carriers(f"{AUTOSOME}-{POS}-{ref}-{alt}")
    assert new_id != old_id


def test_a_failed_registration_leaves_nothing(
    ready: Instance, small_reference: SmallReference, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    submit_calls(ready, tmp_path / "calls", [_spec(small_reference, "RH-KG-T0001", 1, "0/1")], small_reference)
    before = store_snapshot(ready)

    def conflict(*args: object) -> None:
        raise Conflict("registered meanwhile")

    monkeypatch.setattr(variant_repository, "record_batch", conflict)
    with pytest.raises(Conflict):
        harmonize(ready)
    assert store_snapshot(ready) == before


def test_a_sample_version_belongs_to_one_batch(
    ready: Instance, small_reference: SmallReference, tmp_path: Path
) -> None:
    """Two runs racing for the same sample version: the second registration is refused as a whole."""
    submit_calls(ready, tmp_path / "calls", [_spec(small_reference, "RH-KG-T0001", 1, "0/1")], small_reference)
    (pending,) = variant_repository.call_files_to_harmonise(ready.db)
    harmonize(ready)
    assert variant_repository.call_files_to_harmonise(ready.db) == []
    (batch,) = VariantStore.of(ready).batches()
    (record,) = variant_repository.sample_qc_records(ready.db)
    racing = NewBatch(
        batch_id="VB-RACING",
        created_at=batch.created_at,
        reference_build="GRCh38",
        filters={},
        n_calls=0,
        n_blocks=0,
        manifest_sha256="0" * 64,
        samples=(HarmonisedSample(pending.sample_id, pending.file_id, record.qc),),
    )
    with pytest.raises(Conflict, match="harmonised meanwhile"):
        variant_repository.record_batch(ready.db, racing)
    assert [b.batch_id for b in VariantStore.of(ready).batches()] == [batch.batch_id]
