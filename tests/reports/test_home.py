"""The home page by role: what each role sees, and a query count that does not grow with
the data (PostgreSQL)."""

import datetime
import itertools

import pytest
import time_machine
from django.db import connection
from django.db.models import Q
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django.utils.formats import date_format

from grids.models import Absence, Area, Role
from grids.scope import Scope
from incidents.models import Incident
from meetings.models import ActionItem, GridReport, Kind, Meeting, MeetingSeries
from patrols.models import Instruction, MissedPatrol, Patrol, Slot
from reports.home import LIST_LIMIT
from tests.factories import make_area, make_post, make_user
from tests.incidents.factories import make_incident
from tests.patrols.factories import local, make_patrol

# A Wednesday, mid-morning: the morning window is open, the afternoon one to come.
TODAY = datetime.date(2026, 11, 25)
LAST_MONTH = datetime.date(2026, 10, 1)
_seq = itertools.count(1)


@pytest.fixture
def now(db):
    with time_machine.travel(local(TODAY, 10), tick=False):
        yield local(TODAY, 10)


@pytest.fixture
def street_staff(world):
    user = make_user("ss_t", full_name="Street Staff")
    make_post(world.street, Role.STREET_STAFF, user)
    return user


def make_meeting(community, starts_at):
    series, _ = MeetingSeries.objects.get_or_create(community=community, kind=Kind.WEEKLY)
    return Meeting.objects.create(
        series=series,
        community=community,
        kind=Kind.WEEKLY,
        scheduled_on=timezone.localdate(starts_at),
        starts_at=starts_at,
        ends_at=starts_at + datetime.timedelta(hours=1),
    )


def make_action_item(owner, *, due_on, grid=None, text=None):
    meeting = Meeting.objects.order_by("pk").first() or make_meeting(
        Area.objects.get(code="T-01-01"), local(TODAY - datetime.timedelta(days=2), 9)
    )
    return ActionItem.objects.create(
        meeting=meeting,
        text=text or f"落实事项 {next(_seq)}",
        owner=owner,
        due_on=due_on,
        grid=grid,
        created_by=owner,
    )


def late(incident, *, red):
    """Make an open incident overdue (red) or nearing its deadline (yellow)."""
    hour = datetime.timedelta(hours=1)
    now = timezone.now()
    Incident.objects.filter(pk=incident.pk).update(
        warn_at=now - 3 * hour, deadline_at=now - hour if red else now + hour
    )
    return incident


def populate(world, n):
    """`n` more of everything each role's home page lists or counts: grids with logs,
    missed windows, instructions, incidents (late, nearly late, escalated, mine), action
    items, grid reports, absences and meetings."""
    side = world.a
    for _ in range(n):
        k = next(_seq)
        grid = make_area(Area.Kind.GRID, side.community, code=f"{side.community.code}-X{k:03d}")
        holder, backup = make_user(), make_user()
        make_post(grid, Role.GRID_MEMBER, holder, backup)
        Absence.objects.create(user=holder, starts_on=TODAY, ends_on=TODAY, reason="病假")
        for g in (grid, side.grid):
            make_patrol(g, TODAY, Slot.MORNING, status=Patrol.Status.IN_PROGRESS)
            make_patrol(g, TODAY - datetime.timedelta(days=1), Slot.AFTERNOON)
            MissedPatrol.objects.create(grid=g, day=TODAY - datetime.timedelta(days=k), slot="am")
            Instruction.objects.create(
                grid=g, text=f"核实 {k}", due_on=TODAY, issued_by=side.stationmaster
            )
            filed = timezone.now() - datetime.timedelta(days=1)
            late(make_incident(g, side.grid_member, at=filed), red=True)
            late(make_incident(g, side.grid_member, at=filed), red=False)
            escalated = make_incident(g, side.grid_member, at=filed)
            Incident.objects.filter(pk=escalated.pk).update(
                escalation_level=1, escalated_at=timezone.now()
            )
            make_incident(g, side.grid_leader, at=filed)
        GridReport.objects.create(grid=grid, month=LAST_MONTH, status=GridReport.Status.SUBMITTED)
        make_meeting(side.community, local(TODAY + datetime.timedelta(days=k), 9))
        for owner in (side.grid_member, side.grid_leader, side.stationmaster):
            make_action_item(owner, due_on=TODAY + datetime.timedelta(days=k), grid=side.grid)
        # Community B grows too: nothing of it may show on A's pages.
        make_incident(world.b.grid, world.b.grid_member, at=filed)


