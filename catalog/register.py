"""The register of organizations a territory keeps: a municipal (or regional) operator adds an organization of its
territory — names, type, legal details, licence, address and place, its units — and corrects it; its operators keep
what families read of it (services.save_organization_profile). The admin's form saves through `reindex` too."""

from collections.abc import Callable, Sequence
from typing import Any, NamedTuple

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.urls import reverse

from accounts import services as access
from accounts.models import Role
from accounts.services import NewPerson
from catalog import archiving, search, services
from catalog.models import Organization, OrganizationUnit, Program
from catalog.services import HistoryEntry, history
from core import audit, letters
from core.fields import verbose_names
from territory.permissions import governed_municipalities

# What the register keeps of an organization: the territory's to set and change.
REGISTER_FIELDS = (
    "full_name",
    "short_name",
    "kind",
    "department",
    "inn",
    "kpp",
    "ogrn",
    "licence_number",
    "licence_date",
    "municipality",
    "address",
    "latitude",
    "longitude",
    "phone",
    "email",
    "website",
    "accessible_for_ovz",
    "is_active",
)
# What the search index reads of an organization: where its programs are held (its address and coordinates, for
# «Рядом со мной») and whether it is active; and what the list of organizations filters by, read with the index
# (catalog.directory). Its short name and units are in its programs' search documents besides.
INDEXED_FIELDS = frozenset(
    {"address", "latitude", "longitude", "is_active", "full_name", "kind", "accessible_for_ovz", "municipality"}
)
DOCUMENT_FIELDS = frozenset({"short_name"})

OUTSIDE_TERRITORY = "Организацию вносит в реестр опорный центр её муниципалитета или региона."
MUNICIPALITY_FIXED = (
    "У организации уже есть программы: её муниципалитет меняет администратор навигатора вместе с муниципалитетом "
    "программ."
)
UNIT_IN_USE = "Подразделение «{name}» указано в программах ({count}): его нельзя убрать, пока они его называют."
UNIT_TWICE = "Подразделение «{name}» указано дважды."
REGISTERED_ALREADY = "Эта организация уже есть в реестре: «{name}», код {code}."
COORDINATES_TOGETHER = "Укажите широту и долготу вместе или не указывайте ни одну."
CLOSING_WITH_CHILDREN = (
    "Организацию нельзя закрыть, пока в ней {whom}. Пусть организация отчислит или переведёт детей и ответит на "
    "заявки — тогда закройте её."
)


class Unit(NamedTuple):
    """A unit as the register's form gives it; `pk` of one it had, None for a new one."""

    kind: str
    name: str
    address: str = ""
    pk: int | None = None


@transaction.atomic
def save_organization(actor: Any, organization: Organization, units: Sequence[Unit] | None = None) -> list[str]:
    """Add an organization to the register or change what the register keeps of it (REGISTER_FIELDS) and, given
    `units`, its units (those left out are removed, unless a program names one). Its municipality must be one the
    actor keeps, before and after; a municipality with programs stays. Texts are kept with their spaces collapsed,
    checked with the model's rules (ИНН and ОГРН by their checksums, each organization once), audited with the
    names of the fields changed; the search learns of it. Returns the fields changed («units» among them)."""
    creating = organization._state.adding
    governed = governed_municipalities(actor)
    stored = None if creating else Organization.objects.select_for_update().get(pk=organization.pk)
    named = {pk for pk in (organization.municipality_id, stored.municipality_id if stored else None) if pk is not None}
    if governed.filter(pk__in=named).count() != len(named):
        raise PermissionDenied(OUTSIDE_TERRITORY)
    for name in ("full_name", "short_name", "licence_number", "address", "phone", "email", "website", "inn", "kpp"):
        setattr(organization, name, " ".join((getattr(organization, name) or "").split()))
    if (organization.latitude is None) != (organization.longitude is None):
        raise ValidationError({"latitude" if organization.latitude is None else "longitude": COORDINATES_TOGETHER})
    _check_registered_once(organization)
    organization.full_clean(exclude=["code", "uuid", "description", "accessibility_notes"])
    if stored is None:
        changed = list(REGISTER_FIELDS)
    else:
        changed = [name for name in REGISTER_FIELDS if getattr(stored, name) != getattr(organization, name)]
        if "municipality" in changed and Program.objects.filter(organization=organization).exists():
            raise ValidationError({"municipality": MUNICIPALITY_FIXED})
    closing = stored is not None and stored.is_active and not organization.is_active
    if closing:
        _check_nobody_in(organization)
    if creating:
        organization.save()
    elif changed:  # the register's fields only: the organization may be changing its own card meanwhile
        organization.save(update_fields=[*changed, "updated_at"])
    units_changed = units is not None and _save_units(organization, units)
    if units_changed:
        changed.append("units")
    if not changed:
        return []
    if creating:
        audit.record(actor, "organization.registered", organization, fields=changed)
    else:
        audit.record(actor, "organization.changed", organization, fields=changed)
        if closing:
            _close(actor, organization)
        reindex(organization, changed)
    return changed


def _check_nobody_in(organization: Organization) -> None:
    """A closed organization teaches nobody: its children are expelled or moved and its applications answered
    first, by the organization itself — the register would otherwise leave them in groups nobody keeps."""
    children = archiving.of_organization(organization)
    whom = [
        *([f"учатся дети ({children.enrolled})"] if children.enrolled else []),
        *([f"ждут ответа заявки ({children.waiting})"] if children.waiting else []),
    ]
    if whom:
        raise ValidationError({"is_active": CLOSING_WITH_CHILDREN.format(whom=" и ".join(whom))})


