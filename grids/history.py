"""A household's change history: who changed what, and when, across the household, its
residents and its rentals (django-simple-history rows)."""

import datetime

from django.utils.translation import gettext as _

from .identity import AT_BIRTH, mask_birth_date, mask_id_number, mask_life_date, mask_phone
from .models import Household, Rental, Resident

HIDDEN = {
    "updated_at",
    "history_id",
    "history_date",
    "history_change_reason",
    "history_type",
    "history_user",
    "history_user_id",
    "id",
    "household",
    "household_id",
}
MASKS = {
    "id_number": mask_id_number,
    "birth_date": lambda v: mask_birth_date(v) or "—",
    "phone": mask_phone,
    "landlord_phone": mask_phone,
}
LIMIT = 200


def history_entries(household, limit=LIMIT):
    """Newest first: dicts with at, user, model name, object, kind (+ ~ -) and the changed
    fields as (label, old, new). Runs three queries."""
    sources = [
        (Household, household.history.select_related("history_user")),
        (
            Resident,
            Resident.history.filter(household_id=household.pk).select_related("history_user"),
        ),
        (Rental, Rental.history.filter(household_id=household.pk).select_related("history_user")),
    ]
    entries = []
    for model, records in sources:
        records = list(records.order_by("id", "history_date", "history_id")[:limit])
        previous = {}
        for record in records:
            before = previous.get(record.id)
            entries.append(
                {
                    "at": record.history_date,
                    "user": record.history_user,
                    "model": model._meta.verbose_name,
                    "object": str(getattr(record, "name", "") or household),
                    "kind": record.history_type,
                    "changes": _changes(model, before, record),
                }
            )
            previous[record.id] = record
    entries.sort(key=lambda e: e["at"], reverse=True)
    return entries[:limit]


def _changes(model, before, after):
    if before is None:
        return []
    changes = []
    born = getattr(after, "birth_date", None)
    for field in model._meta.concrete_fields:
        name = field.attname
        if name in HIDDEN or field.name in HIDDEN:
            continue
        old, new = getattr(before, name, None), getattr(after, name, None)
        if old != new:
            mask = MASKS.get(name)
            display = mask or (lambda v, f=field: _display(f, v, born))
            changes.append((field.verbose_name, display(old), display(new)))
    return changes


def _display(field, value, born=None):
    if value in (None, ""):
        return "—"
    if isinstance(value, datetime.date) and mask_life_date(value, born) is AT_BIRTH:
        return _("at birth")
    if field.choices:
        return dict(field.flatchoices).get(value, value)
    return value
