"""Beat runs the coverage check every ten minutes (DatabaseScheduler reads this row)."""

from django.db import migrations

TASK_NAME = "Record missed patrols"


def schedule_coverage_check(apps, schema_editor):
    IntervalSchedule = apps.get_model("django_celery_beat", "IntervalSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    every_ten_minutes, _ = IntervalSchedule.objects.get_or_create(every=10, period="minutes")
    PeriodicTask.objects.get_or_create(
        name=TASK_NAME,
        defaults={"task": "patrols.tasks.record_missed_patrols", "interval": every_ten_minutes},
    )


def unschedule_coverage_check(apps, schema_editor):
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    PeriodicTask.objects.filter(name=TASK_NAME).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("patrols", "0001_initial"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(schedule_coverage_check, unschedule_coverage_check)]
