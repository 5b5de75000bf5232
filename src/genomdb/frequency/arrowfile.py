"""A memory-mapped Arrow IPC file sorted by chromosome then an integer key: the read path of release tables.

Release tables (``variants.arrow``, coverage layers) are uncompressed Arrow IPC files, sorted, one chromosome per
record batch. :class:`SortedArrowFile` keeps only the first and last key of each record batch in memory; a
look-up bisects those, then the batch's memory-mapped key column (``numpy.searchsorted``), so memory stays flat
and a look-up reads a few pages.
"""

from __future__ import annotations

from bisect import bisect_right
from collections import OrderedDict
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa  # type: ignore[import-untyped]

from genomdb.errors import IntegrityError


@dataclass(frozen=True, slots=True)
class _Span:
    batch: int
    first: int
    last: int


Column = np.ndarray[Any, np.dtype[Any]]
_CACHED_BATCHES = 512


class _Batch:
    """One memory-mapped record batch with zero-copy numpy views of its integer columns, made on first use."""

    __slots__ = ("_views", "record")

    def __init__(self, record: pa.RecordBatch) -> None:
        self.record = record
        self._views: dict[str, Column] = {}

    def ints(self, name: str) -> Column:
        view = self._views.get(name)
        if view is None:
            view = self.record.column(name).to_numpy(zero_copy_only=True)
            self._views[name] = view
        return view


class SortedArrowFile:
    """A memory-mapped Arrow IPC file sorted by ``chrom`` then an integer ``key`` column."""

    def __init__(self, path: Path, key: str) -> None:
        if not path.exists():
            raise IntegrityError(f"release file {path} is missing")
        self._source = pa.memory_map(str(path), "r")
        self._reader = pa.ipc.open_file(self._source)
        self.key = key
        self.schema = self._reader.schema
        spans: dict[str, list[_Span]] = {}
        for index in range(self._reader.num_record_batches):
            batch = self._reader.get_batch(index)
            if batch.num_rows == 0:
                continue
            keys = batch.column(key)
            spans.setdefault(str(batch.column("chrom")[0]), []).append(
                _Span(index, int(keys[0].as_py()), int(keys[-1].as_py()))
            )
        self._spans = spans
        self._firsts = {chrom: [s.first for s in items] for chrom, items in spans.items()}
        self._batches: OrderedDict[int, _Batch] = OrderedDict()

    def close(self) -> None:
        self._batches.clear()
        self._source.close()

    def batch(self, index: int) -> _Batch:
        """A record batch, from a small most-recently-used cache (record batches are views on the mapping)."""
        cached = self._batches.get(index)
        if cached is not None:
            self._batches.move_to_end(index)
            return cached
        cached = _Batch(self._reader.get_batch(index))
        self._batches[index] = cached
        if len(self._batches) > _CACHED_BATCHES:
            self._batches.popitem(last=False)
        return cached

    def rows_between(self, chrom: str, low: int, high: int) -> Iterator[tuple[_Batch, int, int]]:
        """``(batch, start, stop)`` slices of the rows whose key is in ``[low, high]``, in order."""
        spans = self._spans.get(chrom, [])
        firsts = self._firsts.get(chrom, [])
        for position in range(max(0, bisect_right(firsts, low) - 1), len(spans)):
            span = spans[position]
            if span.first > high:
                break
            if span.last < low:
                continue
            batch = self.batch(span.batch)
            keys = batch.ints(self.key)
            start = int(np.searchsorted(keys, low, side="left"))
            stop = int(np.searchsorted(keys, high, side="right"))
            if start < stop:
                yield batch, start, stop

    def row_at_or_before(self, chrom: str, key: int) -> tuple[_Batch, int] | None:
        """The last row of ``chrom`` whose key is ≤ ``key``."""
        firsts = self._firsts.get(chrom)
        if not firsts:
            return None
        position = bisect_right(firsts, key) - 1
        if position < 0:
            return None
        batch = self.batch(self._spans[chrom][position].batch)
        index = int(np.searchsorted(batch.ints(self.key), key, side="right")) - 1
        return batch, index

    def rows_at_or_before_many(self, chrom: str, keys: Column) -> Iterator[tuple[_Batch, Column, Column]]:
        """The vectorised :meth:`row_at_or_before`: per record batch, ``(batch, indexes into keys, rows)``.

        Keys before the chromosome's first row are left out.
        """
        firsts = self._firsts.get(chrom)
        if not firsts or not len(keys):
            return
        which = np.searchsorted(np.asarray(firsts), keys, side="right") - 1
        for position in np.unique(which[which >= 0]):
            selection = np.flatnonzero(which == position)
            batch = self.batch(self._spans[chrom][int(position)].batch)
            rows = np.searchsorted(batch.ints(self.key), keys[selection], side="right") - 1
            yield batch, selection, rows
