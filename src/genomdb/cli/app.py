"""The ``genomdb`` command: one Typer app, one module per command group."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Annotated

import typer

from genomdb import __version__
from genomdb.cli import catalog_cmd, classify_cmd, demo_cmd, ingest_cmd, store_cmd
from genomdb.cli.context import state
from genomdb.cli.output import console, report_error
from genomdb.errors import GenomdbError
from genomdb.privacy import check_arguments

app = typer.Typer(
    name="genomdb",
    help="genomdb — the national genome database: data-in, catalogue, frequencies, classifications, data-out.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode="rich",
)


def _version(value: bool) -> None:
    if value:
        console.print(f"genomdb {__version__}")
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


app.command("init")(ingest_cmd.init)
app.command("submit")(ingest_cmd.submit)
app.command("demo")(demo_cmd.demo)
app.add_typer(ingest_cmd.manifest_app, name="manifest")
app.add_typer(ingest_cmd.reference_app, name="reference")
app.add_typer(catalog_cmd.app, name="catalog")
app.add_typer(store_cmd.app, name="store")
app.add_typer(classify_cmd.app, name="classify")


from genomdb.cli import frequency_cmd  # noqa: E402

app.add_typer(frequency_cmd.release_app, name="release")
app.add_typer(frequency_cmd.freq_app, name="freq")

from genomdb.cli import serve_cmd  # noqa: E402

app.command("serve")(serve_cmd.serve)
app.add_typer(serve_cmd.tokens_app, name="tokens")


from genomdb.cli import harmonize_cmd  # noqa: E402

app.command("harmonize")(harmonize_cmd.harmonize)
app.add_typer(harmonize_cmd.qc_app, name="qc")


from genomdb.cli import access_cmd, dataout_cmd  # noqa: E402

app.add_typer(access_cmd.users_app, name="users")
app.add_typer(access_cmd.grants_app, name="grants")
app.add_typer(access_cmd.audit_app, name="audit")
app.add_typer(dataout_cmd.app, name="out")
store_cmd.app.command("tier")(dataout_cmd.tier)

from genomdb.cli import pgx_cmd  # noqa: E402

app.add_typer(pgx_cmd.app, name="pgx")


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
        report_error(exc)
        sys.exit(exc.exit_code)
