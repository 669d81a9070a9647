"""The home page: what each of the user's roles needs today, supervisor sections first.

A user holding several posts sees the sections of every role they hold. Each section runs a
fixed number of queries whatever the number of grids, logs, incidents or action items:
lists are cut to a few rows, counts are aggregated in the database.
"""

import datetime
from dataclasses import dataclass, field

from django.contrib.auth.decorators import login_required
from django.db import connection
from django.db.models import Case, Count, F, OuterRef, Q, Subquery, Value, When, Window
from django.db.models.functions import Coalesce, Least, RowNumber
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.http import urlencode
from django.utils.translation import gettext_lazy as _

from care import due as care_due
from gridmgmt import statements
from grids.models import GRID_WORKER_ROLES, TEAM_ROLES, Absence, Area, Post, Role, Transfer
from grids.posts import acting_on_days, posts_covered_by
from grids.scope import get_scope
from incidents.models import Incident
from meetings.models import ActionItem, GridReport, Meeting
from patrols import board as patrol_board
from patrols.models import Instruction, Patrol
from places.models import Place

from . import thresholds
from .figures import report_figures

# How many rows a home-page list shows; each links to the full list.
LIST_LIMIT = 8
# How many "areas that need attention" district and street staff see.
ATTENTION_LIMIT = 5
AREA_ROLES = (Role.DISTRICT_STAFF, Role.STREET_STAFF)


@dataclass
class Headline:
    label: str
    value: str
    is_bad: bool = False  # a count that should be zero and is not
    light: str = ""  # a rate's light, from reports.thresholds


@dataclass
class AreaSection:
    """District or street staff: the area's figures for the month so far."""

    area: object
    role: str
    headlines: list
    attention: list  # [(child area, [Headline], report url)]
    report_url: str
    # When today's figures are today's counts so far (reports.rollup.count_today).
    today_as_of: object = None


@dataclass
class CommunityBoard:
    community: object
    rows: list = field(default_factory=list)
    counts: list = field(default_factory=list)
    board_url: str = ""
    waiting: int = 0
    waiting_url: str = ""
    next_meeting: object = None
    grids: int = 0
    reports_submitted: int = 0
    transfers_waiting: int = 0  # people moving in from another community, not yet accepted
    places_overdue: int = 0  # places whose fire and safety check is overdue


@dataclass
class StationSection:
    """The stationmaster's morning screen, for every community they run."""

    communities: list
    counts: dict
    late_incidents: list
    escalations: list
    absences: list
    overdue_visits: list = field(default_factory=list)  # care: visits not made in time
    overdue_visits_count: int = 0
    my_incidents: list = field(default_factory=list)  # with `with_mine` (`_station`)


@dataclass
class LeaderSection:
    grids: list
    incidents: list
    action_items: list
    reports: list  # [(grid, GridReport or None)]
    month: datetime.date


@dataclass
class WorkerSection:
    patrol_rows: list
    instructions: list
    visits_due: list = field(default_factory=list)  # care: people due a visit soon
    visits_due_count: int = 0


