"""The release manifest (``manifest.json``): a versioned, JSON-Schema-validated record of what a release is.

It names every sample version the release counts (with its submission version, batch and strata labels), every
batch it read with the sha256 of that batch's ``batch.json``, the excluded sample versions with their reason,
the strata, the genotype filters of the batches, row counts and the sha256 of every release file.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError

from genomdb.errors import IntegrityError
from genomdb.frequency.coverage import BASE_LAYER, LayerInfo
from genomdb.frequency.records import IncludedSample
from genomdb.frequency.strata import SampleLabels

SCHEMA_VERSION = 1
MANIFEST_NAME = "manifest.json"

Sha256 = Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{64}$")]


class _Model(BaseModel):
    model_config = ConfigDict(strict=True, extra="allow")


class _Batch(_Model):
    batch_id: str
    manifest_sha256: Sha256
    n_samples: Annotated[int, Field(ge=0)]
    filters: dict[str, Any] | None = None


class _Sample(_Model):
    sample_id: int
    sample_key: str
    submission_id: str
    submission_version: int
    batch_id: str
    sex: str | None
    region: str | None
    platform: str | None


class _Excluded(_Model):
    sample_id: int
    reason: str


class _Counts(_Model):
    n_samples: int
    n_variants: int
    n_coverage_runs: int


class _Layer(_Model):
    name: Annotated[str, StringConstraints(pattern=r"^coverage(-[0-9]+)?$")]
    n_runs: Annotated[int, Field(ge=0)]


class ManifestModel(_Model):
    """The manifest's structure (pydantic: validating thousands of sample entries takes milliseconds)."""

    schema_version: Literal[1]
    release_id: Annotated[str, StringConstraints(pattern=r"^GDB-FREQ-[0-9]{4}-[0-9]{2}-R[0-9]+$")]
    parent: str | None
    created: str
    reference_build: str
    mode: Literal["incremental", "full"]
    engine: dict[str, Any] | None = None
    strata: Annotated[list[str], Field(min_length=1)]
    inclusion_policy: dict[str, Any]
    batches: list[_Batch]
    samples: list[_Sample]
    excluded: list[_Excluded]
    counts: _Counts
    coverage_layers: Annotated[list[_Layer], Field(min_length=1)] | None = None
    changes: dict[str, Any] | None = None
    partials: list[Any] | None = None
    files: dict[str, Sha256]


MANIFEST_SCHEMA: dict[str, Any] = ManifestModel.model_json_schema()
"""The manifest's JSON Schema, for readers outside genomdb."""


def validate_manifest(document: dict[str, Any], source: str) -> None:
    """Raise IntegrityError when a manifest does not follow :class:`ManifestModel`."""
    try:
        ManifestModel.model_validate(document)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = "/".join(str(p) for p in first["loc"]) or "(top)"
        raise IntegrityError(f"{source}: invalid release manifest at {where}: {first['msg']}") from None


@dataclass(frozen=True)
class ReleaseManifest:
    """A parsed, validated manifest."""

    document: dict[str, Any]

    @property
    def release_id(self) -> str:
        return str(self.document["release_id"])

    @property
    def parent(self) -> str | None:
        parent = self.document["parent"]
        return str(parent) if parent else None

    @property
    def strata(self) -> tuple[str, ...]:
        return tuple(self.document["strata"])

    @property
    def batch_checksums(self) -> dict[str, str]:
        return {b["batch_id"]: b["manifest_sha256"] for b in self.document["batches"]}

    @property
    def files(self) -> dict[str, str]:
        return dict(self.document["files"])

    @cached_property
    def samples(self) -> tuple[IncludedSample, ...]:
        cells: dict[tuple[str | None, str | None, str | None], SampleLabels] = {}  # a cohort has few distinct cells
        samples = []
        for s in self.document["samples"]:
            key = (s["sex"], s["region"], s["platform"])
            labels = cells.get(key)
            if labels is None:
                labels = cells[key] = SampleLabels(*key)
            samples.append(
                IncludedSample(
                    sample_id=int(s["sample_id"]),
                    sample_key=s["sample_key"],
                    submission_id=s["submission_id"],
                    submission_version=int(s["submission_version"]),
                    batch_id=s["batch_id"],
                    labels=labels,
                )
            )
        return tuple(samples)

    @property
    def coverage_layers(self) -> tuple[LayerInfo, ...]:
        """The layers whose sum is the callable-AN track (one, ``coverage``, in releases that predate layers)."""
        layers = self.document.get("coverage_layers")
        if not layers:
            return (LayerInfo(BASE_LAYER, int(self.document["counts"]["n_coverage_runs"])),)
        return tuple(LayerInfo(str(layer["name"]), int(layer["n_runs"])) for layer in layers)

    @property
    def n_variants(self) -> int:
        return int(self.document["counts"]["n_variants"])


def sample_entry(sample: IncludedSample) -> dict[str, Any]:
    return {
        "sample_id": sample.sample_id,
        "sample_key": sample.sample_key,
        "submission_id": sample.submission_id,
        "submission_version": sample.submission_version,
        "batch_id": sample.batch_id,
        "sex": sample.labels.sex,
        "region": sample.labels.region,
        "platform": sample.labels.platform,
    }


def manifest_bytes(document: dict[str, Any]) -> bytes:
    """The canonical serialisation (sorted keys, UTF-8, one line, no spaces) whose sha256 the catalog records."""
    validate_manifest(document, MANIFEST_NAME)
    return (json.dumps(document, sort_keys=True, ensure_ascii=False, separators=(",", ":")) + "\n").encode("utf-8")


def read_manifest(release_dir: Path) -> ReleaseManifest:
    """Read and validate ``release_dir/manifest.json``."""
    path = release_dir / MANIFEST_NAME
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise IntegrityError(f"cannot read release manifest {path}: {exc}") from None
    validate_manifest(document, str(path))
    return ReleaseManifest(document)


def write_manifest(release_dir: Path, document: dict[str, Any]) -> str:
    """Validate and write ``manifest.json`` into a release folder; return its sha256."""
    data = manifest_bytes(document)
    (release_dir / MANIFEST_NAME).write_bytes(data)
    return hashlib.sha256(data).hexdigest()
