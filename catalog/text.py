"""Russian text normalization shared by indexing and querying (both databases)."""

import functools
import re
import threading
from collections.abc import Iterable, Sequence
from typing import NamedTuple

import pymorphy3
import snowballstemmer
from rapidfuzz import process
from rapidfuzz.distance import OSA

_WORD = re.compile(r"[0-9a-zа-я]+")
_local = threading.local()

# Function words that carry no meaning in a catalog query («кружок для детей в центре»): every stop
# word of PostgreSQL's `russian` dictionary, which leaves them out of documents and queries, so that a
# query of SQLite drops the same words (a test compares the two lists), and a few more.
STOPWORDS = frozenset(
    [
        "а",
        "без",
        "более",
        "больше",
        "будет",
        "будто",
        "бы",
        "был",
        "была",
        "были",
        "было",
        "быть",
        "в",
        "вам",
        "вас",
        "вдруг",
        "ведь",
        "весь",
        "во",
        "вот",
        "впрочем",
        "все",
        "всегда",
        "всего",
        "всех",
        "всю",
        "вы",
        "где",
        "да",
        "даже",
        "два",
        "для",
        "до",
        "другой",
        "его",
        "ее",
        "ей",
        "ему",
        "если",
        "есть",
        "еще",
        "ж",
        "же",
        "за",
        "зачем",
        "здесь",
        "и",
        "из",
        "или",
        "им",
        "иногда",
        "их",
        "к",
        "как",
        "какая",
        "какой",
        "ко",
        "когда",
        "конечно",
        "кто",
        "куда",
        "ли",
        "либо",
        "лучше",
        "между",
        "меня",
        "мне",
        "много",
        "может",
        "можно",
        "мой",
        "моя",
        "мы",
        "на",
        "над",
        "надо",
        "наконец",
        "нам",
        "нас",
        "не",
        "него",
        "нее",
        "ней",
        "нельзя",
        "нет",
        "ни",
        "нибудь",
        "никогда",
        "ним",
        "них",
        "ничего",
        "но",
        "ну",
        "о",
        "об",
        "один",
        "однако",
        "он",
        "она",
        "они",
        "оно",
        "опять",
        "от",
        "очень",
        "перед",
        "по",
        "под",
        "после",
        "потом",
        "потому",
        "почти",
        "при",
        "про",
        "раз",
        "разве",
        "с",
        "сам",
        "свою",
        "себе",
        "себя",
        "сейчас",
        "со",
        "совсем",
        "так",
        "также",
        "такой",
        "там",
        "те",
        "тебя",
        "тем",
        "теперь",
        "то",
        "тогда",
        "того",
        "тоже",
        "той",
        "только",
        "том",
        "тот",
        "три",
        "тут",
        "ты",
        "у",
        "уж",
        "уже",
        "хорошо",
        "хоть",
        "хотя",
        "чего",
        "чей",
        "чем",
        "через",
        "что",
        "чтоб",
        "чтобы",
        "чуть",
        "чье",
        "чья",
        "эта",
        "эти",
        "это",
        "этого",
        "этой",
        "этом",
        "этот",
        "эту",
        "я",
        # Ages, which the age filter says better.
        "лет",
        "год",
        "года",
        "годы",
    ]
)


# Words families type around what they want («кружок по робототехнике для детей»). They describe
# every program, so a query drops them instead of requiring them in the document.
QUERY_NOISE_STEMS = frozenset({"кружок", "кружк", "секц", "занят", "дет", "детьм", "ребенок", "ребенк", "школьник"})


# Names the catalog writes in Latin letters and families type in Cyrillic, or the other way round:
# each query word is also looked for in its other spelling («ардуино» finds «Arduino»).
SPELLINGS = (
    ("arduino", "ардуино"),
    ("scratch", "скретч"),
    ("python", "питон"),
    ("lego", "лего"),
    ("minecraft", "майнкрафт"),
    ("roblox", "роблокс"),
    ("unity", "юнити"),
    ("blender", "блендер"),
    ("javascript", "джаваскрипт"),
    ("java", "джава"),
    ("photoshop", "фотошоп"),
    ("3d", "3д"),
    # Names schools shorten: «ИЗО» is «изобразительное искусство».
    ("изо", "изобразительное"),
)