@login_required
def home(request):
    """Read-only: every section's queries are named in its helper's docstring; each list
    is cut to LIST_LIMIT rows and links to its full page."""
    scope = get_scope(request)
    posts = scope.posts
    if not posts:
        return render(request, "reports/home.html", {"has_posts": False})
    now = timezone.now()
    today = timezone.localdate(now)
    communities = [p.area for p in posts if p.role == Role.STATIONMASTER]
    led_grids = [p.area for p in posts if p.role == Role.GRID_LEADER]
    worker_grids = _unique(p.area for p in posts if p.role in GRID_WORKER_ROLES)

    rows = _window_rows(worker_grids, communities, today, now)
    worker_ids = {g.pk for g in worker_grids}
    action_items = _action_items(request.user, led_grids, today)
    # A stationmaster holding no other post sees the incidents of their communities' grids
    # only (`Incident.objects.visible_to`): mine are among them, read with the station's.
    station_only = (
        not scope.is_global and bool(posts) and all(p.role == Role.STATIONMASTER for p in posts)
    )
    station = (
        _station(scope, communities, rows, today, now, with_mine=station_only)
        if communities
        else None
    )
    leader = _leader(scope, led_grids, action_items, today, now) if led_grids else None
    my_incidents = station.my_incidents if station_only else _my_incidents(scope, now)
    worker = (
        WorkerSection(
            patrol_rows=[r for r in rows if r.grid.pk in worker_ids],
            instructions=_instructions(worker_ids, today),
            **_visits_due(scope, worker_ids, today),
        )
        if worker_grids
        else None
    )
    context = {
        "has_posts": True,
        "today": today,
        "areas": [_area_section(p, today) for p in posts if p.role in AREA_ROLES],
        "station": station,
        "leader": leader,
        "worker": worker,
        "patrol_rows": worker.patrol_rows if worker else [],
        "my_incidents": my_incidents,
        "my_action_items": action_items["mine"],
        "post_rows": _post_rows(posts, request.user, today),
        "is_worker": bool(worker_grids),
        # A team post's work starts with reporting what it sees.
        "is_team": any(p.role in TEAM_ROLES for p in posts),
    }
    return render(request, "reports/home.html", context)


def _unique(areas):
    seen = {}
    for area in areas:
        seen.setdefault(area.pk, area)
    return list(seen.values())


def _last_month(today):
    return (today.replace(day=1) - datetime.timedelta(days=1)).replace(day=1)


def _board_url(area, day=None):
    query = {"area": area.code}
    if day is not None:
        query = {"day": day.isoformat(), **query}
    return f"{reverse('patrols:board')}?{urlencode(query)}"


def _report_url(area):
    return f"{reverse('reports:report')}?{urlencode({'area': area.code})}"


def _paths_q(areas, field):
    condition = Q(pk__in=[])
    for area in areas:
        condition |= Q(**{f"{field}__path__startswith": area.path})
    return condition


# What the station's card shows of the next meeting (reports/_home_station.html).
NEXT_MEETING_FIELDS = ("pk", "kind", "starts_at", "place")
BY_DEADLINE = ["deadline_at", "pk"]
BY_DUE = ["due_on", "pk"]


def _with_lights(incidents, now):
    incidents = list(incidents)
    for incident in incidents:
        incident.light_now = incident.light(now)
    return incidents


def _first_of_each(queryset, lists, counts=None):
    """Several short lists of `queryset`'s rows in one query: ({name: [row]}, {count name:
    n}). `lists` maps each list's name to (condition, ordering); each list is its first
    LIST_LIMIT rows meeting the condition in that order, as
    `queryset.filter(condition).order_by(*ordering)[:LIST_LIMIT]` would read them (the
    orderings end with the primary key). A row may be in several lists, as the same object.
    The counts name each list's rows (under the list's name) and, by `counts`, how many of
    the rows meeting any list's condition also meet each further condition: windows over
    every row, read before the lists are cut; 0 when no row matches. Runs one query."""
    rows = list(_first_of_each_query(queryset, lists, counts))
    return _cut_lists(rows, list(lists), list(counts or {}))


def _first_of_each_query(queryset, lists, counts=None):
    """The queryset `_first_of_each` reads (`_cut_lists` cuts its rows into the lists). No
    query."""
    annotations = {}
    any_list = Q(pk__in=[])
    for name, (condition, ordering) in lists.items():
        # Each list's rows numbered in its order, its own first, then the others.
        first = Case(When(condition, then=Value(0)), default=Value(1))
        annotations[f"_rank_{name}"] = Window(RowNumber(), order_by=[first, *ordering])
        annotations[f"_count_{name}"] = Window(Count("pk", filter=condition))
        any_list |= condition
    for name, condition in (counts or {}).items():
        annotations[f"_count_{name}"] = Window(Count("pk", filter=condition))
    # A row is in a list's first LIST_LIMIT when its number there is at most LIST_LIMIT
    # and the list's size: those rows have the lowest least number, and there are at most
    # LIST_LIMIT for each list.
    ranks = [F(f"_rank_{name}") for name in lists]
    return (
        queryset.filter(any_list)
        .annotate(**annotations)
        .annotate(_first=ranks[0] if len(ranks) == 1 else Least(*ranks))
        .order_by("_first", "pk")[: LIST_LIMIT * len(lists)]
    )


