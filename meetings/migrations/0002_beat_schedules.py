"""Beat plans meetings every hour, sends reminders every five minutes and drafts the monthly
grid reports every hour (they appear just after midnight on the first). All three tasks are
idempotent, so running them often costs little and a missed tick is made up by the next."""

from django.db import migrations

SCHEDULES = [
    ("Plan meetings", "meetings.tasks.plan_meetings", 1, "hours"),
    ("Send meeting reminders", "meetings.tasks.send_reminders", 5, "minutes"),
    ("Draft monthly grid reports", "meetings.tasks.draft_grid_reports", 1, "hours"),
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
        ("meetings", "0001_initial"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(schedule, unschedule)]
