"""The ``genomdb`` command: one Typer app, one module per command group, each imported only when used."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Annotated

import typer

from genomdb import __version__
from genomdb.cli.context import state
from genomdb.cli.lazy import LazyCommand, LazyGroup
from genomdb.errors import GenomdbError
from genomdb.privacy import check_arguments

COMMANDS: dict[str, LazyCommand] = {
    "init": LazyCommand(
        "genomdb.cli.ingest_cmd",
        "init",
        "Create the instance home: catalog, blob store, and secrets (kept outside the catalog, mode 0600).",
    ),
    "submit": LazyCommand(
        "genomdb.cli.ingest_cmd",
        "submit",
        "Validate a submission and store it; bad input is rejected as a whole with a full report.",
    ),
    "upload": LazyCommand(
        "genomdb.cli.upload_cmd",
        "upload",
        "Send files to the store's upload area for a later submission; a rerun resumes an interrupted upload.",
    ),
    "demo": LazyCommand(
        "genomdb.cli.demo_cmd",
        "demo",
        "Simulate a cohort, submit it, harmonise it, build a frequency release and load classifications.",
    ),
    "serve": LazyCommand(
        "genomdb.cli.serve_cmd",
        "serve",
        "Serve the instance: REST API (/docs), GA4GH Beacon v2 (/api/beacon) and the variant browser (/).",
    ),
    "harmonize": LazyCommand(
        "genomdb.cli.harmonize_cmd",
        "harmonize",
        "Normalise accepted VCF/gVCF files not yet harmonised into one new variant-store batch, with sample QC.",
    ),
    "freq": LazyCommand(
        "genomdb.cli.frequency_cmd",
        "freq_app",
        "Allele frequencies: `genomdb freq chr19-11089362-G-A`, `… chr19:11.08M-11.10M`, `… --gene LDLR`.",
    ),
    "catalog": LazyCommand(
        "genomdb.cli.catalog_cmd",
        "app",
        "Search and inspect the metadata catalogue (as a user: --as USER or GENOMDB_USER).",
    ),
    "classify": LazyCommand(
        "genomdb.cli.classify_cmd",
        "app",
        "The national variant database: departments' classifications, the national view, conflicts.",
    ),
    "release": LazyCommand("genomdb.cli.frequency_cmd", "release_app", "Build and inspect frequency releases."),
    "qc": LazyCommand(
        "genomdb.cli.harmonize_cmd",
        "qc_app",
        "Sample QC of harmonised samples: genetic sex, call rate, Ti/Tv, flags.",
    ),
    "manifest": LazyCommand("genomdb.cli.ingest_cmd", "manifest_app", "The submission manifest: its JSON Schema."),
    "reference": LazyCommand(
        "genomdb.cli.ingest_cmd", "reference_app", "Reference genome FASTA files of the instance."
    ),
    "store": LazyCommand(
        "genomdb.cli.store_cmd",
        "app",
        "The store: garbage collection, integrity checks, tiers, capacity plan and migration.",
    ),
    "tokens": LazyCommand(
        "genomdb.cli.serve_cmd", "tokens_app", "API tokens of the web service: create, list, revoke."
    ),
    "users": LazyCommand(
        "genomdb.cli.access_cmd",
        "users_app",
        "Users: who acts, in which role, for which department, with which delivery key.",
    ),
    "grants": LazyCommand(
        "genomdb.cli.access_cmd",
        "grants_app",
        "Grants: recorded access beyond the automatic rules (stewards).",
    ),
    "audit": LazyCommand(
        "genomdb.cli.access_cmd", "audit_app", "The tamper-evident audit log of every access decision."
    ),
    "out": LazyCommand(
        "genomdb.cli.dataout_cmd",
        "app",
        "Working copies: request, check and fetch them; htsget tickets and DRS objects.",
    ),
    "pgx": LazyCommand(
        "genomdb.cli.pgx_cmd",
        "app",
        "Pharmacogenetics: diplotypes, phenotypes and CPIC recommendations (PharmCAT semantics).",
    ),
    "screen": LazyCommand(
        "genomdb.cli.screen_cmd",
        "app",
        "Early detection: FH and breast-cancer programmes, carriers, cascade testing of relatives, clinic capacity, "
        "relatedness, polygenic scores and CanRisk pedigrees.",
    ),
}
"""Every command of the root, in the order ``genomdb --help`` lists them."""


class GenomdbGroup(LazyGroup):
    lazy_commands = COMMANDS


app = typer.Typer(
    name="genomdb",
    cls=GenomdbGroup,
    help="genomdb — the national genome database: data-in, catalogue, frequencies, classifications, data-out.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode="rich",
)


def _version(value: bool) -> None:
    if value:
        print(f"genomdb {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    home: Annotated[
        Path | None,
        typer.Option("--home", envvar="GENOMDB_HOME", help="instance home folder [default: ./genomdb-home]"),
    ] = None,
    version: Annotated[bool, typer.Option("--version", callback=_version, is_eager=True)] = False,
) -> None:
    state.home = home


def main() -> None:
    """Entry point: run the app and map genomdb errors to exit codes in one place.

    Every argument is checked by the CPR guard before Typer parses it, so no command, usage error, look-up or
    audit entry ever sees a CPR number.
    """
    try:
        check_arguments(sys.argv[1:])
        check_arguments(
            [f"{k}={v}" for k, v in sorted(os.environ.items()) if k.startswith("GENOMDB_")], source="environment"
        )
        app()
    except GenomdbError as exc:
        from genomdb.cli.output import report_error

        report_error(exc)
        sys.exit(exc.exit_code)
    except Exception as exc:
        from genomdb.storage.s3 import object_store_error

        problem = object_store_error(exc, _store_shown())
        if problem is None:
            raise
        from genomdb.cli.output import report_error

        report_error(problem)
        sys.exit(problem.exit_code)


def _store_shown() -> str | None:
    """The store URL as it may be printed (no credentials can be in it: such URLs are refused)."""
    try:
        return state.settings().resolved_store_url()
    except Exception:
        return None
