"""The home page's lists of incidents written in one pass: drawn through incidents/_row.html
(and its light through incidents/_light.html) an include a row, a station's late,
escalated and own incidents (up to 24 rows) cost about a tenth of its page. `incident_rows`
(incidents/templatetags/incident_rows.py) writes each row as the include wrote it; the home's
loops put a line break and the card's indentation after each."""

from django import template
from django.utils.safestring import mark_safe

from incidents.templatetags.incident_rows import each_row

register = template.Library()

# What the home's loops wrote after each row: `{% include %}`, a line break, the indentation
# of `{% empty %}`.
AFTER_ROW = "\n          "


@register.filter
def home_incident_rows(incidents):
    """The rows of `incidents` (with `light_now` set, and their grid, category and handler
    fetched), as the home's `{% for %}` over incidents/_row.html wrote them."""
    # each_row writes a row of the incident list ("\n  ", the include's output and the
    # loop's "\n"), every value escaped.
    return mark_safe("".join(drawn[3:-1] + AFTER_ROW for drawn in each_row(incidents)))
