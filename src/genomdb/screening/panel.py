"""The genotype panel: every autosomal SNV allele of a set of variant-store batches, genotyped for every sample of
those batches, bit-packed once and reused by kinship and polygenic scores.

What it holds. One row per autosomal SNV allele (``chrom, pos, ref, alt``) that any call of the batches shows,
multi-allelic positions included (one row per allele, ``n_alleles`` = distinct alleles, indels included, that the
calls show at the position); one column per sample version of the batches (sorted by sample id). A genotype is what
:func:`genomdb.screening.kinship.read_genotypes` reads from the store: a passing diploid call of the allele gives
its alt count; else a position inside a diploid callable block is hom-ref; anything else is missing.

Layout (``HOME/screening/panels/<key>/``, written once into a temporary folder and renamed, never changed):

- ``genotypes.bed``: PLINK 1 SNP-major .bed bytes (three magic bytes, then per row ``ceil(n_samples/4)`` bytes,
  two bits per sample, first sample in the lowest bits: 00 two alt alleles, 01 missing, 10 heterozygous, 11 hom-ref);
  so the panel *is* a .bed that plink2 reads, and a subset of rows is a byte slice;
- ``sites.parquet``: ``chrom, pos`` (1-based), ``ref, alt, n_alleles``, in row order (autosome order, position,
  alleles);
- ``panel.json``: ``schema_version``, ``key``, the batches (id and manifest sha256) and the sample ids (column order).

Never stale: the key is the sha256 of the panel format version and the sorted ``(batch_id, manifest_sha256)`` of the
batches it was built from. Batches are immutable, so a panel is valid for exactly that batch set; a new or removed
batch gives a new key (and a new panel, built lazily on first use). A panel is derived data: deleting the folder
loses nothing; it is rebuilt on the next use.
"""

from __future__ import annotations

import hashlib
import json
import os
import secrets
import shutil
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

if TYPE_CHECKING:
    import pyarrow as pa  # type: ignore[import-untyped]

    from genomdb.variants.store import VariantStore

PANEL_SCHEMA_VERSION = 1
AUTOSOMES = tuple(f"chr{n}" for n in range(1, 23))
BED_MAGIC = bytes([0x6C, 0x1B, 0x01])
MISSING_BYTE = 0x55
"""Four missing genotypes (01 01 01 01)."""
_CODE_OF_DOSAGE = np.array([0b11, 0b10, 0b00, 0b01], dtype=np.uint8)
"""Two-bit .bed code per alt dosage 0, 1, 2, and (index 3) missing."""
_DOSAGE_OF_CODE = np.array([2, -1, 1, 0], dtype=np.int8)
_SHIFTS = (0, 2, 4, 6)
DOSAGES_OF_BYTE = np.stack([_DOSAGE_OF_CODE[(np.arange(256) >> s) & 0b11] for s in _SHIFTS], axis=1)
"""[byte, k]: alt dosage (-1 missing) of the k-th sample packed in a .bed byte."""
ALT_COUNT_OF_BYTE = np.where(DOSAGES_OF_BYTE > 0, DOSAGES_OF_BYTE, 0).sum(axis=1).astype(np.uint8)
CALLED_OF_BYTE = (DOSAGES_OF_BYTE >= 0).sum(axis=1).astype(np.uint8)
WINDOW_SITES = 4096
"""Sites genotyped at once while building: memory stays about samples × 4096 × 5 bytes."""


