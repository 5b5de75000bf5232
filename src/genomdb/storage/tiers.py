"""Storage tiers as policy: which stored objects are hot and which cold, declared once as data.

The policy (``storage/tiering/default.yaml``, or a site's file named by ``GENOMDB_TIER_POLICY``) names two tiers —
``hot`` and ``cold``, each an S3 storage class and a price — and a rule for each file class: FASTQ, alignments
(CRAM/BAM), variant calls (VCF/gVCF/BCF), variant-store batches, frequency releases and data-out deliveries. A rule
keeps an object hot for ``hot_days`` after it was stored (``null``: always hot), and, with
``hot_while_active_referral``, for as long as the person it belongs to is in an active referral.

This module is backend work only: it decides (:meth:`TierPolicy.decide`), writes the equivalent S3 lifecycle
configuration (:meth:`TierPolicy.lifecycle`) and moves objects (:func:`move`). Which objects exist, their class,
age and referral state come from the catalog, gathered by the caller (the storage base imports no domain).

On S3 a move is a server-side copy of the object onto itself with the new storage class and the class tag
(``genomdb-class``, which the lifecycle rules filter on); on the local store a tier is recorded only (one disk has
one medium, and content-addressed paths must not depend on a tier).
"""

from __future__ import annotations

import datetime as dt
import importlib.resources
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from genomdb.errors import IntegrityError, InvalidInput, Problem
from genomdb.model.catalog import StorageTier

FILE_CLASSES = ("fastq", "alignments", "variant_calls", "batches", "releases", "deliveries")
"""Every file class a policy must give a rule for."""
DATASET_CLASSES = {"batches": "variants/batches/", "releases": "frequency/releases/"}
"""Classes that are dataset folders, and where they live under the store root."""
CLASS_TAG = "genomdb-class"
"""The S3 object tag naming an object's class; the lifecycle rules filter blobs on it."""
HELD = "held"
"""The class tag of an object kept hot by an active referral: no lifecycle rule matches it."""
BLOB_PREFIX = "sha256/"
DEFAULT_POLICY = "default.yaml"


class TierSpec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    storage_class: str = Field(pattern=r"^[A-Z][A-Z0-9_]{0,31}$")
    description: str = ""
    cost_per_tb_month: float = Field(ge=0)
    online: bool = True
    """Readable at once (a Ceph storage class on its own pool is): a delivery reads a cold file straight away and
    the audit log records it. False for an archive that must restore first: deliveries wait for a thaw."""


