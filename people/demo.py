"""Demo people: teachers of the demo organizations, families with guardian accounts, children.

Surnames come from Faker's ru_RU lists (paired masculine and feminine forms); first names are
the common ones of each generation, so that a child is a Маша or a Тимофей and not an Аверкий,
and patronymics are derived from the father's name.
"""

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from accounts.models import Role, RoleAssignment, User
from catalog.models import Direction, OrganizationKind
from people.models import Child, EntryChannel, Guardian, Teacher
from territory.demo import DemoRandom, Place

BATCH = 2000

# Fathers' names with the patronymics they give a son and a daughter.
MALE_NAMES: tuple[tuple[str, str, str], ...] = (
    ("Александр", "Александрович", "Александровна"),
    ("Алексей", "Алексеевич", "Алексеевна"),
    ("Андрей", "Андреевич", "Андреевна"),
    ("Антон", "Антонович", "Антоновна"),
    ("Артём", "Артёмович", "Артёмовна"),
    ("Борис", "Борисович", "Борисовна"),
    ("Валерий", "Валерьевич", "Валерьевна"),
    ("Василий", "Васильевич", "Васильевна"),
    ("Виктор", "Викторович", "Викторовна"),
    ("Виталий", "Витальевич", "Витальевна"),
    ("Владимир", "Владимирович", "Владимировна"),
    ("Владислав", "Владиславович", "Владиславовна"),
    ("Вячеслав", "Вячеславович", "Вячеславовна"),
    ("Геннадий", "Геннадьевич", "Геннадьевна"),
    ("Григорий", "Григорьевич", "Григорьевна"),
    ("Денис", "Денисович", "Денисовна"),
    ("Дмитрий", "Дмитриевич", "Дмитриевна"),
    ("Евгений", "Евгеньевич", "Евгеньевна"),
    ("Иван", "Иванович", "Ивановна"),
    ("Игорь", "Игоревич", "Игоревна"),
    ("Илья", "Ильич", "Ильинична"),
    ("Кирилл", "Кириллович", "Кирилловна"),
    ("Константин", "Константинович", "Константиновна"),
    ("Леонид", "Леонидович", "Леонидовна"),
    ("Максим", "Максимович", "Максимовна"),
    ("Михаил", "Михайлович", "Михайловна"),
    ("Никита", "Никитич", "Никитична"),
    ("Николай", "Николаевич", "Николаевна"),
    ("Олег", "Олегович", "Олеговна"),
    ("Павел", "Павлович", "Павловна"),
    ("Пётр", "Петрович", "Петровна"),
    ("Роман", "Романович", "Романовна"),
    ("Руслан", "Русланович", "Руслановна"),
    ("Сергей", "Сергеевич", "Сергеевна"),
    ("Станислав", "Станиславович", "Станиславовна"),
    ("Степан", "Степанович", "Степановна"),
    ("Фёдор", "Фёдорович", "Фёдоровна"),
    ("Юрий", "Юрьевич", "Юрьевна"),
    ("Ярослав", "Ярославович", "Ярославовна"),
)
FEMALE_NAMES: tuple[str, ...] = (
    "Анна", "Елена", "Ольга", "Наталья", "Татьяна", "Ирина", "Светлана", "Юлия", "Екатерина", "Мария",
    "Марина", "Анастасия", "Евгения", "Оксана", "Людмила", "Галина", "Надежда", "Виктория", "Дарья",
    "Ксения", "Алёна", "Валентина", "Вера", "Любовь", "Кристина", "Александра", "Полина", "Яна", "Алина",
    "Елизавета", "Лариса", "Инна", "Маргарита", "Олеся", "Нина", "Софья",
)  # fmt: skip
BOY_NAMES: tuple[str, ...] = (
    "Александр", "Максим", "Михаил", "Артём", "Иван", "Дмитрий", "Даниил", "Кирилл", "Матвей", "Егор",
    "Никита", "Илья", "Андрей", "Алексей", "Тимофей", "Роман", "Владимир", "Ярослав", "Фёдор", "Марк",
    "Лев", "Георгий", "Константин", "Степан", "Арсений", "Глеб", "Тимур", "Макар", "Мирон", "Платон",
    "Богдан", "Семён", "Денис", "Савелий", "Захар", "Елисей", "Демид", "Сергей", "Павел", "Николай",
)  # fmt: skip
GIRL_NAMES: tuple[str, ...] = (
    "Анастасия", "Мария", "Анна", "Виктория", "Полина", "Елизавета", "Екатерина", "Дарья", "София",
    "Софья", "Алиса", "Варвара", "Ксения", "Александра", "Вероника", "Арина", "Ева", "Милана", "Василиса",
    "Кира", "Ульяна", "Валерия", "Алёна", "Маргарита", "Таисия", "Злата", "Есения", "Агата", "Мирослава",
    "Ангелина", "Диана", "Кристина", "Алина", "Милена", "Стефания", "Вера", "Яна", "Ольга",
)  # fmt: skip

