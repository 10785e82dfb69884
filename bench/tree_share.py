"""The Merkle tree's share of a claim post, in process: how long `merkle.append_leaves` takes within each post.

    .venv/bin/python bench/tree_share.py --posts 3000

A fresh migrated SQLite database (or --database-url), an analyst key, then `--posts` claim posts through the
ASGI app (FastAPI's TestClient, one at a time). The tree's work in each post (reading the right edge, hashing,
inserting its rows) is timed by wrapping `merkle.append_leaves` in a timer, and reported as a share of the whole
post. The leaf hash itself (one SHA-256 of bytes the chain hash already encodes) is not included: under a
microsecond. wrk's throughput comparison (bench/post_throughput.py) is the figure that counts; this one is
immune to the machine's noise.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

PROJECT_ROOT = Path(__file__).resolve().parent.parent
if str(PROJECT_ROOT) not in sys.path:
    sys.path.insert(0, str(PROJECT_ROOT))

from fastapi.testclient import TestClient  # noqa: E402

from api.app import create_app  # noqa: E402
from api.database import Database  # noqa: E402
from api.migrate import upgrade  # noqa: E402
from api.services import ledger, merkle  # noqa: E402
from api.services.auth import create_key  # noqa: E402
from api.settings import Settings  # noqa: E402
from models.vocabulary import Role  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--posts", type=int, default=3000)
    parser.add_argument("--database-url", help="a fresh database (default: a new SQLite file)")
    args = parser.parse_args()
    url = args.database_url or f"sqlite:///{tempfile.mkdtemp(prefix='claimdb-tree-share-')}/bench.sqlite3"
    upgrade(url)
    database = Database(url)
    with database.transaction() as session:
        _actor, _key, secret = create_key(session, "bench", Role.ANALYST)
    database.dispose()

    spent: list[float] = []
    original = merkle.append_leaves

    def timed(*arguments: Any) -> None:
        started = time.perf_counter()
        original(*arguments)
        spent.append(time.perf_counter() - started)

    ledger.merkle.append_leaves = timed  # type: ignore[method-assign]  # the one call site: ledger.append_many
    headers = {"Authorization": f"Bearer {secret}"}
    with TestClient(create_app(Settings(database_url=url, log_level="warning"))) as client:
        source = client.post("/v1/sources", json={"name": "Bench source", "kind": "military"}, headers=headers)
        posts = []
        for number in range(args.posts):
            body = {
                "statement": f"Bench claim {number}: shelling reported near the river crossing.",
                "source_id": source.json()["id"],
                "channel": "statement",
                "stated_at": "2022-05-14T09:00:00+00:00",
            }
            started = time.perf_counter()
            response = client.post("/v1/claims", json=body, headers=headers)
            posts.append(time.perf_counter() - started)
            assert response.status_code == 201, response.text
    tree = spent[-len(posts) :]
    print(
        f"{len(posts)} posts: median post {statistics.median(posts) * 1000:.2f} ms, median tree work "
        f"{statistics.median(tree) * 1e6:.0f} µs ({100 * sum(tree) / sum(posts):.1f}% of the posts' time)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
