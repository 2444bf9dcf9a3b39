"""Program.offering_groups: current groups taking applications (not locked, the window not closed),
counted for the existing programs as catalog.services.refresh_program_groups counts them from now on."""

from django.db import migrations, models
from django.db.models import Count, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone


def count_offering_groups(apps, schema_editor):
    Program = apps.get_model("catalog", "Program")
    Group = apps.get_model("catalog", "Group")
    now = timezone.now()
    offering = (
        Group.objects.filter(
            program=OuterRef("pk"), is_active=True, is_locked=False, end_date__gte=timezone.localdate(now)
        )
        .filter(Q(enrollment_closes_at__isnull=True) | Q(enrollment_closes_at__gt=now))
        .order_by()
        .values("program")
        .annotate(n=Count("pk"))
        .values("n")
    )
    Program.objects.update(offering_groups=Coalesce(Subquery(offering), 0))


class Migration(migrations.Migration):
    dependencies = [
        ("catalog", "0013_program_closed_seats"),
    ]

    operations = [
        migrations.AddField(
            model_name="program",
            name="offering_groups",
            field=models.PositiveSmallIntegerField(
                default=0, editable=False, verbose_name="групп, принимающих заявки"
            ),
        ),
        migrations.RunPython(count_offering_groups, migrations.RunPython.noop, elidable=True),
    ]
