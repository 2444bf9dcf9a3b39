"""Is this record the same child as that one? The registry's matching engine, pure Python.

Model (Fellegi–Sunter): every field comparison ends in an outcome, and each outcome adds
ln(m / u) to the log-odds that two records are one child — m is how often the outcome occurs
between two records of one child, u how often between records of two children. The prior is
that of a regional registry of about a million records with a few per cent duplicates. The m
and u values are stated where they are defined, so that each can be argued with. Agreeing on a
rare surname, first name or municipality weighs more than on a common one when the counts are
known (`Frequencies`; a batch supplies its own).

Names are compared in one Latin key space (ICAO 9303 with ad-hoc spellings folded), so that
«Соловьёв», "Solovyov" and "Solov'ev" meet. First names go through a dictionary of known names
(Faker's ru_RU lists, modern and regional names, spelling variants, diminutives): two different
*known* names on records that agree on everything else are twins, and such a pair never reaches
an automatic merge, whatever the other fields say — a false merge under-counts coverage and
pools two certificates' money, a miss only costs an operator's review.

`find_matches` scores a batch: records meet inside blocks (several keys, see `blocking_keys`),
each pair is scored once, in one or several processes.
"""

import datetime
import enum
import functools
import gc
import math
import multiprocessing
import re
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from operator import attrgetter, itemgetter
from typing import NamedTuple

from faker.providers.person.ru_RU import Provider as RussianNames
from rapidfuzz import process
from rapidfuzz.distance import OSA, JaroWinkler


@dataclass(frozen=True, slots=True)
class Person:
    id: int
    last_name: str
    first_name: str
    patronymic: str  # "" when unknown
    birth_date: datetime.date
    sex: str  # "m" | "f"
    municipality_id: int | None
    snils_digest: str = ""  # keyed digest of the СНИЛС (opaque string), "" when unknown


# --------------------------------------------------------------------------------------------
# Normalisation: one Latin key space for Cyrillic and for whatever Latin parents type.

_ICAO_9303 = {
    "а": "a", "б": "b", "в": "v", "г": "g", "д": "d", "е": "e", "ё": "e", "ж": "zh", "з": "z",
    "и": "i", "й": "i", "к": "k", "л": "l", "м": "m", "н": "n", "о": "o", "п": "p", "р": "r",
    "с": "s", "т": "t", "у": "u", "ф": "f", "х": "kh", "ц": "ts", "ч": "ch", "ш": "sh",
    "щ": "shch", "ъ": "ie", "ы": "y", "ь": "", "э": "e", "ю": "iu", "я": "ia",
    "і": "i", "ї": "i", "є": "e", "ґ": "g",  # Ukrainian and Belarusian letters in imported lists
}  # fmt: skip
_TO_LATIN = str.maketrans(_ICAO_9303)
# Ad-hoc Latin spellings folded onto one form, longest first: "Shchukin"/"Schukin", "Yegor"/"Egor",
# "Tatyana"/"Tatiana", "Yuliya"/"Julia", "Artyom"/"Artem", "Alexandr"/"Aleksandr", "Dmitriy"/"Dmitrij".
_LATIN_FOLDS = (
    ("shch", "sh"), ("sch", "sh"), ("tch", "ch"), ("kh", "h"), ("ts", "c"), ("tz", "c"),
    ("ph", "f"), ("ck", "k"), ("x", "ks"), ("w", "v"), ("q", "k"),
    ("yo", "e"), ("jo", "e"), ("ye", "e"), ("je", "e"), ("ya", "ia"), ("ja", "ia"), ("yu", "iu"), ("ju", "iu"),
    ("y", "i"), ("j", "i"),
)  # fmt: skip
_MARKS = re.compile(r"[\u0300-\u036f]")  # combining accents: й→и, ё→е, ë→e after NFD
_NOT_LETTER = re.compile(r"[^a-z]+")
_REPEATS = re.compile(r"(.)\1+")  # "Kirill"/"Kiril", "Mariia"/"Maria": doubled letters carry no identity


@functools.lru_cache(maxsize=1 << 18)
def _latin(text: str) -> str:
    """A name as typed, in the Latin key space: lower case, without accents or punctuation."""
    latin = _NOT_LETTER.sub("", _MARKS.sub("", unicodedata.normalize("NFD", text.lower())).translate(_TO_LATIN))
    for spelling, folded in _LATIN_FOLDS:
        if spelling in latin:
            latin = latin.replace(spelling, folded)
    return latin


@functools.lru_cache(maxsize=1 << 18)
def name_key(text: str) -> str:
    """The matching key of a name: lower case, Latin, without accents, punctuation or doubled
    letters. Typos are counted on the name as typed (`_latin`), where «Иваан» is not «Ян»."""
    return _REPEATS.sub(r"\1", _latin(text))


# For edit distances, one symbol per Cyrillic letter again: a slip on «ж» or «я» is one edit, not two.
_ONE_LETTER = (("sh", "S"), ("ch", "C"), ("zh", "Z"), ("ia", "A"), ("iu", "U"))


def _compact(key: str) -> str:
    for letters, letter in _ONE_LETTER:
        if letters in key:
            key = key.replace(letters, letter)
    return key


def _edits(a: str, b: str, a_compact: str, b_compact: str, limit: int) -> int:
    """Edits between two spellings (a swap of neighbours counts one), or limit + 1 when more. Counted
    on the compact forms too: "ia" is one letter (я) or two (и, а), and only the typist knew which."""
    return min(OSA.distance(a, b, score_cutoff=limit), OSA.distance(a_compact, b_compact, score_cutoff=limit))


