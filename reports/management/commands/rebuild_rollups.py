"""Roll up the figures of a range of past days again, for every grid and every area above the
grids (reports.rollup)."""

import datetime

from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from reports.models import AreaDay, GridDay, GridDayCategory
from reports.rollup import rebuild


class Command(BaseCommand):
    help = "Roll up every grid's and area's figures of the past days from --start to --end again."

    def add_arguments(self, parser):
        parser.add_argument("--start", required=True, help="first day, YYYY-MM-DD")
        parser.add_argument("--end", required=True, help="last day, YYYY-MM-DD")

    def handle(self, *args, start, end, **options):
        try:
            first = datetime.date.fromisoformat(start)
            last = datetime.date.fromisoformat(end)
        except ValueError as exc:
            raise CommandError(f"Dates are YYYY-MM-DD: {exc}") from None
        if first > last:
            raise CommandError("--start is after --end.")
        days = rebuild(first, last)
        if connection.vendor == "postgresql":
            # Fresh statistics for the planner: a rebuild replaces many rows at once, and the
            # report's plans (which index, which join) depend on how many there are.
            tables = [model._meta.db_table for model in (GridDay, GridDayCategory, AreaDay)]
            with connection.cursor() as cursor:
                cursor.execute(f"ANALYZE {', '.join(map(connection.ops.quote_name, tables))}")
        self.stdout.write(f"Rolled up {days} days from {first} to {last} (today is never final).")
