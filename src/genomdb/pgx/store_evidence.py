"""Evidence at the defining positions for persons in the instance: their harmonised calls and callable reference
blocks from the variant store (the seam :func:`genomdb.pgx.evidence.build_person_evidence` was made for).

The variant store keeps split, normalised biallelic calls: the rows of one sample at one position are joined back
into one genotype (``alt_count`` copies of each ALT, the rest reference up to ``called_alleles``). Only calls that
pass the genotype filters count; a failing call is no evidence. A defining position inside a callable reference
block whose GQ band is at least ``min_block_gq`` is reference *with evidence*; anything else is missing.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import Any

import pyarrow as pa  # type: ignore[import-untyped]

from genomdb.pgx.evidence import GenotypeCall, PersonEvidence, ReferenceBlock, Sex, build_person_evidence
from genomdb.variants.records import CohortSample
from genomdb.variants.store import VariantStore, connect_duckdb

DEFAULT_MIN_BLOCK_GQ = 20


def genotype_calls(rows: Iterable[tuple[str, int, str, str, int, int, bool]]) -> list[GenotypeCall]:
    """One genotype per (chrom, position) from the store's split rows ``(chrom, pos, ref, alt, alt_count,
    called_alleles, phased)``; rows of one position are joined in the order given (ALT 1, 2, …)."""
    grouped: dict[tuple[str, int], list[tuple[str, str, int, int, bool]]] = defaultdict(list)
    for chrom, pos, ref, alt, alt_count, called, phased in rows:
        grouped[(chrom, int(pos))].append((ref, alt, int(alt_count), int(called), bool(phased)))
    calls = []
    for (chrom, pos), alleles in sorted(grouped.items()):
        if len({ref for ref, *_ in alleles}) > 1:
            continue  # two ALTs normalised to different REF spellings: not one genotype PharmCAT would read
        ref = alleles[0][0]
        alts = tuple(alt for _, alt, *_ in alleles)
        indices: list[int | None] = [index + 1 for index, (*_, n, _c, _p) in enumerate(alleles) for _ in range(n)]
        n_called = max(called for *_, called, _ in alleles)
        indices += [0] * max(0, n_called - len(indices))
        calls.append(
            GenotypeCall(chrom, pos, ref, alts, tuple(indices[:2]), phased=all(p for *_, p in alleles) and n_called > 1)
        )
    return calls


def _positions_table(positions: Iterable[tuple[str, int]]) -> pa.Table:
    ordered = sorted(set(positions))
    return pa.table({"chrom": [c for c, _ in ordered], "pos": pa.array([p for _, p in ordered], pa.int32())})


def store_evidence(
    store: VariantStore,
    samples: Sequence[CohortSample],
    positions: Iterable[tuple[str, int]],
    *,
    min_block_gq: int = DEFAULT_MIN_BLOCK_GQ,
) -> dict[int, PersonEvidence]:
    """Evidence of each sample version (by ``sample_id``) at the positions, read in one pass per table."""
    calls_glob, blocks_glob = store_globs(store, samples)
    return evidence_from_globs(calls_glob, blocks_glob, samples, positions, min_block_gq=min_block_gq)


def store_globs(store: VariantStore, samples: Sequence[CohortSample]) -> tuple[list[str], list[str]]:
    """The variant-store files (calls, blocks) of the samples' batches, as :func:`evidence_from_globs` reads them."""
    batch_ids = sorted({s.batch_id for s in samples})
    return store.calls_glob(batch_ids), store.blocks_glob(batch_ids)


def evidence_from_globs(
    calls_glob: list[str],
    blocks_glob: list[str],
    samples: Sequence[CohortSample],
    positions: Iterable[tuple[str, int]],
    *,
    min_block_gq: int = DEFAULT_MIN_BLOCK_GQ,
) -> dict[int, PersonEvidence]:
    """:func:`store_evidence` from the store's file globs: plain values, so a worker process can read them."""
    wanted = list(positions)
    by_id = {s.sample_id: s for s in samples}
    calls: dict[int, list[tuple[str, int, str, str, int, int, bool]]] = defaultdict(list)
    blocks: dict[int, list[ReferenceBlock]] = defaultdict(list)
    con = connect_duckdb(threads=1)
    try:
        con.register("positions", _positions_table(wanted))
        con.register("wanted", pa.table({"sample_id": pa.array(sorted(by_id), pa.int64())}))
        if calls_glob:
            rows: list[Any] = con.execute(
                "SELECT c.sample_id, c.chrom, c.pos, c.ref, c.alt, c.alt_count, c.called_alleles, c.phased "
                f"FROM read_parquet({calls_glob!r}, hive_partitioning = true, union_by_name = true) AS c "
                "JOIN positions AS p ON c.chrom = p.chrom AND c.pos = p.pos "
                "JOIN wanted AS w ON c.sample_id = w.sample_id "
                "WHERE c.passes ORDER BY c.sample_id, c.chrom, c.pos, c.alt"
            ).fetchall()
            for sample_id, *row in rows:
                calls[int(sample_id)].append(tuple(row))
        if blocks_glob:
            rows = con.execute(
                "SELECT DISTINCT b.sample_id, b.chrom, b.start_1based, b.end_1based, b.callable_alleles "
                f"FROM read_parquet({blocks_glob!r}, hive_partitioning = true, union_by_name = true) AS b "
                "JOIN positions AS p ON b.chrom = p.chrom AND p.pos BETWEEN b.start_1based AND b.end_1based "
                "JOIN wanted AS w ON b.sample_id = w.sample_id "
                "WHERE b.min_gq >= $min_gq ORDER BY b.sample_id, b.chrom, b.start_1based",
                {"min_gq": min_block_gq},
            ).fetchall()
            for sample_id, chrom, start, end, ploidy in rows:
                blocks[int(sample_id)].append(ReferenceBlock(chrom, int(start), int(end), int(ploidy)))
    finally:
        con.close()
    evidence = {}
    for sample_id, sample in by_id.items():
        sex: Sex | None = "XX" if sample.sex == "XX" else "XY" if sample.sex == "XY" else None
        evidence[sample_id] = build_person_evidence(
            sample.sample_key,
            genotype_calls(calls.get(sample_id, [])),
            blocks.get(sample_id, []),
            defining_positions=wanted,
            sex=sex,
            origin=f"variant store batch {sample.batch_id}",
        )
    return evidence
