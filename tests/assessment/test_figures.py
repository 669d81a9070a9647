"""Every figure of a worker's month equals a plain count over the rows, and the week the B
holder covers counts for the B holder."""

import datetime

import pytest
import time_machine

from assessment import figures as assessment
from assessment.models import AssessmentWeights
from care import services as care
from care.models import CarePlan, Visit
from grids.models import GRID_WORKER_ROLES, Absence, Area, Post, Tag
from grids.posts import acting_on_days
from incidents.models import Incident
from meetings.models import Meeting, Participant
from patrols.models import Instruction, MissedPatrol, Observation, Patrol, Slot
from tests.care.factories import rule_tag, tagged_person
from tests.incidents.factories import local, make_incident
from tests.meetings.test_agenda import make_meeting
from tests.patrols.factories import make_patrol

D = datetime.date
START, END = D(2026, 11, 1), D(2026, 11, 30)
NOW = local(D(2026, 12, 10), 10)
AM, PM = Slot.MORNING, Slot.AFTERNOON
S = Incident.Status


def nov(day):
    return D(2026, 11, day)


def observe(patrol, n):
    for i in range(n):
        Observation.objects.create(patrol=patrol, category="other", text=f"seen {i}")


def incident(side, *, first, handler=None, filed, deadline=None, closed=None, rework=0, **fields):
    made = make_incident(side.grid, by=first)
    Incident.objects.filter(pk=made.pk).update(
        first_responsible=first,
        handler=handler,
        filed_at=filed,
        deadline_at=deadline or filed + datetime.timedelta(days=3),
        closed_at=closed,
        status=S.CLOSED if closed else fields.pop("status", S.IN_PROGRESS),
        rework_count=rework,
        **fields,
    )
    return made


def instruction(side, *, by, due_on, completed_at):
    made = Instruction.objects.create(
        grid=side.grid, text="Check", due_on=due_on, issued_by=side.stationmaster
    )
    Instruction.objects.filter(pk=made.pk).update(completed_by=by, completed_at=completed_at)
    return made


