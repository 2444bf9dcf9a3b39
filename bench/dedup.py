"""`make bench-dedup`: the registry's deduplication at regional size — 1 000 000 child records,
3 % of them extra copies of a real child carrying the errors that two organisations' data entry
produces, 1 % of them twins (distinct children sharing surname, patronymic, birth date and town).

The records are generated in memory from a seed. `people.matching.find_matches` scores them in
two processes (timed through `match_batch`, which it wraps, to also count the pairs scored); the
pairs it would merge automatically are closed transitively (union-find), as merging is, and the
clustering is compared with the truth pair by pair. `--records 100000` for a quick run.
"""

import argparse
import datetime
import random
import re
import resource
import sys
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from faker.providers.address.ru_RU import Provider as RussianAddresses
from faker.providers.person.ru_RU import Provider as RussianNames
from rapidfuzz.distance import Levenshtein

from people.matching import AUTO_MERGE_AT, REVIEW_AT, Person, compared_in_batch, match_batch

SEED = 20261124
COPY_SHARE = 0.03
TWIN_SHARE = 0.01
MUNICIPALITIES = 60
OLDEST, YOUNGEST = datetime.date(2008, 9, 2), datetime.date(2021, 9, 1)  # aged 5–17 on 1 Sept 2026

# --------------------------------------------------------------------------------------------
# Names, with rough frequencies among children born 2008–2021 (per cent of their sex). The last
# ones of each list are regional names the matching dictionary does not know.

