"""Where a by-source page's time goes, in-process: the service call alone and the whole request through the ASGI
app, one at a time, wall and CPU time (bench/README.md, "Against the peers").

    .venv/bin/python bench/page_profile.py --database-url sqlite:////tmp/peers-200k.sqlite3 [--pages 300] [--yappi]

The page is `GET /v1/sources/{id}/claims?limit=50` for the source with the most claims, as `bench/peers.py` asks
it. `--yappi` prints the functions costing most CPU over the requests (yappi is not a project dependency:
`pip install yappi` into a venv of your own). A key is created in the database (one actor, one key).
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
import uuid
from typing import Any

from sqlalchemy import func, select

from api.app import create_app
from api.services import claims
from api.services.auth import create_key
from api.settings import Settings
from models import Claim
from models.vocabulary import Role


def _percentiles(samples: list[float]) -> str:
    ordered = sorted(samples)
    return (
        f"p50 {statistics.median(ordered) * 1000:.2f} ms, "
        f"p90 {ordered[int(len(ordered) * 0.9)] * 1000:.2f} ms, min {ordered[0] * 1000:.2f} ms"
    )


async def _request(app: Any, path: str, query: str, key: str) -> tuple[int, bytes]:
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": query.encode(),
        "root_path": "",
        "headers": [(b"host", b"localhost"), (b"authorization", f"Bearer {key}".encode())],
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 8000),
        "state": {},
    }
    status = 0
    body = bytearray()

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]
        elif message["type"] == "http.response.body":
            body.extend(message.get("body", b""))

    await app(scope, receive, send)
    return status, bytes(body)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--pages", type=int, default=300)
    parser.add_argument("--yappi", action="store_true")
    args = parser.parse_args()
    settings = Settings(database_url=args.database_url, secret_key="bench", log_level="warning")
    app = create_app(settings)
    database = app.state.database
    with database.session(write=True) as session:
        source_id = session.execute(
            select(Claim.source_id).group_by(Claim.source_id).order_by(func.count().desc()).limit(1)
        ).scalar_one()
        _actor, _key, key = create_key(session, f"profile-{uuid.uuid4().hex[:8]}", Role.ANALYST)
        session.commit()
    path, query = f"/v1/sources/{source_id}/claims", "limit=50"

    def service() -> None:
        with database.session(write=False) as session:
            items, _cursor = claims.list_source_claims(
                session, source_id, include_children=False, limit=50, cursor=None, secret="bench"
            )
            assert len(items) == 50
            session.rollback()

    async def requests(count: int) -> tuple[list[float], list[float]]:
        walls, cpus = [], []
        for _ in range(count):
            wall, cpu = time.perf_counter(), time.process_time()
            status, body = await _request(app, path, query, key)
            cpus.append(time.process_time() - cpu)
            walls.append(time.perf_counter() - wall)
            assert status == 200, body[:300]
        return walls, cpus

    for _ in range(30):
        service()
    asyncio.run(requests(30))
    walls, cpus = [], []
    for _ in range(args.pages):
        wall, cpu = time.perf_counter(), time.process_time()
        service()
        cpus.append(time.process_time() - cpu)
        walls.append(time.perf_counter() - wall)
    print(f"service  wall {_percentiles(walls)}; CPU {_percentiles(cpus)}")
    if args.yappi:
        import yappi  # not a project dependency: installed by hand

        yappi.set_clock_type("cpu")
        yappi.start()
    walls, cpus = asyncio.run(requests(args.pages))
    print(f"request  wall {_percentiles(walls)}; CPU {_percentiles(cpus)}")
    if args.yappi:
        yappi.stop()
        stats = yappi.get_func_stats()
        stats.sort("tsub")
        stats.print_all(columns={0: ("name", 90), 1: ("ncall", 8), 2: ("tsub", 8), 3: ("ttot", 8), 4: ("tavg", 8)})


if __name__ == "__main__":
    main()
