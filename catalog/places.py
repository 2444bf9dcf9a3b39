"""Where groups meet on the map. An address of an organization is placed by its coordinates when it is the
organization's own address (or a program says none), or one of its study places (`StudyPlace`); any other
address has no known place — never a guessed one (there is no geocoder here)."""

import re
from collections.abc import Iterable
from typing import Any, NamedTuple

from django.db.models import Case, FloatField, OuterRef, Q, QuerySet, Subquery, When
from django.db.models.functions import Cast

from catalog.models import Located, Organization, StudyPlace
from territory.models import Municipality


def normalized(address: str) -> str:
    """The address as kept: spaces collapsed, none at the ends (a place is found by its address written alike)."""
    return " ".join(address.split())


# Words that say what kind of street, settlement or region follows: «ул. Ленина» and «улица Ленина» are one street.
# The one-letter ones (г., с., п., х., д.) but after a number, so that a house's letter (5г, 5д) stays.
# A street's kind, when both addresses say it, must agree: «ул. Ленина, 5» and «пл. Ленина, 5» are two buildings.
# «пр.» is a prospect as often as a passage: it agrees with either.
STREET_KINDS = {
    **dict.fromkeys(["ул", "улица"], "улица"),
    **dict.fromkeys(["просп", "проспект"], "проспект"),
    **dict.fromkeys(["пер", "переулок"], "переулок"),
    **dict.fromkeys(["пл", "площадь"], "площадь"),
    **dict.fromkeys(["бул", "бульвар"], "бульвар"),
    **dict.fromkeys(["ш", "шоссе"], "шоссе"),
    **dict.fromkeys(["наб", "набережная"], "набережная"),
    **dict.fromkeys(["туп", "тупик"], "тупик"),
    **{kind: kind for kind in ("проезд", "аллея", "линия", "тракт")},
}
SETTLEMENTS = "мкр мкрн микрорайон кв квартал г гор город пгт рп пос поселок с село ст станица х хутор д дер деревня"
TERRITORIES = (
    "обл область край респ республика район округ мо муниципальный городской городского сельское сельского "
    "поселение поселения"
)
KIND_WORDS = frozenset([*STREET_KINDS, "пр", *f"{SETTLEMENTS} сл слобода {TERRITORIES} дом".split()])
LETTERS = frozenset(["г", "с", "п", "х", "д"])
SAME_WORD = {"корпус": "к", "корп": "к", "строение": "стр", "литера": "лит", "литер": "лит"}
# «р-н», «пр-т», «б-р»: abbreviations with a hyphen, read whole before the words are split.
HYPHENATED_KINDS = {"пр-т": "проспект", "пр-кт": "проспект", "б-р": "бульвар", "пр-д": "проезд"}
HYPHENATED = re.compile(r"\b(?:р-н|пр-к?т|б-р|пр-д|кв-л|мкр-н|г\.?о\.)(?=\W|$)")
POSTAL_CODE = re.compile(r"\d{6}")


class AddressKey(NamedTuple):
    """What tells one building from another in an address (see address_key, same_building)."""

    words: tuple[str, ...]
    streets: frozenset[str]  # the kinds of street it names («улица», «площадь»), however abbreviated


def address_key(address: str, names: frozenset[str] = frozenset()) -> AddressKey:
    """What tells one building from another in an address, however it is written: its words and numbers in order,
    lower case, «ё» read as «е», without punctuation, the postal code, the kinds of streets and settlements
    («ул.», «улица», «г.», «д.» before the house's number), and the `names` (of the organization's region and
    municipality, which one writer gives and another leaves out); and apart, the kinds of street it names."""
    text = HYPHENATED.sub(lambda found: f" {HYPHENATED_KINDS.get(found[0], '')} ", address.lower().replace("ё", "е"))
    words = [SAME_WORD.get(word, word) for word in re.findall(r"\d+|[^\W\d_]+", text)]
    return AddressKey(
        tuple(
            word
            for position, word in enumerate(words)
            if not POSTAL_CODE.fullmatch(word)
            and word not in names
            and (word not in KIND_WORDS or (word in LETTERS and position > 0 and words[position - 1].isdigit()))
        ),
        frozenset(STREET_KINDS[word] for word in words if word in STREET_KINDS),
    )


