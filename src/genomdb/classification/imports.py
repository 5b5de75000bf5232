"""Reading departments' classification exports (TSV or VCF) into new assertions, reporting every bad row.

TSV: one assertion per row, a header row naming the columns (any order, case-insensitive; ``##`` lines before it
are comments). VCF: one assertion per record, fields in INFO. Accepted columns / INFO keys and their aliases are in
``COLUMNS``; the same table is printed in ``docs/classification.md``. A file with any bad row is rejected whole:
the report names the file, the line, the column, what was expected and what was found.
"""

from __future__ import annotations

import csv
import datetime as dt
import gzip
import hashlib
import io
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from urllib.parse import unquote

from genomdb.classification.acmg import CLASS_SPELLINGS_HELP, Criterion, CriterionError, parse_class, parse_criteria
from genomdb.classification.model import (
    INHERITANCE_HELP,
    ONTOLOGY_ID_HELP,
    Condition,
    NewAssertion,
    parse_inheritance,
    parse_ontology_id,
)
from genomdb.errors import Problem
from genomdb.privacy import contains_cpr, control_characters, redact

MAX_TEXT = 20_000


@dataclass(frozen=True, slots=True)
class Column:
    """One accepted field: its name, the other names departments use for it, and what it must hold."""

    name: str
    aliases: tuple[str, ...]
    required: bool
    meaning: str


COLUMNS: tuple[Column, ...] = (
    Column(
        "variant", ("variant_key", "key", "variant_id"), True, "chrom-pos-ref-alt on GRCh38 (or chrom, pos, ref, alt)"
    ),
    Column("chrom", ("chromosome", "chr"), False, "chromosome, when there is no variant column"),
    Column("pos", ("position", "start", "pos_1based"), False, "1-based VCF position, when there is no variant column"),
    Column(
        "ref", ("reference", "ref_allele", "reference_allele"), False, "REF allele, when there is no variant column"
    ),
    Column(
        "alt", ("alternate", "alt_allele", "alternate_allele"), False, "ALT allele, when there is no variant column"
    ),
    Column(
        "classification",
        ("class", "acmg_class", "clinical_significance", "germline_classification", "clnsig"),
        True,
        CLASS_SPELLINGS_HELP,
    ),
    Column(
        "condition", ("disease", "phenotype", "condition_name", "preferred_condition_name", "clndn"), True, "free text"
    ),
    Column("condition_id", ("mondo", "omim", "mondo_id", "omim_id", "condition_id_value"), False, ONTOLOGY_ID_HELP),
    Column("inheritance", ("moi", "mode_of_inheritance"), False, INHERITANCE_HELP),
    Column(
        "criteria",
        ("acmg_criteria", "evidence_codes", "acmg_evidence"),
        False,
        "ACMG codes with optional strength, e.g. PVS1,PM2_Supporting,PP3",
    ),
    Column("evidence", ("evidence_summary", "comment", "comment_on_classification"), False, "free text"),
    Column("classifier", ("classified_by", "curator", "scientist"), False, "who classified"),
    Column(
        "date",
        ("classification_date", "date_last_evaluated", "evaluated", "date_classified"),
        False,
        "YYYY-MM-DD (or DD-MM-YYYY, DD.MM.YYYY, DD/MM/YYYY)",
    ),
    Column("gene", ("gene_symbol", "symbol"), False, "HGNC symbol"),
    Column("transcript", ("refseq", "reference_sequence", "transcript_id"), False, "e.g. NM_000527.5"),
    Column("hgvs_c", ("hgvs", "hgvsc", "cdna", "c_dot"), False, "c. notation as given"),
    Column("hgvs_p", ("hgvsp", "protein", "p_dot"), False, "p. notation as given"),
    Column("reason", ("reclassification_reason", "change_reason"), False, "why the classification changed"),
)
_BY_NAME: dict[str, str] = {}
for _column in COLUMNS:
    for _name in (_column.name, *_column.aliases):
        _BY_NAME[re.sub(r"[\s\-]+", "_", _name.lower())] = _column.name
