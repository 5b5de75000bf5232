"""Exports: the national consensus as TSV and VCF (read back with htslib), a department's ClinVar columns."""

from __future__ import annotations

import csv
import datetime as dt
import io
from pathlib import Path

import pysam

from genomdb.classification.acmg import AcmgClass, parse_criteria
from genomdb.classification.database import ClassificationDatabase
from genomdb.classification.exports import CLINVAR_COLUMNS, NATIONAL_TSV_COLUMNS
from genomdb.classification.model import Condition, InheritanceMode, NewAssertion
from tests.classification.conftest import Clock, snv

FH = Condition("Familial hypercholesterolemia", "MONDO:0007750")


def fh(variant: str, acmg_class: AcmgClass, criteria: str, **extra: str) -> NewAssertion:
    return NewAssertion(
        variant,
        acmg_class,
        FH,
        InheritanceMode.AUTOSOMAL_DOMINANT,
        parse_criteria(criteria),
        evidence="seen in 3 probands; absent from controls",
        gene="LDLR",
        **extra,  # type: ignore[arg-type]
    )


def load(database: ClassificationDatabase, sequences: dict[str, str], clock: Clock) -> tuple[str, str, str]:
    agreed = snv(sequences, "chr19", 4_000)
    opposite = snv(sequences, "chr19", 3_500)
    later = snv(sequences, "chr13", 900)
    database.add(
        "RH-KG",
        fh(agreed, AcmgClass.PATHOGENIC, "PVS1 PS4 PM2_Supporting", transcript="NM_000527.5", hgvs_c="c.313+1G>A"),
    )
    database.add("RM-KG", fh(agreed, AcmgClass.LIKELY_PATHOGENIC, "PVS1 PM2"))
    database.add("RH-KG", fh(opposite, AcmgClass.LIKELY_PATHOGENIC, "PS3 PM2_Supporting PP3"))
    database.add("RN-KG", fh(opposite, AcmgClass.LIKELY_BENIGN, "BS3 BP4"))
    clock.advance(days=10)
    database.add("RSD-KG-OUH", NewAssertion(later, AcmgClass.UNCERTAIN, Condition("Breast cancer"), gene="BRCA2"))
    return agreed, opposite, later


def test_national_tsv(database: ClassificationDatabase, reference_sequences: dict[str, str], clock: Clock) -> None:
    agreed, opposite, later = load(database, reference_sequences, clock)
    out = io.StringIO()
    assert database.export_national(out) == 3
    lines = out.getvalue().splitlines()
    assert lines[0].startswith("## genomdb national variant database")
    rows = {row["variant_key"]: row for row in csv.DictReader(lines[1:], delimiter="\t")}
    assert tuple(csv.reader(lines[1:2], delimiter="\t").__next__()) == NATIONAL_TSV_COLUMNS
    assert rows[agreed]["consensus"] == "agreement"
    assert rows[agreed]["aggregate_classification"] == "Pathogenic/Likely pathogenic"
    assert rows[agreed]["review_status"] == "criteria provided, multiple submitters, no conflicts"
    assert rows[agreed]["departments"] == "P: RH-KG; LP: RM-KG"
    assert (
        rows[opposite]["consensus"] == "opposite" and "PS3: RH-KG=PS3, RN-KG=—" in rows[opposite]["differing_criteria"]
    )
    assert rows[later]["consensus"] == "classified by one lab" and rows[later]["vrs_allele_id"].startswith("ga4gh:VA.")

    before = io.StringIO()
    assert database.export_national(before, as_of=dt.date(2024, 1, 5)) == 2


def test_national_vcf_is_valid_for_htslib(
    database: ClassificationDatabase, reference_sequences: dict[str, str], clock: Clock, tmp_path: Path
) -> None:
    agreed, opposite, later = load(database, reference_sequences, clock)
    path = tmp_path / "national.vcf"
    with path.open("w") as out:
        assert database.export_national(out, file_format="vcf") == 3
    with pysam.VariantFile(str(path)) as vcf:
        records = list(vcf)
    assert [r.chrom for r in records] == ["chr13", "chr19", "chr19"]  # reference order
    assert [r.pos for r in records][1:] == sorted(r.pos for r in records[1:])
    by_key = {f"{r.chrom}-{r.pos}-{r.ref}-{r.alts[0]}": r for r in records}
    record = by_key[opposite]
    assert record.info["GDB_CONSENSUS"] == "opposite"
    assert record.info["GDB_CLNSIG"] == "Conflicting_classifications_of_pathogenicity"
    assert record.info["GDB_NDEPT"] == 2
    assert set(record.info["GDB_CLASSES"]) == {"Likely_pathogenic:1", "Likely_benign:1"}
    assert "PS3:RH-KG=PS3|RN-KG=-" in record.info["GDB_DIFF"]
    assert by_key[agreed].info["GDB_VRS"].startswith("ga4gh:VA.") and by_key[later].info["GENE"] == ("BRCA2",)


def test_a_department_exports_its_own_current_assertions_as_clinvar_columns(
    database: ClassificationDatabase, reference_sequences: dict[str, str], clock: Clock
) -> None:
    agreed, opposite, _ = load(database, reference_sequences, clock)
    withdrawn = database.as_of(clock.now, variant=opposite, department="RH-KG")[0]
    database.withdraw(withdrawn.assertion_id, department="RH-KG", reason="reanalysed")
    out = io.StringIO()
    assert database.export_department("RH-KG", out) == 1
    rows = list(csv.DictReader(io.StringIO(out.getvalue()), delimiter="\t"))
    assert tuple(rows[0]) == CLINVAR_COLUMNS
    [row] = rows
    _, pos, ref, alt = agreed.split("-")
    assert row["##Local ID"].startswith("CLS-") and row["Gene symbol"] == "LDLR"
    assert (row["Chromosome"], row["Start"], row["Stop"], row["Reference allele"], row["Alternate allele"]) == (
        "19",
        pos,
        pos,
        ref,
        alt,
    )
    assert (row["Condition ID type"], row["Condition ID value"]) == ("MONDO", "MONDO:0007750")
    assert row["Germline classification"] == "Pathogenic" and row["Date last evaluated"] == "2024-01-01"
    assert row["Mode of inheritance"] == "Autosomal dominant inheritance"
    assert row["Comment on classification"].endswith("ACMG/AMP criteria: PVS1, PS4, PM2_Supporting.")
    assert (row["Reference sequence"], row["HGVS"]) == ("NM_000527.5", "c.313+1G>A")
    assert (row["Collection method"], row["Allele origin"]) == ("clinical testing", "germline")
