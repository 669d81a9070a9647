"""Writes for places and their checks. Each is atomic and records who made the change in the
place's history (django-simple-history)."""

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from incidents import services as incidents
from incidents.models import Incident
from patrols import photos

from .models import Place, PlaceCheck, PlaceIncident


class PlaceError(Exception):
    """A step that cannot be taken; the message says why, for the user."""


def _save(place, by, **kwargs):
    place._history_user = by
    place.save(**kwargs)
    return place


@transaction.atomic
def add_place(*, grid, by, on=None, **fields):
    """A new place in `grid`. Never checked yet, so its first check is due on the day it is
    added (`on`, local date, today by default)."""
    on = on or timezone.localdate()
    return _save(Place(grid=grid, next_check_on=on, **fields), by)


@transaction.atomic
def update_place(place, *, by, **fields):
    """Change a place's details. A new cycle moves the next check: last check plus the new
    cycle (a never-checked place stays due as it was)."""
    for name, value in fields.items():
        setattr(place, name, value)
    if place.last_checked_on is not None:
        place.next_check_on = place.next_check_after(place.last_checked_on)
    return _save(place, by)


@transaction.atomic
def record_check(place, *, by, checked_on, outcome, problems="", photo=None):
    """Record a check of `place`. A check that found the place open (no problems, or
    problems) moves its next check to the latest check's date plus the cycle; a closed door
    moves nothing. A photo is shrunk and re-encoded without its metadata. Locks the place's
    row, so two checks recorded together both count. Runs 3 queries and the history's
    insert."""
    if checked_on > timezone.localdate():
        raise PlaceError(_("A check cannot be recorded for a day still to come."))
    if outcome == PlaceCheck.Outcome.PROBLEMS and not problems.strip():
        raise PlaceError(_("Say what problems were found."))
    place = Place.objects.select_for_update().get(pk=place.pk)
    check = PlaceCheck.objects.create(
        place=place,
        checked_on=checked_on,
        outcome=outcome,
        problems=problems.strip(),
        photo=photos.shrink(photo) if photo else "",
        checked_by=by,
    )
    if outcome != PlaceCheck.Outcome.CLOSED and (
        place.last_checked_on is None or checked_on > place.last_checked_on
    ):
        place.last_checked_on = checked_on
        place.next_check_on = place.next_check_after(checked_on)
        _save(place, by, update_fields=["last_checked_on", "next_check_on", "updated_at"])
    return check


def name_place(incident, place):
    """Link `incident` to `place` (the caller has checked that the place is in the incident's
    grid). Runs one insert."""
    return PlaceIncident.objects.create(incident=incident, place=place)


@transaction.atomic
def report_check(check, *, by, category):
    """The problems a check found become an incident of the place's grid, naming the place;
    once: a check already reported raises PlaceError."""
    check = PlaceCheck.objects.select_for_update().select_related("place__grid").get(pk=check.pk)
    if check.incident_id is not None:
        raise PlaceError(_("These problems are already an incident."))
    if check.outcome != PlaceCheck.Outcome.PROBLEMS:
        raise PlaceError(_("Only a check that found problems can become an incident."))
    place = check.place
    incident = incidents.open_incident(
        grid=place.grid,
        category=category,
        by=by,
        title=_("Safety check: %(place)s") % {"place": place.name},
        description=f"{place.address}: {check.problems}"[:2000],
        source=Incident.Source.PATROL,
    )
    name_place(incident, place)
    PlaceCheck.objects.filter(pk=check.pk).update(incident=incident)
    return incident
