"""Genotypes of normalised records: per split allele counts, the "adj" filters and ploidy, in DuckDB SQL.

The tables built here, one row per sample × normalised record:

- ``records``: the normalised records (:mod:`genomdb.harmonize.vcftext`; file by file, what ``bcftools query``
  printed, :mod:`genomdb.harmonize.normalize`), with the sample version id in place of the VCF sample name;
- ``parsed`` (a view): genotype counts as written (``alt_raw`` copies of the record's ALT, ``called_raw``
  called alleles), the record's kind and the genotype filters that do not depend on sex;
- ``genotypes``: the same with the sex used for ploidy applied: hemizygous recoding on chrX outside the
  pseudoautosomal regions and on chrY in XY samples, no chrY in XX samples, and the final ``passes``;
- ``calls``: the ``calls`` rows of the variant store (docs/variant-store.md).

A half-missing genotype (``./1``) counts its called allele, as bcftools does: ``called_raw`` 1, ``alt_raw`` 1.
After ``bcftools norm -m-any`` every record has at most one ALT, so every allele index in a genotype is one
character (``0``, ``1`` or ``.``) and the counts are character counts.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

import duckdb

from genomdb.errors import InvalidInput, Problem
from genomdb.refdata.builds import GRCH38_PAR_1BASED

CHROMOSOME_X = ("chrX", "X")
CHROMOSOME_Y = ("chrY", "Y")
NOT_AUTOSOMES = (*CHROMOSOME_X, *CHROMOSOME_Y, "chrM", "MT", "M")
MAX_INT16 = 32_767

RECORD_COLUMNS: dict[str, str] = {
    "chrom": "VARCHAR",
    "pos": "INTEGER",
    "end_pos": "INTEGER",
    "ref": "VARCHAR",
    "alt": "VARCHAR",
    "sample_name": "VARCHAR",
    "gt": "VARCHAR",
    "gq": "VARCHAR",
    "dp": "VARCHAR",
    "min_dp": "VARCHAR",
    "ad": "VARCHAR",
}
"""Columns of the tab-separated records, in the order ``bcftools query`` prints them; ``.`` is missing."""


@dataclass(frozen=True, slots=True)
class GenotypeFilters:
    """The "adj" genotype filters. A call failing any of them is kept for QC but is not callable.

    A heterozygous call also needs allele balance ``ad_alt / (ad_ref + ad_alt)`` ≥ ``min_allele_balance`` when
    AD is present. A missing GQ or DP fails.
    """

    min_gq: int = 20
    min_dp: int = 10
    min_allele_balance: float = 0.2

    def __post_init__(self) -> None:
        problems = []
        if not 0 <= self.min_gq <= 99:
            problems.append(("min_gq", "0 to 99", str(self.min_gq)))
        if not 0 <= self.min_dp <= MAX_INT16:
            problems.append(("min_dp", f"0 to {MAX_INT16}", str(self.min_dp)))
        if not 0.0 <= self.min_allele_balance <= 0.5:
            problems.append(("min_allele_balance", "0 to 0.5", str(self.min_allele_balance)))
        if problems:
            raise InvalidInput(
                "invalid genotype filters",
                [Problem("genotype filters", "out of range", field=f, expected=e, found=v) for f, e, v in problems],
            )

    def to_dict(self) -> dict[str, int | float]:
        return dict(asdict(self))


def sql_text(value: str) -> str:
    """A SQL string literal."""
    return "'" + value.replace("'", "''") + "'"


def sql_list(values: Sequence[str]) -> str:
    return "[" + ", ".join(sql_text(v) for v in values) + "]"


def _in(column: str, values: Sequence[str]) -> str:
    return f"{column} IN ({', '.join(sql_text(v) for v in values)})"


def in_par_sql(chrom: str, pos: str) -> str:
    """SQL: the position lies in a pseudoautosomal region (either naming style)."""
    clauses = [
        f"({_in(chrom, (name, name.removeprefix('chr')))} AND {pos} BETWEEN {start} AND {end})"
        for name, start, end in GRCH38_PAR_1BASED
    ]
    return "(" + " OR ".join(clauses) + ")"


def sex_chromosome_sql(chrom: str) -> str:
    return _in(chrom, (*CHROMOSOME_X, *CHROMOSOME_Y))


def autosome_sql(chrom: str) -> str:
    return f"NOT {_in(chrom, NOT_AUTOSOMES)}"


def create_records(con: duckdb.DuckDBPyConnection, tsv_files: Sequence[Path]) -> None:
    """Load the records of ``tsv_files`` into ``tsv_records``, joined with ``chunk_samples`` (source,
    sample_name, …), and make ``records`` the view over it (as :mod:`genomdb.harmonize.vcftext` makes it)."""
    columns = "{" + ", ".join(f"{sql_text(k)}: {sql_text(v)}" for k, v in RECORD_COLUMNS.items()) + "}"
    source = (
        f"read_csv({sql_list([str(p) for p in tsv_files])}, delim = '\\t', header = false, quote = '', "
        f"escape = '', nullstr = '.', auto_detect = false, filename = true, columns = {columns})"
        if tsv_files
        else "(SELECT " + ", ".join(f"NULL::{t} AS {k}" for k, t in RECORD_COLUMNS.items()) + ", ''::VARCHAR AS "
        "filename WHERE false)"
    )
    con.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE tsv_records AS
        SELECT s.sample_id, r.chrom, r.pos, r.end_pos, upper(r.ref) AS ref, upper(r.alt) AS alt, r.gt,
               TRY_CAST(r.gq AS INTEGER) AS gq, TRY_CAST(r.dp AS INTEGER) AS dp,
               TRY_CAST(r.min_dp AS INTEGER) AS min_dp, r.ad
        FROM {source} AS r
        JOIN chunk_samples AS s ON s.source = r.filename AND s.sample_name = r.sample_name
        """
    )
    con.execute("CREATE OR REPLACE TEMP VIEW records AS SELECT * FROM tsv_records")