_VCF_INFO_ALIASES = {"hgvsc": "hgvs_c", "hgvsp": "hgvs_p", "clnsig": "classification", "clndn": "condition"}
_SPACED_IN_VCF = {"classification", "condition", "inheritance"}
_DATE_FORMATS = ("%Y-%m-%d", "%d-%m-%Y", "%d.%m.%Y", "%d/%m/%Y")


@dataclass(frozen=True, slots=True)
class ParsedRow:
    line: int
    assertion: NewAssertion


@dataclass
class ParsedFile:
    """Rows read from an export and every problem found on the way; ``ignored_columns`` are reported, not fatal."""

    name: str
    file_format: str
    sha256: str
    rows: list[ParsedRow] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    ignored_columns: tuple[str, ...] = ()
    bad_row_variants: list[tuple[int, str]] = field(default_factory=list)
    """(line, variant) of rows with other problems, so their variants can be checked as well."""


def detect_format(path: Path, content: bytes) -> str:
    """``vcf`` for a VCF (by name or content), else ``tsv``."""
    lowered = path.name.lower()
    if lowered.endswith((".vcf", ".vcf.gz", ".vcf.bgz")) or content.startswith(b"##fileformat=VCF"):
        return "vcf"
    return "tsv"


def read_export(path: Path, *, file_format: str | None = None, today: dt.date) -> ParsedFile:
    """Read a TSV or VCF classification export; never raises for bad content (see ``problems``)."""
    raw = path.read_bytes()
    sha256 = hashlib.sha256(raw).hexdigest()
    content = gzip.decompress(raw) if raw[:2] == b"\x1f\x8b" else raw
    chosen = (file_format or detect_format(path, content)).lower()
    parsed = ParsedFile(path.name, chosen, sha256)
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        parsed.problems.append(
            Problem(path.name, "file is not UTF-8 text", location=f"byte {exc.start}", expected="UTF-8", found="other")
        )
        return parsed
    if chosen in ("vcf", "tsv") and _guard_cells(parsed, text, chosen):
        return parsed
    if chosen == "vcf":
        records = _vcf_records(parsed, text)
    elif chosen == "tsv":
        records = _tsv_records(parsed, text)
    else:
        parsed.problems.append(Problem(path.name, "unknown import format", expected="tsv or vcf", found=chosen))
        return parsed
    for line, fields in records:
        assertion = _assertion(parsed, line, fields, today)
        if assertion is not None:
            parsed.rows.append(ParsedRow(line, assertion))
    if not parsed.rows and not parsed.problems:
        parsed.problems.append(Problem(path.name, "no assertions in the file", expected="at least one row"))
    return parsed


def _guard_cells(parsed: ParsedFile, text: str, chosen: str) -> bool:
    """The CPR guard over every cell of the file (comment lines and the header too): a cell with a CPR-like number
    or a control character rejects the file before any row is read, naming the line and column, never the value.
    Return whether anything was found."""
    header: list[str] = []
    n_found = len(parsed.problems)
    for number, line in enumerate(text.splitlines(), start=1):
        cells = line.split("\t")
        if chosen == "tsv" and not header and line.strip() and not line.startswith("##"):
            header = [cell.strip().lstrip("#") for cell in cells]
        for index, cell in enumerate(cells):
            column = header[index] if chosen == "tsv" and index < len(header) else f"column {index + 1}"
            if chosen == "vcf":
                column = _VCF_COLUMNS[index] if index < len(_VCF_COLUMNS) else "sample column"
            problem: str | None = None
            if contains_cpr(cell) or contains_cpr(unquote(cell)):
                problem = "the cell looks like it contains a CPR number; an export carries no personal identifiers"
            elif control_characters(cell):
                problem = f"the cell contains control characters ({', '.join(control_characters(cell))})"
            if problem is not None:
                parsed.problems.append(
                    Problem(
                        parsed.name,
                        problem,
                        location=f"line {number}",
                        field=redact(column),
                        expected="printable text without personal identifiers",
                    )
                )
    return len(parsed.problems) > n_found