def _cut_lists(rows, lists, counts):
    """({list: [row]}, {count: n}) of the rows of `_first_of_each_query` for the names of
    its lists and further counts."""
    sizes = {name: getattr(rows[0], f"_count_{name}") if rows else 0 for name in lists}
    found = {
        name: sorted(
            (row for row in rows if getattr(row, f"_rank_{name}") <= min(LIST_LIMIT, sizes[name])),
            key=lambda row, name=name: getattr(row, f"_rank_{name}"),
        )
        for name in lists
    }
    names = [*lists, *counts]
    return found, {name: getattr(rows[0], f"_count_{name}") if rows else 0 for name in names}


def _count_of(queryset, field, counted="pk"):
    """A subquery counting the rows of `queryset` whose `field` is the outer row (0 when
    none). `counted`: the column counted, a column that is never null (one an index holds
    lets PostgreSQL count from the index alone)."""
    return Coalesce(
        Subquery(
            queryset.filter(**{field: OuterRef("pk")})
            .order_by()
            .values(field)
            .annotate(count=Count(counted))
            .values("count")
        ),
        0,
    )


# --- Patrol windows: a grid worker's grids and the station's communities, one fetch ---


def _window_rows(worker_grids, communities, today, now):
    """Today's board rows for the worker's grids and every grid of the communities, of
    those that exist today. Runs two queries (grids with their schedules and missed
    windows, the day's logs), or none."""
    if not worker_grids and not communities:
        return []
    worker_ids = [g.pk for g in worker_grids]
    community_ids = [c.pk for c in communities]
    grids = statements.model_rows(
        ("reports.home.window_grids", tuple(worker_ids), tuple(community_ids)),
        lambda values: (
            Area.objects.grids()
            .existing_on(values["today"])
            .filter(Q(pk__in=worker_ids) | Q(parent__in=community_ids))
            .select_related("parent__patrol_schedule")
            .defer("boundary", "parent__boundary")
            .annotate(**patrol_board.missed_flags(values["today"]))
            .order_by("parent__code", "code")
        ),
        {"today": today},
    )
    return patrol_board.rows_for_grids(grids, today, now)


def _visits_due(scope, grid_ids, today):
    """The people due a visit within a few days in the grids, that the user may see, and
    how many there are (care.due.due_soon). Runs one query."""
    rows, count = care_due.due_soon(scope, grid_ids, today, LIST_LIMIT)
    return {"visits_due": rows, "visits_due_count": count}


def _instructions(grid_ids, today):
    """The grids' open verification instructions, soonest due first. Runs one query."""
    ids = sorted(grid_ids)
    instructions = statements.model_rows(
        ("reports.home.instructions", tuple(ids)),
        lambda values: (
            Instruction.objects.open()
            .filter(grid_id__in=ids)
            .select_related("grid")
            .order_by("due_on", "pk")[:LIST_LIMIT]
        ),
        {},
    )
    for instruction in instructions:
        instruction.is_late = instruction.is_overdue(today)
    return instructions


# --- The lists of incidents and action items ---


