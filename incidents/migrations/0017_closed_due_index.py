"""The closing time's index takes the deadline beside it: the reports' incidents due by a
period's end and closed after it are found in the index, not among every incident closed
since (reports.figures, the states at the period's end). Made before the old one is dropped."""

from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("grids", "0016_grid_path_index"),
        ("incidents", "0016_escalated_at_index"),
        ("patrols", "0008_complete_windows"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddIndex(
            model_name="incident",
            index=models.Index(fields=["closed_at", "deadline_at"], name="incident_closed_due"),
        ),
        migrations.RemoveIndex(
            model_name="incident",
            name="incident_closed_at",
        ),
    ]
