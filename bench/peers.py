"""claimdb against the tools people would pick instead, measured with wrk in alternating runs on one machine.

    apt-get install wrk    # Debian's wrk; this script needs it on PATH
    .venv/bin/python bench/peers.py --claims 200000 --rounds 3 --seconds 10 [--workers 2]
        [--postgres-url postgresql+psycopg://postgres@127.0.0.1:5432/claimdb_peers]

- **The by-source page**: claimdb's `GET /v1/sources/{id}/claims?limit=50` against Datasette answering the
  same page (the same fields: source, speaker, document, via, places, tags, creator) by one SQL query on the
  same SQLite file. Datasette is installed with pip into a throwaway venv under /tmp (`--datasette-venv`), never
  into the project's.
- **The post**: claimdb's `POST /v1/claims` (into the filled file: ledger, Merkle tree, full text) against
  `bench/orm_app.py`, a plain FastAPI + SQLAlchemy ORM + Pydantic insert endpoint, on a fresh file.

`--postgres-url` serves claimdb on that PostgreSQL database instead, filled by `bench/fill.py` with the same
claims and seed (so the same ids) as the SQLite file, which Datasette and the ORM app still use: PostgreSQL's
figures beside SQLite's. The post writes into it: give a copy (`createdb -T`).

The file is filled by `bench/fill.py` (unless it exists). All servers run at once, idle but for the one being
measured; each round measures claimdb and its peer in alternating order, so drift in the shared machine's
speed falls on both; the ratio is of the sums of one run's requests, p99 the worst run's. Every request does
its queries: no answer is cached (no `If-None-Match` is sent). Prints a Markdown table for bench/README.md.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from pathlib import Path
from urllib.parse import urlencode

PROJECT_ROOT = Path(__file__).resolve().parent.parent
BIN = PROJECT_ROOT / ".venv" / "bin"
LUA = PROJECT_ROOT / "bench" / "wrk" / "post_claim.lua"

# The page Datasette is asked for: claimdb's by-source page as one SQL query, the same fields and order.
PAGE_SQL = """
SELECT c.id, c.statement, c.quote,
  json_object('id', s.id, 'name', s.name) AS source,
  CASE WHEN sp.id IS NULL THEN NULL ELSE json_object('id', sp.id, 'name', sp.name) END AS speaker,
  c.channel, c.channel_detail,
  CASE WHEN d.id IS NULL THEN NULL ELSE json_object('id', d.id, 'title', d.title, 'url', d.url) END AS document,
  (SELECT json_group_array(json_object('id', v.source_id, 'name', vs.name)) FROM
     (SELECT * FROM claim_via WHERE claim_id = c.id ORDER BY position) v JOIN sources vs ON vs.id = v.source_id) AS via,
  c.stated_at, c.stated_at_precision, c.event_start, c.event_end,
  (SELECT json_group_array(name) FROM
     (SELECT name FROM claim_places WHERE claim_id = c.id ORDER BY position)) AS places,
  (SELECT json_group_array(tag) FROM (SELECT tag FROM claim_tags WHERE claim_id = c.id ORDER BY position)) AS tags,
  c.language, c.external_id, c.status, c.status_changed_at, c.version,
  CASE WHEN a.id IS NULL THEN NULL ELSE json_object('id', a.id, 'name', a.name) END AS created_by, c.created_at
