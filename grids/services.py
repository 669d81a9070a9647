"""Writes to the household register. Each function is atomic and records who made the
change in the history (django-simple-history)."""

from django.db import transaction
from django.utils import timezone

from .models import DisclosureLog, Household, HouseholdGrid, Membership, Resident
from .signals import register_changed


def _changed(grid_ids, since):
    """Tell whoever keeps figures from the register that these grids changed from `since`."""
    register_changed.send(sender=Membership, grid_ids=set(grid_ids), since=since)


def _save(obj, by, **kwargs):
    obj._history_user = by
    obj.save(**kwargs)
    return obj


@transaction.atomic
def register_household(*, grid, by, residents=(), on=None, **fields):
    """A new household in `grid`, with its first residents (dicts of Resident fields)."""
    on = on or timezone.localdate()
    household = _save(Household(grid=grid, created_on=on, **fields), by)
    HouseholdGrid.objects.create(household=household, grid=grid, since_on=on)
    for resident_fields in residents:
        add_resident(household, by=by, on=on, **resident_fields)
    return household


@transaction.atomic
def update_household(household, *, by, **fields):
    for name, value in fields.items():
        setattr(household, name, value)
    return _save(household, by)


@transaction.atomic
def add_resident(household, *, by, on=None, tags=(), **fields):
    """A resident moving into `household` on `on` (today by default)."""
    on = fields.pop("moved_in_on", None) or on or timezone.localdate()
    resident = _save(Resident(household=household, moved_in_on=on, **fields), by)
    if tags:
        resident.tags.set(tags)
    Membership.objects.create(
        resident=resident,
        household=household,
        grid_id=household.grid_id,
        population=resident.population,
        moved_in_on=on,
    )
    _changed([household.grid_id], on)
    return resident


@transaction.atomic
def update_resident(resident, *, by, tags=None, population_on=None, **fields):
    """Save the resident's fields. A change of registered / floating status holds from
    `population_on` (today by default): the current stay is split on that day, so counts as
    of earlier days keep the old status."""
    for name, value in fields.items():
        setattr(resident, name, value)
    _save(resident, by)
    if tags is not None:
        resident.tags.set(tags)
    if "population" in fields:
        # Compared with the stays, not with `resident`: a bound form has already set it.
        change_population(resident, on=population_on)
    return resident


def change_population(resident, *, on=None):
    """Split each current stay of `resident` on `on`: the part before keeps its status, the
    part from `on` has the resident's status now. A stay that begins on `on` (or, with no
    `on`, after today) is changed in place. Raises ValueError for a day given in the future
    or before the stay began."""
    today = timezone.localdate()
    current = list(
        Membership.objects.select_for_update()
        .filter(resident=resident, moved_out_on__isnull=True)
        .exclude(population=resident.population)
    )
    for stay in current:
        day = on or max(today, stay.moved_in_on)
        if day > max(today, stay.moved_in_on) or day < stay.moved_in_on:
            raise ValueError("a status change outside the current stay")
        _changed([stay.grid_id], day)
        if stay.moved_in_on == day:
            stay.population = resident.population
            stay.save(update_fields=["population"])
            continue
        stay.moved_out_on = day
        stay.save(update_fields=["moved_out_on"])
        Membership.objects.create(
            resident=resident,
            household_id=stay.household_id,
            grid_id=stay.grid_id,
            population=resident.population,
            moved_in_on=day,
        )


@transaction.atomic
def move_resident(resident, *, to, on, by, relation=None):
    """Move a resident to another household (maybe in another grid) from `on`. Where they
    lived before stays in their memberships, so counts as of earlier dates do not change."""
    from care import services as care_services

    current = Membership.objects.filter(resident=resident, moved_out_on__isnull=True)
    _changed([*current.values_list("grid_id", flat=True), to.grid_id], on)
    current.update(moved_out_on=on)
    resident.household = to
    resident.moved_in_on = on
    resident.moved_out_on = None
    if relation:
        resident.relation = relation
    _save(resident, by)
    Membership.objects.create(
        resident=resident,
        household=to,
        grid_id=to.grid_id,
        population=resident.population,
        moved_in_on=on,
    )
    care_services.follow_move(to.grid_id, resident_ids=[resident.pk])
    return resident


@transaction.atomic
def move_out(resident, *, on, by):
    """The resident leaves the area on `on`. Nothing is deleted."""
    current = Membership.objects.filter(resident=resident, moved_out_on__isnull=True)
    _changed(current.values_list("grid_id", flat=True), on)
    current.update(moved_out_on=on)
    resident.moved_out_on = on
    return _save(resident, by)


def unmask(resident, *, field, by):
    """The full ID number or phone, and a log entry saying who saw whose, and when."""
    action = {
        "id_number": DisclosureLog.Action.UNMASK_ID,
        "phone": DisclosureLog.Action.UNMASK_PHONE,
    }[field]
    DisclosureLog.objects.create(
        user=by, action=action, resident=resident, area_id=resident.household.grid_id
    )
    return getattr(resident, field)


def log_export(*, by, area, detail, rows=None):
    """The disclosure log's entry for an export: who, which list (`detail`), how many rows."""
    return DisclosureLog.objects.create(
        user=by, action=DisclosureLog.Action.EXPORT, area=area, detail=detail[:300], rows=rows
    )