_VCF_COLUMNS = ("CHROM", "POS", "ID", "REF", "ALT", "QUAL", "FILTER", "INFO", "FORMAT")


def _tsv_records(parsed: ParsedFile, text: str) -> Iterator[tuple[int, dict[str, str]]]:
    lines = text.splitlines()
    header_index = next((i for i, line in enumerate(lines) if line.strip() and not line.startswith("##")), None)
    if header_index is None:
        return
    header = [cell.strip() for cell in lines[header_index].lstrip("#").split("\t")]
    names: list[str | None] = []
    ignored: list[str] = []
    for cell in header:
        name = _BY_NAME.get(re.sub(r"[\s\-]+", "_", cell.lower()))
        if name is None:
            ignored.append(cell)
        names.append(name)
    parsed.ignored_columns = tuple(c for c in ignored if c)
    present = {n for n in names if n}
    duplicated = sorted({n for n in present if names.count(n) > 1})
    for name in duplicated:
        parsed.problems.append(
            Problem(
                parsed.name,
                "column given twice (under two of its names)",
                location=f"line {header_index + 1}",
                field=name,
                expected="each column once",
                found=", ".join(h for h, n in zip(header, names, strict=True) if n == name),
            )
        )
    missing = [c.name for c in COLUMNS if c.required and c.name not in present]
    if "variant" in missing and {"chrom", "pos", "ref", "alt"} <= present:
        missing.remove("variant")
    for name in missing:
        parsed.problems.append(
            Problem(
                parsed.name,
                "required column missing",
                location=f"line {header_index + 1}",
                field=name,
                expected=name if name != "variant" else "variant (or chrom, pos, ref and alt)",
                found="no such column",
            )
        )
    if missing or duplicated:
        return
    reader = csv.reader(io.StringIO("\n".join(lines[header_index + 1 :])), delimiter="\t", quoting=csv.QUOTE_NONE)
    for offset, cells in enumerate(reader, start=header_index + 2):
        if not any(cell.strip() for cell in cells) or (cells and cells[0].startswith("#")):
            continue
        if len(cells) != len(header):
            parsed.problems.append(
                Problem(
                    parsed.name,
                    "row has a different number of columns than the header",
                    location=f"line {offset}",
                    expected=f"{len(header)} tab-separated columns",
                    found=str(len(cells)),
                )
            )
            continue
        yield offset, {name: cell.strip() for name, cell in zip(names, cells, strict=True) if name}


def _vcf_records(parsed: ParsedFile, text: str) -> Iterator[tuple[int, dict[str, str]]]:
    seen_header = False
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip() or line.startswith("##"):
            continue
        if line.startswith("#CHROM"):
            seen_header = True
            continue
        if not seen_header:
            parsed.problems.append(
                Problem(
                    parsed.name,
                    "record before the #CHROM header line",
                    location=f"line {number}",
                    expected="#CHROM POS ID REF ALT QUAL FILTER INFO",
                    found=line[:40],
                )
            )
            return
        cells = line.split("\t")
        if len(cells) < 8:
            parsed.problems.append(
                Problem(
                    parsed.name,
                    "VCF record has too few columns",
                    location=f"line {number}",
                    expected="at least 8 tab-separated columns",
                    found=str(len(cells)),
                )
            )
            continue
        chrom, pos, _id, ref, alt, _qual, _filter, info = cells[:8]
        if "," in alt:
            parsed.problems.append(
                Problem(
                    parsed.name,
                    "a classification is about one allele",
                    location=f"line {number}",
                    field="ALT",
                    expected="one ALT allele per record (split multi-allelic records)",
                    found=alt,
                )
            )
            continue
        fields: dict[str, str] = {"variant": f"{chrom}-{pos}-{ref}-{alt}"}
        for item in info.split(";"):
            if not item or item == ".":
                continue
            key, _, value = item.partition("=")
            lowered = key.strip().lower()
            name = _VCF_INFO_ALIASES.get(lowered) or _BY_NAME.get(lowered)
            if name is None or name in ("variant", "chrom", "pos", "ref", "alt"):
                continue
            decoded = unquote(value)
            fields[name] = decoded.replace("_", " ") if name in _SPACED_IN_VCF else decoded
        yield number, fields