def pack_bed_rows(dosages: npt.NDArray[np.int8]) -> npt.NDArray[np.uint8]:
    """.bed rows (sites × ``ceil(n/4)`` bytes) of a sites × samples dosage matrix (-1 missing)."""
    n_sites, n_samples = dosages.shape
    codes = np.full((n_sites, -(-n_samples // 4) * 4), 0b01, dtype=np.uint8)
    codes[:, :n_samples] = _CODE_OF_DOSAGE[np.where(dosages < 0, 3, dosages).astype(np.intp)]
    groups = codes.reshape(n_sites, codes.shape[1] // 4, 4)
    packed = groups[:, :, 0] | (groups[:, :, 1] << 2) | (groups[:, :, 2] << 4) | (groups[:, :, 3] << 6)
    return np.ascontiguousarray(packed, dtype=np.uint8)


def unpack_bed_rows(packed: npt.NDArray[np.uint8], n_samples: int) -> npt.NDArray[np.int8]:
    """Sites × samples dosages (-1 missing) of .bed rows."""
    return DOSAGES_OF_BYTE[packed].reshape(packed.shape[0], packed.shape[1] * 4)[:, :n_samples]


@dataclass(frozen=True, slots=True)
class GenotypePanel:
    """An opened panel; ``packed`` is memory-mapped (rows × ``ceil(n_samples/4)`` bytes)."""

    path: Path
    key: str
    sample_ids: npt.NDArray[np.int64]
    sites: pa.Table
    packed: npt.NDArray[np.uint8]

    @property
    def n_samples(self) -> int:
        return int(self.sample_ids.size)

    def sample_rows(self, sample_ids: Sequence[int]) -> npt.NDArray[np.intp]:
        """Column of each sample id; KeyError-free: a sample the panel lacks is a programming error (the panel is
        chosen by the samples' batches), reported as such."""
        wanted = np.asarray(sample_ids, dtype=np.int64)
        rows = np.minimum(np.searchsorted(self.sample_ids, wanted), max(0, self.sample_ids.size - 1))
        if wanted.size and not np.array_equal(self.sample_ids[rows], wanted):
            missing = sorted(set(wanted.tolist()) - set(self.sample_ids.tolist()))
            raise ValueError(f"genotype panel {self.key} has no sample ids {missing[:5]}")
        return rows.astype(np.intp)

    def counts(
        self, sample_rows: npt.NDArray[np.intp], *, chunk: int = 16384
    ) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
        """Per row: alt alleles and called genotypes over the given samples, counted on the packed bytes."""
        alt, called = self._per_row(sample_rows, (ALT_COUNT_OF_BYTE, CALLED_OF_BYTE), chunk)
        return alt, called

    def alt_counts(self, sample_rows: npt.NDArray[np.intp], *, chunk: int = 16384) -> npt.NDArray[np.int64]:
        """Per row: alt alleles over the given samples (as :meth:`counts`, without counting called genotypes)."""
        (alt,) = self._per_row(sample_rows, (ALT_COUNT_OF_BYTE,), chunk)
        return alt

    def _per_row(
        self, sample_rows: npt.NDArray[np.intp], tables: Sequence[npt.NDArray[np.uint8]], chunk: int
    ) -> list[npt.NDArray[np.int64]]:
        """Per row and table: the sum of the table's value of each packed byte, other samples' slots missing."""
        keep = np.zeros(self.packed.shape[1] * 4, dtype=bool)
        keep[sample_rows] = True
        slot_mask = (keep.reshape(-1, 4) * np.array([0b11 << s for s in _SHIFTS])).sum(axis=1).astype(np.uint8)
        everyone = bool(keep[: self.n_samples].all())
        n_rows = self.packed.shape[0]
        sums = [np.zeros(n_rows, np.int64) for _ in tables]
        for start in range(0, n_rows, chunk):
            block = np.asarray(self.packed[start : start + chunk])
            if not everyone:
                block = (block & slot_mask) | (MISSING_BYTE & ~slot_mask)
            for total, table in zip(sums, tables, strict=True):
                total[start : start + chunk] = table[block].sum(axis=1, dtype=np.int64)
        return sums

    def dosages(self, site_rows: npt.NDArray[np.intp], sample_rows: npt.NDArray[np.intp]) -> npt.NDArray[np.int8]:
        """Samples × sites alt dosages (-1 missing) of the given rows and columns."""
        decoded = unpack_bed_rows(np.asarray(self.packed[site_rows]), self.n_samples)
        if np.array_equal(sample_rows, np.arange(self.n_samples)):  # every sample in panel order: no gather
            return np.ascontiguousarray(decoded.T)
        return np.ascontiguousarray(decoded[:, sample_rows].T)


def panel_key(batches: Sequence[tuple[str, str]]) -> str:
    """The key of the panel of these ``(batch_id, manifest_sha256)`` batches."""
    text = json.dumps({"schema_version": PANEL_SCHEMA_VERSION, "batches": sorted(batches)})
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def panels_root(home: Path) -> Path:
    return home / "screening" / "panels"


def genotype_panel(store: VariantStore, batch_ids: Sequence[str]) -> GenotypePanel:
    """The panel of the given registered batches: opened when it exists, else built now (and kept).

    The batches are named by their ``batch.json`` manifests, whose sha256 the catalog registers as the batch's
    ``manifest_sha256`` (docs/variant-store.md); reading them is cheaper than loading every batch's sample list."""
    from genomdb.variants import layout

    manifests = {b: layout.batch_dir(store.home, b) / "batch.json" for b in sorted(set(batch_ids))}
    for batch_id in manifests:
        if not manifests[batch_id].is_file():
            store.batch_path(batch_id)  # an object-store batch: fetched into the local read cache
    contents = {b: path.read_bytes() for b, path in manifests.items()}
    batches = [(b, hashlib.sha256(data).hexdigest()) for b, data in contents.items()]
    key = panel_key(batches)
    folder = panels_root(store.home) / key[:32]
    if not (folder / "panel.json").is_file():
        sample_ids = sorted({int(s) for data in contents.values() for s in json.loads(data)["sample_ids"]})
        _build(store, batches, sample_ids, key, folder)
    return open_panel(folder)


def open_panel(folder: Path) -> GenotypePanel:
    import pyarrow.parquet as pq  # type: ignore[import-untyped]

    meta = json.loads((folder / "panel.json").read_text(encoding="utf-8"))
    sample_ids = np.asarray(meta["sample_ids"], dtype=np.int64)
    sites = pq.ParquetFile(folder / "sites.parquet").read()  # pq.read_table would import pyarrow.dataset
    width = -(-sample_ids.size // 4)
    packed: npt.NDArray[np.uint8]
    if sites.num_rows and width:
        packed = np.memmap(folder / "genotypes.bed", dtype=np.uint8, mode="r", offset=3, shape=(sites.num_rows, width))
    else:
        packed = np.zeros((sites.num_rows, width), dtype=np.uint8)
    return GenotypePanel(folder, str(meta["key"]), sample_ids, sites, packed)


def _sql_list(values: Sequence[str]) -> str:
    return "[" + ", ".join("'" + v.replace("'", "''") + "'" for v in values) + "]"


def _build(
    store: VariantStore, batches: Sequence[tuple[str, str]], samples: Sequence[int], key: str, folder: Path
) -> None:
    """Genotype every sample of the batches at every autosomal SNV allele of their calls; write atomically."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from genomdb.variants.store import connect_duckdb

    batch_ids = [b for b, _ in batches]
    sample_ids = np.asarray(samples, dtype=np.int64)
    calls_glob, blocks_glob = store.calls_glob(batch_ids), store.blocks_glob(batch_ids)
    temporary = folder.parent / f".tmp-{key[:16]}-{secrets.token_hex(4)}"
    temporary.mkdir(parents=True)
    try:
        con = connect_duckdb(threads=max(1, min(4, os.cpu_count() or 1)))
        store.datasets.attach(con)
        site_tables: list[Any] = []
        with (temporary / "genotypes.bed").open("wb") as bed:
            bed.write(BED_MAGIC)
            for chrom in AUTOSOMES:
                sites = _chromosome_sites(con, calls_glob, chrom)
                if sites.num_rows == 0:
                    continue
                site_tables.append(sites)
                for rows in _chromosome_genotypes(con, calls_glob, blocks_glob, chrom, sites, sample_ids):
                    bed.write(pack_bed_rows(rows).tobytes())
            bed.flush()
            os.fsync(bed.fileno())
        con.close()
        schema = pa.schema(
            [("chrom", pa.string()), ("pos", pa.int32()), ("ref", pa.string()), ("alt", pa.string()),
             ("n_alleles", pa.int32())]
        )  # fmt: skip
        table = pa.concat_tables([t.cast(schema) for t in site_tables]) if site_tables else schema.empty_table()
        pq.write_table(table, temporary / "sites.parquet")
        meta = {
            "schema_version": PANEL_SCHEMA_VERSION,
            "key": key,
            "batches": [{"batch_id": b, "manifest_sha256": s} for b, s in sorted(batches)],
            "n_sites": table.num_rows,
            "sample_ids": sample_ids.tolist(),
        }
        (temporary / "panel.json").write_text(json.dumps(meta, indent=1) + "\n", encoding="utf-8")
        try:
            temporary.rename(folder)
        except OSError:
            if not (folder / "panel.json").is_file():  # not a concurrent builder's finished panel
                raise
    finally:
        shutil.rmtree(temporary, ignore_errors=True)


def _chromosome_sites(con: Any, calls_glob: Sequence[str], chrom: str) -> pa.Table:
    if not calls_glob:
        import pyarrow as pa

        return pa.table({"chrom": [], "pos": pa.array([], pa.int32()), "ref": [], "alt": [], "n_alleles": []})
    return con.sql(
        "WITH alleles AS (SELECT DISTINCT pos, ref, alt "
        f"FROM read_parquet({_sql_list(calls_glob)}, hive_partitioning = true, union_by_name = true) "
        "WHERE chrom = $chrom) "
        "SELECT $chrom AS chrom, pos, ref, alt, CAST(count(*) OVER (PARTITION BY pos) AS INTEGER) AS n_alleles "
        "FROM alleles QUALIFY length(ref) = 1 AND length(alt) = 1 ORDER BY pos, ref, alt",
        params={"chrom": chrom},
    ).to_arrow_table()


def _chromosome_genotypes(
    con: Any,
    calls_glob: Sequence[str],
    blocks_glob: Sequence[str],
    chrom: str,
    sites: pa.Table,
    sample_ids: npt.NDArray[np.int64],
) -> Iterator[npt.NDArray[np.int8]]:
    """Sites × samples dosages of one chromosome's panel rows, ``WINDOW_SITES`` rows at a time."""
    positions = np.asarray(sites["pos"].to_numpy(zero_copy_only=False), dtype=np.int64)
    n_sites, n_samples = positions.size, sample_ids.size
    con.register("panel_sites", sites.append_column("site_index", [np.arange(n_sites, dtype=np.int32)]))
    calls = con.execute(
        "SELECT c.sample_id, s.site_index, "
        "CASE WHEN c.passes AND c.called_alleles = 2 THEN c.alt_count ELSE -1 END AS dosage "
        f"FROM read_parquet({_sql_list(calls_glob)}, hive_partitioning = true, union_by_name = true) AS c "
        "JOIN panel_sites AS s ON c.pos = s.pos AND c.ref = s.ref AND c.alt = s.alt "
        "WHERE c.chrom = $chrom ORDER BY s.site_index",
        {"chrom": chrom},
    ).fetchnumpy()
    con.unregister("panel_sites")
    call_site = np.asarray(calls["site_index"], dtype=np.int64)
    call_sample = np.searchsorted(sample_ids, np.asarray(calls["sample_id"], dtype=np.int64))
    call_dosage = np.asarray(calls["dosage"], dtype=np.int8)
    if blocks_glob:
        blocks = con.execute(
            "SELECT sample_id, start_1based, end_1based "
            f"FROM read_parquet({_sql_list(blocks_glob)}, hive_partitioning = true, union_by_name = true) "
            "WHERE chrom = $chrom AND callable_alleles = 2",
            {"chrom": chrom},
        ).fetchnumpy()
        first = np.searchsorted(positions, np.asarray(blocks["start_1based"], dtype=np.int64), side="left")
        after = np.searchsorted(positions, np.asarray(blocks["end_1based"], dtype=np.int64), side="right")
        covering = np.flatnonzero(after > first)
        block_sample = np.searchsorted(sample_ids, np.asarray(blocks["sample_id"], dtype=np.int64)[covering])
        first, after = first[covering], after[covering]
        order = np.argsort(first, kind="stable")
        block_sample, first, after = block_sample[order], first[order], after[order]
    else:
        block_sample = first = after = np.zeros(0, dtype=np.int64)
    for start in range(0, n_sites, WINDOW_SITES):
        stop = min(n_sites, start + WINDOW_SITES)
        width = stop - start
        upto = np.searchsorted(first, stop, side="left")  # blocks starting before the window's end
        overlapping = np.flatnonzero(after[:upto] > start)
        rows = block_sample[overlapping]
        low = np.maximum(first[overlapping], start) - start
        high = np.minimum(after[overlapping], stop) - start
        size = n_samples * (width + 1)
        steps = np.bincount(rows * (width + 1) + low, minlength=size) - np.bincount(
            rows * (width + 1) + high, minlength=size
        )
        covered = np.cumsum(steps.reshape(n_samples, width + 1)[:, :-1], axis=1) > 0
        window = np.where(covered, np.int8(0), np.int8(-1)).T.copy()  # sites × samples
        lo, hi = np.searchsorted(call_site, [start, stop])
        window[call_site[lo:hi] - start, call_sample[lo:hi]] = call_dosage[lo:hi]
        yield window
