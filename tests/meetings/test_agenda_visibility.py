"""A meeting's agenda shows each participant only what they may open: a grid's people see
their grid's items and are told how many items of other grids are left out; a sensitive
incident stays with the station; the station sees everything."""

import datetime

import time_machine

from incidents.models import Incident
from meetings.agenda import draft_agenda
from meetings.models import ActionItem, AgendaItem
from tests.incidents.factories import local, make_incident
from tests.meetings.test_agenda import make_meeting

D = datetime.date
STARTS_AT = local(D(2026, 12, 7), 9)
NOW = local(D(2026, 12, 6), 20)


def _agenda(world):
    """A meeting of community A whose agenda holds one supervised incident in each of its two
    grids, a sensitive supervised one in the leader's grid, and an action item on an
    incident of the other grid."""
    a = world.a
    meeting = make_meeting(a.community, STARTS_AT)
    fresh = local(D(2026, 12, 4), 10)
    mine = make_incident(a.grid, a.grid_member, at=fresh, title="我的网格的事件")
    theirs = make_incident(a.other_grid, a.stationmaster, at=fresh, title="别的网格的事件")
    secret = make_incident(a.grid, a.stationmaster, at=fresh, title="信访线索")
    Incident.objects.filter(pk__in=[mine.pk, theirs.pk, secret.pk]).update(is_supervised=True)
    Incident.objects.filter(pk=secret.pk).update(is_sensitive=True)
    ActionItem.objects.create(
        meeting=meeting,
        text="跟进别的网格",
        owner=a.stationmaster,
        due_on=D(2026, 12, 10),
        created_by=a.stationmaster,
        incident=theirs,
    )
    with time_machine.travel(NOW, tick=False):
        draft_agenda(meeting, now=NOW)
    assert set(meeting.agenda.values_list("incident", flat=True)) == {
        mine.pk,
        theirs.pk,
        secret.pk,
    }
    return meeting, mine, theirs, secret


def test_a_grid_leader_sees_only_their_grids_items_and_a_count_of_the_others(client, world):
    meeting, mine, theirs, secret = _agenda(world)
    leader = world.a.grid_leader
    assert meeting.participants.filter(user=leader).exists()
    client.force_login(leader)
    assert client.get(theirs.get_absolute_url()).status_code == 404
    body = client.get(meeting.get_absolute_url()).content.decode()
    assert mine.number in body
    assert theirs.number not in body and "别的网格的事件" not in body
    assert secret.number not in body and "信访线索" not in body
    assert "1 item in another grid is not shown." in body


def test_the_station_sees_every_item_and_no_count(client, world):
    meeting, mine, theirs, secret = _agenda(world)
    client.force_login(world.a.stationmaster)
    body = client.get(meeting.get_absolute_url()).content.decode()
    for incident in (mine, theirs, secret):
        assert incident.number in body
    assert "not shown" not in body


def test_the_count_is_chinese_for_a_chinese_reader(client, world):
    meeting, *_ = _agenda(world)
    leader = world.a.grid_leader
    leader.language = "zh-hans"
    leader.save(update_fields=["language"])
    client.force_login(leader)
    body = client.get(meeting.get_absolute_url()).content.decode()
    assert "另有 1 项属于其他网格，未显示。" in body


def test_a_station_item_without_a_grid_is_shown_to_everyone(client, world):
    meeting, *_ = _agenda(world)
    AgendaItem.objects.create(meeting=meeting, position=99, text="本周大扫除", source="other")
    client.force_login(world.a.grid_leader)
    assert "本周大扫除" in client.get(meeting.get_absolute_url()).content.decode()


def test_an_agenda_item_moves_only_up_or_down(client, world):
    meeting, *_ = _agenda(world)
    first, second = meeting.agenda.order_by("position")[:2]
    client.force_login(world.a.stationmaster)
    response = client.post(
        f"/meetings/agenda/{second.pk}/move/", {"direction": "sideways"}, follow=True
    )
    assert "Choose whether the item moves up or down." in response.content.decode()
    assert list(meeting.agenda.order_by("position")[:2]) == [first, second]
    client.post(f"/meetings/agenda/{second.pk}/move/", {"direction": "up"})
    assert list(meeting.agenda.order_by("position")[:2]) == [second, first]
