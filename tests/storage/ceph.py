"""A real single-node Ceph cluster with a RADOS Gateway on 127.0.0.1, for the S3 tests and the storage benchmark.

One monitor, one BlueStore OSD on a sparse file and one radosgw, from Debian's ``ceph-mon ceph-osd radosgw``
packages; authentication off (``auth … required = none`` with ``ms mon client mode = crc``), one replica. Besides
``STANDARD`` the default placement has a ``COLD`` storage class on its own data pool (``default.rgw.cold.data``),
zstd-compressed, for the storage tiers. Every daemon runs in the foreground in its own process group, a child of
this process, and is stopped by that group — also when the caller fails or is sent SIGTERM.

    with running_rgw(tmp / "ceph") as rgw:      # about 15 s
        rgw.store_url("genomdb-test")           # s3://genomdb-test?endpoint=http://127.0.0.1:…
"""

from __future__ import annotations

import atexit
import contextlib
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

DAEMONS = ("ceph-mon", "ceph-osd", "radosgw", "radosgw-admin", "monmaptool", "ceph", "rados")
COLD_CLASS = "COLD"
COLD_POOL = "default.rgw.cold.data"
COLD_COMPRESSION = "zstd"
OSD_BYTES = 20 * 1024**3
"""The sparse file backing the OSD: only what is written takes space."""


def missing_binaries() -> list[str]:
    """The Ceph programs not on PATH (``apt-get install ceph-mon ceph-osd radosgw`` provides them)."""
    return [name for name in DAEMONS if shutil.which(name) is None]


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class RunningRgw:
    """A started cluster: where its gateway listens and the S3 user's keys."""

    root: Path
    endpoint: str
    access_key: str
    secret_key: str
    conf: Path
    processes: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)

    def store_url(self, bucket: str, prefix: str = "") -> str:
        path = f"/{prefix.strip('/')}" if prefix.strip("/") else ""
        return f"s3://{bucket}{path}?endpoint={self.endpoint}"

    def environment(self) -> dict[str, str]:
        """The credentials as genomdb reads them (never part of a store URL)."""
        return {"GENOMDB_S3_ACCESS_KEY_ID": self.access_key, "GENOMDB_S3_SECRET_ACCESS_KEY": self.secret_key}

    def client(self) -> object:
        import boto3
        from botocore.config import Config

        return boto3.client(
            "s3",
            endpoint_url=self.endpoint,
            aws_access_key_id=self.access_key,
            aws_secret_access_key=self.secret_key,
            region_name="us-east-1",
            config=Config(
                s3={"addressing_style": "path"},
                request_checksum_calculation="when_required",
                response_checksum_validation="when_required",
            ),
        )

    def create_bucket(self, bucket: str) -> None:
        self.client().create_bucket(Bucket=bucket)  # type: ignore[attr-defined]

    def ceph(self, *args: str) -> str:
        return _run(["ceph", "-c", str(self.conf), *args])

    def rados(self, *args: str) -> str:
        return _run(["rados", "-c", str(self.conf), *args])

    def stop(self) -> None:
        """Stop the gateway, then the OSD, then the monitor, each by its process group (the daemon and anything it
        forked, signalled while the daemon is still unreaped so the group id is its own); kill the group when it
        does not stop in 20 s. Safe to call again."""
        for name in ("radosgw", "ceph-osd", "ceph-mon"):
            process = self.processes.pop(name, None)
            if process is None or process.poll() is not None:
                continue  # (once reaped, its PID is no longer a group this process may signal)
            _signal_group(process, signal.SIGTERM)
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                _signal_group(process, signal.SIGKILL)
                process.wait(timeout=10)


def _descendants(pid: int) -> list[int]:
    """The processes below ``pid`` (from /proc), also those that moved to a session of their own
    (``ceph-osd --mkfs`` forks a worker that calls setsid)."""
    parents: dict[int, int] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError, ValueError, IndexError):
            fields = stat.read_text().rsplit(")", 1)[1].split()
            parents[int(stat.parent.name)] = int(fields[1])
    found, frontier = [], [pid]
    while frontier:
        parent = frontier.pop()
        children = [child for child, ppid in parents.items() if ppid == parent]
        found += children
        frontier += children
    return found


