"""Domain records of harmonisation and the variant store, as the rest of genomdb sees them."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True, slots=True)
class CallFile:
    """A VCF/gVCF of a current sample version that harmonisation may read (one per sample version)."""

    sample_id: int
    sample_key: str
    submitter_sample_id: str
    department: str
    declared_sex: str | None
    analysis_id: int
    analysis_ref: str
    submission_id: str
    reference_build: str
    file_id: int
    file_ref: str
    file_format: str
    original_path: str | None
    sha256: str
    size: int
    contigs: tuple[str, ...]
    """Contigs the file has records on, as data-in found them (empty when unknown)."""

    @property
    def display_name(self) -> str:
        """How errors name the file: the submitted path, else the manifest's file id."""
        return self.original_path or self.file_ref


@dataclass(frozen=True, slots=True)
class SampleQc:
    """Sample QC of one harmonised sample version (docs/harmonisation.md defines every figure)."""

    sample_id: int
    n_calls: int
    n_passing_calls: int
    call_rate: float | None
    callable_bases: int
    target_bases: int | None
    callable_fraction: float | None
    n_snv: int
    n_indel: int
    ti_tv: float | None
    n_het: int
    n_hom_var: int
    het_hom_ratio: float | None
    chrx_heterozygosity: float | None
    chrx_n_calls: int
    inferred_sex: str
    """``XX``, ``XY`` or ``unknown`` (from chrX heterozygosity)."""
    declared_sex: str | None
    """``female``/``male`` from the person record (derived from the CPR number at data-in)."""
    ploidy_sex: str | None
    """``XX``/``XY`` used for ploidy: inferred, else declared; None when neither is known."""
    flags: tuple[str, ...] = ()

    @property
    def flagged(self) -> bool:
        return bool(self.flags)


@dataclass(frozen=True, slots=True)
class SampleQcRecord:
    """A harmonised sample version's QC with what a steward needs to find the sample."""

    sample_key: str
    submitter_sample_id: str
    department: str
    batch_id: str
    current: bool
    qc: SampleQc


@dataclass(frozen=True, slots=True)
class HarmonisedSample:
    """A sample version a new batch holds: which call file it came from and its QC."""

    sample_id: int
    file_id: int
    qc: SampleQc


@dataclass(frozen=True, slots=True)
class NewBatch:
    """What registering a written batch records in the catalog, in one transaction."""

    batch_id: str
    created_at: dt.datetime
    reference_build: str
    filters: dict[str, Any]
    n_calls: int
    n_blocks: int
    manifest_sha256: str
    samples: tuple[HarmonisedSample, ...]


@dataclass(frozen=True, slots=True)
class VariantBatch:
    """A registered, immutable batch of the variant store."""

    batch_id: str
    created_at: dt.datetime
    reference_build: str
    filters: dict[str, Any]
    n_samples: int
    n_calls: int
    n_blocks: int
    manifest_sha256: str
    sample_ids: tuple[int, ...] = field(default=())


@dataclass(frozen=True, slots=True)
class CohortSample:
    """One harmonised sample version with what the frequency database needs for inclusion and strata."""

    sample_id: int
    sample_key: str
    pseudonym: str
    region: str
    department: str
    platform: str | None
    """``ILLUMINA``/``ONT``/``PACBIO`` of the runs behind the call file, None when unknown or mixed."""
    sex: str | None
    """Sex used for ploidy: ``XX``/``XY`` (inferred, else declared), None when unknown."""
    research_opt_out: bool
    current: bool
    """The version is in an accepted (not superseded) submission version and is not withdrawn."""
    withdrawn: bool
    """The sample is withdrawn in its current submission version."""
    batch_id: str
    submission_id: str
    submission_version: int
    harmonised_at: dt.datetime
    qc_passed: bool
    """No QC flag (see ``flags``)."""
    flags: tuple[str, ...]
    call_rate: float | None
    callable_bases: int
    callable_fraction: float | None
    ti_tv: float | None
    het_hom_ratio: float | None
