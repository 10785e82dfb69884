"""How long attribution extraction takes per 1,000 words of news text.

Builds a text of about 1,000 words from the labelled test articles (whole paragraphs, in a fixed order),
runs the extraction pipeline on it repeatedly with every source those articles know, and prints the
median time per 1,000 words. The first run, which indexes the gazetteer once per process, is timed apart.

    .venv/bin/python bench/extract_speed.py [--runs 50] [--words 1000]

With `--hostile` it times instead the largest texts `POST /v1/extract` accepts, written to make a naive pattern
backtrack (the suite checks they are handled; their time is this one's to report).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
import uuid
from datetime import date
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from api.services.demo import SOURCES as DEMO_SOURCES
from api.services.extraction import extract_candidates
from api.services.extraction.directory import KnownSource, SourceDirectory

DATA = Path(__file__).resolve().parents[1] / "tests" / "data" / "extraction"
PUBLISHED = date(2024, 6, 5)  # resolves the texts' "Saturday" and "May 10" as the API would


def build_text(words: int) -> str:
    """Whole paragraphs of the test articles, in name order, until about `words` words."""
    paragraphs: list[str] = []
    count = 0
    while count < words:
        for path in sorted(DATA.glob("*.txt")):
            for paragraph in path.read_text().split("\n\n"):
                paragraph = paragraph.strip()
                if not paragraph:
                    continue
                paragraphs.append(paragraph)
                count += len(paragraph.split())
                if count >= words:
                    return "\n\n".join(paragraphs)
    return "\n\n".join(paragraphs)


def directory() -> SourceDirectory:
    """Every source the labelled texts know, and the demo's, as the database would hold them."""
    items: dict[str, dict[str, Any]] = {}
    for name, kind, _affiliation, parent, role, aliases, _reliability in DEMO_SOURCES:
        items[name] = {"name": name, "kind": kind, "parent": parent, "role": role, "aliases": aliases}
    for path in DATA.glob("*.json"):
        known = json.loads(path.read_text())["known_sources"]
        if isinstance(known, list):
            for item in known:
                items.setdefault(item["name"], item)
    sources = []
    for item in items.values():
        name = str(item["name"])
        parent = item.get("parent")
        role = item.get("role")
        aliases = [str(alias) for alias in item.get("aliases") or []]
        sources.append(
            KnownSource(
                uuid.uuid5(uuid.NAMESPACE_URL, name),
                name,
                str(item["kind"]),
                (name, *aliases),
                uuid.uuid5(uuid.NAMESPACE_URL, str(parent)) if parent else None,
                str(role) if role else None,
            )
        )
    return SourceDirectory(sources)


# The largest texts the API accepts (100,000 characters), each a shape that makes a careless pattern backtrack.
HOSTILE = {
    "verbs": ("said " * 20_000)[:100_000],
    "quotations": ('"a b," he said, ' * 7_000)[:100_000],
    "according": ("According to X, " * 7_000)[:100_000],
    "unbalanced": ('He said "it is over, ' * 5_000)[:100_000],
}


def hostile() -> None:
    extract_candidates("Warm up, he said.")
    for label, text in HOSTILE.items():
        started = time.perf_counter()
        extract_candidates(text)
        print(f"hostile {label}: {len(text):,} characters in {(time.perf_counter() - started) * 1000:.0f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=50)
    parser.add_argument("--words", type=int, default=1000)
    parser.add_argument("--hostile", action="store_true", help="time the hostile texts instead")
    args = parser.parse_args()
    if args.hostile:
        hostile()
        return
    text = build_text(args.words)
    words = len(text.split())
    known = directory()
    started = time.perf_counter()
    candidates = extract_candidates(text, known, published_at=PUBLISHED)
    first = time.perf_counter() - started
    timings = []
    for _ in range(args.runs):
        started = time.perf_counter()
        extract_candidates(text, known, published_at=PUBLISHED)
        timings.append(time.perf_counter() - started)
    median = statistics.median(timings)
    per_thousand = median * 1000 * 1000 / words
    print(f"text: {words} words, {len(text)} characters, {len(candidates)} candidates, {len(known)} known sources")
    print(f"first run (indexes the gazetteer): {first * 1000:.0f} ms")
    print(f"median of {args.runs} runs: {median * 1000:.1f} ms; {per_thousand:.1f} ms per 1,000 words")


if __name__ == "__main__":
    main()
