"""Program.closed_seats: free seats in current groups taking no applications (closed or locked),
counted for the existing programs as catalog.services.refresh_program_groups counts them from now on."""

from django.db import migrations, models
from django.db.models import F, OuterRef, Q, Subquery, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone


def count_closed_seats(apps, schema_editor):
    Program = apps.get_model("catalog", "Program")
    Group = apps.get_model("catalog", "Group")
    now = timezone.now()
    closed = (
        Group.objects.filter(program=OuterRef("pk"), is_active=True, end_date__gte=timezone.localdate(now))
        .filter(Q(is_locked=True) | Q(enrollment_closes_at__lte=now))
        .order_by()
        .values("program")
        .annotate(n=Sum(F("capacity") - F("seats_taken")))
        .values("n")
    )
    Program.objects.update(closed_seats=Coalesce(Subquery(closed), 0))


class Migration(migrations.Migration):
    dependencies = [
        ("catalog", "0012_admin_search_trigrams"),
    ]

    operations = [
        migrations.AddField(
            model_name="program",
            name="closed_seats",
            field=models.PositiveIntegerField(default=0, editable=False, verbose_name="свободных мест без приёма"),
        ),
        migrations.RunPython(count_closed_seats, migrations.RunPython.noop, elidable=True),
    ]
