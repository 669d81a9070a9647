"""Writes for incidents: filing, the workflow steps, first-question responsibility,
time-limited settlement (pause, extension, the sweep) and supervision."""

import datetime

from django.db import transaction
from django.db.models import Case, F, Q, Value, When
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext_lazy

from gridmgmt.bulk import batch_size
from grids.models import Absence, Post, Role
from grids.posts import acting_and_away, acting_holder_on, acting_on, away_user_ids
from grids.scope import Scope
from notifications.services import notify, notify_many
from patrols import photos
from reports.rollup import forget_incident, forget_incidents

from . import workflow
from .calendar import Calendar
from .models import (
    Extension,
    Handover,
    Incident,
    IncidentCounter,
    TimeLimit,
    TimelineEntry,
    Urgency,
)

WARN_SHARE = 0.75  # the warning (yellow) comes at this share of the time limit
DEFAULT_LIMIT_HOURS = 24
DUPLICATE_DAYS = 7


class InvalidTransition(Exception):
    """A step that cannot be taken now; the message says why, for the user."""


def limit_for(category, urgency):
    """The working hours the time-limit table gives now. Runs one query."""
    limit = TimeLimit.objects.filter(category=category, urgency=urgency).first()
    return limit.hours if limit else DEFAULT_LIMIT_HOURS


def next_number(at):
    """ "2026-000123": the year's next number, taken under a row lock, so two filings never
    share one."""
    year = timezone.localtime(at).year
    IncidentCounter.objects.get_or_create(year=year)
    counter = IncidentCounter.objects.select_for_update().get(year=year)
    counter.last = F("last") + 1
    counter.save(update_fields=["last"])
    counter.refresh_from_db()
    return f"{year}-{counter.last:06d}"


def possible_duplicates(grid, category, building=None, at=None, *, since=None):
    """Open incidents of the same grid, category and building (each an instance or its
    primary key) from the last 7 days before `at`, or filed since `since`. No query."""
    if since is None:
        since = (at or timezone.now()) - datetime.timedelta(days=DUPLICATE_DAYS)
    qs = Incident.objects.open().filter(grid=grid, category=category, filed_at__gte=since)
    if building is not None:
        qs = qs.filter(building=building)
    return qs.order_by("-filed_at")


@transaction.atomic
def open_incident(*, grid, category, by, title, source, urgency=Urgency.NORMAL, at=None, **fields):
    """File an incident. The person filing it is its first-responsible person. Its time
    limit is fixed now from the table, and its deadline computed on the working calendar.
    A photo is shrunk and re-encoded without its metadata, as a patrol observation's."""
    at = at or timezone.now()
    if fields.get("photo"):
        fields["photo"] = photos.shrink(fields["photo"])
    hours = limit_for(category, urgency)
    calendar = Calendar.around(at)
    incident = Incident.objects.create(
        number=next_number(at),
        grid=grid,
        category=category,
        urgency=urgency,
        title=title,
        source=source,
        reported_by=by,
        first_responsible=by,
        is_sensitive=category.is_sensitive,
        limit_hours=hours,
        filed_at=at,
        warn_at=calendar.add(at, hours * 3600 * WARN_SHARE),
        deadline_at=calendar.add(at, hours * 3600),
        **fields,
    )
    _log(incident, by, "report", "", incident.status, incident.description[:500], at=at)
    observation = fields.get("observation")
    if observation is not None:
        type(observation).objects.filter(pk=observation.pk).update(is_follow_up=False)
    _tell_station(
        incident,
        by,
        key=f"filed:{incident.pk}",
        title=_("New incident %(number)s (%(source)s) in %(grid)s: %(title)s"),
        params={"source": Incident.Source(source).label, "grid": grid.name, "title": title[:80]},
        at=at,
    )
    _tell_building(incident, by, at)
    return incident


