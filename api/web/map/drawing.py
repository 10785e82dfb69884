"""The desk's map and timeline, drawn on the server as SVG: no tiles, no script, readable on a closed network.

Country borders come from the vendored Natural Earth extract (borders.json, see vendor_borders.py). Each claim's
place is a point whose shape says its status (never colour alone) with a label, inside a halo whose radius is
the place's precision: a place known only to its region or country is drawn as that wide dashed halo and a
hollow marker, never as a spot. The timeline counts claims per day by party.
"""

from __future__ import annotations

import functools
import json
import math
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from markupsafe import Markup, escape

WIDTH = 960
# Halo radius in km by precision: the uncertainty a reader should see around the point.
HALO_KM = {"exact": 1.0, "near": 15.0, "locality": 6.0, "region": 90.0, "country": 300.0}
# Each status a shape and a word, so that nothing depends on telling colours apart.
STATUS_SHAPES = {
    "claimed": ("circle", "#555"),
    "under_review": ("diamond", "#7a5c00"),
    "corroborated": ("triangle", "#1d6b2f"),
    "confirmed": ("square", "#0b5a0b"),
    "disputed": ("cross", "#8a4b00"),
    "refuted": ("x", "#a01919"),
    "unverifiable": ("ring", "#555"),
    "retracted": ("slash", "#444"),
}
PARTY_FILLS = ("#2b5c8a", "#b35a1f", "#4d7f3a", "#7b3f8c", "#8c7a1f", "#3f7f7f", "#8c3f5a", "#5a5a5a")


@functools.cache
def borders() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(Path(__file__).with_name("borders.json").read_text("utf-8"))
    return data


@dataclass(frozen=True)
class Frame:
    """An equirectangular projection of the map's frame, scaled at its middle latitude."""

    min_lon: float
    min_lat: float
    max_lon: float
    max_lat: float

    @property
    def scale(self) -> float:
        return math.cos(math.radians((self.min_lat + self.max_lat) / 2))

    @property
    def height(self) -> int:
        return round(WIDTH * (self.max_lat - self.min_lat) / ((self.max_lon - self.min_lon) * self.scale))

    def xy(self, lon: float, lat: float) -> tuple[float, float]:
        x = (lon - self.min_lon) / (self.max_lon - self.min_lon) * WIDTH
        y = (self.max_lat - lat) / (self.max_lat - self.min_lat) * self.height
        return round(x, 1), round(y, 1)

    def km(self, kilometres: float) -> float:
        """Kilometres as pixels (north–south)."""
        return kilometres / 111.195 / (self.max_lat - self.min_lat) * self.height


def default_frame() -> Frame:
    min_lon, min_lat, max_lon, max_lat = borders()["frame"]
    return Frame(min_lon, min_lat, max_lon, max_lat)


def _marker(shape: str, x: float, y: float, colour: str, hollow: bool) -> str:
    fill = "none" if hollow else colour
    size = 6
    common = f'stroke="{colour}" stroke-width="2" fill="{fill}"'
    if shape == "circle":
        return f'<circle cx="{x}" cy="{y}" r="{size}" {common}/>'
    if shape == "ring":
        return f'<circle cx="{x}" cy="{y}" r="{size}" {common}/><circle cx="{x}" cy="{y}" r="2" fill="{colour}"/>'
    if shape == "square":
        return f'<rect x="{x - size}" y="{y - size}" width="{2 * size}" height="{2 * size}" {common}/>'
    if shape == "diamond":
        points = f"{x},{y - size - 1} {x + size + 1},{y} {x},{y + size + 1} {x - size - 1},{y}"
        return f'<polygon points="{points}" {common}/>'
    if shape == "triangle":
        return f'<polygon points="{x},{y - size - 1} {x + size + 1},{y + size} {x - size - 1},{y + size}" {common}/>'
    if shape == "cross":
        return f'<path d="M{x - size},{y}H{x + size}M{x},{y - size}V{y + size}" stroke="{colour}" stroke-width="3"/>'
    if shape == "x":
        return (
            f'<path d="M{x - size},{y - size}L{x + size},{y + size}M{x - size},{y + size}L{x + size},{y - size}" '
            f'stroke="{colour}" stroke-width="3"/>'
        )
    return (
        f'<circle cx="{x}" cy="{y}" r="{size}" stroke="{colour}" stroke-width="2" fill="none"/>'
        f'<path d="M{x - size},{y + size}L{x + size},{y - size}" stroke="{colour}" stroke-width="2"/>'
    )


@dataclass(frozen=True)
class MapPoint:
    claim_id: str
    label: str
    status: str
    precision: str
    lat: float
    lon: float


