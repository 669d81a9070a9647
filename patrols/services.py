"""Writes for patrols, verification instructions, reviews and the coverage check."""

import datetime

from django.db import IntegrityError, transaction
from django.db.models import CharField, DateField, DateTimeField, Exists, OuterRef, Q, Value
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from gridmgmt.bulk import batch_size, insert_selected
from grids import services as register
from grids.models import Area, Post, Role
from grids.posts import acting_on_days
from incidents.calendar import Calendar
from notifications.services import notify, notify_many
from reports.rollup import forget_days

from . import photos, windows
from .models import (
    DaySignOff,
    Instruction,
    MissedPatrol,
    Observation,
    Patrol,
    PatrolCheck,
    PatrolSchedule,
    Slot,
)


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
def submit_patrol(patrol, *, by, summary, companions=(), unsent=0, checks=None, at=None):
    """End the patrol and submit its log. A patrol shorter than the community's minimum is
    flagged short, not refused. A returned log can be submitted again. `unsent`: how many
    observations the phone still held, unsent, when the member chose to submit anyway; the
    log says so. `checks`: the member's answers to the four checks (see `answer_checks`); a
    log whose four checks are all "none" with nothing observed is flagged, not refused."""
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
    is_all_none = answer_checks(patrol, checks or {})
    Patrol.objects.filter(pk=patrol.pk).update(is_all_none=is_all_none)
    forget_days([(patrol.grid_id, patrol.day)])  # a late log changes a past day's figures
    patrol.refresh_from_db()
    patrol.companions.set(companions)
    return patrol


