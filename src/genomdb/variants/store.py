"""The variant store: immutable Parquet batches that exist for readers once the catalog registers them.

Writing a batch (:meth:`VariantStore.new_batch`): producers stage Parquet parts per table and chromosome in the
batch's temporary folder; :meth:`BatchWriter.finish` sorts each partition with DuckDB and writes its one part with
pyarrow (zstd, bounded row groups), hashes every part into ``batch.json``, fsyncs, and renames the folder into
``batches/``; :meth:`VariantStore.publish` then registers it in one catalog transaction. A crash before that
commit leaves a folder no catalog row names: readers never see it and :func:`collect_unregistered_batches`
(``genomdb store gc``) removes it.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
import re
import secrets
import shutil
import time
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pyarrow as pa  # type: ignore[import-untyped]
import pyarrow.parquet as pq  # type: ignore[import-untyped]

from genomdb.catalog.repository import Catalog
from genomdb.errors import InvalidInput, NotFound, Problem
from genomdb.storage.datasets import DatasetStore, LocalDatasets
from genomdb.storage.repository import LedgerEntry
from genomdb.variants import layout
from genomdb.variants import repository as variant_repository
from genomdb.variants.records import HarmonisedSample, NewBatch, VariantBatch

if TYPE_CHECKING:
    import duckdb

    from genomdb.instance import Instance

_SORT_KEYS = {
    layout.CALLS: "pos, ref, alt, sample_id, alt_count, called_alleles, phased, gq, dp, ad_ref, ad_alt, passes",
    layout.BLOCKS: "start_1based, sample_id, end_1based, callable_alleles, min_gq, min_dp",
    layout.CALLABLE: "start_1based, sample_id, end_1based, callable_alleles",
}
"""Every column but ``chrom`` (the partition): a total order, so that the same rows always give the same file."""
_VARIANT_KEY = re.compile(r"^(?P<chrom>[^\s]+)-(?P<pos>[1-9][0-9]*)-(?P<ref>[ACGTN]+)-(?P<alt>[ACGTN]+)$")


def new_batch_id(now: dt.datetime) -> str:
    """``VB-<UTC time>-<random>``: sortable by creation, unique without coordination."""
    suffix = base64.b32encode(secrets.token_bytes(5)).decode("ascii").rstrip("=")
    return f"VB-{now:%Y%m%dT%H%M%SZ}-{suffix}"


SORT_MEMORY_LIMIT = "512MB"
"""DuckDB's memory while a batch's partitions are sorted: sorting spills to disk, so the peak stays flat as
batches grow (without it DuckDB may hold up to 80% of RAM)."""


def connect_duckdb(
    *, threads: int, temp_dir: Path | None = None, memory_limit: str | None = None
) -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB connection for batch work; it spills to ``temp_dir`` when memory runs short."""
    config: dict[str, Any] = {"threads": max(1, threads), "preserve_insertion_order": False}
    if memory_limit is not None:
        config["memory_limit"] = memory_limit
    if temp_dir is not None:
        config["temp_directory"] = str(temp_dir)
    import duckdb  # here, not at module level: readers of a genotype panel never need it

    return duckdb.connect(":memory:", config=config)


def arrow_reader(relation: duckdb.DuckDBPyRelation, rows: int) -> Any:
    """A streaming pyarrow RecordBatchReader over a DuckDB query."""
    to_reader = getattr(relation, "to_arrow_reader", None)
    return to_reader(rows) if to_reader is not None else relation.fetch_record_batch(rows)


@dataclass(frozen=True, slots=True)
class BatchPart:
    path: str
    """Relative to the batch folder, e.g. ``calls/chrom=chr19/part-0.parquet``."""
    rows: int
    sha256: str


@dataclass(frozen=True, slots=True)
class WrittenBatch:
    """A batch folder in ``batches/``, complete and fsynced, not yet registered."""

    batch_id: str
    path: Path
    created_at: dt.datetime
    reference_build: str
    filters: dict[str, Any]
    manifest_sha256: str
    n_calls: int
    n_blocks: int
    parts: tuple[BatchPart, ...]


@dataclass(frozen=True, slots=True)
class BatchGcReport:
    removed_batches: int
    removed_temporary: int
    kept_young: int


