"""Importing departments' exports: TSV and VCF, every bad row reported, nothing imported from a bad file."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest

from genomdb.classification.acmg import AcmgClass
from genomdb.classification.database import ClassificationDatabase
from genomdb.classification.model import InheritanceMode
from genomdb.errors import InvalidInput
from tests.classification.conftest import Clock, snv

HEADER = "variant\tclassification\tcondition\tmondo\tmoi\tcriteria\tdate\tgene\thgvs_c\tclassifier\tinternal_id\n"


def tsv(path: Path, rows: list[str], header: str = HEADER) -> Path:
    path.write_text("## export of the department's variant database\n" + header + "".join(r + "\n" for r in rows))
    return path


@pytest.fixture
def keys(reference_sequences: dict[str, str]) -> list[str]:
    return [snv(reference_sequences, "chr19", pos) for pos in (3_000, 3_100, 3_200, 3_300)]


def test_a_tsv_export_is_imported_and_importing_it_again_changes_nothing(
    database: ClassificationDatabase, keys: list[str], tmp_path: Path, clock: Clock
) -> None:
    path = tsv(
        tmp_path / "rh.tsv",
        [
            f"{keys[0]}\tPathogenic\tFamilial hypercholesterolemia\tMONDO:0007750\tAD\tPVS1,PS4,PM2_Supporting"
            "\t2023-05-01\tLDLR\tc.1A>G\tAB\t17",
            f"{keys[1]}\tLikely pathogenic\tFamilial hypercholesterolemia\t\tautosomal dominant\tPM2_Supporting"
            "\t15-06-2023\tLDLR\t\tAB\t18",
            f"{keys[2]}\tVUS\tHereditary breast cancer\t\t\t\t\tBRCA2\t\t\t19",
        ],
    )
    outcome = database.import_file("RH-KG", path)
    assert (outcome.n_rows, outcome.n_new_assertions, outcome.n_new_versions, outcome.n_unchanged) == (3, 3, 0, 0)
    assert outcome.warnings[0] == "ignored columns: internal_id"
    assert any(keys[1] in w and "support Uncertain significance" in w for w in outcome.warnings)
    stored = {v.variant_key: v for v in database.as_of(clock.now, department="RH-KG")}
    first = stored[keys[0]]
    assert first.acmg_class is AcmgClass.PATHOGENIC and first.condition.ontology_id == "MONDO:0007750"
    assert first.inheritance is InheritanceMode.AUTOSOMAL_DOMINANT and first.hgvs_c == "c.1A>G"
    assert stored[keys[1]].asserted_on.isoformat() == "2023-06-15" and first.source == "import"
    assert stored[keys[2]].inheritance is InheritanceMode.UNKNOWN

    clock.advance(days=1)
    again = database.import_file("RH-KG", path)
    assert (again.n_new_assertions, again.n_new_versions, again.n_unchanged) == (0, 0, 3)
    assert database.counts()["versions"] == 3 and database.counts()["imports"] == 2


def test_an_updated_export_records_reclassifications_as_new_versions(
    database: ClassificationDatabase, keys: list[str], tmp_path: Path, clock: Clock
) -> None:
    header = "chrom\tpos\tref\talt\tclass\tdisease\tacmg_criteria\n"
    chrom, pos, ref, alt = keys[0].split("-")
    database.import_file(
        "RM-KG", tsv(tmp_path / "v1.tsv", [f"{chrom}\t{pos}\t{ref}\t{alt}\tVUS\tFH\tPM2_Supporting"], header)
    )
    clock.advance(days=10)
    outcome = database.import_file(
        "RM-KG",
        tsv(tmp_path / "v2.tsv", [f"{chrom}\t{pos}\t{ref}\t{alt}\tLP\tFH\tPM2_Supporting,PS4,PP1_Strong"], header),
    )
    assert (outcome.n_new_assertions, outcome.n_new_versions) == (0, 1)
    assert [v.acmg_class for v in database.history(keys[0])] == [AcmgClass.UNCERTAIN, AcmgClass.LIKELY_PATHOGENIC]


def test_every_bad_row_is_reported_and_nothing_is_imported(
    database: ClassificationDatabase, keys: list[str], tmp_path: Path
) -> None:
    chrom, pos, ref, alt = keys[3].split("-")
    path = tsv(
        tmp_path / "bad.tsv",
        [
            f"{keys[0]}\tPathogenic\tFH\t\tAD\tPVS1,PM2_Supporting\t2023-05-01\tLDLR\t\tAB\t1",  # good
            f"{keys[1]}\tprobably bad\tFH\t\tAD\t\t\t\t\t\t2",  # not a class
            f"{keys[2]}\tLP\tFH\tMONDO:12\tAD\tPVS1,PX9\t2023-13-01\t\t\t\t3",  # id, criteria, date
            f"{chrom}-{pos}-{alt}-{ref}\tLP\tFH\t\tAD\t\t\t\t\t\t4",  # REF does not match the reference
            f"{keys[0]}\tVUS\tFH\t\tAD\t\t\t\t\t\t5",  # same variant and condition again
            f"{keys[1]}\tVUS\t\t\tsometimes\t\t2099-01-01\t\t\t\t6",  # no condition, bad moi, future date
            f"{keys[1]}\tVUS\tFH",  # too few columns
        ],
    )
    before = database.counts()
    with pytest.raises(InvalidInput) as error:
        database.import_file("RH-KG", path)
    found = {(p.location, p.field) for p in error.value.problems}
    assert found == {
        ("line 4", "classification"),
        ("line 5", "condition_id"),
        ("line 5", "criteria"),
        ("line 5", "date"),
        ("line 6", "variant"),
        ("line 7", "variant"),
        ("line 8", "condition"),
        ("line 8", "inheritance"),
        ("line 8", "date"),
        ("line 9", None),
    }
    assert all(p.file == "bad.tsv" and p.expected for p in error.value.problems)
    assert "nothing was imported" in error.value.message
    assert database.counts() == before


def test_missing_required_columns_reject_the_file(database: ClassificationDatabase, tmp_path: Path) -> None:
    path = tsv(tmp_path / "cols.tsv", ["chr19-3000-A-G\tFH"], header="variant\tcondition\n")
    with pytest.raises(InvalidInput) as error:
        database.import_file("RH-KG", path)
    [problem] = error.value.problems
    assert (problem.location, problem.field, problem.found) == ("line 2", "classification", "no such column")


VCF_HEADER = """##fileformat=VCFv4.3
##INFO=<ID=CLNSIG,Number=1,Type=String,Description="class">
##INFO=<ID=CONDITION,Number=1,Type=String,Description="condition">
#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO
"""


def test_a_vcf_export_is_imported_with_info_fields_decoded(
    database: ClassificationDatabase, keys: list[str], tmp_path: Path, clock: Clock
) -> None:
    records = []
    for key, info in (
        (
            keys[0],
            "CLNSIG=Likely_pathogenic;CONDITION=Familial_hypercholesterolemia;MONDO=MONDO:0007750;MOI=AD;"
            "CRITERIA=PVS1,PM2_Supporting,PP4;GENE=LDLR;HGVSC=NM_000527.5%3Ac.1A>G;"
            "EVIDENCE=two%2C%20maybe three_families",
        ),
        (keys[1], "CLASS=Benign;CONDITION=FH;CRITERIA=BA1;DATE=2022-02-02"),
    ):
        chrom, pos, ref, alt = key.split("-")
        records.append(f"{chrom.removeprefix('chr')}\t{pos}\t.\t{ref}\t{alt}\t.\t.\t{info}")
    path = tmp_path / "rn.vcf.gz"
    path.write_bytes(gzip.compress((VCF_HEADER + "\n".join(records) + "\n").encode()))
    outcome = database.import_file("RN-KG", path)
    assert outcome.n_new_assertions == 2
    stored = {v.variant_key: v for v in database.as_of(clock.now, department="RN-KG")}
    first = stored[keys[0]]
    assert first.acmg_class is AcmgClass.LIKELY_PATHOGENIC and first.condition.name == "Familial hypercholesterolemia"
    assert first.hgvs_c == "NM_000527.5:c.1A>G" and first.evidence == "two, maybe three_families"
    assert [c.label for c in first.criteria] == ["PVS1", "PM2_Supporting", "PP4"]
    assert stored[keys[1]].acmg_class is AcmgClass.BENIGN and stored[keys[1]].asserted_on.isoformat() == "2022-02-02"


def test_bad_vcf_records_are_all_reported(database: ClassificationDatabase, keys: list[str], tmp_path: Path) -> None:
    chrom, pos, ref, alt = keys[0].split("-")
    path = tmp_path / "bad.vcf"
    path.write_text(
        VCF_HEADER
        + f"{chrom}\t{pos}\t.\t{ref}\t{alt},T\t.\t.\tCLNSIG=Pathogenic;CONDITION=FH\n"
        + f"{chrom}\t{pos}\t.\t{ref}\t{alt}\t.\t.\tCONDITION=FH\n"
        + f"{chrom}\t{pos}\t.\t{ref}\n"
    )
    with pytest.raises(InvalidInput) as error:
        database.import_file("RH-KG", path)
    assert [(p.location, p.field) for p in error.value.problems] == [
        ("line 5", "ALT"),
        ("line 6", "classification"),
        ("line 7", None),
    ]
    assert database.counts()["versions"] == 0


def test_a_file_that_is_not_text_is_refused(database: ClassificationDatabase, tmp_path: Path) -> None:
    path = tmp_path / "binary.tsv"
    path.write_bytes(b"\xff\xfe\x00variant")
    with pytest.raises(InvalidInput, match="1 problem"):
        database.import_file("RH-KG", path)


def test_every_accepted_column_and_alias_is_documented() -> None:
    from genomdb.classification.imports import COLUMNS

    doc = (Path(__file__).resolve().parents[2] / "docs" / "classification.md").read_text()
    for column in COLUMNS:
        for name in (column.name, *column.aliases):
            assert name in doc, name
