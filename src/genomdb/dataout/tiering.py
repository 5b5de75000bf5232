"""The instance's stored objects as the storage tier policy, the capacity plan and a migration see them.

The storage base (:mod:`genomdb.storage.tiers`, :mod:`genomdb.storage.plan`, :mod:`genomdb.storage.migrate`)
imports no domain; this module gathers what they decide on from the catalogue, the access grants, the variant
store and the frequency releases:

* **File class** of a blob: the catalog format of the file it is, or whose index it is.
* **Active referral**: a person is in an active referral while an active (not revoked, not expired) grant for
  *treatment* covers one of their samples — a treatment grant is how a referral is recorded (its reference is the
  referral id), and it ends when the grant is revoked or expires.
* **Age**: a blob from the time it was registered; a batch or release file from the time it was built.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from genomdb.access.grants import samples_in_scope
from genomdb.access.policy import Policy
from genomdb.access.records import Action, Actor, Purpose, Resource
from genomdb.dataout.assembly import dataout_root
from genomdb.frequency.publish import list_releases, release_objects
from genomdb.frequency.registered import release_name
from genomdb.instance import Instance
from genomdb.model.catalog import StorageTier
from genomdb.storage.blobs import LocalBlobStore
from genomdb.storage.datasets import S3Datasets
from genomdb.storage.migrate import MigrationObject
from genomdb.storage.plan import ClassMeasure
from genomdb.storage.repository import ObjectTier, object_tiers, record_tier
from genomdb.storage.s3blobs import S3BlobStore
from genomdb.storage.tiers import HELD, TierMove, TierPolicy, TierSubject, load_policy, move_s3_object, tag_s3_object
from genomdb.variants import layout
from genomdb.variants.store import VariantStore

_DATASET_CLASS = {"batch": "batches", "release": "releases"}


def tier_policy(instance: Instance) -> TierPolicy:
    """The instance's tier policy: the site's file (``GENOMDB_TIER_POLICY``) or the packaged default."""
    return load_policy(instance.settings.tier_policy)


def persons_in_active_referral(instance: Instance, now: dt.datetime | None = None) -> set[str]:
    """Pseudonyms of the persons an active treatment grant covers."""
    policy = Policy(instance)
    now = now or dt.datetime.now(dt.UTC)
    found: set[str] = set()
    for grant in policy.repository.grants():
        if grant.purpose == Purpose.TREATMENT and grant.state(now) == "active":
            found.update(facts.pseudonym for facts in samples_in_scope(policy, grant))
    return found


def stored_objects(instance: Instance, policy: TierPolicy, *, now: dt.datetime | None = None) -> list[TierSubject]:
    """Every registered blob of a known class and every file of a registered batch or release, as the policy
    sees it (class, size, age, referral, current tier)."""
    referral = persons_in_active_referral(instance, now)
    recorded = object_tiers(instance.db)
    subjects: list[TierSubject] = []
    for use in instance.catalog.blob_uses():
        file_class = policy.class_of_format(use.file_format) if use.file_format else None
        if file_class is None:
            continue
        subjects.append(
            TierSubject(
                name=f"blob/{use.sha256}",
                kind="blob",
                file_class=file_class,
                sha256=use.sha256,
                size=use.size,
                stored_at=use.stored_at,
                active_referral=any(p in referral for p in use.persons),
                current=use.tier,
            )
        )
    subjects += dataset_objects(instance, recorded)
    return subjects


def dataset_objects(instance: Instance, recorded: dict[str, ObjectTier] | None = None) -> list[TierSubject]:
    """Every file of a registered batch or release, with its size, build time and recorded tier."""
    recorded = object_tiers(instance.db) if recorded is None else recorded
    store = VariantStore.of(instance)
    built: dict[str, dt.datetime] = {layout.batch_name(b.batch_id): b.created_at for b in store.batches()}
    built.update({release_name(r.release_id): r.created_at for r in list_releases(instance)})
    subjects: list[TierSubject] = []
    for entry in [*store.stored_objects(), *release_objects(instance)]:
        folder = "/".join(entry.name.split("/")[:3])
        stored_at = built.get(folder, dt.datetime.now(dt.UTC))
        tier = recorded.get(entry.name)
        subjects.append(
            TierSubject(
                name=entry.name,
                kind=entry.kind,
                file_class=_DATASET_CLASS[entry.kind],
                sha256=entry.sha256,
                size=_dataset_file_size(instance, entry.name),
                stored_at=stored_at if stored_at.tzinfo else stored_at.replace(tzinfo=dt.UTC),
                active_referral=False,
                current=StorageTier(tier.tier) if tier is not None else StorageTier.HOT,
            )
        )
    return subjects


def _dataset_file_size(instance: Instance, name: str) -> int:
    datasets = instance.datasets
    if isinstance(datasets, S3Datasets):
        head = datasets.client.head_object(Bucket=datasets.location.bucket, Key=datasets.location.key(name))
        return int(head["ContentLength"])
    path = instance.settings.resolved_home() / name
    return path.stat().st_size if path.exists() else 0


@dataclass(frozen=True, slots=True)
class AppliedMove:
    move: TierMove
    storage_class: str
    physical: bool
    """True when the object was copied to the new storage class (S3); False when the tier is only recorded."""


def apply_moves(
    instance: Instance,
    actor: Actor,
    policy: TierPolicy,
    moves: list[TierMove],
    *,
    on_move: Callable[[AppliedMove], None] | None = None,
) -> list[AppliedMove]:
    """Move each object to its tier (stewards; audited once for the run): on S3 a copy in place with the tier's
    storage class and class tag, on the local store a recorded tier; then the catalog and the storage ledger
    record it, object by object (a kill loses nothing: a re-run finds what is left to move)."""
    Policy(instance).require(
        actor,
        Action.MANAGE_STORE,
        Resource("store", "tier-policy"),
        detail={"policy_revision": policy.revision, "moves": len(moves)},
    )
    applied: list[AppliedMove] = []
    for move in moves:
        storage_class = policy.storage_class(move.target)
        physical = _move_physically(instance, move, storage_class)
        if move.subject.kind == "blob" and move.moves:
            instance.catalog.set_tier([move.subject.sha256], move.target)
        record_tier(
            instance.db,
            ObjectTier(
                move.subject.name,
                move.subject.file_class,
                move.target.value,
                storage_class,
                move.tag,
                policy.revision,
                dt.datetime.now(dt.UTC),
            ),
        )
        done = AppliedMove(move, storage_class, physical)
        applied.append(done)
        if on_move is not None:
            on_move(done)
    return applied


def place_blobs(instance: Instance, sha256s: list[str], tier: StorageTier) -> int:
    """Put blobs in a tier by hand (the caller decided and audited): on S3 each is copied in place to the tier's
    storage class, then the storage ledger records it (the caller updates the catalog). Returns how many were
    copied on S3."""
    policy = tier_policy(instance)
    storage_class = policy.storage_class(tier)
    uses = {u.sha256: u for u in instance.catalog.blob_uses()}
    copied, now = 0, dt.datetime.now(dt.UTC)
    for sha256 in sorted(set(sha256s)):
        use = uses.get(sha256)
        file_class = (policy.class_of_format(use.file_format) if use and use.file_format else None) or "unclassified"
        tag = file_class if tier == StorageTier.COLD else HELD
        if use is not None and use.tier != tier:
            subject = TierSubject(
                f"blob/{sha256}", "blob", file_class, sha256, use.size, use.stored_at, False, use.tier
            )
            copied += _move_physically(instance, TierMove(subject, tier, tag), storage_class)
        record_tier(
            instance.db,
            ObjectTier(f"blob/{sha256}", file_class, tier.value, storage_class, tag, policy.revision, now),
        )
    return copied


def _move_physically(instance: Instance, move: TierMove, storage_class: str) -> bool:
    """On S3: copy the object in place to the storage class (or, when only its tag changes, retag it)."""
    subject = move.subject
    client: Any
    if subject.kind == "blob":
        blobs = instance.blobs
        if isinstance(blobs, LocalBlobStore) or not isinstance(blobs, S3BlobStore):
            return False
        client, bucket = blobs.client, blobs.location.bucket
        key = blobs.key_for(subject.sha256, encrypted=blobs.is_encrypted(subject.sha256))
    else:
        datasets = instance.datasets
        if not isinstance(datasets, S3Datasets):
            return False
        client, bucket, key = datasets.client, datasets.location.bucket, datasets.location.key(subject.name)
    if move.moves:
        move_s3_object(client, bucket, key, storage_class=storage_class, tag=move.tag)
    else:
        tag_s3_object(client, bucket, key, tag=move.tag)
    return True


def migration_objects(instance: Instance, policy: TierPolicy) -> list[MigrationObject]:
    """Every object a migration carries: registered blobs (all of them, whatever their class) and every file of a
    registered batch or release, each with the storage class of its recorded tier."""
    objects = [
        MigrationObject(f"blob/{use.sha256}", "blob", use.sha256, use.size, policy.storage_class(use.tier))
        for use in instance.catalog.blob_uses()
    ]
    objects += [
        MigrationObject(s.name, s.kind, s.sha256, s.size, policy.storage_class(s.current))
        for s in dataset_objects(instance)
    ]
    return objects


@dataclass(frozen=True, slots=True)
class Measured:
    measures: list[ClassMeasure]
    n_genomes: int
    coverage: float | None
    coverage_source: str
    referral_share: float
    referral_source: str


def measure(instance: Instance, policy: TierPolicy, *, reference_length: int | None) -> Measured:
    """Bytes per class and the genomes they belong to, the depth of the sequencing held, and the share of
    persons in an active referral — all as this instance has them."""
    uses = instance.catalog.blob_uses()
    by_class: dict[str, int] = {}
    owners: dict[str, set[str]] = {}
    every: set[str] = set()
    bases_by_person: dict[str, int] = {}
    for use in uses:
        every.update(use.persons)
        file_class = policy.class_of_format(use.file_format) if use.file_format else None
        if file_class is None:
            continue
        by_class[file_class] = by_class.get(file_class, 0) + use.size
        owners.setdefault(file_class, set()).update(use.persons)
        if use.n_bases and len(use.persons) == 1:
            bases_by_person[use.persons[0]] = bases_by_person.get(use.persons[0], 0) + use.n_bases
    n_genomes = len(every)
    measures = [ClassMeasure(c, by_class[c], len(owners.get(c, set()))) for c in sorted(by_class)]
    datasets: dict[str, int] = {}
    for subject in dataset_objects(instance):
        datasets[subject.file_class] = datasets.get(subject.file_class, 0) + subject.size
    root = dataout_root(instance)
    delivered = sum(p.stat().st_size for p in root.rglob("*") if p.is_file()) if root.exists() else 0
    datasets["deliveries"] = delivered
    measures += [ClassMeasure(c, n, n_genomes) for c, n in sorted(datasets.items())]
    coverage: float | None = None
    if reference_length and bases_by_person:
        coverage = sum(bases_by_person.values()) / len(bases_by_person) / reference_length
        coverage_source = (
            f"measured {coverage:.3g}× (FASTQ bases of {len(bases_by_person)} genome(s) over the "
            f"{reference_length:,} bp reference)"
        )
    else:
        coverage_source = "not measurable here (no FASTQ bases or no reference): assumed to be the planned depth"
    referral = persons_in_active_referral(instance)
    share = len(referral & every) / n_genomes if n_genomes else 0.0
    referral_source = f"measured: {len(referral & every)} of {n_genomes} genome(s) under an active treatment grant"
    return Measured(measures, n_genomes, coverage, coverage_source, share, referral_source)


def reference_length(instance: Instance, build: str | None = None) -> int | None:
    """Total length of the instance's reference FASTA (from its ``.fai``), the first build found if none given."""
    folder = instance.references_dir
    candidates = [folder / f"{build}.fa.gz.fai"] if build else sorted(folder.glob("*.fa.gz.fai"))
    for fai in candidates:
        if fai.exists():
            return sum(int(line.split("\t")[1]) for line in fai.read_text().splitlines() if line.strip())
    return None


def summary(subjects: list[TierSubject]) -> dict[str, Any]:
    """Objects and bytes per class and tier."""
    table: dict[str, dict[str, list[int]]] = {}
    for s in subjects:
        cell = table.setdefault(s.file_class, {}).setdefault(s.current.value, [0, 0])
        cell[0] += 1
        cell[1] += s.size
    return table
