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

`find_matches` scores a batch: records meet inside blocks (several keys, see BLOCKING_KEYS), each
pair is scored once, the birth years in parallel processes. Merging being transitive, it also
keeps any chain of automatic merges from joining two records of distinct children (`_keep_apart`).
A first name the dictionary lacks but the batch holds often is taken for a real name, not a typo.
"""

import datetime
import enum
import functools
import gc
import math
import multiprocessing
import re
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from operator import attrgetter
from typing import NamedTuple

from faker.providers.person.ru_RU import Provider as RussianNames
from rapidfuzz import process
from rapidfuzz.distance import OSA, JaroWinkler

from core import latin


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
        key = latin.key(same_as or name)
        ident = self._id_of.get((key, sex))
        if ident is None:
            ident = self._id_of[(key, sex)] = len(self.sex_of)
            self.sex_of.append(sex)
        self._link(name, frozenset((ident,)))

    def add_diminutive(self, name: str, of: Iterable[str]) -> None:
        ids = frozenset().union(*(self.ids_by_key.get(latin.key(full), frozenset()) for full in of))
        if ids:
            self._link(name, ids)

    def _link(self, name: str, ids: frozenset[int]) -> None:
        key = latin.key(name)
        if key:
            self.ids_by_key[key] = self.ids_by_key.get(key, frozenset()) | ids
            self.spellings.add(latin.spelling(name))
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
        key, spelling = latin.key(name), latin.spelling(name)
        known = self.ids_by_key.get(key, frozenset()) if spelling in self.spellings else frozenset()
        ids, distance = self._of_sex(known, sex), 0
        if not ids and key:
            ids, distance = self._nearest(spelling, sex)
            if not ids and known:
                ids, distance = known, 0  # a name of the other sex: it is the sex that was mistyped
        if len(self._resolved) > 1 << 18:
            self._resolved.clear()  # a long-lived process meets ever new typos
        result = self._resolved[(name, sex)] = _FirstName(key, spelling, _compact(spelling), ids, distance)
        return result

    def _nearest(self, spelling: str, sex: str, limit: int = 0) -> tuple[frozenset[int], int]:
        """The known names of `sex` fewest edits away (at most `limit`, by default one for a short
        name and two for a longer one), counted as typed and on the compact forms."""
        if sex not in self._near:
            known = [s for s in self.spellings if self._of_sex(self.ids_by_key[latin.without_repeats(s)], sex)]
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
        ids = (self.ids_by_key[latin.without_repeats(spellings[i])] for i, d in distances.items() if d == distance)
        return self._of_sex(frozenset().union(*ids), sex), distance


def _default_name_book() -> _NameBook:
    book = _NameBook()
    for name in (*RussianNames.first_names_male, *_MODERN_MALE):
        book.add(name, "m")
    for name in (*RussianNames.first_names_female, *_MODERN_FEMALE):
        book.add(name, "f")
    for variant, name in _SPELLING_VARIANTS.items():
        for sex in {book.sex_of[i] for i in book.ids_by_key[latin.key(name)]}:
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

# Two children share a digest only if one's СНИЛС was typed into the other's record.
SNILS_SAME = _weight(0.999, 1e-9)
# Only a СНИЛС that passes its check digits gets a digest, so two digests are two valid numbers: a
# mistype slips through about once in a hundred, and then one child has two — a person should look.
SNILS_DIFFERENT = _weight(0.001, 1.0)

# The model is calibrated (on a labelled million-record set, merged pairs at p are wrong about
# 1 − p of the time). At 0.8 the automatic merges are right ~99.7 % of the time, and a pair is
# merged when a false merge is less than four times as likely as a real duplicate left to review.
AUTO_MERGE_AT = 0.8
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
    def of(cls, people: Sequence[Person]) -> "Frequencies":
        def by_key(typed: str, key: Callable[[str], str]) -> Counter[str]:
            counts: Counter[str] = Counter()
            for value, count in Counter(map(attrgetter(typed), people)).items():  # names repeat: key once
                counts[key(value)] += count
            return counts

        return cls(
            records=len(people),
            surnames=by_key("last_name", lambda surname: _surname_stem(latin.key(surname))),
            first_names=by_key("first_name", latin.key),
            patronymics=by_key("patronymic", latin.key),
            municipalities=Counter(m for m in map(attrgetter("municipality_id"), people) if m is not None),
        )

    def agreement(self, count: int, m: float, u: float, rarest: float) -> float:
        """ln(m/u) of agreeing on a value that `count` records carry."""
        return _weight(m, max(rarest, (count + _PSEUDO_RECORDS * u) / (self.records + _PSEUDO_RECORDS)))


# Per field: m and the typical u of agreeing, the smallest u a count may give, and its counts.
_AGREEMENT = {
    "surname": (SURNAME_M, SURNAME_U, SURNAME_RAREST, "surnames"),
    "first": (FIRST_M, FIRST_U, FIRST_RAREST, "first_names"),
    "patronymic": (PATRONYMIC_M, PATRONYMIC_U, PATRONYMIC_RAREST, "patronymics"),
    "municipality": (MUNICIPALITY_M, MUNICIPALITY_U, MUNICIPALITY_RAREST, "municipalities"),
}


class _Agreement:
    """The weights of agreeing on each value, from `Frequencies`, or the typical ones without them."""

    def __init__(self, frequencies: Frequencies | None) -> None:
        self.frequencies = frequencies
        self._weights: dict[str, dict[str | int, float]] = {name: {} for name in _AGREEMENT}

    def __call__(self, field: str, value: str | int) -> float:
        weights = self._weights[field]
        weight = weights.get(value)
        if weight is None:
            m, u, rarest, counts = _AGREEMENT[field]
            f = self.frequencies
            weight = weights[value] = (
                f.agreement(getattr(f, counts).get(value, 0), m, u, rarest) if f else _weight(m, u)
            )
        return weight


_TYPICAL = _Agreement(None)

# --------------------------------------------------------------------------------------------
# Features of one record, computed once (mostly from caches: names and dates repeat).


class _Features(NamedTuple):
    surname: str  # latin.key
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
    key, spelling = latin.key(text), latin.spelling(text)
    stem = _surname_stem(key)
    parts = [_surname_stem(latin.key(part)) for part in re.split(r"[\s‐-―-]+", text.strip())]
    double = tuple(p for p in parts if p) if len(parts) > 1 else ()
    return key, stem, spelling, _compact(spelling), _compact(stem), double


@functools.lru_cache(maxsize=1 << 16)
def _patronymic(text: str) -> tuple[str, str, str, str]:
    key, spelling = latin.key(text), latin.spelling(text)
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
        return agreement("first", a.first), _NO_CEILING
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
        return agreement("patronymic", a.patronymic)
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
    both_snils = bool(a.snils) and bool(b.snils)
    same_snils = both_snils and a.snils == b.snils
    if same_snils:
        ceiling = max(ceiling, _AT_MOST_REVIEW)  # one СНИЛС, two names: a person should look
    elif both_snils:
        ceiling = min(ceiling, _AT_MOST_REVIEW)
    if ceiling < floor:
        return ceiling
    score = PRIOR + first + _birth_weight(a, b) + (SEX_SAME if a.sex == b.sex else SEX_DIFFERENT)
    if a.municipality is not None and b.municipality is not None:
        same_town = a.municipality == b.municipality
        score += agreement("municipality", a.municipality) if same_town else MUNICIPALITY_DIFFERENT
    if both_snils:
        score += SNILS_SAME if same_snils else SNILS_DIFFERENT
    score += _patronymic_weight(a, b, agreement)
    if not a.surname or not b.surname:
        pass  # no surname to compare
    elif a.surname == b.surname:
        score += agreement("surname", a.stem)
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


# --------------------------------------------------------------------------------------------
# The comparison told field by field, for the operator who decides on a pair.

AGREE = "совпадает"
UNKNOWN = "не указано хотя бы в одной записи"
DIFFERENT = "разные"
# What each weight a comparison returns means (a first-name typo's weight is computed: the fallback).
_SURNAME_OUTCOMES = {
    SURNAME_SEX_SLIP: "мужская и женская форма",
    SURNAME_PART: "часть двойной фамилии",
    SURNAME_TYPO: "отличаются одной буквой",
    SURNAME_CLOSE: "отличаются двумя буквами",
    SURNAME_DIFFERENT: DIFFERENT,
}
_FIRST_OUTCOMES = {
    FIRST_VARIANT: "варианты одного имени",
    FIRST_SIMILAR: "похожие написания",
    FIRST_CONFLICT: "разные имена — так бывает у близнецов",
    FIRST_TYPO_CONFLICT: "опечатка в другом имени",
    FIRST_DIFFERENT: DIFFERENT,
}
_FIRST_TYPO = "опечатка"
_PATRONYMIC_OUTCOMES = {
    PATRONYMIC_SEX_SLIP: "мужская и женская форма",
    PATRONYMIC_TYPO: "отличаются одной буквой",
    PATRONYMIC_DIFFERENT: DIFFERENT,
}
_BIRTH_OUTCOMES = {
    BORN_SAME: AGREE,
    BORN_SWAPPED: "день и месяц переставлены",
    BORN_NEXT_DAY: "отличаются на день",
    BORN_OTHER: DIFFERENT,
}


_FIELDS = {
    "last_name": "Фамилия",
    "first_name": "Имя",
    "patronymic": "Отчество",
    "birth_date": "Дата рождения",
    "sex": "Пол",
    "municipality": "Муниципалитет",
    "snils": "СНИЛС",
}


class FieldComparison(NamedTuple):
    key: str  # the child's field compared ("snils": its digest)
    outcome: str  # in Russian, as the operator reads it
    weight: float  # ln(m/u): above 0 it speaks for one child, below 0 for two, 0 says nothing

    @property
    def field(self) -> str:
        return _FIELDS[self.key]

    @property
    def leaning(self) -> str:
        return "for" if self.weight > 0 else "against" if self.weight < 0 else "neutral"


@dataclass(frozen=True)
class Comparison:
    fields: list[FieldComparison]
    probability: float  # `match_probability` of the two records


def compare(a: Person, b: Person, *, frequencies: Frequencies | None = None) -> Comparison:
    """Why the engine thinks what it thinks: each field's outcome and its weight, as `_log_odds`
    counts them (with PRIOR they sum to its log-odds unless a first name or a СНИЛС caps it).
    Values are not repeated: a СНИЛС is only said to agree or not."""
    agreement = _Agreement(frequencies) if frequencies else _TYPICAL
    x, y = _features(a, NAMES), _features(b, NAMES)
    if not x.surname or not y.surname:
        surname = (UNKNOWN, 0.0)
    elif x.surname == y.surname:
        surname = (AGREE, agreement("surname", x.stem))
    else:
        weight = _misspelt_surname_weight(x, y)
        surname = (_SURNAME_OUTCOMES[weight], weight)
    weight, _ = _first_name_weight(x, y, agreement)
    if not x.first or not y.first:
        first = (UNKNOWN, weight)
    else:
        first = (AGREE if x.first == y.first else _FIRST_OUTCOMES.get(weight, _FIRST_TYPO), weight)
    weight = _patronymic_weight(x, y, agreement)
    if not x.patronymic or not y.patronymic:
        patronymic = (UNKNOWN, weight)
    else:
        patronymic = (AGREE if x.patronymic == y.patronymic else _PATRONYMIC_OUTCOMES[weight], weight)
    weight = _birth_weight(x, y)
    sex = (AGREE, SEX_SAME) if x.sex == y.sex else (DIFFERENT, SEX_DIFFERENT)
    if x.municipality is None or y.municipality is None:
        municipality = (UNKNOWN, 0.0)
    elif x.municipality == y.municipality:
        municipality = (AGREE, agreement("municipality", x.municipality))
    else:
        municipality = (DIFFERENT, MUNICIPALITY_DIFFERENT)
    if not x.snils or not y.snils:
        snils = (UNKNOWN, 0.0)
    else:
        snils = (AGREE, SNILS_SAME) if x.snils == y.snils else (DIFFERENT, SNILS_DIFFERENT)
    outcomes = (surname, first, patronymic, (_BIRTH_OUTCOMES[weight], weight), sex, municipality, snils)
    fields = [FieldComparison(key, *outcome) for key, outcome in zip(_FIELDS, outcomes, strict=True)]
    return Comparison(fields, _probability(_log_odds(x, y, agreement)))


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
_SNILS, _NEXT_DAY = 0, 4
_SAME_DATE = (1, 2, 3)


def _keys(f: _Features) -> tuple[str | None, ...]:
    """Per blocking key, what two records must share besides the (unordered, or next) birth date;
    None where the record lacks a field of it."""
    surname, first = f.stem[:3], f.first[:2]
    return (
        f.snils or None,
        surname or None,
        f"{first}|{f.patronymic[:2]}" if first and f.patronymic else None,
        f"{f.municipality}|{first}" if first and f.municipality is not None else None,
        f"{surname}|{first[:1]}" if surname else None,
    )


def _meet(a: _Features, b: _Features, kind: int) -> bool:
    """Whether two records meet under the blocking key of `kind`."""
    x, y = _keys(a)[kind], _keys(b)[kind]
    if x is None or x != y:
        return False
    if kind == _NEXT_DAY:
        return abs(a.day_number - b.day_number) == 1
    return kind == _SNILS or a.unordered_date == b.unordered_date


def compared_in_batch(a: Person, b: Person) -> bool:
    """Whether `find_matches` compares the two records: whether they meet under some key."""
    features_a, features_b = _features(a, NAMES), _features(b, NAMES)
    return any(_meet(features_a, features_b, kind) for kind in range(len(BLOCKING_KEYS)))


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
    typed = Counter(zip(map(attrgetter("first_name"), people), map(attrgetter("sex"), people), strict=True))
    for (name, sex), count in typed.items():
        counts[(latin.key(name), sex)] += count
        spellings[(latin.key(name), sex)].add(latin.spelling(name))
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


# The batch being scored: set before the worker processes fork, so that they inherit it.
_batch_people: Sequence[Person] = ()
_batch_book = NAMES
_batch_agreement = _TYPICAL
_Found = list[tuple[int, int, float]]  # (index, index, probability ≥ REVIEW_AT), indices into the batch


class _Result(NamedTuple):
    """What scoring some of the batch found, and how many pairs and blocks it took, per key."""

    found: _Found
    scored: list[int]
    blocks: list[int]


class _Scoring:
    """Some records of the batch, their features and keys, and the pairs among them scored so far."""

    def __init__(self, indices: list[int]) -> None:
        self.indices = indices  # the batch's index of each record here
        self.features = [_features(_batch_people[i], _batch_book) for i in indices]
        self.keys = [_keys(f) for f in self.features]
        self.result = _Result(found=[], scored=[0] * len(BLOCKING_KEYS), blocks=[0] * len(BLOCKING_KEYS))

    def by(self, records: Iterable[int], kind: int) -> dict[str, list[int]]:
        """The records grouped by their key of `kind`."""
        groups: dict[str, list[int]] = {}
        for x in records:
            value = self.keys[x][kind]
            if value is not None:
                groups.setdefault(value, []).append(x)
        return groups

    def score(self, x: int, y: int, kind: int) -> None:
        self.result.scored[kind] += 1
        log_odds = _log_odds(self.features[x], self.features[y], _batch_agreement, floor=_REVIEW)
        if log_odds >= _REVIEW:
            self.result.found.append((self.indices[x], self.indices[y], _probability(log_odds)))

    def within(self, members: list[int], kind: int) -> None:
        """The pairs of one block, but those met under an earlier key already (all keys but СНИЛС
        include the birth date, which the block shares)."""
        self.result.blocks[kind] += 1
        keys = self.keys
        for i, x in enumerate(members):
            kx = keys[x]
            for y in members[i + 1 :]:
                ky = keys[y]
                for earlier in range(kind):
                    if kx[earlier] is not None and kx[earlier] == ky[earlier]:
                        break
                else:
                    self.score(x, y, kind)

    def across(self, members: list[int], next_day: list[int]) -> None:
        """Records with those born the next day: of the other keys, only СНИЛС can join them."""
        self.result.blocks[_NEXT_DAY] += 1
        keys = self.keys
        for x in members:
            snils = keys[x][_SNILS]
            for y in next_day:
                if snils is None or snils != keys[y][_SNILS]:
                    self.score(x, y, _NEXT_DAY)


def _score_year(records: tuple[list[int], list[int]]) -> _Result:
    """The pairs of records born in one year, and of those born on its last day with the next
    year's first day (`records`: the year's, and those of 1 January after it)."""
    year, new_year = records
    scoring = _Scoring(year + new_year)
    dates: defaultdict[int, list[int]] = defaultdict(list)
    days: defaultdict[int, list[int]] = defaultdict(list)
    for x, f in enumerate(scoring.features):
        if x < len(year):
            dates[f.unordered_date].append(x)
        days[f.day_number].append(x)
    for born in dates.values():
        for kind in _SAME_DATE:
            for members in scoring.by(born, kind).values():
                if len(members) > 1:
                    scoring.within(members, kind)
    grouped: dict[int, dict[str, list[int]]] = {}  # by day: each day is the next day of another
    for day in sorted(days):
        if day + 1 not in days or days[day][0] >= len(year):  # 1 January after: its own year's
            continue
        today = grouped.pop(day, None) or scoring.by(days[day], _NEXT_DAY)
        later = grouped[day + 1] = scoring.by(days[day + 1], _NEXT_DAY)
        for value, members in today.items():
            if value in later:
                scoring.across(members, later[value])
    return scoring.result


def _score_snils(records: list[int]) -> _Result:
    """The pairs of records sharing a СНИЛС (`records`: those that share one)."""
    scoring = _Scoring(records)
    for members in scoring.by(range(len(records)), _SNILS).values():
        if len(members) > 1:
            scoring.within(members, _SNILS)
    return scoring.result


def _distinct_children(a: _Features, b: _Features) -> bool:
    """Records that no chain of merges may join: two different known first names, or two СНИЛС."""
    if a.snils and b.snils and a.snils != b.snils:
        return True
    return a.first_distance == 0 and b.first_distance == 0 and a.first != b.first and not a.first_ids & b.first_ids


def _keep_apart(found: _Found) -> _Found:
    """Merging is transitive: «Аиса» may be merged with Алиса and, through another record, with her
    twin Раиса. A group that automatic merges would join and that holds two distinct children is
    left to an operator: its pairs are held in the review band."""
    parent: dict[int, int] = {}  # union-find over the automatic merges; roots have no entry

    def root(x: int) -> int:
        while x in parent:
            x = parent[x]
        return x

    merged = [(x, y) for x, y, probability in found if probability >= AUTO_MERGE_AT]
    for x, y in merged:
        rx, ry = root(x), root(y)
        if rx != ry:
            parent[max(rx, ry)] = min(rx, ry)
    groups: defaultdict[int, list[_Features]] = defaultdict(list)
    for x in {x for pair in merged for x in pair}:
        groups[root(x)].append(_features(_batch_people[x], _batch_book))
    held = {
        top
        for top, group in groups.items()
        if len(group) > 2 and any(_distinct_children(a, b) for i, a in enumerate(group) for b in group[i + 1 :])
    }
    if not held:
        return found
    review = _probability(_AT_MOST_REVIEW)
    return [(x, y, min(p, review) if p >= AUTO_MERGE_AT and root(x) in held else p) for x, y, p in found]


def match_batch(people: Sequence[Person], *, workers: int = 1) -> BatchResult:
    """Pairs of records in `people` that may be one child, each once, and how many pairs were scored."""
    global _batch_people, _batch_book, _batch_agreement
    collecting = gc.isenabled()
    gc.disable()  # a million small tuples would have the cyclic collector scan them over and over
    try:
        _batch_people, _batch_book = people, _batch_name_book(people)
        _batch_agreement = _Agreement(Frequencies.of(people))
        return _match_batch(people, workers)
    finally:
        _batch_people, _batch_book, _batch_agreement = (), NAMES, _TYPICAL
        if collecting:
            gc.enable()


def _match_batch(people: Sequence[Person], workers: int) -> BatchResult:
    # Every key but СНИЛС includes the birth date, and dates (swapped ones too) stay in their year:
    # the years are scored apart, in parallel, the largest first. Then the records sharing a СНИЛС.
    years: defaultdict[int, list[int]] = defaultdict(list)
    new_year: defaultdict[int, list[int]] = defaultdict(list)  # born on 1 January
    for index, born in enumerate(map(attrgetter("birth_date"), people)):
        years[born.year].append(index)
        if born.month == born.day == 1:
            new_year[born.year].append(index)
    by_size = sorted(years.items(), key=lambda item: -len(item[1]))
    tasks = [(records, new_year.get(year + 1, [])) for year, records in by_size]
    holders: defaultdict[str, list[int]] = defaultdict(list)
    for index, snils in enumerate(map(attrgetter("snils_digest"), people)):
        if snils:
            holders[snils].append(index)
    shared = [index for group in holders.values() if len(group) > 1 for index in group]
    if workers > 1 and "fork" in multiprocessing.get_all_start_methods():
        with multiprocessing.get_context("fork").Pool(workers) as pool:
            snils_task = pool.apply_async(_score_snils, (shared,))
            parts = [*pool.imap_unordered(_score_year, tasks), snils_task.get()]
    else:
        parts = [*map(_score_year, tasks), _score_snils(shared)]
    pairs = []
    for x, y, probability in _keep_apart([pair for part in parts for pair in part.found]):
        low, high = sorted((people[x].id, people[y].id))
        pairs.append((low, high, probability))
    pairs.sort()
    return BatchResult(
        pairs=pairs,
        candidates=sum(sum(part.scored) for part in parts),
        blocks={name: sum(part.blocks[kind] for part in parts) for kind, name in enumerate(BLOCKING_KEYS)},
    )


def find_matches(people: Sequence[Person], *, workers: int = 1) -> list[tuple[int, int, float]]:
    """Pairs (id_low, id_high, probability) of records that may be one child, probability ≥ REVIEW_AT,
    each pair once. `workers` > 1 scores in that many processes (where the OS can fork)."""
    return match_batch(people, workers=workers).pairs
