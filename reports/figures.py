"""Every figure the reports and dashboards show, computed in the database.

Plain functions: give them grids (a queryset of grid Areas) and a period of local dates
[start, end], get `Figures` back. Each call runs a fixed number of queries whatever the
number of grids or rows: everything that adds up is counted per grid in the database
(GROUP BY grid, conditional counts), and the per-grid rows are added up per group; what
does not add up (distinct grid workers, percentiles of the time to close) is computed per
group in the database (a CASE over the grid ids gives each row its group).

A day's bounds are local midnight to midnight (settings.TIME_ZONE). Patrol windows count
once they have closed (window end plus the community's grace), so a report on the current
month does not count today's or tomorrow's windows as missed.

The map changes (grids split, merge, retire), and a past figure stays what it was: a grid
counts only on the days it existed (Area.valid_from..valid_to), its windows, logs and missed
windows too; a rental counts in the grid its household was in that day (HouseholdGrid), a
resident in the grid of their stay that day (Membership); an incident or instruction that a
change to the map moved to its grid `moved_from` another at `moved_at` counts each of its
events (filed, deadline, escalated, closed, open or overdue at the period's end) for the grid
it was in at the time of the event; grid workers are the holders of the posts open on the
period's last day.

The register (households, residents, floating residents, rentals) as of a past day is read
from the daily roll-up (`reports.rollup`, table GridDay) when it has that day for every grid
asked for; otherwise it is counted live from the dated stays, as the roll-up itself is.
`Figures.population_as_of` says which.

The report (`report_figures`: the children, the headline and the trend of an area at once)
reads the daily roll-up for everything that adds up over days (ADDITIVE_NAMES and
by_category: the roll-up keeps them per grid and day, counted by _compute itself with one
period per day, so they equal the live count by construction). When the children are areas
(a street's communities, a district's streets), the areas' roll-up (AreaDay: the grids' rows
of a day summed per area) gives a row per child and day for the days on which it holds every
grid counted under each child; the other days come from the grids' roll-up, where one
statement per table sums them by child area and by week or month (GROUP BY GROUPING SETS on
PostgreSQL, plain GROUP BY queries on SQLite); today comes from today's counts so far per
area (AreaToday, counted every five minutes) while they are fresh; the days the roll-ups
lack for some grid (today without fresh counts, a day a back-dated write made the roll-up
forget) are counted live and added. The rest does
not add up over days (incidents due and closed by the period's end, overdue at its end,
overdue instructions, percentiles of the time to close, grid workers, the status now of
those filed, the register as of a day) and is counted per child from the rows of the period,
bounded by its dates; but the percentiles of the time to close take the hours of the
incidents closed on the rolled-up days from the roll-ups (close_hours, per grid or area and
day) and read only those closed on the other days. The total is the children's sum, but for
the percentiles and the distinct grid workers, counted once over all the grids.
Grids are selected in SQL by a subquery (the area's path prefix and the user's scope) and
grouped by a join up their parents, so no query carries a list of grid ids and the queries
do not grow with the grids. `figures_for`, `figures_by_child`, `figures_by_grid` and
`trend` still count every figure live (and the register from the roll-up).
"""

import copy
import dataclasses
import datetime
import itertools
import json
import math
from collections import defaultdict
from dataclasses import dataclass, field
from typing import NamedTuple

from django.contrib.postgres.aggregates import ArrayAgg
from django.contrib.postgres.fields import ArrayField
from django.db import connection
from django.db.models import (
    Aggregate,
    BigIntegerField,
    Case,
    Count,
    DateField,
    DurationField,
    Exists,
    ExpressionWrapper,
    F,
    FloatField,
    Func,
    IntegerField,
    JSONField,
    Max,
    Min,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    TextField,
    Value,
    When,
)
from django.db.models.expressions import RawSQL
from django.db.models.functions import Cast, Coalesce
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from gridmgmt import statements
from gridmgmt.arrays import AnyOf, one_of
from gridmgmt.localtime import local_midnight
from grids.models import GRID_WORKER_ROLES, Area, HouseholdGrid, Membership, Post, Resident
from grids.scope import STATION_GRIDS_MOST
from incidents.models import Category, Incident, IncidentQuerySet, TimelineEntry
from patrols import windows
from patrols.models import Instruction, MissedPatrol, Patrol, PatrolSchedule, Slot

# Satisfaction that counts as satisfied: "satisfied" and "basically satisfied" (the usual
# 满意率 counts both).
SATISFIED = (Incident.Satisfaction.SATISFIED, Incident.Satisfaction.BASICALLY)
# Where matters come from, as the reports group them (Incident.Source): found on patrol,
# brought to the station's desk, reported by a team member, filed by a resident on the grid's
# public page.
SOURCE_GROUPS = {
    "from_patrol": (Incident.Source.PATROL,),
    "from_desk": (
        Incident.Source.WALK_IN,
        Incident.Source.PHONE,
        Incident.Source.MEETING,
        Incident.Source.OTHER,
    ),
    "from_team": (Incident.Source.TEAM,),
    "from_resident": (Incident.Source.RESIDENT,),
}
# The timeline entry of a resident's own rating (residents.services.rate_matter); one that
# reopened the matter (to_status set) was "dissatisfied".
RESIDENT_RATING = "resident_rating"
# A SQL timestamp earlier than any event, for "not moved" in a comparison with moved_at.
_NEVER = datetime.datetime(1970, 1, 1, tzinfo=datetime.UTC)
# A submitted log covers its window (short or not); a returned one was rejected.
_SUBMITTED = (Patrol.Status.SUBMITTED, Patrol.Status.APPROVED)
_LOGGED = (*_SUBMITTED, Patrol.Status.RETURNED)

# How many households a cadre served before grids (the report says so beside the workload).
CADRE_HOUSEHOLDS_BEFORE_GRIDS = (500, 600)


def _ratio(part, whole):
    return part / whole if whole else None


@dataclass
class Figures:
    """The figures of some grids over a period. Zero everywhere by default, so `Figures()`
    is an empty row. Rates are fractions (0..1) or None when their denominator is 0."""

    # Patrols. `windows`: 2 per grid per day (am, pm), counting only windows that have
    # closed (end + grace) by now. Of those: `done` = windows with a submitted or approved
    # log that is not short, `short` = windows whose submitted logs are all short,
    # `returned` = windows whose only logs were returned, `missed` = MissedPatrol records
    # (windows with no log that counts; a late log takes the window out of `missed`, as on
    # the board).
    windows: int = 0
    done: int = 0
    short: int = 0
    missed: int = 0
    returned: int = 0
    # Incidents of the grids.
    opened: int = 0  # filed in the period
    by_category: dict = field(default_factory=dict)  # category name -> opened
    by_status: dict = field(default_factory=dict)  # status value -> of those opened, now
    closed: int = 0  # closed in the period
    due: int = 0  # deadline in the period
    on_time: int = 0  # of `due`, closed at or before the deadline
    due_closed: int = 0  # of `due`, closed by the end of the period (or now)
    overdue_open: int = 0  # open at the end of the period (or now), deadline passed
    median_hours_to_close: float | None = None  # filed -> closed, of those closed
    p90_hours_to_close: float | None = None
    escalations: int = 0  # escalated (escalated_at) in the period
    rework: int = 0  # rework_count summed over those closed in the period
    satisfied: int = 0  # of those closed: satisfied or basically satisfied
    rated: int = 0  # of those closed: with a satisfaction recorded by staff
    # Filed in the period, by where they came from (SOURCE_GROUPS; they add up to `opened`).
    from_patrol: int = 0
    from_desk: int = 0
    from_team: int = 0
    from_resident: int = 0
    # Residents' own ratings given in the period on their matter's status page (apart from
    # `rated`, which staff record when closing): all of them, and those satisfied or
    # basically satisfied.
    resident_rated: int = 0
    resident_satisfied: int = 0
    # Of residents' matters filed in the period: hours from filing to the first step a team
    # member took (accepting it, or any other), median; those not answered yet are left out.
    median_hours_to_response: float | None = None
    overdue_instructions: int = 0  # verification instructions past due, not done, at end
    # The register as of the end date, and as of the day before the start.
    households: int = 0
    residents: int = 0
    floating: int = 0
    rentals: int = 0
    households_before: int = 0
    residents_before: int = 0
    floating_before: int = 0
    rentals_before: int = 0
    grid_workers: int = 0  # distinct A holders of grid-worker posts
    grids: int = 0

    # When the register figures come from the daily roll-up (reports.models.PopulationDay):
    # the aware datetime the oldest roll-up used was computed; None when they were counted
    # live. Not a dataclass field, since it is not a figure: it is left out of as_dict(),
    # add() and ==, so figures compare equal whichever way they were counted.
    population_as_of = None
    # When today's figures come from today's counts so far (reports.models.AreaToday): the
    # aware datetime of the oldest count read; None when today was counted live or is not in
    # the period. Not a figure either.
    today_as_of = None

    # --- derived ---

    @property
    def covered(self):
        """Windows with a submitted log (short ones too)."""
        return self.done + self.short

    @property
    def coverage(self):
        return _ratio(self.done + self.short, self.windows)

    @property
    def done_share(self):
        return _ratio(self.done, self.windows)

    @property
    def short_share(self):
        return _ratio(self.short, self.windows)

    @property
    def missed_share(self):
        return _ratio(self.missed, self.windows)

    @property
    def on_time_rate(self):
        return _ratio(self.on_time, self.due)

    @property
    def closure_rate(self):
        """Closures ÷ incidents due, as the urban-management rules count it (结案率): of the
        incidents due in the period, the share closed by its end."""
        return _ratio(self.due_closed, self.due)

    @property
    def satisfaction_rate(self):
        return _ratio(self.satisfied, self.rated)

    @property
    def resident_satisfaction_rate(self):
        return _ratio(self.resident_satisfied, self.resident_rated)

    @property
    def rework_rate(self):
        """Rework rounds per closed incident."""
        return _ratio(self.rework, self.closed)

    @property
    def households_per_worker(self):
        return _ratio(self.households, self.grid_workers)

    @property
    def households_change(self):
        return self.households - self.households_before

    @property
    def residents_change(self):
        return self.residents - self.residents_before

    @property
    def floating_change(self):
        return self.floating - self.floating_before

    @property
    def rentals_change(self):
        return self.rentals - self.rentals_before

    DERIVED = (
        "coverage",
        "done_share",
        "short_share",
        "missed_share",
        "on_time_rate",
        "closure_rate",
        "satisfaction_rate",
        "resident_satisfaction_rate",
        "rework_rate",
        "households_per_worker",
    )

    def as_dict(self):
        """The fields and the derived rates, JSON-safe (for GridReport.figures)."""
        data = dataclasses.asdict(self)
        for name in self.DERIVED:
            data[name] = getattr(self, name)
        return data

    @classmethod
    def from_dict(cls, data):
        """Figures from `as_dict()` output (derived and unknown keys are ignored)."""
        names = {f.name for f in dataclasses.fields(cls)}
        return cls(**{k: v for k, v in (data or {}).items() if k in names})

    def take_register(self, parts):
        """Set the register figures (and their "before") to the sums of `parts`: a
        household and its stays belong to one grid, so the register adds up exactly."""
        for name in REGISTER:
            for field_name in (name, f"{name}_before"):
                setattr(self, field_name, sum(getattr(part, field_name) for part in parts))
        used = [part.population_as_of for part in parts if part.population_as_of]
        self.population_as_of = min(used) if len(used) == len(parts) and used else None
        return self

    def add(self, other):
        """Add another row's counts into this one (percentiles are left alone: they do not
        add up; grid workers are added, which counts twice a person working two grids)."""
        for f in dataclasses.fields(self):
            mine, theirs = getattr(self, f.name), getattr(other, f.name)
            if isinstance(mine, int):
                setattr(self, f.name, mine + theirs)
            elif isinstance(mine, dict):
                for key, count in theirs.items():
                    mine[key] = mine.get(key, 0) + count
        return self


# Every field of a Figures, in order.
_FIELD_NAMES = tuple(f.name for f in dataclasses.fields(Figures))


# --- Public functions ---


def figures_for(grids, start, end, *, now=None, register=True):
    """Totals over `grids` (a queryset of grid Areas) for the local dates [start, end].
    Runs 12 queries (10 when the daily roll-up has the register's days; 9 with
    register=False, which leaves the register figures at zero; none after the first when
    there are no grids), whatever the data."""
    rows = _grid_rows(grids)
    by_key = _compute(rows, {row.pk: 0 for row in rows}, [(start, end)], now, register=register)
    return by_key[0][0] if by_key else Figures()


def figures_by_grid(grids, start, end, *, now=None):
    """{grid id: Figures} for every grid of `grids`, in their order (a grid that did not
    exist in the period has zeros). Runs 12 queries (10 when the daily roll-up has the
    register's days)."""
    rows = _grid_rows(grids)
    by_key = _compute(rows, {row.pk: row.pk for row in rows}, [(start, end)], now)
    return {row.pk: by_key[row.pk][0] for row in rows}


def figures_by_child(area, start, end, grids=None, *, now=None, register=True):
    """[(child, Figures)] for each child area of `area` (street, community or grid) that
    existed on a day of the period, with the totals of the grids under it that did. `grids`
    (a queryset of grid Areas) limits the grids counted, e.g. to a scope's; children with
    none of them are then left out. A grid has no such children: []. Percentiles are per
    child. Runs 13 queries (11 when the daily roll-up has the register's days). With
    register=False the register figures are left at zero and not counted (2 queries fewer),
    for pages that do not show them."""
    if area.kind == Area.Kind.GRID:
        return []
    children = list(
        Area.objects.filter(parent=area)
        .existing_during(start, end)
        .exclude(kind__in=[Area.Kind.BUILDING, Area.Kind.UNIT])
        .order_by("code", "pk")
    )
    under = Area.objects.under(area).grids().existing_during(start, end)
    if grids is not None:
        under = under.filter(pk__in=grids.values("pk"))
    rows = _grid_rows(under)
    key_of = {}
    for row in rows:
        for child in children:
            if row.path.startswith(child.path):
                key_of[row.pk] = child.pk
                break
    by_key = _compute(rows, key_of, [(start, end)], now, register=register)
    return [
        (child, by_key[child.pk][0] if child.pk in by_key else Figures())
        for child in children
        if grids is None or child.pk in by_key
    ]


def trend(grids, start, end, step="month", *, now=None, register=True):
    """[(first day of the step, Figures)] for each month (or Monday-to-Sunday week) that
    overlaps [start, end], each clipped to the period. Runs the same fixed number of
    queries as figures_for, however many steps (2 fewer with register=False, which leaves
    the register figures at zero)."""
    rows = _grid_rows(grids)
    periods = steps(start, end, step)
    clipped = [(max(first, start), min(last, end)) for first, last in periods]
    by_key = _compute(rows, {row.pk: 0 for row in rows}, clipped, now, register=register)
    figures = by_key[0] if by_key else [Figures() for _ in periods]
    return [(first, f) for (first, _), f in zip(periods, figures, strict=True)]


