"""Listings fit the terminal (80 columns, or 80 when piped) without ever cutting an identifier or a QC flag."""

from __future__ import annotations

import io

import pytest
from rich.console import Console

from genomdb.cli import output
from genomdb.cli.catalog_cmd import SAMPLE_COLUMNS
from genomdb.cli.classify_cmd import CONFLICT_COLUMNS
from genomdb.cli.harmonize_cmd import QC_COLUMNS
from genomdb.cli.output import Column, listing_table, print_listing
from genomdb.privacy import escape_controls

SAMPLE_ROW = [
    "SMP-32J5CUEBO4",
    "RSD-KG-OUH-S0001",
    "GDB-VCQ2EF2DRYKPUXOZ",
    "RSD",
    "RSD-KG-OUH",
    "ILLUMINA, ONT",
    "CRAM, FASTQ, GVCF",
    "GRCh38",
    "SUB-OWTQN4K5 v12",
]
CONFLICT_ROW = [
    "CNF-YC4UPT5JJPTGG",
    "chr19-11100298-AATTGTACCAGGTCA-A",
    "no consensus",
    "RM-KG, RN-KG, RSD-KG-OUH",
    "RM-KG VUS, RN-KG LP, RSD-KG-OUH P",
    "under discussion",
    "2021-08-19",
    "steward-rsd",
    "consensus reached after CLS-BY2APZHCSQEEE (RN-KG): Pathogenic/Likely pathogenic",
]
QC_ROW = [
    "SMP-BCUIH32CTQ",
    "RM-KG-S0007",
    "RM-KG",
    "XY / female",
    "0.01",
    "0.960",
    "0.948",
    "2,084",
    "217",
    "0.52",
    "2.06",
    "sex_mismatch, low_call_rate, contamination_suspected",
]


def render(columns: list[Column], rows: list[list[str]], width: int) -> tuple[str, list[str]]:
    table, dropped = listing_table(columns, rows, width=width)
    buffer = io.StringIO()
    Console(file=buffer, width=width, color_system=None).print(table)
    text = buffer.getvalue()
    assert max(len(line) for line in text.splitlines()) <= width
    return text, dropped


def whole_on_a_line(text: str, value: str) -> bool:
    return any(value in line for line in text.splitlines())


@pytest.mark.parametrize("width", [80, 120])
def test_sample_listing_never_cuts_ids_and_keeps_the_facts(width: int) -> None:
    text, dropped = render(SAMPLE_COLUMNS, [SAMPLE_ROW, SAMPLE_ROW], width)
    for identifier in ("SMP-32J5CUEBO4", "GDB-VCQ2EF2DRYKPUXOZ"):
        assert whole_on_a_line(text, identifier)
    for fact in ("RSD-KG-OUH", "ILLUMINA,", "ONT", "CRAM,", "GVCF", "GRCh38"):
        assert whole_on_a_line(text, fact)
    assert {"department", "platform", "formats", "build"}.isdisjoint(dropped)
    if width == 120:
        assert not dropped or dropped == ["submission"]


@pytest.mark.parametrize("width", [80, 120])
def test_conflict_listing_never_cuts_case_ids_or_variant_keys(width: int) -> None:
    text, _ = render(CONFLICT_COLUMNS, [CONFLICT_ROW], width)
    assert whole_on_a_line(text, "CNF-YC4UPT5JJPTGG")
    assert whole_on_a_line(text, "chr19-11100298-AATTGTACCAGGTCA-A")
    if width == 120:  # at 80, beside a 32-character key, other columns may fold; identifiers never do
        assert whole_on_a_line(text, "RSD-KG-OUH")


@pytest.mark.parametrize("width", [80, 120])
def test_qc_listing_shows_every_flag_whole(width: int) -> None:
    text, dropped = render(QC_COLUMNS, [QC_ROW], width)
    for flag in ("sex_mismatch,", "low_call_rate,", "contamination_suspected"):
        assert whole_on_a_line(text, flag)
    assert whole_on_a_line(text, "SMP-BCUIH32CTQ")
    assert "flags" not in dropped and "sex (inferred / declared)" not in dropped
    if width == 120:
        assert len(dropped) < len(QC_COLUMNS) // 2


def test_tsv_has_every_column_and_no_cut(capsys: pytest.CaptureFixture[str]) -> None:
    print_listing(QC_COLUMNS, [QC_ROW], as_tsv=True)
    header, row = capsys.readouterr().out.splitlines()
    assert header.split("\t") == [c.header for c in QC_COLUMNS]
    assert row.split("\t") == QC_ROW


def test_piped_table_names_what_it_left_out(monkeypatch: pytest.MonkeyPatch) -> None:
    buffer = io.StringIO()
    monkeypatch.setattr(output, "console", output.SafeConsole(file=buffer, width=80, color_system=None))
    print_listing(SAMPLE_COLUMNS, [SAMPLE_ROW])
    text = buffer.getvalue()
    assert "not shown at 80 columns: submission" in text and "--tsv" in text
    assert whole_on_a_line(text, "GDB-VCQ2EF2DRYKPUXOZ")


@pytest.mark.parametrize(
    "rows",
    [
        [["a", "b\u202e", "1.0"], ["c\x1b[31m", "d", "2.0"]],  # control characters only: the one-pass path
        [["a\tb", "c"], ["d\ne", "f"]],  # tabs and newlines inside cells: cell by cell
        [["a", "b\x07"], ["c\td", "e"], ["f", "g"]],  # a clean row, a dirty one, a clean one
        [["a", "b"], ["c"]],  # ragged rows
        [],
    ],
)
@pytest.mark.parametrize("chunk_rows", [1, 65536])
def test_tsv_escapes_every_cell_as_cell_by_cell_would(
    rows: list[list[str]], chunk_rows: int, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(output, "TSV_CHUNK_ROWS", chunk_rows)  # one row a chunk: clean and dirty chunks mixed
    columns = [Column("x"), Column("y"), Column("z")]
    print_listing(columns, rows, as_tsv=True)
    expected = "x\ty\tz\n" + "".join(
        "\t".join(escape_controls(cell.replace("\t", " ").replace("\n", " ")) for cell in row) + "\n" for row in rows
    )
    assert capsys.readouterr().out == expected
