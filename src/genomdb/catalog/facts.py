"""Catalogue facts other domains decide on: which current samples a key, person, search or blob names, with the
department, region and consent the access policy needs; and the storage tier of each registered blob."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator, Sequence
from typing import Any, TypeAlias

from sqlalchemy import Select, exists, or_, select, update

from genomdb.catalog.search import CatalogSearch
from genomdb.catalog.tables import (
    BlobRow,
    DepartmentRow,
    FileRow,
    FileSampleRow,
    PersonRow,
    RegionRow,
    SampleRow,
    SubmissionVersionRow,
)
from genomdb.model.catalog import BlobUse, SampleFacts, SearchFilters, StorageTier, SubmissionStatus

_IN_CHUNK = 500
AnySelect: TypeAlias = Select[*tuple[Any, ...]]


def _chunks(values: Sequence[str]) -> Iterator[Sequence[str]]:
    for start in range(0, len(values), _IN_CHUNK):
        yield values[start : start + _IN_CHUNK]


def _facts_query() -> AnySelect:
    """Current samples (accepted version, not withdrawn) with the facts the policy needs."""
    return (
        select(
            SampleRow.sample_key,
            SampleRow.submitter_sample_id,
            PersonRow.pseudonym,
            DepartmentRow.code,
            RegionRow.code,
            PersonRow.research_opt_out,
        )
        .join(SubmissionVersionRow, SubmissionVersionRow.id == SampleRow.submission_version_id)
        .join(PersonRow, PersonRow.id == SampleRow.person_id)
        .join(DepartmentRow, DepartmentRow.id == SampleRow.department_id)
        .join(RegionRow, RegionRow.id == DepartmentRow.region_id)
        .where(SubmissionVersionRow.status == SubmissionStatus.ACCEPTED, SampleRow.withdrawn.is_(False))
    )


def _facts(row: Any) -> SampleFacts:
    return SampleFacts(
        sample_key=row[0],
        submitter_sample_id=row[1],
        pseudonym=row[2],
        department=row[3],
        region=row[4],
        research_opt_out=bool(row[5]),
    )


class CatalogFacts(CatalogSearch):
    """Policy facts and blob tiers, on top of the read side; :class:`genomdb.catalog.repository.Catalog` adds writes."""

    def sample_facts(self, key: str) -> SampleFacts | None:
        """A current sample by sample key (``SMP-…``), or by a department's own sample id when that is unique."""
        with self.db.session() as session:
            rows = session.execute(_facts_query().where(SampleRow.sample_key == key)).all()
            if not rows:
                rows = session.execute(_facts_query().where(SampleRow.submitter_sample_id == key)).all()
            return _facts(rows[0]) if len(rows) == 1 else None

    def samples_of_person(self, pseudonym: str) -> list[SampleFacts]:
        with self.db.session() as session:
            rows = session.execute(
                _facts_query().where(PersonRow.pseudonym == pseudonym).order_by(SampleRow.sample_key)
            ).all()
            return [_facts(row) for row in rows]

    def samples_by_keys(self, keys: Iterable[str]) -> list[SampleFacts]:
        wanted = sorted(set(keys))
        found: list[SampleFacts] = []
        with self.db.session() as session:
            for chunk in _chunks(wanted):
                found.extend(
                    _facts(row) for row in session.execute(_facts_query().where(SampleRow.sample_key.in_(chunk)))
                )
        return sorted(found, key=lambda facts: facts.sample_key)

    def samples_matching(self, filters: SearchFilters) -> list[SampleFacts]:
        """Current samples a catalog search finds, with their policy facts."""
        return self.samples_by_keys(s.sample_key for s in self.search(filters))

    def samples_of_blob(self, sha256: str) -> list[SampleFacts]:
        """Current samples with a file (or a file's index) whose content is this blob."""
        with self.db.session() as session:
            linked = (
                select(FileSampleRow.sample_id)
                .join(FileRow, FileRow.id == FileSampleRow.file_id)
                .where(or_(FileRow.sha256 == sha256, FileRow.index_sha256 == sha256))
            )
            rows = session.execute(_facts_query().where(SampleRow.id.in_(linked)).order_by(SampleRow.sample_key))
            return [_facts(row) for row in rows]

    def blob_known(self, sha256: str) -> bool:
        with self.db.session() as session:
            return bool(session.scalar(select(exists().where(BlobRow.sha256 == sha256))))

    def blob_record(self, sha256: str) -> tuple[int, str, StorageTier] | None:
        """(size, md5, tier) of a registered blob."""
        with self.db.session() as session:
            row = session.get(BlobRow, sha256)
            return (row.size, row.md5, StorageTier(row.tier)) if row else None

    def blob_tiers(self, sha256s: Iterable[str]) -> dict[str, StorageTier]:
        wanted = sorted(set(sha256s))
        found: dict[str, StorageTier] = {}
        with self.db.session() as session:
            for chunk in _chunks(wanted):
                for sha, tier in session.execute(select(BlobRow.sha256, BlobRow.tier).where(BlobRow.sha256.in_(chunk))):
                    found[sha] = StorageTier(tier)
        return found

    def blob_uses(self) -> list[BlobUse]:
        """Every registered blob with the format of the file it is (or indexes), the persons it belongs to, when
        it was stored and its tier — what the storage tier policy and the capacity plan decide on."""
        formats: dict[str, str] = {}
        bases: dict[str, int] = {}
        persons: dict[str, set[str]] = {}
        with self.db.session() as session:
            files = session.execute(
                select(FileRow.id, FileRow.sha256, FileRow.index_sha256, FileRow.format, FileRow.facts)
            ).all()
            owners: dict[int, set[str]] = {}
            for file_id, pseudonym in session.execute(
                select(FileSampleRow.file_id, PersonRow.pseudonym)
                .join(SampleRow, SampleRow.id == FileSampleRow.sample_id)
                .join(PersonRow, PersonRow.id == SampleRow.person_id)
            ):
                owners.setdefault(file_id, set()).add(pseudonym)
            for file_id, sha256, index_sha256, file_format, facts in files:
                for sha in (sha256, index_sha256):
                    if sha is None:
                        continue
                    formats.setdefault(sha, file_format)
                    persons.setdefault(sha, set()).update(owners.get(file_id, set()))
                n_bases = (facts or {}).get("n_bases")
                if isinstance(n_bases, int):
                    bases[sha256] = n_bases
            blobs = session.execute(select(BlobRow.sha256, BlobRow.size, BlobRow.tier, BlobRow.stored_at)).all()
        return [
            BlobUse(
                sha256=sha,
                size=size,
                tier=StorageTier(tier),
                stored_at=stored_at if stored_at.tzinfo else stored_at.replace(tzinfo=dt.UTC),
                file_format=formats.get(sha),
                persons=tuple(sorted(persons.get(sha, set()))),
                n_bases=bases.get(sha),
            )
            for sha, size, tier, stored_at in sorted(blobs)
        ]

    def set_tier(self, sha256s: Iterable[str], tier: StorageTier) -> int:
        """Move blobs to a tier; returns how many changed."""
        wanted = sorted(set(sha256s))
        changed = 0
        with self.db.session() as session:
            for chunk in _chunks(wanted):
                result = session.execute(
                    update(BlobRow).where(BlobRow.sha256.in_(chunk), BlobRow.tier != tier.value).values(tier=tier.value)
                )
                changed += int(getattr(result, "rowcount", 0) or 0)
        return changed
