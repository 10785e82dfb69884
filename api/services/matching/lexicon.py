"""The words the matcher treats apart, per language (en, uk, ru): stopwords, negations, number words, synonyms and
the attribution wrappers a relay adds around an assertion.

Written for war reporting, the claims this database holds: the synonym groups are the verbs and nouns that
paraphrases of front-line, strike, casualty and evacuation reports swap for one another. They are data, not
rules; `tests/data/matching/` measures what they are worth.
"""

from __future__ import annotations

import re


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


_SPEECH_EN = (
    r"(?:said|says|say|stated|states|reported|reports|report|claimed|claims|announced|announces|added|adds|noted|"
    r"notes|wrote|writes|posted|posts|confirmed|confirms|assessed|assesses|believes|told\s+[\w\s.'-]{1,40}?|"
    r"tells\s+[\w\s.'-]{1,40}?|informed|informs|alleged|alleges|asserted|asserts|insisted|insists)"
)
_SPEECH_UK = (
    r"(?:заявив|заявила|заявили|заявило|повідомило|заявляє|повідомив|повідомила|повідомили|повідомляє|зазначив|зазначила|"
    r"зазначили|сказав|сказала|сказали|написав|написала|написали|стверджує|стверджують|підтвердив|підтвердила|"
    r"підтвердили|вважає|вважають|інформує|додав|додала)"
)
_SPEECH_RU = (
    r"(?:заявил|заявила|заявили|заявило|сообщило|заявляет|сообщил|сообщила|сообщили|сообщает|отметил|отметила|отметили|сказал|"
    r"сказала|сказали|написал|написала|написали|утверждает|утверждают|подтвердил|подтвердила|подтвердили|"
    r"считает|считают|информирует|добавил|добавила)"
)
_WHO = r"[^,.;:!?\"«»]{1,80}?"

# A cheap first look: text with none of these words has no attribution wrapper to take off (every pattern below
# has one of them), so the patterns are tried only when one is there.
ATTRIBUTION_CUES = frozenset(
    word for word in re.findall(r"[^\W\d_]+", (_SPEECH_EN + _SPEECH_UK + _SPEECH_RU).casefold()) if len(word) > 1
) | _words("according citing per згідно словами даними повідомляють согласно словам данным сообщают")
ATTRIBUTION_PREFIXES = tuple(
    re.compile(pattern, re.IGNORECASE | re.UNICODE)
    for pattern in (
        rf"^{_WHO}\s+{_SPEECH_EN}(?:\s+on\s+\w+)?(?:\s+that|\s*[:,])\s*",
        # "Governor X said three civilians were killed": a short subject and a verb of saying, without "that".
        r"^(?:[\w.'’-]+\s+){0,5}?[\w.'’-]+\s+(?:said|says|stated|claimed|told\s+\w+|wrote|announced)\s+",
        rf"^(?:according\s+to|citing|as\s+reported\s+by|per)\s+{_WHO}\s*,\s*",
        rf"^{_WHO}\s+{_SPEECH_UK}\s*(?:,\s*що|:)\s+",
        rf"^(?:за\s+словами|за\s+даними|як\s+повідомляє|як\s+повідомив|як\s+повідомили|як\s+повідомляють|як\s+зазначає|згідно\s+з)\s+{_WHO}\s*,\s*",
        rf"^{_WHO}\s+{_SPEECH_RU}\s*(?:,\s*что|:)\s+",
        rf"^(?:по\s+словам|по\s+данным|как\s+сообщает|как\s+сообщил|как\s+сообщили|как\s+сообщают|как\s+отмечает|согласно)\s+{_WHO}\s*,\s*",
    )
)
ATTRIBUTION_SUFFIXES = tuple(
    re.compile(pattern, re.IGNORECASE | re.UNICODE)
    for pattern in (
        rf"\s*,\s*(?:according\s+to|citing|as\s+reported\s+by|per)\s+{_WHO}\s*([.!?]?)$",
        rf"\s*,\s*{_WHO}\s+{_SPEECH_EN}\s*([.!?]?)$",
        rf"\s*,\s*(?:{_SPEECH_EN})\s+{_WHO}\s*([.!?]?)$",
        rf"\s*,\s*(?:за\s+словами|за\s+даними|як\s+повідомляє|повідомляє|повідомив|повідомили|заявив|заявили)\s+{_WHO}\s*([.!?]?)$",
        rf"\s*,\s*(?:по\s+словам|по\s+данным|как\s+сообщает|сообщает|сообщил|сообщили|заявил|заявили)\s+{_WHO}\s*([.!?]?)$",
    )
)

