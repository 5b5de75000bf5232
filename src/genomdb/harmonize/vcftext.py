"""Read stored VCF/gVCF records with DuckDB and normalise each distinct allele once per chunk with ``bcftools norm``.

The records of a chunk of files become the ``records`` table (see :mod:`genomdb.harmonize.genotypes`) — the same
rows :mod:`genomdb.harmonize.normalize` gets by running ``bcftools norm -m-any --check-ref e`` and ``bcftools
query`` on every file — in three steps:

1. DuckDB reads the text of every file of the chunk (BGZF or plain) in parallel, one row per record and sample,
   taking GT, GQ, DP, MIN_DP and AD from the sample column by their place in that record's FORMAT;
2. multi-allelic records are split as ``bcftools norm -m-any`` splits them: one row per ALT, each genotype
   re-coded (this ALT becomes ``1``, every other ALT ``0``), AD cut to the REF's and this ALT's depth; ``*``
   alleles and the symbolic alleles split off a record (``<NON_REF>`` beside real ALTs) are dropped, an
   unsplit ``<NON_REF>`` record (a reference block) stays;
3. the distinct sites of the chunk go through ``bcftools norm --check-ref x`` *once*, as a sites-only VCF: every
   REF is checked against the reference FASTA, and every allele that normalisation can move or trim (anything
   but a one-base SNV) is left-aligned and trimmed by bcftools itself. A site that bcftools removed is a REF
   that does not match the reference; the files carrying it are named with their first such record.

A gVCF of one genome has ~10,000 records but shares most of its alleles with the rest of the chunk, so bcftools
reads the reference once per chunk instead of once per file, and the records are parsed once instead of three
times (norm, query, DuckDB). ``tests/harmonize/test_vcftext.py`` checks the table against what bcftools norm and
query print for the same files. When bcftools refuses the chunk's sites for another reason, the caller falls back
to normalising file by file, which names the file.
"""

from __future__ import annotations

import gzip
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pysam
import pysam.bcftools

from genomdb.errors import Problem
from genomdb.harmonize.genotypes import sql_list, sql_text
from genomdb.ingest.validators.bcf import is_bcf

GZIP_MAGIC = b"\x1f\x8b"
FORMAT_TAGS = ("GT", "GQ", "DP", "MIN_DP", "AD")


@dataclass(frozen=True, slots=True)
class CallText:
    """One call file as DuckDB reads it: a local plaintext VCF (BGZF or plain), where its records start and the
    VCF sample name of each sample column, in order."""

    index: int
    display_name: str
    path: Path
    gzipped: bool
    header_lines: int
    samples: tuple[str, ...]


class SitesRefused(Exception):
    """``bcftools norm`` refused the chunk's sites for a reason other than a REF mismatch."""


def header_line_count(path: Path) -> tuple[int, bool]:
    """How many lines the VCF header takes (through ``#CHROM``), and whether the file is gzip/BGZF-compressed."""
    with path.open("rb") as raw:
        gzipped = raw.read(2) == GZIP_MAGIC
    opener = gzip.open if gzipped else open
    count = 0
    with opener(path, "rb") as handle:
        for line in handle:
            count += 1
            if line.startswith(b"#CHROM"):
                return count, gzipped
            if not line.startswith(b"#"):
                break
    raise ValueError(f"{path}: no #CHROM line before the first record")


def as_text(path: Path, work_dir: Path, index: int) -> Path:
    """The file itself when it is VCF text; a BCF is written out as plain VCF text in ``work_dir`` first."""
    if not is_bcf(path):
        return path
    text = work_dir / f"{index:06d}.from-bcf.vcf"
    pysam.bcftools.view("--output-type", "v", "--output", str(text), str(path), catch_stdout=False)
    return text


def _read_sql(files: Sequence[CallText]) -> str:
    """One row per record and sample column of ``files`` (grouped by their shape: DuckDB reads a group at once)."""
    groups: dict[tuple[int, int, bool], list[CallText]] = {}
    for f in files:
        groups.setdefault((len(f.samples), f.header_lines, f.gzipped), []).append(f)
    selects: list[str] = []
    for (n_samples, skip, gzipped), members in groups.items():
        samples = [f"s{j}" for j in range(1, n_samples + 1)]
        names = ["chrom", "pos", "id", "ref", "alt", "qual", "filter", "info", "format", *samples]
        columns = "{" + ", ".join(f"'{n}': '{'INTEGER' if n == 'pos' else 'VARCHAR'}'" for n in names) + "}"
        source = (
            f"read_csv({sql_list([str(f.path) for f in members])}, delim = '\\t', header = false, quote = '', "
            f"escape = '', skip = {skip}, auto_detect = false, filename = true, columns = {columns}, "
            f"compression = {sql_text('gzip' if gzipped else 'none')})"
        )
        picked = (
            "1 AS sample_column, s1 AS value"
            if n_samples == 1
            else f"unnest(range(1, {n_samples + 1})) AS sample_column, unnest([{', '.join(samples)}]) AS value"
        )
        selects.append(f"SELECT filename, chrom, pos, ref, alt, info, format, {picked} FROM {source}")
    return " UNION ALL ".join(selects)