# Feminine surname endings and the masculine forms they come from (keys, after folding):
# Иванова→Иванов, Ильина→Ильин, Ковальская→Ковальский, Троицкая→Троицкий.
_FEMININE_ENDINGS = (("skaia", "ski"), ("ckaia", "cki"), ("ova", "ov"), ("eva", "ev"), ("ina", "in"))


def _surname_stem(key: str) -> str:
    """The masculine form of a surname key, so that a girl's -ова/-ская meets a slip into -ов/-ский."""
    for ending, masculine in _FEMININE_ENDINGS:
        if key.endswith(ending) and len(key) > len(ending) + 1:
            return key[: -len(ending)] + masculine
    return key


# Patronymic endings, longest first: the father's name is what identifies (Ильич/Ильинична → "il").
_PATRONYMIC_ENDINGS = ("inichna", "ichna", "ovich", "evich", "ovna", "evna", "ich")


def _patronymic_root(key: str) -> str:
    for ending in _PATRONYMIC_ENDINGS:
        if key.endswith(ending) and len(key) > len(ending) + 1:
            return key[: -len(ending)]
    return key


# --------------------------------------------------------------------------------------------
# Known first names. Faker's ru_RU lists are read at import time; what they lack is below.

_MODERN_MALE = (
    "Даниил", "Данил", "Артём", "Матвей", "Тимофей", "Марк", "Лев", "Макар", "Мирон", "Елисей", "Платон",
    "Савелий", "Арсений", "Глеб", "Давид", "Демид", "Егор", "Захар", "Ярослав", "Святослав", "Всеволод",
    "Богдан", "Назар", "Роберт", "Артур", "Эрик", "Эмир", "Амир", "Дамир", "Тимур", "Рустам", "Руслан",
    "Марат", "Ринат", "Ильдар", "Айдар", "Камиль", "Рамиль", "Рафаэль", "Ибрагим", "Магомед", "Мухаммад",
    "Али", "Арслан", "Алан", "Эльдар", "Альберт", "Вадим", "Станислав", "Ростислав", "Мирослав", "Филипп",
    "Георгий", "Гордей", "Тихон", "Прохор", "Кузьма", "Оскар", "Адам", "Самуил", "Лука", "Серафим",
    "Ратмир", "Тагир", "Ильяс", "Азат", "Булат", "Салават", "Ахмед", "Рамазан", "Муса", "Юсуф", "Аркадий",
    "Эмиль", "Игнат", "Демьян", "Ефим", "Трофим", "Радомир", "Ян", "Мстислав", "Добрыня", "Евгений", "Олег",
    "Вячеслав", "Даниэль", "Эдгар", "Марсель", "Артемий",
)  # fmt: skip
_MODERN_FEMALE = (
    "Софья", "Алиса", "Ева", "Милана", "Арина", "Злата", "Варвара", "Вероника", "Валерия", "Ксения",
    "Кристина", "Полина", "Ульяна", "Ангелина", "Диана", "Яна", "Алёна", "Виолетта", "Есения", "Мирослава",
    "Василиса", "Кира", "Таисия", "Стефания", "Амелия", "Аделина", "Эвелина", "Николь", "Агния", "Серафима",
    "Дарина", "Владислава", "Ярослава", "Мия", "Ника", "Маргарита", "Эмилия", "Евангелина", "Елизавета",
    "Карина", "Камила", "Амина", "Алсу", "Сабина", "Мадина", "Лейла", "Аиша", "Асель", "Эльвира", "Алия",
    "Лиана", "Снежана", "Олеся", "Майя", "Каролина", "Марьям", "Зарина", "Регина", "Милена", "Лилия",
    "Луиза", "Нелли", "Инна", "Эльмира", "Виталина", "Анфиса", "Айлин", "Василина", "Влада", "Марта",
    "Мелания", "Мирра", "Эльза", "Аглая", "Есфирь", "Лада", "Любава", "Богдана", "Станислава", "Ассоль",
    "Арианна", "Сара", "Патимат", "Фатима", "Хадижат", "Гульнара", "Диляра", "Ясмина", "Эльвина", "Элина",
    "Ариана", "Доминика", "Виктория", "Юлиана", "Камилла",
)  # fmt: skip
# Spellings of one name (variant → the name): a record may carry either.
_SPELLING_VARIANTS = {
    "Данил": "Даниил", "Софья": "София", "Наталия": "Наталья", "Дария": "Дарья", "Марья": "Мария",
    "Давыд": "Давид", "Alexander": "Александр", "Алеся": "Олеся", "Христина": "Кристина",
    "Мухаммед": "Мухаммад", "Магомет": "Магомед", "Камилла": "Камила",
}  # fmt: skip
# Everyday forms that parents type into a form; some are ambiguous until the child's sex is known.
_DIMINUTIVES = {
    "Саша": ("Александр", "Александра"), "Шура": ("Александр", "Александра"), "Алёша": ("Алексей",),
    "Лёша": ("Алексей",), "Дима": ("Дмитрий",), "Миша": ("Михаил",), "Ваня": ("Иван",), "Петя": ("Петр",),
    "Коля": ("Николай",), "Серёжа": ("Сергей",), "Андрюша": ("Андрей",), "Вова": ("Владимир",),
    "Володя": ("Владимир",), "Женя": ("Евгений", "Евгения"), "Паша": ("Павел",), "Костя": ("Константин",),
    "Макс": ("Максим",), "Тёма": ("Артем",), "Влад": ("Владислав",), "Даня": ("Даниил", "Данила"),
    "Гоша": ("Георгий",), "Юра": ("Юрий",), "Витя": ("Виктор",), "Стёпа": ("Степан",), "Федя": ("Федор",),
    "Гриша": ("Григорий",), "Тима": ("Тимофей", "Тимур"), "Кирюша": ("Кирилл",), "Лёва": ("Лев",),
    "Сеня": ("Арсений", "Семен"), "Илюша": ("Илья",), "Рома": ("Роман",), "Стас": ("Станислав",),
    "Валера": ("Валерий", "Валерия"), "Вася": ("Василий", "Василиса"), "Слава": ("Вячеслав", "Ярослав"),
    "Маша": ("Мария",), "Настя": ("Анастасия",), "Катя": ("Екатерина",), "Лиза": ("Елизавета",),
    "Даша": ("Дарья",), "Соня": ("София",), "Аня": ("Анна",), "Оля": ("Ольга",), "Таня": ("Татьяна",),
    "Наташа": ("Наталья",), "Лена": ("Елена",), "Света": ("Светлана",), "Юля": ("Юлия",),
    "Ксюша": ("Ксения",), "Поля": ("Полина",), "Вика": ("Виктория",), "Лера": ("Валерия",),
    "Варя": ("Варвара",), "Ира": ("Ирина",), "Надя": ("Надежда",), "Рита": ("Маргарита",),
    "Уля": ("Ульяна",), "Тася": ("Таисия",), "Геля": ("Ангелина",), "Ариша": ("Арина",),
    "Мила": ("Милана", "Людмила"),
}  # fmt: skip

