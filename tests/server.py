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


def _listens(pid: int) -> bool:
    """Whether the process holds a listening TCP socket (a uvicorn worker, not a helper process)."""
    try:
        descriptors = list(Path(f"/proc/{pid}/fd").iterdir())
    except OSError:
        return False
    inodes = set()
    for descriptor in descriptors:
        try:
            target = os.readlink(descriptor)
        except OSError:
            continue
        if target.startswith("socket:["):
            inodes.add(target[8:-1])
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            if fields[3] == "0A" and fields[9] in inodes:  # 0A: LISTEN
                return True
    return False


class ServerProcess:
    """Start, kill and restart `claimdb serve` on one database and port."""

    def __init__(
        self,
        database_url: str,
        log: Path,
        keys: dict[str, str],
        environment: dict[str, str] | None = None,
        workers: int = 1,
    ) -> None:
        self.database_url = database_url
        self.workers = workers
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
                [CLAIMDB, "serve", "--host", "127.0.0.1", "--port", str(self.port), "--workers", str(self.workers)],
                env=environment,
                stdout=output,
                stderr=subprocess.STDOUT,
                # A group of its own: killing it kills every worker process with the supervisor.
                start_new_session=True,
            )
        deadline = time.monotonic() + timeout
        while True:
            if self.process.poll() is not None:
                pytest.fail(f"claimdb serve exited with {self.process.returncode}:\n{self.log.read_text()}")
            try:
                if httpx.get(f"{self.base_url}/health", timeout=2).status_code == 200 and self._all_workers_up():
                    return
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"claimdb serve did not become healthy in {timeout} s:\n{self.log.read_text()}")
            time.sleep(0.1)

    def worker_pids(self) -> list[int]:
        """The processes serving requests: the server itself, or the worker processes its supervisor started."""
        assert self.process is not None
        if self.workers == 1:
            return [self.process.pid]
        children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children").read_text().split()
        # uvicorn's supervisor also starts multiprocessing's resource tracker; workers are the ones that listen.
        return [int(pid) for pid in children if _listens(int(pid))]

    def _all_workers_up(self) -> bool:
        return self.workers == 1 or len(self.worker_pids()) == self.workers

    def kill(self) -> None:
        """SIGKILL to every process of the server at once: no shutdown hooks, no flushing; what was committed must
        survive."""
        assert self.process is not None
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=15)

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()

    def client(self, who: str) -> httpx.Client:
        return httpx.Client(base_url=self.base_url, headers={"Authorization": f"Bearer {self.keys[who]}"}, timeout=60)