def seed(world):
    """Community A's November: the member A (gm_a) is away 16-22 November and the B holder
    (gm_a_b) covers that week. Rows outside the month or the community must not count."""
    a, b = world.a, world.b
    member, backup = a.grid_member, a.grid_member_b
    Absence.objects.create(user=member, starts_on=nov(16), ends_on=nov(22))
    # Patrols: A's own.
    for day in (2, 3, 4, 5, 6):
        observe(make_patrol(a.grid, nov(day), AM, member=member), 1 if day < 5 else 0)
    make_patrol(a.grid, nov(6), AM, member=member)  # the same window twice: one window
    make_patrol(a.grid, nov(9), AM, member=member, minutes=30)  # short
    make_patrol(a.grid, nov(10), AM, member=member, status=Patrol.Status.RETURNED)  # neither
    make_patrol(a.grid, nov(11), AM, member=member, status=Patrol.Status.APPROVED)
    make_patrol(a.grid, nov(12), "", member=member, started_at=local(nov(12), 20))  # extra
    make_patrol(a.grid, D(2026, 10, 31), AM, member=member)  # October
    make_patrol(a.grid, D(2026, 12, 1), AM, member=member)  # December
    # The covered week: B's patrols are B's.
    for day in (16, 17, 18, 19, 20):
        observe(make_patrol(a.grid, nov(day), PM, member=backup), 1)
    make_patrol(a.other_grid, nov(21), AM, member=backup, minutes=20)  # short, other grid
    # Missed windows: A on duty; B on duty (A away); the other grid has no worker posts.
    for day, slot in [(3, PM), (17, PM), (18, AM), (25, PM), (26, PM)]:
        MissedPatrol.objects.create(grid=a.grid, day=nov(day), slot=slot)
    MissedPatrol.objects.create(grid=a.other_grid, day=nov(4), slot=PM)
    MissedPatrol.objects.create(grid=a.grid, day=D(2026, 10, 30), slot=PM)
    MissedPatrol.objects.create(grid=b.grid, day=nov(4), slot=PM)
    # Incidents.
    filed = local(nov(2), 9)
    incident(a, first=member, handler=member, filed=filed, closed=local(nov(3), 9), rework=1)
    incident(a, first=member, handler=member, filed=filed, closed=local(nov(10), 9), rework=2)
    incident(a, first=member, handler=member, filed=filed)  # open
    incident(a, first=member, filed=local(nov(30), 23, 59))
    incident(a, first=member, filed=local(D(2026, 12, 1), 0))  # December
    incident(a, first=member, filed=filed, status=S.DUPLICATE)
    incident(a, first=backup, handler=backup, filed=local(nov(17), 9), closed=local(nov(18), 9))
    incident(
        a,
        first=member,
        handler=backup,
        filed=local(D(2026, 10, 20), 9),
        deadline=local(nov(1), 9),
        closed=local(nov(19), 9),
        rework=1,
    )
    incident(b, first=member, handler=member, filed=filed, closed=local(nov(3), 9))
    # Instructions.
    instruction(a, by=member, due_on=nov(5), completed_at=local(nov(5), 23, 30))  # on time
    instruction(a, by=member, due_on=nov(5), completed_at=local(nov(6), 0, 30))  # late
    instruction(a, by=backup, due_on=nov(20), completed_at=local(nov(19), 10))
    instruction(a, by=member, due_on=nov(30), completed_at=local(D(2026, 12, 1), 9))
    # Meetings: present; substituted by B while away; excused; absent; cancelled; October.
    meetings = [
        make_meeting(
            a.community, local(nov(day), 9), with_participants=False, status=Meeting.Status.CLOSED
        )
        for day in (2, 16, 23, 30)
    ]
    for day, status in [(nov(9), "cancelled"), (D(2026, 10, 26), "closed")]:
        other = make_meeting(a.community, local(day, 9), with_participants=False, status=status)
        Participant.objects.create(meeting=other, user=member, attendance="present")
    for meeting, (attendance, substitute) in zip(
        meetings,
        [("present", None), ("absent", backup), ("excused", None), ("absent", None)],
        strict=True,
    ):
        Participant.objects.create(
            meeting=meeting, user=member, attendance=attendance, substitute=substitute
        )
        Participant.objects.create(meeting=meeting, user=a.grid_leader, attendance="present")
    # Visits: a weekly person tagged on 1 November is due 8, 15, 22 and 29 November for the
    # A holders of the grid's posts; a station-only person is the station's.
    with time_machine.travel(local(nov(1), 9), tick=False):
        person = tagged_person(a.grid, Tag.objects.get(name="独居老人"))
        tagged_person(a.grid, rule_tag("Watched", 7, station_only=True))
        tagged_person(b.grid, Tag.objects.get(name="独居老人"))
    for day, by, outcome in [(8, member, "well"), (17, backup, "well"), (29, member, "absent")]:
        with time_machine.travel(local(nov(day), 18), tick=False):
            care.record_visit(person, by=by, visited_on=nov(day), outcome=outcome)
    return member, backup


