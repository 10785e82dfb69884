"""Which place a claim's place name means: looked up in the gazetteer, decided from context, never guessed.

A name with one match is that place. A name with several is decided, in turn, by a qualifier written with it
("Zolochiv, Kharkiv region"), by prominence (a city of 700,000 against a village of 650 that shares its name;
`_prominent`), by the claim's own words and other places (a region they name,
or lie in), by its document's other claims' places, and by where its source's claims usually are. A name still
undecided stays unresolved with its candidates for the analyst to choose: `place_id` null, never a guess.

Precision follows the place's kind (a facility is `exact`, a settlement its `locality`, a region or country only
that), or the words around the name ("near Izium", "outskirts of"), or what the client gave.
"""

from __future__ import annotations

import re
import uuid
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from api.errors import InvalidInput
from api.services.names import name_key
from api.services.places.registry import place_label
from models import Claim, ClaimPlace, Place, PlaceName
from models.vocabulary import PlaceKind, PlacePrecision

MAX_CANDIDATES = 10
# A name is the prominent place when that one is a town this large and this many times the next namesake, among
# few namesakes: "Mykolaiv" is the city of 470,000, not the town of 14,000 in Lviv Oblast; a name shared by
# more villages than this ("Oleksandrivka": 21) is a common name, decided by context or not at all.
PROMINENT_POPULATION = 20_000
PROMINENCE_RATIO = 5
MAX_NAMESAKES_FOR_PROMINENCE = 5
# How many of its source's latest resolved places say where a source usually is.
SOURCE_AREA_SAMPLE = 200

DEFAULT_PRECISION = {
    PlaceKind.FACILITY.value: PlacePrecision.EXACT.value,
    PlaceKind.SETTLEMENT.value: PlacePrecision.LOCALITY.value,
    PlaceKind.REGION.value: PlacePrecision.REGION.value,
    PlaceKind.WATER.value: PlacePrecision.REGION.value,
    PlaceKind.COUNTRY.value: PlacePrecision.COUNTRY.value,
}
_NEAR = re.compile(r"^(?:near|outside|around|outskirts of|the outskirts of|close to|біля|под|поблизу)\s+", re.I)
_APOSTROPHES = str.maketrans({"’": "'", "ʼ": "'", "`": "'"})


def lookup_key(name: str) -> str:
    """The key a written name is looked up under: apostrophes unified, a possessive dropped."""
    key = name_key(name.translate(_APOSTROPHES))
    return re.sub(r"'s$", "", key)


@dataclass(frozen=True)
class Candidate:
    id: uuid.UUID
    name: str
    kind: str
    lat: float | None
    lon: float | None
    admin1_code: str | None
    admin1_name: str | None
    country_code: str | None
    population: int | None

    def label(self) -> str:
        return place_label(self.name, self.admin1_name, self.country_code)


_CANDIDATE_COLUMNS = (
    Place.id,
    Place.name,
    Place.kind,
    Place.lat,
    Place.lon,
    Place.admin1_code,
    Place.admin1_name,
    Place.country_code,
    Place.population,
)


def candidates_by_key(session: Session, keys: Iterable[str]) -> dict[str, list[Candidate]]:
    """Every place named (or aliased) by each key, in one query."""
    wanted = sorted(set(keys))
    found: dict[str, list[Candidate]] = {key: [] for key in wanted}
    if not wanted:
        return found
    seen: set[tuple[str, uuid.UUID]] = set()
    statement = (
        select(PlaceName.name_key, *_CANDIDATE_COLUMNS)
        .join(Place, Place.id == PlaceName.place_id)
        .where(PlaceName.name_key.in_(wanted))
    )
    for key, *values in session.execute(statement):
        candidate = Candidate(*values)
        if (key, candidate.id) not in seen:
            seen.add((key, candidate.id))
            found[key].append(candidate)
    for listed in found.values():
        listed.sort(key=lambda item: (-(item.population or 0), item.name, str(item.id)))
    return found


@dataclass
class Mention:
    """A place as a claim gives it: the name as written, and optionally the place and precision chosen."""

    name: str
    place_id: uuid.UUID | None = None
    precision: str | None = None


def mention_of(value: Any) -> Mention:
    """A plain string, or an object with `name` and optionally `place_id` and `precision`."""
    if isinstance(value, str):
        return Mention(value)
    if isinstance(value, Mention):
        return value
    if isinstance(value, Mapping):
        place_id = value.get("place_id")
        precision = value.get("precision")
        return Mention(
            str(value["name"]),
            place_id if isinstance(place_id, uuid.UUID) or place_id is None else uuid.UUID(str(place_id)),
            getattr(precision, "value", precision),
        )
    name = value.name
    place_id = getattr(value, "place_id", None)
    precision = getattr(value, "precision", None)
    return Mention(str(name), place_id, getattr(precision, "value", precision))


