"""The station's daily review: the board's cells, the board page, reviewing a log and
signing a day off."""

import datetime
import itertools
import re
from types import SimpleNamespace

import pytest
import time_machine
from django.contrib.messages import get_messages
from django.utils import timezone
from django.utils.formats import date_format

from grids.models import Area
from notifications.models import Notification
from patrols.board import State, build_rows, count_states, group_rows
from patrols.models import DaySignOff, MissedPatrol, Patrol, PatrolSchedule, Slot
from tests.factories import make_area, make_community
from tests.patrols.factories import local, make_patrol

DAY = datetime.date(2026, 11, 28)
AM, PM = Slot.MORNING, Slot.AFTERNOON


# --- The cells, computed without the database ---


def grid(pk, community=100):
    return SimpleNamespace(pk=pk, parent_id=community, parent=SimpleNamespace(pk=community))


MADE = itertools.count(1)


def log(grid_id, slot, status=Patrol.Status.SUBMITTED, is_short=False, hour=9):
    return SimpleNamespace(
        pk=next(MADE),
        grid_id=grid_id,
        slot=slot,
        status=status,
        is_short=is_short,
        started_at=local(DAY, hour),
    )


def states(rows):
    return {(row.grid.pk, cell.slot): cell.state for row in rows for cell in row.cells}


def board_at(moment, grids, patrols=(), missed=frozenset(), schedule=None):
    schedules = {100: schedule or PatrolSchedule(), 200: PatrolSchedule()}
    return build_rows(grids, patrols, missed, schedules, DAY, moment)


def test_each_window_gets_the_state_of_the_log_that_counts_most():
    grids = [grid(n) for n in range(1, 7)]
    patrols = [
        log(1, AM),
        log(2, AM, is_short=True),
        log(3, AM, Patrol.Status.RETURNED),
        log(4, AM, Patrol.Status.IN_PROGRESS),
        log(5, AM, Patrol.Status.APPROVED),
        # A returned log and a later in-progress one: the returned log counts.
        log(6, AM, Patrol.Status.RETURNED),
        log(6, AM, Patrol.Status.IN_PROGRESS, hour=11),
    ]
    rows = board_at(local(DAY, 11), grids, patrols)
    got = states(rows)
    assert [got[(n, AM)] for n in range(1, 7)] == [
        State.DONE,
        State.SHORT,
        State.RETURNED,
        State.IN_PROGRESS,
        State.DONE,
        State.RETURNED,
    ]
    assert {got[(n, PM)] for n in range(1, 7)} == {State.UPCOMING}
    assert rows[5].cells[0].patrol is patrols[5]


def test_a_window_is_missing_once_it_closed_with_its_grace_and_nothing_qualifies():
    grids = [grid(1), grid(2)]
    patrols = [log(2, AM, Patrol.Status.IN_PROGRESS)]
    before = states(board_at(local(DAY, 12, 29), grids, patrols))
    after = states(board_at(local(DAY, 12, 30), grids, patrols))
    assert (before[(1, AM)], before[(2, AM)]) == (State.UPCOMING, State.IN_PROGRESS)
    assert (after[(1, AM)], after[(2, AM)]) == (State.MISSING, State.MISSING)
    assert after[(1, PM)] == State.UPCOMING


def test_a_recorded_miss_shows_even_before_the_window_closes_here():
    rows = board_at(local(DAY, 10), [grid(1)], missed={(1, AM)})
    assert states(rows)[(1, AM)] == State.MISSING


def test_each_community_uses_its_own_windows():
    late = PatrolSchedule(morning_starts_at=datetime.time(9), morning_ends_at=datetime.time(13))
    rows = board_at(local(DAY, 12, 45), [grid(1, 100), grid(2, 200)], schedule=late)
    assert states(rows)[(1, AM)] == State.UPCOMING
    assert states(rows)[(2, AM)] == State.MISSING


