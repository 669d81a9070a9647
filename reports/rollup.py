"""The daily roll-up: each grid's figures of each past day, in GridDay (and the incidents
filed per category in GridDayCategory), so reports over weeks and months read a few rows per
grid and day instead of counting every patrol log, missed window, incident and stay
(reports.figures reads them, with one GROUPING SETS statement).

What is rolled up is what adds up over days (reports.figures.ADDITIVE_NAMES and by_category:
the patrol windows of the day and what became of them, incidents filed, closed, due, on time,
escalated, reworked, rated), the register as of the day, and the hours to close of the
incidents closed that day (close_hours: a period's percentiles of the time to close are those
of its days' lists together, reports.figures.close_hours_by_grid). It is counted by the code that
counts live: reports.figures._compute with one period per day (each event counted for the
grid the item was in at the event) and register_by_grid. So a roll-up equals the live count
by construction.

A day is rolled up for the grids that existed on it (Area.valid_from..valid_to): a retired
grid is not expected after its last day, nor a new grid before its first.

Kept current: a write that changes a past day deletes the rows of the (grid, day)s it changed
in its own transaction: `forget` (a register write or a change to the map: every day from
its date on), `forget_days` (a late or reviewed patrol log, a missed window recorded late),
`forget_incident` (an incident reopened, its deadline moved); an administrator's edit or
deletion of a log, missed window or incident in the admin does the same
(reports.admin.ForgetsRolledUpDays). A missing row is what the
hourly task (reports.tasks.roll_up_population) fills; until then reports count that day live.
`python manage.py rebuild_rollups --start --end` rebuilds any range.

Above the grids, AreaDay holds each day's figures summed per area (community, street,
district): `roll_up_areas` builds a day's rows from the grids' rows once the grids' roll-up
has every grid of that day, so a district's report reads a row per street and day. The
forgetting above deletes every area's rows of the days it drops, and the task builds them
again after the grids' rows.
"""

import datetime
from collections import defaultdict

from django.db import DatabaseError, transaction
from django.db.models import Count, Q
from django.utils import timezone

from grids.models import Area

from .figures import (
    ADDITIVE,
    ADDITIVE_NAMES,
    REGISTER,
    _compute,
    _grid_rows,
    close_hours_by_grid,
    existed_on_day,
    register_by_grid,
)
from .models import AreaDay, AreaToday, GridDay, GridDayCategory

BATCH = 2000
# Days counted in one pass: at district scale (800 grids, 785,000 stays) the register of one
# day takes 0.65 s alone, ten days 2.8 s together.
DAYS_PER_PASS = 10
# How old today's counts (AreaToday) may be for a report to read them: three of beat's
# five-minute counts.
TODAY_FRESH = datetime.timedelta(minutes=15)


def roll_up(day, grids=None):
    """Count every figure of every grid (or of `grids`, a queryset of grid Areas) of the
    local date `day` and save it, replacing that day's rows if any. Returns the number of
    rows saved."""
    return roll_up_days([day], grids)


