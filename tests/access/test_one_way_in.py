"""The shells (CLI and REST service) reach classification writes and person-level catalogue reads only through
the domain functions that ask the access policy first (``classification.service``, ``access.catalog_reads``), so a
new command or route cannot skip the policy by calling the database directly. And every CLI command that writes a
classification or reads person-level data takes ``--as``."""

from __future__ import annotations

import ast
from pathlib import Path
from typing import Any

import typer.main

from genomdb.cli.app import app

PACKAGE = Path(__file__).resolve().parents[2] / "src" / "genomdb"
SHELLS = ("api", "cli")
UNGUARDED: dict[str, set[str] | None] = {
    "genomdb.classification.database": {"ClassificationDatabase"},
    "genomdb.classification.writer": None,
    "genomdb.classification.repository": None,
}
"""What writes and reads past the policy (None: the whole module); only the domain and its service use it."""
PERSON_LEVEL_CATALOG_READS = {"search", "sample", "person", "submission", "samples_of_person", "submissions"}
ALLOWED_CATALOG_READS = {("cli/demo_cmd.py", "search")}
"""The demo counts the samples it loaded; it shows no record."""
ACTING_COMMANDS = {
    "catalog search",
    "catalog show",
    "catalog history",
    "classify add",
    "classify import",
    "classify withdraw",
    "classify conflicts discuss",
    "classify conflicts resolve",
    "classify worklist",
    "classify thresholds",
    "classify show",
    "freq lookup",
    "freq annotate",
}


def _names_catalog(node: ast.expr) -> bool:
    """``catalog`` or ``….catalog``: the catalogue's repository."""
    return (isinstance(node, ast.Name) and node.id == "catalog") or (
        isinstance(node, ast.Attribute) and node.attr == "catalog"
    )


def violations(source: str, name: str) -> list[str]:
    """What in one shell module reaches past the policy."""
    found: list[str] = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.ImportFrom) and node.module in UNGUARDED:
            names = UNGUARDED[node.module]
            found.extend(
                f"{name}:{node.lineno} imports {node.module}.{a.name}"
                for a in node.names
                if names is None or a.name in names
            )
        if isinstance(node, ast.Import):
            found.extend(f"{name}:{node.lineno} imports {a.name}" for a in node.names if a.name in UNGUARDED)
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr in PERSON_LEVEL_CATALOG_READS
            and _names_catalog(node.func.value)
            and (name, node.func.attr) not in ALLOWED_CATALOG_READS
        ):
            found.append(f"{name}:{node.lineno} reads the catalogue directly (.catalog.{node.func.attr})")
    return found


def test_no_shell_reaches_past_the_policy() -> None:
    found = []
    for shell in SHELLS:
        for path in sorted((PACKAGE / shell).rglob("*.py")):
            found.extend(violations(path.read_text(), str(path.relative_to(PACKAGE))))
    assert found == []


def test_the_checker_reports_a_planted_bypass() -> None:
    planted = (
        "from genomdb.classification.database import ClassificationDatabase\n"
        "def f(instance):\n    catalog = instance.catalog\n"
        "    return instance.catalog.person('GDB-X'), catalog.sample('S')\n"
    )
    assert len(violations(planted, "cli/planted.py")) == 3


def _commands(group: Any, prefix: str = "") -> dict[str, Any]:
    """Every command of a (Typer) click group by its full name; a group with a callback counts as a command."""
    found: dict[str, Any] = {}
    for lazy in getattr(group, "lazy_commands", {}):  # the root imports its command groups on first use
        group.load_command(lazy)
    for name, command in group.commands.items():
        path = f"{prefix}{name}"
        if hasattr(command, "commands"):
            found.update(_commands(command, path + " "))
            if command.callback is not None:
                found[path] = command
        else:
            found[path] = command
    return found


def test_every_command_that_writes_or_reads_person_level_data_acts_as_a_user() -> None:
    commands = _commands(typer.main.get_command(app))
    missing = sorted(ACTING_COMMANDS - commands.keys())
    assert missing == [], f"commands renamed? {missing}"
    without = [name for name in sorted(ACTING_COMMANDS) if not any("--as" in p.opts for p in commands[name].params)]
    assert without == []
