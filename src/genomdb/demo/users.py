"""The demo's users, so that the tour's commands can act as someone (``--as USER`` or ``GENOMDB_USER``): an
administrator, a data steward, and one clinician and one submitter per department (``clinician-rh-kg``,
``submitter-rh-kg`` …). Creating them again changes nothing."""

from __future__ import annotations

from genomdb.access.records import Actor, Role
from genomdb.access.repository import AccessRepository
from genomdb.access.users import add_user, resolve_actor
from genomdb.instance import Instance

ADMIN = "admin"
STEWARD = "steward"


def clinician_name(department: str) -> str:
    """The demo clinician of a department, e.g. ``clinician-rh-kg``."""
    return f"clinician-{department.lower()}"


def submitter_name(department: str) -> str:
    """The demo submitter of a department, e.g. ``submitter-rh-kg``."""
    return f"submitter-{department.lower()}"


def ensure_demo_users(instance: Instance) -> list[Actor]:
    """The demo's users (created when missing), administrator and steward first, then by department."""
    repository = AccessRepository(instance.db)
    if repository.n_users() == 0:
        add_user(instance, None, ADMIN, role=Role.ADMIN, department=None)
    admin = resolve_actor(instance, ADMIN)
    wanted: list[tuple[str, Role, str | None]] = [(STEWARD, Role.STEWARD, None)]
    for department in instance.catalog.departments():
        wanted.append((clinician_name(department.code), Role.CLINICIAN, department.code))
        wanted.append((submitter_name(department.code), Role.SUBMITTER, department.code))
    actors = [admin]
    for username, role, department_code in wanted:
        if repository.user(username) is None:
            add_user(instance, admin, username, role=role, department=department_code)
        actors.append(resolve_actor(instance, username))
    return actors
