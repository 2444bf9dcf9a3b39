"""Actions on people: a parent adds a child (atomic, audited, matched against the registry) and corrects it; an
organization keeps its teachers' cards."""

from collections.abc import Callable
from typing import Any, NamedTuple

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from accounts import services as access
from accounts.models import Role, RoleAssignment
from accounts.roles import principal_of
from core import audit, scope
from core.dates import full_years
from people import registry
from people.models import Child, EntryChannel, Guardian, Teacher

MAX_AGE = 18  # additional education of children: until the 18th birthday


def guardian_of(user: Any) -> Guardian | None:
    """The parent's record of a signed-in account; None for anyone else. An account an administrator gave the
    parent's role has none yet (registration makes it): it is made from the account's names the first time the
    parent needs it — the cabinet, a child added — instead of turning the parent away."""
    if not getattr(user, "is_authenticated", False):
        return None
    guardian = Guardian.objects.filter(user=user).first()
    if guardian is None and principal_of(user).is_guardian:
        with transaction.atomic():
            guardian, created = Guardian.objects.get_or_create(
                user=user,
                defaults={
                    "last_name": user.last_name,
                    "first_name": user.first_name,
                    "patronymic": user.patronymic,
                    "phone": user.phone,
                },
            )
            if created:
                audit.record(user, "guardian.created", guardian)
    return guardian


class ChildAge(NamedTuple):
    first_name: str
    age: int  # full years today


def ages_of_children(user: Any) -> list[ChildAge]:
    """A parent's children (the eldest first) and their ages today: the Navigator offers a search for each
    child's age. Nobody's for a guest or staff."""
    if not user.is_authenticated:
        return []
    today = timezone.localdate()
    return [
        ChildAge(first_name, full_years(birth_date, today))
        for first_name, birth_date in Child.objects.living()
        .filter(guardians__user=user)
        .order_by("birth_date", "pk")
        .values_list("first_name", "birth_date")
    ]


def check_birth_date(child: Child) -> None:
    """A child a parent enters is born, and under 18 today. The form asks too, beside its other
    checks, so that a parent learns every mistake at once."""
    today = timezone.localdate()
    if child.birth_date > today:
        raise ValidationError("Дата рождения не может быть в будущем.")
    if child.age_on(today) >= MAX_AGE:
        raise ValidationError("Дополнительное образование детей — до 18 лет.")


@transaction.atomic
def add_child(
    actor: Any,
    child: Child,
    *,
    snils: str = "",
    birth_certificate: str = "",
    via: EntryChannel = EntryChannel.CABINET,
    another_child: bool = False,
) -> registry.Registration:
    """Enter a child of the signed-in parent, who becomes its legal representative of the new record,
    or finds the family's own record of the child typed again. A child that may be one the family has,
    a detail mistyped, is refused (`registry.TypedAgainError`, naming that child) until the parent confirms
    it is `another_child`; the pair then waits for the municipal operator, as records of the child
    outside the family (an organization's, say) do (people.registry)."""
    guardian = guardian_of(actor)
    if guardian is None:
        raise PermissionDenied("Добавить ребёнка может только родитель (законный представитель).")
    try:
        check_birth_date(child)
    except ValidationError as error:
        raise ValidationError({"birth_date": error.messages}) from None
    registration = registry.register_child(
        actor,
        child,
        snils=snils,
        birth_certificate=birth_certificate,
        guardian=guardian,
        via=via,
        another_child=another_child,
    )
    if not registration.already_guardian:
        registration.child.guardians.add(guardian)
        audit.record(actor, "child.added", registration.child)
    return registration


# A child's details, as a parent enters and corrects them in the cabinet; the identifiers (СНИЛС,
# свидетельство) are not details: given once, when the child is added or later (registry.add_identifiers).
CHILD_DETAILS = (
    "last_name",
    "first_name",
    "patronymic",
    "birth_date",
    "sex",
    "municipality",
    "has_ovz",
    "has_disability",
)


@transaction.atomic
def update_child(actor: Any, child: Child) -> list[str]:
    """A parent corrects the child's details (a typo stayed in every application and contract);
    returns the fields changed. The audit log names them, not their values: personal data."""
    if not scope.can(actor, child, "change"):  # the family's children: people.permissions
        raise PermissionDenied("Данные ребёнка исправляет его законный представитель.")
    try:
        check_birth_date(child)
    except ValidationError as error:
        raise ValidationError({"birth_date": error.messages}) from None
    before = Child.objects.select_for_update().get(pk=child.pk)
    changed = [name for name in CHILD_DETAILS if getattr(before, name) != getattr(child, name)]
    if changed:
        child.full_clean()
        child.save(update_fields=[*changed, "updated_at"])
        audit.record(actor, "child.updated", child, fields=changed)
    return changed


