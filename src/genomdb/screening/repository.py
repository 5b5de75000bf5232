"""Reads and writes of early detection's tables; ORM rows never leave this module. Catalogue facts (person flags,
declared relationships) are read from the catalogue's published relations."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import and_, func, select

from genomdb.catalog import relations as cat
from genomdb.db.base import utcnow
from genomdb.db.engine import Database
from genomdb.errors import Conflict, NotFound
from genomdb.screening.records import (
    Capacity,
    Finding,
    PersonFacts,
    Referral,
    RelativeEntry,
    ScreeningRun,
    StatusChange,
    VariantCall,
)
from genomdb.screening.tables import (
    ScreeningCapacityRow,
    ScreeningFindingRow,
    ScreeningPolicyRow,
    ScreeningReferralRow,
    ScreeningRelativeRow,
    ScreeningRunRow,
)


def _utc(value: dt.datetime) -> dt.datetime:
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


# --- policies ---------------------------------------------------------------------------------------------------


def save_policy(db: Database, document: dict[str, Any], sha256: str, *, loaded_by: str) -> bool:
    """Store a policy version; False when this exact version is stored already. Conflict when the same
    programme and version is stored with other content (a changed policy needs a new ``policy_version``)."""
    programme, version = str(document["programme"]), str(document["policy_version"])
    with db.session() as session:
        row = session.scalar(
            select(ScreeningPolicyRow).where(
                ScreeningPolicyRow.programme == programme, ScreeningPolicyRow.policy_version == version
            )
        )
        if row is not None:
            if row.sha256 == sha256:
                return False
            raise Conflict(
                f"policy {programme} {version} is stored already with other content: give the edited policy a new "
                "policy_version"
            )
        session.add(
            ScreeningPolicyRow(
                programme=programme,
                policy_version=version,
                schema_version=int(document["schema_version"]),
                sha256=sha256,
                document=document,
                loaded_by=loaded_by,
                loaded_at=utcnow(),
            )
        )
    return True


def current_policy_document(db: Database, programme: str) -> dict[str, Any] | None:
    """The newest policy loaded for a programme, or None when none was loaded (the shipped one applies)."""
    with db.session() as session:
        row = session.scalar(
            select(ScreeningPolicyRow)
            .where(ScreeningPolicyRow.programme == programme)
            .order_by(ScreeningPolicyRow.id.desc())
            .limit(1)
        )
        return dict(row.document) if row is not None else None


def policy_document(db: Database, programme: str, version: str) -> dict[str, Any] | None:
    with db.session() as session:
        row = session.scalar(
            select(ScreeningPolicyRow).where(
                ScreeningPolicyRow.programme == programme, ScreeningPolicyRow.policy_version == version
            )
        )
        return dict(row.document) if row is not None else None


def counts(db: Database) -> dict[str, int]:
    """Rows per screening table (tests use it to show that refused input changed nothing)."""
    tables = (
        ScreeningPolicyRow,
        ScreeningRunRow,
        ScreeningFindingRow,
        ScreeningRelativeRow,
        ScreeningCapacityRow,
        ScreeningReferralRow,
    )
    with db.session() as session:
        return {t.__tablename__: int(session.scalar(select(func.count()).select_from(t)) or 0) for t in tables}


# --- catalogue facts ----------------------------------------------------------------------------------------------


def person_facts(db: Database, pseudonyms: Iterable[str] | None = None) -> dict[str, PersonFacts]:
    """Birth year and the two flags that keep a person off every list, by pseudonym (all persons when None)."""
    persons = cat.persons
    query = select(
        persons.c.pseudonym, persons.c.birth_year, persons.c.research_opt_out, persons.c.does_not_want_to_know
    )
    found: dict[str, PersonFacts] = {}
    with db.session() as session:
        if pseudonyms is None:
            rows: Iterable[Any] = session.execute(query)
        else:
            wanted = sorted(set(pseudonyms))
            rows = [
                row
                for start in range(0, len(wanted), 500)
                for row in session.execute(query.where(persons.c.pseudonym.in_(wanted[start : start + 500])))
            ]
        for pseudonym, birth_year, opt_out, dnk in rows:
            found[str(pseudonym)] = PersonFacts(str(pseudonym), birth_year, bool(opt_out), bool(dnk))
    return found


def declared_relationships(db: Database) -> list[tuple[str, str, str]]:
    """Every declared relationship as (person, relation, relative) pseudonyms: the relative is the person's
    mother, father, sibling or child."""
    persons, links = cat.persons, cat.relationships
    relative = persons.alias("relative")
    query = (
        select(persons.c.pseudonym, links.c.relation, relative.c.pseudonym)
        .select_from(links)
        .join(persons, persons.c.id == links.c.person_id)
        .join(relative, relative.c.id == links.c.relative_id)
    )
    with db.session() as session:
        return sorted({(str(a), str(r), str(b)) for a, r, b in session.execute(query)})


# --- runs and findings --------------------------------------------------------------------------------------------


def save_run(db: Database, run: ScreeningRun, findings: Sequence[Finding]) -> None:
    """Store a run and its findings in one transaction (a crash leaves no half run)."""
    with db.session() as session:
        session.add(
            ScreeningRunRow(
                run_id=run.run_id,
                programme=run.programme,
                policy_version=run.policy_version,
                policy_sha256=run.policy_sha256,
                as_of=run.as_of,
                cohort=list(run.cohort),
                release_id=run.release_id,
                classification_versions=run.classification_versions,
                flagged_variants=run.flagged_variants,
                n_samples=run.n_samples,
                n_reported=run.n_reported,
                n_flagged=run.n_flagged,
                created_by=run.created_by,
                created_at=run.created_at,
            )
        )
        session.flush()
        session.add_all(
            ScreeningFindingRow(
                run_id=run.run_id,
                pseudonym=f.pseudonym,
                sample_key=f.sample_key,
                department=f.department,
                region=f.region,
                birth_year=f.birth_year,
                gene=f.gene,
                risk_class=f.risk_class,
                rule=f.rule,
                variants=[v.to_json() for v in f.variants],
                reported=f.reported,
                flag_reason=f.flag_reason,
            )
            for f in findings
        )


def _run(row: ScreeningRunRow) -> ScreeningRun:
    return ScreeningRun(
        run_id=row.run_id,
        programme=row.programme,
        policy_version=row.policy_version,
        policy_sha256=row.policy_sha256,
        as_of=_utc(row.as_of) if row.as_of is not None else None,
        cohort=tuple(row.cohort),
        release_id=row.release_id,
        classification_versions={str(k): list(v) for k, v in row.classification_versions.items()},
        flagged_variants={str(k): str(v) for k, v in row.flagged_variants.items()},
        n_samples=row.n_samples,
        n_reported=row.n_reported,
        n_flagged=row.n_flagged,
        created_by=row.created_by,
        created_at=_utc(row.created_at),
    )


def runs(db: Database, programme: str | None = None) -> list[ScreeningRun]:
    """Stored runs, oldest first."""
    query = select(ScreeningRunRow).order_by(ScreeningRunRow.created_at, ScreeningRunRow.run_id)
    if programme is not None:
        query = query.where(ScreeningRunRow.programme == programme)
    with db.session() as session:
        return [_run(row) for row in session.scalars(query)]


def run(db: Database, run_id: str) -> ScreeningRun:
    with db.session() as session:
        row = session.get(ScreeningRunRow, run_id)
        if row is None:
            raise NotFound(f"no screening run {run_id}: `genomdb screen runs` lists them")
        return _run(row)


def findings(db: Database, run_id: str, *, listable_only: bool = True) -> list[Finding]:
    """A run's findings (reported and flagged). ``listable_only`` (the default for every surface) leaves out persons
    who, now, opt out of research or do not want to know."""
    persons = cat.persons
    query = (
        select(ScreeningFindingRow)
        .join(persons, persons.c.pseudonym == ScreeningFindingRow.pseudonym)
        .where(ScreeningFindingRow.run_id == run_id)
        .order_by(ScreeningFindingRow.id)
    )
    if listable_only:
        query = query.where(and_(persons.c.research_opt_out.is_(False), persons.c.does_not_want_to_know.is_(False)))
    with db.session() as session:
        return [
            Finding(
                pseudonym=row.pseudonym,
                sample_key=row.sample_key,
                department=row.department,
                region=row.region,
                birth_year=row.birth_year,
                gene=row.gene,
                risk_class=row.risk_class,
                rule=row.rule,
                variants=tuple(VariantCall.from_json(v) for v in row.variants),
                reported=row.reported,
                flag_reason=row.flag_reason,
            )
            for row in session.scalars(query)
        ]


# --- cascade worklists --------------------------------------------------------------------------------------------


def _entry(row: ScreeningRelativeRow) -> RelativeEntry:
    return RelativeEntry(
        entry_id=row.entry_id,
        programme=row.programme,
        index_pseudonym=row.index_pseudonym,
        relative_pseudonym=row.relative_pseudonym,
        gene=row.gene,
        variant_keys=tuple(row.variant_keys),
        relation=row.relation,
        degree=row.degree,
        status=row.status,
        result=row.result,
        history=tuple(StatusChange.from_json(h) for h in row.history),
    )


def add_relatives(db: Database, entries: Sequence[RelativeEntry]) -> int:
    """Add worklist entries not there yet (same programme, index case and relative); return how many were added."""
    added = 0
    with db.session() as session:
        for entry in entries:
            exists = session.scalar(
                select(ScreeningRelativeRow.id).where(
                    ScreeningRelativeRow.programme == entry.programme,
                    ScreeningRelativeRow.index_pseudonym == entry.index_pseudonym,
                    ScreeningRelativeRow.relative_pseudonym == entry.relative_pseudonym,
                )
            )
            if exists is not None:
                continue
            session.add(
                ScreeningRelativeRow(
                    entry_id=entry.entry_id,
                    programme=entry.programme,
                    index_pseudonym=entry.index_pseudonym,
                    relative_pseudonym=entry.relative_pseudonym,
                    gene=entry.gene,
                    variant_keys=list(entry.variant_keys),
                    relation=entry.relation,
                    degree=entry.degree,
                    status=entry.status,
                    result=entry.result,
                    history=[h.to_json() for h in entry.history],
                    created_at=entry.history[0].at,
                    updated_at=entry.history[-1].at,
                )
            )
            added += 1
    return added


def relatives(
    db: Database, *, programme: str | None = None, index: str | None = None, relative: str | None = None
) -> list[RelativeEntry]:
    """Worklist entries, by index case then degree; persons who opt out or do not want to know are left out,
    as index cases and as relatives."""
    persons = cat.persons
    index_person = persons.alias("index_person")
    relative_person = persons.alias("relative_person")
    query = (
        select(ScreeningRelativeRow)
        .join(index_person, index_person.c.pseudonym == ScreeningRelativeRow.index_pseudonym)
        .join(relative_person, relative_person.c.pseudonym == ScreeningRelativeRow.relative_pseudonym)
        .where(
            index_person.c.research_opt_out.is_(False),
            index_person.c.does_not_want_to_know.is_(False),
            relative_person.c.research_opt_out.is_(False),
            relative_person.c.does_not_want_to_know.is_(False),
        )
        .order_by(
            ScreeningRelativeRow.programme,
            ScreeningRelativeRow.index_pseudonym,
            ScreeningRelativeRow.degree,
            ScreeningRelativeRow.relation,
            ScreeningRelativeRow.relative_pseudonym,
        )
    )
    if programme is not None:
        query = query.where(ScreeningRelativeRow.programme == programme)
    if index is not None:
        query = query.where(ScreeningRelativeRow.index_pseudonym == index)
    if relative is not None:
        query = query.where(
            (ScreeningRelativeRow.relative_pseudonym == relative) | (ScreeningRelativeRow.entry_id == relative)
        )
    with db.session() as session:
        return [_entry(row) for row in session.scalars(query)]


def change_status(
    db: Database, entry_id: str, *, expected: str, status: str, result: str | None, change: StatusChange
) -> RelativeEntry:
    """Move one entry from ``expected`` to ``status`` (Conflict when someone changed it meanwhile)."""
    with db.session() as session:
        row = session.scalar(
            select(ScreeningRelativeRow).where(ScreeningRelativeRow.entry_id == entry_id).with_for_update()
        )
        if row is None:
            raise NotFound(f"no cascade entry {entry_id}")
        if row.status != expected:
            raise Conflict(f"{entry_id} is {row.status} now, not {expected}: look again and retry")
        row.status = status
        row.result = result
        row.history = [*row.history, change.to_json()]
        row.updated_at = change.at
        session.flush()
        return _entry(row)


# --- capacity and referrals ------------------------------------------------------------------------------------


def set_capacity(db: Database, region: str, programme: str, monthly_capacity: int, *, set_by: str) -> None:
    with db.session() as session:
        row = session.scalar(
            select(ScreeningCapacityRow).where(
                ScreeningCapacityRow.region == region, ScreeningCapacityRow.programme == programme
            )
        )
        if row is None:
            session.add(
                ScreeningCapacityRow(
                    region=region,
                    programme=programme,
                    monthly_capacity=monthly_capacity,
                    set_by=set_by,
                    set_at=utcnow(),
                )
            )
        else:
            row.monthly_capacity, row.set_by, row.set_at = monthly_capacity, set_by, utcnow()


def capacities(db: Database) -> list[Capacity]:
    with db.session() as session:
        rows = session.scalars(
            select(ScreeningCapacityRow).order_by(ScreeningCapacityRow.programme, ScreeningCapacityRow.region)
        )
        return [Capacity(r.region, r.programme, r.monthly_capacity, r.set_by, _utc(r.set_at)) for r in rows]


def referrals(db: Database, programme: str | None = None) -> list[Referral]:
    query = select(ScreeningReferralRow).order_by(ScreeningReferralRow.released_at, ScreeningReferralRow.id)
    if programme is not None:
        query = query.where(ScreeningReferralRow.programme == programme)
    with db.session() as session:
        return [
            Referral(r.programme, r.pseudonym, r.region, r.gene, r.run_id, r.month, _utc(r.released_at))
            for r in session.scalars(query)
        ]


def add_referrals(db: Database, released: Sequence[Referral]) -> None:
    """Record released referrals in one transaction."""
    with db.session() as session:
        session.add_all(
            ScreeningReferralRow(
                programme=r.programme,
                pseudonym=r.pseudonym,
                region=r.region,
                gene=r.gene,
                run_id=r.run_id,
                month=r.month,
                released_at=r.released_at,
            )
            for r in released
        )
