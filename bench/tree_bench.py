"""Inclusion and consistency proofs on a filled database, in process (bench/README.md, transparency log).

    .venv/bin/python bench/tree_bench.py --database-url sqlite:////tmp/wt16-bench.sqlite3 --runs 2000

Each proof is asked as a request would ask it: its own read transaction, the log's size, the stored hashes
(one query), the proof verified afterwards with api/tlog_verify.py against the root of that size (outside
the timing). Seqs and sizes are drawn at random over the whole ledger, so most reads miss the page cache's
recent pages. Prints the median, p99 and maximum in milliseconds.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
if str(PROJECT_ROOT) not in sys.path:
    sys.path.insert(0, str(PROJECT_ROOT))

from api import tlog_verify  # noqa: E402
from api.database import Database  # noqa: E402
from api.services import merkle, transparency  # noqa: E402


def _summary(name: str, times: list[float]) -> str:
    ordered = sorted(times)
    p99 = ordered[int(len(ordered) * 0.99) - 1]
    return (
        f"{name:<22} median {statistics.median(ordered) * 1000:6.3f} ms   p99 {p99 * 1000:6.3f} ms   "
        f"max {ordered[-1] * 1000:6.3f} ms   ({len(ordered)} runs)"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--runs", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=16)
    args = parser.parse_args()
    database = Database(args.database_url)
    generator = random.Random(args.seed)
    with database.transaction(write=False) as session:
        size = merkle.tree_size(session)
    print(f"{size:,} events", flush=True)
    roots: dict[int, bytes] = {}

    def root(tree_size: int) -> bytes:
        if tree_size not in roots:
            with database.transaction(write=False) as session:
                roots[tree_size] = merkle.root(session, tree_size)
        return roots[tree_size]

    inclusion, consistency, latest = [], [], []
    for _ in range(args.runs):
        seq = generator.randint(1, size)
        tree_size = generator.choice([size, generator.randint(seq, size)])
        started = time.perf_counter()
        with database.transaction(write=False) as session:
            proof = transparency.inclusion(session, seq, tree_size)
        inclusion.append(time.perf_counter() - started)
        tlog_verify.verify_inclusion(
            seq - 1,
            tree_size,
            bytes.fromhex(proof["leaf_hash"]),
            [bytes.fromhex(node) for node in proof["hashes"]],
            root(tree_size),
        )

        old = generator.randint(1, size)
        new = generator.choice([size, generator.randint(old, size)])
        started = time.perf_counter()
        with database.transaction(write=False) as session:
            answer = transparency.consistency(session, old, new)
        consistency.append(time.perf_counter() - started)
        tlog_verify.verify_consistency(
            old, new, [bytes.fromhex(node) for node in answer["hashes"]], root(old), root(new)
        )

        started = time.perf_counter()
        with database.transaction(write=False) as session:
            merkle.root(session, merkle.tree_size(session))
        latest.append(time.perf_counter() - started)
    print(_summary("inclusion proof", inclusion))
    print(_summary("consistency proof", consistency))
    print(_summary("root of the whole log", latest))
    print("every proof verified")
    database.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())
