"""Wire schemas of early detection (``/api/screening``) and their mappers from domain records."""

from __future__ import annotations

import datetime as dt
from typing import Any

from pydantic import BaseModel, Field

from genomdb.screening.capacity import Backlog
from genomdb.screening.cascade import CascadeYield
from genomdb.screening.diff import FindingChange
from genomdb.screening.policy import ProgrammePolicy
from genomdb.screening.records import Finding, RelativeEntry, ScreeningRun


class GeneOut(BaseModel):
    symbol: str
    chrom: str
    start_1based: int
    end_1based: int
    inheritance: str
    rule: str
    actionable: str
    risk_class: str
    max_credible_faf95: float


class ProgrammeOut(BaseModel):
    programme: str
    policy_version: str
    schema_version: int
    title: str
    clinic: str
    priority: list[str]
    genes: list[GeneOut]

    @classmethod
    def of(cls, policy: ProgrammePolicy) -> ProgrammeOut:
        return cls(
            programme=policy.programme,
            policy_version=policy.policy_version,
            schema_version=policy.schema_version,
            title=policy.title,
            clinic=policy.clinic,
            priority=list(policy.priority),
            genes=[
                GeneOut(
                    symbol=g.symbol,
                    chrom=g.chrom,
                    start_1based=g.start_1based,
                    end_1based=g.end_1based,
                    inheritance=g.inheritance,
                    rule=g.rule,
                    actionable=g.describe(),
                    risk_class=g.risk_class,
                    max_credible_faf95=g.max_credible_faf95,
                )
                for g in policy.genes
            ],
        )


class PolicyIn(BaseModel):
    yaml: str = Field(description="the edited policy document (YAML), validated like `genomdb screen policy load`")
    name: str = Field(default="policy.yaml", max_length=200, description="how errors name the document")


class RunIn(BaseModel):
    programme: str
    cohort: list[str] = Field(default_factory=list, description="department or region codes [default: everyone]")
    as_of: str | None = Field(default=None, description="the national variant database as of YYYY-MM-DD")


class RunOut(BaseModel):
    run_id: str
    programme: str
    policy_version: str
    as_of: dt.datetime | None
    cohort: list[str]
    release_id: str | None
    classification_versions: dict[str, list[str]]
    flagged_variants: dict[str, str]
    n_samples: int
    n_reported: int
    n_flagged: int
    created_by: str
    created_at: dt.datetime

    @classmethod
    def of(cls, run: ScreeningRun) -> RunOut:
        return cls.model_validate(run, from_attributes=True)


class RunsOut(BaseModel):
    runs: list[RunOut]


class RunOutcomeOut(BaseModel):
    run: RunOut
    previous_run_id: str | None
    n_newly_actionable: int
    n_no_longer_actionable: int
    n_cascade_entries_added: int


class FindingOut(BaseModel):
    pseudonym: str
    sample_key: str
    department: str
    region: str
    birth_year: int | None
    gene: str
    risk_class: str
    rule: str
    variants: list[dict[str, Any]]

    @classmethod
    def of(cls, finding: Finding) -> FindingOut:
        return cls(
            pseudonym=finding.pseudonym,
            sample_key=finding.sample_key,
            department=finding.department,
            region=finding.region,
            birth_year=finding.birth_year,
            gene=finding.gene,
            risk_class=finding.risk_class,
            rule=finding.rule,
            variants=[v.to_json() for v in finding.variants],
        )


class WorklistOut(BaseModel):
    run: RunOut
    findings: list[FindingOut]


class ChangeOut(BaseModel):
    direction: str
    finding: FindingOut
    reasons: list[str]

    @classmethod
    def of(cls, change: FindingChange) -> ChangeOut:
        return cls(direction=change.direction, finding=FindingOut.of(change.finding), reasons=list(change.reasons))


class DiffOut(BaseModel):
    before: str
    after: str
    changes: list[ChangeOut]


class StatusOut(BaseModel):
    status: str
    at: dt.datetime
    by: str
    result: str | None


class RelativeOut(BaseModel):
    entry_id: str
    programme: str
    index_pseudonym: str
    relative_pseudonym: str
    gene: str
    variant_keys: list[str]
    relation: str
    degree: int
    genome_status: str
    status: str
    result: str | None
    history: list[StatusOut]

    @classmethod
    def of(cls, entry: RelativeEntry) -> RelativeOut:
        return cls.model_validate(entry, from_attributes=True)


class YieldOut(BaseModel):
    index_pseudonym: str
    n_relatives: int
    n_known: int
    n_carriers: int

    @classmethod
    def of(cls, found: CascadeYield) -> YieldOut:
        return cls.model_validate(found, from_attributes=True)


class CascadeOut(BaseModel):
    relatives: list[RelativeOut]
    yields: list[YieldOut]


class StatusIn(BaseModel):
    status: str
    result: str | None = None
    index: str | None = Field(default=None, description="the index case, when the relative is on several worklists")


class CapacityIn(BaseModel):
    monthly_capacity: int | str = Field(description="referrals the clinic takes a month: a whole number ≥ 0")


class BacklogOut(BaseModel):
    programme: str
    region: str
    monthly_capacity: int | None
    n_queued: int
    n_relatives_queued: int
    """Of ``n_queued``, relatives from the cascade worklists who consented and wait for their test."""
    n_released_this_month: int
    months_to_clear: int | None

    @classmethod
    def of(cls, backlog: Backlog) -> BacklogOut:
        return cls.model_validate(backlog, from_attributes=True)


class BacklogsOut(BaseModel):
    backlogs: list[BacklogOut]


class ReleaseOut(BaseModel):
    n_released: int
    backlogs: list[BacklogOut]


class FlagIn(BaseModel):
    does_not_want_to_know: bool


class FlagOut(BaseModel):
    pseudonym: str
    does_not_want_to_know: bool
    changed: bool
