"""Post throughput with the Merkle tree against the same code without it, measured with wrk, alternating.

    .venv/bin/python bench/post_throughput.py --baseline a06ec3d --rounds 4 --seconds 20

The baseline is the given commit (the parent of the tree's commit: the same code without `tree_hashes`),
exported with `git archive` to a temporary directory and served from there with this venv. Each side gets a
fresh migrated SQLite (or, with --postgres, PostgreSQL) database, an analyst key and a source; both servers
run at once, idle but for the side being measured, and wrk (Debian's `wrk`, bench/wrk/post_claim.lua) posts
claims to one side, then the other, in alternating order each round, so that drift in the machine's speed
and the databases' growth fall on both alike. It prints each run and the ratio of the sums.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
PYTHON = str(PROJECT_ROOT / ".venv" / "bin" / "python")
LUA = PROJECT_ROOT / "bench" / "wrk" / "post_claim.lua"


class Side:
    def __init__(self, name: str, code: Path, database_url: str, port: int, log: Path) -> None:
        self.name, self.code, self.database_url, self.port, self.log = name, code, database_url, port, log
        self.environment = {
            **os.environ,
            "PYTHONPATH": str(code),
            "DATABASE_URL": database_url,
            "CLAIMDB_LOG_LEVEL": "warning",
            "CLAIMDB_SECRET_KEY": "bench",
        }
        self.environment.pop("CLAIMDB_LOG_KEY_FILE", None)
        self.process: subprocess.Popen[bytes] | None = None
        self.key = ""
        self.source = ""

    def claimdb(self, *args: str) -> str:
        result = subprocess.run(
            [PYTHON, "-c", "import sys, api.cli; sys.exit(api.cli.main())", *args],
            cwd=self.code,
            env=self.environment,
            capture_output=True,
            text=True,
            check=True,
        )
        return result.stdout

    def prepare(self) -> None:
        where = subprocess.run(
            [PYTHON, "-c", "import api; print(api.__file__)"],
            cwd=self.code,
            env=self.environment,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        assert where.startswith(str(self.code)), f"{self.name} would run {where}, not the code in {self.code}"
        self.claimdb("migrate")
        self.key = self.claimdb("key", "create", "--name", "bench", "--role", "analyst").strip().splitlines()[-1]

    def start(self) -> None:
        with self.log.open("ab") as output:
            self.process = subprocess.Popen(
                [PYTHON, "-c", "import sys, api.cli; sys.exit(api.cli.main())", "serve", "--port", str(self.port)],
                cwd=self.code,
                env=self.environment,
                stdout=output,
                stderr=subprocess.STDOUT,
            )
        for _ in range(300):
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{self.port}/health/live", timeout=1)
                break
            except OSError:
                time.sleep(0.1)
        request = urllib.request.Request(
            f"http://127.0.0.1:{self.port}/v1/sources",
            data=b'{"name": "Bench source", "kind": "military"}',
            headers={"Authorization": f"Bearer {self.key}", "Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request) as response:
            self.source = re.search(rb'"id":"([0-9a-f-]+)"', response.read()).group(1).decode()  # type: ignore[union-attr]

    def stop(self) -> None:
        if self.process is not None:
            self.process.send_signal(signal.SIGTERM)
            self.process.wait(timeout=30)

    def wrk(self, seconds: int, connections: int) -> tuple[float, str]:
        result = subprocess.run(
            [
                "wrk",
                "-t2",
                f"-c{connections}",
                f"-d{seconds}s",
                "--latency",
                "-s",
                str(LUA),
                f"http://127.0.0.1:{self.port}",
            ],
            env={**os.environ, "API_KEY": self.key, "SOURCE_ID": self.source},
            capture_output=True,
            text=True,
            check=True,
        )
        rate = float(re.search(r"Requests/sec:\s+([\d.]+)", result.stdout).group(1))  # type: ignore[union-attr]
        errors = re.search(r"non-2xx=.*", result.stdout).group(0)  # type: ignore[union-attr]
        p50 = re.search(r"^\s+50%\s+(\S+)", result.stdout, re.MULTILINE).group(1)  # type: ignore[union-attr]
        p99 = re.search(r"^\s+99%\s+(\S+)", result.stdout, re.MULTILINE).group(1)  # type: ignore[union-attr]
        return rate, f"p50 {p50}, p99 {p99}, {errors}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--baseline", default="a06ec3d", help="the commit without the tree")
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--seconds", type=int, default=20)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--postgres", help="an admin URL, e.g. postgresql://postgres@127.0.0.1/postgres")
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="claimdb-post-throughput-"))
    baseline_code = work / "baseline"
    baseline_code.mkdir()
    archive = subprocess.run(["git", "archive", args.baseline], cwd=PROJECT_ROOT, capture_output=True, check=True)
    subprocess.run(["tar", "-x", "-C", str(baseline_code)], input=archive.stdout, check=True)
    sides = []
    for name, code, port in (("without tree", baseline_code, 18531), ("with tree", PROJECT_ROOT, 18532)):
        if args.postgres:
            database = f"claimdb_post_{port}"
            admin = args.postgres
            subprocess.run(["psql", admin, "-qc", f"DROP DATABASE IF EXISTS {database}"], check=True)
            subprocess.run(["psql", admin, "-qc", f"CREATE DATABASE {database}"], check=True)
            url = admin.rsplit("/", 1)[0] + f"/{database}"
        else:
            url = f"sqlite:///{work / (name.replace(' ', '-') + '.sqlite3')}"
        sides.append(Side(name, code, url, port, work / f"{port}.log"))
    try:
        for side in sides:
            side.prepare()
            side.start()
            side.wrk(5, args.connections)  # warm up: imports, caches, the first pages of each table
        totals = {side.name: 0.0 for side in sides}
        for number in range(args.rounds):
            for side in sides if number % 2 == 0 else sides[::-1]:
                rate, detail = side.wrk(args.seconds, args.connections)
                totals[side.name] += rate
                print(f"round {number + 1}  {side.name:<13} {rate:8.1f} posts/s  {detail}", flush=True)
        without, with_tree = totals["without tree"], totals["with tree"]
        print(f"mean: without {without / args.rounds:.1f}, with {with_tree / args.rounds:.1f} posts/s; "
              f"with / without = {with_tree / without:.3f} (cost {100 * (1 - with_tree / without):.1f}%)")  # fmt: skip
    finally:
        for side in sides:
            side.stop()
            if args.postgres:
                database = side.database_url.rsplit("/", 1)[1]
                subprocess.run(["psql", args.postgres, "-qc", f"DROP DATABASE IF EXISTS {database}"], check=False)
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
