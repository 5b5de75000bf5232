"""What the root command learnt (the instance home), how commands open the instance, and who a command acts as.

Kept cheap to import: the root command loads this module for every invocation, so configuration, the instance and
the access code are imported by the functions that need them.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    from genomdb.access.records import Actor
    from genomdb.config import Settings
    from genomdb.instance import Instance


@dataclass
class CliState:
    home: Path | None = None

    def settings(self) -> Settings:
        from genomdb.config import Settings

        return Settings(home=self.home) if self.home is not None else Settings()

    def open(self) -> Instance:
        from genomdb.instance import Instance

        return Instance.open(self.settings())


state = CliState()

AsUser = Annotated[
    str | None,
    typer.Option("--as", envvar="GENOMDB_USER", help="act as this user [env GENOMDB_USER]", show_default=False),
]
"""The operator's identity: every command that writes, or reads person-level data, acts as a named user."""


def acting(instance: Instance, username: str | None, *, needed_for: str | None = None) -> Actor:
    """The active user a command runs as; refused (and audited) when unknown or deactivated. Without a user:
    refused, saying what needs one (``needed_for``, e.g. "person-level reads") and how to give it."""
    from genomdb.access.users import resolve_actor
    from genomdb.errors import Forbidden

    if not username and needed_for is not None:
        raise Forbidden(
            f"{needed_for} need --as USER or GENOMDB_USER: the access policy decides what that user may do, and "
            "records it in the audit log (an administrator creates users with `genomdb users add`)"
        )
    return resolve_actor(instance, username)


def acting_or_nobody(instance: Instance, username: str | None) -> Actor | None:
    """The user a command runs as, or None when it acts as nobody (commands whose public part needs no one)."""
    return acting(instance, username) if username else None


def operating(instance: Instance, username: str | None, job: str) -> Actor:
    """The user an operator job (harmonise, release build, store gc/verify/scrub, the PGx batch) runs as: named,
    and allowed by the access policy (data stewards), the decision in the audit log."""
    from genomdb.access.policy import Policy
    from genomdb.access.records import Action, Resource

    actor = acting(instance, username, needed_for=f"operator jobs ({job})")
    Policy(instance).require(actor, Action.OPERATE, Resource("instance", job), detail={"via": "cli", "request": job})
    return actor
