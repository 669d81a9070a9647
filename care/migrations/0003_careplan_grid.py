"""The care plan keeps its resident's household's grid (CarePlan.grid), so that the visits
due of a station or a grid are read from the plans' index (care_plan_grid_due) instead of
through every resident and household of the grids. Added empty, filled from the register
here, then required (0004: a separate migration, so that the filled rows' deferred
foreign-key checks have run before the column is altered)."""

import django.db.models.deletion
from django.db import migrations, models
from django.db.models import OuterRef, Subquery


def fill_grid(apps, schema_editor):
    CarePlan = apps.get_model("care", "CarePlan")
    Resident = apps.get_model("grids", "Resident")
    CarePlan.objects.update(
        grid_id=Subquery(
            Resident.objects.filter(pk=OuterRef("resident_id")).values("household__grid_id")[:1]
        )
    )


class Migration(migrations.Migration):
    dependencies = [
        ("care", "0002_usual_tags_and_rules"),
        ("grids", "0014_resident_current_index"),
    ]

    operations = [
        migrations.AddField(
            model_name="careplan",
            name="grid",
            field=models.ForeignKey(
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="grids.area",
                verbose_name="grid",
            ),
        ),
        migrations.RunPython(fill_grid, migrations.RunPython.noop, elidable=True),
    ]
