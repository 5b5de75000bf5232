"""Building a working copy's package: parts sealed with crypt4gh for the requester's key, and its manifest.

Whole-file clinical copies are the stored bytes (re-sealed by rewriting only the crypt4gh header when the store
encrypts); slices and research copies are written anew, with the checksums of their plaintext in the package's
encrypted manifest. Research copies use the project's pseudonyms and never include persons who opted out.
"""

from __future__ import annotations

import dataclasses
import hashlib
import io
import json
import os
import shutil
from pathlib import Path
from typing import Any, BinaryIO

from genomdb.access.records import (
    Actor,
)
from genomdb.access.users import recipient_key
from genomdb.dataout.metadata import DeliveredFile, build_metadata
from genomdb.dataout.planning import CopyPlan, PlannedFile
from genomdb.dataout.records import PackagePart
from genomdb.dataout.sealing import reseal_for_recipient, seal_for_recipient
from genomdb.dataout.slices import Slice, slice_alignments, slice_variants, variants_as
from genomdb.dataout.sources import archive_keys, plaintext_file, stored_blob
from genomdb.db.base import utcnow
from genomdb.errors import IntegrityError, NotFound
from genomdb.instance import Instance
from genomdb.storage.checksums import stream_checksums
from genomdb.storage.envelope import ArchiveKeys

DATAOUT_DIR = "dataout"
PACKAGE_FILE = "package.json"
PACKAGE_SCHEMA_VERSION = 1
PARTS_DIR = "parts"
_ALIGNMENTS = ("CRAM", "BAM")
_SUFFIX = {"CRAM": ".cram", "BAM": ".bam", "VCF": ".vcf.gz", "GVCF": ".g.vcf.gz", "BCF": ".bcf"}


def dataout_root(instance: Instance) -> Path:
    return instance.settings.resolved_home() / DATAOUT_DIR


def package_dir(instance: Instance, request_id: str) -> Path:
    return dataout_root(instance) / request_id


class _VerifyingReader(io.RawIOBase):
    """Reads a stored plaintext while hashing it, so a copy is proven identical to what was submitted."""

    def __init__(self, source: BinaryIO) -> None:
        super().__init__()
        self._source = source
        self.sha256 = hashlib.sha256()

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        n = self._source.readinto(buffer)  # type: ignore[attr-defined]
        if n:
            self.sha256.update(memoryview(buffer)[:n])
        return n or 0


def _part_name(planned: PlannedFile, taken: set[str], *, research: bool) -> str:
    stored = planned.file
    if research:
        stem = planned.label
        suffix = _SUFFIX.get(stored.format, ".fastq.gz")
    else:
        original = Path(stored.original_path or f"{planned.label}.{stored.file_ref}")
        suffix = next(
            (s for s in (".g.vcf.gz", ".vcf.gz", ".fastq.gz", ".fq.gz") if original.name.endswith(s)), original.suffix
        )
        stem = original.name[: -len(suffix)] if suffix else original.name
        suffix = _SUFFIX.get(stored.format, suffix)
    if planned.regions is not None:
        stem += ".slice"
    name, n = stem + suffix, 1
    while name in taken:
        n += 1
        name = f"{stem}.{n}{suffix}"
    taken.add(name)
    return name


def _seal_blob(instance: Instance, sha256: str, target: Path, keys: ArchiveKeys, recipient: bytes) -> tuple[str, int]:
    blob = stored_blob(instance, sha256)
    with instance.blobs.open_stored(sha256) as source:
        if blob.sealed:
            return reseal_for_recipient(source, target, keys=keys, recipient=recipient)
        reader = _VerifyingReader(source)
        sealed = seal_for_recipient(reader, target, sender=keys, recipient=recipient)  # type: ignore[arg-type]
    if reader.sha256.hexdigest() != sha256:
        target.unlink(missing_ok=True)
        raise IntegrityError(f"stored blob {sha256} does not match its checksum: run `genomdb store verify`")
    return sealed


def _slice(instance: Instance, planned: PlannedFile, work: Path, name: str) -> Slice:
    stored = planned.file
    source = plaintext_file(instance, stored.sha256, work / f"source{_SUFFIX[stored.format]}")
    index = None
    if stored.index_sha256 and stored.index_name:
        index = plaintext_file(instance, stored.index_sha256, Path(f"{source}.{stored.index_name}"))
    intervals = list(planned.regions) if planned.regions is not None else None
    if stored.format in _ALIGNMENTS:
        reference = instance.require_reference(planned.reference_build or "GRCh38") if stored.format == "CRAM" else None
        return slice_alignments(
            source, work / name, index=index, intervals=intervals, reference=reference, relabel=planned.relabel
        )
    if stored.format == "BCF":  # cut as text (exact records, relabelled), written as BCF again
        text = variants_as(source, work / f"{name}.source.vcf.gz", binary=False)
        cut = slice_variants(
            text.path, work / f"{name}.vcf.gz", index=text.index_path, intervals=intervals, relabel=planned.relabel
        )
        return variants_as(cut.path, work / name, binary=True)
    return slice_variants(source, work / name, index=index, intervals=intervals, relabel=planned.relabel)


