"""Fill a fresh claimdb database with realistic claims in bulk, for the query benchmark (bench/README.md).

    .venv/bin/python bench/fill.py --database-url sqlite:////tmp/claimdb-bench.sqlite3 --claims 1000000 --sources 2000

The database is migrated with Alembic (`api.migrate.upgrade`), then filled with batched `executemany` inserts
through SQLAlchemy Core on the model tables (so ids, times and JSON are stored exactly as the app stores them),
or with COPY on PostgreSQL. Nothing goes through HTTP.

What it writes, all generated from one seed so that two runs give the same database:
- actors (an admin, analysts, reviewers), each with its `actor.created` event;
- sources in parent trees (organisations, their units, spokespeople and deputies), with names and aliases in
  `source_names`, each with its `source.created` event; claims are spread over them unevenly, so a few sources
  hold tens of thousands of claims and most hold a few hundred;
- documents (reports by media sources), each with its `document.created` event;
- claims with templated statements naming places, English, Ukrainian or Russian quotes, places, tags,
  intermediaries (`via`), speakers and documents, each with its `claim.created` event;
- a verification history for most claims: `claim.status_changed` events (claimed → under_review → a reviewed
  status, or claimed → retracted), with independent evidence (`evidence.added`) before a claim is confirmed,
  corroborated or refuted; each claim's status, status_changed_at, seconds_to_first_review and version match its events.

Every event is hashed with `api.services.ledger.canonical_bytes` in `seq` order and stamped no earlier than its
predecessor, so `GET /v1/audit/verify` (and `claimdb verify`) find the chain intact afterwards. The writer process
builds the Merkle tree over those leaves (`tree_hashes`) as the ledger would, batch by batch in seq order.
"""

from __future__ import annotations

import argparse
import bisect
import gc
import hashlib
import heapq
import itertools
import json
import multiprocessing
import operator
import queue
import random
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

PROJECT_ROOT = Path(__file__).resolve().parent.parent
if str(PROJECT_ROOT) not in sys.path:
    sys.path.insert(0, str(PROJECT_ROOT))

from sqlalchemy import JSON, Table, Uuid, create_engine, text  # noqa: E402

from api.database import normalise_url  # noqa: E402
from api.migrate import upgrade  # noqa: E402
from api.services import merkle  # noqa: E402
from api.services.claims.records import claim_rows, created_payload, place_names  # noqa: E402
from api.services.documents import document_record  # noqa: E402
from api.services.ledger import GENESIS_HASH, canonical_bytes  # noqa: E402
from api.services.matching.index import term_rows  # noqa: E402
from api.services.names import name_key  # noqa: E402
from api.services.sources import SourceRecord, source_record  # noqa: E402
from api.services.verdicts import assertion_sha256  # noqa: E402
from models import (  # noqa: E402
    Actor,
    Claim,
    ClaimMatchTerm,
    ClaimPlace,
    ClaimTag,
    ClaimVia,
    Document,
    Event,
    Evidence,
    Source,
    SourceName,
    Verdict,
    VerdictEvidence,
)
from models.base import UTCDateTime  # noqa: E402
from models.vocabulary import REVIEWED_STATUSES  # noqa: E402

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
REVIEWED = frozenset(status.value for status in REVIEWED_STATUSES)
# Sources and actors are recorded at the start; claims are recorded over the rest of the span; reviews may
# follow a claim by up to ~45 days, so the whole ledger lies in the past.
START = datetime(2022, 2, 20, tzinfo=UTC)
CLAIMS_FROM = datetime(2022, 2, 24, 4, 0, tzinfo=UTC)
CLAIMS_TO = datetime(2026, 9, 30, tzinfo=UTC)
SECOND = 1_000_000  # microseconds

# ---- vocabulary -------------------------------------------------------------------------------------

# English name, Ukrainian (for quotes)
PLACES = [
    ("Kharkiv", "Харків"),
    ("Izium", "Ізюм"),
    ("Kupiansk", "Куп'янськ"),
    ("Bakhmut", "Бахмут"),
    ("Avdiivka", "Авдіївка"),
    ("Mariupol", "Маріуполь"),
    ("Zaporizhzhia", "Запоріжжя"),
    ("Kherson", "Херсон"),
    ("Mykolaiv", "Миколаїв"),
    ("Odesa", "Одеса"),
    ("Dnipro", "Дніпро"),
    ("Kramatorsk", "Краматорськ"),
    ("Sloviansk", "Слов'янськ"),
    ("Lyman", "Лиман"),
    ("Sievierodonetsk", "Сєвєродонецьк"),
    ("Lysychansk", "Лисичанськ"),
    ("Pokrovsk", "Покровськ"),
    ("Vuhledar", "Вугледар"),
    ("Chernihiv", "Чернігів"),
    ("Sumy", "Суми"),
    ("Kyiv", "Київ"),
    ("Lviv", "Львів"),
    ("Melitopol", "Мелітополь"),
    ("Berdiansk", "Бердянськ"),
    ("Enerhodar", "Енергодар"),
    ("Nova Kakhovka", "Нова Каховка"),
    ("Donetsk", "Донецьк"),
    ("Luhansk", "Луганськ"),
    ("Horlivka", "Горлівка"),
    ("Toretsk", "Торецьк"),
    ("Chasiv Yar", "Часів Яр"),
    ("Robotyne", "Роботине"),
    ("Orikhiv", "Оріхів"),
    ("Huliaipole", "Гуляйполе"),
    ("Velyka Novosilka", "Велика Новосілка"),
    ("Siversk", "Сіверськ"),
    ("Soledar", "Соледар"),
    ("Kostiantynivka", "Костянтинівка"),
    ("Balakliia", "Балаклія"),
    ("Vovchansk", "Вовчанськ"),
    ("Kreminna", "Кремінна"),
    ("Svatove", "Сватове"),
    ("Bilohorivka", "Білогорівка"),
    ("Marinka", "Мар'їнка"),
    ("Krynky", "Кринки"),
    ("Bucha", "Буча"),
    ("Irpin", "Ірпінь"),
    ("Hostomel", "Гостомель"),
    ("Borodianka", "Бородянка"),
    ("Okhtyrka", "Охтирка"),
    ("Konotop", "Конотоп"),
    ("Poltava", "Полтава"),
    ("Kryvyi Rih", "Кривий Ріг"),
    ("Nikopol", "Нікополь"),
    ("Uman", "Умань"),
    ("Vinnytsia", "Вінниця"),
    ("Zhytomyr", "Житомир"),
    ("Rivne", "Рівне"),
    ("Lutsk", "Луцьк"),
    ("Ternopil", "Тернопіль"),
    ("Khmelnytskyi", "Хмельницький"),
    ("Chernivtsi", "Чернівці"),
    ("Uzhhorod", "Ужгород"),
    ("Ivano-Frankivsk", "Івано-Франківськ"),
    ("Kropyvnytskyi", "Кропивницький"),
    ("Cherkasy", "Черкаси"),
    ("Belgorod", "Бєлгород"),
    ("Kursk", "Курськ"),
    ("Bryansk", "Брянськ"),
    ("Sevastopol", "Севастополь"),
    ("Simferopol", "Сімферополь"),
    ("Kerch", "Керч"),
    ("Dzhankoi", "Джанкой"),
    ("Snake Island", "Зміїний"),
    ("Azovstal", "Азовсталь"),
    ("Tokmak", "Токмак"),
    ("Pivdennoukrainsk", "Південноукраїнськ"),
    ("Starobilsk", "Старобільськ"),
]
PLACE_WEIGHTS = [1.0 / (rank + 4) for rank in range(len(PLACES))]