def test_counts_and_groups_follow_the_cells():
    grids = [grid(1, 100), grid(2, 100), grid(3, 200)]
    rows = board_at(local(DAY, 13), grids, [log(1, AM), log(3, AM, is_short=True)])
    counts = {state: count for state, _label, _badge, count in count_states(rows)}
    assert counts == {
        State.DONE: 1,
        State.SHORT: 1,
        State.RETURNED: 0,
        State.IN_PROGRESS: 0,
        State.MISSING: 1,
        State.UPCOMING: 3,
    }
    groups = group_rows(rows)
    assert [[row.grid.pk for row in g.rows] for g in groups] == [[1, 2], [3]]


# --- The board page ---


@pytest.fixture
def pinned():
    """13:00 local on DAY: the morning has closed, the afternoon has not begun."""
    with time_machine.travel(local(DAY, 13), tick=False):
        yield


def board(client, **params):
    return client.get("/patrols/board/", params)


def cell(body, grid, slot):
    start = body.index(f'data-grid="{grid.code}"')
    return body[body.index(f'data-slot="{slot}"', start) :][:60]


def test_the_stationmaster_sees_the_days_board_of_the_community(client, world, pinned):
    done = make_patrol(world.a.grid, DAY, AM, member=world.a.grid_member)
    make_patrol(world.b.grid, DAY, AM)  # another community's log
    client.force_login(world.a.stationmaster)
    response = board(client)
    assert response.status_code == 200
    body = response.content.decode()
    assert 'data-state="done"' in cell(body, world.a.grid, AM)
    assert 'data-state="missing"' in cell(body, world.a.other_grid, AM)
    assert 'data-state="upcoming"' in cell(body, world.a.grid, PM)
    assert done.get_absolute_url() in body
    assert world.b.grid.code not in body
    # The log waits for review, so the day cannot be signed off yet.
    assert f'data-waiting="{done.pk}"' in body
    assert "/sign-off/" not in body


def test_a_windows_cell_links_the_latest_started_of_its_best_logs(client, world, pinned):
    # Started in this order: 09:30 (full), 08:10 (full), 10:45 (short, ranks after).
    later = make_patrol(world.a.grid, DAY, AM, started_at=local(DAY, 9, 30))
    earlier = make_patrol(world.a.grid, DAY, AM, started_at=local(DAY, 8, 10))
    short = make_patrol(world.a.grid, DAY, AM, started_at=local(DAY, 10, 45), minutes=20)
    client.force_login(world.a.stationmaster)
    body = board(client).content.decode()
    start = body.index(f'data-grid="{world.a.grid.code}"')
    row = body[start : body.index("</tr>", start)]
    assert 'data-state="done"' in cell(body, world.a.grid, AM)
    assert later.get_absolute_url() in row
    assert earlier.get_absolute_url() not in row and short.get_absolute_url() not in row


def test_the_board_shows_another_day_and_links_its_neighbours(client, world, pinned):
    make_patrol(world.a.grid, DAY - datetime.timedelta(days=1), PM, is_short=True, minutes=30)
    client.force_login(world.a.stationmaster)
    body = board(client, day="2026-11-27", area=world.a.community.code).content.decode()
    assert 'data-state="short"' in cell(body, world.a.grid, PM)
    assert "day=2026-11-26&amp;area=T-01-01" in body and "day=2026-11-28&amp;area=T-01-01" in body


def test_a_street_board_groups_the_grids_by_community(client, world, pinned):
    street_officer = world.district_officer  # supervises the district, so the street too
    client.force_login(street_officer)
    body = board(client, area=world.street.code).content.decode()
    assert body.index(world.a.grid.code) < body.index(world.b.grid.code)
    assert f'id="community-{world.a.community.pk}"' in body
    assert f'id="community-{world.b.community.pk}"' in body


