"""Query latency at scale: each listed query through the HTTP API and the same query in raw SQL, same run.

    .venv/bin/python bench/query_bench.py --database-url sqlite:////tmp/claimdb-bench.sqlite3

Starts `claimdb serve` on the database (or uses --url of a running server, with --api-key or a key made
on --database-url), creates a viewer key with `claimdb key create`, then for every query runs --warmup
requests and --requests measured ones with one httpx client, alternating each API request with the
equivalent SQL run directly on the driver (sqlite3 or psycopg). The SQL fetches the same page of claims
with the same columns the API returns (source, speaker, document and creator names; places, tags, via),
so the ratio API/SQL is what the HTTP layer, the ORM and the serialisation add. The first run of each
query also checks that the API and the SQL return the same claim ids.

Targets (bench/README.md): p99 under 50 ms for every query; API median within 5x the SQL median.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import socket
import sqlite3
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

PROJECT_ROOT = Path(__file__).resolve().parent.parent
if str(PROJECT_ROOT) not in sys.path:
    sys.path.insert(0, str(PROJECT_ROOT))

from api.database import normalise_url  # noqa: E402

P99_TARGET_MS = 50.0
RATIO_TARGET = 5.0
REVIEWED = ("corroborated", "confirmed", "disputed", "refuted", "unverifiable")
# Chosen from bench/fill.py's vocabulary: "forces" is in about a quarter of the claims, "drones" in a tenth,
# "thermobaric" in about one in a thousand.
COMMON_WORD, MIDDLE_WORD, RARE_WORD = "forces", "drones", "thermobaric"
WALK_MATCHES = 2_000  # api/services/claims.py's _WALK_MATCHES


# ---- raw SQL ----------------------------------------------------------------------------------------


class RawSQL:
    """The same queries the API answers, written by hand for the driver, returning fully fetched rows."""

    def __init__(self, database_url: str) -> None:
        url = normalise_url(database_url)
        self.is_sqlite = url.get_backend_name() == "sqlite"
        if self.is_sqlite:
            assert url.database, "a SQLite URL names a file"
            self.connection: Any = sqlite3.connect(url.database, isolation_level=None, check_same_thread=False)
            # The app's connection settings (api/database.py), so both read under the same conditions.
            for pragma in ("busy_timeout = 30000", "foreign_keys = ON", "journal_mode = WAL", "synchronous = NORMAL"):
                self.connection.execute(f"PRAGMA {pragma}")
            self.mark = "?"
        else:
            import psycopg

            conninfo = url.set(drivername="postgresql").render_as_string(hide_password=False)
            self.connection = psycopg.connect(conninfo, autocommit=True)
            self.mark = "%s"

    def uuid(self, value: str) -> Any:
        """A claim or source id as the driver compares it: 32-hex text on SQLite, a uuid on PostgreSQL."""
        return value.replace("-", "") if self.is_sqlite else value

    def time(self, value: datetime) -> Any:
        return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f") if self.is_sqlite else value

    def fetch(self, sql: str, parameters: tuple[Any, ...]) -> list[Any]:
        cursor = self.connection.execute(sql, parameters)
        return list(cursor.fetchall())

    # -- one page of claims, as GET /v1/claims returns it

    def _describe(self) -> str:
        """Every column of ClaimOut for the claims in `page` (a CTE of id and sort key), in page order."""
        if self.is_sqlite:
            places = (
                "(SELECT json_group_array(name) FROM "
                "(SELECT name FROM claim_places WHERE claim_id = c.id ORDER BY position))"
            )
            tags = (
                "(SELECT json_group_array(tag) FROM "
                "(SELECT tag FROM claim_tags WHERE claim_id = c.id ORDER BY position))"
            )
            via = (
                "(SELECT json_group_array(json_object('id', source_id, 'name', name)) FROM "
                "(SELECT v.source_id, vs.name FROM claim_via v JOIN sources vs ON vs.id = v.source_id "
                "WHERE v.claim_id = c.id ORDER BY v.position))"
            )
        else:
            places = "(SELECT coalesce(json_agg(name ORDER BY position), '[]') FROM claim_places WHERE claim_id = c.id)"
            tags = "(SELECT coalesce(json_agg(tag ORDER BY position), '[]') FROM claim_tags WHERE claim_id = c.id)"
            via = (
                "(SELECT coalesce(json_agg(json_build_object('id', v.source_id, 'name', vs.name) ORDER BY v.position), "
                "'[]') FROM claim_via v JOIN sources vs ON vs.id = v.source_id WHERE v.claim_id = c.id)"
            )
        return f"""
            SELECT c.id, c.statement, c.quote, c.source_id, s.name AS source_name, c.speaker_id,
                   sp.name AS speaker_name, c.channel, c.channel_detail, c.document_id, d.title, d.url,
                   c.stated_at, c.stated_at_precision, c.event_start, c.event_end, c.language, c.external_id,
                   c.status, c.status_changed_at, c.version, c.created_by_id, a.name AS created_by_name,
                   c.created_at, {places} AS places, {tags} AS tags, {via} AS via
            FROM page
            JOIN claims c ON c.id = page.id
            JOIN sources s ON s.id = c.source_id
            LEFT JOIN sources sp ON sp.id = c.speaker_id
            LEFT JOIN documents d ON d.id = c.document_id
            LEFT JOIN actors a ON a.id = c.created_by_id
            ORDER BY page.sort_key DESC, page.id DESC"""

    def claims_page(
        self,
        *,
        source_id: str | None = None,
        statuses: tuple[str, ...] = (),
        stated_from: datetime | None = None,
        stated_to: datetime | None = None,
        words: str | None = None,
        after: tuple[datetime, str] | None = None,
        limit: int = 50,
    ) -> tuple[str, tuple[Any, ...]]:
        """The keyset query of GET /v1/claims (newest statement first) with the page's columns joined on."""
        mark = self.mark
        conditions: list[str] = []
        parameters: list[Any] = []
        if words is not None:
            if self.is_sqlite:
                # As api/services/claims.py does it: with many matches, walk the date index and keep the
                # matches (`+` stops SQLite from driving by rowid); with few, fetch the matches by rowid.
                matches = f"(SELECT rowid FROM claims_fts WHERE claims_fts MATCH {mark})"
                walk = self.count_matches(words) > WALK_MATCHES
                conditions.append(f"{'+' if walk else ''}c.rowid IN {matches}")
                parameters.append(f'"{words}"')
            else:
                conditions.append(f"c.search_vector @@ to_tsquery('simple', {mark})")
                parameters.append(f"('{words}')")
        if source_id is not None:
            conditions.append(f"c.source_id = {mark}")
            parameters.append(self.uuid(source_id))
        if statuses:
            conditions.append(f"c.status IN ({', '.join(mark for _ in statuses)})")
            parameters.extend(statuses)
        if stated_from is not None:
            conditions.append(f"c.stated_at >= {mark}")
            parameters.append(self.time(stated_from))
        if stated_to is not None:
            conditions.append(f"c.stated_at <= {mark}")
            parameters.append(self.time(stated_to))
        if after is not None:
            conditions.append(f"(c.stated_at, c.id) < ({mark}, {mark})")
            parameters.extend([self.time(after[0]), self.uuid(after[1])])
        where = f"WHERE {' AND '.join(conditions)}" if conditions else ""
        sql = f"""
            WITH page AS (
                SELECT c.id, c.stated_at AS sort_key FROM claims c {where}
                ORDER BY c.stated_at DESC, c.id DESC LIMIT {limit + 1}
            ){self._describe()}"""
        return sql, tuple(parameters)

    def scorecard(self, source_id: str) -> dict[str, Any]:
        """GET /v1/sources/{id}/scorecard in SQL: the source, its claims by status, the median first-review wait."""
        mark, key = self.mark, self.uuid(source_id)
        source = self.fetch(f"SELECT name, reliability FROM sources WHERE id = {mark}", (key,))
        counts = self.fetch(
            f"SELECT status, count(*), count(seconds_to_first_review) FROM claims WHERE source_id = {mark} "
            "GROUP BY status",
            (key,),
        )
        ever_reviewed = sum(row[2] for row in counts)
        median = None
        if ever_reviewed:
            middle = self.fetch(
                f"SELECT seconds_to_first_review FROM claims WHERE source_id = {mark} "
                "AND seconds_to_first_review IS NOT NULL ORDER BY seconds_to_first_review "
                f"LIMIT {2 - ever_reviewed % 2} OFFSET {(ever_reviewed - 1) // 2}",
                (key,),
            )
            median = sum(float(row[0]) for row in middle) / len(middle)
        return {"source": source, "by_status": {row[0]: row[1] for row in counts}, "median": median}

    def scorecard_from_ledger(self, source_id: str) -> dict[str, Any]:
        """The same figures from the events themselves, once, to check the claims' seconds_to_first_review."""
        mark, key = self.mark, self.uuid(source_id)
        wait = (
            "(julianday(min(e.at)) - julianday(c.created_at)) * 86400"
            if self.is_sqlite
            else "extract(epoch FROM min(e.at) - c.created_at)"
        )
        listed = ", ".join(mark for _ in REVIEWED)
        waits = [
            float(row[0])
            for row in self.fetch(
                f"SELECT {wait} FROM claims c JOIN events e ON e.claim_id = c.id "
                f"WHERE c.source_id = {mark} AND e.to_status IN ({listed}) GROUP BY c.id, c.created_at",
                (key, *REVIEWED),
            )
        ]
        by_status = self.fetch(f"SELECT status, count(*) FROM claims WHERE source_id = {mark} GROUP BY status", (key,))
        return {"by_status": dict(by_status), "median": statistics.median(waits) if waits else None}

    def big_source(self) -> tuple[str, int]:
        row = self.fetch(
            "SELECT source_id, count(*) AS claims FROM claims GROUP BY source_id ORDER BY claims DESC LIMIT 1", ()
        )[0]
        value = str(row[0])
        if self.is_sqlite:
            value = f"{value[:8]}-{value[8:12]}-{value[12:16]}-{value[16:20]}-{value[20:]}"
        return value, int(row[1])

    def count_matches(self, word: str) -> int:
        if self.is_sqlite:
            return int(self.fetch("SELECT count(*) FROM claims_fts WHERE claims_fts MATCH ?", (f'"{word}"',))[0][0])
        return int(
            self.fetch(
                "SELECT count(*) FROM claims WHERE search_vector @@ to_tsquery('simple', %s)",
                (f"('{word}')",),
            )[0][0]
        )

    def plan(self, sql: str, parameters: tuple[Any, ...]) -> str:
        if self.is_sqlite:
            rows = self.fetch(f"EXPLAIN QUERY PLAN {sql}", parameters)
            return "\n".join(f"    {row[3]}" for row in rows)
        rows = self.fetch(f"EXPLAIN {sql}", parameters)
        return "\n".join(f"    {row[0]}" for row in rows)