@dataclass
class Context:
    """What else is known about where a claim is: its words, its document, its source."""

    text: str = ""
    document_id: uuid.UUID | None = None
    source_id: uuid.UUID | None = None
    exclude_claim_id: uuid.UUID | None = None


def _split_qualifier(written: str) -> tuple[str, str | None, bool]:
    """ "near Zolochiv, Lviv Oblast" → ("Zolochiv", "Lviv Oblast", near=True)."""
    near = False
    core = written.strip()
    match = _NEAR.match(core)
    if match:
        near = True
        core = core[match.end() :]
    qualifier = None
    parenthesised = re.fullmatch(r"(.+?)\s*\((.+)\)", core)
    if parenthesised:
        core, qualifier = parenthesised.group(1), parenthesised.group(2)
    elif "," in core:
        core, qualifier = (part.strip() for part in core.split(",", 1))
    return core, qualifier, near


def _prominent(candidates: Sequence[Candidate]) -> Candidate | None:
    if len(candidates) == 1:
        return candidates[0]
    if len(candidates) > MAX_NAMESAKES_FOR_PROMINENCE:
        return None
    first, second = candidates[0], candidates[1]
    population = first.population or 0
    if population >= PROMINENT_POPULATION and population >= PROMINENCE_RATIO * (second.population or 0):
        return first
    return None


def _short_region_name(admin1_name: str | None) -> str | None:
    if not admin1_name:
        return None
    return admin1_name.removesuffix(" Oblast").casefold()


def _within(candidates: Sequence[Candidate], regions: set[str]) -> list[Candidate]:
    return [item for item in candidates if item.admin1_code in regions]


def _decide(candidates: list[Candidate], areas: Sequence[set[str]]) -> Candidate | None:
    """The one candidate the first informative area leaves, or None."""
    for regions in areas:
        if not regions:
            continue
        kept = _within(candidates, regions)
        if len(kept) == 1:
            return kept[0]
        if len(kept) > 1:
            candidates = kept
    return None


def _region_words(text: str, candidates: Iterable[Candidate]) -> set[str]:
    """The candidates' regions the claim's words name ("… in the Lviv region"), as ISO codes."""
    folded = text.casefold()
    named: set[str] = set()
    for item in candidates:
        short = _short_region_name(item.admin1_name)
        if short and item.admin1_code and re.search(rf"\b{re.escape(short)}\s+(?:oblast|region|province)", folded):
            named.add(item.admin1_code)
    return named


def _document_regions(session: Session, context: Context) -> set[str]:
    if context.document_id is None:
        return set()
    statement = (
        select(ClaimPlace.admin1_code)
        .join(Claim, Claim.id == ClaimPlace.claim_id)
        .where(Claim.document_id == context.document_id, ClaimPlace.admin1_code.is_not(None))
    )
    if context.exclude_claim_id is not None:
        statement = statement.where(Claim.id != context.exclude_claim_id)
    return {code for code in session.scalars(statement) if code}


def _source_region(session: Session, context: Context) -> set[str]:
    """The region most of the source's latest resolved places lie in, when one clearly leads (over half)."""
    if context.source_id is None:
        return set()
    latest = (
        select(ClaimPlace.admin1_code)
        .join(Claim, Claim.id == ClaimPlace.claim_id)
        .where(Claim.source_id == context.source_id, ClaimPlace.admin1_code.is_not(None))
        .order_by(Claim.stated_at.desc())
        .limit(SOURCE_AREA_SAMPLE)
    )
    counts = Counter(code for code in session.scalars(latest) if code)
    if not counts:
        return set()
    code, count = counts.most_common(1)[0]
    return {code} if count * 2 > sum(counts.values()) else set()


@dataclass
class Resolved:
    """A claim's place after resolution: what the ledger records, and the point and region the row copies."""

    name: str
    place_id: uuid.UUID | None
    precision: str | None
    candidates: list[dict[str, str]]
    lat: float | None = None
    lon: float | None = None
    admin1_code: str | None = None

    def recorded(self) -> dict[str, Any]:
        """The place as a claim's state and payload hold it (`place_id` as text), with the point and region
        copied into its row, so that the ledger alone implies the row (`claimdb verify`)."""
        return {
            "name": self.name,
            "place_id": str(self.place_id) if self.place_id else None,
            "precision": self.precision,
            "candidates": self.candidates,
            "lat": self.lat,
            "lon": self.lon,
            "admin1_code": self.admin1_code,
        }


