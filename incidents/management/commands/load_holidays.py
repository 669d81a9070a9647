"""Load a year's public-holiday schedule into the working calendar.

    manage.py load_holidays incidents/data/cn-public-holidays-2026.csv

The file has the columns date,kind,holiday,holiday_zh,weekday (as published each November):
`day_off` for each day of a holiday span, `working_day` for each make-up weekend day. Every
row is checked before anything is saved; a bad row stops the load and names its row and
column. Dates already in the calendar are updated, so loading a file twice is harmless.

The file is the station's own decision: its days are marked local, win over the national
calendar from the `holidays` package for those dates, and are kept when that loads again.
"""

import csv
import datetime

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from incidents.models import CalendarDay

REQUIRED_COLUMNS = ("date", "kind")
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
NAME_LENGTH = CalendarDay._meta.get_field("name").max_length


def read_calendar_file(path):
    """The file's days as unsaved CalendarDay objects, or CommandError for the first bad row.

    Rows are numbered as in a spreadsheet: the header is row 1, the first day row 2.
    """
    try:
        with open(path, encoding="utf-8-sig", newline="") as file:
            reader = csv.DictReader(file)
            missing = [c for c in REQUIRED_COLUMNS if c not in (reader.fieldnames or [])]
            if missing:
                raise CommandError(f"{path}: the header lacks the column(s) {', '.join(missing)}.")
            days = {}
            for row_number, row in enumerate(reader, start=2):
                day = _parse_row(row, row_number)
                if day.day in days:
                    raise CommandError(
                        f"Row {row_number}, column 'date': {day.day} is listed twice "
                        f"(first in row {days[day.day][0]})."
                    )
                days[day.day] = (row_number, day)
    except OSError as exc:
        raise CommandError(f"Cannot read {path}: {exc}") from exc
    except (UnicodeDecodeError, csv.Error) as exc:
        raise CommandError(f"{path} is not a UTF-8 CSV file: {exc}") from exc
    return [day for _, day in days.values()]


def _parse_row(row, row_number):
    def bad(column, problem):
        return CommandError(f"Row {row_number}, column '{column}': {problem}")

    raw_date = (row.get("date") or "").strip()
    try:
        day = datetime.date.fromisoformat(raw_date)
    except ValueError:
        raise bad("date", f"{raw_date!r} is not a date like 2026-10-01.") from None
    kind = (row.get("kind") or "").strip()
    if kind not in CalendarDay.Kind.values:
        raise bad("kind", f"{kind!r} is neither {' nor '.join(CalendarDay.Kind.values)}.")
    weekday = (row.get("weekday") or "").strip().lower()[:3]
    if weekday and weekday != WEEKDAYS[day.weekday()]:
        # The weekday is there so a typo in the date shows up.
        raise bad("weekday", f"{day} is a {WEEKDAYS[day.weekday()].title()}, not {weekday!r}.")
    name = (row.get("holiday_zh") or "").strip() or (row.get("holiday") or "").strip()
    return CalendarDay(day=day, kind=kind, name=name[:NAME_LENGTH], is_local=True)


class Command(BaseCommand):
    help = "Load public holidays and make-up working days from a CSV file into the calendar."

    def add_arguments(self, parser):
        parser.add_argument("file", help="CSV with the columns date,kind,holiday,holiday_zh")

    def handle(self, *args, file, **options):
        days = read_calendar_file(file)
        with transaction.atomic():
            CalendarDay.objects.bulk_create(
                days,
                update_conflicts=True,
                unique_fields=["day"],
                update_fields=["kind", "name", "is_local"],
            )
        off = sum(1 for d in days if d.kind == CalendarDay.Kind.DAY_OFF)
        self.stdout.write(
            self.style.SUCCESS(
                f"Loaded {off} days off and {len(days) - off} working days from {file}."
            )
        )