CALLED_SQL = (
    "CASE WHEN genotype = '' THEN 0 ELSE length(genotype) - length(replace(replace(genotype, '/', ''), '|', '')) + 1 "
    "- (length(genotype) - length(replace(genotype, '.', ''))) END"
)
ALT_SQL = "length(genotype) - length(replace(genotype, '1', ''))"
"""The called and ALT alleles of any ``genotype`` (GT, '' when missing), counted character by character."""
COMMON_GENOTYPES = ("0/0", "0/1", "1/1", "0|0", "0|1", "1|0", "1|1", "1/0", "./.", ".|.", "0", "1", ".")
"""Genotypes whose counts are looked up (nearly every record of a gVCF) instead of counted character by character."""


def genotype_counts(genotype: str) -> tuple[int, int]:
    """(called alleles, ALT alleles) of a genotype as :func:`create_parsed` counts them: one allele per
    separator plus one, less the missing ones; ALT alleles are the ``1``s (after the split, the only ALT index)."""
    if not genotype:
        return 0, 0
    alleles = genotype.count("/") + genotype.count("|") + 1
    return alleles - genotype.count("."), genotype.count("1")


def counted_sql(column: str, which: int, general: str) -> str:
    """SQL: a count of ``column`` looked up for the common genotypes, else computed by ``general``."""
    lookup = " ".join(f"WHEN {sql_text(g)} THEN {genotype_counts(g)[which]}" for g in COMMON_GENOTYPES)
    return f"CASE {column} {lookup} ELSE {general} END"