@transaction.atomic
def take_step(
    incident,
    step_name,
    *,
    by,
    scope,
    note="",
    post=None,
    satisfaction="",
    department="",
    duplicate_of=None,
):
    """Apply one workflow step. Checks who may take it, then moves the state with a
    conditional update: if someone else moved it first, InvalidTransition says so."""
    step = workflow.STEPS[step_name]
    if not workflow.may_take(step, incident, by, scope):
        raise InvalidTransition(_("Your post does not allow this step."))
    if step.needs_note and not note.strip():
        raise InvalidTransition(_("Add a note for this step."))
    now = timezone.now()
    changes = {"status": step.target}
    if step_name == "accept":
        changes["handler"] = incident.handler or by
        if incident.source == Incident.Source.RESIDENT:
            # Filed through the public page, by nobody on the team: whoever takes it first
            # answers for it (first-question responsibility).
            changes["first_responsible"] = by
    elif step_name == "assign":
        if post is None:
            raise InvalidTransition(_("Choose the post to assign to."))
        acting = acting_holder(post)
        if acting is None:
            raise InvalidTransition(_("Nobody can act for this post today."))
        covered_for = post.holder_a if acting.pk != post.holder_a_id else None
        changes.update(post=post, handler=acting, covered_for=covered_for)
    elif step_name == "resolve":
        changes["resolved_at"] = now
        if incident.status == Incident.Status.REFERRED:
            changes["referral_reply"] = note
    elif step_name == "return":
        changes["rework_count"] = F("rework_count") + 1
    elif step_name == "close":
        if incident.source == Incident.Source.RESIDENT:
            # The resident rates it on their status page (`rate_as_resident`).
            if satisfaction:
                raise InvalidTransition(
                    _("The resident who filed this matter rates it themselves.")
                )
            changes.update(
                closed_at=now,
                satisfaction="",
                satisfaction_comment="",
                paused_at=None,
                paused_until=None,
            )
        else:
            if satisfaction not in Incident.Satisfaction.values:
                raise InvalidTransition(_("Record the resident's satisfaction to close."))
            changes.update(
                closed_at=now,
                satisfaction=satisfaction,
                satisfaction_comment=note,
                paused_at=None,
                paused_until=None,
            )
    elif step_name == "reopen":
        changes.update(closed_at=None, satisfaction="")
    elif step_name == "refer":
        if not department.strip():
            raise InvalidTransition(_("Name the department it is referred to."))
        changes["referred_to"] = department
    elif step_name == "mark_duplicate":
        if duplicate_of is None or duplicate_of.pk == incident.pk:
            raise InvalidTransition(_("Choose the incident this one repeats."))
        changes["duplicate_of"] = duplicate_of
    won = Incident.objects.filter(pk=incident.pk, status__in=step.sources).update(**changes)
    if not won:
        raise InvalidTransition(
            _("Someone else changed this incident first: it is now “%(status)s”.")
            % {"status": Incident.objects.get(pk=incident.pk).get_status_display()}
        )
    _log(incident, by, step_name, incident.status, step.target, note, at=now)
    forget_incident(incident)  # a reopened incident's past day of closing changed
    incident.refresh_from_db()
    _tell_about_step(incident, step_name, by, note)
    return incident