# (weight, statement, tags the statement suggests). `{p}` and `{q}` are places, `{n}`/`{m}`/`{k}` numbers,
# `{side}` a party to the fighting. "thermobaric" appears in about one claim in a thousand: the rare search word.
STATEMENTS: list[tuple[float, str, tuple[str, ...]]] = [
    (6, "{side} forces repelled {n} attacks near {p} over the past day.", ("frontline",)),
    (5, "{n} civilians were killed and {m} injured in shelling of {p}.", ("shelling", "casualties")),
    (
        5,
        "Air defence shot down {n} of {m} drones launched overnight, most of them over {p}.",
        ("drones", "air defence"),
    ),
    (4, "A missile strike hit a residential building in {p}, injuring {n} people.", ("missile strike", "casualties")),
    (4, "{side} troops withdrew from positions near {p} to avoid encirclement.", ("withdrawal", "frontline")),
    (4, "The situation around {p} remains difficult; {side} forces continue assault operations.", ("frontline",)),
    (3, "{n} people were evacuated from {p} through a humanitarian corridor.", ("evacuation", "humanitarian")),
    (3, "Power was restored to {n} households in {p} after overnight strikes on energy infrastructure.", ("energy",)),
    (3, "{side} forces advanced up to {k} kilometres near {p}.", ("counteroffensive", "frontline")),
    (3, "The enemy lost {n} personnel, {k} tanks and {m} artillery systems over the past day.", ("losses",)),
    (2, "Grain exports through {p} resumed after a {k}-day pause.", ("grain", "shipping")),
    (
        2,
        "{side} forces are likely preparing an offensive toward {p}, according to the assessment.",
        ("assessment", "frontline"),
    ),
    (2, "Negotiations on an exchange of {n} prisoners of war are under way.", ("prisoner exchange", "negotiations")),
    (2, "Drones attacked an oil depot near {p}, starting a fire that was put out by morning.", ("drones", "energy")),
    (2, "A convoy of {n} vehicles was seen moving from {p} toward {q}.", ("logistics", "frontline")),
    (2, "Shelling damaged a school and a hospital in {p}; no casualties were reported.", ("shelling",)),
    (2, "The Zaporizhzhia nuclear power plant lost external power for {k} hours.", ("nuclear safety",)),
    (2, "{side} forces destroyed a bridge across the river near {p}.", ("infrastructure", "frontline")),
    (2, "{n} residents of {p} remain without water after a pumping station was hit.", ("infrastructure",)),
    (1.5, "A railway junction near {p} was struck overnight, halting traffic toward {q}.", ("logistics",)),
    (1.5, "Partisans claimed responsibility for an explosion at a barracks in {p}.", ("sabotage",)),
    (1.5, "{side} aviation carried out {k} strikes on positions near {p}.", ("air strike", "frontline")),
    (1.5, "A ballistic missile was intercepted over {p}; debris fell on a residential area.", ("missile strike",)),
    (1, "Mobilisation notices were handed out at checkpoints near {p}.", ("mobilisation",)),
    (1, "The port of {p} was struck by {k} missiles; grain silos were damaged.", ("grain", "missile strike")),
    (1, "A humanitarian convoy with {n} tonnes of aid reached {p}.", ("humanitarian",)),
    (1, "Electronic warfare units jammed satellite navigation around {p} for {k} hours.", ("electronic warfare",)),
    (1, "{side} forces regained control of the village east of {p}.", ("counteroffensive",)),
    (0.8, "A cross-border raid on {p} was repelled, with {n} attackers killed.", ("raid",)),
    (0.8, "The head of the regional administration in {p} was dismissed.", ("politics",)),
    (0.1, "{side} forces used thermobaric rockets against positions near {p}.", ("weapons",)),
]
SIDES = ["Ukrainian", "Russian", "Ukrainian", "Russian", "Wagner", "Belarusian", "Ukrainian"]

QUOTES_EN = [
    "The enemy retreats in some directions.",
    "The situation remains extremely critical.",
    "We are holding our positions near {p}.",
    "Our defenders continue to inflict losses on the enemy.",
    "There is no threat of encirclement at the moment.",
    "The shelling did not stop for a single hour.",
    "We call on residents of {p} to evacuate.",
    "All targets were hit.",
    "This is a deliberate attack on civilians.",
    "The information is being verified.",
    "Repairs will take several days.",
    "Active hostilities in the {p} area have ceased.",
    "The enemy is regrouping and preparing for a new assault.",
    "There were no military targets in {p}.",
]
QUOTES_UK = [
    "Ситуація в районі {p} залишається складною.",
    "Ворог відступає на деяких напрямках.",
    "Наші захисники утримують позиції біля {p}.",
    "Противник зазнав значних втрат.",
    "Закликаємо мешканців {p} евакуюватися.",
    "Обстріли не припинялися жодної години.",
    "Інформація уточнюється.",
    "Ремонтні роботи триватимуть кілька днів.",
    "Загрози оточення наразі немає.",
]
QUOTES_RU = [
    "Противник понёс значительные потери.",
    "Все цели поражены.",
    "Обстановка в районе {p} остаётся напряжённой.",
    "Подразделения продолжают наступление.",
    "Информация проверяется.",
]

CHANNELS = [
    ("statement", 14),
    ("briefing", 8),
    ("update", 16),
    ("telegram", 22),
    ("social_media", 12),
    ("interview", 6),
    ("broadcast", 5),
    ("assessment", 6),
    ("press_release", 8),
    ("other", 3),
]
CHANNEL_DETAILS = [
    "in its morning update",
    "in its evening update",
    "on its Telegram channel",
    "told broadcaster Suspilne",
    "told Reuters",
    "at a press briefing",
    "in a video address",
    "on national television",
    "in a post on X",
]
PRECISIONS = [("minute", 40), ("hour", 20), ("day", 35), ("month", 5)]
EXTRA_TAGS = ["verified footage", "ukraine", "russia", "war", "donbas", "south", "north", "east", "urgent"]

# The verification history a claim gets: (weight, statuses it moves through after `claimed`, evidence stance).
STATUS_PATHS: list[tuple[float, tuple[str, ...], str | None]] = [
    (40, (), None),
    (14, ("under_review",), None),
    (10, ("under_review", "corroborated"), "supports"),
    (9, ("under_review", "confirmed"), "supports"),
    (9, ("under_review", "disputed"), None),
    (5, ("under_review", "refuted"), "contradicts"),
    (8, ("under_review", "unverifiable"), None),
    (5, ("retracted",), None),
]
RATIONALES = {
    "under_review": "Opened for review: {n} related reports.",
    "corroborated": "Corroborated by an independent report from another party.",
    "confirmed": "Confirmed by imagery and an independent official record.",
    "disputed": "Other parties dispute the figures given.",
    "refuted": "Independent evidence contradicts the claim.",
    "unverifiable": "No independent means to verify the claim.",
    "retracted": "The source withdrew the claim in a later statement.",
}

