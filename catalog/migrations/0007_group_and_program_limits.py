"""Realistic maximums of programs, groups and financing (hours, months, seats, price), a paid
program or source that costs more than nothing, a free source without a cost, and groups for
children up to 18 — as field validators with Russian messages and as check constraints."""

from decimal import Decimal

import django.core.validators
from django.db import migrations, models


def bring_rows_within_limits(apps, schema_editor):
    """Rows saved before the limits are brought within them, so that the constraints can be added:
    a free source had no cost to pay (a number typed there is dropped); a value over a maximum could
    not have been meant (100 000 seats, 99 999 999 999 hours) and becomes the maximum; a group's
    yearly hours of 0 are unknown; a paid or certificate source at 0 ₽ takes its program's price, or
    is dropped when the program has none (it priced nothing)."""
    Program = apps.get_model("catalog", "Program")
    Group = apps.get_model("catalog", "Group")
    GroupFinancing = apps.get_model("catalog", "GroupFinancing")
    GroupFinancing.objects.filter(source="budget").exclude(cost_per_month=0).update(cost_per_month=0)
    GroupFinancing.objects.filter(cost_per_month__gt=PRICE_MAX).update(cost_per_month=PRICE_MAX)
    unpriced = GroupFinancing.objects.exclude(source="budget").filter(cost_per_month__lte=0)
    for financing in unpriced.select_related("group__program"):
        price = financing.group.program.price_per_month
        if price and 0 < price <= PRICE_MAX:
            financing.cost_per_month = price
            financing.save(update_fields=["cost_per_month"])
        else:
            financing.delete()
    Group.objects.filter(capacity__gt=500).update(capacity=500)
    Group.objects.filter(hours_per_year=0).update(hours_per_year=None)
    Group.objects.filter(hours_per_year__gt=2000).update(hours_per_year=2000)
    Group.objects.filter(age_from__gt=18).update(age_from=18)
    Group.objects.filter(age_to__gt=18).update(age_to=18)
    Program.objects.filter(price_per_month__gt=PRICE_MAX).update(price_per_month=PRICE_MAX)
    Program.objects.filter(hours_total__gt=10000).update(hours_total=10000)
    Program.objects.filter(duration_months__gt=120).update(duration_months=120)


PRICE_MAX = Decimal("1000000")
PRICE_LIMIT = "Стоимость — не больше 1\xa0000\xa0000\xa0₽ в месяц."