FROM claims c
JOIN sources s ON s.id = c.source_id
LEFT JOIN sources sp ON sp.id = c.speaker_id
LEFT JOIN documents d ON d.id = c.document_id
LEFT JOIN actors a ON a.id = c.created_by_id
WHERE c.source_id = :source
ORDER BY c.stated_at DESC, c.id DESC
LIMIT 50
"""


def wait_healthy(url: str, process: subprocess.Popen[bytes], log: Path, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            sys.exit(f"{url}: exited with {process.returncode}:\n{log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(url, timeout=2) as answer:
                if answer.status < 500:
                    return
        except OSError:
            pass
        time.sleep(0.2)
    sys.exit(f"{url} did not answer in {timeout} s")


def start(command: list[str], environment: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("ab") as output:
        return subprocess.Popen(
            command, env=environment, stdout=output, stderr=subprocess.STDOUT, start_new_session=True
        )


def stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)


_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0}


def wrk(url: str, seconds: int, connections: int, headers: list[str], script: Path | None = None) -> dict[str, float]:
    command = ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--latency", "--timeout", "10s"]
    for header in headers:
        command += ["-H", header]
    if script is not None:
        command += ["-s", str(script)]
    output = subprocess.run([*command, url], capture_output=True, text=True, check=True, env=os.environ).stdout
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))  # type: ignore[union-attr]
    p99_value, p99_unit = re.search(r"\s99%\s+([\d.]+)(us|ms|s)", output).groups()  # type: ignore[union-attr]
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    return {
        "rate": rate,
        "p99_ms": float(p99_value) * _UNITS[p99_unit],
        "errors": int(non_2xx.group(1)) if non_2xx else 0,
    }


def show(round_number: int, what: str, name: str, measured: dict[str, float]) -> None:
    rate, p99, errors = measured["rate"], measured["p99_ms"], measured["errors"]
    print(
        f"round {round_number + 1} {what} {name:10s} {rate:8.1f} req/s  p99 {p99:7.1f} ms  non-2xx {errors:.0f}",
        flush=True,
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--claims", type=int, default=200_000)
    parser.add_argument("--database", type=Path, default=None, help="default: /tmp/claimdb-peers-<claims>.sqlite3")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--workers", type=int, default=1, help="claimdb's (and the ORM app's) worker processes")
    parser.add_argument("--datasette-venv", type=Path, default=Path("/tmp/claimdb-bench-datasette"))
    parser.add_argument("--only", choices=["page", "post"], default=None)
    parser.add_argument(
        "--postgres-url", default=None, help="serve claimdb on this PostgreSQL copy of the same fill, not the file"
    )
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        sys.exit("bench/peers.py needs wrk: apt-get install wrk")
    database = args.database or Path(f"/tmp/claimdb-peers-{args.claims}.sqlite3")
    if not database.exists():
        subprocess.run(
            [BIN / "python", PROJECT_ROOT / "bench" / "fill.py", "--database-url", f"sqlite:///{database}",
             "--claims", str(args.claims)],
            check=True,
        )  # fmt: skip
    datasette = args.datasette_venv / "bin" / "datasette"
    if not datasette.exists():
        subprocess.run([sys.executable, "-m", "venv", args.datasette_venv], check=True)
        subprocess.run([args.datasette_venv / "bin" / "pip", "install", "--quiet", "datasette"], check=True)

    work = Path(tempfile.mkdtemp(prefix="claimdb-peers-"))
    with sqlite3.connect(database) as connection:
        source_hex = connection.execute(
            "SELECT source_id FROM claims GROUP BY source_id ORDER BY count(*) DESC LIMIT 1"
        ).fetchone()[0]
        page_claims = connection.execute("SELECT count(*) FROM claims WHERE source_id = ?", (source_hex,)).fetchone()[0]
    source_id = str(uuid.UUID(source_hex))
    claimdb_url = args.postgres_url or f"sqlite:///{database}"
    environment = {**os.environ, "DATABASE_URL": claimdb_url, "CLAIMDB_LOG_LEVEL": "warning",
                   "CLAIMDB_SECRET_KEY": "bench", "CLAIMDB_WORKERS": str(args.workers)}  # fmt: skip
    key = subprocess.run(
        [BIN / "claimdb", "key", "create", "--name", f"peers-{uuid.uuid4().hex[:8]}", "--role", "analyst"],
        env=environment, capture_output=True, text=True, check=True,
    ).stdout.strip().splitlines()[-1]  # fmt: skip
    ports = {"claimdb": 8201, "datasette": 8202, "orm": 8203}
    processes = {
        "claimdb": start(
            [str(BIN / "claimdb"), "serve", "--port", str(ports["claimdb"])], environment, work / "claimdb.log"
        ),
        "datasette": start(
            [str(datasette), "serve", str(database), "--port", str(ports["datasette"]),
             "--setting", "sql_time_limit_ms", "10000"],
            {**environment, "DATABASE_URL": f"sqlite:///{database}"}, work / "datasette.log",
        ),
        "orm": start(
            [str(BIN / "uvicorn"), "--app-dir", str(PROJECT_ROOT / "bench"), "orm_app:app", "--port", str(ports["orm"]),
             "--log-level", "warning", "--no-access-log", "--workers", str(args.workers)],
            {**environment, "DATABASE_URL": f"sqlite:///{work / 'orm.sqlite3'}"}, work / "orm.log",
        ),
    }  # fmt: skip
    try:
        wait_healthy(f"http://127.0.0.1:{ports['claimdb']}/health", processes["claimdb"], work / "claimdb.log")
        wait_healthy(
            f"http://127.0.0.1:{ports['datasette']}/-/versions.json", processes["datasette"], work / "datasette.log"
        )
        wait_healthy(f"http://127.0.0.1:{ports['orm']}/docs", processes["orm"], work / "orm.log")
        auth = f"Authorization: Bearer {key}"
        request = urllib.request.Request(
            f"http://127.0.0.1:{ports['claimdb']}/v1/sources",
            data=b'{"name": "Peers bench source %s", "kind": "military"}' % uuid.uuid4().hex[:8].encode(),
            headers={"Authorization": f"Bearer {key}", "Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request) as answer:
            post_source = __import__("json").loads(answer.read())["id"]
        page = {
            "claimdb": f"http://127.0.0.1:{ports['claimdb']}/v1/sources/{source_id}/claims?limit=50",
            "datasette": f"http://127.0.0.1:{ports['datasette']}/{database.stem}.json?"
            + urlencode({"sql": PAGE_SQL, "source": source_hex, "_shape": "objects"}),
        }
        post = {
            "claimdb": f"http://127.0.0.1:{ports['claimdb']}/v1/claims",
            "orm": f"http://127.0.0.1:{ports['orm']}/v1/claims",
        }
        for url in page.values():  # warm the page cache and check both answer 50 rows
            with urllib.request.urlopen(
                urllib.request.Request(url, headers={"Authorization": f"Bearer {key}"})
            ) as answer:
                body = __import__("json").loads(answer.read())
                rows = body.get("items", body.get("rows"))
                assert len(rows) == 50, (url, len(rows))
        results: dict[str, list[dict[str, float]]] = {
            name: [] for name in ("page:claimdb", "page:datasette", "post:claimdb", "post:orm")
        }
        os.environ["SOURCE_ID"] = post_source
        os.environ["API_KEY"] = key
        for round_number in range(args.rounds):
            order = [0, 1] if round_number % 2 == 0 else [1, 0]
            if args.only != "post":
                for index in order:
                    name = ("claimdb", "datasette")[index]
                    measured = wrk(page[name], args.seconds, args.connections, [auth] if name == "claimdb" else [])
                    results[f"page:{name}"].append(measured)
                    show(round_number, "page", name, measured)
            if args.only != "page":
                for index in order:
                    name = ("claimdb", "orm")[index]
                    measured = wrk(post[name], args.seconds, args.connections, [], LUA)
                    results[f"post:{name}"].append(measured)
                    show(round_number, "post", name, measured)
        engine = "PostgreSQL" if args.postgres_url else "SQLite"
        print(f"\n{args.claims:,} claims; claimdb on {engine}; the page's source holds {page_claims:,}; "
              f"claimdb workers {args.workers}; "
              f"wrk -t2 -c{args.connections} -d{args.seconds}s, {args.rounds} alternating rounds\n")  # fmt: skip
        print("| what | claimdb req/s | peer | peer req/s | ratio | claimdb p99 ms (worst run) | peer p99 ms |")
        print("|---|---|---|---|---|---|---|")
        for what, peer in (("page", "datasette"), ("post", "orm")):
            ours, theirs = results[f"{what}:claimdb"], results[f"{what}:{peer}"]
            if not ours:
                continue
            rate = sum(run["rate"] for run in ours) / len(ours)
            peer_rate = sum(run["rate"] for run in theirs) / len(theirs)
            p99, peer_p99 = max(run["p99_ms"] for run in ours), max(run["p99_ms"] for run in theirs)
            print(
                f"| {what} | {rate:.0f} | {peer} | {peer_rate:.0f} | {rate / peer_rate:.2f}× "
                f"| {p99:.1f} | {peer_p99:.1f} |"
            )
    finally:
        for process in processes.values():
            stop(process)
    return 0


if __name__ == "__main__":
    sys.exit(main())
