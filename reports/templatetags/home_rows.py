"""The home page's lists of incidents written in one pass: drawn through incidents/_row.html
(and its light through incidents/_light.html) an include a row, a station's late,
escalated and own incidents (up to 24 rows) cost about a tenth of its page. `incident_rows`
(incidents/templatetags/incident_rows.py) writes each row as the include wrote it; the home's
loops put a line break and the card's indentation after each."""

from django import template
from django.utils.html import conditional_escape
from django.utils.safestring import mark_safe
from django.utils.translation import gettext

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


@register.filter
def home_window_rows(rows):
    """The rows of today's patrol windows (patrols.board rows: a grid and its cells), as the
    home's `{% for %}` in reports/_home_windows.html wrote them: a grid's link and name, a
    badge a window."""
    morning = conditional_escape(gettext("Morning"))
    other = conditional_escape(gettext("Afternoon"))  # any slot but "am", as the template
    drawn = []
    for row in rows:
        grid = row.grid
        cells = "".join(
            f'<span class="badge {conditional_escape(cell.badge)}"'
            f' data-slot="{conditional_escape(cell.slot)}"'
            f' data-state="{conditional_escape(cell.state)}">'
            f"{morning if cell.slot == 'am' else other}:"
            f" {conditional_escape(cell.state.label)}</span>"
            for cell in row.cells
        )
        drawn.append(
            "\n  <div"
            ' class="list-group-item d-flex justify-content-between align-items-center'
            f' flex-wrap gap-2" data-grid="{conditional_escape(grid.code)}">\n'
            f'    <a href="{conditional_escape(grid.get_absolute_url())}">'
            f"{conditional_escape(grid.name)}</a>\n"
            '    <span class="d-flex gap-1 flex-wrap">\n'
            f"      {cells}\n"
            "    </span>\n"
            "  </div>\n  "
        )
    return mark_safe("".join(drawn))  # every value in it is escaped