def _assertion(parsed: ParsedFile, line: int, fields: Mapping[str, str], today: dt.date) -> NewAssertion | None:
    problems: list[Problem] = []
    where = f"line {line}"

    def problem(field_name: str, message: str, expected: str, found: str) -> None:
        problems.append(Problem(parsed.name, message, location=where, field=field_name, expected=expected, found=found))

    variant = fields.get("variant", "")
    if not variant and all(fields.get(k) for k in ("chrom", "pos", "ref", "alt")):
        variant = "-".join(fields[k] for k in ("chrom", "pos", "ref", "alt"))
    if not variant:
        problem("variant", "no variant", "chrom-pos-ref-alt", "empty")
    acmg_class = parse_class(fields.get("classification", ""))
    if acmg_class is None:
        problem(
            "classification", "not an ACMG class", CLASS_SPELLINGS_HELP, fields.get("classification", "") or "empty"
        )
    condition_name = fields.get("condition", "")
    if not condition_name:
        problem("condition", "no condition", "the condition classified for, as free text", "empty")
    ontology_id: str | None = None
    if fields.get("condition_id"):
        ontology_id = parse_ontology_id(fields["condition_id"])
        if ontology_id is None:
            problem("condition_id", "not a MONDO, OMIM or Orphanet id", ONTOLOGY_ID_HELP, fields["condition_id"])
    inheritance = parse_inheritance(fields.get("inheritance", ""))
    if inheritance is None:
        problem("inheritance", "unknown mode of inheritance", INHERITANCE_HELP, fields.get("inheritance", ""))
    criteria: tuple[Criterion, ...] = ()
    if fields.get("criteria"):
        try:
            criteria = parse_criteria(fields["criteria"])
        except CriterionError as exc:
            problem(
                "criteria", str(exc), "PVS1, PS1–4, PM1–6, PP1–5, BA1, BS1–4, BP1–7 [_Strength]", fields["criteria"]
            )
    asserted_on: dt.date | None = None
    if fields.get("date"):
        asserted_on = parse_date(fields["date"])
        if asserted_on is None:
            problem("date", "not a date", "YYYY-MM-DD", fields["date"])
        elif asserted_on > today:
            problem("date", "date is in the future", f"on or before {today.isoformat()}", fields["date"])
    for name in ("evidence", "reason"):
        if len(fields.get(name, "")) > MAX_TEXT:
            problem(name, "text too long", f"at most {MAX_TEXT:,} characters", f"{len(fields[name]):,}")
    for name, limit in (("gene", 32), ("transcript", 64), ("hgvs_c", 500), ("hgvs_p", 500), ("classifier", 200)):
        if len(fields.get(name, "")) > limit:
            problem(name, "value too long", f"at most {limit} characters", f"{len(fields[name])}")
    if problems:
        parsed.problems.extend(problems)
        if variant:
            parsed.bad_row_variants.append((line, variant))
        return None
    assert acmg_class is not None and inheritance is not None
    return NewAssertion(
        variant=variant,
        acmg_class=acmg_class,
        condition=Condition(condition_name, ontology_id),
        inheritance=inheritance,
        criteria=criteria,
        evidence=fields.get("evidence", ""),
        classifier=fields.get("classifier", ""),
        asserted_on=asserted_on,
        gene=fields.get("gene") or None,
        transcript=fields.get("transcript") or None,
        hgvs_c=fields.get("hgvs_c") or None,
        hgvs_p=fields.get("hgvs_p") or None,
        reason=fields.get("reason") or None,
    )


@lru_cache(maxsize=16_384)
def parse_date(text: str) -> dt.date | None:
    for pattern in _DATE_FORMATS:
        try:
            return dt.datetime.strptime(text.strip(), pattern).date()
        except ValueError:
            continue
    return None
