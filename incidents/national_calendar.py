"""The national calendar from the `holidays` package: China's public holidays and make-up
working days for any year, loaded into the working calendar (CalendarDay) ahead of time by a
daily task and on demand by `Calendar` for a year it has not seen.

A year's package rows (is_local=False) are replaced whenever the year is loaded again, so a
newer package (which knows a schedule that was only estimated before) corrects them. A day a
station loaded from its own CSV (is_local=True) is never touched: it wins over the package.
"""

import datetime

import holidays
from django.db import transaction
from django.utils import timezone

from .models import CalendarDay, CalendarYear

NAME_LENGTH = CalendarDay._meta.get_field("name").max_length


def national_days(year):
    """{date: (kind, name)} for `year` as the package gives it: each day off that falls on a
    weekday (a weekend day off is off anyway) and each make-up weekend working day. No
    query."""
    # The next year too: a make-up Saturday at the end of December is announced with the
    # next year's holidays.
    package = holidays.China(years=(year, year + 1), language="zh_CN")
    days = {
        day: (CalendarDay.Kind.DAY_OFF, name[:NAME_LENGTH])
        for day, name in package.items()
        if day.year == year and day.weekday() < 5
    }
    for day in package.weekend_workdays:
        if day.year == year:
            days[day] = (CalendarDay.Kind.WORKING_DAY, "")
    return days


@transaction.atomic
def load_national_year(year):
    """Replace `year`'s package rows with what the package gives now, leaving every day that
    has a station's own row as it is, and mark the year loaded. Idempotent: loading a year
    twice leaves the same rows. Returns how many package rows it wrote.

    Runs four queries: the local days, the delete, the insert and the year's mark."""
    days = national_days(year)
    first, last = datetime.date(year, 1, 1), datetime.date(year, 12, 31)
    in_year = CalendarDay.objects.filter(day__range=(first, last))
    local = set(in_year.filter(is_local=True).values_list("day", flat=True))
    in_year.filter(is_local=False).delete()
    rows = [
        CalendarDay(day=day, kind=kind, name=name, is_local=False)
        for day, (kind, name) in sorted(days.items())
        if day not in local
    ]
    # A station's file loaded at the same moment wins: its row is kept, the package's skipped.
    CalendarDay.objects.bulk_create(rows, ignore_conflicts=True)
    CalendarYear.objects.bulk_create(
        [CalendarYear(year=year, loaded_at=timezone.now())],
        update_conflicts=True,
        unique_fields=["year"],
        update_fields=["loaded_at"],
    )
    return len(rows)


def load_national_years(years):
    """Load each of `years` (see `load_national_year`). Returns {year: package rows}."""
    return {year: load_national_year(year) for year in sorted(set(years))}
