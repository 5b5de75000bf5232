"""``genomdb serve`` (the web service) and ``genomdb tokens`` (API tokens for it)."""

from __future__ import annotations

import os
from typing import Annotated

import typer

from genomdb.cli.context import state
from genomdb.cli.output import Column, TsvFlag, console, print_json, print_listing

tokens_app = typer.Typer(help="API tokens of the web service: create, list, revoke.", no_args_is_help=True)

ActingUser = Annotated[
    str | None, typer.Option("--as", envvar="GENOMDB_USER", help="the steward or admin acting [env GENOMDB_USER]")
]


def serve(
    host: Annotated[str, typer.Option(help="interface to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port")] = 8000,
    workers: Annotated[
        int, typer.Option(help="worker processes (each keeps its own public query budget: see docs/api.md)")
    ] = 1,
    access_log: Annotated[bool, typer.Option("--access-log/--no-access-log", help="log every request")] = True,
) -> None:
    """Serve the instance: REST API (/docs), GA4GH Beacon v2 (/api/beacon) and the variant browser (/)."""
    import uvicorn

    from genomdb.api.app import create_app
    from genomdb.api.settings import ServiceSettings

    settings = state.settings()
    service = ServiceSettings()
    console.print(
        f"genomdb serving {settings.resolved_home()} on [bold]http://{host}:{port}/[/]  "
        f"(API docs /docs, Beacon /api/beacon); Ctrl-C stops"
    )
    if workers > 1:
        os.environ.setdefault("GENOMDB_HOME", str(settings.resolved_home()))
        uvicorn.run(
            "genomdb.api.app:create_app_from_environment",
            factory=True,
            host=host,
            port=port,
            workers=workers,
            access_log=access_log,
            proxy_headers=False,
        )
        return
    uvicorn.run(
        create_app(settings, service, freeze_gc=True), host=host, port=port, access_log=access_log, proxy_headers=False
    )


@tokens_app.command("create")
def create(
    username: Annotated[str, typer.Argument(help="the user the token stands for")],
    days: Annotated[int, typer.Option(help="days until it expires (at most 366)")] = 90,
    label: Annotated[str, typer.Option(help="what the token is for, shown in lists")] = "",
    acting: ActingUser = None,
    as_json: Annotated[bool, typer.Option("--json", help="print JSON")] = False,
) -> None:
    """Issue a token; it is printed once and only its hash is kept."""
    from genomdb.access.tokens import create_token
    from genomdb.access.users import resolve_actor

    with state.open() as instance:
        issued = create_token(instance, resolve_actor(instance, acting), username, days_valid=days, label=label)
    if as_json:
        print_json({"token": issued.secret, **_token_fields(issued.token)})
        return
    console.print(
        f"[green]✓[/] token {issued.token.token_id} for {username}, expires {issued.token.expires_at:%Y-%m-%d}. "
        "Shown once — keep it secret:",
        highlight=False,
    )
    typer.echo(issued.secret)


def _token_fields(token: object) -> dict[str, object]:
    from genomdb.access.records import ApiToken
    from genomdb.db.base import utcnow

    assert isinstance(token, ApiToken)
    return {
        "token_id": token.token_id,
        "username": token.username,
        "label": token.label,
        "created_at": token.created_at,
        "expires_at": token.expires_at,
        "created_by": token.created_by,
        "revoked_at": token.revoked_at,
        "state": token.state(utcnow()),
    }


@tokens_app.command("list")
def list_(
    username: Annotated[str | None, typer.Argument(help="only this user's tokens")] = None,
    acting: ActingUser = None,
    as_json: Annotated[bool, typer.Option("--json", help="print JSON")] = False,
    as_tsv: TsvFlag = False,
) -> None:
    """List tokens (never their secrets)."""
    from genomdb.access.tokens import list_tokens
    from genomdb.access.users import resolve_actor

    with state.open() as instance:
        found = list_tokens(instance, resolve_actor(instance, acting), username=username)
    rows = [_token_fields(t) for t in found]
    if as_json:
        print_json(rows)
        return
    columns = [
        Column("token", identifier=True),
        Column("user", identifier=True),
        Column("state"),
        Column("expires"),
        Column("created by", identifier=True, drop_order=2),
        Column("label", drop_order=1),
    ]
    cells = [
        [
            str(row["token_id"]),
            str(row["username"]),
            str(row["state"]),
            f"{row['expires_at']:%Y-%m-%d}" if hasattr(row["expires_at"], "strftime") else str(row["expires_at"]),
            str(row["created_by"] or "–"),
            str(row["label"]),
        ]
        for row in rows
    ]
    print_listing(columns, cells, as_tsv=as_tsv)


@tokens_app.command("revoke")
def revoke(
    token_id: Annotated[str, typer.Argument(help="the token's id (the part after gdb_)")],
    acting: ActingUser = None,
) -> None:
    """Revoke a token from now on."""
    from genomdb.access.tokens import revoke_token
    from genomdb.access.users import resolve_actor

    with state.open() as instance:
        token = revoke_token(instance, resolve_actor(instance, acting), token_id)
    console.print(f"[green]✓[/] token {token.token_id} of {token.username} revoked")