def create_parsed(con: duckdb.DuckDBPyConnection, filters: GenotypeFilters) -> None:
    """``parsed`` (a view): genotype counts as written, the record kind and the sex-independent filters.

    ``kind`` is ``reference`` (gVCF block or no ALT), ``allele`` (a sequence ALT) or ``other`` (symbolic or
    breakend ALTs, not stored). ``filtered_ok`` is GQ/DP (MIN_DP for blocks) and, for hets, allele balance.
    """
    con.execute(
        f"""
        CREATE OR REPLACE TEMP VIEW parsed AS
        WITH split AS (
            SELECT *, coalesce(gt, '') AS genotype FROM records
        ), counted AS (
            SELECT sample_id, chrom, pos, end_pos, ref, alt, gq, dp, min_dp,
                   contains(genotype, '|') AS phased,
                   CASE WHEN alt IS NULL OR alt IN ('<NON_REF>', '<*>') THEN 'reference'
                        WHEN length(alt) = 1 AND alt IN ('A', 'C', 'G', 'T', 'N') THEN 'allele'
                        WHEN regexp_full_match(alt, '[ACGTN]+') THEN 'allele'
                        ELSE 'other' END AS kind,
                   {counted_sql("genotype", 0, CALLED_SQL)} AS called_raw,
                   {counted_sql("genotype", 1, ALT_SQL)} AS alt_raw,
                   TRY_CAST(split_part(ad, ',', 1) AS INTEGER) AS ad_ref,
                   TRY_CAST(split_part(ad, ',', 2) AS INTEGER) AS ad_alt
            FROM split
        )
        SELECT *,
               alt_raw = 1 AND called_raw = 2 AS het_raw,
               coalesce(
                   gq >= {filters.min_gq}
                   AND (CASE WHEN kind = 'reference' THEN coalesce(min_dp, dp) ELSE dp END) >= {filters.min_dp}
                   AND NOT coalesce(alt_raw = 1 AND called_raw = 2 AND ad_ref + ad_alt > 0
                                    AND ad_alt / (ad_ref + ad_alt) < {filters.min_allele_balance}, false),
                   false
               ) AS filtered_ok
        FROM counted
        """
    )


def create_genotypes(con: duckdb.DuckDBPyConnection) -> None:
    """``genotypes``: ``parsed`` with the ploidy of ``sample_sex`` (sample_id, ploidy_sex) and the final filter.

    A call passes when it passes the filters, is not heterozygous where the sample is hemizygous and is not on
    chrY of an XX sample. A reference record (block, hom-ref call) passes on the same filters with a called allele.
    """
    hemizygous = f"(x.ploidy_sex = 'XY' AND {sex_chromosome_sql('p.chrom')} AND NOT {in_par_sql('p.chrom', 'p.pos')})"
    no_y = f"(x.ploidy_sex = 'XX' AND {_in('p.chrom', CHROMOSOME_Y)})"
    con.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE genotypes AS
        SELECT p.*, x.ploidy_sex, {hemizygous} AS hemizygous,
               CASE WHEN {hemizygous} THEN least(p.alt_raw, 1) ELSE p.alt_raw END AS alt_count,
               CASE WHEN {hemizygous} THEN least(p.called_raw, 1) ELSE p.called_raw END AS called_alleles,
               p.filtered_ok AND NOT {no_y}
                   AND (CASE WHEN p.alt_raw > 0 THEN p.kind = 'allele' AND NOT ({hemizygous} AND p.het_raw)
                             ELSE p.kind <> 'other' AND p.called_raw > 0 END) AS passes
        FROM parsed AS p
        JOIN sample_sex AS x USING (sample_id)
        """
    )


def calls_sql() -> str:
    """SQL for the ``calls`` rows: every sample × sequence allele it carries, filters recorded in ``passes``."""
    return f"""
        SELECT sample_id::BIGINT AS sample_id, chrom, pos::INTEGER AS pos, ref, alt,
               alt_count::TINYINT AS alt_count, called_alleles::TINYINT AS called_alleles, phased,
               least(gq, {MAX_INT16})::SMALLINT AS gq, least(dp, {MAX_INT16})::SMALLINT AS dp,
               ad_ref::INTEGER AS ad_ref, ad_alt::INTEGER AS ad_alt, passes
        FROM genotypes
        WHERE kind = 'allele' AND alt_raw > 0
    """
