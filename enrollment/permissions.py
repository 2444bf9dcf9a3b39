"""Who may see and decide on applications: the family, the organization, its moderators."""

from django.db.models import Q

from accounts.roles import Principal
from core import scope
from enrollment.models import AdmissionWatch, Application, Campaign, EnrollmentOrder, SavedProgram, SearchAlert
from people.permissions import children_in_care
from territory.permissions import in_territory


def application_rule(p: Principal, action: scope.Action) -> Q:
    if not p.is_authenticated or p.user_id is None:
        return scope.NOTHING
    # By the program's organization and municipality as copied onto the application: along its indexes.
    own_org = Q(organization__in=p.operated_organization_ids)
    if action == "change":
        return own_org if p.operated_organization_ids else scope.NOTHING
    moderated = in_territory("municipality", p, p.region_ids)
    if action == "moderate":
        return moderated
    # A teacher sees the applications of the groups the teacher leads, not the organization's whole
    # queue with every family's contacts (152-ФЗ: no more personal data than the work needs).
    taught = Q(group__teacher__user_id=p.user_id) if p.teaching_organization_ids else scope.NOTHING
    staff = own_org | taught | moderated
    if action == "office":
        return staff
    # A family sees its children's applications, by the children, not by who filed them: the staff who
    # record an organization's list of enrolled children are their applicants too, and see them only
    # while their role lets them; a guardian no longer linked to a child no longer sees its applications.
    return children_in_care(p, "child") | staff


scope.register(Application, application_rule)


def campaign_rule(p: Principal, action: scope.Action) -> Q:
    if action == "view":
        return scope.EVERYTHING  # when and how enrollment opens is public
    return in_territory("municipality", p, p.region_ids)


scope.register(Campaign, campaign_rule)


def order_rule(p: Principal, action: scope.Action) -> Q:
    own = Q(organization__in=p.operated_organization_ids)
    if action == "change":
        return own
    return own | in_territory("organization__municipality", p, p.region_ids)


scope.register(EnrollmentOrder, order_rule)


def parents_own_rule(p: Principal, action: scope.Action) -> Q:
    # What a parent waits for, keeps in «Избранное» or follows by letter is the parent's own business: no
    # organization or moderator reads it.
    if not p.is_authenticated or p.user_id is None:
        return scope.NOTHING
    return Q(user_id=p.user_id)


scope.register(AdmissionWatch, parents_own_rule)
scope.register(SavedProgram, parents_own_rule)
scope.register(SearchAlert, parents_own_rule)
