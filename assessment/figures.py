"""A grid worker's month in figures (考核), and the score they earn.

Who is assessed: the A and B holders of the grid-worker posts (grid leader, grid member,
information officer) of the community's grids, open on a day of the month. Each figure counts
the work of the month in the community's grids for whoever did it:

- windows patrolled / short: the patrol windows (grid, day, slot) for which the person's own
  log (Patrol.member) was submitted or approved, not short / short. An extra patrol (no
  window) counts for none; a returned log for neither.
- windows missed: the grid's missed windows (MissedPatrol) on a day the person was on duty
  for one of the grid's worker posts: as its A holder while present, or as its B holder while
  the A holder was away (an Absence covering the day, or an inactive account) and they were
  not. A week the B holder covers is the B holder's, its patrols and its missed windows.
- observations: recorded on the person's own patrols of the month.
- incidents first received: filed in the month with the person first-responsible (首问),
  duplicates left out.
- handled / on time / rework: incidents the person closed as handler in the month; of those,
  closed by their deadline; the rounds of rework they were returned for (summed).
- instructions completed / on time: verification instructions the person completed in the
  month; of those, by their due day (local date).
- meetings attended / expected: closed meetings of the community held in the month. A place
  the person came to themselves, or came to as someone's substitute, is attended; the place
  of someone who sent a substitute counts for the substitute, not for them; an excused place
  is not expected.
- visits done / due: visits to people under care (care.Visit) the person made in the month
  in the community's grids that met the person (care.VisitQuerySet.done); and the visits the
  rules ask for in the month (care.CarePlanQuerySet.due_count: tag date + k × interval) of the
  people living in the grids where the person is the A holder of a worker post, leaving out
  the station-only ones. A visit made while covering counts as done for whoever made it.

Everything is counted in the database: one query returns a line per person, the figures of
each table counted together in one correlated subquery (and the visits due counted once per
grid), so the query count does not grow with people, patrols or incidents.
"""

import datetime
import json
from dataclasses import dataclass, field

