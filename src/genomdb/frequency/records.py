"""Domain records of the frequency database: what builders take and what lookups return.

Lookups return these frozen dataclasses only after the disclosure engine has applied a tier's policy; the raw
counts (:class:`RawStratumCounts`) never leave the frequency package except through it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any

from genomdb.frequency.keys import GenomicInterval, VariantKey
from genomdb.frequency.strata import SampleLabels
from genomdb.refdata.genes import Gene


class ExclusionReason(StrEnum):
    """Why a harmonised sample version does not count in a release."""

    NOT_CURRENT = "not_current"
    """Superseded by a correction, or its submission was withdrawn."""
    WITHDRAWN = "withdrawn"
    RESEARCH_OPT_OUT = "research_opt_out"
    QC_FAILED = "qc_failed"
    DUPLICATE_PERSON = "duplicate_person"
    """Another sample of the same person is the better one (see the inclusion policy)."""
    BATCH_NOT_IN_RELEASE = "batch_not_in_release"


@dataclass(frozen=True, slots=True)
class CohortMember:
    """One harmonised sample version, with what inclusion and strata need."""

    sample_id: int
    sample_key: str
    person: str
    batch_id: str
    labels: SampleLabels
    submission_id: str
    submission_version: int
    current: bool = True
    withdrawn: bool = False
    research_opt_out: bool = False
    qc_passed: bool = True
    call_rate: float | None = None
    callable_bases: int | None = None
    harmonised_at: dt.datetime | None = None


@dataclass(frozen=True, slots=True)
class BatchSource:
    """A registered, immutable variant-store batch: its folder, the checksum of its batch.json and its samples."""

    batch_id: str
    path: Path
    manifest_sha256: str
    sample_ids: tuple[int, ...]
    filters: dict[str, Any] = field(default_factory=dict)
    reference_build: str = "GRCh38"

    @property
    def calls_glob(self) -> str:
        return str(self.path / "calls" / "*" / "*.parquet")

    @property
    def blocks_glob(self) -> str:
        return str(self.path / "blocks" / "*" / "*.parquet")


@dataclass(frozen=True, slots=True)
class IncludedSample:
    """A sample version a release counts, as named in its manifest."""

    sample_id: int
    sample_key: str
    submission_id: str
    submission_version: int
    batch_id: str
    labels: SampleLabels


@dataclass(frozen=True, slots=True)
class ReleaseInfo:
    """A registered frequency release, as the catalog lists it."""

    release_id: str
    sequence: int
    parent_id: str | None
    created_at: dt.datetime
    path: Path
    manifest_sha256: str
    mode: str
    n_samples: int
    n_variants: int
    n_batches: int
    strata: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class BuildReport:
    """What a release build did."""

    release: ReleaseInfo
    n_new_batches: int
    n_added_samples: int
    n_removed_samples: int
    excluded: dict[str, int]
    seconds: float
    engine: str = "duckdb"
    """The engine that summed the counts (``spark (local[2])`` names its master)."""


@dataclass(frozen=True, slots=True)
class RawStratumCounts:
    """Exact counts of one stratum at one variant (or position): the disclosure engine's input."""

    stratum: str
    allele_count: int
    allele_number: int
    n_homalt: int
    n_hemi: int


class FrequencyStatus(StrEnum):
    OBSERVED = "observed"
    NOT_OBSERVED = "not_observed"
    """Callable in the cohort, never seen."""
    NOT_COVERED = "not_covered"
    """No included individual is callable at the position."""
    SUPPRESSED = "suppressed"
    """Observed, but too few (or too nearly all) alleles to show at this tier."""


@dataclass(frozen=True, slots=True)
class StratumFrequency:
    """One stratum's disclosed figures; a None count is suppressed (``*_below`` says under what)."""

    stratum: str
    allele_count: int | None
    allele_number: int | None
    allele_frequency: float | None
    n_homalt: int | None
    n_hemi: int | None
    faf95: float | None
    faf99: float | None


@dataclass(frozen=True, slots=True)
class VariantFrequency:
    """A variant's frequency at one tier of disclosure, from one release."""

    variant: VariantKey
    release_id: str
    tier: str
    status: FrequencyStatus
    strata: tuple[StratumFrequency, ...]
    callable_individuals: int | None
    af_upper_95: float | None
    """For a variant not observed: the highest AF compatible with 0 of AN alleles (one-sided 95%)."""
    collapsed: bool
    """Strata were withheld because at least one of them was too small at this tier."""
    message: str
    revealed: bool
    """Whether this tier may know that the release observed the variant (its counts may still be withheld).
    False for a variant nobody carries *and* for one concealed under the floor: the two are answered alike."""

    @property
    def key(self) -> str:
        return self.variant.key

    @property
    def total(self) -> StratumFrequency:
        return self.strata[0]


@dataclass(frozen=True, slots=True)
class RegionFrequencies:
    """Every variant of an interval that its tier reveals (``revealed``), disclosed at that tier."""

    interval: GenomicInterval
    release_id: str
    tier: str
    variants: tuple[VariantFrequency, ...]
    gene: Gene | None = None