def test_a_district_officer_starts_at_their_first_street(client, world, pinned):
    client.force_login(world.district_officer)
    body = board(client).content.decode()
    assert world.a.grid.code in body and world.b.grid.code in body


def test_a_grid_member_may_not_see_the_board(client, world):
    client.force_login(world.a.grid_member)
    assert board(client).status_code == 403
    client.force_login(world.a.grid_leader)
    assert board(client).status_code == 403


def test_another_communitys_board_is_not_found(client, world):
    client.force_login(world.a.stationmaster)
    assert board(client, area=world.b.community.code).status_code == 404
    assert board(client, area=world.street.code).status_code == 404  # above their post


def test_the_board_costs_the_same_queries_for_more_grids_and_logs(
    client, world, pinned, django_assert_num_queries
):
    make_patrol(world.a.grid, DAY, AM)
    client.force_login(world.a.stationmaster)
    url = f"/patrols/board/?area={world.a.community.code}"
    # session, user, posts (scope), the area by code, the areas to pick from, grids with
    # their communities, schedules, missed windows, waiting logs and sign-offs, the log of
    # each window and the waiting logs listed, with their members, unread notifications
    with django_assert_num_queries(9):
        assert client.get(url).status_code == 200

    PatrolSchedule.objects.create(community=world.a.community)
    for n in range(3, 9):
        make_area(Area.Kind.GRID, world.a.community, code=f"{world.a.community.code}-{n:02d}")
    for g in Area.objects.grids().under(world.a.community):
        make_patrol(g, DAY, AM, is_short=g.pk % 2 == 0, minutes=45)
        make_patrol(g, DAY, PM, status=Patrol.Status.IN_PROGRESS)
        MissedPatrol.objects.create(grid=g, day=DAY - datetime.timedelta(days=1), slot=AM)
    MissedPatrol.objects.create(grid=world.a.other_grid, day=DAY, slot=PM)
    with django_assert_num_queries(9):
        body = client.get(url).content.decode()
    assert body.count("data-grid=") == 8


# --- Reviewing a log ---


def review(client, patrol, decision, comment=""):
    return client.post(f"/patrols/{patrol.pk}/review/", {"decision": decision, "comment": comment})


def test_the_stationmaster_approves_a_log(client, world):
    patrol = make_patrol(world.a.grid, DAY, member=world.a.grid_member)
    client.force_login(world.a.stationmaster)
    response = review(client, patrol, "approve")
    # No other log waits: back to the day's board.
    board = f"/patrols/board/?day={DAY}&area={world.a.community.code}"
    assert response.status_code == 302 and response["Location"] == board
    patrol.refresh_from_db()
    assert patrol.status == Patrol.Status.APPROVED
    assert patrol.reviewed_by == world.a.stationmaster
    assert not Notification.objects.filter(recipient=world.a.grid_member).exists()


def test_a_returned_log_tells_its_member_once(client, world):
    patrol = make_patrol(world.a.grid, DAY, member=world.a.grid_member)
    client.force_login(world.a.stationmaster)
    review(client, patrol, "return", "Walk past the east gate too.")
    again = review(client, patrol, "return", "Walk past the east gate too.")
    assert again.status_code == 302
    patrol.refresh_from_db()
    assert patrol.status == Patrol.Status.RETURNED
    assert patrol.review_comment == "Walk past the east gate too."
    assert Notification.objects.filter(recipient=world.a.grid_member).count() == 1

    client.force_login(world.a.grid_member)
    inbox = client.get("/notifications/").content.decode()
    assert "Your patrol log was returned" in inbox and "east gate" in inbox


def test_returning_without_a_comment_is_refused(client, world):
    patrol = make_patrol(world.a.grid, DAY, member=world.a.grid_member)
    client.force_login(world.a.stationmaster)
    response = review(client, patrol, "return")
    messages = [str(m) for m in response.wsgi_request._messages]
    assert messages == ["Say why the log is returned."]
    patrol.refresh_from_db()
    assert patrol.status == Patrol.Status.SUBMITTED


