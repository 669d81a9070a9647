"""Template filters that show a person's identity as grids.identity decides: a masked ID
number, a birth year, a date of their life that is not their birth date."""

from django import template

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
    return identity.life_date_text(value, born)
