"""Where the variant store keeps its files and what they hold (docs/variant-store.md is the contract).

```
HOME/variants/batches/<batch_id>/calls/chrom=<chrom>/part-0.parquet
HOME/variants/batches/<batch_id>/blocks/chrom=<chrom>/part-0.parquet
HOME/variants/batches/<batch_id>/callable/chrom=<chrom>/part-0.parquet   (batches written since session 11)
HOME/variants/batches/<batch_id>/batch.json
HOME/variants/.tmp-<batch_id>/          a batch being written
```
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pyarrow as pa  # type: ignore[import-untyped]

SCHEMA_VERSION = 1
VARIANTS_DIR = "variants"
BATCHES_DIR = "batches"
TEMPORARY_PREFIX = ".tmp-"
BATCH_MANIFEST = "batch.json"
CALLS = "calls"
BLOCKS = "blocks"
CALLABLE = "callable"
PART_NAME = "part-0.parquet"
PARQUET_COMPRESSION = "zstd"
ROWS_PER_ROW_GROUP = 262_144

CALLS_SCHEMA = pa.schema(
    [
        ("sample_id", pa.int64()),
        ("chrom", pa.string()),
        ("pos", pa.int32()),
        ("ref", pa.string()),
        ("alt", pa.string()),
        ("alt_count", pa.int8()),
        ("called_alleles", pa.int8()),
        ("phased", pa.bool_()),
        ("gq", pa.int16()),
        ("dp", pa.int16()),
        ("ad_ref", pa.int32()),
        ("ad_alt", pa.int32()),
        ("passes", pa.bool_()),
    ]
)
"""One row per sample × normalised biallelic allele the sample carries; ``pos`` is 1-based."""

BLOCKS_SCHEMA = pa.schema(
    [
        ("sample_id", pa.int64()),
        ("chrom", pa.string()),
        ("start_1based", pa.int32()),
        ("end_1based", pa.int32()),
        ("callable_alleles", pa.int8()),
        ("min_gq", pa.int16()),
        ("min_dp", pa.int16()),
    ]
)
"""Callable stretches, non-overlapping within a sample; 1-based inclusive coordinates."""

CALLABLE_SCHEMA = pa.schema(
    [
        ("sample_id", pa.int64()),
        ("chrom", pa.string()),
        ("start_1based", pa.int32()),
        ("end_1based", pa.int32()),
        ("callable_alleles", pa.int8()),
    ]
)
"""The blocks of a sample with abutting blocks of equal ``callable_alleles`` merged into one run: the same callable
alleles at every position in a twelfth of the rows (a gVCF's reference blocks abut, cut only by GQ bands), which is
all a frequency release needs of them. Batches written before it existed have ``blocks`` only."""

TABLE_SCHEMAS = {CALLS: CALLS_SCHEMA, BLOCKS: BLOCKS_SCHEMA, CALLABLE: CALLABLE_SCHEMA}


def variants_root(home: Path) -> Path:
    return home / VARIANTS_DIR


def batches_root(home: Path) -> Path:
    return variants_root(home) / BATCHES_DIR


def batch_name(batch_id: str) -> str:
    """The batch's dataset name on the instance's store (its folder relative to the home)."""
    return f"{VARIANTS_DIR}/{BATCHES_DIR}/{batch_id}"


def batch_dir(home: Path, batch_id: str) -> Path:
    return batches_root(home) / batch_id


def temporary_dir(home: Path, batch_id: str) -> Path:
    return variants_root(home) / f"{TEMPORARY_PREFIX}{batch_id}"


def part_path(batch: Path, table: str, chrom: str) -> Path:
    """The one Parquet part of a table's chromosome partition inside a batch folder."""
    return batch / table / f"chrom={chrom}" / PART_NAME


def table_glob(batch: Path, table: str) -> str:
    """A glob over every partition of a table in a batch, for ``read_parquet(…, hive_partitioning = true)``."""
    return str(batch / table / "chrom=*" / "*.parquet")


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 22):
            digest.update(chunk)
    return digest.hexdigest()


def fsync_path(path: Path) -> None:
    """Flush a file or a folder entry to disk."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
