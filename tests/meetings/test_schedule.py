"""Meeting series, planned occurrences, holiday moves and reminders, with time pinned.

The 2026 calendar (loaded by an incidents migration) gives this window its shape: Friday
25 September is the Mid-Autumn holiday, 1-7 October the National Day holiday (Monday 5
October among them), and Sunday 20 September and Saturday 10 October are make-up working
days.
"""

import datetime
import io
import threading
from collections import Counter
from pathlib import Path

import pytest
import time_machine
from celery.signals import task_postrun
from django.core.management import call_command
from django.utils import timezone

import incidents
from grids.models import Absence, Post, Role
from meetings import schedule
from meetings.models import Kind, Meeting, Participant
from meetings.tasks import send_reminders
from notifications.models import Notification

HOLIDAYS = str(Path(incidents.__file__).parent / "data" / "cn-public-holidays-2026.csv")
ZONE = timezone.get_fixed_timezone(8 * 60)  # Asia/Shanghai, no daylight saving


def local(y, m, d, hh=0, mm=0):
    return datetime.datetime(y, m, d, hh, mm, tzinfo=ZONE)


D = datetime.date
START, END = local(2026, 9, 10), local(2026, 11, 2, 18)
MONDAYS = [D(2026, 9, 14) + datetime.timedelta(weeks=i) for i in range(8)]

# The Monday meetings of the window: (scheduled on, starts at, day-before reminder due).
WEEKLY = [
    (D(2026, 9, 14), local(2026, 9, 14, 9), local(2026, 9, 11, 9)),
    (D(2026, 9, 21), local(2026, 9, 21, 9), local(2026, 9, 20, 9)),  # Sunday, a make-up day
    (D(2026, 9, 28), local(2026, 9, 28, 9), local(2026, 9, 24, 9)),  # Friday 25th is off
    (D(2026, 10, 5), local(2026, 10, 8, 9), local(2026, 9, 30, 9)),  # moved off National Day
    (D(2026, 10, 12), local(2026, 10, 12, 9), local(2026, 10, 10, 9)),  # Saturday, make-up
    (D(2026, 10, 19), local(2026, 10, 19, 9), local(2026, 10, 16, 9)),
    (D(2026, 10, 26), local(2026, 10, 26, 9), local(2026, 10, 23, 9)),
    (D(2026, 11, 2), local(2026, 11, 2, 9), local(2026, 10, 30, 9)),
]
# The monthly review: the first working day of the month, 14:30.
MONTHLY = [
    (D(2026, 10, 8), local(2026, 10, 8, 14, 30), local(2026, 9, 30, 9)),
    (D(2026, 11, 2), local(2026, 11, 2, 14, 30), local(2026, 10, 30, 9)),
]


# When beat "fires" in the test: hourly through the working day, a few times at night, and
# five minutes before and at each moment a reminder falls due (09:00 and 08:00 for the
# 09:00 meeting, 13:30 for the 14:30 one).
TICKS = sorted(
    {datetime.time(h) for h in (0, 3, *range(7, 19), 21)}
    | {datetime.time(7, 55), datetime.time(8, 55), datetime.time(13, 25), datetime.time(13, 30)}
)


def ticks(start, end):
    day, moments = start.date(), []
    while day <= end.date():
        moments += [datetime.datetime.combine(day, t, tzinfo=ZONE) for t in TICKS]
        day += datetime.timedelta(days=1)
    return [m for m in moments if start <= m <= end]


@pytest.fixture(autouse=True)
def holidays_2026(db):
    """The 2026 schedule, loaded again: a migration loads it, but a transactional test's
    flush (the worker test's) empties the table for whatever runs after it on a reused
    database."""
    call_command("load_holidays", HOLIDAYS, stdout=io.StringIO())


def recipients(meeting):
    return {p.substitute_id or p.user_id for p in meeting.participants.all()}


@pytest.fixture
def series(world):
    return {
        "a": schedule.ensure_series(world.a.community),
        "b": schedule.ensure_series(world.b.community),
    }


