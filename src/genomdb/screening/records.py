"""Domain records of early detection, as the rest of genomdb (and the shells) see them."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class VariantCall:
    """One P/LP variant as a person carries it."""

    variant_key: str
    genotype: str
    """``0/1``, ``1/1`` or ``1`` (hemizygous)."""
    alt_count: int
    gq: int | None
    national_term: str
    """The national variant database's aggregate term (e.g. Pathogenic/Likely pathogenic)."""
    faf95: float | None
    """FAF95 in the run's frequency release (None: no release, or not in it)."""

    def to_json(self) -> dict[str, Any]:
        return {
            "variant_key": self.variant_key,
            "genotype": self.genotype,
            "alt_count": self.alt_count,
            "gq": self.gq,
            "national_term": self.national_term,
            "faf95": self.faf95,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> VariantCall:
        return cls(
            str(data["variant_key"]),
            str(data["genotype"]),
            int(data["alt_count"]),
            None if data.get("gq") is None else int(data["gq"]),
            str(data["national_term"]),
            None if data.get("faf95") is None else float(data["faf95"]),
        )


@dataclass(frozen=True, slots=True)
class Finding:
    """A person a programme's policy finds actionable in one gene (or flags, when a variant is too frequent)."""

    pseudonym: str
    sample_key: str
    department: str
    region: str
    birth_year: int | None
    gene: str
    risk_class: str
    rule: str
    variants: tuple[VariantCall, ...]
    reported: bool
    flag_reason: str | None = None

    @property
    def variant_keys(self) -> tuple[str, ...]:
        return tuple(v.variant_key for v in self.variants)


@dataclass(frozen=True, slots=True)
class ScreeningRun:
    """One stored run of a programme: what it used and how many findings it made."""

    run_id: str
    programme: str
    policy_version: str
    policy_sha256: str
    as_of: dt.datetime | None
    cohort: tuple[str, ...]
    release_id: str | None
    classification_versions: dict[str, list[str]]
    flagged_variants: dict[str, str]
    n_samples: int
    n_reported: int
    n_flagged: int
    created_by: str
    created_at: dt.datetime


@dataclass(frozen=True, slots=True)
class StatusChange:
    status: str
    at: dt.datetime
    by: str
    result: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {"status": self.status, "at": self.at.isoformat(), "by": self.by, "result": self.result}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> StatusChange:
        return cls(str(data["status"]), dt.datetime.fromisoformat(data["at"]), str(data["by"]), data.get("result"))


@dataclass(frozen=True, slots=True)
class RelativeEntry:
    """One relative on an index case's cascade worklist."""

    entry_id: str
    programme: str
    index_pseudonym: str
    relative_pseudonym: str
    gene: str
    variant_keys: tuple[str, ...]
    relation: str
    degree: int
    status: str
    result: str | None
    history: tuple[StatusChange, ...]
    genome_status: str = "not in the database"
    """From the relative's genome: ``carrier``, ``non-carrier``, ``not callable`` or ``no genome`` (to invite)."""


@dataclass(frozen=True, slots=True)
class Capacity:
    region: str
    programme: str
    monthly_capacity: int
    set_by: str
    set_at: dt.datetime


@dataclass(frozen=True, slots=True)
class Referral:
    programme: str
    pseudonym: str
    region: str
    gene: str
    run_id: str
    month: str
    released_at: dt.datetime


@dataclass(frozen=True, slots=True)
class PersonFacts:
    """What a programme needs to know of a person from the catalogue."""

    pseudonym: str
    birth_year: int | None
    research_opt_out: bool
    does_not_want_to_know: bool

    @property
    def listable(self) -> bool:
        """Never listed when the person opted out of research or does not want to know."""
        return not (self.research_opt_out or self.does_not_want_to_know)
