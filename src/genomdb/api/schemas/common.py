"""Schemas shared by every router: the problem document and the caller."""

from __future__ import annotations

from pydantic import BaseModel, Field

from genomdb.api.context import Caller


class ProblemOut(BaseModel):
    """An RFC 9457 problem document (``application/problem+json``)."""

    type: str = Field(examples=["tag:genomdb,2026:problem/invalid-input"])
    title: str
    status: int
    detail: str
    instance: str
    problems: list[dict[str, str | None]] | None = Field(default=None, description="every problem of invalid input")
    retry_after_seconds: int | None = None
    resets_at: str | None = Field(default=None, description="when a spent budget over days comes back (UTC)")
    incident: str | None = Field(default=None, description="id under which an internal error was logged")
    submission_id: str | None = Field(default=None, description="the rejected submission, when one was recorded")


PROBLEMS: dict[int | str, dict[str, object]] = {
    status: {"model": ProblemOut, "content": {"application/problem+json": {}}}
    for status in (400, 401, 403, 404, 409, 413, 422, 429, 503)
}


class CallerOut(BaseModel):
    username: str | None
    role: str | None
    department: str | None
    region: str | None
    max_tier: str

    @classmethod
    def of(cls, caller: Caller) -> CallerOut:
        actor = caller.actor
        return cls(
            username=actor.username if actor else None,
            role=actor.role.value if actor else None,
            department=actor.department if actor else None,
            region=actor.region if actor else None,
            max_tier=caller.max_tier.value,
        )


class CheckOut(BaseModel):
    name: str
    ok: bool
    detail: str


class HealthOut(BaseModel):
    status: str
    checks: list[CheckOut] = []