def test_the_grid_team_may_not_review(client, world):
    patrol = make_patrol(world.a.grid, DAY, member=world.a.grid_member)
    for user in (world.a.grid_leader, world.a.grid_member):
        client.force_login(user)
        assert review(client, patrol, "approve").status_code == 403
    patrol.refresh_from_db()
    assert patrol.status == Patrol.Status.SUBMITTED


def test_another_communitys_log_is_not_found_for_review(client, world):
    patrol = make_patrol(world.b.grid, DAY)
    client.force_login(world.a.stationmaster)
    assert review(client, patrol, "approve").status_code == 404
    assert client.get(f"/patrols/{patrol.pk}/review/").status_code == 405


def test_the_review_form_posts_with_its_token(rf, world):
    from django.template.loader import render_to_string

    patrol = make_patrol(world.a.grid, DAY)
    html = render_to_string("patrols/_review_form.html", {"patrol": patrol, "csrf_token": "tok"})
    assert f'action="/patrols/{patrol.pk}/review/"' in html
    assert 'name="csrfmiddlewaretoken" value="tok"' in html
    assert 'value="approve"' in html and 'value="return"' in html
    patrol.status = Patrol.Status.APPROVED
    assert "<form" not in render_to_string("patrols/_review_form.html", {"patrol": patrol})


def test_the_patrol_page_offers_a_review_form_that_passes_the_csrf_check(world):
    from django.test import Client

    patrol = make_patrol(world.a.grid, DAY, member=world.a.grid_member)
    client = Client(enforce_csrf_checks=True)
    client.force_login(world.a.stationmaster)
    page = client.get(patrol.get_absolute_url()).content.decode()
    form = page[page.index("data-review-form") :]
    form = form[: form.index("</form>")]
    assert 'name="csrfmiddlewaretoken"' in form, (
        "include the partial with csrf_token=csrf_token: an `only` include drops the token"
    )
    token = form.split('name="csrfmiddlewaretoken" value="')[1].split('"')[0]
    response = client.post(
        f"/patrols/{patrol.pk}/review/", {"decision": "approve", "csrfmiddlewaretoken": token}
    )
    assert response.status_code == 302
    patrol.refresh_from_db()
    assert patrol.status == Patrol.Status.APPROVED


# --- Signing a day off ---


def sign(client, community, day=DAY, note=""):
    return client.post(
        f"/patrols/board/{community.code}/sign-off/", {"day": day.isoformat(), "note": note}
    )


def test_a_reviewed_day_is_signed_off_once(client, world, pinned):
    patrol = make_patrol(world.a.grid, DAY, member=world.a.grid_member)
    client.force_login(world.a.stationmaster)
    response = sign(client, world.a.community)
    assert response.status_code == 302
    assert not DaySignOff.objects.exists()  # a log still waited for review
    assert [str(m) for m in get_messages(response.wsgi_request)] == [
        "Review the 1 log still waiting before signing the day off."
    ]

    review(client, patrol, "approve")
    assert "/sign-off/" in board(client).content.decode()
    response = sign(client, world.a.community, note="Quiet day.")
    assert response["Location"] == f"/patrols/board/?day=2026-11-28&area={world.a.community.code}"
    sign_off = DaySignOff.objects.get()
    assert (sign_off.community, sign_off.day, sign_off.signed_by, sign_off.note) == (
        world.a.community,
        DAY,
        world.a.stationmaster,
        "Quiet day.",
    )
    sign(client, world.a.community)
    assert DaySignOff.objects.count() == 1
    body = board(client).content.decode()
    assert "data-signed-off" in body and "/sign-off/" not in body


def test_a_future_day_cannot_be_signed_off(client, world, pinned):
    client.force_login(world.a.stationmaster)
    sign(client, world.a.community, day=DAY + datetime.timedelta(days=1))
    assert not DaySignOff.objects.exists()


