"""Writes of the care app: the tag dates and next visits of residents (kept in step with
their tags), and recording a visit with the needs it found."""

import datetime
from dataclasses import dataclass

from django.db import transaction
from django.db.models import Max, Q
from django.utils import timezone

from grids.models import Resident
from patrols import photos

from .models import CarePlan, CareStart, Visit, VisitRule


class VisitError(Exception):
    """A visit that cannot be recorded (the message says why)."""


@dataclass
class NeedInput:
    text: str
    department: str = ""
    category: object = None  # an incidents.Category: the need becomes an incident


@transaction.atomic
def sync_residents(resident_ids, *, on=None):
    """Bring the tag dates (CareStart) and plans (CarePlan) of these residents in step with
    their tags: a tag with a rule that has no date gets `on` (today by default); a date
    whose tag is gone (or has lost its rule) is dropped; a person under no rule any more
    has no plan. Runs six queries whatever the number of residents."""
    on = on or timezone.localdate()
    ids = list(resident_ids)
    through = Resident.tags.through
    # 1. The residents' tags that carry a rule, with the grid each resident lives in.
    rows = through.objects.filter(resident_id__in=ids, tag__visit_rule__isnull=False)
    grids = {}
    tagged = []
    for resident_id, tag_id, grid_id in rows.values_list(
        "resident_id", "tag_id", "resident__household__grid_id"
    ):
        tagged.append((resident_id, tag_id))
        grids[resident_id] = grid_id
    # 2. The dates already recorded.
    starts = {(s.resident_id, s.tag_id): s for s in CareStart.objects.filter(resident_id__in=ids)}
    wanted = set(tagged)
    gone = [s.pk for key, s in starts.items() if key not in wanted]
    # 3-4. Drop the dates of tags removed, add the dates of tags applied.
    if gone:
        CareStart.objects.filter(pk__in=gone).delete()
    new = [CareStart(resident_id=r, tag_id=t, started_on=on) for r, t in wanted - set(starts)]
    if new:
        CareStart.objects.bulk_create(new, ignore_conflicts=True)
    for start in new:
        starts[(start.resident_id, start.tag_id)] = start
    _replan(ids, {key: starts[key].started_on for key in wanted}, grids)


def _replan(ids, started, grids):
    """Write the plans of `ids` from `started` ({(resident_id, tag_id): tag date}), the
    rules, the last visits and `grids` ({resident_id: their household's grid id}). Runs
    four queries at most."""
    rules = {r.tag_id: r for r in VisitRule.objects.select_related("tag")}
    last = dict(
        Visit.objects.done()
        .filter(resident_id__in=ids)
        .values("resident_id")
        .annotate(last=Max("visited_on"))
        .values_list("resident_id", "last")
    )
    kept = {
        p.resident_id: p.next_due_on
        for p in CarePlan.objects.filter(resident_id__in=ids, interval_days__isnull=True)
    }
    by_resident = {}
    for (resident_id, tag_id), day in started.items():
        by_resident.setdefault(resident_id, []).append((rules[tag_id], day))
    plans = [
        _plan(resident_id, grids[resident_id], pairs, last.get(resident_id), kept.get(resident_id))
        for resident_id, pairs in by_resident.items()
    ]
    CarePlan.objects.filter(resident_id__in=ids).exclude(resident_id__in=by_resident).delete()
    if plans:
        CarePlan.objects.bulk_create(
            plans,
            update_conflicts=True,
            unique_fields=["resident"],
            update_fields=[
                "grid",
                "interval_days",
                "is_station_only",
                "started_on",
                "last_visited_on",
                "next_due_on",
                "tag_names",
            ],
        )


def _plan(resident_id, grid_id, pairs, last_visit, kept_due):
    """One person's plan from their (rule, tag date) pairs: the strictest rule wins."""
    intervals = [rule.interval_days for rule, _day in pairs if rule.interval_days]
    dues = [
        max(day, last_visit or day) + datetime.timedelta(days=rule.interval_days)
        for rule, day in pairs
        if rule.interval_days
    ]
    return CarePlan(
        resident_id=resident_id,
        grid_id=grid_id,
        interval_days=min(intervals) if intervals else None,
        is_station_only=any(rule.is_station_only for rule, _day in pairs),
        started_on=min(day for _rule, day in pairs),
        last_visited_on=last_visit,
        # No interval: the station sets the next date with a visit; it is kept.
        next_due_on=min(dues) if dues else kept_due,
        tag_names="、".join(sorted(rule.tag.name for rule, _day in pairs))[:300],
    )


