"""Demo catalog: organizations with plausible names, their units, teachers, programs and groups.

Everything is drawn from the seeded `DemoRandom`, so a seed always gives the same catalog.
Programs and groups are written organization by organization in bulk, which keeps memory flat
and makes 100 000 programs a matter of minutes.
"""

import random
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from django.utils import timezone

from accounts.models import User
from catalog import services
from catalog.demo_texts import TOPICS, Topic
from catalog.models import (
    NOT_YET_PUBLISHED,
    Department,
    Direction,
    FundingSource,
    Group,
    GroupFinancing,
    ModerationStatus,
    Organization,
    OrganizationKind,
    OrganizationUnit,
    OvzCategory,
    Program,
    ProgramRegister,
    ProgramType,
    ScheduleSlot,
    StudyForm,
    StudyPlace,
    UnitKind,
)
from core.templatetags.opora import ages
from core.validators import inn_check_digits, ogrn_check_digit
from people.demo import Name, NameMaker, TeacherSpec, create_teachers, translit
from territory.demo import REGION_ABBR, REGION_GENITIVE, DemoRandom, Place, Territory, Village

K = OrganizationKind
D = Direction
BATCH = 2000
ORGANIZATIONS_PER_CHUNK = 150

# How many organizations of each kind a region has, and how many programs each kind runs.
KIND_SHARES: tuple[tuple[str, float], ...] = (
    (K.SCHOOL, 0.36),
    (K.KINDERGARTEN, 0.2),
    (K.UDO, 0.15),
    (K.NGO, 0.11),
    (K.ENTREPRENEUR, 0.11),
    (K.COLLEGE, 0.03),
    (K.OTHER, 0.03),
    (K.UNIVERSITY, 0.01),
)
PROGRAM_WEIGHT: dict[str, float] = {
    K.UDO: 9.0,
    K.SCHOOL: 2.2,
    K.KINDERGARTEN: 1.0,
    K.COLLEGE: 2.0,
    K.UNIVERSITY: 3.0,
    K.NGO: 2.0,
    K.ENTREPRENEUR: 1.2,
    K.OTHER: 1.0,
}
ALL_DIRECTIONS: dict[str, float] = dict.fromkeys(D.values, 1.0)


@dataclass(frozen=True)
class UdoKind:
    """A kind of institution of additional education: name, how it abbreviates, what it teaches."""

    name: str
    abbreviation: str
    directions: dict[str, float]
    department: str = Department.EDUCATION
    legal_form: tuple[str, str] = ("Муниципальное бюджетное учреждение дополнительного образования", "МБУ ДО")


