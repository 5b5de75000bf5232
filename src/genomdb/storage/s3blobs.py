"""The blob store on S3: ``<prefix>/sha256/ab/cd/<sha256>[.c4gh]`` in a bucket, same layout as on disk.

Writing: ``stage`` copies and checksums the source into a local workspace (validators read it there);
``commit`` uploads it under its final key — one PUT for small blobs, a multipart upload of fixed-size parts
otherwise, so memory stays bounded whatever the size. S3 makes an object visible only when its PUT or its
CompleteMultipartUpload succeeds, whole or not at all, so no temporary key and server-side copy is needed: a crash
mid-upload leaves an unfinished multipart upload that no reader can see and ``gc`` aborts. Small PUTs are
conditional (``If-None-Match: *``) so that two writers of the same content cannot replace each other's object;
for multipart uploads the last complete wins, and readers pin every ranged GET to the ETag they started with.

Every object carries its plaintext ``sha256`` and size as metadata (S3 servers keep no content checksum of their
own, and a multipart ETag is not a file hash), which ``verify`` and ``gc`` read.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import shutil
import tempfile
from collections.abc import Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from contextlib import contextmanager
from pathlib import Path
from typing import Any, BinaryIO

from genomdb.errors import IntegrityError, NotFound, Unavailable
from genomdb.storage.blobs import (
    CHUNK,
    BlobEntry,
    GcReport,
    ProgressCallback,
    StagedBlob,
    StagingArea,
    write_for_storage,
)
from genomdb.storage.envelope import ArchiveKeys, decrypt_stream
from genomdb.storage.s3 import (
    ObjectReader,
    S3Credentials,
    S3Location,
    create_s3_client,
    delete_keys,
    error_code,
    is_missing,
    iter_objects,
    part_size_for,
)

UPLOAD_CONCURRENCY = 3
"""Parts in flight at once per upload: memory is at most this many parts."""
C4GH_SEGMENT = 65536
C4GH_OVERHEAD = 28


class MultipartWriter:
    """A writable stream that uploads what it is given as the parts of one multipart upload.

    Up to ``concurrency`` parts are in flight at once (so memory stays at most that many parts, whatever the
    size). ``close`` completes the upload (the object appears, whole); ``abort`` cancels it (nothing appears).
    A conditional writer never replaces an existing object (content-addressed keys: the one there has the same
    content).
    """

    def __init__(
        self,
        client: Any,
        bucket: str,
        key: str,
        *,
        part_size: int,
        metadata: dict[str, str],
        progress: ProgressCallback | None = None,
        conditional: bool = True,
        concurrency: int = UPLOAD_CONCURRENCY,
        extra: dict[str, str] | None = None,
    ) -> None:
        self._client, self._bucket, self._key = client, bucket, key
        self._extra = dict(extra or {})
        """Further arguments of the PUT or CreateMultipartUpload (``StorageClass``, ``Tagging``)."""
        self._conditional = conditional
        self._part_size = part_size
        self.part_size = part_size
        self._metadata = metadata
        self._progress = progress
        self._concurrency = max(1, concurrency)
        self._buffer = bytearray()
        self._parts: list[dict[str, Any]] = []
        self._pending: list[Future[dict[str, Any]]] = []
        self._pool: ThreadPoolExecutor | None = None
        self._n_sent = 0
        self._upload_id: str | None = None
        self.size = 0

    def writable(self) -> bool:
        return True

    def write(self, data: bytes | bytearray | memoryview) -> int:
        if not self._buffer and isinstance(data, bytes) and len(data) == self._part_size:
            self.size += len(data)
            self._send(data)  # a whole part as read: no copy
            return len(data)
        self._buffer += data
        self.size += len(data)
        while len(self._buffer) >= self._part_size:
            chunk = bytes(self._buffer[: self._part_size])
            del self._buffer[: self._part_size]
            self._send(chunk)
        return len(data)

    def flush(self) -> None:
        return None

    def _upload_part(self, number: int, chunk: bytes) -> dict[str, Any]:
        assert self._upload_id is not None
        sent = self._client.upload_part(
            Bucket=self._bucket, Key=self._key, UploadId=self._upload_id, PartNumber=number, Body=chunk
        )
        expected = '"' + hashlib.md5(chunk, usedforsecurity=False).hexdigest() + '"'
        if sent["ETag"] != expected:
            raise IntegrityError(f"part {number} of {self._key} arrived damaged (ETag {sent['ETag']}, sent {expected})")
        return {"PartNumber": number, "ETag": sent["ETag"], "Size": len(chunk)}

    def _collect(self, *, until: int) -> None:
        """Wait for finished parts until at most ``until`` are still in flight."""
        while len(self._pending) > until:
            done, _ = wait(self._pending, return_when=FIRST_COMPLETED)
            for future in done:
                self._pending.remove(future)
                part = future.result()
                self._parts.append({"PartNumber": part["PartNumber"], "ETag": part["ETag"]})
                if self._progress is not None:
                    self._progress(int(part["Size"]))

    def _send(self, chunk: bytes) -> None:
        if self._upload_id is None:
            created = self._client.create_multipart_upload(
                Bucket=self._bucket, Key=self._key, Metadata=self._metadata, **self._extra
            )
            self._upload_id = str(created["UploadId"])
            self._pool = ThreadPoolExecutor(self._concurrency, thread_name_prefix="s3-part")
        assert self._pool is not None
        self._collect(until=self._concurrency - 1)
        self._n_sent += 1
        self._pending.append(self._pool.submit(self._upload_part, self._n_sent, chunk))

    def close(self) -> None:
        """Finish: a single PUT when everything fit in one part, else send the last part and complete."""
        if self._upload_id is None:
            body = bytes(self._buffer)
            self._buffer.clear()
            condition = {"IfNoneMatch": "*"} if self._conditional else {}
            try:
                self._client.put_object(
                    Bucket=self._bucket, Key=self._key, Body=body, Metadata=self._metadata, **condition, **self._extra
                )
            except Exception as exc:
                if error_code(exc) not in {"PreconditionFailed", "412"}:
                    raise
            if self._progress is not None:
                self._progress(len(body))
            return
        if self._buffer:
            self._send(bytes(self._buffer))
            self._buffer.clear()
        self._collect(until=0)
        self._shutdown()
        self._client.complete_multipart_upload(
            Bucket=self._bucket,
            Key=self._key,
            UploadId=self._upload_id,
            MultipartUpload={"Parts": sorted(self._parts, key=lambda p: int(p["PartNumber"]))},
        )

    def _shutdown(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None

    def abort(self) -> None:
        self._buffer.clear()
        self._shutdown()
        self._pending.clear()
        if self._upload_id is not None:
            self._client.abort_multipart_upload(Bucket=self._bucket, Key=self._key, UploadId=self._upload_id)
            self._upload_id = None


class S3BlobStore(StagingArea):
    """Content-addressed blobs in an S3 bucket (one of :func:`genomdb.storage.blobs.create_blob_store`'s backends)."""

    def __init__(
        self,
        location: S3Location,
        client: Any,
        *,
        staging_dir: Path | None = None,
        archive_keys: ArchiveKeys | None = None,
        encrypt: bool = False,
        credentials: S3Credentials | None = None,
    ) -> None:
        if encrypt and archive_keys is None:
            raise Unavailable("blob encryption is on but the archive keys are missing")
        self.location = location
        self.client = client
        self._credentials = credentials
        self.url = location.url()
        self.encrypts = encrypt
        self._keys = archive_keys
        self._staging = staging_dir or Path(tempfile.gettempdir()) / "genomdb-staging"

    def __reduce__(self) -> tuple[Any, ...]:
        """Sent to worker processes without its client (a new one is made there from the same settings)."""
        return (
            _reopen,
            (self.location, self._credentials, self._staging, self._keys, self.encrypts),
        )

    # --- keys --------------------------------------------------------------------------------------------------

    def key_for(self, sha256: str, *, encrypted: bool) -> str:
        suffix = ".c4gh" if encrypted else ""
        return self.location.key("sha256", sha256[:2], sha256[2:4], sha256 + suffix)

    def _head(self, key: str) -> dict[str, Any] | None:
        try:
            return dict(self.client.head_object(Bucket=self.location.bucket, Key=key))
        except Exception as exc:
            if is_missing(exc):
                return None
            raise Unavailable(
                f"object store {self.url} did not answer: {error_code(exc) or type(exc).__name__}"
            ) from exc

    def _existing(self, sha256: str) -> tuple[str, dict[str, Any]] | None:
        for encrypted in (False, True):
            key = self.key_for(sha256, encrypted=encrypted)
            head = self._head(key)
            if head is not None:
                return key, head
        return None

    def _require(self, sha256: str) -> tuple[str, dict[str, Any]]:
        found = self._existing(sha256)
        if found is None:
            raise NotFound(f"blob {sha256} is not in the store")
        return found

    # --- writing -----------------------------------------------------------------------------------------------

    def commit(self, staged: StagedBlob, *, progress: ProgressCallback | None = None) -> bool:
        """Upload a staged blob under its final key; False when identical content was stored already."""
        return self.put_file(staged.path, sha256=staged.sha256, size=staged.size, progress=progress)

    def put_file(self, path: Path, *, sha256: str, size: int, progress: ProgressCallback | None = None) -> bool:
        """Upload a local plaintext file whose sha256 is known; encrypted on the way when the store encrypts."""
        if self._existing(sha256) is not None:
            return False
        key = self.key_for(sha256, encrypted=self.encrypts)
        stored_size = size
        if self.encrypts:
            stored_size = size + (size // C4GH_SEGMENT + 1) * C4GH_OVERHEAD + 1024
        metadata = {"sha256": sha256, "size": str(size), "encrypted": "1" if self.encrypts else "0"}
        writer = MultipartWriter(
            self.client,
            self.location.bucket,
            key,
            part_size=part_size_for(stored_size),
            metadata=metadata,
            progress=progress,
        )
        try:
            with path.open("rb") as source:
                write_for_storage(source, writer, self._keys if self.encrypts else None, chunk_size=writer.part_size)
            writer.close()
        except BaseException:
            writer.abort()
            raise
        return True

    # --- reading -----------------------------------------------------------------------------------------------

    def exists(self, sha256: str) -> bool:
        return self._existing(sha256) is not None

    def is_encrypted(self, sha256: str) -> bool:
        key, _head = self._require(sha256)
        return key.endswith(".c4gh")

    def reader(self, sha256: str) -> ObjectReader:
        """Random access to a blob's stored bytes (the ciphertext when it is sealed)."""
        key, head = self._require(sha256)
        return ObjectReader(
            self.client, self.location.bucket, key, size=int(head["ContentLength"]), etag=str(head["ETag"])
        )

    @contextmanager
    def open_stored(self, sha256: str) -> Iterator[BinaryIO]:
        """The stored bytes (ciphertext when sealed), seekable: a seek becomes one ranged GET."""
        with self.reader(sha256) as raw:
            yield io.BufferedReader(raw, buffer_size=256 * 1024)

    @contextmanager
    def open(self, sha256: str) -> Iterator[BinaryIO]:
        """Read a blob's plaintext: streamed from the object, or decrypted into a temporary file."""
        key, head = self._require(sha256)
        raw = ObjectReader(
            self.client, self.location.bucket, key, size=int(head["ContentLength"]), etag=str(head["ETag"])
        )
        with raw:
            buffered = io.BufferedReader(raw, buffer_size=CHUNK)
            if not key.endswith(".c4gh"):
                yield buffered
                return
            assert self._keys is not None, "the archive keys are needed to read a sealed blob"
            with tempfile.TemporaryFile() as plain:
                decrypt_stream(buffered, plain, keys=self._keys)
                plain.seek(0)
                yield plain

    def verify(self, sha256: str) -> None:
        """Re-read a blob and check its content still hashes to its key and to its recorded sha256."""
        _key, head = self._require(sha256)
        recorded = head.get("Metadata", {}).get("sha256")
        if recorded is not None and recorded != sha256:
            raise IntegrityError(f"blob {sha256} is corrupt: its metadata records sha256 {recorded}")
        digest = hashlib.sha256()
        try:
            with self.open(sha256) as handle:
                while chunk := handle.read(CHUNK):
                    digest.update(chunk)
        except (ValueError, EOFError) as exc:  # crypt4gh: a sealed segment fails authentication
            raise IntegrityError(f"blob {sha256} is corrupt: its envelope cannot be opened ({exc})") from None
        if digest.hexdigest() != sha256:
            raise IntegrityError(f"blob {sha256} is corrupt: its content hashes to {digest.hexdigest()}")

    def list_blobs(self) -> Iterator[BlobEntry]:
        base = self.location.key("sha256") + "/"
        for item in iter_objects(self.client, self.location.bucket, base):
            name = str(item["Key"]).rsplit("/", 1)[-1]
            sha256 = name.removesuffix(".c4gh")
            if len(sha256) != 64:
                continue
            yield BlobEntry(
                sha256=sha256,
                size=int(item["Size"]),
                modified=item["LastModified"].timestamp(),
                encrypted=name.endswith(".c4gh"),
                location=f"s3://{self.location.bucket}/{item['Key']}",
            )

    # --- collecting --------------------------------------------------------------------------------------------

    def unfinished_uploads(self) -> list[dict[str, Any]]:
        """Multipart uploads begun under this store's prefix and neither completed nor aborted."""
        found: list[dict[str, Any]] = []
        paginator = self.client.get_paginator("list_multipart_uploads")
        prefix = self.location.key("sha256") + "/"
        for page in paginator.paginate(Bucket=self.location.bucket, Prefix=prefix):
            found.extend(page.get("Uploads", []))
        return found

    def gc(self, registered: set[str], *, grace_seconds: float) -> GcReport:
        """Delete objects the catalog does not know and abort unfinished uploads older than the grace period."""
        cutoff = dt.datetime.now(dt.UTC).timestamp() - grace_seconds
        doomed: list[str] = []
        removed_bytes = kept = 0
        for entry in self.list_blobs():
            if entry.sha256 in registered:
                continue
            if entry.modified > cutoff:
                kept += 1
                continue
            doomed.append(entry.location.split("/", 3)[3])
            removed_bytes += entry.size
        delete_keys(self.client, self.location.bucket, doomed)
        removed_staging = 0
        for upload in self.unfinished_uploads():
            if upload["Initiated"].timestamp() > cutoff:
                continue
            try:
                self.client.abort_multipart_upload(
                    Bucket=self.location.bucket, Key=upload["Key"], UploadId=upload["UploadId"]
                )
            except Exception as exc:
                if not is_missing(exc):
                    raise
            removed_staging += 1
        if self._staging.exists():
            for folder in self._staging.iterdir():
                if folder.stat().st_mtime <= cutoff:
                    shutil.rmtree(folder, ignore_errors=True)
                    removed_staging += 1
        return GcReport(len(doomed), removed_bytes, removed_staging, kept)


def _reopen(
    location: S3Location,
    credentials: S3Credentials | None,
    staging_dir: Path,
    archive_keys: ArchiveKeys | None,
    encrypt: bool,
) -> S3BlobStore:
    return S3BlobStore(
        location,
        create_s3_client(location, credentials),
        staging_dir=staging_dir,
        archive_keys=archive_keys,
        encrypt=encrypt,
        credentials=credentials,
    )