def test_ensure_series_makes_the_two_default_series_once(world):
    weekly, monthly = schedule.ensure_series(world.a.community)
    assert (weekly.kind, weekly.weekday, weekly.starts_at, weekly.duration_minutes) == (
        Kind.WEEKLY,
        0,
        datetime.time(9),
        60,
    )
    assert (monthly.kind, monthly.working_day, monthly.starts_at, monthly.duration_minutes) == (
        Kind.MONTHLY,
        1,
        datetime.time(14, 30),
        90,
    )
    posts = set(weekly.posts.values_list("area__code", "role"))
    assert posts == {
        (world.a.community.code, Role.STATIONMASTER),
        (world.a.grid.code, Role.GRID_LEADER),
        (world.a.grid.code, Role.GRID_MEMBER),
    }
    assert set(monthly.posts.all()) == set(weekly.posts.all())

    # Admin's edits survive a second call, and nothing is duplicated.
    weekly.posts.remove(Post.objects.get(area=world.a.grid, role=Role.GRID_MEMBER))
    again = schedule.ensure_series(world.a.community)
    assert [s.pk for s in again] == [weekly.pk, monthly.pk]
    assert weekly.posts.count() == 2


def test_the_b_holder_stands_in_while_a_is_absent(world, series):
    weekly = series["a"][0]
    day = D(2026, 10, 12)
    Absence.objects.create(user=world.a.grid_member, starts_on=day, ends_on=day, reason="leave")
    on_the_day = {post.role: user for post, user in schedule.participants_for(weekly, day)}
    assert on_the_day == {
        Role.STATIONMASTER: world.a.stationmaster,
        Role.GRID_LEADER: world.a.grid_leader,
        Role.GRID_MEMBER: world.a.grid_member_b,
    }
    next_week = dict(schedule.participants_for(weekly, day + datetime.timedelta(weeks=1)))
    assert world.a.grid_member in next_week.values()

    with time_machine.travel(local(2026, 10, 1), tick=False):
        schedule.plan_meetings()
    meeting = Meeting.objects.get(series=weekly, scheduled_on=day)
    assert set(meeting.participants.values_list("user__username", flat=True)) == {
        "sm_a",
        "gl_a",
        "gm_a_b",
    }


def test_the_monthly_review_falls_on_the_first_working_day(world, series):
    monthly = series["a"][1]
    with time_machine.travel(local(2026, 9, 10), tick=False):
        schedule.plan_meetings()
    # October's first six days are National Day holidays; 1 November is a Sunday.
    assert list(
        Meeting.objects.filter(series=monthly)
        .order_by("starts_at")
        .values_list("scheduled_on", "starts_at", "moved_from")
    ) == [(day, starts_at, None) for day, starts_at, _ in MONTHLY]

    monthly.working_day = 3
    monthly.save()
    Meeting.objects.filter(series=monthly).delete()
    with time_machine.travel(local(2026, 9, 10), tick=False):
        schedule.plan_meetings()
    assert list(
        Meeting.objects.filter(series=monthly)
        .order_by("starts_at")
        .values_list("scheduled_on", flat=True)
    ) == [D(2026, 10, 10), D(2026, 11, 4)]  # Thursday 8th, Friday 9th, make-up Saturday 10th


