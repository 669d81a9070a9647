"""The draft agenda: exactly the overdue, supervised and recently escalated incidents, the
grids with missed patrols since the last meeting, the open verification instructions and the
open action items of earlier meetings; nothing from another community, nothing closed or
done; drafting again never duplicates, and the station's own items stay."""

import datetime
import re

import pytest
import time_machine
from django.utils import timezone, translation

from grids.models import Area, User
from incidents.models import Incident
from meetings.agenda import draft_agenda
from meetings.models import ActionItem, AgendaItem, Kind, Meeting, Participant
from meetings.schedule import ensure_series, participants_for
from patrols.models import Instruction, MissedPatrol
from tests.incidents.factories import local, make_incident

D = datetime.date
Source = AgendaItem.Source
# The Monday meeting of 7 December 2026 at 09:00; the agenda is drafted on Sunday evening.
STARTS_AT = local(D(2026, 12, 7), 9)
PREVIOUS_AT = local(D(2026, 11, 30), 9)
NOW = local(D(2026, 12, 6), 20)


def make_meeting(community, starts_at, kind=Kind.WEEKLY, with_participants=True, **fields):
    """A meeting of the community's series at `starts_at`, with the series' participants."""
    weekly, monthly = ensure_series(community)
    series = weekly if kind == Kind.WEEKLY else monthly
    meeting = Meeting.objects.create(
        series=series,
        community=community,
        kind=kind,
        scheduled_on=timezone.localdate(starts_at),
        starts_at=starts_at,
        ends_at=starts_at + datetime.timedelta(hours=1),
        **fields,
    )
    if with_participants:
        Participant.objects.bulk_create(
            Participant(meeting=meeting, post=post, user=user)
            for post, user in participants_for(series, meeting.scheduled_on)
        )
    return meeting


def action(meeting, text, **fields):
    return ActionItem.objects.create(
        meeting=meeting,
        text=text,
        owner=fields.pop("owner", meeting.participants.first().user),
        due_on=fields.pop("due_on", D(2026, 12, 4)),
        created_by=meeting.participants.first().user,
        **fields,
    )


def ids(meeting, source, field):
    return set(meeting.agenda.filter(source=source).values_list(field, flat=True))


@pytest.fixture
def seeded(world):
    """Community A's data with one of each kind the agenda must list, and decoys."""
    a, b = world.a, world.b
    member = a.grid_member
    previous = make_meeting(a.community, PREVIOUS_AT, status=Meeting.Status.CLOSED)
    meeting = make_meeting(a.community, STARTS_AT)
    old_week = local(D(2026, 11, 20), 10)  # long enough ago for 24 working hours to run out
    fresh = local(D(2026, 12, 4), 10)  # its deadline is next week

    want = {}
    want["overdue"] = make_incident(a.grid, member, at=old_week, title="overdue")
    want["supervised"] = make_incident(a.other_grid, member, at=fresh, title="supervised")
    Incident.objects.filter(pk=want["supervised"].pk).update(is_supervised=True)
    want["escalated"] = make_incident(a.grid, member, at=fresh, title="escalated")
    Incident.objects.filter(pk=want["escalated"].pk).update(
        status=Incident.Status.ESCALATED,
        escalation_level=1,
        escalated_at=PREVIOUS_AT + datetime.timedelta(days=1),
    )
    # Overdue and supervised at once: listed once.
    want["both"] = make_incident(a.grid, member, at=old_week, title="both")
    Incident.objects.filter(pk=want["both"].pk).update(is_supervised=True)

    decoys = {}
    decoys["fresh"] = make_incident(a.grid, member, at=fresh, title="fresh")
    decoys["escalated_before"] = make_incident(a.grid, member, at=fresh, title="escalated before")
    Incident.objects.filter(pk=decoys["escalated_before"].pk).update(
        escalation_level=1, escalated_at=PREVIOUS_AT - datetime.timedelta(days=1)
    )
    decoys["closed"] = make_incident(a.grid, member, at=old_week, title="closed")
    Incident.objects.filter(pk=decoys["closed"].pk).update(
        status=Incident.Status.CLOSED, closed_at=fresh, is_supervised=True
    )
    # Stopped before its deadline: it keeps its colour (not red) while paused.
    decoys["paused"] = make_incident(a.grid, member, at=old_week, title="paused")
    Incident.objects.filter(pk=decoys["paused"].pk).update(
        paused_at=old_week + datetime.timedelta(hours=1)
    )
    decoys["other_community"] = make_incident(b.grid, b.grid_member, at=old_week, title="B")
    Incident.objects.filter(pk=decoys["other_community"].pk).update(is_supervised=True)

    for grid, day in [
        (a.grid, D(2026, 11, 30)),  # the previous meeting's day counts (after it started)
        (a.grid, D(2026, 12, 3)),
        (a.grid, D(2026, 11, 27)),  # before the previous meeting: not counted
        (a.other_grid, D(2026, 12, 2)),
        (b.grid, D(2026, 12, 2)),
    ]:
        MissedPatrol.objects.create(grid=grid, day=day, slot="am")

    def instruction(grid, **fields):
        return Instruction.objects.create(
            grid=grid,
            text="核实该户实际居住人数",
            due_on=D(2026, 12, 10),
            issued_by=a.stationmaster,
            **fields,
        )

    open_instruction = instruction(a.other_grid)
    instruction(a.grid, completed_at=fresh, outcome="confirmed")
    instruction(b.grid)

    open_action = action(previous, "清理楼道杂物", grid=a.grid)
    action(previous, "走访独居老人", done_at=fresh)
    action(previous, "取消的事项", cancelled_at=fresh)
    action(meeting, "本次会议的事项")  # the meeting's own: not "earlier"
    monthly = make_meeting(a.community, local(D(2026, 11, 2), 14), kind=Kind.MONTHLY)
    action(monthly, "月度会议的事项")  # another series
    b_previous = make_meeting(b.community, PREVIOUS_AT)
    action(b_previous, "B 的事项")

    return {
        "meeting": meeting,
        "incidents": want,
        "decoys": decoys,
        "instruction": open_instruction,
        "action": open_action,
    }