BOYS = {
    "Александр": 7, "Максим": 5.5, "Артём": 5.5, "Михаил": 5, "Иван": 4.5, "Даниил": 4.5, "Дмитрий": 4.5,
    "Кирилл": 4, "Андрей": 3.5, "Егор": 3.5, "Никита": 3, "Илья": 3, "Алексей": 3, "Матвей": 3,
    "Тимофей": 2.5, "Роман": 2.5, "Владислав": 2, "Ярослав": 2, "Сергей": 2, "Арсений": 2, "Марк": 2,
    "Глеб": 1.5, "Денис": 1.5, "Владимир": 1.5, "Лев": 1.5, "Павел": 1.2, "Константин": 1.2, "Фёдор": 1.2,
    "Степан": 1, "Тимур": 1, "Богдан": 1, "Давид": 1, "Макар": 1, "Савелий": 0.8, "Мирон": 0.8,
    "Платон": 0.8, "Елисей": 0.7, "Захар": 0.7, "Георгий": 0.7, "Евгений": 0.8, "Антон": 0.7,
    "Николай": 0.8, "Семён": 0.6, "Василий": 0.6, "Вадим": 0.5, "Виктор": 0.5, "Руслан": 0.7, "Артур": 0.6,
    "Олег": 0.4, "Игорь": 0.4, "Леонид": 0.4, "Святослав": 0.4, "Амир": 0.4, "Дамир": 0.4, "Эмиль": 0.3,
    "Григорий": 0.3, "Всеволод": 0.3, "Ринат": 0.2, "Марат": 0.2, "Камиль": 0.2, "Ратмир": 0.1,
    "Радмир": 0.15, "Ильнур": 0.15, "Айнур": 0.1, "Данияр": 0.1, "Нурислам": 0.1, "Раиль": 0.1, "Ислам": 0.2,
}  # fmt: skip
GIRLS = {
    "Анастасия": 6, "Мария": 6, "Дарья": 5, "Анна": 5, "Елизавета": 4.5, "Полина": 4.5, "Виктория": 4,
    "Екатерина": 3.5, "София": 4, "Александра": 3, "Ксения": 3, "Алиса": 3, "Варвара": 2.5, "Вероника": 2,
    "Арина": 2.5, "Валерия": 2, "Кристина": 1.5, "Алина": 1.5, "Юлия": 1.2, "Ульяна": 1.5, "Милана": 1.5,
    "Ева": 1.5, "Василиса": 1.2, "Таисия": 1, "Кира": 1, "Диана": 1, "Маргарита": 1, "Яна": 0.8,
    "Злата": 0.8, "Алёна": 0.8, "Ангелина": 1, "Есения": 0.5, "Мирослава": 0.5, "Стефания": 0.4,
    "Амелия": 0.4, "Агата": 0.4, "Серафима": 0.4, "Эмилия": 0.4, "Милена": 0.5, "Ольга": 0.5,
    "Татьяна": 0.4, "Елена": 0.4, "Наталья": 0.3, "Ирина": 0.3, "Надежда": 0.4, "Вера": 0.6, "Камила": 0.3,
    "Амина": 0.3, "Эвелина": 0.3, "Аделина": 0.3, "Виолетта": 0.3, "Николь": 0.2, "Лилия": 0.2,
    "Алла": 0.1, "Алсу": 0.1, "Мия": 0.1, "Ралина": 0.1, "Ляйсан": 0.1, "Азалия": 0.1, "Айлин": 0.1,
}  # fmt: skip
RARE_NAME_SHARE = 0.03  # old or unusual names: Faker's full lists
# Everyday forms a parent may type instead of the name.
DIMINUTIVES = {
    "Александр": "Саша", "Александра": "Саша", "Дмитрий": "Дима", "Михаил": "Миша", "Иван": "Ваня",
    "Алексей": "Лёша", "Мария": "Маша", "Анастасия": "Настя", "Екатерина": "Катя", "Елизавета": "Лиза",
    "Дарья": "Даша", "Анна": "Аня", "Ксения": "Ксюша", "Виктория": "Вика", "Евгений": "Женя",
}  # fmt: skip
# Fathers' names with the patronymics they give a son and a daughter.
FATHERS = {
    "Александр": ("Александрович", "Александровна", 9), "Сергей": ("Сергеевич", "Сергеевна", 8),
    "Андрей": ("Андреевич", "Андреевна", 7), "Алексей": ("Алексеевич", "Алексеевна", 7),
    "Дмитрий": ("Дмитриевич", "Дмитриевна", 6), "Евгений": ("Евгеньевич", "Евгеньевна", 5),
    "Владимир": ("Владимирович", "Владимировна", 5), "Михаил": ("Михайлович", "Михайловна", 4),
    "Игорь": ("Игоревич", "Игоревна", 4), "Максим": ("Максимович", "Максимовна", 4),
    "Денис": ("Денисович", "Денисовна", 4), "Роман": ("Романович", "Романовна", 3.5),
    "Николай": ("Николаевич", "Николаевна", 3.5), "Иван": ("Иванович", "Ивановна", 3),
    "Павел": ("Павлович", "Павловна", 3), "Виктор": ("Викторович", "Викторовна", 2.5),
    "Олег": ("Олегович", "Олеговна", 2.5), "Антон": ("Антонович", "Антоновна", 2.5),
    "Артём": ("Артёмович", "Артёмовна", 2), "Юрий": ("Юрьевич", "Юрьевна", 2),
    "Вадим": ("Вадимович", "Вадимовна", 2), "Константин": ("Константинович", "Константиновна", 2),
    "Илья": ("Ильич", "Ильинична", 1.5), "Кирилл": ("Кириллович", "Кирилловна", 1.5),
    "Владислав": ("Владиславович", "Владиславовна", 1.5), "Вячеслав": ("Вячеславович", "Вячеславовна", 1.5),
    "Руслан": ("Русланович", "Руслановна", 1.5), "Анатолий": ("Анатольевич", "Анатольевна", 1),
    "Василий": ("Васильевич", "Васильевна", 1), "Виталий": ("Витальевич", "Витальевна", 1),
    "Валерий": ("Валерьевич", "Валерьевна", 1), "Геннадий": ("Геннадьевич", "Геннадьевна", 0.8),
    "Станислав": ("Станиславович", "Станиславовна", 1), "Григорий": ("Григорьевич", "Григорьевна", 0.5),
    "Никита": ("Никитич", "Никитична", 0.5), "Пётр": ("Петрович", "Петровна", 0.7),
    "Фёдор": ("Фёдорович", "Фёдоровна", 0.5), "Борис": ("Борисович", "Борисовна", 0.5),
    "Леонид": ("Леонидович", "Леонидовна", 0.5), "Эдуард": ("Эдуардович", "Эдуардовна", 0.5),
    "Тимур": ("Тимурович", "Тимуровна", 0.7), "Ринат": ("Ринатович", "Ринатовна", 0.4),
    "Марат": ("Маратович", "Маратовна", 0.4), "Георгий": ("Георгиевич", "Георгиевна", 0.5),
    "Егор": ("Егорович", "Егоровна", 0.5), "Степан": ("Степанович", "Степановна", 0.3),
}  # fmt: skip
RARE_FATHER_SHARE = 0.12  # the rest of Faker's patronymics
NO_PATRONYMIC = 0.03  # a record that never had one (no father in the documents, or not entered)
YO_SURNAMES = {
    "Соловьев": "Соловьёв", "Воробьев": "Воробьёв", "Королев": "Королёв", "Ковалев": "Ковалёв",
    "Киселев": "Киселёв", "Пономарев": "Пономарёв", "Журавлев": "Журавлёв", "Семенов": "Семёнов",
    "Федоров": "Фёдоров", "Лешин": "Лёшин",
}  # fmt: skip