@transaction.atomic
def rate_as_resident(incident, *, satisfaction, comment="", at=None):
    """The resident who filed a closed matter rates the result (by nobody on the team: the
    timeline's "by" is empty). "Dissatisfied" reopens it for the station's decision, and the
    station is told. Saved through the model, so the history records the change. Raises
    InvalidTransition when the matter is not closed or was already rated."""
    at = at or timezone.now()
    if satisfaction not in Incident.Satisfaction.values:
        raise InvalidTransition(_("Choose how satisfied you are."))
    incident = Incident.objects.select_for_update().get(pk=incident.pk)
    if incident.source != Incident.Source.RESIDENT:
        raise InvalidTransition(_("Only a matter a resident filed is rated by the resident."))
    if incident.status != Incident.Status.CLOSED or incident.satisfaction:
        raise InvalidTransition(_("This matter cannot be rated now."))
    incident.satisfaction = satisfaction
    incident.satisfaction_comment = comment
    fields = ["satisfaction", "satisfaction_comment", "updated_at"]
    reopen = satisfaction == Incident.Satisfaction.DISSATISFIED
    if reopen:
        incident.status = Incident.Status.REOPENED
        incident.closed_at = None
        fields += ["status", "closed_at"]
    incident.save(update_fields=fields)
    label = Incident.Satisfaction(satisfaction).label
    _log(
        incident,
        None,
        "resident_rating",
        Incident.Status.CLOSED if reopen else "",
        incident.status if reopen else "",
        f"{label}: {comment}" if comment else label,
        at=at,
    )
    if reopen:
        forget_incident(incident)  # its day of closing changed
        notify(
            [u for u in _supervisors(incident.grid, [Role.STATIONMASTER], at)],
            key=f"resident-dissatisfied:{incident.pk}:{at.isoformat()}",
            title=_("%(number)s: the resident is not satisfied; it is reopened for your decision"),
            params={"number": incident.number},
            body=comment,
            url=incident.get_absolute_url(),
        )
    return incident


def may_open(incident, user):
    """Whether `user` may open `incident` (`Incident.objects.visible_to`): whoever is told
    about an incident must be able to open it. Runs two queries (their posts, the check)."""
    return Incident.objects.visible_to(Scope(user)).filter(pk=incident.pk).exists()


def acting_holder(post, day=None):
    """Who acts for `post` on `day` (see `grids.posts`). Runs two queries."""
    return acting_holder_on(post, day)


@transaction.atomic
def return_incident_to_holder(incident, *, by, scope):
    """The station moves an incident taken while covering back to the post's A holder, who
    is told. Refused while A is still away."""
    if not scope.supervises(incident.grid):
        raise InvalidTransition(_("Only the station can return an incident to its A holder."))
    holder = incident.covered_for
    if holder is None or not incident.is_open:
        raise InvalidTransition(_("This incident is not being covered for anyone."))
    if holder.pk in away_user_ids(timezone.localdate(), [holder.pk]):
        raise InvalidTransition(_("%(name)s is still away.") % {"name": holder.display_name})
    if not Incident.objects.filter(pk=incident.pk, covered_for=holder).update(
        handler=holder, covered_for=None
    ):
        raise InvalidTransition(_("Someone else changed this incident first."))
    # The note is data (an arrow and a name): the step's label is translated when shown.
    entry = _log(incident, by, "returned_to_a", "", "", f"→ {holder.display_name}")
    notify(
        [holder],
        key=f"returned-to-a:{entry.pk}",
        title=_("%(number)s is back with you"),
        params={"number": incident.number},
        url=incident.get_absolute_url(),
    )
    incident.refresh_from_db()
    return incident


# --- First-question responsibility ---


@transaction.atomic
def request_handover(incident, *, by, to, note=""):
    """The first-responsible person offers the incident to `to`; they stay accountable until
    `to` accepts."""
    if incident.first_responsible_id != by.pk:
        raise InvalidTransition(_("Only the first-responsible person can hand it over."))
    if to.pk == by.pk:
        raise InvalidTransition(_("Choose someone else."))
    if incident.handovers.filter(accepted_at__isnull=True, declined_at__isnull=True).exists():
        raise InvalidTransition(_("A handover is already waiting for an answer."))
    handover = Handover.objects.create(incident=incident, from_user=by, to_user=to, note=note)
    # Checked with the offer made: a team post (a volunteer, say) opens an incident offered
    # to it in its community. Refused, the offer is rolled back with the transaction.
    if not may_open(incident, to):
        raise InvalidTransition(
            _("%(name)s may not open this incident: choose someone at the station.")
            % {"name": to.display_name}
        )
    _log(
        incident,
        by,
        "handover",
        "",
        "",
        f"→ {to}" + (f": {note}" if note else ""),
    )
    notify(
        [to],
        key=f"handover:{handover.pk}",
        title=_("Will you take over %(number)s?"),
        params={"number": incident.number},
        url=incident.get_absolute_url(),
    )
    _tell_station(
        incident,
        by,
        key=f"handover-waiting:{handover.pk}",
        title=_("%(number)s: %(from)s offers it to %(to)s, waiting for an answer"),
        params={"from": by.display_name, "to": to.display_name},
    )
    return handover