def plain(user, community, start, end):
    """The figures of `user`, counted in Python over every row of each table."""
    grids = set(Area.objects.filter(path__startswith=community.path).values_list("pk", flat=True))

    def in_month(moment):
        return moment is not None and start <= moment.astimezone(NOW.tzinfo).date() <= end

    logs = [
        p
        for p in Patrol.objects.all()
        if p.member_id == user.pk
        and p.grid_id in grids
        and start <= p.day <= end
        and p.slot
        and p.status in ("submitted", "approved")
    ]
    incidents = [i for i in Incident.objects.all() if i.grid_id in grids]
    handled = [
        i
        for i in incidents
        if i.handler_id == user.pk and i.status == S.CLOSED and in_month(i.closed_at)
    ]
    done = [
        i
        for i in Instruction.objects.all()
        if i.completed_by_id == user.pk and i.grid_id in grids and in_month(i.completed_at)
    ]
    places = [
        p
        for p in Participant.objects.select_related("meeting")
        if p.meeting.community_id == community.pk
        and p.meeting.status == Meeting.Status.CLOSED
        and in_month(p.meeting.starts_at)
    ]
    missed = 0
    posts = list(
        Post.objects.filter(area_id__in=grids, role__in=GRID_WORKER_ROLES).select_related(
            "area", "holder_a", "holder_b"
        )
    )
    for window in MissedPatrol.objects.all():
        if window.grid_id not in grids or not start <= window.day <= end:
            continue
        on_day = acting_on_days({window.day: posts})[window.day][0]
        if any(
            on_day[p.pk].user == user and on_day[p.pk].by in ("a", "b")
            for p in posts
            if p.area_id == window.grid_id
        ):
            missed += 1
    own_grids = [p.area_id for p in posts if p.holder_a_id == user.pk and p.area_id in grids]
    return {
        "patrolled": len({(p.grid_id, p.day, p.slot) for p in logs if not p.is_short}),
        "short": len({(p.grid_id, p.day, p.slot) for p in logs if p.is_short}),
        "missed": missed,
        "observations": sum(
            1
            for o in Observation.objects.select_related("patrol")
            if o.patrol.member_id == user.pk
            and o.patrol.grid_id in grids
            and start <= o.patrol.day <= end
        ),
        "received": sum(
            1
            for i in incidents
            if i.first_responsible_id == user.pk
            and in_month(i.filed_at)
            and i.status != S.DUPLICATE
        ),
        "handled": len(handled),
        "on_time": sum(1 for i in handled if i.closed_at <= i.deadline_at),
        "rework": sum(i.rework_count for i in handled),
        "instructions": len(done),
        "instructions_on_time": sum(
            1 for i in done if i.completed_at.astimezone(NOW.tzinfo).date() <= i.due_on
        ),
        "meetings_attended": sum(
            1
            for p in places
            if (p.user_id == user.pk and p.attendance == "present") or p.substitute_id == user.pk
        ),
        "meetings_expected": sum(
            1
            for p in places
            if (p.user_id == user.pk and p.substitute_id is None and p.attendance != "excused")
            or p.substitute_id == user.pk
        ),
        "visits_done": Visit.objects.done_by(user, start, end).filter(grid__in=grids).count(),
        "visits_due": CarePlan.objects.current()
        .filter(is_station_only=False)
        .in_grids(own_grids)
        .due_count(start, end),
    }


def figures_of(line):
    return {key: getattr(line, key) for key, _label in assessment.FIGURES}


def test_every_figure_of_a_workers_month_equals_the_rows(world):
    member, backup = seed(world)
    community = world.a.community
    with time_machine.travel(NOW, tick=False):
        lines = {
            line.user: line
            for line in assessment.lines(community, START, END, AssessmentWeights.load())
        }
    assert set(lines) == {member, backup, world.a.grid_leader}
    for user in lines:
        assert figures_of(lines[user]) == plain(user, community, START, END), user
    # The month above, spelled out, so a mistake in both counts cannot hide.
    assert figures_of(lines[member]) == {
        "patrolled": 6,  # 2, 3, 4, 5, 6 (twice) and 11 November
        "missed": 3,  # 3, 25, 26 November
        "short": 1,
        "observations": 3,
        "received": 4,  # the December one and the duplicate left out, the other community's too
        "handled": 2,
        "on_time": 1,
        "rework": 3,
        "instructions": 2,
        "instructions_on_time": 1,
        "meetings_attended": 1,  # the 16th counts for the substitute
        "meetings_expected": 2,  # the 2nd and the 30th (the 23rd was excused)
        "visits_done": 1,  # the 8th; nobody was home on the 29th
        "visits_due": 4,
    }
    # The covered week is the B holder's: its patrols, its missed windows, the meeting.
    assert figures_of(lines[backup]) == {
        "patrolled": 5,
        "missed": 2,  # 17 and 18 November, while A was away
        "short": 1,  # the other grid of the community
        "observations": 5,
        "received": 1,
        "handled": 2,
        "on_time": 1,
        "rework": 1,
        "instructions": 1,
        "instructions_on_time": 1,
        "meetings_attended": 1,
        "meetings_expected": 1,
        "visits_done": 1,  # the 17th, covering
        "visits_due": 0,  # the B holder answers for no grid's visits
    }
    # The grid leader (no B holder) was on duty for every missed window of the grid.
    assert lines[world.a.grid_leader].missed == 5
    assert lines[world.a.grid_leader].visits_due == 4