def _close(actor: Any, organization: Organization) -> None:
    """What closing an organization means: its programs go to the archive, leaving the Navigator; its operators
    keep their office, where its programs, groups and applications stay readable, and are told once."""
    moved = services.archive_programs_of(actor, organization)
    letters.send_after_commit(
        services.role_emails(Role.ORGANIZATION_OPERATOR, organization_id=organization.pk),
        f"Организация «{organization.short_name}» закрыта в реестре",
        f"Опорный центр отметил в реестре организаций, что «{organization.short_name}» закрыта. Её программы "
        f"перенесены в архив и больше не видны в навигаторе: {moved}. Кабинет остаётся открытым: программы, группы "
        "и заявки в нём можно читать. Если организация работает, сообщите об этом в опорный центр.",
        reverse("office:home"),
    )


def _check_registered_once(organization: Organization) -> None:
    """An organization is in the register once: by its ОГРН, and by its ИНН with its КПП (a branch has its own КПП).
    Said naming the one found, before the database's constraints would."""
    others = Organization.objects.exclude(pk=organization.pk)
    twin = others.filter(ogrn=organization.ogrn).first()
    if twin is not None:
        raise ValidationError({"ogrn": REGISTERED_ALREADY.format(name=twin.short_name, code=twin.code)})
    twin = others.filter(inn=organization.inn, kpp=organization.kpp).first()
    if twin is not None:
        raise ValidationError({"inn": REGISTERED_ALREADY.format(name=twin.short_name, code=twin.code)})


def _save_units(organization: Organization, units: Sequence[Unit]) -> bool:
    """The organization's units as given — one given without its `pk` is the one of the same kind and name, if
    any, so that the programs naming it keep it —; whether any changed."""
    kept = {unit.pk: unit for unit in OrganizationUnit.objects.filter(organization=organization)}
    by_name = {(unit.kind, unit.name.lower()): pk for pk, unit in kept.items()}
    given = []
    for unit in units:
        name = " ".join(unit.name.split())
        pk = unit.pk if unit.pk in kept else by_name.get((unit.kind, name.lower()))
        given.append(Unit(unit.kind, name, " ".join(unit.address.split()), pk))
    names = [(unit.kind, unit.name.lower()) for unit in given]
    for unit, key in zip(given, names, strict=True):
        if names.count(key) > 1:
            raise ValidationError({"units": UNIT_TWICE.format(name=unit.name)})
    gone = set(kept) - {unit.pk for unit in given}
    for pk in gone:
        count = Program.objects.filter(unit_id=pk).count()
        if count:
            raise ValidationError({"units": UNIT_IN_USE.format(name=kept[pk].name, count=count)})
    OrganizationUnit.objects.filter(pk__in=gone).delete()
    changed = bool(gone)
    for unit in given:
        row = kept[unit.pk] if unit.pk is not None else OrganizationUnit(organization=organization)
        if unit.pk is not None and (row.kind, row.name, row.address) == (unit.kind, unit.name, unit.address):
            continue
        row.kind, row.name, row.address = unit.kind, unit.name, unit.address
        try:
            row.full_clean(exclude=["organization"])
        except ValidationError as error:
            raise ValidationError({"units": [f"«{unit.name}»: {message}" for message in error.messages]}) from None
        row.save()
        changed = True
    return changed


def reindex(organization: Organization, changed: Sequence[str]) -> None:
    """The search after an organization's change: its programs' documents when they say what changed (its short
    name, its units), the index when it reads a field changed."""
    if DOCUMENT_FIELDS.intersection(changed) or "units" in changed:
        search.refresh_organization_documents(organization.pk)
    elif INDEXED_FIELDS.intersection(changed):
        search.bump_catalog_version()


@transaction.atomic
def add_organization(
    actor: Any,
    organization: Organization,
    units: Sequence[Unit] = (),
    *,
    operator: str = "",
    person: NewPerson | None = None,
    absolute: Callable[[str], str] | None = None,
    operator_errors_at: str = "operator_",
) -> Organization:
    """A new organization in the register (`save_organization`) and, given `operator`'s address, its first operator
    invited (accounts.services.open_organization_access, `absolute` making the letter's links); neither is kept if
    either is refused — the invitation's errors said at its fields named after `operator_errors_at` (the form's
    «operator_email», the API's «operator.email»)."""
    save_organization(actor, organization, units)
    if operator:
        assert absolute is not None, "an invitation's letter links to the site"
        try:
            access.open_organization_access(
                actor, organization, Role.ORGANIZATION_OPERATOR, operator, absolute, person=person
            )
        except ValidationError as error:
            raise ValidationError(
                {f"{operator_errors_at}{field}": errors for field, errors in error.message_dict.items()}
            ) from None
    return organization


# What an organization's register page shows of its history; the units, changed with it, named as one field.
UNIT_LABEL = {"units": "подразделения"}
HISTORY_ACTIONS = (
    "organization.registered",
    "organization.changed",
    "organization.profile_changed",
    "organization.access_opened",
    "organization.access_closed",
    "organization.invitation_resent",
    "admin.added",
    "admin.changed",
)


def organization_history(organization: Organization) -> list[HistoryEntry]:
    """Who registered the organization, changed it and opened or closed access to it, the latest first."""
    return history(organization, HISTORY_ACTIONS, lambda names: verbose_names(Organization, names, UNIT_LABEL))
