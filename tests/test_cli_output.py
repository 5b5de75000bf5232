"""The CLI never writes control characters from data to a terminal raw, and never prints a CPR number."""

from __future__ import annotations

import io
import json

import pytest
from rich.table import Table

from genomdb.cli import output
from genomdb.cli.output import SafeConsole, print_json, report_error
from genomdb.errors import InvalidInput, Problem
from tests.identities import fake_cpr

HOSTILE = "title\x1b[2J\x1b]0;owned\x07 \u202eevil\x00"


@pytest.mark.parametrize("terminal", [True, False])
def test_console_escapes_control_characters_but_keeps_its_own_styles(terminal: bool) -> None:
    buffer = io.StringIO()
    console = SafeConsole(file=buffer, force_terminal=terminal, color_system="standard" if terminal else None)
    table = Table("title")
    table.add_row(HOSTILE)
    console.print(f"[bold]{HOSTILE}[/]", markup=True)
    console.print(table)
    text = buffer.getvalue()
    for raw in ("\x1b[2J", "\x1b]0", "\x07", "\u202e", "\x00"):
        assert raw not in text
    assert "\\u001b[2J" in text and "\\u202e" in text
    assert ("\x1b[1m" in text) is terminal  # Rich's own bold survives on a terminal


def test_json_output_escapes_bidi_overrides(capsys: pytest.CaptureFixture[str]) -> None:
    print_json({"title": HOSTILE})
    out = capsys.readouterr().out
    assert "\u202e" not in out and "\x1b" not in out and json.loads(out)["title"] == HOSTILE


def test_error_printer_redacts_and_escapes(monkeypatch: pytest.MonkeyPatch) -> None:
    buffer = io.StringIO()
    monkeypatch.setattr(output, "err_console", SafeConsole(file=buffer, force_terminal=True))
    cpr = fake_cpr(9, 9, 99, 9999, dash=True)
    report_error(InvalidInput(f"bad [red]{cpr}", [Problem("f.yaml", f"unknown {cpr}\x1b[2J", field=cpr)]))
    text = buffer.getvalue()
    assert cpr not in text and "••••••-••••" in text and "\x1b[2J" not in text and "[red]" in text