def test_eight_weeks_of_meetings_each_reminded_exactly_twice(world, series):
    """Step through eight weeks, running both beat tasks twice at every tick."""
    planned = reminded = 0
    for moment in ticks(START, END):
        with time_machine.travel(moment, tick=False):
            first = schedule.plan_meetings()
            assert schedule.plan_meetings() == 0, moment
            sent = schedule.send_reminders()
            assert schedule.send_reminders() == 0, moment
        planned += first
        reminded += sent

    for side in ("a", "b"):
        weekly, monthly = series[side]
        community = getattr(world, side).community
        team = getattr(world, side)
        people = {u.pk for u in (team.stationmaster, team.grid_leader, team.grid_member)}
        for expected, s in ((WEEKLY, weekly), (MONTHLY, monthly)):
            for scheduled_on, starts_at, day_before in expected:
                meeting = Meeting.objects.get(series=s, scheduled_on=scheduled_on)
                assert meeting.community == community
                assert meeting.starts_at == starts_at, scheduled_on
                assert meeting.ends_at - meeting.starts_at == datetime.timedelta(
                    minutes=s.duration_minutes
                )
                moved = scheduled_on != starts_at.date()
                assert meeting.moved_from == (scheduled_on if moved else None)
                assert recipients(meeting) == people

                told = Notification.objects.filter(key__startswith=f"meeting-{meeting.pk}-")
                per_person = Counter(
                    told.exclude(key__endswith="-moved").values_list("recipient_id", flat=True)
                )
                assert per_person == dict.fromkeys(people, 2), scheduled_on
                # Each reminder went out at the tick its due moment fell on.
                day_before_at = set(
                    told.filter(key=f"meeting-{meeting.pk}-day-before").values_list(
                        "created_at", flat=True
                    )
                )
                hour_before_at = set(
                    told.filter(key=f"meeting-{meeting.pk}-hour-before").values_list(
                        "created_at", flat=True
                    )
                )
                assert day_before_at == {day_before}, scheduled_on
                assert hour_before_at == {starts_at - datetime.timedelta(hours=1)}
                moves = told.filter(key=f"meeting-{meeting.pk}-moved")
                assert sorted(moves.values_list("recipient_id", flat=True)) == (
                    sorted(people) if moved else []
                )

    # Every Monday of the window has its meeting, in both communities.
    weekly_days = set(
        Meeting.objects.filter(kind=Kind.WEEKLY, starts_at__lte=END).values_list(
            "series__community__code", "scheduled_on"
        )
    )
    assert weekly_days == {
        (getattr(world, side).community.code, day) for side in ("a", "b") for day in MONDAYS
    }
    moved_meeting = Meeting.objects.get(series=series["a"][0], moved_from__isnull=False)
    moved = Notification.objects.get(
        recipient=world.a.grid_member, key=f"meeting-{moved_meeting.pk}-moved"
    )
    assert "2026-10-08" in moved.title
    # 2 communities x 10 meetings x 3 people x 2 reminders; and the meetings planned ahead.
    assert reminded == 2 * 10 * 3 * 2
    assert planned == Meeting.objects.count()


def test_admin_edits_a_series_and_meetings_planned_afterwards_follow_it(client, world, series):
    from tests.factories import make_user

    weekly = series["a"][0]
    client.force_login(make_user("root", is_staff=True, is_superuser=True))
    url = f"/admin/meetings/meetingseries/{weekly.pk}/change/"
    assert client.get(url).status_code == 200
    posts = list(weekly.posts.values_list("pk", flat=True))
    form = {
        "community": world.a.community.pk,
        "kind": "weekly",
        "weekday": 1,
        "working_day": 1,
        "starts_at": "10:00",
        "duration_minutes": 45,
        "place": "Station hall",
        "is_active": "on",
    }
    b_post = Post.objects.get(area=world.b.grid, role=Role.GRID_LEADER)
    assert client.post(url, {**form, "posts": [*posts, b_post.pk]}).status_code == 200  # refused
    assert client.post(url, {**form, "posts": posts[:2]}).status_code == 302

    with time_machine.travel(local(2026, 10, 12, 12), tick=False):
        schedule.plan_meetings()
    meeting = Meeting.objects.filter(series=weekly).order_by("starts_at").first()
    assert (meeting.scheduled_on, meeting.starts_at, meeting.place) == (
        D(2026, 10, 13),
        local(2026, 10, 13, 10),
        "Station hall",
    )
    assert meeting.ends_at == local(2026, 10, 13, 10, 45)
    assert meeting.participants.count() == 2
    for path in ("meeting/", f"meeting/{meeting.pk}/change/", "gridreport/", "calendarfeed/"):
        assert client.get(f"/admin/meetings/{path}").status_code == 200, path


