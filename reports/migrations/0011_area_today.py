"""Today's figures so far per area (AreaToday), counted every five minutes by beat."""

import django.db.models.deletion
from django.db import migrations, models

NAME = "Count today's figures so far"
TASK = "reports.tasks.count_today"


def schedule(apps, schema_editor):
    IntervalSchedule = apps.get_model("django_celery_beat", "IntervalSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    interval, _ = IntervalSchedule.objects.get_or_create(every=5, period="minutes")
    PeriodicTask.objects.get_or_create(name=NAME, defaults={"task": TASK, "interval": interval})


def unschedule(apps, schema_editor):
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    PeriodicTask.objects.filter(name=NAME).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("grids", "0016_grid_path_index"),
        ("reports", "0010_open_incidents_index"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [
        migrations.CreateModel(
            name="AreaToday",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("households", models.PositiveIntegerField(default=0, verbose_name="households")),
                ("residents", models.PositiveIntegerField(default=0, verbose_name="residents")),
                (
                    "floating",
                    models.PositiveIntegerField(default=0, verbose_name="floating residents"),
                ),
                ("rentals", models.PositiveIntegerField(default=0, verbose_name="rentals")),
                ("windows", models.PositiveIntegerField(default=0, verbose_name="patrol windows")),
                ("done", models.PositiveIntegerField(default=0, verbose_name="windows done")),
                ("short", models.PositiveIntegerField(default=0, verbose_name="windows short")),
                (
                    "returned",
                    models.PositiveIntegerField(default=0, verbose_name="windows returned"),
                ),
                ("missed", models.PositiveIntegerField(default=0, verbose_name="windows missed")),
                ("opened", models.PositiveIntegerField(default=0, verbose_name="incidents filed")),
                ("closed", models.PositiveIntegerField(default=0, verbose_name="incidents closed")),
                ("due", models.PositiveIntegerField(default=0, verbose_name="incidents due")),
                ("on_time", models.PositiveIntegerField(default=0, verbose_name="closed on time")),
                ("escalations", models.PositiveIntegerField(default=0, verbose_name="escalations")),
                ("rework", models.PositiveIntegerField(default=0, verbose_name="rework")),
                ("satisfied", models.PositiveIntegerField(default=0, verbose_name="satisfied")),
                ("rated", models.PositiveIntegerField(default=0, verbose_name="rated")),
                (
                    "from_patrol",
                    models.PositiveIntegerField(default=0, verbose_name="filed from patrols"),
                ),
                (
                    "from_desk",
                    models.PositiveIntegerField(default=0, verbose_name="filed at the desk"),
                ),
                (
                    "from_team",
                    models.PositiveIntegerField(default=0, verbose_name="filed by team members"),
                ),
                (
                    "from_resident",
                    models.PositiveIntegerField(default=0, verbose_name="filed by residents"),
                ),
                (
                    "resident_rated",
                    models.PositiveIntegerField(default=0, verbose_name="rated by residents"),
                ),
                (
                    "resident_satisfied",
                    models.PositiveIntegerField(default=0, verbose_name="residents satisfied"),
                ),
                (
                    "close_hours",
                    models.JSONField(blank=True, default=list, verbose_name="hours to close"),
                ),
                ("computed_at", models.DateTimeField(verbose_name="computed at")),
                ("day", models.DateField(verbose_name="day")),
                ("grids", models.PositiveIntegerField(verbose_name="grids")),
                (
                    "categories",
                    models.JSONField(default=dict, verbose_name="incidents filed by category"),
                ),
                (
                    "area",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="grids.area",
                        verbose_name="area",
                    ),
                ),
            ],
            options={
                "verbose_name": "figures of an area's day so far",
                "verbose_name_plural": "figures by area of today so far",
            },
        ),
        migrations.RunPython(schedule, unschedule),
    ]