FIRST_NAMES = [
    "Oleksandr",
    "Oleh",
    "Iryna",
    "Andriy",
    "Natalia",
    "Serhiy",
    "Yuliia",
    "Dmytro",
    "Olena",
    "Vitaliy",
    "Mykhailo",
    "Tetiana",
    "Yurii",
    "Kateryna",
    "Bohdan",
    "Oksana",
    "Ivan",
    "Svitlana",
    "Maksym",
    "Anna",
    "Igor",
    "Sergei",
    "Maria",
    "Alexei",
    "Dmitry",
    "John",
    "Sarah",
    "Michael",
    "Emily",
    "David",
    "Laura",
    "Pavlo",
    "Roman",
    "Halyna",
    "Vadym",
]
LAST_NAMES = [
    "Shevchenko",
    "Kovalenko",
    "Bondarenko",
    "Tkachenko",
    "Kravchenko",
    "Oliinyk",
    "Shevchuk",
    "Polishchuk",
    "Lysenko",
    "Marchenko",
    "Moroz",
    "Rudenko",
    "Savchenko",
    "Petrenko",
    "Klymenko",
    "Pavlenko",
    "Melnyk",
    "Boiko",
    "Kuzmenko",
    "Ivanov",
    "Smirnov",
    "Kuznetsov",
    "Popov",
    "Sokolov",
    "Volkov",
    "Novak",
    "Hrytsenko",
    "Synehubov",
    "Humeniuk",
    "Palmer",
    "Miller",
    "Harris",
    "Kolesnyk",
    "Fedorov",
    "Zhuk",
    "Dovhan",
    "Sydorenko",
    "Levchenko",
]
ROOT_KINDS = [
    ("military", 26),
    ("government", 14),
    ("official", 18),
    ("think_tank", 7),
    ("armed_group", 6),
    ("media", 16),
    ("ngo", 9),
    ("other", 4),
]
AFFILIATIONS = [("UA", 55), ("RU", 25), ("US", 7), ("GB", 4), ("EU", 4), ("UN", 3), ("BY", 2)]
ORDINAL_SUFFIX = {1: "st", 2: "nd", 3: "rd"}
UNIT_TYPES = [
    "Separate Mechanized Brigade",
    "Separate Assault Brigade",
    "Territorial Defence Brigade",
    "Motor Rifle Division",
    "Airborne Assault Brigade",
    "Artillery Brigade",
    "Marine Brigade",
    "Tank Brigade",
    "Guards Motor Rifle Regiment",
    "Operational Group",
]
REGIONS = ["East", "South", "North", "West", "Centre", "Khortytsia", "Tavria", "Siversk", "Donetsk", "Luhansk"]
PORTFOLIOS = [
    "Defence",
    "Foreign Affairs",
    "Internal Affairs",
    "Energy",
    "Health",
    "Infrastructure",
    "Reintegration",
    "Agrarian Policy",
    "Justice",
    "Emergency Situations",
]
COUNTRIES = {"UA": "Ukraine", "RU": "Russia", "US": "the United States", "GB": "the United Kingdom", "BY": "Belarus"}
MEDIA_WORDS = ["Herald", "Today", "Pravda", "News", "Post", "Chronicle", "Daily", "Observer", "Tribune", "Wire", "24"]
MEDIA_ADJECTIVES = ["Eastern", "Kyiv", "Free", "Independent", "Frontline", "Black Sea", "Dnipro", "Northern", "Public"]
TOPICS = ["Security", "Conflict", "Defence", "Strategic", "Eastern European", "Black Sea", "Humanitarian", "War"]
ROLES = ["spokesman", "spokeswoman", "head", "deputy head", "commander", "press officer", "minister", "analyst"]


def weighted(options: list[tuple[Any, float]]) -> tuple[list[Any], list[float]]:
    values, weights = zip(*options, strict=True)
    return list(values), list(itertools.accumulate(weights))


# ---- generation -------------------------------------------------------------------------------------


@dataclass
class SourceInfo:
    id: uuid.UUID
    name: str
    kind: str
    party: uuid.UUID
    speakers: list[uuid.UUID] = field(default_factory=list)


