"""Every household's grid so far, as one dated stay from the day it was registered; and beat
applies the area changes that have come due every hour (idempotent: an applied change is
not applied again)."""

from django.db import migrations

NAME = "Apply area changes that are due"
BATCH = 2000


def backfill(apps, schema_editor):
    Household = apps.get_model("grids", "Household")
    HouseholdGrid = apps.get_model("grids", "HouseholdGrid")
    rows = [
        HouseholdGrid(household_id=pk, grid_id=grid_id, since_on=created_on)
        for pk, grid_id, created_on in Household.objects.values_list("pk", "grid_id", "created_on")
    ]
    HouseholdGrid.objects.bulk_create(rows, batch_size=BATCH)


def schedule(apps, schema_editor):
    IntervalSchedule = apps.get_model("django_celery_beat", "IntervalSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    interval, _ = IntervalSchedule.objects.get_or_create(every=1, period="hours")
    PeriodicTask.objects.get_or_create(
        name=NAME, defaults={"task": "grids.tasks.apply_area_changes", "interval": interval}
    )


def unschedule(apps, schema_editor):
    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(name=NAME).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("grids", "0008_dated_map"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [
        migrations.RunPython(backfill, migrations.RunPython.noop),
        migrations.RunPython(schedule, unschedule),
    ]
