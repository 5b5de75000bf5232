"""One harness per blob-store backend, so that the conformance suite states each property once.

A harness opens stores at its URL and does what only a test may do to a backend behind genomdb's back:
damage a stored object.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from genomdb.storage.blobs import BlobStore, LocalBlobStore, create_blob_store
from genomdb.storage.envelope import ArchiveKeys, generate_archive_keys, load_archive_keys
from genomdb.storage.s3blobs import S3BlobStore
from tests.storage.ceph import RunningRgw


@dataclass
class Backend:
    name: str
    url: str
    keys: ArchiveKeys
    work: Path
    rgw: RunningRgw | None = None

    def store(self, *, encrypt: bool = False) -> BlobStore:
        from genomdb.storage.s3 import S3Credentials

        credentials = None
        if self.rgw is not None:
            from pydantic import SecretStr

            credentials = S3Credentials(SecretStr(self.rgw.access_key), SecretStr(self.rgw.secret_key))
        return create_blob_store(
            self.url, archive_keys=self.keys, encrypt=encrypt, credentials=credentials, staging_dir=self.work / "st"
        )

    def environment(self) -> dict[str, str]:
        """What a child process needs to open the same store."""
        env = dict(os.environ)
        if self.rgw is not None:
            env.update(self.rgw.environment())
        return env

    def damage(self, store: BlobStore, sha256: str, content: bytes) -> None:
        """Replace a stored object's bytes, keeping its name (and, on S3, its metadata)."""
        if isinstance(store, LocalBlobStore):
            (path,) = [p for sha, p in store.iter_blobs() if sha == sha256]
            path.chmod(0o644)
            path.write_bytes(content)
            return
        assert isinstance(store, S3BlobStore)
        key = next(e.location for e in store.list_blobs() if e.sha256 == sha256).split("/", 3)[3]
        head = store.client.head_object(Bucket=store.location.bucket, Key=key)
        store.client.put_object(Bucket=store.location.bucket, Key=key, Body=content, Metadata=head["Metadata"])


def archive_keys(folder: Path) -> ArchiveKeys:
    folder.mkdir(parents=True, exist_ok=True)
    generate_archive_keys(folder)
    return load_archive_keys(folder)
