"""Mixed load against a running claimdb server: reads, posts and If-Match races, then the same mix paced.

    python bench/load.py --url http://127.0.0.1:8000 --key <admin or reviewer key> [--seconds 60] [--clients 32]

The workload: 70% by-source list reads (pages of 50), 20% claim posts (each writes its ledger event), 10%
status changes with If-Match (a 412 from a lost race is counted apart, never as an error). The key must be a
reviewer's or an admin's.

Phases, in order, each as long as --seconds:
- reads only, posts only, mixed: every client sends its next request as soon as the last one is
  answered (a closed loop). This measures capacity (requests/s); with 32 clients always waiting, the latency
  of each request is mostly its wait behind the other 31 (Little's law: 32 / throughput on average).
- mixed, paced: the same mix and clients, but the requests arrive on a fixed schedule at --paced-share of the
  rate the mixed phase reached (an open loop, as a service sees independent users). Latency is measured from
  the moment a request was due, not from when it was sent, so a server that falls behind cannot hide the
  delay (no coordinated omission). This is the latency the server gives 32 clients below saturation.

It prints requests/s and p50/p99 per operation, the error count and the ledger verification after the run.

Capacity is measured with wrk, not here: this one Python load generator tops out at about 400 requests/s
(`/health/live`, against about 4,000 under wrk), so it measured itself as much as the server, and the
no-database baseline and the ratios to it this script used to print are retired. The capacity comparisons are
`bench/peers.py` (against Datasette and a plain ORM app) and `bench/post_throughput.py`. This script stays for
what wrk does not do: the mixed workload with If-Match races, and the paced phase's latency.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import random
import statistics
import time
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

import httpx

SOURCES = 20
SEED_CLAIMS_PER_SOURCE = 60


@dataclass
class Tally:
    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    errors: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    lost_races: int = 0
    error_samples: list[str] = field(default_factory=list)

    def record(self, operation: str, seconds: float) -> None:
        self.latencies[operation].append(seconds)

    def error(self, operation: str, detail: str) -> None:
        self.errors[operation] += 1
        if len(self.error_samples) < 5:
            self.error_samples.append(f"{operation}: {detail[:300]}")


@dataclass
class Claims:
    """The claims this run created, with the ETag and status it last saw for each (from its own answers).

    A status change sends If-Match with the ETag the client already holds, as a client that has the claim
    on screen would; only after a 412 (another client moved the claim first) does it read the claim again.
    """

    ids: list[str] = field(default_factory=list)
    seen: dict[str, tuple[str, str]] = field(default_factory=dict)

    def learn(self, response: httpx.Response) -> None:
        claim = response.json()
        if claim["id"] not in self.seen:
            self.ids.append(claim["id"])
        self.seen[claim["id"]] = (response.headers["ETag"], claim["status"])


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


async def seed(client: httpx.AsyncClient) -> tuple[list[str], Claims]:
    """Sources with some claims each, so reads return full pages; returns source ids and the claims."""
    run = f"{time.time():.0f}"
    source_ids, claims = [], Claims()
    for index in range(SOURCES):
        response = await client.post("/v1/sources", json={"name": f"Load source {run}-{index}", "kind": "military"})
        response.raise_for_status()
        source_ids.append(response.json()["id"])
    for source_id in source_ids:
        for index in range(SEED_CLAIMS_PER_SOURCE):
            response = await client.post("/v1/claims", json=claim_body(source_id, index))
            response.raise_for_status()
            claims.learn(response)
    return source_ids, claims


def claim_body(source_id: str, index: int) -> dict[str, object]:
    return {
        "statement": f"Artillery fire reported near Izium, report {index}.",
        "quote": "the enemy retreats in some directions",
        "source_id": source_id,
        "channel": "telegram",
        "stated_at": f"2022-05-{1 + index % 28:02d}T{index % 24:02d}:00:00Z",
        "places": ["Izium", "Kharkiv"],
        "tags": ["shelling"],
    }


# The share of each operation in a phase: reads, posts, status changes (the rest of 1.0).
MIXES = {"reads only": (1.0, 0.0), "posts only": (0.0, 1.0), "mixed": (0.7, 0.2)}


def next_request(rng: random.Random, mode: str, sources: list[str]) -> tuple[str, str, str, dict[str, Any]]:
    """The operation to send next in this phase: its name, method, path and httpx arguments."""
    read_share, post_share = MIXES[mode]
    roll = rng.random()
    if roll < read_share:
        return "read by source", "GET", "/v1/claims", {"params": {"source": rng.choice(sources), "limit": 50}}
    if roll < read_share + post_share:
        return "post claim", "POST", "/v1/claims", {"json": claim_body(rng.choice(sources), rng.randrange(1000))}
    return "status change", "", "", {}


async def send(
    client: httpx.AsyncClient,
    request: tuple[str, str, str, dict[str, Any]],
    due: float,
    tally: Tally,
    claims: Claims,
) -> None:
    """Send one operation and record its latency from `due` (when it was meant to start) to its answer."""
    operation, method, path, kwargs = request
    if operation == "status change":
        await status_change(client, random.choice(claims.ids), claims, tally, due)
        return
    try:
        response = await client.request(method, path, **kwargs)
    except httpx.HTTPError as error:
        tally.error(operation, repr(error))
        return
    elapsed = time.perf_counter() - due
    if response.status_code >= 400:
        tally.error(operation, f"{response.status_code} {response.text}")
    else:
        tally.record(operation, elapsed)
        if operation == "post claim":
            claims.learn(response)


async def client_loop(
    client: httpx.AsyncClient, deadline: float, tally: Tally, mode: str, sources: list[str], claims: Claims
) -> None:
    """Closed loop: the next request goes as soon as the last one is answered."""
    rng = random.Random()
    while time.perf_counter() < deadline:
        await send(client, next_request(rng, mode, sources), time.perf_counter(), tally, claims)


async def paced_client_loop(
    client: httpx.AsyncClient,
    deadline: float,
    interval: float,
    tally: Tally,
    sources: list[str],
    claims: Claims,
) -> None:
    """Open loop: requests are due every `interval` seconds from a random offset, answered or not.

    A request that comes due while the previous one is still out is sent when that one returns, and its
    latency still counts from when it was due.
    """
    rng = random.Random()
    due = time.perf_counter() + rng.uniform(0, interval)
    while due < deadline:
        delay = due - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        await send(client, next_request(rng, "mixed", sources), due, tally, claims)
        due += interval


async def status_change(client: httpx.AsyncClient, claim_id: str, claims: Claims, tally: Tally, due: float) -> None:
    """Move the claim one step with If-Match; a 412 means another client moved it first."""
    etag, status = claims.seen[claim_id]
    target = {"claimed": "under_review", "under_review": "unverifiable", "unverifiable": "under_review"}.get(
        status, "under_review"
    )
    try:
        response = await client.post(
            f"/v1/claims/{claim_id}/status",
            json={"status": target, "rationale": "load test"},
            headers={"If-Match": etag},
        )
        elapsed = time.perf_counter() - due
        if response.status_code == 412:
            tally.lost_races += 1
            claims.learn(await client.get(f"/v1/claims/{claim_id}"))
            return
    except httpx.HTTPError as error:
        tally.error("status change", repr(error))
        return
    if response.status_code >= 400:
        tally.error("status change", f"{response.status_code} {response.text}")
    else:
        tally.record("status change", elapsed)
        claims.learn(response)


async def phase(
    url: str,
    key: str,
    seconds: float,
    clients: int,
    mode: str,
    sources: list[str],
    claims: Claims,
    paced_rate: float | None = None,
) -> tuple[Tally, float]:
    """One phase: closed-loop clients, or with `paced_rate` (requests/s in all) open-loop ones."""
    tally = Tally()
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    headers = {"Authorization": f"Bearer {key}"}
    async with httpx.AsyncClient(base_url=url, headers=headers, limits=limits, timeout=30) as client:
        started = time.perf_counter()
        deadline = started + seconds
        if paced_rate is None:
            loops = [client_loop(client, deadline, tally, mode, sources, claims) for _ in range(clients)]
        else:
            interval = clients / paced_rate
            loops = [paced_client_loop(client, deadline, interval, tally, sources, claims) for _ in range(clients)]
        await asyncio.gather(*loops)
        return tally, time.perf_counter() - started


def report(name: str, tally: Tally, elapsed: float) -> dict[str, float]:
    rates = {}
    for operation, values in sorted(tally.latencies.items()):
        rate = len(values) / elapsed
        rates[operation] = rate
        print(
            f"  {name:<10} {operation:<15} {rate:8.1f} req/s   p50 {statistics.median(values) * 1000:7.1f} ms   "
            f"p99 {percentile(values, 0.99) * 1000:7.1f} ms   n={len(values)}"
        )
    return rates


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url", default="http://127.0.0.1:8000")
    parser.add_argument("--key", required=True, help="a reviewer's or an admin's API key")
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument(
        "--paced-share",
        type=float,
        default=0.5,
        help="the paced phase's rate as a share of the mixed phase's operations/s (default 0.5)",
    )
    parser.add_argument("--paced-rate", type=float, default=None, help="the paced phase's operations/s, overriding")
    args = parser.parse_args()

    # The generator's own pauses count as the server's latency in the paced phase: keep its full garbage
    # collections short by moving what it has loaded out of the collector's sight.
    gc.freeze()
    async with httpx.AsyncClient(base_url=args.url, headers={"Authorization": f"Bearer {args.key}"}) as client:
        sources, claims = await seed(client)
    print(f"seeded {len(sources)} sources and {len(claims.ids)} claims; {args.clients} clients")

    results = {}
    for mode in ("reads only", "posts only", "mixed"):
        results[mode] = await phase(args.url, args.key, args.seconds, args.clients, mode, sources, claims)
    mixed_tally, mixed_elapsed = results["mixed"]
    capacity = sum(len(values) for values in mixed_tally.latencies.values()) / mixed_elapsed
    paced_rate = args.paced_rate or capacity * args.paced_share
    results["mixed, paced"] = await phase(
        args.url, args.key, args.seconds, args.clients, "mixed", sources, claims, paced_rate=paced_rate
    )
    print("results (rate, latency from sending a request to its full answer):")
    rates = {mode: report(mode, tally, elapsed) for mode, (tally, elapsed) in results.items()}
    for mode, operation in (("reads only", "read by source"), ("posts only", "post claim")):
        print(f"  {operation} alone: {rates[mode].get(operation, 0):.1f} req/s")
    print(f"  mixed: {capacity:.1f} operations/s in all")
    print(f"  mixed, paced: {paced_rate:.1f} operations/s due ({paced_rate / capacity:.0%} of the mixed phase)")
    paced_tally, _paced_elapsed = results["mixed, paced"]
    worst = max(percentile(values, 0.99) for values in paced_tally.latencies.values())
    print(f"  mixed, paced: worst p99 {worst * 1000:.1f} ms (100 ms asked)")
    errors = sum(sum(tally.errors.values()) for tally, _elapsed in results.values())
    lost = sum(tally.lost_races for tally, _elapsed in results.values())
    print(f"  errors: {errors}; lost races (412, not errors): {lost}")
    for tally, _elapsed in results.values():
        for sample in tally.error_samples:
            print(f"    {sample}")
    async with httpx.AsyncClient(base_url=args.url, headers={"Authorization": f"Bearer {args.key}"}) as client:
        verdict = (await client.get("/v1/audit/verify", timeout=600)).json()
    print(f"  ledger after the run: {verdict}")


if __name__ == "__main__":
    asyncio.run(main())
