"""After an action the next thing to do is one tap away: a submitted patrol names the next
window and links to the patrol list where it starts; an approved or returned log leads to
the next log waiting in the community; a day that is no date on the board is a clear 400
(PostgreSQL)."""

import datetime

import pytest
import time_machine
from django.contrib.messages import get_messages

from patrols.models import Patrol, PatrolSchedule, Slot
from tests.patrols.factories import local, make_patrol

THURSDAY = datetime.date(2026, 11, 26)


def messages_of(response):
    return [str(m) for m in get_messages(response.wsgi_request)]


def submit_at(client, world, start, end):
    client.force_login(world.a.grid_member)
    with time_machine.travel(start, tick=False):
        client.post("/patrols/start/", {"grid": world.a.grid.code})
    patrol = Patrol.objects.get(member=world.a.grid_member, status="in_progress")
    with time_machine.travel(end, tick=False):
        return client.post(f"/patrols/{patrol.pk}/submit/", {"summary": "一切正常"})


def test_a_submitted_morning_patrol_names_the_afternoon_window_and_links_to_it(client, world):
    response = submit_at(client, world, local(THURSDAY, 8, 30), local(THURSDAY, 9, 45))
    patrol = Patrol.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/patrols/{patrol.pk}/"
    (named,) = [m for m in messages_of(response) if m.startswith("Next patrol window")]
    assert "Afternoon" in named and "14:00–18:00" in named and "11/26/2026" in named
    # On the submitted log, the way to the next patrol (where it starts) is one tap.
    page = client.get(response["Location"]).content.decode()
    assert 'href="/patrols/" data-next-patrol' in page
    client.force_login(world.a.stationmaster)
    assert "data-next-patrol" not in client.get(response["Location"]).content.decode()


@pytest.mark.parametrize(("on_days_off", "next_day"), [(True, "11/28/2026"), (False, "11/30/2026")])
def test_a_friday_afternoon_patrol_names_the_next_morning_the_grid_patrols(
    client, world, on_days_off, next_day
):
    PatrolSchedule.objects.create(community=world.a.community, patrols_on_days_off=on_days_off)
    friday = THURSDAY + datetime.timedelta(days=1)
    response = submit_at(client, world, local(friday, 14, 10), local(friday, 15, 20))
    (named,) = [m for m in messages_of(response) if m.startswith("Next patrol window")]
    assert next_day in named and "Morning" in named and "08:00–12:00" in named


def review(client, patrol, decision="approve", comment=""):
    return client.post(f"/patrols/{patrol.pk}/review/", {"decision": decision, "comment": comment})


def test_approving_a_log_leads_to_the_oldest_log_still_waiting_in_the_community(client, world):
    first = make_patrol(world.a.grid, THURSDAY, Slot.AFTERNOON)
    older = make_patrol(world.a.other_grid, THURSDAY - datetime.timedelta(days=2))
    make_patrol(world.b.grid, THURSDAY - datetime.timedelta(days=5))  # another community
    client.force_login(world.a.stationmaster)
    response = review(client, first)
    assert response["Location"] == f"/patrols/{older.pk}/"
    assert any(m.startswith("Next log waiting") for m in messages_of(response))

    response = review(client, older, "return", "再走一遍东门")
    board = f"/patrols/board/?day={older.day}&area={world.a.community.code}"
    assert response["Location"] == board
    assert "No other log of the community is waiting for review." in messages_of(response)


@pytest.mark.parametrize("day", ["2026-13-45", "yesterday", "9999-12-31"])
def test_a_day_that_is_no_date_on_the_board_is_a_clear_error(client, world, day):
    client.force_login(world.a.stationmaster)
    with time_machine.travel(local(THURSDAY, 10), tick=False):
        response = client.get(f"/patrols/board/?day={day}&area={world.a.community.code}")
    assert response.status_code == 400
    body = response.content.decode()
    assert (
        f"“{day}” is not a date from 1900-01-01 to 2099-12-31 (YYYY-MM-DD): "
        "the board shows today instead."
    ) in body
    assert response.context["day"] == THURSDAY


def test_the_board_without_a_day_shows_today(client, world):
    client.force_login(world.a.stationmaster)
    with time_machine.travel(local(THURSDAY, 10), tick=False):
        response = client.get(f"/patrols/board/?area={world.a.community.code}")
    assert response.status_code == 200 and response.context["day"] == THURSDAY