def _create_split(con: duckdb.DuckDBPyConnection, files: Sequence[CallText]) -> None:
    """``split_records``: one row per pending sample × record × ALT, genotypes re-coded per ALT (steps 1 and 2).

    The text is read once into ``read_records`` (the FORMAT strings of a chunk are found there: a few distinct
    ones, whose tag places are looked up once); one statement then takes the sample's values and splits the ALTs.
    A record with one ALT passes as it is; the common gVCF variant, one ALT and ``<NON_REF>``, is split with
    string functions (2 is its only other allele index); any other multi-allelic record is unnested per ALT.
    """
    columns = ", ".join(
        f"({sql_text(str(f.path))}, {j}, {sql_text(name)})" for f in files for j, name in enumerate(f.samples, start=1)
    )
    con.execute(
        "CREATE OR REPLACE TEMP TABLE sample_columns AS SELECT c.source, c.sample_column, s.sample_id FROM (VALUES "
        + columns
        + ") AS c(source, sample_column, sample_name) JOIN chunk_samples AS s USING (source, sample_name)"
    )
    con.execute(f"CREATE OR REPLACE TEMP TABLE read_records AS {_read_sql(files)}")
    places = ", ".join(f"list_position(keys, {sql_text(tag)}) AS at_{tag.lower()}" for tag in FORMAT_TAGS)
    con.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE format_places AS
        SELECT format, {places} FROM (SELECT format, string_split(format, ':') AS keys
                                      FROM (SELECT DISTINCT format FROM read_records))
        """
    )
    # a field past the end of a sample's values (trailing fields may be left out) is missing, like ``.``; AD keeps
    # its ``.`` until the split, where bcftools writes a missing AD of a split record as ``.,.``
    values = ", ".join(
        f"nullif(nullif(split_part(r.value, ':', f.at_{tag.lower()}), ''), '.') AS {tag.lower()}"
        if tag != "AD"
        else f"nullif(split_part(r.value, ':', f.at_{tag.lower()}), '') AS {tag.lower()}"
        for tag in FORMAT_TAGS
    )
    recoded_gt = (
        "array_to_string(list_transform(range(1, len(tokens) + 1), lambda j: "
        "(CASE WHEN tokens[j] = '.' THEN '.' WHEN tokens[j] = i::VARCHAR THEN '1' ELSE '0' END) "
        "|| coalesce(separators[j], '')), '')"
    )
    depth = "coalesce(nullif(nullif(split_part(ad, ',', {n}), ''), '.'), '.')"
    con.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE parsed_records AS
        SELECT c.sample_id, r.chrom, r.pos, r.ref, r.alt, {values},
               CASE WHEN contains(r.info, 'END=')
                    THEN TRY_CAST(regexp_extract(r.info, '(^|;)END=([0-9]+)', 2) AS INTEGER) END AS info_end
        FROM read_records AS r
        JOIN sample_columns AS c ON c.source = r.filename AND c.sample_column = r.sample_column
        JOIN format_places AS f USING (format)
        """
    )
    con.execute("DROP TABLE read_records")
    with_non_ref = (
        "contains(alt, ',') AND (suffix(alt, ',<NON_REF>') OR suffix(alt, ',<*>')) AND NOT starts_with(alt, '<') "
        "AND length(alt) - length(replace(alt, ',', '')) = 1"
    )
    con.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE split_records AS
        WITH split AS (
            SELECT sample_id, chrom, pos, ref, alt, info_end, gt, gq, dp, min_dp, nullif(ad, '.') AS ad, 1 AS n_alts
            FROM parsed_records WHERE NOT contains(alt, ',')
            UNION ALL
            SELECT sample_id, chrom, pos, ref, split_part(alt, ',', 1) AS alt, info_end, replace(gt, '2', '0') AS gt,
                   gq, dp, min_dp, CASE WHEN ad IS NOT NULL THEN {depth.format(n=1)} || ',' || {depth.format(n=2)}
                   END AS ad, 2 AS n_alts
            FROM parsed_records WHERE {with_non_ref}
            UNION ALL
            SELECT sample_id, chrom, pos, ref, alts[i] AS alt, info_end,
                   CASE WHEN gt IS NULL THEN NULL ELSE {recoded_gt} END AS gt, gq, dp, min_dp,
                   CASE WHEN ad IS NOT NULL THEN {depth.format(n=1)} || ',' || {depth.format(n="i + 1")} END AS ad,
                   len(alts) AS n_alts
            FROM (
                SELECT *, generate_subscripts(alts, 1) AS i,
                       regexp_extract_all(gt, '[^/|]+') AS tokens, regexp_extract_all(gt, '[/|]') AS separators
                FROM (SELECT *, string_split(alt, ',') AS alts FROM parsed_records
                      WHERE contains(alt, ',') AND NOT ({with_non_ref}))
            )
        )
        SELECT *, CASE WHEN length(ref) = 1 AND length(alt) = 1 THEN false
                       WHEN starts_with(alt, '<') THEN false
                       ELSE regexp_full_match(upper(alt), '[ACGTN]+') END AS needs_norm
        FROM split
        """
    )
    con.execute("DROP TABLE parsed_records")


def _write_sites(con: duckdb.DuckDBPyConnection, reference: Path, target: Path) -> int:
    """The chunk's distinct sites as a sorted sites-only VCF; returns how many. An allele normalisation can change
    keeps its ALT, every other row is checked for its REF alone (ALT ``.``)."""
    con.execute(
        """
        CREATE OR REPLACE TEMP TABLE chunk_sites AS
        SELECT row_number() OVER (ORDER BY o.rank, s.pos, s.ref, s.alt) AS site_id, s.*, o.rank
        FROM (
            SELECT DISTINCT chrom, pos, ref, CASE WHEN needs_norm THEN alt ELSE '.' END AS alt FROM split_records
        ) AS s JOIN contig_order AS o USING (chrom)
        """
    )
    body = target.with_suffix(".body")
    con.execute(
        f"COPY (SELECT chrom, pos, site_id, ref, alt, '.', '.', '.' FROM chunk_sites ORDER BY site_id) "
        f"TO {sql_text(str(body))} (DELIMITER '\t', HEADER false, QUOTE '', ESCAPE '')"
    )
    with Path(f"{reference}.fai").open(encoding="ascii") as index, target.open("w", encoding="ascii") as out:
        out.write("##fileformat=VCFv4.2\n")
        for line in index:
            name, length = line.split("\t", 2)[:2]
            out.write(f"##contig=<ID={name},length={length}>\n")
        out.write("#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\n")
        with body.open(encoding="ascii") as rows:
            while chunk := rows.read(1 << 22):
                out.write(chunk)
    body.unlink()
    return int(con.execute("SELECT count(*) FROM chunk_sites").fetchone()[0])  # type: ignore[index]


def _normalise_sites(con: duckdb.DuckDBPyConnection, reference: Path, work_dir: Path) -> None:
    """``site_map``: each site that bcftools kept, where it normalised to; raises :class:`SitesRefused`."""
    sites = work_dir / "chunk-sites.vcf"
    normalised = work_dir / "chunk-sites.norm.bcf"
    mapping = work_dir / "chunk-sites.tsv"
    try:
        n_sites = _write_sites(con, reference, sites)
        if n_sites:
            pysam.bcftools.norm(
                "--check-ref", "x", "--fasta-ref", str(reference), "--output-type", "u", "--output",
                str(normalised), str(sites), catch_stdout=False,
            )  # fmt: skip
            pysam.bcftools.query(
                "--format", "%ID\t%POS\t%REF\t%ALT\n", "--output", str(mapping), str(normalised), catch_stdout=False
            )
    except pysam.utils.SamtoolsError as exc:
        detail = str(exc.value).split("stderr=", 1)[-1].strip()
        raise SitesRefused(next((line for line in detail.splitlines() if line.strip()), "no message")) from exc
    finally:
        sites.unlink(missing_ok=True)
        normalised.unlink(missing_ok=True)
    source = (
        f"read_csv({sql_text(str(mapping))}, delim = '\\t', header = false, quote = '', escape = '', "
        "auto_detect = false, columns = {'site_id': 'BIGINT', 'pos': 'INTEGER', 'ref': 'VARCHAR', 'alt': 'VARCHAR'})"
        if n_sites and mapping.stat().st_size
        else "(SELECT NULL::BIGINT AS site_id, NULL::INTEGER AS pos, NULL::VARCHAR AS ref, NULL::VARCHAR AS alt "
        "WHERE false)"
    )
    con.execute(f"CREATE OR REPLACE TEMP TABLE site_map AS SELECT * FROM {source}")
    mapping.unlink(missing_ok=True)


def _mismatches(con: duckdb.DuckDBPyConnection, files: Sequence[CallText], reference: Path) -> list[Problem]:
    """A problem per file carrying a site whose REF bcftools found not to match the reference (its first one)."""
    removed = con.execute("SELECT count(*) FROM chunk_sites ANTI JOIN site_map USING (site_id)").fetchone()
    if removed is None or removed[0] == 0:
        return []
    rows = con.execute(
        """
        SELECT c.source, s.chrom, s.pos, s.ref
        FROM chunk_sites AS s ANTI JOIN site_map AS m USING (site_id)
        JOIN (SELECT DISTINCT r.sample_id, r.chrom, r.pos, r.ref FROM split_records AS r) AS r
             ON r.chrom = s.chrom AND r.pos = s.pos AND r.ref = s.ref
        JOIN chunk_samples AS c USING (sample_id)
        QUALIFY row_number() OVER (PARTITION BY c.source ORDER BY s.rank, s.pos, s.ref) = 1
        ORDER BY c.source
        """
    ).fetchall()
    if not rows:
        return []
    names = {str(f.path): f.display_name for f in files}
    problems: list[Problem] = []
    with pysam.FastaFile(str(reference)) as fasta:
        for source, chrom, pos, ref in rows:
            expected = fasta.fetch(chrom, pos - 1, pos - 1 + len(ref))
            problems.append(
                Problem(
                    names[source],
                    "REF does not match the reference FASTA",
                    location=f"record {chrom}:{pos}",
                    field="REF",
                    expected=f"{expected} (the GRCh38 reference)",
                    found=ref,
                )
            )
    return problems


def create_records_from_text(
    con: duckdb.DuckDBPyConnection, files: Sequence[CallText], reference: Path, work_dir: Path
) -> list[Problem]:
    """Build ``records`` for ``files`` (``chunk_samples`` names their pending samples by ``source`` path and VCF
    sample name; ``contig_order`` ranks the reference's contigs). Returns REF mismatches as problems; raises
    :class:`SitesRefused` when bcftools refuses the sites for another reason."""
    if not files:
        con.execute(
            "CREATE OR REPLACE TEMP TABLE records AS SELECT NULL::BIGINT AS sample_id, NULL::VARCHAR AS chrom, "
            "NULL::INTEGER AS pos, NULL::INTEGER AS end_pos, NULL::VARCHAR AS ref, NULL::VARCHAR AS alt, "
            "NULL::VARCHAR AS gt, NULL::INTEGER AS gq, NULL::INTEGER AS dp, NULL::INTEGER AS min_dp, "
            "NULL::VARCHAR AS ad WHERE false"
        )
        return []
    _create_split(con, files)
    _normalise_sites(con, reference, work_dir)
    problems = _mismatches(con, files, reference)
    con.execute(
        """
        CREATE OR REPLACE TEMP TABLE records AS
        SELECT sample_id, chrom, pos, coalesce(info_end, pos + length(ref) - 1) AS end_pos, upper(ref) AS ref,
               upper(nullif(alt, '.')) AS alt, gt, TRY_CAST(gq AS INTEGER) AS gq, TRY_CAST(dp AS INTEGER) AS dp,
               TRY_CAST(min_dp AS INTEGER) AS min_dp, ad
        FROM split_records
        WHERE NOT needs_norm AND alt <> '*' AND NOT (n_alts > 1 AND starts_with(alt, '<'))
        UNION ALL
        SELECT r.sample_id, r.chrom, coalesce(m.pos, r.pos) AS pos,
               coalesce(r.info_end, coalesce(m.pos, r.pos) + length(coalesce(m.ref, r.ref)) - 1) AS end_pos,
               upper(coalesce(m.ref, r.ref)) AS ref, upper(coalesce(m.alt, r.alt)) AS alt, r.gt,
               TRY_CAST(r.gq AS INTEGER) AS gq, TRY_CAST(r.dp AS INTEGER) AS dp,
               TRY_CAST(r.min_dp AS INTEGER) AS min_dp, r.ad
        FROM (SELECT * FROM split_records WHERE needs_norm) AS r
        JOIN chunk_sites AS s ON s.chrom = r.chrom AND s.pos = r.pos AND s.ref = r.ref AND s.alt = r.alt
        LEFT JOIN site_map AS m ON m.site_id = s.site_id
        """
    )
    for table in ("split_records", "chunk_sites", "site_map", "format_places", "sample_columns"):
        con.execute(f"DROP TABLE IF EXISTS {table}")
    return problems
