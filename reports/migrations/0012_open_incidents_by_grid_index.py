"""An index of the open incidents by grid, for the reports of a few grids (a grid's, a
community's; reports.figures, the states at a period's end): their grids' open incidents due
by the cut are found in it, instead of every open incident of the city due by then, read in
report_open_incidents and kept when in one of the grids (a grid's report read the 601 of the
district, 1.1 ms, to keep none). A district's report still reads report_open_incidents.
PostgreSQL only (a partial index); other databases go without."""

from django.db import migrations

from gridmgmt.migration_sql import postgresql_only

CREATE = """
CREATE INDEX IF NOT EXISTS report_open_incidents_grid ON incidents_incident (grid_id, deadline_at)
WHERE closed_at IS NULL
"""
DROP = "DROP INDEX IF EXISTS report_open_incidents_grid"


class Migration(migrations.Migration):
    dependencies = [
        ("incidents", "0017_closed_due_index"),
        ("reports", "0011_area_today"),
    ]

    operations = [postgresql_only(CREATE, DROP)]