def claim_id_of(row: Any, is_sqlite: bool) -> str:
    value = str(row[0])
    if is_sqlite:
        value = f"{value[:8]}-{value[8:12]}-{value[12:16]}-{value[16:20]}-{value[20:]}"
    return value


# ---- the server -------------------------------------------------------------------------------------


def claimdb_command() -> list[str]:
    script = Path(sys.executable).with_name("claimdb")
    return [str(script)] if script.exists() else [sys.executable, "-m", "api.cli"]


def create_key(database_url: str) -> str:
    environment = {**os.environ, "DATABASE_URL": database_url}
    result = subprocess.run(
        [*claimdb_command(), "key", "create", "--name", "bench-reader", "--role", "viewer"],
        env=environment,
        capture_output=True,
        text=True,
        check=True,
        cwd=PROJECT_ROOT,
    )
    return result.stdout.strip().splitlines()[-1]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def start_server(database_url: str, port: int, log_path: Path) -> subprocess.Popen[bytes]:
    environment = {
        **os.environ,
        "DATABASE_URL": database_url,
        # Access logs off: one line per request would be measured too (and fill the log).
        "CLAIMDB_LOG_LEVEL": "warning",
    }
    log = log_path.open("wb")
    server = subprocess.Popen(
        [*claimdb_command(), "serve", "--host", "127.0.0.1", "--port", str(port)],
        env=environment,
        stdout=log,
        stderr=subprocess.STDOUT,
        cwd=PROJECT_ROOT,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"claimdb serve exited with {server.returncode}; see {log_path}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/health", timeout=2).status_code < 500:
                return server
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    server.kill()
    raise SystemExit(f"claimdb serve did not answer within 60 s; see {log_path}")


