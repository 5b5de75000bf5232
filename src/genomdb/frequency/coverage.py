"""A release's callable-AN track as layers of step functions, summed when read.

The allele number at a position is the sum, over the release's *coverage layers*, of each layer's value there.
A folded release (the first, every ``--full`` build, and every few increments) has one layer, ``coverage``,
built from all counted samples. An incremental build does not rewrite it: it hard-links the previous release's
layers into the new folder and adds one layer, ``coverage-<n>``, holding only the change (+ the callable
stretches of samples that joined, − those of samples that left). Its cost is proportional to the change, not to
the cohort. Layers are folded back into one when a release would have more than :data:`MAX_LAYERS`, when the
increments together hold more than :data:`FOLD_FRACTION` of the base layer's runs, or when the strata change.

Every layer is a table ``(chrom, start_1based, end_1based, callable_individuals, an_<stratum>…)`` of non-zero
runs sorted by contig then position, stored as Parquet and as an uncompressed Arrow IPC twin (one chromosome per
record batch) that look-ups memory-map. Increment values may be negative; the sum never is.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa  # type: ignore[import-untyped]

BASE_LAYER = "coverage"
MAX_LAYERS = 4
"""A release never has more layers than this; the build that would exceed it folds them into one."""
FOLD_FRACTION = 0.25
"""Fold when the increments together hold more runs than this share of the base layer's."""

Ints = np.ndarray[Any, np.dtype[np.int64]]


@dataclass(frozen=True, slots=True)
class LayerInfo:
    """A layer as a release manifest lists it."""

    name: str
    n_runs: int

    @property
    def index(self) -> int:
        return 0 if self.name == BASE_LAYER else int(self.name.rsplit("-", 1)[1])

    def files(self) -> tuple[str, str]:
        """The layer's Parquet and Arrow IPC file names."""
        return f"{self.name}.parquet", f"{self.name}.arrow"


def next_layer_name(layers: Sequence[LayerInfo]) -> str:
    return f"{BASE_LAYER}-{max((layer.index for layer in layers), default=0) + 1}"


def should_fold(layers: Sequence[LayerInfo], *, strata_changed: bool) -> bool:
    """Whether the next build should fold ``layers`` (a previous release's) into one instead of adding one."""
    if strata_changed or not layers or len(layers) + 1 > MAX_LAYERS:
        return True
    base = sum(layer.n_runs for layer in layers if layer.name == BASE_LAYER)
    increments = sum(layer.n_runs for layer in layers if layer.name != BASE_LAYER)
    return increments > FOLD_FRACTION * base


class _ChromRuns:
    """One chromosome's runs of one layer, concatenated from its record batches (copied out of the mapping)."""

    __slots__ = ("ends", "starts", "values")

    def __init__(self, batches: Sequence[pa.RecordBatch], columns: Sequence[str]) -> None:
        def column(name: str) -> Ints:
            parts = [b.column(name).to_numpy().astype(np.int64) for b in batches if name in b.schema.names]
            if len(parts) != len(batches):
                return np.zeros(sum(b.num_rows for b in batches), np.int64)
            return np.concatenate(parts) if parts else np.zeros(0, np.int64)

        self.starts = column("start_1based")
        self.ends = column("end_1based")
        self.values = np.vstack([column(name) for name in columns]) if columns else np.zeros((0, len(self.starts)))


def layer_values_at(
    arrow_file: Path, chroms: Sequence[str], positions: Sequence[Ints], columns: Sequence[str]
) -> list[Ints]:
    """Values of ``columns`` in one layer at the given positions, per chromosome: arrays shaped (columns, n).

    Columns the layer does not have count 0 (a stratum that did not exist when the layer was built).
    """
    source = pa.memory_map(str(arrow_file), "r")
    try:
        reader = pa.ipc.open_file(source)
        by_chrom: dict[str, list[pa.RecordBatch]] = {}
        for index in range(reader.num_record_batches):
            batch = reader.get_batch(index)
            if batch.num_rows:
                by_chrom.setdefault(str(batch.column("chrom")[0]), []).append(batch)
        out: list[Ints] = []
        for chrom, wanted in zip(chroms, positions, strict=True):
            values = np.zeros((len(columns), len(wanted)), np.int64)
            batches = by_chrom.get(chrom)
            if batches:
                runs = _ChromRuns(batches, columns)
                row = np.searchsorted(runs.starts, wanted, side="right") - 1
                inside = row >= 0
                inside[inside] &= runs.ends[row[inside]] >= wanted[inside]
                values[:, inside] = runs.values[:, row[inside]]
            out.append(values)
        return out
    finally:
        source.close()


def values_at(
    arrow_files: Sequence[Path], chroms: Sequence[str], positions: Sequence[Ints], columns: Sequence[str]
) -> list[Ints]:
    """The sum over layers of :func:`layer_values_at`."""
    total = [np.zeros((len(columns), len(p)), np.int64) for p in positions]
    for path in arrow_files:
        for acc, part in zip(total, layer_values_at(path, chroms, positions, columns), strict=True):
            acc += part
    return total


def values_table(
    arrow_files: Sequence[Path], positions: pa.Table, columns: Sequence[str], *, types: Sequence[pa.DataType]
) -> pa.Table:
    """``positions`` (``chrom``, ``pos``) with the layers' summed ``columns`` at each position appended."""
    encoded = positions.column("chrom").combine_chunks().dictionary_encode()
    chroms = [str(c) for c in encoded.dictionary.to_pylist()]
    order = encoded.indices.to_numpy(zero_copy_only=False).astype(np.int64)
    pos_column = positions.column("pos").to_numpy().astype(np.int64)
    selections = [np.flatnonzero(order == i) for i in range(len(chroms))]
    sums = values_at(arrow_files, chroms, [pos_column[s] for s in selections], columns)
    merged = np.zeros((len(columns), len(pos_column)), np.int64)
    for selection, part in zip(selections, sums, strict=True):
        merged[:, selection] = part
    arrays = {"chrom": positions.column("chrom"), "pos": positions.column("pos")}
    for i, (name, kind) in enumerate(zip(columns, types, strict=True)):
        arrays[name] = pa.array(merged[i], pa.int64()).cast(kind)
    return pa.table(arrays)
