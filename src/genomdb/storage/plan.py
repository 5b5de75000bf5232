"""Capacity and cost plan: bytes per tier and per year for N genomes, from the sizes measured in an instance and
the tier policy, with every assumption stated.

The model, in words (each number it uses is listed among the assumptions it returns):

* **Bytes per genome per class** are measured: a class's stored bytes divided by the genomes (persons) that have
  files of that class; batches, releases and deliveries by all the instance's genomes.
* **Coverage**: raw reads and alignments grow linearly with sequencing depth, so their bytes per genome are scaled
  by ``coverage / measured coverage``; variant calls, batches, releases and deliveries are not.
* **Arrival**: the genomes arrive at an even rate over the planned years.
* **Tiers**: a class always hot stays hot; otherwise at a given day the bytes stored within its last ``hot_days``
  are hot, plus, for a class held hot by active referrals, the share of the rest belonging to persons in an
  active referral; the remainder is cold.
* **Cost** of a year: the average of the stock at its start and end, per tier, times 12 months times the tier's
  price per TB-month.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from genomdb.model.catalog import StorageTier
from genomdb.storage.tiers import FILE_CLASSES, TierPolicy

COVERAGE_SCALED = ("fastq", "alignments")
TB = 1e12


@dataclass(frozen=True, slots=True)
class ClassMeasure:
    """What the instance holds of one class: bytes and the genomes those bytes belong to."""

    file_class: str
    n_bytes: int
    n_genomes: int


@dataclass(frozen=True, slots=True)
class YearRow:
    year: int
    genomes: int
    hot_bytes: float
    cold_bytes: float
    cost: float
    by_class: dict[str, tuple[float, float]]
    """Class → (hot bytes, cold bytes) at the end of the year."""


@dataclass
class CapacityPlan:
    genomes: int
    coverage: float
    years: int
    currency: str
    per_genome: dict[str, float]
    """Class → bytes per genome at the planned coverage."""
    rows: list[YearRow] = field(default_factory=list)
    assumptions: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, object]:
        return {
            "genomes": self.genomes,
            "coverage": self.coverage,
            "years": self.years,
            "currency": self.currency,
            "bytes_per_genome": {c: round(v) for c, v in self.per_genome.items()},
            "years_table": [
                {
                    "year": r.year,
                    "genomes": r.genomes,
                    "hot_bytes": round(r.hot_bytes),
                    "cold_bytes": round(r.cold_bytes),
                    "cost": round(r.cost, 2),
                    "by_class": {c: {"hot": round(h), "cold": round(k)} for c, (h, k) in r.by_class.items()},
                }
                for r in self.rows
            ],
            "assumptions": self.assumptions,
        }


def _hot_share(policy: TierPolicy, file_class: str, age_days_span: float, referral_share: float) -> float:
    """The hot share of a class's bytes when genomes arrived evenly over the last ``age_days_span`` days."""
    rule = policy.classes[file_class]
    if rule.hot_days is None:
        return 1.0
    recent = 1.0 if age_days_span <= 0 else min(1.0, rule.hot_days / age_days_span)
    held = referral_share if rule.hot_while_active_referral else 0.0
    return recent + (1.0 - recent) * held


def capacity_plan(
    policy: TierPolicy,
    measures: list[ClassMeasure],
    *,
    genomes: int,
    coverage: float,
    years: int,
    measured_coverage: float | None,
    coverage_source: str,
    referral_share: float,
    referral_source: str,
    n_instance_genomes: int,
) -> CapacityPlan:
    """Project the stock per tier at the end of each year and the cost of each year."""
    scale = coverage / measured_coverage if measured_coverage else 1.0
    per_genome: dict[str, float] = {}
    for measure in measures:
        base = measure.n_bytes / measure.n_genomes if measure.n_genomes else 0.0
        per_genome[measure.file_class] = base * (scale if measure.file_class in COVERAGE_SCALED else 1.0)
    for name in FILE_CLASSES:
        per_genome.setdefault(name, 0.0)
    plan = CapacityPlan(genomes, coverage, years, policy.currency, per_genome)
    hot_price = policy.tiers[StorageTier.HOT].cost_per_tb_month
    cold_price = policy.tiers[StorageTier.COLD].cost_per_tb_month
    per_year = genomes / years
    previous_hot = previous_cold = 0.0
    for year in range(1, years + 1):
        stored = per_year * year
        by_class: dict[str, tuple[float, float]] = {}
        for name in FILE_CLASSES:
            total = stored * per_genome[name]
            hot = total * _hot_share(policy, name, 365.0 * year, referral_share)
            by_class[name] = (hot, total - hot)
        hot_bytes = sum(h for h, _ in by_class.values())
        cold_bytes = sum(c for _, c in by_class.values())
        cost = 12 * (
            (previous_hot + hot_bytes) / 2 / TB * hot_price + (previous_cold + cold_bytes) / 2 / TB * cold_price
        )
        plan.rows.append(YearRow(year, round(stored), hot_bytes, cold_bytes, cost, by_class))
        previous_hot, previous_cold = hot_bytes, cold_bytes

    counted = ", ".join(f"{m.file_class} {m.n_bytes:,} B over {m.n_genomes} genome(s)" for m in measures)
    plan.assumptions = [
        f"measured in this instance ({n_instance_genomes} genome(s)): {counted or 'nothing stored yet'}",
        f"sequencing depth: {coverage_source}; fastq and alignments scaled ×{scale:.3g} to {coverage:g}×, "
        "other classes not scaled",
        f"{genomes:,} genomes arriving evenly over {years} year(s) ({per_year:,.0f} a year)",
        f"tier policy revision {policy.revision}: "
        + "; ".join(
            f"{name} "
            + ("always hot" if rule.hot_days is None else f"cold after {rule.hot_days} d")
            + (" unless in an active referral" if rule.hot_while_active_referral else "")
            for name, rule in policy.classes.items()
        ),
        f"share of genomes in an active referral at any time: {referral_share:.1%} ({referral_source})",
        f"prices per TB-month: hot ({policy.tiers[StorageTier.HOT].storage_class}) {hot_price:g} {policy.currency}, "
        f"cold ({policy.tiers[StorageTier.COLD].storage_class}) {cold_price:g} {policy.currency}; bytes as stored "
        "(before replication or erasure coding by the cluster, and before its compression of the cold pool)",
        "a year's cost: the average stock of the year (start and end) × 12 months × price",
    ]
    return plan