class BatchWriter:
    """One batch being written in ``HOME/variants/.tmp-<batch_id>/``."""

    def __init__(self, home: Path, batch_id: str, created_at: dt.datetime) -> None:
        self.home = home
        self.batch_id = batch_id
        self.created_at = created_at
        self.folder = layout.temporary_dir(home, batch_id)
        self.work_dir = self.folder / "work"
        self.work_dir.mkdir(parents=True)

    def staging_dir(self, table: str) -> Path:
        """Where producers put Parquet parts of ``table`` as ``<anything>/chrom=<chrom>/*.parquet``.

        Staged parts hold the table's columns except ``chrom`` (the folder names it), in any order.
        """
        folder = self.work_dir / "staged" / table
        folder.mkdir(parents=True, exist_ok=True)
        return folder

    def _staged_chromosomes(self, table: str, contig_order: Sequence[str]) -> list[str]:
        found = {path.name.removeprefix("chrom=") for path in self.staging_dir(table).glob("*/chrom=*")}
        rank = {name: i for i, name in enumerate(contig_order)}
        return sorted(found, key=lambda name: (rank.get(name, len(rank)), name))

    def _write_partition(self, con: duckdb.DuckDBPyConnection, table: str, chrom: str) -> BatchPart:
        schema = layout.TABLE_SCHEMAS[table]
        staged = [str(p) for p in sorted(self.staging_dir(table).glob(f"*/chrom={chrom}/*.parquet"))]
        columns = ", ".join(f"{_sql_text(chrom)} AS chrom" if field.name == "chrom" else field.name for field in schema)
        relation = con.sql(
            f"SELECT {columns} FROM read_parquet({_sql_list(staged)}, hive_partitioning = false) "
            f"ORDER BY {_SORT_KEYS[table]}"
        )
        target = layout.part_path(self.folder, table, chrom)
        target.parent.mkdir(parents=True, exist_ok=True)
        with pq.ParquetWriter(str(target), schema, compression=layout.PARQUET_COMPRESSION) as writer:
            rows = _write_row_groups(writer, arrow_reader(relation, layout.ROWS_PER_ROW_GROUP), schema)
        layout.fsync_path(target)
        return BatchPart(str(target.relative_to(self.folder)), rows, layout.sha256_file(target))

    def finish(
        self,
        *,
        contig_order: Sequence[str],
        reference_build: str,
        filters: dict[str, Any],
        sample_ids: Sequence[int],
        threads: int = 1,
    ) -> WrittenBatch:
        """Sort and write every staged partition, write ``batch.json`` and move the batch into ``batches/``."""
        con = connect_duckdb(threads=threads, temp_dir=self.work_dir / "duckdb.tmp", memory_limit=SORT_MEMORY_LIMIT)
        try:
            parts = [
                self._write_partition(con, table, chrom)
                for table in (layout.CALLS, layout.BLOCKS, layout.CALLABLE)
                for chrom in self._staged_chromosomes(table, contig_order)
            ]
        finally:
            con.close()
        shutil.rmtree(self.work_dir)
        n_calls = sum(p.rows for p in parts if p.path.startswith(layout.CALLS + "/"))
        n_blocks = sum(p.rows for p in parts if p.path.startswith(layout.BLOCKS + "/"))
        manifest = {
            "schema_version": layout.SCHEMA_VERSION,
            "batch_id": self.batch_id,
            "created_at": self.created_at.isoformat(),
            "reference_build": reference_build,
            "filters": filters,
            "sample_ids": sorted(sample_ids),
            "n_samples": len(sample_ids),
            "n_calls": n_calls,
            "n_blocks": n_blocks,
            "parts": [{"path": p.path, "rows": p.rows, "sha256": p.sha256} for p in parts],
        }
        manifest_path = self.folder / layout.BATCH_MANIFEST
        manifest_path.write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
        layout.fsync_path(manifest_path)
        for folder in [*(p for p in self.folder.rglob("*") if p.is_dir()), self.folder]:
            layout.fsync_path(folder)
        final = layout.batch_dir(self.home, self.batch_id)
        final.parent.mkdir(parents=True, exist_ok=True)
        self.folder.rename(final)
        layout.fsync_path(final.parent)
        return WrittenBatch(
            batch_id=self.batch_id,
            path=final,
            created_at=self.created_at,
            reference_build=reference_build,
            filters=filters,
            manifest_sha256=layout.sha256_file(final / layout.BATCH_MANIFEST),
            n_calls=n_calls,
            n_blocks=n_blocks,
            parts=tuple(parts),
        )

    def discard(self) -> None:
        shutil.rmtree(self.folder, ignore_errors=True)


