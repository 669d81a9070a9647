"""When meetings happen and who is told: each community's two standing series, the
occurrences planned ahead of time (moved off holidays on the incidents' working calendar),
and the reminders the working day before and one hour before.

Both beat entry points are idempotent. A meeting is unique per series and day, and every
message goes through `notify` with a key naming the meeting and the kind of message, so a
second beat tick or a retried worker finds nothing left to do and tells nobody twice.
"""

import datetime
from collections import defaultdict

from django.db import transaction
from django.db.models import Prefetch, prefetch_related_objects
from django.utils import formats, timezone
from django.utils.functional import lazy
from django.utils.translation import gettext_lazy as _
from simple_history.utils import bulk_create_with_history

from grids.models import Area, Post, Role
from grids.posts import acting_on, acting_on_days
from incidents.calendar import Calendar
from notifications.models import Notification
from notifications.services import notify, notify_many

from .models import Kind, Meeting, MeetingSeries, Participant

WEEKLY_DEFAULTS = {"weekday": 0, "starts_at": datetime.time(9), "duration_minutes": 60}
MONTHLY_DEFAULTS = {"working_day": 1, "starts_at": datetime.time(14, 30), "duration_minutes": 90}
MONTHS_AHEAD = 2  # the monthly meeting is planned for this month and the next two
DAY_BEFORE_AT = datetime.time(9)  # the "working day before" reminder goes out at 09:00 local
HOUR_BEFORE = datetime.timedelta(hours=1)
CALENDAR_MARGIN = datetime.timedelta(days=45)  # longer than any run of days off

DAY_BEFORE, HOUR_BEFORE_KEY = "day-before", "hour-before"


# --- Series ---


# The monthly review hears the whole team of each grid: beside the station, the grid leaders
# and members, the building leaders and the community police are invited by default.
MONTHLY_EXTRA_ROLES = (Role.BUILDING_LEADER, Role.COMMUNITY_POLICE)


def default_posts(community, kind=Kind.WEEKLY):
    """The community's stationmaster post(s) and the grid leader and grid member posts of
    every grid under it; for the monthly review also the building leaders of its buildings
    and the community police (at the community or one of its grids). Runs one query."""
    grids = Area.objects.under(community).grids()
    posts = Post.objects.filter(area=community, role=Role.STATIONMASTER) | Post.objects.filter(
        area__in=grids, role__in=[Role.GRID_LEADER, Role.GRID_MEMBER]
    )
    if kind == Kind.MONTHLY:
        posts = posts | Post.objects.filter(
            area__path__startswith=community.path, role__in=MONTHLY_EXTRA_ROLES
        )
    return posts


@transaction.atomic
def ensure_series(community):
    """The community's weekly and monthly series, created with the default days, times and
    participants when missing. An existing series is left as it is (the station or admin
    may have edited it). Returns (weekly, monthly)."""
    found = []
    for kind, defaults in ((Kind.WEEKLY, WEEKLY_DEFAULTS), (Kind.MONTHLY, MONTHLY_DEFAULTS)):
        series, created = MeetingSeries.objects.get_or_create(
            community=community, kind=kind, defaults=defaults
        )
        if created:
            series.posts.set(default_posts(community, kind))
        found.append(series)
    return tuple(found)


@transaction.atomic
def set_series_posts(series, *, by, posts, now=None):
    """Make `posts` the series' participants. The series' meetings still to start follow:
    a post taken off leaves them (unless its person already answered or named a
    substitute), a post added invites whoever acts in it on the meeting's day (unless they
    are already there). Held meetings keep their record. Recorded in the series' history
    as `by`'s change. Returns (invited, uninvited) counts over the planned meetings."""
    now = now or timezone.now()
    series = MeetingSeries.objects.select_for_update().get(pk=series.pk)
    before = set(series.posts.values_list("pk", flat=True))
    wanted = {post.pk: post for post in posts}
    added = [post for pk, post in wanted.items() if pk not in before]
    removed = before - set(wanted)
    series._history_user = by  # the history entries of the change name who made it
    series.posts.set(list(wanted.values()))

    planned = list(
        Meeting.objects.filter(series=series, status=Meeting.Status.SCHEDULED, starts_at__gt=now)
    )
    uninvited = 0
    if removed and planned:
        uninvited, _ = Participant.objects.filter(
            meeting__in=planned,
            post_id__in=removed,
            attendance=Participant.Attendance.EXPECTED,
            substitute__isnull=True,
        ).delete()
    new = []
    if added and planned:
        added = list(Post.objects.filter(pk__in=[p.pk for p in added]).for_team())
        days = {timezone.localdate(m.starts_at): added for m in planned}
        acting = acting_on_days(days)
        present = defaultdict(set)
        for meeting_id, user_id in Participant.objects.filter(meeting__in=planned).values_list(
            "meeting_id", "user_id"
        ):
            present[meeting_id].add(user_id)
        for meeting in planned:
            there = present[meeting.pk]
            holders = acting[timezone.localdate(meeting.starts_at)][0]
            for post in added:
                user = holders[post.pk].user
                if user is not None and user.pk not in there:
                    there.add(user.pk)
                    new.append(Participant(meeting=meeting, post=post, user=user))
        bulk_create_with_history(new, Participant, default_user=by)
    return len(new), uninvited