_FAR = 9  # edit distance standing for "no known name near"


class _FirstName(NamedTuple):
    key: str
    spelling: str  # as typed, in the Latin key space
    compact: str  # of the spelling
    ids: frozenset[int]  # the names it is, or, for a typo, the nearest names of the child's sex
    distance: int  # 0: a known name; 1–2: a typo of the names in `ids`; _FAR: an unknown name


class _NameBook:
    """Known first names: each name key → the ids of the names it may stand for, with their sex.
    A spelling variant or a diminutive shares the ids of its full name."""

    def __init__(self) -> None:
        self.ids_by_key: dict[str, frozenset[int]] = {}
        self.spellings: set[str] = set()  # known names as typed (`_latin`): a typo may collapse into a name
        self.sex_of: list[str] = []
        self._id_of: dict[tuple[str, str], int] = {}
        self._resolved: dict[tuple[str, str], _FirstName] = {}
        self._near: dict[str, tuple[list[str], list[str]]] = {}  # sex → keys of its names, compacted

    def add(self, name: str, sex: str, same_as: str = "") -> None:
        """`name` is a known name of `sex`; with `same_as`, a spelling of that (known) name."""
        key = name_key(same_as or name)
        ident = self._id_of.get((key, sex))
        if ident is None:
            ident = self._id_of[(key, sex)] = len(self.sex_of)
            self.sex_of.append(sex)
        self._link(name, frozenset((ident,)))

    def add_diminutive(self, name: str, of: Iterable[str]) -> None:
        ids = frozenset().union(*(self.ids_by_key.get(name_key(full), frozenset()) for full in of))
        if ids:
            self._link(name, ids)

    def _link(self, name: str, ids: frozenset[int]) -> None:
        key = name_key(name)
        if key:
            self.ids_by_key[key] = self.ids_by_key.get(key, frozenset()) | ids
            self.spellings.add(_latin(name))
            self._resolved.clear()
            self._near.clear()

    def extended(self, names: Iterable[tuple[str, str, Iterable[str]]]) -> "_NameBook":
        """A copy that also knows these names (key, sex, spellings), each as a name of its own."""
        book = _NameBook()
        book.ids_by_key, book.spellings = dict(self.ids_by_key), set(self.spellings)
        book.sex_of, book._id_of = list(self.sex_of), dict(self._id_of)
        for key, sex, spellings in names:
            ident = book._id_of[(key, sex)] = len(book.sex_of)
            book.sex_of.append(sex)
            book.ids_by_key[key] = book.ids_by_key.get(key, frozenset()) | {ident}
            book.spellings.update(spellings)
        return book

    def _of_sex(self, ids: Iterable[int], sex: str) -> frozenset[int]:
        return frozenset(i for i in ids if self.sex_of[i] == sex)

    def first_name(self, name: str, sex: str) -> _FirstName:
        """What a first name as typed is for a child of `sex`. A key that is no known name of that
        sex is taken for a typo of the nearest ones (at most one edit for a short name, two for a
        longer one); nothing near: an unknown name."""
        cached = self._resolved.get((name, sex))
        if cached is not None:
            return cached
        key, spelling = name_key(name), _latin(name)
        known = self.ids_by_key.get(key, frozenset()) if spelling in self.spellings else frozenset()
        ids, distance = self._of_sex(known, sex), 0
        if not ids and key:
            ids, distance = self._nearest(spelling, sex)
            if not ids and known:
                ids, distance = known, 0  # a name of the other sex: it is the sex that was mistyped
        result = self._resolved[(name, sex)] = _FirstName(key, spelling, _compact(spelling), ids, distance)
        return result

    def _nearest(self, spelling: str, sex: str, limit: int = 0) -> tuple[frozenset[int], int]:
        """The known names of `sex` fewest edits away (at most `limit`, by default one for a short
        name and two for a longer one), counted as typed and on the compact forms."""
        if sex not in self._near:
            known = [s for s in self.spellings if self._of_sex(self.ids_by_key[_REPEATS.sub(r"\1", s)], sex)]
            self._near[sex] = (known, [_compact(s) for s in known])
        spellings, compacts = self._near[sex]
        limit = limit or (1 if len(spelling) <= 5 else 2)
        distances: dict[int, int] = {}
        for query, choices in ((spelling, spellings), (_compact(spelling), compacts)):
            for _, score, index in process.extract(query, choices, scorer=OSA.distance, score_cutoff=limit, limit=None):
                distances[index] = min(score, distances.get(index, limit))
        if not distances:
            return frozenset(), _FAR
        distance = min(distances.values())
        ids = (self.ids_by_key[_REPEATS.sub(r"\1", spellings[i])] for i, d in distances.items() if d == distance)
        return self._of_sex(frozenset().union(*ids), sex), distance