_LATIN = (
    "a", "b", "v", "g", "d", "e", "e", "zh", "z", "i", "y", "k", "l", "m", "n", "o", "p", "r", "s", "t", "u", "f",
    "kh", "ts", "ch", "sh", "shch", "", "y", "", "e", "yu", "ya",
)  # fmt: skip
_TRANSLIT = dict(zip("абвгдеёжзийклмнопрстуфхцчшщъыьэюя", _LATIN, strict=True))

QUALIFICATIONS = (
    ("Высшая квалификационная категория", 0.35),
    ("Первая квалификационная категория", 0.33),
    ("Соответствие занимаемой должности", 0.14),
    ("", 0.18),
)
TEACHER_NOTES = (
    "Победитель муниципального конкурса «Сердце отдаю детям».",
    "Лауреат регионального конкурса профессионального мастерства педагогов дополнительного образования.",
    "Почётный работник воспитания и просвещения Российской Федерации.",
    "Воспитанники — победители и призёры областных и всероссийских конкурсов.",
    "Автор методических разработок, руководитель муниципального методического объединения.",
    "Выпускник педагогического колледжа, продолжает обучение в университете заочно.",
    "Прошёл курсы повышения квалификации по работе с детьми с ОВЗ.",
    "Член жюри областных конкурсов и фестивалей.",
)
SCHOOL_TEACHER_POSITIONS = {
    Direction.TECHNICAL: "Учитель информатики",
    Direction.NATURAL_SCIENCE: "Учитель биологии",
    Direction.ARTS: "Учитель музыки",
    Direction.SPORT: "Учитель физической культуры",
    Direction.TOURISM: "Учитель истории",
    Direction.SOCIAL: "Учитель обществознания",
}


def translit(text: str) -> str:
    """Latin letters for an address: «МБОУ СОШ № 1, г. Энск» — «mbou-sosh-1-g-ensk»."""
    latin = "".join(_TRANSLIT.get(ch, ch) for ch in text.lower())
    return re.sub(r"[^a-z0-9]+", "-", latin).strip("-")


@dataclass(frozen=True)
class Name:
    last: str
    first: str
    patronymic: str
    female: bool

    @property
    def full(self) -> str:
        return f"{self.last} {self.first} {self.patronymic}"

    @property
    def short(self) -> str:
        return f"{self.last} {self.first[0]}. {self.patronymic[0]}."


