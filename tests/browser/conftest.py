"""A real service for the browser tests: the API tests' world (SQLite) served by uvicorn in its own process."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from genomdb.config import Settings
from genomdb.instance import Instance, init_instance
from tests.api.world import WORLD_FLOOR_ENV, WORLD_FLOORS, World, build_world

ARTIFACTS = Path(os.environ.get("GENOMDB_ARTIFACTS") or Path(__file__).parent / "artifacts")
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Served:
    world: World
    base_url: str
    log: Path


def serve(home: Path, log: Path, *, env: dict[str, str] | None = None) -> tuple[subprocess.Popen[bytes], str]:
    """Start ``genomdb serve`` on a free loopback port; wait until it is live."""
    port = free_port()
    command = [
        sys.executable,
        "-c",
        "from genomdb.cli.app import main; main()",
        "--home",
        str(home),
        "serve",
        "--port",
        str(port),
    ]
    environment = {**os.environ, **(env or {})}
    with log.open("wb") as out:
        process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, env=environment)
    base = f"http://127.0.0.1:{port}"
    for _ in range(200):
        if process.poll() is not None:
            raise RuntimeError(f"genomdb serve exited: {log.read_text()}")
        try:
            if httpx.get(f"{base}/health/live", timeout=1).status_code == 200:
                return process, base
        except httpx.HTTPError:
            time.sleep(0.1)
    process.terminate()
    raise RuntimeError(f"genomdb serve did not come up: {log.read_text()}")


@pytest.fixture(scope="session")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    folder = tmp_path_factory.mktemp("served")
    settings = Settings(home=folder / "home", **WORLD_FLOORS)
    init_instance(settings)
    with Instance.open(settings) as instance:
        world = build_world(instance, folder)
    log = folder / "serve.log"
    process, base = serve(settings.resolved_home(), log, env=WORLD_FLOOR_ENV)
    try:
        yield Served(world, base, log)
    finally:
        process.terminate()
        process.wait(timeout=20)
