"""Demo territory: a fictional region, its municipalities (ОКТМО) and child population by age.

Also home of `DemoRandom`, the seeded generator every demo module draws from: territory is the
bottom layer that the other demo modules already depend on.
"""

import random
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import TypeVar

from core.models import CODE_ALPHABET, CODE_RANDOM_LENGTH
from territory.models import ChildPopulation, Municipality, Region

T = TypeVar("T")

REGION_NAME = "Энская область"
REGION_SHORT = "Энская обл."
REGION_GENITIVE = "Энской области"
REGION_ABBR = "ЭО"
REGION_CODE = "99"
REGION_CENTRE = (56.35, 41.05)  # somewhere in central Russia, far from the sea and from borders
POSTCODE_PREFIX = 399

# Towns that are urban districts (городские округа): name, genitive, adjective, slug for addresses.
CITIES: tuple[tuple[str, str, str, str], ...] = (
    ("Энск", "Энска", "Энский", "ensk"),
    ("Краснореченск", "Краснореченска", "Краснореченский", "krasnorechensk"),
    ("Новоозёрск", "Новоозёрска", "Новоозёрский", "novoozyorsk"),
    ("Северогорск", "Северогорска", "Северогорский", "severogorsk"),
    ("Каменноборск", "Каменноборска", "Каменноборский", "kamennoborsk"),
    ("Светлояр", "Светлояра", "Светлоярский", "svetloyar"),
    ("Ольховск", "Ольховска", "Ольховский", "olkhovsk"),
    ("Верхнедольск", "Верхнедольска", "Верхнедольский", "verkhnedolsk"),
    ("Усть-Сосновск", "Усть-Сосновска", "Усть-Сосновский", "ust-sosnovsk"),
    ("Белоключинск", "Белоключинска", "Белоключинский", "beloklyuchinsk"),
    ("Залесск", "Залесска", "Залесский", "zalessk"),
    ("Старогорск", "Старогорска", "Старогорский", "starogorsk"),
)

# Rural districts and okrugs: adjective, administrative centre with its type, slug.
DISTRICTS: tuple[tuple[str, str, str, str], ...] = (
    ("Берёзовский", "пгт", "Берёзовка", "berezovka"),
    ("Сосновский", "с.", "Сосновка", "sosnovka"),
    ("Зареченский", "пгт", "Заречье", "zarechye"),
    ("Покровский", "с.", "Покровское", "pokrovskoe"),
    ("Никольский", "г.", "Никольск", "nikolsk"),
    ("Ильинский", "пгт", "Ильинский", "ilinsky"),
    ("Дубровский", "пгт", "Дубровка", "dubrovka"),
    ("Каменский", "г.", "Каменка", "kamenka"),
    ("Лесновский", "пос.", "Лесной", "lesnoy"),
    ("Кленовский", "с.", "Кленово", "klenovo"),
    ("Ольгинский", "с.", "Ольгино", "olgino"),
    ("Знаменский", "с.", "Знаменка", "znamenka"),
    ("Троицкий", "с.", "Троицкое", "troitskoe"),
    ("Воскресенский", "с.", "Воскресенское", "voskresenskoe"),
    ("Рождественский", "с.", "Рождествено", "rozhdestveno"),
    ("Петровский", "г.", "Петровск", "petrovsk"),
    ("Александровский", "г.", "Александровск", "aleksandrovsk"),
    ("Михайловский", "с.", "Михайловка", "mikhaylovka"),
    ("Успенский", "с.", "Успенское", "uspenskoe"),
    ("Богородский", "г.", "Богородск", "bogorodsk"),
    ("Луговской", "пос.", "Луговой", "lugovoy"),
    ("Полевской", "пгт", "Полевой", "polevoy"),
    ("Яблоневский", "с.", "Яблоневка", "yablonevka"),
    ("Ясеневский", "с.", "Ясенево", "yasenevo"),
    ("Липовский", "с.", "Липовка", "lipovka"),
    ("Рябиновский", "пгт", "Рябиновка", "ryabinovka"),
    ("Калиновский", "с.", "Калиновка", "kalinovka"),
    ("Вишнёвский", "пгт", "Вишнёвый", "vishnyovy"),
    ("Белоярский", "пгт", "Белый Яр", "bely-yar"),
    ("Краснослободский", "г.", "Краснослободск", "krasnoslobodsk"),
    ("Новосельский", "с.", "Новоселье", "novoselye"),
    ("Пристанский", "пгт", "Пристань", "pristan"),
    ("Боровской", "с.", "Боровое", "borovoe"),
    ("Ключевской", "с.", "Ключи", "klyuchi"),
    ("Мостовской", "пгт", "Мостовой", "mostovoy"),
    ("Родниковский", "г.", "Родники", "rodniki"),
    ("Озерковский", "с.", "Озерки", "ozerki"),
    ("Малиновский", "с.", "Малиновка", "malinovka"),
    ("Васильевский", "с.", "Васильевка", "vasilyevka"),
    ("Гремячинский", "пгт", "Гремячий", "gremyachy"),
)
MAX_MUNICIPALITIES = len(CITIES) + len(DISTRICTS)

