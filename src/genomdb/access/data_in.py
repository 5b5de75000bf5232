"""Data-in through the access policy, for every surface (REST service and CLI alike).

A submission is a write to the catalogue and the store: it is decided (and audited) by the one policy before the
manifest is validated, so that nobody without the right records anything, not even a rejection.
"""

from __future__ import annotations

from genomdb.access.catalog_reads import Via, require_submission
from genomdb.access.policy import Policy
from genomdb.access.records import Action, Actor, Resource
from genomdb.instance import Instance


def require_submit(instance: Instance, actor: Actor, department: str | None, *, corrects: str | None, via: Via) -> None:
    """Forbidden (decided and audited) unless the actor submits for ``department``, the code the manifest names
    (None when the manifest cannot be read that far: then only the policy's role rule can allow, and the
    submitter's own department stands in, so that the rejection report is recorded where it belongs). A correction
    also needs the corrected submission to be readable by the actor (the same refusal for an unknown id)."""
    named = department if department is not None else actor.department
    resource = Resource("submission", corrects or "new", departments=(named,) if named else ())
    request = "correct submission" if corrects else "submit"
    Policy(instance).require(actor, Action.SUBMIT, resource, detail={"via": via, "request": request})
    if corrects is not None:
        require_submission(instance, actor, corrects, via=via, request=request)
