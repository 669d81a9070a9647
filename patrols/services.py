"""Writes for patrols, verification instructions, reviews and the coverage check."""

import contextlib
import datetime

from django.contrib.postgres.expressions import ArraySubquery
from django.db import IntegrityError, connection, transaction
from django.db.models import CharField, DateField, DateTimeField, Exists, OuterRef, Q, Value
from django.db.models.expressions import RawSQL
from django.db.models.functions import JSONObject
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from gridmgmt.bulk import batch_size
from grids import services as register
from grids.models import Area, Post, Role
from grids.posts import acting_on_days
from incidents.calendar import Calendar
from notifications.services import notify, notify_many
from reports.rollup import forget_days

from . import photos, windows
from .models import (
    CompleteWindow,
    CoverageEdit,
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
        with _unless_refused():
            return Patrol.objects.create(grid=grid, member=by, day=day, slot=slot, started_at=at)
    except IntegrityError:
        raise PatrolError(_("You already have a patrol in progress: finish it first.")) from None


def _unless_refused():
    """Where one statement that may be refused runs (an INSERT a unique constraint may
    refuse, a log written at once): a savepoint inside a transaction (so that the refusal
    does not break it), nothing in autocommit, where the statement is a transaction of its
    own (a BEGIN and a COMMIT would be two more round trips)."""
    if connection.in_atomic_block:
        return transaction.atomic()
    return contextlib.nullcontext()


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
        with _unless_refused():
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


def submit_patrol(patrol, *, by, summary, companions=(), unsent=0, checks=None, at=None):
    """End the patrol and submit its log. A patrol shorter than the community's minimum is
    flagged short, not refused. A returned log can be submitted again. `unsent`: how many
    observations the phone still held, unsent, when the member chose to submit anyway; the
    log says so. `checks`: the member's answers to the four checks (see `answer_checks`); a
    log whose four checks are all "none" with nothing observed is flagged, not refused.
    `companions`: the users who patrolled with the member (replacing those of an earlier
    submission).

    `patrol` is updated in memory with what was written (its grid, community and schedule
    are read unless fetched with it). The log is written only if it is still as `patrol`
    was read (the same state, and for a returned log the same return): a log submitted (or
    submitted and returned) since is refused, so what was read for the checks and the
    companions is what the log had. Runs 2 queries on PostgreSQL for a log submitted the
    first time on its day: what the checks link with the checks and companions stored (one
    UNION ALL; none for a patrol read with `stored_annotations()`), then the log, its
    checks, their links and its companions written in one statement (`_write_at_once`, its
    own transaction). Otherwise (another database, a
    returned log, a past day's log) 4 queries and the transaction's two: the read, the log,
    the checks and their links (none without observations or corrections); and the
    deletes and inserts of what changed, for a returned log."""
    at = at or timezone.now()
    if patrol.member_id != by.pk:
        raise PatrolError(_("Only the member who patrolled can submit this log."))
    if not patrol.is_open:
        raise PatrolError(_("This log was already submitted."))
    schedule = windows.schedule_for(patrol.grid.parent)
    ended_at = patrol.ended_at or at
    minutes = int((ended_at - patrol.started_at).total_seconds() // 60)
    stored = _stored(patrol, companions=True)
    *answered, is_all_none = _check_answers(patrol, checks or {}, stored)
    written = {
        "status": Patrol.Status.SUBMITTED,
        "ended_at": ended_at,
        "duration_minutes": minutes,
        "is_short": minutes < schedule.minimum_minutes,
        "summary": summary,
        "unsent_observations": unsent,
        "is_all_none": is_all_none,
    }
    named = {user.pk for user in companions}
    at_once = (
        connection.vendor == "postgresql"
        and not stored[_CHECK]
        and not stored[_COMPANION]
        # A past day's roll-up is forgotten in the same transaction (forget_days).
        and patrol.day >= timezone.localdate()
    )
    if at_once:
        with _unless_refused():
            updated = _write_at_once(patrol, written, *answered, companions=named)
    else:
        updated = _write_in_steps(patrol, written, answered, stored, named)
    if not updated:
        raise PatrolError(_("This log was already submitted."))
    for name, value in written.items():
        setattr(patrol, name, value)
    return patrol


def _still_as_read(patrol):
    """The log's row, if it is still as `patrol` was read (its state and its return)."""
    return Patrol.objects.filter(pk=patrol.pk, status=patrol.status, reviewed_at=patrol.reviewed_at)


@transaction.atomic
def _write_in_steps(patrol, written, answered, stored, named):
    """Write the submitted log (`submit_patrol`) statement by statement, replacing the
    checks and companions stored. Returns whether the log was still as read (else nothing
    is written)."""
    if not _still_as_read(patrol).update(**written):
        return False
    _store_checks(patrol, *answered, replace=stored[_CHECK])
    forget_days([(patrol.grid_id, patrol.day)])  # a late log changes a past day's figures
    through = Patrol.companions.through
    if dropped := set(stored[_COMPANION]) - named:
        through.objects.filter(patrol=patrol, user_id__in=dropped).delete()
    if added := named - set(stored[_COMPANION]):
        # No m2m_changed signals: nothing listens to them for a patrol.
        through.objects.bulk_create(
            [through(patrol_id=patrol.pk, user_id=pk) for pk in sorted(added)],
            ignore_conflicts=True,
        )
    return True


def _write_at_once(patrol, written, checks, observation_links, correction_links, *, companions):
    """Write the submitted log of a patrol with no checks nor companions stored
    (`submit_patrol`) in one PostgreSQL statement: the log's UPDATE, refused unless it is
    still as read (`_still_as_read`), and, from the row it updated (none when refused), the
    INSERTs of its checks (`_check_answers`), of their links and of its companions: what
    `_write_in_steps` writes, without its four round trips more (each ~1 ms of Django and
    psycopg). Returns whether the log was written."""
    quote = connection.ops.quote_name

    def table(model):
        return quote(model._meta.db_table)

    def column(model, name):
        return quote(model._meta.get_field(name).column)

    assignments, params = [], []
    for name, value in written.items():
        field = Patrol._meta.get_field(name)
        assignments.append(f"{quote(field.column)} = %s")
        params.append(field.get_db_prep_save(value, connection))
    # `_still_as_read`'s condition.
    where = f"{column(Patrol, 'id')} = %s AND {column(Patrol, 'status')} = %s AND "
    params += [patrol.pk, patrol.status]
    if patrol.reviewed_at is None:
        where += f"{column(Patrol, 'reviewed_at')} IS NULL"
    else:
        where += f"{column(Patrol, 'reviewed_at')} = %s"
        params.append(patrol.reviewed_at)
    observations = PatrolCheck.observations.through
    corrections = PatrolCheck.corrections.through
    joined = Patrol.companions.through
    sql = (
        f"WITH won AS (UPDATE {table(Patrol)} SET {', '.join(assignments)} "
        f"WHERE {where} RETURNING {column(Patrol, 'id')} AS id), "
        f"checks AS (INSERT INTO {table(PatrolCheck)} ({column(PatrolCheck, 'patrol')}, "
        f"{column(PatrolCheck, 'question')}, {column(PatrolCheck, 'is_none')}, "
        f"{column(PatrolCheck, 'note')}) SELECT won.id, c.question, c.is_none, c.note "
        "FROM won, UNNEST(%s::text[], %s::boolean[], %s::text[]) AS c (question, is_none, note) "
        f"RETURNING {column(PatrolCheck, 'id')} AS id, {column(PatrolCheck, 'question')} "
        "AS question), "
        f"observation_links AS (INSERT INTO {table(observations)} "
        f"({column(observations, 'patrolcheck')}, {column(observations, 'observation')}) "
        "SELECT checks.id, l.pk FROM checks JOIN UNNEST(%s::text[], %s::bigint[]) AS l "
        "(question, pk) ON l.question = checks.question), "
        f"correction_links AS (INSERT INTO {table(corrections)} "
        f"({column(corrections, 'patrolcheck')}, {column(corrections, 'instruction')}) "
        "SELECT checks.id, l.pk FROM checks JOIN UNNEST(%s::text[], %s::bigint[]) AS l "
        "(question, pk) ON l.question = checks.question), "
        f"companions AS (INSERT INTO {table(joined)} ({column(joined, 'patrol')}, "
        f"{column(joined, 'user')}) SELECT won.id, u.pk FROM won, UNNEST(%s::bigint[]) AS u (pk) "
        "ON CONFLICT DO NOTHING) "
        "SELECT COUNT(*) FROM won"
    )

    def links(per_check):
        pairs = [
            (str(check.question), pk)
            for check, pks in zip(checks, per_check, strict=True)
            for pk in pks
        ]
        return [[question for question, _pk in pairs], [pk for _question, pk in pairs]]

    params += [
        [str(check.question) for check in checks],
        [check.is_none for check in checks],
        [check.note for check in checks],
        *links(observation_links),
        *links(correction_links),
        sorted(companions),
    ]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchone()[0] == 1


def answer_checks(patrol, answers):
    """Store the four checks of `patrol` (replacing those of an earlier submission of a
    returned log). `answers`: {question: (answer, note)} with answer "none", "found" or ""
    (not answered: "found" when something is linked, else "none"). Each check links the
    patrol's observations of its kinds (`PatrolCheck.CATEGORIES`), and "changes" also the
    register corrections made completing instructions on this patrol. Raises PatrolError for
    "none" where something is linked, or "found" with nothing linked and no note. Returns
    whether all four are "none" and nothing was observed. Runs 1 query to read, up to 3
    inserts, and 4 to delete the checks there were."""
    stored = _stored(patrol)
    *answered, is_all_none = _check_answers(patrol, answers, stored)
    _store_checks(patrol, *answered, replace=stored[_CHECK])
    return is_all_none


# What `_stored` reads, each marked in the category column of its rows.
_CORRECTION, _CHECK, _COMPANION = "-correction", "-check", "-companion"


def stored_annotations():
    """What `_stored` reads, as annotations of a patrol's queryset that read it on the
    patrol's row, in the same snapshot (on PostgreSQL, array subqueries; none elsewhere):
    a patrol read with them is submitted without a statement to read them (`_stored`)."""
    if connection.vendor != "postgresql":
        return {}
    patrol = OuterRef("pk")
    return {
        "stored_observations": ArraySubquery(
            Observation.objects.filter(patrol=patrol)
            .order_by()
            .values(row=JSONObject(pk="pk", category="category"))
        ),
        "stored_corrections": ArraySubquery(
            Instruction.objects.filter(patrol=patrol, outcome=Instruction.Outcome.CORRECTED)
            .order_by()
            .values("pk")
        ),
        "stored_checks": ArraySubquery(
            PatrolCheck.objects.filter(patrol=patrol).order_by().values("pk")
        ),
        "stored_companions": ArraySubquery(
            Patrol.companions.through.objects.filter(patrol=patrol).order_by().values("user_id")
        ),
    }


_STORED_ON_ROW = ("stored_observations", "stored_corrections", "stored_checks", "stored_companions")


def _stored(patrol, companions=False):
    """What the patrol has stored: {category: [pk, ...]} of its observations, and under
    _CORRECTION, _CHECK and (with `companions`) _COMPANION its register corrections, its
    checks and its companions (user ids). No query for a patrol read with
    `stored_annotations()` (what they read is then forgotten: it is read once); otherwise
    1 query, one UNION ALL."""
    if hasattr(patrol, "stored_checks"):
        observations, corrections, checks, joined = (
            patrol.__dict__.pop(name) for name in _STORED_ON_ROW
        )
        stored = {
            _CORRECTION: list(corrections),
            _CHECK: list(checks),
            _COMPANION: list(joined) if companions else [],
        }
        for row in observations:
            stored.setdefault(row["category"], []).append(row["pk"])
        return stored

    def marked(queryset, pk, mark):
        return queryset.order_by().values_list(pk, Value(mark, output_field=CharField()))

    reads = [
        marked(
            patrol.instructions_completed.filter(outcome=Instruction.Outcome.CORRECTED),
            "pk",
            _CORRECTION,
        ),
        marked(PatrolCheck.objects.filter(patrol=patrol), "pk", _CHECK),
    ]
    if companions:
        reads.append(
            marked(Patrol.companions.through.objects.filter(patrol=patrol), "user_id", _COMPANION)
        )
    stored = {_CORRECTION: [], _CHECK: [], _COMPANION: []}
    rows = patrol.observations.order_by().values_list("pk", "category").union(*reads, all=True)
    for pk, category in rows:
        stored.setdefault(category, []).append(pk)
    return stored


def _check_answers(patrol, answers, stored):
    """The four checks `answers` give (see `answer_checks`), checked but not stored: (the
    PatrolChecks, the observations each links, the corrections each links, whether all four
    are "none" and nothing was observed), from what `_stored` read. Raises PatrolError. Runs
    no queries."""
    marks = (_CORRECTION, _CHECK, _COMPANION)
    seen = {category: pks for category, pks in stored.items() if category not in marks}
    corrections = sorted(stored[_CORRECTION])
    checks, observation_links, correction_links = [], [], []
    for question in PatrolCheck.Question:
        observations = sorted(
            pk for category in PatrolCheck.CATEGORIES[question] for pk in seen.get(category, ())
        )
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
    is_all_none = all(check.is_none for check in checks) and not any(seen.values())
    return checks, observation_links, correction_links, is_all_none


def _store_checks(patrol, checks, observation_links, correction_links, *, replace=()):
    """Store `checks` and their links (from `_check_answers`), deleting first the checks
    `replace` (their pks) with their links. Runs up to 3 inserts (none for links there are
    none of), and 4 queries more to replace checks."""
    if replace:
        PatrolCheck.objects.filter(pk__in=replace).delete()
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

    A window found complete (every grid due in it patrolled or recorded) is remembered in a
    CompleteWindow with the fingerprint of what decides that (`_fingerprint_sql`), and later
    runs skip it while the fingerprint is unchanged. So with nothing to record a run costs
    the same whatever the number of communities and grids: three queries (and the
    transaction's begin and commit), the calendar, the communities' distinct schedules, and
    one statement that reads the fingerprint (one pass over the grids' rows and the
    schedules: about 1.5 ms at 8,000 grids) and checks only the windows whose fingerprint
    changed (none). Each batch of records (gridmgmt.bulk.batch_size) adds five or so
    queries, whatever its size: the posts, who is away (both days at once), the notices and
    the roll-up's days to redo. (On SQLite, storing the complete windows takes two more.)"""
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
            batch = _record_batch(windows_due, at, batch_size(), days)
            _tell_missed(batch)
            forget_days([(m.grid_id, m.day) for m in batch])  # yesterday's, recorded today
        created += batch
        if len(batch) < batch_size():
            break
    return created


def _closed_windows(days, at, calendar):
    """[(day, slot, condition on grids, shapes)]: each window of `days` that closed by `at`
    for some community, with the condition selecting the grids of those communities, and
    the shapes it selects them by (end, grace, patrols on days off; "None" for the default
    schedule) as text. The communities' schedules are read as their distinct shapes (one
    query), so the cost does not grow with the communities."""
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
            selected = set()
            for shape in filter(closed, shapes):
                end, grace = getattr(shape, end_of[slot]), shape.grace_minutes
                selected.add(f"{end:%H:%M} {grace} {shape.patrols_on_days_off}")
                condition |= Q(
                    **{
                        f"parent__patrol_schedule__{end_of[slot]}": end,
                        "parent__patrol_schedule__grace_minutes": grace,
                        "parent__patrol_schedule__patrols_on_days_off": shape.patrols_on_days_off,
                    }
                )
            if closed(default):
                selected.add("None")
                condition |= Q(parent__patrol_schedule__isnull=True)
            if selected:
                due.append((day, slot, condition, ";".join(sorted(selected))))
    return due


def _state_sql():
    """(sql, params) of the one-row `state` the fingerprints hash: a digest of the grids'
    rows, one of the schedules, and the number of CoverageEdits (see `_fingerprint_sql`).
    One pass over the grids' rows: about 1.5 ms at 8,000 grids on PostgreSQL."""
    quote = connection.ops.quote_name

    def digest(model, *columns, where=""):
        """A digest of the rows' `columns`: on PostgreSQL (14 or later, for
        HASH_RECORD_EXTENDED) the number of rows and the sum of a 64-bit hash of each row
        (the row's hash hashed again: a sum of the rows' own hashes, which are linear in the
        columns' hashes, could miss two rows swapping a value); on SQLite an MD5 of the
        rows' text (in SQLite's own order: another order only costs another check)."""
        if connection.vendor == "postgresql":
            row = f"ROW({', '.join(quote(c) for c in columns)})"
            hashed = f"HASHINT8EXTENDED(HASH_RECORD_EXTENDED({row}, 0), 0)"
            joined = f"CAST(COUNT(*) AS TEXT) || ':' || CAST(COALESCE(SUM({hashed}), 0) AS TEXT)"
        else:
            text = " || ',' || ".join(f"COALESCE(CAST({quote(c)} AS TEXT), '-')" for c in columns)
            joined = f"COALESCE(MD5(GROUP_CONCAT({text}, ';')), '-')"
        return f"(SELECT {joined} FROM {quote(model._meta.db_table)} {where})"

    grids = digest(Area, "id", "parent_id", "valid_from", "valid_to", where="WHERE kind = %s")
    schedules = digest(
        PatrolSchedule,
        *("community_id", "morning_ends_at", "afternoon_ends_at"),
        *("grace_minutes", "patrols_on_days_off"),
    )
    edits = f"(SELECT COUNT(*) FROM {quote(CoverageEdit._meta.db_table)})"
    return f"SELECT {grids} AS grids, {schedules} AS schedules, {edits} AS edits", [Area.Kind.GRID]


def _fingerprint_sql(shapes):
    """SQL of a window's fingerprint in a statement WITH `state` (`_state_sql`), `shapes`
    being SQL of the text of its closed shapes (`_closed_windows`): an MD5 of everything
    that decides which grids are due in the window, and whether each is covered, but the
    logs and the records themselves:

    - the grids' rows (id, parent, valid_from, valid_to of every area of kind grid): a grid
      created, retired, brought back, dated otherwise or moved to another community,
      whoever writes it (the map's changes, an import, the admin, a bulk update);
    - every community's schedule (community, ends, grace, patrols on days off): created,
      deleted or changed;
    - the shapes whose window has closed: time passing (another shape's window closing)
      and the working calendar;
    - the number of CoverageEdits: a log or a record deleted or changed outside the check
      (`reopen_windows`; the admin is the only place that does).

    Why that suffices. Which grids are due is a function of the first three. What covers
    a window otherwise only grows: a log is created in progress and then only moves to
    submitted, approved or returned, all of which count (`.qualifying`); records are only
    added. CoverageEdits are only ever added, so an equal count means none was made in
    between. So a window found complete in a state is complete in any later state of the
    same fingerprint (barring a collision of the rows' 64-bit hashes; of MD5s on SQLite).
    The fingerprint stored is that of the very snapshot the check read (one statement on
    PostgreSQL; one transaction, which no other writer interleaves, on SQLite): a change
    committed meanwhile makes it stale, and the window is checked again."""
    return (
        "(SELECT MD5(state.grids || '|' || state.schedules || '|' || "
        f"CAST(state.edits AS TEXT) || '|' || {shapes}) FROM state)"
    )


def reopen_windows():
    """Have the next coverage check look at every window again: call it, in the transaction
    or after it, for a write that may leave a closed window with a grid neither patrolled
    nor recorded (deleting a log or a missed-patrol record, or changing one's grid, day,
    window or status: the admin does, see patrols.admin.DayAndGrid). Runs one query."""
    CoverageEdit.objects.create()


def _record_batch(windows_due, at, size, days):
    """Record up to `size` missed windows in one statement: the grids existing on the day,
    in a community whose window closed, without a qualifying patrol or a record, in the
    windows not remembered complete with their current fingerprint. When it selects fewer
    than `size`, every window it checked is complete (as of its snapshot; a concurrent
    run's records it skips were committed): they are stored as CompleteWindows with their
    fingerprints (and those of days no longer checked dropped) in the same statement on
    PostgreSQL, in two more in the same transaction on SQLite. Returns the records written
    (a concurrent run's are skipped)."""
    selects = [
        Area.objects.grids()
        .existing_on(day)
        .filter(condition)
        .filter(
            ~Exists(
                CompleteWindow.objects.filter(
                    day=day, slot=slot, fingerprint=RawSQL(_fingerprint_sql("%s"), [shapes])
                )
            ),
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
        for day, slot, condition, shapes in windows_due
    ]
    selected = (selects[0].union(*selects[1:], all=True) if selects[1:] else selects[0])[:size]
    select, select_params = selected.query.get_compiler(connection=connection).as_sql()
    state, state_params = _state_sql()
    quote = connection.ops.quote_name
    missed = quote(MissedPatrol._meta.db_table)
    complete = quote(CompleteWindow._meta.db_table)
    insert = (
        f"INSERT INTO {missed} (grid_id, day, slot, recorded_at) SELECT * FROM selected "
        "WHERE true ON CONFLICT DO NOTHING RETURNING id, grid_id, day, slot"
    )
    # The windows checked, stored complete unless they already are (with that fingerprint).
    checked = " UNION ALL ".join("SELECT %s AS day, %s AS slot, %s AS shapes" for _ in windows_due)
    checked_params = [
        value for day, slot, _, shapes in windows_due for value in (day, slot, shapes)
    ]
    remember = (
        f"INSERT INTO {complete} (day, slot, fingerprint, checked_at) "
        f"SELECT w.day, w.slot, {_fingerprint_sql('w.shapes')}, %s FROM ({checked}) AS w "
        "WHERE {fewer} NOT EXISTS ("
        f"SELECT 1 FROM {complete} AS c WHERE c.day = w.day AND c.slot = w.slot "
        f"AND c.fingerprint = {_fingerprint_sql('w.shapes')}) "
        "ON CONFLICT (day, slot) DO UPDATE "
        "SET fingerprint = excluded.fingerprint, checked_at = excluded.checked_at"
    )
    remember_params = [at, *checked_params]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            fewer = "(SELECT COUNT(*) FROM selected) < %s AND"
            cursor.execute(
                f"WITH state AS ({state}), selected AS ({select}), written AS ({insert}), "
                f"remembered AS ({remember.replace('{fewer}', fewer)}), "
                f"pruned AS (DELETE FROM {complete} WHERE day < %s) "
                "SELECT id, grid_id, day, slot FROM written",
                [*state_params, *select_params, *remember_params, size, days[0]],
            )
            rows = cursor.fetchall()
        else:
            # SQLite: no writes in a WITH; the transaction keeps other writers out. What a
            # run selects it writes (no concurrent run's record can be in the way).
            cursor.execute(
                f"WITH state AS ({state}), selected AS ({select}) {insert}",
                [*state_params, *select_params],
            )
            rows = cursor.fetchall()
            if len(rows) < size:
                cursor.execute(
                    f"WITH state AS ({state}) {remember.replace('{fewer}', '')}",
                    [*state_params, *remember_params],
                )
                CompleteWindow.objects.filter(day__lt=days[0]).delete()
    day_field = MissedPatrol._meta.get_field("day")
    return [
        MissedPatrol(
            pk=pk, grid_id=grid_id, day=day_field.to_python(day), slot=slot, recorded_at=at
        )
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
