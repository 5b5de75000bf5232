"""Liveness and readiness: is the catalog reachable, is the blob store, is there a release to answer from."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import text

from genomdb.api.context import ServiceContext
from genomdb.errors import GenomdbError

_PROBE = "0" * 64


@dataclass(frozen=True, slots=True)
class Check:
    name: str
    ok: bool
    detail: str


@dataclass(frozen=True, slots=True)
class Readiness:
    ready: bool
    checks: tuple[Check, ...]


def readiness(context: ServiceContext) -> Readiness:
    """Ready when the catalog answers and the blob store can be read; the newest release is reported, not needed."""
    checks: list[Check] = []
    try:
        with context.instance.db.session() as session:
            session.execute(text("SELECT 1"))
        checks.append(Check("catalog", True, context.instance.catalog.backend))
    except Exception:
        checks.append(Check("catalog", False, "the catalog database does not answer"))
    try:
        context.instance.blobs.exists(_PROBE)
        checks.append(Check("blob store", True, "readable"))
    except Exception:
        checks.append(Check("blob store", False, "the blob store cannot be read"))
    try:
        release = context.releases.info()
        checks.append(Check("frequency release", True, release.release_id))
    except GenomdbError as exc:
        checks.append(Check("frequency release", True, exc.message))
    except Exception:
        checks.append(Check("frequency release", False, "the frequency releases cannot be listed"))
    return Readiness(all(c.ok for c in checks if c.name != "frequency release"), tuple(checks))