# Villages for rural schools and kindergartens: name, type, feminine adjective («Покровская СОШ»).
VILLAGES: tuple[tuple[str, str, str], ...] = (
    ("Покровское", "с.", "Покровская"),
    ("Никольское", "с.", "Никольская"),
    ("Ивановка", "с.", "Ивановская"),
    ("Петровское", "с.", "Петровская"),
    ("Михайловка", "с.", "Михайловская"),
    ("Александровка", "с.", "Александровская"),
    ("Дубровка", "д.", "Дубровская"),
    ("Знаменка", "с.", "Знаменская"),
    ("Воскресенское", "с.", "Воскресенская"),
    ("Троицкое", "с.", "Троицкая"),
    ("Ильинское", "с.", "Ильинская"),
    ("Спасское", "с.", "Спасская"),
    ("Успенское", "с.", "Успенская"),
    ("Богородское", "с.", "Богородская"),
    ("Васильевка", "с.", "Васильевская"),
    ("Николаевка", "с.", "Николаевская"),
    ("Владимировка", "с.", "Владимировская"),
    ("Большое Село", "с.", "Большесельская"),
    ("Малиновка", "д.", "Малиновская"),
    ("Луговое", "с.", "Луговская"),
    ("Полянка", "д.", "Полянская"),
    ("Горки", "д.", "Горковская"),
    ("Высокое", "с.", "Высоковская"),
    ("Кузьминское", "с.", "Кузьминская"),
    ("Архангельское", "с.", "Архангельская"),
    ("Введенское", "с.", "Введенская"),
    ("Лесное", "пос.", "Лесновская"),
    ("Новосёлки", "с.", "Новосёлковская"),
    ("Раменье", "д.", "Раменская"),
    ("Липки", "пос.", "Липковская"),
    ("Октябрьский", "пос.", "Октябрьская"),
    ("Первомайский", "пос.", "Первомайская"),
    ("Степановка", "д.", "Степановская"),
    ("Красный Бор", "пос.", "Красноборская"),
    ("Сосновый Бор", "пос.", "Сосновоборская"),
    ("Глебово", "с.", "Глебовская"),
    ("Федосеевка", "д.", "Федосеевская"),
    ("Крутой Яр", "с.", "Крутоярская"),
)

# Street names come from Faker's ru_RU data; «улица» agrees with their feminine forms.
_FAKER_STREETS: tuple[str, ...] = ()


def _streets() -> tuple[str, ...]:
    global _FAKER_STREETS
    if not _FAKER_STREETS:
        from faker.providers.address.ru_RU import Provider

        _FAKER_STREETS = tuple(Provider.street_titles)
    return _FAKER_STREETS


class DemoRandom(random.Random):
    """A seeded generator with the few helpers the demo needs: UUIDs, short codes, weights."""

    def __init__(self, seed: int) -> None:
        super().__init__(seed)
        self.initial_seed = seed  # for generators of their own, drawn from apart (see catalog.demo)
        self._codes: set[str] = set()

    def uuid4(self) -> uuid.UUID:
        return uuid.UUID(int=self.getrandbits(128), version=4)

    def code(self, prefix: str) -> str:
        """A PublicEntity code (PREFIX-XXXXXX) unique within this run."""
        while True:
            value = prefix + "-" + "".join(self.choices(CODE_ALPHABET, k=CODE_RANDOM_LENGTH))
            if value not in self._codes:
                self._codes.add(value)
                return value

    def chance(self, probability: float) -> bool:
        return self.random() < probability

    def weighted(self, options: Sequence[tuple[T, float]]) -> T:
        return self.choices([o for o, _ in options], weights=[w for _, w in options])[0]


