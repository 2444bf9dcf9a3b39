"""«Сообщать о новых программах»: a parent keeps a search — one that found nothing yet («бокс» in a small town), or
one to follow («робототехника, 9 лет») — and a letter tells of the programs published later that it finds
(`notify_new_programs`, run by `manage.py notify_search_alerts` from cron). The search is read as its page reads
it, at every check: the same words, corrections and filters. The parent's own: no organization reads it."""

from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import datetime
from functools import partial
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.core import signing
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count, Min
from django.http import QueryDict
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from accounts.roles import principal_of
from catalog import text
from catalog.models import ModerationStatus, Program
from catalog.search import SearchParams, described, found_count, programs_found
from catalog.search_form import ProgramSearchQuery, params_from_query, read_page_query
from catalog.search_index import CatalogIndex, build_index, catalog_version
from core import audit, letters, scope
from core.templatetags.opora import ru_plural
from enrollment.models import MAX_SEARCH_ALERTS, SearchAlert, SearchAlertProgram
from people.models import Guardian
from territory.models import Municipality

GUARDIANS_ONLY = "Подписываться на новые программы могут родители (законные представители)."
NOT_YOURS = "Отписаться может только тот, кто подписался."
NOTHING_CHOSEN = "Чтобы подписаться, введите запрос или выберите фильтры: письмо о каждой новой программе — не поиск."
TOO_MANY = f"Подписок может быть не больше {MAX_SEARCH_ALERTS}: отпишитесь от ненужных в личном кабинете."
# What a search alert keeps of a page's address: what the search finds, not how its page shows it (page, order).
SEARCHED = frozenset(ProgramSearchQuery.model_fields) - {"page", "page_size", "sort"}
QUERY_LENGTH = SearchAlert._meta.get_field("query").max_length or 0
TOO_LONG = "Слишком длинный поиск: сократите запрос или снимите часть фильтров."
LETTER_PROGRAMS = 20  # a letter names at most so many, and leads to the search for the rest


def alerts_of(user: Any) -> list[SearchAlert]:
    """The parent's search alerts, the latest first, each with `params` and `description` (its search in words)."""
    alerts = list(SearchAlert.objects.filter(user=user))
    for alert in alerts:
        alert.params = params_of(alert.query)  # type: ignore[attr-defined]
        alert.description = described(alert.params)  # type: ignore[attr-defined]
    return alerts


def description(alert: SearchAlert) -> str:
    """The alert's search in words, as the cabinet, its letters and the API say it: «бокс» · 10 лет · город Энск."""
    return described(params_of(alert.query))


def kept_query(query: str) -> str:
    """The search's query string as an alert keeps it: what its page reads of it — each list's values once, of
    another parameter the last, spaces collapsed — without the page or order, in one order whatever the page's
    (one search is one alert). A bad value is refused with its page's message, a search of nothing with
    NOTHING_CHOSEN (both the field `query`'s)."""
    asked, errors = read_page_query(ProgramSearchQuery, QueryDict(query))
    if errors:
        raise ValidationError({"query": errors})
    asked.q = " ".join(asked.q.split())
    chosen = asked.model_dump(include=set(SEARCHED), exclude_defaults=True)
    kept = sorted(
        (name, "on" if value is True else str(value))
        for name, values in chosen.items()
        for value in (dict.fromkeys(values) if isinstance(values, list) else [values])
    )
    if not kept:
        raise ValidationError({"query": NOTHING_CHOSEN})
    encoded = urlencode(kept)
    if len(encoded) > QUERY_LENGTH:
        raise ValidationError({"query": TOO_LONG})
    return encoded


def params_of(query: str) -> SearchParams:
    """The search an alert keeps, as its page reads it now (a value the catalog no longer has is left out)."""
    return params_from_query(QueryDict(query), LETTER_PROGRAMS)[0]


def subscription(user: Any, query: str) -> SearchAlert | None:
    """The parent's alert for this search (the search page's query string), if any: the page's button says so."""
    try:
        kept = kept_query(query)
    except ValidationError:
        return None
    return SearchAlert.objects.filter(user=user, query=kept).first()


