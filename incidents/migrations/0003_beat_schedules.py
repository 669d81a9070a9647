"""Beat sweeps the time limits every five minutes and tells B holders of an absent A's open
incidents every hour (DatabaseScheduler reads these rows). Both tasks are idempotent, so the
hourly run only matters on the first hour of an absence."""

from django.db import migrations

SCHEDULES = [
    ("Sweep incident time limits", "incidents.tasks.sweep_time_limits", 5, "minutes"),
    ("Tell acting holders", "incidents.tasks.tell_acting_holders", 1, "hours"),
]


def schedule(apps, schema_editor):
    IntervalSchedule = apps.get_model("django_celery_beat", "IntervalSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    for name, task, every, period in SCHEDULES:
        interval, _ = IntervalSchedule.objects.get_or_create(every=every, period=period)
        PeriodicTask.objects.get_or_create(name=name, defaults={"task": task, "interval": interval})


def unschedule(apps, schema_editor):
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    PeriodicTask.objects.filter(name__in=[name for name, *_ in SCHEDULES]).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("incidents", "0002_defaults"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(schedule, unschedule)]
