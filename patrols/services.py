"""Writes for patrols, verification instructions, reviews and the coverage check."""

import datetime

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from grids import services as register
from grids.models import Area, Post, Role
from grids.posts import acting_on
from incidents.calendar import Calendar
from notifications.services import notify

from . import photos, windows
from .models import DaySignOff, Instruction, MissedPatrol, Observation, Patrol, Slot


class PatrolError(Exception):
    """A step that cannot be taken; the message says why, for the user."""


def start_patrol(grid, *, by, at=None):
    """Start `by`'s patrol of `grid` in the window `at` falls in, or an extra patrol when no
    window is open (see `windows.slot_at`)."""
    at = at or timezone.now()
    schedule = windows.schedule_for(grid.parent)
    day, slot = windows.slot_at(schedule, at)
    try:
        with transaction.atomic():
            return Patrol.objects.create(grid=grid, member=by, day=day, slot=slot, started_at=at)
    except IntegrityError:
        raise PatrolError(_("You already have a patrol in progress: finish it first.")) from None


def acknowledge_briefing(patrol, *, by):
    """The member has read the grid's open instructions and the key points."""
    Patrol.objects.filter(pk=patrol.pk, acknowledged_at__isnull=True).update(
        acknowledged_at=timezone.now()
    )
    patrol.refresh_from_db(fields=["acknowledged_at"])
    return patrol


def add_observation(patrol, *, by, client_id, observed_at=None, photo=None, **fields):
    """Record an observation once per `client_id`: a phone that sends the same observation
    again (after losing the connection) gets the stored one back. Returns (observation,
    created).

    `observed_at` is the moment the phone recorded it; it is kept within the patrol (not
    before it started, not after now), so a phone with a wrong clock cannot misdate it. A
    photo is shrunk and re-encoded without its metadata (`photos.shrink`)."""
    _require_open(patrol)
    now = timezone.now()
    observed_at = min(max(observed_at or now, patrol.started_at), now)
    if photo:
        photo = photos.shrink(photo)
    try:
        with transaction.atomic():
            observation = Observation.objects.create(
                patrol=patrol,
                client_id=client_id,
                is_follow_up=True,
                observed_at=observed_at,
                received_at=now,
                photo=photo or "",
                **fields,
            )
            return observation, True
    except IntegrityError:
        existing = Observation.objects.filter(client_id=client_id, patrol=patrol).first()
        if existing is None:
            raise PatrolError(_("This observation belongs to another patrol.")) from None
        return existing, False


@transaction.atomic
def complete_instruction(instruction, *, patrol, by, outcome, note="", corrections=None):
    """Complete a verification instruction during a patrol. Corrections go to the register
    with history; the household is marked verified now, by `by`. Exactly once: a second
    completion raises PatrolError."""
    _require_open(patrol)
    now = timezone.now()
    done = Instruction.objects.filter(pk=instruction.pk, completed_at__isnull=True).update(
        outcome=outcome, outcome_note=note, completed_at=now, completed_by=by, patrol=patrol
    )
    if not done:
        raise PatrolError(_("This instruction was already completed."))
    household = (
        instruction.household
        or (instruction.resident.household if instruction.resident else None)
        or (instruction.rental.household if instruction.rental else None)
    )
    corrections = corrections or {}
    if instruction.resident and corrections.get("resident"):
        register.update_resident(instruction.resident, by=by, **corrections["resident"])
    if household is not None:
        fields = dict(corrections.get("household", {}))
        if outcome != Instruction.Outcome.NOBODY_HOME:
            fields.update(last_verified_at=now, last_verified_by=by)
        if fields:
            register.update_household(household, by=by, **fields)
    instruction.refresh_from_db()
    return instruction