# --------------------------------------------------------------------------------------------
# Errors of a copy: how often each happens (independently; a copy may carry several).

ERRORS = {
    "surname_typo": 0.25,
    "first_name_typo": 0.15,
    "patronymic_missing": 0.20,
    "patronymic_typo": 0.05,
    "yo_to_ye": 0.50,  # of the records with an ё in them
    "latin": 0.08,  # the whole record in ad-hoc Latin
    "case": 0.10,  # all capitals or all small letters
    "swapped_date": 0.05,  # of the dates where day and month can swap
    "date_off_by_one": 0.03,
    "sex_suffix_slip": 0.03,  # Иванова entered as Иванов, Ковальская as Ковальский
    "hyphen": 0.50,  # of double surnames: a space, nothing, or the first part only
    "diminutive": 0.02,  # Саша for Александр
    "other_municipality": 0.08,  # registered where the club is, or after a move
    "sex": 0.003,
}
SNILS_KNOWN = 0.75  # children with a СНИЛС at all
SNILS_ENTERED = 0.80  # a record carries it (a copy carries the same one or none)

KEYBOARD = ("йцукенгшщзхъ", "фывапролджэ", "ячсмитьбю")


@dataclass(frozen=True, slots=True)
class Child:
    """A real child, as its documents say."""

    surname: str
    first_name: str
    patronymic: str
    birth_date: datetime.date
    sex: str
    municipality: int
    snils: str


def _weighted(items: dict[str, float]) -> tuple[list[str], list[float]]:
    names, total, cumulative = list(items), 0.0, []
    for name in names:
        total += items[name]
        cumulative.append(total)
    return names, cumulative


def _feminine(surname: str) -> str:
    for ending, feminine in (("ский", "ская"), ("цкий", "цкая"), ("ой", "ая"), ("ый", "ая")):
        if surname.endswith(ending):
            return surname[: -len(ending)] + feminine
    if surname.endswith(("ов", "ев", "ёв", "ин", "ын")):
        return surname + "а"
    return surname  # -енко, -ук, -их, -ич: the same for a girl


def surname_pool(rng: random.Random) -> tuple[list[tuple[str, str]], list[float]]:
    """(masculine, feminine) surnames with cumulative weights: Faker's 250 commonest (in their order of
    frequency) hold about 40 % of children, a long tail of ~1 600 derived ones (Петренко, Козловский,
    Ангарский) the rest. A real region has far more surnames, so namesakes are commoner here than
    in life: a harder test, not an easier one."""
    head = [
        (YO_SURNAMES[m], _feminine(YO_SURNAMES[m])) if m in YO_SURNAMES else (m, f)
        for m, f in zip(RussianNames.last_names_male, RussianNames.last_names_female, strict=True)
    ]
    known = {m for m, _ in head}
    tail: set[str] = set()
    for name in (*RussianNames.first_names_male, *BOYS):
        root = name.rstrip("йь")
        if name.endswith(("а", "я")):
            tail.add(root[:-1] + "ин")
        elif name.endswith(("ий", "ей", "ай")):
            tail.update((root + "ев", name[:-2] + "енко"))
        else:
            tail.update((root + "ов", root + "енко", root + "ук"))
    for masculine, _ in head:
        if masculine.endswith("ов"):
            tail.update((masculine + "ский", masculine[:-2] + "ин", masculine[:-2] + "ицкий"))
    for city in RussianAddresses.city_names:
        if city.isalpha() and city[-1] in "бвгдзклмнпрст":
            tail.add(city + "ский")
    tail_list = sorted(tail - known)
    rng.shuffle(tail_list)
    pool = head + [(m, _feminine(m)) for m in tail_list]
    weights, total = [], 0.0
    for rank, _ in enumerate(head):
        total += 0.40 * (rank + 8) ** -0.8 / sum((r + 8) ** -0.8 for r in range(len(head)))
        weights.append(total)
    tail_norm = sum((r + 20) ** -0.6 for r in range(len(tail_list)))
    for rank in range(len(tail_list)):
        total += 0.60 * (rank + 20) ** -0.6 / tail_norm
        weights.append(total)
    return pool, weights


