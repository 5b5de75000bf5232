"""Schemas of the catalog routes: samples and persons (person-level: shown only after the policy allowed them)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from pydantic import BaseModel

from genomdb.model.catalog import Person, SampleDetail, SampleSummary


class SampleSummaryOut(BaseModel):
    sample_key: str
    submitter_sample_id: str
    pseudonym: str
    department: str
    region: str
    submission_id: str
    submission_version: int
    submitted_at: dt.datetime
    platforms: list[str]
    read_types: list[str]
    formats: list[str]
    reference_builds: list[str]

    @classmethod
    def of(cls, s: SampleSummary) -> SampleSummaryOut:
        return cls(
            sample_key=s.sample_key,
            submitter_sample_id=s.submitter_sample_id,
            pseudonym=s.pseudonym,
            department=s.department,
            region=s.region,
            submission_id=s.submission_id,
            submission_version=s.submission_version,
            submitted_at=s.submitted_at,
            platforms=list(s.platforms),
            read_types=list(s.read_types),
            formats=list(s.formats),
            reference_builds=list(s.reference_builds),
        )


class SampleSearchOut(BaseModel):
    samples: list[SampleSummaryOut]
    n_samples: int
    limit: int


class RunOut(BaseModel):
    run_ref: str
    platform: str
    read_type: str
    instrument: str | None
    library_strategy: str
    library_id: str | None
    run_date: dt.date | None


class FileOut(BaseModel):
    file_ref: str
    format: str
    size: int
    sha256: str
    md5: str
    tier: str
    encrypted: bool
    index_name: str | None
    run_ref: str | None
    facts: dict[str, Any]


class AnalysisOut(BaseModel):
    analysis_ref: str
    pipeline_name: str
    pipeline_version: str
    reference_build: str
    sample_keys: list[str]
    input_refs: list[str]
    output_refs: list[str]


class SampleDetailOut(BaseModel):
    sample: SampleSummaryOut
    tissue: str
    collection_date: dt.date | None
    runs: list[RunOut]
    files: list[FileOut]
    analyses: list[AnalysisOut]

    @classmethod
    def of(cls, d: SampleDetail) -> SampleDetailOut:
        return cls(
            sample=SampleSummaryOut.of(d.summary),
            tissue=d.tissue,
            collection_date=d.collection_date,
            runs=[
                RunOut(
                    run_ref=r.run_ref,
                    platform=r.platform,
                    read_type=r.read_type,
                    instrument=r.instrument,
                    library_strategy=r.library_strategy,
                    library_id=r.library_id,
                    run_date=r.run_date,
                )
                for r in d.runs
            ],
            files=[
                FileOut(
                    file_ref=f.file_ref,
                    format=f.format,
                    size=f.size,
                    sha256=f.sha256,
                    md5=f.md5,
                    tier=f.tier.value,
                    encrypted=f.encrypted,
                    index_name=f.index_name,
                    run_ref=f.run_ref,
                    facts=dict(f.facts),
                )
                for f in d.files
            ],
            analyses=[
                AnalysisOut(
                    analysis_ref=a.analysis_ref,
                    pipeline_name=a.pipeline_name,
                    pipeline_version=a.pipeline_version,
                    reference_build=a.reference_build,
                    sample_keys=list(a.sample_keys),
                    input_refs=list(a.input_refs),
                    output_refs=list(a.output_refs),
                )
                for a in d.analyses
            ],
        )


class RelativeOut(BaseModel):
    relation: str
    pseudonym: str


class PersonOut(BaseModel):
    pseudonym: str
    birth_year: int | None
    declared_sex: str | None
    research_opt_out: bool
    relatives: list[RelativeOut]
    samples: list[SampleSummaryOut]

    @classmethod
    def of(cls, person: Person, samples: list[SampleSummary]) -> PersonOut:
        return cls(
            pseudonym=person.pseudonym,
            birth_year=person.birth_year,
            declared_sex=person.declared_sex,
            research_opt_out=person.research_opt_out,
            relatives=[RelativeOut(relation=r, pseudonym=p) for r, p in person.relatives],
            samples=[SampleSummaryOut.of(s) for s in samples],
        )