def _default_name_book() -> _NameBook:
    book = _NameBook()
    for sex, names in (
        ("m", (*RussianNames.first_names_male, *_MODERN_MALE)),
        ("f", (*RussianNames.first_names_female, *_MODERN_FEMALE)),
    ):
        for name in names:
            book.add(name, sex)
    for variant, name in _SPELLING_VARIANTS.items():
        for sex in {book.sex_of[i] for i in book.ids_by_key[name_key(name)]}:
            book.add(variant, sex, same_as=name)
    for diminutive, names in _DIMINUTIVES.items():
        book.add_diminutive(diminutive, names)
    return book


NAMES = _default_name_book()

# --------------------------------------------------------------------------------------------
# Weights: ln(m / u) per outcome.


def _weight(m: float, u: float) -> float:
    return math.log(m / u)


def _logit(probability: float) -> float:
    return math.log(probability / (1 - probability))


# A million records of which ~3 % are copies: ~3·10⁴ matching pairs among 5·10¹¹.
PRIOR = math.log(3e4 / 5e11)

# Agreement: m, the typical u, and the smallest u a count may give (a value held by one family).
SURNAME_M, SURNAME_U, SURNAME_RAREST = 0.80, 0.002, 1e-5  # the commonest surnames: ~1 % of children
FIRST_M, FIRST_U, FIRST_RAREST = 0.85, 0.02, 1e-4  # Александр and Мария: ~6 % of their sex
PATRONYMIC_M, PATRONYMIC_U, PATRONYMIC_RAREST = 0.85, 0.03, 0.001  # Александрович: ~5 % of boys
MUNICIPALITY_M, MUNICIPALITY_U, MUNICIPALITY_RAREST = 0.88, 0.08, 0.002  # the regional centre: a quarter

SURNAME_SEX_SLIP = _weight(0.03, 0.0005)  # Иванова typed Иванов: rare, and rarer between strangers
SURNAME_PART = _weight(0.01, 0.0005)  # «Петрова-Водкина» entered as «Петрова»
SURNAME_TYPO = _weight(0.15, 0.001)  # one edit: a typo, or a neighbouring surname (Котов/Кротов)
SURNAME_CLOSE = _weight(0.04, 0.003)  # two edits in a long surname: two typos, or a transliteration
SURNAME_DIFFERENT = _weight(0.01, 0.98)
_BEST_MISSPELT_SURNAME = max(SURNAME_SEX_SLIP, SURNAME_PART, SURNAME_TYPO, SURNAME_CLOSE)

FIRST_VARIANT = _weight(0.03, 0.003)  # София/Софья, Саша for Александр
# A typo pointing at exactly the other's name. m/u alone would rate it above agreement (typos are
# rare among strangers too); it is held below, because no dictionary of names is complete.
FIRST_TYPO = 3.5
FIRST_TYPO_TWO_EDITS = 2.5
FIRST_SIMILAR = 1.5  # two names the dictionary does not know, Jaro–Winkler ≥ 0.93
FIRST_CONFLICT = _weight(0.003, 0.95)  # two different known names: twins, or strangers
FIRST_TYPO_CONFLICT = -4.0  # a typo of another known name than the other record's
FIRST_DIFFERENT = -4.5

PATRONYMIC_SEX_SLIP = _weight(0.01, 0.002)  # Сергеевич typed for Сергеевна
PATRONYMIC_TYPO = _weight(0.05, 0.003)  # one edit: strangers' fathers' names rarely differ by one letter
PATRONYMIC_DIFFERENT = _weight(0.01, 0.94)  # one child, two fathers' names: a guardian's typed in

DAYS = 13 * 365  # birth dates of children aged 5–17
BORN_SAME = _weight(0.93, 1 / DAYS)
BORN_SWAPPED = _weight(0.02, 1 / DAYS)  # 03.04 typed for 04.03
BORN_NEXT_DAY = _weight(0.03, 2 / DAYS)
BORN_OTHER = _weight(0.01, 1.0)

# The first name already tells the sex of a stranger as well as of the same child: agreeing on sex
# adds nothing to agreeing on the name. A disagreement is a data-entry slip, rare in either case.
SEX_SAME = 0.0
SEX_DIFFERENT = _weight(0.005, 0.05)

MUNICIPALITY_DIFFERENT = _weight(0.09, 0.92)  # a child registered where the club is, or after a move

SNILS_SAME = _weight(0.999, 1e-6)
SNILS_DIFFERENT = _weight(0.005, 1.0)  # a mistyped СНИЛС fails its check digits: digests rarely differ

AUTO_MERGE_AT = 0.95
REVIEW_AT = 0.5
_REVIEW = _logit(REVIEW_AT)
# A pair whose first names leave the question open may reach review, never an automatic merge.
_AT_MOST_REVIEW = _logit((REVIEW_AT + AUTO_MERGE_AT) / 2)
# Two different known first names on records agreeing on everything else: twins are about a third
# as common as duplicates, and P(another real name | one child) ≈ 0.003 against ≈ 1 for twins,
# so such a pair is one child about once in a hundred, whatever the other fields say.
_TWINS = _logit(0.01)
_NO_CEILING = math.inf