def roll_up_days(days, grids=None):
    """roll_up for several days in one pass (cheaper per day than one pass each), each day
    for the grids that existed on it, and drops the areas' rows of those days (roll_up_areas
    builds them again from these). Returns the number of GridDay rows saved. Runs about 13
    queries plus one INSERT per BATCH rows, whatever the number of days (up to a few dozen:
    each query has an aggregate per day), one of them the hours to close of the incidents
    closed on those days (close_hours)."""
    days = sorted(set(days))
    grids = Area.objects.grids() if grids is None else grids
    rows = _grid_rows(grids)
    ids = grids.values("pk")
    computed_at = timezone.now()
    figures = _compute(
        rows,
        {row.pk: row.pk for row in rows},
        [(day, day) for day in days],
        computed_at,
        register=False,
        parts=(ADDITIVE,),
        ids=ids,
    )
    register = register_by_grid(ids, days)
    hours = close_hours_by_grid({row.pk for row in rows}, ids, days)
    empty = dict.fromkeys(REGISTER, 0)
    saved, categories = [], []
    for n, day in enumerate(days):
        for row in rows:
            if not row.existed_during(day, day):
                continue
            counted = figures[row.pk][n]
            saved.append(
                GridDay(
                    grid_id=row.pk,
                    day=day,
                    computed_at=computed_at,
                    **register.get((row.pk, day), empty),
                    **{name: getattr(counted, name) for name in ADDITIVE_NAMES},
                    close_hours=hours.get((row.pk, day), []),
                )
            )
            for category_id, opened in counted.__dict__.get("opened_by_category_id", {}).items():
                categories.append(
                    GridDayCategory(grid_id=row.pk, day=day, category_id=category_id, opened=opened)
                )
    GridDay.objects.bulk_create(
        saved,
        batch_size=BATCH,
        update_conflicts=True,
        unique_fields=["grid", "day"],
        update_fields=[*REGISTER, *ADDITIVE_NAMES, "close_hours", "computed_at"],
    )
    GridDayCategory.objects.filter(grid_id__in=ids, day__in=days).delete()
    GridDayCategory.objects.bulk_create(categories, batch_size=BATCH)
    # The areas' sums of these days are to be built again from the rows just written.
    AreaDay.objects.filter(day__in=days).delete()
    return len(saved)