NEGATIONS: dict[str, frozenset[str]] = {
    "en": _words(
        """
not no never none nobody nothing neither nor without cannot denied denies deny denying refuted
refutes false untrue
"""
    ),
    "uk": _words(
        """
не ні немає нема жодних жодного жодної жоден ніколи ніхто ніщо без заперечив заперечила заперечили
заперечує спростував спростувала спростували
"""
    ),
    "ru": _words(
        """
не нет ни никаких никакого никакой никто ничто никогда без отрицает отрицают опроверг опровергла
опровергли опровергает
"""
    ),
}

_STOP_EN = _words(
    """
a an the and or but if then than that this these those there here of in on at to from by for with
about into onto over under after before during since until while as is are was were be been being
has have had do does did will would shall should may might can could must it its it's they them
their he him his she her we us our you your i me my which who whom whose what when where why how
also so such very more most some any each other only just still yet already again further near
around toward towards across through per via up down out off amid against among between within upon
says said say reported reports report according stated told claimed claims announced added noted
wrote posted confirmed spokesman spokeswoman spokesperson statement telegram update briefing however
meanwhile reportedly allegedly likely
"""
)
_STOP_UK = _words(
    """
внаслідок щодо поблизу
і й та а але або чи що як це цей ця ці той та те ті там тут у в на з із зі до від по за про для при
під над між через біля після перед під час через його її їх їхній їм він вона воно вони ми ви я мене
нас вас був була було були є бути буде будуть вже ще також тільки лише саме дуже так який яка яке
які де коли чому щоб ніж заявив заявила заявили повідомив повідомила повідомили повідомляє зазначив
сказав словами даними
"""
)
_STOP_RU = _words(
    """
результате результат вследствие
и й а но или ли что как это этот эта эти тот та то те там тут у в во на с со из до от по за про для
при под над между через около после перед его ее её их им он она оно они мы вы я меня нас вас был
была было были есть быть будет будут уже еще ещё также только лишь именно очень так который которая
которое которые где когда почему чтобы чем заявил заявила заявили сообщил сообщила сообщили сообщает
отметил сказал словам данным
"""
)
STOPWORDS: dict[str, frozenset[str]] = {"en": _STOP_EN, "uk": _STOP_UK, "ru": _STOP_RU}

NUMBER_WORDS: dict[str, dict[str, str]] = {
    "en": {
        "one": "1", "two": "2", "three": "3", "four": "4", "five": "5", "six": "6", "seven": "7", "eight": "8",
        "nine": "9", "ten": "10", "eleven": "11", "twelve": "12", "fifteen": "15", "twenty": "20", "thirty": "30",
        "forty": "40", "fifty": "50", "sixty": "60", "seventy": "70", "eighty": "80", "ninety": "90",
        "hundred": "100", "hundreds": "100", "thousand": "1000", "thousands": "1000", "dozen": "12", "dozens": "12",
    },
    "uk": {
        "один": "1", "одна": "1", "два": "2", "дві": "2", "двох": "2", "три": "3", "трьох": "3", "чотири": "4",
        "п'ять": "5", "шість": "6", "сім": "7", "вісім": "8", "дев'ять": "9", "десять": "10", "двадцять": "20",
        "тридцять": "30", "сорок": "40", "п'ятдесят": "50", "шістдесят": "60", "шістдесяти": "60", "сто": "100",
        "сотні": "100", "тисяча": "1000", "тисячі": "1000", "десятки": "12",
    },
    "ru": {
        "один": "1", "одна": "1", "два": "2", "две": "2", "двух": "2", "три": "3", "трех": "3", "трёх": "3",
        "четыре": "4", "пять": "5", "шесть": "6", "семь": "7", "восемь": "8", "девять": "9", "десять": "10",
        "двадцать": "20", "тридцать": "30", "сорок": "40", "пятьдесят": "50", "шестьдесят": "60",
        "шестидесяти": "60", "сто": "100", "сотни": "100", "тысяча": "1000", "тысячи": "1000", "десятки": "12",
    },
}  # fmt: skip

