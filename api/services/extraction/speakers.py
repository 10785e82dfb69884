"""Step 3: speaker and role resolution — who the subject of an attribution is, and whom they speak for.

`parse_subject` reads the words alone ("Ukrainian General Staff spokesman Oleksandr Shtupun" → person
Oleksandr Shtupun, role spokesman, organisation Ukrainian General Staff). `Resolver` then ties the parse to
the article and the database: pronouns and "the analysts" to the last party of the right kind, surnames to
the person introduced earlier, names to recorded sources, and a recorded person to the organisation above them.

One module, over 400 lines: parsing a subject and resolving it share the article's running state (who was
introduced, which party spoke last), so they stay together.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, field, replace

from api.services.extraction.directory import WORD, KnownSource, SourceDirectory
from api.services.extraction.lexicon import (
    COUNTRY_ADJECTIVES,
    DESCRIPTORS,
    NATIONALITIES,
    OUTLET_WORDS,
    PARTY_NOUNS,
    PORTFOLIOS,
    PRONOUNS,
    ROLE_MODIFIERS,
    ROLES,
    SUBJECT_WORDS,
    TITLES,
)
from api.services.extraction.places import gazetteer
from api.services.names import name_key

# Capitalised words that make a name an organisation's rather than a person's.
ORGANISATION_WORDS = {
    "ministry",
    "staff",
    "regiment",
    "institute",
    "command",
    "forces",
    "force",
    "army",
    "navy",
    "agency",
    "office",
    "council",
    "service",
    "administration",
    "guard",
    "brigade",
    "battalion",
    "group",
    "committee",
    "department",
    "centre",
    "center",
    "network",
    "news",
    "times",
    "post",
    "radio",
    "television",
    "tv",
    "mission",
    "kremlin",
    "government",
    "parliament",
    "rada",
    "fund",
    "bank",
    "company",
    "university",
    "union",
    "party",
    "organisation",
    "organization",
    "monitor",
    "bureau",
    "directorate",
    "court",
    "police",
    "authority",
    "operator",
    "federation",
    "republic",
    "nations",
    "security",
    "intelligence",
    "cabinet",
    "commission",
    "foundation",
    "association",
    "press",
    "media",
    "daily",
    "broadcasting",
    "war",
    "study",
    "international",
    "watch",
    "tass",
    "reuters",
}
# Roles that speak for an organisation rather than for themselves.
_SPOKES_ROLES = {"spokesman", "spokeswoman", "spokesperson", "representative", "secretary"}
# "the ministry", "the Defence Ministry's", "the regional command" opening a statement: up to four words after
# "the", the last an institution's head. Forces and troops are not among them: a statement is often about them.
_NAMED_ORGANISATION = re.compile(r"(?:that\s+)?the\s+((?:[\w'’-]+\s+){0,3}[\w'’-]+)", re.IGNORECASE)
_INSTITUTION_HEADS = {
    "ministry",
    "command",
    "staff",
    "government",
    "administration",
    "office",
    "agency",
    "service",
    "department",
    "directorate",
    "council",
    "committee",
    "kremlin",
    "army",
    "navy",
    "guard",
    "brigade",
    "regiment",
    "mission",
    "police",
    "military",
}
# Plural or collective heads that "they" can refer back to.
_PLURAL_HINTS = ("officials", "analysts", "authorities", "forces", "troops", "sources", "experts", "monitors")
_ARTICLES = {"the", "a", "an", "another"}
_LINKS = {"of", "for", "at", "from", "in"}
_NAME_LINKS = {"of", "for", "the", "and", "de", "on", "in"}
# Kinds that a head noun such as "the analysts" or "the station" refers back to.
_HEAD_KINDS = {
    "analysts": "think_tank",
    "analyst": "think_tank",
    "think": "think_tank",
    "tank": "think_tank",
    "institute": "think_tank",
    "military": "military",
    "army": "military",
    "station": "media",
    "broadcaster": "media",
    "newspaper": "media",
    "channel": "media",
    "agency": "media",
    "outlet": "media",
}


# Words that tell an unrecorded party's kind, for "the analysts" or "the station" to refer back to.
_KIND_HINTS: list[tuple[str, frozenset[str]]] = [
    ("think_tank", frozenset({"think", "tank", "think-tank", "institute", "analysts"})),
    ("media", frozenset({"broadcaster", "radio", "television", "tv", "newspaper", "agency", "news", "station"})),
    ("military", frozenset({"army", "forces", "staff", "command", "brigade", "regiment", "military", "navy"})),
    ("government", frozenset({"ministry", "government", "kremlin", "cabinet", "minister"})),
]


@dataclass(frozen=True)
class ParsedSubject:
    """What the subject's words say, before anything is looked up."""

    text: str
    pronoun: str | None = None
    person: str | None = None
    role: str | None = None
    organisation: str | None = None
    generic: str | None = None
    definite: bool = False
    cited: str | None = None
    place_hint: str | None = None