UDO_KINDS: tuple[tuple[UdoKind, float], ...] = (
    (UdoKind("Центр детского творчества", "ЦДТ", ALL_DIRECTIONS), 0.2),
    (UdoKind("Дом детского творчества", "ДДТ", ALL_DIRECTIONS), 0.14),
    (UdoKind("Центр дополнительного образования", "ЦДО", ALL_DIRECTIONS), 0.12),
    (UdoKind("Станция юных техников", "СЮТ", {D.TECHNICAL: 1.0, D.NATURAL_SCIENCE: 0.15}), 0.06),
    (UdoKind("Эколого-биологический центр", "ЭБЦ", {D.NATURAL_SCIENCE: 1.0, D.TOURISM: 0.2}), 0.05),
    (UdoKind("Центр детского и юношеского туризма и экскурсий", "ЦДЮТЭ", {D.TOURISM: 1.0, D.SPORT: 0.2}), 0.05),
    (
        UdoKind(
            "Спортивная школа",
            "СШ",
            {D.SPORT: 1.0},
            Department.SPORT,
            ("Муниципальное бюджетное учреждение дополнительного образования", "МБУ ДО"),
        ),
        0.22,
    ),
    (
        UdoKind(
            "Детская школа искусств",
            "ДШИ",
            {D.ARTS: 1.0},
            Department.CULTURE,
            ("Муниципальное бюджетное учреждение дополнительного образования", "МБУДО"),
        ),
        0.16,
    ),
)
# Regional centres in the capital: (name, abbreviation, unit, directions).
REGIONAL_CENTRES: tuple[tuple[str, str, str, dict[str, float]], ...] = (
    ("Детский технопарк «Кванториум»", "Кванториум", UnitKind.KVANTORIUM, {D.TECHNICAL: 1.0, D.NATURAL_SCIENCE: 0.5}),
    ("Центр цифрового образования детей «IT-куб»", "IT-куб", UnitKind.IT_CUBE, {D.TECHNICAL: 1.0}),
)
KINDERGARTEN_NAMES = (
    "Солнышко", "Ромашка", "Колокольчик", "Берёзка", "Радуга", "Теремок", "Ласточка", "Золотой ключик",
    "Сказка", "Светлячок", "Рябинка", "Звёздочка", "Улыбка", "Аленький цветочек", "Буратино", "Журавушка",
    "Калинка", "Белочка", "Алёнушка", "Родничок",
)  # fmt: skip
NGO_NAMES: tuple[tuple[str, dict[str, float]], ...] = (
    ("Центр развития детей «Умка»", {D.SOCIAL: 1.0, D.ARTS: 0.6, D.NATURAL_SCIENCE: 0.4}),
    ("Детский клуб «Радуга»", {D.ARTS: 1.0, D.SOCIAL: 0.6}),
    ("Академия талантов", {D.ARTS: 1.0, D.TECHNICAL: 0.5, D.SOCIAL: 0.5}),
    ("Инженерная школа «Шестерёнка»", {D.TECHNICAL: 1.0}),
    ("Лига роботов", {D.TECHNICAL: 1.0}),
    ("Центр «Перспектива»", {D.SOCIAL: 1.0, D.NATURAL_SCIENCE: 0.5}),
    ("Мастерская идей", {D.ARTS: 1.0, D.TECHNICAL: 0.4}),
    ("Открытый мир", {D.SOCIAL: 1.0, D.TOURISM: 0.5}),
    ("Спортивный клуб «Витязь»", {D.SPORT: 1.0}),
    ("Спортивный клуб «Олимп»", {D.SPORT: 1.0}),
    ("Шахматный клуб «Ладья»", {D.SPORT: 1.0}),
    ("Клуб юных туристов «Азимут»", {D.TOURISM: 1.0, D.SPORT: 0.3}),
    ("Экоцентр «Зелёный дом»", {D.NATURAL_SCIENCE: 1.0, D.TOURISM: 0.3}),
    ("Лингвистический центр «Глобус»", {D.SOCIAL: 1.0}),
    ("Театральная мастерская «Кулиса»", {D.ARTS: 1.0}),
)
STUDIO_NAMES: tuple[tuple[str, dict[str, float]], ...] = (
    ("Студия «Акварель»", {D.ARTS: 1.0}),
    ("Школа танцев «Грация»", {D.ARTS: 1.0}),
    ("Студия вокала «Камертон»", {D.ARTS: 1.0}),
    ("Робошкола «Кибер»", {D.TECHNICAL: 1.0}),
    ("Школа программирования «Код»", {D.TECHNICAL: 1.0}),
    ("Центр раннего развития «Любознайка»", {D.SOCIAL: 1.0, D.NATURAL_SCIENCE: 0.5}),
    ("Английский клуб «Hello»", {D.SOCIAL: 1.0}),
    ("Клуб единоборств «Барс»", {D.SPORT: 1.0}),
    ("Мастерская «Глина и огонь»", {D.ARTS: 1.0}),
    ("Шахматная школа «Гамбит»", {D.SPORT: 1.0}),
    ("Студия «Маленький учёный»", {D.NATURAL_SCIENCE: 1.0}),
)
COLLEGE_NAMES: tuple[tuple[str, str, dict[str, float]], ...] = (
    ("политехнический колледж", "колледж", {D.TECHNICAL: 1.0, D.SOCIAL: 0.3}),
    ("педагогический колледж", "колледж", {D.SOCIAL: 1.0, D.ARTS: 0.5}),
    ("аграрный техникум", "техникум", {D.NATURAL_SCIENCE: 1.0, D.TECHNICAL: 0.5}),
    ("колледж искусств", "колледж", {D.ARTS: 1.0}),
    ("индустриальный техникум", "техникум", {D.TECHNICAL: 1.0}),
)
UNIVERSITY_NAMES: tuple[tuple[str, str, dict[str, float]], ...] = (
    ("государственный университет", "ГУ", {D.NATURAL_SCIENCE: 1.0, D.SOCIAL: 0.6, D.TECHNICAL: 0.5}),
    ("государственный педагогический университет", "ГПУ", {D.SOCIAL: 1.0, D.NATURAL_SCIENCE: 0.5}),
    ("государственный технический университет", "ГТУ", {D.TECHNICAL: 1.0, D.NATURAL_SCIENCE: 0.4}),
)
OTHER_NAMES: tuple[tuple[str, str, str, dict[str, float]], ...] = (
    ("Центральная детская библиотека", "ЦДБ", Department.CULTURE, {D.SOCIAL: 1.0, D.TOURISM: 0.4}),
    ("Краеведческий музей", "музей", Department.CULTURE, {D.TOURISM: 1.0}),
    ("Дом культуры", "ДК", Department.CULTURE, {D.ARTS: 1.0, D.SOCIAL: 0.2}),
    ("Центр молодёжных инициатив", "ЦМИ", Department.YOUTH, {D.SOCIAL: 1.0, D.TOURISM: 0.3}),
)
SCHOOL_DIRECTIONS: dict[str, float] = {
    D.SOCIAL: 1.0,
    D.SPORT: 0.9,
    D.ARTS: 0.8,
    D.TECHNICAL: 0.7,
    D.NATURAL_SCIENCE: 0.7,
    D.TOURISM: 0.5,
}
KINDERGARTEN_DIRECTIONS: dict[str, float] = {
    D.ARTS: 1.0,
    D.SOCIAL: 0.8,
    D.SPORT: 0.7,
    D.NATURAL_SCIENCE: 0.5,
    D.TECHNICAL: 0.5,
}
ACCESSIBILITY_NOTES = (
    "Пандус у главного входа, кнопка вызова персонала, адаптированный туалет на первом этаже.",
    "Все занятия на первом этаже, широкие дверные проёмы, тактильные указатели.",
    "Лифт, контрастная маркировка ступеней, места для отдыха на этажах.",
    "Пандус и подъёмник, педагоги прошли обучение по работе с детьми с ОВЗ, есть тьютор.",
    "Звукоусиливающая аппаратура для слабослышащих, информационные табло, специалист по жестовому языку по записи.",
)
THEATRE_NAMES = ("Маска", "Зазеркалье", "Арлекин", "Синяя птица", "Балаганчик", "Отражение")
MUSEUM_NAMES = (
    "Музей истории школы",
    "Музей боевой славы",
    "Этнографический музей «Русская изба»",
    "Музей родного края",
)
SPORT_CLUB_NAMES = ("Олимпиец", "Старт", "Чемпион", "Юность", "Факел", "Лидер")


@dataclass
class DemoOrganization:
    """An organization being generated, with what its programs are drawn from."""

    organization: Organization
    place: Place
    directions: dict[str, float]
    units: list[OrganizationUnit] = field(default_factory=list)
    study_places: list[str] = field(default_factory=list)  # addresses, see create_study_places
    owner: Name | None = None  # an entrepreneur teaches in person
    sport_school: bool = False
    arts_school: bool = False
    program_count: int = 0


