"""The daily review board: for each grid and window, what happened. Pure functions: the
view fetches the rows (a fixed number of queries), these turn them into cells."""

import datetime
from collections import Counter
from dataclasses import dataclass, field

from django.db import connection, models
from django.db.models import (
    Case,
    Exists,
    F,
    FloatField,
    IntegerField,
    OuterRef,
    Value,
    When,
    Window,
)
from django.db.models.functions import Cast, Coalesce, Extract, NullIf, RowNumber
from django.utils.translation import gettext_lazy as _

from gridmgmt import statements

from . import windows
from .models import MissedPatrol, Patrol, Slot


class State(models.TextChoices):
    DONE = "done", _("Done")
    SHORT = "short", _("Short")
    RETURNED = "returned", _("Returned")
    IN_PROGRESS = "in_progress", _("In progress")
    MISSING = "missing", _("Missing")
    UPCOMING = "upcoming", _("Upcoming")


# Bootstrap badge classes, in the order of the legend.
BADGES = {
    State.DONE: "text-bg-success",
    State.SHORT: "text-bg-warning",
    State.RETURNED: "text-bg-info",
    State.IN_PROGRESS: "text-bg-primary",
    State.MISSING: "text-bg-danger",
    State.UPCOMING: "text-bg-light border",
}


# Which of several logs of one grid and window the board shows: the one that counts most, so
# a window's state never goes backwards (a full log stays "done" whatever is logged later).
_RANKS = {Patrol.Status.RETURNED: 2, Patrol.Status.IN_PROGRESS: 3}


def _rank(patrol):
    if patrol.status in (Patrol.Status.APPROVED, Patrol.Status.SUBMITTED):
        return 1 if patrol.is_short else 0
    return _RANKS[patrol.status]


class Log:
    """A log as the board reads it: what its cell and the waiting list show (`grid` is set
    on a waiting one). Built from a row of values, not a model instance: a street's board
    reads a log a window and up to a hundred waiting ones, and a Patrol instance cost
    ~25 µs to build. `started_at` is the start in seconds since the epoch (`build_rows`
    only compares it): psycopg took 3.5 µs to read a timestamp, 3.5 ms a thousand logs,
    against 0.2 µs a number."""

    __slots__ = (
        "pk",
        "grid_id",
        "slot",
        "status",
        "is_short",
        "is_all_none",
        "started_at",
        "duration_minutes",
        "member_name",
        "grid",
    )
    # The columns read, in the order of the attributes (see `columns`).
    COLUMNS = (
        "pk",
        "grid_id",
        "slot",
        "status",
        "is_short",
        "is_all_none",
        "start_seconds",
        "duration_minutes",
        "member_name",
    )

    @staticmethod
    def columns():
        """The annotations a queryset of patrols needs for values_list(*Log.COLUMNS)."""
        return {
            # In UTC: the seconds of a local time would repeat where clocks go back. SQLite
            # (the embedded default) has no epoch: the time itself, which compares alike.
            "start_seconds": (
                Cast(Extract("started_at", "epoch", tzinfo=datetime.UTC), FloatField())
                if connection.vendor == "postgresql"
                else F("started_at")
            ),
            # The member's display_name, read with the log: not a person a row (hundreds).
            "member_name": Coalesce(NullIf("member__full_name", Value("")), "member__username"),
        }

    def __init__(self, *values):
        (
            self.pk,
            self.grid_id,
            self.slot,
            self.status,
            self.is_short,
            self.is_all_none,
            self.started_at,
            self.duration_minutes,
            self.member_name,
        ) = values

    get_slot_display = Patrol.get_slot_display


@dataclass
class Cell:
    slot: str
    state: State
    patrol: object = None  # the log shown, if any

    @property
    def badge(self):
        return BADGES[self.state]


@dataclass
class Row:
    grid: object
    cells: list


@dataclass
class Group:
    """The rows of one community, with what the view adds: its sign-off and waiting logs."""

    community: object
    rows: list = field(default_factory=list)
    sign_off: object = None
    waiting: int = 0
    can_sign_off: bool = False
    sign_off_url: str = ""


def cell_state(patrol, *, is_closed, is_recorded_missed):
    """A window's state from the log that counts most (or None). A submitted log counts, short
    or not; an in-progress one does not once the window (and its grace) has closed."""
    if patrol is not None and patrol.status != Patrol.Status.IN_PROGRESS:
        if patrol.status == Patrol.Status.RETURNED:
            return State.RETURNED
        return State.SHORT if patrol.is_short else State.DONE
    if is_closed or is_recorded_missed:
        return State.MISSING
    if patrol is not None:
        return State.IN_PROGRESS
    return State.UPCOMING