def participants_for(series, day):
    """[(post, user)]: each of the series' posts with the person acting in it on `day` (see
    `grids.posts`), each person once, the station first. Runs three queries."""
    posts = list(series.posts.select_related("area", "holder_a", "holder_b"))
    acting = acting_on(posts, day)
    seen, found = set(), []
    for post in posts:
        user = acting[post.pk].user
        if user is not None and user.pk not in seen:
            seen.add(user.pk)
            found.append((post, user))
    return found


# --- Days ---


def next_working_day(calendar, day):
    """`day` itself when it is worked, else the first worked day after it."""
    for _step in range(CALENDAR_MARGIN.days):
        if calendar.is_working_day(day):
            return day
        day += datetime.timedelta(days=1)
    raise ValueError("No working day within the calendar's margin.")


def previous_working_day(calendar, day):
    """The last worked day before `day`."""
    for _step in range(CALENDAR_MARGIN.days):
        day -= datetime.timedelta(days=1)
        if calendar.is_working_day(day):
            return day
    raise ValueError("No working day within the calendar's margin.")


def nth_working_day(calendar, month, n):
    """The n-th worked day of the month starting on `month` (its last worked day when the
    month has fewer than n)."""
    day, found = month, None
    while day.month == month.month:
        if calendar.is_working_day(day):
            found = day
            n -= 1
            if n <= 0:
                break
        day += datetime.timedelta(days=1)
    return found