def _resolved(name: str, place: Candidate, precision: str | None) -> Resolved:
    return Resolved(
        name, place.id, precision or DEFAULT_PRECISION[place.kind], [], place.lat, place.lon, place.admin1_code
    )


def resolve(session: Session, values: Sequence[Any], context: Context) -> list[Resolved]:
    """Resolve a claim's places (strings or objects), in order. A given `place_id` must exist (422)."""
    mentions = [mention_of(value) for value in values]
    found = candidates_by_key(session, keys_of(mentions))
    chosen = candidates_by_id(session, (mention.place_id for mention in mentions if mention.place_id))
    for index, mention in enumerate(mentions):
        if mention.place_id is not None and chosen[mention.place_id] is None:
            raise InvalidInput(
                f"places.{index}.place_id: no place has the id {mention.place_id}.",
                parameter=f"places.{index}.place_id",
            )
    return resolve_found(
        mentions,
        found,
        chosen,
        context,
        lambda: (_document_regions(session, context), _source_region(session, context)),
    )


def keys_of(mentions: Iterable[Mention]) -> set[str]:
    """The look-up keys of the names and of their qualifiers ("Zolochiv, Lviv Oblast")."""
    keys: set[str] = set()
    for mention in mentions:
        core, qualifier, _near = _split_qualifier(mention.name)
        keys.add(lookup_key(core))
        if qualifier:
            keys.add(lookup_key(qualifier))
    return keys


def resolve_found(
    mentions: Sequence[Mention],
    found: Mapping[str, list[Candidate]],
    chosen: Mapping[uuid.UUID, Candidate | None],
    context: Context,
    wider: Any = None,
) -> list[Resolved]:
    """Resolution from candidates already looked up (the import's batches look up a chunk at once).

    `chosen`: the places given by id; a given id missing from it resolves by name. `wider()`: the document's and
    the source's regions, asked only when a name is still undecided.
    """
    results: list[Resolved | None] = [None] * len(mentions)
    # Each undecided mention's index, the candidates of its name, those its qualifier leaves, and its precision.
    pending: list[tuple[int, list[Candidate], list[Candidate], str | None]] = []
    for index, mention in enumerate(mentions):
        core, qualifier, near = _split_qualifier(mention.name)
        precision = mention.precision or (PlacePrecision.NEAR.value if near else None)
        given = chosen.get(mention.place_id) if mention.place_id is not None else None
        if given is not None:
            results[index] = _resolved(mention.name, given, precision)
            continue
        named_candidates = candidates = found.get(lookup_key(core), [])
        if qualifier:
            regions = {item.admin1_code for item in found.get(lookup_key(qualifier), []) if item.admin1_code}
            candidates = _within(candidates, regions) or candidates
        choice = _prominent(candidates) if candidates else None
        if choice is not None:
            results[index] = _resolved(mention.name, choice, precision)
        elif not candidates:
            results[index] = Resolved(mention.name, None, None, [])
        else:
            pending.append((index, named_candidates, candidates, precision))
    if pending:
        own = {result.admin1_code for result in results if result is not None and result.admin1_code}
        # Regions the claim's words name ("… in the Lviv region"), then the regions of its other places.
        named = _region_words(context.text, (item for _index, of_name, _narrowed, _ in pending for item in of_name))
        document, source = wider() if wider is not None else (set(), set())
        for index, _of_name, candidates, precision in pending:
            mention = mentions[index]
            choice = _decide(candidates, [named, own, document, source])
            if choice is not None:
                results[index] = _resolved(mention.name, choice, precision)
            else:
                listed = [{"place_id": str(item.id), "label": item.label()} for item in candidates[:MAX_CANDIDATES]]
                results[index] = Resolved(mention.name, None, None, listed)
    return [result for result in results if result is not None]


def candidates_by_id(session: Session, place_ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, Candidate | None]:
    """The places given by id, in one query; an unknown id maps to None."""
    wanted = set(place_ids)
    found: dict[uuid.UUID, Candidate | None] = dict.fromkeys(wanted)
    if wanted:
        for row in session.execute(select(*_CANDIDATE_COLUMNS).where(Place.id.in_(wanted))):
            found[row[0]] = Candidate(*row)
    return found