@transaction.atomic
def answer_handover(handover, *, by, accept):
    """The receiver accepts (and becomes first-responsible) or declines."""
    if handover.to_user_id != by.pk:
        raise InvalidTransition(_("This handover is not addressed to you."))
    now = timezone.now()
    field = "accepted_at" if accept else "declined_at"
    answered = Handover.objects.filter(
        pk=handover.pk, accepted_at__isnull=True, declined_at__isnull=True
    ).update(**{field: now})
    if not answered:
        raise InvalidTransition(_("This handover was already answered."))
    incident = handover.incident
    if accept:
        Incident.objects.filter(pk=incident.pk).update(first_responsible=by)
    _log(incident, by, "handover_accepted" if accept else "handover_declined", "", "", "")
    incident.refresh_from_db()
    return incident


# --- Time-limited settlement ---


@transaction.atomic
def pause(incident, *, by, reason, until=None):
    """Stop the clock (say, waiting for the resident), until `until` or until resumed."""
    if not reason.strip():
        raise InvalidTransition(_("Say why the clock stops."))
    now = timezone.now()
    if not Incident.objects.filter(pk=incident.pk, paused_at__isnull=True).update(
        paused_at=now, paused_until=until, pause_reason=reason
    ):
        raise InvalidTransition(_("The clock is already stopped."))
    _log(incident, by, "pause", "", "", reason, at=now)
    incident.refresh_from_db()
    return incident


@transaction.atomic
def resume(incident, *, by=None, at=None):
    """Restart the clock: the deadline moves on by the working time spent paused."""
    at = at or timezone.now()
    incident = Incident.objects.select_for_update().get(pk=incident.pk)
    if incident.paused_at is None:
        raise InvalidTransition(_("The clock is running."))
    calendar = Calendar.around(incident.paused_at)
    paused = calendar.between(incident.paused_at, at)
    warn_at = incident.warn_at
    if warn_at > incident.paused_at:
        warn_at = calendar.add(warn_at, paused)
    Incident.objects.filter(pk=incident.pk).update(
        paused_at=None,
        paused_until=None,
        deadline_at=calendar.add(incident.deadline_at, paused),
        warn_at=warn_at,
    )
    _log(incident, by, "resume", "", "", "", at=at)
    forget_incident(incident)  # the deadline moved: the days it was due on change
    incident.refresh_from_db()
    forget_incident(incident)
    return incident


@transaction.atomic
def request_extension(incident, *, by, hours, reason):
    """The handler asks for more time; the station is told it waits for a decision."""
    if not workflow.is_acting_handler(incident, by):
        raise InvalidTransition(_("Only the handler can ask for more time."))
    extension = Extension.objects.create(
        incident=incident, hours=hours, reason=reason, requested_by=by
    )
    _log(incident, by, "extension_requested", "", "", f"+{hours} h: {reason}")
    _tell_station(
        incident,
        by,
        key=f"extension:{extension.pk}",
        title=_("%(number)s: %(name)s asks for %(hours)s more hours"),
        params={"name": by.display_name, "hours": hours},
        body=reason,
    )
    return extension


