"""The one place where scope is enforced (like NetBox's RestrictedQuerySet.restrict).

Each domain app registers, per model, a function that turns a principal and an action into a
filter. Views and API endpoints never filter by role themselves: they call `restrict` or
`get_in_scope`. Outside your scope an object does not exist (404); visible but not yours to
change is 403.
"""

from collections.abc import Callable
from typing import Any, Literal, TypeVar

from django.core.exceptions import ObjectDoesNotExist, PermissionDenied, ValidationError
from django.db.models import Model, Q, QuerySet
from django.http import Http404

from accounts.roles import Principal, principal_of

# "office": what a person works with in the back office (theirs, taught in, or moderated).
Action = Literal["view", "change", "moderate", "office"]
ScopeRule = Callable[[Principal, Action], Q]
M = TypeVar("M", bound=Model)

_rules: dict[type[Model], ScopeRule] = {}
NOTHING = Q(pk__in=[])
EVERYTHING = Q()


def register(model: type[Model], rule: ScopeRule) -> None:
    _rules[model] = rule


def scope_filter(model: type[Model], user: Any, action: Action) -> Q:
    principal = principal_of(user)
    if principal.is_admin:
        return EVERYTHING
    try:
        rule = _rules[model]
    except KeyError:
        raise LookupError(f"No scope rule registered for {model.__name__}") from None
    return rule(principal, action)


def restrict(queryset: QuerySet[M], user: Any, action: Action = "view") -> QuerySet[M]:
    return queryset.filter(scope_filter(queryset.model, user, action))


def can(user: Any, obj: Model, action: Action) -> bool:
    model = type(obj)
    allowed = scope_filter(model, user, action)
    if allowed == NOTHING:  # no query to build: a family asking whether it may decide for an organization
        return False
    return model._default_manager.filter(allowed, pk=obj.pk).exists()


def get_in_scope(queryset: QuerySet[M], user: Any, action: Action = "view", **lookup: Any) -> M:
    """The object if the user may act on it; 404 if they may not even see it; 403 otherwise."""
    try:
        obj = restrict(queryset, user, "view").get(**lookup)
    except ObjectDoesNotExist:
        raise Http404 from None
    if action != "view" and not can(user, obj, action):
        raise PermissionDenied
    return obj


def get_named(queryset: QuerySet[M], user: Any, field: str, message: str, action: Action = "view", **lookup: Any) -> M:
    """The object a request's body names in `field`, as `get_in_scope` finds it, but one the user
    cannot see is that field's error (422 with `message`), unknown or outside scope alike: the data
    is wrong, not the address (404 stays for an object named by the URL)."""
    try:
        return get_in_scope(queryset, user, action, **lookup)
    except Http404:
        raise ValidationError({field: message}) from None


def single(queryset: QuerySet[M]) -> tuple[M | None, bool]:
    """(the only object, False) when the queryset holds one; (None, True) when it holds several;
    (None, False) when none. Two rows read at most: "is there one organization of mine to act for,
    or a choice to make?"."""
    first_two = list(queryset[:2])
    return (first_two[0], False) if len(first_two) == 1 else (None, len(first_two) > 1)
