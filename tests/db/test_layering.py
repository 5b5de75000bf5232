"""The layout is the architecture: imports point down, and each domain's tables stay inside that domain.

Shells (``api``, ``cli``) may import anything. Domains may import the base (``db``, ``storage``, ``refdata``, ``model``,
``errors``, ``config``, ``pseudonyms``, the composition root ``instance``) and other domains' public modules, never a
shell and never another domain's ``tables``. The base imports no domain and no shell. Inside a domain, only its
persistence modules (repositories) touch its tables, so ORM rows cannot leak into services.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "src" / "genomdb"
SHELLS = {"api", "cli"}
BASE = {"db", "storage", "refdata", "model", "errors", "config", "pseudonyms", "__init__"}
ROOT = "instance"
"""The composition root: wires the catalogue and the stores together; domains may import it, it imports no shell."""
PERSISTENCE_MODULES = {
    "repository", "token_repository", "budget_repository", "rows", "writer", "search", "facts", "relations", "tables",
}  # fmt: skip
"""Modules of a domain that may import its ``tables``: the repository and the parts it is split into."""


def _modules() -> Iterator[tuple[str, Path]]:
    for path in sorted(PACKAGE.rglob("*.py")):
        relative = path.relative_to(PACKAGE.parent).with_suffix("")
        yield ".".join(relative.parts), path


def _imports(path: Path) -> Iterator[tuple[int, str]]:
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            yield node.lineno, node.module
            for alias in node.names:
                yield node.lineno, f"{node.module}.{alias.name}"
        elif isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name


def _top(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else ""


def _violations() -> list[str]:
    found: list[str] = []
    for module, path in _modules():
        here = _top(module)
        is_migration = "migrations" in module.split(".")
        for line, imported in _imports(path):
            if not imported.startswith("genomdb."):
                continue
            there = _top(imported)
            where = f"{path.relative_to(PACKAGE.parent)}:{line} imports {imported}"
            if here in BASE and there not in BASE | {ROOT}:
                found.append(f"{where}: the base must not import a domain or a shell")
            if here not in SHELLS and there in SHELLS:
                found.append(f"{where}: only shells import shells")
            parts = imported.split(".")
            if len(parts) >= 3 and parts[2] == "tables" and here != "db":
                if there != here:
                    found.append(f"{where}: a domain's tables are its own (use its repository or relations)")
                elif module.split(".")[-1] not in PERSISTENCE_MODULES and not is_migration:
                    found.append(f"{where}: only the domain's repository modules touch its tables")
    return found


def test_the_package_layout_is_present() -> None:
    for domain in ("catalog", "access", "classification", "frequency", "variants", "dataout"):
        assert (PACKAGE / domain / "tables.py").exists(), domain
        assert (PACKAGE / domain / "repository.py").exists(), domain
    assert not list((PACKAGE / "catalog").glob("*_tables.py")), "catalog/ holds only the metadata catalogue"


def test_imports_point_down_and_tables_stay_home() -> None:
    assert _violations() == []


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("from genomdb.classification.tables import X\n", "a domain's tables are its own"),
        ("from genomdb.api.app import create_app\n", "only shells import shells"),
    ],
)
def test_the_checker_sees_a_violation(
    tmp_path: Path, source: str, expected: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The rule can fail: a frequency module that imports another domain's tables or a shell is reported."""
    offender = PACKAGE / "frequency" / "_layering_probe.py"
    monkeypatch.setattr(Path, "rglob", lambda self, pattern: iter([offender]))
    monkeypatch.setattr(Path, "read_text", lambda self, *a, **k: source)
    assert any(expected in v for v in _violations())