@dataclass(frozen=True)
class Ref:
    """A party as a candidate names it: its name, and its id when it is a recorded source."""

    name: str
    source_id: uuid.UUID | None = None


@dataclass(frozen=True)
class Speaker:
    """The person who voiced a statement."""

    name: str
    role: str | None = None
    source_id: uuid.UUID | None = None


@dataclass(frozen=True)
class Party:
    """A resolved attribution: the origin, the person who voiced it, and what the origin is."""

    source: Ref
    speaker: Speaker | None = None
    kind: str | None = None
    words: frozenset[str] = frozenset()
    plural: bool = False


@dataclass
class _Person:
    """A person the article has named, with what it said about them."""

    name: str
    role: str | None
    organisation: Ref | None
    source_id: uuid.UUID | None


def _clean_words(text: str) -> list[str]:
    """Words without bracketed asides or surrounding punctuation."""
    text = re.sub(r"\s*[(\[][^)\]]*[)\]]", "", text)
    return [word.strip(',;:"“”') for word in text.split() if word.strip(',;:"“”')]


def _capitalised(word: str) -> bool:
    """Whether a word starts with a capital or a digit ("47th")."""
    return word[:1].isupper() or word[:1].isdigit()


def _possessive(word: str) -> str:
    """ "Ministry's" → "Ministry"."""
    return re.sub(r"['’]s$", "", word)


def _is_title(word: str) -> bool:
    """Whether a word is a title before a name ("Col.", "Dr")."""
    return word.lower() in TITLES and word[:1].isupper()


def looks_like_person(words: list[str]) -> bool:
    """Two to four capitalised words, none of them an organisation's word or a nationality."""
    words = [word for word in words if not _is_title(word)]
    if not 2 <= len(words) <= 4:
        return False
    for word in words:
        lower = _possessive(word).lower()
        if not word[:1].isupper() or not word.replace("-", "").replace("'", "").isalpha() or word.isupper():
            return False
        if lower in ORGANISATION_WORDS or lower in NATIONALITIES or lower in ROLES or lower in _LINKS:
            return False
    return True


def _name_run(words: list[str]) -> list[str]:
    """The last run of capitalised words, with the links inside names ("Institute for the Study of War")."""
    end = len(words)
    while end > 0 and not _capitalised(words[end - 1]):
        end -= 1
    start = end
    while start > 0:
        word = words[start - 1]
        if _capitalised(word) and word.lower() not in _ARTICLES:
            start -= 1
            continue
        # Links inside a name ("for the", "of") count only when a capitalised word stands before them.
        links = start - 1
        while links > 0 and words[links].lower() in _NAME_LINKS:
            links -= 1
        if links < start - 1 and _capitalised(words[links]) and words[links].lower() not in _ARTICLES:
            start = links + 1
        else:
            break
    while start < end and words[start].lower() in _NAME_LINKS:
        start += 1
    return words[start:end]


