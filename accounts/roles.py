"""What a signed-in person may reach, computed once per request from their role assignments."""

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from accounts.models import Role, RoleAssignment


@dataclass(frozen=True)
class Principal:
    user_id: int | None = None
    is_authenticated: bool = False
    is_admin: bool = False
    is_guardian: bool = False
    operated_organization_ids: frozenset[int] = field(default_factory=frozenset)
    teaching_organization_ids: frozenset[int] = field(default_factory=frozenset)
    municipality_ids: frozenset[int] = field(default_factory=frozenset)
    region_ids: frozenset[int] = field(default_factory=frozenset)
    methodologist_region_ids: frozenset[int] = field(default_factory=frozenset)
    # Regions' municipalities as scope rules read them (territory.permissions.in_territory): once a request.
    region_municipalities: dict[frozenset[int], frozenset[int]] = field(
        default_factory=dict, init=False, compare=False, repr=False
    )

    @property
    def is_staff_of_any_organization(self) -> bool:
        return bool(self.operated_organization_ids or self.teaching_organization_ids)

    @property
    def moderates_anything(self) -> bool:
        return self.is_admin or bool(self.municipality_ids or self.region_ids)

    @property
    def uses_office(self) -> bool:
        return (
            self.is_admin
            or self.is_staff_of_any_organization
            or self.moderates_anything
            or bool(self.methodologist_region_ids)
        )


ANONYMOUS = Principal()


def principal_of(user: Any) -> Principal:
    """The user's scope, cached on the user object for the rest of the request."""
    if user is None or not user.is_authenticated:
        return ANONYMOUS
    cached = getattr(user, "_opora_principal", None)
    if cached is not None:
        return cached
    assignments = RoleAssignment.objects.filter(user=user).values_list(
        "role", "organization_id", "municipality_id", "region_id"
    )
    return remember_principal(user, assignments)


def remember_principal(user: Any, assignments: Iterable[tuple[str, int | None, int | None, int | None]]) -> Principal:
    """The principal of `user` from their role assignments (role, organization, municipality,
    region), cached on the user: for a caller that has read them already."""
    by_role: dict[str, set[int]] = {}
    roles = set()
    for role, organization_id, municipality_id, region_id in assignments:
        roles.add(role)
        scope_id = organization_id or municipality_id or region_id
        if scope_id:
            by_role.setdefault(role, set()).add(scope_id)
    principal = Principal(
        user_id=user.pk,
        is_authenticated=True,
        is_admin=user.is_superuser or Role.ADMINISTRATOR in roles,
        is_guardian=Role.GUARDIAN in roles,
        operated_organization_ids=frozenset(by_role.get(Role.ORGANIZATION_OPERATOR, ())),
        teaching_organization_ids=frozenset(by_role.get(Role.TEACHER, ())),
        municipality_ids=frozenset(by_role.get(Role.MUNICIPAL_OPERATOR, ())),
        region_ids=frozenset(by_role.get(Role.REGIONAL_OPERATOR, ())),
        methodologist_region_ids=frozenset(by_role.get(Role.METHODOLOGIST, ())),
    )
    user._opora_principal = principal
    return principal