def test_the_agenda_lists_exactly_what_the_data_asks_for(world, seeded):
    meeting, want = seeded["meeting"], seeded["incidents"]
    with time_machine.travel(NOW, tick=False):
        draft_agenda(meeting)

    incident_ids = set(
        meeting.agenda.filter(incident__isnull=False).values_list("incident_id", flat=True)
    )
    assert incident_ids == {i.pk for i in want.values()}
    assert ids(meeting, Source.ESCALATED, "incident_id") == {want["escalated"].pk}
    assert ids(meeting, Source.OVERDUE, "incident_id") == {want["overdue"].pk, want["both"].pk}
    assert ids(meeting, Source.SUPERVISED, "incident_id") == {want["supervised"].pk}
    assert meeting.agenda.filter(incident=want["both"]).count() == 1

    missed = {
        item.grid_id: item.text for item in meeting.agenda.filter(source=Source.MISSED_PATROLS)
    }
    assert set(missed) == {world.a.grid.pk, world.a.other_grid.pk}
    assert "2 missed" in missed[world.a.grid.pk] and "1 missed" in missed[world.a.other_grid.pk]

    assert ids(meeting, Source.INSTRUCTION, "instruction_id") == {seeded["instruction"].pk}
    assert ids(meeting, Source.ACTION_ITEM, "action_item_id") == {seeded["action"].pk}
    assert meeting.agenda.count() == 4 + 2 + 1 + 1
    meeting.refresh_from_db()
    assert meeting.agenda_generated_at == NOW


def test_drafting_again_never_duplicates_and_keeps_the_stations_own_items(world, seeded):
    meeting = seeded["meeting"]
    with time_machine.travel(NOW, tick=False):
        draft_agenda(meeting)
        first = sorted(meeting.agenda.values_list("source", "text"))
        own = AgendaItem.objects.create(
            meeting=meeting, position=1, source=Source.OTHER, text="传达街道工作部署"
        )
        draft_agenda(meeting)
        draft_agenda(meeting)

    items = list(meeting.agenda.all())
    assert sorted((i.source, i.text) for i in items if i.pk != own.pk) == first
    assert [i.pk for i in items if i.source == Source.OTHER] == [own.pk]
    assert items[-1].pk == own.pk, "the station's own items follow the draft"
    assert [i.position for i in items] == list(range(1, len(items) + 1))


def test_without_a_previous_meeting_it_looks_back_one_week(world):
    meeting = make_meeting(world.a.community, STARTS_AT)
    MissedPatrol.objects.create(grid=world.a.grid, day=D(2026, 11, 30), slot="pm")
    MissedPatrol.objects.create(grid=world.a.grid, day=D(2026, 11, 29), slot="pm")
    with time_machine.travel(NOW, tick=False):
        draft_agenda(meeting)
    assert [i.text for i in meeting.agenda.all()] == [
        f"{world.a.grid.name}: 1 missed patrol window since 2026-11-30"
    ]


