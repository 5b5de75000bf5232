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
3. the distinct sites of the chunk are checked against the reference *once*: a site with a one-base REF and
   nothing to normalise (an SNV, a reference block) has its REF compared with the reference base here, in
   NumPy, by the rule bcftools norm applies (case-insensitive, an IUPAC code in the reference read as the first
   base it stands for, a REF other than A/C/G/T/N never matching); every other site (an allele that
   normalisation can move or trim, a longer REF, a position outside its contig) goes through ``bcftools norm
   --check-ref x`` as a sites-only VCF, which checks its REF and left-aligns and trims it. A site that fails the
   check is a REF that does not match the reference; the files carrying it are named with their first such
   record.

A gVCF of one genome has ~10,000 records but shares most of its alleles with the rest of the chunk, so bcftools
reads the reference once per chunk instead of once per file, and the records are parsed once instead of three
times (norm, query, DuckDB). ``tests/harmonize/test_vcftext.py`` checks the table against what bcftools norm and
query print for the same files. When bcftools refuses the chunk's sites for another reason, the caller falls back
to normalising file by file, which names the file.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import duckdb
import numpy as np
import numpy.typing as npt
import pyarrow as pa  # type: ignore[import-untyped]
import pysam
import pysam.bcftools

from genomdb.errors import Problem
from genomdb.harmonize.genotypes import sql_list, sql_text
from genomdb.ingest.validators.bcf import is_bcf
from genomdb.ingest.validators.compression import is_gzip, open_maybe_gzip

FORMAT_TAGS = ("GT", "GQ", "DP", "MIN_DP", "AD")
REFERENCE_WINDOW = 1 << 22
"""The reference is read in spans of at most this many bases, so a whole chromosome never sits in memory."""
_ACGTN = np.frombuffer(b"ACGTN", dtype=np.uint8)


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
    gzipped = is_gzip(path)
    count = 0
    with open_maybe_gzip(path, gzipped=gzipped) as handle:
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

    One statement reads the text, takes each sample's values by their tag's place in the record's FORMAT and maps
    each record to its row: a record with one ALT as it is, the common gVCF variant (one ALT and ``<NON_REF>``)
    split with string functions (2 is its only other allele index). Any other multi-allelic record (rare) is kept
    raw by that statement, then unnested per ALT by a second one and its raw row deleted.
    """
    columns = ", ".join(
        f"({sql_text(str(f.path))}, {j}, {sql_text(name)})" for f in files for j, name in enumerate(f.samples, start=1)
    )
    con.execute(
        "CREATE OR REPLACE TEMP TABLE sample_columns AS SELECT c.source, c.sample_column, s.sample_id FROM (VALUES "
        + columns
        + ") AS c(source, sample_column, sample_name) JOIN chunk_samples AS s USING (source, sample_name)"
    )
    # the sample's value is split once and each tag taken by its place in FORMAT; a field past the end of the
    # values (trailing fields may be left out) is missing, like ``.``; AD keeps its ``.`` until the split, where
    # bcftools writes a missing AD of a split record as ``.,.``
    values = ", ".join(
        f"nullif(nullif(r.fields[list_position(r.keys, {sql_text(tag)})], ''), '.') AS {tag.lower()}"
        if tag != "AD"
        else f"nullif(r.fields[list_position(r.keys, {sql_text(tag)})], '') AS {tag.lower()}"
        for tag in FORMAT_TAGS
    )
    recoded_gt = (
        "array_to_string(list_transform(range(1, len(tokens) + 1), lambda j: "
        "(CASE WHEN tokens[j] = '.' THEN '.' WHEN tokens[j] = i::VARCHAR THEN '1' ELSE '0' END) "
        "|| coalesce(separators[j], '')), '')"
    )
    depth = "coalesce(nullif(nullif(split_part(ad, ',', {n}), ''), '.'), '.')"
    with_non_ref = (
        "contains(alt, ',') AND (suffix(alt, ',<NON_REF>') OR suffix(alt, ',<*>')) AND NOT starts_with(alt, '<') "
        "AND length(alt) - length(replace(alt, ',', '')) = 1"
    )
    needs_norm = (
        "CASE WHEN length(ref) = 1 AND length(alt) = 1 THEN false WHEN starts_with(alt, '<') THEN false "
        "ELSE regexp_full_match(upper(alt), '[ACGTN]+') END"
    )
    # one pass maps each record with one ALT (as it is) or one ALT and <NON_REF> (split by string functions) to
    # its row; the few other multi-allelic records are kept raw (``multi``), then unnested per ALT and replaced
    con.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE split_records AS
        SELECT *, CASE WHEN multi THEN NULL ELSE {needs_norm} END AS needs_norm
        FROM (
            SELECT sample_id, chrom, pos, ref, CASE WHEN non_ref THEN split_part(alt, ',', 1) ELSE alt END AS alt,
                   info_end, CASE WHEN non_ref THEN replace(gt, '2', '0') ELSE gt END AS gt, gq, dp, min_dp,
                   CASE WHEN non_ref THEN (CASE WHEN ad IS NOT NULL
                                                THEN {depth.format(n=1)} || ',' || {depth.format(n=2)} END)
                        WHEN multi THEN ad ELSE nullif(ad, '.') END AS ad,
                   CASE WHEN non_ref THEN 2 ELSE 1 END AS n_alts, multi
            FROM (
                SELECT *, {with_non_ref} AS non_ref, contains(alt, ',') AND NOT ({with_non_ref}) AS multi
                FROM (
                    SELECT c.sample_id, r.chrom, r.pos, r.ref, r.alt, {values},
                           CASE WHEN contains(r.info, 'END=')
                                THEN TRY_CAST(regexp_extract(r.info, '(^|;)END=([0-9]+)', 2) AS INTEGER)
                           END AS info_end
                    FROM (SELECT *, string_split(format, ':') AS keys, string_split(value, ':') AS fields
                          FROM ({_read_sql(files)})) AS r
                    JOIN sample_columns AS c ON c.source = r.filename AND c.sample_column = r.sample_column
                    WHERE r.alt IS NOT NULL
                )
            )
        )
        """
    )
    con.execute(
        f"""
        INSERT INTO split_records
        SELECT sample_id, chrom, pos, ref, alt, info_end, gt, gq, dp, min_dp, ad, n_alts, false AS multi,
               {needs_norm} AS needs_norm
        FROM (
            SELECT sample_id, chrom, pos, ref, alts[i] AS alt, info_end,
                   CASE WHEN gt IS NULL THEN NULL ELSE {recoded_gt} END AS gt, gq, dp, min_dp,
                   CASE WHEN ad IS NOT NULL THEN {depth.format(n=1)} || ',' || {depth.format(n="i + 1")} END AS ad,
                   len(alts) AS n_alts
            FROM (
                SELECT *, generate_subscripts(alts, 1) AS i,
                       regexp_extract_all(gt, '[^/|]+') AS tokens, regexp_extract_all(gt, '[/|]') AS separators
                FROM (SELECT *, string_split(alt, ',') AS alts FROM split_records WHERE multi)
            )
        )
        """
    )
    con.execute("DELETE FROM split_records WHERE multi")