class Generator:
    """Deterministic rows for every table, from one seed."""

    def __init__(self, seed: int, claims: int, sources: int) -> None:
        self.random = random.Random(seed)
        self.claims = claims
        self.source_count = sources
        self.used_name_keys: set[str] = set()
        self.sources: list[SourceInfo] = []
        self.media: list[SourceInfo] = []
        self.channels, self.channel_weights = weighted(CHANNELS)
        self.precisions, self.precision_weights = weighted(PRECISIONS)
        self.statement_weights = list(itertools.accumulate(weight for weight, _s, _t in STATEMENTS))
        self.path_weights = list(itertools.accumulate(weight for weight, _p, _e in STATUS_PATHS))
        self.place_cumulative = list(itertools.accumulate(PLACE_WEIGHTS))

    def pick(self, cumulative: list[float]) -> int:
        """An index drawn with the weights whose running totals are `cumulative` (random.choices, faster)."""
        return bisect.bisect(cumulative, self.random.random() * cumulative[-1])

    def new_id(self) -> uuid.UUID:
        return uuid.UUID(int=self.random.getrandbits(128), version=4)

    def claim_name(self, name: str) -> str | None:
        key = name_key(name)
        if key in self.used_name_keys:
            return None
        self.used_name_keys.add(key)
        return name

    # -- sources

    def _root_name(self, kind: str, affiliation: str) -> str:
        pick = self.random.choice
        country = COUNTRIES.get(affiliation, "Ukraine")
        if kind == "military":
            number = self.random.randint(1, 250)
            suffix = "th" if 10 <= number % 100 <= 20 else ORDINAL_SUFFIX.get(number % 10, "th")
            return pick(
                [
                    f"{number}{suffix} {pick(UNIT_TYPES)}",
                    f"Operational Command {pick(REGIONS)}",
                    f"{pick(REGIONS)} Group of Forces",
                    f"Ministry of Defence of {country}",
                    f"General Staff of the Armed Forces of {country}",
                ]
            )
        if kind == "government":
            return f"Ministry of {pick(PORTFOLIOS)} of {country}"
        if kind == "official":
            place = pick(PLACES)[0]
            return pick(
                [
                    f"{place} Regional Military Administration",
                    f"{place} City Military Administration",
                    f"{place} City Council",
                    f"Prosecutor's Office of {place}",
                    f"State Emergency Service in {place}",
                ]
            )
        if kind == "think_tank":
            return pick([f"Institute for {pick(TOPICS)} Studies", f"Centre for {pick(TOPICS)} Research"])
        if kind == "armed_group":
            return pick([f"{pick(PLACES)[0]} Volunteer Battalion", f"{pick(REGIONS)} Partisan Movement"])
        if kind == "media":
            return pick(
                [
                    f"{pick(MEDIA_ADJECTIVES)} {pick(MEDIA_WORDS)}",
                    f"{pick(PLACES)[0]} {pick(MEDIA_WORDS)}",
                    f"Radio {pick(PLACES)[0]}",
                ]
            )
        if kind == "ngo":
            return pick([f"{pick(PLACES)[0]} Human Rights Group", f"{pick(TOPICS)} Monitoring Mission"])
        return f"{pick(PLACES)[0]} Volunteer Network"

    def _unique(self, make: Any) -> str:
        for attempt in range(50):
            name = make()
            if attempt >= 5:
                name = f"{name} ({self.random.randint(2, 999)})"
            if self.claim_name(name):
                return name
        raise RuntimeError("could not find a unique source name")

    def _acronym(self, name: str) -> str | None:
        letters = "".join(word[0] for word in name.split() if word[0].isupper())
        return letters if len(letters) >= 3 and self.claim_name(letters) else None

    def sources_rows(self, at: datetime) -> Iterator[SourceRecord]:
        """Each source's rows and payload (`sources.source_record`, as the app builds them), parents first."""
        kinds, kind_weights = weighted(ROOT_KINDS)
        affiliations, affiliation_weights = weighted(AFFILIATIONS)
        organisations: list[tuple[SourceInfo, str]] = []  # (source, affiliation), possible parents
        people_parents: list[tuple[SourceInfo, str]] = []
        for index in range(self.source_count):
            parent: SourceInfo | None = None
            roll = self.random.random()
            role = None
            if index < 40 or roll < 0.40 or not organisations:
                kind = self.random.choices(kinds, cum_weights=kind_weights)[0]
                affiliation = self.random.choices(affiliations, cum_weights=affiliation_weights)[0]
                name = self._unique(lambda kind=kind, affiliation=affiliation: self._root_name(kind, affiliation))
            elif roll < 0.55:  # a unit or department under an organisation
                parent, affiliation = self.random.choice(organisations)
                kind = parent.kind
                name = self._unique(lambda parent=parent: f"{parent.name} — {self.random.choice(REGIONS)} Directorate")
            else:  # a person speaking for an organisation, or a spokesperson's deputy
                if people_parents and self.random.random() < 0.15:
                    parent, affiliation = self.random.choice(people_parents)
                    role = "deputy spokesperson"
                else:
                    parent, affiliation = self.random.choice(organisations)
                    role = self.random.choice(ROLES)
                kind = "individual"
                name = self._unique(lambda: f"{self.random.choice(FIRST_NAMES)} {self.random.choice(LAST_NAMES)}")
            source_id = self.new_id()
            info = SourceInfo(source_id, name, kind, parent.party if parent else source_id)
            self.sources.append(info)
            if kind == "individual":
                people_parents.append((info, affiliation))
                if parent is not None:
                    parent.speakers.append(source_id)
            else:
                organisations.append((info, affiliation))
            if kind == "media":
                self.media.append(info)
            aliases = []
            if kind != "individual" and self.random.random() < 0.35:
                acronym = self._acronym(name)
                if acronym:
                    aliases.append(acronym)
            yield source_record(
                source_id,
                name=name,
                kind=kind,
                at=at + timedelta(seconds=index),
                aliases=aliases,
                affiliation=affiliation,
                parent_id=parent.id if parent else None,
                role=role,
                reliability=self.random.choice("ABCCCDDEFF"),
                url=f"https://source-{index}.example.org/" if kind != "individual" else None,
            )

    # -- claims

    def places_for(self) -> list[int]:
        count = self.pick([5, 70, 93, 100])
        picked: list[int] = []
        while len(picked) < count:
            index = self.pick(self.place_cumulative)
            if index not in picked:
                picked.append(index)
        return picked


# ---- writing ----------------------------------------------------------------------------------------

# Parents before children, so that foreign keys hold at every commit.
TABLE_ORDER = (
    "actors",
    "sources",
    "source_names",
    "documents",
    "claims",
    "claim_places",
    "claim_tags",
    "claim_via",
    "claim_match_terms",
    "evidence",
    "events",
    "verdicts",
    "verdict_evidence",
)
TABLES: dict[str, Table] = {
    model.__tablename__: model.__table__  # type: ignore[misc]
    for model in (
        Actor, Source, SourceName, Document, Claim, ClaimPlace, ClaimTag, ClaimVia, ClaimMatchTerm, Evidence, Event,
        Verdict, VerdictEvidence,
    )
}  # fmt: skip
COLUMNS = {name: tuple(column.name for column in table.columns) for name, table in TABLES.items()}
Batch = dict[str, list[tuple[Any, ...]]]
# A batch's leaf hashes (not a table): the writer turns them into `tree_hashes` rows.
TREE_LEAVES = "tree leaves"


def as_tuple(table: str, row: dict[str, Any]) -> tuple[Any, ...]:
    return tuple(row[name] for name in COLUMNS[table])


def fast_converters(dialect: Any) -> dict[str, list[tuple[int, Any, Any]]]:
    """Per table, (column index, converter, SQLAlchemy's own bind processor) for each column that needs one.

    SQLAlchemy's processors are general (and slow: a few microseconds per timestamp); these do the same
    for the values this script makes, and `check_conversion` proves on every batch that they agree.
    """
    is_sqlite = dialect.name == "sqlite"
    converters: dict[str, list[tuple[int, Any, Any]]] = {}
    for name, table in TABLES.items():
        converters[name] = []
        for index, column in enumerate(table.columns):
            processor = column.type.dialect_impl(dialect).bind_processor(dialect)
            if isinstance(column.type, JSON):
                # SQLite: the serializer SQLAlchemy's JSON type uses by default; psycopg: its Json wrapper
                converter = json.dumps if is_sqlite else processor
            elif not is_sqlite:
                continue  # psycopg adapts UUIDs and aware datetimes itself
            elif isinstance(column.type, Uuid):
                converter = operator.attrgetter("hex")
            elif isinstance(column.type, UTCDateTime):
                converter = sqlite_timestamp
            elif processor is None:
                continue
            else:
                converter = processor
            converters[name].append((index, converter, processor))
    return converters


def sqlite_timestamp(moment: datetime) -> str:
    """What `UTCDateTime` stores on SQLite for an aware UTC time: naive UTC text with microseconds."""
    return moment.isoformat(" ", "microseconds")[:26]


def check_conversion(table: str, rows: list[Any], converters: list[tuple[int, Any, Any]]) -> None:
    for row in rows[:20]:
        for index, converter, processor in converters:
            value = row[index]
            if (
                value is not None
                and processor is not None
                and converter is not processor
                and converter(value) != processor(value)
            ):
                raise AssertionError(f"{table}.{COLUMNS[table][index]}: {converter(value)!r} != {processor(value)!r}")