class OrganizationMaker:
    """Names, registration numbers, addresses and contacts of demo organizations."""

    def __init__(self, rng: DemoRandom, names: NameMaker) -> None:
        self.rng = rng
        self.names = names
        self.serial = 0
        self.numbers: Counter[tuple[int, str]] = Counter()
        self.used: set[tuple[int, str]] = set()

    def next_number(self, place: Place, key: str) -> int:
        self.numbers[(place.index, key)] += 1
        return self.numbers[(place.index, key)]

    def unused(self, place: Place, options: Sequence[tuple[str, ...]]) -> tuple[str, ...] | None:
        free = [o for o in options if (place.index, o[0]) not in self.used]
        if not free:
            return None
        choice = self.rng.choice(free)
        self.used.add((place.index, choice[0]))
        return choice

    def make(self, place: Place, kind: str) -> DemoOrganization:
        maker = getattr(self, f"_{kind}")
        demo: DemoOrganization | None = maker(place)
        if demo is None:  # the place has no more colleges or universities to invent
            demo = self._ngo(place)
        self._register(demo)
        return demo

    def regional_centre(self, place: Place, index: int) -> DemoOrganization:
        name, short, unit_kind, directions = REGIONAL_CENTRES[index]
        legal = f"Государственное автономное учреждение дополнительного образования {REGION_GENITIVE}"
        demo = self._new(place, K.UDO, f"{legal} «{name}»", f"ГАУ ДО {REGION_ABBR} «{short}»", directions)
        demo.organization.description = (
            f"Региональный центр {REGION_GENITIVE}, созданный по федеральному проекту «Успех каждого ребёнка». "
            "Занятия ведут инженеры и учёные, обучение бесплатное, набор — по итогам входного тестирования."
        )
        demo.units.append(OrganizationUnit(kind=unit_kind, name=UnitKind(unit_kind).label))
        if index == 0:
            mobile = OrganizationUnit(kind=UnitKind.MOBILE_KVANTORIUM, name=UnitKind.MOBILE_KVANTORIUM.label)
            demo.units.append(mobile)
        self._register(demo)
        return demo

    # --- Kinds ----------------------------------------------------------------------------

    def _school(self, place: Place) -> DemoOrganization:
        rng = self.rng
        legal = "Муниципальное бюджетное общеобразовательное учреждение"
        village = rng.choice(place.villages) if place.villages and rng.chance(0.6) else None
        if village is not None:
            number = self.next_number(place, village.name)
            level = ("средняя", "СОШ") if number == 1 else ("основная", "ООШ")
            name = f"{village.adjective} {level[0]} общеобразовательная школа"
            if number > 2:
                name += f" № {number - 1}"
            demo = self._new(place, K.SCHOOL, f"{legal} «{name}»", f"МБОУ «{name}»", SCHOOL_DIRECTIONS, village)
            demo.organization.short_name = f"МБОУ {village.adjective} {level[1]}" + (
                f" № {number - 1}" if number > 2 else ""
            )
        else:
            number = self.next_number(place, "school")
            kind = rng.weighted((("Средняя общеобразовательная школа", 0.8), ("Лицей", 0.1), ("Гимназия", 0.1)))
            abbr = {"Лицей": "лицей", "Гимназия": "гимназия"}.get(kind, "СОШ")
            demo = self._new(
                place,
                K.SCHOOL,
                f"{legal} «{kind} № {number}» {place.genitive}",
                f"МБОУ {abbr} № {number}, {place.locality}",
                SCHOOL_DIRECTIONS,
            )
        self._school_units(demo, village is not None or not place.is_city)
        demo.organization.description = rng.choice(
            (
                "Школа с богатыми традициями: кружки и секции работают после уроков для учеников всех классов.",
                "Занятия дополнительного образования проходят во второй половине дня в здании школы.",
                "Школа — участник проекта «Школа Минпросвещения России»; "
                "внеурочные кружки открыты и для детей из соседних школ.",
            )
        )
        return demo

    def _school_units(self, demo: DemoOrganization, rural: bool) -> None:
        rng = self.rng
        if rng.chance(0.45 if rural else 0.15):
            demo.units.append(OrganizationUnit(kind=UnitKind.TOCHKA_ROSTA, name="Центр «Точка роста»"))
        if rng.chance(0.3):
            theatre = f"Школьный театр «{rng.choice(THEATRE_NAMES)}»"
            demo.units.append(OrganizationUnit(kind=UnitKind.SCHOOL_THEATRE, name=theatre))
        if rng.chance(0.25):
            demo.units.append(OrganizationUnit(kind=UnitKind.SCHOOL_MUSEUM, name=rng.choice(MUSEUM_NAMES)))
        if rng.chance(0.4):
            club = f"Школьный спортивный клуб «{rng.choice(SPORT_CLUB_NAMES)}»"
            demo.units.append(OrganizationUnit(kind=UnitKind.SCHOOL_SPORT_CLUB, name=club))

    def _kindergarten(self, place: Place) -> DemoOrganization:
        number = self.next_number(place, "kindergarten")
        name = self.rng.choice(KINDERGARTEN_NAMES)
        legal = "Муниципальное бюджетное дошкольное образовательное учреждение"
        demo = self._new(
            place,
            K.KINDERGARTEN,
            f"{legal} «Детский сад № {number} «{name}»» {place.genitive}",
            f"МБДОУ д/с № {number} «{name}», {place.locality}",
            KINDERGARTEN_DIRECTIONS,
        )
        demo.organization.description = "Кружки для воспитанников детского сада и детей, которые его не посещают."
        return demo

    def centre_of_creativity(self, place: Place) -> DemoOrganization:
        demo = self._udo(place, UDO_KINDS[0][0])
        self._register(demo)
        return demo

    def _udo(self, place: Place, kind: UdoKind | None = None) -> DemoOrganization:
        kind = kind or self.rng.weighted(UDO_KINDS)
        number = self.next_number(place, kind.abbreviation)
        name = kind.name + (f" № {number}" if number > 1 else "")
        demo = self._new(
            place,
            K.UDO,
            f"{kind.legal_form[0]} «{name}» {place.genitive}",
            f"{kind.legal_form[1]} «{name}», {place.locality}",
            kind.directions,
        )
        demo.organization.department = kind.department
        demo.sport_school = kind.abbreviation == "СШ"
        demo.arts_school = kind.abbreviation == "ДШИ"
        if kind.abbreviation == "ЭБЦ":
            demo.units.append(OrganizationUnit(kind=UnitKind.ECO_CENTER, name="Экостанция «Живой уголок»"))
        demo.organization.description = self.rng.choice(
            (
                f"Учреждение дополнительного образования {place.genitive}: "
                "кружки, секции и студии для детей от 5 до 18 лет.",
                "Педагоги центра — победители профессиональных конкурсов, "
                "воспитанники — призёры областных и всероссийских конкурсов.",
                "Занятия бесплатные по муниципальному заданию, "
                "часть программ доступна по сертификату дополнительного образования.",
            )
        )
        return demo

    def _college(self, place: Place) -> DemoOrganization | None:
        choice = self.unused(place, [(n, s) for n, s, _ in COLLEGE_NAMES]) if place.is_city else None
        if choice is None:
            return None
        name = f"{place.adjective} {choice[0]}"
        directions = next(d for n, _, d in COLLEGE_NAMES if n == choice[0])
        legal = f"Государственное бюджетное профессиональное образовательное учреждение {REGION_GENITIVE}"
        demo = self._new(place, K.COLLEGE, f"{legal} «{name}»", f"ГБПОУ {REGION_ABBR} «{name}»", directions)
        demo.organization.description = (
            "Кружки и мастерские для школьников на базе колледжа: профессиональные пробы и ранняя профориентация."
        )
        return demo

    def _university(self, place: Place) -> DemoOrganization | None:
        choice = self.unused(place, [(n, s) for n, s, _ in UNIVERSITY_NAMES]) if place.index == 0 else None
        if choice is None:
            return None
        name = f"{place.adjective} {choice[0]}"
        directions = next(d for n, _, d in UNIVERSITY_NAMES if n == choice[0])
        legal = "Федеральное государственное бюджетное образовательное учреждение высшего образования"
        demo = self._new(place, K.UNIVERSITY, f"{legal} «{name}»", f"ФГБОУ ВО «{name}»", directions)
        demo.organization.description = (
            "Университетские классы и кружки для школьников: занятия ведут преподаватели и студенты университета."
        )
        return demo

    def _ngo(self, place: Place) -> DemoOrganization:
        name, directions = self.rng.choice(NGO_NAMES)
        number = self.next_number(place, name)
        if number > 1:
            name += f" — {place.locality_name}-{number}"
        demo = self._new(
            place,
            K.NGO,
            f"Автономная некоммерческая организация «{name}»",
            f"АНО «{name}», {place.locality}",
            directions,
        )
        demo.organization.description = (
            "Некоммерческая организация, работающая с детьми и семьями; часть программ — по сертификату."
        )
        return demo

    def _entrepreneur(self, place: Place) -> DemoOrganization:
        owner = self.names.adult(female=self.rng.chance(0.7))
        studio, directions = self.rng.choice(STUDIO_NAMES)
        demo = self._new(
            place,
            K.ENTREPRENEUR,
            f"Индивидуальный предприниматель {owner.full}",
            f"{studio} (ИП {owner.short})",
            directions,
        )
        demo.owner = owner
        demo.organization.description = (
            f"{studio}: небольшие группы, занятия ведёт {owner.first} {owner.patronymic} лично."
        )
        return demo

    def _other(self, place: Place) -> DemoOrganization:
        choice = self.unused(place, [(n, a) for n, a, _, _ in OTHER_NAMES])
        if choice is None:
            return self._ngo(place)
        name, _, department, directions = next(o for o in OTHER_NAMES if o[0] == choice[0])
        legal, abbr = (
            ("Муниципальное бюджетное учреждение культуры", "МБУК")
            if department == Department.CULTURE
            else ("Муниципальное бюджетное учреждение", "МБУ")
        )
        demo = self._new(
            place, K.OTHER, f"{legal} «{name}» {place.genitive}", f"{abbr} «{name}», {place.locality}", directions
        )
        demo.organization.department = department
        demo.organization.description = "Кружки и клубы для детей и подростков в свободное время."
        return demo

    # --- Common parts -----------------------------------------------------------------------

    def _new(
        self,
        place: Place,
        kind: str,
        full_name: str,
        short_name: str,
        directions: dict[str, float],
        village: Village | None = None,
    ) -> DemoOrganization:
        rng = self.rng
        lat, lon = place.point(rng, village)
        organization = Organization(
            uuid=rng.uuid4(),
            code=rng.code(Organization.CODE_PREFIX),
            full_name=full_name,
            short_name=short_name,
            kind=kind,
            municipality=place.municipality,
            address=place.address(rng, village),
            latitude=Decimal(f"{lat:.6f}"),
            longitude=Decimal(f"{lon:.6f}"),
        )
        return DemoOrganization(organization=organization, place=place, directions=directions)

    def _register(self, demo: DemoOrganization) -> None:
        """Registration numbers, licence, contacts and accessibility: what every kind has."""
        rng = self.rng
        organization = demo.organization
        self.serial += 1
        registered = rng.randint(2, 24)
        if organization.kind == K.ENTREPRENEUR:
            organization.inn = inn_check_digits(f"99{self.serial:08d}")
            organization.ogrn = ogrn_check_digit(f"3{registered:02d}99{self.serial:09d}")
        else:
            tax_office = rng.randint(1, 30)
            organization.inn = inn_check_digits(f"99{tax_office:02d}{self.serial:05d}")
            organization.kpp = f"99{tax_office:02d}01001"
            organization.ogrn = ogrn_check_digit(f"1{registered:02d}99{self.serial:07d}")
        organization.licence_number = f"Л035-{rng.randint(1000, 1299):05d}-99/{rng.randint(100000, 999999):08d}"
        organization.licence_date = date(2000 + registered, 1, 1) + timedelta(days=rng.randint(30, 700))
        organization.phone = self._phone(demo.place)
        local_part = translit(organization.short_name.split("«")[-1].split("»")[0])[:24].strip("-") or "info"
        organization.email = f"{local_part}{self.serial}@{demo.place.slug}.edu.demo"
        if organization.kind != K.ENTREPRENEUR or rng.chance(0.4):
            organization.website = f"https://{local_part}{self.serial}.{demo.place.slug}.edu.demo"
        organization.accessible_for_ovz = rng.chance(0.42)
        if organization.accessible_for_ovz:
            organization.accessibility_notes = rng.choice(ACCESSIBILITY_NOTES)

    def _phone(self, place: Place) -> str:
        rng = self.rng
        tail = f"{rng.randint(0, 99):02d}-{rng.randint(0, 99):02d}"
        head = rng.randint(200, 799) if len(place.phone_code) == 4 else rng.randint(2, 7)
        return f"+7 ({place.phone_code}) {head}-{tail}"