def keep(actor: Any, query: str, now: datetime | None = None) -> tuple[SearchAlert, bool]:
    """The parent's alert for this search (the search page's query string) and whether this call made it: the
    same search again returns the one kept. Programs published from now on are told of; at most MAX_SEARCH_ALERTS
    a parent, counted under a lock of the parent's row (two requests at once make no twenty-first)."""
    if not principal_of(actor).is_guardian:
        raise PermissionDenied(GUARDIANS_ONLY)
    kept = kept_query(query)
    with transaction.atomic():
        list(User.objects.select_for_update().filter(pk=actor.pk).values_list("pk"))
        existing = SearchAlert.objects.filter(user=actor, query=kept)
        if not existing.exists() and SearchAlert.objects.filter(user=actor).count() >= MAX_SEARCH_ALERTS:
            raise ValidationError(TOO_MANY)
        create = partial(SearchAlert.objects.create, **alert_fields(actor, kept, now or timezone.now()))
        return audit.created_once(actor, "search_alert.created", existing, create, query=kept)


def alert_fields(user: Any, kept: str, checked_at: datetime) -> dict[str, Any]:
    """The fields of an alert of this kept query (kept_query's), with what the monitoring counts: its words, and
    its municipality — the search's, or the parent's where it names none."""
    asked = QueryDict(kept)
    oktmo = asked.get("municipality")
    municipality_id = (
        Municipality.objects.filter(oktmo=oktmo).values_list("pk", flat=True).first()
        if oktmo
        else Guardian.objects.filter(user=user).values_list("municipality_id", flat=True).first()
    )
    words = " ".join(text.words(asked.get("q", "")))[: SearchAlert._meta.get_field("words").max_length]
    return {"user": user, "query": kept, "checked_at": checked_at, "words": words, "municipality_id": municipality_id}


def forget(actor: Any, alert: SearchAlert) -> None:
    """No more letters for this search: the alert is deleted."""
    if not scope.can(actor, alert, "change"):
        raise PermissionDenied(NOT_YOURS)
    with transaction.atomic():
        audit.record(actor, "search_alert.removed", alert, query=alert.query)
        alert.delete()


MIN_FAMILIES = 3  # a search fewer families keep is not shown to staff: its words could tell who typed them


@dataclass(frozen=True)
class Demand:
    """What families of a territory wait for: a search's words in a municipality (or anywhere), how many families
    keep an alert for it, and how many programs it finds now."""

    words: str
    municipality: str  # ОКТМО: the search's, or the family's where the search names none
    families: int
    found_now: int


def demand(municipality_ids: Collection[int], limit: int = 20) -> list[Demand]:
    """The searches by words that families keep alerts for in these municipalities (the search's municipality, or
    the parent's when it names none: SearchAlert.municipality), those kept by at least MIN_FAMILIES families, the
    most kept first: what families look for there and wait to see published. Each family once per words and
    municipality, whatever its other filters; how many programs those words find there now. Counted by the
    database: a region's alerts run to tens of thousands."""
    kept = (
        SearchAlert.objects.filter(municipality__in=municipality_ids)
        .exclude(words="")
        .values("words", "municipality__oktmo")
        .annotate(families=Count("user", distinct=True))
        .filter(families__gte=MIN_FAMILIES)
        .order_by("-families", "words", "municipality__oktmo")[:limit]
    )
    return [
        Demand(row["words"], oktmo, row["families"], found_count(SearchParams(q=row["words"], municipality=oktmo)))
        for row in kept
        if (oktmo := row["municipality__oktmo"])
    ]


STOP_SALT = "enrollment.search_alert.stop"


def stop_token(alert: SearchAlert) -> str:
    """What a letter's «Отписаться» carries: the alert and its parent, signed — it stops the letters without signing
    in, as mail services' own «Отписаться» does (core.letters)."""
    return signing.dumps([alert.pk, alert.user_id], salt=STOP_SALT)


def by_stop_token(token: str) -> SearchAlert | None:
    """The alert a letter's token names, while it is kept (None: a token not ours, or the alert gone)."""
    try:
        pk, user_id = signing.loads(token, salt=STOP_SALT)
    except (signing.BadSignature, TypeError, ValueError):
        return None
    return SearchAlert.objects.select_related("user").filter(pk=pk, user_id=user_id).first()


def notify_new_programs(now: datetime | None = None) -> int:
    """One letter for each alert whose search finds programs published since its last check (up to `now`) that
    it has not told of yet; every alert then checked up to `now`. Returns how many letters. What the alerts share
    is read once for the run (see _Run), the programs searched in an index built for it after `now` is taken: a
    program published later is the next run's. The alerts are taken CHUNK at a time, each chunk in a transaction
    under a lock of its rows that another run at the same time skips: no alert is checked twice, and the
    database's constraint stands behind, so no program is told of twice."""
    now = now or timezone.now()
    due = SearchAlert.objects.filter(checked_at__lt=now)
    since = due.aggregate(since=Min("checked_at"))["since"]
    run = _Run.read(since, now) if since is not None else None
    if run is None:  # nothing new for any of them: checked up to `now` at once
        due.update(checked_at=now)
        return 0
    told, after = 0, 0
    while True:
        with transaction.atomic():
            locked = due.filter(pk__gt=after).select_for_update(skip_locked=True, of=("self",))
            chunk = list(locked.select_related("user").order_by("pk")[:CHUNK])
            if not chunk:
                return told
            after = chunk[-1].pk
            told += run.check(chunk)


