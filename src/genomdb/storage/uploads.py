"""The upload area: files sent part by part (from a department's HPC), kept out of sight until a submission adopts
them.

An upload is addressed by genomdb's upload id, not by content: the sha256 is known only once the last byte has
been read. Its parts land in the store's own upload area — on S3 one multipart upload under
``<prefix>/uploads/<upload id>`` (parts can be sent straight to the gateway through presigned ``UploadPart``
URLs), on disk one sparse file under ``<blobs>/.uploads/<upload id>/`` written at each part's offset. Nothing
there is a blob: readers list and open blobs under ``sha256/`` only, and the catalog names none of it, so an
upload stays invisible until ``genomdb submit`` stages it, validates it, and commits it under its content address
(on S3 a server-side copy: the bytes do not travel through genomdb again). Uploads older than
``Settings.upload_max_age_seconds`` are removed by ``genomdb store gc``, finished or not.

Every part is checked on arrival: the ETag the store answers (the MD5 of what it received) must equal the MD5 of
what was sent; completion compares the part list the store holds with the one the sender recorded.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import shutil
import time
import uuid
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO, Protocol

from genomdb.errors import Conflict, IntegrityError, InvalidInput, NotFound, Problem
from genomdb.storage.blobs import BlobStore, LocalBlobStore, StagedBlob
from genomdb.storage.checksums import DEFAULT_CHUNK_SIZE
from genomdb.storage.s3 import ObjectReader, delete_keys, is_missing, iter_objects

UPLOADS = "uploads"
"""Key prefix (S3) of the upload area; on disk the folder ``.uploads`` beside the blobs."""
MIN_PART_BYTES = 5 * 1024 * 1024
"""S3's smallest part (all but the last)."""


@dataclass(frozen=True, slots=True)
class SentPart:
    """One part as the store holds it: its number (from 1), size and MD5 (hex, as the gateway's ETag)."""

    number: int
    size: int
    md5: str


def part_md5(data: bytes | memoryview) -> str:
    return hashlib.md5(data, usedforsecurity=False).hexdigest()