def _find_role(words: list[str]) -> tuple[int, int] | None:
    """Where the role words are: the last role head, extended left over role modifiers."""
    for index in range(len(words) - 1, -1, -1):
        lower = _possessive(words[index]).lower()
        if lower in ROLES:
            after = words[index + 1 :]
            # A role head must be followed by a name, by "of/for ...", or end the subject.
            if after and not (_capitalised(after[0]) or after[0].lower() in _LINKS):
                continue
            # "General Staff", "Prosecutor General's Office": the role word is part of an organisation's name.
            following = []
            for word in after:
                if not _capitalised(word):
                    break
                following.append(_possessive(word).lower())
            if any(word in ORGANISATION_WORDS for word in following):
                continue
            start = index
            while start > 0:
                previous = words[start - 1].lower()
                if previous in ROLE_MODIFIERS:
                    start -= 1
                else:
                    break
            return start, index + 1
    return None


def _organisation_from(words: list[str]) -> str | None:
    """The organisation named by words such as "of the 47th Mechanized Brigade" or "Ukrainian General Staff"."""
    while words and (words[0].lower() in _LINKS or words[0].lower() in _ARTICLES):
        words = words[1:]
    if not words:
        return None
    run = _name_run(words)
    before = [word.lower() for word in words[: len(words) - len(run)] if word.lower() not in _ARTICLES]
    linked = bool(before) and before[-1] in {"at", "of", "for", "with"} and not _is_place(run)
    if run and before and (before[-1] in DESCRIPTORS or linked):
        # "think tank Institute for the Study of War", "analysts at the Centre for Defence Strategies"
        return " ".join(run)
    lowered = [_possessive(word).lower() for word in words]
    if all(word in NATIONALITIES or word in SUBJECT_WORDS or word in ROLE_MODIFIERS for word in lowered):
        return None
    if len(words) == 1 and _possessive(words[0]).lower() in {"ukraine", "russia", "kyiv", "moscow"}:
        return None
    return _possessive(" ".join(words))


def _is_place(words: list[str]) -> bool:
    """Capitalised words that the gazetteer knows as a place ("Kharkiv" in "Kharkiv regional governor")."""
    if not words or not all(word[:1].isupper() for word in words):
        return False
    return name_key(_possessive(" ".join(words))) in gazetteer()


def _parse_role_phrase(words: list[str]) -> tuple[str | None, str | None, str | None, str | None]:
    """(role, person, organisation, place) from words like "Kremlin spokesman Anton Lebedev"."""
    found = _find_role(words)
    if found is None:
        return None, None, None, None
    start, end = found
    role = " ".join(words[start:end])
    right = words[end:]
    left = words[:start]
    person = None
    organisation = None
    if right and right[0].lower() in _LINKS:
        organisation = _organisation_from(right[1:])
    elif right:
        person = " ".join(word for word in right if not _is_title(word))
    place = " ".join(left) if _is_place(left) else None
    left_organisation = _organisation_from(left) if left and place is None else None
    head = words[end - 1].lower()
    portfolio = words[end - 2].lower() if end - 2 >= start else ""
    if head == "minister" and portfolio in PORTFOLIOS:
        # "Ukrainian Foreign Minister X" → "Ukrainian Foreign Ministry"; without a country, "Defence Ministry".
        country = _possessive(left[-1]).lower() if left else ""
        adjective = COUNTRY_ADJECTIVES.get(country) or (country if country in NATIONALITIES else "")
        left_organisation = f"{adjective.capitalize()} {words[end - 2].capitalize()} Ministry".strip()
        place = None
    organisation = organisation or left_organisation
    role = " ".join(word if word.isupper() else word.lower() for word in re.sub(r"['’]s$", "", role).split())
    return role, person, organisation, place


