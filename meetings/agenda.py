"""The draft agenda of a meeting, assembled from the data: what the station should talk about.

`draft_agenda` replaces the items it drafted before (the station's own items, source OTHER,
stay) with one item per:

- open incident of the community that is overdue (its deadline has passed; a paused one
  keeps the colour it had when paused), supervised, or escalated since the last meeting;
- grid with missed patrol windows since the last meeting (with the count; only the days
  the grid existed);
- open verification instruction of the community's grids;
- open action item of an earlier meeting of the same series;
- visit to a person under care that fell overdue since the last meeting (its due date
  passed since then and nobody has visited): listed once, in the first meeting after it
  fell overdue, not again each week while it stays overdue. A person under a station-only
  tag is not named (grid members read the agenda too).

The items are written in the language of the station the agenda belongs to (the person
acting for the community's stationmaster post at the meeting; the site default, Chinese,
when they never chose one), whoever happens to open the page first: the agenda is the
station's document, edited and added to in its words, like the minutes.
"""

import datetime

from django.conf import settings
from django.db import transaction
from django.db.models import Count, F, OuterRef, Q, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext, pgettext

from care import due as care_due
from grids.models import Role
from incidents.models import Incident
from patrols.models import Instruction, MissedPatrol

from .models import ActionItem, AgendaItem, Kind, Meeting, Participant

Source = AgendaItem.Source

# Without a previous meeting, the agenda looks back one period of the series.
LOOK_BACK = {Kind.WEEKLY: datetime.timedelta(days=7), Kind.MONTHLY: datetime.timedelta(days=31)}


def previous_meeting(meeting):
    """The last meeting of the same series before this one that was not cancelled, or None.
    Runs one query."""
    return (
        Meeting.objects.filter(series_id=meeting.series_id, starts_at__lt=meeting.starts_at)
        .exclude(status=Meeting.Status.CANCELLED)
        .order_by("-starts_at")
        .first()
    )


@transaction.atomic
def draft_agenda(meeting, now=None):
    """Replace the meeting's drafted agenda items with fresh ones from the data; items the
    station added by hand are kept, after the drafted ones. Sets `agenda_generated_at`.

    Runs a fixed number of queries (at most twelve), however much data there is. The
    meeting's row is locked first, so two drafts of the same meeting run one after the other
    and never leave duplicates. The text is in the station's language (see the module)."""
    now = now or timezone.now()
    # Query 1: lock the meeting (and read its community's path and its station's language).
    station_language = (
        Participant.objects.filter(meeting=OuterRef("pk"), post__role=Role.STATIONMASTER)
        .order_by("pk")
        .values("user__language")[:1]
    )
    locked = (
        Meeting.objects.select_for_update(of=("self",))
        .select_related("community")
        .annotate(language=Subquery(station_language))
        .get(pk=meeting.pk)
    )
    with translation.override(locked.language or settings.LANGUAGE_CODE):
        return _draft(meeting, locked.community, now)