class Verdict(enum.StrEnum):
    SAME = "same"
    REVIEW = "review"
    DIFFERENT = "different"


def verdict(probability: float) -> Verdict:
    if probability >= AUTO_MERGE_AT:
        return Verdict.SAME
    if probability >= REVIEW_AT:
        return Verdict.REVIEW
    return Verdict.DIFFERENT


# --------------------------------------------------------------------------------------------
# How common a value is.

_PSEUDO_RECORDS = 2000  # counts are shrunk towards the typical u: a small batch says little


@dataclass(frozen=True)
class Frequencies:
    """How many of `records` records carry each surname (by its masculine key), first name (key)
    and municipality, so that agreeing on a rare value weighs more than on a common one (the
    term-frequency adjustment of Splink). `find_matches` counts its batch; the registry may pass
    counts of its own to `match_probability`."""

    records: int
    surnames: Mapping[str, int]
    first_names: Mapping[str, int]
    patronymics: Mapping[str, int]
    municipalities: Mapping[int, int]

    @classmethod
    def of(cls, people: Iterable[Person]) -> "Frequencies":
        surnames: Counter[str] = Counter()
        first_names: Counter[str] = Counter()
        patronymics: Counter[str] = Counter()
        municipalities: Counter[int] = Counter()
        records = 0
        for person in people:
            records += 1
            surnames[_surname_stem(name_key(person.last_name))] += 1
            first_names[name_key(person.first_name)] += 1
            patronymics[name_key(person.patronymic)] += 1
            if person.municipality_id is not None:
                municipalities[person.municipality_id] += 1
        return cls(records, surnames, first_names, patronymics, municipalities)

    def agreement(self, count: int, m: float, u: float, rarest: float) -> float:
        """ln(m/u) of agreeing on a value that `count` records carry."""
        return _weight(m, max(rarest, (count + _PSEUDO_RECORDS * u) / (self.records + _PSEUDO_RECORDS)))


class _Agreement:
    """The weights of agreeing on each value, from `Frequencies`, or the typical ones without them."""

    def __init__(self, frequencies: Frequencies | None) -> None:
        self.frequencies = frequencies
        self._surname: dict[str, float] = {}
        self._first: dict[str, float] = {}
        self._patronymic: dict[str, float] = {}
        self._municipality: dict[int, float] = {}

    def surname(self, stem: str) -> float:
        weight = self._surname.get(stem)
        if weight is None:
            f = self.frequencies
            count = f.surnames.get(stem, 0) if f else 0
            weight = self._surname[stem] = (
                f.agreement(count, SURNAME_M, SURNAME_U, SURNAME_RAREST) if f else _weight(SURNAME_M, SURNAME_U)
            )
        return weight

    def first(self, key: str) -> float:
        weight = self._first.get(key)
        if weight is None:
            f = self.frequencies
            count = f.first_names.get(key, 0) if f else 0
            weight = self._first[key] = (
                f.agreement(count, FIRST_M, FIRST_U, FIRST_RAREST) if f else _weight(FIRST_M, FIRST_U)
            )
        return weight

    def patronymic(self, key: str) -> float:
        weight = self._patronymic.get(key)
        if weight is None:
            f = self.frequencies
            count = f.patronymics.get(key, 0) if f else 0
            weight = self._patronymic[key] = (
                f.agreement(count, PATRONYMIC_M, PATRONYMIC_U, PATRONYMIC_RAREST)
                if f
                else _weight(PATRONYMIC_M, PATRONYMIC_U)
            )
        return weight

    def municipality(self, municipality: int) -> float:
        weight = self._municipality.get(municipality)
        if weight is None:
            f = self.frequencies
            count = f.municipalities.get(municipality, 0) if f else 0
            weight = self._municipality[municipality] = (
                f.agreement(count, MUNICIPALITY_M, MUNICIPALITY_U, MUNICIPALITY_RAREST)
                if f
                else _weight(MUNICIPALITY_M, MUNICIPALITY_U)
            )
        return weight


_TYPICAL = _Agreement(None)

# --------------------------------------------------------------------------------------------
# Features of one record, computed once (mostly from caches: names and dates repeat).


class _Features(NamedTuple):
    surname: str  # name_key
    stem: str  # masculine form of the key
    surname_spelling: str  # as typed (`_latin`)
    surname_compact: str  # of the spelling
    stem_compact: str
    parts: tuple[str, ...]  # stems of the parts of a double surname
    first: str
    first_spelling: str
    first_compact: str
    first_ids: frozenset[int]
    first_distance: int
    patronymic: str
    patronymic_spelling: str
    patronymic_compact: str
    patronymic_root: str
    day_number: int
    year: int
    month: int
    day: int
    unordered_date: int  # year, then the smaller and the larger of day and month: swaps meet
    sex: str
    municipality: int | None
    snils: str


@functools.lru_cache(maxsize=1 << 18)
def _surname(text: str) -> tuple[str, str, str, str, str, tuple[str, ...]]:
    key, spelling = name_key(text), _latin(text)
    stem = _surname_stem(key)
    parts = [_surname_stem(name_key(part)) for part in re.split(r"[\s‐-―-]+", text.strip())]
    double = tuple(p for p in parts if p) if len(parts) > 1 else ()
    return key, stem, spelling, _compact(spelling), _compact(stem), double