# Words some of whose forms come from another stem: each is also looked for as the other
# («людям» finds «человек», «судну» finds «судов»). «Дети» — «ребёнок» is not needed: every
# program is for children, so neither word narrows a query.
OTHER_STEM_FORMS = (
    ("человек", "люди"),
    ("человек", "людьми"),  # its own stem, «людьм»
    ("судно", "суда"),
)


# What families type, and what programs are called: a query word also finds programs with these
# words. One way: «борьба» finds «самбо», «самбо» does not find every combat sport. Keyed by the stem
# of each form families type («рисование» and «рисовать» stem apart).
_DRAWING = ("рисунок", "рисуем", "живопись", "изобразительное", "художник")
_SINGING = ("вокал", "хор", "песня")
_CODING = ("программирование", "алгоритмика", "информатика")
_COMBAT = ("самбо", "дзюдо", "каратэ", "рукопашный", "тхэквондо", "бокс", "единоборства")
RELATED_WORDS = {
    "рисование": _DRAWING,
    "рисовать": _DRAWING,
    "рисунок": ("рисование", "живопись", "изобразительное"),
    "пение": _SINGING,
    "петь": _SINGING,
    "песня": ("вокал", "хор"),
    "танцы": ("хореография",),
    "танцевать": ("танец", "танцы", "хореография"),
    "туризм": ("турист", "ориентирование"),
    "инвалидность": ("инвалид",),
    "бассейн": ("плавание",),
    "борьба": _COMBAT,
    "единоборства": _COMBAT,
    "пианино": ("фортепиано",),
    "рояль": ("фортепиано",),
    "онлайн": ("дистанционные",),
    "мультфильм": ("анимация", "мультипликация"),
    "мультики": ("анимация", "мультипликация"),
    "дрон": ("квадрокоптер", "беспилотные"),
    "балет": ("хореография",),
    "айти": _CODING,
    "ит": _CODING,
    "информатика": ("программирование", "алгоритмика"),
    "космос": ("астрономия", "вселенная"),
    "космонавтика": ("астрономия", "вселенная"),
    "керамика": ("глина", "лепка"),
    "гончарный": ("глина", "лепка"),
    "рукоделие": ("декоративно", "бисероплетение", "ремесло", "умелые"),
    "блогер": ("медиа", "видео", "журналист"),
    "блог": ("медиа", "видео", "журналист"),
    "логопед": ("речь", "логопедический"),
    "логопедия": ("речь", "логопедический"),
    "музыкалка": ("музыка", "музыкальный"),
    "художка": _DRAWING,
}

# Words saying whom a program is for, not what it teaches («плавание для малышей»): when no program has
# every word of a query, they are the ones left out first, by their stems.
AUDIENCE_STEMS = frozenset({"малыш", "дошкольник", "подросток", "подростк", "начина", "девочк", "девочек", "мальчик"})


def normalize(text: str) -> str:
    return text.lower().replace("ё", "е")


def words(text: str) -> list[str]:
    """Meaningful words of a text, normalized, in order."""
    return [w for w in _WORD.findall(normalize(text)) if w not in STOPWORDS]