def home(client, user):
    """(number of queries, page) of the user's home page."""
    client.force_login(user)
    with CaptureQueriesContext(connection) as queries:
        response = client.get("/")
    assert response.status_code == 200
    return len(queries), response.content.decode()


PERSONAS = {
    "grid_member": lambda world, street_staff: world.a.grid_member,
    "grid_leader": lambda world, street_staff: world.a.grid_leader,
    "stationmaster": lambda world, street_staff: world.a.stationmaster,
    "street_staff": lambda world, street_staff: street_staff,
    "district_staff": lambda world, street_staff: world.district_officer,
}


@pytest.mark.parametrize("persona", PERSONAS)
def test_the_home_page_costs_the_same_queries_at_two_data_sizes(
    client, world, street_staff, now, persona
):
    user = PERSONAS[persona](world, street_staff)
    populate(world, 1)
    small, _ = home(client, user)
    populate(world, 6)
    large, body = home(client, user)
    assert large == small, f"{persona}: {small} queries, then {large} with more data"
    assert body.count("data-home=") >= 1


# The exact counts of the roles whose sections this module queries itself. Every page:
# session, user, posts (scope), who is away (who is acting on my posts; the stationmasters'
# posts too only on a day a post's A and B are both away: grids.posts.acting_on_days), my
# incidents, my action items, unread notifications (header) = 7.
# Grid workers add: grids with schedules and missed windows, the day's logs, instructions,
# the people due a visit with their count = 4;
# the grid leader also: the grid's incidents, its action items, last month's report = 3;
# the stationmaster: grids with missed windows, logs, the communities' counts (waiting
# logs, grid reports, moves waiting to be accepted, places overdue for their safety check,
# next meeting), late incidents and escalations with their counts (one query, which also
# reads "my incidents" of a user holding only stationmaster posts), absences, overdue
# visits with their count = 6, less "my incidents" = 5;
# and for "my incidents" the posts the user covers (as B, or as the station while both A
# and B are away) = 1.
@pytest.mark.parametrize(
    ("persona", "expected"),
    [("grid_member", 11), ("grid_leader", 14), ("stationmaster", 13)],
)
def test_the_home_page_query_count_is_pinned(client, world, street_staff, now, persona, expected):
    populate(world, 3)
    count, _ = home(client, PERSONAS[persona](world, street_staff))
    assert count == expected


def test_a_member_sees_windows_instructions_their_incidents_and_action_items(client, world, now):
    member = world.a.grid_member
    make_patrol(world.a.grid, TODAY, Slot.MORNING, status=Patrol.Status.IN_PROGRESS)
    Instruction.objects.create(
        grid=world.a.grid, text="核实出租屋", due_on=TODAY, issued_by=world.a.stationmaster
    )
    Instruction.objects.create(
        grid=world.b.grid, text="别的社区", due_on=TODAY, issued_by=world.b.stationmaster
    )
    mine = late(make_incident(world.a.grid, member, title="我的积水"), red=True)
    make_incident(world.a.grid, world.a.grid_leader, title="组长的事")
    item = make_action_item(member, due_on=TODAY - datetime.timedelta(days=1), text="清理楼道")
    make_action_item(world.a.grid_leader, due_on=TODAY, text="别人的事项")

    client.force_login(member)
    response = client.get("/")
    body = response.content.decode()
    (row,) = response.context["patrol_rows"]
    assert row.grid == world.a.grid
    assert [(c.slot, c.state) for c in row.cells] == [("am", "in_progress"), ("pm", "upcoming")]
    assert "核实出租屋" in body and "别的社区" not in body
    assert f'data-incident="{mine.number}"' in body and 'data-light="red"' in body
    assert "组长的事" not in body
    assert f'data-action-item="{item.pk}"' in body and "清理楼道" in body
    assert "data-overdue" in body
    assert item.meeting.get_absolute_url() in body
    assert "别人的事项" not in body
    assert 'data-home="station"' not in body and 'data-home="leader"' not in body


def test_my_action_item_is_shown_to_its_owner_only(client, world, now):
    item = make_action_item(world.a.grid_member, due_on=TODAY, text="走访独居老人")
    for other in (world.a.grid_member_b, world.a.stationmaster, world.b.grid_member):
        _, body = home(client, other)
        assert "走访独居老人" not in body, other
    _, body = home(client, world.a.grid_member)
    assert f'data-action-item="{item.pk}"' in body
    assert "data-overdue" not in body


