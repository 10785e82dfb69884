"""Matching at scale: `POST /v1/claims/match` latency, and `POST /v1/claims` with and without its `similar`.

    .venv/bin/python bench/match_speed.py --database-url sqlite:////tmp/claimdb-match-1m.sqlite3

On a database filled by bench/fill.py (which writes the match index with the app's own builder), this script:
1. reads a SQLite file once, so that both servers meet it in the page cache (`warm_file` says why), and reports
   the index's rows and size (SQLite: `dbstat`; PostgreSQL: `pg_total_relation_size`);
2. starts `claimdb serve` (one process), makes an analyst key with `claimdb key create`, and sends --requests
   `POST /v1/claims/match` requests one after another from one httpx client, each the statement, places, time and
   language of a claim drawn at random from the database (so each has its own assertion among the candidates, and
   the templated fill gives every term tens of thousands of postings), after --warmup unmeasured ones;
3. with --rebuild-index, first times migration 0009 on the filled database (its downgrade drops the index, its
   upgrade builds it again; only that revision, so the later ones and their data stay);
4. posts --posts x --rounds claims built the same way (new ids, the same words: the worst case for `similar`),
   in turns of --block posts between a server with `similar` on and one with `CLAIMDB_SIMILAR_ON_POST=false`,
   both serving the same database at once, and compares the medians and p99s. The match index is written in both
   (it is part of recording a claim).

Targets (issue 17): match p99 under 50 ms for one client; the post with `similar` at most 25% slower than without.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import random
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
from alembic.operations import Operations
from alembic.runtime.migration import MigrationContext
from sqlalchemy import create_engine, text

PROJECT_ROOT = Path(__file__).resolve().parent.parent
for path in (PROJECT_ROOT, PROJECT_ROOT / "bench"):
    if str(path) not in sys.path:
        sys.path.insert(0, str(path))

from query_bench import claimdb_command, free_port, start_server  # noqa: E402

from api.database import normalise_url  # noqa: E402

P99_TARGET_MS = 50.0
POST_RATIO_TARGET = 1.25


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(share * len(ordered)) - 1))]


def summary(values: list[float]) -> dict[str, float]:
    return {
        "n": len(values),
        "p50_ms": round(statistics.median(values), 2),
        "p95_ms": round(percentile(values, 0.95), 2),
        "p99_ms": round(percentile(values, 0.99), 2),
        "max_ms": round(max(values), 2),
    }


def index_size(database_url: str) -> dict[str, Any]:
    engine = create_engine(normalise_url(database_url))
    try:
        with engine.connect() as connection:
            rows = connection.execute(text("SELECT count(*) FROM claim_match_terms")).scalar_one()
            claims = connection.execute(text("SELECT count(*) FROM claims")).scalar_one()
            if engine.dialect.name == "sqlite":
                sizes = dict(
                    connection.execute(
                        text(
                            "SELECT name, sum(pgsize) FROM dbstat WHERE name = 'claim_match_terms' "
                            "OR name LIKE 'ix_claim_match_terms%' OR name LIKE 'sqlite_autoindex_claim_match_terms%' "
                            "GROUP BY name"
                        )
                    ).all()
                )
                total = sum(sizes.values())
            else:
                total = connection.execute(text("SELECT pg_total_relation_size('claim_match_terms')")).scalar_one()
                sizes = {"claim_match_terms (with indexes)": total}
    finally:
        engine.dispose()
    return {"claims": claims, "rows": rows, "rows_per_claim": round(rows / max(1, claims), 2), "bytes": sizes,
            "total_mb": round(total / 1e6, 1)}  # fmt: skip


def run_revision(database_url: str, revision: str, step: str) -> float:
    """Run one revision's `upgrade` or `downgrade` alone, in one transaction, as `claimdb migrate` runs it, and
    answer its seconds. Not through `alembic downgrade 0008; upgrade head`: that would undo and redo every later
    revision too (0010 drops the places' resolution, which only `claimdb gazetteer load` writes back)."""
    (path,) = (PROJECT_ROOT / "migrations" / "versions").glob(f"*_{revision}_*.py")
    spec = importlib.util.spec_from_file_location(f"revision_{revision}", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    engine = create_engine(normalise_url(database_url))
    try:
        with engine.begin() as connection:
            context = MigrationContext.configure(
                connection, opts={"render_as_batch": connection.dialect.name == "sqlite"}
            )
            started = time.perf_counter()
            with Operations.context(context):
                getattr(module, step)()
            elapsed = time.perf_counter() - started
    finally:
        engine.dispose()
    return round(elapsed, 1)


def sample_claims(database_url: str, count: int, seed: int) -> list[dict[str, Any]]:
    """`count` claims at random (by random id bounds, so that a million rows are not sorted), as request bodies."""
    engine = create_engine(normalise_url(database_url))
    rng = random.Random(seed)
    found: list[dict[str, Any]] = []
    try:
        with engine.connect() as connection:
            sqlite = engine.dialect.name == "sqlite"
            while len(found) < count:
                bound = f"{rng.getrandbits(128):032x}"
                if not sqlite:
                    bound = f"{bound[:8]}-{bound[8:12]}-{bound[12:16]}-{bound[16:20]}-{bound[20:]}"
                row = connection.execute(
                    text(
                        "SELECT id, statement, stated_at, language, source_id FROM claims WHERE id >= :bound "
                        "ORDER BY id LIMIT 1"
                    ),
                    {"bound": bound},
                ).first()
                if row is None:
                    continue
                places = [
                    name
                    for (name,) in connection.execute(
                        text("SELECT name FROM claim_places WHERE claim_id = :id ORDER BY position"), {"id": row[0]}
                    )
                ]
                stated_at = row[2] if isinstance(row[2], str) else row[2].isoformat()
                stated_at = stated_at.replace(" ", "T")
                if not stated_at.endswith(("Z", "+00:00")):
                    stated_at += "+00:00"
                source_id = str(row[4]) if not sqlite else "-".join(
                    (row[4][:8], row[4][8:12], row[4][12:16], row[4][16:20], row[4][20:])
                )  # fmt: skip
                found.append(
                    {"statement": row[1], "stated_at": stated_at, "places": places, "language": row[3],
                     "source_id": source_id}
                )  # fmt: skip
    finally:
        engine.dispose()
    return found


def warm_file(database_url: str) -> float | None:
    """Read a SQLite database file once, start to end, and answer the seconds it took (None on PostgreSQL).

    The page cache is the machine's to keep: on this project's machines the host takes the guest's cache back
    within minutes of the file's last use (buff/cache fell from 6.4 GB to 1.3 GB while the bench was idle), and
    on a cold file the candidate search read its pages from the disk, about four times as slow as from memory, which
    made runs minutes apart differ more than the two servers did."""
    url = normalise_url(database_url)
    if url.get_backend_name() != "sqlite" or not url.database:
        return None
    started = time.perf_counter()
    with open(url.database, "rb", buffering=0) as file:
        while file.read(1 << 20):
            pass
    return round(time.perf_counter() - started, 1)


def create_analyst_key(database_url: str) -> str:
    environment = {**os.environ, "DATABASE_URL": database_url}
    result = subprocess.run(
        [*claimdb_command(), "key", "create", "--name", f"bench-matcher-{os.getpid()}", "--role", "analyst"],
        env=environment, capture_output=True, text=True, check=True, cwd=PROJECT_ROOT,
    )  # fmt: skip
    return result.stdout.strip().splitlines()[-1]


def timed(client: httpx.Client, path: str, body: dict[str, Any], expected: int) -> tuple[float, Any]:
    started = time.perf_counter()
    response = client.post(path, json=body)
    elapsed = (time.perf_counter() - started) * 1000
    if response.status_code != expected:
        raise SystemExit(f"{path} answered {response.status_code}: {response.text[:500]}")
    return elapsed, response.json()


def serve(database_url: str, similar: bool, log: Path) -> tuple[Any, str]:
    os.environ["CLAIMDB_SIMILAR_ON_POST"] = "true" if similar else "false"
    port = free_port()
    return start_server(database_url, port, log), f"http://127.0.0.1:{port}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--requests", type=int, default=1000)
    parser.add_argument("--warmup", type=int, default=100)
    parser.add_argument("--posts", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--block", type=int, default=50, help="posts a server makes before the other's turn")
    parser.add_argument("--seed", type=int, default=17)
    parser.add_argument("--log", type=Path, default=Path("/tmp/claimdb-match-speed.log"))
    parser.add_argument(
        "--rebuild-index", action="store_true", help="first time migration 0009 (its downgrade, then its upgrade)"
    )
    args = parser.parse_args(argv)

    report: dict[str, Any] = {}
    if args.rebuild_index:
        # Migration 0009 on the filled database: its downgrade drops the index, its upgrade builds it again.
        report["downgrade_0009_s"] = run_revision(args.database_url, "0009", "downgrade")
        report["migration_0009_s"] = run_revision(args.database_url, "0009", "upgrade")
        print("migration 0009:", report["migration_0009_s"], "s", flush=True)
    report["warm_file_s"] = warm_file(args.database_url)
    report["index"] = index_size(args.database_url)
    print("index:", json.dumps(report["index"]), flush=True)
    bodies = sample_claims(args.database_url, args.warmup + args.requests + args.posts * args.rounds, args.seed)
    key = create_analyst_key(args.database_url)
    headers = {"Authorization": f"Bearer {key}"}

    server, base = serve(args.database_url, True, args.log)
    try:
        with httpx.Client(base_url=base, headers=headers, timeout=30) as client:
            for body in bodies[: args.warmup]:
                timed(client, "/v1/claims/match", body, 200)
            latencies, found_self, same = [], 0, 0
            for body in bodies[args.warmup : args.warmup + args.requests]:
                elapsed, answer = timed(client, "/v1/claims/match", body, 200)
                latencies.append(elapsed)
                candidates = answer["candidates"]
                found_self += any(item["claim"]["statement"] == body["statement"] for item in candidates)
                same += any(item["relation"] == "same_assertion" for item in candidates)
        report["match"] = {**summary(latencies), "answers_with_the_sampled_words": found_self, "with_same": same}
        print("match:", json.dumps(report["match"]), flush=True)
    finally:
        server.terminate()
        server.wait(timeout=30)

    # Both servers run at once on the same database and take turns of --block posts, so that both meet the same
    # page cache, the same database (each post makes it bigger) and the same machine: rounds of a few hundred
    # posts each, one server at a time, differed from each other by more than the two servers did. The first
    # post of a turn is not counted: a SQLite connection finding that another process wrote since its last
    # transaction drops its page cache, which a server that is the only writer never does.
    posts: dict[str, list[float]] = {"with_similar": [], "without_similar": []}
    remaining = bodies[args.warmup + args.requests :]
    servers = {similar: serve(args.database_url, similar, args.log) for similar in (True, False)}
    try:
        clients = {
            similar: httpx.Client(base_url=base, headers=headers, timeout=30)
            for similar, (_server, base) in servers.items()
        }
        for index, body in enumerate(remaining):
            turn, place = divmod(index, args.block)
            similar = turn % 2 == 0
            post = {**body, "channel": "statement"}
            elapsed, answer = timed(clients[similar], "/v1/claims", post, 201)
            if turn >= 2 and place > 0:  # each server's first turn warms its caches
                posts["with_similar" if similar else "without_similar"].append(elapsed)
            if not similar:
                assert answer["similar"] == []
        for client in clients.values():
            client.close()
    finally:
        for server, _base in servers.values():
            server.terminate()
            server.wait(timeout=30)
    report["post_with_similar"] = summary(posts["with_similar"])
    report["post_without_similar"] = summary(posts["without_similar"])
    report["post_ratio_p50"] = round(
        report["post_with_similar"]["p50_ms"] / report["post_without_similar"]["p50_ms"], 3
    )
    report["post_ratio_p99"] = round(
        report["post_with_similar"]["p99_ms"] / report["post_without_similar"]["p99_ms"], 3
    )
    print(json.dumps(report, indent=2))
    ok = report["match"]["p99_ms"] < P99_TARGET_MS and report["post_ratio_p50"] <= POST_RATIO_TARGET
    print("targets met" if ok else "targets NOT met")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