class ClassRule(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    description: str = ""
    formats: tuple[str, ...] = ()
    """Catalog file formats of this class (their indexes follow them); empty for dataset classes."""
    hot_days: int | None = Field(ge=0)
    """Days an object stays hot after it was stored; None: always hot."""
    hot_while_active_referral: bool = False


class TierPolicy(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    version: int = Field(ge=1, le=1)
    revision: str = Field(min_length=1, max_length=40)
    currency: str = "EUR"
    tiers: dict[StorageTier, TierSpec]
    classes: dict[str, ClassRule]

    @model_validator(mode="after")
    def _complete(self) -> TierPolicy:
        missing_tiers = [t.value for t in StorageTier if t not in self.tiers]
        if missing_tiers:
            raise ValueError(f"tiers: missing {', '.join(missing_tiers)}")
        if not self.tiers[StorageTier.HOT].online:
            raise ValueError("tiers.hot.online: the hot tier is always readable")
        unknown = sorted(set(self.classes) - set(FILE_CLASSES))
        missing = [c for c in FILE_CLASSES if c not in self.classes]
        if unknown or missing:
            raise ValueError(
                f"classes: expected exactly {', '.join(FILE_CLASSES)}"
                + (f"; unknown {', '.join(unknown)}" if unknown else "")
                + (f"; missing {', '.join(missing)}" if missing else "")
            )
        seen: dict[str, str] = {}
        for name, rule in self.classes.items():
            if name in DATASET_CLASSES or name == "deliveries":
                if rule.formats:
                    raise ValueError(f"classes.{name}.formats: a {name} class holds no catalog files")
                if rule.hot_while_active_referral:
                    raise ValueError(f"classes.{name}.hot_while_active_referral: {name} belong to no person")
            for fmt in rule.formats:
                if fmt != fmt.upper():
                    raise ValueError(f"classes.{name}.formats: write {fmt!r} in capitals as the catalog does")
                if fmt in seen:
                    raise ValueError(f"classes.{name}.formats: {fmt} is already in class {seen[fmt]}")
                seen[fmt] = name
        return self

    # --- deciding --------------------------------------------------------------------------------------------

    def class_of_format(self, file_format: str) -> str | None:
        for name, rule in self.classes.items():
            if file_format.upper() in rule.formats:
                return name
        return None

    def decide(self, subject: TierSubject, now: dt.datetime) -> StorageTier:
        """The tier the policy wants an object in at ``now``."""
        rule = self.classes[subject.file_class]
        if rule.hot_days is None:
            return StorageTier.HOT
        if rule.hot_while_active_referral and subject.active_referral:
            return StorageTier.HOT
        if now - subject.stored_at < dt.timedelta(days=rule.hot_days):
            return StorageTier.HOT
        return StorageTier.COLD

    def tag_for(self, subject: TierSubject) -> str:
        """The class tag an S3 object carries: its class, or ``held`` while a referral keeps it hot."""
        rule = self.classes[subject.file_class]
        return HELD if rule.hot_while_active_referral and subject.active_referral else subject.file_class

    def storage_class(self, tier: StorageTier) -> str:
        return self.tiers[tier].storage_class

    # --- the S3 equivalent -----------------------------------------------------------------------------------

    def lifecycle(self, prefix: str = "") -> dict[str, Any]:
        """The S3 lifecycle configuration that moves objects as this policy does (by object age).

        Blobs are filtered by their class tag (content-addressed keys do not say what a file is); datasets by
        their key prefix. A referral hold is the tag ``held``, which no rule matches, maintained by
        ``genomdb store tier --apply``; an object's age is counted by S3 from its last write."""
        base = prefix.strip("/") + "/" if prefix.strip("/") else ""
        cold = self.storage_class(StorageTier.COLD)
        rules: list[dict[str, Any]] = []
        for name in FILE_CLASSES:
            rule = self.classes[name]
            if rule.hot_days is None or name == "deliveries":
                continue
            rule_filter: dict[str, Any]
            if name in DATASET_CLASSES:
                rule_filter = {"Prefix": base + DATASET_CLASSES[name]}
            else:
                rule_filter = {"And": {"Prefix": base + BLOB_PREFIX, "Tags": [{"Key": CLASS_TAG, "Value": name}]}}
            rules.append(
                {
                    "ID": f"genomdb-{self.revision}-{name}",
                    "Status": "Enabled",
                    "Filter": rule_filter,
                    "Transitions": [{"Days": rule.hot_days, "StorageClass": cold}],
                }
            )
        return {"Rules": rules}


@dataclass(frozen=True, slots=True)
class TierSubject:
    """One stored object as the policy sees it."""

    name: str
    """The ledger's name: ``blob/<sha256>``, or a dataset file (``variants/batches/VB-…/part-0.parquet``)."""
    kind: str
    """``blob``, ``batch`` or ``release``."""
    file_class: str
    sha256: str
    size: int
    stored_at: dt.datetime
    active_referral: bool
    current: StorageTier


@dataclass(frozen=True, slots=True)
class TierMove:
    """An object to put in ``target`` with class tag ``tag``; when ``target`` is its current tier only the tag
    changes (a referral began or ended, or the object was never tagged)."""

    subject: TierSubject
    target: StorageTier
    tag: str

    @property
    def moves(self) -> bool:
        return self.target != self.subject.current


def load_policy(path: Path | None = None) -> TierPolicy:
    """The packaged policy, or a site's file; a clear error naming the file and field when it is not valid."""
    if path is None:
        source = importlib.resources.files("genomdb.storage") / "tiering" / DEFAULT_POLICY
        text, shown = source.read_text(encoding="utf-8"), f"genomdb/storage/tiering/{DEFAULT_POLICY}"
    else:
        try:
            text, shown = path.read_text(encoding="utf-8"), str(path)
        except OSError as exc:
            raise InvalidInput(
                "cannot read the tier policy", [Problem(str(path), f"cannot be read ({exc.strerror})")]
            ) from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        raise InvalidInput(
            "the tier policy is not valid YAML",
            [Problem(shown, str(getattr(exc, "problem", exc)), location=f"line {line}" if line else None)],
        ) from None
    try:
        return TierPolicy.model_validate(data)
    except ValidationError as exc:
        problems = [_problem(shown, error) for error in exc.errors()]
        raise InvalidInput("the tier policy is not valid", problems) from None


def _problem(shown: str, error: Any) -> Problem:
    field = ".".join(str(p) for p in error["loc"]) or None
    message = str(error["msg"])
    if field is None and message.startswith("Value error, "):  # the whole-policy checks say "field: message"
        field, _, message = message.removeprefix("Value error, ").partition(": ")
    return Problem(
        shown,
        message,
        field=field,
        expected=_expected(error),
        found=None if error["type"] in {"missing", "value_error"} else repr(error.get("input"))[:80],
    )


def _expected(error: Any) -> str | None:
    context = error.get("ctx") or {}
    if "pattern" in context:
        return f"matching {context['pattern']}"
    if "ge" in context or "le" in context:
        return " and ".join(f"{k} {v}" for k, v in context.items() if k in {"ge", "le"})
    return None


def plan_moves(
    policy: TierPolicy,
    subjects: Iterable[TierSubject],
    now: dt.datetime,
    *,
    tags: Mapping[str, str] | None = None,
) -> list[TierMove]:
    """The objects whose tier the policy wants changed at ``now`` and, given the recorded ``tags`` (object name →
    tag), those whose class tag must change.

    Age moves objects one way only, hot to cold (as a lifecycle transition does): an object put in the cold tier
    by hand stays there. An active referral brings an object of a class it holds back to hot."""
    moves = []
    for subject in subjects:
        target = policy.decide(subject, now)
        tag = policy.tag_for(subject)
        if target == StorageTier.HOT and subject.current == StorageTier.COLD:
            rule = policy.classes[subject.file_class]
            if not (rule.hot_while_active_referral and subject.active_referral):
                target = StorageTier.COLD
        if target != subject.current or (tags is not None and tags.get(subject.name) != tag):
            moves.append(TierMove(subject, target, tag))
    return moves


def move_s3_object(client: Any, bucket: str, key: str, *, storage_class: str, tag: str) -> None:
    """Copy an object onto itself with a new storage class (server-side; metadata kept), tag it with its class,
    then check that the size and recorded sha256 are what they were."""
    from boto3.s3.transfer import TransferConfig

    before = client.head_object(Bucket=bucket, Key=key)
    client.copy(
        {"Bucket": bucket, "Key": key},
        bucket,
        key,
        ExtraArgs={
            "StorageClass": storage_class,
            "Metadata": before.get("Metadata", {}),
            "MetadataDirective": "REPLACE",
        },
        Config=TransferConfig(multipart_threshold=5 * 1024**3, multipart_chunksize=512 * 1024**2),
    )
    tag_s3_object(client, bucket, key, tag=tag)  # RGW 16 drops tags on a copy, whatever the tagging directive
    after = client.head_object(Bucket=bucket, Key=key)
    if int(after["ContentLength"]) != int(before["ContentLength"]) or after.get("Metadata") != before.get("Metadata"):
        raise IntegrityError(f"{key}: the copy to storage class {storage_class} does not match the original")
    found = str(after.get("StorageClass") or "STANDARD")
    if found != storage_class:
        raise IntegrityError(f"{key}: the store kept storage class {found}, not {storage_class}")


def tag_s3_object(client: Any, bucket: str, key: str, *, tag: str) -> None:
    client.put_object_tagging(Bucket=bucket, Key=key, Tagging={"TagSet": [{"Key": CLASS_TAG, "Value": tag}]})


def s3_storage_class(client: Any, bucket: str, key: str) -> str:
    """An object's storage class (S3 omits it for STANDARD)."""
    return str(client.head_object(Bucket=bucket, Key=key).get("StorageClass") or "STANDARD")