def _my_incidents(scope, now):
    """Open incidents I handle or am first-responsible for (the incident list's "Mine").
    Runs one query, and the one of `mine` (the posts the user covers today) for a B holder
    or a stationmaster."""
    covered = posts_covered_by(
        scope.user, scope.posts, timezone.localdate(now), key=scope.statement_key
    )
    return _with_lights(
        statements.model_rows(
            ("reports.home.my_incidents", len(covered), scope.statement_key),
            lambda values: (
                Incident.objects.visible_to(scope)
                .open()
                .mine(scope, covered=[values[f"covered_{n}"] for n in range(len(covered))])
                .for_rows()
                .order_by(*BY_DEADLINE)[:LIST_LIMIT]
            ),
            {f"covered_{n}": pk for n, pk in enumerate(covered)},
        ),
        now,
    )


def _action_items(user, led_grids, today):
    """The open action items the home lists, soonest due first: {list: [item]}. "mine":
    those I own; for a grid leader "grid": those of the led grids. Runs a query for each
    (two simple statements cost Django less to build than one that cuts two lists by row
    number, and PostgreSQL as little)."""
    items = (
        ActionItem.objects.open()
        .select_related("meeting", "owner", "grid")
        .only(
            # What a row (reports/_home_action_items.html) shows.
            "text",
            "due_on",
            "meeting__kind",
            "meeting__scheduled_on",
            "owner__full_name",
            "owner__username",
            "grid__name",
        )
    )
    found = {
        "mine": statements.model_rows(
            ("reports.home.my_action_items",),
            lambda values: items.filter(owner=values["user"]).order_by(*BY_DUE)[:LIST_LIMIT],
            {"user": user.pk},
        )
    }
    if led_grids:
        ids = [g.pk for g in led_grids]
        found["grid"] = statements.model_rows(
            ("reports.home.grid_action_items", tuple(ids)),
            lambda values: items.filter(grid_id__in=ids).order_by(*BY_DUE)[:LIST_LIMIT],
            {},
        )
    for rows in found.values():
        for item in rows:
            item.is_late = item.due_on < today
    return found


def _post_rows(posts, user, today):
    """Each post with who is acting today (see `grids.posts.acting_on`). Runs one query
    (who is away), three on a day a post's A and B are both away (then the stationmasters'
    posts, and who of them is away)."""
    acting = acting_on_days({today: posts}, stations_when_needed=True)[today][0]
    return [
        {"post": post, "acting": acting[post.pk].user, "is_a": post.holder_a_id == user.pk}
        for post in posts
    ]


# --- Grid leader ---


def _leader(scope, grids, action_items, today, now):
    """The led grids' open incidents, their action items (`_action_items`) and last month's
    report (of the grids that existed last month). Runs two queries. (Reading the grid's
    incidents with mine in one statement, as the station does, cost Django more to build
    than the two plain ones, for no less of PostgreSQL.)"""
    ids = [g.pk for g in grids]
    incidents = _with_lights(
        statements.model_rows(
            ("reports.home.grid_incidents", tuple(ids), scope.statement_key),
            lambda values: (
                Incident.objects.visible_to(scope)
                .open()
                .filter(grid_id__in=ids)
                .for_rows()
                .order_by(*BY_DEADLINE)[:LIST_LIMIT]
            ),
            {},
        ),
        now,
    )
    month = _last_month(today)
    month_end = today.replace(day=1) - datetime.timedelta(days=1)
    reports = {
        r.grid_id: r
        for r in statements.model_rows(
            ("reports.home.grid_reports", tuple(ids)),
            lambda values: GridReport.objects.filter(grid_id__in=ids, month=values["month"]).only(
                "pk", "grid_id", "status", "submitted_at", "month"
            ),
            {"month": month},
        )
    }
    return LeaderSection(
        grids=grids,
        incidents=incidents,
        action_items=action_items["grid"],
        reports=[
            (grid, reports.get(grid.pk))
            for grid in grids
            if (grid.valid_from is None or grid.valid_from <= month_end)
            and (grid.valid_to is None or grid.valid_to >= month)
        ],
        month=month,
    )


# --- Stationmaster ---


