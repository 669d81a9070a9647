"""Every care plan has its grid (filled by 0003), and the plans are indexed by grid and
next visit: the visits due of a station read its grids' plans from the index."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("care", "0003_careplan_grid")]

    operations = [
        migrations.AlterField(
            model_name="careplan",
            name="grid",
            field=models.ForeignKey(
                db_index=False,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="grids.area",
                verbose_name="grid",
            ),
        ),
        migrations.AddIndex(
            model_name="careplan",
            index=models.Index(fields=["grid", "next_due_on"], name="care_plan_grid_due"),
        ),
    ]