@dataclass
class Village:
    name: str
    kind: str  # с., д., пос.
    adjective: str  # feminine: «Покровская»
    lat: float
    lon: float


@dataclass
class Place:
    """A municipality with what the other generators need to place things in it."""

    municipality: Municipality
    index: int
    is_city: bool
    locality: str  # «г. Энск», «пгт Берёзовка»
    locality_name: str  # «Энск», «Берёзовка»
    adjective: str  # masculine: «Энский», «Берёзовский» — for colleges and district schools
    genitive: str  # «города Энска», «Берёзовского муниципального района»
    address_prefix: str  # «Энская обл., Берёзовский р-н, пгт Берёзовка»
    slug: str
    lat: float
    lon: float
    population: int  # residents, all ages
    phone_code: str
    villages: list[Village] = field(default_factory=list)

    @property
    def spread(self) -> float:
        """How far from the centre organizations spread, in degrees of latitude."""
        return 0.07 if self.index == 0 else 0.025 if self.is_city else 0.012

    def postcode(self, rng: DemoRandom) -> str:
        return f"{POSTCODE_PREFIX}{self.index * 2 + rng.randint(0, 1):02d}{rng.randint(0, 9)}"

    def street_address(self, rng: DemoRandom) -> str:
        return f"{street(rng)}, д. {house_number(rng)}"

    def address(self, rng: DemoRandom, village: Village | None = None) -> str:
        if village is None:
            return f"{self.postcode(rng)}, {self.address_prefix}, {self.street_address(rng)}"
        district = self.address_prefix.split(", ")[1]
        street_part = f"ул. {rng.choice(('Школьная', 'Центральная', 'Садовая', 'Молодёжная', 'Советская'))}"
        locality = f"{village.kind} {village.name}"
        return f"{self.postcode(rng)}, {REGION_SHORT}, {district}, {locality}, {street_part}, д. {rng.randint(1, 40)}"

    def point(self, rng: DemoRandom, village: Village | None = None) -> tuple[float, float]:
        lat, lon, spread = (village.lat, village.lon, 0.006) if village else (self.lat, self.lon, self.spread)
        return round(lat + rng.uniform(-spread, spread), 6), round(lon + rng.uniform(-spread, spread) * 1.8, 6)


def street(rng: DemoRandom) -> str:
    title = rng.choice(_streets())
    roll = rng.random()
    if not title.endswith("ая") and roll < 0.15:
        return f"пр-т {title}" if roll < 0.08 else f"пер. {title}"
    return f"ул. {title}"


def house_number(rng: DemoRandom) -> str:
    number = str(rng.randint(1, 120) if rng.random() < 0.8 else rng.randint(1, 15))
    roll = rng.random()
    if roll < 0.1:
        return f"{number}, корп. {rng.randint(1, 3)}"
    if roll < 0.15:
        return number + rng.choice("аб")
    return number


def _genitive_adjective(adjective: str) -> str:
    return adjective[:-2] + "ого"


@dataclass
class Territory:
    region: Region
    places: list[Place]

    @property
    def capital(self) -> Place:
        return self.places[0]


def _population_profile(birth_year: int) -> float:
    """Relative size of a birth cohort: births grew until the mid-2010s and have fallen since."""
    if birth_year <= 2007:
        return 0.78
    if birth_year <= 2015:
        return 0.78 + (birth_year - 2007) * 0.03
    return max(0.62, 1.02 - (birth_year - 2015) * 0.045)