def _station(scope, communities, rows, today, now, with_mine=False):
    """Board, waiting logs, late and escalated incidents, absences, the next meeting, last
    month's grid reports, the moves waiting to be accepted and the overdue visits of the
    communities. Runs four queries. `with_mine`: also my open incidents in the communities
    (`_my_incidents`, when every incident the user may see is in them), read with the late
    ones, and the one query of `mine` (the posts the user covers today)."""
    ids = [c.pk for c in communities]
    boards = {c.pk: CommunityBoard(c, board_url=_board_url(c)) for c in communities}
    for group in patrol_board.group_rows(r for r in rows if r.grid.parent_id in boards):
        board = boards[group.community.pk]
        board.rows = group.rows
        board.grids = len(group.rows)
        board.counts = [c for c in patrol_board.count_states(group.rows) if c[3]]

    # 1. Per community: the logs waiting for review, the grid reports, the moves waiting,
    # the places overdue and the next meeting (`_community_rows`).
    for row in _community_rows(ids, today, now):
        board = boards[row["pk"]]
        board.waiting = row["waiting"]
        if row["waiting"]:
            board.waiting_url = _board_url(board.community, row["oldest"])
        board.reports_submitted = row["reports_submitted"]
        board.transfers_waiting = row["transfers_waiting"]
        board.places_overdue = row["places_overdue"]
        if row["meeting_pk"] is not None:
            # Only what the card shows (NEXT_MEETING_FIELDS).
            board.next_meeting = Meeting(
                community_id=row["pk"],
                **{name: row[f"meeting_{name}"] for name in NEXT_MEETING_FIELDS},
            )

    # 2. Open incidents that are late or nearly so, with how many are of each light, and
    # the escalations with their count (and mine): the lists and the counts in one query.
    covered = (
        posts_covered_by(scope.user, scope.posts, today, key=scope.statement_key)
        if with_mine
        else []
    )
    incidents, incident_counts = _cut_lists(
        statements.model_rows(
            (
                "reports.home.station_incidents",
                with_mine,
                len(covered),
                tuple(ids),
                scope.statement_key,
            ),
            lambda values: _station_incidents(scope, ids, with_mine, len(covered), values),
            {"now": now, **{f"covered_{n}": pk for n, pk in enumerate(covered)}},
        ),
        ["late", "escalated", *(["mine"] if with_mine else [])],
        ["red"],
    )
    overdue_visits, overdue_visits_count = care_due.overdue(ids, today, LIST_LIMIT)

    return StationSection(
        communities=list(boards.values()),
        counts={
            "red": incident_counts["red"],
            "yellow": incident_counts["late"] - incident_counts["red"],
            "escalated": incident_counts["escalated"],
        },
        late_incidents=_with_lights(incidents["late"], now),
        my_incidents=_with_lights(incidents.get("mine", []), now),
        escalations=_with_lights(incidents["escalated"], now),
        absences=_absences(communities, today),
        # 3. Visits not made in time, and how many (4. is `_absences`).
        overdue_visits=overdue_visits,
        overdue_visits_count=overdue_visits_count,
    )


def _station_incidents(scope, ids, with_mine, covered, values):
    """The queryset of `_first_of_each` reading the open incidents of the communities `ids`
    that are late or nearly so ("late", counted, and "red" counted), escalated
    ("escalated"), and with `with_mine` mine ("mine", `_my_incidents`, the `covered` posts
    the user covers today `values["covered_<n>"]`), at `values["now"]`. No query."""
    now = values["now"]
    red = Incident.objects.light_q("red", now)
    late = red | Incident.objects.light_q("yellow", now)
    lists = {
        "late": (late, BY_DEADLINE),
        "escalated": (Q(escalation_level__gt=0), ["-escalation_level", "-escalated_at", "pk"]),
    }
    if with_mine:
        # On the community's open incidents the statement reads anyway; the posts the user
        # covers today read before (a subquery repeated in each of the list's four places
        # cost PostgreSQL ~2 ms to plan, more than the statement's run).
        mine = [values[f"covered_{n}"] for n in range(covered)]
        lists["mine"] = (Incident.objects.mine_q(scope, covered=mine), BY_DEADLINE)
    return _first_of_each_query(
        Incident.objects.visible_to(scope).open().filter(grid__parent_id__in=ids).for_rows(),
        lists,
        counts={"red": late & red},
    )


