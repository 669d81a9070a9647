"""Template filters that show a person's identity as grids.identity decides: a masked ID
number, a birth year, a date of their life that is not their birth date."""

from django import template
from django.utils import formats
from django.utils.translation import gettext as _

from .. import identity

register = template.Library()


@register.filter
def masked_id(value):
    """{{ number|masked_id }}: "330106********1234"."""
    return identity.mask_id_number(value)


@register.filter
def birth_year(value):
    """{{ birth_date|birth_year }}: the year, never the day."""
    return identity.mask_birth_date(value) or ""


@register.filter
def life_date(value, born):
    """{{ stay.moved_in_on|life_date:resident.birth_date }}: the short date, or "at birth"
    when it is the birth date (it would complete a masked ID number)."""
    if value is None:
        return ""
    shown = identity.mask_life_date(value, born)
    return formats.date_format(shown, "SHORT_DATE_FORMAT") if shown else _("at birth")
