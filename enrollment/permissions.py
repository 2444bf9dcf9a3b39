"""Who may see and decide on applications: the family, the organization, its moderators."""

from django.db.models import Q

from accounts.roles import Principal
from core import scope
from enrollment.models import Application, Campaign, EnrollmentOrder
from people.models import Child


def application_rule(p: Principal, action: scope.Action) -> Q:
    if not p.is_authenticated or p.user_id is None:
        return scope.NOTHING
    own_org = Q(program__organization__in=p.operated_organization_ids)
    if action == "change":
        return own_org if p.operated_organization_ids else scope.NOTHING
    moderated = Q(program__municipality__in=p.municipality_ids) | Q(program__municipality__region__in=p.region_ids)
    if action == "moderate":
        return moderated
    staff = own_org | Q(program__organization__in=p.teaching_organization_ids) | moderated
    if action == "office":
        return staff
    family = Q(applicant_id=p.user_id) | Q(child__in=Child.objects.filter(guardians__user_id=p.user_id))
    return family | staff


scope.register(Application, application_rule)


def campaign_rule(p: Principal, action: scope.Action) -> Q:
    if action == "view":
        return scope.EVERYTHING  # when and how enrollment opens is public
    return Q(municipality__in=p.municipality_ids) | Q(municipality__region__in=p.region_ids)


scope.register(Campaign, campaign_rule)


def order_rule(p: Principal, action: scope.Action) -> Q:
    own = Q(organization__in=p.operated_organization_ids)
    if action == "change":
        return own
    return (
        own
        | Q(organization__municipality__in=p.municipality_ids)
        | Q(organization__municipality__region__in=p.region_ids)
    )


scope.register(EnrollmentOrder, order_rule)