def _community_counts(values):
    """The station's counts per community for `values` (a values() queryset): "community_<n>"
    the communities' ids, "today", "last_month" (its first day) and "now". One subquery
    each: the logs waiting for review, any day (the oldest day is where review should
    start), last month's grid reports handed in, the people moving in from other
    communities waiting for the station, the places whose fire and safety check is overdue,
    and what the card shows of the next meeting (soonest first; the key breaks a tie, so
    that every field is of the same meeting)."""
    ids = [values[f"community_{n}"] for n in range(len(values) - 3)]
    waiting = Patrol.objects.filter(status=Patrol.Status.SUBMITTED)
    next_meeting = (
        Meeting.objects.upcoming(values["now"])
        .filter(community=OuterRef("pk"))
        .order_by("starts_at", "pk")
    )
    rows = (
        Area.objects.filter(pk__in=ids)
        .values("pk")
        .annotate(
            # Counted on the day, as the oldest is found: both from the index of the logs
            # waiting for review (patrol_waiting_review: grid, day where submitted).
            waiting=_count_of(waiting, "grid__parent", counted="day"),
            oldest=Subquery(
                waiting.filter(grid__parent=OuterRef("pk")).order_by("day").values("day")[:1]
            ),
            reports_submitted=_count_of(
                GridReport.objects.filter(
                    month=values["last_month"], status=GridReport.Status.SUBMITTED
                ),
                "grid__parent",
            ),
            transfers_waiting=_count_of(
                Transfer.objects.filter(status=Transfer.Status.PENDING), "to_community"
            ),
            places_overdue=_count_of(Place.objects.overdue(values["today"]), "grid__parent"),
            **{
                f"meeting_{name}": Subquery(next_meeting.values(name)[:1])
                for name in NEXT_MEETING_FIELDS
            },
        )
    )
    return rows