def answer_checks(patrol, answers):
    """Store the four checks of `patrol` (replacing those of an earlier submission of a
    returned log). `answers`: {question: (answer, note)} with answer "none", "found" or ""
    (not answered: "found" when something is linked, else "none"). Each check links the
    patrol's observations of its kinds (`PatrolCheck.CATEGORIES`), and "changes" also the
    register corrections made completing instructions on this patrol. Raises PatrolError for
    "none" where something is linked, or "found" with nothing linked and no note. Returns
    whether all four are "none" and nothing was observed. Runs 3 queries to read, 1 delete and
    3 bulk inserts."""
    seen = list(patrol.observations.values_list("pk", "category"))
    corrections = list(
        patrol.instructions_completed.filter(outcome=Instruction.Outcome.CORRECTED).values_list(
            "pk", flat=True
        )
    )
    PatrolCheck.objects.filter(patrol=patrol).delete()
    checks, observation_links, correction_links = [], [], []
    for question in PatrolCheck.Question:
        observations = [pk for pk, category in seen if category in PatrolCheck.CATEGORIES[question]]
        fixes = corrections if question == PatrolCheck.Question.CHANGES else []
        answer, note = answers.get(question, ("", ""))
        note = (note or "").strip()
        linked = bool(observations or fixes)
        if answer == "none" and linked:
            raise PatrolError(
                _(
                    "“%(check)s” is answered “none”, but this patrol recorded %(count)d "
                    "item(s) of that kind: answer “found”."
                )
                % {"check": question.label, "count": len(observations) + len(fixes)}
            )
        if answer == "found" and not (linked or note):
            raise PatrolError(
                _("“%(check)s” is answered “found”: say what in its note.")
                % {"check": question.label}
            )
        check = PatrolCheck(
            patrol=patrol, question=question, is_none=not (linked or answer == "found"), note=note
        )
        checks.append(check)
        observation_links.append(observations)
        correction_links.append(fixes)
    PatrolCheck.objects.bulk_create(checks)
    PatrolCheck.observations.through.objects.bulk_create(
        PatrolCheck.observations.through(patrolcheck_id=check.pk, observation_id=pk)
        for check, pks in zip(checks, observation_links, strict=True)
        for pk in pks
    )
    PatrolCheck.corrections.through.objects.bulk_create(
        PatrolCheck.corrections.through(patrolcheck_id=check.pk, instruction_id=pk)
        for check, pks in zip(checks, correction_links, strict=True)
        for pk in pks
    )
    return all(check.is_none for check in checks) and not seen


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
    forget_days([(patrol.grid_id, patrol.day)])  # the day's done / returned counts change
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
    record and the notification both have unique keys, and only the records a run wrote
    itself are told of. Returns the records created.

    Runs three queries when nothing is left to record, whatever the number of communities
    and grids (and the transaction's begin and commit): the calendar, the communities'
    distinct schedules, and one statement that records the grids lacking a log or a record
    in every closed window. Each batch of records (gridmgmt.bulk.batch_size) adds five or
    so, whatever its size: the posts, who is away (both days at once), the notices and the
    roll-up's days to redo."""
    at = at or timezone.now()
    today = timezone.localdate(at)
    days = (today - datetime.timedelta(days=1), today)
    calendar = Calendar(*days)
    windows_due = _closed_windows(days, at, calendar)
    created = []
    while windows_due:
        # The records and their notices in one transaction: a worker killed in between
        # leaves neither, and the next run does both.
        with transaction.atomic():
            batch = _record_batch(windows_due, at, batch_size())
            _tell_missed(batch)
            forget_days([(m.grid_id, m.day) for m in batch])  # yesterday's, recorded today
        created += batch
        if len(batch) < batch_size():
            break
    return created


def _closed_windows(days, at, calendar):
    """[(day, slot, condition on grids)]: each window of `days` that closed by `at` for
    some community, with the condition selecting the grids of those communities. The
    communities' schedules are read as their distinct shapes (one query), so the cost does
    not grow with the communities."""
    end_of = {Slot.MORNING: "morning_ends_at", Slot.AFTERNOON: "afternoon_ends_at"}
    shapes = [
        PatrolSchedule(
            morning_ends_at=morning,
            afternoon_ends_at=afternoon,
            grace_minutes=grace,
            patrols_on_days_off=days_off,
        )
        for morning, afternoon, grace, days_off in PatrolSchedule.objects.order_by()
        .values_list("morning_ends_at", "afternoon_ends_at", "grace_minutes", "patrols_on_days_off")
        .distinct()
    ]
    default = PatrolSchedule()  # the schedule of a community that has none
    due = []
    for day in days:
        for slot in Slot.values:

            def closed(schedule, day=day, slot=slot):
                if not schedule.patrols_on_days_off and not calendar.is_working_day(day):
                    return False
                return windows.is_closed(schedule, day, slot, at)

            condition = Q(pk__in=[])
            for shape in filter(closed, shapes):
                condition |= Q(
                    **{
                        f"parent__patrol_schedule__{end_of[slot]}": getattr(shape, end_of[slot]),
                        "parent__patrol_schedule__grace_minutes": shape.grace_minutes,
                        "parent__patrol_schedule__patrols_on_days_off": shape.patrols_on_days_off,
                    }
                )
            if closed(default):
                condition |= Q(parent__patrol_schedule__isnull=True)
            if condition != Q(pk__in=[]):
                due.append((day, slot, condition))
    return due


def _record_batch(windows_due, at, size):
    """Record up to `size` missed windows in one statement: the grids existing on the day,
    in a community whose window closed, without a qualifying patrol or a record. Returns the
    records written (a concurrent run's are skipped)."""
    selects = [
        Area.objects.grids()
        .existing_on(day)
        .filter(condition)
        .filter(
            ~Exists(Patrol.objects.filter(grid=OuterRef("pk"), day=day, slot=slot).qualifying()),
            ~Exists(MissedPatrol.objects.filter(grid=OuterRef("pk"), day=day, slot=slot)),
        )
        .order_by()
        .values_list(
            "pk",
            Value(day, output_field=DateField()),
            Value(slot, output_field=CharField()),
            Value(at, output_field=DateTimeField()),
        )
        for day, slot, condition in windows_due
    ]
    selected = (selects[0].union(*selects[1:], all=True) if selects[1:] else selects[0])[:size]
    rows = insert_selected(
        MissedPatrol,
        ["grid", "day", "slot", "recorded_at"],
        selected,
        returning=["id", "grid", "day", "slot"],
    )
    return [
        MissedPatrol(pk=pk, grid_id=grid_id, day=day, slot=slot, recorded_at=at)
        for pk, grid_id, day, slot in rows
    ]


def _tell_missed(records):
    """The grid leader (whoever acts for the post that day) hears at once of each record;
    the stationmaster reads them in the daily digest. Runs three queries (none for no
    records): the leaders' and stationmasters' posts, who is away on the records' days (see
    `acting_on_days`), the notices."""
    if not records:
        return
    grid_ids = {m.grid_id for m in records}
    leaders, stations = {}, {}
    for post in Post.objects.filter(
        Q(area_id__in=grid_ids, role=Role.GRID_LEADER)
        # The stationmaster acts for a leader post while both its holders are away.
        | Q(
            area_id__in=Area.objects.filter(pk__in=grid_ids).values("parent_id"),
            role=Role.STATIONMASTER,
        )
    ).select_related("area", "holder_a", "holder_b"):
        if post.role == Role.STATIONMASTER:
            stations[post.area_id] = post
        else:
            leaders.setdefault(post.area_id, []).append(post)
    by_day = {}
    for missed in records:
        by_day.setdefault(missed.day, {}).update({p.pk: p for p in leaders.get(missed.grid_id, [])})
    acting = acting_on_days(
        {day: found.values() for day, found in by_day.items()}, stations=stations
    )
    notices = []
    for missed in records:
        posts = leaders.get(missed.grid_id)
        if not posts:
            continue  # nobody to tell at once: the digest lists it
        grid = posts[0].area
        on_day = acting[missed.day][0]
        notices.append(
            {
                "recipients": [on_day[p.pk].user for p in posts if on_day[p.pk].user],
                "key": f"patrol-missed:{grid.code}:{missed.day}:{missed.slot}",
                "title": _("Missed patrol: %(grid)s, %(day)s %(slot)s"),
                "params": {"grid": grid.name, "day": missed.day, "slot": Slot(missed.slot).label},
                "url": f"/patrols/board/?day={missed.day}",
            }
        )
    notify_many(notices)


def _require_open(patrol):
    if not patrol.is_open:
        raise PatrolError(_("This patrol's log was already submitted."))