def follow_move(grid_id, *, resident_ids=(), household_ids=()):
    """The plans of the residents `resident_ids` and of everyone who lives or lived in the
    households `household_ids` are in the grid `grid_id` now: called, in their transaction,
    by the register's writes that move residents to a household of that grid or households
    to that grid (a plan's grid is its resident's household's grid). Runs one query, or
    none."""
    moved = Q(resident_id__in=resident_ids) | Q(resident__household_id__in=household_ids)
    if resident_ids or household_ids:
        CarePlan.objects.filter(moved).exclude(grid_id=grid_id).update(grid_id=grid_id)


def sync_all(*, on=None, batch=2000):
    """Every resident holding a tag with a rule, and every plan: after a rule changes in
    admin, or rows written without the register's services (the demo). Idempotent."""
    through = Resident.tags.through
    ids = set(
        through.objects.filter(tag__visit_rule__isnull=False).values_list("resident_id", flat=True)
    )
    ids |= set(CarePlan.objects.values_list("resident_id", flat=True))
    ids |= set(CareStart.objects.values_list("resident_id", flat=True))
    ordered = sorted(ids)
    for i in range(0, len(ordered), batch):
        sync_residents(ordered[i : i + batch], on=on)
    return len(ordered)


@transaction.atomic
def record_visit(
    resident,
    *,
    by,
    visited_on,
    outcome,
    note="",
    photo=None,
    patrol=None,
    needs=(),
    next_on=None,
):
    """Record a visit to `resident` (under a rule: it has a plan), file its needs (each an
    incident, a service request to a department, or a note), and move the next visit: the
    visit's day plus the interval (an earlier `next_on` wins; with no interval, `next_on` is
    the next date). "Nobody home" does not move it. The plan is locked, so two visits
    recorded at once both count. Raises VisitError."""
    from incidents.models import Incident
    from incidents.services import open_incident

    plan = CarePlan.objects.select_for_update().filter(resident=resident).first()
    if plan is None:
        raise VisitError("no plan")
    if visited_on > timezone.localdate():
        raise VisitError("future")
    grid = resident.household.grid
    visit = Visit(
        resident=resident,
        grid=grid,
        is_station_only=plan.is_station_only,
        visited_on=visited_on,
        visited_by=by,
        patrol=patrol,
        outcome=outcome,
        note=note,
    )
    if photo:
        visit.photo = photos.shrink(photo)
    visit._history_user = by
    visit.save()
    for need in needs:
        incident = None
        if need.category is not None:
            incident = open_incident(
                grid=grid,
                category=need.category,
                by=by,
                title=need.text[:200],
                source=Incident.Source.PATROL if patrol else Incident.Source.OTHER,
                household=resident.household,
                description=need.text,
            )
        row = visit.needs.model(
            visit=visit, text=need.text, department=need.department, incident=incident
        )
        row._history_user = by
        row.save()
    if outcome != Visit.Outcome.ABSENT:
        _advance(plan, visited_on, next_on)
    elif next_on and plan.interval_days is None:
        plan.next_due_on = next_on
        plan.save(update_fields=["next_due_on"])
    return visit


def _advance(plan, visited_on, next_on):
    """The plan after a visit on `visited_on`: each tag's next date from the later of its
    tag date and the visit."""
    last = max(visited_on, plan.last_visited_on or visited_on)
    plan.last_visited_on = last
    rules = list(
        CareStart.objects.filter(
            resident_id=plan.resident_id, tag__visit_rule__isnull=False
        ).select_related("tag__visit_rule")
    )
    dues = [
        max(start.started_on, last) + datetime.timedelta(days=start.tag.visit_rule.interval_days)
        for start in rules
        if start.tag.visit_rule.interval_days
    ]
    due = min(dues) if dues else None
    if next_on and (due is None or next_on < due):
        due = next_on
    plan.next_due_on = due
    plan.save(update_fields=["last_visited_on", "next_due_on"])
