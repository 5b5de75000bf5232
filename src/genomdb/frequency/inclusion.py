"""Which harmonised sample versions a release counts: the inclusion policy, in one place.

A sample version is counted when its batch is part of the release, it is current (not superseded, its
submission not withdrawn), the sample is not withdrawn, its person has not opted out of research use and it
passed sample QC. A person sequenced more than once is counted once, with their *best* sample: highest call
rate, then most callable bases, then the newest harmonisation, then the highest sample version id.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Collection, Sequence
from dataclasses import dataclass

from genomdb.frequency.records import CohortMember, ExclusionReason

POLICY_DESCRIPTION: dict[str, object] = {
    "requires": ["batch in release", "current version", "not withdrawn", "no research opt-out", "QC passed"],
    "one_sample_per_person": ["highest call rate", "most callable bases", "newest harmonisation", "highest sample id"],
}

_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


@dataclass(frozen=True, slots=True)
class InclusionDecision:
    """The counted sample versions (sorted by id) and why each other one is not counted."""

    included: tuple[CohortMember, ...]
    excluded: dict[int, ExclusionReason]

    def excluded_counts(self) -> dict[str, int]:
        counts: dict[str, int] = defaultdict(int)
        for reason in self.excluded.values():
            counts[reason.value] += 1
        return dict(sorted(counts.items()))


def _first_failure(member: CohortMember, batch_ids: Collection[str]) -> ExclusionReason | None:
    if member.batch_id not in batch_ids:
        return ExclusionReason.BATCH_NOT_IN_RELEASE
    if member.withdrawn:
        return ExclusionReason.WITHDRAWN
    if not member.current:
        return ExclusionReason.NOT_CURRENT
    if member.research_opt_out:
        return ExclusionReason.RESEARCH_OPT_OUT
    if not member.qc_passed:
        return ExclusionReason.QC_FAILED
    return None


def _preference(member: CohortMember) -> tuple[float, int, dt.datetime, int]:
    harmonised = member.harmonised_at or _EPOCH
    if harmonised.tzinfo is None:
        harmonised = harmonised.replace(tzinfo=dt.UTC)
    call_rate = member.call_rate if member.call_rate is not None else -1.0
    callable_bases = member.callable_bases if member.callable_bases is not None else -1
    return (call_rate, callable_bases, harmonised, member.sample_id)


def select_samples(cohort: Sequence[CohortMember], batch_ids: Collection[str]) -> InclusionDecision:
    """Apply the inclusion policy (module docs) to every harmonised sample version."""
    excluded: dict[int, ExclusionReason] = {}
    eligible: dict[str, list[CohortMember]] = defaultdict(list)
    for member in cohort:
        reason = _first_failure(member, batch_ids)
        if reason is None:
            eligible[member.person].append(member)
        else:
            excluded[member.sample_id] = reason
    included: list[CohortMember] = []
    for candidates in eligible.values():
        best = max(candidates, key=_preference)
        included.append(best)
        for other in candidates:
            if other is not best:
                excluded[other.sample_id] = ExclusionReason.DUPLICATE_PERSON
    included.sort(key=lambda m: m.sample_id)
    return InclusionDecision(tuple(included), excluded)
