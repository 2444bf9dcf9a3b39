"""The journal pages: a group's lessons by month, marking a lesson in one submit, the XLSX report."""

from datetime import date

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from catalog.models import Group
from core import scope
from enrollment import journal
from enrollment.models import Attendance


def _group(request: HttpRequest, code: str) -> Group:
    group = scope.get_in_scope(Group.objects.select_related("program", "teacher"), request.user, "office", code=code)
    if not journal.may_keep_journal(request.user, group):
        raise PermissionDenied("Журнал группы ведёт её педагог или оператор организации.")
    return group


def _month(value: str | None) -> date:
    today = timezone.localdate()
    try:
        year, month = (int(part) for part in (value or "").split("-"))
        return date(year, month, 1)
    except ValueError:
        return today.replace(day=1)


@login_required
@require_http_methods(["GET", "POST"])
def group_journal(request: HttpRequest, code: str) -> HttpResponse:
    group = _group(request, code)
    first = _month(request.GET.get("month"))
    lessons = list(group.lessons.filter(date__year=first.year, date__month=first.month).order_by("date", "starts_at"))
    today = timezone.localdate()
    past = [lesson for lesson in lessons if lesson.date <= today and not lesson.is_cancelled]
    chosen = next((lesson for lesson in lessons if str(lesson.pk) == request.GET.get("lesson")), None)
    chosen = chosen or (past[-1] if past else None)
    children = journal.enrolled(group)
    if request.method == "POST" and chosen is not None:
        try:
            present = {int(pk) for pk in request.POST.getlist("present")}
            journal.mark_attendance(request.user, chosen, present)
        except (ValueError, ValidationError) as error:
            messages.error(request, " ".join(getattr(error, "messages", ["Неверные отметки."])))
        else:
            messages.success(request, f"Занятие {chosen.date:%d.%m.%Y} отмечено: присутствовали {len(present)}.")
            return redirect(f"{request.path}?month={first:%Y-%m}&lesson={chosen.pk}")
    marks = dict(Attendance.objects.filter(lesson=chosen).values_list("application_id", "present")) if chosen else {}
    previous = (first.replace(day=1) - date.resolution).replace(day=1)
    following = (first.replace(day=28) + 4 * date.resolution).replace(day=1)
    return render(
        request,
        "office/journal.html",
        {
            "group": group,
            "month": first,
            "previous": previous,
            "following": following,
            "lessons": lessons,
            "chosen": chosen,
            "today": today,
            "rows": [(a, marks.get(a.pk)) for a in children],
        },
    )


@login_required
@require_POST
def generate(request: HttpRequest, code: str) -> HttpResponse:
    group = _group(request, code)
    created = journal.generate_lessons(group)
    messages.success(request, f"Занятий добавлено по расписанию: {created}.")
    return redirect("journal:group", code=group.code)


@login_required
@require_GET
def report(request: HttpRequest, code: str, year: int, month: int) -> HttpResponse:
    group = _group(request, code)
    if not 1 <= month <= 12:
        raise ValidationError("Месяц — от 1 до 12.")
    response = HttpResponse(
        journal.monthly_report(group, year, month),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    response["Content-Disposition"] = f'attachment; filename="journal-{group.code}-{year}-{month:02d}.xlsx"'
    return response