@pytest.fixture
def in_chinese(world):
    """Community A's next meeting with one item of each kind, whose data (names, titles,
    texts) is all Chinese, so any Latin word in the agenda is the app's own."""
    a = world.a
    Area.objects.filter(pk=a.grid.pk).update(name="一网格")
    User.objects.filter(pk=a.stationmaster.pk).update(full_name="王站长")
    previous = make_meeting(a.community, PREVIOUS_AT, status=Meeting.Status.CLOSED)
    meeting = make_meeting(a.community, STARTS_AT)
    incident = make_incident(
        a.grid, a.grid_member, at=local(D(2026, 11, 20), 10), title="楼道堆放杂物"
    )
    # Escalated since the last meeting, overdue and supervised: three reasons in one line.
    Incident.objects.filter(pk=incident.pk).update(
        status=Incident.Status.ESCALATED,
        escalation_level=1,
        escalated_at=PREVIOUS_AT + datetime.timedelta(days=1),
        is_supervised=True,
    )
    MissedPatrol.objects.create(grid=a.grid, day=D(2026, 12, 1), slot="am")
    MissedPatrol.objects.create(grid=a.grid, day=D(2026, 12, 2), slot="pm")
    Instruction.objects.create(
        grid=a.grid, text="核实该户实际居住人数", due_on=D(2026, 12, 10), issued_by=a.stationmaster
    )
    action(previous, "清理楼道杂物", owner=a.stationmaster)
    return meeting, incident


@pytest.mark.parametrize("active", ["en", "zh-hans"])
def test_the_agenda_of_a_chinese_station_is_all_chinese(world, in_chinese, active):
    """Whatever the language of whoever opens the page first, the draft is in the
    station's."""
    meeting, incident = in_chinese
    User.objects.filter(pk=world.a.stationmaster.pk).update(language="zh-hans")
    with time_machine.travel(NOW, tick=False), translation.override(active):
        draft_agenda(meeting)

    texts = [item.text for item in meeting.agenda.all()]
    assert texts == [
        f"{incident.number} 楼道堆放杂物（一网格）：已上报上级、已逾期、督办",
        "一网格：自2026-11-30以来有2个巡查时段未巡查",
        "一网格：2026-12-10前核查“核实该户实际居住人数”",
        "清理楼道杂物（王站长，2026-12-04前）",
    ]
    assert not [text for text in texts if re.search(r"[A-Za-z]{2,}", text)]


@pytest.mark.parametrize("active", ["en", "zh-hans"])
def test_a_station_that_never_chose_reads_chinese(world, in_chinese, active):
    meeting, _incident = in_chinese
    User.objects.filter(pk=world.a.stationmaster.pk).update(language="")
    with time_machine.travel(NOW, tick=False), translation.override(active):
        draft_agenda(meeting)
    assert not [item.text for item in meeting.agenda.all() if re.search(r"[A-Za-z]{2,}", item.text)]


def test_the_agenda_of_an_english_station_reads_right_in_english(world, in_chinese):
    meeting, incident = in_chinese
    MissedPatrol.objects.create(grid=world.a.other_grid, day=D(2026, 12, 3), slot="am")
    with time_machine.travel(NOW, tick=False), translation.override("zh-hans"):
        draft_agenda(meeting)

    assert [item.text for item in meeting.agenda.all()] == [
        f"{incident.number} 楼道堆放杂物 (一网格): escalated, overdue, supervised",
        "一网格: 2 missed patrol windows since 2026-11-30",
        f"{world.a.other_grid.name}: 1 missed patrol window since 2026-11-30",
        "一网格: verify “核实该户实际居住人数” by 2026-12-10",
        "清理楼道杂物 (王站长, by 2026-12-04)",
    ]


@pytest.mark.parametrize("extra", [0, 6])
def test_drafting_runs_a_fixed_number_of_queries(world, seeded, extra, django_assert_num_queries):
    meeting = seeded["meeting"]
    a = world.a
    for n in range(extra):
        make_incident(a.grid, a.grid_member, at=local(D(2026, 11, 20), 10), title=f"more {n}")
        MissedPatrol.objects.create(
            grid=a.other_grid, day=D(2026, 12, [1, 3, 4][n // 2]), slot=["am", "pm"][n % 2]
        )
        Instruction.objects.create(
            grid=a.grid, text=f"more {n}", due_on=D(2026, 12, 10), issued_by=a.stationmaster
        )
        action(meeting.series.meetings.get(starts_at=PREVIOUS_AT), f"more {n}")
    with time_machine.travel(NOW, tick=False):
        draft_agenda(meeting)  # a first draft, so there is an old one to replace
        AgendaItem.objects.create(meeting=meeting, source=Source.OTHER, text="own")
        # 1 savepoint, 2 lock the meeting (+ community), 3 previous meeting, 4 incidents,
        # 5 missed patrols, 6 instructions, 7 action items, 8 overdue visits, 9 delete the
        # old draft, 10 the station's own items, 11 insert the draft, 12 renumber the own
        # items, 13 the time of the draft, 14 release the savepoint.
        with django_assert_num_queries(14):
            draft_agenda(meeting)
