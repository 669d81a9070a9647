"""A meeting's agenda item or action item form sent twice (a double click, a resend) adds
one item, and the action item's owner is told once. Real threads with their own
connections (see tests/incidents/test_race.py)."""

import pytest
import time_machine
from django.db import connection

from meetings.models import ActionItem, AgendaItem
from notifications.models import Notification
from tests.conftest import missing_service
from tests.grids.test_double_submit import post_as, token_on
from tests.incidents.test_race import run_together
from tests.meetings.test_agenda import make_meeting
from tests.meetings.test_record import DURING, STARTS_AT, url

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


@pytest.fixture(autouse=True)
def _postgresql():
    if connection.vendor != "postgresql":
        missing_service("SQLite serialises writers, so threads cannot race: needs PostgreSQL")


def test_an_action_item_sent_twice_at_once_is_added_and_told_once(client, world):
    a = world.a
    meeting = make_meeting(a.community, STARTS_AT)
    client.force_login(a.stationmaster)
    with time_machine.travel(DURING, tick=False):
        for round_ in range(6):
            text = f"协调维修破损井盖 {round_}"
            data = {
                "action-text": text,
                "action-owner": a.grid_leader.pk,
                "action-due_on": "2026-12-11",
                "action-grid": "",
                "action-once": token_on(client.get(meeting.get_absolute_url()), "action-once"),
            }
            post = post_as(a.stationmaster, url("action_add", meeting.pk), data)
            outcomes = run_together(post, post)
            assert [o.status_code for o in outcomes] == [302, 302], f"round {round_}"
            (item,) = ActionItem.objects.filter(text=text)
            assert Notification.objects.filter(key=f"action-item:{item.pk}").count() == 1


def test_an_agenda_item_sent_again_is_added_once(client, world):
    a = world.a
    meeting = make_meeting(a.community, STARTS_AT)
    client.force_login(a.stationmaster)
    with time_machine.travel(DURING, tick=False):
        token = token_on(client.get(meeting.get_absolute_url()), "agenda-once")
        data = {"agenda-text": "第一项", "agenda-note": "", "agenda-once": token}
        post = post_as(a.stationmaster, url("agenda_add", meeting.pk), data)
        outcomes = run_together(post, post)
        again = client.post(url("agenda_add", meeting.pk), data, follow=True)
    assert [o.status_code for o in outcomes] == [302, 302]
    assert AgendaItem.objects.filter(meeting=meeting, text="第一项").count() == 1
    assert "This form was already sent" in again.content.decode()
