"""When a program was sent to moderation (the queue is served by it), and the new revision of a
published program that waits for the moderator while families keep seeing the approved one."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models
from django.db.models.functions import Cast, Coalesce


def fill_submitted_at(apps, schema_editor):
    """Programs on moderation now: the time of their last «submit» in the audit log, or, without
    one (loaded data), their last change — what the queue showed until now."""
    Program = apps.get_model("catalog", "Program")
    AuditEvent = apps.get_model("core", "AuditEvent")
    submits = (
        AuditEvent.objects.filter(
            object_type="catalog.program",
            object_id=Cast(models.OuterRef("pk"), models.CharField()),
            action="program.submit",
        )
        .order_by("-created_at")
        .values("created_at")[:1]
    )
    Program.objects.filter(status="moderating").update(
        submitted_at=Coalesce(models.Subquery(submits), models.F("updated_at"))
    )


class Migration(migrations.Migration):
    dependencies = [
        ("catalog", "0005_search_postings"),
        ("core", "0001_initial"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name="program",
            name="submitted_at",
            field=models.DateTimeField(blank=True, editable=False, null=True, verbose_name="отправлена на модерацию"),
        ),
        migrations.RunPython(fill_submitted_at, migrations.RunPython.noop, elidable=True),
        migrations.CreateModel(
            name="ProgramRevision",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                (
                    "status",
                    models.CharField(
                        choices=[("draft", "Черновик"), ("moderating", "На модерации"), ("needs_changes", "Ожидает правки")],
                        default="moderating",
                        max_length=16,
                        verbose_name="статус",
                    ),
                ),
                ("values", models.JSONField(default=dict, verbose_name="новые значения")),
                ("remark", models.TextField(blank=True, verbose_name="замечание модератора")),
                ("submitted_at", models.DateTimeField(blank=True, null=True, verbose_name="отправлена на модерацию")),
                ("created_at", models.DateTimeField(auto_now_add=True, verbose_name="создана")),
                ("updated_at", models.DateTimeField(auto_now=True, verbose_name="изменена")),
                (
                    "author",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                        verbose_name="автор",
                    ),
                ),
                (
                    "program",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="revision",
                        to="catalog.program",
                        verbose_name="программа",
                    ),
                ),
            ],
            options={
                "verbose_name": "новая редакция программы",
                "verbose_name_plural": "новые редакции программ",
                "ordering": ["submitted_at", "pk"],
                "indexes": [models.Index(fields=["status", "submitted_at"], name="program_revision_queue")],
                "constraints": [
                    models.CheckConstraint(
                        condition=models.Q(("status__in", ["draft", "moderating", "needs_changes"])),
                        name="program_revision_status",
                        violation_error_message="Новая редакция бывает черновиком, на модерации или ожидает правки.",
                    )
                ],
            },
        ),
    ]
