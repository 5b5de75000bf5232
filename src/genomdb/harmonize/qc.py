"""Sample QC and genetic sex, computed with DuckDB SQL from a batch's genotypes, calls and blocks.

Genetic sex comes from chrX heterozygosity: among a sample's calls on chrX outside the pseudoautosomal regions
that pass the genotype filters, the share that is heterozygous. XY samples have (almost) none, XX samples about as
many as on the autosomes. With at least ``min_chrx_calls`` such calls, a share ≤ ``max_xy_heterozygosity`` is
``XY``, ≥ ``min_xx_heterozygosity`` is ``XX``, anything between is ``unknown`` (flagged ``sex_ambiguous``); with
fewer calls the sex is ``unknown`` and not flagged. The sex used for ploidy is the inferred one, else the declared
one. See docs/harmonisation.md for every figure and flag.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

import duckdb

from genomdb.catalog.repository import Catalog
from genomdb.errors import NotFound
from genomdb.harmonize.genotypes import CHROMOSOME_X, autosome_sql, in_par_sql, sql_text
from genomdb.variants import repository as variant_repository
from genomdb.variants.records import SampleQc, SampleQcRecord

DECLARED_TO_KARYOTYPE = {"female": "XX", "male": "XY"}
UNKNOWN_SEX = "unknown"


@dataclass(frozen=True, slots=True)
class QcThresholds:
    """Thresholds of genetic sex inference and of the sample QC flags."""

    min_chrx_calls: int = 20
    max_xy_heterozygosity: float = 0.10
    min_xx_heterozygosity: float = 0.25
    min_call_rate: float = 0.90


def create_sample_sex(con: duckdb.DuckDBPyConnection, thresholds: QcThresholds) -> None:
    """``sample_sex`` for every row of ``chunk_samples``: chrX heterozygosity, inferred and ploidy sex."""
    x_linked = f"chrom IN ({', '.join(sql_text(name) for name in CHROMOSOME_X)}) AND NOT {in_par_sql('chrom', 'pos')}"
    con.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE sample_sex AS
        WITH x AS (
            SELECT sample_id, count(*) AS n, count(*) FILTER (WHERE het_raw) AS n_het
            FROM parsed
            WHERE kind = 'allele' AND alt_raw > 0 AND filtered_ok AND {x_linked}
            GROUP BY sample_id
        ), inferred AS (
            SELECT s.sample_id, s.declared_sex, coalesce(x.n, 0) AS chrx_n_calls,
                   x.n_het / NULLIF(x.n, 0) AS chrx_heterozygosity,
                   CASE WHEN coalesce(x.n, 0) < {thresholds.min_chrx_calls} THEN '{UNKNOWN_SEX}'
                        WHEN x.n_het / x.n <= {thresholds.max_xy_heterozygosity} THEN 'XY'
                        WHEN x.n_het / x.n >= {thresholds.min_xx_heterozygosity} THEN 'XX'
                        ELSE '{UNKNOWN_SEX}' END AS inferred_sex
            FROM (SELECT DISTINCT sample_id, declared_sex FROM chunk_samples) AS s
            LEFT JOIN x USING (sample_id)
        )
        SELECT *,
               CASE WHEN inferred_sex <> '{UNKNOWN_SEX}' THEN inferred_sex
                    WHEN declared_sex = 'female' THEN 'XX'
                    WHEN declared_sex = 'male' THEN 'XY' END AS ploidy_sex
        FROM inferred
        """
    )


