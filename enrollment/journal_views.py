"""The journal pages: a group's lessons by month, marking a lesson in one submit, the XLSX report,
and the holidays (нерабочие дни) the lessons skip."""

from datetime import date
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Exists, OuterRef, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.roles import principal_of
from catalog.models import Group
from core.xlsx import xlsx_response
from enrollment import journal
from enrollment.models import Attendance, Holiday
from territory.models import Region


def _group(request: HttpRequest, code: str) -> Group:
    return journal.journal_group(request.user, code)


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
    month_lessons = group.lessons.filter(date__year=first.year, date__month=first.month).order_by("date", "starts_at")
    # A teacher sees which past lessons still wait for their marks.
    lessons = list(month_lessons.annotate(marked=Exists(Attendance.objects.filter(lesson=OuterRef("pk")))))
    today = timezone.localdate()
    past = [lesson for lesson in lessons if lesson.date <= today and not lesson.is_cancelled]
    chosen = next((lesson for lesson in lessons if str(lesson.pk) == request.GET.get("lesson")), None)
    chosen = chosen or (past[-1] if past else None)
    children = journal.enrolled(group, on=chosen.date if chosen else None)
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
    if not (1 <= month <= 12 and 2000 <= year <= 2099):  # a typed address naming no month of the journal
        raise Http404
    return xlsx_response(journal.monthly_report(group, year, month), f"journal-{group.code}-{year}-{month:02d}.xlsx")


# --- Holidays -----------------------------------------------------------------------------------


EVERY_REGION = "all"


class HolidayForm(forms.Form):
    date = forms.DateField(label="Дата", widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    name = forms.CharField(
        label="Название",
        max_length=journal.HOLIDAY_NAME_LENGTH,
        help_text="Например: «День народного единства», «Осенние каникулы».",
    )

    def __init__(self, *args: Any, regions: list[Region | None], **kwargs: Any) -> None:
        """`regions`: where the person keeps days off (journal.holiday_regions); a choice when more
        than one, none chosen beforehand (one of them takes lessons everywhere)."""
        super().__init__(*args, **kwargs)
        years = journal.holiday_years()
        self.fields["date"].widget.attrs.update(min=f"{years[0]}-01-01", max=f"{years[-1]}-12-31")
        self.regions = {_region_key(region): region for region in regions}
        self.only_region = regions[0] if len(regions) == 1 else None
        if len(regions) > 1:
            self.fields["region"] = forms.ChoiceField(
                label="Где",
                choices=[
                    ("", "— выберите —"),
                    *(
                        (key, "Во всех регионах (федеральный праздник)" if region is None else region.name)
                        for key, region in self.regions.items()
                    ),
                ],
                error_messages={"required": "Выберите, где этот день нерабочий."},
            )

    def chosen_region(self) -> Region | None:
        if "region" not in self.fields:
            return next(iter(self.regions.values()))
        return self.regions[self.cleaned_data["region"]]


def _region_key(region: Region | None) -> str:
    return EVERY_REGION if region is None else str(region.pk)


@login_required
@require_http_methods(["GET", "POST"])
def holidays(request: HttpRequest) -> HttpResponse:
    """Everyone who works in the office sees the days off of every region and of their own; the
    regional operator keeps the region's, the administrator every region's."""
    if not principal_of(request.user).uses_office:
        raise PermissionDenied("Нерабочие дни видят сотрудники организаций и опорных центров.")
    regions = journal.holiday_regions(request.user)
    form = HolidayForm(request.POST if request.method == "POST" else None, regions=regions)
    if request.method == "POST":
        if not regions:
            raise PermissionDenied(journal.NOT_YOURS)
        if form.is_valid():
            try:
                added = journal.add_holiday(
                    request.user, form.cleaned_data["date"], form.cleaned_data["name"], form.chosen_region()
                )
            except ValidationError as error:
                for field, errors in error.update_error_dict({}).items():
                    form.add_error(field if field in form.fields else None, errors)
            else:
                messages.success(request, _added_message(added))
                return redirect(f"{reverse('journal:holidays')}?year={added.holiday.date.year}")
    year = _year(request.GET.get("year"))
    visible = journal.visible_holidays(request.user)
    return render(
        request,
        "office/holidays.html",
        {
            "form": form,
            "may_manage": bool(regions),
            "year": year,
            "holidays": [
                (holiday, journal.may_manage_holiday(request.user, holiday))
                for holiday in visible.filter(date__year=year).order_by("date", "region__name")
            ],
            "years": _years(visible, year),
        },
    )


def _added_message(added: journal.HolidayAdded) -> str:
    text = f"{added.holiday.date:%d.%m.%Y} — нерабочий день {journal.where_off(added.holiday)}: «{added.holiday.name}»."
    if added.removed:
        text += f" Занятий без отметок на этот день убрано из журналов: {added.removed}."
    if added.kept:
        text += (
            f" Занятий с отметками посещаемости оставлено: {added.kept} — отметки не удаляются никогда; "
            "педагоги увидят эти занятия в журнале."
        )
    return text


def _year(value: str | None) -> int:
    today = timezone.localdate()
    return int(value) if value and value.isdigit() and 2000 <= int(value) <= 2100 else today.year


def _years(visible: QuerySet[Holiday], year: int) -> list[int]:
    """The years the page links to: those with holidays, the current and the next one."""
    today = timezone.localdate().year
    have = {day.year for day in visible.dates("date", "year")}
    return sorted(have | {today, today + 1, year})


@login_required
@require_POST
def holiday_remove(request: HttpRequest, pk: int) -> HttpResponse:
    holiday = get_object_or_404(journal.visible_holidays(request.user), pk=pk)
    if not journal.may_manage_holiday(request.user, holiday):
        raise PermissionDenied(journal.NOT_YOURS)
    where = journal.where_off(holiday)
    restored = journal.remove_holiday(request.user, holiday)
    text = f"{holiday.date:%d.%m.%Y} снова рабочий день {where}."
    # Still off where another of the person's days off falls on it: every region's, or a region's.
    still_off = [journal.where_off(other) for other in journal.visible_holidays(request.user).filter(date=holiday.date)]
    if still_off:
        text += f" Нерабочим он остаётся {', '.join(still_off)}."
    if restored:
        text += f" Занятий по расписанию вернулось в журналы: {restored}."
    messages.success(request, text)
    return redirect(f"{reverse('journal:holidays')}?year={holiday.date.year}")