def test_a_grid_leader_sees_the_grids_incidents_action_items_and_report_status(client, world, now):
    leader = world.a.grid_leader
    make_incident(world.a.grid, world.a.grid_member, title="网格里的事")
    make_incident(world.a.other_grid, world.a.grid_member, title="隔壁网格的事")
    make_action_item(world.a.stationmaster, due_on=TODAY, grid=world.a.grid, text="网格事项")
    _, body = home(client, leader)
    assert 'data-home="leader"' in body
    assert "网格里的事" in body and "隔壁网格的事" not in body
    assert "网格事项" in body
    assert 'data-report-status="missing"' in body

    report = GridReport.objects.create(grid=world.a.grid, month=LAST_MONTH)
    _, body = home(client, leader)
    assert 'data-report-status="draft"' in body and report.get_absolute_url() in body
    GridReport.objects.filter(pk=report.pk).update(status=GridReport.Status.SUBMITTED)
    _, body = home(client, leader)
    assert 'data-report-status="submitted"' in body
    # A report for another month is not last month's.
    GridReport.objects.all().delete()
    GridReport.objects.create(grid=world.a.grid, month=datetime.date(2026, 11, 1))
    _, body = home(client, leader)
    assert 'data-report-status="missing"' in body


def test_the_stationmaster_sees_the_board_late_incidents_escalations_absences_and_meeting(
    client, world, now
):
    side = world.a
    make_patrol(side.grid, TODAY - datetime.timedelta(days=2), Slot.MORNING)
    make_patrol(side.other_grid, TODAY, Slot.MORNING, minutes=20)
    overdue = late(make_incident(side.grid, side.grid_member, title="超期的事"), red=True)
    nearing = late(make_incident(side.other_grid, side.grid_member, title="快到期"), red=False)
    make_incident(side.grid, side.grid_member, title="还早的事")
    escalated = make_incident(side.grid, side.grid_member, title="升级的事")
    Incident.objects.filter(pk=escalated.pk).update(escalation_level=2, escalated_at=now)
    late(make_incident(world.b.grid, world.b.grid_member, title="B社区超期"), red=True)
    Absence.objects.create(
        user=side.grid_member,
        starts_on=TODAY,
        ends_on=TODAY + datetime.timedelta(days=3),
        reason="年假",
    )
    make_meeting(side.community, local(TODAY - datetime.timedelta(days=1), 9))
    upcoming = make_meeting(side.community, local(TODAY + datetime.timedelta(days=5), 9))
    Meeting.objects.filter(pk=upcoming.pk).update(place="社区二楼会议室")
    make_meeting(side.community, local(TODAY + datetime.timedelta(days=12), 9))
    # The other community's sooner meeting is not A's next.
    make_meeting(world.b.community, local(TODAY + datetime.timedelta(days=1), 9))
    GridReport.objects.create(grid=side.grid, month=LAST_MONTH, status="submitted")
    GridReport.objects.create(grid=side.other_grid, month=LAST_MONTH)

    client.force_login(side.stationmaster)
    response = client.get("/")
    body = response.content.decode()
    assert response.context["patrol_rows"] == []  # no windows of their own
    assert 'data-home="station"' in body
    assert f'data-community="{side.community.code}"' in body
    assert f'data-grid="{side.grid.code}"' in body and f'data-grid="{side.other_grid.code}"' in body
    assert 'data-state="short"' in body
    # Two logs wait, the oldest from two days ago: the link opens the board on that day.
    assert 'data-waiting="2"' in body
    assert f"day={TODAY - datetime.timedelta(days=2)}" in body
    station = response.context["station"]
    assert [i.number for i in station.late_incidents] == [overdue.number, nearing.number]
    assert f'data-incident="{overdue.number}"' in body and 'data-light="yellow"' in body
    assert "B社区超期" not in body
    assert station.counts == {"red": 1, "yellow": 1, "escalated": 1}
    assert [i.number for i in station.escalations] == [escalated.number]
    absences = body.split("data-absences>")[1].split("</ul>")[0]
    assert "Member A" in absences and "covered by Backup A" in absences
    next_meeting = body.split("data-next-meeting>")[1].split("</li>")[0]
    assert upcoming.get_absolute_url() in next_meeting
    assert str(upcoming.get_kind_display()) in next_meeting and "社区二楼会议室" in next_meeting
    starts = date_format(timezone.localtime(upcoming.starts_at), "SHORT_DATETIME_FORMAT")
    assert starts in next_meeting
    assert 'data-reports="1/2"' in body