def sample_qc(con: duckdb.DuckDBPyConnection, thresholds: QcThresholds) -> list[SampleQc]:
    """QC of every sample in ``chunk_samples`` from ``genotypes``, ``blocks`` and ``sample_sex``.

    Calls are counted per split allele; heterozygous/hom-alt counts use the autosomes only.
    """
    snv = "length(ref) = 1 AND length(alt) = 1"
    rows = con.execute(
        f"""
        WITH calls AS (
            SELECT * FROM genotypes WHERE kind = 'allele' AND alt_raw > 0
        ), counts AS (
            SELECT sample_id, count(*) AS n_calls,
                   count(*) FILTER (WHERE passes) AS n_passing,
                   count(*) FILTER (WHERE passes AND {snv}) AS n_snv,
                   count(*) FILTER (WHERE passes AND length(ref) <> length(alt)) AS n_indel,
                   count(*) FILTER (WHERE passes AND {snv} AND ref || alt IN ('AG', 'GA', 'CT', 'TC')) AS n_ti,
                   count(*) FILTER (WHERE passes AND {autosome_sql("chrom")} AND het_raw) AS n_het,
                   count(*) FILTER (WHERE passes AND {autosome_sql("chrom")} AND alt_raw = 2) AS n_hom_var
            FROM calls GROUP BY sample_id
        ), callable AS (
            SELECT sample_id, sum(end_1based - start_1based + 1) AS bases FROM blocks GROUP BY sample_id
        ), spans AS (
            SELECT sample_id, sum(last - first + 1) AS bases
            FROM (SELECT sample_id, chrom, min(pos) AS first, max(end_pos) AS last FROM genotypes GROUP BY ALL)
            GROUP BY sample_id
        ), files AS (
            SELECT sample_id, bool_or(is_gvcf) AS is_gvcf FROM chunk_samples GROUP BY sample_id
        )
        SELECT x.sample_id, coalesce(c.n_calls, 0), coalesce(c.n_passing, 0), coalesce(b.bases, 0),
               CASE WHEN f.is_gvcf THEN t.bases END, coalesce(c.n_snv, 0), coalesce(c.n_indel, 0),
               coalesce(c.n_ti, 0), coalesce(c.n_het, 0), coalesce(c.n_hom_var, 0),
               x.chrx_heterozygosity, x.chrx_n_calls, x.inferred_sex, x.declared_sex, x.ploidy_sex
        FROM sample_sex AS x
        JOIN files AS f USING (sample_id)
        LEFT JOIN counts AS c USING (sample_id)
        LEFT JOIN callable AS b USING (sample_id)
        LEFT JOIN spans AS t USING (sample_id)
        ORDER BY x.sample_id
        """
    ).fetchall()
    return [_sample_qc(row, thresholds) for row in rows]


def _ratio(numerator: int, denominator: int | None) -> float | None:
    return numerator / denominator if denominator else None


def _int(value: Any) -> int:
    return int(value) if value is not None else 0


def _sample_qc(row: Sequence[Any], thresholds: QcThresholds) -> SampleQc:
    sample_id, n_calls, n_passing, callable_bases, target_bases, n_snv, n_indel, n_ti, n_het, n_hom_var = row[:10]
    chrx_heterozygosity, chrx_n_calls, inferred_sex, declared_sex, ploidy_sex = row[10:]
    target = int(target_bases) if target_bases is not None else None
    qc = SampleQc(
        sample_id=_int(sample_id),
        n_calls=_int(n_calls),
        n_passing_calls=_int(n_passing),
        call_rate=_ratio(_int(n_passing), _int(n_calls)),
        callable_bases=_int(callable_bases),
        target_bases=target,
        callable_fraction=_ratio(_int(callable_bases), target),
        n_snv=_int(n_snv),
        n_indel=_int(n_indel),
        ti_tv=_ratio(_int(n_ti), _int(n_snv) - _int(n_ti)),
        n_het=_int(n_het),
        n_hom_var=_int(n_hom_var),
        het_hom_ratio=_ratio(_int(n_het), _int(n_hom_var)),
        chrx_heterozygosity=float(chrx_heterozygosity) if chrx_heterozygosity is not None else None,
        chrx_n_calls=_int(chrx_n_calls),
        inferred_sex=str(inferred_sex),
        declared_sex=str(declared_sex) if declared_sex is not None else None,
        ploidy_sex=str(ploidy_sex) if ploidy_sex is not None else None,
    )
    return replace(qc, flags=qc_flags(qc, thresholds))


def qc_flags(qc: SampleQc, thresholds: QcThresholds) -> tuple[str, ...]:
    """What a steward must look at before the sample counts in frequencies (docs/harmonisation.md)."""
    flags: list[str] = []
    declared = DECLARED_TO_KARYOTYPE.get(qc.declared_sex or "")
    if qc.inferred_sex != UNKNOWN_SEX and declared is not None and declared != qc.inferred_sex:
        flags.append("sex_mismatch")
    if qc.inferred_sex == UNKNOWN_SEX and qc.chrx_n_calls >= thresholds.min_chrx_calls:
        flags.append("sex_ambiguous")
    if qc.n_calls == 0:
        flags.append("no_calls")
    elif qc.call_rate is not None and qc.call_rate < thresholds.min_call_rate:
        flags.append("low_call_rate")
    return tuple(flags)


def qc_report(catalog: Catalog, *, flagged_only: bool = False) -> list[SampleQcRecord]:
    """QC of every current harmonised sample version (only those flagged for the steward, if asked)."""
    return variant_repository.sample_qc_records(catalog.db, flagged_only=flagged_only)


def qc_of_sample(catalog: Catalog, key: str) -> list[SampleQcRecord]:
    """QC of every harmonised version of one sample (``SMP-…`` or the department's own id), oldest first."""
    history = variant_repository.sample_qc_history(catalog.db, key)
    if not history:
        raise NotFound(f"no harmonised sample {key}: run `genomdb harmonize` after it was accepted")
    return history