@transaction.atomic
def decide_extension(extension, *, by, scope, approve):
    """The stationmaster approves (the deadline moves by the extra working hours) or refuses."""
    incident = extension.incident
    if not scope.supervises(incident.grid):
        raise InvalidTransition(_("Only the station can approve more time."))
    if not Extension.objects.filter(pk=extension.pk, is_approved__isnull=True).update(
        is_approved=approve, decided_by=by, decided_at=timezone.now()
    ):
        raise InvalidTransition(_("This request was already decided."))
    if approve:
        calendar = Calendar.around(incident.deadline_at)
        seconds = extension.hours * 3600
        Incident.objects.filter(pk=incident.pk).update(
            deadline_at=calendar.add(incident.deadline_at, seconds),
            warn_at=calendar.add(incident.warn_at, seconds),
            warned_at=None,
        )
        forget_incident(incident)  # the deadline moved: the days it was due on change
        incident.refresh_from_db()
        forget_incident(incident)
    _log(
        incident,
        by,
        "extension_approved" if approve else "extension_refused",
        "",
        "",
        f"+{extension.hours} h",
    )
    incident.refresh_from_db()
    return incident


def supervise(incident, *, by, scope, note=""):
    """督办: mark the incident supervised and urge its handler (each urge is recorded)."""
    if not scope.supervises(incident.grid):
        raise InvalidTransition(_("Only the station can supervise an incident."))
    Incident.objects.filter(pk=incident.pk).update(is_supervised=True)
    entry = _log(incident, by, "urge", "", "", note)
    if incident.handler:
        notify(
            [incident.handler],
            key=f"urge:{entry.pk}",
            title=_("%(number)s is supervised: please settle it"),
            params={"number": incident.number},
            body=note,
            url=incident.get_absolute_url(),
        )
    incident.refresh_from_db()
    return incident


# The street or district is told when an overdue incident is still open this long after its
# deadline (in working hours).
SECOND_ESCALATION_HOURS = 8


def sweep_time_limits(at=None):
    """Warn at yellow, escalate at red: first to the stationmaster, then (after
    SECOND_ESCALATION_HOURS more working hours) to street and district staff. Resumes
    incidents whose pause has run out. Each step is claimed by locking the due incidents
    (rows another sweep holds are skipped, and a row another sweep changed no longer
    matches), so a repeated or concurrent sweep tells nobody twice; the markers, the overdue
    log entries and the notices of a batch are written in one transaction. Returns (warned,
    escalated) counts.

    Runs two queries when nothing is due, whatever the number of incidents (the pauses
    ended, the due incidents locked), three when some overdue incident waits for its second
    escalation (the working calendar); a batch of due incidents (gridmgmt.bulk.batch_size)
    adds seven or eight, whatever its size. Each pause ended adds its own (see `resume`)."""
    at = at or timezone.now()
    for incident in Incident.objects.open().filter(paused_at__isnull=False, paused_until__lte=at):
        try:
            # The clock restarts when the pause ended, however late the sweep runs.
            resume(incident, at=min(incident.paused_until, at))
        except InvalidTransition:
            continue  # another sweep resumed it first
    warned = escalated = 0
    after = 0
    while True:
        with transaction.atomic():
            found, last, more = _sweep_batch(at, after, batch_size())
        warned += found[0]
        escalated += found[1]
        if not more:
            break
        after = last
    return warned, escalated


