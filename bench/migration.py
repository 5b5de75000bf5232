"""Benchmark: ``genomdb store migrate`` of a demo instance to a real Ceph RGW next to ``s3cmd`` moving the same files.

    python bench/migration.py                         # builds a 12-person demo first
    python bench/migration.py --home PATH             # migrates a copy of an existing local instance home

Starts a single-node Ceph cluster with a RADOS Gateway on 127.0.0.1 (tests/storage/ceph.py), then, each side as its
own processes on the same files (start-up included, peak RSS per process read from the kernel):

* genomdb: ``store migrate --to s3://…`` — every blob, batch and release file copied, read back whole and checked
  against its sha256, the migration ledger committed per object, then the switch;
* s3cmd: ``s3cmd put --recursive`` of the blob tree, the batches and the releases, then ``s3cmd get --recursive``
  of all of it (the read back) — no sha256 check, no ledger.

Prints seconds, MB/s over the stored bytes, peak memory and the ratio, and the machine load.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tests.storage.ceph import RunningRgw, running_rgw  # noqa: E402

GENOMDB = [sys.executable, "-c", "from genomdb.cli.app import main; main()"]
DATASET_FOLDERS = ("variants/batches", "frequency/releases")


def timed(command: list[str], env: dict[str, str]) -> tuple[float, float]:
    """Seconds and peak RSS (MB) of one process."""
    started = time.perf_counter()
    process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - started
    error = process.stderr.read().decode(errors="replace") if process.stderr else ""
    if process.stderr:
        process.stderr.close()
    if os.waitstatus_to_exitcode(status) != 0:
        raise RuntimeError(f"{' '.join(command[:4])} failed: {error[-2000:]}")
    return seconds, usage.ru_maxrss / 1024


def s3cmd(rgw: RunningRgw, *args: str) -> list[str]:
    host = rgw.endpoint.removeprefix("http://")
    return [
        "s3cmd", "--no-ssl", f"--host={host}", f"--host-bucket={host}", f"--access_key={rgw.access_key}",
        f"--secret_key={rgw.secret_key}", "--quiet", "--config=/dev/null", *args,
    ]  # fmt: skip


def stored_bytes(home: Path) -> int:
    folders = [home / "blobs" / "sha256", *(home / f for f in DATASET_FOLDERS)]
    return sum(p.stat().st_size for folder in folders if folder.exists() for p in folder.rglob("*") if p.is_file())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--home", type=Path, help="an existing local instance home to copy (default: build a demo)")
    parser.add_argument("--individuals", type=int, default=12, help="demo size when no --home is given")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="genomdb-bench-migrate-") as folder:
        work = Path(folder)
        env = {**os.environ, "COLUMNS": "120"}
        env.pop("GENOMDB_STORE_URL", None)
        source = work / "demo"
        if args.home is None:
            subprocess.run(
                [*GENOMDB, "demo", "--individuals", str(args.individuals)],
                env={**env, "GENOMDB_HOME": str(source)},
                check=True,
                capture_output=True,
            )
        else:
            shutil.copytree(args.home, source, symlinks=True)
            if (source / "store.json").exists():
                raise SystemExit("the given home was migrated already; give a home on its local store")
        n_bytes = stored_bytes(source)
        with running_rgw(work / "ceph") as rgw:
            rgw.create_bucket("bench")
            env.update(rgw.environment())
            home = work / "ours"
            shutil.copytree(source, home, symlinks=True)
            ours = timed(
                [*GENOMDB, "store", "migrate", "--to", rgw.store_url("bench", "genomdb"), "--json"],
                {**env, "GENOMDB_HOME": str(home)},
            )
            put = [timed(s3cmd(rgw, "put", "--recursive", str(source / "blobs" / "sha256"), "s3://bench/s3cmd/"), env)]
            for dataset in DATASET_FOLDERS:
                if (source / dataset).exists():
                    put.append(
                        timed(
                            s3cmd(rgw, "put", "--recursive", str(source / dataset), f"s3://bench/s3cmd/{dataset}/"), env
                        )
                    )
            back = work / "back"
            back.mkdir()
            get = timed(s3cmd(rgw, "get", "--recursive", "s3://bench/s3cmd/", str(back) + "/"), env)
    peer_seconds = sum(s for s, _ in put) + get[0]
    peer_memory = max(m for _, m in [*put, get])
    load = os.getloadavg()
    mb = n_bytes / 1e6
    print(f"{mb:.1f} MB stored (blobs, batches, releases); machine load {load[0]:.1f} {load[1]:.1f} {load[2]:.1f}")
    print(f"{'':34}{'seconds':>9}{'MB/s':>8}{'peak RSS MB':>13}")
    print(f"{'genomdb store migrate (verified)':34}{ours[0]:9.1f}{mb / ours[0]:8.2f}{ours[1]:13.0f}")
    print(f"{'s3cmd put + get --recursive':34}{peer_seconds:9.1f}{mb / peer_seconds:8.2f}{peer_memory:13.0f}")
    print(f"ratio (time, genomdb / s3cmd): {ours[0] / peer_seconds:.2f}×")


if __name__ == "__main__":
    main()
