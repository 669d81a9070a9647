"""An index of the open incidents for the reports' count of those overdue and still open
(reports.figures, the home pages' states): every column the count reads is in it, so
PostgreSQL reads it alone (an index-only scan of the open incidents due by the cut) instead
of visiting each open incident's row, spread over most of the table's pages. PostgreSQL only
(a partial index with included columns); other databases go without."""

from django.db import migrations

from gridmgmt.migration_sql import postgresql_only

CREATE = """
CREATE INDEX IF NOT EXISTS report_open_incidents ON incidents_incident (deadline_at)
INCLUDE (id, grid_id, moved_from_id, moved_at, filed_at, status, closed_at)
WHERE closed_at IS NULL
"""
DROP = "DROP INDEX IF EXISTS report_open_incidents"


class Migration(migrations.Migration):
    dependencies = [
        ("incidents", "0016_escalated_at_index"),
        ("reports", "0009_close_hours"),
    ]

    operations = [postgresql_only(CREATE, DROP)]
