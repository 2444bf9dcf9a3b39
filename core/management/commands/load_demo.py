"""`manage.py load_demo`: a realistic demo region, deterministic from a seed, sized by arguments."""

import time
from datetime import date
from typing import Any

from django.apps import apps
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.core.management.color import no_style
from django.db import connection, transaction
from django.test.utils import override_settings
from django.utils import timezone

from accounts.demo import DEMO_PASSWORD, EMAIL_DOMAIN, create_demo_accounts, delete_demo_users, unusable_password
from accounts.models import Role
from catalog.demo import CatalogSize, create_organizations, create_programs, propose_a_change
from catalog.models import Organization, OvzCategory, ProgramRegister
from catalog.search import bump_catalog_version, rebuild_search_terms, refresh_search_documents
from catalog.services import refresh_program_groups
from core import audit
from enrollment.demo import (
    create_applications,
    create_campaign,
    create_holidays,
    create_saved,
    create_search_alerts,
    create_watch,
    fill_journals,
    hand_groups_to_teacher,
)
from finance.demo import create_finance
from monitoring.demo import create_duplicates, create_registry, create_targets
from people.demo import NameMaker, create_families
from territory.demo import MAX_MUNICIPALITIES, DemoRandom, create_territory
from territory.models import Region

# Dictionaries filled by migrations survive a reset; everything else in these apps is demo data.
KEPT_MODELS = (OvzCategory, ProgramRegister)
APPLICATIONS = 60  # to the demo organization, so that its queue has every status
CAMPAIGN_CHOICES = 40  # children who ranked groups in the demo campaign
DUPLICATES = 24  # registry children entered again with slips: some merged, some for review


def delete_demo_data() -> None:
    """Empty the territory, catalog, people and enrollment tables and remove the demo accounts.

    Role assignments go too: they point into the territory and the catalog being emptied."""
    tables = [
        model._meta.db_table
        for label in ("territory", "catalog", "people", "enrollment", "monitoring", "finance")
        for model in apps.get_app_config(label).get_models(include_auto_created=True)
        if model not in KEPT_MODELS
    ]
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            # TRUNCATE refuses while deferred foreign-key checks of this transaction are pending.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    connection.ops.execute_sql_flush(connection.ops.sql_flush(no_style(), tables, allow_cascade=True))
    delete_demo_users()


