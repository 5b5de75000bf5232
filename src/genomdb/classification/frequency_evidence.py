"""Population-frequency evidence: propose BA1, BS1 or PM2 from the national filtering allele frequency (FAF95).

A proposal is only ever shown as a suggestion beside an assertion; it is never added to anyone's criteria.

Defaults (any gene without its own thresholds): BA1 when FAF95 > 5% (Richards et al. 2015; ClinGen SVI),
BS1 when FAF95 > 1%, PM2_Supporting when the variant is absent among callable individuals or FAF95 < 0.01%
(ClinGen SVI 2020 downgrades PM2 to Supporting). Genes can have their own thresholds; built in are those of the
ClinGen Familial Hypercholesterolemia VCEP for LDLR (Chora et al. 2022, Genet Med 24:293): BA1 PopMax FAF > 0.5%,
BS1 > 0.2%, PM2 < 0.02% — applied by that panel at Moderate strength, so its label is plain ``PM2``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from genomdb.classification.acmg import Criterion, parse_criterion


@dataclass(frozen=True, slots=True)
class FrequencyThresholds:
    """FAF95 thresholds for one gene (``gene`` None: the default)."""

    gene: str | None
    ba1_above: float = 0.05
    bs1_above: float = 0.01
    pm2_below: float = 0.0001
    pm2_label: str = "PM2_Supporting"
    source: str = "ACMG/AMP 2015 with ClinGen SVI (BA1 5%, PM2 at Supporting)"

    def __post_init__(self) -> None:
        if not 0 <= self.pm2_below <= self.bs1_above <= self.ba1_above <= 1:
            raise ValueError(
                f"thresholds must satisfy 0 ≤ PM2 ({self.pm2_below}) ≤ BS1 ({self.bs1_above}) "
                f"≤ BA1 ({self.ba1_above}) ≤ 1"
            )
        if parse_criterion(self.pm2_label).code != "PM2":
            raise ValueError(f"{self.pm2_label!r} is not PM2 at some strength")


DEFAULT_THRESHOLDS = FrequencyThresholds(gene=None)
BUILTIN_GENE_THRESHOLDS: dict[str, FrequencyThresholds] = {
    "LDLR": FrequencyThresholds(
        gene="LDLR",
        ba1_above=0.005,
        bs1_above=0.002,
        pm2_below=0.0002,
        pm2_label="PM2",
        source="ClinGen FH VCEP LDLR specifications (Chora et al. 2022): BA1 > 0.5%, BS1 > 0.2%, PM2 < 0.02%",
    ),
}


def thresholds_for(gene: str | None, overrides: Mapping[str, FrequencyThresholds] | None = None) -> FrequencyThresholds:
    """The thresholds for a gene: the instance's own, else the built-in ones, else the default."""
    if gene:
        symbol = gene.upper()
        if overrides and symbol in overrides:
            return overrides[symbol]
        if symbol in BUILTIN_GENE_THRESHOLDS:
            return BUILTIN_GENE_THRESHOLDS[symbol]
    if overrides and "*" in overrides:
        return overrides["*"]
    return DEFAULT_THRESHOLDS


@dataclass(frozen=True, slots=True)
class FrequencyObservation:
    """What the frequency database says about a variant: counts among callable individuals and FAF95."""

    allele_count: int
    allele_number: int
    faf95: float | None
    release: str | None = None
    tier: str = "controlled"
    """The disclosure tier the counts were disclosed at (every number shown names it)."""


@dataclass(frozen=True, slots=True)
class FrequencySuggestion:
    """A criterion the national frequency supports, with the numbers behind it."""

    criterion: Criterion
    reason: str
    thresholds: FrequencyThresholds


def propose_frequency_criteria(
    observation: FrequencyObservation | None, thresholds: FrequencyThresholds
) -> tuple[FrequencySuggestion, ...]:
    """BA1, BS1 or PM2 (at the gene's PM2 strength) from the national FAF95, or nothing when it says nothing.

    Not covered (no callable individuals) supports nothing; absent among callable individuals supports PM2.
    """
    if observation is None or observation.allele_number <= 0:
        return ()
    pm2 = parse_criterion(thresholds.pm2_label)
    gene = thresholds.gene or "default"
    if observation.allele_count == 0:
        reason = f"absent among {observation.allele_number:,} callable alleles ({gene} thresholds)"
        return (FrequencySuggestion(pm2, reason, thresholds),)
    faf = observation.faf95
    if faf is None:
        return ()
    if faf > thresholds.ba1_above:
        return (FrequencySuggestion(parse_criterion("BA1"), _reason(faf, ">", thresholds.ba1_above, gene), thresholds),)
    if faf > thresholds.bs1_above:
        return (FrequencySuggestion(parse_criterion("BS1"), _reason(faf, ">", thresholds.bs1_above, gene), thresholds),)
    if faf < thresholds.pm2_below:
        return (FrequencySuggestion(pm2, _reason(faf, "<", thresholds.pm2_below, gene), thresholds),)
    return ()


def _reason(faf: float, comparison: str, threshold: float, gene: str) -> str:
    return f"national FAF95 {faf:.6g} {comparison} {threshold:g} ({gene} thresholds)"
