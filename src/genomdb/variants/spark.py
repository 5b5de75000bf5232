"""The Apache Spark backend of :class:`genomdb.variants.engine.QueryEngine` (``pip install 'genomdb[spark]'``).

Only :func:`genomdb.variants.engine.create_engine_backend` imports this module, so PySpark (and the JVM behind it)
is loaded only when the Spark engine is asked for. The session is the one already active in the process when
there is one (a notebook's, a test session's); otherwise one is started for ``master`` and stopped at
:meth:`SparkEngine.close`. Ordered results are written by Spark as sorted Parquet parts in a scratch folder and
streamed back part by part, so no result has to fit in the driver's memory: one part in local mode (no sampling
pass over the input), range partitions on a cluster (:data:`ORDERED_PARTS` overrides either).
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Iterator, Sequence
from functools import reduce
from pathlib import Path
from typing import Any

import pyarrow as pa  # type: ignore[import-untyped]
import pyarrow.parquet as pq  # type: ignore[import-untyped]
import pyspark
from pyspark import StorageLevel
from pyspark.sql import DataFrame, SparkSession

from genomdb.errors import Unavailable
from genomdb.variants.engine import ROW_BATCH, remove_folder, scratch_folder

DEFAULT_DRIVER_MEMORY = "2g"
ORDERED_PARTS = "spark.genomdb.orderedParts"
"""Spark setting: ``1`` writes an ordered result as one sorted part (the default in local mode: no sampling pass
over the input); ``0`` range-partitions it over ``spark.sql.shuffle.partitions`` (the default on a cluster)."""


def _driver_memory(limit: str | None) -> str:
    """A DuckDB-style size (``1GB``, ``512MB``) as a JVM size (``1g``, ``512m``)."""
    if not limit:
        return DEFAULT_DRIVER_MEMORY
    text = limit.strip().lower().replace("ib", "").replace("b", "").replace(" ", "")
    return text or DEFAULT_DRIVER_MEMORY


_SQL_TYPES = {
    pa.int8(): "TINYINT",
    pa.int16(): "SMALLINT",
    pa.int32(): "INT",
    pa.int64(): "BIGINT",
    pa.bool_(): "BOOLEAN",
    pa.string(): "STRING",
    pa.float64(): "DOUBLE",
}


def spark_schema(schema: pa.Schema) -> str:
    """An Arrow schema as a Spark DDL string (reading with it spares Spark a job that infers it from footers)."""
    return ", ".join(f"`{f.name}` {_SQL_TYPES[f.type]}" for f in schema)


def _local_cores(master: str) -> int:
    inside = master.partition("[")[2].rstrip("]")
    return int(inside) if inside.isdigit() else os.cpu_count() or 1


def start_session(
    master: str,
    *,
    work_dir: Path,
    memory: str | None = None,
    options: dict[str, str] | None = None,
) -> SparkSession:
    """A Spark session for genomdb's transforms (or the active one: Spark has one session per process).

    ``options`` are further Spark settings (e.g. ``spark.driver.extraJavaOptions``) for a session started here.
    """
    active = SparkSession.getActiveSession()
    if active is not None:
        return active
    local = master.startswith("local")
    if local:
        os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    local_dir = work_dir / "spark-local"
    local_dir.mkdir(parents=True, exist_ok=True)
    builder = (
        SparkSession.builder.master(master)
        .appName("genomdb")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.local.dir", str(local_dir))
        .config("spark.driver.memory", _driver_memory(memory))
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.sql.sources.partitionColumnTypeInference.enabled", "false")
        .config("spark.sql.adaptive.enabled", "true")
    )
    if local:
        builder = (
            builder.config("spark.driver.host", "127.0.0.1")
            .config("spark.driver.bindAddress", "127.0.0.1")
            .config("spark.sql.shuffle.partitions", str(2 * _local_cores(master)))
        )
    for key, value in (options or {}).items():
        builder = builder.config(key, value)
    try:
        session = builder.getOrCreate()
    except Exception as exc:  # the JVM did not start: no Java, no memory, a bad master
        raise Unavailable(f"Spark could not start with master {master}: {exc}") from exc
    session.sparkContext.setLogLevel("ERROR")
    return session


class SparkEngine:
    """The query engine on a Spark session; temp views and cached tables are dropped at :meth:`close`."""

    name = "spark"
    version = pyspark.__version__

    def __init__(self, work_dir: Path, *, master: str, memory: str | None = None, threads: int | None = None) -> None:
        del threads  # a Spark master names its own cores (local[N], executors)
        self.work_dir = work_dir
        work_dir.mkdir(parents=True, exist_ok=True)
        self._owns_session = SparkSession.getActiveSession() is None
        self.session = start_session(master, work_dir=work_dir, memory=memory)
        self.master = self.session.sparkContext.master
        local = str(self.master).startswith("local")
        self._sorted_parts = int(self.session.conf.get(ORDERED_PARTS, None) or (1 if local else 0))
        self._scratch = scratch_folder(work_dir, "spark")
        self._views: list[str] = []
        self._persisted: dict[str, DataFrame] = {}
        self._counter = itertools.count()

    def _view(self, frame: DataFrame, name: str | None = None) -> str:
        name = name or f"genomdb_source_{next(self._counter)}"
        frame.createOrReplaceTempView(name)
        self._views.append(name)
        return name

    def dataset(self, folders: Sequence[Path], schema: pa.Schema) -> str:
        ddl = spark_schema(schema)
        frames = [self.session.read.schema(ddl).parquet(str(folder)) for folder in folders]
        union = reduce(lambda a, b: a.unionByName(b, allowMissingColumns=True), frames)
        return self._view(union)

    def parquet(self, files: Sequence[Path], schema: pa.Schema) -> str:
        return self._view(self.session.read.schema(spark_schema(schema)).parquet(*(str(f) for f in files)))

    def register(self, name: str, table: pa.Table) -> None:
        path = self._scratch / f"{name}-{next(self._counter)}.parquet"
        pq.write_table(table, path)
        self._drop(name)
        self._view(self.session.read.schema(spark_schema(table.schema)).parquet(str(path)), name)

    def _drop(self, name: str) -> None:
        self.session.catalog.dropTempView(name)
        persisted = self._persisted.pop(name, None)
        if persisted is not None:
            persisted.unpersist()

    def materialize(self, name: str, sql: str) -> None:
        # Persisted lazily: the first query that reads the table (a check) computes and keeps it in the same job,
        # where an eager CACHE TABLE would run one job more to fill the cache first.
        self._drop(name)
        frame = self.session.sql(sql).persist(StorageLevel.MEMORY_AND_DISK)
        self._persisted[name] = frame
        self._view(frame, name)

    def scalar(self, sql: str) -> Any:
        rows = self.session.sql(sql).take(1)
        return rows[0][0] if rows else None

    def ordered(self, sql: str, order_by: str) -> Iterator[pa.RecordBatch]:
        folder = scratch_folder(self._scratch, "ordered")
        try:
            if self._sorted_parts == 1:
                # One sorted part: a shuffle into one partition and a sort within it, so the input is evaluated
                # once and nothing has to be sampled (the sort spills to disk beyond memory, so it stays bounded).
                one = self.session.sql(f"SELECT /*+ REPARTITION(1) */ * FROM ({sql}) AS q SORT BY {order_by}")
                one.write.mode("overwrite").parquet(str(folder / "parts"))
            else:
                self._range_sorted(sql, order_by, folder / "parts")
            # Range partitions are numbered in sort order, and so are the part files named after them.
            for part in sorted((folder / "parts").glob("part-*.parquet")):
                yield from pq.ParquetFile(part).iter_batches(batch_size=ROW_BATCH)
        finally:
            remove_folder(folder)

    def _range_sorted(self, sql: str, order_by: str, target: Path) -> None:
        """``sql`` sorted into range partitions (in parallel on a cluster), written as Parquet parts to ``target``."""
        # A global sort first samples its input to find the range boundaries, then reads it again: persisted,
        # the rows are computed once for both passes.
        rows = self.session.sql(sql).persist(StorageLevel.MEMORY_AND_DISK)
        view = self._view(rows)
        try:
            self.session.sql(f"SELECT * FROM {view} ORDER BY {order_by}").write.mode("overwrite").parquet(str(target))
        finally:
            self._drop(view)
            rows.unpersist()

    def close(self) -> None:
        try:
            for name in dict.fromkeys(reversed(self._views)):
                self._drop(name)
            if self._owns_session:
                self.session.stop()
        finally:
            remove_folder(self._scratch)