# ---- measuring --------------------------------------------------------------------------------------


@dataclass
class Case:
    name: str
    path: str
    params: dict[str, Any] | list[tuple[str, Any]]
    sql: Callable[[], Any]
    check: Callable[[httpx.Response, Any], str | None]
    statement: tuple[str, tuple[Any, ...]] | None = None  # the SQL, for --plans
    api_ms: list[float] = field(default_factory=list)
    sql_ms: list[float] = field(default_factory=list)
    note: str = ""


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, math.ceil(fraction * len(ordered)) - 1)]


def same_ids(is_sqlite: bool) -> Callable[[httpx.Response, Any], str | None]:
    def check(response: httpx.Response, rows: Any) -> str | None:
        api_ids = [item["id"] for item in response.json()["items"]]
        sql_ids = [claim_id_of(row, is_sqlite) for row in rows][: len(api_ids)]
        if response.json()["next_cursor"] is not None and len(rows) != len(api_ids) + 1:
            return f"SQL fetched {len(rows)} rows for an API page of {len(api_ids)} with a next page"
        return None if api_ids == sql_ids else f"API and SQL pages differ ({len(api_ids)} vs {len(sql_ids)} ids)"

    return check


def same_scorecard(response: httpx.Response, result: Any) -> str | None:
    body = response.json()
    counts = {status: count for status, count in body["by_status"].items() if count}
    if counts != result["by_status"]:
        return f"counts differ: {counts} vs {result['by_status']}"
    api_median, sql_median = body["median_seconds_to_first_review"], result["median"]
    if (api_median is None) != (sql_median is None) or (api_median and abs(api_median - sql_median) > 1):
        return f"median differs: {api_median} vs {sql_median}"
    return None