def missing_days(today=None, days=70):
    """The past days (yesterday and the `days` - 1 before it), oldest first, that the roll-up
    does not have for every grid that existed on the day. Runs 2 queries."""
    today = today or timezone.localdate()
    first = today - datetime.timedelta(days=days)
    validity = list(
        Area.objects.grids().existing_during(first, today).values_list("valid_from", "valid_to")
    )
    found = dict(
        GridDay.objects.filter(existed_on_day(), day__gte=first, day__lt=today)
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
    fill_missing_areas(today, days)
    return len(missing)


def fill_missing_areas(today=None, days=70):
    """Build the areas' rows (roll_up_areas) of the past days of the last `days` that the
    grids' roll-up has and the areas' does not. Returns the number of days built. Runs 2
    queries, and roll_up_areas' per DAYS_PER_PASS days to build."""
    today = today or timezone.localdate()
    first = today - datetime.timedelta(days=days)
    window = Q(day__gte=first, day__lt=today)
    rolled = set(GridDay.objects.filter(window).values_list("day", flat=True).distinct())
    built = set(AreaDay.objects.filter(window).values_list("day", flat=True).distinct())
    wanted = sorted(rolled - built)
    for n in range(0, len(wanted), DAYS_PER_PASS):
        roll_up_areas(wanted[n : n + DAYS_PER_PASS])
    return len(wanted)


def roll_up_areas(days):
    """Sum the grids' rows (GridDay, GridDayCategory) of each of the local dates `days` into a
    row per area above them (AreaDay: each ancestor on the grid's path), replacing the days'
    rows. A day is built only when the grids' roll-up has it for every grid that existed on
    it; the others are left without rows. Returns the number of AreaDay rows saved. Runs 6
    queries plus one INSERT per BATCH rows.

    The grids' rows are read locked (FOR NO KEY UPDATE) in the transaction that writes the
    areas' rows: a write that forgets one of them waits until these are saved, then deletes
    them with the grids' (forget, forget_days), so no area's row outlives a forgotten grid
    row. This never waits itself, so it cannot deadlock with such a write: a grid's row that
    a write is forgetting now is skipped (SKIP LOCKED: its day is incomplete, not built),
    and when a write holds an area's row of these days (NOWAIT) nothing is built; the next
    run builds what is missing."""
    days = sorted(set(days))
    if not days:
        return 0
    with transaction.atomic():
        try:
            with transaction.atomic():
                list(
                    AreaDay.objects.filter(day__in=days)
                    .select_for_update(nowait=True)
                    .values_list("pk", flat=True)
                )
        except DatabaseError:
            return 0
        grids = {
            pk: (path, valid_from, valid_to)
            for pk, path, valid_from, valid_to in Area.objects.grids().values_list(
                "pk", "path", "valid_from", "valid_to"
            )
        }
        rows = list(
            GridDay.objects.filter(day__in=days)
            .select_for_update(no_key=True, skip_locked=True)
            .values("grid_id", "day", "computed_at", "close_hours", *REGISTER, *ADDITIVE_NAMES)
        )
        categories = defaultdict(list)
        for grid_id, day, category_id, opened in GridDayCategory.objects.filter(
            day__in=days
        ).values_list("grid_id", "day", "category_id", "opened"):
            categories[grid_id, day].append((str(category_id), opened))

        def existed(grid_id, day):
            _path, first, last = grids[grid_id]
            return (first is None or first <= day) and (last is None or day <= last)

        expected = {day: sum(1 for pk in grids if existed(pk, day)) for day in days}
        found = defaultdict(list)
        for row in rows:
            if row["grid_id"] in grids and existed(row["grid_id"], row["day"]):
                found[row["day"]].append(row)
        names = (*REGISTER, *ADDITIVE_NAMES)
        saved = {}
        for day in days:
            if not expected[day] or len(found[day]) != expected[day]:
                continue
            for row in found[day]:
                path = grids[row["grid_id"]][0]
                for ancestor in path.strip("/").split("/")[:-1]:
                    area = saved.get((ancestor, day))
                    if area is None:
                        area = saved[ancestor, day] = AreaDay(
                            area_id=int(ancestor),
                            day=day,
                            grids=0,
                            computed_at=row["computed_at"],
                            categories={},
                            close_hours=[],
                        )
                    area.grids += 1
                    area.computed_at = min(area.computed_at, row["computed_at"])
                    for name in names:
                        setattr(area, name, getattr(area, name) + row[name])
                    area.close_hours.extend(row["close_hours"])
                    for category_id, opened in categories[row["grid_id"], day]:
                        area.categories[category_id] = area.categories.get(category_id, 0) + opened
        AreaDay.objects.filter(day__in=days).delete()
        # A concurrent run that found no row to lock may have written the same rows first.
        AreaDay.objects.bulk_create(saved.values(), batch_size=BATCH, ignore_conflicts=True)
    return len(saved)


def forget(grid_ids, since):
    """Drop the roll-up of these grids from `since` on: a write dated in the past (to the
    register, or a change to the map) changed those days. Until the task rolls them up
    again, reports count them live. Returns the number of GridDay rows dropped. Runs 2
    queries."""
    GridDayCategory.objects.filter(grid_id__in=grid_ids, day__gte=since).delete()
    deleted, _ = GridDay.objects.filter(grid_id__in=grid_ids, day__gte=since).delete()
    if deleted:
        AreaDay.objects.filter(day__gte=since).delete()
    return deleted


def forget_days(grid_days, today=None):
    """Drop the roll-up of these (grid id, local date) pairs, those in the past: a write
    changed what happened on them (a late patrol log, a missed window recorded after the
    day). Runs 2 queries, none when no pair is in the past."""
    today = today or timezone.localdate()
    past = sorted({(grid_id, day) for grid_id, day in grid_days if grid_id and day < today})
    if not past:
        return 0
    by_day = {}
    for grid_id, day in past:
        by_day.setdefault(day, []).append(grid_id)
    condition = Q(pk__in=[])
    for day, grid_ids in by_day.items():
        condition |= Q(day=day, grid_id__in=grid_ids)
    GridDayCategory.objects.filter(condition).delete()
    deleted, _ = GridDay.objects.filter(condition).delete()
    if deleted:
        AreaDay.objects.filter(day__in=by_day).delete()
    return deleted


def forget_incident(incident):
    """Drop the roll-up of the past days of the incident's events (filed, due, escalated,
    closed), each in the grid it was in at the event: call it with the incident as it was
    before a write that changes one of them (reopening, moving the deadline, escalating
    again), and as it is after. Runs 2 queries, none when no event is on a past day."""
    return forget_incidents([incident])


EVENTS = ("filed_at", "deadline_at", "escalated_at", "closed_at")


def forget_incidents(incidents, events=EVENTS):
    """forget_incident for several incidents at once, for the days of the `events` given
    (fields of Incident). Runs 2 queries, or none."""
    return forget_days(incident_days(incidents, events))


def incident_days(incidents, events=EVENTS):
    """[(grid id, local date)] of the incidents' `events`, each in the grid the incident was
    in at the event. Runs no queries."""
    pairs = []
    for incident in incidents:
        for event in events:
            moment = getattr(incident, event)
            if moment is None:
                continue
            moved = incident.moved_at is not None and moment < incident.moved_at
            grid_id = incident.moved_from_id if moved else incident.grid_id
            pairs.append((grid_id, timezone.localdate(moment)))
    return pairs


def rebuild(start, end, grids=None):
    """Roll up every day of [start, end] before today again (DAYS_PER_PASS at a time).
    Returns the number of days rolled up."""
    last = min(end, timezone.localdate() - datetime.timedelta(days=1))
    days = [start + datetime.timedelta(days=n) for n in range((last - start).days + 1)]
    for n in range(0, len(days), DAYS_PER_PASS):
        roll_up_days(days[n : n + DAYS_PER_PASS], grids)
        roll_up_areas(days[n : n + DAYS_PER_PASS])
    return len(days)


def count_today(now=None):
    """Count today's figures so far (up to `now`) for every grid existing today, as roll_up
    counts a past day, and save their sums per area above the grids (AreaToday), replacing
    the rows of the count before. The register as of today is yesterday's roll-up plus
    today's changes (reports.register_day) when the roll-up has yesterday for every grid,
    else counted live. Returns the number of AreaToday rows saved. Runs about 16 queries."""
    from .register_day import register_changes

    now = now or timezone.now()
    today = timezone.localdate(now)
    yesterday = today - datetime.timedelta(days=1)
    grids = Area.objects.grids().existing_during(today, today)
    rows = _grid_rows(grids)
    ids = grids.values("pk")
    figures = _compute(
        rows,
        {row.pk: row.pk for row in rows},
        [(today, today)],
        now,
        register=False,
        parts=(ADDITIVE,),
        ids=ids,
    )
    hours = close_hours_by_grid({row.pk for row in rows}, ids, [today])
    base = {
        grid_id: dict(zip(REGISTER, numbers, strict=True))
        for grid_id, *numbers in GridDay.objects.filter(grid_id__in=ids, day=yesterday)
        .filter(existed_on_day())
        .values_list("grid_id", *REGISTER)
    }
    if len(base) == len(rows):
        register = base
        for grid_id, change in register_changes(ids, today).items():
            if grid_id in register:
                for name in REGISTER:
                    register[grid_id][name] += change[name]
    else:
        register = {grid_id: row for (grid_id, _day), row in register_by_grid(ids, [today]).items()}
    empty = dict.fromkeys(REGISTER, 0)
    saved = {}
    for row in rows:
        counted = figures[row.pk][0]
        numbers = {
            **register.get(row.pk, empty),
            **{name: getattr(counted, name) for name in ADDITIVE_NAMES},
        }
        by_category = counted.__dict__.get("opened_by_category_id", {})
        for ancestor in row.path.strip("/").split("/")[:-1]:
            area = saved.get(ancestor)
            if area is None:
                area = saved[ancestor] = AreaToday(
                    area_id=int(ancestor),
                    day=today,
                    grids=0,
                    computed_at=now,
                    categories={},
                    close_hours=[],
                )
            area.grids += 1
            for name, value in numbers.items():
                setattr(area, name, getattr(area, name) + value)
            area.close_hours.extend(hours.get((row.pk, today), []))
            for category_id, opened in by_category.items():
                key = str(category_id)
                area.categories[key] = area.categories.get(key, 0) + opened
    with transaction.atomic():
        AreaToday.objects.exclude(area_id__in=[area.area_id for area in saved.values()]).delete()
        AreaToday.objects.bulk_create(
            saved.values(),
            batch_size=BATCH,
            update_conflicts=True,
            unique_fields=["area"],
            update_fields=[
                "day",
                "grids",
                "computed_at",
                "categories",
                "close_hours",
                *REGISTER,
                *ADDITIVE_NAMES,
            ],
        )
    return len(saved)