def parse_subject(subject: str, appositive: str | None = None, cited: str | None = None) -> ParsedSubject:
    """Person, role, organisation or generic party named by an attribution's subject and its appositive."""
    words = _clean_words(subject)
    lowered = [word.lower() for word in words]
    if len(words) == 1 and lowered[0] in PRONOUNS:
        return ParsedSubject(subject, pronoun=lowered[0], cited=cited)
    definite = bool(lowered) and lowered[0] == "the"
    while words and words[0].lower() in _ARTICLES:
        words = words[1:]
    titles = [word for word in words if _is_title(word)]
    role, person, organisation, place_hint = _parse_role_phrase(words)
    generic = None
    if role is None:
        head = _possessive(words[-1]).lower() if words else ""
        run = _name_run(words)
        if head in PARTY_NOUNS and not _capitalised(words[-1]):
            generic = " ".join(_clean_words(subject))
            generic = re.sub(r"^(?:the|a|an)\s+", "", generic, flags=re.IGNORECASE)
        elif looks_like_person(words):
            person = " ".join(word for word in words if not _is_title(word))
        elif len(run) == 1 and len(words) == 1 and not run[0].isupper():
            person = run[0]  # a bare surname or a one-word organisation: the resolver decides
        else:
            organisation = _organisation_from(words) or " ".join(words)
    if role is None and titles:
        role = TITLES[titles[0].lower()] or None
    if appositive:
        apposition = _clean_words(appositive)
        if apposition and apposition[0].lower() in {"citing", "quoting"}:
            cited = cited or " ".join(apposition[1:])
        elif looks_like_person(apposition) and person is None:
            person = " ".join(word for word in apposition if not _is_title(word))
        else:
            while apposition and apposition[0].lower() in _ARTICLES:
                apposition = apposition[1:]
            extra_role, extra_person, extra_organisation, _place = _parse_role_phrase(apposition)
            if extra_role and (role is None or role in {TITLES.get(title.lower()) for title in titles}):
                role = extra_role
            organisation = organisation or extra_organisation
            person = person or extra_person
    if person and role is None and generic is None and organisation is None and " " not in person:
        # A single capitalised word: a surname ("Lutsenko") or a one-word party ("Kyiv", "Ukrenergo").
        return ParsedSubject(subject, person=person, definite=definite, cited=cited)
    return ParsedSubject(
        subject,
        person=person,
        role=role,
        organisation=organisation,
        generic=generic,
        definite=definite,
        cited=cited,
        place_hint=place_hint,
    )


def _guess_kind(words: frozenset[str]) -> str | None:
    """A kind for an unrecorded party from the words describing it ("think tank", "broadcaster")."""
    for kind, hints in _KIND_HINTS:
        if words & hints:
            return kind
    return None


def _words_of(names: tuple[str, ...] | list[str]) -> frozenset[str]:
    """Every word of these names, lower case, possessives reduced."""
    return frozenset(_possessive(word).lower() for name in names for word in WORD.findall(name))