def _create_chunk_sites(con: duckdb.DuckDBPyConnection) -> None:
    """``chunk_sites``: the chunk's distinct sites, each with an id and its contig's rank. An allele normalisation
    can change keeps its ALT, every other row is checked for its REF alone (ALT ``.``)."""
    con.execute(
        """
        CREATE OR REPLACE TEMP TABLE chunk_sites AS
        SELECT row_number() OVER () AS site_id, s.*, o.rank
        FROM (
            SELECT DISTINCT chrom, pos, ref, CASE WHEN needs_norm THEN alt ELSE '.' END AS alt FROM split_records
        ) AS s JOIN contig_order AS o USING (chrom)
        """
    )


def _resolution_table() -> npt.NDArray[np.uint8]:
    """Reference byte → the base a one-base REF must be (upper-cased) to match it, as the bcftools norm of pysam's
    htslib compares them: A, C, G, T, N in either case as themselves, an IUPAC ambiguity code as the first base it
    stands for (R, M, W, D, H, V as A; Y, S, B as C; K as G), anything else (0) as matching no REF."""
    table = np.zeros(256, dtype=np.uint8)
    for codes, base in (("A", "A"), ("C", "C"), ("G", "G"), ("T", "T"), ("N", "N"), ("RMWDHV", "A"), ("YSB", "C")):
        for code in codes:
            table[ord(code)] = table[ord(code.lower())] = ord(base)
    table[ord("K")] = table[ord("k")] = ord("G")
    return table


_RESOLVED = _resolution_table()


def _reference_bases(fasta: pysam.FastaFile, chrom: str, positions: npt.NDArray[np.int64]) -> npt.NDArray[np.uint8]:
    """The base a one-base REF must be at each of the sorted 1-based ``positions`` (all inside ``chrom``), by
    :func:`_resolution_table`."""
    bases = np.empty(positions.size, dtype=np.uint8)
    windows = (positions - 1) // REFERENCE_WINDOW
    cuts = (np.flatnonzero(np.diff(windows)) + 1).tolist()
    for low, high in zip([0, *cuts], [*cuts, positions.size], strict=True):
        first, last = int(positions[low]) - 1, int(positions[high - 1])
        span = np.frombuffer(fasta.fetch(chrom, first, last).encode("ascii", "replace"), dtype=np.uint8)
        bases[low:high] = span[positions[low:high] - 1 - first]
    return _RESOLVED[bases]