@functools.lru_cache(maxsize=1 << 16)
def _patronymic(text: str) -> tuple[str, str, str, str]:
    key, spelling = name_key(text), _latin(text)
    return key, spelling, _compact(spelling), _patronymic_root(key)


@functools.lru_cache(maxsize=1 << 14)
def _born(date: datetime.date) -> tuple[int, int, int, int, int]:
    low, high = sorted((date.day, date.month))
    return date.toordinal(), date.year, date.month, date.day, date.year * 10_000 + low * 100 + high


def _features(person: Person, book: _NameBook) -> _Features:
    return _Features._make(
        (
            *_surname(person.last_name),
            *book.first_name(person.first_name, person.sex),
            *_patronymic(person.patronymic),
            *_born(person.birth_date),
            person.sex,
            person.municipality_id,
            person.snils_digest,
        )
    )


# --------------------------------------------------------------------------------------------
# Field comparisons.


def _misspelt_surname_weight(a: _Features, b: _Features) -> float:
    """Surnames that differ as typed: a sex slip, half a double surname, a typo, or two names."""
    if a.stem == b.stem:
        return SURNAME_SEX_SLIP
    if (a.parts and b.stem in a.parts) or (b.parts and a.stem in b.parts):
        return SURNAME_PART
    # A typo may hit the ending too (Ковровкая), so whole surnames are compared as well as stems.
    distance = min(
        _edits(a.stem, b.stem, a.stem_compact, b.stem_compact, 2),
        _edits(a.surname_spelling, b.surname_spelling, a.surname_compact, b.surname_compact, 2),
    )
    shorter = min(len(a.stem_compact), len(b.stem_compact))
    if distance == 1 and shorter >= 4:
        return SURNAME_TYPO
    if distance <= 2 and shorter >= 5:
        return SURNAME_CLOSE
    for one, other in ((a, b), (b, a)):  # one part of a double surname, and mistyped
        if any(_edits(p, other.stem, _compact(p), other.stem_compact, 1) <= 1 for p in one.parts if len(p) >= 4):
            return SURNAME_CLOSE
    return SURNAME_DIFFERENT


def _first_name_weight(a: _Features, b: _Features, agreement: _Agreement) -> tuple[float, float]:
    """The weight of the first names, and the ceiling they put on the log-odds."""
    if not a.first or not b.first:
        return 0.0, _AT_MOST_REVIEW  # a twin without a first name cannot be told from its sibling
    if a.first == b.first:
        return agreement.first(a.first), _NO_CEILING
    if a.first_distance == 0 and b.first_distance == 0:
        return (FIRST_VARIANT, _NO_CEILING) if a.first_ids & b.first_ids else (FIRST_CONFLICT, _TWINS)
    if a.first_ids and b.first_ids:
        common = a.first_ids & b.first_ids
        if not common:
            return FIRST_TYPO_CONFLICT, _AT_MOST_REVIEW
        weight = FIRST_TYPO if max(a.first_distance, b.first_distance) == 1 else FIRST_TYPO_TWO_EDITS
        # A typo as near to other names as to this one («Аиса»: Алиса, Раиса, Аида) says less; a
        # batch keeps it from joining two of them (see _keep_apart).
        return weight - math.log(len(a.first_ids | b.first_ids) / len(common)), _NO_CEILING
    # A name the dictionary does not know and that is no typo of a known one: spelling alone.
    if JaroWinkler.similarity(a.first_spelling, b.first_spelling) >= 0.93:
        return FIRST_SIMILAR, _NO_CEILING
    return FIRST_DIFFERENT, _NO_CEILING


def _patronymic_weight(a: _Features, b: _Features, agreement: _Agreement) -> float:
    if not a.patronymic or not b.patronymic:
        return 0.0  # often left out: its absence says nothing
    if a.patronymic == b.patronymic:
        return agreement.patronymic(a.patronymic)
    if a.patronymic_root == b.patronymic_root:
        return PATRONYMIC_SEX_SLIP
    if _edits(a.patronymic_spelling, b.patronymic_spelling, a.patronymic_compact, b.patronymic_compact, 1) <= 1:
        return PATRONYMIC_TYPO
    return PATRONYMIC_DIFFERENT


def _birth_weight(a: _Features, b: _Features) -> float:
    if a.day_number == b.day_number:
        return BORN_SAME
    if a.year == b.year and a.day == b.month and a.month == b.day:
        return BORN_SWAPPED
    if abs(a.day_number - b.day_number) == 1:
        return BORN_NEXT_DAY
    return BORN_OTHER


def _log_odds(a: _Features, b: _Features, agreement: _Agreement, floor: float = -math.inf) -> float:
    """Log-odds that the two records are one child. A pair certain to stay under `floor` may get
    a cheaper bound under it instead (a batch only wants pairs that reach review)."""
    first, ceiling = _first_name_weight(a, b, agreement)
    same_snils = bool(a.snils) and a.snils == b.snils
    if same_snils:
        ceiling = max(ceiling, _AT_MOST_REVIEW)  # one СНИЛС, two names: a person should look
    if ceiling < floor:
        return ceiling
    score = PRIOR + first + _birth_weight(a, b) + (SEX_SAME if a.sex == b.sex else SEX_DIFFERENT)
    if a.municipality is not None and b.municipality is not None:
        same_town = a.municipality == b.municipality
        score += agreement.municipality(a.municipality) if same_town else MUNICIPALITY_DIFFERENT
    if a.snils and b.snils:
        score += SNILS_SAME if same_snils else SNILS_DIFFERENT
    score += _patronymic_weight(a, b, agreement)
    if not a.surname or not b.surname:
        pass  # no surname to compare
    elif a.surname == b.surname:
        score += agreement.surname(a.stem)
    elif score + _BEST_MISSPELT_SURNAME < floor:
        return score + _BEST_MISSPELT_SURNAME
    else:
        score += _misspelt_surname_weight(a, b)
    return min(score, ceiling)