CHUNK = 500


@dataclass
class _Run:
    """One check of the alerts: the programs published since the earliest alert's last check, read once, the
    index they are searched in, which of them each alert told of already (published again since), and each
    search's finds among them, searched once however many parents keep it."""

    now: datetime
    index: CatalogIndex
    published: list[tuple[int, datetime]]  # (program, published at), in the letters' order
    programs: dict[int, Program]
    told: dict[int, set[int]]  # alert → programs told of
    searched: dict[str, tuple[SearchParams, set[int]]] = field(default_factory=dict)

    @classmethod
    def read(cls, since: datetime, now: datetime) -> "_Run | None":
        programs = {
            program.pk: program
            for program in Program.objects.filter(
                status=ModerationStatus.PUBLISHED, published_at__gt=since, published_at__lte=now
            ).select_related("organization")
        }
        if not programs:
            return None
        published = sorted(
            ((p.pk, p.published_at) for p in programs.values() if p.published_at is not None),  # as filtered
            key=lambda row: (programs[row[0]].title, row[0]),
        )
        told: dict[int, set[int]] = {}
        for alert_id, program_id in SearchAlertProgram.objects.filter(program__in=programs).values_list(
            "alert_id", "program_id"
        ):
            told.setdefault(alert_id, set()).add(program_id)
        return cls(now, build_index(catalog_version()), published, programs, told)

    def finds(self, query: str) -> tuple[SearchParams, set[int]]:
        if query not in self.searched:
            params = params_of(query)
            self.searched[query] = (params, set(programs_found(self.index, params, self.programs)))
        return self.searched[query]

    def check(self, alerts: list[SearchAlert]) -> int:
        """These alerts (locked) checked up to `now`: the programs each finds recorded as told, audited, in one
        letter each after the commit. Returns how many letters."""
        told: list[SearchAlertProgram] = []
        notified: list[tuple[SearchAlert, int]] = []
        for alert in alerts:
            params, finds = self.finds(alert.query)
            new = finds - self.told.get(alert.pk, set())
            found = [pid for pid, at in self.published if at > alert.checked_at and pid in new]
            if found:
                told += [SearchAlertProgram(alert=alert, program_id=pid, told_at=self.now) for pid in found]
                notified.append((alert, len(found)))
                self.write(alert, params, found)
        SearchAlert.objects.filter(pk__in=[alert.pk for alert in alerts]).update(checked_at=self.now)
        SearchAlertProgram.objects.bulk_create(told)
        audit.record_many((None, "search_alert.notified", alert, {"programs": n}) for alert, n in notified)
        return len(notified)

    def write(self, alert: SearchAlert, params: SearchParams, found: list[int]) -> None:
        lines = [
            f"— «{p.title}», {p.organization.short_name}{_link(reverse('navigator:program', args=[p.code]))}"
            for p in (self.programs[pid] for pid in found[:LETTER_PROGRAMS])
        ]
        if len(found) > LETTER_PROGRAMS:
            lines.append(f"…и ещё {len(found) - LETTER_PROGRAMS} — в поиске по ссылке ниже.")
        count, said = len(found), described(params)
        body = "\n".join(
            [
                f"По вашему поиску — {said} — в навигаторе "
                f"{ru_plural(count, 'появилась,появились,появились')} {count} "
                f"{ru_plural(count, 'новая программа,новые программы,новых программ')}:",
                "",
                *lines,
                "",
                f"Все ваши подписки — в личном кабинете{_link(reverse('family:cabinet'))}.",
            ]
        )
        search = f"{reverse('navigator:search')}?{alert.query}"
        stop = reverse("family:stop_search_alert", args=[stop_token(alert)])
        letters.send_after_commit([alert.user.email], f"Новые программы: {said}", body, search, unsubscribe=stop)


def _link(path: str) -> str:
    """The site's address of a path, when it is configured (letters read outside the site), after a colon."""
    return f": {settings.SITE_URL}{path}" if settings.SITE_URL else ""
