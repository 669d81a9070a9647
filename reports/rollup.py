"""The daily roll-up of the register: each grid's households, residents, floating residents
and rentals as of a past day, in PopulationDay, so reports read a few rows instead of
counting the whole register (reports.figures reads them).

A past day is final: stays and rentals are dated, so what held on a day does not change
later and a day is rolled up once. Counting is reports.figures.register_by_grid, the same
code that counts live, so the roll-up and a live count agree.

A day is rolled up for the grids that existed on it (Area.valid_from..valid_to): a retired
grid is not expected after its last day, nor a new grid before its first.
"""

import datetime

from django.db.models import Count
from django.utils import timezone

from grids.models import Area

from .figures import REGISTER, existed_on_day, register_by_grid
from .models import PopulationDay

BATCH = 2000
# Days counted in one pass over the register: at district scale (800 grids, 785,000 stays)
# one day takes 0.65 s alone, ten days 2.8 s together.
DAYS_PER_PASS = 10


def roll_up(day, grids=None):
    """Count the register of every grid (or of `grids`, a queryset of grid Areas) as of the
    local date `day` and save it, replacing that day's rows if any. Returns the number of
    rows saved. Runs 3 queries plus one INSERT per BATCH rows."""
    return roll_up_days([day], grids)


def roll_up_days(days, grids=None):
    """roll_up for several days in one pass over the register (cheaper per day than one
    pass each), each day for the grids that existed on it. Returns the number of rows saved.
    Runs 3 queries plus one INSERT per BATCH rows."""
    grids = Area.objects.grids() if grids is None else grids
    validity = list(grids.order_by("pk").values_list("pk", "valid_from", "valid_to"))
    ids = [pk for pk, _first, _last in validity]
    counts = register_by_grid(ids, days)
    computed_at = timezone.now()
    empty = dict.fromkeys(REGISTER, 0)
    rows = [
        PopulationDay(
            grid_id=grid_id, day=day, computed_at=computed_at, **counts.get((grid_id, day), empty)
        )
        for day in sorted(set(days))
        for grid_id, first, last in validity
        if (first is None or first <= day) and (last is None or day <= last)
    ]
    PopulationDay.objects.bulk_create(
        rows,
        batch_size=BATCH,
        update_conflicts=True,
        unique_fields=["grid", "day"],
        update_fields=[*REGISTER, "computed_at"],
    )
    return len(rows)


def missing_days(today=None, days=70):
    """The past days (yesterday and the `days` - 1 before it), oldest first, that the roll-up
    does not have for every grid that existed on the day. Runs 2 queries."""
    today = today or timezone.localdate()
    first = today - datetime.timedelta(days=days)
    validity = list(
        Area.objects.grids().existing_during(first, today).values_list("valid_from", "valid_to")
    )
    found = dict(
        PopulationDay.objects.filter(existed_on_day(), day__gte=first, day__lt=today)
        .values("day")
        .annotate(n=Count("pk"))
        .values_list("day", "n")
    )
    wanted = (first + datetime.timedelta(days=n) for n in range(days))
    return [day for day in wanted if found.get(day, 0) < _existing_on(validity, day)]


def _existing_on(validity, day):
    """How many of the (valid from, valid to) pairs include `day`."""
    return sum(
        1
        for first, last in validity
        if (first is None or first <= day) and (last is None or day <= last)
    )


def fill_missing(today=None, days=70, per_run=None):
    """Roll up the past days of the last `days` that are missing (at most `per_run` of
    them, oldest first). Idempotent: a day done is not done again. Returns the number of
    days rolled up."""
    missing = missing_days(today, days)
    if per_run is not None:
        missing = missing[:per_run]
    for n in range(0, len(missing), DAYS_PER_PASS):
        roll_up_days(missing[n : n + DAYS_PER_PASS])
    return len(missing)


def forget(grid_ids, since):
    """Drop the roll-up of these grids from `since` on: a register write dated in the past
    changed those days. Until the task rolls them up again, reports count them live.
    Returns the number of rows dropped."""
    deleted, _ = PopulationDay.objects.filter(grid_id__in=grid_ids, day__gte=since).delete()
    return deleted