def _signal_group(process: subprocess.Popen[bytes], signum: int) -> None:
    """Signal a process started here in a new session: its process group and every process below it."""
    below = _descendants(process.pid)
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signum)
    for pid in below:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(pid, signum)


def _run(command: list[str], *, timeout: float = 60) -> str:
    """Run a set-up command in its own process group; the whole group is killed if this is interrupted (a SIGTERM
    during ``ceph-osd --mkfs``, which forks, left the fork running when only the command itself was killed)."""
    process = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL, start_new_session=True
    )
    try:
        out, err = process.communicate(timeout=timeout)
    except BaseException:
        _signal_group(process, signal.SIGKILL)
        process.wait()
        raise
    if process.returncode != 0:
        message = err.decode(errors="replace").strip()[-2000:]
        raise RuntimeError(f"{' '.join(command[:4])} … failed ({process.returncode}): {message}")
    return out.decode(errors="replace")


def _config(root: Path, fsid: str, mon_port: int, rgw_port: int) -> str:
    return f"""[global]
fsid = {fsid}
mon host = v2:127.0.0.1:{mon_port}
mon initial members = a
auth cluster required = none
auth service required = none
auth client required = none
ms mon client mode = crc
ms bind ipv6 = false
public addr = 127.0.0.1
osd pool default size = 1
osd pool default min size = 1
mon allow pool size one = true
mon warn on pool no redundancy = false
osd pool default pg num = 8
osd pool default pgp num = 8
osd pool default pg autoscale mode = off
osd crush chooseleaf type = 0
run dir = {root}/run
admin socket = {root}/run/$name.asok
log file = {root}/log/$name.log
mon data = {root}/mon/$name
osd data = {root}/osd/$name
keyring = {root}/keyring
osd objectstore = bluestore
bluestore block create = true
bluestore block size = {OSD_BYTES}
osd memory target = 939524096
bluestore cache autotune = false
bluestore cache size = 134217728
mon data avail warn = 1
mon data avail crit = 0
[client.rgw]
rgw frontends = beast endpoint=127.0.0.1:{rgw_port}
rgw data = {root}/rgw
rgw dns name = 127.0.0.1
rgw enable usage log = false
"""


def _start(rgw: RunningRgw, name: str, command: list[str]) -> None:
    log = (rgw.root / "log" / f"{name}.out").open("wb")
    rgw.processes[name] = subprocess.Popen(
        command, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True
    )
    log.close()


