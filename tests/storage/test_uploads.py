"""Uploads from a department's HPC (`genomdb upload`), on the local store and on the real Ceph RGW: parts checked,
resumable after a SIGKILL, invisible until a submission adopts them by sha256, collected by `store gc` when
abandoned, sent only by the department's submitters and audited."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from pydantic import SecretStr
from sqlalchemy import select

from genomdb.access.records import Actor, Role
from genomdb.access.tables import AuditEntryRow
from genomdb.access.users import add_user, resolve_actor
from genomdb.config import Settings
from genomdb.errors import Forbidden, InvalidInput, NotFound
from genomdb.ingest import repository, uploads
from genomdb.ingest.submit import SubmissionRejected, submit_manifest
from genomdb.instance import Instance, init_instance
from genomdb.storage.blobs import LocalBlobStore
from genomdb.storage.s3blobs import S3BlobStore
from genomdb.storage.uploads import SentPart, part_md5
from tests.ingest.submission_kit import make_kit
from tests.storage.ceph import RunningRgw

REPO = Path(__file__).resolve().parents[2]
GC = [sys.executable, "-c", "from genomdb.cli.app import main; main()", "store", "gc", "--as", "steve"]
PART = 5 * 1024 * 1024
"""The smallest part S3 allows: a 12 MiB file goes in three parts."""


@dataclass
class Place:
    instance: Instance
    settings: Settings
    env: dict[str, str]
    rgw: RunningRgw | None
    bucket: str | None

    def actor(self, username: str) -> Actor:
        return resolve_actor(self.instance, username)

    def upload_area_objects(self) -> list[str]:
        """Whatever the upload area holds: files on disk, or objects and unfinished multipart uploads on S3."""
        blobs = self.instance.blobs
        if isinstance(blobs, LocalBlobStore):
            root = blobs.root / ".uploads"
            return sorted(str(p) for p in root.iterdir()) if root.exists() else []
        assert isinstance(blobs, S3BlobStore) and self.bucket is not None
        client = blobs.client
        prefix = blobs.location.key("uploads") + "/"
        objects = [o["Key"] for o in client.list_objects_v2(Bucket=self.bucket, Prefix=prefix).get("Contents", [])]
        pending = client.list_multipart_uploads(Bucket=self.bucket, Prefix=prefix).get("Uploads", [])
        return sorted([*objects, *(u["Key"] + "#unfinished" for u in pending)])


@pytest.fixture(params=["local", pytest.param("rgw", marks=pytest.mark.rgw)])
def place(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Place]:
    env = {**os.environ, "GENOMDB_HOME": str(tmp_path / "home"), "COLUMNS": "200"}
    rgw: RunningRgw | None = None
    bucket = None
    if request.param == "local":
        settings = Settings(home=tmp_path / "home", gc_grace_seconds=0)
    else:
        rgw = request.getfixturevalue("rgw")
        bucket = request.getfixturevalue("rgw_bucket")
        url = rgw.store_url(bucket, "genomdb")
        settings = Settings(
            home=tmp_path / "home",
            store_url=url,
            s3_access_key_id=SecretStr(rgw.access_key),
            s3_secret_access_key=SecretStr(rgw.secret_key),
            gc_grace_seconds=0,
        )
        env.update({**rgw.environment(), "GENOMDB_STORE_URL": url})
    init_instance(settings)
    with Instance.open(settings) as instance:
        admin = add_user(instance, None, "admin", role=Role.ADMIN, department=None)
        acting = Actor(admin.username, admin.role)
        add_user(instance, acting, "kg-submitter", role=Role.SUBMITTER, department="RH-KG")
        add_user(instance, acting, "ouh-submitter", role=Role.SUBMITTER, department="RSJ-KG")
        add_user(instance, acting, "kg-clinician", role=Role.CLINICIAN, department="RH-KG")
        add_user(instance, acting, "steve", role=Role.STEWARD, department=None)
        yield Place(instance, settings, env, rgw, bucket)


def _random_file(path: Path, size: int, seed: int = 7) -> Path:
    chunk = hashlib.sha256(str(seed).encode()).digest() * 2048  # 64 KiB, reproducible
    with path.open("wb") as out:
        written = 0
        while written < size:
            piece = chunk[: size - written]
            out.write(piece)
            written += len(piece)
            chunk = hashlib.sha256(chunk[:32]).digest() * 2048
    return path


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _audit_actions(instance: Instance, upload_id: str) -> list[tuple[str, str]]:
    with instance.db.session() as session:
        rows = session.scalars(
            select(AuditEntryRow).where(AuditEntryRow.resource_id == upload_id).order_by(AuditEntryRow.seq)
        )
        return [(r.action, r.decision) for r in rows]


def test_an_uploaded_file_is_invisible_until_a_submission_adopts_it_by_sha256(place: Place, tmp_path: Path) -> None:
    instance = place.instance
    kit = make_kit(tmp_path / "kit")
    actor = place.actor("kg-submitter")
    sent = {}
    for file_id in ("r1", "r2", "gvcf"):
        path = kit.folder / kit.file_entry(file_id)["path"]
        outcome = uploads.send_file(instance, actor, path, resume_dir=tmp_path / "resume")
        assert outcome.sha256 == _sha256(path) == kit.file_entry(file_id)["sha256"]
        sent[file_id] = outcome
    # sent, but nobody's blob: not in the store's blobs, not in the catalog, only in the upload area
    for outcome in sent.values():
        assert not instance.blobs.exists(outcome.sha256)
        assert outcome.sha256 not in instance.catalog.registered_blobs()
        assert outcome.sha256 not in {e.sha256 for e in instance.blobs.list_blobs()}
    assert len(place.upload_area_objects()) == 3
    assert not list((tmp_path / "resume").iterdir()), "a finished upload leaves no resume record"

    # the manifest names them by sha256; the local copies are gone, so nothing can be read from a path
    for file_id in sent:
        entry = kit.file_entry(file_id)
        (kit.folder / entry.pop("path")).unlink()
        entry["uploaded"] = True
    outcome = submit_manifest(instance, kit.write())
    assert outcome.status == "accepted" and outcome.n_files == 5
    registered = instance.catalog.registered_blobs()
    for upload in sent.values():
        assert upload.sha256 in registered
        instance.blobs.verify(upload.sha256)
        record = repository.upload(instance.db, upload.upload_id)
        assert record is not None and record.state == "submitted" and record.submission_id == outcome.submission_id
    assert place.upload_area_objects() == [], "adopted uploads leave the upload area"
    if isinstance(instance.blobs, S3BlobStore):
        key = instance.blobs.key_for(sent["gvcf"].sha256, encrypted=False)
        head = instance.blobs.client.head_object(Bucket=place.bucket, Key=key)
        assert head["Metadata"]["sha256"] == sent["gvcf"].sha256


def test_a_manifest_cannot_adopt_another_departments_upload(place: Place, tmp_path: Path) -> None:
    instance = place.instance
    kit = make_kit(tmp_path / "kit", department="RSJ-KG", prefix="RSJ-KG-T")
    path = kit.folder / kit.file_entry("gvcf")["path"]
    outcome = uploads.send_file(instance, place.actor("kg-submitter"), path, resume_dir=tmp_path / "resume")
    entry = kit.file_entry("gvcf")
    (kit.folder / entry.pop("path")).unlink()
    entry["uploaded"] = True
    with pytest.raises(SubmissionRejected) as rejected:
        submit_manifest(instance, kit.write())
    assert any(p.field == "sha256" and "RSJ-KG" in p.message for p in rejected.value.problems)
    assert not instance.blobs.exists(outcome.sha256)
    record = repository.upload(instance.db, outcome.upload_id)
    assert record is not None and record.state == "complete", "the upload still waits for its own department"


_KILLED_SENDER = textwrap.dedent(
    """
    import os, signal, sys
    from pathlib import Path
    from genomdb.config import Settings
    from genomdb.instance import Instance
    from genomdb.access.users import resolve_actor
    from genomdb.ingest.uploads import send_file

    class KillAfterFirstPart:
        def begin(self, description, total): pass
        def advance(self, amount=1, *, note=None):
            os.kill(os.getpid(), signal.SIGKILL)  # a part has arrived and is in the resume record
        def end(self): pass

    with Instance.open(Settings()) as instance:
        actor = resolve_actor(instance, "kg-submitter")
        send_file(instance, actor, Path(sys.argv[1]), resume_dir=Path(sys.argv[2]), progress=KillAfterFirstPart(),
                  part_size=5 * 1024 * 1024, concurrency=1)
    """
)


def test_an_upload_killed_midway_resumes_and_verifies_the_parts_already_sent(place: Place, tmp_path: Path) -> None:
    instance = place.instance
    source = _random_file(tmp_path / "big.cram", 12 * 1024 * 1024 + 4321)
    resume = tmp_path / "resume"
    killed = subprocess.run(
        [sys.executable, "-c", _KILLED_SENDER, str(source), str(resume)], env=place.env, cwd=REPO, check=False
    )
    assert killed.returncode == -9
    (record_file,) = list(resume.glob("*.json"))
    assert place.upload_area_objects() != [] and not instance.blobs.exists(_sha256(source))

    outcome = uploads.send_file(instance, place.actor("kg-submitter"), source, resume_dir=resume, part_size=PART)
    assert outcome.n_parts == 3 and outcome.n_parts_verified >= 1
    assert outcome.n_parts_sent == 3 - outcome.n_parts_verified
    assert outcome.sha256 == _sha256(source)
    assert not record_file.exists()
    with uploads.area_of(instance).open(outcome.upload_id) as stored:
        assert hashlib.sha256(stored.read()).hexdigest() == outcome.sha256


def test_a_part_that_no_longer_matches_its_record_is_sent_again(place: Place, tmp_path: Path) -> None:
    """The resume record says part 1 was sent, but the store holds other bytes for it: it is re-sent."""
    instance = place.instance
    actor = place.actor("kg-submitter")
    source = _random_file(tmp_path / "reads.fastq.gz", 2 * PART + 10)
    resume = tmp_path / "resume"
    first = uploads.start_upload(
        instance, actor, file_name=source.name, size=source.stat().st_size, part_size=PART, via="cli"
    )
    assert first.handle is not None
    area = uploads.area_of(instance)
    wrong = os.urandom(PART)
    area.send_part(first.upload_id, first.handle, 1, wrong, offset=0)
    stat = source.stat()
    record_file = uploads._resume_path(resume, instance, source, stat.st_size, stat.st_mtime_ns)
    resume.mkdir()
    uploads._save(record_file, {"upload_id": first.upload_id, "part_size": PART, "parts": {"1": part_md5(wrong)}})

    outcome = uploads.send_file(instance, actor, source, resume_dir=resume)
    assert outcome.upload_id == first.upload_id and outcome.n_parts_verified == 0 and outcome.n_parts_sent == 3
    with area.open(outcome.upload_id) as stored:
        assert hashlib.sha256(stored.read()).hexdigest() == _sha256(source) == outcome.sha256


def test_completion_checks_the_part_list_and_the_whole_files_sha256(place: Place, tmp_path: Path) -> None:
    instance = place.instance
    actor = place.actor("kg-submitter")
    data = _random_file(tmp_path / "f.bam", PART + 100).read_bytes()
    started = uploads.start_upload(instance, actor, file_name="f.bam", size=len(data), part_size=PART, via="api")
    first = uploads.receive_part(instance, actor, started.upload_id, 1, data[:PART], content_md5=None, via="api")
    with pytest.raises(InvalidInput) as missing:
        uploads.complete_upload(
            instance, actor, started.upload_id, sha256=hashlib.sha256(data).hexdigest(), parts=[first], via="api"
        )
    assert [p.location for p in missing.value.problems] == ["part 2"]
    with pytest.raises(InvalidInput, match="damaged"):
        uploads.receive_part(instance, actor, started.upload_id, 2, data[PART:], content_md5="0" * 32, via="api")
    with pytest.raises(InvalidInput, match="refused"):
        uploads.receive_part(instance, actor, started.upload_id, 2, data[PART:] + b"x", content_md5=None, via="api")
    second = uploads.receive_part(instance, actor, started.upload_id, 2, data[PART:], content_md5=None, via="api")
    with pytest.raises(InvalidInput, match="cannot be completed"):
        uploads.complete_upload(
            instance,
            actor,
            started.upload_id,
            sha256=hashlib.sha256(data).hexdigest(),
            parts=[first, SentPart(2, second.size, "f" * 32)],
            via="api",
        )
    with pytest.raises(InvalidInput, match="removed"):
        uploads.complete_upload(instance, actor, started.upload_id, sha256="a" * 64, parts=[first, second], via="api")
    assert place.upload_area_objects() == [], "a file that does not hash to its declared sha256 is not kept"
    record = repository.upload(instance.db, started.upload_id)
    assert record is not None and record.state == "aborted"


def test_store_gc_removes_abandoned_uploads_finished_or_not(place: Place, tmp_path: Path) -> None:
    instance = place.instance
    actor = place.actor("kg-submitter")
    finished = uploads.send_file(
        instance, actor, _random_file(tmp_path / "done.fastq.gz", 1000), resume_dir=tmp_path / "r"
    )
    data = _random_file(tmp_path / "half.cram", PART + 5).read_bytes()
    half = uploads.start_upload(instance, actor, file_name="half.cram", size=len(data), part_size=PART, via="cli")
    uploads.receive_part(instance, actor, half.upload_id, 1, data[:PART], content_md5=None, via="cli")
    assert len(place.upload_area_objects()) == 2

    env = {**place.env, "GENOMDB_UPLOAD_MAX_AGE_SECONDS": "3600"}
    young = subprocess.run(GC, env=env, capture_output=True, text=True, check=False)
    assert young.returncode == 0, young.stderr
    assert "removed 0 upload(s)" in young.stdout
    assert len(place.upload_area_objects()) == 2

    env["GENOMDB_UPLOAD_MAX_AGE_SECONDS"] = "0"
    old = subprocess.run(GC, env=env, capture_output=True, text=True, check=False)
    assert old.returncode == 0, old.stderr
    assert "removed 2 upload(s)" in old.stdout
    assert place.upload_area_objects() == []
    for upload_id in (finished.upload_id, half.upload_id):
        record = repository.upload(instance.db, upload_id)
        assert record is not None and record.state == "expired"
    assert not instance.blobs.exists(finished.sha256)


def test_only_the_departments_submitters_upload_and_every_step_is_audited(place: Place, tmp_path: Path) -> None:
    instance = place.instance
    with pytest.raises(Forbidden):
        uploads.start_upload(instance, place.actor("kg-clinician"), file_name="x.cram", size=10, via="api")
    outcome = uploads.send_file(
        instance, place.actor("kg-submitter"), _random_file(tmp_path / "a.cram", 100), resume_dir=tmp_path / "r"
    )
    other = place.actor("ouh-submitter")
    with pytest.raises(NotFound):
        uploads.upload_status(instance, other, outcome.upload_id, via="api")
    with pytest.raises(NotFound):
        uploads.abort_upload(instance, other, outcome.upload_id, via="api")
    assert _audit_actions(instance, outcome.upload_id) == [
        ("upload-start", "allowed"),
        ("upload-complete", "allowed"),
        ("upload-status", "refused"),
        ("upload-abort", "refused"),
    ]
    uploads.abort_upload(instance, place.actor("kg-submitter"), outcome.upload_id, via="cli")
    assert place.upload_area_objects() == []


def test_genomdb_upload_sends_files_as_a_named_submitter(place: Place, tmp_path: Path) -> None:
    source = _random_file(tmp_path / "S1.cram", PART + 99)
    command = [sys.executable, "-c", "from genomdb.cli.app import main; main()", "upload", str(source)]
    nobody = subprocess.run(command, env=place.env, capture_output=True, text=True, check=False)
    assert nobody.returncode != 0 and "--as USER" in nobody.stderr
    sent = subprocess.run(
        [*command, "--as", "kg-submitter", "--part-mb", "5", "--json"],
        env=place.env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert sent.returncode == 0, sent.stderr
    (outcome,) = json.loads(sent.stdout)
    assert outcome["sha256"] == _sha256(source) and outcome["n_parts"] == 2 and outcome["n_parts_verified"] == 0
    record = repository.upload(place.instance.db, outcome["upload_id"])
    assert record is not None and record.state == "complete" and record.username == "kg-submitter"
    assert not place.instance.blobs.exists(outcome["sha256"])
