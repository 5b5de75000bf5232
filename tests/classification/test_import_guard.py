"""The CPR guard over imported classification exports: every cell, TSV or VCF, before any row is read."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from genomdb.classification.database import ClassificationDatabase
from genomdb.errors import InvalidInput
from tests.classification.conftest import snv
from tests.classification.test_imports import tsv
from tests.identities import fake_cpr

CPR = fake_cpr(14, 2, 88, 3579, dash=True)


def _row(key: str, *, condition: str = "Familial hypercholesterolemia", classifier: str = "AB") -> str:
    return f"{key}\tPathogenic\t{condition}\t\tAD\tPVS1\t2023-05-01\tLDLR\tc.1A>G\t{classifier}\t17"


@pytest.mark.parametrize(
    ("column", "row_of"),
    [
        ("classifier", lambda key: _row(key, classifier=f"dr {CPR}")),
        ("condition", lambda key: _row(key, condition=f"FH in {CPR.replace('-', '')}")),
        ("internal_id", lambda key: _row(key)[: -len("17")] + CPR),
    ],
)
def test_a_cpr_in_any_tsv_cell_rejects_the_file_naming_line_and_column(
    database: ClassificationDatabase,
    reference_sequences: dict[str, str],
    tmp_path: Path,
    column: str,
    row_of: Callable[[str], str],
) -> None:
    key = snv(reference_sequences, "chr19", 3_000)
    path = tsv(tmp_path / "rh.tsv", [_row(snv(reference_sequences, "chr19", 3_100)), row_of(key)])
    with pytest.raises(InvalidInput) as caught:
        database.import_file("RH-KG", path)
    [problem] = caught.value.problems
    assert (problem.location, problem.field) == ("line 4", column)
    text = str(caught.value) + repr(caught.value.problems)
    assert CPR not in text and CPR.replace("-", "") not in text


def test_a_cpr_in_a_vcf_export_info_field_rejects_it(
    database: ClassificationDatabase, reference_sequences: dict[str, str], tmp_path: Path
) -> None:
    key = snv(reference_sequences, "chr19", 3_000)
    chrom, pos, ref, alt = key.split("-")
    encoded = CPR.replace("-", "%2D")
    path = tmp_path / "rh.vcf"
    path.write_text(
        "##fileformat=VCFv4.2\n#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\n"
        f"{chrom}\t{pos}\t.\t{ref}\t{alt}\t.\t.\tCLNSIG=Pathogenic;CLNDN=FH;EVIDENCE=seen_in_{encoded}\n"
    )
    with pytest.raises(InvalidInput) as caught:
        database.import_file("RH-KG", path)
    [problem] = caught.value.problems
    assert (problem.location, problem.field) == ("line 3", "INFO")


def test_control_characters_in_a_cell_are_refused(
    database: ClassificationDatabase, reference_sequences: dict[str, str], tmp_path: Path
) -> None:
    key = snv(reference_sequences, "chr19", 3_000)
    path = tsv(tmp_path / "rh.tsv", [_row(key, condition="FH\x1b]0;owned\x07")])
    with pytest.raises(InvalidInput) as caught:
        database.import_file("RH-KG", path)
    [problem] = caught.value.problems
    assert problem.field == "condition" and "U+001B" in problem.message