def test_the_station_lists_are_the_first_of_each_list_whatever_the_overlap(client, world, now):
    """The late incidents and the escalations come from one query: each list must still be
    its own first LIST_LIMIT in its own order, an incident may be in both, and the counts
    count every incident of the list, not only those shown."""
    side = world.a
    hour = datetime.timedelta(hours=1)
    filed = now - datetime.timedelta(days=1)
    for k in range(LIST_LIMIT + 3):
        grid = side.grid if k % 2 else side.other_grid
        incident = late(make_incident(grid, side.grid_member, at=filed), red=k % 3 == 0)
        # Spread the deadlines so that the order is by deadline, not by number.
        Incident.objects.filter(pk=incident.pk).update(
            deadline_at=now + (-1 if k % 3 == 0 else 1) * (k + 1) * hour
        )
        if k % 2:  # half of the late ones are escalated too
            Incident.objects.filter(pk=incident.pk).update(
                escalation_level=1 + k % 3, escalated_at=now - k * hour
            )
    for k in range(4):  # escalated, not late
        escalated = make_incident(side.grid, side.grid_member, at=filed)
        Incident.objects.filter(pk=escalated.pk).update(
            escalation_level=1, escalated_at=now - (k + 10) * hour
        )
    # Closed, and of the other community: in no list, in no count.
    closed = late(make_incident(side.grid, side.grid_member, at=filed), red=True)
    Incident.objects.filter(pk=closed.pk).update(status=Incident.Status.CLOSED, escalation_level=1)
    late(make_incident(world.b.grid, world.b.grid_member, at=filed), red=True)

    client.force_login(side.stationmaster)
    station = client.get("/").context["station"]
    open_ = Incident.objects.open().filter(grid__parent=side.community)
    red = Incident.objects.light_q("red", now)
    late_q = red | Incident.objects.light_q("yellow", now)
    expected_late = list(open_.filter(late_q).order_by("deadline_at", "pk"))
    expected_escalated = list(
        open_.filter(escalation_level__gt=0).order_by("-escalation_level", "-escalated_at", "pk")
    )
    assert len(expected_late) > LIST_LIMIT and len(expected_escalated) > LIST_LIMIT
    assert [i.pk for i in station.late_incidents] == [i.pk for i in expected_late[:LIST_LIMIT]]
    assert [i.pk for i in station.escalations] == [i.pk for i in expected_escalated[:LIST_LIMIT]]
    assert set(station.late_incidents) & set(station.escalations)  # some are in both
    assert station.counts == {
        "red": open_.filter(red).count(),
        "yellow": open_.filter(Incident.objects.light_q("yellow", now)).count(),
        "escalated": len(expected_escalated),
    }
    assert all(i.light_now in ("red", "yellow") for i in station.late_incidents)


def test_the_leaders_grid_incidents_and_mine_are_each_their_own_list(client, world, now):
    """The grid's open incidents and mine: each list is its own first LIST_LIMIT by
    deadline, and one I handle in the grid is in both."""
    leader = world.a.grid_leader
    hour = datetime.timedelta(hours=1)
    filed = now - datetime.timedelta(days=1)
    for k in range(LIST_LIMIT + 3):
        grid_one = make_incident(world.a.grid, world.a.grid_member, at=filed)
        Incident.objects.filter(pk=grid_one.pk).update(deadline_at=now + (k + 1) * hour)
        handled = make_incident(world.a.grid, world.a.grid_member, at=filed)
        # Mine, later than the grid's first LIST_LIMIT.
        Incident.objects.filter(pk=handled.pk).update(
            handler=leader, deadline_at=now + (k + 30) * hour
        )
    first = make_incident(world.a.grid, world.a.grid_member, at=filed)
    Incident.objects.filter(pk=first.pk).update(handler=leader, deadline_at=now - hour)
    closed = make_incident(world.a.grid, world.a.grid_member, at=filed)
    Incident.objects.filter(pk=closed.pk).update(
        handler=leader, deadline_at=now - 2 * hour, status=Incident.Status.CLOSED
    )
    make_incident(world.a.other_grid, world.a.grid_member, at=filed)

    client.force_login(leader)
    response = client.get("/")
    open_ = Incident.objects.open().order_by("deadline_at", "pk")
    grid = [i.pk for i in open_.filter(grid=world.a.grid)[:LIST_LIMIT]]
    mine = [i.pk for i in open_.filter(handler=leader)[:LIST_LIMIT]]
    assert [i.pk for i in response.context["leader"].incidents] == grid
    assert [i.pk for i in response.context["my_incidents"]] == mine
    assert grid[0] == mine[0] == first.pk and closed.pk not in grid + mine
    assert len(set(grid) | set(mine)) == 2 * LIST_LIMIT - 1
    assert all(i.light_now for i in response.context["my_incidents"])