IRREGULAR_EN = {
    "withdrew": "withdraw", "withdrawn": "withdraw", "fled": "flee", "shot": "shoot", "struck": "strike",
    "lost": "lose", "left": "leave", "took": "take", "taken": "take", "fought": "fight", "hit": "strike",
    "began": "begin", "begun": "begin", "brought": "bring", "sent": "send", "held": "hold", "drove": "drive",
    "driven": "drive", "fell": "fall", "fallen": "fall", "seized": "seiz", "shelled": "shell", "died": "die",
    "dead": "die", "killed": "kill", "wounded": "wound", "injured": "injur", "blew": "blow", "blown": "blow",
    "caught": "catch", "chose": "choos", "chosen": "choos", "built": "build", "bought": "buy", "came": "come",
    "did": "do", "done": "do", "found": "find", "gave": "give", "given": "give", "got": "get", "gotten": "get",
    "went": "go", "gone": "go", "knew": "know", "known": "know", "led": "lead", "made": "make", "met": "meet",
    "ran": "run", "saw": "see", "seen": "see", "sought": "seek", "spoke": "speak", "spoken": "speak",
    "stood": "stand", "stole": "steal", "stolen": "steal", "swept": "sweep", "threw": "throw", "thrown": "throw",
    "told": "tell", "understood": "understand", "woke": "wake", "won": "win", "wrote": "write", "written": "write",
    "rose": "rise", "risen": "rise", "flew": "fly", "flown": "fly", "froze": "freez", "frozen": "freez",
    "fully": "full", "heavily": "heavi",
}  # fmt: skip

