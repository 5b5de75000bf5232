"""The blob-store contract, run against every backend: the local file store and a real Ceph RADOS Gateway."""

from __future__ import annotations

import hashlib
import os
import random
import signal
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest

from genomdb.errors import IntegrityError, NotFound
from genomdb.storage.blobs import BlobStore, StagedBlob
from genomdb.storage.s3blobs import S3BlobStore
from tests.storage.backends import Backend, archive_keys

REPO = Path(__file__).resolve().parents[2]
BIG = 20 * 1024 * 1024
"""Larger than one multipart part (16 MiB), so S3 uploads go in several parts."""


@pytest.fixture(scope="module")
def keys(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    return archive_keys(tmp_path_factory.mktemp("keys"))


@pytest.fixture(params=["local", pytest.param("rgw", marks=pytest.mark.rgw)])
def backend(request: pytest.FixtureRequest, tmp_path: Path, keys) -> Backend:  # type: ignore[no-untyped-def]
    if request.param == "local":
        return Backend("local", (tmp_path / "blobs").as_uri(), keys, tmp_path)
    rgw = request.getfixturevalue("rgw")
    bucket = request.getfixturevalue("rgw_bucket")
    return Backend("rgw", rgw.store_url(bucket, "archive/blobs"), keys, tmp_path, rgw)


def _file(folder: Path, name: str, data: bytes) -> Path:
    path = folder / name
    path.write_bytes(data)
    return path


def _put(store: BlobStore, source: Path) -> StagedBlob:
    with store.workspace() as workspace:
        staged = store.stage(source, workspace, name=source.name)
        store.commit(staged)
    return staged


@pytest.mark.parametrize("encrypt", [False, True], ids=["plain", "sealed"])
def test_put_get_exists_and_delete_by_gc(backend: Backend, tmp_path: Path, encrypt: bool) -> None:
    store = backend.store(encrypt=encrypt)
    data = os.urandom(BIG + 12_345)
    source = _file(tmp_path, "reads.fastq.gz", data)
    with store.workspace() as workspace:
        staged = store.stage(source, workspace, name=source.name)
        assert staged.sha256 == hashlib.sha256(data).hexdigest()
        assert staged.md5 == hashlib.md5(data).hexdigest()
        assert not store.exists(staged.sha256)
        assert store.commit(staged) is True
        again = store.stage(source, workspace, name="again")
        assert store.commit(again) is False, "identical content is stored once"
    assert store.exists(staged.sha256)
    assert store.is_encrypted(staged.sha256) is encrypt
    with store.open(staged.sha256) as handle:
        assert hashlib.sha256(handle.read()).hexdigest() == staged.sha256
    store.verify(staged.sha256)
    entries = [e for e in store.list_blobs() if e.sha256 == staged.sha256]
    assert len(entries) == 1 and entries[0].encrypted is encrypt
    assert entries[0].size == len(data) if not encrypt else entries[0].size > len(data)

    report = store.gc(set(), grace_seconds=0)
    assert report.removed_blobs == 1
    assert not store.exists(staged.sha256)
    with pytest.raises(NotFound):
        store.verify(staged.sha256)
    with pytest.raises(NotFound), store.open(staged.sha256):
        pass


@pytest.mark.parametrize("encrypt", [False, True], ids=["plain", "sealed"])
def test_a_blob_is_invisible_until_its_commit_returns(backend: Backend, tmp_path: Path, encrypt: bool) -> None:
    store = backend.store(encrypt=encrypt)
    source = _file(tmp_path, "big.cram", os.urandom(BIG))
    seen_during: list[bool] = []
    listed_during: list[int] = []
    with store.workspace() as workspace:
        staged = store.stage(source, workspace, name=source.name)

        def progress(_n: int) -> None:
            seen_during.append(store.exists(staged.sha256))
            listed_during.append(sum(1 for _ in store.list_blobs()))

        store.commit(staged, progress=progress)
    assert seen_during and not any(seen_during), "no reader may see a blob before its commit completes"
    assert set(listed_during) == {0}
    assert store.exists(staged.sha256)


def test_ranged_reads_return_exactly_the_bytes_asked_for(backend: Backend, tmp_path: Path) -> None:
    store = backend.store()
    data = os.urandom(3 * 1024 * 1024 + 7)
    staged = _put(store, _file(tmp_path, "sample.cram", data))
    rng = random.Random(7)
    with store.open_stored(staged.sha256) as handle:
        for _ in range(25):
            start = rng.randrange(0, len(data))
            length = rng.randrange(0, 200_000)
            handle.seek(start)
            assert handle.read(length) == data[start : start + length]
        handle.seek(len(data) - 10)
        assert handle.read(100) == data[-10:]
        handle.seek(0)
        assert handle.read(5) == data[:5]
    if isinstance(store, S3BlobStore):
        with store.reader(staged.sha256) as raw:
            assert raw.read_range(1_000_000, 4096) == data[1_000_000:1_004_096]
            assert raw.size == len(data)


def test_listing_names_every_blob_once(backend: Backend, tmp_path: Path) -> None:
    store = backend.store()
    payloads = [os.urandom(1000 + i) for i in range(7)]
    expected = {hashlib.sha256(p).hexdigest(): len(p) for p in payloads}
    for i, payload in enumerate(payloads):
        _put(store, _file(tmp_path, f"f{i}", payload))
    listed = {e.sha256: e.size for e in store.list_blobs()}
    assert listed == expected


def test_gc_removes_only_unregistered_blobs_older_than_the_grace(backend: Backend, tmp_path: Path) -> None:
    store = backend.store()
    kept, orphan_a, orphan_b = (_put(store, _file(tmp_path, n, os.urandom(5000))) for n in ("k", "a", "b"))
    young = store.gc({kept.sha256}, grace_seconds=3600)
    assert (young.removed_blobs, young.kept_young) == (0, 2)
    report = store.gc({kept.sha256}, grace_seconds=0)
    assert report.removed_blobs == 2
    assert report.removed_bytes == 10_000
    assert store.exists(kept.sha256)
    assert not store.exists(orphan_a.sha256) and not store.exists(orphan_b.sha256)
    store.verify(kept.sha256)


@pytest.mark.parametrize("encrypt", [False, True], ids=["plain", "sealed"])
def test_concurrent_writers_of_the_same_content(backend: Backend, tmp_path: Path, encrypt: bool) -> None:
    data = os.urandom(BIG + 99)
    source = _file(tmp_path, "same.bam", data)
    sha256 = hashlib.sha256(data).hexdigest()
    barrier = threading.Barrier(4)
    outcomes: list[bool | BaseException] = []

    def writer() -> None:
        store = backend.store(encrypt=encrypt)
        try:
            with store.workspace() as workspace:
                staged = store.stage(source, workspace, name=source.name)
                barrier.wait()
                outcomes.append(store.commit(staged))
        except BaseException as exc:
            outcomes.append(exc)

    threads = [threading.Thread(target=writer) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert all(isinstance(o, bool) for o in outcomes), outcomes
    assert True in outcomes
    store = backend.store(encrypt=encrypt)
    assert [e.sha256 for e in store.list_blobs()] == [sha256]
    store.verify(sha256)
    with store.open(sha256) as handle:
        assert handle.read() == data


_CRASHING_WRITER = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    from pydantic import SecretStr
    import os
    from genomdb.storage.blobs import create_blob_store
    from genomdb.storage.envelope import load_archive_keys
    from genomdb.storage.s3 import S3Credentials

    url, keys_dir, source, marker, encrypt, staging = sys.argv[1:7]
    credentials = None
    if os.environ.get("GENOMDB_S3_ACCESS_KEY_ID"):
        credentials = S3Credentials(
            SecretStr(os.environ["GENOMDB_S3_ACCESS_KEY_ID"]), SecretStr(os.environ["GENOMDB_S3_SECRET_ACCESS_KEY"])
        )
    store = create_blob_store(
        url, archive_keys=load_archive_keys(Path(keys_dir)), encrypt=encrypt == "1",
        credentials=credentials, staging_dir=Path(staging),
    )
    sent = 0

    def progress(n):
        global sent
        sent += n
        if sent >= 16 * 1024 * 1024:  # the first multipart part is sent
            Path(marker).write_text(str(sent))
            time.sleep(600)

    with store.workspace() as workspace:
        staged = store.stage(Path(source), workspace, name="big.cram")
        store.commit(staged, progress=progress)
    """
)


@pytest.mark.parametrize("encrypt", [False, True], ids=["plain", "sealed"])
def test_a_writer_killed_mid_upload_leaves_nothing_visible(backend: Backend, tmp_path: Path, encrypt: bool) -> None:
    if backend.name == "local" and not encrypt:
        pytest.skip("a plain local commit is a single rename of the staged file: there is no mid-upload moment")
    keys_dir = tmp_path / "child-keys"  # the child opens the same archive keys from their files
    backend = Backend(backend.name, backend.url, archive_keys(keys_dir), backend.work, backend.rgw)
    data = os.urandom(BIG + 3)
    source = _file(tmp_path, "big.cram", data)
    marker = tmp_path / "marker"
    script = tmp_path / "writer.py"
    script.write_text(_CRASHING_WRITER)
    child = subprocess.Popen(
        [
            sys.executable, str(script), backend.url, str(keys_dir), str(source), str(marker),
            "1" if encrypt else "0", str(tmp_path / "child-staging"),
        ],
        env={**backend.environment(), "PYTHONPATH": str(REPO / "src")},
        stderr=subprocess.PIPE,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 120
        while not marker.exists():
            assert child.poll() is None, child.stderr.read().decode() if child.stderr else ""
            assert time.monotonic() < deadline, "the writer never got past its first part"
            time.sleep(0.05)
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=30)
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
        if child.stderr:
            child.stderr.close()
    sha256 = hashlib.sha256(data).hexdigest()
    store = backend.store(encrypt=encrypt)
    assert not store.exists(sha256)
    assert list(store.list_blobs()) == []
    if isinstance(store, S3BlobStore):
        assert len(store.unfinished_uploads()) == 1, "the killed upload is pending, invisible"
    report = store.gc(set(), grace_seconds=0)
    assert report.removed_staging >= 1, "gc collects the abandoned upload"
    if isinstance(store, S3BlobStore):
        assert store.unfinished_uploads() == []
    staged = _put(store, source)
    assert staged.sha256 == sha256
    store.verify(sha256)


@pytest.mark.parametrize("encrypt", [False, True], ids=["plain", "sealed"])
def test_a_corrupted_object_is_detected(backend: Backend, tmp_path: Path, encrypt: bool) -> None:
    store = backend.store(encrypt=encrypt)
    staged = _put(store, _file(tmp_path, "a.vcf.gz", os.urandom(70_000)))
    store.verify(staged.sha256)
    with store.open_stored(staged.sha256) as handle:
        stored = bytearray(handle.read())
    stored[len(stored) // 2] ^= 0x01
    backend.damage(store, staged.sha256, bytes(stored))
    with pytest.raises(IntegrityError):
        store.verify(staged.sha256)
