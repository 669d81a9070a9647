"""The home page's lists of incidents written in one pass: drawn through incidents/_row.html
(and its light through incidents/_light.html) an include a row, a station's late,
escalated and own incidents (up to 24 rows) cost about a tenth of its page. `incident_rows`
(incidents/templatetags/incident_rows.py) writes each row as the include wrote it; the home's
loops put a line break and the card's indentation after each."""

from django import template
from django.utils.formats import date_format
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


@register.filter
def home_absence_rows(absences):
    """The station's rows of who is away today and who covers (reports.home._absences), as
    the `{% for %}` of reports/_home_station.html wrote them: the translated words as they
    are, the values in them escaped."""
    away_until = gettext("away until %(day)s")
    covered_by = gettext("covered by %(name)s")
    uncovered = gettext("B is away too: the station acts")  # (outside the f-string: xgettext)
    uncovered = f'<span class="text-danger fw-semibold" data-uncovered>{uncovered}</span>'
    days = {}
    drawn = []
    for row in absences:
        post, until, covering = row["post"], row["until"], row["covering"]
        if until not in days:
            days[until] = conditional_escape(date_format(until, "SHORT_DATE_FORMAT"))
        covered = (
            covered_by % {"name": conditional_escape(covering.display_name)}
            if covering
            else uncovered
        )
        drawn.append(
            '\n          <li class="list-group-item">\n'
            '            <div class="d-flex justify-content-between flex-wrap gap-1">\n'
            f"              <strong>{conditional_escape(post.holder_a.display_name)}</strong>\n"
            '              <span class="small text-body-secondary">'
            f"{away_until % {'day': days[until]}}</span>\n"
            "            </div>\n"
            f'            <div class="small">{conditional_escape(post.get_role_display())} · '
            f"{conditional_escape(post.area.name)} ·\n"
            f"              {covered}\n"
            "            </div>\n"
            "          </li>\n          "
        )
    return mark_safe("".join(drawn))  # every value in it is escaped