@dataclass
class Resolver:
    """Resolves parsed subjects against the article so far and the recorded sources."""

    directory: SourceDirectory
    history: list[Party] = field(default_factory=list)
    mentions: list[KnownSource] = field(default_factory=list)
    persons: dict[str, _Person] = field(default_factory=dict)

    # Recording what the article has said so far.

    def remember(self, party: Party) -> None:
        """Record a resolved attribution, so that later pronouns and surnames can refer to it."""
        self.history.append(party)
        if party.speaker is not None:
            organisation = party.source if party.source.name != party.speaker.name else None
            self._register_person(party.speaker.name, party.speaker.role, organisation, party.speaker.source_id)

    def notice(self, text: str) -> None:
        """Record the recorded sources a sentence names, for "the ministry" and "the station" later on."""
        for _offset, source in self.directory.mentions(text):
            self.mentions.append(source)

    def introduce(self, text: str) -> None:
        """Record people introduced with their role: "Serhii Lutsenko, commander of the 47th Brigade, ..."."""
        # "Col. Serhii Lutsenko, commander of the 47th Mechanized Brigade, spoke to ...": an introduction.
        # Two to four capitalised words at a word start, a comma, a short description, a comma.
        for match in re.finditer(r"(?<![\w'’.-])((?:[A-Z][\w'’.-]*\s+){1,3}[A-Z][\w'’-]*),\s+([^,]{3,90}?),", text):
            name_words = _clean_words(match.group(1))
            if not looks_like_person(name_words):
                continue
            apposition = _clean_words(match.group(2))
            while apposition and apposition[0].lower() in _ARTICLES:
                apposition = apposition[1:]
            role, _person, organisation, _place = _parse_role_phrase(apposition)
            if role:
                name = " ".join(word for word in name_words if not _is_title(word))
                organisation_ref = self._organisation(organisation) if organisation else None
                known = self.directory.lookup(name)
                self._register_person(name, role, organisation_ref, known.id if known else None)

    def _register_person(
        self, name: str, role: str | None, organisation: Ref | None, source_id: uuid.UUID | None
    ) -> None:
        """Remember a person by full name and surname, keeping the best organisation known."""
        surname = name.split()[-1].lower()
        existing = self.persons.get(surname)
        if existing is not None and existing.name == name:
            existing.role = existing.role or role
            if organisation is not None and (existing.organisation is None or existing.organisation.source_id is None):
                existing.organisation = organisation
            return
        self.persons[surname] = _Person(name, role, organisation, source_id)
        self.persons[name.lower()] = self.persons[surname]

    # Resolving one subject.

    def resolve(self, parsed: ParsedSubject, context: str = "") -> Party | None:
        """The party a parsed subject refers to, given what came before; None when it cannot be told."""
        if parsed.pronoun is not None:
            return self._pronoun(parsed.pronoun)
        if parsed.person is not None:
            return self._person(parsed, context)
        if parsed.generic is not None:
            return self._generic(parsed, context)
        if parsed.organisation is not None:
            organisation = self._organisation(parsed.organisation, context)
            return self._party(organisation, None, parsed.text)
        if parsed.role is not None:
            # "The commander said" refers back; "a senior military official said" is an unnamed party.
            found = self._role_only(parsed) if parsed.definite else None
            if found is not None:
                return found
            name = re.sub(r"^(?:the|a|an)\s+", "", " ".join(_clean_words(parsed.text)), flags=re.IGNORECASE)
            return Party(Ref(name), None, _guess_kind(_words_of([name])), _words_of([name]), False)
        return None

    def _pronoun(self, pronoun: str) -> Party | None:
        """The last party a pronoun can refer to: a person for he/she, an organisation for it/they."""
        for party in reversed(self.history):
            if pronoun in {"he", "she"} and party.speaker is not None:
                return party
            if pronoun == "it" and party.speaker is None and not party.plural:
                return party
            if pronoun == "they" and party.speaker is None:
                return party
        return None

    def _person(self, parsed: ParsedSubject, context: str = "") -> Party:
        """A named person, their role, and the organisation they speak for."""
        assert parsed.person is not None
        name = parsed.person
        entry = self.persons.get(name.lower()) or (
            self.persons.get(name.split()[-1].lower()) if " " not in name else None
        )
        known = self.directory.lookup(name)
        if " " not in name and entry is None and parsed.role is None and parsed.organisation is None:
            if known is not None and known.kind != "individual":
                return self._party(Ref(known.name, known.id), None)
            if known is None and not self._is_surname_of_known(name):
                # A one-word subject nobody introduced: a party named by one word ("Ukrenergo", "Kyiv").
                return self._party(self._organisation(name), None)
        if " " not in name and known is None:
            known = self._known_by_surname(name)
        if entry is not None:
            name = entry.name
        elif known is not None and known.kind == "individual":
            name = known.name
        organisation = self._organisation(parsed.organisation, context) if parsed.organisation else None
        if (organisation is None or organisation.source_id is None) and known is not None and known.parent_id:
            parent = self.directory.get(known.parent_id)
            if parent is not None:
                organisation = Ref(parent.name, parent.id)
        if organisation is None and parsed.place_hint and parsed.role:
            organisation = self._by_place_and_role(parsed.place_hint, parsed.role)
        if (organisation is None or organisation.source_id is None) and entry is not None and entry.organisation:
            organisation = entry.organisation
        role = parsed.role or (entry.role if entry else None) or (known.role if known else None)
        person_id = known.id if known is not None and known.kind == "individual" else None
        speaker = Speaker(name, role, person_id)
        source = organisation or Ref(name, person_id)
        return self._party(source, speaker)

    def speaking_for(self, party: Party, statement: str, context: str = "") -> Party:
        """ "Spokesman Igor Konashenkov said the ministry had ...": a spokesperson whose subject names no
        organisation speaks for the one their statement names, "the ministry" being the ministry the article
        is about; they stay the speaker. Anyone else, or a statement naming no organisation, is unchanged."""
        speaker = party.speaker
        if speaker is None or speaker.role is None or not _SPOKES_ROLES & set(speaker.role.split()):
            return party
        if party.source.name != speaker.name:
            return party  # the subject, the database or the article already gave their organisation
        found = _NAMED_ORGANISATION.match(statement)
        if found is None:
            return party
        words = found.group(1).split()
        heads = [index for index, word in enumerate(words) if _possessive(word).lower() in _INSTITUTION_HEADS]
        head = heads[0] if heads else None
        if head is None:
            return party
        described = _possessive(" ".join(words[: head + 1]))
        # "The ministry" is definite: the one the article has been about, else whichever the name gives.
        recent = self._recent([_possessive(word).lower() for word in described.split()], context)
        organisation = recent.source if recent is not None else self._organisation(described, context)
        return self._party(organisation, speaker, described)

    def _is_surname_of_known(self, word: str) -> bool:
        """Whether a word is the surname of exactly one recorded person."""
        return self._known_by_surname(word) is not None

    def _known_by_surname(self, word: str) -> KnownSource | None:
        """The one recorded person with this surname, if exactly one."""
        matches = [
            source
            for source in self.directory.by_id.values()
            if source.kind == "individual" and source.name.split()[-1].lower() == word.lower()
        ]
        return matches[0] if len(matches) == 1 else None

    def _by_place_and_role(self, place: str, role: str) -> Ref | None:
        """ "Kharkiv regional military administrator" → the recorded Kharkiv Regional Military Administration."""
        known = self.directory.lookup(f"{place} {role}")
        return Ref(known.name, known.id) if known is not None and known.kind != "individual" else None

    def _role_only(self, parsed: ParsedSubject) -> Party | None:
        """ "The commander said": the last speaker whose role has that word."""
        assert parsed.role is not None
        head = parsed.role.split()[-1].lower()
        for party in reversed(self.history):
            if party.speaker is not None and party.speaker.role and head in party.speaker.role.lower():
                return party
        for person in reversed(list(self.persons.values())):
            if person.role and head in person.role.lower():
                return self._party(
                    person.organisation or Ref(person.name, person.source_id),
                    Speaker(person.name, person.role, person.source_id),
                )
        return None

    def _generic(self, parsed: ParsedSubject, context: str) -> Party:
        """An unnamed party ("military officials"), or the party "the analysts" refers back to."""
        assert parsed.generic is not None
        words = [_possessive(word).lower() for word in parsed.generic.split()]
        capitalised = [word for word in parsed.generic.split() if word[:1].isupper()]
        if parsed.definite or not capitalised:
            recent = self._recent(words, context)
            if recent is not None:
                return recent
        known = self.directory.lookup(parsed.generic)
        if known is not None:
            return self._party(Ref(known.name, known.id), None)
        plural = words[-1].endswith("s") or words[-1] in _PLURAL_HINTS
        return Party(Ref(parsed.generic), None, _guess_kind(frozenset(words)), frozenset(words), plural)

    def _recent(self, words: list[str], context: str = "") -> Party | None:
        """The latest party (attributed, then merely named) that the head words of "the X" fit."""
        nouns = [
            word for word in reversed(words) if word in PARTY_NOUNS or word in _HEAD_KINDS or word in ORGANISATION_WORDS
        ]
        if not nouns:
            return None
        for noun in nouns:
            kind = _HEAD_KINDS.get(noun)
            for party in reversed(self.history):
                if party.speaker is None and (noun in party.words or (kind is not None and party.kind == kind)):
                    return party
            for source in reversed(self.mentions):
                if noun in _words_of(source.names) or (kind is not None and source.kind == kind):
                    return self._party(Ref(source.name, source.id), None)
        # "The regional military administration" in a line about Kherson: the recorded one for that place.
        known = self.directory.containing(word for word in words if word not in _ARTICLES)
        fitting = self._fitting(known, words, context)
        return self._party(Ref(fitting.name, fitting.id), None) if fitting is not None else None

    def _organisation(self, text: str, context: str = "") -> Ref:
        """A recorded source for an organisation's name, or the name as written."""
        text = re.sub(r"^(?:the|a|an)\s+", "", text.strip(), flags=re.IGNORECASE)
        known = self.directory.lookup(text)
        if known is not None:
            return Ref(known.name, known.id)
        words = [_possessive(word).lower() for word in text.split()]
        if not any(word[:1].isupper() for word in text.split()[-1:]):
            recent = self._recent(words, context)
            if recent is not None:
                return recent.source
        fitting = self._fitting(self.directory.containing(words), words, context)
        if fitting is not None:
            return Ref(fitting.name, fitting.id)
        return Ref(_possessive(text))

    @staticmethod
    def _fitting(known: list[KnownSource], words: list[str], context: str) -> KnownSource | None:
        """The one candidate left once the sentence's other words (countries as adjectives) are weighed."""
        if len(known) == 1:
            return known[0]
        if len(known) > 1 and context:
            context_words = {_possessive(word.lower()) for word in WORD.findall(context)}
            context_words |= {COUNTRY_ADJECTIVES[word] for word in context_words if word in COUNTRY_ADJECTIVES}
            context_words -= set(words) | _NAME_LINKS | _ARTICLES
            fitting = [source for source in known if _words_of(source.names) & context_words]
            if len(fitting) == 1:
                return fitting[0]
        return None

    def _party(self, source: Ref, speaker: Speaker | None, described: str = "") -> Party:
        """A party for a reference, with the words and kind that later references can match."""
        known = self.directory.get(source.source_id)
        names: tuple[str, ...] = known.names if known is not None else (source.name, described)
        words = _words_of(names)
        kind = known.kind if known is not None else _guess_kind(words)
        return Party(source, speaker, kind, words, False)

    def outlet(self, text: str | None) -> Ref | None:
        """The intermediary named after "told" or "interview with", if it is an outlet rather than an audience."""
        if not text:
            return None
        words = _clean_words(text)
        lowered = [word.lower() for word in words]
        if not words or lowered[-1] in {"reporters", "journalists", "lawmakers", "parliament", "audience", "viewers"}:
            return None
        known = self.directory.lookup(" ".join(words))
        if known is None:
            run = _name_run(words)
            known = self.directory.lookup(" ".join(run)) if run else None
            if known is None and run and any(word in OUTLET_WORDS for word in lowered):
                return Ref(" ".join(run))
        if known is not None:
            return Ref(known.name, known.id)
        if lowered[0] == "the":
            recent = self._recent(lowered)
            if recent is not None and recent.kind == "media":
                return recent.source
        return None

    def with_citation(self, party: Party, cited: str, context: str = "") -> tuple[Party, Ref]:
        """ "TASS, citing the Defence Ministry": the cited party is the origin and the citer an intermediary."""
        origin = self.resolve(parse_subject(cited), context) or self._party(self._organisation(cited, context), None)
        return replace(origin), party.source
