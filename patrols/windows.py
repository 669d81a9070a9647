"""Patrol windows in local time: the one helper that turns a community's schedule and a
date into aware datetimes, and a moment into the window it falls in."""

import datetime

from django.utils import timezone

from .models import PatrolSchedule, Slot


def schedule_for(community):
    """The community's schedule, or the default one (08:00-12:00, 14:00-18:00, 60 minutes).
    Runs one query unless `community.patrol_schedule` was fetched."""
    try:
        return community.patrol_schedule
    except PatrolSchedule.DoesNotExist:
        return PatrolSchedule(community=community)


def bounds(schedule, day, slot):
    """The aware start and end of a window on a local date."""
    zone = timezone.get_current_timezone()
    start, end = schedule.window(slot)
    return (
        datetime.datetime.combine(day, start, tzinfo=zone),
        datetime.datetime.combine(day, end, tzinfo=zone),
    )


def slot_at(schedule, moment):
    """(local date, slot) of the window a patrol started at `moment` counts for, or (local
    date, "") for an extra patrol. A window takes patrols started from its grace period
    before it opens (a member who sets off a little early) until it ends; a patrol started
    at any other time (at lunch, in the evening) is an extra patrol, counted for no window,
    so it can never change a window's state."""
    local = timezone.localtime(moment)
    day = local.date()
    early = datetime.timedelta(minutes=schedule.grace_minutes)
    for slot in (Slot.MORNING, Slot.AFTERNOON):
        start, end = bounds(schedule, day, slot)
        if start - early <= local < end:
            return day, slot
    return day, ""


def is_closed(schedule, day, slot, moment, grace=True):
    """Has the window (plus the grace period) closed by `moment`?"""
    end = bounds(schedule, day, slot)[1]
    if grace:
        end += datetime.timedelta(minutes=schedule.grace_minutes)
    return moment >= end


def next_window(schedule, moment, calendar):
    """(local date, slot, start, end) of the first window that opens after `moment`, on a
    day the community patrols (`calendar`, an incidents.calendar.Calendar, says which days
    are working days), or None when none does within the calendar's days."""
    day = timezone.localtime(moment).date()
    for offset in range(15):
        date = day + datetime.timedelta(days=offset)
        if not schedule.patrols_on_days_off and not calendar.is_working_day(date):
            continue
        for slot in (Slot.MORNING, Slot.AFTERNOON):
            start, end = bounds(schedule, date, slot)
            if start > moment:
                return date, slot, start, end
    return None