from django.db import connection
from django.db.models import (
    Case,
    CharField,
    Exists,
    F,
    Func,
    IntegerField,
    JSONField,
    OuterRef,
    Q,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Cast, Coalesce, Greatest, TruncDate
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from care.models import CarePlan, DaysBetween, Visit
from gridmgmt.arrays import one_of
from gridmgmt.localtime import local_midnight
from grids.models import GRID_WORKER_ROLES, Absence, Area, Post, User
from incidents.models import Incident
from meetings.models import Meeting, Participant
from patrols.models import Instruction, MissedPatrol, Observation, Patrol

_LOGGED = (Patrol.Status.SUBMITTED, Patrol.Status.APPROVED)

# (attribute, column label): the figures of a line, in the page's and the export's order.
FIGURES = (
    ("patrolled", _("Windows patrolled")),
    ("missed", _("Windows missed")),
    ("short", _("Windows short")),
    ("observations", _("Observations")),
    ("received", _("Incidents first received")),
    ("handled", _("Incidents handled")),
    ("on_time", _("Handled on time")),
    ("rework", _("Returned for rework")),
    ("instructions", _("Instructions completed")),
    ("instructions_on_time", _("Instructions on time")),
    ("meetings_attended", _("Meetings attended")),
    ("meetings_expected", _("Meetings expected")),
    ("visits_done", _("Visits done")),
    ("visits_due", _("Visits due")),
)


@dataclass
class Part:
    key: str
    label: str
    weight: int
    rate: float | None  # None when there was nothing to count: full marks
    points: float


@dataclass
class Line:
    """One person's month: the figures of FIGURES, then their score and rank."""

    user: User
    patrolled: int = 0
    missed: int = 0
    short: int = 0
    observations: int = 0
    received: int = 0
    handled: int = 0
    on_time: int = 0
    rework: int = 0
    instructions: int = 0
    instructions_on_time: int = 0
    meetings_attended: int = 0
    meetings_expected: int = 0
    visits_done: int = 0
    visits_due: int = 0
    score: float = 0.0
    parts: list = field(default_factory=list)
    rank: int = 0

    def figures(self):
        """[(key, label, value)] in FIGURES order, for a template."""
        return [(key, label, getattr(self, key)) for key, label in FIGURES]

    def values(self):
        return [getattr(self, key) for key, _label in FIGURES]


def _ratio(part, whole):
    return part / whole if whole else None


def score_parts(line, weights):
    """The parts of `line`'s score under `weights` (an AssessmentWeights). Pure: no query.

        score = w_patrol × patrolled ÷ (patrolled + short + missed)
              + w_on_time × handled on time ÷ handled
              + w_rework × (1 − rework ÷ handled, at least 0)
              + w_instructions × instructions on time ÷ instructions completed
              + w_meetings × meetings attended ÷ meetings expected
              + w_visits × visits done ÷ visits due (at most 1)

    A rate with nothing to count earns its full weight, as reports.score does for a grid
    with no cases."""
    windows = line.patrolled + line.short + line.missed
    rework = _ratio(line.rework, line.handled)
    parts = [
        Part("patrol", _("Patrol windows"), weights.patrol, _ratio(line.patrolled, windows), 0),
        Part(
            "on_time", _("Handled on time"), weights.on_time, _ratio(line.on_time, line.handled), 0
        ),
        Part(
            "rework",
            _("No rework"),
            weights.rework,
            None if rework is None else max(0.0, 1 - rework),
            0,
        ),
        Part(
            "instructions",
            _("Instructions on time"),
            weights.instructions,
            _ratio(line.instructions_on_time, line.instructions),
            0,
        ),
        Part(
            "meetings",
            _("Meetings attended"),
            weights.meetings,
            _ratio(line.meetings_attended, line.meetings_expected),
            0,
        ),
        Part(
            "visits",
            _("Visits"),
            weights.visits,
            _ratio(line.visits_done, line.visits_due),
            0,
        ),
    ]
    for part in parts:
        part.points = part.weight * (1.0 if part.rate is None else min(1.0, part.rate))
    return parts


def formula(weights):
    """The formula with the weights filled in, for the page and the export."""
    return _(
        "Score = %(patrol)s × windows patrolled ÷ (patrolled + short + missed)"
        " + %(on_time)s × handled on time ÷ handled"
        " + %(rework)s × (1 − rework ÷ handled)"
        " + %(instructions)s × instructions on time ÷ completed"
        " + %(meetings)s × meetings attended ÷ expected"
        " + %(visits)s × visits done ÷ due (at most 1);"
        " a rate with nothing to count earns its full weight"
    ) % {name: getattr(weights, name) for name in weights.WEIGHT_FIELDS}


# --- Counting ---
#
# Plain Funcs, not Aggregates: inside a correlated subquery they aggregate the subquery's rows
# without a GROUP BY, so the subquery returns one row even when no row matches.


def _count(expression=None, distinct=False):
    """COUNT(*) of the rows, or COUNT of the non-null values of `expression`."""
    if expression is None:
        return Func(template="COUNT(*)", output_field=IntegerField())
    template = "COUNT(DISTINCT %(expressions)s)" if distinct else "COUNT(%(expressions)s)"
    return Func(expression, template=template, output_field=IntegerField())


def _count_if(condition, expression=None, distinct=False):
    """COUNT of the rows (or distinct values of `expression`) where `condition` holds."""
    then = expression if expression is not None else Value(1)
    return _count(Case(When(condition, then=then)), distinct=distinct)


def _sum(expression):
    total = Func(expression, function="SUM", output_field=IntegerField())
    return Coalesce(total, Value(0), output_field=IntegerField())


def _figures(queryset, *counts):
    """One correlated subquery computing `counts` (expressions from _count, _count_if, _sum)
    over the rows of `queryset`: a JSON list of integers, one per count, 0 for no rows."""
    return Subquery(queryset.order_by().annotate(n=_List(*counts)).values("n"))


class _List(Func):
    """[values] as JSON."""

    function = "JSONB_BUILD_ARRAY"
    output_field = JSONField()

    def as_sqlite(self, compiler, connection, **extra_context):
        return self.as_sql(compiler, connection, function="JSON_ARRAY", **extra_context)


def _grid_key():
    """The key of a grid (the row's pk) in a JSON object: "g12", a label that SQLite's ->>
    does not take for an array index as it would "12"."""
    return Func(F("pk"), template="('g' || %(expressions)s)", output_field=CharField())


class _ObjectAgg(Func):
    """{key: value} over the rows, as JSON (a plain aggregate function: no GROUP BY)."""

    function = "JSONB_OBJECT_AGG"
    output_field = JSONField()

    def as_sqlite(self, compiler, connection, **extra_context):
        return self.as_sql(compiler, connection, function="JSON_GROUP_OBJECT", **extra_context)


def _away(holder):
    """Inside a post subquery nested in a missed-window subquery: the post's `holder` was
    away on the window's day."""
    absent = Exists(
        Absence.objects.filter(
            user=OuterRef(holder),
            starts_on__lte=OuterRef(OuterRef("day")),
            ends_on__gte=OuterRef(OuterRef("day")),
        )
    )
    return absent | Q(**{f"{holder}__is_active": False})


def _areas_under(path):
    """The ids of the areas under `path` (a community's grids, buildings and units), for
    `one_of`: the worker posts of a community are looked up area by area (an index on the
    posts' area), where a join to the areas read all 3,200 worker posts of the district
    (district bench: 1.7-1.9 ms for the people of a community, by the areas 0.5 ms)."""
    return Area.objects.filter(path__startswith=path).order_by().values("pk")


def workers(community, start, end):
    """The people assessed in `community` for start..end: the A and B holders of its grids'
    worker posts open on a day of the period. A queryset (no query yet)."""
    posts = Post.all_posts.filter(
        one_of("area_id", _areas_under(community.path)), role__in=GRID_WORKER_ROLES
    ).filter(Q(closed_on__isnull=True) | Q(closed_on__gte=start))
    # From the community's few posts to their holders: an EXISTS over the posts for every
    # user would read every account of the district.
    posts = posts.order_by()
    holders = posts.values("holder_a_id").union(posts.values("holder_b_id"))
    return User.objects.filter(pk__in=holders)


def annotated(users, community, start, end, among=None):
    """`users` with every figure of FIGURES annotated for `community` over start..end (local
    dates); `among`, when given, a queryset of users that holds every one of `users` (the
    visits due are then counted only in their grids). Runs no query itself: evaluating it
    runs one."""
    path = community.path
    since = local_midnight(start)
    until = local_midnight(end + datetime.timedelta(days=1))
    me = OuterRef("pk")

    # The community's grids read once for the statement (a patrol's grid is a grid): joined
    # to each patrol, they were looked up again for each of the month's 870 patrols of a
    # community's people (logs and observations alike).
    grids = Area.objects.grids().filter(path__startswith=path).order_by().values("pk")
    logs = Patrol.objects.filter(
        ~Q(slot=""),
        one_of("grid_id", grids),
        member=me,
        day__range=(start, end),
        status__in=_LOGGED,
    )
    window = Func(
        "grid_id",
        "day",
        "slot",
        template="(%(expressions)s)",
        arg_joiner=" || ' ' || ",
        output_field=CharField(),
    )

    away_a = _away("holder_a")
    on_duty = Post.all_posts.filter(
        Q(closed_on__isnull=True) | Q(closed_on__gte=OuterRef("day")),
        (Q(holder_a=OuterRef(OuterRef("pk"))) & ~away_a)
        | (Q(holder_b=OuterRef(OuterRef("pk"))) & away_a & ~_away("holder_b")),
        area=OuterRef("grid"),
        role__in=GRID_WORKER_ROLES,
    )
    # The grids of the person's posts first (an index on the missed windows' grid), then who
    # was on duty each day. (Nested in a subquery: the person is OuterRef(OuterRef("pk")).)
    my_grids = Post.all_posts.filter(
        Q(holder_a=OuterRef(OuterRef("pk"))) | Q(holder_b=OuterRef(OuterRef("pk"))),
        role__in=GRID_WORKER_ROLES,
        area__path__startswith=path,
    ).values("area_id")
    missed = MissedPatrol.objects.filter(
        Exists(on_duty), grid_id__in=my_grids, day__range=(start, end)
    )

    observations = Observation.objects.filter(
        one_of("patrol__grid_id", grids), patrol__member=me, patrol__day__range=(start, end)
    )
    in_community = Incident.objects.filter(grid__path__startswith=path)
    received = in_community.filter(
        first_responsible=me, filed_at__gte=since, filed_at__lt=until
    ).exclude(status=Incident.Status.DUPLICATE)
    handled = in_community.filter(
        handler=me, status=Incident.Status.CLOSED, closed_at__gte=since, closed_at__lt=until
    )
    instructions = Instruction.objects.filter(
        completed_by=me,
        grid__path__startswith=path,
        completed_at__gte=since,
        completed_at__lt=until,
    ).alias(done_on=TruncDate("completed_at", tzinfo=timezone.get_default_timezone()))
    # The month's closed meetings read once for the statement (`one_of`: an array the
    # subquery of each person tests), not joined to each person's places: the join looked up
    # the community's meetings and the month's by two indexes again for every person.
    meetings = (
        Meeting.objects.filter(
            community=community,
            status=Meeting.Status.CLOSED,
            starts_at__gte=since,
            starts_at__lt=until,
        )
        .order_by()
        .values("pk")
    )
    places = Participant.objects.filter(
        Q(user=me) | Q(substitute=me), one_of("meeting_id", meetings)
    )
    attended = Q(user=me, attendance=Participant.Attendance.PRESENT) | Q(substitute=me)
    expected = Q(user=me, substitute__isnull=True) & ~Q(
        attendance=Participant.Attendance.EXCUSED
    ) | Q(substitute=me)
    visits = Visit.objects.done().filter(
        visited_by=me, grid__path__startswith=path, visited_on__range=(start, end)
    )
    # CarePlanQuerySet.due_count's slots, per plan: tag date + k × interval in the month.
    slots = Greatest(
        Value(0),
        DaysBetween(Value(end), F("started_on")) / F("interval_days")
        - Greatest(
            Value(0), DaysBetween(Value(start - datetime.timedelta(days=1)), F("started_on"))
        )
        / F("interval_days"),
    )
    # The visits due in each grid of a worker post (held as A by one of `among`), as
    # {grid id: due}, counted once for the query (a subquery that refers to no person:
    # PostgreSQL runs it once), then summed for each person over the grids where they hold a
    # post as A. Counted per person, a grid's people were read once for each of its A holders.
    # The plans by the grid they keep (CarePlan.grid, the household's grid, indexed): through
    # the grid's households and residents, each resident's plan was looked up (20,400
    # buffers for a community's eight grids, against 1,100).
    plans = CarePlan.objects.current().filter(
        grid_id=OuterRef("pk"),
        is_station_only=False,
        interval_days__isnull=False,
        started_on__lte=end,
    )
    worker_grids = Post.all_posts.filter(
        one_of("area_id", _areas_under(path)), role__in=GRID_WORKER_ROLES
    )
    if among is not None:
        worker_grids = worker_grids.filter(holder_a__in=among.values("pk"))
    due_by_grid = Subquery(
        Area.objects.filter(pk__in=worker_grids.values("area_id"))
        .order_by()
        .values(
            due=_ObjectAgg(
                _grid_key(),
                Subquery(plans.order_by().annotate(n=_sum(slots)).values("n")),
            )
        )
    )
    own_grids = Area.objects.filter(
        pk__in=Post.all_posts.filter(
            holder_a=OuterRef(OuterRef("pk")),
            role__in=GRID_WORKER_ROLES,
            area__path__startswith=path,
        ).values("area_id")
    )
    due_in_grid = Cast(
        Func(
            due_by_grid,
            _grid_key(),
            arg_joiner=" ->> ",
            template="(%(expressions)s)",
            output_field=CharField(),
        ),
        IntegerField(),
    )
    # One subquery per table, its figures counted together (the order of _GROUPS).
    return users.annotate(
        of_logs=_figures(
            logs,
            _count_if(Q(is_short=False), window, distinct=True),
            _count_if(Q(is_short=True), window, distinct=True),
        ),
        of_missed=_figures(missed, _count()),
        of_observations=_figures(observations, _count()),
        of_received=_figures(received, _count()),
        of_handled=_figures(
            handled,
            _count(),
            _count_if(Q(closed_at__lte=F("deadline_at"))),
            _sum(F("rework_count")),
        ),
        of_instructions=_figures(instructions, _count(), _count_if(Q(done_on__lte=F("due_on")))),
        of_meetings=_figures(places, _count_if(attended), _count_if(expected)),
        of_visits=_figures(visits, _count()),
        of_due=_figures(own_grids, _sum(due_in_grid)),
    )


# (annotation of `annotated`, the figures it holds in order).
_GROUPS = (
    ("of_logs", ("patrolled", "short")),
    ("of_missed", ("missed",)),
    ("of_observations", ("observations",)),
    ("of_received", ("received",)),
    ("of_handled", ("handled", "on_time", "rework")),
    ("of_instructions", ("instructions", "instructions_on_time")),
    ("of_meetings", ("meetings_attended", "meetings_expected")),
    ("of_visits", ("visits_done",)),
    ("of_due", ("visits_due",)),
)


class _Unstable(Exception):
    """The statement's SQL or parameters depend on the values in a way _Statement cannot
    bind."""


@dataclass(frozen=True)
class _Asked:
    """What a statement of `lines` is asked for: the community (id and path), the period and,
    for one person's line, the person's id."""

    community: int
    path: str
    start: datetime.date
    end: datetime.date
    person: int | None = None

    def parameters(self, connection):
        """{name: value} of every parameter the statement takes from these values, as Django
        passes each to `connection` (a date as such, or as text on SQLite)."""
        ops = connection.ops
        found = {
            "community": self.community,
            "path": ops.prep_for_like_query(self.path) + "%",
        }
        if self.person is not None:
            found["person"] = self.person
        days = (
            ("start", self.start),
            ("end", self.end),
            ("before", self.start - datetime.timedelta(days=1)),
        )
        for name, day in days:
            found[name] = day
            _add_adapted(found, name, day, ops.adapt_datefield_value(day))
        moments = (
            ("since", local_midnight(self.start)),
            ("until", local_midnight(self.end + datetime.timedelta(days=1))),
        )
        for name, moment in moments:
            found[name] = moment
            _add_adapted(found, name, moment, ops.adapt_datetimefield_value(moment))
        return found

    def queryset(self):
        """`annotated`'s queryset of the lines asked for, ordered by name (no query)."""
        community = Area(pk=self.community, path=self.path, kind=Area.Kind.COMMUNITY)
        people = workers(community, self.start, self.end)
        among = None
        if self.person is not None:
            people = people.filter(pk=self.person)
            among = User.objects.filter(pk=self.person)
        rows = annotated(people, community, self.start, self.end, among=among)
        return rows.only(*_USER_FIELDS).order_by("full_name", "username")


def _add_adapted(found, name, value, adapted):
    """Name `adapted` too, the form the database is given `value` in, if it is another."""
    if not _same(value, adapted):
        found[f"{name} in the database"] = adapted


# What a line shows of its person.
_USER_FIELDS = ("username", "full_name")

# Two made-up requests, everyone's lines and one person's, that differ in every value (and
# in the month's length and year): a parameter that differs between the two is bound from
# the request, one that does not is part of the statement.
_SAMPLES = {
    False: (
        _Asked(-7301, "/-7301/", datetime.date(1904, 2, 1), datetime.date(1904, 2, 29)),
        _Asked(-7401, "/-7401/", datetime.date(1908, 6, 1), datetime.date(1908, 6, 30)),
    ),
    True: (
        _Asked(-7301, "/-7301/", datetime.date(1904, 2, 1), datetime.date(1904, 2, 29), -7302),
        _Asked(-7401, "/-7401/", datetime.date(1908, 6, 1), datetime.date(1908, 6, 30), -7402),
    ),
}


class _Statement:
    """The SQL of `lines` for everyone's lines or one person's, compiled once per process
    and database vendor, with the rule for binding each parameter.

    Django takes 10-14 ms to resolve, copy and compile the hundred-odd expressions of
    `annotated`, longer than PostgreSQL takes to run them, and the SQL is the same for every
    community, month and person; only its parameters change. The statement is compiled for
    the two samples; it is used only when the SQL is the same for both and each parameter is
    either the same in both (a constant: a status, a role, a time zone) or, in both, the value
    of one name of `_Asked.parameters` (the community's id or path pattern, a day, a moment,
    the person). Otherwise `_Unstable` says so and `lines` compiles for each request."""

    _built = {}

    def __init__(self, connection, one):
        first, second = _SAMPLES[one]
        sql, params = first.queryset().query.sql_with_params()
        other_sql, other_params = second.queryset().query.sql_with_params()
        if sql != other_sql or len(params) != len(other_params):
            raise _Unstable("the SQL depends on the values")
        named, other_named = first.parameters(connection), second.parameters(connection)
        self.sql = sql
        self.slots = []  # (name, None) to bind, or (None, constant)
        for value, other in zip(params, other_params, strict=True):
            if type(value) is type(other) and value == other:
                self.slots.append((None, value))
                continue
            names = [
                name
                for name in named
                if _same(named[name], value) and _same(other_named[name], other)
            ]
            if len(names) != 1:
                raise _Unstable(f"a parameter is none of the values: {value!r}")
            self.slots.append((names[0], None))

    @classmethod
    def get(cls, connection, one):
        # The time zone too: the dates of instructions are read in it, a constant of the SQL.
        key = (connection.vendor, timezone.get_default_timezone_name(), one)
        if key not in cls._built:
            cls._built[key] = cls(connection, one)
        return cls._built[key]

    def bind(self, asked, connection):
        named = asked.parameters(connection)
        return [value if name is None else named[name] for name, value in self.slots]


def _same(value, other):
    return type(value) is type(other) and value == other


def _statement(asked):
    """(sql, params) of the lines `asked` for: the statement compiled once, bound to the
    request's values, or compiled now if it cannot be bound."""
    try:
        statement = _Statement.get(connection, asked.person is not None)
    except _Unstable:
        return asked.queryset().query.sql_with_params()
    return statement.sql, statement.bind(asked, connection)


def _figure_lists(rows, positions):
    """For each row, the JSON lists at `positions` (the figures of _GROUPS), decoded. The
    database hands each list over as text ("[3, 0]"): the lists of all the rows are decoded
    in one json.loads, not one each (a community's 64 lines hold 576). A list a driver has
    decoded already is kept as it is."""
    if all(isinstance(row[at], str) for row in rows for at in positions):
        text = ",".join("[" + ",".join(row[at] for at in positions) + "]" for row in rows)
        return json.loads(f"[{text}]")
    return [
        [json.loads(row[at]) if isinstance(row[at], str) else row[at] for at in positions]
        for row in rows
    ]


def lines(community, start, end, weights, person=None):
    """[Line] of the people assessed in `community` over start..end (or the line of the
    person with the id `person`, if they are assessed there), scored under `weights` and
    ranked: best score first, equal scores share a rank, then by name. Runs one query."""
    asked = _Asked(community.pk, community.path, start, end, person)
    sql, params = _statement(asked)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        columns = [column[0] for column in cursor.description]
        rows = cursor.fetchall()
    user_columns = ["id", *_USER_FIELDS]
    at = {name: columns.index(name) for name in (*user_columns, *(n for n, _k in _GROUPS))}
    found = []
    lists = _figure_lists(rows, [at[name] for name, _keys in _GROUPS])
    for row, figures in zip(rows, lists, strict=True):
        user = User.from_db(connection.alias, user_columns, [row[at[n]] for n in user_columns])
        values = {}
        for (_name, keys), values_of_group in zip(_GROUPS, figures, strict=True):
            values.update(zip(keys, values_of_group, strict=True))
        line = Line(user, **values)
        line.parts = score_parts(line, weights)
        line.score = round(sum(part.points for part in line.parts), 1)
        found.append(line)
    found.sort(key=lambda line: -line.score)
    previous = None
    for position, line in enumerate(found, start=1):
        line.rank = previous.rank if previous and previous.score == line.score else position
        previous = line
    return found
