"""API: who the caller is — the account and its roles with their scopes (an integration finds the codes
of its organizations here, not by searching their names)."""

from typing import Any

from ninja import Field, Router, Schema

from accounts.api_auth import session_auth, token_auth
from accounts.models import Role, RoleAssignment
from core.api import ErrorOut

router = Router(auth=[token_auth, session_auth], tags=["Учётная запись"])


class RoleOut(Schema):
    role: Role = Field(description="Роль")
    role_name: str = Field(description="Роль по-русски")
    organization: str | None = Field(description="Код организации (роли организации)")
    organization_name: str | None = Field(description="Краткое название организации")
    municipality: str | None = Field(description="ОКТМО муниципалитета (оператор МОЦ)")
    region: str | None = Field(description="Код региона (оператор РМЦ, методист): территория r-<код> в мониторинге")
    region_name: str | None = Field(description="Название региона")


class MeOut(Schema):
    email: str = Field(description="Адрес электронной почты — имя для входа")
    full_name: str = Field(description="Фамилия, имя, отчество (если не указаны — адрес почты)")
    roles: list[RoleOut] = Field(description="Роли и то, на что они распространяются")


@router.get("/me", response={200: MeOut, 401: ErrorOut}, summary="Кто я")
def me(request: Any) -> dict[str, Any]:
    """Учётная запись, от имени которой идёт запрос, и её роли с кодами организаций и территорий."""
    user = request.auth
    roles = RoleAssignment.objects.filter(user=user).select_related("organization", "municipality", "region")
    return {
        "email": user.email,
        "full_name": user.display_name,
        "roles": [
            {
                "role": assignment.role,
                "role_name": assignment.get_role_display(),
                "organization": assignment.organization.code if assignment.organization else None,
                "organization_name": assignment.organization.short_name if assignment.organization else None,
                "municipality": assignment.municipality.oktmo if assignment.municipality else None,
                "region": assignment.region.code if assignment.region else None,
                "region_name": assignment.region.name if assignment.region else None,
            }
            for assignment in roles.order_by("role", "pk")
        ],
    }
