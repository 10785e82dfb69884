"""Import speed: claimdb's NDJSON import against plain sqlite3 `executemany` of the same rows, in one run.

    .venv/bin/python bench/import_bench.py [--claims 100000] [--workdir DIR]
    .venv/bin/python bench/import_bench.py --generate /tmp/claims-1m.ndjson --claims 1000000   # only write a file

1. Generates N claim lines as an export writes them (source by name with its kind, channel, stated_at and its
   precision, places, status, external_id; a quote on every third), from a fixed seed, into a file.
2. Imports the file into a fresh migrated SQLite database with `api.services.importing.import_claims`, the code
   behind `claimdb import` and `POST /v1/import` (both passes: check, then write), timed to the commit.
3. Reads back the rows the import wrote to `claims`, `claim_places` and `events`, and inserts them into a second
   fresh migrated database with plain `sqlite3`: one `executemany` per table in one transaction, with the app's
   pragmas (WAL, synchronous=NORMAL, foreign_keys=ON); the few sources they refer to go in first, untimed.
4. Prints both rates in claims per second and their ratio (the issue asks for at least 0.10).
"""

from __future__ import annotations

import argparse
import random
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

import orjson

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from api.database import Database
from api.migrate import upgrade
from api.services import importing

SOURCES = [(f"Source {number}", kind) for number, kind in enumerate(["military", "government", "media", "ngo"] * 10)]
PLACES = ["Kharkiv", "Izium", "Mariupol", "Kherson", "Odesa", "Mykolaiv", "Bakhmut", "Avdiivka", "Zaporizhzhia"]
STATUSES = ["claimed"] * 6 + ["under_review", "disputed", "confirmed", "refuted", "retracted"]
CHANNELS = ["statement", "briefing", "update", "telegram", "interview"]


def generate(path: Path, claims: int, seed: int = 7) -> None:
    """Write `claims` NDJSON lines to `path`, streaming: the file is never held in memory."""
    chooser = random.Random(seed)
    with path.open("wb") as out:
        for number in range(claims):
            source, kind = chooser.choice(SOURCES)
            line = {
                "statement": f"Forces advanced {chooser.randint(1, 40)} km near {chooser.choice(PLACES)} ({number}).",
                "quote": f"We moved forward, report {number}." if number % 3 == 0 else None,
                "source": {"name": source, "kind": kind},
                "channel": chooser.choice(CHANNELS),
                "stated_at": f"2022-{chooser.randint(1, 12):02d}-{chooser.randint(1, 28):02d}T09:00:00+00:00",
                "stated_at_precision": "hour",
                "places": chooser.sample(PLACES, chooser.randint(1, 2)),
                "status": chooser.choice(STATUSES),
                "external_id": f"bench-{number}",
            }
            out.write(orjson.dumps(line, option=orjson.OPT_APPEND_NEWLINE))


def fresh_database(path: Path) -> str:
    url = f"sqlite:///{path}"
    upgrade(url)
    return url


def time_import(url: str, source: Path) -> float:
    database = Database(url)
    started = time.perf_counter()
    with database.transaction() as session, source.open("rb") as stream:
        summary = importing.import_claims(session, None, stream)
    elapsed = time.perf_counter() - started
    database.dispose()
    print(f"import:   {summary.created:,} claims in {elapsed:.2f} s")
    return elapsed


def _rows(connection: sqlite3.Connection, table: str) -> tuple[list[str], list[tuple[object, ...]]]:
    cursor = connection.execute(f"SELECT * FROM {table}")
    return [column[0] for column in cursor.description], cursor.fetchall()


def time_baseline(imported: Path, target: Path) -> float:
    """Insert the import's claims, places and events rows into a fresh database with plain sqlite3."""
    source = sqlite3.connect(imported)
    prerequisites = {table: _rows(source, table) for table in ("actors", "sources", "source_names")}
    timed = {table: _rows(source, table) for table in ("claims", "claim_places", "events")}
    source.close()
    connection = sqlite3.connect(target, isolation_level=None)
    for pragma in ("journal_mode = WAL", "synchronous = NORMAL", "foreign_keys = ON"):
        connection.execute(f"PRAGMA {pragma}")

    def insert_all(tables: dict[str, tuple[list[str], list[tuple[object, ...]]]]) -> None:
        connection.execute("BEGIN IMMEDIATE")
        for table, (columns, rows) in tables.items():
            marks = ", ".join("?" for _ in columns)
            connection.executemany(f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})", rows)
        connection.execute("COMMIT")

    insert_all(prerequisites)
    started = time.perf_counter()
    insert_all(timed)
    elapsed = time.perf_counter() - started
    connection.close()
    counts = ", ".join(f"{len(rows):,} {table}" for table, (_columns, rows) in timed.items())
    print(f"baseline: {counts} in {elapsed:.2f} s")
    return elapsed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--claims", type=int, default=100_000)
    parser.add_argument("--workdir", type=Path, default=None, help="where the file and databases go (a temp dir)")
    parser.add_argument("--generate", type=Path, default=None, help="only write the NDJSON file here and stop")
    args = parser.parse_args()
    if args.generate:
        generate(args.generate, args.claims)
        print(f"wrote {args.claims:,} lines to {args.generate} ({args.generate.stat().st_size:,} bytes)")
        return 0
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="claimdb-import-bench-"))
    workdir.mkdir(parents=True, exist_ok=True)
    lines = workdir / "claims.ndjson"
    generate(lines, args.claims)
    imported, baseline = workdir / "imported.sqlite3", workdir / "baseline.sqlite3"
    for path in (imported, baseline):
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
    import_seconds = time_import(fresh_database(imported), lines)
    fresh_database(baseline)
    baseline_seconds = time_baseline(imported, baseline)
    import_rate = args.claims / import_seconds
    baseline_rate = args.claims / baseline_seconds
    print(f"import rate:   {import_rate:,.0f} claims/s")
    print(f"baseline rate: {baseline_rate:,.0f} claims/s (plain sqlite3 executemany of claims, places, events)")
    print(f"ratio:         {import_rate / baseline_rate:.3f} (at least 0.10 required)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
