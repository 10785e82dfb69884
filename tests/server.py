"""`claimdb serve` as a real subprocess, for tests that need a server over real HTTP (races, crashes)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

CLAIMDB = str(Path(sys.executable).with_name("claimdb"))


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class ServerProcess:
    """Start, kill and restart `claimdb serve` on one database and port."""

    def __init__(
        self, database_url: str, log: Path, keys: dict[str, str], environment: dict[str, str] | None = None
    ) -> None:
        self.database_url = database_url
        self.log = log
        self.keys = keys
        self.environment = environment or {}
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = 30) -> None:
        environment = {
            **os.environ,
            "DATABASE_URL": self.database_url,
            "CLAIMDB_SECRET_KEY": "server-test-secret",
            "CLAIMDB_LOG_LEVEL": "warning",
            **self.environment,
        }
        environment.pop("CLAIMDB_DATABASE_URL", None)
        with self.log.open("ab") as output:
            self.process = subprocess.Popen(
                [CLAIMDB, "serve", "--host", "127.0.0.1", "--port", str(self.port)],
                env=environment,
                stdout=output,
                stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + timeout
        while True:
            if self.process.poll() is not None:
                pytest.fail(f"claimdb serve exited with {self.process.returncode}:\n{self.log.read_text()}")
            try:
                if httpx.get(f"{self.base_url}/health", timeout=2).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"claimdb serve did not become healthy in {timeout} s:\n{self.log.read_text()}")
            time.sleep(0.1)

    def kill(self) -> None:
        """SIGKILL: no shutdown hooks, no flushing; what was committed must survive."""
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=15)

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()

    def client(self, who: str) -> httpx.Client:
        return httpx.Client(base_url=self.base_url, headers={"Authorization": f"Bearer {self.keys[who]}"}, timeout=60)