def _sweep_batch(at, after, size):
    """Warn and escalate the due incidents with a pk above `after`, up to `size` of them.
    Returns ((warned, escalated), the last pk looked at, whether there may be more)."""
    second_after = datetime.timedelta(hours=SECOND_ESCALATION_HOURS)
    candidates = list(
        Incident.objects.running()
        .filter(pk__gt=after)
        .filter(
            Q(warn_at__lte=at, warned_at__isnull=True)
            | Q(deadline_at__lte=at, escalation_level=0)
            # Working time never runs faster than the clock: none later than this is due.
            | Q(deadline_at__lte=at - second_after, escalation_level=1)
        )
        .select_related(
            "handler", "first_responsible", "grid", "post__area", "post__holder_a", "post__holder_b"
        )
        # Rows another sweep holds are its work; a row it changed is checked again.
        .select_for_update(skip_locked=True, of=("self",))
        .order_by("pk")[:size]
    )
    if not candidates:
        return (0, 0), after, False
    more = len(candidates) == size
    late = [i for i in candidates if i.deadline_at <= at - second_after]
    calendar = (
        Calendar(
            timezone.localtime(min(i.deadline_at for i in late)).date(), timezone.localdate(at)
        )
        if late
        else None
    )
    warn, first, second = [], [], []
    for incident in candidates:
        if incident.warned_at is None and incident.warn_at <= at:
            warn.append(incident)
        if incident.escalation_level == 0 and incident.deadline_at <= at:
            first.append(incident)
        if (
            incident.deadline_at <= at - second_after
            and calendar.between(incident.deadline_at, at) >= second_after.total_seconds()
        ):
            second.append(incident)
    acted = {i.pk for i in warn + first + second}
    if not acted:
        return (0, 0), candidates[-1].pk, more
    first_ids, second_ids = {i.pk for i in first}, {i.pk for i in second}
    field = Incident._meta.get_field
    Incident.objects.filter(pk__in=acted).update(
        warned_at=Case(
            When(pk__in=[i.pk for i in warn], then=Value(at)),
            default=F("warned_at"),
            output_field=field("warned_at"),
        ),
        escalation_level=Case(
            When(pk__in=second_ids, then=Value(2)),
            When(pk__in=first_ids, then=Value(1)),
            default=F("escalation_level"),
            output_field=field("escalation_level"),
        ),
        escalated_at=Case(
            When(pk__in=first_ids | second_ids, then=Value(at)),
            default=F("escalated_at"),
            output_field=field("escalated_at"),
        ),
    )
    TimelineEntry.objects.bulk_create(
        [TimelineEntry(incident=i, by=None, action="overdue", note="", at=at) for i in first]
    )
    # A second escalation takes the first off its day, if that day is past.
    forget_incidents(second, events=["escalated_at"])
    day = timezone.localdate(at)
    handlers, supervisors = _sweep_recipients(warn, first, second, day)
    notices = [
        {
            "recipients": handlers[i.pk],
            "key": f"incident-yellow:{i.pk}:{i.deadline_at.isoformat()}",
            "title": _("%(number)s is nearing its deadline"),
            "params": {"number": i.number},
            "url": i.get_absolute_url(),
        }
        for i in warn
    ]
    notices += [
        {
            "recipients": supervisors[(i.grid_id, 1)],
            "key": f"incident-red:{i.pk}:1",
            "title": _("%(number)s is overdue"),
            "params": {"number": i.number},
            "url": i.get_absolute_url(),
        }
        for i in first
    ]
    notices += [
        {
            "recipients": supervisors[(i.grid_id, 2)],
            "key": f"incident-red:{i.pk}:2",
            "title": _("%(number)s is still overdue"),
            "params": {"number": i.number},
            "url": i.get_absolute_url(),
        }
        for i in second
    ]
    notify_many(notices)
    return (len(warn), len(first) + len(second)), candidates[-1].pk, more


ESCALATION_ROLES = {1: [Role.STATIONMASTER], 2: [Role.STREET_STAFF, Role.DISTRICT_STAFF]}