# PostgreSQL: the filled tables' foreign keys, and their indexes other than those behind a primary key or a
# unique constraint (which the foreign keys refer to), each with the SQL that recreates it.
_POSTGRES_DEFERRED = """
    SELECT 'constraint', c.conname, t.relname,
           format('ALTER TABLE %%I ADD CONSTRAINT %%I %%s', t.relname, c.conname, pg_get_constraintdef(c.oid))
    FROM pg_constraint c JOIN pg_class t ON t.oid = c.conrelid
    WHERE c.contype = 'f' AND t.relname = ANY(%(tables)s) AND t.relnamespace = current_schema()::regnamespace
    UNION ALL
    SELECT 'index', x.relname, t.relname, pg_get_indexdef(i.indexrelid)
    FROM pg_index i JOIN pg_class x ON x.oid = i.indexrelid JOIN pg_class t ON t.oid = i.indrelid
    WHERE t.relname = ANY(%(tables)s) AND t.relnamespace = current_schema()::regnamespace
      AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)
"""


def write_batches(database_url: str, batches: Any, written: Any) -> None:
    """The writer process: convert values as the model types would, then insert with the driver.

    Values land exactly as the app writes them (32-hex UUIDs and naive-UTC text on SQLite): see
    `fast_converters`. The driver's executemany (SQLite) or COPY (PostgreSQL) does the rest without
    per-statement overhead. The secondary indexes (and on SQLite the full-text trigger, on PostgreSQL the
    foreign keys) are dropped while filling and recreated from their own SQL afterwards: building an index
    from sorted data once is far cheaper than keeping it up to date row by row, and adding a foreign key
    checks every row in one join instead of one lookup per row. Recreating them checks what they enforce.
    The database is a fresh one, filled from scratch again if anything fails.
    """
    gc.disable()
    engine = create_engine(normalise_url(database_url))
    dialect = engine.dialect
    is_sqlite = dialect.name == "sqlite"
    converters = fast_converters(dialect)
    statements = {
        name: f"INSERT INTO {name} ({', '.join(COLUMNS[name])}) VALUES ({', '.join('?' * len(COLUMNS[name]))})"
        if is_sqlite
        else f"COPY {name} ({', '.join(COLUMNS[name])}) FROM STDIN"
        for name in TABLES
    }
    with engine.connect() as connection:
        raw: Any = connection.connection.driver_connection
        connection.rollback()
        deferred: list[tuple[str, str, str, str]] = []  # (kind, name, table, the SQL that recreates it)
        if is_sqlite:
            # A fresh file, rebuilt from scratch if anything fails: no journal or fsync while filling.
            for pragma in ("journal_mode = OFF", "synchronous = OFF", "cache_size = -2000000", "temp_store = MEMORY"):
                raw.execute(f"PRAGMA {pragma}")
            listed = ", ".join(f"'{name}'" for name in TABLE_ORDER)
            deferred = raw.execute(
                "SELECT type, name, tbl_name, sql FROM sqlite_master WHERE sql IS NOT NULL AND "
                f"((type = 'index' AND tbl_name IN ({listed})) OR (type = 'trigger' AND name = 'claims_fts_insert'))"
            ).fetchall()
            for kind, name, _table, _sql in deferred:
                raw.execute(f"DROP {kind.upper()} {name}")
            raw.commit()
        else:
            raw.execute("SET synchronous_commit = off")
            deferred = raw.execute(_POSTGRES_DEFERRED, {"tables": list(TABLE_ORDER)}).fetchall()
            for kind, name, table, _sql in deferred:
                raw.execute(
                    f'ALTER TABLE "{table}" DROP CONSTRAINT "{name}"'
                    if kind == "constraint"
                    else f'DROP INDEX "{name}"'
                )
            raw.commit()
        cursor = raw.cursor()
        edge = merkle.Edge(0, ())
        while True:
            batch: Batch | None = batches.get()
            if batch is None:
                break
            count = 0
            for name in TABLE_ORDER:
                rows = batch.get(name)
                if not rows:
                    continue
                table_converters = converters[name]
                if table_converters:
                    check_conversion(name, rows, table_converters)
                    converted = []
                    for row in rows:
                        values = list(row)
                        for index, converter, _processor in table_converters:
                            value = values[index]
                            if value is not None:
                                values[index] = converter(value)
                        converted.append(values)
                else:
                    converted = rows  # type: ignore[assignment]
                if is_sqlite:
                    cursor.executemany(statements[name], converted)
                else:
                    with cursor.copy(statements[name]) as copy:
                        for values in converted:
                            copy.write_row(values)
                count += len(rows)
            leaves: list[bytes] | None = batch.get(TREE_LEAVES)  # type: ignore[assignment]
            if leaves:
                # The subtree hashes these leaves complete, in seq order, as `ledger.append_many` stores them.
                first = merkle.stored_count(edge.size)
                edge, hashes = merkle.extend(edge, leaves)
                tree_rows = [(first + offset, node) for offset, node in enumerate(hashes)]
                if is_sqlite:
                    cursor.executemany("INSERT INTO tree_hashes (position, hash) VALUES (?, ?)", tree_rows)
                else:
                    with cursor.copy("COPY tree_hashes (position, hash) FROM STDIN") as copy:
                        for tree_row in tree_rows:
                            copy.write_row(tree_row)
                count += len(tree_rows)
            raw.commit()
            written.put(count)
        indexes = [sql for kind, _name, _table, sql in deferred if kind == "index"]
        written.put(("status", f"recreating {len(indexes)} indexes"))
        if is_sqlite:
            raw.execute("PRAGMA threads = 2")  # the generator is done: let index sorts use the second core
            for sql in indexes:
                raw.execute(sql)
            raw.commit()
            written.put(("status", "building the full-text index"))
            raw.execute("INSERT INTO claims_fts(claims_fts) VALUES ('rebuild')")
            for kind, _name, _table, sql in deferred:
                if kind == "trigger":
                    raw.execute(sql)
            raw.commit()
            raw.execute("PRAGMA journal_mode = WAL")
        else:
            raw.execute("SET maintenance_work_mem = '512MB'")
            for sql in indexes:
                raw.execute(sql)
            written.put(("status", f"checking {len(deferred) - len(indexes)} foreign keys"))
            for kind, _name, _table, sql in deferred:
                if kind == "constraint":
                    raw.execute(sql)
            raw.commit()
            # What autovacuum would soon do after a bulk load: statistics for the planner, and the visibility
            # map without which PostgreSQL's index-only scans still read every table row.
            written.put(("status", "vacuuming and analyzing"))
            raw.commit()
            raw.autocommit = True
            raw.execute("VACUUM (ANALYZE)")
    engine.dispose()
    written.put(None)