def build_package(instance: Instance, actor: Actor, request_id: str, plan: CopyPlan) -> list[PackagePart]:
    """Write every part sealed for the requester into a fresh folder, then move it into place."""
    root = dataout_root(instance)
    final = root / request_id
    building = root / f".{request_id}.building"
    shutil.rmtree(building, ignore_errors=True)
    (building / PARTS_DIR).mkdir(parents=True)
    work = building / "work"
    keys = archive_keys(instance)
    recipient = recipient_key(instance, actor.username)
    parts: list[PackagePart] = []
    contents: list[dict[str, Any]] = []
    delivered: list[DeliveredFile] = []
    taken: set[str] = set()

    def add_part(name: str, kind: str, sealed: tuple[str, int]) -> None:
        parts.append(PackagePart(f"{name}.c4gh", sealed[1], sealed[0], kind))

    def seal_bytes(name: str, kind: str, data: bytes) -> None:
        target = building / PARTS_DIR / f"{name}.c4gh"
        add_part(name, kind, seal_for_recipient(io.BytesIO(data), target, sender=keys, recipient=recipient))

    for planned in plan.files:
        stored = planned.file
        name = _part_name(planned, taken, research=plan.research is not None)
        regions = tuple(str(r) for r in planned.regions) if planned.regions is not None else ()
        entry: dict[str, Any] = {"name": name, "sample": planned.label, "format": stored.format}
        if planned.regions is None and planned.relabel is None:
            add_part(
                name,
                "data",
                _seal_blob(instance, stored.sha256, building / PARTS_DIR / f"{name}.c4gh", keys, recipient),
            )
            entry.update(
                sha256=stored.sha256, size=stored.size, md5=stored.md5, whole_file=True, declared_sha256=stored.sha256
            )
            contents.append(entry)
            if stored.index_sha256 and stored.index_name:
                index_name = f"{name}.{stored.index_name}"
                add_part(
                    index_name,
                    "index",
                    _seal_blob(
                        instance, stored.index_sha256, building / PARTS_DIR / f"{index_name}.c4gh", keys, recipient
                    ),
                )
                contents.append({"name": index_name, "index_of": name, "sha256": stored.index_sha256})
            plaintext_sha = stored.sha256
        else:
            work.mkdir(exist_ok=True)
            cut = _slice(instance, planned, work, name)
            plaintext_sha, _, size = stream_checksums(cut.path)
            with cut.path.open("rb") as handle:
                add_part(
                    name,
                    "data",
                    seal_for_recipient(handle, building / PARTS_DIR / f"{name}.c4gh", sender=keys, recipient=recipient),
                )
            entry.update(
                sha256=plaintext_sha,
                size=size,
                whole_file=False,
                regions=list(regions) or None,
                n_records=cut.n_records,
                source_sha256=None if plan.research else stored.sha256,
            )
            contents.append(entry)
            index_name = f"{name}{cut.index_path.name[len(cut.path.name) :]}"
            index_sha, _, _ = stream_checksums(cut.index_path)
            with cut.index_path.open("rb") as handle:
                add_part(
                    index_name,
                    "index",
                    seal_for_recipient(
                        handle, building / PARTS_DIR / f"{index_name}.c4gh", sender=keys, recipient=recipient
                    ),
                )
            contents.append({"name": index_name, "index_of": name, "sha256": index_sha})
            shutil.rmtree(work)
        delivered.append(
            DeliveredFile(name, planned.sample_key, stored.format, plaintext_sha, planned.reference_build, regions)
        )
    created = utcnow()
    metadata = json.dumps(
        build_metadata(plan.details, delivered, request_id=request_id, created_at=created, research=plan.research),
        indent=2,
        ensure_ascii=False,
    ).encode()
    seal_bytes("metadata.json", "metadata", metadata)
    contents.append({"name": "metadata.json", "sha256": hashlib.sha256(metadata).hexdigest(), "size": len(metadata)})
    manifest = {
        "schema_version": PACKAGE_SCHEMA_VERSION,
        "request_id": request_id,
        "recipient": actor.username,
        "purpose": plan.purpose.value if plan.purpose else None,
        "project": plan.research.project if plan.research else None,
        "grants": list(plan.grant_ids),
        "created_at": created.isoformat(timespec="seconds"),
        "files": contents,
        "notes": list(plan.notes),
    }
    seal_bytes("manifest.json", "manifest", json.dumps(manifest, indent=2, ensure_ascii=False).encode())
    package = {
        "schema_version": PACKAGE_SCHEMA_VERSION,
        "request_id": request_id,
        "recipient": actor.username,
        "encryption": "crypt4gh (X25519 + ChaCha20-Poly1305) for the recipient's registered public key",
        "created_at": created.isoformat(timespec="seconds"),
        "parts": [dataclasses.asdict(p) for p in parts],
    }
    package_path = building / PACKAGE_FILE
    with package_path.open("w") as package_file:
        json.dump(package, package_file, indent=2)
        package_file.flush()
        os.fsync(package_file.fileno())
    shutil.rmtree(final, ignore_errors=True)
    building.replace(final)
    return parts


def read_package(instance: Instance, request_id: str) -> list[PackagePart]:
    """The parts of a built package, from its ``package.json``."""
    path = package_dir(instance, request_id) / PACKAGE_FILE
    if not path.exists():
        raise NotFound(f"request {request_id} has no package (yet)")
    data = json.loads(path.read_text())
    return [PackagePart(**part) for part in data["parts"]]
