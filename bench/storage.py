"""Benchmark: genomdb's S3 blob store next to ``s3cmd`` on the same files, against the same real Ceph RGW.

    python bench/storage.py                  # a 256 MB file, best of 3
    python bench/storage.py --mb 1024 --repeat 2

Starts a single-node Ceph cluster with a RADOS Gateway on 127.0.0.1 (tests/storage/ceph.py; Debian's
``ceph-mon ceph-osd radosgw`` and ``s3cmd``), writes one random file, then times, each side as its own process
(start-up included on both sides, peak RSS read from the kernel for each process):

1. upload: ``genomdb`` S3 blob store commit (multipart, sha256 kept as object metadata) vs ``s3cmd put``;
2. download: the blob streamed back and hashed vs ``s3cmd get`` to a file;
3. ranged reads as an htsget slice makes them: 64 KiB at 200 random offsets of the object vs ``pread`` of the
   same file on local disk (in-process latency; no peer tool does this).

Prints MB/s, peak memory and the ratios.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import random
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
    args = parser.parse_args()
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


if __name__ == "__main__":
    main()