def _write_row_groups(writer: Any, batches: Iterable[Any], schema: Any) -> int:
    """Write record batches as row groups of exactly :data:`layout.ROWS_PER_ROW_GROUP` rows (the last one
    shorter), whatever sizes the engine hands out, so that a part's bytes depend on its rows only."""
    size = layout.ROWS_PER_ROW_GROUP
    pending: list[Any] = []
    n_pending = rows = 0
    for batch in batches:
        pending.append(pa.Table.from_batches([batch]).cast(schema))
        n_pending += batch.num_rows
        rows += batch.num_rows
        if n_pending >= size:
            table = pa.concat_tables(pending)
            full = n_pending - n_pending % size
            writer.write_table(table.slice(0, full), row_group_size=size)
            pending, n_pending = [table.slice(full)], n_pending - full
    if n_pending:
        writer.write_table(pa.concat_tables(pending), row_group_size=size)
    return rows


def _sql_text(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _sql_list(values: Sequence[str]) -> str:
    return "[" + ", ".join(_sql_text(v) for v in values) + "]"


class VariantStore:
    """Registered batches under ``HOME/variants`` and what readers need to query them with DuckDB."""

    def __init__(self, home: Path, catalog: Catalog, *, datasets: DatasetStore | None = None) -> None:
        self.home = home
        self.catalog = catalog
        self.datasets: DatasetStore = datasets or LocalDatasets(home)

    @classmethod
    def of(cls, instance: Instance) -> VariantStore:
        return cls(instance.settings.resolved_home(), instance.catalog, datasets=instance.datasets)

    # --- reading ---------------------------------------------------------------------------------------------

    def batches(self) -> list[VariantBatch]:
        """Every registered batch, oldest first."""
        return variant_repository.variant_batches(self.catalog.db)

    def batch_path(self, batch_id: str) -> Path:
        """A registered batch's local folder (on an S3 store: its verified read cache, fetched when missing)."""
        path = layout.batch_dir(self.home, batch_id)
        self.datasets.materialise(layout.batch_name(batch_id), path)
        return path

    def _globs(self, table: str, batch_ids: Iterable[str] | None) -> list[str]:
        registered = [b.batch_id for b in self.batches()]
        chosen = None if batch_ids is None else set(batch_ids)
        wanted = [b for b in registered if chosen is None or b in chosen]
        return [
            layout.table_glob(self.batch_path(b), table)
            for b in wanted
            if any((self.batch_path(b) / table).glob("chrom=*"))
        ]

    def calls_glob(self, batch_ids: Iterable[str] | None = None) -> list[str]:
        """Globs over the ``calls`` parts of registered batches (all, or the given ones) for
        ``read_parquet(…, hive_partitioning = true)``; empty when there are none."""
        return self._globs(layout.CALLS, batch_ids)

    def blocks_glob(self, batch_ids: Iterable[str] | None = None) -> list[str]:
        """Globs over the ``blocks`` parts of registered batches, like :meth:`calls_glob`."""
        return self._globs(layout.BLOCKS, batch_ids)

    def carriers(
        self, variant_key: str, *, include_failing: bool = False, current_only: bool = True
    ) -> list[tuple[int, int]]:
        """``(sample_id, alt_count)`` of every sample version carrying a variant (``chrom-pos-ref-alt``, 1-based).

        By default only passing calls of current sample versions count.
        """
        match = _VARIANT_KEY.match(variant_key)
        if match is None:
            raise InvalidInput(
                "not a variant key",
                [
                    Problem(
                        "variant key", "not chrom-pos-ref-alt", expected="e.g. chr19-11100236-G-A", found=variant_key
                    )
                ],
            )
        existing = self._call_parts(match["chrom"])
        if not existing:
            return []
        con = connect_duckdb(threads=1)
        self.datasets.attach(con)
        try:
            rows = con.execute(
                f"SELECT sample_id, alt_count FROM read_parquet({_sql_list(existing)}) "
                f"WHERE pos = $pos AND ref = $ref AND alt = $alt {'' if include_failing else 'AND passes'} "
                "ORDER BY sample_id",
                {"pos": int(match["pos"]), "ref": match["ref"], "alt": match["alt"]},
            ).fetchall()
        finally:
            con.close()
        found = [(int(sample_id), int(alt_count)) for sample_id, alt_count in rows]
        if current_only:
            current = variant_repository.current_sample_ids(self.catalog.db, (s for s, _ in found))
            found = [(s, n) for s, n in found if s in current]
        return found

    def _call_parts(self, chrom: str) -> list[str]:
        """The ``calls`` part of one chromosome in every registered batch: local files, or on an S3 store the
        objects themselves (DuckDB reads just the row groups it needs) unless a verified local copy is cached."""
        found = []
        for batch in self.batches():
            local = layout.part_path(layout.batch_dir(self.home, batch.batch_id), layout.CALLS, chrom)
            if local.exists() or not self.datasets.remote:
                if local.exists():
                    found.append(str(local))
                continue
            name = layout.batch_name(batch.batch_id)
            relative = layout.part_path(Path(), layout.CALLS, chrom).as_posix()
            if self.datasets.exists(f"{name}/{relative}"):
                found.append(f"{self.datasets.duckdb_path(name)}/{relative}")
        return found

    def stored_objects(self) -> list[LedgerEntry]:
        """What the integrity ledger holds for the registered batches: each ``batch.json`` with the sha256 the
        catalog recorded, and each Parquet part with the sha256 its (matching) ``batch.json`` lists."""
        entries: list[LedgerEntry] = []
        for batch in self.batches():
            name = layout.batch_name(batch.batch_id)
            manifest_name = f"{name}/{layout.BATCH_MANIFEST}"
            entries.append(LedgerEntry(manifest_name, "batch", batch.manifest_sha256))
            try:
                with self.datasets.open_file(manifest_name) as handle:
                    data = handle.read()
            except NotFound:
                continue
            if hashlib.sha256(data).hexdigest() != batch.manifest_sha256:
                continue  # the manifest itself is reported; its part list cannot be trusted
            for part in json.loads(data)["parts"]:
                entries.append(LedgerEntry(f"{name}/{part['path']}", "batch", part["sha256"]))
        return entries

    # --- writing ---------------------------------------------------------------------------------------------

    @contextmanager
    def new_batch(self) -> Iterator[BatchWriter]:
        """A writer for one new batch; its temporary folder is removed when the block raises."""
        created_at = dt.datetime.now(dt.UTC)
        writer = BatchWriter(self.home, new_batch_id(created_at), created_at)
        try:
            yield writer
        except BaseException:
            writer.discard()
            raise

    def publish(self, written: WrittenBatch, samples: Sequence[HarmonisedSample]) -> VariantBatch:
        """Register a written batch in one catalog transaction; on failure its folder is removed again.

        On an S3 store the batch's objects are uploaded first; the local folder stays as the read cache."""
        try:
            self.datasets.publish(written.path, layout.batch_name(written.batch_id))
            variant_repository.record_batch(
                self.catalog.db,
                NewBatch(
                    batch_id=written.batch_id,
                    created_at=written.created_at,
                    reference_build=written.reference_build,
                    filters=written.filters,
                    n_calls=written.n_calls,
                    n_blocks=written.n_blocks,
                    manifest_sha256=written.manifest_sha256,
                    samples=tuple(samples),
                ),
            )
        except BaseException:
            shutil.rmtree(written.path, ignore_errors=True)
            raise
        return VariantBatch(
            batch_id=written.batch_id,
            created_at=written.created_at,
            reference_build=written.reference_build,
            filters=written.filters,
            n_samples=len(samples),
            n_calls=written.n_calls,
            n_blocks=written.n_blocks,
            manifest_sha256=written.manifest_sha256,
            sample_ids=tuple(sorted(s.sample_id for s in samples)),
        )


def collect_unregistered_batches(
    home: Path, catalog: Catalog, *, grace_seconds: float, datasets: DatasetStore | None = None
) -> BatchGcReport:
    """Remove batch folders no catalog row registers, and abandoned temporary folders, older than the grace;
    on an S3 store also the objects of batches uploaded but never registered."""
    cutoff = time.time() - grace_seconds
    registered = variant_repository.registered_batch_ids(catalog.db)
    removed = removed_temporary = kept = 0
    if datasets is not None:
        parent = f"{layout.VARIANTS_DIR}/{layout.BATCHES_DIR}"
        removed += len(datasets.collect(parent, set(registered), grace_seconds=grace_seconds))
    root = layout.variants_root(home)
    if not root.exists():
        return BatchGcReport(removed, 0, 0)
    candidates = [(p, False) for p in root.glob(f"{layout.TEMPORARY_PREFIX}*")]
    batches = layout.batches_root(home)
    if batches.exists():
        candidates += [(p, True) for p in batches.iterdir() if p.name not in registered]
    for path, is_batch in candidates:
        if path.stat().st_mtime > cutoff:
            kept += 1
            continue
        shutil.rmtree(path, ignore_errors=True)
        if is_batch:
            removed += 1
        else:
            removed_temporary += 1
    return BatchGcReport(removed, removed_temporary, kept)
