"""Where-and-when query latency at scale: each geo filter of `GET /v1/claims` (and one export page) through the
HTTP API, one client, p50/p99 per query.

    .venv/bin/python bench/fill.py --database-url sqlite:////tmp/geo.sqlite3 --claims 1000000 --sources 2000
    .venv/bin/python bench/geo_speed.py --database-url sqlite:////tmp/geo.sqlite3

bench/fill.py loads the gazetteer and records its claims' places resolved (points, regions), and 30% of them with
an event window. The queries: a 10 km circle around Izium (a town: few claims), a 50 km circle around Kharkiv (the
most named city: many), a box over Donbas, a region by name (Kharkiv Oblast) and one of few claims (Lviv Oblast),
an event window of one day, and a circle with a region and a status together. Target (issue 18): p99 under 50 ms.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

import httpx

PROJECT_ROOT = Path(__file__).resolve().parent.parent
if str(PROJECT_ROOT) not in sys.path:
    sys.path.insert(0, str(PROJECT_ROOT))

from bench.query_bench import create_key, free_port, percentile, start_server  # noqa: E402

P99_TARGET_MS = 50.0
QUERIES: list[tuple[str, dict[str, str]]] = [
    ("near Izium, 10 km", {"near": "49.207,37.277", "radius_km": "10"}),
    ("near Kharkiv, 50 km", {"near": "49.993,36.231", "radius_km": "50"}),
    ("bbox over Donbas", {"bbox": "37.0,47.5,39.5,49.2"}),
    ("region Kharkiv Oblast", {"region": "Kharkiv Oblast"}),
    ("region UA-46 (Lviv, few claims)", {"region": "UA-46"}),
    ("event window, one day", {"event_from": "2023-06-01", "event_to": "2023-06-01"}),
    ("near Kharkiv 30 km + status refuted", {"near": "49.993,36.231", "radius_km": "30", "status": "refuted"}),
    ("region + event window", {"region": "Donetsk Oblast", "event_from": "2023-01-01", "event_to": "2023-03-31"}),
]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", required=True, help="the filled database (bench/fill.py)")
    parser.add_argument("--requests", type=int, default=200, help="measured requests per query")
    parser.add_argument("--warmup", type=int, default=20)
    parser.add_argument("--limit", type=int, default=50, help="the page size asked for")
    args = parser.parse_args(argv)
    api_key = create_key(args.database_url)
    port = free_port()
    log_path = Path(os.environ.get("TMPDIR", "/tmp")) / f"claimdb-geo-bench-{os.getpid()}.log"
    server = start_server(args.database_url, port, log_path)
    rows = []
    try:
        headers = {"Authorization": f"Bearer {api_key}"}
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", headers=headers, timeout=60) as client:
            for name, params in QUERIES:
                query = {**params, "limit": str(args.limit)}
                first = client.get("/v1/claims", params=query)
                first.raise_for_status()
                found = len(first.json()["items"])
                for _ in range(args.warmup):
                    client.get("/v1/claims", params=query)
                timings = []
                for _ in range(args.requests):
                    started = time.perf_counter()
                    response = client.get("/v1/claims", params=query)
                    timings.append((time.perf_counter() - started) * 1000)
                    assert response.status_code == 200
                p50, p99 = statistics.median(timings), percentile(timings, 0.99)
                rows.append((name, found, p50, p99))
                print(f"  {name}: {found} on the page, p50 {p50:.1f} ms, p99 {p99:.1f} ms", flush=True)
    finally:
        server.terminate()
        server.wait(timeout=30)
    engine = "SQLite" if args.database_url.startswith("sqlite") else "PostgreSQL"
    print(f"\n{engine}; {args.requests} requests per query after {args.warmup} warm-up, one client, limit {args.limit}")
    print("| query | claims on the page | p50 ms | p99 ms | p99 < 50 ms |")
    print("|---|---:|---:|---:|---|")
    for name, found, p50, p99 in rows:
        print(f"| {name} | {found} | {p50:.1f} | {p99:.1f} | {'yes' if p99 < P99_TARGET_MS else 'no'} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
