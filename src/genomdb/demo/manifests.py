"""Submission manifests for the demo cohort: one YAML file per department, in the shape data-in accepts.

Paths are relative to the manifest's folder; sizes and checksums (SHA-256 and MD5) are computed from the written
files. CPR numbers are written as quoted strings, the form :func:`genomdb.ingest.manifest.parse_manifest` demands.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from genomdb.demo.cohort import Person
from genomdb.ingest.manifest import SCHEMA_VERSION, FileFormat, Platform, ReadType

_CHUNK_BYTES = 1 << 20


@dataclass(frozen=True, slots=True)
class FileDigest:
    """A written file with its size and checksums."""

    path: Path
    size: int
    sha256: str
    md5: str


def digest_file(path: Path) -> FileDigest:
    """Size, SHA-256 and MD5 of a file, read in chunks."""
    sha256 = hashlib.sha256()
    md5 = hashlib.md5()
    size = 0
    with path.open("rb") as handle:
        while chunk := handle.read(_CHUNK_BYTES):
            sha256.update(chunk)
            md5.update(chunk)
            size += len(chunk)
    return FileDigest(path, size, sha256.hexdigest(), md5.hexdigest())


@dataclass(frozen=True, slots=True)
class DemoFile:
    id: str
    digest: FileDigest
    format: FileFormat
    run: str | None = None
    mate: str | None = None


@dataclass(frozen=True, slots=True)
class DemoRun:
    id: str
    sample: str
    platform: Platform
    read_type: ReadType
    instrument: str
    library_id: str
    run_date: dt.date


@dataclass(frozen=True, slots=True)
class DemoAnalysis:
    id: str
    samples: tuple[str, ...]
    pipeline_name: str
    pipeline_version: str
    outputs: tuple[str, ...]
    inputs: tuple[str, ...] = ()


@dataclass(slots=True)
class DepartmentSubmission:
    """Everything one department hands in: its people and the files, runs and analyses for their samples."""

    department: str
    folder: Path
    people: list[Person] = field(default_factory=list)
    runs: list[DemoRun] = field(default_factory=list)
    files: list[DemoFile] = field(default_factory=list)
    analyses: list[DemoAnalysis] = field(default_factory=list)

    @property
    def manifest_path(self) -> Path:
        return self.folder / "manifest.yaml"


class _Quoted(str):
    """A string YAML must quote (a CPR number must never be read back as a number)."""


class _ManifestDumper(yaml.SafeDumper):
    pass


def _represent_quoted(dumper: yaml.SafeDumper, value: _Quoted) -> yaml.ScalarNode:
    return dumper.represent_scalar("tag:yaml.org,2002:str", str(value), style="'")


_ManifestDumper.add_representer(_Quoted, _represent_quoted)


def _individual(person: Person, ids: dict[int, str]) -> dict[str, Any]:
    entry: dict[str, Any] = {"id": person.individual_id, "cpr": _Quoted(person.cpr)}
    if person.relatives:
        entry["relatives"] = [{"relation": relation, "individual": ids[other]} for relation, other in person.relatives]
    if person.research_opt_out:
        entry["research_opt_out"] = True
    if person.does_not_want_to_know:
        entry["does_not_want_to_know"] = True
    return entry


def _file(item: DemoFile, folder: Path) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "id": item.id,
        "path": item.digest.path.relative_to(folder).as_posix(),
        "format": item.format.value,
    }
    if item.run is not None:
        entry["run"] = item.run
    if item.mate is not None:
        entry["mate"] = item.mate
    entry |= {"sha256": item.digest.sha256, "md5": item.digest.md5, "size": item.digest.size}
    return entry


def manifest_document(submission: DepartmentSubmission) -> dict[str, Any]:
    """The manifest of one department's submission as plain data (schema version 1)."""
    ids = {person.index: person.individual_id for person in submission.people}
    return {
        "schema_version": SCHEMA_VERSION,
        "submitter": {"department": submission.department, "contact": "laboratory data manager"},
        "title": f"genomdb demo cohort: {submission.department}",
        "individuals": [_individual(person, ids) for person in submission.people],
        "samples": [
            {
                "id": person.sample_id,
                "individual": person.individual_id,
                "tissue": "blood",
                "collection_date": person.collection_date,
            }
            for person in submission.people
        ],
        "runs": [
            {
                "id": run.id,
                "sample": run.sample,
                "platform": run.platform.value,
                "read_type": run.read_type.value,
                "instrument": run.instrument,
                "library_strategy": "WGS",
                "library_id": run.library_id,
                "run_date": run.run_date,
            }
            for run in submission.runs
        ],
        "files": [_file(item, submission.folder) for item in submission.files],
        "analyses": [
            {
                "id": analysis.id,
                "samples": list(analysis.samples),
                "pipeline": {"name": analysis.pipeline_name, "version": analysis.pipeline_version},
                "reference_build": "GRCh38",
                "inputs": list(analysis.inputs),
                "outputs": list(analysis.outputs),
            }
            for analysis in submission.analyses
        ],
    }


def write_manifest(submission: DepartmentSubmission) -> Path:
    """Write ``<folder>/manifest.yaml`` for one department and return its path."""
    document = manifest_document(submission)
    text = yaml.dump(document, Dumper=_ManifestDumper, sort_keys=False, allow_unicode=True, width=120)
    path = submission.manifest_path
    path.parent.mkdir(parents=True, exist_ok=True)
    header = "# genomdb demo submission: simulated data; every CPR number in it is fictitious.\n"
    path.write_text(header + text, encoding="utf-8")
    return path


def write_manifests(submissions: Sequence[DepartmentSubmission]) -> dict[str, Path]:
    """Write every department's manifest; department code → manifest path."""
    return {submission.department: write_manifest(submission) for submission in submissions}