class NameMaker:
    """Russian names drawn from the demo's seeded generator."""

    def __init__(self, rng: DemoRandom) -> None:
        from faker.providers.person.ru_RU import Provider

        self.rng = rng
        self.surnames = list(zip(Provider.last_names_male, Provider.last_names_female, strict=True))
        self.pairs = {form: pair for pair in self.surnames for form in pair}

    def surname_pair(self, last_name: str) -> tuple[str, str]:
        """Both forms of a surname: the children of Иванова are Ивановы."""
        return self.pairs.get(last_name, (last_name, last_name))

    def adult(self, female: bool) -> Name:
        male_surname, female_surname = self.rng.choice(self.surnames)
        _, son, daughter = self.rng.choice(MALE_NAMES)
        if female:
            return Name(female_surname, self.rng.choice(FEMALE_NAMES), daughter, True)
        return Name(male_surname, self.rng.choice(MALE_NAMES)[0], son, False)

    def child(self, surnames: tuple[str, str], father: str, female: bool) -> Name:
        _, son, daughter = next(n for n in MALE_NAMES if n[0] == father)
        if female:
            return Name(surnames[1], self.rng.choice(GIRL_NAMES), daughter, True)
        return Name(surnames[0], self.rng.choice(BOY_NAMES), son, False)


MOBILE_CODES = (900, 902, 903, 904, 905, 906, 908, 909, 910, 915, 920, 950, 951, 953, 960, 961, 980, 999)


def phone_mobile(rng: DemoRandom) -> str:
    number = f"{rng.randint(100, 999)}-{rng.randint(0, 99):02d}-{rng.randint(0, 99):02d}"
    return f"+7 ({rng.choice(MOBILE_CODES)}) {number}"


@dataclass
class TeacherSpec:
    """One teacher a demo organization needs, for one subject it teaches."""

    organization_id: int
    organization_kind: str
    direction: str
    subject: str
    sport_school: bool
    arts_school: bool
    name: Name | None = None  # set for an entrepreneur teaching in person
    user: User | None = None


def _position(rng: DemoRandom, spec: TeacherSpec) -> str:
    kind = spec.organization_kind
    if spec.name is not None and kind == OrganizationKind.ENTREPRENEUR:
        return "Индивидуальный предприниматель, педагог"
    if spec.sport_school:
        return "Тренер-преподаватель" if rng.random() < 0.85 else "Старший тренер-преподаватель"
    if spec.arts_school:
        return "Преподаватель" if rng.random() < 0.85 else "Концертмейстер"
    if kind == OrganizationKind.SCHOOL:
        return (
            SCHOOL_TEACHER_POSITIONS[Direction(spec.direction)]
            if rng.random() < 0.5
            else "Педагог дополнительного образования"
        )
    if kind == OrganizationKind.KINDERGARTEN:
        if spec.direction == Direction.SPORT:
            return "Инструктор по физической культуре"
        if spec.direction == Direction.ARTS and rng.random() < 0.5:
            return "Музыкальный руководитель"
        return "Воспитатель" if rng.random() < 0.5 else "Педагог дополнительного образования"
    if kind == OrganizationKind.COLLEGE:
        return "Преподаватель"
    if kind == OrganizationKind.UNIVERSITY:
        return rng.choice(("Доцент", "Старший преподаватель", "Ассистент кафедры"))
    if spec.direction == Direction.SPORT and kind == OrganizationKind.NGO:
        return "Тренер"
    roll = rng.random()
    if roll < 0.07:
        return "Педагог-организатор"
    if roll < 0.12:
        return "Старший педагог дополнительного образования"
    return "Педагог дополнительного образования"


def create_teachers(rng: DemoRandom, names: NameMaker, specs: Sequence[TeacherSpec], today: date) -> list[Teacher]:
    """Teachers in the order of `specs`, saved, with primary keys."""
    teachers = []
    for spec in specs:
        if spec.user is not None:
            name = Name(spec.user.last_name, spec.user.first_name, spec.user.patronymic, True)
        else:
            # Three teachers in four are women; sport and technology have more men.
            female_share = 0.45 if spec.direction in (Direction.SPORT, Direction.TECHNICAL) else 0.8
            name = spec.name or names.adult(female=rng.random() < female_share)
        qualification = rng.weighted(QUALIFICATIONS)
        experience = rng.randint(1, 6) if not qualification else rng.randint(5, 38)
        about = ""
        if rng.random() < 0.45:
            about = rng.choice(TEACHER_NOTES)  # the experience the page says from `teaching_since`
        teachers.append(
            Teacher(
                uuid=rng.uuid4(),
                user=spec.user,
                organization_id=spec.organization_id,
                last_name=name.last,
                first_name=name.first,
                patronymic=name.patronymic,
                position=_position(rng, spec),
                qualification=qualification,
                teaching_since=today.year - experience,
                about=about,
            )
        )
    return Teacher.objects.bulk_create(teachers, batch_size=BATCH)


