"""The application form on a program page: for a parent, their children and the open groups."""

import uuid
from typing import Any

from django import template
from django.utils import timezone

from catalog.models import Program
from enrollment import services
from enrollment.models import CampaignKind
from people.models import Child

register = template.Library()


@register.inclusion_tag("family/_apply_form.html", takes_context=True)
def apply_form(context: dict[str, Any], program: Program) -> dict[str, Any]:
    request = context["request"]
    user = request.user
    children = list(Child.objects.filter(guardians__user=user).order_by("birth_date")) if user.is_authenticated else []
    now = timezone.now()
    campaign = services.campaign_of(program, now)
    return {
        "campaign": campaign if campaign and campaign.kind == CampaignKind.PREFERENCES else None,
        "program": program,
        "user": user,
        "is_guardian": context["principal"].is_guardian,
        "children": children,
        "groups": [g for g in program.groups.all() if g.enrollment_open(now)],
        # A new key per rendering: resubmitting this form (double click, reload) is the same application.
        "idempotency_key": uuid.uuid4().hex,
        "next": request.get_full_path(),
    }
