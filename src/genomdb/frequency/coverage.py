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

import numpy as np
import pyarrow as pa  # type: ignore[import-untyped]

from genomdb.frequency.arrowfile import SortedArrowFile

BASE_LAYER = "coverage"
MAX_LAYERS = 4
"""A release never has more layers than this; the build that would exceed it folds them into one."""
FOLD_FRACTION = 0.25
"""Fold when the increments together hold more runs than this share of the base layer's."""


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


def values_table(
    layers: Sequence[SortedArrowFile], positions: pa.Table, columns: Sequence[str], *, types: Sequence[pa.DataType]
) -> pa.Table:
    """``positions`` (``chrom``, ``pos``) with the layers' summed ``columns`` at each position appended.

    A column a layer lacks (a stratum that did not exist when it was built) counts 0 there.
    """
    encoded = positions.column("chrom").combine_chunks().dictionary_encode()
    chroms = [str(c) for c in encoded.dictionary.to_pylist()]
    order = encoded.indices.to_numpy(zero_copy_only=False).astype(np.int64)
    pos_column = positions.column("pos").to_numpy().astype(np.int64)
    merged = np.zeros((len(columns), len(pos_column)), np.int64)
    for i, chrom in enumerate(chroms):
        selection = np.flatnonzero(order == i)
        wanted = pos_column[selection]
        for layer in layers:
            for batch, found, rows in layer.rows_at_or_before_many(chrom, wanted):
                inside = batch.ints("end_1based")[rows] >= wanted[found]
                targets, rows = selection[found[inside]], rows[inside]
                names = batch.record.schema.names
                for c, name in enumerate(columns):
                    if name in names:
                        merged[c, targets] += batch.ints(name)[rows]
    arrays = {"chrom": positions.column("chrom"), "pos": positions.column("pos")}
    for i, (name, kind) in enumerate(zip(columns, types, strict=True)):
        arrays[name] = pa.array(merged[i], pa.int64()).cast(kind)
    return pa.table(arrays)