def same_building(one: AddressKey, other: AddressKey) -> bool:
    """Whether two addresses' keys are one building: the same words, and the same kind of street where both say
    one. «г. Арзамас, ул. Ленина, д. 5, корп. 2» and «Арзамас, Ленина 5к2» are; «Ленина, 5» and «Ленина, 5а» are
    not, nor «ул. Ленина, 5» and «пл. Ленина, 5». An address of nothing but kinds and names («г. Энск») is no
    building's: only the same text is the same place there."""
    return (
        bool(one.words)
        and one.words == other.words
        and (not one.streets or not other.streets or one.streets == other.streets)
    )


def as_known(organization: Organization, address: str) -> str:
    """The address as the organization's records write it, character for character, when it is one they know —
    its own, one of its study places' or units' — written otherwise (so that the group or program is on the map
    there, which the search finds by equal addresses, and its rooms are those of that building); else as given,
    spaces collapsed."""
    address = normalized(address)
    if not address or address == normalized(organization.address):
        return organization.address if address else address
    known = [
        organization.address,
        *organization.study_places.values_list("address", flat=True),
        *organization.units.exclude(address="").values_list("address", flat=True),
    ]
    if same := next((other for other in known if normalized(other) == address), None):
        return same
    names = territory_names(organization)
    key = address_key(address, names)
    return next((other for other in known if same_building(key, address_key(other, names))), address)


def territory_names(organization: Organization) -> frozenset[str]:
    """The words of the names of the organization's municipality and region (see address_key)."""
    names = Municipality.objects.filter(pk=organization.municipality_id).values_list("name", "region__name").get()
    return frozenset(address_key(" ".join(names)).words)


def places_at(organization: Organization, addresses: Iterable[str]) -> dict[str, Located]:
    """Each of these addresses that is the organization's own (or none) or one of its study places → that place,
    its coordinates known or not."""
    wanted = set(addresses)
    found: dict[str, Located] = dict.fromkeys(wanted & {"", organization.address}, organization)
    if others := wanted - found.keys():
        found.update({place.address: place for place in organization.study_places.filter(address__in=others)})
    return found


class Whereabouts(NamedTuple):
    address: str
    name: str  # of the study place at the address; empty for the organization's own or an unknown one
    map_url: str  # empty where the place is not known


def whereabouts(organization: Organization, addresses: Iterable[str]) -> list[Whereabouts]:
    """These addresses of the organization (once each, in their order), named and linked to the map where known."""
    ordered = list(dict.fromkeys(addresses))
    found = places_at(organization, ordered)
    return [
        Whereabouts(
            address,
            place.name if isinstance(place := found.get(address), StudyPlace) else "",
            place.map_url if place is not None else "",
        )
        for address in ordered
    ]


def with_place(queryset: QuerySet[Any], address: str, organization: str) -> QuerySet[Any]:
    """The rows annotated with the place of their field `address`, an address of the organization the path
    `organization` leads to: `place_latitude`, `place_longitude` as floats, NULL where it is not known. Read by
    subqueries of the organization and its study places, evaluated for the rows returned: a join to the
    organizations would be paid by every row a list sorts (the API's groups: +20–40 ms at regional size)."""
    own = Organization.objects.filter(pk=OuterRef(f"{organization}_id")).order_by()
    study_place = StudyPlace.objects.filter(
        organization_id=OuterRef(f"{organization}_id"), address=OuterRef(address)
    ).order_by()
    at_organization = Q(**{address: ""}) | Q(**{address: Subquery(own.values("address")[:1])})

    def coordinate(name: str) -> Case:
        return Case(
            When(at_organization, then=Cast(Subquery(own.values(name)[:1]), FloatField())),
            default=Cast(Subquery(study_place.values(name)[:1]), FloatField()),
        )

    return queryset.annotate(place_latitude=coordinate("latitude"), place_longitude=coordinate("longitude"))