def _probability(log_odds: float) -> float:
    return 1.0 / (1.0 + math.exp(-log_odds)) if log_odds > -700 else 0.0


def match_probability(a: Person, b: Person, *, frequencies: Frequencies | None = None) -> float:
    """How likely the two records are one child, 0..1 (`verdict` says what to do about it).
    With the registry's `frequencies`, agreeing on a rare surname or name weighs more."""
    agreement = _Agreement(frequencies) if frequencies else _TYPICAL
    return _probability(_log_odds(_features(a, NAMES), _features(b, NAMES), agreement))


def candidate_birth_dates(birth_date: datetime.date) -> set[datetime.date]:
    """The birth dates a record of the same child may carry: the date, the day and month swapped
    (when that is a date), the day before and the day after."""
    dates = {birth_date, birth_date - datetime.timedelta(days=1), birth_date + datetime.timedelta(days=1)}
    if birth_date.day <= 12:
        dates.add(birth_date.replace(month=birth_date.day, day=birth_date.month))
    return dates


# --------------------------------------------------------------------------------------------
# Batches: blocking, then scoring inside blocks.

# Each key is one way two records of one child still meet despite their errors; a pair is scored
# under the first key the two share. Dates are unordered (the year, then the smaller and the larger
# of day and month), so that a swapped day and month meet; the last key pairs a record with the
# records born the next day, for a date one day off. СНИЛС: whatever else was mistyped.
BLOCKING_KEYS = (
    "snils",
    "date + surname[:3]",
    "date + first name[:2] + patronymic[:2]",
    "date + municipality + first name[:2]",
    "next day + surname[:3] + first name[:1]",
)
_NEXT_DAY = 4
_Key = str | tuple[int, str, str] | None


def _keys(f: _Features) -> tuple[_Key, ...]:
    date, surname, first = f.unordered_date, f.stem[:3], f.first[:2]
    return (
        f.snils or None,
        f"{date}|{surname}" if surname else None,
        f"{date}|{first}|{f.patronymic[:2]}" if first and f.patronymic else None,
        f"{date}|{f.municipality}|{first}" if first and f.municipality is not None else None,
        (f.day_number, surname, first[:1]) if surname else None,
    )


def _meet(a: tuple[_Key, ...], b: tuple[_Key, ...], kind: int) -> bool:
    """Whether records with these keys meet under the key of `kind`."""
    x, y = a[kind], b[kind]
    if x is None or y is None:
        return False
    if kind == _NEXT_DAY:
        assert isinstance(x, tuple) and isinstance(y, tuple)
        return abs(x[0] - y[0]) == 1 and x[1:] == y[1:]
    return x == y


def compared_in_batch(a: Person, b: Person) -> bool:
    """Whether `find_matches` compares the two records: whether they meet under some key."""
    keys_a, keys_b = _keys(_features(a, NAMES)), _keys(_features(b, NAMES))
    return any(_meet(keys_a, keys_b, kind) for kind in range(len(BLOCKING_KEYS)))


@dataclass
class BatchResult:
    pairs: list[tuple[int, int, float]]  # (id_low, id_high, probability ≥ REVIEW_AT), sorted
    candidates: int  # pairs scored
    blocks: dict[str, int] = field(default_factory=dict)  # blocks of two or more records, per key


# Names not in the dictionary but frequent in a batch are real names (Ильнур, Радмир), not typos:
# typos are idiosyncratic. Such a name counts as a known one then, so that twins Ратмир and
# Радмир stay apart. Frequent: this many records, and this share of its nearest known name's.
_REAL_NAME_RECORDS = 5
_REAL_NAME_SHARE = 0.02


def _batch_name_book(people: Sequence[Person]) -> _NameBook:
    counts: Counter[tuple[str, str]] = Counter()
    spellings: defaultdict[tuple[str, str], set[str]] = defaultdict(set)
    for (name, sex), count in Counter(zip(map(attrgetter("first_name"), people), map(attrgetter("sex"), people))).items():
        counts[(name_key(name), sex)] += count
        spellings[(name_key(name), sex)].add(_latin(name))
    by_id: Counter[int] = Counter()
    for (key, _sex), count in counts.items():
        for ident in NAMES.ids_by_key.get(key, ()):
            by_id[ident] += count
    real = []
    for (key, sex), count in counts.items():
        if count >= _REAL_NAME_RECORDS and key and key not in NAMES.ids_by_key:
            nearest, _ = NAMES._nearest(key, sex, limit=2)
            if count >= _REAL_NAME_SHARE * max((by_id[i] for i in nearest), default=0):
                real.append((key, sex, spellings[(key, sex)]))
    return NAMES.extended(real) if real else NAMES


def _batch_frequencies(features: list[_Features]) -> Frequencies:
    municipalities = Counter(map(attrgetter("municipality"), features))
    municipalities.pop(None, None)
    return Frequencies(
        records=len(features),
        surnames=Counter(map(attrgetter("stem"), features)),
        first_names=Counter(map(attrgetter("first"), features)),
        patronymics=Counter(map(attrgetter("patronymic"), features)),
        municipalities=municipalities,  # type: ignore[arg-type]  # None popped above
    )


