"""Plain factory functions for patrol tests."""

import datetime

from django.utils import timezone

from patrols.models import Patrol, Slot
from tests.factories import make_user

LOCAL_START = {Slot.MORNING: datetime.time(9), Slot.AFTERNOON: datetime.time(15)}


def local(day, hour, minute=0):
    """An aware moment at a local (Asia/Shanghai) wall-clock time."""
    return datetime.datetime.combine(
        day, datetime.time(hour, minute), tzinfo=timezone.get_current_timezone()
    )


def make_patrol(grid, day, slot=Slot.MORNING, *, member=None, minutes=70, **fields):
    """A submitted log of `minutes` minutes (pass status=... for another state)."""
    started_at = fields.pop("started_at", None) or datetime.datetime.combine(
        day, LOCAL_START[slot], tzinfo=timezone.get_current_timezone()
    )
    fields.setdefault("status", Patrol.Status.SUBMITTED)
    if fields["status"] != Patrol.Status.IN_PROGRESS:
        fields.setdefault("ended_at", started_at + datetime.timedelta(minutes=minutes))
        fields.setdefault("duration_minutes", minutes)
        fields.setdefault("is_short", minutes < 60)
        fields.setdefault("summary", "All quiet.")
    return Patrol.objects.create(
        grid=grid,
        member=member or make_user(),
        day=day,
        slot=slot,
        started_at=started_at,
        **fields,
    )
