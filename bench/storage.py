"""Benchmark: genomdb's S3 blob store and ``genomdb upload`` next to ``s3cmd`` on the same files, against the same
real Ceph RGW.

    python bench/storage.py                  # a 256 MB file (best of 3) and a 2 GB upload killed at 40 %
    python bench/storage.py --mb 1024 --repeat 2 --upload-mb 2048

Starts a single-node Ceph cluster with a RADOS Gateway on 127.0.0.1 (tests/storage/ceph.py; Debian's
``ceph-mon ceph-osd radosgw`` and ``s3cmd``), writes one random file, then times, each side as its own process
(start-up included on both sides, peak RSS read from the kernel for each process):

1. upload: ``genomdb`` S3 blob store commit (multipart, sha256 kept as object metadata) vs ``s3cmd put``;
2. download: the blob streamed back and hashed vs ``s3cmd get`` to a file;
3. ranged reads as an htsget slice makes them: 64 KiB at 200 random offsets of the object vs ``pread`` of the
   same file on local disk (in-process latency; no peer tool does this);
4. ``genomdb upload`` of a sparse file on /tmp (``--upload-mb``, 2 GB): once uninterrupted, once SIGKILLed when
   its resume record holds ``--kill-at`` (40 %) of the parts and then rerun (it re-reads and verifies the parts
   sent, sends the rest); the total against the uninterrupted run, the sha256 both report against the file's,
   and ``s3cmd put`` of the same file. The file is removed afterwards.

Prints MB/s, peak memory (per process, RSS from the kernel) and the ratios, and the machine load before and after.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import signal
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tests.storage.ceph import RunningRgw, running_rgw  # noqa: E402

_GENOMDB_PUT = textwrap.dedent(
    """
    import os, sys
    from pathlib import Path
    from pydantic import SecretStr
    from genomdb.storage.blobs import create_blob_store
    from genomdb.storage.s3 import S3Credentials
    url, source, sha256 = sys.argv[1:4]
    store = create_blob_store(url, credentials=S3Credentials(
        SecretStr(os.environ["GENOMDB_S3_ACCESS_KEY_ID"]), SecretStr(os.environ["GENOMDB_S3_SECRET_ACCESS_KEY"])))
    path = Path(source)
    assert store.put_file(path, sha256=sha256, size=path.stat().st_size)
    """
)
_GENOMDB_GET = textwrap.dedent(
    """
    import hashlib, os, sys
    from pydantic import SecretStr
    from genomdb.storage.blobs import create_blob_store
    from genomdb.storage.s3 import S3Credentials
    url, sha256 = sys.argv[1:3]
    store = create_blob_store(url, credentials=S3Credentials(
        SecretStr(os.environ["GENOMDB_S3_ACCESS_KEY_ID"]), SecretStr(os.environ["GENOMDB_S3_SECRET_ACCESS_KEY"])))
    digest = hashlib.sha256()
    with store.open(sha256) as handle:
        while chunk := handle.read(4 << 20):
            digest.update(chunk)
    assert digest.hexdigest() == sha256
    """
)


def timed(command: list[str], env: dict[str, str]) -> tuple[float, float]:
    """(seconds, peak RSS in MB) of one process."""
    started = time.perf_counter()
    process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - started
    if os.waitstatus_to_exitcode(status) != 0:
        raise RuntimeError(f"{command[0]} failed: {process.stderr.read().decode()[-2000:] if process.stderr else ''}")
    if process.stderr:
        process.stderr.close()
    return seconds, usage.ru_maxrss / 1024


def s3cmd(rgw: RunningRgw, *args: str) -> list[str]:
    host = rgw.endpoint.removeprefix("http://")
    return [
        "s3cmd", "--no-ssl", f"--host={host}", f"--host-bucket={host}", f"--access_key={rgw.access_key}",
        f"--secret_key={rgw.secret_key}", "--no-check-md5", "--quiet", "--config=/dev/null", *args,
    ]  # fmt: skip


def genomdb_cli(*args: str) -> list[str]:
    return [sys.executable, "-c", "from genomdb.cli.app import main; main()", *args]


def load() -> str:
    one, five, fifteen = os.getloadavg()
    return f"load average {one:.1f} {five:.1f} {fifteen:.1f} on {os.cpu_count()} cores"


def timed_output(command: list[str], env: dict[str, str]) -> tuple[float, float, str]:
    """(seconds, peak RSS in MB, stdout) of one process that must succeed."""
    started = time.perf_counter()
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        process = subprocess.Popen(command, env=env, stdout=out, stderr=err)
        _, status, usage = os.wait4(process.pid, 0)
        seconds = time.perf_counter() - started
        out.seek(0)
        err.seek(0)
        if os.waitstatus_to_exitcode(status) != 0:
            raise RuntimeError(f"{command[:4]} failed: {err.read().decode()[-2000:]}")
        return seconds, usage.ru_maxrss / 1024, out.read().decode()


def killed_at(command: list[str], env: dict[str, str], resume_dir: Path, n_parts: int, fraction: float) -> float:
    """Run ``command`` and SIGKILL it once its resume record names ``fraction`` of the parts; its seconds."""
    started = time.perf_counter()
    process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    while process.poll() is None:
        for record in resume_dir.glob("*.json"):
            try:
                parts = json.loads(record.read_text())["parts"]
            except (ValueError, KeyError, OSError):
                continue
            if len(parts) >= fraction * n_parts:
                process.send_signal(signal.SIGKILL)
                process.wait()
                return time.perf_counter() - started
        time.sleep(0.05)
    raise RuntimeError("the upload finished before it could be killed")


def resumed_upload(rgw: RunningRgw, work: Path, mb: int, fraction: float) -> list[str]:
    """A ``genomdb upload`` of a sparse file, uninterrupted, then killed and resumed; s3cmd put beside it."""
    from genomdb.access.records import Actor, Role
    from genomdb.access.users import add_user
    from genomdb.config import Settings
    from genomdb.instance import Instance, init_instance
    from genomdb.storage.s3 import part_size_for

    source = Path(tempfile.gettempdir()) / f"genomdb-bench-upload-{os.getpid()}.cram"
    lines = []
    try:
        with source.open("wb") as out:
            out.truncate(mb * 1024 * 1024)  # sparse: no disk used on /tmp
        size = source.stat().st_size
        digest = hashlib.sha256()
        with source.open("rb") as handle:
            while chunk := handle.read(16 << 20):
                digest.update(chunk)
        sha256 = digest.hexdigest()
        rgw.create_bucket("bench-upload")
        home = work / "home"
        url = rgw.store_url("bench-upload", "genomdb")
        env = {**os.environ, **rgw.environment(), "PYTHONPATH": str(REPO / "src"), "GENOMDB_HOME": str(home),
               "GENOMDB_STORE_URL": url}  # fmt: skip
        settings = Settings(home=home, store_url=url)
        init_instance(settings)
        with Instance.open(settings) as instance:
            add_user(instance, None, "bench-admin", role=Role.ADMIN, department=None)
            add_user(instance, Actor("bench-admin", Role.ADMIN), "hpc", role=Role.SUBMITTER, department="RH-KG")
        command = genomdb_cli("upload", str(source), "--as", "hpc", "--json")
        whole_s, whole_rss, whole_out = timed_output(command, env)
        whole = json.loads(whole_out)[0]
        n_parts = -(-size // part_size_for(size))
        killed_s = killed_at(command, env, home / "resume" / "uploads", n_parts, fraction)
        resumed_s, resumed_rss, resumed_out = timed_output(command, env)
        resumed = json.loads(resumed_out)[0]
        peer_s, peer_rss = timed(s3cmd(rgw, "put", str(source), "s3://bench-upload/s3cmd/upload.cram"), env)
        tiny = work / "one-byte.cram"
        tiny.write_bytes(b"\0")
        fixed_s, _, _ = timed_output(genomdb_cli("upload", str(tiny), "--as", "hpc", "--json"), env)
        peer_fixed_s, _ = timed(s3cmd(rgw, "put", str(tiny), "s3://bench-upload/s3cmd/one-byte.cram"), env)
        total = killed_s + resumed_s
        size_mb = size / 1e6
        lines += [
            f"genomdb upload, {size_mb:,.0f} MB sparse file, {n_parts} parts:",
            f"  uninterrupted   {whole_s:7.1f} s  {size_mb / whole_s:6.1f} MB/s  peak RSS {whole_rss:4.0f} MB"
            f"   sha256 {'matches' if whole['sha256'] == sha256 else 'DIFFERS'}",
            f"  killed (SIGKILL) at {fraction:.0%} of the parts after {killed_s:.1f} s; resumed in {resumed_s:.1f} s "
            f"({resumed['n_parts_verified']} parts re-read and verified, {resumed['n_parts_sent']} sent), "
            f"peak RSS {resumed_rss:.0f} MB, sha256 {'matches' if resumed['sha256'] == sha256 else 'DIFFERS'}",
            f"  total with the interruption {total:.1f} s = {total / whole_s:.2f}× the uninterrupted run",
            f"  s3cmd put of the same file {peer_s:7.1f} s  {size_mb / peer_s:6.1f} MB/s  peak RSS {peer_rss:4.0f} MB"
            f"   → genomdb upload {whole_s / peer_s:.2f}× s3cmd's time",
            f"  start-up and bookkeeping, a 1-byte file: genomdb upload {fixed_s:.1f} s (catalog, audit, boto3 "
            f"models), s3cmd put {peer_fixed_s:.1f} s; without them: {size_mb / max(whole_s - fixed_s, 1e-3):.1f} "
            f"vs {size_mb / max(peer_s - peer_fixed_s, 1e-3):.1f} MB/s",
        ]
    finally:
        source.unlink(missing_ok=True)
    return lines


def best(runs: list[tuple[float, float]]) -> tuple[float, float]:
    return min(s for s, _ in runs), max(m for _, m in runs)


def ranged_latencies(rgw: RunningRgw, url: str, sha256: str, local: Path, n: int) -> tuple[float, float]:
    from pydantic import SecretStr

    from genomdb.storage.blobs import create_blob_store
    from genomdb.storage.s3 import S3Credentials
    from genomdb.storage.s3blobs import S3BlobStore

    store = create_blob_store(url, credentials=S3Credentials(SecretStr(rgw.access_key), SecretStr(rgw.secret_key)))
    assert isinstance(store, S3BlobStore)
    size = local.stat().st_size
    rng = random.Random(3)
    offsets = [rng.randrange(0, size - 65536) for _ in range(n)]
    remote, on_disk = [], []
    with store.reader(sha256) as reader:
        for offset in offsets:
            started = time.perf_counter()
            reader.read_range(offset, 65536)
            remote.append(time.perf_counter() - started)
    fd = os.open(local, os.O_RDONLY)
    try:
        for offset in offsets:
            started = time.perf_counter()
            os.pread(fd, 65536, offset)
            on_disk.append(time.perf_counter() - started)
    finally:
        os.close(fd)
    return statistics.median(remote) * 1000, statistics.median(on_disk) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--mb", type=int, default=256, help="size of the file in MB")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--upload-mb", type=int, default=2048, help="size of the resumed upload (0: skip it)")
    parser.add_argument("--kill-at", type=float, default=0.4, help="fraction of the parts sent before the kill")
    args = parser.parse_args()
    print(f"before: {load()}", flush=True)
    with tempfile.TemporaryDirectory(prefix="genomdb-bench-storage-") as folder:
        work = Path(folder)
        source = work / "reads.cram"
        digest = hashlib.sha256()
        with source.open("wb") as out:
            for _ in range(args.mb):
                chunk = os.urandom(1 << 20)
                digest.update(chunk)
                out.write(chunk)
        sha256 = digest.hexdigest()
        mb = source.stat().st_size / 1e6
        print("starting a single-node Ceph RGW …", flush=True)
        started = time.perf_counter()
        with running_rgw(work / "ceph") as rgw:
            print(f"RGW up in {time.perf_counter() - started:.0f} s at {rgw.endpoint}; file {mb:.0f} MB", flush=True)
            env = {**os.environ, **rgw.environment(), "PYTHONPATH": str(REPO / "src")}
            rgw.create_bucket("bench")
            client = rgw.client()
            ours_put, ours_get, peer_put, peer_get = [], [], [], []
            for i in range(args.repeat):
                url = rgw.store_url("bench", f"genomdb-{i}")
                ours_put.append(timed([sys.executable, "-c", _GENOMDB_PUT, url, str(source), sha256], env))
                ours_get.append(timed([sys.executable, "-c", _GENOMDB_GET, url, sha256], env))
                target = f"s3://bench/s3cmd-{i}/reads.cram"
                peer_put.append(timed(s3cmd(rgw, "put", str(source), target), env))
                fetched = work / f"fetched-{i}"
                peer_get.append(timed(s3cmd(rgw, "get", target, str(fetched)), env))
                fetched.unlink()
            head = client.head_object(Bucket="bench", Key=f"genomdb-0/sha256/{sha256[:2]}/{sha256[2:4]}/{sha256}")
            assert head["Metadata"]["sha256"] == sha256
            remote_ms, local_ms = ranged_latencies(rgw, rgw.store_url("bench", "genomdb-0"), sha256, source, 200)
            upload_lines = resumed_upload(rgw, work, args.upload_mb, args.kill_at) if args.upload_mb else []

    rows = [
        ("upload", best(ours_put), best(peer_put), "s3cmd put"),
        ("download", best(ours_get), best(peer_get), "s3cmd get"),
    ]
    print(f"\n{'':10} {'genomdb':>22} {'peer':>22}   ratio (genomdb time / peer time)")
    for name, (ours_s, ours_m), (peer_s, peer_m), peer in rows:
        print(
            f"{name:10} {mb / ours_s:8.1f} MB/s {ours_m:6.0f} MB  {mb / peer_s:8.1f} MB/s {peer_m:6.0f} MB"
            f"   {ours_s / peer_s:.2f}×  ({peer}; best of {args.repeat}, peak RSS)"
        )
    print(
        f"ranged read, 64 KiB at 200 random offsets: median {remote_ms:.2f} ms from the RGW, "
        f"{local_ms:.3f} ms from local disk (page cache) — {remote_ms / local_ms:.0f}×"
    )
    for line in upload_lines:
        print(line)
    print(f"after: {load()}")


if __name__ == "__main__":
    main()
