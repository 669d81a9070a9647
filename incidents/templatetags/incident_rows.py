"""An incident list's rows written in one pass: drawn row by row through
incidents/_row.html (and its light through incidents/_light.html), a page of 25 rows cost
two includes, a dozen variables and a date format each, ~0.2 ms a row and a fifth of the
page. `incident_rows` writes the markup the list's loop over that template wrote, each
value escaped as the template escaped it."""

import functools
import re

from django import template
from django.conf import settings
from django.urls import get_script_prefix, get_urlconf, reverse
from django.utils import timezone
from django.utils.dateformat import format as format_date
from django.utils.html import conditional_escape
from django.utils.safestring import mark_safe
from django.utils.translation import gettext

register = template.Library()

PLACEHOLDER = "918273645"
# An incident number reverse() writes as it is (it quotes any other character).
UNQUOTED = re.compile(r"[0-9A-Za-z._~-]+")


@functools.lru_cache(maxsize=16)
def _detail_pattern(urlconf, prefix, root):
    """(before, after) the number in an incident's path, the pattern reversed once."""
    before, _, after = reverse("incidents:detail", args=[PLACEHOLDER], urlconf=urlconf).partition(
        PLACEHOLDER
    )
    return before, after


def _lights():
    """{light: its badge}, as incidents/_light.html writes it without a closed light."""
    badge = '<span class="badge text-bg-{}" data-light="{}">{}</span>'
    return {
        "red": badge.format("danger", "red", conditional_escape(gettext("Overdue"))),
        "yellow": badge.format(
            "warning", "yellow", conditional_escape(gettext("Nearing deadline"))
        ),
        "green": badge.format("success", "green", conditional_escape(gettext("On time"))),
    }


@register.filter
def incident_rows(incidents):
    """The rows of `incidents` (with `light_now` set, and their grid, category and handler
    fetched), as incident_list.html's loop wrote them through incidents/_row.html."""
    return mark_safe("".join(each_row(incidents)))  # every value in it is escaped


def each_row(incidents):
    """Each row of `incident_rows` (escaped), one string a row: the labels and patterns
    they share looked up once."""
    before, after = _detail_pattern(get_urlconf(), get_script_prefix(), settings.ROOT_URLCONF)
    lights = _lights()
    supervised = conditional_escape(gettext("Supervised"))  # (outside the f-string: xgettext)
    supervised = f'<span class="badge text-bg-dark" data-supervised>{supervised}</span>'
    handler_label = conditional_escape(gettext("Handler"))
    deadline_label = conditional_escape(gettext("Deadline"))
    covered_by = gettext("covered by %(name)s")
    names = {}  # a grid's, a category's or a person's name: escaped (once a name)
    zone = timezone.get_current_timezone()

    def escaped(text):
        if text not in names:
            names[text] = conditional_escape(text)
        return names[text]

    for incident in incidents:
        number = incident.number
        if UNQUOTED.fullmatch(number):
            path = f"{before}{number}{after}"
        else:
            path = reverse("incidents:detail", args=[number])
        handler = incident.handler
        handler_name = escaped(handler.display_name) if handler is not None else ""
        covered = ""
        if incident.covered_for_id:
            covered = (
                '<span class="badge text-bg-info" data-covered>'
                f"{covered_by % {'name': handler_name}}</span>"
            )
        deadline = ""
        if incident.is_open:
            moment = incident.deadline_at
            shown = (
                "" if moment is None else format_date(timezone.localtime(moment, zone), "Y-m-d H:i")
            )
            deadline = f"· {deadline_label}: {conditional_escape(shown)}"
        number = conditional_escape(number)
        yield (
            '\n  <a class="list-group-item list-group-item-action"'
            f' href="{conditional_escape(path)}"'
            f' data-incident="{number}">\n'
            '  <div class="d-flex justify-content-between flex-wrap gap-1">\n'
            f'    <strong><span class="font-monospace">{number}</span>'
            f" {conditional_escape(incident.title)}</strong>\n"
            '    <span class="d-flex gap-1 align-items-start">\n'
            f"      {supervised if incident.is_supervised else ''}\n"
            f"      {lights.get(incident.light_now, '')}\n\n"
            '      <span class="badge text-bg-light border">'
            f"{escaped(incident.get_status_display())}</span>\n"
            "    </span>\n"
            "  </div>\n"
            '  <div class="small text-body-secondary">\n'
            f"    {escaped(incident.grid.name)} · {escaped(incident.category.name)}\n"
            f"    · {handler_label}: {handler_name or '—'}\n"
            f"    {covered}\n"
            f"    {deadline}\n"
            "  </div>\n"
            "</a>\n\n"
        )