class Ledger:
    """Numbers and hashes events in the order they are added, which must be the order of their times."""

    def __init__(self) -> None:
        self.seq = 0
        self.prev_hash = GENESIS_HASH
        self.last_at = datetime.min.replace(tzinfo=UTC)
        self.rows: list[tuple[Any, ...]] = []
        self.leaves: list[bytes] = []  # each event's leaf hash, for the writer's Merkle tree

    def add(
        self,
        type: str,
        at: datetime,
        payload: dict[str, Any],
        *,
        actor_id: uuid.UUID | None = None,
        claim_id: uuid.UUID | None = None,
        source_id: uuid.UUID | None = None,
        from_status: str | None = None,
        to_status: str | None = None,
        rationale: str | None = None,
    ) -> None:
        assert at >= self.last_at, "events must be added in time order"
        self.last_at = at
        self.seq += 1
        leaf = canonical_bytes(
            {
                "seq": self.seq,
                "type": type,
                "actor_id": actor_id,
                "at": at,
                "claim_id": claim_id,
                "source_id": source_id,
                "from_status": from_status,
                "to_status": to_status,
                "rationale": rationale,
                "payload": payload,
                "prev_hash": self.prev_hash,
            }
        )
        digest = hashlib.sha256(leaf).hexdigest()
        self.leaves.append(hashlib.sha256(b"\x00" + leaf).digest())
        self.rows.append(
            (
                self.seq,
                type,
                actor_id,
                at,
                claim_id,
                source_id,
                from_status,
                to_status,
                rationale,
                payload,
                self.prev_hash,
                digest,
            )
        )
        self.prev_hash = digest


@dataclass(order=True)
class Pending:
    """A ledger event due at `at_us` (microseconds since the epoch), waiting for its turn in the chain."""

    at_us: int
    order: int
    event: dict[str, Any] = field(compare=False)
    evidence: tuple[Any, ...] | None = field(compare=False, default=None)
    # The claim's final verdict: (claim id, assertion digest, evidence ids counted), mirrored in `verdicts`.
    verdict: tuple[uuid.UUID, str, list[uuid.UUID]] | None = field(compare=False, default=None)


def to_datetime(microseconds: int) -> datetime:
    return EPOCH + timedelta(microseconds=microseconds)


def to_microseconds(moment: datetime) -> int:
    delta = moment - EPOCH
    return (delta.days * 86_400 + delta.seconds) * SECOND + delta.microseconds


def truncate(moment: datetime, precision: str) -> datetime:
    if precision == "minute":
        return moment.replace(second=0, microsecond=0)
    if precision == "hour":
        return moment.replace(minute=0, second=0, microsecond=0)
    if precision == "day":
        return moment.replace(hour=0, minute=0, second=0, microsecond=0)
    return moment.replace(day=1, hour=0, minute=0, second=0, microsecond=0)


class Progress:
    def __init__(self, total: int) -> None:
        self.total = total
        self.started = time.perf_counter()
        self.last_print = 0.0
        self.rows_written = 0

    def update(self, done: int, *, final: bool = False) -> None:
        now = time.perf_counter()
        if not final and now - self.last_print < 5:
            return
        self.last_print = now
        elapsed = now - self.started
        rate = done / elapsed if elapsed else 0.0
        eta = (self.total - done) / rate if rate else float("inf")
        print(
            f"  {done:>9,}/{self.total:,} claims  {rate:>7,.0f} claims/s  {self.rows_written / elapsed:>7,.0f} rows/s "
            f"written  elapsed {elapsed:4.0f} s  ETA {eta:4.0f} s",
            flush=True,
        )