def run_case(client: httpx.Client, raw: RawSQL, case: Case, requests: int, warmup: int) -> None:
    response = client.get(case.path, params=case.params)
    response.raise_for_status()
    problem = case.check(response, case.sql())
    if problem:
        raise SystemExit(f"{case.name}: {problem}")
    for _ in range(warmup):
        client.get(case.path, params=case.params).raise_for_status()
        case.sql()
    clock = time.perf_counter_ns
    for _ in range(requests):
        started = clock()
        response = client.get(case.path, params=case.params)
        ended = clock()
        response.raise_for_status()
        case.api_ms.append((ended - started) / 1e6)
        started = clock()
        case.sql()
        case.sql_ms.append((clock() - started) / 1e6)


def build_cases(client: httpx.Client, raw: RawSQL, source_id: str, deep_pages: int) -> list[Case]:
    is_sqlite = raw.is_sqlite
    check = same_ids(is_sqlite)

    def page(name: str, path: str, params: Any, note: str = "", **filters: Any) -> Case:
        sql, parameters = raw.claims_page(**filters)
        return Case(name, path, params, lambda: raw.fetch(sql, parameters), check, (sql, parameters), note=note)

    # Follow cursors to the deep page; its SQL starts after the last claim of the page before it.
    cursor, after = None, None
    for _ in range(deep_pages - 1):
        params = {"cursor": cursor} if cursor else {}
        body = client.get(f"/v1/sources/{source_id}/claims", params=params).raise_for_status().json()
        cursor = body["next_cursor"]
        last = body["items"][-1]
        after = (datetime.fromisoformat(last["stated_at"]), last["id"])
        assert cursor, "the source has fewer claims than the deep page needs"

    year_from, year_to = datetime(2024, 1, 1, tzinfo=UTC), datetime(2024, 12, 31, 23, 59, 59, 999999, tzinfo=UTC)
    statuses = ("confirmed", "corroborated")
    return [
        page("by source, first page", f"/v1/sources/{source_id}/claims", {}, source_id=source_id),
        page(
            f"by source, page {deep_pages} (cursor)",
            f"/v1/sources/{source_id}/claims",
            {"cursor": cursor},
            source_id=source_id,
            after=after,
        ),
        page(
            "by source + status + stated range",
            "/v1/claims",
            [
                ("source", source_id),
                *[("status", status) for status in statuses],
                ("stated_from", "2024-01-01"),
                ("stated_to", "2024-12-31"),
            ],
            source_id=source_id,
            statuses=statuses,
            stated_from=year_from,
            stated_to=year_to,
        ),
        *[
            page(
                f"full text q={word}",
                "/v1/claims",
                {"q": word},
                note=f"{raw.count_matches(word):,} matches",
                words=word,
            )
            for word in (COMMON_WORD, MIDDLE_WORD, RARE_WORD)
        ],
        Case(
            "scorecard of the biggest source",
            f"/v1/sources/{source_id}/scorecard",
            {},
            lambda: raw.scorecard(source_id),
            lambda response, _result: same_scorecard(response, raw.scorecard_from_ledger(source_id)),
        ),
    ]


