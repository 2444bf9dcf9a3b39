"""The organization's side of enrollment in the back office: the queue of applications, filtered,
with decisions on one or many at once. Every decision goes through enrollment.services."""

from datetime import date
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Exists, OuterRef, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.html import format_html
from django.views.decorators.http import require_GET, require_POST

from catalog.models import Group, Program
from core import scope
from core.redirects import back_to
from core.typed import title_or_code
from enrollment import orders, services
from enrollment.models import Application, ApplicationStatus, EnrollmentOrder

# What the organization decides from the queue; expiry is the system's, cancelling the family's.
QUEUE_ACTIONS = {name: t.label for name, t in services.TRANSITIONS.items() if t.by == "organization"}
# Oldest first by default (applications are answered in the order they came); newest first to see what
# has just arrived. Both read the queue's index (…, created_at, id), the second backwards.
NEWEST_FIRST = "new"
QUEUE_ORDERS = [(NEWEST_FIRST, "Сначала новые")]
TRANSFER = "transfer"
ORDER = "order"


# Programs offered in a list while there are few (an organization's); a municipality's run into the
# thousands and a region's into tens of thousands: there the program is typed, its code or title.
PROGRAMS_LISTED = 100


@login_required
@require_GET
def queue(request: HttpRequest) -> HttpResponse:
    applications = scope.restrict(Application.objects.all(), request.user, "office")
    status = request.GET.get("status", "")
    program = request.GET.get("program", "").strip()
    if status in ApplicationStatus.values:
        applications = applications.filter(status=status)
    programs = scope.restrict(Program.objects.all(), request.user, "office")
    chosen: list[int] = []
    if program:
        matching = programs.filter(title_or_code(program))
        applications = applications.filter(program__in=matching)
        chosen = list(matching.order_by().values_list("pk", flat=True)[:2])  # one program: its groups are offered
    order = request.GET.get("order", "")
    order = order if order == NEWEST_FIRST else ""
    ordering = ("-created_at", "-pk") if order == NEWEST_FIRST else ("created_at", "pk")
    applications = applications.select_related("child", "applicant", "program", "group").order_by(*ordering)
    page = Paginator(applications, settings.OPORA_PAGE_SIZE).get_page(request.GET.get("page"))
    for application in page.object_list:
        application.queue_position = services.waitlist_position(application)
    return render(
        request,
        "office/applications.html",
        {
            "page": page,
            "status": status,
            "program": program,
            "statuses": ApplicationStatus.choices,
            "program_choices": _program_choices(programs, program),
            "order": order,
            "orders": QUEUE_ORDERS,
            "actions": QUEUE_ACTIONS,
            "filter_query": urlencode(
                {k: v for k, v in (("status", status), ("program", program), ("order", order)) if v}
            ),
            "may_decide": scope.restrict(Application.objects.all(), request.user, "change").exists(),
            # Invitations and transfers to a chosen group: offered once the list shows one program.
            "groups": Group.objects.current().filter(program_id=chosen[0]).order_by("start_date", "name")
            if len(chosen) == 1
            else [],
        },
    )


def _program_choices(programs: QuerySet[Program], typed: str) -> list[tuple[str, str]] | None:
    """(code, title) of the programs with applications, by title, when there are few and the
    filter is one of them (or none); None: the program is typed."""
    # Programs that have applications: a semi-join, not a DISTINCT over every application of the territory.
    with_applications = programs.filter(Exists(Application.objects.filter(program=OuterRef("pk"))))
    listed = list(with_applications.order_by().values_list("code", "title")[: PROGRAMS_LISTED + 1])
    if len(listed) > PROGRAMS_LISTED or (typed and typed not in {code for code, _ in listed}):
        return None
    return sorted(listed, key=lambda choice: (choice[1], choice[0]))


@login_required
@require_POST
def decide(request: HttpRequest) -> HttpResponse:
    """One action on the selected applications; each is decided on its own, and the message says
    which succeeded and why the others did not."""
    action = request.POST.get("action", "")
    codes = request.POST.getlist("application")
    back = request.POST.get("back", "")
    try:
        left_on = date.fromisoformat(request.POST["left_on"]) if request.POST.get("left_on") else None
    except ValueError:
        messages.error(request, "Дата отчисления указана неверно.")
        return back_to(request, back, "office_applications:queue")
    group_code = request.POST.get("group", "")
    group = Group.objects.filter(code=group_code).first() if group_code else None
    if action not in {*QUEUE_ACTIONS, TRANSFER, ORDER} or not codes or (action == TRANSFER and group is None):
        messages.error(request, "Выберите заявки и действие.")
        return back_to(request, back, "office_applications:queue")
    if action == ORDER:
        return _order(request, codes, back)
    done, failed = [], []
    for code in codes:
        try:
            application = scope.get_in_scope(Application.objects.all(), request.user, "change", code=code)
            reason = request.POST.get("reason", "")
            if action == TRANSFER and group is not None:
                services.transfer(request.user, application, group, reason)
            else:
                services.change_status(request.user, application, action, reason=reason, group=group, left_on=left_on)
            done.append(code)
        except (ValidationError, PermissionDenied) as error:
            failed.append(f"{code}: {' '.join(getattr(error, 'messages', [str(error)]))}")
    if done:
        label = "Перевести в группу" if action == TRANSFER else QUEUE_ACTIONS[action]
        applications = "заявка" if len(done) == 1 else "заявки"
        messages.success(request, f"Выполнено «{label}»: {applications} {', '.join(done)}.")
    for problem in failed:
        messages.error(request, problem)
    return back_to(request, back, "office_applications:queue")


def _order(request: HttpRequest, codes: list[str], back: str) -> HttpResponse:
    applications = [scope.get_in_scope(Application.objects.all(), request.user, "change", code=c) for c in codes]
    try:
        order = orders.create_order(request.user, applications)
    except (ValidationError, PermissionDenied) as error:
        messages.error(request, " ".join(getattr(error, "messages", [str(error)])))
        return back_to(request, back, "office_applications:queue")
    link = reverse("office_applications:order_pdf", args=[order.code])
    messages.success(request, format_html('{} подготовлен: <a href="{}">скачать PDF</a>.', order, link))
    return back_to(request, back, "office_applications:queue")


@login_required
@require_GET
def order_pdf(request: HttpRequest, code: str) -> HttpResponse:
    order = scope.get_in_scope(
        EnrollmentOrder.objects.select_related("organization", "group__program"), request.user, "view", code=code
    )
    response = HttpResponse(orders.order_pdf(order), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="prikaz-{order.year}-{order.sequence}.pdf"'
    return response