def _sweep_recipients(warn, first, second, day):
    """({incident pk: who is warned}, {(grid id, level): who hears of the escalation}) on
    `day`, by the rules of `_current_handler` and `_supervisors`. An incident nobody on the
    team has taken yet from the residents' channel (whose account cannot sign in) warns the
    station instead. Runs three queries at most (the supervisors' posts, then
    `acting_and_away`)."""
    unowned = [i for i in warn if not (i.handler or i.first_responsible).is_active]
    unowned_ids = {i.pk for i in unowned}
    levels = [(1, i.grid) for i in [*first, *unowned]] + [(2, i.grid) for i in second]
    ancestors = {
        grid.pk: [int(pk) for pk in grid.path.strip("/").split("/")] for _level, grid in levels
    }
    roles = {role for level, _grid in levels for role in ESCALATION_ROLES[level]}
    posts = (
        list(
            Post.objects.filter(
                area_id__in={pk for ids in ancestors.values() for pk in ids}, role__in=roles
            ).select_related("area", "holder_a", "holder_b")
        )
        if levels
        else []
    )
    # A handler who holds the incident's post may be away: whoever acts for it is warned.
    held = [
        i
        for i in warn
        if i.post is not None
        and (i.handler or i.first_responsible).pk in {i.post.holder_a_id, i.post.holder_b_id}
    ]
    own_posts = {i.post.pk: i.post for i in held}
    acting, away = acting_and_away(
        [*posts, *own_posts.values()], day, {(i.handler or i.first_responsible).pk for i in held}
    )
    handlers = {}
    for i in warn:
        if i.pk in unowned_ids:
            continue
        handler = i.handler or i.first_responsible
        if i in held and handler.pk in away:
            stand_in = acting[i.post.pk].user
            # A stand-in who may not open a sensitive incident is not told of it.
            if stand_in is not None and (not i.is_sensitive or may_open(i, stand_in)):
                handler = stand_in
        handlers[i.pk] = [handler]
    supervisors = {}
    for level, grid in levels:
        supervisors[(grid.pk, level)] = [
            acting[post.pk].user
            for post in posts
            if post.area_id in ancestors[grid.pk]
            and post.role in ESCALATION_ROLES[level]
            and acting[post.pk].user is not None
        ]
    for i in unowned:
        handlers[i.pk] = supervisors[(i.grid_id, 1)]
    return handlers, supervisors


def tell_acting_holders(day=None):
    """When an absence begins, whoever acts for A's posts (B, or the station while B is away
    too) hears of A's open incidents, once per absence."""
    day = day or timezone.localdate()
    told = 0
    for absence in Absence.objects.covering(day).select_related("user"):
        posts = Post.objects.filter(holder_a=absence.user).select_related(
            "area", "holder_a", "holder_b"
        )
        acting = acting_on(posts, day)
        for post in posts:
            stand_in = acting[post.pk].user
            if stand_in is None or stand_in.pk == absence.user_id:
                continue
            # Only what the stand-in may open: a sensitive incident stays with the station.
            incidents = list(
                Incident.objects.visible_to(Scope(stand_in))
                .open()
                .filter(post=post, handler=absence.user)
                .values_list("number", flat=True)
            )
            if not incidents:
                continue
            told += len(
                notify(
                    [stand_in],
                    key=f"absence-cover:{absence.pk}:{post.pk}",
                    title=ngettext_lazy(
                        "You are covering for %(name)s: %(count)d open incident",
                        "You are covering for %(name)s: %(count)d open incidents",
                        "count",
                    ),
                    params={"name": absence.user.display_name, "count": len(incidents)},
                    body=", ".join(incidents),
                    url="/incidents/?mine=1",
                )
            )
    return told


def _current_handler(incident, day):
    """Who answers for the incident on `day`: its handler, or whoever acts for its post
    while the handler (a holder of that post) is away; the first-responsible person when it
    has no handler. Runs up to two queries."""
    handler = incident.handler or incident.first_responsible
    post = incident.post
    if post is None or handler.pk not in {post.holder_a_id, post.holder_b_id}:
        return handler
    if handler.pk not in away_user_ids(day, [handler.pk]):
        return handler
    return acting_on([post], day)[post.pk].user or handler


def _supervisors(grid, roles, at):
    """The acting holders (on the local date of `at`) of the given roles' posts above `grid`."""
    ancestors = [int(pk) for pk in grid.path.strip("/").split("/")]
    posts = Post.objects.filter(area_id__in=ancestors, role__in=roles).select_related(
        "area", "holder_a", "holder_b"
    )
    acting = acting_on(posts, timezone.localdate(at))
    return [found.user for found in acting.values() if found.user is not None]