# «танцы 5 лет», «шахматы для 7 лет», «с 5-ти лет»: an age said in the query is the age filter, a range
# («10-12 лет», «от 3 до 7 лет») a range of ages; «2 год обучения» is no age at all.
_AGE_IN_QUERY = re.compile(
    r"(?<![\d\-–])(?:\b(?:для|на|в|с|от)\s+)?\b(\d{1,2})(?:\s*(?:-|–|до)\s*(\d{1,2}))?(?:-?(?:ти|х|и))?"
    r"\s*(?:лет|года?|годик\w*)\b(?!\s+обучени)",
    re.IGNORECASE,
)
YOUNGEST_SAID = 3  # «программа на 1 год» is a duration, not a child
# Whom a program is for, said in words («плавание для малышей», «кружки для подростков»): a range of ages, in the
# forms of the noun families write (not «подростковый клуб», an organization's kind). Preschoolers are under
# seven, schoolchildren seven to seventeen, teenagers twelve to seventeen, senior pupils fifteen to seventeen.
_PRESCHOOL, _SCHOOL, _TEENAGE, _SENIOR = (3, 6), (7, 17), (12, 17), (15, 17)
AGES_IN_WORDS = dict.fromkeys(("малыш", "малыша", "малышу", "малыши", "малышей", "малышам", "малышами"), _PRESCHOOL)
AGES_IN_WORDS |= dict.fromkeys(("дошкольники", "дошкольников", "дошкольникам", "дошкольниками"), _PRESCHOOL)
AGES_IN_WORDS |= dict.fromkeys(("подростки", "подростков", "подросткам", "подростками"), _TEENAGE)
AGES_IN_WORDS |= dict.fromkeys(("школьники", "школьников", "школьникам", "школьниками"), _SCHOOL)
AGES_IN_WORDS |= dict.fromkeys(("старшеклассники", "старшеклассников", "старшеклассникам"), _SENIOR)
# The same said with an age group, by the words' stems: «для младших школьников» (1–4 классы), «детей среднего
# школьного возраста» (5–8), «старшего дошкольного возраста». A phrase is taken whole; «школьники» alone is 7–17.
_JUNIOR, _MIDDLE = (7, 10), (11, 14)
AUDIENCE_PHRASES: dict[tuple[str, ...], tuple[int, int]] = {
    ("младшеклассник",): _JUNIOR,
    ("младш", "школьник"): _JUNIOR,
    ("средн", "школьник"): _MIDDLE,
    ("старш", "школьник"): _SENIOR,
    ("школьн", "возраст"): _SCHOOL,
    ("младш", "школьн", "возраст"): _JUNIOR,
    ("средн", "школьн", "возраст"): _MIDDLE,
    ("старш", "школьн", "возраст"): _SENIOR,
    ("дошкольн", "возраст"): _PRESCHOOL,
    ("младш", "дошкольн", "возраст"): (3, 4),
    ("старш", "дошкольн", "возраст"): (5, 6),
}
_LONGEST_AUDIENCE = max(map(len, AUDIENCE_PHRASES))
# Words of a query that name how a program is paid for, by their stems: the funding filter.
FUNDING_STEMS = {
    "бесплатн": "free",
    "платн": "paid",
    "сертификат": "certificate",
    "пфдо": "certificate",
    "пф": "certificate",
}


# Days written into a query («по субботам», «в среду», «на выходных»), by the forms families write:
# the day filter (0 — Monday). Not «среда» alone: «среда программирования» is no Wednesday.
_DAY_FORMS = {
    0: ("понедельник", "понедельника", "понедельникам", "пн"),
    1: ("вторник", "вторника", "вторникам", "вт"),
    2: ("среду", "средам"),  # not «ср»: «ср» is also «средний»
    3: ("четверг", "четверга", "четвергам", "чт"),
    4: ("пятница", "пятницу", "пятницам", "пт"),
    5: ("суббота", "субботу", "субботам", "сб"),
    6: ("воскресенье", "воскресеньям", "воскресенья", "вс"),
}
DAYS_IN_QUERY: dict[str, tuple[int, ...]] = {form: (day,) for day, forms in _DAY_FORMS.items() for form in forms}
DAYS_IN_QUERY |= dict.fromkeys(("выходные", "выходным", "выходных"), (5, 6))
DAYS_IN_QUERY |= dict.fromkeys(("будни", "будням", "будний", "будние"), (0, 1, 2, 3, 4))


def _forms(*words: str) -> frozenset[str]:
    """Words of a phrase matched as written, not by their stem (see OVZ_CATEGORY_PHRASES)."""
    return frozenset(words)