def _patronymic_female(male: str) -> str:
    if male == "Ильич":
        return "Ильинична"
    if male.endswith(("ович", "евич")):
        return male[:-2] + "на"
    return male + "на" if male.endswith("ич") else male


class Generator:
    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.surnames, self.surname_weights = surname_pool(self.rng)
        self.boys, self.boy_weights = _weighted(BOYS)
        self.girls, self.girl_weights = _weighted(GIRLS)
        self.fathers, self.father_weights = _weighted({n: w for n, (_, _, w) in FATHERS.items()})
        common = {male for male, _, _ in FATHERS.values()}
        self.rare_patronymics = [p for p in RussianNames.middle_names_male if p not in common]
        # The regional centre holds a quarter of the children, four towns 4–7 %, small places the rest.
        small = MUNICIPALITIES - 5
        town_weights = [25.0, 7.0, 6.0, 5.0, 4.0] + [2.0 - 1.7 * i / (small - 1) for i in range(small)]
        self.towns, total = [], 0.0
        for weight in town_weights:
            total += weight
            self.towns.append(total)
        self.days = (YOUNGEST - OLDEST).days

    # ---- real children

    def first_name(self, sex: str) -> str:
        rng = self.rng
        if rng.random() < RARE_NAME_SHARE:
            return rng.choice(RussianNames.first_names_male if sex == "m" else RussianNames.first_names_female)
        names, weights = (self.boys, self.boy_weights) if sex == "m" else (self.girls, self.girl_weights)
        return rng.choices(names, cum_weights=weights)[0]

    def surname(self, sex: str) -> str:
        rng = self.rng
        masculine, feminine = rng.choices(self.surnames, cum_weights=self.surname_weights)[0]
        if rng.random() < 0.015:  # a double surname
            second_m, second_f = rng.choices(self.surnames, cum_weights=self.surname_weights)[0]
            masculine, feminine = f"{masculine}-{second_m}", f"{feminine}-{second_f}"
        return masculine if sex == "m" else feminine

    def patronymic(self, sex: str) -> str:
        rng = self.rng
        if rng.random() < NO_PATRONYMIC:
            return ""
        if rng.random() < RARE_FATHER_SHARE:
            male = rng.choice(self.rare_patronymics)
            return male if sex == "m" else _patronymic_female(male)
        male, female, _ = FATHERS[rng.choices(self.fathers, cum_weights=self.father_weights)[0]]
        return male if sex == "m" else female

    def snils(self) -> str:
        return f"{self.rng.getrandbits(64):016x}" if self.rng.random() < SNILS_KNOWN else ""

    def child(self) -> Child:
        rng = self.rng
        sex = "m" if rng.random() < 0.512 else "f"
        return Child(
            surname=self.surname(sex),
            first_name=self.first_name(sex),
            patronymic=self.patronymic(sex),
            birth_date=OLDEST + datetime.timedelta(days=rng.randrange(self.days + 1)),
            sex=sex,
            municipality=rng.choices(range(1, MUNICIPALITIES + 1), cum_weights=self.towns)[0],
            snils=self.snils(),
        )

    def twin(self, sibling: Child) -> Child:
        """Same family, birth date and town; another child: another first name, its own СНИЛС."""
        rng = self.rng
        sex = sibling.sex if rng.random() < 0.6 else ("f" if sibling.sex == "m" else "m")
        same = _plain(sibling.first_name)
        name = sibling.first_name
        if sex == sibling.sex and rng.random() < 0.25:  # parents like names that sound alike: Анна и Алла
            pool = self.boys if sex == "m" else self.girls
            alike = [n for n in pool if _plain(n) != same and Levenshtein.distance(_plain(n), same) <= 2]
            if alike:
                name = rng.choice(alike)
        while _plain(name) == same or _same_name(name, sibling.first_name):
            name = self.first_name(sex)
        surname, patronymic = sibling.surname, sibling.patronymic
        if sex != sibling.sex:
            surname = _feminine(_masculine(surname)) if sex == "f" else _masculine(surname)
            patronymic = _patronymic_for(patronymic, sex)
        return Child(surname, name, patronymic, sibling.birth_date, sex, sibling.municipality, self.snils())

    # ---- records

    def record(self, child: Child) -> tuple[str, str, str, datetime.date, str, int, str]:
        """The record of a child as entered correctly."""
        snils = child.snils if self.rng.random() < SNILS_ENTERED else ""
        return (
            child.surname,
            child.first_name,
            child.patronymic,
            child.birth_date,
            child.sex,
            child.municipality,
            snils,
        )

    def copy(self, child: Child) -> tuple[str, str, str, datetime.date, str, int, str]:
        """Another organisation's record of the same child, with its data-entry errors."""
        rng, chance = self.rng, ERRORS
        surname, first, patronymic, born, sex, town, snils = self.record(child)
        if "-" in surname and rng.random() < chance["hyphen"]:
            first_part, second_part = surname.split("-", 1)
            surname = rng.choice((f"{first_part} {second_part}", first_part + second_part.lower(), first_part))
        if rng.random() < chance["sex_suffix_slip"]:
            surname = _masculine(surname) if sex == "f" else _feminine(surname)
        if rng.random() < chance["surname_typo"]:
            surname = self.typo(surname)
        if first in DIMINUTIVES and rng.random() < chance["diminutive"]:
            first = DIMINUTIVES[first]
        if rng.random() < chance["first_name_typo"]:
            first = self.typo(first)
        if patronymic and rng.random() < chance["patronymic_missing"]:
            patronymic = ""
        elif patronymic and rng.random() < chance["patronymic_typo"]:
            patronymic = self.typo(patronymic)
        if born.day <= 12 and born.day != born.month and rng.random() < chance["swapped_date"]:
            born = born.replace(day=born.month, month=born.day)
        elif rng.random() < chance["date_off_by_one"]:
            born += datetime.timedelta(days=rng.choice((-1, 1)))
        if rng.random() < chance["other_municipality"]:
            town = rng.randint(1, MUNICIPALITIES)
        if rng.random() < chance["sex"]:
            sex = "f" if sex == "m" else "m"
        names = [surname, first, patronymic]
        if any("ё" in n or "Ё" in n for n in names) and rng.random() < chance["yo_to_ye"]:
            names = [n.replace("ё", "е").replace("Ё", "Е") for n in names]
        if rng.random() < chance["latin"]:
            style = self.latin_style()
            names = [_to_latin(n, style) for n in names]
        elif rng.random() < chance["case"]:
            names = [n.upper() if rng.random() < 0.7 else n.lower() for n in names]
        return (names[0], names[1], names[2], born, sex, town, snils)

    def typo(self, word: str) -> str:
        """One keyboard slip: a neighbouring key, a lost or doubled letter, two letters swapped.
        The first letter, typed with care after the capital, is hit less often."""
        rng = self.rng
        if len(word) < 3:
            return word
        positions = range(len(word))
        at = rng.choices(positions, weights=[0.3 if i == 0 else 1.0 for i in positions])[0]
        kind = rng.choices(("neighbour", "lost", "doubled", "swapped"), weights=(35, 25, 15, 25))[0]
        letter = word[at]
        if kind == "neighbour":
            replacement = _neighbour(letter.lower(), rng)
            replacement = replacement.upper() if letter.isupper() else replacement
            return word[:at] + replacement + word[at + 1 :]
        if kind == "lost":
            result = word[:at] + word[at + 1 :]
            return result[0].upper() + result[1:] if at == 0 and result else result
        if kind == "doubled":
            return word[: at + 1] + letter.lower() + word[at + 1 :]
        at = min(at, len(word) - 2)
        pair = word[at + 1] + word[at]
        if at == 0:
            pair = pair[0].upper() + pair[1].lower()
        return word[:at] + pair + word[at + 2 :]

    def latin_style(self) -> dict[str, str]:
        """How this parent transliterates: one choice per letter, kept for the whole record."""
        rng = self.rng
        options = {
            "я": ("ya", "ia", "ja"), "ю": ("yu", "iu", "ju"), "ё": ("yo", "e", "jo"), "ж": ("zh", "zh", "j"),
            "х": ("kh", "h"), "ц": ("ts", "c", "tz"), "щ": ("shch", "sch", "sh"), "й": ("y", "i", "j"),
            "ы": ("y", "i"), "ь": ("", "'", ""), "ъ": ("", "'"), "э": ("e",), "ч": ("ch",), "ш": ("sh",),
            "е": ("e", "e", "e", "ye"), "кс": ("ks", "x"), "ий": ("iy", "y", "ij", "ii", "i"),
        }  # fmt: skip
        base = dict(zip("абвгдезиклмнопрстуф", "abvgdeziklmnoprstuf", strict=True))
        return base | {letter: rng.choice(choices) for letter, choices in options.items()}