def _tell_station(incident, by, *, key, title, params, body="", at=None):
    """Tell the community's acting stationmaster (unless they did it themselves)."""
    notify(
        [
            u
            for u in _supervisors(incident.grid, [Role.STATIONMASTER], at or timezone.now())
            if u.pk != by.pk
        ],
        key=key,
        title=title,
        params={"number": incident.number, **params},
        body=body,
        url=incident.get_absolute_url(),
    )


def _tell_building(incident, by, at):
    """Tell the leader of the building a matter was filed in (and of the household's unit,
    when it names one), unless they filed it: the category and the place only, linked to
    what they may open, the household or the building's households (an incident's page is
    theirs only when they reported or handle it). A sensitive matter is told to nobody
    here, and a post whose A and B are both away is not passed on to the station, which
    was told already. Runs no query without a building; else the posts' and two more."""
    household = incident.household
    building_id = incident.building_id or (household.building_id if household else None)
    if building_id is None or incident.is_sensitive:
        return
    if household is not None and household.building_id != building_id:
        household = None
    areas = [building_id]
    if household is not None and household.unit_id:
        areas.append(household.unit_id)
    posts = list(
        Post.objects.filter(
            area_id__in=areas, role__in=[Role.BUILDING_LEADER, Role.UNIT_LEADER]
        ).select_related("area", "holder_a", "holder_b")
    )
    if not posts:
        return
    # Without a household every post is the building's.
    place = household or posts[0].area
    acting = acting_on(posts, timezone.localdate(at))
    notify(
        [a.user for a in acting.values() if a.by in {"a", "b"} and a.user.pk != by.pk],
        key=f"building-filed:{incident.pk}",
        title=_("A matter was reported in %(place)s: %(category)s"),
        params={"place": str(place), "category": incident.category.name},
        url=place.get_absolute_url(),
    )


def _tell_about_step(incident, step_name, by, note):
    if step_name == "resolve":
        _tell_station(
            incident,
            by,
            key=f"resolved:{incident.pk}:{incident.rework_count}",
            title=_("%(number)s is resolved and waits for verification"),
            params={},
            body=note,
        )
    elif step_name == "escalate":
        notify(
            [
                u
                for u in _supervisors(incident.grid, [Role.STREET_STAFF], timezone.now())
                if u.pk != by.pk
            ],
            key=f"escalated:{incident.pk}:{incident.updated_at.isoformat()}",
            title=_("%(number)s was escalated to the street"),
            params={"number": incident.number},
            body=note,
            url=incident.get_absolute_url(),
        )
    if step_name == "assign" and incident.handler and incident.handler_id != by.pk:
        notify(
            [incident.handler],
            key=f"assigned:{incident.pk}:{incident.updated_at.isoformat()}",
            title=_("%(number)s was assigned to you"),
            params={"number": incident.number},
            url=incident.get_absolute_url(),
        )
    elif step_name == "return" and incident.handler:
        notify(
            [incident.handler],
            key=f"returned:{incident.pk}:{incident.rework_count}",
            title=_("%(number)s was returned for rework"),
            params={"number": incident.number},
            body=note,
            url=incident.get_absolute_url(),
        )


def _log(incident, by, action, from_status, to_status, note, at=None):
    return TimelineEntry.objects.create(
        incident=incident,
        by=by,
        action=action,
        from_status=from_status,
        to_status=to_status,
        note=str(note),
        at=at or timezone.now(),
    )


@transaction.atomic
def record_mediation(incident, *, by, parties, mediation, is_mediated):
    """A dispute's parties (residents in the register) and how it was mediated."""
    incident.mediation = mediation
    incident.is_mediated = is_mediated
    incident._history_user = by
    incident.save(update_fields=["mediation", "is_mediated", "updated_at"])
    incident.parties.set(parties)
    _log(incident, by, "mediation", "", "", mediation[:500])
    return incident
