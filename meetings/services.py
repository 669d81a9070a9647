"""Writes for a meeting's record: the agenda, attendance, minutes and decisions, action items
(and the incident one can become), and closing the meeting.

Each function is atomic and names the person acting (`by`), which the history
(django-simple-history) records."""

from django.db import transaction
from django.db.models import Max
from django.urls import reverse
from django.utils import timezone
from django.utils.text import Truncator
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from simple_history.utils import bulk_update_with_history

from incidents.models import Category, Incident
from incidents.services import open_incident
from notifications.services import notify

from . import agenda
from .models import ActionItem, AgendaItem, Meeting, Participant


class MeetingError(Exception):
    """A write that cannot be made now; the message says why, for the user."""


def _save(obj, by, **kwargs):
    obj._history_user = by
    obj.save(**kwargs)
    return obj


def _lock(meeting):
    """The meeting's row, locked until the transaction ends, as it is now."""
    return Meeting.objects.select_for_update().get(pk=meeting.pk)


def _require_open(meeting):
    if meeting.status != Meeting.Status.SCHEDULED:
        raise MeetingError(
            _("This meeting is %(status)s: its record can no longer be changed.")
            % {"status": meeting.get_status_display().lower()}
        )


# --- The agenda ---


def ensure_agenda(meeting, now=None):
    """Draft the agenda the first time the meeting's page is opened before the meeting
    starts. Returns True when it drafted one. Of two first openings at once, one drafts.
    Runs no query when there is nothing to draft."""
    now = now or timezone.now()
    if meeting.agenda_generated_at or meeting.status != Meeting.Status.SCHEDULED:
        return False
    if now >= meeting.starts_at:
        return False
    with transaction.atomic():
        if _lock(meeting).agenda_generated_at:
            return False
        agenda.draft_agenda(meeting, now=now)
    return True


@transaction.atomic
def redraft_agenda(meeting, *, by, now=None):
    """Draft the agenda again from today's data; the station's own items stay."""
    _require_open(_lock(meeting))
    return agenda.draft_agenda(meeting, now=now)


@transaction.atomic
def add_agenda_item(meeting, *, by, text, note=""):
    """An item of the station's own, at the end of the agenda."""
    _require_open(_lock(meeting))
    last = meeting.agenda.aggregate(last=Max("position"))["last"] or 0
    return AgendaItem.objects.create(
        meeting=meeting, position=last + 1, source=AgendaItem.Source.OTHER, text=text, note=note
    )


@transaction.atomic
def update_agenda_item(item, *, by, text, note):
    _require_open(_lock(item.meeting))
    item.text, item.note = text, note
    item.save(update_fields=["text", "note"])
    return item


@transaction.atomic
def delete_agenda_item(item, *, by):
    _require_open(_lock(item.meeting))
    item.delete()


@transaction.atomic
def move_agenda_item(item, *, by, up):
    """Swap the item with the one above it (or below it); renumbers the whole agenda, so
    positions stay 1, 2, 3, ... Returns False when it is already first (or last)."""
    _require_open(_lock(item.meeting))
    items = list(AgendaItem.objects.filter(meeting_id=item.meeting_id).order_by("position", "pk"))
    index = next(i for i, other in enumerate(items) if other.pk == item.pk)
    other = index - 1 if up else index + 1
    if not 0 <= other < len(items):
        return False
    items[index], items[other] = items[other], items[index]
    for position, each in enumerate(items, start=1):
        each.position = position
    AgendaItem.objects.bulk_update(items, ["position"])
    return True


# --- Attendance, minutes and decisions ---


@transaction.atomic
def record_attendance(meeting, rows, *, by):
    """`rows`: (participant, attendance, substitute or None) for the meeting's participants.
    Someone present needs no substitute, so theirs is cleared. Changed rows only are written,
    with their history, in two queries."""
    _require_open(_lock(meeting))
    changed = []
    for participant, attendance, substitute in rows:
        if participant.meeting_id != meeting.pk:
            raise MeetingError(_("That person is not expected at this meeting."))
        if attendance == Participant.Attendance.PRESENT:
            substitute = None
        if substitute is not None and substitute.pk == participant.user_id:
            raise MeetingError(_("Nobody can substitute for themselves."))
        substitute_id = substitute.pk if substitute else None
        if (participant.attendance, participant.substitute_id) != (attendance, substitute_id):
            participant.attendance = attendance
            participant.substitute = substitute
            changed.append(participant)
    if changed:
        bulk_update_with_history(
            changed, Participant, ["attendance", "substitute"], default_user=by
        )
    return changed