def _draft(meeting, community, now):
    # Query 2: the previous meeting of the series.
    previous = previous_meeting(meeting)
    since = previous.starts_at if previous else meeting.starts_at - LOOK_BACK[meeting.kind]
    since_day = timezone.localtime(since).date()
    in_community = community.path

    items = []
    # Query 3: incidents.
    incidents = (
        Incident.objects.open()
        .filter(grid__path__startswith=in_community)
        .annotate(moment=Coalesce(F("paused_at"), Value(now)))
        .filter(Q(deadline_at__lte=F("moment")) | Q(is_supervised=True) | Q(escalated_at__gt=since))
        .select_related("grid")
        .order_by("deadline_at", "pk")
    )
    separator = pgettext("between the items of a list", ", ")
    for incident in incidents:
        reasons = []
        if incident.escalated_at and incident.escalated_at > since:
            reasons.append((Source.ESCALATED, _("escalated")))
        if incident.deadline_at <= incident.moment:
            reasons.append((Source.OVERDUE, _("overdue")))
        if incident.is_supervised:
            reasons.append((Source.SUPERVISED, _("supervised")))
        items.append(
            AgendaItem(
                source=reasons[0][0],
                text=_("%(number)s %(title)s (%(grid)s): %(reasons)s")
                % {
                    "number": incident.number,
                    "title": incident.title,
                    "grid": incident.grid.name,
                    "reasons": separator.join(str(label) for _source, label in reasons),
                },
                incident=incident,
                grid=incident.grid,
            )
        )

    # Query 4: missed patrol windows, counted per grid in the database.
    missed = (
        MissedPatrol.objects.filter(grid__path__startswith=in_community, day__gte=since_day)
        .filter(Q(grid__valid_from__isnull=True) | Q(grid__valid_from__lte=F("day")))
        .filter(Q(grid__valid_to__isnull=True) | Q(grid__valid_to__gte=F("day")))
        .values("grid_id", "grid__name", "grid__code")
        .annotate(count=Count("pk"))
        .order_by("grid__code")
    )
    for row in missed:
        items.append(
            AgendaItem(
                source=Source.MISSED_PATROLS,
                text=ngettext(
                    "%(grid)s: %(count)d missed patrol window since %(since)s",
                    "%(grid)s: %(count)d missed patrol windows since %(since)s",
                    row["count"],
                )
                % {"grid": row["grid__name"], "count": row["count"], "since": since_day},
                grid_id=row["grid_id"],
            )
        )

    # Query 5: open verification instructions.
    instructions = (
        Instruction.objects.open()
        .filter(grid__path__startswith=in_community)
        .select_related("grid")
        .order_by("due_on", "pk")
    )
    for instruction in instructions:
        items.append(
            AgendaItem(
                source=Source.INSTRUCTION,
                text=_("%(grid)s: verify “%(text)s” by %(due)s")
                % {
                    "grid": instruction.grid.name,
                    "text": _shorten(instruction.text, 150),
                    "due": instruction.due_on,
                },
                instruction=instruction,
                grid=instruction.grid,
            )
        )

    # Query 6: open action items of the series' earlier meetings.
    actions = (
        ActionItem.objects.open()
        .filter(meeting__series_id=meeting.series_id, meeting__starts_at__lt=meeting.starts_at)
        .select_related("owner")
        .order_by("due_on", "pk")
    )
    for action in actions:
        items.append(
            AgendaItem(
                source=Source.ACTION_ITEM,
                text=_("%(text)s (%(owner)s, by %(due)s)")
                % {
                    "text": _shorten(action.text, 200),
                    "owner": action.owner,
                    "due": action.due_on,
                },
                action_item=action,
                grid_id=action.grid_id,
            )
        )

    # Query 7: visits that fell overdue since the previous meeting (care.due).
    meeting_day = timezone.localtime(meeting.starts_at).date()
    for plan in care_due.newly_overdue(in_community, since_day, meeting_day):
        grid = plan.resident.household.grid
        if plan.is_station_only:
            text = _("%(grid)s: a visit the station keeps has been overdue since %(due)s") % {
                "grid": grid.name,
                "due": plan.next_due_on,
            }
        else:
            text = _("%(grid)s: visit %(name)s, overdue since %(due)s") % {
                "grid": grid.name,
                "name": plan.resident.name,
                "due": plan.next_due_on,
            }
        items.append(AgendaItem(source=Source.OVERDUE_VISIT, text=text, grid=grid))

    # Query 8: drop the old draft; query 9: the station's own items, kept after the draft.
    meeting.agenda.exclude(source=Source.OTHER).delete()
    own = list(meeting.agenda.order_by("position", "pk"))
    for position, item in enumerate(items, start=1):
        item.meeting = meeting
        item.position = position
    for position, item in enumerate(own, start=len(items) + 1):
        item.position = position
    # Query 10: the new draft (when there is one); query 11: renumber the station's items
    # (when there are any).
    AgendaItem.objects.bulk_create(items)
    if own:
        AgendaItem.objects.bulk_update(own, ["position"])
    # Query 12: the time of the draft (an update: it does not bump updated_at, so a minutes
    # form opened before the draft is not taken for stale).
    Meeting.objects.filter(pk=meeting.pk).update(agenda_generated_at=now)
    meeting.agenda_generated_at = now
    return items


def _shorten(text, length):
    text = " ".join(text.split())
    return text if len(text) <= length else text[: length - 1] + "…"