def test_the_score_follows_the_formula_and_ranks_best_first(world):
    member, backup = seed(world)
    weights = AssessmentWeights.load()
    with time_machine.travel(NOW, tick=False):
        lines = assessment.lines(world.a.community, START, END, weights)
    by_user = {line.user: line for line in lines}
    line = by_user[member]
    expected = (
        30 * 6 / (6 + 1 + 3)
        + 25 * 1 / 2
        + 10 * max(0, 1 - 3 / 2)
        + 10 * 1 / 2
        + 15 * 1 / 2
        + 10 * 1 / 4
    )
    assert line.score == pytest.approx(round(expected, 1))
    assert line.score == 45.5
    assert [p.weight for p in line.parts] == [30, 25, 10, 10, 15, 10]
    leader = by_user[world.a.grid_leader]
    # Five missed windows and four visits not made; everything else at full marks.
    assert leader.score == 60.0
    assert [line.score for line in lines] == sorted((line.score for line in lines), reverse=True)
    assert lines[0].rank == 1
    assert "30 ×" in str(assessment.formula(weights))


def test_a_month_with_nothing_has_zeros(world):
    lines = assessment.lines(
        world.a.community, D(2020, 1, 1), D(2020, 1, 31), AssessmentWeights.load()
    )
    assert {line.user for line in lines} == {
        world.a.grid_member,
        world.a.grid_member_b,
        world.a.grid_leader,
    }
    assert all(line.values() == [0] * len(assessment.FIGURES) for line in lines)
    assert all(line.score == 100 and line.rank == 1 for line in lines)


@pytest.mark.parametrize("one", [False, True])
def test_the_statement_compiled_once_is_the_one_django_compiles_for_each_request(world, one):
    """`lines` binds a request's values into SQL compiled once; for any community, month
    and person that is exactly the SQL and the parameters Django compiles for them."""
    from django.db import connection

    statement = assessment._Statement.get(connection, one)  # not _Unstable on this database
    months = [(D(2024, 2, 1), D(2024, 2, 29)), (START, END), (D(2026, 12, 1), D(2026, 12, 31))]
    for community in (world.a.community, world.b.community):
        for start, end in months:
            person = world.a.grid_member.pk if one else None
            asked = assessment._Asked(community.pk, community.path, start, end, person)
            expected = asked.queryset().query.sql_with_params()
            bound = statement.bind(asked, connection)
            assert assessment._statement(asked) == (statement.sql, bound)
            assert (statement.sql, bound) == (expected[0], list(expected[1]))


def test_the_statement_follows_the_time_zone(world, settings):
    """The day an instruction was completed on is read in the time zone, a constant of the
    SQL: another time zone has a statement of its own."""

    community = world.a.community
    asked = assessment._Asked(community.pk, community.path, START, END)
    assessment._statement(asked)  # compiled for the project's time zone
    settings.TIME_ZONE = "UTC"
    expected = asked.queryset().query.sql_with_params()
    sql, params = assessment._statement(asked)
    assert (sql, list(params)) == (expected[0], list(expected[1]))
    assert "UTC" in params