@transaction.atomic
def record_minutes(meeting, *, by, minutes, decisions, seen_updated_at=None):
    """Save the minutes and decisions. `seen_updated_at` (the meeting's `updated_at` when
    the form was opened) refuses to save over someone else's change made since."""
    locked = _lock(meeting)
    _require_open(locked)
    if seen_updated_at and seen_updated_at != locked.updated_at.isoformat():
        raise MeetingError(
            _(
                "Someone else changed the minutes after you opened them. Reload the page to "
                "see their change, then make yours again."
            )
        )
    locked.minutes, locked.decisions = minutes, decisions
    _save(locked, by, update_fields=["minutes", "decisions", "updated_at"])
    meeting.minutes, meeting.decisions = minutes, decisions
    meeting.updated_at = locked.updated_at
    return locked


@transaction.atomic
def close_meeting(meeting, *, by, now=None):
    """Close the meeting: its record is final. Refused before it starts and while anyone's
    attendance is still "expected"."""
    now = now or timezone.now()
    locked = _lock(meeting)
    _require_open(locked)
    if now < locked.starts_at:
        raise MeetingError(_("The meeting has not started yet."))
    waiting = list(
        locked.participants.filter(attendance=Participant.Attendance.EXPECTED)
        .select_related("user")
        .order_by("user__full_name", "user__username")
    )
    if waiting:
        raise MeetingError(
            _(
                "Record everyone's attendance before closing the meeting: still expected are "
                "%(names)s."
            )
            % {"names": ", ".join(str(p.user) for p in waiting)}
        )
    locked.status = Meeting.Status.CLOSED
    locked.closed_at = now
    locked.closed_by = by
    _save(locked, by, update_fields=["status", "closed_at", "closed_by", "updated_at"])
    meeting.status, meeting.closed_at, meeting.closed_by = locked.status, now, by
    return locked


# --- Action items ---


@transaction.atomic
def add_action_item(meeting, *, by, text, owner, due_on, grid=None):
    """A new action item; its owner is told once."""
    _require_open(_lock(meeting))
    item = _save(
        ActionItem(
            meeting=meeting, text=text, owner=owner, due_on=due_on, grid=grid, created_by=by
        ),
        by,
    )
    notify(
        [owner],
        key=f"action-item:{item.pk}",
        title=gettext_lazy("A meeting gave you an action item: %(text)s, by %(due)s"),
        params={"text": text[:120], "due": due_on.isoformat()},
        url=reverse("home"),
    )
    return item


@transaction.atomic
def mark_action_done(item, *, by, now=None):
    """Mark an open action item done. Returns False when it was no longer open."""
    locked = ActionItem.objects.select_for_update().get(pk=item.pk)
    if not locked.is_open:
        return False
    locked.done_at = now or timezone.now()
    _save(locked, by, update_fields=["done_at"])
    item.done_at = locked.done_at
    return True


def incident_category():
    """The category an action item's incident is filed under: "other", or failing that the
    first category that is not sensitive. Runs one or two queries."""
    category = Category.objects.filter(code="other").first()
    if category is None:
        category = Category.objects.filter(is_sensitive=False).order_by("name", "pk").first()
    if category is None:
        raise MeetingError(_("There is no incident category to file it under."))
    return category


@transaction.atomic
def make_incident(item, *, by, grid=None):
    """Open an incident for an action item, in `grid` (by default the item's grid), filed by
    `by` from a meeting, and link it to the item. Refused when the item already has one."""
    locked = (
        ActionItem.objects.select_for_update().select_related("meeting__community").get(pk=item.pk)
    )
    if locked.incident_id:
        raise MeetingError(_("This action item is already an incident."))
    if not locked.is_open:
        raise MeetingError(_("This action item is no longer open."))
    grid = grid or locked.grid
    if grid is None:
        raise MeetingError(_("Choose the grid the incident belongs to."))
    if not grid.path.startswith(locked.meeting.community.path) or grid.kind != "grid":
        raise MeetingError(_("Choose a grid of the meeting's community."))
    incident = open_incident(
        grid=grid,
        category=incident_category(),
        by=by,
        # The title is the action shortened with an ellipsis; the description keeps it whole.
        title=Truncator(locked.text).chars(Incident._meta.get_field("title").max_length),
        source=Incident.Source.MEETING,
        description=_("From the %(meeting)s: %(text)s (owner: %(owner)s, deadline %(due)s)")
        % {
            "meeting": locked.meeting,
            "text": locked.text,
            "owner": locked.owner,
            "due": locked.due_on,
        },
    )
    locked.incident = incident
    locked.grid = grid
    _save(locked, by, update_fields=["incident", "grid"])
    item.incident, item.grid = incident, grid
    return incident
