"""The working calendar: which days are worked, and working-time arithmetic on it.

A day is worked Monday to Friday, unless a CalendarDay says otherwise (a public holiday on a
weekday is a day off; a make-up Saturday or Sunday is a working day). The days come from the
`holidays` package for every year the calendar is asked about (see national_calendar.py) and
from a station's own CSV (manage.py load_holidays), which wins. On a worked day the
working hours are settings.WORKING_HOURS in local time (default 08:30-12:00 and 14:00-17:30).
"""

import datetime

from django.conf import settings
from django.db.models import CharField, DateField, IntegerField, Value
from django.utils import timezone

from .models import CalendarDay, CalendarYear
from .national_calendar import load_national_years

DEFAULT_HOURS = "08:30-12:00,14:00-17:30"
HORIZON_DAYS = 400  # how far ahead a deadline may fall


def working_periods():
    """[(start time, end time)] of a worked day."""
    spec = getattr(settings, "WORKING_HOURS", DEFAULT_HOURS)
    periods = []
    for part in spec.split(","):
        start, end = part.strip().split("-")
        periods.append(
            (datetime.time.fromisoformat(start.strip()), datetime.time.fromisoformat(end.strip()))
        )
    return periods


class Calendar:
    """Exceptions for a span of dates, loaded once (one query). A year of the span whose
    national calendar was never loaded is loaded from the `holidays` package first (a few
    more queries, once per year)."""

    def __init__(self, first, last):
        self.exceptions, loaded = _exceptions_and_loaded_years(first, last)
        missing = set(range(first.year, last.year + 1)) - loaded
        if missing:
            load_national_years(missing)
            self.exceptions, _ = _exceptions_and_loaded_years(first, last)
        self.periods = working_periods()
        self.zone = timezone.get_current_timezone()

    @classmethod
    def around(cls, moment, days=HORIZON_DAYS):
        day = timezone.localtime(moment).date()
        return cls(day - datetime.timedelta(days=7), day + datetime.timedelta(days=days))

    def is_working_day(self, day):
        kind = self.exceptions.get(day)
        if kind == CalendarDay.Kind.DAY_OFF:
            return False
        if kind == CalendarDay.Kind.WORKING_DAY:
            return True
        return day.weekday() < 5

    def periods_on(self, day):
        """The aware working periods of a local date (none on a day off)."""
        if not self.is_working_day(day):
            return []
        return [
            (
                datetime.datetime.combine(day, start, tzinfo=self.zone),
                datetime.datetime.combine(day, end, tzinfo=self.zone),
            )
            for start, end in self.periods
        ]

    def add(self, start, seconds):
        """The moment when `seconds` of working time have passed since `start`."""
        remaining = seconds
        day = timezone.localtime(start).date()
        for _ in range(HORIZON_DAYS * 2):
            for begin, end in self.periods_on(day):
                begin = max(begin, start)
                if begin > end:
                    continue
                available = (end - begin).total_seconds()
                if remaining <= available:
                    return begin + datetime.timedelta(seconds=remaining)
                remaining -= available
            day += datetime.timedelta(days=1)
        raise ValueError("The deadline falls beyond the working calendar's horizon.")

    def between(self, start, end):
        """Working seconds from `start` to `end`."""
        if end <= start:
            return 0
        total = 0.0
        day = timezone.localtime(start).date()
        last = timezone.localtime(end).date()
        while day <= last:
            for begin, finish in self.periods_on(day):
                lo, hi = max(begin, start), min(finish, end)
                if hi > lo:
                    total += (hi - lo).total_seconds()
            day += datetime.timedelta(days=1)
        return total


def _exceptions_and_loaded_years(first, last):
    """({date: kind} of the span, {years of the span already loaded from the package}), in
    one query: the days and the years' marks side by side."""
    days = (
        CalendarDay.objects.filter(day__range=(first, last))
        .order_by()
        .values_list("day", "kind", Value(None, output_field=IntegerField()))
    )
    years = (
        CalendarYear.objects.filter(year__range=(first.year, last.year))
        .order_by()
        .values_list(
            Value(None, output_field=DateField()), Value("", output_field=CharField()), "year"
        )
    )
    exceptions, loaded = {}, set()
    for day, kind, year in days.union(years, all=True):
        if year is None:
            exceptions[day] = kind
        else:
            loaded.add(year)
    return exceptions, loaded


def add_working_hours(start, hours):
    """The moment `hours` working hours after `start`. Runs one query (see Calendar)."""
    return Calendar.around(start).add(start, hours * 3600)


def working_seconds_between(start, end):
    """Working seconds between two moments. Runs one query (see Calendar)."""
    return Calendar(timezone.localtime(start).date(), timezone.localtime(end).date()).between(
        start, end
    )