def test_only_a_supervisor_signs_off_their_own_community(client, world, pinned):
    client.force_login(world.a.grid_member)
    assert sign(client, world.a.community).status_code == 404  # not in a grid member's scope
    client.force_login(world.a.stationmaster)
    assert sign(client, world.b.community).status_code == 404
    other = make_community(world.street, "T-01-03")
    assert sign(client, other).status_code == 404
    assert not DaySignOff.objects.exists()


def test_a_done_window_stays_done_when_a_short_log_comes_later():
    patrols = [log(1, AM, hour=8), log(1, AM, is_short=True, hour=11)]
    rows = board_at(local(DAY, 13), [grid(1)], patrols)
    assert states(rows)[(1, AM)] == State.DONE
    assert rows[0].cells[0].patrol is patrols[0]


def test_a_patrol_started_at_2120_leaves_the_afternoon_window_as_it_was(client, world):
    """The afternoon was patrolled for 86 minutes; a member starts again at 21:20 and submits
    after 15 minutes. The later patrol is an extra patrol: the afternoon stays done."""
    member = world.a.grid_member
    client.force_login(member)
    with time_machine.travel(local(DAY, 14, 5), tick=False):
        client.post("/patrols/start/", {"grid": world.a.grid.code})
    afternoon = Patrol.objects.get(member=member)
    with time_machine.travel(local(DAY, 15, 31), tick=False):
        client.post(f"/patrols/{afternoon.pk}/submit/", {"summary": "下午巡查完毕"})
    with time_machine.travel(local(DAY, 21, 20), tick=False):
        client.post("/patrols/start/", {"grid": world.a.grid.code})
    extra = Patrol.objects.exclude(pk=afternoon.pk).get(member=member)
    with time_machine.travel(local(DAY, 21, 35), tick=False):
        client.post(f"/patrols/{extra.pk}/submit/", {"summary": "夜间加巡"})
        client.force_login(world.a.stationmaster)
        body = board(client, day=DAY.isoformat()).content.decode()
    afternoon.refresh_from_db()
    extra.refresh_from_db()
    assert (afternoon.slot, afternoon.duration_minutes, afternoon.is_short) == (PM, 86, False)
    assert (extra.slot, extra.status, extra.is_short) == ("", "submitted", True)
    assert 'data-state="done"' in cell(body, world.a.grid, PM)
    assert extra.get_absolute_url() not in cell(body, world.a.grid, PM)
    # The extra patrol still waits for review like any log.
    assert f'data-waiting="{extra.pk}"' in body


def test_the_board_shows_who_signed_a_day_off_and_the_windows_recorded_missed(
    client, world, pinned
):
    """Both are read with the grids: a community's sign-off on each of its grids' rows, and a
    window recorded missed before it has closed (the afternoon, at 13:00) is missing."""
    world.a.stationmaster.full_name = "站长 <甲>"
    world.a.stationmaster.save(update_fields=["full_name"])
    DaySignOff.objects.create(community=world.a.community, day=DAY, signed_by=world.a.stationmaster)
    DaySignOff.objects.create(
        community=world.a.community,
        day=DAY - datetime.timedelta(days=1),
        signed_by=world.a.stationmaster,
    )
    MissedPatrol.objects.create(grid=world.a.grid, day=DAY, slot=PM)
    MissedPatrol.objects.create(
        grid=world.a.other_grid, day=DAY + datetime.timedelta(days=1), slot=PM
    )
    client.force_login(world.a.stationmaster)
    body = board(client, day=DAY.isoformat(), area=world.a.community.code).content.decode()
    signed = DaySignOff.objects.get(day=DAY).signed_at
    at = date_format(timezone.localtime(signed), "SHORT_DATETIME_FORMAT")
    assert f"Signed off by 站长 &lt;甲&gt;, {at}" in body
    assert body.count("data-signed-off") == 1
    assert 'data-state="missing"' in cell(body, world.a.grid, PM)
    assert 'data-state="upcoming"' in cell(body, world.a.other_grid, PM)
    # The day before: its own sign-off; the day after: nobody signed.
    before = DAY - datetime.timedelta(days=1)
    body = board(client, day=before.isoformat(), area=world.a.community.code).content.decode()
    assert body.count("data-signed-off") == 1
    after = DAY + datetime.timedelta(days=1)
    body = board(client, day=after.isoformat(), area=world.a.community.code).content.decode()
    assert "data-signed-off" not in body