def _birth_date(rng: DemoRandom, today: date, age: int) -> date:
    """A birthday that makes the child exactly `age` full years old today."""
    latest = _years_before(today, age)
    earliest = _years_before(today, age + 1) + timedelta(days=1)
    return earliest + timedelta(days=rng.randint(0, (latest - earliest).days))


def _years_before(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


@dataclass
class Families:
    guardians: list[Guardian]
    children: list[Child]


def create_families(
    rng: DemoRandom,
    names: NameMaker,
    places: Sequence[Place],
    children_count: int,
    today: date,
    demo_guardian: User,
    email_domain: str,
    password: str,
) -> Families:
    """Families until `children_count` children exist. The first family is the demo account's:
    a mother in the capital with two children. Generated guardians get unusable passwords."""
    weights = [p.population for p in places]
    users: list[User] = []
    guardians: list[Guardian] = []
    children: list[Child] = []
    links: list[tuple[int, int]] = []  # (child index, guardian index)
    while len(children) < children_count:
        first_family = not guardians
        place = places[0] if first_family else rng.choices(places, weights=weights)[0]
        if first_family:
            name = Name(demo_guardian.last_name, demo_guardian.first_name, demo_guardian.patronymic, True)
            user = demo_guardian
        else:
            name = names.adult(female=rng.random() < 0.8)
            user = User(
                email=f"{translit(name.first)}.{translit(name.last)}.{len(guardians)}@{email_domain}",
                first_name=name.first,
                last_name=name.last,
                patronymic=name.patronymic,
                phone=phone_mobile(rng),
                password=password,
            )
            users.append(user)
        guardians.append(
            Guardian(
                uuid=rng.uuid4(),
                user=user,
                last_name=name.last,
                first_name=name.first,
                patronymic=name.patronymic,
                phone=user.phone or phone_mobile(rng),
                municipality=place.municipality,
            )
        )
        surnames = names.surname_pair(name.last)
        father = name.first if not name.female else rng.choice(MALE_NAMES)[0]
        size = 2 if first_family else rng.weighted(((1, 0.45), (2, 0.4), (3, 0.15)))
        for _ in range(min(size, children_count - len(children))):
            female = rng.random() < 0.49
            child_name = names.child(surnames, father, female)
            has_ovz = rng.random() < 0.07
            children.append(
                Child(
                    uuid=rng.uuid4(),
                    last_name=child_name.last,
                    first_name=child_name.first,
                    patronymic=child_name.patronymic,
                    birth_date=_birth_date(rng, today, rng.randint(3, 17)),
                    sex=Child.Sex.FEMALE if female else Child.Sex.MALE,
                    municipality=place.municipality,
                    has_ovz=has_ovz,
                    has_disability=has_ovz and rng.random() < 0.3,
                    entered_via=EntryChannel.CABINET,
                    entered_by=user,
                )
            )
            links.append((len(children) - 1, len(guardians) - 1))
    User.objects.bulk_create(users, batch_size=BATCH)
    RoleAssignment.objects.bulk_create(
        [RoleAssignment(user=user, role=Role.GUARDIAN) for user in users], batch_size=BATCH
    )
    Guardian.objects.bulk_create(guardians, batch_size=BATCH)
    Child.objects.bulk_create(children, batch_size=BATCH)
    through = Child.guardians.through
    through.objects.bulk_create(
        [through(child_id=children[c].pk, guardian_id=guardians[g].pk) for c, g in links], batch_size=BATCH
    )
    return Families(guardians=guardians, children=children)


def delete_people() -> None:
    Child.objects.only("pk").delete()
    Guardian.objects.only("pk").delete()
    Teacher.objects.only("pk").delete()
