"""Recording actions in the audit log."""

from collections.abc import Callable, Iterable
from typing import Any, TypeVar

from django.db import IntegrityError, models, transaction
from django.db.models import QuerySet

from core.bulk import insert_objects
from core.models import AuditEvent

# The Russian name of every action the audit log records, as the admin and the histories show it:
# the one place where actions are named for people. An action's code is «object.what»; the ones
# built from a status («application.{status}», «contract.{status}», …) are listed status by status.
# core/tests/test_audit.py checks that every action the code records has its name here.
ACTION_LABELS: dict[str, str] = {
    # Accounts and API tokens.
    "account.registered": "Регистрация",
    "account.confirmed": "Адрес почты подтверждён",
    "account.confirmation_resent": "Ссылка для подтверждения отправлена ещё раз",
    "account.password_reset": "Пароль изменён по ссылке из письма",
    "api_token.issued": "Выпущен токен API",
    "api_token.revoked": "Отозван токен API",
    # Catalog: programs and their moderation, groups.
    "program.created": "Программа создана",
    "program.updated": "Программа изменена",
    "program.submit": "Программа отправлена на модерацию",
    "program.withdraw": "Программа отозвана с модерации",
    "program.approve": "Программа опубликована",
    "program.return": "Программа возвращена на доработку",
    "program.archive": "Программа перенесена в архив",
    "program.restore": "Программа возвращена из архива в черновики",
    "program.submit_changes": "Изменения отправлены на модерацию",
    "program.withdraw_changes": "Изменения отозваны с модерации",
    "program.approve_changes": "Изменения опубликованы",
    "program.return_changes": "Изменения возвращены на доработку",
    "program.discard_changes": "Изменения отменены",
    "group.created": "Группа создана",
    "group.updated": "Группа изменена",
    # People and the registry of children.
    "guardian.created": "Запись родителя создана по учётной записи",
    "organization.profile_changed": "Карточка организации изменена",
    "organization.registered": "Организация внесена в реестр",
    "organization.changed": "Данные реестра об организации изменены",
    "organization.access_opened": "Открыт доступ к кабинету организации",
    "organization.access_closed": "Закрыт доступ к кабинету организации",
    "organization.invitation_resent": "Приглашение в кабинет организации отправлено ещё раз",
    "teacher.added": "Карточка педагога добавлена",
    "teacher.changed": "Карточка педагога изменена",
    "teacher.removed": "Карточка педагога удалена",
    "child.added": "Ребёнок добавлен семьёй",
    "child.updated": "Данные ребёнка исправлены семьёй",
    "child.identifiers_added": "Семья указала СНИЛС или свидетельство о рождении",
    "child.identifiers_corrected": "СНИЛС или свидетельство о рождении исправлены по документам",
    "child.registered": "Ребёнок внесён в реестр",
    "child.matched": "Ребёнок найден в реестре",
    "child.merged": "Записи о ребёнке объединены",
    "child.merge_undone": "Объединение записей отменено",
    "child.kept_apart": "Записи признаны разными детьми",
    "child.pair_reopened": "Пара записей возвращена на проверку",
    "child.viewed": "Просмотр карточки ребёнка",
    "child.personal_data_viewed": "Просмотр персональных данных ребёнка",
    # Enrollment: applications, campaigns, orders, the journal.
    "application.new": "Заявка подана",
    "application.reviewing": "Заявка взята на рассмотрение",
    "application.invited": "Приглашение на зачисление",
    "application.enrolled": "Зачисление",
    "application.waitlisted": "Заявка поставлена в очередь",
    "application.rejected": "Отказ по заявке",
    "application.cancelled": "Заявка отменена семьёй",
    "application.expired": "Истёк срок приглашения",
    "application.expelled": "Отчисление",
    "application.imported": "Заявка загружена из списка организации",
    "campaign.planned": "Приёмная кампания запланирована",
    "campaign.updated": "Приёмная кампания изменена",
    "campaign.choices": "Выбор семьи в кампании",
    "campaign.allocation_started": "Распределение мест начато",
    "campaign.allocation_restarted": "Распределение мест перезапущено",
    "campaign.allocated": "Места распределены",
    "campaign.cancelled": "Приёмная кампания отменена",
    "order.created": "Приказ о зачислении",
    "study_place.added": "Добавлено место занятий организации",
    "study_place.changed": "Изменено место занятий организации",
    "study_place.removed": "Удалено место занятий организации",
    "saved_program.added": "Семья сохранила программу в избранное",
    "saved_program.removed": "Семья убрала программу из избранного",
    "search_alert.created": "Семья подписалась на новые программы по поиску",
    "search_alert.removed": "Семья отписалась от новых программ по поиску",
    "search_alert.notified": "Семье написано о новых программах по её поиску",
    "admission_watch.created": "Семья ждёт открытия записи на программу",
    "admission_watch.stopped": "Семья больше не ждёт открытия записи",
    "admission_watch.notified": "Семье сообщено, что запись открылась",
    "admission_watch.ended": "Семье сообщено, что программа больше не проводится; ожидание снято",
    "journal.marked": "Отметка посещаемости",
    "holiday.added": "Добавлен нерабочий день",
    "holiday.removed": "Удалён нерабочий день",
    # Monitoring: targets, lists of children from organizations.
    "target.set": "Целевое значение показателя",
    "monitoring.children_viewed": "Просмотр списка детей организации",
    "import.uploaded": "Список детей загружен",
    "import.confirmed": "Загрузка списка подтверждена",
    "import.resumed": "Загрузка списка продолжена",
    "import.applied": "Список детей применён",
    "career_lessons.imported": "Загружены участники профориентационных уроков",
    # Personified financing.
    "certificate.requested": "Заявление на сертификат",
    "certificate.accounting": "Сертификат учёта",
    "certificate.financing": "Сертификат ПФ",
    "certificate.declined": "Отказ в выдаче сертификата",
    "provider.included": "Исполнитель включён в реестр",
    "agreement.signed": "Соглашение с исполнителем",
    "certification.submitted": "Программа отправлена на сертификацию",
    "certification.certified": "Программа сертифицирована",
    "certification.denied": "Отказ в сертификации программы",
    "contract.created": "Договор создан",
    "contract.confirmed": "Договор подтверждён",
    "contract.active": "Договор заключён",
    "contract.terminated": "Договор расторгнут",
    "contract.rejected": "Договор отклонён",
    "completeness.reported": "Полнота оказания услуг",
    "month.closed": "Месяц закрыт",
    "invoice.advance": "Счёт на аванс",
    "invoice.final": "Окончательный счёт",
    "invoice.paid": "Счёт оплачен",
    # The system.
    "demo.loaded": "Загружены демонстрационные данные",
    # The admin (/admin/): what was changed there, with the names of the fields (core.admin_site).
    "admin.added": "Добавлено в администрировании",
    "admin.changed": "Изменено в администрировании",
    "admin.deleted": "Удалено в администрировании",
    "user.activated": "Учётная запись включена",
    "user.deactivated": "Учётная запись отключена",
}


