"""The shared release writer: the same rows give the same bytes, however an engine chunked and allocated them."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from genomdb.frequency.arrowfile import SortedArrowFile
from genomdb.frequency.release_files import ROW_BATCH, coverage_schema, rechunk, write_release_table


def _rows(n: int) -> pa.Table:
    chroms = ["chr1"] * (n // 2) + ["chr2"] * (n - n // 2)
    starts = list(range(1, n // 2 + 1)) + list(range(1, n - n // 2 + 1))
    return pa.table(
        {
            "chrom": pa.array(chroms, pa.string()),
            "start_1based": pa.array(starts, pa.int32()),
            "end_1based": pa.array(starts, pa.int32()),
            "callable_individuals": pa.array([i % 7 for i in range(n)], pa.int32()),
            "an_all": pa.array([2 * (i % 7) for i in range(n)], pa.int32()),
            "contig_rank": pa.array([0] * n, pa.int32()),
        }
    )


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_chunking_and_spare_capacity_do_not_change_the_files(tmp_path: Path) -> None:
    n = ROW_BATCH + 5_000
    rows = _rows(n)
    schema = coverage_schema(["all"])
    # One engine hands over one big batch; another many small ones cut anywhere, and slices of bigger arrays
    # (buffers with spare capacity beyond the rows, as DuckDB's exports have).
    plain = rows.to_batches()
    doubled = pa.concat_tables([rows, rows]).combine_chunks()
    oversized = [doubled.slice(start, 777).to_batches()[0] for start in range(0, n, 777)]
    oversized[-1] = oversized[-1].slice(0, n - 777 * (len(oversized) - 1))
    written = []
    for name, batches in (("plain", plain), ("oversized", oversized)):
        folder = tmp_path / name
        folder.mkdir()
        count = write_release_table(batches, schema, folder / "t.parquet", folder / "t.arrow")
        assert count == n
        written.append(folder)
    assert _sha(written[0] / "t.parquet") == _sha(written[1] / "t.parquet")
    assert _sha(written[0] / "t.arrow") == _sha(written[1] / "t.arrow")
    table = pq.read_table(written[0] / "t.parquet")
    assert table.equals(rows.select(schema.names).cast(schema))
    layer = SortedArrowFile(written[0] / "t.arrow", "start_1based")
    try:
        found = layer.row_at_or_before("chr2", 10)
        assert found is not None and int(found[0].ints("start_1based")[found[1]]) == 10
    finally:
        layer.close()


def test_batches_never_span_two_chromosomes() -> None:
    rows = _rows(10)
    pieces = list(rechunk(rows.to_batches(max_chunksize=3)))
    assert [p.num_rows for p in pieces] == [5, 5]
    assert [set(p.column("chrom").to_pylist()) for p in pieces] == [{"chr1"}, {"chr2"}]