def build_rows(grids, patrols, missed, schedules, day, now):
    """One row per grid (in the given order), one cell per window.

    `grids`: areas with `pk` and `parent_id`; `patrols`: the day's logs of those grids, with
    `grid_id`, `slot`, `status`, `is_short`, `started_at`; `missed`: a set of (grid id, slot)
    with a MissedPatrol; `schedules`: community id -> PatrolSchedule; `now`: an aware moment.
    Runs no queries.
    """
    best = {}  # (grid id, slot): (rank, the log)
    for patrol in patrols:
        if not patrol.slot:
            continue  # an extra patrol counts for no window
        key = (patrol.grid_id, patrol.slot)
        rank = _rank(patrol)
        current = best.get(key)
        # The log that ranks first; of the same rank, the latest started (then the latest
        # made, as shown_logs chooses).
        if (
            current is None
            or rank < current[0]
            or (
                rank == current[0]
                and (patrol.started_at, patrol.pk) > (current[1].started_at, current[1].pk)
            )
        ):
            best[key] = (rank, patrol)
    best = {key: patrol for key, (_rank_of, patrol) in best.items()}
    closed = {}  # (community id, slot): whether the window has closed (once a community)
    rows = []
    for grid in grids:
        cells = []
        for slot in (Slot.MORNING, Slot.AFTERNOON):
            patrol = best.get((grid.pk, slot))
            key = (grid.parent_id, slot)
            if key not in closed:
                closed[key] = windows.is_closed(schedules[grid.parent_id], day, slot, now)
            state = cell_state(
                patrol,
                is_closed=closed[key],
                is_recorded_missed=(grid.pk, slot) in missed,
            )
            cells.append(Cell(slot, state, patrol))
        rows.append(Row(grid, cells))
    return rows


def count_states(rows):
    """[(state, label, badge, count)] for every state, in legend order."""
    counts = Counter(cell.state for row in rows for cell in row.cells)
    return [(state, state.label, BADGES[state], counts[state]) for state in BADGES]


def group_rows(rows):
    """Rows grouped by community (`grid.parent`), keeping their order."""
    groups = {}
    for row in rows:
        group = groups.get(row.grid.parent_id)
        if group is None:
            group = groups[row.grid.parent_id] = Group(row.grid.parent)
        group.rows.append(row)
    return list(groups.values())


def missed_flags(day):
    """Annotations for a queryset of grids: `missed_am`, `missed_pm`, whether that window
    of `day` was recorded missed (`rows_for_grids` reads them). No query."""
    missed = MissedPatrol.objects.filter(grid=OuterRef("pk"), day=day)
    return {f"missed_{slot}": Exists(missed.filter(slot=slot)) for slot in Slot.values}


def rank_expression():
    """_rank in SQL: 0 a full log (submitted or approved), 1 a short one, 2 returned, 3 in
    progress."""
    counted = [Patrol.Status.APPROVED, Patrol.Status.SUBMITTED]
    return Case(
        When(status__in=counted, is_short=False, then=Value(0)),
        When(status__in=counted, then=Value(1)),
        When(status=Patrol.Status.RETURNED, then=Value(2)),
        default=Value(3),
        output_field=IntegerField(),
    )


def shown_logs(patrols):
    """Of `patrols` (a queryset of logs of one day), the log each window's cell shows, as
    build_rows chooses it: the first by rank, then the latest started. A cell reads one
    row however many logs its window has (a member may log a window again and again). No
    query."""
    return patrols.annotate(
        _shown=Window(
            RowNumber(),
            partition_by=[F("grid_id"), F("slot")],
            order_by=[rank_expression().asc(), F("started_at").desc(), F("pk").desc()],
        )
    ).filter(_shown=1)


def rows_for_grids(grids, day, now):
    """Board rows for a few grids (fetched with `parent__patrol_schedule` and annotated
    with `missed_flags(day)`), for a home page. Runs one query: the log each window shows
    (shown_logs; a statement compiled once per process for the grids, bound to the day:
    gridmgmt.statements)."""
    ids = [grid.pk for grid in grids]
    # Extra patrols (no window) count for no cell: not read.
    patrols = statements.model_rows(
        ("patrols.board.day_logs", tuple(ids)),
        lambda values: shown_logs(
            Patrol.objects.filter(grid_id__in=ids, day=values["day"])
            .exclude(slot="")
            .only("grid_id", "slot", "status", "is_short", "is_all_none", "started_at")
        ),
        {"day": day},
    )
    missed = {
        (grid.pk, slot) for grid in grids for slot in Slot.values if getattr(grid, f"missed_{slot}")
    }
    schedules = {grid.parent_id: windows.schedule_for(grid.parent) for grid in grids}
    return build_rows(grids, patrols, missed, schedules, day, now)