def action_label(action: str) -> str:
    """The action's Russian name; an action without one (an old record) shows its code."""
    return ACTION_LABELS.get(action, action)


def _event(actor: Any, action: str, obj: models.Model, data: dict[str, Any]) -> AuditEvent:
    return AuditEvent(
        actor=actor if getattr(actor, "is_authenticated", False) else None,
        action=action,
        object_type=obj._meta.label_lower,
        object_id=str(obj.pk),
        data=data,
    )


def record(actor: Any, action: str, obj: models.Model, **data: Any) -> AuditEvent:
    event = _event(actor, action, obj, data)
    event.save()
    return event


def record_many(entries: Iterable[tuple[Any, str, models.Model, dict[str, Any]]]) -> list[AuditEvent]:
    """Several records in one statement, for a hot path that takes more than one step at once."""
    return list(insert_objects([_event(*entry) for entry in entries]))


M = TypeVar("M", bound=models.Model)


def created_once(
    actor: Any, action: str, existing: QuerySet[M], create: Callable[[], M], **data: Any
) -> tuple[M, bool]:
    """The row `existing` finds, or the one `create` makes now, recorded as `action`; whether this call made it.
    Two requests racing (a double click) make one: the database's unique constraint refuses the second, which
    returns the first's."""
    with transaction.atomic():
        found = existing.first()
        if found is not None:
            return found, False
        try:
            with transaction.atomic():
                created = create()
        except IntegrityError:
            return existing.get(), False
        record(actor, action, created, **data)
    return created, True
