"""Commands of access control: users, grants and the audit log. Every command acts as a named user."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated

import typer

from genomdb.access.audit import AuditLog
from genomdb.access.grants import create_grant, list_grants, revoke_grant
from genomdb.access.policy import Policy
from genomdb.access.records import (
    Action,
    AuditFilters,
    CatalogQuery,
    GrantScope,
    NewGrant,
    Purpose,
    Resource,
    Role,
    parse_interval,
)
from genomdb.access.users import add_user, list_users, register_key, set_user_active
from genomdb.cli.context import AsUser, acting, state
from genomdb.cli.output import Column, TsvFlag, console, print_json, print_listing
from genomdb.errors import IntegrityError

users_app = typer.Typer(
    help="Users: who acts, in which role, for which department, with which delivery key.", no_args_is_help=True
)
grants_app = typer.Typer(help="Grants: recorded access beyond the automatic rules (stewards).", no_args_is_help=True)
audit_app = typer.Typer(help="The tamper-evident audit log of every access decision.", no_args_is_help=True)

JsonFlag = Annotated[bool, typer.Option("--json", help="print JSON")]


def split_values(values: list[str] | None) -> tuple[str, ...]:
    """Repeated options and comma-separated lists, flattened: ``-s A,B -s C`` → (A, B, C)."""
    return tuple(v.strip() for value in values or () for v in value.split(",") if v.strip())


def _utc_day_end(day: dt.datetime) -> dt.datetime:
    return dt.datetime.combine(day.date(), dt.time(23, 59, 59), tzinfo=dt.UTC)


# --- users ---------------------------------------------------------------------------------------------


@users_app.command("add")
def users_add(
    username: Annotated[str, typer.Argument(help="the new user's name (lower case)")],
    role: Annotated[Role, typer.Option("--role", help="what the user does")],
    department: Annotated[
        str | None, typer.Option("--department", help="department code (not for stewards and admins)")
    ] = None,
    as_user: AsUser = None,
) -> None:
    """Create a user (stewards and admins; the first user of an instance needs no --as)."""
    with state.open() as instance:
        actor = acting(instance, as_user) if as_user else None
        user = add_user(instance, actor, username, role=role, department=department)
    where = f" in {user.department} ({user.region})" if user.department else ""
    console.print(f"[green]✓[/] user [bold]{user.username}[/]: {user.role}{where}")


@users_app.command("list")
def users_list(as_user: AsUser = None, as_json: JsonFlag = False, as_tsv: TsvFlag = False) -> None:
    """List users (stewards and admins)."""
    with state.open() as instance:
        users = list_users(instance, acting(instance, as_user))
    if as_json:
        print_json(users)
        return
    columns = [
        Column("user", identifier=True),
        Column("role"),
        Column("department"),
        Column("region", drop_order=1),
        Column("active"),
        Column("delivery key", drop_order=2),
    ]
    rows = [
        [
            user.username,
            user.role,
            user.department or "–",
            user.region or "–",
            "yes" if user.active else "no",
            "yes" if user.has_key else "no",
        ]
        for user in users
    ]
    print_listing(columns, rows, as_tsv=as_tsv)


@users_app.command("key")
def users_key(
    username: Annotated[str, typer.Argument(help="whose key")],
    public_key: Annotated[Path, typer.Argument(help="crypt4gh public key file (crypt4gh-keygen)")],
    as_user: AsUser = None,
) -> None:
    """Register the crypt4gh public key that working copies for this user are encrypted for."""
    with state.open() as instance:
        register_key(instance, acting(instance, as_user), username, public_key)
    console.print(f"[green]✓[/] deliveries to {username} are now encrypted for {public_key.name}")


@users_app.command("deactivate")
def users_deactivate(username: Annotated[str, typer.Argument()], as_user: AsUser = None) -> None:
    """Stop a user from acting (their history and audit entries stay)."""
    with state.open() as instance:
        set_user_active(instance, acting(instance, as_user), username, active=False)
    console.print(f"[green]✓[/] {username} is deactivated")


@users_app.command("activate")
def users_activate(username: Annotated[str, typer.Argument()], as_user: AsUser = None) -> None:
    """Let a deactivated user act again."""
    with state.open() as instance:
        set_user_active(instance, acting(instance, as_user), username, active=True)
    console.print(f"[green]✓[/] {username} is active")


# --- grants --------------------------------------------------------------------------------------------


@grants_app.command("add")
def grants_add(
    purpose: Annotated[Purpose, typer.Option("--purpose", help="treatment (a referral) or research (a project)")],
    legal_basis: Annotated[str, typer.Option("--legal-basis", help="the legal basis, e.g. the law and section")],
    expires: Annotated[dt.datetime, typer.Option("--expires", help="last day of validity (YYYY-MM-DD)")],
    to_user: Annotated[str | None, typer.Option("--to-user", help="the user the grant is for")] = None,
    to_department: Annotated[str | None, typer.Option("--to-department", help="…or the department it is for")] = None,
    persons: Annotated[list[str] | None, typer.Option("--persons", help="person pseudonyms (GDB-…)")] = None,
    samples: Annotated[list[str] | None, typer.Option("--samples", help="sample keys or department ids")] = None,
    query_region: Annotated[str | None, typer.Option("--query-region", help="samples of a region")] = None,
    query_department: Annotated[str | None, typer.Option("--query-department", help="samples of a department")] = None,
    query_platform: Annotated[str | None, typer.Option("--query-platform", help="ILLUMINA, ONT or PACBIO")] = None,
    query_format: Annotated[str | None, typer.Option("--query-format", help="samples with this file format")] = None,
    query_has_vcf: Annotated[bool | None, typer.Option("--query-has-vcf/--query-no-vcf")] = None,
    regions: Annotated[
        list[str] | None, typer.Option("--regions", help="only these regions, CHROM:START-END (1-based)")
    ] = None,
    panel: Annotated[list[str] | None, typer.Option("--panel", help="only these genes' spans, e.g. LDLR,BRCA2")] = None,
    referral: Annotated[str | None, typer.Option("--referral", help="referral id (treatment)")] = None,
    approval: Annotated[str | None, typer.Option("--approval", help="approval id (research)")] = None,
    project: Annotated[str | None, typer.Option("--project", help="project id (research; keys its pseudonyms)")] = None,
    as_user: AsUser = None,
    as_json: JsonFlag = False,
) -> None:
    """Grant a user or department access to persons, samples or a catalog query, for a purpose, until a date."""
    query = CatalogQuery(
        region=query_region,
        department=query_department,
        platform=query_platform,
        file_format=query_format,
        has_vcf=query_has_vcf,
    )
    new = NewGrant(
        scope=GrantScope(
            persons=split_values(persons),
            samples=split_values(samples),
            query=None if query.is_empty() else query,
            regions=tuple(parse_interval(r) for r in split_values(regions)),
            panel=split_values(panel),
        ),
        purpose=purpose,
        reference=(referral if purpose == Purpose.TREATMENT else approval) or "",
        legal_basis=legal_basis,
        expires_at=_utc_day_end(expires),
        grantee_user=to_user,
        grantee_department=to_department,
        project=project,
    )
    with state.open() as instance:
        grant = create_grant(instance, acting(instance, as_user), new)
    if as_json:
        print_json(grant)
        return
    console.print(
        f"[green]✓[/] grant [bold]{grant.grant_id}[/] to {grant.grantee}: {grant.purpose} ({grant.reference}), "
        f"{grant.scope.describe()}, until {grant.expires_at:%Y-%m-%d}"
    )


@grants_app.command("list")
def grants_list(
    include_inactive: Annotated[bool, typer.Option("--all", help="also expired and revoked grants")] = False,
    as_user: AsUser = None,
    as_json: JsonFlag = False,
    as_tsv: TsvFlag = False,
) -> None:
    """Grants: all of them for a steward, your own (and your department's) otherwise."""
    with state.open() as instance:
        grants = list_grants(instance, acting(instance, as_user), include_inactive=include_inactive)
    if as_json:
        print_json(grants)
        return
    now = dt.datetime.now(dt.UTC)
    columns = [
        Column("grant", identifier=True),
        Column("to", identifier=True),
        Column("purpose", drop_order=2),
        Column("reference", identifier=True, drop_order=3),
        Column("scope"),
        Column("expires"),
        Column("state"),
        Column("by", identifier=True, drop_order=1),
    ]
    rows = [
        [
            grant.grant_id,
            grant.grantee,
            grant.purpose + (f" {grant.project}" if grant.project else ""),
            grant.reference,
            grant.scope.describe(),
            f"{grant.expires_at:%Y-%m-%d}",
            grant.state(now),
            grant.granted_by,
        ]
        for grant in grants
    ]
    print_listing(columns, rows, as_tsv=as_tsv)


@grants_app.command("revoke")
def grants_revoke(
    grant_id: Annotated[str, typer.Argument(help="GRT-…")],
    reason: Annotated[str, typer.Option("--reason", help="why")],
    as_user: AsUser = None,
) -> None:
    """Revoke a grant from now on; decisions already made under it stay in the audit log."""
    with state.open() as instance:
        grant = revoke_grant(instance, acting(instance, as_user), grant_id, reason=reason)
    console.print(f"[green]✓[/] revoked {grant.grant_id} ({grant.grantee})")


# --- audit ---------------------------------------------------------------------------------------------


@audit_app.command("verify")
def audit_verify(as_user: AsUser = None) -> None:
    """Re-check the hash chain and its anchor: any edited, deleted, reordered or truncated entry is reported."""
    with state.open() as instance:
        actor = acting(instance, as_user)
        Policy(instance).require(actor, Action.READ_AUDIT, Resource("audit", "verify"))
        result = AuditLog(instance).verify()
    for problem in result.problems:
        console.print(f"[red]✗[/] {problem}")
    if not result.ok:
        raise IntegrityError(f"the audit log fails verification ({len(result.problems)} problem(s))")
    console.print(
        f"[green]✓[/] audit log intact: {result.n_entries} entries, chain head {result.head_seq} "
        f"({result.head_hash[:16]}…) matches the anchor outside the catalog"
    )


@audit_app.command("show")
def audit_show(
    person: Annotated[str | None, typer.Option("--person", help="decisions about this person (GDB-…)")] = None,
    user: Annotated[str | None, typer.Option("--user", help="decisions for this user")] = None,
    since: Annotated[dt.datetime | None, typer.Option("--since", help="from this day on (YYYY-MM-DD)")] = None,
    action: Annotated[str | None, typer.Option("--action", help="e.g. read-data, manage-grants")] = None,
    refused: Annotated[bool | None, typer.Option("--refused/--allowed", help="only refusals, or only allowed")] = None,
    limit: Annotated[int, typer.Option(help="at most this many entries")] = 1000,
    as_user: AsUser = None,
    as_json: JsonFlag = False,
    as_tsv: TsvFlag = False,
) -> None:
    """Who did, or was refused, what: e.g. `--person GDB-…` answers who saw this person's data (stewards)."""
    filters = AuditFilters(
        person=person,
        actor=user,
        since=since.replace(tzinfo=dt.UTC) if since else None,
        action=action,
        decision=None if refused is None else ("refused" if refused else "allowed"),
        limit=limit,
    )
    with state.open() as instance:
        actor = acting(instance, as_user)
        Policy(instance).require(
            actor,
            Action.READ_AUDIT,
            Resource("audit", person or user or "*"),
            detail={"person": person, "user": user, "since": since.date().isoformat() if since else None},
        )
        entries = AuditLog(instance).search(filters)
    if as_json:
        print_json(entries)
        return
    columns = [
        Column("#", identifier=True, justify="right"),
        Column("when (UTC)", drop_order=1),
        Column("user", identifier=True),
        Column("action"),
        Column("resource"),
        Column("person", identifier=True),
        Column("decision"),
        Column("rule / grant", drop_order=2),
    ]
    rows = [
        [
            str(entry.seq),
            entry.at.strftime("%Y-%m-%d %H:%M"),
            entry.actor,
            entry.action,
            f"{entry.resource_kind} {entry.resource_id}",
            entry.person or "",
            entry.decision,
            entry.rule + (f" {entry.grant_id}" if entry.grant_id else ""),
        ]
        for entry in entries
    ]
    print_listing(columns, rows, as_tsv=as_tsv)
    if not as_tsv:
        console.print(f"{len(entries)} entr{'y' if len(entries) == 1 else 'ies'}")
