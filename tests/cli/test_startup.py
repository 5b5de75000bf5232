"""The shell starts at once: importing the root command loads no heavy library and no command module."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
import typer.main

from genomdb.cli.app import COMMANDS, app

HEAVY = ("pyarrow", "duckdb", "pysam", "sqlalchemy", "fastapi", "pydantic", "genomdb.instance", "genomdb.config")


def _modules_after(code: str) -> set[str]:
    probe = f"{code}\nimport sys, json\nprint(json.dumps(sorted(sys.modules)))"
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    return set(json.loads(result.stdout.splitlines()[-1]))


def test_importing_the_app_imports_nothing_heavy() -> None:
    loaded = _modules_after("import genomdb.cli.app")
    assert not loaded & set(HEAVY)
    assert not {m for m in loaded if m.endswith("_cmd") and m.startswith("genomdb.cli.")}


def test_root_help_imports_nothing_heavy() -> None:
    code = (
        "import sys\nfrom genomdb.cli.app import app\nsys.argv = ['genomdb', '--help']\n"
        "try:\n    app()\nexcept SystemExit:\n    pass"
    )
    loaded = _modules_after(code)
    assert not loaded & set(HEAVY)
    assert not {m for m in loaded if m.endswith("_cmd") and m.startswith("genomdb.cli.")}


def test_a_group_loads_only_its_own_module() -> None:
    code = (
        "import sys\nfrom genomdb.cli.app import app\nsys.argv = ['genomdb', 'manifest', '--help']\n"
        "try:\n    app()\nexcept SystemExit:\n    pass"
    )
    commands = {m for m in _modules_after(code) if m.startswith("genomdb.cli.") and m.endswith("_cmd")}
    assert commands == {"genomdb.cli.ingest_cmd"}


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_listed_help_is_the_commands_own(name: str) -> None:
    """The one-line help the root lists without importing matches the loaded command's help."""
    group = typer.main.get_command(app)
    real = group.load_command(name)  # type: ignore[attr-defined]
    assert real is not None
    own = (real.help or "").strip().split("\n\n")[0].replace("\n", " ")
    assert own == COMMANDS[name].short_help