def _to_latin(text: str, style: dict[str, str]) -> str:
    out, i, lower = [], 0, text.lower()
    while i < len(lower):
        two = lower[i : i + 2]
        if two in style and (two != "ий" or i + 2 == len(lower) or not lower[i + 2].isalpha()):
            out.append(style[two])
            i += 2
            continue
        letter = lower[i]
        latin = style.get(letter, letter)
        if letter == "е" and latin == "ye" and i > 0 and lower[i - 1].isalpha() and lower[i - 1] not in "аеёиоуыэюяьъ":
            latin = "e"  # "ye" only at the start of a word or after a vowel, as people write it
        out.append(latin)
        i += 1
    return re.sub(r"(^|[\s-])(\w)", lambda m: m.group(1) + m.group(2).upper(), "".join(out))


def _neighbour(letter: str, rng: random.Random) -> str:
    for row_index, row in enumerate(KEYBOARD):
        at = row.find(letter)
        if at < 0:
            continue
        near = [row[j] for j in (at - 1, at + 1) if 0 <= j < len(row)]
        for other in (row_index - 1, row_index + 1):
            if 0 <= other < len(KEYBOARD) and at < len(KEYBOARD[other]):
                near.append(KEYBOARD[other][at])
        return rng.choice(near)
    return letter


