from collections import defaultdict

from django.conf import settings
from django.db import migrations, models

# The hours to close of the incidents closed on each rolled-up grid day, as
# reports.figures.close_hours_by_grid computes them: each in the grid it was in when closed,
# on the local date of the close, the same expression the percentiles order by.
FILL_GRID_DAYS = """
UPDATE reports_gridday g SET close_hours = x.hours
FROM (
    SELECT
        CASE WHEN moved_at IS NOT NULL AND closed_at < moved_at
            THEN moved_from_id ELSE grid_id END AS grid_id,
        (closed_at AT TIME ZONE %s)::date AS day,
        jsonb_agg((EXTRACT(EPOCH FROM (closed_at - filed_at)) / 3600.0)::double precision)
            AS hours
    FROM incidents_incident
    WHERE closed_at IS NOT NULL
    GROUP BY 1, 2
) x
WHERE g.grid_id = x.grid_id AND g.day = x.day
"""


def fill(apps, schema_editor):
    """Give the rows already rolled up their close_hours: computed on PostgreSQL, and summed
    into the areas' rows as reports.rollup.roll_up_areas does (the grids that existed on the
    day, each under every ancestor). On another database the rows are dropped: the hourly
    roll-up builds them again."""
    GridDay = apps.get_model("reports", "GridDay")
    GridDayCategory = apps.get_model("reports", "GridDayCategory")
    AreaDay = apps.get_model("reports", "AreaDay")
    Area = apps.get_model("grids", "Area")
    connection = schema_editor.connection
    if connection.vendor != "postgresql":
        AreaDay.objects.all().delete()
        GridDayCategory.objects.all().delete()
        GridDay.objects.all().delete()
        return
    with connection.cursor() as cursor:
        cursor.execute(FILL_GRID_DAYS, [settings.TIME_ZONE])
    grids = {
        pk: (path, first, last)
        for pk, path, first, last in Area.objects.filter(kind="grid").values_list(
            "pk", "path", "valid_from", "valid_to"
        )
    }
    summed = defaultdict(list)
    for grid_id, day, hours in GridDay.objects.exclude(close_hours=[]).values_list(
        "grid_id", "day", "close_hours"
    ):
        if grid_id not in grids:
            continue
        path, first, last = grids[grid_id]
        if (first is not None and day < first) or (last is not None and day > last):
            continue
        for ancestor in path.strip("/").split("/")[:-1]:
            summed[int(ancestor), day].extend(hours)
    changed = []
    for area in AreaDay.objects.filter(day__in={day for _area, day in summed}).only(
        "pk", "area_id", "day"
    ):
        hours = summed.get((area.area_id, area.day))
        if hours:
            area.close_hours = hours
            changed.append(area)
    AreaDay.objects.bulk_update(changed, ["close_hours"], batch_size=2000)


class Migration(migrations.Migration):
    dependencies = [
        ("grids", "0013_post_grid_worker_area_index"),
        ("incidents", "0016_escalated_at_index"),
        ("reports", "0008_area_day"),
    ]

    operations = [
        migrations.AddField(
            model_name="areaday",
            name="close_hours",
            field=models.JSONField(blank=True, default=list, verbose_name="hours to close"),
        ),
        migrations.AddField(
            model_name="gridday",
            name="close_hours",
            field=models.JSONField(blank=True, default=list, verbose_name="hours to close"),
        ),
        migrations.RunPython(fill, migrations.RunPython.noop),
    ]