def test_cancelled_and_closed_meetings_are_not_reminded(world, series):
    with time_machine.travel(local(2026, 10, 9), tick=False):
        schedule.plan_meetings()
    meeting = Meeting.objects.get(series=series["a"][0], scheduled_on=D(2026, 10, 12))
    other = Meeting.objects.get(series=series["b"][0], scheduled_on=D(2026, 10, 12))
    meeting.status = Meeting.Status.CANCELLED
    meeting.save()
    other.status = Meeting.Status.CLOSED
    other.save()
    with time_machine.travel(local(2026, 10, 12, 8, 30), tick=False):
        assert schedule.send_reminders() == 0
    assert not Notification.objects.filter(key__startswith="meeting-").exists()


def test_a_substitute_gets_the_reminder_in_the_participants_place(world, series):
    with time_machine.travel(local(2026, 10, 9), tick=False):
        schedule.plan_meetings()
    meeting = Meeting.objects.get(series=series["a"][0], scheduled_on=D(2026, 10, 12))
    Participant.objects.filter(meeting=meeting, user=world.a.grid_member).update(
        substitute=world.a.grid_member_b
    )
    with time_machine.travel(local(2026, 10, 12, 8, 5), tick=False):
        schedule.send_reminders()
    key = f"meeting-{meeting.pk}-hour-before"
    assert set(
        Notification.objects.filter(key=key).values_list("recipient__username", flat=True)
    ) == {
        "sm_a",
        "gl_a",
        "gm_a_b",
    }


def test_nothing_due_costs_the_same_few_queries_however_many_meetings(
    world, django_assert_num_queries
):
    for community in (world.a.community, world.b.community):
        schedule.ensure_series(community)
        with time_machine.travel(local(2026, 10, 12, 8), tick=False):
            assert schedule.plan_meetings() > 0
            assert schedule.send_reminders() > 0
            # the calendar, the meetings, their participants, the notifications already sent
            with django_assert_num_queries(4):
                assert schedule.send_reminders() == 0
            # the calendar, the series, the meetings already planned
            with django_assert_num_queries(3):
                assert schedule.plan_meetings() == 0
        # the calendar, the meetings: none due (the next reminders fall on the 16th)
        with time_machine.travel(local(2026, 10, 12, 10), tick=False), django_assert_num_queries(2):
            assert schedule.send_reminders() == 0


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_real_worker_on_redis_sends_each_reminder_once(celery_worker_on_redis, world):
    # Real time: a meeting starting in half an hour has both reminders due.
    weekly, _monthly = schedule.ensure_series(world.a.community)
    now = timezone.now()
    meeting = Meeting.objects.create(
        series=weekly,
        community=world.a.community,
        kind=weekly.kind,
        scheduled_on=timezone.localdate(now),
        starts_at=now + datetime.timedelta(minutes=30),
        ends_at=now + datetime.timedelta(minutes=90),
    )
    for post, user in schedule.participants_for(weekly, timezone.localdate(now)):
        Participant.objects.create(meeting=meeting, post=post, user=user)

    results = []
    finished = threading.Event()

    def collect(sender=None, retval=None, **kwargs):
        if sender.name == "meetings.tasks.send_reminders":
            results.append(retval)
            if len(results) == 2:
                finished.set()

    task_postrun.connect(collect, weak=False)
    try:
        send_reminders.delay()
        send_reminders.delay()
        assert finished.wait(30), f"the worker ran the reminders {len(results)} times, not 2"
    finally:
        task_postrun.disconnect(collect)

    assert sorted(results) == [0, 6]  # three people, two reminders each, once
    keys = Counter(
        Notification.objects.filter(key__startswith=f"meeting-{meeting.pk}-").values_list(
            "recipient__username", "key"
        )
    )
    assert keys == {
        (username, f"meeting-{meeting.pk}-{kind}"): 1
        for username in ("sm_a", "gl_a", "gm_a")
        for kind in ("day-before", "hour-before")
    }
