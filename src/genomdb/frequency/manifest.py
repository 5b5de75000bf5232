"""The release manifest (``manifest.json``): a versioned, JSON-Schema-validated record of what a release is.

It names every sample version the release counts (with its submission version, batch and strata labels), every
batch it read with the sha256 of that batch's ``batch.json``, the excluded sample versions with their reason,
the strata, the genotype filters of the batches, row counts and the sha256 of every release file.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jsonschema

from genomdb.errors import IntegrityError
from genomdb.frequency.records import IncludedSample
from genomdb.frequency.strata import SampleLabels

SCHEMA_VERSION = 1
MANIFEST_NAME = "manifest.json"

_LABEL = {"type": ["string", "null"]}
MANIFEST_SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "title": "genomdb frequency release manifest",
    "type": "object",
    "required": [
        "schema_version",
        "release_id",
        "parent",
        "created",
        "reference_build",
        "mode",
        "strata",
        "inclusion_policy",
        "batches",
        "samples",
        "excluded",
        "counts",
        "files",
    ],
    "properties": {
        "schema_version": {"const": SCHEMA_VERSION},
        "release_id": {"type": "string", "pattern": "^GDB-FREQ-[0-9]{4}-[0-9]{2}-R[0-9]+$"},
        "parent": {"type": ["string", "null"]},
        "created": {"type": "string"},
        "reference_build": {"type": "string"},
        "mode": {"enum": ["incremental", "full"]},
        "engine": {"type": "object"},
        "strata": {"type": "array", "items": {"type": "string"}, "minItems": 1},
        "inclusion_policy": {"type": "object"},
        "batches": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["batch_id", "manifest_sha256", "n_samples"],
                "properties": {
                    "batch_id": {"type": "string"},
                    "manifest_sha256": {"type": "string", "pattern": "^[0-9a-f]{64}$"},
                    "n_samples": {"type": "integer", "minimum": 0},
                    "filters": {"type": "object"},
                },
            },
        },
        "samples": {
            "type": "array",
            "items": {
                "type": "object",
                "required": [
                    "sample_id",
                    "sample_key",
                    "submission_id",
                    "submission_version",
                    "batch_id",
                    "sex",
                    "region",
                    "platform",
                ],
                "properties": {
                    "sample_id": {"type": "integer"},
                    "sample_key": {"type": "string"},
                    "submission_id": {"type": "string"},
                    "submission_version": {"type": "integer"},
                    "batch_id": {"type": "string"},
                    "sex": _LABEL,
                    "region": _LABEL,
                    "platform": _LABEL,
                },
            },
        },
        "excluded": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["sample_id", "reason"],
                "properties": {"sample_id": {"type": "integer"}, "reason": {"type": "string"}},
            },
        },
        "counts": {
            "type": "object",
            "required": ["n_samples", "n_variants", "n_coverage_runs"],
            "properties": {
                "n_samples": {"type": "integer"},
                "n_variants": {"type": "integer"},
                "n_coverage_runs": {"type": "integer"},
            },
        },
        "changes": {"type": "object"},
        "partials": {"type": "array"},
        "files": {
            "type": "object",
            "additionalProperties": {"type": "string", "pattern": "^[0-9a-f]{64}$"},
        },
    },
}


def validate_manifest(document: dict[str, Any], source: str) -> None:
    """Raise IntegrityError when a manifest does not follow :data:`MANIFEST_SCHEMA`."""
    errors = sorted(jsonschema.Draft202012Validator(MANIFEST_SCHEMA).iter_errors(document), key=lambda e: e.path)
    if errors:
        first = errors[0]
        where = "/".join(str(p) for p in first.path) or "(top)"
        raise IntegrityError(f"{source}: invalid release manifest at {where}: {first.message}")


@dataclass(frozen=True, slots=True)
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

    @property
    def samples(self) -> tuple[IncludedSample, ...]:
        return tuple(
            IncludedSample(
                sample_id=int(s["sample_id"]),
                sample_key=s["sample_key"],
                submission_id=s["submission_id"],
                submission_version=int(s["submission_version"]),
                batch_id=s["batch_id"],
                labels=SampleLabels(s["sex"], s["region"], s["platform"]),
            )
            for s in self.document["samples"]
        )

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
    """The canonical serialisation (sorted keys, UTF-8) whose sha256 the catalog records."""
    validate_manifest(document, MANIFEST_NAME)
    return (json.dumps(document, indent=1, sort_keys=True, ensure_ascii=False) + "\n").encode("utf-8")


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