def expected_parts(size: int, part_size: int) -> list[tuple[int, int]]:
    """``(number, size)`` of every part of a file of ``size`` bytes cut into ``part_size`` parts."""
    n_parts = max(1, -(-size // part_size))
    return [(n, min(part_size, size - (n - 1) * part_size)) for n in range(1, n_parts + 1)]


def check_part_list(
    upload_id: str, *, size: int, part_size: int, claimed: list[SentPart], held: dict[int, SentPart]
) -> None:
    """The parts the sender reports must be exactly the file's parts, each held by the store with that MD5."""
    problems = []
    claimed_by_number = {p.number: p for p in claimed}
    for number, part_bytes in expected_parts(size, part_size):
        mine, stored = claimed_by_number.get(number), held.get(number)
        where = f"part {number}"
        if stored is None:
            problems.append(
                Problem(upload_id, "part was never received", location=where, expected=f"{part_bytes} bytes")
            )
        elif stored.size != part_bytes:
            problems.append(
                Problem(
                    upload_id,
                    "part has the wrong size",
                    location=where,
                    expected=str(part_bytes),
                    found=str(stored.size),
                )
            )
        elif mine is not None and mine.md5 != stored.md5:
            problems.append(
                Problem(
                    upload_id,
                    "part differs from what was sent",
                    location=where,
                    field="md5",
                    expected=mine.md5,
                    found=stored.md5,
                )
            )
        elif mine is None and claimed:
            problems.append(Problem(upload_id, "part missing from the part list", location=where, field="parts"))
    extra = sorted(set(claimed_by_number) - {n for n, _ in expected_parts(size, part_size)})
    if extra:
        problems.append(
            Problem(upload_id, "parts beyond the end of the file", field="parts", found=", ".join(map(str, extra)))
        )
    if problems:
        raise InvalidInput(f"upload {upload_id} cannot be completed: {len(problems)} problem(s)", problems)


class UploadArea(Protocol):
    """Where uploads wait for their submission; one implementation per blob-store backend."""

    def begin(self, upload_id: str) -> str:
        """Open an upload; return the backend's handle of it (kept with the upload record)."""
        ...

    def send_part(self, upload_id: str, handle: str, number: int, data: bytes, *, offset: int) -> SentPart: ...

    def part_url(self, upload_id: str, handle: str, number: int, *, expires_seconds: int) -> str | None:
        """A URL a client may PUT the part's bytes to directly, or None when genomdb itself receives parts."""
        ...

    def sent_parts(self, upload_id: str, handle: str) -> dict[int, SentPart]: ...

    def complete(self, upload_id: str, handle: str, parts: list[SentPart], *, size: int) -> None: ...

    def abort(self, upload_id: str, handle: str | None) -> None:
        """Cancel an upload, finished or not; nothing of it remains."""
        ...

    def open(self, upload_id: str) -> AbstractContextManager[BinaryIO]:
        """Read a completed upload."""
        ...

    def stage(self, upload_id: str, workspace: Path, *, name: str) -> StagedBlob:
        """Copy a completed upload into a staging workspace, checksumming it on the way (validators read it there)."""
        ...

    def commit(self, upload_id: str, staged: StagedBlob) -> bool:
        """Store the upload as the blob ``staged.sha256``; False when that content was stored already."""
        ...

    def sweep(self, *, older_than_seconds: float) -> int:
        """Remove every upload, finished or not, begun before the cutoff; return how many."""
        ...


def _stage_stream(source: BinaryIO, workspace: Path, name: str) -> StagedBlob:
    target = workspace / name
    sha256 = hashlib.sha256()
    md5 = hashlib.md5(usedforsecurity=False)
    size = 0
    with target.open("wb") as out:
        while chunk := source.read(DEFAULT_CHUNK_SIZE):
            sha256.update(chunk)
            md5.update(chunk)
            out.write(chunk)
            size += len(chunk)
        out.flush()
        os.fsync(out.fileno())
    return StagedBlob(path=target, sha256=sha256.hexdigest(), md5=md5.hexdigest(), size=size)


class LocalUploadArea:
    """Uploads on disk: ``<blobs>/.uploads/<upload id>/data`` written at each part's offset, one small record per
    part received (``parts/<number>.json``), and ``complete`` once the part list was checked."""

    def __init__(self, store: LocalBlobStore) -> None:
        self.store = store
        self.root = store.root / ".uploads"

    def _folder(self, upload_id: str) -> Path:
        return self.root / upload_id

    def begin(self, upload_id: str) -> str:
        folder = self._folder(upload_id)
        (folder / "parts").mkdir(parents=True, exist_ok=False)
        (folder / "data").touch()
        return upload_id

    def send_part(self, upload_id: str, handle: str, number: int, data: bytes, *, offset: int) -> SentPart:
        folder = self._folder(upload_id)
        if not (folder / "data").exists() or (folder / "complete").exists():
            raise Conflict(f"upload {upload_id} is not open")
        with (folder / "data").open("r+b") as out:
            out.seek(offset)
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        part = SentPart(number, len(data), part_md5(data))
        record = folder / "parts" / f"{number}.json"
        temp = record.with_suffix(".tmp")
        temp.write_text(json.dumps({"size": part.size, "md5": part.md5}))
        temp.replace(record)
        return part

    def part_url(self, upload_id: str, handle: str, number: int, *, expires_seconds: int) -> str | None:
        return None

    def sent_parts(self, upload_id: str, handle: str) -> dict[int, SentPart]:
        folder = self._folder(upload_id) / "parts"
        if not folder.exists():
            raise NotFound(f"upload {upload_id} is not in the upload area")
        found = {}
        for path in folder.glob("*.json"):
            data = json.loads(path.read_text())
            number = int(path.stem)
            found[number] = SentPart(number, int(data["size"]), str(data["md5"]))
        return found

    def complete(self, upload_id: str, handle: str, parts: list[SentPart], *, size: int) -> None:
        folder = self._folder(upload_id)
        with (folder / "data").open("r+b") as out:
            out.truncate(size)
            os.fsync(out.fileno())
        (folder / "complete").touch()

    def abort(self, upload_id: str, handle: str | None) -> None:
        shutil.rmtree(self._folder(upload_id), ignore_errors=True)

    @contextmanager
    def open(self, upload_id: str) -> Iterator[BinaryIO]:
        folder = self._folder(upload_id)
        if not (folder / "complete").exists():
            raise NotFound(f"upload {upload_id} is not complete in the upload area")
        with (folder / "data").open("rb") as handle:
            yield handle

    def stage(self, upload_id: str, workspace: Path, *, name: str) -> StagedBlob:
        with self.open(upload_id) as source:
            return _stage_stream(source, workspace, f"{uuid.uuid4().hex[:8]}-{Path(name).name}")

    def commit(self, upload_id: str, staged: StagedBlob) -> bool:
        return self.store.commit(staged)

    def sweep(self, *, older_than_seconds: float) -> int:
        if not self.root.exists():
            return 0
        cutoff = time.time() - older_than_seconds
        removed = 0
        for folder in self.root.iterdir():
            newest = max([folder.stat().st_mtime, *(p.stat().st_mtime for p in folder.rglob("*"))])
            if newest <= cutoff:
                shutil.rmtree(folder, ignore_errors=True)
                removed += 1
        return removed


class S3UploadArea:
    """Uploads on S3: one multipart upload per file under ``<prefix>/uploads/<upload id>``, parts sent by genomdb
    or PUT by the client to presigned ``UploadPart`` URLs; the finished object is copied server-side under its
    content address by the submission that adopts it."""

    def __init__(self, store: Any) -> None:
        from genomdb.storage.s3blobs import S3BlobStore

        assert isinstance(store, S3BlobStore)
        self.store = store
        self.client = store.client
        self.bucket = store.location.bucket

    def key(self, upload_id: str) -> str:
        return self.store.location.key(UPLOADS, upload_id)

    def begin(self, upload_id: str) -> str:
        created = self.client.create_multipart_upload(Bucket=self.bucket, Key=self.key(upload_id))
        return str(created["UploadId"])

    def send_part(self, upload_id: str, handle: str, number: int, data: bytes, *, offset: int) -> SentPart:
        """Send one part; the ETag the gateway answers (the MD5 of what it received) must be the part's MD5.

        No ``Content-MD5`` header: RGW then took ~1.5× as long per part (bench/storage.py), and comparing the
        ETag catches the same damage (a damaged part is never recorded as sent, so a rerun sends it again)."""
        sent = self.client.upload_part(
            Bucket=self.bucket, Key=self.key(upload_id), UploadId=handle, PartNumber=number, Body=data
        )
        md5 = part_md5(data)
        etag = str(sent["ETag"]).strip('"')
        if etag != md5:
            raise IntegrityError(f"part {number} of upload {upload_id} arrived damaged (ETag {etag}, sent {md5})")
        return SentPart(number, len(data), etag)

    def part_url(self, upload_id: str, handle: str, number: int, *, expires_seconds: int) -> str | None:
        url: str = self.client.generate_presigned_url(
            "upload_part",
            Params={"Bucket": self.bucket, "Key": self.key(upload_id), "UploadId": handle, "PartNumber": number},
            ExpiresIn=expires_seconds,
        )
        return url

    def sent_parts(self, upload_id: str, handle: str) -> dict[int, SentPart]:
        found: dict[int, SentPart] = {}
        try:
            for page in self.client.get_paginator("list_parts").paginate(
                Bucket=self.bucket, Key=self.key(upload_id), UploadId=handle
            ):
                for part in page.get("Parts", []):
                    number = int(part["PartNumber"])
                    found[number] = SentPart(number, int(part["Size"]), str(part["ETag"]).strip('"'))
        except Exception as exc:
            if is_missing(exc):
                raise NotFound(f"upload {upload_id} is not in the upload area") from None
            raise
        return found

    def complete(self, upload_id: str, handle: str, parts: list[SentPart], *, size: int) -> None:
        self.client.complete_multipart_upload(
            Bucket=self.bucket,
            Key=self.key(upload_id),
            UploadId=handle,
            MultipartUpload={
                "Parts": [{"PartNumber": p.number, "ETag": f'"{p.md5}"'} for p in sorted(parts, key=lambda p: p.number)]
            },
        )
        head = self.client.head_object(Bucket=self.bucket, Key=self.key(upload_id))
        if int(head["ContentLength"]) != size:
            raise IntegrityError(f"upload {upload_id} holds {head['ContentLength']} bytes, not {size}")

    def abort(self, upload_id: str, handle: str | None) -> None:
        if handle:
            try:
                self.client.abort_multipart_upload(Bucket=self.bucket, Key=self.key(upload_id), UploadId=handle)
            except Exception as exc:
                if not is_missing(exc):
                    raise
        delete_keys(self.client, self.bucket, [self.key(upload_id)])

    @contextmanager
    def open(self, upload_id: str) -> Iterator[BinaryIO]:
        try:
            raw = ObjectReader(self.client, self.bucket, self.key(upload_id))
        except NotFound:
            raise NotFound(f"upload {upload_id} is not complete in the upload area") from None
        with raw:
            import io

            yield io.BufferedReader(raw, buffer_size=DEFAULT_CHUNK_SIZE)

    def stage(self, upload_id: str, workspace: Path, *, name: str) -> StagedBlob:
        with self.open(upload_id) as source:
            return _stage_stream(source, workspace, f"{uuid.uuid4().hex[:8]}-{Path(name).name}")

    def commit(self, upload_id: str, staged: StagedBlob) -> bool:
        """A server-side copy under the content address (multipart copy above 5 GB), with the sha256 as metadata;
        sealed stores encrypt, so they upload the staged copy instead."""
        if self.store.encrypts:
            return self.store.commit(staged)
        if self.store.exists(staged.sha256):
            return False
        from boto3.s3.transfer import TransferConfig

        self.client.copy(
            {"Bucket": self.bucket, "Key": self.key(upload_id)},
            self.bucket,
            self.store.key_for(staged.sha256, encrypted=False),
            ExtraArgs={
                "Metadata": {"sha256": staged.sha256, "size": str(staged.size), "encrypted": "0"},
                "MetadataDirective": "REPLACE",
            },
            Config=TransferConfig(multipart_threshold=1 << 30, multipart_chunksize=1 << 30, max_concurrency=4),
        )
        return True

    def sweep(self, *, older_than_seconds: float) -> int:
        cutoff = dt.datetime.now(dt.UTC).timestamp() - older_than_seconds
        prefix = self.store.location.key(UPLOADS) + "/"
        removed = 0
        for page in self.client.get_paginator("list_multipart_uploads").paginate(Bucket=self.bucket, Prefix=prefix):
            for upload in page.get("Uploads", []):
                if upload["Initiated"].timestamp() > cutoff:
                    continue
                try:
                    self.client.abort_multipart_upload(
                        Bucket=self.bucket, Key=upload["Key"], UploadId=upload["UploadId"]
                    )
                except Exception as exc:
                    if not is_missing(exc):
                        raise
                removed += 1
        doomed = [
            str(item["Key"])
            for item in iter_objects(self.client, self.bucket, prefix)
            if item["LastModified"].timestamp() <= cutoff
        ]
        delete_keys(self.client, self.bucket, doomed)
        return removed + len(doomed)


def create_upload_area(blobs: BlobStore) -> UploadArea:
    """The upload area of a blob store (on the same backend, beside the blobs)."""
    if isinstance(blobs, LocalBlobStore):
        return LocalUploadArea(blobs)
    return S3UploadArea(blobs)