def steps(start, end, step="month"):
    """[(first, last)] local dates of the months (or Monday-to-Sunday weeks) that overlap
    [start, end]. Runs no queries."""
    result = []
    if step == "week":
        first = start - datetime.timedelta(days=start.weekday())
        while first <= end:
            result.append((first, first + datetime.timedelta(days=6)))
            first += datetime.timedelta(days=7)
        return result
    if step != "month":
        raise ValueError(f"step must be 'month' or 'week', not {step!r}")
    first = start.replace(day=1)
    while first <= end:
        following = (first + datetime.timedelta(days=32)).replace(day=1)
        result.append((first, following - datetime.timedelta(days=1)))
        first = following
    return result


# --- The report: children, headline and trend at once, from the daily roll-up ---


def report_figures(
    area,
    start,
    end,
    grids,
    step="month",
    *,
    now=None,
    register=True,
    trend=True,
    statuses=True,
    only=None,
):
    """(children, headline, trend) of the report of `area` (any level) over the local dates
    [start, end]: children = [(child area, Figures)] as figures_by_child(area, start, end,
    grids) (for a grid: [(the grid, its Figures)]), headline = figures_for(grids, start, end),
    trend = [(first day of the step, Figures)] with, of trend(grids, start, end, step), the
    grids and what adds up over days (ADDITIVE_NAMES, by_category: what the charts and the
    export's trend sheet show); a step's states (due and closed, overdue, percentiles...)
    are left at zero. `grids` is a queryset of the grid Areas to count (e.g. the scope's
    grids under `area` that existed in the period); it is used as a subquery, so no query
    lists grid ids.

    Each figure is computed once:

    - What adds up over days is read, when the children are areas, from the areas' daily
      roll-up (AreaDay: a row per child and day, and the register as of the period's end
      and eve) for the past days on which each child's row sums every grid counted under
      it; then from the grids' daily roll-up (GridDay, GridDayCategory) for the other past
      days it has for every grid: one statement each, grouped by child and by step
      (GROUPING SETS on PostgreSQL; two GROUP BY queries each on SQLite). Today, when the
      children are areas, comes from today's counts so far (AreaToday) while they are
      fresh (headline.today_as_of then says when they were counted). The days they all
      lack (today without fresh counts, any day not rolled up yet or forgotten since) are
      counted live by _compute per child and per run of days, and added.
    - What does not add up over days (due_closed, overdue_open, overdue_instructions, the
      time to close, grid workers, by_status, the register) is counted from the rows of the
      period (indexes on the incidents' filed_at, deadline_at, closed_at serve it), per
      child.
    - The headline is the children's sum (every grid lies under one child), but for what
      does not add up over grids either (WHOLE_NAMES: the percentiles of the time to close,
      the distinct grid workers), counted over all the grids in the statements that count
      them per child (GROUPING SETS ((child), ()) on PostgreSQL).

    Runs about 13 to 16 queries on PostgreSQL, whatever the number of grids, days or rows
    (fewer when the roll-ups have every past day). register=False leaves the register at
    zero (2 queries fewer); trend=False, for the home page's headlines, gives no trend ([])
    and leaves out the status now of those filed, the percentiles and the grid workers (2
    queries fewer: the status now is counted with the states). statuses=False, for the
    report's page and export, which do not show it, leaves out the status now of those filed
    (by_status stays empty): the states' statement then reads only the incidents due in the
    period or not closed before it, not every one filed in it. `only`, for the home page's
    headlines (with trend=False): the names of the Figures' fields to count (the number of
    grids is always counted); the others are left at zero, and the statements that count
    only them are not run (see _compute's `only`: the categories, the missed windows, the
    incidents due and closed)."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    periods = steps(start, end, step)
    clipped = [(max(first, start), min(last, end)) for first, last in periods]
    # The grids' subquery, compiled once: the grids' rows and their keys are read through
    # its SQL (_reselected), the statements below use it as it is.
    ids = grids.values("pk")
    rows = _grid_rows(grids, _compiled_ids(ids))
    if area.kind == Area.Kind.GRID:
        children = [area]
    else:
        # A statement compiled once per process (gridmgmt.statements).
        children = statements.model_rows(
            ("reports.figures.children",),
            lambda values: (
                Area.objects.filter(parent=values["parent"])
                .existing_during(values["start"], values["end"])
                .exclude(kind__in=[Area.Kind.BUILDING, Area.Kind.UNIT])
                .order_by("code", "pk")
            ),
            {"parent": area.pk, "start": start, "end": end},
        )
    key_of = _keys_by_path(rows, children)
    rows = [row for row in rows if row.pk in key_of]
    # A step's row holds the grids that existed in it and what adds up over days.
    bounded = [row for row in rows if row.valid_from is not None or row.valid_to is not None]
    step_figures = [
        _empty(
            len(rows) - len(bounded) + sum(1 for row in bounded if row.existed_during(first, last))
        )
        for first, last in clipped
    ]
    trend_rows = [(first, f) for (first, _), f in zip(periods, step_figures, strict=True)]
    if not rows:
        return [], Figures(), trend_rows if trend else []
    # How many parents lead from a grid to its child area: the same for every grid of a
    # tree of fixed levels; otherwise (None) the groups are given as lists (see _Keys).
    depth = {child.pk: child.path.count("/") for child in children}
    hops = {row.path.count("/") - depth[key_of[row.pk]] for row in rows}
    hops = hops.pop() if len(hops) == 1 else None

    # The areas' roll-up (above the grids): the past days on which it has every grid counted
    # under each child.
    categories = only is None or "by_category" in only
    by_area, area_register = (
        _read_area_days(
            area,
            rows,
            key_of,
            start,
            end,
            today,
            step,
            categories=categories,
            hours=trend,
            now=now,
        )
        if children[0].kind != Area.Kind.GRID
        else ({"child": {}, "step": {}, "days": set(), "hours": {}, "today_as_of": None}, {})
    )

    # The grids' roll-up's other days; the rest is counted live.
    keys = _Keys(key_of, ids, hops)
    rolled, live = _read_rolled_up(
        rows, ids, start, end, today, step, keys, skip=by_area["days"], categories=categories
    )
    # The hours to close of the incidents closed on the days the roll-ups have.
    close_hours = defaultdict(list)
    for source in (
        by_area["hours"],
        {k: c.get("close_hours", ()) for k, c in rolled["child"].items()},
    ):
        for key, hours in source.items():
            close_hours[key].extend(hours)

    # What does not add up over days, per child (with the register), and (for the headline)
    # what does not add up over grids either, over all of them. Of those due, the states
    # count the ones not closed by the end (due_apart) when `due` is counted below and the
    # status now of those filed is not (which would read the incidents filed anyway).
    due_apart = not (trend and statuses) and (only is None or {"due", "due_closed"} <= set(only))
    by_child = _compute(
        rows,
        key_of,
        [(start, end)],
        now,
        register=register,
        parts=(STATE,),
        ids=ids,
        hops=hops,
        register_known=area_register,
        total=trend,
        details=trend,
        statuses=statuses,
        close_known=(close_hours, live),
        only=only,
        due_apart=due_apart,
    )
    whole = by_child.pop(TOTAL, None)
    child_figures = {key: figures[0] for key, figures in by_child.items()}

    # What adds up over days: the areas' roll-up's days, the grids' roll-up's other days, and
    # the rest counted live.
    first_of = {day: first for first, last in periods for day in _days(first, last)}
    position = {first: n for n, (first, _last) in enumerate(periods)}
    for key, counts in by_area["child"].items():
        if key in child_figures:
            _add_counts(child_figures[key], counts)
    for first, counts in by_area["step"].items():
        _add_counts(step_figures[position[first]], counts)
    for key, counts in rolled["child"].items():
        if key in child_figures:
            _add_counts(child_figures[key], counts)
    for first, counts in rolled["step"].items():
        _add_counts(step_figures[position[first]], counts)
    runs = _runs(live, first_of)
    if runs:
        counted = _compute(
            rows,
            key_of,
            runs,
            now,
            register=False,
            parts=(ADDITIVE,),
            ids=ids,
            hops=hops,
            only=only,
        )
        for key, per_run in counted.items():
            for (run_start, _), figures in zip(runs, per_run, strict=True):
                counts = _counts_of(figures)
                _add_counts(child_figures[key], counts)
                _add_counts(step_figures[position[first_of[run_start]]], counts)

    if due_apart:
        for figures in child_figures.values():
            figures.due_closed += figures.due

    # The headline: every grid lies under exactly one child, so what adds up over grids is
    # the children's sum; the percentiles and the distinct grid workers are counted over all
    # the grids at once.
    pairs = [(child, child_figures[child.pk]) for child in children if child.pk in child_figures]
    if only is not None:
        for _child, figures in pairs:
            _keep_only(figures, only)
    headline = Figures()
    for _child, figures in pairs:
        headline.add(figures)
    headline.today_as_of = by_area["today_as_of"]
    if not trend:
        return pairs, headline, []
    for name in WHOLE_NAMES:
        setattr(headline, name, getattr(whole[0], name))
    headline.take_register([figures for _child, figures in pairs])
    return pairs, headline, trend_rows


def _keep_only(figures, only):
    """Reset the fields of `figures` that are not in `only` (but `grids`) to zero (empty):
    what report_figures(only=...) counted of them was partial."""
    empty = Figures()
    for name in _FIELD_NAMES:
        if name not in only and name != "grids":
            setattr(figures, name, getattr(empty, name))


def _keys_by_path(rows, children):
    """{grid id: the id of the first of `children` (areas) whose path begins the grid's},
    for the grids of `rows` under one of them. Runs no query."""
    depths = {child.path.count("/") for child in children}
    key_of = {}
    if len(depths) == 1:
        # Children of one area: a grid's child is its path cut after as many "/" as theirs
        # ('/1/2/12/345/' -> '/1/2/'), one look-up a grid.
        (depth,) = depths
        by_path = {}
        for child in children:
            by_path.setdefault(child.path, child.pk)
        for row in rows:
            key = by_path.get("/".join(row.path.split("/", depth)[:depth]) + "/")
            if key is not None:
                key_of[row.pk] = key
        return key_of
    for row in rows:
        for child in children:
            if row.path.startswith(child.path):
                key_of[row.pk] = child.pk
                break
    return key_of


def _days(first, last):
    return [first + datetime.timedelta(days=n) for n in range((last - first).days + 1)]


def _runs(days, first_of):
    """[(start, end)] runs of consecutive `days` (sorted) within one step each."""
    runs = []
    for day in days:
        if (
            runs
            and runs[-1][1] == day - datetime.timedelta(days=1)
            and first_of[runs[-1][0]] == first_of[day]
        ):
            runs[-1] = (runs[-1][0], day)
        else:
            runs.append((day, day))
    return runs


def _counts_of(figures):
    """The additive counts of a Figures, as _sum_rolled_up gives them."""
    counts = {name: getattr(figures, name) for name in ADDITIVE_NAMES}
    counts["by_category"] = dict(figures.by_category)
    return counts


def _add_counts(figures, counts):
    for name in ADDITIVE_NAMES:
        setattr(figures, name, getattr(figures, name) + (counts.get(name) or 0))
    for category, count in counts.get("by_category", {}).items():
        figures.by_category[category] = figures.by_category.get(category, 0) + count


def _read_rolled_up(rows, ids, start, end, today, step, keys, skip=frozenset(), *, categories=True):
    """(counts as _sum_rolled_up gives them, the days of [start, end] to count live, sorted)
    for the grids `rows` (`ids`, their subquery), but for the days `skip` (counted already):
    the days the daily roll-up has for every grid that existed on the day are read from it;
    today and the days after, and the past days not rolled up yet or forgotten since, are
    to be counted live. Two statements (the sums with each day's rows, then the categories),
    three when a day was rolled up for some grids only (its rows were summed: the sums are
    read again without it); none when the period has no past day outside `skip`.
    categories=False leaves the categories out (one statement fewer)."""
    past_end = min(end, today - datetime.timedelta(days=1))
    days_ahead = _days(max(start, past_end + datetime.timedelta(days=1)), end)
    ahead = [day for day in days_ahead if day not in skip]  # today may be counted already
    if past_end < start:
        return _sum_rolled_up(ids, start, end, days_ahead, step, keys, tables=()), ahead
    skipped = sorted(skip)
    past_skipped = [day for day in skipped if day <= past_end]
    rolled = _sum_rolled_up(
        ids, start, end, ahead + skipped, step, keys, tables=("days",), by_day=True
    )
    found = rolled.pop("found")
    if len(past_skipped) == (past_end - start).days + 1 and all(
        start <= day for day in past_skipped
    ):
        live = []  # every past day counted already (the areas' roll-up)
    else:
        live = [day for day in _days_not_rolled_up(rows, start, past_end, found) if day not in skip]
    live += ahead
    if any(found.get(day) for day in live):
        rolled = _sum_rolled_up(ids, start, end, live + skipped, step, keys, tables=("days",))
    if not categories:
        return rolled, live
    rolled = _sum_rolled_up(
        ids, start, end, live + skipped, step, keys, ("categories",), into=rolled
    )
    return rolled, live


def _read_area_days(
    parent, rows, key_of, start, end, today, step, *, categories=True, hours=True, now=None
):
    """What the areas' daily roll-up (AreaDay) gives a report of the children of `parent`
    (each child area's id the key of its grids in `key_of`) over [start, end]:
    ({"child": {key: counts}, "step": {first day of the step: counts}, "days": the days
    counted, "hours": {key: the hours to close of the incidents closed on those days}}, the
    register of `end` and of the day before `start` as _count_register reads it: {day:
    (computed_at, {key: counts})}).

    A past day counts from it when, for every child with grids of `rows` that existed that
    day, the child's row sums exactly that many grids: every grid under the child is
    counted, so the child's row is their sum. A user whose scope holds part of a child, or a
    day some grid's roll-up lacks, reads the grids' rows instead. The register is read for
    the day before `start` too (a figure's "before"). Two queries (the rows, the categories'
    names), one when no day is counted or with categories=False (by_category is left
    empty), none without a past day. With neither categories nor hours ("hours" left
    empty), the rows' JSON is not decoded.

    Today, when the period holds it, counts from today's rows so far (AreaToday) on the same
    terms, when they are fresh at `now` (reports.rollup.TODAY_FRESH): then "today_as_of" is
    the time of the oldest row read, and the register as of today (when the period ends
    today) is theirs. One query more."""
    from .models import AreaDay

    result = {
        "child": defaultdict(dict),
        "step": defaultdict(dict),
        "days": set(),
        "hours": defaultdict(list),
        "today_as_of": None,
    }
    eve = start - datetime.timedelta(days=1)
    last = min(end, today - datetime.timedelta(days=1))
    if last < eve:
        return result, {}
    so_far = _today_so_far(parent, rows, key_of, today, now) if start <= today <= end else {}
    # How many of each child's grids existed on each day: a difference array per child.
    size = (last - eve).days + 1
    change = defaultdict(lambda: [0] * (size + 1))
    always = defaultdict(int)  # per child, the grids with no bounds: every day
    for row in rows:
        if row.valid_from is None and row.valid_to is None:
            change[key_of[row.pk]]  # noqa: B018 - the children in the order of their grids
            always[key_of[row.pk]] += 1
            continue
        first, final = row.days_within(eve, last)
        if first <= final:
            change[key_of[row.pk]][(first - eve).days] += 1
            change[key_of[row.pk]][(final - eve).days + 1] -= 1
    for key, count in always.items():
        change[key][0] += count
        change[key][size] -= count
    dates = [eve + datetime.timedelta(days=n) for n in range(size)]
    expected = {}
    for key, steps_ in change.items():
        running = 0
        for n in range(size):
            running += steps_[n]
            if running:
                expected[key, dates[n]] = running

    # The rows' JSON (categories, close_hours) read as text and decoded in one pass; the
    # statement compiled once (see gridmgmt.statements) and its rows read as tuples.
    def build(v):
        rows = AreaDay.objects.filter(
            area__parent=v["parent"], day__gte=v["eve"], day__lte=v["last"]
        ).values_list(
            "area_id",
            "day",
            "grids",
            # Only the register's days (the eve and the end) need it.
            Case(When(day__in=[v["eve"], v["end"]], then=F("computed_at"))),
            Cast("categories", TextField()),
            Cast("close_hours", TextField()),
            *REGISTER,
            *ADDITIVE_NAMES,
        )
        return rows.query.sql_with_params()

    sql, params = statements.compiled(
        "area days", build, {"parent": parent.pk, "eve": eve, "last": last, "end": end}
    )
    found = {
        (area_id, day): (grids, _aware(computed_at), categories, hours, numbers)
        for area_id, day, grids, computed_at, categories, hours, *numbers in _fetch(sql, params)[1]
    }
    covered = []
    for day in dates:
        wanted = [key for key in change if (key, day) in expected]
        if all((key, day) in found and found[key, day][0] == expected[key, day] for key in wanted):
            covered.append((day, wanted))
    category_names = _category_names() if covered and categories else {}
    register = {}
    first_of = {
        day: first for first, final in steps(start, end, step) for day in _days(first, final)
    }
    registered = len(REGISTER)
    counted = []  # (key, first day of the step, the additive numbers, categories, hours)
    if so_far:
        covered.append((today, list(so_far)))
        found.update({(key, today): row for key, row in so_far.items()})
    for day, wanted in covered:
        in_period = day >= start
        if in_period:
            result["days"].add(day)
        for key in wanted:
            _grids, _computed_at, categories, hours, numbers = found[key, day]
            if in_period:
                counted.append((key, first_of[day], numbers[registered:], categories, hours))
        # The day before today too: today's register is counted from it (_count_register)
        # when today's rows so far are not read.
        if day in (eve, end) or (end == today and day == last and not so_far):
            by_key = {key: dict(zip(REGISTER, found[key, day][4], strict=False)) for key in wanted}
            computed_at = (
                min((found[key, day][1] for key in wanted), default=None)
                if day in (eve, end)
                else None  # not read: the base of today's, which shows no roll-up's time
            )
            register[day] = (computed_at, by_key)
    if so_far:
        result["today_as_of"] = min(row[1] for row in so_far.values())
    if not counted:
        return result, register
    if categories or hours:
        decoded = json.loads("[" + ",".join(f"[{c},{h}]" for *_, c, h in counted) + "]")
    else:
        decoded = [({}, ())] * len(counted)  # neither is wanted: not decoded
    by_child, by_step = defaultdict(list), defaultdict(list)
    by_id = defaultdict(dict)  # (key, first day of the step) -> {category id: filed}
    for (key, first, numbers, _categories, _hours), (by_category, closed_hours) in zip(
        counted, decoded, strict=True
    ):
        by_child[key].append(numbers)
        by_step[first].append(numbers)
        result["hours"][key].extend(closed_hours)
        filed = by_id[key, first]
        for category_id, opened in by_category.items():
            filed[category_id] = filed.get(category_id, 0) + opened
    for groups, into in ((by_child, result["child"]), (by_step, result["step"])):
        for group, numbers in groups.items():
            into[group].update(
                zip(ADDITIVE_NAMES, map(sum, zip(*numbers, strict=True)), strict=True)
            )
            into[group]["by_category"] = {}
    for (key, first), filed in by_id.items():
        for category_id, opened in filed.items():
            name = category_names.get(int(category_id))
            if name is None:
                continue
            for named in (
                result["child"][key]["by_category"],
                result["step"][first]["by_category"],
            ):
                named[name] = named.get(name, 0) + opened
    return result, register


def _today_so_far(parent, rows, key_of, today, now):
    """{child key: (grids, computed_at, categories, close hours, register and additive
    numbers)} of today's rows so far (AreaToday) of the children of `parent`, as
    _read_area_days reads AreaDay's, when every child with grids of `rows` existing today
    has a fresh one (reports.rollup.TODAY_FRESH before `now`) that sums exactly those grids;
    otherwise {}. One query."""
    from .models import AreaToday
    from .rollup import TODAY_FRESH

    expected = defaultdict(int)
    for row in rows:
        if row.existed_during(today, today):
            expected[key_of[row.pk]] += 1
    if not expected:
        return {}

    def build(v):
        rows = AreaToday.objects.filter(
            area__parent=v["parent"], day=v["today"], computed_at__gte=v["fresh"]
        ).values_list(
            "area_id",
            "grids",
            "computed_at",
            Cast("categories", TextField()),
            Cast("close_hours", TextField()),
            *REGISTER,
            *ADDITIVE_NAMES,
        )
        return rows.query.sql_with_params()

    now = now or timezone.now()
    sql, params = statements.compiled(
        "today so far",
        build,
        {"parent": parent.pk, "today": today, "fresh": now - TODAY_FRESH},
    )
    found = {
        area_id: (grids, _aware(computed_at), categories, hours, numbers)
        for area_id, grids, computed_at, categories, hours, *numbers in _fetch(sql, params)[1]
    }
    if any(key not in found or found[key][0] != n for key, n in expected.items()):
        return {}
    return {key: found[key] for key in expected}


def _category_names():
    """{category id: name}. One query, compiled once (see gridmgmt.statements)."""
    sql, params = statements.compiled(
        "category names",
        lambda _v: Category.objects.values_list("pk", "name").query.sql_with_params(),
        {},
    )
    return dict(_fetch(sql, params)[1])


def _days_not_rolled_up(rows, start, past_end, found):
    """The past days of [start, past_end], sorted, whose figures the daily roll-up does not
    have for every grid of `rows` that existed on the day, given `found` = {day: how many of
    their rows it has}. Runs no query."""
    # Grids existing on each day, by a difference array over their validity.
    size = (past_end - start).days + 1
    change = [0] * (size + 1)
    for row in rows:
        first, last = row.days_within(start, past_end)
        if first <= last:
            change[(first - start).days] += 1
            change[(last - start).days + 1] -= 1
    expected, running = {}, 0
    for n in range(size):
        running += change[n]
        expected[start + datetime.timedelta(days=n)] = running
    return [day for day, n in expected.items() if n and found.get(day, 0) != n]


def _sum_rolled_up(
    ids, start, end, live, step, keys, tables=("days", "categories"), *, by_day=False, into=None
):
    """{"child": {key: counts}, "step": {first day: counts}} of the daily roll-up's rows of
    the grids `ids` over the days of [start, end] not in `live`, where counts = {name: sum
    for ADDITIVE_NAMES (table "days": GridDay), "by_category": {name: opened} (table
    "categories": GridDayCategory)}, added to `into` when given; a child's counts hold
    "close_hours" too (table "days": the hours to close of its incidents closed on those
    days, for the percentiles). One statement per table on
    PostgreSQL (GROUP BY GROUPING SETS ((child), (step))), two on SQLite. by_day adds
    "found": {day: GridDay rows of the day}, from the same statement (a third grouping set;
    one more query on SQLite)."""
    from django.db.models.functions import Trunc

    from .models import GridDay, GridDayCategory

    result = into or {"child": defaultdict(dict), "step": defaultdict(dict)}
    if by_day:
        result["found"] = {}
    if len(live) == (end - start).days + 1:
        return result
    key = keys.expression("grid")
    first = Trunc("day", step, output_field=DateField())
    selected = Q(grid_id__in=ids, day__gte=start, day__lte=end) & existed_on_day()
    if live:
        selected &= ~Q(day__in=live)

    def grouped(qs, *names, per_day=False, **aggregates):
        """[(group, {name: value})]; group is ("child", key) or ("step", first), per the
        extra `names` too; with per_day, also the rows of each day (_n, group "found")."""
        if per_day:
            aggregates["_n"] = Count("pk")
        if connection.vendor == "postgresql":

            def build(keys_, v):
                """The statement of the values `v` (the period's bounds, the days left out),
                with the grids' subquery `keys_` gives: compiled once (see _Keys.compiled)."""
                chosen = Q(grid_id__in=keys_._in(), day__gte=v["start"], day__lte=v["end"])
                chosen &= existed_on_day()
                if live:
                    chosen &= ~Q(day__in=[v[f"live.{n}"] for n in range(len(live))])
                day = {"_d": F("day")} if per_day else {}
                # One group's key is a value of the statement, not a constant of it.
                grouped_by = Value(v["group"]) if "group" in v else keys_.expression("grid")
                found = (
                    qs.filter(chosen)
                    .order_by()
                    .values(*names, _k=grouped_by, _s=first, **day)
                    .annotate(**aggregates)
                )
                sql, params = found.query.sql_with_params()
                head, _ = sql.rsplit(" GROUP BY ", 1)
                extra = "".join(f', "{name}"' for name in names)
                sets = f'("_k"{extra}), ("_s"{extra})' + (', ("_d")' if per_day else "")
                return f"{head} GROUP BY GROUPING SETS ({sets})", params

            values = {"start": start, "end": end}
            values |= {f"live.{n}": day for n, day in enumerate(live)}
            if len(keys.groups) == 1:
                (values["group"],) = keys.groups
            sql, params = keys.compiled(
                ("rolled up", qs.model._meta.label, names, per_day, step, len(live)),
                build,
                values,
            )
            with connection.cursor() as cursor:
                cursor.execute(sql, params)
                columns = [c[0] for c in cursor.description]
                found = [dict(zip(columns, values, strict=True)) for values in cursor.fetchall()]
        else:
            base = qs.filter(selected).order_by()
            found = [
                {"_s": None, "_d": None, **row}
                for row in base.values(*names, _k=key).annotate(**aggregates)
            ]
            found += [
                {"_k": None, "_d": None, **row}
                for row in base.values(*names, _s=first).annotate(**aggregates)
            ]
            if per_day:
                found += [
                    {"_k": None, "_s": None, **row}
                    for row in base.values(_d=F("day")).annotate(_n=Count("pk"))
                ]
        for row in found:
            if isinstance(row["_s"], datetime.datetime):  # date_trunc read by a raw cursor
                row["_s"] = row["_s"].date()
            if row["_k"] is not None:
                yield result["child"][row["_k"]], row
            elif row["_s"] is not None:
                yield result["step"][row["_s"]], row
            else:
                result["found"][row["_d"]] = row["_n"]

    if "days" in tables:
        aggregates = {n: Sum(n) for n in ADDITIVE_NAMES}
        aggregates["_close"] = _Lists("close_hours")
        for counts, row in grouped(GridDay.objects.all(), per_day=by_day, **aggregates):
            for name in ADDITIVE_NAMES:
                counts[name] = counts.get(name, 0) + (row[name] or 0)
            if row["_k"] is not None:
                lists = row["_close"] or []
                if isinstance(lists, str):  # jsonb read by a raw cursor
                    lists = json.loads(lists)
                hours = counts.setdefault("close_hours", [])
                for found in lists:
                    hours.extend(found)
    if "categories" in tables:
        for counts, row in grouped(
            GridDayCategory.objects.annotate(_c=F("category__name")), "_c", opened=Sum("opened")
        ):
            categories = counts.setdefault("by_category", {})
            categories[row["_c"]] = categories.get(row["_c"], 0) + (row["opened"] or 0)
    return result


# --- The computation ---


class _Grid(NamedTuple):
    """A grid as the computation needs it (a tuple: 800 of them are made per report)."""

    pk: int
    path: str
    parent_id: int
    valid_from: datetime.date | None = None
    valid_to: datetime.date | None = None

    def existed_during(self, start, end):
        """Whether the grid existed on at least one day of [start, end]."""
        return (self.valid_from is None or self.valid_from <= end) and (
            self.valid_to is None or self.valid_to >= start
        )

    def days_within(self, start, end):
        """[start, end] cut to the days the grid existed: (first, last), possibly empty
        (first > last)."""
        first = start if self.valid_from is None else max(start, self.valid_from)
        last = end if self.valid_to is None else min(end, self.valid_to)
        return first, last


def _grid_rows(grids, compiled_ids=None):
    """(pk, path, parent id, valid from, valid to) of the grids, ordered by code. One query
    for a queryset, none for a list of Areas. `compiled_ids`, the (SQL, params) of
    `grids.values("pk")`, saves compiling the queryset again."""
    reselected = compiled_ids and _reselected(
        compiled_ids,
        '"grids_area"."id" AS "pk", "grids_area"."path" AS "path", '
        '"grids_area"."parent_id" AS "parent_id", "grids_area"."valid_from" AS "valid_from", '
        '"grids_area"."valid_to" AS "valid_to"',
    )
    if reselected:
        sql, params = reselected
        _columns, found = _fetch(
            f'{sql} ORDER BY "grids_area"."code" ASC, "grids_area"."id" ASC', params
        )
        return list(map(_Grid._make, found))
    if isinstance(grids, QuerySet):
        values = grids.order_by("code", "pk").values_list(
            "pk", "path", "parent_id", "valid_from", "valid_to"
        )
        return [_Grid(*row) for row in values]
    return [
        _Grid(grid.pk, grid.path, grid.parent_id, grid.valid_from, grid.valid_to) for grid in grids
    ]


# How Django compiles `grids.values("pk")` (a queryset of grid Areas, ordering cleared): the
# select list that _reselected replaces.
_IDS_HEAD = 'SELECT "grids_area"."id" AS "pk" FROM "grids_area" '


def _compiled_ids(ids):
    """(SQL, params) of `ids` (a `values("pk")` queryset of Areas), ordering cleared:
    compiled once and kept on the queryset, which a report's groups share."""
    found = ids.__dict__.get("_compiled_ids")
    if found is None:
        found = ids.order_by().query.sql_with_params()
        ids.__dict__["_compiled_ids"] = found
    return found


def _reselected(compiled_ids, columns, params=()):
    """(SQL, params) selecting `columns` (SQL over "grids_area", with `params`) from the
    grids of `compiled_ids` (as _compiled_ids gives it), the same rows in the same way,
    without compiling the queryset again; None when its SQL is not of the plain form
    _IDS_HEAD begins."""
    sql, ids_params = compiled_ids
    if connection.vendor != "postgresql" or not sql.startswith(_IDS_HEAD):
        return None
    return f'SELECT {columns} FROM "grids_area" {sql[len(_IDS_HEAD) :]}', (*params, *ids_params)


def existed_on_day(prefix=""):
    """Rows with a `day` whose grid (`<prefix>grid`) existed on that day, as a condition."""
    return (
        Q(**{f"{prefix}grid__valid_from__isnull": True})
        | Q(**{f"{prefix}grid__valid_from__lte": F("day")})
    ) & (
        Q(**{f"{prefix}grid__valid_to__isnull": True})
        | Q(**{f"{prefix}grid__valid_to__gte": F("day")})
    )


def _existed_during(start, end, prefix=""):
    """Rows whose area (`<prefix>valid_from` / `valid_to`) existed on a day of [start, end],
    as a condition."""
    return (Q(**{f"{prefix}valid_from__isnull": True}) | Q(**{f"{prefix}valid_from__lte": end})) & (
        Q(**{f"{prefix}valid_to__isnull": True}) | Q(**{f"{prefix}valid_to__gte": start})
    )


def _schedules(rows, ids=None):
    """{community id: PatrolSchedule} (the default one where none is saved: one instance,
    shared, of no community). One query: the communities are those of the grids `ids` (a
    subquery) when given, else listed."""
    community_ids = {row.parent_id for row in rows}
    reselected = ids is not None and _reselected(_compiled_ids(ids), '"grids_area"."parent_id"')
    if reselected:
        # The grids' subquery as the report compiled it: nothing to compile here.
        communities, params = reselected
        meta = PatrolSchedule._meta
        columns = ", ".join(f'"{meta.db_table}"."{f.column}"' for f in meta.concrete_fields)
        sql = f'SELECT {columns} FROM "{meta.db_table}" WHERE "community_id" IN ({communities})'
        names = [f.attname for f in meta.concrete_fields]
        saved = [PatrolSchedule.from_db("default", names, row) for row in _fetch(sql, params)[1]]
    elif ids is None:
        saved = PatrolSchedule.objects.filter(community_id__in=community_ids)
    else:
        saved = PatrolSchedule.objects.filter(
            community_id__in=Area.objects.filter(pk__in=ids).values("parent_id")
        )
    saved = {s.community_id: s for s in saved}
    # The communities with none saved share one default (unsaved, of no community): a
    # district's hundred made one each cost more than the statement.
    default = None
    schedules = {}
    for cid in community_ids:
        schedule = saved.get(cid)
        if schedule is None:
            if default is None:
                default = PatrolSchedule()
            schedule = default
        schedules[cid] = schedule
    return schedules


def _empty(grid_count):
    return Figures(grids=grid_count)


# --- Incidents and instructions moved by a change to the map ---
#
# An incident (or instruction) that a change to the map moved to `grid` from `moved_from` at
# `moved_at` counts an event that happened before `moved_at` for `moved_from`, and one at or
# after it for `grid`. Each count is split in two conditional counts in the same query,
# grouped by (grid, moved_from): the number of queries stays the same.


def _after_move(event):
    """The event (a field name, or the aware moment a period ends, for a state at its end)
    happened in the current grid: never moved, or at or after the move. A period's end is
    exclusive (its last instant is just before it), so a move at that very moment comes
    after the state it ended with."""
    if isinstance(event, datetime.datetime):
        return Q(moved_at__isnull=True) | Q(moved_at__lt=event)
    return Q(moved_at__isnull=True) | Q(**{f"{event}__gte": F("moved_at")})


def _before_move(event):
    """The event happened in `moved_from`, before the move."""
    if isinstance(event, datetime.datetime):
        return Q(moved_at__gte=event)
    return Q(moved_at__isnull=False) & Q(**{f"{event}__lt": F("moved_at")})


def _split(aggregate, expression, condition, event):
    """{"": the aggregate counted for the current grid, "_moved": for the grid moved from}.
    The "_moved" filter tests the move first: PostgreSQL evaluates an AND in order, so the
    rows of incidents never moved (nearly all) fail it at once."""
    return {
        "": aggregate(expression, filter=condition & _after_move(event)),
        "_moved": aggregate(expression, filter=_before_move(event) & condition),
    }


class _RawIds:
    """The grids' subquery as SQL and parameters (a compiled statement binds them)."""

    def __init__(self, sql, params):
        self.sql, self.params = sql, params

    def expression(self):
        return RawSQL(self.sql, self.params)


class _Array(Func):
    """ARRAY(subquery) of a raw subquery, for gridmgmt.arrays.AnyOf."""

    function = "ARRAY"
    output_field = ArrayField(BigIntegerField())


def _fetch(sql, params):
    """(column names, rows) of a statement. One query."""
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return [column[0] for column in cursor.description], cursor.fetchall()


def _aware(value):
    """A time a statement's row gives, as an aware datetime: through an expression (a CASE)
    SQLite gives the text it stores, read from a column a naive time (both UTC), PostgreSQL
    the time itself."""
    if isinstance(value, str):
        value = parse_datetime(value)
    if isinstance(value, datetime.datetime) and timezone.is_naive(value):
        value = timezone.make_aware(value, datetime.UTC)
    return value


def _int(value):
    """A count or sum as Django gives it (an int; a SUM is a numeric on PostgreSQL)."""
    return None if value is None else int(value)


class _Keys:
    """Which group each grid's rows count in: `key_of` maps grid id -> group key (an int).

    `ids`, when given, selects the grids in SQL (a `values("pk")` queryset of the grids, e.g.
    the report's `path LIKE` and scope filter) instead of a literal list of ids; `hops`, when
    given, says how many `parent` steps lead from a grid to its group's area (0: the grid
    itself, 1: its community, ...), so rows are grouped by a join instead of a CASE over the
    grid ids. With both, no query carries a list of grid ids."""

    def __init__(self, key_of, ids=None, hops=None):
        self.key_of = key_of
        self.ids = list(key_of) if ids is None else ids
        self.hops = hops
        # With `hops`, which part of a grid's path (split on "/", from 1) is its group's id.
        self.position = None
        self.groups = defaultdict(list)
        for grid_id, key in key_of.items():
            self.groups[key].append(grid_id)
        self._keys_bound = None  # _keys_sql's, bound by compiled

    def _ids(self):
        """(SQL, params) of the grids' subquery `ids`, compiled once: kept on the queryset,
        which a report's groups (report_figures' and each _compute's) share."""
        return _compiled_ids(self.ids)

    def _in(self, fenced=False):
        """The grids' ids, as the right-hand side of an `__in`. `fenced`: the subquery ends
        in OFFSET 0, so that PostgreSQL hashes the grids' ids once rather than join the rows
        to the grids (a district's logs of the day: it misjudged how many and merged them
        with every area by primary key, 23,000 read for 800)."""
        if isinstance(self.ids, _RawIds):
            if fenced and connection.vendor == "postgresql":  # SQLite has no OFFSET alone
                return RawSQL(f"{self.ids.sql} OFFSET 0", self.ids.params)
            return self.ids.expression()
        return self.ids

    def _shape(self):
        """What the SQL of a statement of these groups depends on besides its values (part
        of a compiled statement's key), or None when its SQL carries lists of grid ids."""
        if not isinstance(self.ids, QuerySet):
            return None
        if len(self.groups) > 1 and self.field("grid") is None:
            return None
        return (
            self._ids()[0],
            self.hops,
            self.position,
            len(self.groups) == 1,
            self.field("grid"),
            self.field("moved_from"),
            self._summed_in_sql(),
            len(self.key_of) <= STATION_GRIDS_MOST,
        )

    def compiled(self, kind, build, values):
        """(SQL, params) of `build(keys, values)`: compiled once per process for `kind` (what
        else the SQL depends on) and the groups' shape, and bound to `values` and to the
        grids' subquery's parameters (see gridmgmt.statements); `keys` is these groups with
        the grids' subquery as raw SQL. Compiled now when the groups carry lists of ids."""
        shape = self._shape()
        if shape is None:
            return build(self, values)
        # The SQL of the grids' subquery (and of the grids with their group, when the rows
        # are summed per group) is part of the key; its parameters are values to bind, but
        # for those of other types (a kind's choice): constants, named in the key too.
        parts = {"ids": self._ids()}
        if self._summed_in_sql():
            parts["keys"] = self._keys_sql()
        slots = {}
        constants = []
        for part, (sql, params) in parts.items():
            slots[part] = []
            for n, value in enumerate(params):
                if type(value) in statements.BOUND_TYPES:
                    values = values | {f"{part}.{n}": value}
                    slots[part].append((f"{part}.{n}", None))
                else:
                    slots[part].append((None, value))
                    constants.append(value)
            shape += (sql,)

        def bind(part, v):
            sql, _params = parts[part]
            return sql, [v[name] if name else value for name, value in slots[part]]

        def bound(v):
            keys = copy.copy(self)
            keys.ids = _RawIds(*bind("ids", v))
            if "keys" in parts:
                keys._keys_bound = bind("keys", v)
            return build(keys, v)

        return statements.compiled((kind, shape, tuple(constants)), bound, values)

    def field(self, fk):
        """The group of a row as a column: `fk` (e.g. "grid") followed up `hops` parents;
        None when there is no such column (the groups are given by `key_of` only)."""
        if len(self.groups) == 1 or all(key == grid_id for grid_id, key in self.key_of.items()):
            return f"{fk}_id"
        if self.hops is None:
            return None
        return f"{fk}{'__parent' * self.hops}_id"

    def expression(self, fk):
        """The group of a row (its `fk`, e.g. "grid") as an expression: the one group's key,
        the column of `field`, or a CASE over the grid ids of each group."""
        if len(self.groups) == 1:
            return Value(next(iter(self.groups)))
        column = self.field(fk)
        if column is not None:
            return F(column)
        return Case(
            *(When(**{f"{fk}_id__in": ids}, then=Value(key)) for key, ids in self.groups.items()),
            output_field=IntegerField(),
        )

    def rows(self, qs, grid_field, *extra, total=False, **aggregates):
        """[(key, row)] of `aggregates` per group (and per `extra` fields): one query. With
        `total` (and no `extra`), also (TOTAL, row) over every grid: in the same query
        (GROUPING SETS) on PostgreSQL, one more on SQLite."""
        qs = qs.filter(**{f"{grid_field}__in": self._in()}).order_by()
        if len(self.groups) == 1:
            (key,) = self.groups
            if extra:
                return [(key, row) for row in qs.values(*extra).annotate(**aggregates)]
            row = qs.aggregate(**aggregates)
            return [(key, row), (TOTAL, row)] if total else [(key, row)]
        column = self.field(grid_field.removesuffix("_id"))
        if column is not None:
            expression = F(column)
        else:
            expression = Case(
                *(
                    When(**{f"{grid_field}__in": ids}, then=Value(key))
                    for key, ids in self.groups.items()
                ),
                output_field=IntegerField(),
            )
        if total:
            return self._with_total(qs, expression, aggregates)
        rows = qs.values(*extra, _key=expression).annotate(**aggregates)
        # A subquery of `ids` may hold grids that are in no group (e.g. not under a child).
        return [(row.pop("_key"), row) for row in rows if row["_key"] in self.groups]

    def _with_total(self, qs, expression, aggregates):
        """[(key, row)] of `aggregates` over `qs` per group (`expression`), and (TOTAL, row)
        over all of it: one GROUP BY GROUPING SETS ((key), ()) on PostgreSQL, where the total's
        row is the one with no key (a row of no group is keyed -1); two queries on SQLite."""
        if connection.vendor != "postgresql":
            rows = qs.values(_key=expression).annotate(**aggregates)
            found = [(row.pop("_key"), row) for row in rows if row["_key"] in self.groups]
            return [*found, (TOTAL, qs.aggregate(**aggregates))]
        grouped = qs.values(_key=Coalesce(expression, Value(-1))).annotate(**aggregates)
        sql, params = grouped.query.sql_with_params()
        head, _ = sql.rsplit(" GROUP BY ", 1)
        with connection.cursor() as cursor:
            cursor.execute(f'{head} GROUP BY GROUPING SETS (("_key"), ())', params)
            columns = [column[0] for column in cursor.description]
            found = [dict(zip(columns, values, strict=True)) for values in cursor.fetchall()]
        result = []
        for row in found:
            key = row.pop("_key")
            if key is None:
                result.append((TOTAL, row))
            elif key in self.groups:
                result.append((key, row))
        return result

    def per_grid(self, qs, grid_field, *extra, **aggregates):
        """[(grid id, row)] of `aggregates` per grid (and per `extra`): one query."""
        qs = qs.filter(**{f"{grid_field}__in": self._in()}).order_by()
        rows = qs.values(*extra, _grid=F(grid_field)).annotate(**aggregates)
        return [(row.pop("_grid"), row) for row in rows if row["_grid"] in self.key_of]

    def among(self, field):
        """Rows whose `field` (e.g. "grid_id") is one of the grids. For a station's few grids
        given by a subquery, gridmgmt.arrays.one_of: their incidents are read through the
        index on the field, a few hundred rows whatever the size of the city, where a scan
        by date reads the whole city's period (a community report at city scale: 150,763
        rows read for 56, 82 ms; so 142 rows, under 5 ms). For more grids, IN: a district
        reads the period by date."""
        if isinstance(self.ids, _RawIds):
            if len(self.key_of) <= STATION_GRIDS_MOST and connection.vendor == "postgresql":
                return Q(AnyOf(F(field), _Array(self.ids.expression())))
            return Q(**{f"{field}__in": self.ids.expression()})
        if isinstance(self.ids, QuerySet) and len(self.key_of) <= STATION_GRIDS_MOST:
            return one_of(field, self.ids)
        return Q(**{f"{field}__in": self.ids})

    def _moved_sql(self, kind, make, values, extra):
        """(SQL, params) of the per-grid rows of per_grid_moved: the `extra` fields, grid_id,
        moved_from_id, then `<name>` and `<name>_moved` for each name of the split
        aggregates. `make(values)` gives (queryset, {name: _split(...)}), or (a tuple of
        querysets of rows apart, {...}): each is counted, and their rows are given one after
        the other (UNION ALL). Compiled once per `kind` (see compiled)."""

        def build(keys, v):
            qs, split = make(v)
            aggregates = {
                f"{name}{suffix}": aggregate
                for name, parts in split.items()
                for suffix, aggregate in parts.items()
            }
            # Several querysets (rows apart): each counted, their rows one after the other
            # (a grid may come in a row of each).
            found = [
                part.filter(keys.among("grid_id") | keys.among("moved_from_id"))
                .order_by()
                .values(*extra, "grid_id", "moved_from_id")
                .annotate(**aggregates)
                for part in (qs if isinstance(qs, tuple) else (qs,))
            ]
            if len(found) > 1:
                return found[0].union(*found[1:], all=True).query.sql_with_params()
            return found[0].query.sql_with_params()

        return self.compiled(("moved", kind, tuple(extra)), build, values)

    def per_grid_moved(self, kind, make, values, *extra):
        """[(grid id, row)] of aggregates per grid (and per `extra`) over incidents or
        instructions, each event counted for the grid it happened in. `make(values)` gives
        (queryset, split), `split` mapping a name to `_split(...)`; each row holds `<name>`
        for the grid. One query."""
        sql, params = self._moved_sql(kind, make, values, extra)
        columns, found = _fetch(sql, params)
        width = len(extra)
        assert columns[width : width + 2] == ["grid_id", "moved_from_id"], columns
        names = [name for name in columns[width + 2 :] if not name.endswith("_moved")]
        at = {name: n for n, name in enumerate(columns)}
        result = []
        for values_ in found:
            grid_id, moved_from_id = values_[width], values_[width + 1]
            here = dict(zip(extra, values_[:width], strict=True))
            moved = dict(here)
            for name in names:
                here[name] = _int(values_[at[name]])
                moved[name] = _int(values_[at[f"{name}_moved"]])
            if grid_id in self.key_of:
                result.append((grid_id, here))
            if moved_from_id in self.key_of:
                result.append((moved_from_id, moved))
        return result

    def _summed_in_sql(self):
        """Whether per_key and per_key_moved sum the grids' rows per group in the database:
        when the groups are areas `hops` parents above the grids."""
        return self.hops is not None and self.hops >= 1 and len(self.groups) >= 2

    def _keys_sql(self):
        """(SQL, params) of the grids with their group: columns "_id" and "_key". Compiled
        once for a queryset of grids (kept on it, as _ids)."""
        if self._keys_bound is not None:
            return self._keys_bound
        kept = None
        if isinstance(self.ids, QuerySet):
            kept = self.ids.__dict__.setdefault("_compiled_keys", {})
            if (self.position, self.hops) in kept:
                return kept[self.position, self.hops]
        found = self._keys_compiled()
        if kept is not None:
            kept[self.position, self.hops] = found
        return found

    def _keys_compiled(self):
        """_keys_sql's (SQL, params), compiled now."""
        grids = (
            self.ids
            if isinstance(self.ids, QuerySet) and self.ids.model is Area
            else Area.objects.filter(pk__in=self._in())
        )
        if connection.vendor == "postgresql" and self.position:
            if grids is self.ids:
                reselected = _reselected(
                    self._ids(),
                    '"grids_area"."id" AS "_id", '
                    '(SPLIT_PART("grids_area"."path", %s, %s))::bigint AS "_key"',
                    ("/", self.position),
                )
                if reselected:
                    return reselected
            # The group's id read off the grid's path ('/1/2/12/345/': the street 2 is its
            # third part), not by a join up its parents per row.
            key = Cast(
                Func(F("path"), Value("/"), Value(self.position), function="SPLIT_PART"),
                BigIntegerField(),
            )
        else:
            key = F("__".join(["parent"] * self.hops) + "_id")
        return grids.order_by().values(_id=F("pk"), _key=key).query.sql_with_params()

    def per_key(self, kind, make, values, grid_field):
        """[(key, row)] of aggregates (counts) per grid, as per_grid gives them, summed per
        group: in the database when the groups are areas above the grids (_summed_in_sql),
        else a row per grid (add them up). `make(values)` gives (queryset, aggregates),
        compiled once per `kind` (see compiled). One query."""
        if not self._summed_in_sql():

            def build(keys, v):
                qs, aggregates = make(v)
                qs = qs.filter(**{f"{grid_field}__in": keys._in()}).order_by()
                found = qs.values(_grid=F(grid_field)).annotate(**aggregates)
                return found.query.sql_with_params()

            sql, params = self.compiled(("per grid", kind, grid_field), build, values)
            columns, found = _fetch(sql, params)
            result = []
            for values_ in found:
                row = {name: _int(value) for name, value in zip(columns, values_, strict=True)}
                grid_id = row.pop("_grid")
                if grid_id in self.key_of:
                    result.append((self.key_of[grid_id], row))
            return result

        def build(keys, v):
            qs, aggregates = make(v)
            qs = qs.filter(**{f"{grid_field}__in": keys._in(fenced=True)}).order_by()
            inner, inner_params = (
                qs.values(_g=F(grid_field)).annotate(**aggregates).query.sql_with_params()
            )
            keys_sql, keys_params = keys._keys_sql()
            sums = ", ".join(f'SUM(t."{name}") AS "{name}"' for name in aggregates)
            sql = (
                f"WITH t AS ({inner}), k AS ({keys_sql}) "
                f'SELECT k."_key" AS "_key", {sums} FROM t INNER JOIN k ON k."_id" = t."_g" '
                f'GROUP BY k."_key"'
            )
            return sql, (*inner_params, *keys_params)

        sql, params = self.compiled(("summed", kind, grid_field), build, values)
        return self._summed(sql, params)

    def per_key_moved(self, kind, make, values, *extra):
        """[(key, row)] as per_grid_moved gives them per grid, summed per group (a group may
        come in several rows; add them up). When the groups are areas `hops` parents above
        the grids, the database sums them: the per-grid rows (and each moved row's part for
        the grid it was moved from) are joined to their group's key and grouped, so a
        district's 800 grids come back as a row per street, not per grid. One query."""
        if not self._summed_in_sql():
            return [
                (self.key_of[grid_id], row)
                for grid_id, row in self.per_grid_moved(kind, make, values, *extra)
            ]

        def build(keys, v):
            inner, inner_params = keys._moved_sql(kind, make, v, extra)
            names = list(make(v)[1])
            keys_sql, keys_params = keys._keys_sql()
            quoted = [f'"{name}"' for name in extra]
            here = ", ".join(
                [*quoted, '"grid_id" AS "_g"', *(f'"{name}" AS "{name}"' for name in names)]
            )
            moved = ", ".join([*quoted, '"moved_from_id"', *(f'"{name}_moved"' for name in names)])
            sums = ", ".join(f'SUM(u."{name}") AS "{name}"' for name in names)
            grouped = ", ".join([*(f"u.{name}" for name in quoted), 'k."_key"'])
            sql = (
                f"WITH t AS ({inner}), k AS ({keys_sql}) "
                f"SELECT {grouped}, {sums} FROM ("
                f"SELECT {here} FROM t UNION ALL "
                f'SELECT {moved} FROM t WHERE "moved_from_id" IS NOT NULL'
                f') u INNER JOIN k ON k."_id" = u."_g" GROUP BY {grouped}'
            )
            return sql, (*inner_params, *keys_params)

        sql, params = self.compiled(("summed moved", kind, tuple(extra)), build, values)
        return self._summed(sql, params)

    def _summed(self, sql, params, names=None):
        """[(key, row)] of the groups in `sql`'s rows (a "_key" column and the SUM of each
        of `names`, by default every column after "_key"), the sums as ints (a SUM of counts
        is a numeric on PostgreSQL)."""
        columns, found = _fetch(sql, params)
        if names is None:
            names = columns[columns.index("_key") + 1 :]
        result = []
        for values in found:
            row = dict(zip(columns, values, strict=True))
            key = row.pop("_key")
            if key in self.groups:
                for name in names:
                    row[name] = int(row[name] or 0)
                result.append((key, row))
        return result

    def workers(self, posts, periods, *, total=False):
        """[(key, {"workers_<n>": count})] of the distinct A holders of `posts` (the grid-worker
        posts: the same queryset on every call, compiled once) per group and period, as
        _compute counts grid workers, (TOTAL, row) too with `total`: the grids (with their
        group, read off their path, and their validity) are joined once to their posts, not
        each post up to its grid and the grid's parents. PostgreSQL, with `position`. One
        query."""
        # The posts of the grids: those joined to them (k), not filtered by a subquery too;
        # the same statement for every report (compiled once, see gridmgmt.statements).
        inner, inner_params = statements.compiled(
            "grid worker posts",
            lambda _v: (
                posts.order_by()
                .values("area_id", "holder_a_id", "closed_on")
                .query.sql_with_params()
            ),
            {},
        )
        grids = (
            self.ids
            if isinstance(self.ids, QuerySet) and self.ids.model is Area
            else Area.objects.filter(pk__in=self._in())
        )
        reselected = grids is self.ids and _reselected(
            self._ids(),
            '"grids_area"."id" AS "_id", '
            '(SPLIT_PART("grids_area"."path", %s, %s))::bigint AS "_key", '
            '"grids_area"."valid_from" AS "_from", "grids_area"."valid_to" AS "_to"',
            ("/", self.position),
        )
        if reselected:
            keys, keys_params = reselected
        else:
            key = Cast(
                Func(F("path"), Value("/"), Value(self.position), function="SPLIT_PART"),
                BigIntegerField(),
            )
            keys, keys_params = (
                grids.order_by()
                .values(_id=F("pk"), _key=key, _from=F("valid_from"), _to=F("valid_to"))
                .query.sql_with_params()
            )
        counts, params = [], []
        for n, (start, end) in enumerate(periods):
            # Open on the period's last day, or on the grid's last day in it; of a grid that
            # existed in the period.
            counts.append(
                'COUNT(DISTINCT p."holder_a_id") FILTER (WHERE (p."closed_on" IS NULL '
                'OR p."closed_on" > %s OR (k."_to" < %s AND p."closed_on" > k."_to")) '
                'AND (k."_from" IS NULL OR k."_from" <= %s) '
                f'AND (k."_to" IS NULL OR k."_to" >= %s)) AS "workers_{n}"'
            )
            params += [end, end, end, start]
        sets = '("_key"), ()' if total else '("_key")'
        sql = (
            f"WITH p AS ({inner}), k AS MATERIALIZED ({keys}) "
            f'SELECT k."_key" AS "_key", {", ".join(counts)} '
            f'FROM p INNER JOIN k ON k."_id" = p."area_id" GROUP BY GROUPING SETS ({sets})'
        )
        with connection.cursor() as cursor:
            cursor.execute(sql, (*inner_params, *keys_params, *params))
            columns = [column[0] for column in cursor.description]
            found = [dict(zip(columns, values, strict=True)) for values in cursor.fetchall()]
        result = [(TOTAL, {})] if total else []  # no post at all: no row
        for row in found:
            key = row.pop("_key")
            if key is None:
                result[0] = (TOTAL, row)
            elif key in self.groups:
                result.append((key, row))
        return result

    def rows_moved(self, kind, make, values, event, *, total=False):
        """[(key, row)] of aggregates per group over incidents, each counted for the grid it
        was in at the time of its `event` (a field name); `make(values)` gives (queryset,
        aggregates), compiled once per `kind` on PostgreSQL (see compiled). One query. With
        `total`, also (TOTAL, row) over every grid, as `rows` gives it."""
        before, after = _before_move(event), _after_move(event)
        if connection.vendor != "postgresql":
            qs, aggregates = make(values)
            qs = qs.filter(
                (after & self.among("grid_id")) | (before & self.among("moved_from_id"))
            ).order_by()
            return self._rows_moved(qs, before, aggregates, total)
        single = len(self.groups) == 1
        if single:
            # One group (a grid's report): every row is its, a single row of aggregates
            # whose key is a value of the statement.
            (group,) = self.groups
            values = values | {"group": group}

        def build(keys, v):
            qs, aggregates = make(v)
            qs = qs.filter(
                (after & keys.among("grid_id")) | (before & keys.among("moved_from_id"))
            ).order_by()
            if single:
                return (
                    qs.values(_key=Value(v["group"])).annotate(**aggregates).query.sql_with_params()
                )
            expression = keys._moved_key(before)
            if total:
                expression = Coalesce(expression, Value(-1))
            sql, params = qs.values(_key=expression).annotate(**aggregates).query.sql_with_params()
            if total:
                head, _ = sql.rsplit(" GROUP BY ", 1)
                sql = f'{head} GROUP BY GROUPING SETS (("_key"), ())'
            return sql, params

        sql, params = self.compiled(("rows moved", kind, event, total), build, values)
        columns, found = _fetch(sql, params)
        if single:
            ((_key, *counted),) = found
            row = dict(zip(columns[1:], counted, strict=True))
            return [(group, row), (TOTAL, row)] if total else [(group, row)]
        result = []
        for values_ in found:
            row = dict(zip(columns, values_, strict=True))
            key = row.pop("_key")
            if key is None and total:
                result.append((TOTAL, row))
            elif key in self.groups:
                result.append((key, row))
        return result

    def _moved_key(self, before):
        """The group of an incident's row, the grid it was in at the event (`before`: it
        happened before the move), as an expression."""
        column, moved_column = self.field("grid"), self.field("moved_from")
        if column is not None:
            return Case(When(before, then=F(moved_column)), default=F(column))
        return Case(
            *(
                When(before & Q(moved_from_id__in=ids), then=Value(key))
                for key, ids in self.groups.items()
            ),
            *(When(grid_id__in=ids, then=Value(key)) for key, ids in self.groups.items()),
            output_field=IntegerField(),
        )

    def _rows_moved(self, qs, before, aggregates, total):
        """rows_moved's rows of `qs` (filtered to the grids), compiled now."""
        if len(self.groups) == 1:
            (key,) = self.groups
            row = qs.aggregate(**aggregates)
            return [(key, row), (TOTAL, row)] if total else [(key, row)]
        expression = self._moved_key(before)
        if total:
            return self._with_total(qs, expression, aggregates)
        rows = qs.values(_key=expression).annotate(**aggregates)
        return [(row.pop("_key"), row) for row in rows if row["_key"] in self.groups]


class _PercentileHours(Aggregate):
    """PostgreSQL's percentile_cont over a duration, in hours."""

    function = "PERCENTILE_CONT"
    name = "PercentileHours"
    template = (
        "%(function)s(%(fraction)s) WITHIN GROUP "
        "(ORDER BY EXTRACT(EPOCH FROM %(expressions)s) / 3600.0)"
    )
    output_field = FloatField()

    def __init__(self, fraction, expression, **extra):
        super().__init__(expression, fraction=float(fraction), **extra)


class _Lists(Aggregate):
    """The JSON lists of a column (the roll-up's close_hours) of the rows grouped, as one
    JSON list of them."""

    function = "JSONB_AGG"
    name = "Lists"
    output_field = JSONField()

    def as_sqlite(self, compiler, connection, **extra_context):
        return super().as_sql(
            compiler,
            connection,
            function="JSON_GROUP_ARRAY",
            template="%(function)s(JSON(%(expressions)s))",
            **extra_context,
        )


def percentile(values, fraction):
    """percentile_cont: linear interpolation between the closest ranks. None when empty."""
    return _percentile_of_sorted(sorted(values), fraction)


def _percentile_of_sorted(ordered, fraction):
    """percentile(ordered, fraction) of values already in order."""
    if not ordered:
        return None
    position = fraction * (len(ordered) - 1)
    low, high = math.floor(position), math.ceil(position)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


class _Hours(Func):
    """The hours from filing to closing of an incident, as _PercentileHours orders them
    (PostgreSQL casts its numeric to double precision the same way): stored in the roll-up's
    close_hours and combined there, a percentile is exactly percentile_cont's."""

    template = "(EXTRACT(EPOCH FROM (%(expressions)s)) / 3600.0)::double precision"
    output_field = FloatField()

    def __init__(self):
        super().__init__(
            ExpressionWrapper(F("closed_at") - F("filed_at"), output_field=DurationField())
        )


def close_hours(incidents):
    """[(grid id at the close, closed_at, hours to close)] of `incidents` (closed ones), each
    for the grid it was in when it was closed. The hours are those the percentiles of the
    time to close take: computed by PostgreSQL as percentile_cont orders them; on SQLite in
    Python, as its percentiles are. One query."""
    fields = ("grid_id", "moved_from_id", "moved_at", "filed_at", "closed_at")
    if connection.vendor == "postgresql":
        found = incidents.order_by().values_list(*fields, _Hours())
    else:
        found = (
            (*row, (row[4] - row[3]).total_seconds() / 3600)
            for row in incidents.order_by().values_list(*fields)
        )
    return [
        (
            moved_from_id if moved_at is not None and closed_at < moved_at else grid_id,
            closed_at,
            hours,
        )
        for grid_id, moved_from_id, moved_at, _filed_at, closed_at, hours in found
    ]


def close_hours_by_grid(grid_ids, ids, days):
    """{(grid id, local date): [hours to close]} of the incidents closed on each of the local
    dates `days` in the grids `grid_ids` (a set; `ids`, the same grids as a subquery), each
    in the grid it was in when it was closed, for the roll-up's close_hours. One query."""
    days = sorted(set(days))
    if not days:
        return {}
    wanted = set(days)
    result = defaultdict(list)
    incidents = Incident.objects.filter(
        closed_at__gte=local_midnight(days[0]),
        closed_at__lt=local_midnight(days[-1] + datetime.timedelta(days=1)),
    ).filter(Q(grid_id__in=ids) | Q(moved_from_id__in=ids))
    for grid_id, closed_at, hours in close_hours(incidents):
        day = timezone.localdate(closed_at)
        if grid_id in grid_ids and day in wanted:
            result[grid_id, day].append(hours)
    return result


def _closed_windows(rows, schedules, start, end, moment):
    """({grid id: closed windows in [start, end]}, Q for patrol-like rows of closed windows).
    Every window of a day before yesterday has closed, none of a day after today; yesterday's
    and today's are checked against each community's schedule. A grid has windows only on
    the days it existed (the Q leaves the others to `existed_on_day`), and, where its
    community does not patrol on days off, only on working days. The Q names communities
    (only where their schedules differ on whether a window has closed), never grids. Runs no
    queries, or one (the working calendar) when a community does not patrol on days off."""
    today = timezone.localdate(moment)
    all_closed_until = min(end, today - datetime.timedelta(days=2))
    # The days whose windows have all closed, if any: an empty range ORed with the last two
    # days' windows would keep PostgreSQL from reading those by their day alone.
    closed_q = Q(day__gte=start, day__lte=all_closed_until) if start <= all_closed_until else None
    closed_in = defaultdict(set)  # (day, slot) -> communities whose window has closed
    open_in = defaultdict(set)  # (day, slot) -> communities whose window has not
    counts = {}
    workdays = (
        _WorkingDays(start, end)
        if any(not schedules[row.parent_id].patrols_on_days_off for row in rows)
        else None
    )
    resting = set()  # communities with no windows on days off
    slots = Slot.values  # built from the choices on each access: once here, not per grid
    last_two = (today - datetime.timedelta(days=1), today)
    is_closed = {}  # (schedule, day, slot) -> whether the window has closed
    # The grids of a community with the same bounds have the same windows: counted once.
    counted = {}  # (community, valid from, valid to) -> closed windows
    for row in rows:
        kind = (row.parent_id, row.valid_from, row.valid_to)
        count = counted.get(kind)
        if count is not None:
            counts[row.pk] = count
            continue
        schedule = schedules[row.parent_id]
        every_day = schedule.patrols_on_days_off
        if not every_day:
            resting.add(row.parent_id)
        first, last = row.days_within(start, all_closed_until)
        if every_day:
            count = 2 * max(0, (last - first).days + 1)
        else:
            count = 2 * workdays.count(first, last)
        for day in last_two:
            if start <= day <= end and row.existed_during(day, day):
                if not every_day and not workdays.is_working_day(day):
                    continue
                for slot in slots:
                    # Asked once per schedule (communities may share the default one).
                    key = (id(schedule), day, slot)
                    if key not in is_closed:
                        is_closed[key] = windows.is_closed(schedule, day, slot, moment)
                    if is_closed[key]:
                        count += 1
                        closed_in[day, slot].add(row.parent_id)
                    else:
                        open_in[day, slot].add(row.parent_id)
        counted[kind] = counts[row.pk] = count
    for (day, slot), communities in closed_in.items():
        if open_in[day, slot]:
            window = Q(day=day, slot=slot, grid__parent_id__in=sorted(communities))
        else:
            window = Q(day=day, slot=slot)
        closed_q = window if closed_q is None else closed_q | window
    if closed_q is None:  # no window has closed: a condition no row meets
        closed_q = Q(day__gte=start, day__lte=all_closed_until)
    if resting:
        days_off = workdays.days_off()
        if days_off:
            closed_q &= ~Q(grid__parent_id__in=sorted(resting), day__in=days_off)
    return counts, closed_q


class _WorkingDays:
    """The working days of [start, end] by the working calendar (one query)."""

    def __init__(self, start, end):
        from incidents.calendar import Calendar

        calendar = Calendar(start, end)
        self.start, self.end = start, end
        self.flags = [
            calendar.is_working_day(start + datetime.timedelta(days=n))
            for n in range((end - start).days + 1)
        ]
        self.running = [0]
        for flag in self.flags:
            self.running.append(self.running[-1] + flag)

    def is_working_day(self, day):
        return self.flags[(day - self.start).days]

    def count(self, first, last):
        """Working days in [first, last] (within [start, end]; 0 when empty)."""
        if first > last:
            return 0
        return self.running[(last - self.start).days + 1] - self.running[(first - self.start).days]

    def days_off(self):
        return [
            self.start + datetime.timedelta(days=n) for n, flag in enumerate(self.flags) if not flag
        ]


# The two kinds of figure _compute counts (see GridDay): counts of events that add up over
# days, which the daily roll-up keeps, and states at a period's end or over the whole period,
# which it cannot keep.
ADDITIVE = "additive"
STATE = "state"
# Of the states, those that do not add up over grids either (a person may work two grids, a
# percentile is not a sum): what a report's headline counts over all its grids at once.
WHOLE = "whole"
# The key of the figures over all the grids that _compute(total=True) adds to its groups'.
TOTAL = "total"
WHOLE_NAMES = (
    "median_hours_to_close",
    "p90_hours_to_close",
    "median_hours_to_response",
    "grid_workers",
)
ADDITIVE_NAMES = (
    "windows",
    "done",
    "short",
    "returned",
    "missed",
    "opened",
    "closed",
    "due",
    "on_time",
    "escalations",
    "rework",
    "satisfied",
    "rated",
    *SOURCE_GROUPS,
    "resident_rated",
    "resident_satisfied",
)


def _compute(
    rows,
    key_of,
    periods,
    now=None,
    register=True,
    *,
    parts=(ADDITIVE, STATE),
    ids=None,
    hops=None,
    register_known=None,
    total=False,
    details=True,
    statuses=True,
    close_known=None,
    only=None,
    due_apart=False,
):
    """{key: [Figures, one per period]} for the groups of `key_of` (grid id -> key) and the
    periods ([(start, end)] local dates, ending in order: each ends no earlier than the one
    before). Every query counts all the periods at once (one conditional aggregate per
    period), so the number of queries does not depend on the periods either: 11 queries (the
    schedules, then 10; the two counting the register live are left out when the daily
    roll-up has all its days), none when there are no grids. A grid counts in a period's
    `grids` when it existed on a day of it.

    `parts` limits the figures counted to ADDITIVE_NAMES and by_category (ADDITIVE: the schedules,
    patrols, missed windows, incidents, incidents filed: 5 queries) or to the others (STATE:
    incidents, incidents filed (with the incidents when not ADDITIVE), time to close, instructions,
    the register, grid workers: 5 to 9 queries) or to WHOLE_NAMES (WHOLE: time to close and grid
    workers: 2 queries). `ids` and `hops` select and group the grids in SQL rather than by lists of
    ids (see _Keys). `total` (with STATE or WHOLE) adds the key TOTAL: WHOLE_NAMES over all the
    grids at once, counted in the groups' own statements (GROUPING SETS on PostgreSQL; two more
    queries on SQLite). details=False leaves out of STATE the status now of those filed, the
    percentiles and the grid workers (2 or 3 queries fewer); statuses=False the status now of
    those filed only (by_status stays empty; the incidents filed in the period are not read
    for it).

    `close_known` = ({key: [hours to close]}, [local dates]), for one period: the hours to
    close of the groups' incidents closed on the period's days other than those dates, from
    the daily roll-ups (close_hours); the incidents closed on those dates are read, and the
    percentiles of the time to close are those of both together, so a past period rolled up
    reads no closed incident (the query still counts the time to a first response).

    `only`, a set of Figures' field names (None: all of them), is what the caller shows: the
    statements of the others are left out, or read fewer rows, and what they would count is
    left at zero or partly counted (the caller resets it). Without "by_category", those filed
    are counted with the incidents' other events, not by category in a statement of their
    own; without "missed" the missed windows are not read; without "due_closed" the states
    read only the incidents overdue and open at a period's end.

    due_apart=True, with the states alone (parts=(STATE,)) and the caller counting `due`
    apart (report_figures): due_closed is left at minus the number of those due in a period
    and not closed by its end (or now), for the caller to add `due` to; the states then read,
    as for overdue_open alone, only the incidents open at a period's end (the open ones and
    those closed since), not every incident due or closed since the period began. Not with
    the status now of those filed (`statuses` and `details`), which reads those filed."""
    rows = [row for row in rows if row.pk in key_of]
    if not rows:
        return {}
    now = now or timezone.now()
    keys = _Keys(key_of, ids, hops)
    if hops is not None:
        keys.position = rows[0].path.count("/") - hops
    additive, state = ADDITIVE in parts, STATE in parts

    def wanted(name):
        return only is None or name in only

    whole = state or WHOLE in parts
    details = WHOLE in parts or (state and details)
    existing = defaultdict(lambda: [0] * len(periods))  # key -> grids that existed per period
    for row in rows:
        counts = existing[key_of[row.pk]]
        for n, (s, e) in enumerate(periods):
            if row.existed_during(s, e):
                counts[n] += 1
    result = {key: [_empty(count) for count in existing[key]] for key in keys.groups}
    schedules = _schedules(rows, None if isinstance(ids, list) else ids) if additive else {}
    indexed = list(enumerate(periods))

    def spread_key(key, row, *names):
        """Add the per-period aggregates `<name>_<n>` of a row to the group's figures."""
        for n, figures in enumerate(result[key]):
            for name in names:
                value = row[f"{name}_{n}"]
                if value:
                    setattr(figures, name, getattr(figures, name) + value)

    def per_period(**makers):
        """{<name>_<n>: maker(n, start, end)} for every period."""
        return {
            f"{name}_{n}": make(n, start, end)
            for n, (start, end) in indexed
            for name, make in makers.items()
        }

    if additive:
        # Patrols: windows that closed, and what happened in them, on the days the grid
        # existed.
        closed_q = None
        any_closed = False  # a window of a grid has closed: logs and missed windows count
        for n, (start, end) in indexed:
            window_counts, period_q = _closed_windows(rows, schedules, start, end, now)
            closed_q = period_q if closed_q is None else closed_q | period_q
            any_closed = any_closed or any(window_counts.values())
            # Summed per group first: one addition a group, not a grid.
            summed = defaultdict(int)
            for grid_id, count in window_counts.items():
                summed[key_of[grid_id]] += count
            for key, count in summed.items():
                result[key][n].windows += count

        def days(slot, condition):
            def make(n, start, end):
                period = Q(slot=slot, day__gte=start, day__lte=end)
                return Count("day", distinct=True, filter=period & condition)

            return make

        submitted = Q(status__in=_SUBMITTED)
        full = submitted & Q(is_short=False)
        logged = Q(status__in=_LOGGED)
        # A grid's logs count on the days it existed only: a join of each log to its grid,
        # left out when every grid existed on every day of the periods.
        if any(row.days_within(s, e) != (s, e) for row in rows for s, e in periods):
            closed_q &= existed_on_day()
        # Built from these values only (see gridmgmt.statements): the periods' days and the
        # values of the closed windows' condition (days, slots, communities).
        values = {}
        for n, (start, end) in indexed:
            values |= {f"start.{n}": start, f"end.{n}": end}
        closed_shape = _q_shape(closed_q, values)
        # A period of one day has a window of a slot or not: whether a log meets the
        # condition, not a count of distinct days (a sort per grid and count).
        single = tuple(start == end for start, end in periods)
        shape = (len(periods), closed_shape, single)

        def logs(v):
            def days(n, slot, condition):
                period = Q(slot=slot, day__gte=v[f"start.{n}"], day__lte=v[f"end.{n}"])
                if single[n]:
                    return Coalesce(Max(Value(1), filter=period & condition), Value(0))
                return Count("day", distinct=True, filter=period & condition)

            aggregates = {}
            for n in range(len(periods)):
                aggregates |= {
                    f"full_am_{n}": days(n, Slot.MORNING, full),
                    f"full_pm_{n}": days(n, Slot.AFTERNOON, full),
                    f"submitted_am_{n}": days(n, Slot.MORNING, submitted),
                    f"submitted_pm_{n}": days(n, Slot.AFTERNOON, submitted),
                    f"logged_am_{n}": days(n, Slot.MORNING, logged),
                    f"logged_pm_{n}": days(n, Slot.AFTERNOON, logged),
                }
            return Patrol.objects.filter(_q_rebuilt(closed_shape, v)), aggregates

        # No window closed yet (a morning's live count): no log or missed window counts.
        for key, row in (
            keys.per_key(("logs", shape), logs, values, "grid_id") if any_closed else []
        ):
            for n, _ in indexed:
                done = row[f"full_am_{n}"] + row[f"full_pm_{n}"]
                covered = row[f"submitted_am_{n}"] + row[f"submitted_pm_{n}"]
                logged_windows = row[f"logged_am_{n}"] + row[f"logged_pm_{n}"]
                figures = result[key][n]
                figures.done += done
                figures.short += covered - done
                figures.returned += logged_windows - covered

        def missed(v):
            late_log = Patrol.objects.filter(
                grid_id=OuterRef("grid_id"),
                day=OuterRef("day"),
                slot=OuterRef("slot"),
                status__in=_LOGGED,
            )
            records = MissedPatrol.objects.filter(_q_rebuilt(closed_shape, v))
            return records.filter(~Exists(late_log)), {
                f"missed_{n}": Count("pk", filter=Q(day__range=(v[f"start.{n}"], v[f"end.{n}"])))
                for n in range(len(periods))
            }

        for key, row in (
            keys.per_key(("missed", shape), missed, values, "grid_id")
            if any_closed and wanted("missed")
            else []
        ):
            spread_key(key, row, "missed")

    # Incidents.
    bounds = [
        (local_midnight(start), local_midnight(end + datetime.timedelta(days=1)))
        for start, end in periods
    ]
    cuts = [min(end_at, now) for _, end_at in bounds]

    def within(name, n):
        start_at, end_at = bounds[n]
        return Q(**{f"{name}__gte": start_at, f"{name}__lt": end_at})

    def open_overdue_at(cut):
        still_open = Q(closed_at__isnull=True, status__in=IncidentQuerySet.OPEN_STATES)
        return Q(filed_at__lt=cut, deadline_at__lte=cut) & (still_open | Q(closed_at__gt=cut))

    first_at, last_at = min(b[0] for b in bounds), max(b[1] for b in bounds)

    if additive or state:
        names = []
        if additive:
            names += ["closed", "due", "on_time", "escalations", "rework", "satisfied", "rated"]
            names += [*SOURCE_GROUPS, "resident_rated", "resident_satisfied"]
        if state:
            names += ["due_closed", "overdue_open"]
        names = [name for name in names if wanted(name)]
        # Those filed, when not by category, are counted with the other events.
        by_category = additive and wanted("by_category")
        if additive and not by_category and wanted("opened"):
            names.append("opened")
        by_status = state and details and statuses
        # The states alone (a report's pass per child): the status now of those filed in the
        # period is counted in the same statement, the rows grouped by status too (those filed
        # in the period are among the incidents read, or added to them).
        merged = by_status and not additive
        # The states alone, `due` counted apart: those due not closed by a period's end
        # (due_closed = due - due_open, which the caller completes).
        if due_apart and (additive or merged):
            raise ValueError("due_apart counts the states alone, not the status of those filed")
        due_apart = due_apart and "due_closed" in names
        if due_apart:
            names[names.index("due_closed")] = "due_open"
        # The statements are built from these values only (see gridmgmt.statements): the
        # period's bounds, each period's and its end (or now).
        values = {"first_at": first_at, "last_at": last_at}
        for n, ((start_at, end_at), cut) in enumerate(zip(bounds, cuts, strict=True)):
            values |= {f"from.{n}": start_at, f"until.{n}": end_at, f"cut.{n}": cut}
        if state and not additive and not merged and set(names) <= {"overdue_open", "due_open"}:
            values |= {"latest_cut": max(cuts), "earliest_cut": min(cuts)}
        shape = (additive, state, merged, len(periods), tuple(names))

        def counting(v):
            """(the incidents read, {name: _split aggregates}) of the values `v`."""
            return _incidents_counted(v, len(periods), names, additive, state, merged)

        extra = ["status"] if merged else []
        for key, row in (
            keys.per_key_moved(("incidents", shape), counting, values, *extra)
            if names or merged
            else []
        ):
            spread_key(key, row, *(name for name in names if name != "due_open"))
            if due_apart:
                for n, figures in enumerate(result[key]):
                    figures.due_closed -= row[f"due_open_{n}"]
            if merged:
                for n, figures in enumerate(result[key]):
                    count = row[f"opened_{n}"]
                    if count:
                        status = row["status"]
                        figures.by_status[status] = figures.by_status.get(status, 0) + count
        if merged:
            by_status = False  # counted

        # Incidents filed: how many per category (additive), their status now (a state).
        def filing(v):
            filed = Incident.objects.filter(filed_at__gte=v["first_at"], filed_at__lt=v["last_at"])
            return filed, {
                f"opened_{n}": _split(Count, "pk", _within(v, "filed_at", n), "filed_at")
                for n in range(len(periods))
            }

        extra = (["category_id", "category__name"] if by_category else []) + (
            ["status"] if by_status else []
        )
        for key, row in (
            keys.per_key_moved(("filed", len(periods)), filing, values, *extra)
            if by_category or by_status
            else []
        ):
            for n, _ in indexed:
                count = row[f"opened_{n}"]
                if not count:
                    continue
                figures = result[key][n]
                if by_category:
                    category = row["category__name"]
                    figures.opened += count
                    figures.by_category[category] = figures.by_category.get(category, 0) + count
                    # By category id too, for the roll-up (not a figure, as population_as_of).
                    ids = figures.__dict__.setdefault("opened_by_category_id", {})
                    ids[row["category_id"]] = ids.get(row["category_id"], 0) + count
                if by_status:
                    status = row["status"]
                    figures.by_status[status] = figures.by_status.get(status, 0) + count

    if not whole:
        return result
    if total:
        result[TOTAL] = [Figures() for _ in periods]

    if details:
        # Time to close, per group; and, in the same pass, the time from a resident's report to
        # the first step a team member took (the first timeline entry after the report that
        # somebody made: the sweep's and the resident's own entries have nobody).
        closed_then = Q(closed_at__gte=first_at, closed_at__lt=last_at)
        runs = None
        if close_known is not None:
            # Only the days the roll-ups lack: runs of consecutive dates.
            closed_then = None
            runs = _runs(sorted(close_known[1]), defaultdict(int))
            for run_start, run_end in runs:
                run = Q(
                    closed_at__gte=local_midnight(run_start),
                    closed_at__lt=local_midnight(run_end + datetime.timedelta(days=1)),
                )
                closed_then = run if closed_then is None else closed_then | run
        closed = Incident.objects.filter(closed_then) if closed_then is not None else None
        hours = defaultdict(list)  # (key, period) -> hours to close, when not in SQL
        from_resident = Q(source=Incident.Source.RESIDENT)
        first_response = Subquery(
            TimelineEntry.objects.filter(incident_id=OuterRef("pk"), by__isnull=False)
            .exclude(action="report")
            .order_by("at", "pk")
            .values("at")[:1]
        )
        if connection.vendor == "postgresql":
            # Built from these values only (see gridmgmt.statements): the periods' bounds and
            # those of the runs of days the roll-ups lack.
            values = {"first_at": first_at, "last_at": last_at}
            for n, (start_at, end_at) in enumerate(bounds):
                values |= {f"from.{n}": start_at, f"until.{n}": end_at}
            for n, (run_start, run_end) in enumerate(runs or ()):
                values |= {
                    f"run_from.{n}": local_midnight(run_start),
                    f"run_until.{n}": local_midnight(run_end + datetime.timedelta(days=1)),
                }
            shape = ("time to close", len(periods), None if runs is None else len(runs))
            for key, row in keys.rows_moved(
                shape,
                lambda v: _times_counted(v, len(periods), runs),
                values,
                "closed_at",
                total=total,
            ):
                for n, _ in indexed:
                    if close_known is None:
                        result[key][n].median_hours_to_close = row[f"median_{n}"]
                        result[key][n].p90_hours_to_close = row[f"p90_{n}"]
                    else:
                        hours[key, n].extend(row.get(f"hours_{n}") or [])
                    result[key][n].median_hours_to_response = row[f"response_{n}"]
        else:
            waits = defaultdict(list)
            for grid_id, filed_at, responded_at in (
                Incident.objects.filter(from_resident, filed_at__gte=first_at, filed_at__lt=last_at)
                .filter(grid_id__in=keys.ids)
                .annotate(responded_at=first_response)
                .values_list("grid_id", "filed_at", "responded_at")
            ):
                if grid_id not in key_of or responded_at is None:
                    continue
                for n, (start_at, end_at) in enumerate(bounds):
                    if start_at <= filed_at < end_at:
                        wait = (responded_at - filed_at).total_seconds() / 3600
                        waits[key_of[grid_id], n].append(wait)
                        if total:
                            waits[TOTAL, n].append(wait)
            for (key, n), values in waits.items():
                result[key][n].median_hours_to_response = percentile(values, 0.5)
            for grid_id, moved_from_id, moved_at, filed_at, closed_at in (
                closed.filter(Q(grid_id__in=keys.ids) | Q(moved_from_id__in=keys.ids)).values_list(
                    "grid_id", "moved_from_id", "moved_at", "filed_at", "closed_at"
                )
                if closed is not None
                else ()
            ):
                if moved_at is not None and closed_at < moved_at:
                    grid_id = moved_from_id
                if grid_id not in key_of:
                    continue
                for n, (start_at, end_at) in enumerate(bounds):
                    if start_at <= closed_at < end_at:
                        taken = (closed_at - filed_at).total_seconds() / 3600
                        hours[key_of[grid_id], n].append(taken)
        if close_known is not None or connection.vendor != "postgresql":
            # The percentiles in Python, as percentile_cont: each group's hours (with those
            # the roll-ups gave), and over every group's for the total.
            for key, known in (close_known or ({}, ()))[0].items():
                if key in keys.groups:
                    hours[key, 0].extend(known)
            # Each list sorted once for both percentiles; the total's, made of the groups'
            # sorted lists, sorts as a merge of runs.
            for values in hours.values():
                values.sort()
            if total:
                for n, _ in indexed:
                    hours[TOTAL, n] = sorted(
                        itertools.chain.from_iterable(
                            hours.get((key, n), ()) for key in keys.groups
                        )
                    )
            for key, per_period_figures in result.items():
                for n, figures in enumerate(per_period_figures):
                    ordered = hours.get((key, n), ())
                    figures.median_hours_to_close = _percentile_of_sorted(ordered, 0.5)
                    figures.p90_hours_to_close = _percentile_of_sorted(ordered, 0.9)

    if state:
        # Verification instructions not done when the period ended (or now).
        # Built from these values only (see gridmgmt.statements): each period's end (or
        # now) and its local date, the latest and the earliest.
        values = {
            "latest": max(cuts),
            "latest_on": timezone.localdate(max(cuts)),
            "earliest": min(cuts),
        }
        for n, cut in enumerate(cuts):
            values |= {f"cut.{n}": cut, f"cut_on.{n}": timezone.localdate(cut)}

        def overdue_instructions(v):
            def overdue_at(n):
                cut = v[f"cut.{n}"]
                not_done = Q(completed_at__isnull=True) | Q(completed_at__gte=cut)
                return Q(issued_at__lt=cut, due_on__lt=v[f"cut_on.{n}"]) & not_done

            instructions = Instruction.objects.filter(
                issued_at__lt=v["latest"], due_on__lt=v["latest_on"]
            ).filter(Q(completed_at__isnull=True) | Q(completed_at__gte=v["earliest"]))
            return instructions, {
                f"overdue_instructions_{n}": _split(Count, "pk", overdue_at(n), v[f"cut.{n}"])
                for n in range(len(periods))
            }

        for key, row in (
            keys.per_key_moved(("instructions", len(periods)), overdue_instructions, values)
            if wanted("overdue_instructions")
            else []
        ):
            spread_key(key, row, "overdue_instructions")

        if register:
            _count_register(result, keys, rows, periods, now, register_known)

    if details:
        # Grid workers: distinct A holders per group of the posts of the grids that existed in
        # the period, open on its last day or on the grid's last day in it (a retired grid's
        # posts are closed from its retirement).
        def workers(n, start, end):
            open_then = (
                Q(closed_on__isnull=True)
                | Q(closed_on__gt=end)
                | Q(area__valid_to__lt=end, closed_on__gt=F("area__valid_to"))
            )
            return Count(
                "holder_a_id",
                distinct=True,
                filter=open_then & _existed_during(start, end, prefix="area__"),
            )

        posts = Post.all_posts.filter(role__in=GRID_WORKER_ROLES)
        if connection.vendor == "postgresql" and keys.position and len(keys.groups) > 1:
            counted = keys.workers(posts, periods, total=total)
        else:
            counted = keys.rows(posts, "area_id", total=total, **per_period(workers=workers))
        for key, row in counted:
            for n, figures in enumerate(result[key]):
                figures.grid_workers = row.get(f"workers_{n}") or 0
    return result


def _q_shape(q, values, path="q"):
    """The shape of the condition `q` (its tree, lookups and constants), its values (dates,
    datetimes, ints and strings, and lists of them) added to `values` under names from
    `path`: with _q_rebuilt, a condition a compiled statement binds (gridmgmt.statements).
    A value of another type (a bool, an expression) stays in the shape, a constant."""
    if isinstance(q, Q):
        return (
            "Q",
            q.connector,
            q.negated,
            tuple(_q_shape(child, values, f"{path}.{n}") for n, child in enumerate(q.children)),
        )
    if not isinstance(q, tuple):
        return ("node", q)  # an expression: a constant (hashable)
    lookup, value = q
    if type(value) in statements.BOUND_TYPES:
        values[path] = value
        return ("value", lookup)
    if type(value) in (list, tuple) and all(type(x) in statements.BOUND_TYPES for x in value):
        for n, item in enumerate(value):
            values[f"{path}.{n}"] = item
        return ("values", lookup, type(value), len(value))
    return ("constant", lookup, value)


def _q_rebuilt(shape, v, path="q"):
    """The condition of `shape` (from _q_shape) with the values `v`."""
    kind = shape[0]
    if kind == "Q":
        _kind, connector, negated, children = shape
        return Q(
            *(_q_rebuilt(child, v, f"{path}.{n}") for n, child in enumerate(children)),
            _connector=connector,
            _negated=negated,
        )
    if kind == "node":
        return shape[1]
    if kind == "value":
        return (shape[1], v[path])
    if kind == "values":
        _kind, lookup, sequence, length = shape
        return (lookup, sequence(v[f"{path}.{n}"] for n in range(length)))
    return (shape[1], shape[2])


def _within(v, name, n):
    """`name` (a datetime field) within period n of the values `v` ("from.<n>",
    "until.<n>")."""
    return Q(**{f"{name}__gte": v[f"from.{n}"], f"{name}__lt": v[f"until.{n}"]})


def _open_overdue_at(cut):
    still_open = Q(closed_at__isnull=True, status__in=IncidentQuerySet.OPEN_STATES)
    return Q(filed_at__lt=cut, deadline_at__lte=cut) & (still_open | Q(closed_at__gt=cut))


def _incidents_counted(v, periods, names, additive, state, merged):
    """(the incidents _compute reads, {"<name>_<n>": _split aggregates} for `names` and each
    of the `periods` periods, "opened_<n>" too when `merged`), built from the values `v`
    only (see _compute): "first_at", "last_at", "from.<n>", "until.<n>", "cut.<n>", and
    for the states' overdue_open alone "latest_cut" and "earliest_cut". The incidents read
    are those with an event that `names` count (for overdue_open alone, a tuple of two
    querysets of rows apart). Runs no query."""
    first_at, last_at = v["first_at"], v["last_at"]
    incidents = Incident.objects.filter(filed_at__lt=last_at).filter(
        Q(filed_at__gte=first_at)
        | Q(closed_at__gte=first_at)
        | Q(deadline_at__gte=first_at)
        | Q(escalated_at__gte=first_at)
        | Q(closed_at__isnull=True)
        # Rated by the resident in the period (a rating saves the incident).
        | Q(source=Incident.Source.RESIDENT, updated_at__gte=first_at)
    )
    if not additive and not merged and set(names) <= {"overdue_open", "due_open"}:
        # Only the incidents open at a period's end (its cut): those whose deadline passed by
        # the latest cut (overdue_open) or falls in a period (due_open), not closed by the
        # earliest cut; not every one due or closed since the period began. Two parts,
        # counted apart (UNION ALL): the open ones, read from the index of the open
        # incidents alone (migration reports.0010), and those closed at or after the
        # earliest cut.
        if "due_open" in names:
            deadline = Q(deadline_at__lt=last_at)
        else:
            deadline = Q(deadline_at__lte=v["latest_cut"])
        overdue = Incident.objects.filter(deadline, filed_at__lt=last_at)
        incidents = (
            overdue.filter(closed_at__isnull=True),
            overdue.filter(closed_at__gte=v["earliest_cut"]),
        )
    elif not additive:
        # The states need only the incidents due in the period and those not closed before
        # it began: conditions the indexes on deadline_at and closed_at serve (a bitmap OR
        # of three index scans instead of a scan of every incident).
        incidents = Incident.objects.filter(filed_at__lt=last_at).filter(
            Q(deadline_at__gte=first_at) | Q(closed_at__gte=first_at) | Q(closed_at__isnull=True)
        )
    elif not state:
        # The counts need only the incidents with an event in the period (filed, closed,
        # due, escalated, rated by the resident) that a name counted, not every open one:
        # one index each (a bitmap OR), so today's live count reads today's incidents, not
        # them all.
        events = set(names)
        branches = [
            (("opened", *SOURCE_GROUPS), Q(filed_at__gte=first_at)),
            (
                ("closed", "rework", "satisfied", "rated"),
                Q(closed_at__gte=first_at, closed_at__lt=last_at),
            ),
            (("due", "on_time"), Q(deadline_at__gte=first_at, deadline_at__lt=last_at)),
            (("escalations",), Q(escalated_at__gte=first_at, escalated_at__lt=last_at)),
            (
                ("resident_rated", "resident_satisfied"),
                Q(source=Incident.Source.RESIDENT, updated_at__gte=first_at),
            ),
        ]
        read = None
        for counted_by, branch in branches:
            if events.intersection(counted_by):
                read = branch if read is None else read | branch
        incidents = Incident.objects.filter(filed_at__lt=last_at).filter(read)
    # Each count is of one event; the grid is the one the incident was in at that event:
    # `on_time` and `due_closed` are parts of `due` (the deadline), `rework`, `satisfied`
    # and `rated` of `closed`.
    staff_rated = ~Q(satisfaction="") & ~Q(source=Incident.Source.RESIDENT)

    def within(name, n):
        return _within(v, name, n)

    def from_source(sources):
        return lambda n: _split(
            Count, "pk", within("filed_at", n) & Q(source__in=sources), "filed_at"
        )

    def resident_ratings(n, condition=None):
        """The residents' ratings given in period n, each counted for the grid the matter
        was in when it was rated: the sum over the incidents of a count of their rating
        entries, worked out only for residents' matters saved since the period began."""
        entries = TimelineEntry.objects.filter(
            Q(incident_id=OuterRef("pk"), action=RESIDENT_RATING) & within("at", n)
        )
        if condition is not None:
            entries = entries.filter(condition)

        def count(moment):
            counted = (
                entries.filter(moment)
                .order_by()
                .values("incident_id")
                .annotate(c=Count("pk"))
                .values("c")
            )
            return Subquery(counted, output_field=IntegerField())

        touched = Q(source=Incident.Source.RESIDENT, updated_at__gte=v[f"from.{n}"])
        since_move = Q(at__gte=Coalesce(OuterRef("moved_at"), Value(_NEVER)))
        return {
            "": Sum(count(since_move), filter=touched),
            "_moved": Sum(count(Q(at__lt=OuterRef("moved_at"))), filter=touched),
        }

    makers = dict(
        opened=lambda n: _split(Count, "pk", within("filed_at", n), "filed_at"),
        closed=lambda n: _split(Count, "pk", within("closed_at", n), "closed_at"),
        due=lambda n: _split(Count, "pk", within("deadline_at", n), "deadline_at"),
        on_time=lambda n: _split(
            Count,
            "pk",
            within("deadline_at", n) & Q(closed_at__lte=F("deadline_at")),
            "deadline_at",
        ),
        due_closed=lambda n: _split(
            Count,
            "pk",
            within("deadline_at", n) & Q(closed_at__lt=v[f"cut.{n}"]),
            "deadline_at",
        ),
        # Of those due, the ones not closed by the period's end (or now): due_closed's
        # complement, for when `due` is counted apart (see _compute's due_apart).
        due_open=lambda n: _split(
            Count,
            "pk",
            within("deadline_at", n)
            & (Q(closed_at__isnull=True) | Q(closed_at__gte=v[f"cut.{n}"])),
            "deadline_at",
        ),
        overdue_open=lambda n: _split(Count, "pk", _open_overdue_at(v[f"cut.{n}"]), v[f"cut.{n}"]),
        escalations=lambda n: _split(Count, "pk", within("escalated_at", n), "escalated_at"),
        rework=lambda n: _split(Sum, "rework_count", within("closed_at", n), "closed_at"),
        satisfied=lambda n: _split(
            Count,
            "pk",
            within("closed_at", n) & staff_rated & Q(satisfaction__in=SATISFIED),
            "closed_at",
        ),
        rated=lambda n: _split(Count, "pk", within("closed_at", n) & staff_rated, "closed_at"),
        **{name: from_source(sources) for name, sources in SOURCE_GROUPS.items()},
        resident_rated=lambda n: resident_ratings(n),
        resident_satisfied=lambda n: resident_ratings(n, Q(to_status="")),
    )
    counted = {f"{name}_{n}": makers[name](n) for n in range(periods) for name in names}
    if merged:
        incidents = incidents | Incident.objects.filter(
            filed_at__gte=first_at, filed_at__lt=last_at
        )
        counted |= {
            f"opened_{n}": _split(Count, "pk", within("filed_at", n), "filed_at")
            for n in range(periods)
        }
    return incidents, counted


def _times_counted(v, periods, runs):
    """(the incidents _compute reads for the time to close and to a first response,
    {"<name>_<n>": aggregate} for each of the `periods` periods), built from the values `v`
    only: "first_at", "last_at", "from.<n>", "until.<n>" and, with `runs` (the runs of days
    the roll-ups lack, or None to read every incident closed in the period),
    "run_from.<k>", "run_until.<k>". Runs no query."""
    first_at, last_at = v["first_at"], v["last_at"]
    if runs is None:
        closed_then = Q(closed_at__gte=first_at, closed_at__lt=last_at)
    else:
        closed_then = None
        for k in range(len(runs)):
            run = Q(closed_at__gte=v[f"run_from.{k}"], closed_at__lt=v[f"run_until.{k}"])
            closed_then = run if closed_then is None else closed_then | run
    from_resident = Q(source=Incident.Source.RESIDENT)
    first_response = Subquery(
        TimelineEntry.objects.filter(incident_id=OuterRef("pk"), by__isnull=False)
        .exclude(action="report")
        .order_by("at", "pk")
        .values("at")[:1]
    )
    duration = ExpressionWrapper(F("closed_at") - F("filed_at"), output_field=DurationField())
    to_response = ExpressionWrapper(first_response - F("filed_at"), output_field=DurationField())
    answered = from_resident & Q(filed_at__gte=first_at, filed_at__lt=last_at)
    if closed_then is not None:
        answered |= closed_then
    aggregates = {}
    for n in range(periods):
        if runs is None:
            aggregates[f"median_{n}"] = _PercentileHours(
                0.5, duration, filter=_within(v, "closed_at", n)
            )
            aggregates[f"p90_{n}"] = _PercentileHours(
                0.9, duration, filter=_within(v, "closed_at", n)
            )
        elif closed_then is not None:
            aggregates[f"hours_{n}"] = ArrayAgg(_Hours(), filter=closed_then)
        aggregates[f"response_{n}"] = _PercentileHours(
            0.5, to_response, filter=_within(v, "filed_at", n) & from_resident
        )
    return Incident.objects.filter(answered), aggregates


def _count_register(result, keys, rows, periods, now, known=None):
    """The register, as of each period's end date and the day before its start: from
    `known` ({day: (computed_at, {key: counts})}, e.g. the areas' roll-up) or else the daily
    roll-up for the past days it covers completely, counted live for the others."""
    key_of = keys.key_of
    ends = [end for _, end in periods]
    eves = [start - datetime.timedelta(days=1) for start, _ in periods]
    wanted = set(ends) | set(eves)
    today = timezone.localdate(now)
    # Today's register: yesterday's roll-up and today's changes (reports.register_day), when
    # the grids counted are the same both days.
    yesterday = today - datetime.timedelta(days=1)
    base = (
        {yesterday}
        if today in wanted
        and today not in (known or {})
        and all(
            row.existed_during(yesterday, yesterday) == row.existed_during(today, today)
            for row in rows
            if row.pk in key_of
        )
        else set()
    )
    known = {day: found for day, found in (known or {}).items() if day in wanted | base}
    asked = {day for day in wanted | base if day < today} - set(known)
    rolled = known | _rolled_up(keys, rows, asked)
    counts = defaultdict(lambda: dict.fromkeys(REGISTER, 0))  # (key, day) -> counts
    for day, (_computed_at, by_key) in rolled.items():
        for key, row in by_key.items():
            counts[key, day] = row
    live = wanted - set(rolled)
    if base and yesterday in rolled:
        from .register_day import register_changes

        live.discard(today)
        for key in keys.groups:
            counts[key, today] = dict(counts[key, yesterday])
        for grid_id, change in register_changes(keys.ids, today).items():
            if grid_id in key_of:
                totals = counts[key_of[grid_id], today]
                for name in REGISTER:
                    totals[name] += change[name]
    for (grid_id, day), row in register_by_grid(keys.ids, live).items():
        if grid_id not in key_of:
            continue
        totals = counts[key_of[grid_id], day]
        for name in REGISTER:
            totals[name] += row[name]
    for key, figures_list in result.items():
        for figures, end, eve in zip(figures_list, ends, eves, strict=True):
            for name in REGISTER:
                setattr(figures, name, counts[key, end][name])
                setattr(figures, f"{name}_before", counts[key, eve][name])
            used = [rolled[day][0] for day in (end, eve) if day in rolled and rolled[day][0]]
            figures.population_as_of = min(used) if used else None


# --- The register as of a day ---

REGISTER = ("households", "residents", "floating", "rentals")


def as_of(day):
    """The filter of Membership.objects.as_of(day) (who lived where on `day`), as a
    condition for a conditional aggregate."""
    return Q(moved_in_on__lte=day) & (Q(moved_out_on__isnull=True) | Q(moved_out_on__gt=day))


def renting(day, prefix=""):
    """Rentals running on `day`, as a condition."""
    return Q(**{f"{prefix}starts_on__lte": day, f"{prefix}ends_on__gte": day})


def in_grid_on(day):
    """The HouseholdGrid rows that held their household on `day`, as a condition. The first
    grid of a household (its stay since the day it was registered) also holds it for the days
    before, so a rental that started before the household was registered counts there, as it
    always did."""
    return (Q(since_on__lte=day) | Q(since_on__lte=F("household__created_on"))) & (
        Q(until_on__isnull=True) | Q(until_on__gt=day)
    )


def register_by_grid(grid_ids, days, households=None):
    """{(grid id, day): {"households", "residents", "floating", "rentals": count}} of each
    grid as of each of the local dates `days`, counted live in one grouped pass over the
    stays and one over the rentals (each in the grid its household was in that day, see
    HouseholdGrid): two queries, none without grids or days. A grid with nothing on a day
    may be missing or zero. `households`, (the stays', the rentals'): conditions on the
    households counted (reports.register_day)."""
    days = sorted(set(days))
    if not days or (not isinstance(grid_ids, QuerySet) and not grid_ids):
        return {}
    result = defaultdict(lambda: dict.fromkeys(REGISTER, 0))
    floating = Q(population=Resident.Population.FLOATING)
    stays = Membership.objects.filter(grid_id__in=grid_ids, moved_in_on__lte=days[-1]).filter(
        Q(moved_out_on__isnull=True) | Q(moved_out_on__gt=days[0])
    )
    if households is not None:
        stays = stays.filter(households[0])
    aggregates = {}
    for n, day in enumerate(days):
        aggregates[f"households_{n}"] = Count("household_id", distinct=True, filter=as_of(day))
        aggregates[f"residents_{n}"] = Count("pk", filter=as_of(day))
        aggregates[f"floating_{n}"] = Count("pk", filter=as_of(day) & floating)
    for row in stays.order_by().values("grid_id").annotate(**aggregates):
        for n, day in enumerate(days):
            counts = result[row["grid_id"], day]
            for name in ("households", "residents", "floating"):
                counts[name] = row[f"{name}_{n}"]
    # One row per (household's grid stay, rental) that overlap the days; a stay that ended
    # the day it began held nothing.
    rentals = HouseholdGrid.objects.filter(
        Q(until_on__isnull=True) | Q(until_on__gt=F("since_on")),
        grid_id__in=grid_ids,
        household__rentals__starts_on__lte=days[-1],
        household__rentals__ends_on__gte=days[0],
    )
    if households is not None:
        rentals = rentals.filter(households[1])
    aggregates = {
        f"rentals_{n}": Count(
            "household__rentals", filter=renting(day, "household__rentals__") & in_grid_on(day)
        )
        for n, day in enumerate(days)
    }
    for row in rentals.order_by().values("grid_id").annotate(**aggregates):
        for n, day in enumerate(days):
            result[row["grid_id"], day]["rentals"] = row[f"rentals_{n}"]
    return dict(result)


def _rolled_up(keys, rows, days):
    """{day: (oldest computed_at, {key: counts})} for those of the past `days` that the daily
    roll-up covers for every grid of `keys` (`rows`, the _Grids) that existed that day, summed
    per group in the database. One query, none without days."""
    from .models import PopulationDay

    if not days:
        return {}
    found = defaultdict(dict)
    grids = defaultdict(int)
    computed = {}
    expected = {
        day: sum(1 for row in rows if row.pk in keys.key_of and row.existed_during(day, day))
        for day in days
    }
    aggregates = {name: Sum(name) for name in REGISTER}
    aggregates |= {"n": Count("pk"), "computed_at": Min("computed_at")}
    if connection.vendor == "postgresql" and keys._shape() is not None:
        # keys.rows' statement, compiled once per process (see _Keys.compiled) for the
        # number of days and bound to them.
        ordered = sorted(days)
        single = len(keys.groups) == 1

        def build(keys_, v):
            qs = PopulationDay.objects.filter(
                existed_on_day(), day__in=[v[f"day.{n}"] for n in range(len(ordered))]
            )
            qs = qs.filter(grid_id__in=keys_._in()).order_by()
            grouped = {} if single else {"_key": F(keys_.field("grid"))}
            return qs.values("day", **grouped).annotate(**aggregates).query.sql_with_params()

        sql, params = keys.compiled(
            ("register rolled up", len(ordered), single),
            build,
            {f"day.{n}": day for n, day in enumerate(ordered)},
        )
        columns, found_rows = _fetch(sql, params)
        counted = []
        for values in found_rows:
            row = dict(zip(columns, values, strict=True))
            key = next(iter(keys.groups)) if single else row.pop("_key")
            if key in keys.groups:
                counted.append((key, row))
    else:
        counted = keys.rows(
            PopulationDay.objects.filter(existed_on_day(), day__in=days),
            "grid_id",
            "day",
            **aggregates,
        )
    for key, row in counted:
        day = row["day"]
        found[day][key] = {name: row[name] for name in REGISTER}
        grids[day] += row["n"]
        computed[day] = min(computed.get(day, row["computed_at"]), row["computed_at"])
    complete = {day for day in days if grids[day] == expected[day]}
    # A day none of the grids existed on needs no roll-up: nothing to count.
    return {day: (computed.get(day), found.get(day, {})) for day in complete}