class Command(BaseCommand):
    help = (
        "Создаёт демонстрационный регион: муниципалитеты с численностью детей, организации, программы, "
        "группы, педагогов, семьи и учётные записи для каждой роли. Одинаковый --seed даёт одинаковые данные."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--seed", type=int, default=2026, help="зерно генератора (по умолчанию 2026)")
        parser.add_argument("--municipalities", type=int, default=8, help=f"муниципалитетов, 1–{MAX_MUNICIPALITIES}")
        parser.add_argument("--organizations", type=int, default=240, help="организаций")
        parser.add_argument("--programs", type=int, default=2400, help="программ")
        parser.add_argument("--children", type=int, default=3000, help="детей в семьях с учётными записями")
        parser.add_argument(
            "--registry-share",
            type=float,
            default=1.0,
            help="доля детей, которых организации внесли в реестр (0–1; по умолчанию 1 — все обучающиеся)",
        )
        parser.add_argument(
            "--reset",
            action="store_true",
            help="сначала удалить территорию, каталог, людей, демо-учётные записи и назначения ролей",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        municipalities, organizations = options["municipalities"], options["organizations"]
        programs, children = options["programs"], options["children"]
        if not 1 <= municipalities <= MAX_MUNICIPALITIES:
            raise CommandError(f"Муниципалитетов может быть от 1 до {MAX_MUNICIPALITIES}.")
        if organizations < municipalities * 2:
            raise CommandError("Организаций нужно хотя бы вдвое больше, чем муниципалитетов: школа и центр в каждом.")
        if programs < 1 or children < 1:
            raise CommandError("Нужна хотя бы одна программа и хотя бы один ребёнок.")
        if not 0 <= options["registry_share"] <= 1:
            raise CommandError("Доля детей в реестре — число от 0 до 1.")
        if not options["reset"] and (Region.objects.exists() or Organization.objects.exists()):
            raise CommandError(
                "В базе уже есть данные. Запустите с --reset, чтобы заменить их демонстрационными "
                "(территория, каталог и люди будут удалены)."
            )
        started = time.monotonic()
        if options["reset"]:
            delete_demo_data()
            self.step("Прежние данные удалены", started)
        # The demo's decisions e-mail nobody (after commit): the families are invented.
        with override_settings(EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend"), transaction.atomic():
            accounts = self.generate(options, started)
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE")  # fresh statistics, or the first searches plan for empty tables
        self.stdout.write(self.style.SUCCESS(f"Готово за {time.monotonic() - started:.0f} с."))
        self.stdout.write(f"\nДемо-учётные записи (пароль у всех: {DEMO_PASSWORD}):")
        for email, role, scope in accounts:
            self.stdout.write(f"  {email:<28} {role} — {scope}")

    def generate(self, options: dict[str, Any], started: float) -> list[tuple[str, str, str]]:
        rng = DemoRandom(options["seed"])
        names = NameMaker(rng)
        today = timezone.localdate()
        territory = create_territory(rng, options["municipalities"], today)
        self.step(f"Регион: {territory.region.name}, муниципалитетов: {len(territory.places)}", started)
        organizations = create_organizations(rng, names, territory, options["organizations"], options["programs"])
        self.step(f"Организаций: {len(organizations)}", started)
        featured = organizations[0].organization
        accounts = create_demo_accounts(rng, names, territory, featured)
        teacher = accounts[Role.TEACHER].user

        def report(size: CatalogSize) -> None:
            if not self.stdout.isatty():
                return
            self.stdout.write(f"  программ: {size.programs}, групп: {size.groups}", ending="\r")
            self.stdout.flush()

        size = create_programs(rng, names, organizations, today, (teacher, featured.pk), report)
        self.step(
            f"Программ: {size.programs}, групп: {size.groups}, педагогов: {size.teachers}, "
            f"мест занятий в других зданиях: {size.study_places}",
            started,
        )
        families = create_families(
            rng,
            names,
            territory.places,
            options["children"],
            today,
            accounts[Role.GUARDIAN].user,
            EMAIL_DOMAIN,
            unusable_password(rng),
        )
        self.step(f"Семей: {len(families.guardians)}, детей: {len(families.children)}", started)
        applications = create_applications(
            rng, families.children, featured, accounts[Role.ORGANIZATION_OPERATOR].user, APPLICATIONS
        )
        self.step(f"Заявок в «{featured.short_name}»: {len(applications)}", started)
        taught = hand_groups_to_teacher(teacher, featured)
        self.step(f"Педагог демо-входа ведёт групп: {len(taught)}", started)
        # Another organization of the capital recruits through a preference campaign.
        recruiting = next(
            (o.organization for o in organizations[1:] if o.place.index == 0 and o.program_count >= 3), None
        )
        if recruiting is not None:
            campaign = create_campaign(rng, recruiting, families.children[2:], timezone.now(), CAMPAIGN_CHOICES)
            if campaign is not None:
                self.step(
                    f"Кампания «{campaign.name}»: выбор {campaign.choices.values('child').distinct().count()} детей",
                    started,
                )
        watched = create_watch(accounts[Role.GUARDIAN].user, timezone.now())
        if watched is not None:
            self.step(f"Демо-семья ждёт открытия записи на «{watched.program.title}»", started)
        kept = create_saved(accounts[Role.GUARDIAN].user, timezone.now())
        self.step(f"В избранном демо-семьи программ: {len(kept)}", started)
        followed = create_search_alerts(accounts[Role.GUARDIAN].user, timezone.now())
        self.step(f"Подписок семей на новые программы по поискам: {len(followed)}", started)
        registry = create_registry(
            rng, names, territory.places, today, accounts[Role.ORGANIZATION_OPERATOR].user, options["registry_share"]
        )
        self.step(
            f"Реестр: детей {registry.children}, зачислений {registry.enrollments}, "
            f"участий в открытых уроках {registry.career_visits}, целевых значений {create_targets(territory.region)}",
            started,
        )
        merged, queued = create_duplicates(rng, accounts[Role.ORGANIZATION_OPERATOR].user, DUPLICATES)
        self.step(f"Повторно внесённые дети: объединено {merged}, на проверке у оператора {queued}", started)
        finance = create_finance(rng, today, featured, {r: a.user for r, a in accounts.items()}, families.children)
        self.step(
            f"Финансирование: периодов {finance.periods}, исполнителей {finance.providers}, сертифицированных "
            f"программ {finance.certified}, сертификатов {sum(finance.certificates.values())}, "
            f"договоров {sum(finance.contracts.values())}, закрыто месяцев {finance.closed_months}",
            started,
        )
        holidays = create_holidays(today)
        journals = fill_journals(rng, featured, today)
        self.step(
            f"Журналы: групп {journals.groups}, занятий {journals.lessons}, отметок {journals.marks}; "
            f"нерабочих дней {holidays}",
            started,
        )
        refresh_program_groups()
        refresh_search_documents()
        words = rebuild_search_terms()
        bump_catalog_version()
        self.step(f"Поисковый индекс построен, слов в словаре: {words}", started)
        changed = propose_a_change(featured, accounts[Role.ORGANIZATION_OPERATOR].user)
        if changed is not None:
            self.step(f"Изменения программы «{changed.title}» ждут модератора", started)
        audit.record(
            None,
            "demo.loaded",
            territory.region,
            seed=options["seed"],
            municipalities=len(territory.places),
            organizations=size.organizations,
            programs=size.programs,
            groups=size.groups,
            children=len(families.children),
            date=date.isoformat(today),
        )
        return [(a.email, a.role, a.scope) for a in accounts.values()]

    def step(self, message: str, started: float) -> None:
        self.stdout.write(f"[{time.monotonic() - started:6.1f} с] {message}")
