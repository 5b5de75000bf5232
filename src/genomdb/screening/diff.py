"""What changed between two runs of a programme: who became actionable and who stopped being, and why.

A finding is compared by (person, gene, variants). Each change names its cause: the policy version, the
classification versions of its variants (a reclassification in the national variant database), the frequency
release (a variant crossing the frequency cap) or the genotypes (a new sample version).
"""

from __future__ import annotations

from dataclasses import dataclass

from genomdb.screening.records import Finding, ScreeningRun


@dataclass(frozen=True, slots=True)
class FindingChange:
    direction: str
    """``newly actionable`` or ``no longer actionable``."""
    finding: Finding
    """The finding in the run where it is reported (the newer one for newly, the older for no longer)."""
    reasons: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class RunDiff:
    before: ScreeningRun
    after: ScreeningRun
    changes: tuple[FindingChange, ...]

    @property
    def newly_actionable(self) -> tuple[FindingChange, ...]:
        return tuple(c for c in self.changes if c.direction == NEWLY)

    @property
    def no_longer_actionable(self) -> tuple[FindingChange, ...]:
        return tuple(c for c in self.changes if c.direction == NO_LONGER)


NEWLY = "newly actionable"
NO_LONGER = "no longer actionable"


def _reasons(before: ScreeningRun, after: ScreeningRun, keys: tuple[str, ...]) -> tuple[str, ...]:
    reasons = []
    if before.policy_version != after.policy_version or before.policy_sha256 != after.policy_sha256:
        reasons.append(f"policy {before.policy_version} → {after.policy_version}")
    for key in keys:
        old, new = before.classification_versions.get(key, []), after.classification_versions.get(key, [])
        if old != new:
            reasons.append(f"{key} reclassified ({', '.join(old) or 'unclassified'} → {', '.join(new) or 'none'})")
        if (key in before.flagged_variants) != (key in after.flagged_variants):
            reasons.append(
                f"{key} {'now above' if key in after.flagged_variants else 'no longer above'} the frequency cap"
            )
    if before.release_id != after.release_id and not reasons:
        reasons.append(f"frequency release {before.release_id} → {after.release_id}")
    return tuple(reasons) or ("genotypes or samples changed",)


def diff_runs(
    before: ScreeningRun, before_findings: list[Finding], after: ScreeningRun, after_findings: list[Finding]
) -> RunDiff:
    """Reported findings of ``after`` not reported in ``before`` (newly actionable) and the reverse."""

    def reported(findings: list[Finding]) -> dict[tuple[str, str], Finding]:
        return {(f.pseudonym, f.gene): f for f in findings if f.reported}

    old, new = reported(before_findings), reported(after_findings)
    changes = []
    for key in sorted(new.keys() - old.keys()):
        finding = new[key]
        changes.append(FindingChange(NEWLY, finding, _reasons(before, after, finding.variant_keys)))
    for key in sorted(old.keys() - new.keys()):
        finding = old[key]
        changes.append(FindingChange(NO_LONGER, finding, _reasons(before, after, finding.variant_keys)))
    for key in sorted(old.keys() & new.keys()):
        if set(old[key].variant_keys) != set(new[key].variant_keys):
            changes.append(FindingChange(NEWLY, new[key], _reasons(before, after, new[key].variant_keys)))
    return RunDiff(before, after, tuple(changes))