def map_svg(points: list[MapPoint], frame: Frame | None = None) -> Markup:
    """The map: borders, halos, markers and labels, with a title and description for screen readers."""
    frame = frame or default_frame()
    height = frame.height
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {height}" width="100%" role="img" '
        'aria-labelledby="map-title map-description" class="claim-map">',
        '<title id="map-title">Claims on the map</title>',
        f'<desc id="map-description">{len(points)} claim places. Shape and label give the status; the shaded '
        "circle around each point is how precisely the place is known.</desc>",
        f'<rect width="{WIDTH}" height="{height}" fill="#e8f0f5"/>',
        '<g class="borders" fill="#f7f5ef" stroke="#8a8a8a" stroke-width="0.8">',
    ]
    for code, rings in sorted(borders()["countries"].items()):
        path = "".join(
            "M" + "L".join(f"{x},{y}" for x, y in (frame.xy(lon, lat) for lon, lat in ring)) + "Z" for ring in rings
        )
        # Every country alike: the map shows where claims are, and takes no side on any line it draws.
        parts.append(f'<path d="{path}"><title>{code}</title></path>')
    parts.append("</g>")
    halos, markers = [], []
    # One label per place drawn: the claims at one point share it ("Kharkiv · 3 claims (2 claimed, 1 refuted)").
    labelled: dict[tuple[str, int, int, str], tuple[float, float, Counter[str]]] = {}
    for point in points:
        x, y = frame.xy(point.lon, point.lat)
        if not (0 <= x <= WIDTH and 0 <= y <= height):
            continue
        shape, colour = STATUS_SHAPES.get(point.status, ("circle", "#555"))
        wide = point.precision in ("region", "country")
        radius = max(3.0, frame.km(HALO_KM.get(point.precision, 10.0)))
        dash = ' stroke-dasharray="6 4"' if wide else ""
        halos.append(
            f'<circle cx="{x}" cy="{y}" r="{radius:.1f}" fill="{colour}" fill-opacity="0.12" stroke="{colour}" '
            f'stroke-opacity="0.6"{dash}><title>{escape(point.label)}: {point.precision}</title></circle>'
        )
        markers.append(
            f'<a href="/claims/{point.claim_id}" aria-label="{escape(point.label)}, {point.status.replace("_", " ")}">'
            + _marker(shape, x, y, colour, hollow=wide)
            + "</a>"
        )
        key = (point.label, round(x), round(y), f" ({point.precision})" if wide else "")
        labelled.setdefault(key, (x, y, Counter()))[2][point.status] += 1
    labels = _placed_labels(
        [
            (x, y, f"{name} · {_statuses(counts)}{precision}")
            for (name, _x, _y, precision), (x, y, counts) in labelled.items()
        ],
        height,
    )
    parts += ['<g class="halos">', *halos, "</g>", '<g class="markers">', *markers, "</g>"]
    parts += ['<g class="labels">', *labels, "</g>", "</svg>"]
    return Markup("".join(parts))  # noqa: S704  # every text in it went through escape()


def _statuses(counts: Counter[str]) -> str:
    """`claimed` for one claim, `4 claimed` for several alike, `3 claims (2 claimed, 1 refuted)` for several
    that differ, in the workflow's order."""
    ordered = [status for status in STATUS_SHAPES if counts[status]] + sorted(set(counts) - set(STATUS_SHAPES))
    if len(ordered) == 1:
        count = counts[ordered[0]]
        return ordered[0].replace("_", " ") if count == 1 else f"{count} {ordered[0].replace('_', ' ')}"
    each = ", ".join(f"{counts[status]} {status.replace('_', ' ')}" for status in ordered)
    return f"{sum(counts.values())} claims ({each})"


LABEL_SIZE = 12
# Wider than the average glyph of a 12 px sans-serif, so that boxes judged apart are apart.
LABEL_CHAR_WIDTH = 7.0
# Where a label may sit around its marker, tried in turn: right above, right below, left above, left below,
# then further out. The first place where it overlaps no label already placed and stays on the map is taken.
LABEL_SPOTS = ((9, -7), (9, 16), (-9, -7), (-9, 16), (9, 30), (-9, 30), (9, -21), (-9, -21), (9, 44), (-9, 44))


