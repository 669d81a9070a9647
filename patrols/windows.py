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
    """(local date, slot) of the window a patrol started at `moment` belongs to: morning
    until halfway between the morning's end and the afternoon's start, then afternoon."""
    local = timezone.localtime(moment)
    day = local.date()
    morning_end = bounds(schedule, day, Slot.MORNING)[1]
    afternoon_start = bounds(schedule, day, Slot.AFTERNOON)[0]
    if local < morning_end + (afternoon_start - morning_end) / 2:
        return day, Slot.MORNING
    return day, Slot.AFTERNOON


def is_closed(schedule, day, slot, moment, grace=True):
    """Has the window (plus the grace period) closed by `moment`?"""
    end = bounds(schedule, day, slot)[1]
    if grace:
        end += datetime.timedelta(minutes=schedule.grace_minutes)
    return moment >= end
