"""Where recontact worklists get their carriers: the variant store, behind a small interface.

The variant store answers ``carriers(variant_key) -> [(sample_id, alt_count)]`` over its registered batches
(``docs/variant-store.md``); ``sample_id`` is the catalog id of a sample version. The national variant database
maps those to current samples and to the department that submitted each, and gives every department only its own.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, Protocol

import duckdb
import pyarrow as pa  # type: ignore[import-untyped]

from genomdb.instance import Instance

if TYPE_CHECKING:
    from genomdb.variants.store import VariantStore


class CarrierSource(Protocol):
    """Who carries a variant: (sample version id, copies of the alt allele) per carrier. A source may also offer
    ``carriers_many(keys) -> {key: [...]}`` to answer for many variants at once (a bulk import crosses many)."""

    def carriers(self, variant_key: str) -> Sequence[tuple[int, int]]: ...


def carriers_of(source: CarrierSource, variant_keys: Sequence[str]) -> dict[str, list[tuple[int, int]]]:
    """Carriers of each variant, in one call when the source can, else one call per variant."""
    many: Any = getattr(source, "carriers_many", None)
    if many is not None:
        found: Mapping[str, Sequence[tuple[int, int]]] = many(variant_keys)
        return {key: list(found.get(key, ())) for key in variant_keys}
    return {key: list(source.carriers(key)) for key in variant_keys}


class NoCarriers:
    """The source used when the instance has no variant store yet: nobody is known to carry anything."""

    def carriers(self, variant_key: str) -> Sequence[tuple[int, int]]:
        return ()


class VariantStoreCarriers:
    """Carriers from the variant store's registered batches: passing calls of any sample version (the database
    attributes older versions to the current one), one DuckDB scan for many variants at once."""

    def __init__(self, store: VariantStore) -> None:
        self._store = store

    def carriers(self, variant_key: str) -> Sequence[tuple[int, int]]:
        return self._store.carriers(variant_key, current_only=False)

    def carriers_many(self, variant_keys: Sequence[str]) -> dict[str, list[tuple[int, int]]]:
        found: dict[str, list[tuple[int, int]]] = {key: [] for key in variant_keys}
        globs = self._store.calls_glob()
        if not globs or not variant_keys:
            return found
        parts = [key.split("-") for key in variant_keys]
        wanted = pa.table(
            {
                "chrom": [p[0] for p in parts],
                "pos": pa.array([int(p[1]) for p in parts], pa.int32()),
                "ref": [p[2] for p in parts],
                "alt": [p[3] for p in parts],
            }
        )
        with duckdb.connect() as con:
            con.register("wanted", wanted)
            rows = con.execute(
                "SELECT c.chrom, c.pos, c.ref, c.alt, c.sample_id, c.alt_count "
                "FROM read_parquet($globs, hive_partitioning = true) AS c "
                "JOIN wanted AS w ON c.chrom = w.chrom AND c.pos = w.pos AND c.ref = w.ref AND c.alt = w.alt "
                "WHERE c.passes ORDER BY c.sample_id",
                {"globs": globs},
            ).fetchall()
        for chrom, pos, ref, alt, sample_id, alt_count in rows:
            found[f"{chrom}-{pos}-{ref}-{alt}"].append((int(sample_id), int(alt_count)))
        return found


def default_carrier_source(instance: Instance) -> CarrierSource:
    """The instance's variant store (``genomdb.variants.store.VariantStore``); NoCarriers where there is none."""
    try:
        from genomdb.variants.store import VariantStore
    except ImportError:
        return NoCarriers()
    return VariantStoreCarriers(VariantStore.of(instance))