def test_the_stationmasters_own_incidents_come_with_the_late_ones_or_apart(client, world, now):
    """A stationmaster holding no other post has their incidents read with the station's
    lists: the same first LIST_LIMIT as the incident list's "Mine". Holding another post
    too (whose incidents lie outside the communities), they are read on their own."""
    side = world.a
    sm = side.stationmaster
    hour = datetime.timedelta(hours=1)
    filed = now - datetime.timedelta(days=1)
    for k in range(LIST_LIMIT + 2):
        handled = late(make_incident(side.grid, side.grid_member, at=filed), red=True)
        # Mine, and late, but later than the late list's first LIST_LIMIT.
        Incident.objects.filter(pk=handled.pk).update(handler=sm, deadline_at=now - k * hour)
        other = late(make_incident(side.other_grid, side.grid_member, at=filed), red=True)
        Incident.objects.filter(pk=other.pk).update(deadline_at=now - (k + 50) * hour)
    elsewhere = make_incident(world.b.grid, world.b.grid_member, at=filed)
    Incident.objects.filter(pk=elsewhere.pk).update(handler=sm, deadline_at=now - 99 * hour)

    def expected():
        mine = Q(handler=sm) | Q(first_responsible=sm) | Q(covered_for=sm)
        rows = Incident.objects.open().filter(mine).order_by("deadline_at", "pk")
        return [i.pk for i in rows if i.grid.parent_id == side.community.pk or holds_b][:LIST_LIMIT]

    holds_b = False
    count, _ = home(client, sm)
    response = client.get("/")
    assert [i.pk for i in response.context["my_incidents"]] == expected()
    assert elsewhere.pk not in [i.pk for i in response.context["my_incidents"]]
    late_shown = [i.pk for i in response.context["station"].late_incidents]
    assert not set(late_shown) & set(expected())  # the late list is the others'

    # Another post, in community B: B's incident handled by them is theirs too.
    make_post(world.b.grid, Role.GRID_MEMBER, sm)
    holds_b = True
    more, _ = home(client, sm)
    response = client.get("/")
    assert [i.pk for i in response.context["my_incidents"]][0] == elsewhere.pk
    assert [i.pk for i in response.context["my_incidents"]] == expected()
    assert more > count


def test_the_stationmasters_own_incidents_hold_those_of_a_post_both_holders_are_away_from(
    client, world, now
):
    """The station's statement reads the posts the stationmaster covers today in a
    subquery: the incidents of a post whose A and B are away are theirs, not before."""
    side = world.a
    sm = side.stationmaster
    post = next(p for p in Scope(side.grid_member).posts if p.role == Role.GRID_MEMBER)
    covered = make_incident(side.grid, side.grid_leader, at=now - datetime.timedelta(days=1))
    Incident.objects.filter(pk=covered.pk).update(post=post, handler=side.grid_member)

    def mine():
        client.force_login(sm)
        return [i.pk for i in client.get("/").context["my_incidents"]]

    assert covered.pk not in mine()
    for holder in (side.grid_member, side.grid_member_b):
        Absence.objects.create(user=holder, starts_on=TODAY, ends_on=TODAY, reason="病假")
    assert covered.pk in mine()


