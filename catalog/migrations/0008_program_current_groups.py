"""Program.current_groups: active groups not yet ended, counted for the existing programs as
catalog.services.refresh_program_groups counts them from now on."""

from django.db import migrations, models
from django.db.models import Count, OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone


def count_current_groups(apps, schema_editor):
    Program = apps.get_model("catalog", "Program")
    Group = apps.get_model("catalog", "Group")
    current = (
        Group.objects.filter(program=OuterRef("pk"), is_active=True, end_date__gte=timezone.localdate())
        .order_by()
        .values("program")
        .annotate(n=Count("pk"))
        .values("n")
    )
    Program.objects.update(current_groups=Coalesce(Subquery(current), 0))


class Migration(migrations.Migration):
    dependencies = [
        ("catalog", "0007_group_and_program_limits"),
    ]

    operations = [
        migrations.AddField(
            model_name="program",
            name="current_groups",
            field=models.PositiveSmallIntegerField(default=0, editable=False, verbose_name="действующих групп"),
        ),
        migrations.RunPython(count_current_groups, migrations.RunPython.noop, elidable=True),
    ]