def create_territory(rng: DemoRandom, count: int, today: date) -> Territory:
    """The region, `count` municipalities (the first is the regional capital) and their children."""
    region = Region.objects.create(uuid=rng.uuid4(), code=REGION_CODE, name=REGION_NAME)
    city_count = max(1, min(len(CITIES), round(count * 0.22)))
    district_count = count - city_count
    if district_count > len(DISTRICTS):
        city_count, district_count = count - len(DISTRICTS), len(DISTRICTS)
    districts = rng.sample(DISTRICTS, district_count)
    places: list[Place] = []
    municipalities: list[Municipality] = []
    kind_numbers = {"7": 1, "6": 1, "5": 1}  # ОКТМО second level: 7xx urban, 6xx district, 5xx okrug
    for index in range(count):
        if index < city_count:
            name, genitive, adjective, slug = CITIES[index]
            population = 150_000 if index == 0 else rng.randint(25_000, 70_000)
            kind, digit = Municipality.Kind.URBAN_DISTRICT, "7"
            muni_name = f"город {name}"
            locality, locality_name, muni_genitive = f"г. {name}", name, f"города {genitive}"
            address_prefix = f"{REGION_SHORT}, г. {name}"
        else:
            adjective, centre_kind, centre, slug = districts[index - city_count]
            population = rng.randint(7_000, 25_000)
            is_okrug = rng.random() < 0.4
            kind = Municipality.Kind.MUNICIPAL_OKRUG if is_okrug else Municipality.Kind.MUNICIPAL_DISTRICT
            digit = "5" if is_okrug else "6"
            suffix = "муниципальный округ" if is_okrug else "муниципальный район"
            muni_name = f"{adjective} {suffix}"
            genitive_suffix = "муниципального округа" if is_okrug else "муниципального района"
            muni_genitive = f"{_genitive_adjective(adjective)} {genitive_suffix}"
            locality, locality_name = f"{centre_kind} {centre}", centre
            area = f"{adjective} м. о." if is_okrug else f"{adjective} р-н"
            address_prefix = f"{REGION_SHORT}, {area}, {centre_kind} {centre}"
        oktmo = f"{REGION_CODE}{digit}{kind_numbers[digit]:02d}000"
        kind_numbers[digit] += rng.choice((2, 3, 4)) if kind_numbers[digit] < 70 else 1
        municipality = Municipality(uuid=rng.uuid4(), region=region, oktmo=oktmo, name=muni_name, kind=kind)
        municipalities.append(municipality)
        if index == 0:
            lat, lon = REGION_CENTRE
        else:
            lat = REGION_CENTRE[0] + rng.uniform(-1.6, 1.6)
            lon = REGION_CENTRE[1] + rng.uniform(-2.8, 2.8)
        phone_code = "4912" if index == 0 else f"491{30 + index:02d}"
        place = Place(
            municipality=municipality,
            index=index,
            is_city=index < city_count,
            locality=locality,
            locality_name=locality_name,
            adjective=adjective,
            genitive=muni_genitive,
            address_prefix=address_prefix,
            slug=slug,
            lat=lat,
            lon=lon,
            population=population,
            phone_code=phone_code,
        )
        if not place.is_city:
            place.villages = [
                Village(name, kind_, adj, lat + rng.uniform(-0.25, 0.25), lon + rng.uniform(-0.4, 0.4))
                for name, kind_, adj in rng.sample(VILLAGES, rng.randint(5, 10))
            ]
        places.append(place)
    Municipality.objects.bulk_create(municipalities, batch_size=500)
    ChildPopulation.objects.bulk_create(_population(rng, places, today), batch_size=2000)
    return Territory(region=region, places=places)


# The demo region has kept its registry in Opora for the last three years (monitoring's trend).
POPULATION_YEARS_BACK = 3


def _population(rng: DemoRandom, places: list[Place], today: date) -> list[ChildPopulation]:
    """Children by single year of age as of 1 January, cohorts followed from year to year."""
    rows = []
    for place in places:
        per_year_of_age = place.population * 0.0118
        drift = {birth: rng.uniform(0.97, 1.03) for birth in range(today.year - 22, today.year + 2)}
        for year in range(today.year - POPULATION_YEARS_BACK, today.year + 2):
            for age in range(18):
                birth_year = year - age - 1
                # Older teenagers leave rural districts for colleges in town.
                outflow = 0.9 if not place.is_city and age >= 15 else 1.0
                count = per_year_of_age * _population_profile(birth_year) * drift[birth_year] * outflow
                rows.append(ChildPopulation(municipality=place.municipality, year=year, age=age, count=round(count)))
    return rows


def delete_territory() -> None:
    ChildPopulation.objects.all().delete()
    Municipality.objects.all().delete()
    Region.objects.all().delete()