@transaction.atomic
def correct_child(
    actor: Any, child: Child, *, snils: str = "", birth_certificate: str = ""
) -> tuple[list[str], registry.IdentifiersAdded]:
    """The cabinet's and the API's edit of a child: its details (`update_child`) and the identifiers its
    record lacks (`registry.add_identifiers`) in one transaction, so that a refused identifier leaves the
    details unsaved too: the parent, answered once, sends the form again."""
    changed = update_child(actor, child)
    return changed, registry.add_identifiers(actor, child, snils=snils, birth_certificate=birth_certificate)


# --- Teachers of an organization ----------------------------------------------------------------------

TEACHER_FIELDS = ("last_name", "first_name", "patronymic", "position", "qualification", "teaching_since", "about")
TEACHER_BUSY = (
    "Педагог ведёт группы или указан в программах ({where}): удалить его карточку нельзя — сначала назначьте "
    "туда другого педагога."
)


TEACHING_SINCE_WRONG = "Укажите год, с которого педагог преподаёт: от 1950 до нынешнего."


@transaction.atomic
def save_teacher(
    actor: Any, teacher: Teacher, *, invite: str = "", absolute: Callable[[str], str] | None = None
) -> list[str]:
    """Add or change a teacher's card in the organization it names (the caller checked the right to change the
    organization): names and texts with their spaces collapsed, checked field by field; audited with the names of
    the fields changed. With `invite`, an address, the teacher gets an account of the organization's teacher linked
    to the card and a letter (accounts.services.open_organization_access, `absolute` making its links); the card is
    not kept if that is refused. Returns the fields changed (every field of a new card; none: nothing written)."""
    for name in ("last_name", "first_name", "patronymic", "position", "qualification"):
        setattr(teacher, name, " ".join((getattr(teacher, name) or "").split()))
    teacher.about = (teacher.about or "").strip()
    if teacher.teaching_since is not None and not 1950 <= teacher.teaching_since <= timezone.localdate().year:
        raise ValidationError({"teaching_since": TEACHING_SINCE_WRONG})
    teacher.full_clean(exclude=["user"])
    if teacher._state.adding:
        teacher.save()
        audit.record(actor, "teacher.added", teacher, organization=teacher.organization.code)
        changed = list(TEACHER_FIELDS)
    else:
        stored = Teacher.objects.select_for_update().filter(pk=teacher.pk).values(*TEACHER_FIELDS).get()
        changed = [name for name in TEACHER_FIELDS if stored[name] != getattr(teacher, name)]
        if changed:
            teacher.save(update_fields=[*changed, "updated_at"])
            audit.record(actor, "teacher.changed", teacher, organization=teacher.organization.code, fields=changed)
    if invite:
        assert absolute is not None, "an invitation's letter links to the site"
        access.open_organization_access(actor, teacher.organization, Role.TEACHER, invite, absolute, teacher=teacher)
    return changed


def teacher_kept(teacher: Teacher) -> str:
    """Why a teacher's card cannot be removed — the groups it leads or led (their journals say who taught them), the
    programs that name it —, in words; "" when it can."""
    groups = teacher.groups.count()
    programs = teacher.programs.count()
    said = [f"групп: {groups}" if groups else "", f"программ: {programs}" if programs else ""]
    return TEACHER_BUSY.format(where=", ".join(part for part in said if part)) if groups or programs else ""


@transaction.atomic
def remove_teacher(actor: Any, teacher: Teacher) -> None:
    """Remove a card made by mistake or of a teacher who has left and taught nothing here (the caller checked the
    right to change the organization); one who leads or led groups, or whom a program names, stays. Its account,
    if any, loses the organization's teacher role with it."""
    teacher = Teacher.objects.select_for_update().select_related("organization").get(pk=teacher.pk)
    refusal = teacher_kept(teacher)
    if refusal:
        raise ValidationError(refusal)
    if teacher.user_id is not None:
        RoleAssignment.objects.filter(
            user_id=teacher.user_id, role=Role.TEACHER, organization_id=teacher.organization_id
        ).delete()
    audit.record(actor, "teacher.removed", teacher, organization=teacher.organization.code, name=teacher.full_name)
    teacher.delete()
