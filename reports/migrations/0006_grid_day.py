import django.db.models.deletion
from django.db import migrations, models

COUNTS = [
    ("windows", "patrol windows"),
    ("done", "windows done"),
    ("short", "windows short"),
    ("returned", "windows returned"),
    ("missed", "windows missed"),
    ("opened", "incidents filed"),
    ("closed", "incidents closed"),
    ("due", "incidents due"),
    ("on_time", "closed on time"),
    ("escalations", "escalations"),
    ("rework", "rework"),
    ("satisfied", "satisfied"),
    ("rated", "rated"),
]


class Migration(migrations.Migration):
    """The register's daily roll-up (PopulationDay) becomes every additive figure of a grid's
    day (GridDay), with the incidents filed per category beside it. The rows rolled up so far
    hold no patrol or incident counts: they are dropped, and the task rolls the days up
    again."""

    dependencies = [
        ("reports", "0005_closure_help"),
        ("incidents", "0001_initial"),
        ("grids", "0001_initial"),
    ]

    operations = [
        migrations.RunSQL("DELETE FROM reports_populationday", migrations.RunSQL.noop),
        migrations.RenameModel("PopulationDay", "GridDay"),
        migrations.RemoveConstraint("gridday", "population_day_grid_day"),
        migrations.AddConstraint(
            "gridday",
            models.UniqueConstraint(fields=["grid", "day"], name="grid_day_grid_day"),
        ),
        migrations.RenameIndex("gridday", new_name="grid_day_day", old_name="population_day_day"),
        migrations.AlterModelOptions(
            "gridday",
            {"verbose_name": "figures of a day", "verbose_name_plural": "figures by day"},
        ),
        *[
            migrations.AddField(
                "gridday", name, models.PositiveIntegerField(default=0, verbose_name=label)
            )
            for name, label in COUNTS
        ],
        migrations.CreateModel(
            name="GridDayCategory",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("day", models.DateField(verbose_name="day")),
                ("opened", models.PositiveIntegerField(default=0, verbose_name="incidents filed")),
                (
                    "category",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="incidents.category",
                        verbose_name="category",
                    ),
                ),
                (
                    "grid",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="grids.area",
                        verbose_name="grid",
                    ),
                ),
            ],
            options={
                "verbose_name": "incidents of a day by category",
                "verbose_name_plural": "incidents by day and category",
                "indexes": [models.Index(fields=["day"], name="grid_day_category_day")],
                "constraints": [
                    models.UniqueConstraint(
                        fields=("grid", "day", "category"), name="grid_day_category_unique"
                    )
                ],
            },
        ),
    ]
