"""The private calendar feed: a phone fetches /meetings/calendar/<token>.ics without logging
in, and the token is the only key."""

import datetime
import hashlib
import importlib
import re

import icalendar
import pytest
import time_machine
from django.urls import reverse
from django.utils import translation

from meetings import schedule
from meetings.feed import renew_feed
from meetings.models import CalendarFeed, Meeting, Participant
from tests.meetings.test_schedule import holidays_2026, local  # noqa: F401 (a fixture)

NOW = local(2026, 11, 20, 10)


@pytest.fixture
def meetings(world):
    """Community A's and B's meetings from September to mid-December, as beat plans them."""
    weekly_a, _monthly_a = schedule.ensure_series(world.a.community)
    schedule.ensure_series(world.b.community)
    weekly_a.place = "Station meeting room"
    weekly_a.save()
    for moment in (local(2026, 9, 1), local(2026, 10, 1), local(2026, 11, 1), NOW):
        with time_machine.travel(moment, tick=False):
            schedule.plan_meetings()
    return Meeting.objects.all()


def fetch(client, token):
    return client.get(reverse("meetings:feed", args=[token]))


def events(response):
    calendar = icalendar.Calendar.from_ical(response.content)
    return {str(e["UID"]): e for e in calendar.walk("VEVENT")}


def test_the_feed_lists_the_users_meetings_with_their_times(client, world, meetings):
    token = renew_feed(world.a.grid_member).token
    with time_machine.travel(NOW, tick=False):
        response = fetch(client, token)  # not logged in: a phone has no session
    assert response.status_code == 200
    assert response["Content-Type"] == "text/calendar; charset=utf-8"

    expected = Meeting.objects.filter(
        community=world.a.community, starts_at__gte=NOW - datetime.timedelta(days=60)
    )
    assert expected.count() > 8
    found = events(response)
    assert set(found) == {f"meeting-{m.pk}@meetings.gridmgmt" for m in expected}
    for meeting in expected:
        event = found[f"meeting-{meeting.pk}@meetings.gridmgmt"]
        start, end = event["DTSTART"].dt, event["DTEND"].dt
        assert start.tzinfo is not None and start == meeting.starts_at
        assert end == meeting.ends_at
        with translation.override("en"):  # the member's language
            kind = meeting.get_kind_display()
        assert str(event["SUMMARY"]) == f"{kind} · {world.a.community.name}"
        assert str(event.get("LOCATION", "")) == meeting.place
        [alarm] = event.walk("VALARM")
        assert alarm["TRIGGER"].dt == -datetime.timedelta(hours=1)
        assert str(event["URL"]) == f"http://testserver/meetings/{meeting.pk}/"

    # The Monday of the National Day holiday, moved to Thursday 8 October, 09:00 in Shanghai.
    moved = Meeting.objects.get(community=world.a.community, moved_from=datetime.date(2026, 10, 5))
    event = found[f"meeting-{moved.pk}@meetings.gridmgmt"]
    assert event["DTSTART"].dt == local(2026, 10, 8, 9)
    assert event["DTSTART"].params["TZID"] == "Asia/Shanghai"
    assert "2026-10-05" in str(event["DESCRIPTION"])
    assert str(event["LOCATION"]) == "Station meeting room"


def test_the_uid_stays_the_same_and_old_and_cancelled_meetings_drop_out(client, world, meetings):
    token = renew_feed(world.a.stationmaster).token
    with time_machine.travel(NOW, tick=False):
        first = events(fetch(client, token))
    cancelled = Meeting.objects.filter(community=world.a.community).order_by("-starts_at")[0]
    cancelled.status = Meeting.Status.CANCELLED
    cancelled.save()
    with time_machine.travel(NOW + datetime.timedelta(days=7), tick=False):
        later = events(fetch(client, token))
    gone = {
        f"meeting-{m.pk}@meetings.gridmgmt"
        for m in Meeting.objects.filter(
            community=world.a.community,
            starts_at__lt=NOW + datetime.timedelta(days=7) - datetime.timedelta(days=60),
        )
    }
    assert gone  # the September meetings fell out of the 60 days
    assert set(later) == set(first) - gone - {f"meeting-{cancelled.pk}@meetings.gridmgmt"}