# Each group: the concept's name first, then words that paraphrases use for it (surface forms; they are stemmed
# or lemmatised like any word, so one form of each suffices).
SYNONYM_GROUPS: dict[str, list[list[str]]] = {
    "en": [
        [
            "withdraw",
            "withdrawal",
            "retreat",
            "retreated",
            "pull",
            "pulled",
            "pullout",
            "leave",
            "abandon",
            "abandoned",
            "fall back",
            "fell",
        ],
        ["troops", "forces", "force", "army", "soldiers", "units", "military", "servicemen", "troop"],
        ["kill", "killed", "die", "dead", "death", "deaths", "fatalities", "lives", "perished"],
        ["injure", "injured", "wounded", "wound", "injuries", "hurt"],
        ["civilians", "civilian", "residents", "people", "inhabitants", "persons"],
        [
            "strike",
            "strikes",
            "struck",
            "attack",
            "attacked",
            "attacks",
            "hit",
            "shelling",
            "shelled",
            "bombardment",
            "bombed",
            "shell",
        ],
        ["missile", "missiles", "rocket", "rockets"],
        ["drone", "drones", "uav", "uavs", "shahed", "shaheds"],
        ["down", "intercept", "intercepted", "destroy", "destroyed", "downed", "shoot", "neutralised", "neutralized"],
        ["evacuate", "evacuated", "evacuation", "evacuating", "rescue", "rescued"],
        ["capture", "captured", "seize", "seized", "take", "occupied", "occupy", "control"],
        ["liberate", "liberated", "recapture", "recaptured", "regain", "regained", "retake", "retook", "freed"],
        ["advance", "advanced", "push", "pushed", "gain", "gained", "progress"],
        ["repel", "repelled", "repulse", "repulsed", "beat", "thwart", "thwarted", "foil", "foiled"],
        ["town", "city", "settlement", "village"],
        ["negotiate", "negotiates", "negotiating", "negotiations", "talks", "discuss", "discussing"],
        ["building", "house", "apartment", "block", "residential"],
        ["power", "electricity", "energy"],
        ["hostilities", "fighting", "combat", "battles", "battle", "clashes", "assault", "offensive"],
        ["situation", "conditions"],
        ["critical", "dire", "desperate", "grave"],
        ["hottest", "hardest", "fiercest", "toughest", "heaviest", "intense"],
        ["overnight", "night"],
        ["area", "region", "vicinity", "surroundings", "outskirts", "direction", "sector"],
        ["enemy", "adversary", "invaders", "occupiers"],
        ["russian", "russia's", "russians"],
        ["ukrainian", "ukraine's", "ukrainians"],
        ["plant", "station", "facility"],
        ["damage", "damaged", "destroy"],
        ["bridge", "crossing"],
        ["restore", "restored", "reconnected", "resumed", "resume"],
        ["prisoner", "prisoners", "pows", "captives"],
        ["exchange", "swap"],
    ],
    "uk": [
        ["відійти", "відступити", "відступ", "залишити", "вийти", "відвести", "відходити", "відступати"],
        ["війська", "військо", "сили", "армія", "підрозділ", "військовий", "військові", "солдат"],
        ["загинути", "вбити", "убити", "загиблий", "смерть", "жертва", "загиблі"],
        ["поранити", "поранений", "травмувати", "постраждати", "постраждалий"],
        ["цивільний", "мирний", "мешканець", "житель", "людина", "люди", "населення"],
        ["удар", "обстріл", "обстріляти", "атака", "атакувати", "вдарити", "поцілити"],
        ["ракета", "ракетний"],
        ["дрон", "безпілотник", "шахед", "бпла"],
        ["збити", "знищити", "перехопити"],
        ["евакуювати", "евакуація", "вивезти"],
        ["захопити", "окупувати", "зайняти"],
        ["звільнити", "визволити", "повернути", "відбити"],
        ["просунутися", "наступ", "наступати", "просування"],
        ["місто", "селище", "село", "населений"],
        ["переговори", "перемовини", "домовлятися"],
        ["ворог", "противник", "окупант", "загарбник"],
        ["російський", "росія", "рф"],
        ["район", "напрямок", "околиця", "область"],
        ["бойовий", "бій", "бойові", "штурм", "боєць"],
        ["тривати", "вестися", "відбуватися"],
    ],
    "ru": [
        ["отойти", "отступить", "отступление", "отход", "оставить", "выйти", "отвести", "отступать"],
        ["войска", "войско", "силы", "армия", "подразделение", "военный", "военные", "солдат"],
        ["погибнуть", "убить", "погибший", "смерть", "жертва"],
        ["ранить", "раненый", "пострадать", "пострадавший"],
        ["мирный", "житель", "человек", "люди", "население", "гражданский"],
        ["удар", "обстрел", "обстрелять", "атака", "атаковать", "ударить", "поразить"],
        ["ракета", "ракетный"],
        ["дрон", "беспилотник", "бпла", "герань"],
        ["сбить", "уничтожить", "перехватить"],
        ["эвакуировать", "эвакуация", "вывезти"],
        ["захватить", "занять", "оккупировать", "освободить", "взять"],
        ["продвинуться", "наступление", "наступать", "продвижение"],
        ["город", "поселок", "село", "населенный"],
        ["переговоры", "договариваться"],
        ["противник", "враг", "неприятель"],
        ["украинский", "всу", "украина"],
        ["район", "направление", "окрестность", "область"],
        ["боевой", "бой", "штурм"],
        ["идти", "вестись", "продолжаться"],
    ],
}