def plan_organizations(rng: DemoRandom, territory: Territory, count: int) -> list[tuple[Place, str]]:
    """Where organizations are and of which kind: by population, UDOs and colleges in towns."""
    places = territory.places
    weights = [p.population for p in places]
    plan: list[tuple[Place, str]] = []
    for index in range(count):
        # Every municipality has a school and a centre of additional education, whatever the count.
        if index < len(places) * 2:
            plan.append((places[index // 2], K.SCHOOL if index % 2 else K.UDO))
            continue
        plan.append((rng.choices(places, weights=weights)[0], rng.weighted(KIND_SHARES)))
    return plan


def spread_programs(rng: DemoRandom, organizations: Sequence[DemoOrganization], total: int) -> None:
    """Give each organization its number of programs: at least one, then in proportion to its kind."""
    weights = [PROGRAM_WEIGHT[o.organization.kind] * rng.uniform(0.5, 1.5) for o in organizations]
    base = 1 if total >= len(organizations) else 0
    for organization in organizations:
        organization.program_count = base
    remaining = total - base * len(organizations)
    weight_sum = sum(weights)
    shares = [remaining * w / weight_sum for w in weights]
    for organization, share in zip(organizations, shares, strict=True):
        organization.program_count += int(share)
    leftover = total - sum(o.program_count for o in organizations)
    for organization in rng.choices(organizations, weights=weights, k=leftover):
        organization.program_count += 1


LEVEL_SENTENCES = {
    "initial": "Программа стартового уровня: опыт не нужен, достаточно интереса и желания заниматься.",
    "basic": "Базовый уровень: для тех, кто освоил основы или готов заниматься систематически.",
    "advanced": "Продвинутый уровень: для ребят с опытом занятий не меньше года; набор по итогам собеседования.",
    "multi": "Разноуровневая программа: каждый занимается в своём темпе, от первых шагов до конкурсных работ.",
}
REMARKS = (
    "Уточните планируемые результаты по каждому модулю и приложите учебный план.",
    "Возраст обучающихся в группах не совпадает с возрастом, указанным в программе.",
    "Добавьте описание материально-технической базы и условий для детей с ОВЗ.",
)
ROOMS = {
    D.TECHNICAL: ("каб. 14", "каб. 21", "лаборатория робототехники", "компьютерный класс"),
    D.NATURAL_SCIENCE: ("лаборатория", "каб. 31", "каб. 8", "кабинет биологии"),
    D.ARTS: ("актовый зал", "хореографический зал", "каб. 5", "изостудия"),
    D.SPORT: ("спортивный зал", "малый спортзал", "стадион", "зал единоборств"),
    D.TOURISM: ("каб. 12", "школьный музей", "скалодром"),
    D.SOCIAL: ("каб. 3", "каб. 17", "библиотека", "каб. 25"),
}
PUBLIC_KINDS = {K.UDO, K.SCHOOL, K.KINDERGARTEN, K.COLLEGE, K.UNIVERSITY, K.OTHER}


@dataclass
class CatalogSize:
    organizations: int = 0
    programs: int = 0
    groups: int = 0
    teachers: int = 0
    study_places: int = 0


@dataclass
class DemoProgram:
    demo: DemoOrganization
    program: Program
    topic: Topic
    weekly_hours: int
    teachers: list[int]  # teacher ids
    group_count: int


class ProgramMaker:
    """Programs of one organization at a time, with their teachers and groups."""

    def __init__(
        self, rng: DemoRandom, names: NameMaker, today: date, teacher_account: tuple[User, int] | None
    ) -> None:
        self.rng = rng
        # The demo teacher's account becomes the first teacher of its organization.
        self.teacher_account = teacher_account
        self.names = names
        self.today = today
        self.academic_year = today.year if today.month >= 7 else today.year - 1
        self.places_rng = random.Random(f"held-in-schools-{rng.initial_seed}")  # see create_study_places
        self.ovz_categories = list(OvzCategory.objects.values_list("pk", flat=True))
        self.registers = dict(ProgramRegister.objects.values_list("code", "pk"))
        # Lessons booked so far by teacher, and by room of an organization at an address, per weekday:
        # a teacher or a room takes one group at a time (catalog.services checks it on every save).
        self.booked: dict[tuple[Any, ...], list[tuple[time, time]]] = {}
        self.staff: dict[int, list[int]] = {}  # teacher ids by organization, of the chunk being written

    def aware(self, day: date, hour: int, minute: int = 0) -> datetime:
        return timezone.make_aware(datetime.combine(day, time(hour, minute)))

    def topics_for(self, demo: DemoOrganization) -> tuple[list[Topic], list[float]]:
        kind = demo.organization.kind
        unit_kinds = {u.kind for u in demo.units}
        topics, weights = [], []
        for strict in (True, False):
            for topic in TOPICS:
                weight = demo.directions.get(topic.direction, 0.0)
                if weight and (kind in topic.kinds or not strict):
                    topics.append(topic)
                    weights.append(weight * (3 if topic.units & unit_kinds else 1))
            if topics:
                break
        return topics, weights

    def create(
        self,
        chunk: Sequence[DemoOrganization],
        featured: Organization | None = None,
    ) -> CatalogSize:
        """Write the units, teachers, programs and groups of a chunk of saved organizations."""
        units = [u for demo in chunk for u in demo.units]
        for demo in chunk:
            for unit in demo.units:
                unit.organization = demo.organization
                if unit.kind == UnitKind.MOBILE_KVANTORIUM:
                    unit.address = "Выездные занятия в сельских школах области по графику"
        OrganizationUnit.objects.bulk_create(units, batch_size=BATCH)
        planned = [(demo, self.plan_topics(demo)) for demo in chunk]
        teachers = self.create_teachers(planned)
        self.staff = {}
        for (organization, _), pool in teachers.items():
            self.staff.setdefault(organization, []).extend(pool)
        programs: list[DemoProgram] = []
        for demo, topics in planned:
            featured_statuses = self.featured_statuses(len(topics)) if demo.organization == featured else None
            titles: Counter[str] = Counter()
            for index, topic in enumerate(topics):
                pool = teachers[(demo.organization.pk, topic.direction)]
                status = featured_statuses[index] if featured_statuses else None
                programs.append(self.program(demo, topic, titles, pool, status))
        Program.objects.bulk_create([p.program for p in programs], batch_size=BATCH)
        self.link(programs)
        groups, hired = self.create_groups(programs)
        return CatalogSize(len(chunk), len(programs), groups, sum(len(v) for v in teachers.values()) + hired)

    def plan_topics(self, demo: DemoOrganization) -> list[Topic]:
        topics, weights = self.topics_for(demo)
        chosen = self.rng.choices(topics, weights=weights, k=demo.program_count)
        # Programs of one organization are listed by direction, as in its own catalogue.
        return sorted(chosen, key=lambda t: (D.values.index(t.direction), t.titles[0]))

    def featured_statuses(self, count: int) -> list[str]:
        """The demo operator's organization shows every moderation state in the back office."""
        head = [ModerationStatus.MODERATING, ModerationStatus.MODERATING, ModerationStatus.NEEDS_CHANGES]
        head += [ModerationStatus.DRAFT, ModerationStatus.ARCHIVED]
        statuses: list[str] = [ModerationStatus.PUBLISHED] * count
        for index, status in enumerate(head):
            position = count - 1 - index * 3
            if position > 0:
                statuses[position] = status
        return statuses

    def create_teachers(
        self, planned: Sequence[tuple[DemoOrganization, list[Topic]]]
    ) -> dict[tuple[int, str], list[int]]:
        """Teachers per organization and direction: about one for every two or three programs."""
        specs: list[TeacherSpec] = []
        keys: list[tuple[int, str]] = []
        for demo, topics in planned:
            organization = demo.organization
            per_direction = Counter(t.direction for t in topics)
            for direction, programs in per_direction.items():
                count = 1 if demo.owner else max(1, round(programs / self.rng.uniform(1.8, 3.2)))
                subjects = [t.titles[0] for t in topics if t.direction == direction]
                for number in range(count):
                    spec = TeacherSpec(
                        organization_id=organization.pk,
                        organization_kind=organization.kind,
                        direction=direction,
                        subject=subjects[number % len(subjects)],
                        sport_school=demo.sport_school,
                        arts_school=demo.arts_school,
                        name=demo.owner,
                    )
                    if self.teacher_account and self.teacher_account[1] == organization.pk:
                        spec.user, self.teacher_account = self.teacher_account[0], None
                    specs.append(spec)
                    keys.append((organization.pk, direction))
        created = create_teachers(self.rng, self.names, specs, self.today)
        pools: dict[tuple[int, str], list[int]] = {}
        for key, teacher in zip(keys, created, strict=True):
            pools.setdefault(key, []).append(teacher.pk)
        return pools

    def program(
        self, demo: DemoOrganization, topic: Topic, titles: Counter[str], teachers: list[int], status: str | None
    ) -> DemoProgram:
        rng = self.rng
        organization = demo.organization
        kind = organization.kind
        title = rng.choice(topic.titles)
        titles[title] += 1
        if titles[title] > 1:
            title = f"{title} ({titles[title]}-й год обучения)"
        low, high = topic.ages
        age_from = rng.randint(low, max(low, high - 3))
        age_to = rng.randint(min(age_from + 2, high), high)
        if kind == K.KINDERGARTEN:
            age_to = min(age_to, 7)
            age_from = min(max(age_from, 4), age_to)
        age_span = str(age_from) if age_from == age_to else f"{age_from}–{age_to}"  # «детей 7 лет», not «7–7»
        level = rng.weighted((("initial", 0.45), ("basic", 0.33), ("advanced", 0.1), ("multi", 0.12)))
        months = rng.weighted(((9, 0.62), (8, 0.1), (3, 0.08), (4, 0.05), (21, 0.1), (33, 0.05)))
        weekly_hours = rng.weighted(((2, 0.5), (4, 0.3), (6, 0.15), (1, 0.05)))
        form = rng.weighted(((StudyForm.FULL_TIME, 0.86), (StudyForm.MIXED, 0.1), (StudyForm.EXTRAMURAL, 0.04)))
        distance = form == StudyForm.EXTRAMURAL or rng.chance(0.07)
        public = kind in PUBLIC_KINDS
        is_free = rng.chance(0.78 if public else 0.05)
        by_certificate = rng.chance((0.3 if is_free else 0.6) if public else 0.45)
        is_paid = rng.chance(0.08 if public else 0.75) or not (is_free or by_certificate)
        ovz_adapted = rng.chance(0.12)
        program_type = ProgramType.GENERAL
        if demo.sport_school and rng.chance(0.35):
            program_type = ProgramType.SPORT_TRAINING
        elif demo.arts_school and rng.chance(0.35):
            program_type = ProgramType.PREPROFESSIONAL
        status = status or rng.weighted(
            (
                (ModerationStatus.PUBLISHED, 0.93),
                (ModerationStatus.ARCHIVED, 0.02),
                (ModerationStatus.DRAFT, 0.02),
                (ModerationStatus.MODERATING, 0.02),
                (ModerationStatus.NEEDS_CHANGES, 0.01),
            )
        )
        unit = next((u for u in demo.units if u.kind in topic.units), None)
        description = [topic.description, LEVEL_SENTENCES[level]]
        if distance:
            description.append("Часть занятий проходит дистанционно на образовательной платформе.")
        is_network = public and rng.chance(0.05)
        if is_network:
            description.append(
                "Программа реализуется в сетевой форме: часть занятий проходит на базе организации-партнёра."
            )
        program = Program(
            uuid=rng.uuid4(),
            code=rng.code(Program.CODE_PREFIX),
            organization=organization,
            municipality=organization.municipality,
            unit=unit,
            title=title,
            summary=topic.summary,
            description=" ".join(description),
            goals=f"Развитие интереса и способностей детей {age_span} лет. {topic.summary}",
            results=topic.results,
            equipment=topic.equipment,
            program_type=program_type,
            direction=topic.direction,
            level_initial=level in ("initial", "multi"),
            level_basic=level in ("basic", "multi"),
            level_advanced=level == "advanced" or (level == "multi" and rng.chance(0.5)),
            age_from=age_from,
            age_to=age_to,
            hours_total=max(8, months * 4 * weekly_hours),
            duration_months=months,
            study_form=form,
            uses_distance_learning=distance,
            is_network=is_network,
            ovz_adapted=ovz_adapted,
            disability_adapted=ovz_adapted and rng.chance(0.4),
            is_free=is_free,
            by_certificate=by_certificate,
            is_paid=is_paid,
            price_per_month=Decimal(rng.randrange(topic.paid_price[0], topic.paid_price[1] + 1, 100))
            if is_paid
            else None,
            address=(unit.address if unit and unit.address else "") or organization.address,
            status=status,
            moderation_remark=rng.choice(REMARKS) if status == ModerationStatus.NEEDS_CHANGES else "",
            # Sent in the last days, at different hours (no draw from rng: the same seed, the same region).
            submitted_at=(
                self.aware(self.today - timedelta(days=1 + len(title) % 6), 9 + len(title) % 9, len(title) % 60)
                if status == ModerationStatus.MODERATING
                else None
            ),
            published_at=(
                self.aware(self.today - timedelta(days=rng.randint(10, 900)), rng.randint(9, 18))
                if status in (ModerationStatus.PUBLISHED, ModerationStatus.ARCHIVED)
                else None
            ),
            popularity=min(5000, int(rng.paretovariate(1.2) * 20)),
        )
        group_count = 1 if status == ModerationStatus.DRAFT else rng.weighted(((1, 0.5), (2, 0.35), (3, 0.15)))
        chosen = rng.sample(teachers, min(len(teachers), rng.weighted(((1, 0.8), (2, 0.2)))))
        return DemoProgram(demo, program, topic, weekly_hours, chosen, group_count)

    def link(self, programs: Sequence[DemoProgram]) -> None:
        """Teachers, ОВЗ categories and registers of the programs just saved."""
        teachers, categories, registers = [], [], []
        for item in programs:
            program = item.program
            teachers += [Program.teachers.through(program_id=program.pk, teacher_id=t) for t in item.teachers]
            if program.ovz_adapted:
                for category in self.rng.sample(
                    self.ovz_categories, min(len(self.ovz_categories), self.rng.randint(1, 3))
                ):
                    categories.append(Program.ovz_categories.through(program_id=program.pk, ovzcategory_id=category))
            codes = [
                code
                for code, applies in (
                    ("general", program.is_free),
                    ("certified", program.by_certificate),
                    ("paid", program.is_paid),
                    ("preprofessional", program.program_type == ProgramType.PREPROFESSIONAL),
                    ("significant", self.rng.chance(0.04)),
                )
                if applies and code in self.registers
            ]
            registers += [
                Program.registers.through(program_id=program.pk, programregister_id=self.registers[c]) for c in codes
            ]
        Program.teachers.through.objects.bulk_create(teachers, batch_size=BATCH)
        Program.ovz_categories.through.objects.bulk_create(categories, batch_size=BATCH)
        Program.registers.through.objects.bulk_create(registers, batch_size=BATCH)

    def create_groups(self, programs: Sequence[DemoProgram]) -> tuple[int, int]:
        """Groups of the programs with their timetables and financing; how many, and how many
        teachers were hired for them."""
        made: list[tuple[Group, DemoProgram]] = []
        slots: list[ScheduleSlot] = []
        financing: list[GroupFinancing] = []
        for item in programs:
            for number in range(item.group_count):
                group = self.group(item, number)
                slots += self.schedule(group, item)
                financing += self.financing(group, item.program)
                # Moved after its rooms were booked, which draw afresh on a clash: the rest stays as it was.
                if item.demo.study_places and self.places_rng.random() < HELD_IN_A_SCHOOL:
                    group.address = self.places_rng.choice(item.demo.study_places)
                made.append((group, item))
        hired = self.hire([(group, item) for group, item in made if group.teacher_id is None])
        Group.objects.bulk_create([group for group, _ in made], batch_size=BATCH)
        ScheduleSlot.objects.bulk_create(slots, batch_size=BATCH)
        GroupFinancing.objects.bulk_create(financing, batch_size=BATCH)
        # A group taken by a colleague or a newcomer names its teacher among the program's teachers too.
        Program.teachers.through.objects.bulk_create(
            [
                Program.teachers.through(program_id=item.program.pk, teacher_id=group.teacher_id)
                for group, item in made
                if group.teacher_id not in item.teachers
            ],
            batch_size=BATCH,
            ignore_conflicts=True,
        )
        return len(made), hired

    def hire(self, unplaced: Sequence[tuple[Group, DemoProgram]]) -> int:
        """A new teacher of the organization for each group nobody there is free to take: an
        organization names a teacher for every group it runs."""
        specs = [
            TeacherSpec(
                organization_id=item.demo.organization.pk,
                organization_kind=item.demo.organization.kind,
                direction=item.program.direction,
                subject=item.topic.titles[0],
                sport_school=item.demo.sport_school,
                arts_school=item.demo.arts_school,
            )
            for _, item in unplaced
        ]
        for (group, _), teacher in zip(unplaced, create_teachers(self.rng, self.names, specs, self.today), strict=True):
            group.teacher_id = teacher.pk
        return len(specs)

    def group(self, item: DemoProgram, number: int) -> Group:
        rng = self.rng
        program = item.program
        year = self.academic_year
        if program.status == ModerationStatus.ARCHIVED:
            year -= 1  # archived programs keep last year's groups
        closes: datetime | None
        if program.duration_months <= 4 and rng.chance(0.5):
            start = date(year + 1, 1, 12) + timedelta(days=rng.randint(0, 6))
            opens, closes = self.aware(date(year, 12, 1), 9), self.aware(start + timedelta(days=7), 18)
        else:
            start = date(year, 9, 1) + timedelta(days=rng.randint(0, 14))
            opens = self.aware(date(year, 8, 15), 9)
            closes = rng.weighted(
                (
                    (None, 0.5),
                    (self.aware(date(year, 12, 20), 18), 0.3),
                    (self.aware(date(year, 9, 30), 18), 0.2),
                )
            )
        end = max(
            min(start + timedelta(days=30 * program.duration_months), date(year + 1, 5, 31)), start + timedelta(14)
        )
        if closes is not None and closes > self.aware(end, 18):
            closes = self.aware(end, 18)  # a short course takes applications until its last lesson at most
        capacity = rng.randint(12, 25) if program.direction == D.SPORT else rng.randint(8, 20)
        taken = capacity if rng.chance(0.15) else int(capacity * rng.uniform(0.3, 0.95))
        if program.status in NOT_YET_PUBLISHED:
            taken = 0  # families never saw the program: nobody is enrolled yet
        age_from, age_to = None, None
        if item.group_count > 1 and program.age_to - program.age_from >= item.group_count:
            step = (program.age_to - program.age_from + 1) // item.group_count
            age_from = program.age_from + step * number
            age_to = program.age_to if number == item.group_count - 1 else age_from + step - 1
        name = f"Группа {number + 1}"
        if age_from is not None and age_to is not None:
            name = f"Группа {number + 1} ({ages(age_from, age_to)})"  # «7 лет», «3–4 года»
        elif program.duration_months > 9:
            name = f"Группа {number + 1}-го года обучения"
        return Group(
            uuid=rng.uuid4(),
            code=rng.code(Group.CODE_PREFIX),
            program=program,
            name=name,
            teacher_id=rng.choice(item.teachers) if item.teachers else None,
            address=program.address,
            academic_year=year,
            start_date=start,
            end_date=end,
            enrollment_opens_at=opens,
            enrollment_closes_at=closes,
            age_from=age_from,
            age_to=age_to,
            capacity=capacity,
            seats_taken=taken,
            hours_per_year=round(program.hours_total * min(1.0, 9 / program.duration_months)),
            is_locked=rng.chance(0.03),
        )

    def schedule(self, group: Group, item: DemoProgram) -> list[ScheduleSlot]:
        """A timetable that books neither the group's teacher nor its room twice: tried afresh a few
        times; then with another of the program's teachers and any numbered room; then without a
        room; then with another teacher of the organization. When the organization's teachers are
        all booked then, the group is left without one, for `hire` to give it a new teacher."""
        for attempt in range(40):
            if attempt >= 8 and item.teachers:
                group.teacher_id = self.rng.choice(item.teachers)
            slots = self.timetable(group, item, room=None if attempt < 8 else "" if attempt >= 32 else "any")
            if self.book(group, slots):
                return slots
        colleagues = [t for t in self.staff.get(item.demo.organization.pk, []) if t not in item.teachers]
        for colleague in self.rng.sample(colleagues, len(colleagues)):
            group.teacher_id = colleague
            for _ in range(3):
                slots = self.timetable(group, item, room="")
                if self.book(group, slots):
                    return slots
        group.teacher_id = None
        return self.timetable(group, item, room="")  # neither a teacher nor a room to book: always free

    def timetable(self, group: Group, item: DemoProgram, *, room: str | None) -> list[ScheduleSlot]:
        """Days and times as the organization's kind keeps them; in a room of the direction (None), a
        numbered one ("any") or the one given."""
        rng = self.rng
        kind = item.program.organization.kind
        sessions = 1 if item.weekly_hours <= 2 else 2 if item.weekly_hours <= 4 else 3
        weekend = 0.5 if kind in (K.NGO, K.ENTREPRENEUR) else 0.15
        days: list[int] = []
        pool = [0, 1, 2, 3, 4, 5, 6]
        weights = [1.0, 1.0, 1.0, 1.0, 1.0, weekend, weekend / 4]
        while len(days) < sessions:
            day = rng.choices(pool, weights=weights)[0]
            if day not in days:
                days.append(day)
        hours = max(1, item.weekly_hours // sessions)
        minutes = hours * 45 + (hours - 1) * 10
        if kind == K.KINDERGARTEN:
            minutes = 30
            start = time(rng.choice((15, 16)), rng.choice((0, 30)))
        elif kind == K.SCHOOL:
            start = time(rng.randint(13, 16), rng.choice((0, 30)))
        else:
            start = time(rng.randint(14, 18), rng.choice((0, 30)))
        weekend_start = time(rng.randint(10, 13), 0)
        if room is None:
            room = rng.choice(ROOMS[D(item.program.direction)])
        elif room == "any":
            room = f"каб. {rng.randint(1, 40)}"
        slots = []
        for day in sorted(days):
            begins = weekend_start if day >= 5 else start
            ends = (datetime.combine(self.today, begins) + timedelta(minutes=minutes)).time()
            slots.append(ScheduleSlot(group=group, weekday=day, starts_at=begins, ends_at=ends, room=room))
        return slots

    def book(self, group: Group, slots: Sequence[ScheduleSlot]) -> bool:
        """Book the slots for the group's teacher and room if none of them is taken (whatever the
        dates: a demo teacher's groups never overlap); False, booking nothing, if one is."""
        wanted = []
        for slot in slots:
            owners: list[tuple[Any, ...]] = [("teacher", group.teacher_id)] if group.teacher_id else []
            if slot.room:
                owners.append(("room", group.program.organization_id, group.address, slot.room))
            wanted += [((*owner, slot.weekday), slot) for owner in owners]
        for key, slot in wanted:
            if any(slot.starts_at < ends and starts < slot.ends_at for starts, ends in self.booked.get(key, ())):
                return False
        for key, slot in wanted:
            self.booked.setdefault(key, []).append((slot.starts_at, slot.ends_at))
        return True

    def financing(self, group: Group, program: Program) -> list[GroupFinancing]:
        sources = []
        if program.is_free:
            sources.append(GroupFinancing(group=group, source=FundingSource.BUDGET, cost_per_month=Decimal(0)))
        if program.by_certificate:
            cost = Decimal(self.rng.randrange(1200, 4500, 10))
            sources.append(GroupFinancing(group=group, source=FundingSource.CERTIFICATE, cost_per_month=cost))
        if program.is_paid and program.price_per_month is not None:
            sources.append(
                GroupFinancing(group=group, source=FundingSource.PAID, cost_per_month=program.price_per_month)
            )
        return sources


def create_organizations(
    rng: DemoRandom, names: NameMaker, territory: Territory, count: int, programs: int
) -> list[DemoOrganization]:
    """Save `count` organizations and decide how many programs each runs. The first one is the
    capital's centre of children's creativity: the demo operator's organization."""
    maker = OrganizationMaker(rng, names)
    plan = plan_organizations(rng, territory, count)
    organizations = [maker.centre_of_creativity(territory.capital)]
    organizations += [maker.make(place, kind) for place, kind in plan[1:]]
    # The capital also has the region's Кванториум and IT-куб, in place of its next two NGOs.
    ngo_positions = [i for i, o in enumerate(organizations) if o.organization.kind == K.NGO and o.place.index == 0]
    for index, position in enumerate(ngo_positions[: len(REGIONAL_CENTRES)]):
        organizations[position] = maker.regional_centre(territory.capital, index)
    spread_programs(rng, organizations, programs)
    # The featured organization needs enough programs to show every moderation state; others give way.
    featured = organizations[0]
    while featured.program_count < min(programs, 14):
        largest = max(organizations[1:], key=lambda o: o.program_count, default=None)
        if largest is None or largest.program_count <= 1:
            break
        largest.program_count -= 1
        featured.program_count += 1
    Organization.objects.bulk_create([o.organization for o in organizations], batch_size=BATCH)
    return organizations


def create_programs(
    rng: DemoRandom,
    names: NameMaker,
    organizations: Sequence[DemoOrganization],
    today: date,
    teacher_account: tuple[User, int] | None,
    on_chunk: Callable[[CatalogSize], None] | None = None,
) -> CatalogSize:
    """Programs, teachers and groups of saved organizations, a chunk of organizations at a time."""
    maker = ProgramMaker(rng, names, today, teacher_account)
    featured = organizations[0].organization if organizations else None
    total = CatalogSize(study_places=create_study_places(organizations, random.Random(f"places-{rng.initial_seed}")))
    for start in range(0, len(organizations), ORGANIZATIONS_PER_CHUNK):
        size = maker.create(organizations[start : start + ORGANIZATIONS_PER_CHUNK], featured)
        total.organizations += size.organizations
        total.programs += size.programs
        total.groups += size.groups
        total.teachers += size.teachers
        if on_chunk is not None:
            on_chunk(total)
    return total


# A centre of additional education holds some of its groups in the town's schools (a gym, a classroom after
# lessons): their buildings are its study places, on the map where the schools are.
STUDY_PLACE_SHARE = 0.6  # of centres, each with one to three schools
HELD_IN_A_SCHOOL = 0.3  # of such a centre's groups


def create_study_places(organizations: Sequence[DemoOrganization], rng: random.Random) -> int:
    """The study places of the organizations of additional education (the featured one's always); drawn from
    their own generator, so that the rest of the region stays what the seed made it before places existed."""
    schools: dict[int, list[Organization]] = {}
    for demo in organizations:
        if demo.organization.kind == K.SCHOOL and demo.organization.latitude is not None:
            schools.setdefault(demo.organization.municipality_id, []).append(demo.organization)
    made = []
    for position, demo in enumerate(organizations):
        organization = demo.organization
        nearby = schools.get(organization.municipality_id, [])
        if organization.kind != K.UDO or not nearby or not (position == 0 or rng.random() < STUDY_PLACE_SHARE):
            continue
        for school in rng.sample(nearby, min(len(nearby), rng.randint(1, 3))):
            demo.study_places.append(school.address)
            made.append(
                StudyPlace(
                    organization=organization,
                    address=school.address,
                    name=f"Здание {school.short_name}",
                    latitude=school.latitude,
                    longitude=school.longitude,
                )
            )
    StudyPlace.objects.bulk_create(made, batch_size=BATCH)
    return len(made)


CHANGED_SUMMARY = " С нового полугодия — дополнительная группа по субботам."


def propose_a_change(organization: Organization, operator: User) -> Program | None:
    """The organization's operator edits a description of a published program, as operators do:
    the moderator finds the changes in the queue while families go on reading the approved text.
    Through the office's own action, and without the random generator (same seed, same region)."""
    program = (
        Program.objects.filter(organization=organization, status=ModerationStatus.PUBLISHED).order_by("pk").first()
    )
    if program is None:
        return None
    program.summary += CHANGED_SUMMARY  # the demo's summaries are well under the field's 600 characters
    return services.save_program(operator, program)
