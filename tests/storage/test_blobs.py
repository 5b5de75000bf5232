from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from genomdb.config import Settings
from genomdb.errors import IntegrityError, NotFound
from genomdb.ingest.submit import _commit_blobs, submit_manifest
from genomdb.instance import Instance, init_instance
from genomdb.model.catalog import SearchFilters
from genomdb.storage.checksums import fsync_path
from tests.ingest.submission_kit import make_kit


def test_content_addressed_and_deduplicated(instance: Instance, tmp_path: Path) -> None:
    source = tmp_path / "a.bin"
    source.write_bytes(b"x" * 10_000)
    with instance.blobs.workspace() as workspace:
        first = instance.blobs.stage(source, workspace, name="a.bin")
        assert first.sha256 == hashlib.sha256(source.read_bytes()).hexdigest()
        assert instance.blobs.commit(first) is True
        again = instance.blobs.stage(source, workspace, name="copy.bin")
        assert instance.blobs.commit(again) is False
    with instance.blobs.open(first.sha256) as handle:
        assert handle.read() == source.read_bytes()
    with pytest.raises(NotFound):
        instance.blobs.verify("0" * 64)


def test_commits_of_one_submission_run_together(instance: Instance, tmp_path: Path) -> None:
    """Staged without the fsync (the caller's thread does it), committed concurrently, byte-identical copies once."""
    contents = [bytes([i]) * (1000 + i) for i in range(12)] + [b"same bytes"] * 3
    with instance.blobs.workspace() as workspace:
        staged = []
        for i, content in enumerate(contents):
            source = tmp_path / f"f{i}.bin"
            source.write_bytes(content)
            blob = instance.blobs.stage(source, workspace, name=source.name, durable=False)
            fsync_path(blob.path)
            staged.append(blob)
        _commit_blobs(instance.blobs, staged)
    assert {blob.sha256 for blob in staged} == {hashlib.sha256(c).hexdigest() for c in contents}
    for blob, content in zip(staged, contents, strict=True):
        instance.blobs.verify(blob.sha256)
        with instance.blobs.open(blob.sha256) as handle:
            assert handle.read() == content
    assert not list(instance.blobs.root.rglob(".tmp-*"))


def test_corruption_is_detected(instance: Instance, tmp_path: Path) -> None:
    source = tmp_path / "a.bin"
    source.write_bytes(b"payload")
    with instance.blobs.workspace() as workspace:
        staged = instance.blobs.stage(source, workspace, name="a.bin")
        instance.blobs.commit(staged)
    (path,) = [p for sha, p in instance.blobs.iter_blobs() if sha == staged.sha256]
    path.chmod(0o644)
    path.write_bytes(b"tampered")
    with pytest.raises(IntegrityError):
        instance.blobs.verify(staged.sha256)


def test_encrypted_store_keeps_plaintext_checksums(tmp_path: Path) -> None:
    settings = Settings(home=tmp_path / "home", encrypt_blobs=True)
    init_instance(settings)
    kit = make_kit(tmp_path / "submission")
    with Instance.open(settings) as instance:
        submit_manifest(instance, kit.write())
        sample = next(s for s in instance.catalog.search(SearchFilters()) if s.submitter_sample_id.endswith("1"))
        files = instance.catalog.sample(sample.sample_key).files
        assert files and all(f.encrypted for f in files)
        for stored in files:
            assert instance.blobs.is_encrypted(stored.sha256)
            instance.blobs.verify(stored.sha256)
            original = kit.folder / (stored.original_path or "")
            with instance.blobs.open(stored.sha256) as handle:
                assert handle.read() == original.read_bytes()
            (sealed,) = [p for sha, p in instance.blobs.iter_blobs() if sha == stored.sha256]
            assert sealed.read_bytes()[:8] == b"crypt4gh"
