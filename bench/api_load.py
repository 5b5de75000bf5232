"""Benchmark: single-variant look-ups against `genomdb serve` over loopback, from a second process.

    python bench/api_load.py --home HOME [--rate 200] [--seconds 30] [--token gdb_…] [--workers 1]

HOME is an instance with a frequency release (e.g. after `genomdb demo`, `genomdb harmonize` and
`genomdb release build`). The benchmark starts `genomdb serve` on a free loopback port (uvicorn), then drives it
from this process with an open-loop load: requests are sent on a fixed schedule at ``--rate`` per second for
``--seconds`` whatever the latency, each a GET /api/frequency/variants/{key} of a variant drawn from the release.
Latency is measured from the time a request was *due*, not from when it was sent, so a late client or a queue in
the server shows up in the latency (no coordinated omission), as it would for real clients.

The load client is deliberately cheap so that it is not what is measured on a small machine: raw HTTP/1.1 over a
pool of keep-alive connections (``--connections``, opened before the clock starts), written from asyncio protocol
callbacks without a task per request, with the collector frozen. Its own CPU time and the server's are printed, per
request, so a saturated client cannot pass for a slow server.

Without ``--token`` the calls are public-tier: the server is started with a query budget large enough not to
interfere (``GENOMDB_API_PUBLIC_QUERIES_PER_MINUTE``, ``…_PER_DAY``, ``…_PER_WINDOW``; the limiters still run on
every request). With a token the calls authenticate as that user. The same look-ups are also made in-process
through FrequencyDatabase for scale.

An independent cross-check of the server's capacity (closed loop, not part of this benchmark):
``wrk -t1 -c8 -d10s http://127.0.0.1:PORT/api/frequency/variants/KEY`` against a running ``genomdb serve``.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import gc
import json
import os
import random
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

import pyarrow.parquet as pq  # type: ignore[import-untyped]

from genomdb.config import Settings
from genomdb.frequency.lookup import FrequencyDatabase
from genomdb.frequency.publish import list_releases
from genomdb.instance import Instance

TARGET_P99_MS = 20.0
TIMEOUT_S = 10.0
CHECK_EVERY = 50
"""Every n-th answer is parsed as JSON and checked to be the variant asked for (the others: status only)."""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def release_keys(home: Path, n: int, seed: int) -> tuple[str, list[str]]:
    with Instance.open(Settings(home=home)) as instance:
        releases = list_releases(instance)
    if not releases:
        raise SystemExit(f"{home} has no frequency release: run `genomdb release build` first")
    newest = releases[-1]
    table = pq.read_table(newest.path / "variants.parquet", columns=["chrom", "pos", "ref", "alt"]).to_pylist()
    rng = random.Random(seed)
    return newest.release_id, [f"{r['chrom']}-{r['pos']}-{r['ref']}-{r['alt']}" for r in rng.choices(table, k=n)]


def in_process(home: Path, keys: list[str]) -> tuple[float, float]:
    """Median and p99 of the same look-ups through FrequencyDatabase, in microseconds."""
    with Instance.open(Settings(home=home)) as instance, FrequencyDatabase(instance) as database:
        for key in keys[:200]:
            database.lookup_variant(key)
        timings = []
        for key in keys:
            started = time.perf_counter()
            database.lookup_variant(key)
            timings.append((time.perf_counter() - started) * 1e6)
    timings.sort()
    return statistics.median(timings), timings[int(len(timings) * 0.99) - 1]


def cpu_seconds(pid: int) -> float | None:
    """User + system CPU time of a process (Linux /proc; None elsewhere)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        children = [int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except (OSError, IndexError, ValueError):
        return None
    own = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return own + sum(cpu_seconds(c) or 0.0 for c in children)


class Connection(asyncio.Protocol):
    """One keep-alive HTTP/1.1 connection with at most one request in flight; answers by callback."""

    def __init__(self, pool: Pool) -> None:
        self.pool = pool
        self.transport: asyncio.Transport | None = None
        self.buffer = bytearray()
        self.pending: tuple[float, str] | None = None
        """(due time, key) of the request in flight."""
        self.deadline: asyncio.TimerHandle | None = None
        self.closed = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport

    def send(self, due: float, key: str) -> None:
        assert self.transport is not None
        self.pending = (due, key)
        self.transport.write(self.pool.request_bytes(key))
        self.deadline = asyncio.get_running_loop().call_later(TIMEOUT_S, self.timed_out)

    def timed_out(self) -> None:
        self.finish(ok=False)
        self.close()

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        end = self.buffer.find(b"\r\n\r\n")
        if end < 0 or self.pending is None:
            return
        lines = bytes(self.buffer[:end]).split(b"\r\n")
        length: int | None = None
        keep_alive = True
        for line in lines[1:]:
            name, _, value = line.partition(b":")
            name = name.strip().lower()
            if name == b"content-length":
                length = int(value)
            elif name == b"connection" and value.strip().lower() == b"close":
                keep_alive = False
        if length is None:  # no chunked answers from this service: count it, and start over on a new connection
            self.finish(ok=False)
            self.close()
            return
        if len(self.buffer) < end + 4 + length:
            return
        body = bytes(self.buffer[end + 4 : end + 4 + length])
        del self.buffer[: end + 4 + length]
        ok = lines[0].split(b" ", 2)[1] == b"200"
        if ok and self.pool.should_check():
            ok = self.pool.check(body, self.pending[1])
        self.finish(ok=ok)
        if keep_alive:
            self.pool.release(self)
        else:
            self.close()

    def finish(self, *, ok: bool) -> None:
        if self.deadline is not None:
            self.deadline.cancel()
            self.deadline = None
        if self.pending is not None:
            self.pool.record(self.pending[0], ok=ok)
            self.pending = None

    def close(self) -> None:
        if not self.closed:
            self.closed = True
            if self.transport is not None:
                self.transport.close()
            self.pool.forget(self)

    def connection_lost(self, exc: Exception | None) -> None:
        self.finish(ok=False)
        self.closed = True
        self.pool.forget(self)


class Pool:
    """Up to ``size`` keep-alive connections; a request due while all are busy waits for the next free one."""

    def __init__(self, port: int, size: int, headers: dict[str, str]) -> None:
        self.port = port
        self.size = size
        self.extra = "".join(f"{name}: {value}\r\n" for name, value in headers.items())
        self.idle: collections.deque[Connection] = collections.deque()
        """Used in turn (first in, first out), so none sits idle long enough for the server to close it."""
        self.open: set[Connection] = set()
        self.opening = 0
        self.waiting: collections.deque[tuple[float, str]] = collections.deque()
        self.latencies: list[float] = []
        self.errors = 0
        self.answered = 0
        self.tasks: set[asyncio.Task[None]] = set()

    def request_bytes(self, key: str) -> bytes:
        return (
            f"GET /api/frequency/variants/{key} HTTP/1.1\r\nHost: 127.0.0.1:{self.port}\r\n"
            f"Accept: application/json\r\n{self.extra}\r\n"
        ).encode()

    async def connect(self, n: int) -> None:
        await asyncio.gather(*(self._open_one() for _ in range(n)))

    async def _open_one(self) -> None:
        self.opening += 1
        try:
            _, connection = await asyncio.get_running_loop().create_connection(
                lambda: Connection(self), "127.0.0.1", self.port
            )
        except OSError:
            if self.waiting:  # the request this connection was for fails (counted as answered, with an error)
                self.record(self.waiting.popleft()[0], ok=False)
            else:
                self.errors += 1
            return
        finally:
            self.opening -= 1
        self.open.add(connection)
        self.release(connection)

    def submit(self, due: float, key: str) -> None:
        while self.idle:
            connection = self.idle.popleft()
            if not connection.closed:
                connection.send(due, key)
                return
        self.waiting.append((due, key))
        if len(self.open) + self.opening < self.size:
            task = asyncio.get_running_loop().create_task(self._open_one())
            self.tasks.add(task)
            task.add_done_callback(self.tasks.discard)

    def release(self, connection: Connection) -> None:
        if connection.closed:
            return
        if self.waiting:
            connection.send(*self.waiting.popleft())
        else:
            self.idle.append(connection)

    def forget(self, connection: Connection) -> None:
        self.open.discard(connection)
        if self.waiting and len(self.open) + self.opening < self.size:
            task = asyncio.get_running_loop().create_task(self._open_one())
            self.tasks.add(task)
            task.add_done_callback(self.tasks.discard)

    def record(self, due: float, *, ok: bool) -> None:
        self.latencies.append((time.perf_counter() - due) * 1000)
        self.answered += 1
        if not ok:
            self.errors += 1

    def should_check(self) -> bool:
        return self.answered % CHECK_EVERY == 0

    @staticmethod
    def check(body: bytes, key: str) -> bool:
        try:
            answer = json.loads(body)
        except ValueError:
            return False
        return isinstance(answer, dict) and answer.get("variant") == key and "release_id" in answer

    def reset(self) -> None:
        self.latencies = []
        self.errors = 0
        self.answered = 0

    def close(self) -> None:
        for connection in list(self.open):
            connection.close()


async def open_loop(pool: Pool, keys: list[str], *, rate: float, seconds: float) -> float:
    """Send ``rate × seconds`` requests on schedule, wait for every answer; the elapsed seconds."""
    n = int(rate * seconds)
    begin = time.perf_counter()
    sent = 0
    while sent < n:
        now = time.perf_counter()
        while sent < n and begin + sent / rate <= now:
            pool.submit(begin + sent / rate, keys[sent % len(keys)])
            sent += 1
        if sent < n:
            await asyncio.sleep(max(0.0, begin + sent / rate - time.perf_counter()))
    while pool.answered < n:
        await asyncio.sleep(0.005)
    return time.perf_counter() - begin


async def drive(
    port: int, keys: list[str], *, rate: float, seconds: float, token: str | None, connections: int
) -> tuple[list[float], int, float]:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    pool = Pool(port, connections, headers)
    await pool.connect(min(connections, 16))
    try:
        await asyncio.wait_for(open_loop(pool, keys[:500], rate=rate, seconds=2), 2 + 2 * TIMEOUT_S)  # warm-up
        pool.reset()
        gc.collect()
        gc.freeze()  # the client's own collections must not pass for server latency
        elapsed = await asyncio.wait_for(open_loop(pool, keys, rate=rate, seconds=seconds), seconds + 2 * TIMEOUT_S)
    finally:
        gc.unfreeze()
        pool.close()
    return pool.latencies, pool.errors, elapsed


def wait_ready(port: int, server: subprocess.Popen[bytes]) -> None:
    request = f"GET /health/ready HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\r\n".encode()
    for _ in range(600):
        if server.poll() is not None:
            raise SystemExit(f"the server exited: {server.stderr.read().decode() if server.stderr else ''}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=2) as sock:
                sock.sendall(request)
                if sock.recv(64).startswith(b"HTTP/1.1 200"):
                    return
        except OSError:
            pass
        time.sleep(0.1)
    raise SystemExit("the server did not become ready")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--home", type=Path, required=True, help="instance home with a frequency release")
    parser.add_argument("--rate", type=float, default=200.0, help="requests per second (open loop)")
    parser.add_argument("--seconds", type=float, default=30.0, help="how long to keep the load up")
    parser.add_argument("--token", default=None, help="an API token (default: public tier)")
    parser.add_argument("--workers", type=int, default=None, help="`genomdb serve --workers` [default: serve's]")
    parser.add_argument("--connections", type=int, default=64, help="most keep-alive connections of the client")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()

    release_id, keys = release_keys(args.home, 20_000, args.seed)
    median_us, p99_us = in_process(args.home, keys[:5000])
    port = free_port()
    env = {
        **os.environ,
        "GENOMDB_API_PUBLIC_QUERIES_PER_MINUTE": "100000000",
        "GENOMDB_API_PUBLIC_QUERIES_PER_DAY": "100000000",
        "GENOMDB_API_PUBLIC_QUERIES_PER_WINDOW": "100000000",
    }
    command = [
        sys.executable, "-c", "from genomdb.cli.app import main; main()", "--home", str(args.home),
        "serve", "--port", str(port), "--no-access-log",
    ]  # fmt: skip
    if args.workers is not None:
        command += ["--workers", str(args.workers)]
    server = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        wait_ready(port, server)
        server_cpu = cpu_seconds(server.pid)
        client_cpu = time.process_time()
        latencies, errors, elapsed = asyncio.run(
            drive(port, keys, rate=args.rate, seconds=args.seconds, token=args.token, connections=args.connections)
        )
        client_cpu = time.process_time() - client_cpu
        server_after = cpu_seconds(server.pid)
    finally:
        server.terminate()
        server.wait(timeout=20)
    latencies.sort()
    n = len(latencies)
    p50 = statistics.median(latencies)
    p99 = latencies[int(n * 0.99) - 1]
    throughput = n / elapsed
    print(f"release {release_id}, {len(keys):,} distinct draws, tier {'token' if args.token else 'public'}")
    print(
        f"served over loopback: {n:,} requests in {elapsed:.1f} s = {throughput:.0f} req/s "
        f"(target {args.rate:.0f}), errors {errors}"
    )
    print(
        f"  latency p50 {p50:.2f} ms, p99 {p99:.2f} ms, max {latencies[-1]:.2f} ms "
        f"(target p99 < {TARGET_P99_MS:.0f} ms: {'met' if p99 < TARGET_P99_MS and not errors else 'NOT met'})"
    )
    # the totals include the 2 s warm-up at the same rate
    total = n + int(args.rate * 2)
    cpu = f"client CPU {client_cpu * 1e6 / total:.0f} µs/request"
    if server_cpu is not None and server_after is not None:
        cpu += f", server CPU {(server_after - server_cpu) * 1e6 / total:.0f} µs/request"
    print(f"  {cpu}; load average {' '.join(f'{x:.1f}' for x in os.getloadavg())} on {os.cpu_count()} CPUs")
    print(f"in-process FrequencyDatabase.lookup_variant: p50 {median_us:.0f} µs, p99 {p99_us:.0f} µs")
    print(f"ratio served p50 / in-process p50: {p50 * 1000 / median_us:.1f}x")


if __name__ == "__main__":
    main()