def test_the_feed_has_only_meetings_the_user_attends_or_substitutes_at(client, world, meetings):
    token = renew_feed(world.a.grid_member_b).token
    with time_machine.travel(NOW, tick=False):
        assert events(fetch(client, token)) == {}
    meeting = Meeting.objects.filter(community=world.a.community).order_by("starts_at").last()
    Participant.objects.filter(meeting=meeting, user=world.a.grid_member).update(
        substitute=world.a.grid_member_b
    )
    with time_machine.travel(NOW, tick=False):
        assert set(events(fetch(client, token))) == {f"meeting-{meeting.pk}@meetings.gridmgmt"}
    # Community B's people never see community A's meetings.
    b_token = renew_feed(world.b.grid_member).token
    a_token = renew_feed(world.a.grid_leader).token
    with time_machine.travel(NOW, tick=False):
        b_events, a_events = events(fetch(client, b_token)), events(fetch(client, a_token))
    assert b_events and a_events
    assert set(b_events).isdisjoint(a_events)


def test_a_wrong_token_gives_404(client, world, meetings):
    token = renew_feed(world.a.grid_member).token
    assert fetch(client, token + "x").status_code == 404
    assert fetch(client, token[:-1]).status_code == 404
    assert client.get(f"/meetings/calendar/{token}.ICS").status_code == 404
    assert client.post(reverse("meetings:feed", args=[token])).status_code == 405


def link_on(page):
    """The token in the feed link a page shows, or None."""
    found = re.search(rb"http://testserver/meetings/calendar/([A-Za-z0-9_-]+)\.ics", page.content)
    return found and found.group(1).decode()


def test_a_new_link_retires_the_old_one(client, world, meetings):
    client.force_login(world.a.grid_member)
    page = client.get("/meetings/calendar/")
    assert page.status_code == 200
    assert b"Make my calendar link" in page.content
    assert not CalendarFeed.objects.filter(user=world.a.grid_member).exists()

    response = client.post("/meetings/calendar/new/")
    assert response.status_code == 302 and response["Location"] == "/meetings/calendar/"
    page = client.get("/meetings/calendar/")
    old = link_on(page)
    assert old and len(old) >= 40
    assert f"webcal://testserver/meetings/calendar/{old}.ics".encode() in page.content

    client.post("/meetings/calendar/new/")
    new = link_on(client.get("/meetings/calendar/"))
    assert new and new != old
    client.logout()
    assert fetch(client, old).status_code == 404
    assert fetch(client, new).status_code == 200


def test_the_link_is_shown_once_and_only_its_hash_is_stored(client, admin_client, world, meetings):
    client.force_login(world.a.grid_member)
    client.post("/meetings/calendar/new/")
    token = link_on(client.get("/meetings/calendar/"))
    feed = CalendarFeed.objects.get(user=world.a.grid_member)
    assert feed.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert token not in str(CalendarFeed.objects.values().get())

    again = client.get("/meetings/calendar/")
    assert link_on(again) is None
    assert b"Make a new link" in again.content
    assert fetch(client, token).status_code == 200

    admin_page = admin_client.get(reverse("admin:meetings_calendarfeed_change", args=[feed.pk]))
    assert admin_page.status_code == 200
    assert token.encode() not in admin_page.content
    assert feed.token_hash.encode() not in admin_page.content


def test_links_made_before_tokens_were_hashed_keep_working(client, world, meetings):
    """The data migration hashes the tokens stored in the clear."""
    from django.apps import apps

    migration = importlib.import_module("meetings.migrations.0003_bounded_texts_hashed_feed_tokens")
    token = "an-old-token-made-before-hashing-0123456789abcdef"
    CalendarFeed.objects.create(user=world.a.grid_member, token_hash=token)
    assert fetch(client, token).status_code == 404
    migration.hash_tokens(apps, None)
    assert fetch(client, token).status_code == 200


def test_the_calendar_page_needs_a_login_and_the_new_link_a_post(client, world):
    assert client.get("/meetings/calendar/")["Location"].startswith("/accounts/login/")
    assert client.post("/meetings/calendar/new/")["Location"].startswith("/accounts/login/")
    client.force_login(world.a.grid_member)
    assert client.get("/meetings/calendar/new/").status_code == 405
    assert not CalendarFeed.objects.exists()


def test_a_deactivated_users_feed_is_gone(client, world, meetings):
    token = renew_feed(world.a.grid_member).token
    world.a.grid_member.is_active = False
    world.a.grid_member.save()
    assert fetch(client, token).status_code == 404


def test_the_feed_costs_two_queries_whatever_the_number_of_meetings(
    client, world, meetings, django_assert_num_queries
):
    token = renew_feed(world.a.grid_member).token
    for moment in (local(2026, 10, 1), NOW):
        # the feed with its user, the meetings
        with time_machine.travel(moment, tick=False), django_assert_num_queries(2):
            assert fetch(client, token).status_code == 200