_HEARING = ("deaf", "hard_of_hearing")
_SIGHT = ("blind", "visually_impaired")
# The categories of children with ОВЗ written into a query («шахматы для слабовидящих», «дети с ДЦП»): the
# category filter, by the codes of the EPGU dictionary OvzTypes (catalog.OvzCategory). A phrase is its words in
# order, each a Snowball stem or, where the stem means something else too, the forms taken (`_forms`). Only
# what means nothing else: never «речи» or «развитие речи» (every preschooler's speech), «интеллектуальные» alone
# («интеллектуальные игры»), «слух» or «зрение» alone («музыкальный слух»), «опорно-двигательного» alone
# (posture gymnastics is for everyone).
Phrase = tuple[str | frozenset[str], ...]
OVZ_CATEGORY_PHRASES: dict[Phrase, tuple[str, ...]] = {
    # «Глухие»: the plural, as families write of children (the singular is more often a sound, «глухой согласный»).
    (_forms("глухих", "глухие", "глухим", "глухими"),): ("deaf",),
    ("глухонем",): ("deaf",),
    ("неслыша",): ("deaf",),
    # «Слабослышащие и позднооглохшие».
    ("слабослыша",): ("hard_of_hearing",),
    ("позднооглохш",): ("hard_of_hearing",),
    ("тугоух",): ("hard_of_hearing",),
    ("нарушен", "слух"): _HEARING,  # «с нарушениями слуха», «с нарушенным слухом»: either category
    # «Слепые»: «слепым» is also «слепым методом» (touch typing), «слепой» a kind of print.
    ("незряч",): ("blind",),
    (_forms("слепых", "слепые", "слепыми"),): ("blind",),
    # «Слабовидящие».
    ("слабовидя",): ("visually_impaired",),
    ("слаб", "зрен"): ("visually_impaired",),  # «со слабым зрением»
    ("нарушен", "зрен"): _SIGHT,
    # «Тяжёлые нарушения речи», ТНР.
    (_forms("тнр"),): ("speech",),
    ("нарушен", "реч"): ("speech",),
    ("тяжел", "нарушен", "реч"): ("speech",),
    ("речев", "нарушен"): ("speech",),
    # «Нарушения опорно-двигательного аппарата», НОДА; ДЦП is its most frequent cause.
    (_forms("дцп"),): ("musculoskeletal",),
    (_forms("нода"),): ("musculoskeletal",),
    ("нарушен", "опорн", "двигательн"): ("musculoskeletal",),
    ("нарушен", "опорн", "двигательн", "аппарат"): ("musculoskeletal",),
    ("нарушен", _forms("ода")): ("musculoskeletal",),
    # «Задержка психического развития», ЗПР.
    (_forms("зпр"),): ("mental_delay",),
    ("задержк", "психическ", "развит"): ("mental_delay",),
    # «Расстройства аутистического спектра», РАС: «рас» as written («расы» is a race).
    (_forms("рас"),): ("autism",),
    ("аутизм",): ("autism",),
    ("аутист",): ("autism",),
    ("аутистическ",): ("autism",),
    ("аутистическ", "спектр"): ("autism",),
    ("расстройств", "аутистическ", "спектр"): ("autism",),
    # «Умственная отсталость (интеллектуальные нарушения)».
    ("умствен", "отстал"): ("intellectual",),
    ("интеллектуальн", "нарушен"): ("intellectual",),
    ("нарушен", "интеллект"): ("intellectual",),
    # «Сложные дефекты»; ТМНР, «тяжёлые множественные нарушения развития», are what schools call them.
    ("сложн", "дефект"): ("complex",),
    (_forms("тмнр"),): ("complex",),
    ("тяжел", "множествен", "нарушен", "развит"): ("complex",),
}
# A phrase followed by one of these names a sound, not children: «глухие согласные», «глухих звуков».
_SOUND_STEMS = frozenset({"согласн", "звук"})


def _word_is(word: str, element: str | frozenset[str]) -> bool:
    return word in element if isinstance(element, frozenset) else stem(word) == element


# The phrases by their first word's form and by its stem, longest first: a query's word is looked up, not
# compared with every phrase.
_PHRASES_BY_FORM: dict[str, list[Phrase]] = {}
_PHRASES_BY_STEM: dict[str, list[Phrase]] = {}
for _phrase in sorted(OVZ_CATEGORY_PHRASES, key=len, reverse=True):
    if isinstance(_phrase[0], frozenset):
        for _form in _phrase[0]:
            _PHRASES_BY_FORM.setdefault(_form, []).append(_phrase)
    else:
        _PHRASES_BY_STEM.setdefault(_phrase[0], []).append(_phrase)
_LONGEST_PHRASE = max(map(len, OVZ_CATEGORY_PHRASES))


