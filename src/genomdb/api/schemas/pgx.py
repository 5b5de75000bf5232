"""Schemas of the PGx routes: run summaries and result listings. A report itself is genomdb's JSON report
(``schema_version`` 1, described in ``docs/pgx.md``), returned as it was stored."""

from __future__ import annotations

from pydantic import BaseModel, Field

from genomdb.pgx.runs import PgxRunSummary


class PgxRunOut(BaseModel):
    key: str
    data_version: str
    n_samples: int = Field(description="sample versions of the person or sample looked at")
    n_called: int = Field(description="called now (new inputs or a new data version)")
    n_unchanged: int = Field(description="already called with the same inputs and data version")
    n_differing: int = Field(description="samples where the callable reference blocks changed a gene's call")

    @classmethod
    def of(cls, key: str, summary: PgxRunSummary) -> PgxRunOut:
        return cls(
            key=key,
            data_version=summary.data_version,
            n_samples=summary.n_samples,
            n_called=summary.n_called,
            n_unchanged=summary.n_unchanged,
            n_differing=summary.n_differing,
        )


class PgxResultSummaryOut(BaseModel):
    sample: str
    person: str = Field(description="the person's pseudonym")
    department: str
    data_version: str
    created_at: str
    n_genes_called: int
    diplotypes: dict[str, list[str]] = Field(description="gene → every top-scoring diplotype (ties listed)")
    genes_changed_by_callable_blocks: list[str]


class PgxResultsOut(BaseModel):
    results: list[PgxResultSummaryOut]
    n_results: int
    limit: int
