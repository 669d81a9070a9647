"""The patrol board's list of logs waiting for review, written in one pass: a street's
board lists the logs of the day not yet reviewed (up to a hundred), and drawn row
by row through the template, with a link, a window's name, a name, the minutes and two
badges each, the list cost 15 µs a row and most of the page (`waiting_rows` writes the
markup patrols/board.html wrote, each value escaped as the template escaped it). The grids'
table likewise (`grid_rows`): a street's 80 grids, two cells each, cost about 5 ms through
the template."""

import functools

from django import template
from django.template.base import render_value_in_context
from django.template.defaulttags import CsrfTokenNode
from django.utils.formats import date_format, localize
from django.utils.html import conditional_escape
from django.utils.safestring import mark_safe
from django.utils.timezone import template_localtime
from django.utils.translation import gettext, ngettext

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
    # The translations are looked up outside the f-strings, where xgettext finds them.
    short = conditional_escape(gettext("Short"))
    short = f'<br><span class="badge text-bg-warning">{short}</span>'
    nothing = conditional_escape(gettext("nothing found"))
    nothing = f'<br><span class="badge text-bg-warning" data-all-none>{nothing}</span>'
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


@register.filter
def grid_rows(rows):
    """The table rows of a community's grids on the board (`board.Row`s: the grid, with
    `code` and `name`, and a cell a window), as patrols/board.html wrote them row by row:
    a street's board has a row for each of its grids (80 on the district bench)."""
    detail = paths_of("patrols:detail")
    labels = {}  # state: its label, badge class and value, escaped (once a state)
    slots = {}  # window: its value, escaped (once a window)
    # The translations are looked up outside the f-string, where xgettext finds them.
    title, found = gettext("All four checks none, nothing observed"), gettext("nothing found")
    nothing = f' <span class="badge text-bg-warning" data-all-none title="{title}">{found}</span>'
    out = []
    for row in rows:
        grid = row.grid
        out.append(
            f'\n      <tr data-grid="{conditional_escape(grid.code)}">\n'
            '        <th scope="row" class="fw-normal text-truncate">'
            f"{conditional_escape(grid.name)}</th>\n        "
        )
        for cell in row.cells:
            state = cell.state
            if state not in labels:
                labels[state] = (
                    conditional_escape(state.label),
                    conditional_escape(cell.badge),
                    conditional_escape(state),
                )
            label, badge, state_value = labels[state]
            if cell.slot not in slots:
                slots[cell.slot] = conditional_escape(cell.slot)
            patrol = cell.patrol
            if patrol:
                shown = (
                    f'<a class="badge {badge} text-decoration-none" href="{detail(patrol.pk)}">'
                    f"{label}</a>{nothing if patrol.is_all_none else ''}"
                )
            else:
                shown = f'<span class="badge {badge}">{label}</span>'
            out.append(
                f'\n        <td class="text-center" data-slot="{slots[cell.slot]}"'
                f' data-state="{state_value}">\n'
                f"          {shown}\n        </td>\n        "
            )
        out.append("\n      </tr>\n    ")
    return mark_safe("".join(out))  # every value in it is escaped


@register.simple_tag(takes_context=True)
def board_groups(context, groups):
    """Each community's section of the board (`board.Group`s): its heading, sign-off or
    logs waiting, grids' table and sign-off form, as patrols/board.html wrote them group by
    group (a street's ten cost ~0.25 ms each through the template). Each value is written
    as the template wrote it (`render_value_in_context`: localized and escaped); reads
    `is_street`, `day_iso` and the CSRF token from the page's context."""
    value = functools.partial(render_value_in_context, context=context)
    day = value(context["day_iso"])
    is_street = context["is_street"]
    # The translations are looked up outside the f-strings, where xgettext finds them.
    head = (
        '\n  </div>\n  <table class="table table-sm table-hover align-middle mb-1">\n'
        "    <thead><tr>\n"
        f'      <th scope="col">{value(gettext("Grid"))}</th>\n'
        f'      <th scope="col" class="text-center">{value(gettext("Morning"))}</th>\n'
        f'      <th scope="col" class="text-center">{value(gettext("Afternoon"))}</th>\n'
        "    </tr></thead>\n    <tbody>\n    "
    )
    note, optional = value(gettext("Note")), value(gettext("Note (optional)"))
    signed_text = gettext("Signed off by %(name)s, %(at)s")
    csrf = None
    out = []
    for group in groups:
        community = group.community
        pk, name = value(community.pk), value(community.name)
        out.append(
            f'\n<section class="mb-3" aria-labelledby="community-{pk}">\n'
            '  <div class="d-flex justify-content-between align-items-center flex-wrap gap-1 '
            'mb-1">\n    '
        )
        if is_street:
            out.append(
                f'\n    <h2 class="h6 mb-0" id="community-{pk}"><a href="?day={day}&amp;area='
                f'{value(community.code)}">{name}</a></h2>\n    '
            )
        else:
            out.append(f'\n    <h2 class="visually-hidden" id="community-{pk}">{name}</h2>\n    ')
        out.append("\n    ")
        if group.sign_off:
            at = date_format(
                template_localtime(group.sign_off.signed_at, context.use_tz),
                "SHORT_DATETIME_FORMAT",
            )
            signed = signed_text % {
                "name": value(group.sign_off.signed_by.display_name),
                "at": value(at),
            }
            out.append(
                f'\n    <span class="small text-success" data-signed-off>{signed}</span>\n    '
            )
        elif group.waiting:
            waiting = ngettext(
                "%(counter)s log waits for review",
                "%(counter)s logs wait for review",
                group.waiting,
            ) % {"counter": value(group.waiting)}
            out.append(f'\n    <span class="small text-body-secondary">{waiting}</span>\n    ')
        out.append(head)
        out.append(grid_rows(group.rows))
        out.append("\n    </tbody>\n  </table>\n  ")
        if group.can_sign_off:
            if csrf is None:
                csrf = CsrfTokenNode().render(context)
            sign_off = gettext("Sign off %(community)s") % {"community": name}
            out.append(
                f'\n  <form method="post" action="{value(group.sign_off_url)}" '
                'class="d-flex gap-1">\n'
                f"    {csrf}\n"
                f'    <input type="hidden" name="day" value="{day}">\n'
                f'    <label class="visually-hidden" for="note-{pk}">{note}</label>\n'
                f'    <input class="form-control form-control-sm" id="note-{pk}" name="note" '
                f'maxlength="2000" placeholder="{optional}">\n'
                f'    <button class="btn btn-success btn-sm text-nowrap" type="submit">'
                f"{sign_off}</button>\n  </form>\n  "
            )
        out.append("\n</section>\n")
    return mark_safe("".join(out))  # every value in it is written as the template wrote it