def _plain(name: str) -> str:
    return name.lower().replace("ё", "е")


def _same_name(one: str, other: str) -> bool:
    """Spellings of one name (София/Софья) are no names for two twins."""
    pairs = {frozenset(("софия", "софья")), frozenset(("даниил", "данил")), frozenset(("наталья", "наталия"))}
    return frozenset((_plain(one), _plain(other))) in pairs


def _masculine(surname: str) -> str:
    for feminine, masculine in (("ская", "ский"), ("цкая", "цкий"), ("ова", "ов"), ("ева", "ев"), ("ёва", "ёв"),
                                ("ина", "ин"), ("ына", "ын")):  # fmt: skip
        if surname.endswith(feminine):
            return surname[: -len(feminine)] + masculine
    return surname


def _patronymic_for(patronymic: str, sex: str) -> str:
    if not patronymic:
        return ""
    if sex == "f":
        return patronymic if patronymic.endswith("на") else _patronymic_female(patronymic)
    if patronymic == "Ильинична":
        return "Ильич"
    if patronymic.endswith(("овна", "евна")):
        return patronymic[:-2] + "ич"
    return patronymic[:-2] if patronymic.endswith("ична") else patronymic


# --------------------------------------------------------------------------------------------


@dataclass
class Dataset:
    people: list[Person]
    child_of: dict[int, int]  # record id → real child
    twins: list[tuple[int, int]]  # pairs of real children who are twins


def generate(records: int, seed: int) -> Dataset:
    gen = Generator(seed)
    rng = gen.rng
    copies, twin_count = round(records * COPY_SHARE), round(records * TWIN_SHARE)
    originals = records - copies - twin_count
    children = [gen.child() for _ in range(originals)]
    twins = []
    for sibling in rng.sample(range(originals), twin_count):
        twins.append((sibling, len(children)))
        children.append(gen.twin(children[sibling]))
    entries = [(index, gen.record(child)) for index, child in enumerate(children)]
    for _ in range(copies):
        index = rng.randrange(len(children))
        entries.append((index, gen.copy(children[index])))
    rng.shuffle(entries)  # record ids say nothing about which records belong together
    people, child_of = [], {}
    for record_id, (index, (surname, first, patronymic, born, sex, town, snils)) in enumerate(entries, start=1):
        people.append(Person(record_id, surname, first, patronymic, born, sex, town, snils))
        child_of[record_id] = index
    return Dataset(people, child_of, twins)


class UnionFind:
    def __init__(self) -> None:
        self.parent: dict[int, int] = {}

    def find(self, x: int) -> int:
        parent = self.parent
        root = x
        while parent.get(root, root) != root:
            root = parent[root]
        while parent.get(x, x) != root:  # path compression
            parent[x], x = root, parent[x]
        return root

    def union(self, x: int, y: int) -> None:
        rx, ry = self.find(x), self.find(y)
        if rx != ry:
            self.parent[max(rx, ry)] = min(rx, ry)


