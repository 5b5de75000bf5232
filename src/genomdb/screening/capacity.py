"""Clinic capacity: per region and programme, how many referrals the lipid or cancer clinic takes a month.

The clinic sees two kinds of people: index cases (reported findings of the programme's newest run) and relatives
from the cascade worklists who have consented to be tested (status ``consented``: the test is the clinic's work).
Both, not yet referred, are queued per region — a relative in the region of the index case whose clinic runs the
cascade — in the policy's priority order (risk class: the index case's variant class, for a relative too;
youngest first: the person's own birth year); a release refers what this month's capacity still allows and keeps
the rest queued — nothing is dropped. The projection says how many months each backlog needs.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from genomdb.errors import InvalidInput, Problem
from genomdb.screening.policy import ProgrammePolicy
from genomdb.screening.records import Capacity, Finding, Referral, RelativeEntry

AWAITING_TEST = "consented"
"""The cascade status at which a relative needs the clinic: consented to testing, not tested yet."""


@dataclass(frozen=True, slots=True)
class QueuedReferral:
    finding: Finding
    """The index case's finding (for a relative, the finding of the index case whose cascade it is)."""
    position: int
    """1-based place in the region's queue."""
    relative: RelativeEntry | None = None
    """Set when the person queued is a consented relative rather than the index case."""

    @property
    def pseudonym(self) -> str:
        return self.relative.relative_pseudonym if self.relative is not None else self.finding.pseudonym


@dataclass(frozen=True, slots=True)
class Backlog:
    """One region's queue for one programme, with what capacity makes of it."""

    programme: str
    region: str
    monthly_capacity: int | None
    """None: no capacity set (nothing is released)."""
    n_queued: int
    n_released_this_month: int
    n_relatives_queued: int = 0
    """Of ``n_queued``, consented relatives waiting for their test."""

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


def _sort_key(policy: ProgrammePolicy, finding: Finding, order: int, birth_year: int | None) -> tuple[int | float, ...]:
    key: list[int | float] = []
    for rule in policy.priority:
        if rule == "risk_class":
            key.append(policy.risk_rank(finding.risk_class))
        elif rule == "youngest_first":
            key.append(-birth_year if birth_year is not None else math.inf)
        elif rule == "oldest_first":
            key.append(birth_year if birth_year is not None else math.inf)
        elif rule == "earliest_finding":
            key.append(order)
    key.append(order)
    return tuple(key)


def queues(
    policy: ProgrammePolicy,
    findings: Sequence[Finding],
    referred: Iterable[str],
    *,
    relatives: Sequence[RelativeEntry] = (),
    birth_years: Mapping[str, int | None] | None = None,
) -> dict[str, list[QueuedReferral]]:
    """Per region, the reported findings and the consented relatives of their cascades not referred yet, in
    priority order (one referral per person; a relative is queued behind its index case only by priority)."""
    done = set(referred)
    seen: set[str] = set()
    years = birth_years or {}
    by_region: dict[str, list[tuple[tuple[int | float, ...], QueuedReferral]]] = defaultdict(list)
    index_findings: dict[str, Finding] = {}
    for order, finding in enumerate(findings):
        if not finding.reported:
            continue
        index_findings.setdefault(finding.pseudonym, finding)
        if finding.pseudonym in done or finding.pseudonym in seen:
            continue
        seen.add(finding.pseudonym)
        key = _sort_key(policy, finding, order, finding.birth_year)
        by_region[finding.region].append((key, QueuedReferral(finding, 0)))
    waiting = [r for r in relatives if r.status == AWAITING_TEST and r.programme == policy.programme]
    for order, entry in enumerate(sorted(waiting, key=_consented_at), start=len(findings)):
        index = index_findings.get(entry.index_pseudonym)
        if index is None or entry.relative_pseudonym in done or entry.relative_pseudonym in seen:
            continue
        seen.add(entry.relative_pseudonym)
        key = _sort_key(policy, index, order, years.get(entry.relative_pseudonym))
        by_region[index.region].append((key, QueuedReferral(index, 0, entry)))
    return {
        region: [
            dataclasses.replace(q, position=i + 1) for i, (_, q) in enumerate(sorted(items, key=lambda item: item[0]))
        ]
        for region, items in sorted(by_region.items())
    }


def _consented_at(entry: RelativeEntry) -> tuple[dt.datetime, str]:
    moments = [change.at for change in entry.history if change.status == AWAITING_TEST]
    return (max(moments) if moments else dt.datetime.max.replace(tzinfo=dt.UTC), entry.entry_id)


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
    limit, used = _limits_and_use(policy, capacities, referrals, month)
    released: list[Referral] = []
    after = []
    for region in sorted(set(queue) | set(limit)):
        items = queue.get(region, [])
        chosen = items[: max(0, limit.get(region, 0) - used[region])]
        released.extend(
            Referral(policy.programme, q.pseudonym, region, q.finding.gene, run_id, month, now) for q in chosen
        )
        after.append(_backlog(policy, region, limit, items[len(chosen) :], used[region] + len(chosen)))
    return released, after


def backlogs(
    policy: ProgrammePolicy,
    queue: dict[str, list[QueuedReferral]],
    capacities: Sequence[Capacity],
    referrals: Sequence[Referral],
    *,
    now: dt.datetime,
) -> list[Backlog]:
    """Each region's backlog and capacity for the projection, without releasing anything."""
    limit, used = _limits_and_use(policy, capacities, referrals, month_of(now))
    return [
        _backlog(policy, region, limit, queue.get(region, []), used[region])
        for region in sorted(set(queue) | set(limit))
    ]


def _limits_and_use(
    policy: ProgrammePolicy, capacities: Sequence[Capacity], referrals: Sequence[Referral], month: str
) -> tuple[dict[str, int], dict[str, int]]:
    """Each region's monthly capacity for the programme, and the referrals already released this month."""
    limit = {c.region: c.monthly_capacity for c in capacities if c.programme == policy.programme}
    used: dict[str, int] = defaultdict(int)
    for referral in referrals:
        if referral.programme == policy.programme and referral.month == month:
            used[referral.region] += 1
    return limit, used


def _backlog(
    policy: ProgrammePolicy, region: str, limit: dict[str, int], waiting: Sequence[QueuedReferral], used: int
) -> Backlog:
    relatives = sum(1 for q in waiting if q.relative is not None)
    return Backlog(policy.programme, region, limit.get(region), len(waiting), used, relatives)