def _ovz_categories_said(token_words: Sequence[list[str]], at: int) -> tuple[int, tuple[str, ...]]:
    """The categories a phrase starting at the token `at` (tokens given by their words) names and the number
    of tokens it takes, whole («опорно-двигательного» is one); (0, ()) when none does."""
    words: list[str] = []
    tokens_taken = {}  # words read → tokens they take
    for n, its_words in enumerate(token_words[at : at + _LONGEST_PHRASE + 1], 1):
        words += its_words
        tokens_taken[len(words)] = n
    if not token_words[at]:
        return 0, ()
    for phrase in _PHRASES_BY_FORM.get(words[0], []) + _PHRASES_BY_STEM.get(stem(words[0]), []):
        size = len(phrase)
        if (
            size in tokens_taken
            and all(_word_is(word, element) for word, element in zip(words, phrase, strict=False))
            and not (len(words) > size and stem(words[size]) in _SOUND_STEMS)
        ):
            return tokens_taken[size], OVZ_CATEGORY_PHRASES[phrase]
    return 0, ()


def _audience_said(token_words: Sequence[list[str]], at: int) -> tuple[int, tuple[int, int] | None]:
    """The ages an age group starting at the token `at` names (AUDIENCE_PHRASES, the longest) and the tokens it
    takes; (0, None) when none does."""
    stems: list[str] = []
    tokens_taken = {}  # words read → tokens they take
    for n, its_words in enumerate(token_words[at : at + _LONGEST_AUDIENCE], 1):
        stems += map(stem, its_words)
        tokens_taken[len(stems)] = n
    for size in range(min(len(stems), _LONGEST_AUDIENCE), 0, -1):
        if size in tokens_taken and (ages := AUDIENCE_PHRASES.get(tuple(stems[:size]))) is not None:
            return tokens_taken[size], ages
    return 0, None


class FiltersInQuery(NamedTuple):
    """What a family wrote into the search box that a filter says better, and the rest of the query."""

    rest: str
    age: int | None = None
    age_to: int | None = None  # the oldest of a range of ages said, from `age`
    funding: tuple[str, ...] = ()
    ovz: bool = False
    days: tuple[int, ...] = ()
    ovz_categories: tuple[str, ...] = ()


# A preposition left alone when the word after it becomes a filter («по сертификату», «с ОВЗ»).
_LEFT_ALONE = frozenset({"по", "с", "для", "на", "за", "в", "во", "и", "или"})  # «по субботам и воскресеньям»


def filters_in_query(query: str) -> FiltersInQuery:
    """The age («7 лет») or the ages («5-7 лет», «для подростков»), the ways of paying («бесплатно», «по
    сертификату»), ОВЗ, its categories («для слабовидящих») and the days («по субботам») written into a query."""
    ages: tuple[int, int] | None = None
    if (said := _AGE_IN_QUERY.search(query)) is not None and YOUNGEST_SAID <= int(said[1]) <= 18:
        youngest, oldest = sorted((int(said[1]), min(int(said[2] or said[1]), 18)))
        ages = (youngest, oldest)
        query = f"{query[: said.start()]} {query[said.end() :]}"
    kept: list[str] = []
    funding: list[str] = []
    days: list[int] = []
    categories: list[str] = []
    ovz = False
    tokens = query.split()
    words_of = [_WORD.findall(normalize(token)) for token in tokens]
    at = 0
    while at < len(tokens):
        taken, token_categories = _ovz_categories_said(words_of, at)
        group_taken, group_ages = (0, None) if taken else _audience_said(words_of, at)
        taken = taken or group_taken
        said_tokens = tokens[at : at + max(taken, 1)]
        token_words = [w for its_words in words_of[at : at + len(said_tokens)] for w in its_words]
        at += len(said_tokens)
        ways = [FUNDING_STEMS[stem(w)] for w in token_words if stem(w) in FUNDING_STEMS]
        token_days = [day for w in token_words for day in DAYS_IN_QUERY.get(w, ())]
        is_ovz = "овз" in token_words
        audience = [group_ages] if group_ages else [AGES_IN_WORDS[w] for w in token_words if w in AGES_IN_WORDS]
        if not ways and not is_ovz and not token_days and not token_categories and not audience:
            kept += said_tokens
            continue
        ages = ages or (audience[0] if audience else None)  # an age said in numbers is the closer one
        funding += ways
        days += token_days
        categories += token_categories
        ovz = ovz or is_ovz
        while kept and normalize(kept[-1]) in _LEFT_ALONE:
            kept.pop()
    rest = " ".join(kept)
    if (ages or funding or ovz or days or categories) and not query_words(rest):
        rest = ""  # what is left says nothing to search for («бесплатный кружок»)
    return FiltersInQuery(
        rest,
        ages[0] if ages else None,
        ages[1] if ages and ages[1] != ages[0] else None,
        tuple(dict.fromkeys(funding)),
        ovz,
        tuple(sorted(set(days))),
        tuple(dict.fromkeys(categories)),
    )