def report(cases: list[Case], title: str) -> str:
    lines = [
        title,
        "",
        "| query | API p50 ms | API p99 ms | SQL p50 ms | SQL p99 ms | API/SQL p50 | p99 < 50 ms | ratio <= 5 |",
        "|---|---:|---:|---:|---:|---:|:---:|:---:|",
    ]
    for case in cases:
        api_p50, api_p99 = statistics.median(case.api_ms), percentile(case.api_ms, 0.99)
        sql_p50, sql_p99 = statistics.median(case.sql_ms), percentile(case.sql_ms, 0.99)
        ratio = api_p50 / sql_p50
        name = f"{case.name} ({case.note})" if case.note else case.name
        lines.append(
            f"| {name} | {api_p50:.2f} | {api_p99:.2f} | {sql_p50:.2f} | {sql_p99:.2f} | {ratio:.1f}x | "
            f"{'pass' if api_p99 < P99_TARGET_MS else 'FAIL'} | {'pass' if ratio <= RATIO_TARGET else 'FAIL'} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", required=True, help="the filled database (bench/fill.py)")
    parser.add_argument("--url", help="a running server on that database; default: start `claimdb serve`")
    parser.add_argument("--api-key", help="with --url: a key for it; default: `claimdb key create` on the database")
    parser.add_argument("--requests", type=int, default=200, help="measured requests per query")
    parser.add_argument("--warmup", type=int, default=20, help="unmeasured requests per query first")
    parser.add_argument("--deep-page", type=int, default=20, help="which page the deep-page query reads")
    parser.add_argument("--source", help="source id to query (default: the one with most claims)")
    parser.add_argument("--only", help="run only the queries whose name contains this text")
    parser.add_argument("--plans", action="store_true", help="print each SQL query's plan")
    parser.add_argument("--json", type=Path, help="also write the raw timings here")
    args = parser.parse_args(argv)

    raw = RawSQL(args.database_url)
    if args.source:
        source_id, claims = args.source, None
    else:
        source_id, claims = raw.big_source()
    server = None
    log_path = Path(os.environ.get("TMPDIR", "/tmp")) / f"claimdb-bench-server-{os.getpid()}.log"
    try:
        if args.url:
            base_url = args.url
            api_key = args.api_key or create_key(args.database_url)
        else:
            api_key = create_key(args.database_url)
            port = free_port()
            server = start_server(args.database_url, port, log_path)
            base_url = f"http://127.0.0.1:{port}"
        headers = {"Authorization": f"Bearer {api_key}"}
        with httpx.Client(base_url=base_url, headers=headers, timeout=60) as client:
            cases = build_cases(client, raw, source_id, args.deep_page)
            if args.only:
                cases = [case for case in cases if args.only in case.name]
            for case in cases:
                if args.plans and case.statement is not None:
                    print(f"{case.name}:")
                    print(raw.plan(*case.statement))
                started = time.perf_counter()
                run_case(client, raw, case, args.requests, args.warmup)
                print(
                    f"  {case.name}: API p50 {statistics.median(case.api_ms):.2f} ms, "
                    f"SQL p50 {statistics.median(case.sql_ms):.2f} ms ({time.perf_counter() - started:.0f} s)",
                    flush=True,
                )
    finally:
        if server is not None:
            server.terminate()
            server.wait(timeout=30)
    engine = "SQLite" if raw.is_sqlite else "PostgreSQL"
    load = os.getloadavg()
    title = (
        f"{engine}, source {source_id}" + (f" ({claims:,} claims)" if claims else "") + f"; {args.requests} "
        f"requests per query after {args.warmup} warm-up, one client; load average {load[0]:.1f} at the end"
    )
    print()
    print(report(cases, title))
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(
            json.dumps(
                {
                    "engine": engine,
                    "source_id": source_id,
                    "at": datetime.now(UTC).isoformat(),
                    "cases": [{"name": case.name, "api_ms": case.api_ms, "sql_ms": case.sql_ms} for case in cases],
                },
                indent=1,
            )
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