def _placed_labels(labels: list[tuple[float, float, str]], height: int) -> list[str]:
    """Each label as SVG text beside its marker, placed so that no two overlap where the spots around it allow
    (a crowded cluster keeps its first spot, overlapping, rather than moving a label away from its place)."""
    boxes: list[tuple[float, float, float, float]] = []
    drawn = []
    for x, y, words in sorted(labels, key=lambda label: (label[1], label[0])):
        width = LABEL_CHAR_WIDTH * len(words)
        choice = None
        for dx, dy in LABEL_SPOTS:
            left = x + dx if dx > 0 else x + dx - width
            box = (left, y + dy - LABEL_SIZE + 1, left + width, y + dy + 3)
            inside = box[0] >= 0 and box[2] <= WIDTH and box[1] >= 0 and box[3] <= height
            if inside and not any(_overlap(box, other) for other in boxes):
                choice = (dx, dy, box)
                break
        if choice is None:
            dx, dy = LABEL_SPOTS[0]
            choice = (dx, dy, (x + dx, y + dy - LABEL_SIZE + 1, x + dx + width, y + dy + 3))
        dx, dy, box = choice
        boxes.append(box)
        anchor = "start" if dx > 0 else "end"
        drawn.append(
            f'<text x="{x + dx:.1f}" y="{y + dy:.1f}" text-anchor="{anchor}" font-size="{LABEL_SIZE}" '
            f'font-family="sans-serif" fill="#111" stroke="#fff" stroke-width="3" paint-order="stroke">'
            f"{escape(words)}</text>"
        )
    return drawn


def _overlap(one: tuple[float, float, float, float], other: tuple[float, float, float, float]) -> bool:
    return one[0] < other[2] and other[0] < one[2] and one[1] < other[3] and other[1] < one[3]


def legend_svg() -> Markup:
    """The status shapes with their words."""
    items = []
    for index, (status, (shape, colour)) in enumerate(STATUS_SHAPES.items()):
        x = 12 + (index % 4) * 170
        y = 16 + (index // 4) * 24
        items.append(_marker(shape, x, y, colour, hollow=False))
        items.append(
            f'<text x="{x + 14}" y="{y + 4}" font-size="13" font-family="sans-serif">{status.replace("_", " ")}</text>'
        )
    return Markup(  # noqa: S704  # the statuses are the vocabulary's own words
        '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 700 60" width="100%" role="img" '
        'aria-label="Legend: the shape of each status">' + "".join(items) + "</svg>"
    )


def timeline_svg(days: dict[date, Counter[str]]) -> Markup:
    """Claims per day, a bar per day stacked by party, with a legend naming each party's fill and a count on
    every segment (so the parties are told apart by words, not only by colour)."""
    if not days:
        return Markup("")
    parties = sorted({party for counts in days.values() for party in counts})
    fills = {party: PARTY_FILLS[index % len(PARTY_FILLS)] for index, party in enumerate(parties)}
    ordered = sorted(days)
    tallest = max(sum(counts.values()) for counts in days.values())
    width, height, base = WIDTH, 260, 200
    step = min(60.0, (width - 60) / len(ordered))
    bar = max(4.0, step * 0.7)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height + 24 * ((len(parties) + 2) // 3)}" '
        'width="100%" role="img" aria-labelledby="timeline-title" class="timeline">',
        '<title id="timeline-title">Claims per day by party</title>',
        f'<line x1="40" y1="{base}" x2="{width - 10}" y2="{base}" stroke="#333"/>',
    ]
    for index, day in enumerate(ordered):
        x = 50 + index * step
        y = float(base)
        for party in parties:
            count = days[day].get(party, 0)
            if not count:
                continue
            segment = count / tallest * (base - 20)
            y -= segment
            parts.append(
                f'<rect x="{x:.1f}" y="{y:.1f}" width="{bar:.1f}" height="{segment:.1f}" fill="{fills[party]}">'
                f"<title>{escape(party)}: {count} on {day.isoformat()}</title></rect>"
            )
            if segment >= 14:
                parts.append(
                    f'<text x="{x + bar / 2:.1f}" y="{y + segment / 2 + 4:.1f}" font-size="11" text-anchor="middle" '
                    f'fill="#fff" font-family="sans-serif">{count}</text>'
                )
        if len(ordered) <= 31 or index % max(1, len(ordered) // 15) == 0:
            parts.append(
                f'<text x="{x + bar / 2:.1f}" y="{base + 16}" font-size="11" text-anchor="middle" '
                f'font-family="sans-serif">{day.strftime("%d %b")}</text>'
            )
    for index, party in enumerate(parties):
        x = 40 + (index % 3) * 300
        y = height + 4 + (index // 3) * 24
        parts.append(f'<rect x="{x}" y="{y - 11}" width="14" height="14" fill="{fills[party]}"/>')
        name = escape(_short(party))
        parts.append(f'<text x="{x + 20}" y="{y + 1}" font-size="13" font-family="sans-serif">{name}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704  # every text in it went through escape()


def _short(name: str, limit: int = 40) -> str:
    return name if len(name) <= limit else name[: limit - 1] + "…"


def per_day_by_party(items: list[tuple[date, str]]) -> dict[date, Counter[str]]:
    days: dict[date, Counter[str]] = defaultdict(Counter)
    for day, party in items:
        days[day][party] += 1
    return dict(days)
