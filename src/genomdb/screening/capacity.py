"""Clinic capacity: per region and programme, how many referrals the lipid or cancer clinic takes a month.

The worklist of a programme (reported findings of its newest run, not yet referred) is queued per region in the
policy's priority order (e.g. risk class, then youngest first); a release refers what this month's capacity still
allows and keeps the rest queued — nothing is dropped. The projection says how many months each backlog needs.
"""

from __future__ import annotations

import datetime as dt
import math
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from genomdb.errors import InvalidInput, Problem
from genomdb.screening.policy import ProgrammePolicy
from genomdb.screening.records import Capacity, Finding, Referral


@dataclass(frozen=True, slots=True)
class QueuedReferral:
    finding: Finding
    position: int
    """1-based place in the region's queue."""


@dataclass(frozen=True, slots=True)
class Backlog:
    """One region's queue for one programme, with what capacity makes of it."""

    programme: str
    region: str
    monthly_capacity: int | None
    """None: no capacity set (nothing is released)."""
    n_queued: int
    n_released_this_month: int

    @property
    def months_to_clear(self) -> int | None:
        """Months until the queue is empty at this capacity (0: empty; None: never, no capacity)."""
        if self.n_queued == 0:
            return 0
        if not self.monthly_capacity:
            return None
        left_this_month = max(0, self.monthly_capacity - self.n_released_this_month)
        rest = max(0, self.n_queued - left_this_month)
        return (1 if left_this_month else 0) + math.ceil(rest / self.monthly_capacity)


def parse_capacity(text: str | int, *, field: str = "capacity") -> int:
    """A monthly capacity: a whole number of referrals, 0 or more; InvalidInput otherwise."""
    value = str(text).strip()
    if not value.isdigit() or len(value) > 7:
        raise InvalidInput(
            f"{field} must be a whole number of referrals a month; nothing was changed",
            [Problem(field, "not a number", field=field, expected="a whole number ≥ 0, e.g. 40", found=str(text))],
        )
    return int(value)


def month_of(moment: dt.datetime) -> str:
    return f"{moment:%Y-%m}"


def _sort_key(policy: ProgrammePolicy, finding: Finding, order: int) -> tuple[int | float, ...]:
    key: list[int | float] = []
    for rule in policy.priority:
        if rule == "risk_class":
            key.append(policy.risk_rank(finding.risk_class))
        elif rule == "youngest_first":
            key.append(-finding.birth_year if finding.birth_year is not None else math.inf)
        elif rule == "oldest_first":
            key.append(finding.birth_year if finding.birth_year is not None else math.inf)
        elif rule == "earliest_finding":
            key.append(order)
    key.append(order)
    return tuple(key)


def queues(
    policy: ProgrammePolicy, findings: Sequence[Finding], referred: Iterable[str]
) -> dict[str, list[QueuedReferral]]:
    """Per region, the reported findings not referred yet, in priority order (one referral per person)."""
    done = set(referred)
    seen: set[str] = set()
    by_region: dict[str, list[tuple[tuple[int | float, ...], Finding]]] = defaultdict(list)
    for order, finding in enumerate(findings):
        if not finding.reported or finding.pseudonym in done or finding.pseudonym in seen:
            continue
        seen.add(finding.pseudonym)
        by_region[finding.region].append((_sort_key(policy, finding, order), finding))
    return {
        region: [QueuedReferral(f, i + 1) for i, (_, f) in enumerate(sorted(items, key=lambda item: item[0]))]
        for region, items in sorted(by_region.items())
    }


def plan_release(
    policy: ProgrammePolicy,
    queue: dict[str, list[QueuedReferral]],
    capacities: Sequence[Capacity],
    referrals: Sequence[Referral],
    *,
    run_id: str,
    now: dt.datetime,
) -> tuple[list[Referral], list[Backlog]]:
    """What this month's remaining capacity releases per region, and the backlog each region keeps."""
    month = month_of(now)
    limit = {c.region: c.monthly_capacity for c in capacities if c.programme == policy.programme}
    used: dict[str, int] = defaultdict(int)
    for referral in referrals:
        if referral.programme == policy.programme and referral.month == month:
            used[referral.region] += 1
    released: list[Referral] = []
    backlogs = []
    for region in sorted(set(queue) | set(limit)):
        items = queue.get(region, [])
        room = max(0, limit.get(region, 0) - used[region])
        chosen = items[:room]
        released.extend(
            Referral(policy.programme, q.finding.pseudonym, region, q.finding.gene, run_id, month, now) for q in chosen
        )
        backlogs.append(
            Backlog(policy.programme, region, limit.get(region), len(items) - len(chosen), used[region] + len(chosen))
        )
    return released, backlogs


def backlogs(
    policy: ProgrammePolicy,
    queue: dict[str, list[QueuedReferral]],
    capacities: Sequence[Capacity],
    referrals: Sequence[Referral],
    *,
    now: dt.datetime,
) -> list[Backlog]:
    """Each region's backlog and capacity for the projection, without releasing anything."""
    month = month_of(now)
    limit = {c.region: c.monthly_capacity for c in capacities if c.programme == policy.programme}
    used: dict[str, int] = defaultdict(int)
    for referral in referrals:
        if referral.programme == policy.programme and referral.month == month:
            used[referral.region] += 1
    return [
        Backlog(policy.programme, region, limit.get(region), len(queue.get(region, [])), used[region])
        for region in sorted(set(queue) | set(limit))
    ]
