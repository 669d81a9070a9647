"""The patrol board's list of logs waiting for review, written in one pass: a street's
board lists every log of the day not yet reviewed (hundreds on a busy day), and drawn row
by row through the template, with a link, a window's name, a name, the minutes and two
badges each, the list cost 15 µs a row and most of the page (`waiting_rows` writes the
markup patrols/board.html wrote, each value escaped as the template escaped it)."""

from django import template
from django.utils.formats import localize
from django.utils.html import conditional_escape
from django.utils.safestring import mark_safe
from django.utils.translation import gettext

from gridmgmt.templatetags.row_urls import paths_of

register = template.Library()


@register.filter
def waiting_rows(patrols):
    """The rows of `patrols` (with `grid` set and `member_name`, the member's display
    name), as list-group links."""
    slots = {}  # window: its name (Patrol.get_slot_display, once a window)
    durations = {}  # minutes: their text, localized (once a number)
    grids = {}  # grid id: its name, escaped (once a grid)
    people = {}  # a member's name: escaped (once a name)
    detail = paths_of("patrols:detail")
    short = f'<br><span class="badge text-bg-warning">{conditional_escape(gettext("Short"))}</span>'
    nothing = (
        '<br><span class="badge text-bg-warning" data-all-none>'
        f"{conditional_escape(gettext('nothing found'))}</span>"
    )
    minutes_text = gettext("%(minutes)s min")
    rows = []
    for patrol in patrols:
        minutes = ""
        if patrol.duration_minutes is not None:
            if patrol.duration_minutes not in durations:
                shown = conditional_escape(localize(patrol.duration_minutes))
                durations[patrol.duration_minutes] = minutes_text % {"minutes": shown}
            minutes = durations[patrol.duration_minutes]
        if patrol.slot not in slots:
            slots[patrol.slot] = conditional_escape(patrol.get_slot_display())
        slot = slots[patrol.slot]
        if patrol.grid_id not in grids:
            grids[patrol.grid_id] = conditional_escape(patrol.grid.name)
        if patrol.member_name not in people:
            people[patrol.member_name] = conditional_escape(patrol.member_name)
        grid, member = grids[patrol.grid_id], people[patrol.member_name]
        rows.append(
            '\n  <a class="list-group-item list-group-item-action d-flex justify-content-between'
            f' gap-2" href="{detail(patrol.pk)}"'
            f' data-waiting="{patrol.pk}">\n'
            f"    <span><strong>{grid}</strong> · "
            f"{slot}<br>"
            '<span class="small text-body-secondary">'
            f"{member}</span></span>\n"
            f'    <span class="text-end small">{minutes}{short if patrol.is_short else ""}'
            f"{nothing if patrol.is_all_none else ''}</span>\n  </a>\n"
        )
    return mark_safe("".join(rows))  # every value in it is escaped