# The keys of the Latin layout and the letters the Russian one has on them: a query typed with the layout
# not switched («hj,jnjntnybrf») is the Russian it meant («робототехника»).
_LATIN_KEYS = "qwertyuiop[]asdfghjkl;'zxcvbnm,.`"
_RUSSIAN_KEYS = "йцукенгшщзхъфывапролджэячсмитьбюё"
_TO_RUSSIAN_LAYOUT = str.maketrans(
    dict(zip(_LATIN_KEYS, _RUSSIAN_KEYS, strict=True))
    | {key.upper(): letter.upper() for key, letter in zip(_LATIN_KEYS, _RUSSIAN_KEYS, strict=True) if key.isalpha()}
)
_LATIN_KEY_TOKEN = re.compile(r"[a-z\[\];',.`]*[a-z][a-z\[\];',.`]*", re.IGNORECASE)


def in_russian_layout(query: str) -> str | None:
    """The query with each word typed on the Latin layout's keys read as the Russian layout's letters
    (None: no such word). Words in Latin letters that programs use («python», «lego») are found as
    they are, so this is asked only of a query that finds nothing."""
    tokens = query.split()
    switched = [token.translate(_TO_RUSSIAN_LAYOUT) if _LATIN_KEY_TOKEN.fullmatch(token) else token for token in tokens]
    return " ".join(switched) if switched != tokens else None


def query_words(text: str) -> list[str]:
    """The words of a search query that must match, in order."""
    return [w for w in words(text) if stem(w) not in QUERY_NOISE_STEMS]


def _stemmer() -> snowballstemmer.stemmer:
    # Snowball stemmers keep state between calls: one per thread.
    stemmer = getattr(_local, "stemmer", None)
    if stemmer is None:
        stemmer = _local.stemmer = snowballstemmer.stemmer("russian")
    return stemmer


@functools.lru_cache(maxsize=100_000)
def stem(word: str) -> str:
    """A word's Snowball stem; remembered, as searches repeat the catalog's words."""
    return str(_stemmer().stemWord(word))


def stems(text: str) -> list[str]:
    return [stem(w) for w in words(text)]


@functools.cache
def _other_spellings() -> dict[str, tuple[str, ...]]:
    # Keyed by stem, so that inflected forms («на скретче», «питона») find the other spelling too.
    found: dict[str, tuple[str, ...]] = {}
    for one, other in (*SPELLINGS, *OTHER_STEM_FORMS):
        found[stem(one)] = (*found.get(stem(one), ()), other)
        found[stem(other)] = (*found.get(stem(other), ()), one)
    for typed, related in RELATED_WORDS.items():
        found[stem(typed)] = (*found.get(stem(typed), ()), *related)
    return found


def spellings(word: str) -> tuple[str, ...]:
    """The query word, its other spellings, the words standing for some of its forms and the words
    programs use for what it names."""
    return (word, *_other_spellings().get(stem(word), ()))


@functools.cache
def _topics() -> dict[str, tuple[str, ...]]:
    # Keyed by stem: «бокса», «боксом» are one of «единоборства» too.
    found: dict[str, tuple[str, ...]] = {}
    for typed, related in RELATED_WORDS.items():
        for word in related:
            if stem(word) != stem(typed) and typed not in found.get(stem(word), ()):
                found[stem(word)] = (*found.get(stem(word), ()), typed)
    return found