def _pairs(n: int) -> int:
    return n * (n - 1) // 2


def evaluate(data: Dataset, pairs: Sequence[tuple[int, int, float]]) -> dict[str, float]:
    clusters = UnionFind()
    for low, high, probability in pairs:
        if probability >= AUTO_MERGE_AT:
            clusters.union(low, high)
    predicted: Counter[int] = Counter()
    truth: Counter[int] = Counter()
    both: Counter[tuple[int, int]] = Counter()
    for person in data.people:
        root, child = clusters.find(person.id), data.child_of[person.id]
        predicted[root] += 1
        truth[child] += 1
        both[(root, child)] += 1
    true_positive = sum(_pairs(n) for n in both.values())
    predicted_pairs = sum(_pairs(n) for n in predicted.values())
    true_pairs = sum(_pairs(n) for n in truth.values())
    precision = true_positive / predicted_pairs if predicted_pairs else 1.0
    recall = true_positive / true_pairs if true_pairs else 1.0
    # A twin pair is merged when some record of one twin and some record of the other share a cluster.
    roots_of: dict[int, set[int]] = {}
    for person in data.people:
        roots_of.setdefault(data.child_of[person.id], set()).add(clusters.find(person.id))
    twins_merged = sum(1 for a, b in data.twins if roots_of[a] & roots_of[b])
    return {
        "precision": precision,
        "recall": recall,
        "f1": 2 * precision * recall / (precision + recall) if precision + recall else 0.0,
        "twins_merged": twins_merged,
        "true_pairs": true_pairs,
        "predicted_pairs": predicted_pairs,
    }


def blocking_recall(data: Dataset) -> float:
    """Share of true pairs (two records of one child) that meet in some block."""
    records_of: dict[int, list[Person]] = {}
    for person in data.people:
        records_of.setdefault(data.child_of[person.id], []).append(person)
    met = total = 0
    for records in records_of.values():
        for i, one in enumerate(records):
            for other in records[i + 1 :]:
                total += 1
                met += compared_in_batch(one, other)
    return met / total if total else 1.0


def review_band(data: Dataset, pairs: Sequence[tuple[int, int, float]]) -> tuple[int, int]:
    """Pairs an operator would review, and how many of them are one child."""
    band = [(low, high) for low, high, p in pairs if REVIEW_AT <= p < AUTO_MERGE_AT]
    return len(band), sum(1 for low, high in band if data.child_of[low] == data.child_of[high])


def _cpu_seconds() -> float:
    """User and system time of this process and of its finished worker processes."""
    own, workers = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + workers.ru_utime + workers.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--seed", type=int, default=SEED)
    args = parser.parse_args()

    started = time.perf_counter()
    data = generate(args.records, args.seed)
    print(
        f"generated {len(data.people)} records ({len(data.twins)} twin pairs) in {time.perf_counter() - started:.1f} s"
    )

    started, cpu = time.perf_counter(), _cpu_seconds()
    result = match_batch(data.people, workers=args.workers)
    seconds, cpu = time.perf_counter() - started, _cpu_seconds() - cpu

    scores = evaluate(data, result.pairs)
    review, review_same = review_band(data, result.pairs)
    print(f"blocks: {', '.join(f'{name} {count}' for name, count in result.blocks.items())}")
    print(f"candidate pairs scored: {result.candidates} (merged at p >= {AUTO_MERGE_AT}, reviewed from {REVIEW_AT})")
    print(f"pairs >= REVIEW_AT: {len(result.pairs)}; review band: {review} ({review_same} of them one child)")
    print(f"true pairs: {scores['true_pairs']}, pairs in merged clusters: {scores['predicted_pairs']}")
    print(f"blocking recall: {blocking_recall(data):.4f}")
    print(f"matching: {seconds:.1f} s, {cpu:.1f} s of CPU in all its processes (steadier on a shared machine)")
    print(
        f"BENCH dedup records={len(data.people)} precision={scores['precision']:.4f} recall={scores['recall']:.4f} "
        f"f1={scores['f1']:.4f} twins_merged={scores['twins_merged']} seconds={seconds:.1f}"
    )


if __name__ == "__main__":
    main()
