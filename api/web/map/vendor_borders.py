"""Writes api/web/map/borders.json from Natural Earth's 1:50m countries as the npm package world-atlas 2.0.2 ships
them (TopoJSON): only the countries around Ukraine, clipped to the map's frame, rounded to 0.01° (about 1 km).

Run once, by hand, when the vendored file is to change: `npm pack world-atlas@2.0.2`, unpack it, then
`python -m api.web.map.vendor_borders package/countries-50m.json`. Nothing is fetched at run time; the desk's map
reads only borders.json. Natural Earth is public domain; world-atlas is ISC-licensed (see borders.json's `source`).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

# ISO 3166-1 numeric (world-atlas's ids) → alpha-2: Ukraine and its neighbours on the map.
COUNTRIES = {
    "804": "UA", "643": "RU", "112": "BY", "498": "MD", "616": "PL", "642": "RO", "703": "SK", "348": "HU",
    "100": "BG", "792": "TR", "268": "GE", "440": "LT", "428": "LV",
}  # fmt: skip
FRAME = (21.0, 43.5, 41.5, 53.5)  # min lon, min lat, max lon, max lat


def _arcs(topology: dict[str, Any]) -> list[list[tuple[float, float]]]:
    """The topology's arcs, delta-decoded and unquantised to longitude and latitude."""
    (scale_x, scale_y), (translate_x, translate_y) = topology["transform"]["scale"], topology["transform"]["translate"]
    decoded = []
    for arc in topology["arcs"]:
        x = y = 0
        points = []
        for dx, dy in arc:
            x, y = x + dx, y + dy
            points.append((x * scale_x + translate_x, y * scale_y + translate_y))
        decoded.append(points)
    return decoded


def _ring(arcs: list[list[tuple[float, float]]], indexes: list[int]) -> list[tuple[float, float]]:
    ring: list[tuple[float, float]] = []
    for index in indexes:
        points = arcs[index] if index >= 0 else list(reversed(arcs[~index]))
        ring.extend(points if not ring else points[1:])
    return ring


def _clip(ring: list[tuple[float, float]], margin: float = 1.0) -> list[tuple[float, float]]:
    """The ring clipped to the frame and a margin (Sutherland–Hodgman, one edge of the rectangle at a time)."""
    low_x, low_y, high_x, high_y = FRAME[0] - margin, FRAME[1] - margin, FRAME[2] + margin, FRAME[3] + margin
    # Each edge of the rectangle: the axis (0 longitude, 1 latitude), the bound, and which side is kept.
    edges = ((0, low_x, True), (0, high_x, False), (1, low_y, True), (1, high_y, False))
    points = ring
    for axis, bound, above in edges:

        def inside(point: tuple[float, float], axis: int = axis, bound: float = bound, above: bool = above) -> bool:
            return point[axis] >= bound if above else point[axis] <= bound

        def cross(a: tuple[float, float], b: tuple[float, float], axis: int = axis, bound: float = bound) -> Any:
            return _cross_x(a, b, bound) if axis == 0 else _cross_y(a, b, bound)

        if not points:
            break
        clipped: list[tuple[float, float]] = []
        for index, current in enumerate(points):
            previous = points[index - 1]
            if inside(current):
                if not inside(previous):
                    clipped.append(cross(previous, current))
                clipped.append(current)
            elif inside(previous):
                clipped.append(cross(previous, current))
        points = clipped
    return points


def _cross_x(a: tuple[float, float], b: tuple[float, float], x: float) -> tuple[float, float]:
    t = (x - a[0]) / (b[0] - a[0])
    return x, a[1] + t * (b[1] - a[1])


def _cross_y(a: tuple[float, float], b: tuple[float, float], y: float) -> tuple[float, float]:
    t = (y - a[1]) / (b[1] - a[1])
    return a[0] + t * (b[0] - a[0]), y


def _inside(point: tuple[float, float], margin: float = 3.0) -> bool:
    lon, lat = point
    return FRAME[0] - margin <= lon <= FRAME[2] + margin and FRAME[1] - margin <= lat <= FRAME[3] + margin


def main(path: str) -> None:
    topology = json.loads(Path(path).read_text("utf-8"))
    arcs = _arcs(topology)
    countries: dict[str, list[list[list[float]]]] = {}
    for geometry in topology["objects"]["countries"]["geometries"]:
        code = COUNTRIES.get(geometry.get("id", ""))
        if code is None:
            continue
        polygons = geometry["arcs"] if geometry["type"] == "MultiPolygon" else [geometry["arcs"]]
        rings = []
        for polygon in polygons:
            outer = _clip(_ring(arcs, polygon[0]))
            if len(outer) < 3:
                continue
            kept = [outer[0]]
            for point in outer[1:]:
                if abs(point[0] - kept[-1][0]) + abs(point[1] - kept[-1][1]) >= 0.02:
                    kept.append(point)
            rings.append([[round(lon, 2), round(lat, 2)] for lon, lat in kept])
        countries[code] = rings
    document = {
        "source": "Natural Earth 1:50m admin-0 countries (public domain), via world-atlas 2.0.2 (npm, ISC licence, "
        "countries-50m.json sha256 04342cdc1e3016bcd7db1630de95684d67b79fe3c8c460321e87aef469502394); only the "
        "countries of the desk's map, outer rings clipped to the map's frame, 0.02° steps.",
        "frame": FRAME,
        "countries": countries,
    }
    target = Path(__file__).with_name("borders.json")
    target.write_text(json.dumps(document, separators=(",", ":")) + "\n", "utf-8")
    print(f"wrote {target} ({target.stat().st_size} bytes)")


if __name__ == "__main__":
    main(sys.argv[1])
