"""The variant table of gene and region pages as CSV (what the page shows, at the same tier)."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence

from genomdb.frequency.records import VariantFrequency

CSV_COLUMNS = (
    "variant", "chrom", "pos_1based", "ref", "alt", "status", "allele_count", "allele_number", "allele_frequency",
    "n_homalt", "n_hemi", "faf95", "callable_individuals", "release_id", "tier",
)  # fmt: skip


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.6g}"
    return str(value)


def variants_csv(variants: Sequence[VariantFrequency]) -> str:
    """One row per variant with the ``all`` stratum's disclosed figures; empty cells were withheld."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for found in variants:
        v, total = found.variant, found.total
        writer.writerow(
            _cell(x)
            for x in (
                v.key, v.chrom, v.pos_1based, v.ref, v.alt, found.status.value, total.allele_count,
                total.allele_number, total.allele_frequency, total.n_homalt, total.n_hemi, total.faf95,
                found.callable_individuals, found.release_id, found.tier,
            )
        )  # fmt: skip
    return out.getvalue()