def add_months(month, count):
    index = month.year * 12 + month.month - 1 + count
    return datetime.date(index // 12, index % 12 + 1, 1)


def occurrences(series, calendar, today, weeks_ahead):
    """[(scheduled_on, day it really falls on)] for the series from about a week ago (a
    meeting moved forward off last week's holiday is still to come) to the planning
    horizon."""
    if series.kind == Kind.MONTHLY:
        first = today.replace(day=1)
        days = [
            nth_working_day(calendar, add_months(first, i), max(series.working_day, 1))
            for i in range(MONTHS_AHEAD + 1)
        ]
        return [(day, day) for day in days if day]
    day = today - datetime.timedelta(days=7)
    day += datetime.timedelta(days=(series.weekday - day.weekday()) % 7)
    last = today + datetime.timedelta(weeks=weeks_ahead)
    found = []
    while day <= last:
        found.append((day, next_working_day(calendar, day)))
        day += datetime.timedelta(days=7)
    return found


def local_moment(day, time):
    return datetime.datetime.combine(day, time, tzinfo=timezone.get_current_timezone())


# --- Planning ---


def plan_meetings(now=None, weeks_ahead=4):
    """Create every active series' meetings for the coming `weeks_ahead` weeks (the monthly
    one for this month and the next two) that do not exist yet, with their participants. A
    meeting whose day is not worked moves to the next working day and its participants are
    told once. Only meetings still to start are created. Returns how many were created.

    Runs three queries when there is nothing to plan; each new meeting adds a few."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    calendar = Calendar(today - CALENDAR_MARGIN, today + datetime.timedelta(days=130))
    all_series = list(MeetingSeries.objects.filter(is_active=True).select_related("community"))
    planned = set()
    for series_id, kind, day in Meeting.objects.filter(
        series__in=all_series, scheduled_on__gte=today - CALENDAR_MARGIN
    ).values_list("series_id", "kind", "scheduled_on"):
        # A monthly meeting is one per month, whatever day it was planned on.
        planned.add((series_id, day.replace(day=1) if kind == Kind.MONTHLY else day))

    wanted = []
    for series in all_series:
        for scheduled_on, day in occurrences(series, calendar, today, weeks_ahead):
            mark = scheduled_on.replace(day=1) if series.kind == Kind.MONTHLY else scheduled_on
            starts_at = local_moment(day, series.starts_at)
            if (series.pk, mark) not in planned and starts_at > now:
                wanted.append((series, scheduled_on, day, starts_at))

    created = 0
    for series, scheduled_on, day, starts_at in wanted:
        meeting = _create_meeting(series, scheduled_on, day, starts_at)
        if meeting is None:
            continue
        created += 1
    return created


@transaction.atomic
def _create_meeting(series, scheduled_on, day, starts_at):
    """The meeting, its participants and, when it moved off a day not worked, the notice
    saying so, in one transaction (a worker killed half-way leaves none of them); or None
    when another run created it first."""
    meeting, created = Meeting.objects.get_or_create(
        series=series,
        scheduled_on=scheduled_on,
        defaults={
            "community": series.community,
            "kind": series.kind,
            "starts_at": starts_at,
            "ends_at": starts_at + datetime.timedelta(minutes=series.duration_minutes),
            "moved_from": scheduled_on if day != scheduled_on else None,
            "place": series.place,
        },
    )
    if not created:
        return None
    bulk_create_with_history(
        [
            Participant(meeting=meeting, post=post, user=user)
            for post, user in participants_for(series, day)
        ],
        Participant,
    )
    if meeting.moved_from:
        _tell_moved(meeting)
    return meeting


def _format_when(moment, format_string):
    return formats.date_format(timezone.localtime(moment), format_string)


# Formatted in each recipient's language by notify (weekday names are translated).
when = lazy(_format_when, str)


def _recipients(meeting):
    """Who is told about a meeting: each participant, or whoever substitutes for them."""
    return [p.substitute or p.user for p in meeting.participants.all()]


def _params(meeting):
    return {
        "kind": Kind(meeting.kind).label,
        "community": meeting.community.name,
        "when": when(meeting.starts_at, "l Y-m-d H:i"),
        "time": when(meeting.starts_at, "H:i"),
        "place": meeting.place,
        "from": when(local_moment(meeting.moved_from, datetime.time()), "l Y-m-d")
        if meeting.moved_from
        else "",
    }


def _tell_moved(meeting):
    participants = Participant.objects.filter(meeting=meeting).select_related("user", "substitute")
    notify(
        [p.substitute or p.user for p in participants],
        key=f"meeting-{meeting.pk}-moved",
        title=_("%(kind)s moved to %(when)s"),
        body=_("%(from)s is not a working day, so the %(community)s meeting moves to %(when)s."),
        params=_params(meeting),
        url=meeting.get_absolute_url(),
    )


# --- Reminders ---


def reminder_dues(meeting, calendar):
    """[(kind, due moment)] of the meeting's two reminders: 09:00 local on the working day
    before its day, and one hour before it starts."""
    day = timezone.localdate(meeting.starts_at)
    return [
        (DAY_BEFORE, local_moment(previous_working_day(calendar, day), DAY_BEFORE_AT)),
        (HOUR_BEFORE_KEY, meeting.starts_at - HOUR_BEFORE),
    ]


REMINDER_TITLES = {
    DAY_BEFORE: _("Reminder: %(kind)s on %(when)s"),
    HOUR_BEFORE_KEY: _("In one hour: %(kind)s at %(time)s"),
}


def send_reminders(now=None):
    """Send each due reminder of every scheduled meeting that has not started yet to each
    participant (or their substitute). Exactly once per person, meeting and reminder: the
    notification key names both, people already told are skipped before composing, and the
    database's unique key skips anyone a concurrent run told first. The notifications are
    written in bulk; their emails go out with the owed-email sweep. Returns how many
    notifications were sent.

    Runs two queries when nothing is due and four when everything due was already sent,
    whatever the number of meetings; the notifications to write add one insert per batch
    (gridmgmt.bulk.batch_size)."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    calendar = Calendar(today - CALENDAR_MARGIN, today + CALENDAR_MARGIN)
    # A meeting's day-before reminder is due once the last working day before it has come,
    # so nothing after the next working day can be due yet.
    horizon = local_moment(
        next_working_day(calendar, today + datetime.timedelta(days=1)), datetime.time()
    ) + datetime.timedelta(days=1)
    meetings = (
        Meeting.objects.filter(
            status=Meeting.Status.SCHEDULED, starts_at__gt=now, starts_at__lt=horizon
        )
        .select_related("community")
        .order_by("starts_at")
    )
    due = [
        (meeting, kind, f"meeting-{meeting.pk}-{kind}")
        for meeting in meetings
        for kind, at in reminder_dues(meeting, calendar)
        if at <= now
    ]
    if not due:
        return 0
    prefetch_related_objects(
        list({meeting.pk: meeting for meeting, *_ in due}.values()),
        Prefetch("participants", queryset=Participant.objects.select_related("user", "substitute")),
    )
    told = set(
        Notification.objects.filter(key__in=[key for *_, key in due]).values_list(
            "recipient_id", "key"
        )
    )
    notices = []
    for meeting, kind, key in due:
        recipients = [r for r in _recipients(meeting) if (r.pk, key) not in told]
        if recipients:
            notices.append(
                {
                    "recipients": recipients,
                    "key": key,
                    "title": REMINDER_TITLES[kind],
                    "body": _("%(community)s. Place: %(place)s") if meeting.place else "",
                    "params": _params(meeting),
                    "url": meeting.get_absolute_url(),
                }
            )
    # Each batch stands alone: a reminder is its own record, told at most once.
    return notify_many(notices)