class Migration(migrations.Migration):
    dependencies = [
        ("catalog", "0006_program_submitted_at_revision"),
    ]

    operations = [
        migrations.RemoveConstraint(
            model_name="program",
            name="program_paid_has_price",
        ),
        migrations.AlterField(
            model_name="group",
            name="capacity",
            field=models.PositiveSmallIntegerField(
                validators=[django.core.validators.MaxValueValidator(500, "В группе — не больше 500 мест.")],
                verbose_name="мест в группе",
            ),
        ),
        migrations.AlterField(
            model_name="group",
            name="hours_per_year",
            field=models.PositiveIntegerField(
                blank=True,
                null=True,
                validators=[
                    django.core.validators.MinValueValidator(1, "Часов в год должно быть больше нуля."),
                    django.core.validators.MaxValueValidator(2000, "Часов в год — не больше 2\xa0000."),
                ],
                verbose_name="часов в год",
            ),
        ),
        migrations.AlterField(
            model_name="groupfinancing",
            name="cost_per_month",
            field=models.DecimalField(
                decimal_places=2,
                default=Decimal("0"),
                max_digits=10,
                validators=[
                    django.core.validators.MinValueValidator(Decimal("0")),
                    django.core.validators.MaxValueValidator(Decimal("1000000"), PRICE_LIMIT),
                ],
                verbose_name="стоимость в месяц, ₽",
            ),
        ),
        migrations.AlterField(
            model_name="program",
            name="duration_months",
            field=models.PositiveSmallIntegerField(
                validators=[
                    django.core.validators.MaxValueValidator(120, "Срок освоения — не больше 120 месяцев (10 лет).")
                ],
                verbose_name="срок освоения, месяцев",
            ),
        ),
        migrations.AlterField(
            model_name="program",
            name="hours_total",
            field=models.PositiveIntegerField(
                validators=[
                    django.core.validators.MaxValueValidator(10000, "Объём программы — не больше 10\xa0000 часов.")
                ],
                verbose_name="объём, академических часов",
            ),
        ),
        migrations.AlterField(
            model_name="program",
            name="price_per_month",
            field=models.DecimalField(
                blank=True,
                decimal_places=2,
                max_digits=10,
                null=True,
                validators=[
                    django.core.validators.MinValueValidator(Decimal("0")),
                    django.core.validators.MaxValueValidator(Decimal("1000000"), PRICE_LIMIT),
                ],
                verbose_name="стоимость в месяц, ₽",
            ),
        ),
        migrations.RunPython(bring_rows_within_limits, migrations.RunPython.noop, elidable=True),
        migrations.AddConstraint(
            model_name="group",
            constraint=models.CheckConstraint(
                condition=models.Q(("capacity__lte", 500)),
                name="group_capacity_limit",
                violation_error_message="В группе — не больше 500 мест.",
            ),
        ),
        migrations.AddConstraint(
            model_name="group",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    ("hours_per_year__isnull", True),
                    models.Q(("hours_per_year__gt", 0), ("hours_per_year__lte", 2000)),
                    _connector="OR",
                ),
                name="group_hours_per_year_range",
                violation_error_message="Часов в год — от 1 до 2\xa0000.",
            ),
        ),
        migrations.AddConstraint(
            model_name="group",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    models.Q(("age_from__isnull", True), ("age_from__lte", 18), _connector="OR"),
                    models.Q(("age_to__isnull", True), ("age_to__lte", 18), _connector="OR"),
                ),
                name="group_age_of_a_child",
                violation_error_message="Возраст — не больше 18 лет.",
            ),
        ),
        migrations.AddConstraint(
            model_name="groupfinancing",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    models.Q(("cost_per_month", 0), ("source", "budget")),
                    models.Q(models.Q(("source", "budget"), _negated=True), ("cost_per_month__gt", 0)),
                    _connector="OR",
                ),
                name="group_financing_cost_by_source",
                violation_error_message="Бесплатный источник — без стоимости, платный — со стоимостью больше нуля.",
            ),
        ),
        migrations.AddConstraint(
            model_name="groupfinancing",
            constraint=models.CheckConstraint(
                condition=models.Q(("cost_per_month__lte", Decimal("1000000"))),
                name="group_financing_cost_limit",
                violation_error_message=PRICE_LIMIT,
            ),
        ),
        migrations.AddConstraint(
            model_name="program",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    ("is_paid", False),
                    models.Q(("price_per_month__gt", 0), ("price_per_month__isnull", False)),
                    _connector="OR",
                ),
                name="program_paid_has_price",
                violation_error_message="Для платной программы укажите стоимость в месяц больше нуля.",
            ),
        ),
        migrations.AddConstraint(
            model_name="program",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    ("price_per_month__isnull", True), ("price_per_month__lte", Decimal("1000000")), _connector="OR"
                ),
                name="program_price_limit",
                violation_error_message=PRICE_LIMIT,
            ),
        ),
        migrations.AddConstraint(
            model_name="program",
            constraint=models.CheckConstraint(
                condition=models.Q(("hours_total__lte", 10000)),
                name="program_hours_limit",
                violation_error_message="Объём программы — не больше 10\xa0000 часов.",
            ),
        ),
        migrations.AddConstraint(
            model_name="program",
            constraint=models.CheckConstraint(
                condition=models.Q(("duration_months__lte", 120)),
                name="program_months_limit",
                violation_error_message="Срок освоения — не больше 120 месяцев (10 лет).",
            ),
        ),
    ]
