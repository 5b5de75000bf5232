"""Schemas of the frequency and release routes: disclosed frequencies (never raw counts) and release facts."""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, Field

from genomdb.api.services.releases import ReleaseDetail
from genomdb.frequency.publish import ReleaseDiff
from genomdb.frequency.records import RegionFrequencies, ReleaseInfo, StratumFrequency, VariantFrequency


class StratumOut(BaseModel):
    """One stratum at the answer's tier; a null count was withheld by the disclosure engine."""

    stratum: str
    allele_count: int | None
    allele_number: int | None
    allele_frequency: float | None
    n_homalt: int | None
    n_hemi: int | None
    faf95: float | None
    faf99: float | None

    @classmethod
    def of(cls, s: StratumFrequency) -> StratumOut:
        return cls(
            stratum=s.stratum,
            allele_count=s.allele_count,
            allele_number=s.allele_number,
            allele_frequency=s.allele_frequency,
            n_homalt=s.n_homalt,
            n_hemi=s.n_hemi,
            faf95=s.faf95,
            faf99=s.faf99,
        )


class VariantFrequencyOut(BaseModel):
    variant: str = Field(examples=["chr19-11089362-G-A"])
    chrom: str
    pos_1based: int
    ref: str
    alt: str
    release_id: str
    tier: str
    status: str = Field(description="observed, not_observed, suppressed or not_covered")
    message: str
    callable_individuals: int | None
    af_upper_95: float | None
    collapsed: bool
    strata: list[StratumOut]

    @classmethod
    def of(cls, v: VariantFrequency) -> VariantFrequencyOut:
        return cls(
            variant=v.variant.key,
            chrom=v.variant.chrom,
            pos_1based=v.variant.pos_1based,
            ref=v.variant.ref,
            alt=v.variant.alt,
            release_id=v.release_id,
            tier=v.tier,
            status=v.status.value,
            message=v.message,
            callable_individuals=v.callable_individuals,
            af_upper_95=v.af_upper_95,
            collapsed=v.collapsed,
            strata=[StratumOut.of(s) for s in v.strata],
        )


class GeneOut(BaseModel):
    symbol: str
    chrom: str
    start_1based: int
    end_1based: int
    strand: str


class RegionFrequenciesOut(BaseModel):
    region: str
    release_id: str
    tier: str
    gene: GeneOut | None
    n_variants: int
    variants: list[VariantFrequencyOut]

    @classmethod
    def of(cls, r: RegionFrequencies) -> RegionFrequenciesOut:
        gene = r.gene
        return cls(
            region=str(r.interval),
            release_id=r.release_id,
            tier=r.tier,
            gene=GeneOut(
                symbol=gene.symbol,
                chrom=gene.chrom,
                start_1based=gene.start_1based,
                end_1based=gene.end_1based,
                strand=gene.strand,
            )
            if gene is not None
            else None,
            n_variants=len(r.variants),
            variants=[VariantFrequencyOut.of(v) for v in r.variants],
        )


class BulkIn(BaseModel):
    variants: list[str] = Field(description="variant keys, at most 1,000", examples=[["chr19-11089362-G-A"]])
    release: str | None = Field(default=None, description="release id [default: the newest]")
    tier: str | None = Field(default=None, description="disclosure tier [default: the highest allowed to the caller]")


class BulkOut(BaseModel):
    release_id: str | None
    n_variants: int
    variants: list[VariantFrequencyOut]


class ReleaseOut(BaseModel):
    release_id: str
    sequence: int
    parent_id: str | None
    created_at: dt.datetime
    mode: str
    n_samples: int
    n_variants: int
    n_batches: int
    strata: list[str]
    manifest_sha256: str

    @classmethod
    def of(cls, r: ReleaseInfo) -> ReleaseOut:
        return cls(
            release_id=r.release_id,
            sequence=r.sequence,
            parent_id=r.parent_id,
            created_at=r.created_at,
            mode=r.mode,
            n_samples=r.n_samples,
            n_variants=r.n_variants,
            n_batches=r.n_batches,
            strata=list(r.strata),
            manifest_sha256=r.manifest_sha256,
        )


class ReleaseListOut(BaseModel):
    releases: list[ReleaseOut]


class ReleaseDetailOut(ReleaseOut):
    batches: dict[str, str] = Field(description="variant-store batch id → sha256 of its batch.json")
    files: dict[str, str] = Field(description="release file → sha256")

    @classmethod
    def of_detail(cls, d: ReleaseDetail) -> ReleaseDetailOut:
        return cls(**ReleaseOut.of(d.info).model_dump(), batches=dict(d.batches), files=dict(d.files))


class ReleaseDiffOut(BaseModel):
    old: str
    new: str
    n_samples_added: int
    n_samples_removed: int
    batches_added: list[str]
    batches_removed: list[str]
    variants_added: int
    variants_removed: int
    variants_changed: int
    strata_added: list[str]
    strata_removed: list[str]

    @classmethod
    def of(cls, d: ReleaseDiff) -> ReleaseDiffOut:
        return cls(
            old=d.old,
            new=d.new,
            n_samples_added=len(d.samples_added),
            n_samples_removed=len(d.samples_removed),
            batches_added=list(d.batches_added),
            batches_removed=list(d.batches_removed),
            variants_added=d.variants_added,
            variants_removed=d.variants_removed,
            variants_changed=d.variants_changed,
            strata_added=list(d.strata_added),
            strata_removed=list(d.strata_removed),
        )