def test_the_leaders_and_my_action_items_are_each_their_own_list(client, world, now):
    """The grid's action items and mine: each list is its own first LIST_LIMIT, soonest
    due first, and an item of mine for the grid is in both."""
    leader = world.a.grid_leader
    both = make_action_item(leader, due_on=TODAY - datetime.timedelta(days=1), grid=world.a.grid)
    for k in range(LIST_LIMIT + 2):
        make_action_item(
            world.a.stationmaster, due_on=TODAY + datetime.timedelta(days=k), grid=world.a.grid
        )
        # Mine and the grid's, but later than the grid's first LIST_LIMIT.
        make_action_item(leader, due_on=TODAY + datetime.timedelta(days=20 - k), grid=world.a.grid)
    make_action_item(leader, due_on=TODAY, grid=world.a.other_grid)  # mine, not the grid's
    make_action_item(world.b.grid_leader, due_on=TODAY, grid=world.b.grid)
    done = make_action_item(leader, due_on=TODAY - datetime.timedelta(days=5), grid=world.a.grid)
    ActionItem.objects.filter(pk=done.pk).update(done_at=now)

    client.force_login(leader)
    response = client.get("/")
    open_ = ActionItem.objects.open().order_by("due_on", "pk")
    mine = list(open_.filter(owner=leader)[:LIST_LIMIT])
    grid = list(open_.filter(grid=world.a.grid)[:LIST_LIMIT])
    assert [i.pk for i in response.context["my_action_items"]] == [i.pk for i in mine]
    assert [i.pk for i in response.context["leader"].action_items] == [i.pk for i in grid]
    assert mine[0] == grid[0] == both and both.pk != done.pk
    shown = response.context["leader"].action_items
    assert [i.is_late for i in shown[:2]] == [True, False]


def test_my_posts_say_who_acts_today_and_the_station_is_asked_only_when_a_and_b_are_away(
    client, world, now
):
    member, backup = world.a.grid_member, world.a.grid_member_b
    quiet, body = home(client, member)
    assert "Acting today" not in body.split("data-posts>")[1]

    Absence.objects.create(user=member, starts_on=TODAY, ends_on=TODAY, reason="病假")
    count, body = home(client, member)
    assert count == quiet  # B acts: the station is not asked
    assert "Acting today: Backup A" in body.split("data-posts>")[1]
    _, body = home(client, backup)
    assert "You are acting for Member A today." in body.split("data-posts>")[1]

    Absence.objects.create(user=backup, starts_on=TODAY, ends_on=TODAY, reason="病假")
    count, body = home(client, member)
    # Both away: the stationmasters' posts, and who of them is away, are asked too.
    assert count == quiet + 2
    assert "Acting today: Stationmaster A" in body.split("data-posts>")[1]


def test_an_absence_nobody_covers_is_marked(client, world, now):
    for user in (world.a.grid_member, world.a.grid_member_b, world.a.grid_leader):
        Absence.objects.create(user=user, starts_on=TODAY, ends_on=TODAY, reason="病假")
    _, body = home(client, world.a.stationmaster)
    absences = body.split("data-absences>")[1].split("</ul>")[0]
    assert absences.count("data-uncovered") == 2  # the member's post and the leader's
    assert "Member A" in absences and "Leader A" in absences


def test_street_staff_see_their_street_and_the_communities_needing_attention(
    client, world, street_staff, now
):
    make_patrol(world.a.grid, TODAY - datetime.timedelta(days=1), Slot.MORNING)
    filed = now - datetime.timedelta(days=20)
    late(make_incident(world.b.grid, world.b.grid_member, at=filed), red=True)
    _, body = home(client, street_staff)
    assert 'data-home="area"' in body and "Test Street" in body
    attention = body.split("data-attention>")[1].split("</div>\n      </div>")[0]
    # B has an overdue incident; both missed windows. B comes first (most overdue).
    assert f'data-area="{world.b.community.code}"' in attention
    assert attention.index(world.b.community.code) < attention.index(world.a.community.code)
    assert f"/reports/?area={world.b.community.code}" in attention
    assert f"/reports/?area={world.street.code}" in body


def test_district_staff_see_the_district_headlines(client, world, now):
    _, body = home(client, world.district_officer)
    assert 'data-home="area"' in body and "data-headlines" in body
    assert f'data-area="{world.street.code}"' in body  # yesterday's windows were missed
    assert 'data-home="station"' not in body


def test_someone_without_a_post_is_told_so(client, world, now):
    _, body = home(client, world.outsider)
    assert "data-no-post" in body and "You hold no post yet" in body
    assert "data-home=" not in body


def test_the_administrator_without_a_post_is_shown_where_to_start(client, world, now):
    admin = make_user(is_superuser=True, is_staff=True)
    _, body = home(client, admin)
    assert "data-no-post" in body and "You hold no post yet" not in body
    assert 'href="/area-changes/"' in body and 'href="/admin/"' in body