class Filler:
    """Generates the timeline in time order and hands batches of rows to the writer process."""

    def __init__(self, generator: Generator, writer: Any, batches: Any, written: Any, batch_size: int) -> None:
        self.generator = generator
        self.writer = writer
        self.rng = generator.random
        self.batches = batches
        self.written = written
        self.batch_size = batch_size
        self.ledger = Ledger()
        self.rows: dict[str, list[tuple[Any, ...]]] = {name: [] for name in TABLE_ORDER}
        self.actors: dict[str, list[uuid.UUID]] = {"admin": [], "analyst": [], "reviewer": []}
        self.pending: list[Pending] = []
        self.order = itertools.count()
        self.recent_documents: list[uuid.UUID] = []
        self.documents_made = 0
        self.external_number = itertools.count(1)
        self.progress: Progress | None = None
        self.writer_done = False

    def send(self) -> None:
        """Queue what was generated as one transaction; collect the writer's counts so far."""
        self.rows["events"] = self.ledger.rows
        batch = {name: rows for name, rows in self.rows.items() if rows}
        if self.ledger.leaves:
            batch[TREE_LEAVES] = self.ledger.leaves  # type: ignore[assignment]
        self.put(batch)
        self.rows = {name: [] for name in TABLE_ORDER}
        self.ledger.rows = []
        self.ledger.leaves = []
        self.collect(block=False)

    def put(self, batch: Batch | None) -> None:
        """Hand a batch (or None: the end) to the writer, waiting while its queue is full unless it died."""
        while True:
            try:
                self.batches.put(batch, timeout=1)
                return
            except queue.Full:
                if not self.writer.is_alive():
                    raise SystemExit("the writer process died: see its error above") from None

    def collect(self, *, block: bool) -> None:
        while not self.writer_done:
            try:
                count = self.written.get(timeout=1) if block else self.written.get(block=False)
            except queue.Empty:
                if block and not self.writer.is_alive():
                    raise SystemExit("the writer process died: see its error above") from None
                if block:
                    continue
                return
            if count is None:
                self.writer_done = True
                return
            if isinstance(count, tuple):
                elapsed = time.perf_counter() - self.progress.started if self.progress else 0.0
                print(f"  writer: {count[1]} (at {elapsed:.0f} s)", flush=True)
                continue
            if self.progress is not None:
                self.progress.rows_written += count

    # -- the start: actors and sources

    def actors_and_sources(self) -> None:
        generator, ledger = self.generator, self.ledger
        for role, count in (("admin", 1), ("analyst", 8), ("reviewer", 4)):
            for number in range(1, count + 1):
                actor_id = generator.new_id()
                name = f"bench-{role}-{number:02d}"
                self.actors[role].append(actor_id)
                self.rows["actors"].append((actor_id, name, role, START))
                ledger.add("actor.created", START, {"actor_id": str(actor_id), "name": name, "role": role})
        admin = self.actors["admin"][0]
        for record in generator.sources_rows(START + timedelta(minutes=1)):
            self.rows["sources"].append(as_tuple("sources", record.row))
            self.rows["source_names"].extend(as_tuple("source_names", item) for item in record.names)
            ledger.add(
                "source.created", record.row["created_at"], record.payload, actor_id=admin, source_id=record.row["id"]
            )
        print(
            f"  {len(self.rows['sources']):,} sources ({len(self.rows['source_names']):,} names), "
            f"{len(self.rows['actors'])} actors",
            flush=True,
        )
        self.send()

    # -- documents and delayed events, interleaved with the claims in time order

    def emit_due(self, until_us: int) -> None:
        pending = self.pending
        while pending and pending[0].at_us <= until_us:
            item = heapq.heappop(pending)
            if item.evidence is not None:
                self.rows["evidence"].append(item.evidence)
            self.ledger.add(**item.event)
            if item.verdict is not None:
                claim_id, digest, counted = item.verdict
                self.rows["verdicts"].append((claim_id, self.ledger.seq, digest, True, False))
                self.rows["verdict_evidence"].extend((claim_id, evidence_id) for evidence_id in counted)

    def make_document(self, at_us: int) -> None:
        rng = self.rng
        at = to_datetime(at_us)
        outlet = rng.choice(self.generator.media).id if self.generator.media else None
        document_id = self.generator.new_id()
        place = rng.choice(PLACES)[0]
        title = rng.choice(
            [
                f"Live updates: fighting near {place}",
                f"What we know about the strike on {place}",
                f"War in Ukraine, day {(at - CLAIMS_FROM).days + 1}",
                f"Officials report on the situation in {place}",
            ]
        )
        number = self.documents_made
        url_value = f"https://news-{number % 97}.example.com/{at:%Y/%m/%d}/{number}"
        published = at - timedelta(minutes=rng.randint(5, 600))
        sha = f"{rng.getrandbits(256):064x}"
        creator = rng.choice(self.actors["analyst"])
        record = document_record(
            document_id,
            title=title,
            at=at,
            created_by_id=creator,
            url=url_value,
            outlet_id=outlet,
            published_at=published,
            retrieved_at=at,
            content_sha256=sha,
        )
        self.rows["documents"].append(as_tuple("documents", record.row))
        self.ledger.add("document.created", at, record.payload, actor_id=creator, source_id=outlet)
        self.recent_documents.append(document_id)
        if len(self.recent_documents) > 300:
            del self.recent_documents[:100]
        self.documents_made += 1

    # -- claims

    def claims(self, count: int) -> None:
        generator, rng, ledger = self.generator, self.rng, self.ledger
        rand, randint, choice = rng.random, rng.randint, rng.choice
        pick = generator.pick
        all_sources = generator.sources
        ranks = list(range(len(all_sources)))
        rng.shuffle(ranks)
        source_weights = list(itertools.accumulate(1.0 / (rank + 10) for rank in ranks))
        parties = sorted({info.party for info in all_sources})
        members_by_party: dict[uuid.UUID, list[SourceInfo]] = {}
        for info in all_sources:
            members_by_party.setdefault(info.party, []).append(info)
        relays = [info.id for info in all_sources if info.kind in ("media", "think_tank")]
        analysts, reviewers = self.actors["analyst"], self.actors["reviewer"]
        begin_us, end_us = to_microseconds(CLAIMS_FROM), to_microseconds(CLAIMS_TO)
        claim_times = sorted(rng.randrange(begin_us, end_us) for _ in range(count))
        document_count = max(1, count // 20)
        document_times = sorted(rng.randrange(begin_us - 3600 * SECOND, end_us) for _ in range(document_count))
        rows_claims, rows_places = self.rows, self.rows
        pending, order = self.pending, self.order
        self.progress = progress = Progress(count)

        for index, created_us in enumerate(claim_times):
            while self.documents_made < document_count and document_times[self.documents_made] <= created_us:
                self.emit_due(document_times[self.documents_made])
                self.make_document(document_times[self.documents_made])
            if pending and pending[0].at_us <= created_us:
                self.emit_due(created_us)
            created_at = to_datetime(created_us)
            source = all_sources[pick(source_weights)]
            speaker = choice(source.speakers) if source.speakers and rand() < 0.45 else None
            _weight, template, template_tags = STATEMENTS[pick(generator.statement_weights)]
            place_indexes = generator.places_for()
            named = [PLACES[i][0] for i in place_indexes]
            first_place = named[0] if named else choice(PLACES)[0]
            second_place = named[1] if len(named) > 1 else choice(PLACES)[0]
            statement = template.format(
                side=choice(SIDES),
                p=first_place,
                q=second_place,
                n=randint(2, 400),
                m=randint(2, 900),
                k=randint(1, 40),
            )
            quote = None
            language = "en"
            roll = rand()
            if roll < 0.30:
                quote = choice(QUOTES_EN).format(p=first_place)
            elif roll < 0.42:
                quote = choice(QUOTES_UK).format(p=PLACES[place_indexes[0]][1] if place_indexes else "Харкова")
                language = "uk"
            elif roll < 0.47:
                quote = choice(QUOTES_RU).format(p=first_place)
                language = "ru"
            channel = generator.channels[pick(generator.channel_weights)]
            precision = generator.precisions[pick(generator.precision_weights)]
            stated_at = truncate(created_at - timedelta(seconds=randint(60, 3 * 86_400)), precision)
            event_start = event_end = None
            if rand() < 0.3:
                event_start = stated_at - timedelta(hours=randint(1, 48))
                if rand() < 0.5:
                    event_end = event_start + timedelta(hours=randint(1, 24))
            tags = list(template_tags)
            if rand() < 0.3:
                extra = choice(EXTRA_TAGS)
                if extra not in tags:
                    tags.append(extra)
            via = []
            if relays and rand() < 0.12:
                relay = choice(relays)
                if relay != source.id:
                    via.append(relay)
            document_id = choice(self.recent_documents) if self.recent_documents and rand() < 0.6 else None
            external_id = f"wire-{next(self.external_number):08d}" if rand() < 0.05 else None
            channel_detail = choice(CHANNEL_DETAILS) if rand() < 0.35 else None
            claim_id = generator.new_id()
            creator = choice(analysts)

            _w, path, stance = STATUS_PATHS[pick(generator.path_weights)]
            status, status_changed_at, version = "claimed", created_at, 1
            seconds_to_first_review = None
            step_us = created_us
            recorded = {
                "statement": statement,
                "quote": quote,
                "source_id": source.id,
                "speaker_id": speaker,
                "channel": channel,
                "channel_detail": channel_detail,
                "document_id": document_id,
                "via": via,
                "stated_at": stated_at,
                "stated_at_precision": precision,
                "event_start": event_start,
                "event_end": event_end,
                "event_precision": ("hour" if event_end is None else "day") if event_start is not None else None,
                "places": [RESOLVED.get(name, name) for name in named],
                "tags": tags,
                "language": language,
                "external_id": external_id,
            }
            counted: list[dict[str, Any]] = []
            digest = assertion_sha256(recorded) if any(target in REVIEWED for target in path) else ""
            for target in path:
                if target != "under_review" and stance is not None:
                    # Independent evidence first: from a source of another party than the claim's.
                    step_us += randint(3600, 10 * 86_400) * SECOND
                    version += 1
                    evidence_id = generator.new_id()
                    party = choice(parties)
                    if party == source.party:
                        party = parties[(parties.index(party) + 1) % len(parties)]
                    provider = choice(members_by_party[party]).id
                    kind = choice(("document", "imagery", "official_record"))
                    evidence_url = f"https://evidence.example.net/{evidence_id.hex[:12]}"
                    note = "Geolocated footage and an independent report."
                    added_by = choice(analysts)
                    added_at = to_datetime(step_us)
                    evidence = (
                        evidence_id,
                        claim_id,
                        stance,
                        kind,
                        evidence_url,
                        None,
                        None,
                        provider,
                        note,
                        added_by,
                        added_at,
                    )
                    event = {
                        "type": "evidence.added",
                        "at": added_at,
                        "payload": {
                            "evidence_id": str(evidence_id),
                            "stance": stance,
                            "kind": kind,
                            "url": evidence_url,
                            "document_id": None,
                            "related_claim_id": None,
                            "provided_by_source_id": str(provider),
                            "note": note,
                        },
                        "actor_id": added_by,
                        "claim_id": claim_id,
                        "source_id": source.id,
                    }
                    heapq.heappush(pending, Pending(step_us, next(order), event, evidence))
                    counted.append(
                        {
                            "id": str(evidence_id),
                            "stance": stance,
                            "provider_id": str(provider),
                            "party_id": str(party),
                            "independent": True,
                        }
                    )
                step_us += randint(600, 20 * 86_400) * SECOND
                version += 1
                changed_at = to_datetime(step_us)
                payload: dict[str, Any] = {"evidence_ids": []}
                verdict = None
                if target in REVIEWED:
                    # What the reviewer judged: the version before this move, these words, this evidence.
                    payload["basis"] = {"version": version - 1, "assertion_sha256": digest, "evidence": counted}
                    verdict = (claim_id, digest, [uuid.UUID(item["id"]) for item in counted])
                payload["version"] = version
                event = {
                    "type": "claim.status_changed",
                    "at": changed_at,
                    "payload": payload,
                    "actor_id": choice(reviewers) if target != "under_review" else creator,
                    "claim_id": claim_id,
                    "source_id": source.id,
                    "from_status": status,
                    "to_status": target,
                    "rationale": RATIONALES[target].format(n=randint(2, 9)),
                }
                heapq.heappush(pending, Pending(step_us, next(order), event, verdict=verdict))
                status, status_changed_at = target, changed_at
                if seconds_to_first_review is None and target in REVIEWED:
                    seconds_to_first_review = (step_us - created_us) / SECOND

            # The rows and payload the app itself builds (`claims.records`), with the status, wait and version
            # that the claim's later events, queued above, will have given it.
            rows = claim_rows(
                claim_id,
                recorded,
                created_by_id=creator,
                created_at=created_at,
                status=status,
                status_changed_at=status_changed_at,
                seconds_to_first_review=seconds_to_first_review,
            )
            rows.claim["version"] = version
            rows_claims["claims"].append(as_tuple("claims", rows.claim))
            rows_places["claim_places"].extend(as_tuple("claim_places", row) for row in rows.places)
            rows_places["claim_tags"].extend(as_tuple("claim_tags", row) for row in rows.tags)
            rows_places["claim_via"].extend(as_tuple("claim_via", row) for row in rows.via)
            # The match index, by the writer's own builder (api/services/matching/index.py).
            rows_places["claim_match_terms"].extend(
                as_tuple("claim_match_terms", row)
                for row in term_rows(
                    claim_id,
                    recorded["statement"],
                    recorded["language"],
                    place_names(recorded["places"]),
                    recorded["stated_at"],
                )
            )
            ledger.add(
                "claim.created",
                created_at,
                created_payload(recorded),
                actor_id=creator,
                claim_id=claim_id,
                source_id=source.id,
                to_status="claimed",
            )
            if (index + 1) % self.batch_size == 0:
                self.send()
                progress.update(index + 1)
            rows_claims, rows_places = self.rows, self.rows
        while self.documents_made < document_count:
            self.emit_due(document_times[self.documents_made])
            self.make_document(document_times[self.documents_made])
        self.emit_due(2**62)
        self.send()


# Each of PLACES as the gazetteer resolves it (`resolved_places`): the claims name them resolved, with points.
RESOLVED: dict[str, dict[str, Any]] = {}


def resolved_places(database_url: str) -> None:
    """Load the gazetteer (countries, Ukraine's regions and settlements) and resolve each of PLACES against it,
    as `POST /v1/claims` would: every name the fill uses is one place, or one prominent among its namesakes."""
    from api.database import Database
    from api.services import places
    from api.services.places import gazetteer

    database = Database(database_url)
    with database.transaction() as session:
        gazetteer.load(session)
        for english, _ukrainian in PLACES:
            (place,) = places.resolve(session, [english], places.Context())
            RESOLVED[english] = place.recorded()
    database.dispose()
    unresolved = [name for name, place in RESOLVED.items() if place["place_id"] is None]
    print(f"gazetteer loaded; places the fill names that stay unresolved: {unresolved or 'none'}", flush=True)


def fill(database_url: str, claims: int, sources: int, batch_size: int, seed: int) -> dict[str, Any]:
    started = time.perf_counter()
    url = normalise_url(database_url)
    print(f"migrating {url.render_as_string(hide_password=True)} to head", flush=True)
    upgrade(database_url)
    engine = create_engine(url)
    with engine.connect() as connection:
        if connection.scalar(text("SELECT count(*) FROM claims")):
            raise SystemExit("the database already holds claims: give a fresh database")
    engine.dispose()
    resolved_places(database_url)
    migrated = time.perf_counter()

    gc.disable()  # nothing here makes reference cycles; the collector would only rescan the batches
    context = multiprocessing.get_context("fork")
    batches = context.Queue(maxsize=3)
    written = context.Queue()
    writer = context.Process(target=write_batches, args=(database_url, batches, written), name="claimdb-fill-writer")
    writer.start()
    filler = Filler(Generator(seed, claims, sources), writer, batches, written, batch_size)
    try:
        filler.actors_and_sources()
        filler.claims(claims)
        generated = time.perf_counter()
        filler.put(None)
        filler.collect(block=True)
        writer.join()
    except BaseException:
        writer.kill()
        batches.cancel_join_thread()  # nobody reads the queue any more: do not wait to flush it at exit
        raise
    if writer.exitcode != 0:
        raise SystemExit(f"the writer process failed (exit code {writer.exitcode})")
    assert filler.progress is not None
    filler.progress.update(claims, final=True)
    finished = time.perf_counter()
    return {
        "claims": claims,
        "sources": len(filler.generator.sources),
        "documents": filler.documents_made,
        "events": filler.ledger.seq,
        "rows": filler.progress.rows_written,
        "migrate_seconds": migrated - started,
        "generate_seconds": generated - migrated,
        "total_seconds": finished - started,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", required=True, help="a fresh database: sqlite:////tmp/x.sqlite3, ...")
    parser.add_argument("--claims", type=int, default=1_000_000)
    parser.add_argument("--sources", type=int, default=2_000)
    parser.add_argument("--batch", type=int, default=20_000, help="claims per transaction")
    parser.add_argument("--seed", type=int, default=20261126)
    args = parser.parse_args(argv)
    result = fill(args.database_url, args.claims, args.sources, args.batch, args.seed)
    print(
        f"filled {result['claims']:,} claims, {result['sources']:,} sources, {result['documents']:,} documents, "
        f"{result['events']:,} events ({result['rows']:,} rows) in {result['total_seconds']:.1f} s "
        f"(migrate {result['migrate_seconds']:.1f} s, generate {result['generate_seconds']:.1f} s, "
        f"writing overlaps generating)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
