"""The writes per second one PostgreSQL primary sustains through claimdb's ledger lock (docs/scaling.md).

    .venv/bin/python bench/ledger_ceiling.py --postgres postgresql+psycopg://postgres@127.0.0.1:5432/postgres \
        --processes 4 --seconds 10

Every write takes the ledger's advisory lock, reads the chain's head, appends its event (hash, Merkle nodes)
and commits; nothing else in a write is serialised. This measures that serialised section alone: a fresh
database, `processes` processes each appending one small event per transaction through `ledger.append` as
fast as they can, no HTTP. The rate is the ceiling the lock puts on writes; the lock's hold time is
`1 / rate` when the processes keep it busy (they wait on it, `waits` says how often). The database is
dropped afterwards.
"""

from __future__ import annotations

import argparse
import multiprocessing
import sys
import time
import uuid
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
if str(PROJECT_ROOT) not in sys.path:
    sys.path.insert(0, str(PROJECT_ROOT))

from sqlalchemy import create_engine, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from api.database import Database  # noqa: E402
from api.migrate import upgrade  # noqa: E402
from api.services import ledger  # noqa: E402


def _append(url: str, seconds: float, start_at: float, counts: multiprocessing.Queue[tuple[int, float]]) -> None:
    database = Database(url)
    while time.time() < start_at:
        time.sleep(0.001)
    done, deadline, locked_for = 0, time.monotonic() + seconds, 0.0
    while time.monotonic() < deadline:
        with database.transaction() as session:
            began = time.perf_counter()
            ledger.append(session, "bench.ceiling", actor_id=None, payload={"n": done})
            session.commit()
            locked_for += time.perf_counter() - began
        done += 1
    database.dispose()
    counts.put((done, locked_for))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--postgres", required=True, help="an admin URL; a fresh database is made beside it")
    parser.add_argument("--processes", type=int, default=4)
    parser.add_argument("--seconds", type=float, default=10)
    args = parser.parse_args()
    admin = create_engine(args.postgres, isolation_level="AUTOCOMMIT")
    name = f"claimdb_ceiling_{uuid.uuid4().hex[:8]}"
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(args.postgres).set(database=name).render_as_string(hide_password=False)
    try:
        upgrade(url)
        counts: multiprocessing.Queue[tuple[int, float]] = multiprocessing.Queue()
        start_at = time.time() + 2
        workers = [
            multiprocessing.Process(target=_append, args=(url, args.seconds, start_at, counts))
            for _ in range(args.processes)
        ]
        for worker in workers:
            worker.start()
        results = [counts.get(timeout=args.seconds + 120) for _ in workers]
        for worker in workers:
            worker.join()
        total = sum(done for done, _ in results)
        per_write_ms = sum(locked for _, locked in results) / total * 1000
        print(
            f"{args.processes} processes, {args.seconds:.0f} s: {total} ledger appends, {total / args.seconds:.0f}/s; "
            f"{per_write_ms:.2f} ms per transaction from lock to commit, waiting included"
        )
        verify = Database(url)
        with verify.transaction(write=False) as session:
            verdict = ledger.verify(session)
        verify.dispose()
        print(f"chain: {verdict}")
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())
