"""The query engines that read the variant store: DuckDB (embedded default) and Apache Spark (national scale).

Heavy transforms (frequency releases) are written once, as SQL in the dialect both engines share, against the
small :class:`QueryEngine` interface below; :func:`create_engine_backend` picks the backend. The engine computes;
whatever it returns is streamed, in the order asked for, as Arrow record batches into writers that both backends
share, so that the files a transform writes do not depend on the engine that computed them.

The shared dialect, as used here: ``CAST(x AS BIGINT|INTEGER|STRING)`` (not ``::``), ``COUNT(*) FILTER (WHERE …)``,
``GROUP BY ALL``, inline ``(VALUES …) AS t(c)``, named ``WINDOW`` clauses, and ``NULLS LAST`` spelled out wherever a
sort key can be null (the engines' defaults differ). Relations over files come from :meth:`QueryEngine.dataset`
and :meth:`QueryEngine.parquet`, never from an engine's own table functions.
"""

from __future__ import annotations

import re
import shutil
import uuid
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any, Protocol

import duckdb
import pyarrow as pa  # type: ignore[import-untyped]

from genomdb.errors import InvalidInput, Problem

ENGINES = ("duckdb", "spark")
DEFAULT_ENGINE = "duckdb"
DEFAULT_SPARK_MASTER = "local[2]"
DEFAULT_MEMORY_LIMIT = "1GB"
ROW_BATCH = 65_536
"""Rows per Arrow record batch read back from an engine."""

_SPARK_MASTER = re.compile(
    r"^(local(\[([1-9][0-9]*|\*)\])?|yarn|spark://[A-Za-z0-9.\-]+:[0-9]{1,5}(,[A-Za-z0-9.\-]+:[0-9]{1,5})*)$"
)


class QueryEngine(Protocol):
    """What a transform needs from an engine: relations over files, temp tables, scalars and ordered results."""

    name: str
    version: str

    def dataset(self, folders: Sequence[Path], schema: pa.Schema) -> str:
        """A relation over Parquet tables partitioned as ``<folder>/chrom=<chrom>/*.parquet`` (column ``chrom``),
        whose columns are ``schema``'s (given, so that no engine has to infer it from the files)."""
        ...

    def parquet(self, files: Sequence[Path], schema: pa.Schema) -> str:
        """A relation over plain Parquet files with ``schema``'s columns."""
        ...

    def register(self, name: str, table: pa.Table) -> None:
        """Make an Arrow table queryable as ``name``."""
        ...

    def materialize(self, name: str, sql: str) -> None:
        """Compute ``sql`` once into temp table ``name`` (spilling to disk when it does not fit in memory)."""
        ...

    def scalar(self, sql: str) -> Any:
        """The first column of the first row of ``sql`` (None without rows)."""
        ...

    def ordered(self, sql: str, order_by: str) -> Iterator[pa.RecordBatch]:
        """The rows of ``sql`` sorted by ``order_by`` (output columns), streamed as record batches."""
        ...

    def close(self) -> None: ...


def _quote(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


class DuckDBEngine:
    """An in-memory DuckDB that spills to ``work_dir`` beyond its memory limit (default 1 GB, so the peak memory
    of a transform stays flat as the cohort grows)."""

    name = "duckdb"
    version = duckdb.__version__

    def __init__(self, work_dir: Path, *, threads: int | None = None, memory_limit: str | None = None) -> None:
        work_dir.mkdir(parents=True, exist_ok=True)
        config: dict[str, str | bool | int | float | list[str]] = {
            "temp_directory": str(work_dir / "duckdb-spill"),
            "preserve_insertion_order": False,
            "memory_limit": memory_limit or DEFAULT_MEMORY_LIMIT,
        }
        if threads:
            config["threads"] = threads
        self.connection = duckdb.connect(":memory:", config=config)

    def dataset(self, folders: Sequence[Path], schema: pa.Schema) -> str:
        del schema  # DuckDB reads Parquet footers as it scans
        paths = ", ".join(_quote(str(folder / "*" / "*.parquet")) for folder in folders)
        return f"read_parquet([{paths}], hive_partitioning = true, union_by_name = true)"

    def parquet(self, files: Sequence[Path], schema: pa.Schema) -> str:
        del schema
        return f"read_parquet([{', '.join(_quote(str(f)) for f in files)}])"

    def register(self, name: str, table: pa.Table) -> None:
        self.connection.register(f"{name}_arrow", table)
        self.connection.execute(f"CREATE OR REPLACE TEMP TABLE {name} AS SELECT * FROM {name}_arrow")
        self.connection.unregister(f"{name}_arrow")

    def materialize(self, name: str, sql: str) -> None:
        self.connection.execute(f"CREATE OR REPLACE TEMP TABLE {name} AS {sql}")

    def scalar(self, sql: str) -> Any:
        rows = self.connection.execute(sql).fetchall()
        return rows[0][0] if rows else None

    def ordered(self, sql: str, order_by: str) -> Iterator[pa.RecordBatch]:
        relation = self.connection.sql(f"SELECT * FROM ({sql}) ORDER BY {order_by}")
        yield from relation.to_arrow_reader(ROW_BATCH)

    def close(self) -> None:
        self.connection.close()


def check_engine(name: str, *, master: str | None = None) -> None:
    """InvalidInput unless ``name`` is a known engine and ``master`` a Spark master URL genomdb can use."""
    problems = []
    if name not in ENGINES:
        problems.append(Problem("engine", "unknown engine", field="engine", expected=" or ".join(ENGINES), found=name))
    if name == "spark" and master is not None and not _SPARK_MASTER.match(master):
        problems.append(
            Problem(
                "engine",
                "unusable Spark master",
                field="spark_master",
                expected="local[N], local[*], yarn or spark://host:port",
                found=master,
            )
        )
    if problems:
        raise InvalidInput("the engine cannot be used as configured", problems)


def create_engine_backend(
    name: str,
    *,
    work_dir: Path,
    threads: int | None = None,
    memory_limit: str | None = None,
    master: str | None = None,
) -> QueryEngine:
    """A query engine by name: ``duckdb`` (embedded) or ``spark`` (``master``: ``local[N]``, ``yarn``,
    ``spark://host:port``; PySpark is imported only here, from the ``genomdb[spark]`` extra).

    ``memory_limit`` caps DuckDB's memory, or sets the Spark driver's when this call starts the Spark session.
    """
    check_engine(name, master=master)
    if name == "spark":
        from genomdb.variants.spark import SparkEngine

        return SparkEngine(work_dir, master=master or DEFAULT_SPARK_MASTER, memory=memory_limit, threads=threads)
    return DuckDBEngine(work_dir, threads=threads, memory_limit=memory_limit)


def scratch_folder(work_dir: Path, prefix: str) -> Path:
    """A fresh folder under ``work_dir`` for an engine's intermediate files (the caller removes it)."""
    folder = work_dir / f"{prefix}-{uuid.uuid4().hex}"
    folder.mkdir(parents=True)
    return folder


def remove_folder(folder: Path) -> None:
    shutil.rmtree(folder, ignore_errors=True)
