"""Writing the national consensus (TSV, VCF) and a department's own assertions (ClinVar submission columns)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import TextIO

from genomdb.classification.acmg import format_criteria
from genomdb.classification.model import AssertionVersion, ConsensusView, NationalView
from genomdb.classification.variants import BUILD, parse_variant_key
from genomdb.refdata.builds import get_build

NATIONAL_TSV_COLUMNS = (
    "variant_key",
    "vrs_allele_id",
    "genes",
    "consensus",
    "aggregate_classification",
    "review_status",
    "n_departments",
    "classes",
    "departments",
    "differing_criteria",
    "conditions",
)

CLINVAR_COLUMNS = (
    "##Local ID",
    "Gene symbol",
    "Reference sequence",
    "HGVS",
    "Chromosome",
    "Start",
    "Stop",
    "Reference allele",
    "Alternate allele",
    "Condition ID type",
    "Condition ID value",
    "Preferred condition name",
    "Germline classification",
    "Date last evaluated",
    "Comment on classification",
    "Mode of inheritance",
    "Collection method",
    "Allele origin",
    "Affected status",
)
"""Germline columns of the ClinVar submission spreadsheet (SubmissionTemplate.xlsx, Variant tab) that genomdb fills.
Assembly is GRCh38; the assertion method is "ACMG Guidelines, 2015" (PMID 25741868), given on the template's
AssertionMethod tab."""

_VCF_INFO = (
    ("GDB_CONSENSUS", "1", "String", "VKGL consensus: classified_by_one_lab, agreement, no_consensus or opposite"),
    ("GDB_CLNSIG", "1", "String", "ClinVar-style aggregate germline classification"),
    ("GDB_REVSTAT", "1", "String", "ClinVar-style review status of the aggregate classification"),
    ("GDB_NDEPT", "1", "Integer", "Number of departments with a current classification"),
    ("GDB_CLASSES", ".", "String", "Current classifications per class, as class:count"),
    ("GDB_DEPTS", ".", "String", "Departments per class, as class:DEPT|DEPT"),
    ("GDB_DIFF", ".", "String", "ACMG criteria the departments applied differently, as CODE:DEPT=label|DEPT=-"),
    ("GDB_VRS", "1", "String", "GA4GH VRS 2.0 Allele identifier"),
    ("GENE", ".", "String", "Gene symbols as given by the departments"),
)


def _departments_text(view: ConsensusView) -> str:
    return "; ".join(f"{cls.abbreviation}: {','.join(departments)}" for cls, departments in view.departments_by_class)


def _differences_text(view: ConsensusView) -> str:
    return "; ".join(
        f"{d.code}: " + ", ".join(f"{dept}={label or '—'}" for dept, label in d.by_department)
        for d in view.criteria_differences
    )


def write_national_tsv(views: Iterable[NationalView], out: TextIO, *, as_of: dt.datetime | None) -> int:
    """One row per classified variant; return the number of rows."""
    moment = as_of.isoformat() if as_of else "now"
    out.write(f"## genomdb national variant database, consensus as known at {moment}; assembly {BUILD}\n")
    out.write("\t".join(NATIONAL_TSV_COLUMNS) + "\n")
    n_rows = 0
    for view in views:
        overall = view.overall
        if overall.category is None:
            continue
        conditions = "; ".join(
            f"{c.condition_label}: {c.aggregate.value} ({c.summary})" for c in view.by_condition if c.condition_label
        )
        cells = (
            view.variant_key,
            view.vrs_allele_id or "",
            ",".join(view.genes),
            overall.category.value,
            overall.aggregate.value,
            overall.review_status.value,
            str(overall.n_departments),
            overall.summary,
            _departments_text(overall),
            _differences_text(overall),
            conditions,
        )
        out.write("\t".join(_tsv_cell(cell) for cell in cells) + "\n")
        n_rows += 1
    return n_rows


def _tsv_cell(value: str) -> str:
    return value.replace("\t", " ").replace("\n", " ").replace("\r", " ")


def _info_value(value: str) -> str:
    """A VCF 4.3 INFO value: spaces as underscores, reserved characters percent-encoded."""
    encoded = value.replace("%", "%25").replace(";", "%3B").replace("=", "%3D").replace(",", "%2C")
    return encoded.replace("\t", "%09").replace("\n", "%0A").replace(" ", "_")


def write_national_vcf(views: Iterable[NationalView], out: TextIO, *, as_of: dt.datetime | None) -> int:
    """A sites-only VCF of the national consensus, in reference order; return the number of records."""
    build = get_build(BUILD)
    order = {contig.name: index for index, contig in enumerate(build.contigs)}
    records = []
    for view in views:
        if view.overall.category is None:
            continue
        key = parse_variant_key(view.variant_key)
        records.append((order.get(key.chrom, len(order)), key.pos, key.ref, key.alt, key.chrom, view))
    records.sort(key=lambda r: r[:4])
    today = (as_of or dt.datetime.now(dt.UTC)).strftime("%Y%m%d")
    out.write("##fileformat=VCFv4.3\n")
    out.write(f"##fileDate={today}\n")
    out.write("##source=genomdb national variant database\n")
    out.write(f"##reference={BUILD}\n")
    out.write(f"##genomdb_as_of={as_of.isoformat() if as_of else 'now'}\n")
    for contig in build.contigs:
        out.write(f"##contig=<ID={contig.name},length={contig.length}>\n")
    for info_id, number, kind, description in _VCF_INFO:
        out.write(f'##INFO=<ID={info_id},Number={number},Type={kind},Description="{description}">\n')
    out.write("#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\n")
    for _, pos, ref, alt, chrom, view in records:
        overall = view.overall
        assert overall.category is not None
        info = [
            f"GDB_CONSENSUS={_info_value(overall.category.value)}",
            f"GDB_CLNSIG={_info_value(overall.aggregate.value)}",
            f"GDB_REVSTAT={_info_value(overall.review_status.value)}",
            f"GDB_NDEPT={overall.n_departments}",
            "GDB_CLASSES=" + ",".join(f"{_info_value(cls.value)}:{n}" for cls, n in overall.class_counts),
            "GDB_DEPTS="
            + ",".join(f"{cls.abbreviation}:{'|'.join(depts)}" for cls, depts in overall.departments_by_class),
        ]
        if overall.criteria_differences:
            info.append(
                "GDB_DIFF="
                + ",".join(
                    f"{d.code}:" + "|".join(f"{dept}={label or '-'}" for dept, label in d.by_department)
                    for d in overall.criteria_differences
                )
            )
        if view.vrs_allele_id:
            info.append(f"GDB_VRS={view.vrs_allele_id}")
        if view.genes:
            info.append("GENE=" + ",".join(_info_value(g) for g in view.genes))
        out.write(f"{chrom}\t{pos}\t.\t{ref}\t{alt}\t.\t.\t{';'.join(info)}\n")
    return len(records)


def _condition_columns(version: AssertionVersion) -> tuple[str, str, str]:
    ontology_id = version.condition.ontology_id
    if ontology_id is None:
        return "", "", version.condition.name
    prefix, _, number = ontology_id.partition(":")
    if prefix == "MONDO":
        return "MONDO", ontology_id, ""
    if prefix == "OMIM":
        return "OMIM", number, ""
    return "Orphanet", f"ORPHA{number}", ""


def write_clinvar_submission(versions: Sequence[AssertionVersion], out: TextIO) -> int:
    """A department's current assertions as rows of the ClinVar submission spreadsheet's germline columns.

    ``Local ID`` is the assertion id, stable across versions, so that ClinVar treats a new version as an update.
    """
    out.write("\t".join(CLINVAR_COLUMNS) + "\n")
    n_rows = 0
    for version in sorted(versions, key=lambda v: (v.variant_key, v.assertion_id)):
        if version.is_withdrawn:
            continue
        key = parse_variant_key(version.variant_key)
        id_type, id_value, condition_name = _condition_columns(version)
        comment = version.evidence.strip()
        criteria = format_criteria(version.criteria).replace(",", ", ")
        if criteria:
            comment = f"{comment} ACMG/AMP criteria: {criteria}.".strip()
        cells = (
            version.assertion_id,
            version.gene or "",
            version.transcript or "",
            version.hgvs_c or "",
            key.chrom.removeprefix("chr"),
            str(key.pos),
            str(key.pos + len(key.ref) - 1),
            key.ref,
            key.alt,
            id_type,
            id_value,
            condition_name,
            version.acmg_class.value,
            version.asserted_on.isoformat(),
            comment,
            version.inheritance.clinvar_term,
            "clinical testing",
            "germline",
            "not provided",
        )
        out.write("\t".join(_tsv_cell(cell) for cell in cells) + "\n")
        n_rows += 1
    return n_rows