def topics(word: str) -> tuple[str, ...]:
    """The families' wider words a word is one of («бокс» — «борьба», «единоборства»): what to offer when the catalog
    has nothing for the word itself."""
    return _topics().get(stem(word), ())


VOWELS = frozenset("аеиоуыэюя")


def other_form_stems(lexeme: str) -> tuple[str, ...]:
    """The stems Snowball gives a query word's other forms where they differ from its own lexeme,
    to match whole: its base form stemmed shorter («коллектива» — «коллектив»: коллектив, коллект;
    «росписи» — «роспись»: роспис, росп; «музеев» — «музей»: музе, муз), a vowel that comes and
    goes («танец» — «танцы»: танец, танц; «кружок» — «кружка»; «сказка» — «сказок»; «деньги» —
    «денег»; «балалайка» — «балалаек»), «-ьми» («людьми» — «люди»)."""
    found = [shorter for base in (lexeme, lexeme + "ь") if 2 <= len(shorter := stem(base)) < len(lexeme)]
    if len(lexeme) < 3 or lexeme[-1] in VOWELS:
        return tuple(found)
    if lexeme.endswith("ьм"):
        found.append(lexeme[:-2])
    if lexeme[-2] not in VOWELS:
        found += [f"{lexeme[:-1]}е{lexeme[-1]}", f"{lexeme[:-1]}о{lexeme[-1]}"]
    elif len(lexeme) >= 4 and lexeme[-2] in "ео":
        if lexeme[-3] not in VOWELS:
            found += [lexeme[:-2] + lexeme[-1], f"{lexeme[:-2]}ь{lexeme[-1]}"]
        elif lexeme[-2] == "е":
            found.append(f"{lexeme[:-2]}й{lexeme[-1]}")
    return tuple(dict.fromkeys(found))


@functools.cache
def _morphology() -> "pymorphy3.MorphAnalyzer":
    # Loaded by the first correction a process makes (~0.1 s, ~15 MB), not at its start.
    return pymorphy3.MorphAnalyzer()


def is_dictionary_word(word: str) -> bool:
    """Whether the word is a Russian word in one of its forms (OpenCorpora's dictionary): such a word
    is what the family meant, not a typo — «особый» is not «собой», «стихи» not «стили»."""
    return bool(_morphology().word_is_known(word))


def typo_edits(word: str) -> int:
    """How many edits a typo may make in a word: one (two letters swapped count as one), two in a
    long word. More turns real words the catalog lacks into others: «аутизм» into «туризм»,
    «бесплатный» into «беспилотные»."""
    return 1 if len(word) <= 10 else 2


def closest_word(word: str, candidates: Iterable[str]) -> str | None:
    """The candidate whose stem is fewest edits away from the word's, within what a typo changes; of
    equally close ones the first (candidates come most similar or most frequent first). A stem of
    three letters is not corrected: one edit is a third of it («петь», пет, is not «дети»). Two edits
    keep the first letter, which people see («Центральная» is not «театральная»)."""
    word_stem = stem(word)
    if len(word_stem) < 4:
        return None
    # Stems compared: the catalog's vocabulary has the forms its titles use («гитаре»), a typo may be of
    # another («гитора»).
    words = list(candidates)
    stems = [stem(candidate) for candidate in words]
    found = process.extractOne(word_stem, stems, scorer=OSA.distance, score_cutoff=1)
    if found is None and typo_edits(word) > 1:
        same_start = [its_stem for its_stem in stems if its_stem[:1] == word_stem[:1]]
        found = process.extractOne(word_stem, same_start, scorer=OSA.distance, score_cutoff=typo_edits(word))
    if found is None:
        # A typo in the letter the stem ends before: «футбал» (stem футба) is one edit from «футбол»,
        # two from its stem.
        nearest = process.extractOne(word, words, scorer=OSA.distance, score_cutoff=1)
        return None if nearest is None else nearest[0]
    # Of that stem's forms, the one nearest the word as typed: «фтубол» is «футбол», not «футболу».
    forms = [candidate for candidate, its_stem in zip(words, stems, strict=True) if its_stem == found[0]]
    return min(forms, key=lambda form: OSA.distance(word, form))