# The batch being scored: set before the worker processes fork, so that they inherit it.
_batch_features: list[_Features] = []
_batch_keys: list[tuple[_Key, ...]] = []
_batch_agreement = _TYPICAL


def _blocks(kind: int) -> list[tuple[list[int], list[int] | None]]:
    """The blocks of a key: records sharing it, with the records born the next day for _NEXT_DAY
    (None: the pairs are within the block)."""
    groups: defaultdict[_Key, list[int]] = defaultdict(list)
    for index, value in enumerate(map(itemgetter(kind), _batch_keys)):
        if value is not None:
            groups[value].append(index)
    if kind != _NEXT_DAY:
        return [(members, None) for members in groups.values() if len(members) > 1]
    blocks: list[tuple[list[int], list[int] | None]] = []
    for (day, surname, first), members in groups.items():  # type: ignore[misc]
        later = groups.get((day + 1, surname, first))
        if later:
            blocks.append((members, later))
    return blocks


def _score_key(kind: int) -> tuple[list[tuple[int, int, float]], int, int]:
    """Block the batch by one key and score the pairs met there first: (index, index, probability
    ≥ REVIEW_AT) found, pairs scored, blocks."""
    features, keys, agreement, found, scored = _batch_features, _batch_keys, _batch_agreement, [], 0
    blocks = _blocks(kind)
    for members, next_day in blocks:
        for i, x in enumerate(members):
            fx, kx = features[x], keys[x]
            for y in members[i + 1 :] if next_day is None else next_day:
                ky = keys[y]
                for earlier in range(kind):
                    if kx[earlier] is not None and kx[earlier] == ky[earlier]:
                        break  # scored under that key
                else:
                    scored += 1
                    log_odds = _log_odds(fx, features[y], agreement, floor=_REVIEW)
                    if log_odds >= _REVIEW:
                        found.append((x, y, _probability(log_odds)))
    return found, scored, len(blocks)


def _distinct_children(a: _Features, b: _Features) -> bool:
    """Records that no chain of merges may join: two different known first names, or two СНИЛС."""
    if a.snils and b.snils and a.snils != b.snils:
        return True
    return a.first_distance == 0 and b.first_distance == 0 and a.first != b.first and not a.first_ids & b.first_ids


def _keep_apart(features: list[_Features], found: list[tuple[int, int, float]]) -> list[tuple[int, int, float]]:
    """Merging is transitive: «Аиса» may be merged with Алиса and, through another record, with her
    twin Раиса. A group that automatic merges would join and that holds two distinct children is
    left to an operator: its pairs are held in the review band."""
    parent: dict[int, int] = {}

    def root(x: int) -> int:
        while parent.get(x, x) != x:
            parent[x] = x = parent.get(parent[x], parent[x])
        return x

    for x, y, probability in found:
        if probability >= AUTO_MERGE_AT:
            rx, ry = root(x), root(y)
            parent[max(rx, ry)] = min(rx, ry)
    groups: defaultdict[int, list[int]] = defaultdict(list)
    for x in list(parent):
        groups[root(x)].append(x)
    held = {
        top
        for top, group in groups.items()
        if len(group) > 2
        and any(_distinct_children(features[u], features[v]) for i, u in enumerate(group) for v in group[i + 1 :])
    }
    if not held:
        return found
    review = _probability(_AT_MOST_REVIEW)
    return [(x, y, min(p, review) if p >= AUTO_MERGE_AT and root(x) in held else p) for x, y, p in found]


def match_batch(people: Sequence[Person], *, workers: int = 1) -> BatchResult:
    """Pairs of records in `people` that may be one child, each once, and how many pairs were scored."""
    collecting = gc.isenabled()
    gc.disable()  # a million small tuples would have the cyclic collector scan them over and over
    try:
        return _match_batch(people, workers)
    finally:
        if collecting:
            gc.enable()


def _match_batch(people: Sequence[Person], workers: int) -> BatchResult:
    global _batch_features, _batch_keys, _batch_agreement
    book = _batch_name_book(people)
    features = [_features(person, book) for person in people]
    _batch_features, _batch_keys = features, [_keys(f) for f in features]
    _batch_agreement = _Agreement(_batch_frequencies(features))
    # The keys that make the most pairs first, so that the processes finish together.
    kinds = sorted(range(len(BLOCKING_KEYS)), key=(1, 3, 2, 4, 0).index)
    try:
        if workers > 1 and "fork" in multiprocessing.get_all_start_methods():
            with multiprocessing.get_context("fork").Pool(workers) as pool:
                parts = pool.map(_score_key, kinds, chunksize=1)
        else:
            parts = [_score_key(kind) for kind in kinds]
    finally:
        _batch_features, _batch_keys, _batch_agreement = [], [], _TYPICAL
    pairs = []
    for x, y, probability in _keep_apart(features, [pair for found, _, _ in parts for pair in found]):
        low, high = sorted((people[x].id, people[y].id))
        pairs.append((low, high, probability))
    pairs.sort()
    return BatchResult(
        pairs=pairs,
        candidates=sum(scored for _, scored, _ in parts),
        blocks={BLOCKING_KEYS[kind]: blocks for kind, (_, _, blocks) in zip(kinds, parts, strict=True)},
    )


def find_matches(people: Sequence[Person], *, workers: int = 1) -> list[tuple[int, int, float]]:
    """Pairs (id_low, id_high, probability) of records that may be one child, probability ≥ REVIEW_AT,
    each pair once. `workers` > 1 scores in that many processes (where the OS can fork)."""
    return match_batch(people, workers=workers).pairs
