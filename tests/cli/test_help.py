"""Help texts read well: no type beside flags, paragraphs wrapped by the terminal, the main use of `freq` first."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import typer.main
from typer.testing import CliRunner

from genomdb.cli.app import COMMANDS, app


def _every_command() -> list[tuple[list[str], Any]]:
    root = typer.main.get_command(app)
    for name in COMMANDS:
        root.load_command(name)  # type: ignore[attr-defined]
    found: list[tuple[list[str], Any]] = []

    def walk(command: Any, words: list[str]) -> None:
        found.append((words, command))
        for name, sub in getattr(command, "commands", {}).items():
            walk(sub, [*words, name])

    walk(root, [])
    return found


EVERY_COMMAND = _every_command()


def test_there_are_many_commands_to_check() -> None:
    assert len(EVERY_COMMAND) > 50


@pytest.mark.parametrize("words", [w for w, _ in EVERY_COMMAND], ids=lambda w: " ".join(w) or "genomdb")
def test_no_type_placeholder_beside_a_flag(words: list[str]) -> None:
    result = CliRunner().invoke(app, [*words, "--help"], env={"COLUMNS": "120"})
    assert result.exit_code == 0, result.output
    assert "<bool>" not in result.output
    assert "--help" in result.output


def test_help_paragraphs_have_no_hard_line_breaks() -> None:
    for words, command in EVERY_COMMAND[1:]:
        for paragraph in (command.help or "").split("\n\n"):
            assert "\n" not in paragraph, " ".join(words)


def test_freq_help_shows_the_look_up_first() -> None:
    text = CliRunner().invoke(app, ["freq", "--help"], env={"COLUMNS": "120"}).output
    assert "Usage: genomdb freq [OPTIONS] [query]" in text
    assert text.index("--gene") < text.index("annotate")
    assert "genomdb freq --gene LDLR" in text


def test_missing_instance_names_genomdb_home_and_the_demo(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["--home", str(tmp_path / "nowhere"), "catalog", "search"])
    message = " ".join(str(result.exception).split())
    assert "GENOMDB_HOME" in message and "genomdb demo" in message and "./genomdb-home" in message
    assert "genomdb init --home" in message