def test_a_window_logged_many_times_shows_its_best_log_and_every_waiting_one(
    client, world, pinned, django_assert_num_queries
):
    """The board reads one log a window besides those waiting for review (shown_logs): a
    window logged again and again costs one row, and its cell still shows the log that
    counts most, waiting or not."""
    reviewed = [
        make_patrol(world.a.grid, DAY, AM, status=Patrol.Status.APPROVED, minutes=30)
        for _ in range(5)
    ]
    returned = make_patrol(world.a.grid, DAY, AM, status=Patrol.Status.RETURNED)
    waiting_short = make_patrol(world.a.grid, DAY, AM, minutes=20)
    # The other grid: a full approved log beats the later returned and short waiting ones.
    best = make_patrol(world.a.other_grid, DAY, AM, status=Patrol.Status.APPROVED)
    make_patrol(world.a.other_grid, DAY, AM, status=Patrol.Status.RETURNED)
    waiting_other = make_patrol(world.a.other_grid, DAY, AM, minutes=30)
    client.force_login(world.a.stationmaster)
    with django_assert_num_queries(9):
        body = board(client, area=world.a.community.code).content.decode()
    # Every log short: the latest started of the short ones (all at 08:00: the last made).
    assert 'data-state="short"' in cell(body, world.a.grid, AM)
    row = body[body.index(f'data-grid="{world.a.grid.code}"') :]
    row = row[: row.index("</tr>")]
    assert waiting_short.get_absolute_url() in row
    assert returned.get_absolute_url() not in row
    assert all(p.get_absolute_url() not in row for p in reviewed)
    assert 'data-state="done"' in cell(body, world.a.other_grid, AM)
    other = body[body.index(f'data-grid="{world.a.other_grid.code}"') :]
    assert best.get_absolute_url() in other[: other.index("</tr>")]
    assert body.count("data-waiting=") == 2
    assert f'data-waiting="{waiting_short.pk}"' in body
    assert f'data-waiting="{waiting_other.pk}"' in body


@pytest.mark.parametrize(
    ("language", "more"),
    [("en", "And 1 more log waits: each review opens the next one."), ("zh-hans", "另有 1 份")],
)
def test_the_waiting_list_shows_its_oldest_logs_and_counts_the_rest(
    client, world, pinned, monkeypatch, language, more
):
    from patrols import review_views

    monkeypatch.setattr(review_views, "WAITING_LISTED", 2)
    logs = [
        make_patrol(world.a.grid, DAY, AM, started_at=local(DAY, 8, 50)),
        make_patrol(world.a.other_grid, DAY, AM, started_at=local(DAY, 8, 10)),
        make_patrol(world.a.grid, DAY, PM, started_at=local(DAY, 8, 30)),
    ]
    world.a.stationmaster.language = language
    world.a.stationmaster.save(update_fields=["language"])
    client.force_login(world.a.stationmaster)
    body = board(client, area=world.a.community.code).content.decode()
    listed = [int(n) for n in re.findall(r'data-waiting="(\d+)"', body)]
    assert listed == [logs[1].pk, logs[2].pk]
    assert more in body and "data-waiting-more" in body
    # The community still counts all three: the day cannot be signed off.
    assert "/sign-off/" not in body