def _check_single_bases(con: duckdb.DuckDBPyConnection, reference: Path) -> None:
    """``local_sites``: each site with a one-base REF and nothing to normalise, inside its contig, and whether its
    REF matches the reference (:func:`_resolution_table`; a REF other than A, C, G, T or N, in either case, never
    matches, as in ``bcftools norm --check-ref``). The other sites are left to bcftools."""
    site_ids: list[npt.NDArray[np.int64]] = []
    matches: list[npt.NDArray[np.bool_]] = []
    chroms = [row[0] for row in con.execute("SELECT DISTINCT chrom FROM chunk_sites ORDER BY chrom").fetchall()]
    with pysam.FastaFile(str(reference)) as fasta:
        for chrom in chroms:
            found = con.execute(
                "SELECT site_id, pos, ascii(upper(ref)) AS base FROM chunk_sites "
                "WHERE chrom = ? AND alt = '.' AND length(ref) = 1 AND pos BETWEEN 1 AND ? ORDER BY pos",
                [chrom, fasta.get_reference_length(chrom)],
            ).fetchnumpy()
            if not len(found["site_id"]):
                continue
            positions = np.asarray(found["pos"], dtype=np.int64)
            given = np.asarray(found["base"], dtype=np.int64)
            expected = _reference_bases(fasta, chrom, positions)
            site_ids.append(np.asarray(found["site_id"], dtype=np.int64))
            matches.append(np.isin(given, _ACGTN) & (given == expected))
    local = pa.table(
        {
            "site_id": pa.array(np.concatenate(site_ids) if site_ids else np.empty(0, np.int64), pa.int64()),
            "matches": pa.array(np.concatenate(matches) if matches else np.empty(0, np.bool_), pa.bool_()),
        }
    )
    con.register("local_sites_arrow", local)
    con.execute("CREATE OR REPLACE TEMP TABLE local_sites AS SELECT * FROM local_sites_arrow")
    con.unregister("local_sites_arrow")


def _write_sites(con: duckdb.DuckDBPyConnection, reference: Path, target: Path) -> bool:
    """The sites not checked here (see :func:`_check_single_bases`) as a sorted sites-only VCF; whether there are
    any."""
    body = target.with_suffix(".body")
    con.execute(
        "COPY (SELECT chrom, pos, site_id, ref, alt, '.', '.', '.' FROM chunk_sites ANTI JOIN local_sites "
        f"USING (site_id) ORDER BY rank, pos, ref, alt) TO {sql_text(str(body))} "
        "(DELIMITER '\t', HEADER false, QUOTE '', ESCAPE '')"
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
    any_sites = body.stat().st_size > 0
    body.unlink()
    return any_sites


def _normalise_sites(con: duckdb.DuckDBPyConnection, reference: Path, work_dir: Path) -> None:
    """``site_map``: each site whose REF matches the reference, where it normalised to (checked here or by
    bcftools, see :func:`_check_single_bases`); raises :class:`SitesRefused`."""
    sites = work_dir / "chunk-sites.vcf"
    normalised = work_dir / "chunk-sites.norm.bcf"
    mapping = work_dir / "chunk-sites.tsv"
    try:
        _create_chunk_sites(con)
        _check_single_bases(con, reference)
        any_sites = _write_sites(con, reference, sites)
        if any_sites:
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
        if any_sites and mapping.stat().st_size
        else "(SELECT NULL::BIGINT AS site_id, NULL::INTEGER AS pos, NULL::VARCHAR AS ref, NULL::VARCHAR AS alt "
        "WHERE false)"
    )
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE site_map AS SELECT * FROM {source} UNION ALL "
        "SELECT site_id, pos, ref, '.' AS alt FROM chunk_sites JOIN local_sites USING (site_id) WHERE matches"
    )
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
    :class:`SitesRefused` when bcftools refuses the sites for another reason.

    ``records`` is a view over the tables built here (its rows are read once, into ``genotypes``, instead of being
    stored a second time); :func:`drop_records` drops it and them."""
    drop_records(con)
    if not files:
        con.execute(
            "CREATE TEMP VIEW records AS SELECT NULL::BIGINT AS sample_id, NULL::VARCHAR AS chrom, "
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
        CREATE TEMP VIEW records AS
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
    return problems


def drop_records(con: duckdb.DuckDBPyConnection) -> None:
    """Drop the view ``records`` and the tables behind it (this module's, or the file-by-file loader's)."""
    con.execute("DROP VIEW IF EXISTS records")
    for table in ("split_records", "chunk_sites", "local_sites", "site_map", "sample_columns", "tsv_records"):
        con.execute(f"DROP TABLE IF EXISTS {table}")