def _community_rows(ids, today, now):
    """[{"pk", "waiting", "oldest", ...}] of the communities `ids` (`_community_counts`),
    the statement compiled once per process for a number of communities and bound to
    the request's values (Django took longer to build it than PostgreSQL to run it). Runs
    one query."""
    values = {"today": today, "last_month": _last_month(today), "now": now}
    values.update({f"community_{n}": pk for n, pk in enumerate(ids)})
    if connection.vendor != "postgresql":
        return list(_community_counts(values))  # SQLite: Django converts the dates it reads
    sql, params = statements.compiled(
        ("reports.home.community_counts", len(ids)),
        lambda values: _community_counts(values).query.sql_with_params(),
        values,
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        columns = [column[0] for column in cursor.description]
        return [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]


def _absences(communities, today):
    """Posts in the communities whose A holder is away today, and who covers: the B holder
    unless they are away too. Runs one query."""
    return [
        {
            "post": post,
            "until": post.a_back_after,
            "covering": post.holder_b if post.holder_b_id and not post.b_away else None,
        }
        for post in statements.model_rows(
            ("reports.home.absences", tuple(c.path for c in communities)),
            lambda values: _absent_posts(communities, values["today"]),
            {"today": today},
        )
    ]


def _absent_posts(communities, today):
    """The queryset of `_absences`. No query."""
    away = Absence.objects.covering(today).order_by("-ends_on")
    return (
        Post.objects.filter(_paths_q(communities, "area"))
        .annotate(
            a_back_after=Subquery(away.filter(user=OuterRef("holder_a")).values("ends_on")[:1]),
            b_away=Subquery(away.filter(user=OuterRef("holder_b")).values("ends_on")[:1]),
        )
        .filter(a_back_after__isnull=False)
        .select_related("area", "holder_a", "holder_b")
        .only(
            "role",
            "area__name",
            "holder_a__full_name",
            "holder_a__username",
            "holder_b__full_name",
            "holder_b__username",
        )
        .order_by("area__path", "role")
    )


# --- District and street staff ---


def _percent(value):
    return "—" if value is None else f"{number_format(value * 100, 0)}%"


# The figures the area section shows (its headlines, and the children's that need attention):
# the rest of a report's figures are not counted for it.
AREA_FIGURES = frozenset(
    (
        "windows",
        "done",
        "short",
        "opened",
        "due",
        "on_time",
        "overdue_open",
        "escalations",
        "overdue_instructions",
    )
)


def area_figures(area, today):
    """([(child, Figures)], totals) of the area's grids for the month to date, as
    reports.figures.figures_by_child(area, first of the month, today, register=False) would
    count them live, but read from the daily roll-ups for the past days they have (see
    report_figures), and only what the page shows (AREA_FIGURES and the grids; the other
    figures are zero). The totals are the sum of the children's counts (every grid lies
    under exactly one child), which saves computing them twice. Runs the queries of one
    report_figures without the register, the trend, the categories, the missed windows and
    the incidents due and closed: 7 to 9."""
    start = today.replace(day=1)
    grids = Area.objects.grids().under(area).existing_during(start, today)
    children, totals, _trend = report_figures(
        area, start, today, grids, register=False, trend=False, only=AREA_FIGURES
    )
    return children, totals


def _area_section(post, today):
    """The area's figures for the month to date and its children that need attention
    (area_figures)."""
    area = post.area
    children, totals = area_figures(area, today)
    needing = [(child, f) for child, f in children if _needs_attention(f)]
    needing.sort(key=lambda pair: _attention_key(pair[1]))
    return AreaSection(
        area=area,
        role=post.get_role_display(),
        headlines=[
            Headline(
                _("Patrol coverage"),
                _percent(totals.coverage),
                light=thresholds.light("coverage", totals.coverage),
            ),
            Headline(_("Incidents filed"), number_format(totals.opened)),
            Headline(
                _("Closed on time"),
                _percent(totals.on_time_rate),
                light=thresholds.light("on_time_rate", totals.on_time_rate),
            ),
            Headline(
                _("Overdue, still open"),
                number_format(totals.overdue_open),
                bool(totals.overdue_open),
            ),
            Headline(_("Escalations"), number_format(totals.escalations), bool(totals.escalations)),
            Headline(
                _("Overdue instructions"),
                number_format(totals.overdue_instructions),
                bool(totals.overdue_instructions),
            ),
        ],
        attention=[
            (
                child,
                [
                    Headline(
                        _("Closed on time"),
                        _percent(f.on_time_rate),
                        light=thresholds.light("on_time_rate", f.on_time_rate),
                    ),
                    Headline(_("Overdue"), number_format(f.overdue_open), bool(f.overdue_open)),
                    Headline(
                        _("Coverage"),
                        _percent(f.coverage),
                        light=thresholds.light("coverage", f.coverage),
                    ),
                ],
                _report_url(child),
            )
            for child, f in needing[:ATTENTION_LIMIT]
        ],
        report_url=_report_url(area),
        today_as_of=totals.today_as_of,
    )


def _needs_attention(f):
    """Overdue work, or a rate that is not green."""
    return (
        thresholds.light("on_time_rate", f.on_time_rate) in (thresholds.YELLOW, thresholds.RED)
        or f.overdue_open > 0
        or thresholds.light("coverage", f.coverage) in (thresholds.YELLOW, thresholds.RED)
    )


def _attention_key(f):
    """Worst on-time rate first, then most overdue, then lowest coverage."""
    on_time = 1.0 if f.on_time_rate is None else f.on_time_rate
    coverage = 1.0 if f.coverage is None else f.coverage
    return (on_time, -f.overdue_open, coverage)