@transaction.atomic
def submit_patrol(patrol, *, by, summary, companions=(), unsent=0, at=None):
    """End the patrol and submit its log. A patrol shorter than the community's minimum is
    flagged short, not refused. A returned log can be submitted again. `unsent`: how many
    observations the phone still held, unsent, when the member chose to submit anyway; the
    log says so."""
    at = at or timezone.now()
    if patrol.member_id != by.pk:
        raise PatrolError(_("Only the member who patrolled can submit this log."))
    if not patrol.is_open:
        raise PatrolError(_("This log was already submitted."))
    schedule = windows.schedule_for(patrol.grid.parent)
    ended_at = patrol.ended_at or at
    minutes = int((ended_at - patrol.started_at).total_seconds() // 60)
    updated = Patrol.objects.filter(
        pk=patrol.pk, status__in=[Patrol.Status.IN_PROGRESS, Patrol.Status.RETURNED]
    ).update(
        status=Patrol.Status.SUBMITTED,
        ended_at=ended_at,
        duration_minutes=minutes,
        is_short=minutes < schedule.minimum_minutes,
        summary=summary,
        unsent_observations=unsent,
    )
    if not updated:
        raise PatrolError(_("This log was already submitted."))
    patrol.refresh_from_db()
    patrol.companions.set(companions)
    return patrol


@transaction.atomic
def review_patrol(patrol, *, by, approve, comment=""):
    """Approve a submitted log, or return it to its member with a comment (they are told)."""
    status = Patrol.Status.APPROVED if approve else Patrol.Status.RETURNED
    if not approve and not comment.strip():
        raise PatrolError(_("Say why the log is returned."))
    updated = Patrol.objects.filter(pk=patrol.pk, status=Patrol.Status.SUBMITTED).update(
        status=status, reviewed_by=by, reviewed_at=timezone.now(), review_comment=comment
    )
    if not updated:
        raise PatrolError(_("Only a submitted log can be reviewed."))
    patrol.refresh_from_db()
    if not approve:
        notify(
            [patrol.member],
            key=f"patrol-returned:{patrol.pk}:{patrol.reviewed_at.isoformat()}",
            title=_("Your patrol log was returned"),
            body=comment,
            url=patrol.get_absolute_url(),
        )
    return patrol


def sign_off_day(community, day, *, by, note=""):
    """Record that the stationmaster reviewed the community's day. Once per day."""
    sign_off, created = DaySignOff.objects.get_or_create(
        community=community, day=day, defaults={"signed_by": by, "note": note}
    )
    if not created:
        raise PatrolError(_("This day was already signed off."))
    return sign_off


def record_missed_patrols(at=None):
    """The coverage check: for every window that closed (plus its grace period) today or
    yesterday, each grid that existed that day (valid_from / valid_to) and has no submitted
    patrol gets one MissedPatrol, and its grid leader (acting holder) is told once; the
    stationmaster reads it in the daily digest. A community whose schedule says grids do not
    patrol on days off has no windows on a day off of the working calendar. Idempotent: the
    record and the notification both have unique keys. Returns the records created.

    Runs two queries (the communities, the calendar) and one per closed window of each
    community, whatever the number of grids; each record created adds its own writes."""
    at = at or timezone.now()
    today = timezone.localdate(at)
    days = (today - datetime.timedelta(days=1), today)
    created = []
    communities = Area.objects.of_kind(Area.Kind.COMMUNITY).select_related("patrol_schedule")
    calendar = Calendar(*days)
    for community in communities:
        schedule = windows.schedule_for(community)
        for day in days:
            if not schedule.patrols_on_days_off and not calendar.is_working_day(day):
                continue
            for slot in Slot.values:
                if windows.is_closed(schedule, day, slot, at):
                    created += _record_window(community, day, slot)
    return created


def _record_window(community, day, slot):
    covered = Patrol.objects.filter(grid__parent=community, day=day, slot=slot).qualifying()
    already = MissedPatrol.objects.filter(grid__parent=community, day=day, slot=slot)
    grids = (
        Area.objects.grids()
        .existing_on(day)
        .filter(parent=community)
        .exclude(pk__in=covered.values("grid_id"))
        .exclude(pk__in=already.values("grid_id"))
    )
    created = []
    for grid in grids:
        try:
            # The record and its notices in one transaction: a worker killed in between
            # leaves neither, and the next run does both.
            with transaction.atomic():
                missed = MissedPatrol.objects.create(grid=grid, day=day, slot=slot)
                _tell_missed(missed, community)
        except IntegrityError:
            continue  # another worker recorded it first
        created.append(missed)
    return created


def _tell_missed(missed, community):
    # The grid leader hears at once; the stationmaster reads it in the daily digest.
    posts = list(
        Post.objects.filter(area=missed.grid, role=Role.GRID_LEADER).select_related(
            "area", "holder_a", "holder_b"
        )
    )
    acting = acting_on(posts, missed.day)
    recipients = [acting[post.pk].user for post in posts if acting[post.pk].user]
    notify(
        recipients,
        key=f"patrol-missed:{missed.grid.code}:{missed.day}:{missed.slot}",
        title=_("Missed patrol: %(grid)s, %(day)s %(slot)s"),
        params={"grid": missed.grid.name, "day": missed.day, "slot": Slot(missed.slot).label},
        url=f"/patrols/board/?day={missed.day}",
    )


def _require_open(patrol):
    if not patrol.is_open:
        raise PatrolError(_("This patrol's log was already submitted."))