def _wait(what: str, rgw: RunningRgw, check: object, *, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for name, process in rgw.processes.items():
            if process.poll() is not None:
                tail = (rgw.root / "log" / f"{name}.out").read_text(errors="replace")[-2000:]
                raise RuntimeError(f"{name} exited ({process.returncode}) while waiting for {what}: {tail}")
        if check():  # type: ignore[operator]
            return
        time.sleep(0.25)
    raise RuntimeError(f"timed out after {timeout:.0f} s waiting for {what} (logs in {rgw.root / 'log'})")


def _osd_up(rgw: RunningRgw) -> bool:
    try:
        dump = json.loads(rgw.ceph("osd", "dump", "--format", "json"))
    except (RuntimeError, subprocess.TimeoutExpired, json.JSONDecodeError):
        return False
    return any(osd.get("up") == 1 for osd in dump.get("osds", []))


def _gateway_answers(endpoint: str) -> bool:
    try:
        with urllib.request.urlopen(endpoint + "/", timeout=2) as response:
            return int(response.status) == 200
    except (urllib.error.URLError, OSError):
        return False


def start_rgw(root: Path, *, started: list[RunningRgw] | None = None) -> RunningRgw:
    """Bootstrap and start monitor, OSD and gateway under ``root``; create an S3 user. Stops all on failure.
    ``started`` is given the cluster before its first daemon starts (for a signal handler to stop it)."""
    root.mkdir(parents=True, exist_ok=True)
    for sub in ("run", "log", "mon/mon.a", "osd/osd.0", "rgw"):
        (root / sub).mkdir(parents=True, exist_ok=True)
    (root / "keyring").touch()
    fsid, mon_port, rgw_port = str(uuid.uuid4()), free_port(), free_port()
    conf = root / "ceph.conf"
    conf.write_text(_config(root, fsid, mon_port, rgw_port))
    rgw = RunningRgw(
        root=root,
        endpoint=f"http://127.0.0.1:{rgw_port}",
        access_key="GDB" + secrets.token_hex(8).upper(),
        secret_key=secrets.token_urlsafe(30),
        conf=conf,
    )
    atexit.register(rgw.stop)
    if started is not None:
        started.append(rgw)
    try:
        c = str(conf)
        _run(["monmaptool", "--create", "--add", "a", f"v2:127.0.0.1:{mon_port}", "--fsid", fsid, str(root / "monmap")])
        _run(["ceph-mon", "-c", c, "--mkfs", "-i", "a", "--monmap", str(root / "monmap")])
        _start(rgw, "ceph-mon", ["ceph-mon", "-c", c, "-i", "a", "-f"])
        osd_uuid = str(uuid.uuid4())
        osd_id = rgw.ceph("osd", "new", osd_uuid).strip()
        _run(["ceph-osd", "-c", c, "-i", osd_id, "--mkfs", "--osd-uuid", osd_uuid], timeout=120)
        _start(rgw, "ceph-osd", ["ceph-osd", "-c", c, "-i", osd_id, "-f"])
        _wait("the OSD to come up", rgw, lambda: _osd_up(rgw), timeout=90)
        _start(rgw, "radosgw", ["radosgw", "-c", c, "-n", "client.rgw", "-f"])
        _wait("the gateway to answer", rgw, lambda: _gateway_answers(rgw.endpoint), timeout=120)
        _add_cold_class(rgw)
        _run(
            [
                "radosgw-admin", "-c", c, "user", "create", "--uid=genomdb", "--display-name=genomdb tests",
                f"--access-key={rgw.access_key}", f"--secret-key={rgw.secret_key}",
            ]
        )  # fmt: skip
    except BaseException:
        rgw.stop()
        raise
    return rgw


def _add_cold_class(rgw: RunningRgw) -> None:
    """A ``COLD`` storage class in the default placement, on its own compressed pool. The first gateway start
    creates the default zone and zonegroup; the gateway is restarted to pick up the new class."""
    c = str(rgw.conf)
    _run(
        [
            "radosgw-admin", "-c", c, "zonegroup", "placement", "add", "--rgw-zonegroup", "default",
            "--placement-id", "default-placement", "--storage-class", COLD_CLASS,
        ]
    )  # fmt: skip
    _run(
        [
            "radosgw-admin", "-c", c, "zone", "placement", "add", "--rgw-zone", "default",
            "--placement-id", "default-placement", "--storage-class", COLD_CLASS,
            "--data-pool", COLD_POOL, "--compression", COLD_COMPRESSION,
        ]
    )  # fmt: skip
    gateway = rgw.processes.pop("radosgw")
    _signal_group(gateway, signal.SIGTERM)
    gateway.wait(timeout=30)
    _start(rgw, "radosgw", ["radosgw", "-c", c, "-n", "client.rgw", "-f"])
    _wait("the gateway to answer after adding the COLD class", rgw, lambda: _gateway_answers(rgw.endpoint), timeout=120)


@contextlib.contextmanager
def running_rgw(root: Path, *, keep_data: bool = False) -> Iterator[RunningRgw]:
    """A cluster for the length of the block; every daemon is stopped by PID when it ends, however it ends."""
    previous = signal.getsignal(signal.SIGTERM)
    started: list[RunningRgw] = []

    def terminated(signum: int, frame: object) -> None:
        for each in started:
            each.stop()  # the daemons run in their own sessions: a SIGTERM to this process does not reach them
        signal.signal(signal.SIGTERM, previous)
        raise SystemExit(128 + signum)

    signal.signal(signal.SIGTERM, terminated)  # before starting: a SIGTERM during the start stops what runs
    try:
        rgw = start_rgw(root, started=started)
    except BaseException:
        signal.signal(signal.SIGTERM, previous)
        raise
    try:
        yield rgw
    finally:
        signal.signal(signal.SIGTERM, previous)
        rgw.stop()
        if not keep_data:
            shutil.rmtree(root, ignore_errors=True)


def environment_problem() -> str | None:
    """Why the RGW cannot be started here, or None."""
    missing = missing_binaries()
    if missing:
        return f"Ceph is not installed (missing {', '.join(missing)}): apt-get install ceph-mon ceph-osd radosgw"
    return None
