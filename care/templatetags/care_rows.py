"""The visits due written in one pass: drawn row by row through the template, each row
resolved a dozen variables, a date format and one or two translations (the home page's
and the patrol's short lists, the visits-due list's 25 rows). `due_rows` and `list_rows`
write the markup care/_due_rows.html's and care/due_list.html's loops wrote, each value
escaped as the template escaped it (the translated words of `{% translate %}` and of
`{% blocktranslate %}` as they are, the values in them escaped)."""

from django import template
from django.utils.formats import date_format
from django.utils.html import conditional_escape
from django.utils.safestring import mark_safe
from django.utils.translation import gettext

from gridmgmt.templatetags.row_urls import paths_of

register = template.Library()


class _Words:
    """What the rows repeat, worked out once a list: the person's path, the translated
    words, each date and each grid's name as written."""

    def __init__(self):
        self.person = paths_of("care:person")
        self.due = gettext("due %(due)s")
        self.last_visit = gettext("last visit %(on)s")
        overdue = gettext("overdue")  # (outside the f-string, where xgettext finds it)
        self.overdue = f' <span class="badge text-bg-danger">{overdue}</span>'
        self.dates = {}
        self.grids = {}

    def date(self, day):
        if day not in self.dates:
            self.dates[day] = conditional_escape(date_format(day, "SHORT_DATE_FORMAT"))
        return self.dates[day]

    def grid(self, grid):
        if grid.pk not in self.grids:
            self.grids[grid.pk] = conditional_escape(grid.name)
        return self.grids[grid.pk]


def _row(plan, words, href, indent, more=""):
    late = plan.is_late
    return (
        f'\n{indent}<a class="list-group-item list-group-item-action'
        f'{" list-group-item-danger" if late else ""}" href="{href}"'
        f' data-care-due="{plan.resident_id}">\n'
        f'{indent}  <div class="d-flex justify-content-between flex-wrap gap-1">\n'
        f"{indent}    <strong>{conditional_escape(plan.resident.name)}</strong>\n"
        f'{indent}    <span class="small">{words.due % {"due": words.date(plan.next_due_on)}}'
        f"{words.overdue if late else ''}</span>\n"
        f"{indent}  </div>\n"
        f'{indent}  <div class="small text-body-secondary">{words.grid(plan.grid)} · '
        f"{conditional_escape(plan.resident.household)}{more}</div>\n"
        f"{indent}</a>\n"
    )


@register.filter
def due_rows(plans, patrol=None):
    """The rows of `plans` (each with `is_late`, its resident, household and grid read) as
    links to the person, from `patrol` if one is given: care/_due_rows.html's loop."""
    words = _Words()
    query = f"?patrol={conditional_escape(patrol.pk)}" if patrol else ""
    return mark_safe(  # every value in it is escaped
        "".join(
            _row(plan, words, conditional_escape(words.person(plan.resident_id)) + query, "")
            for plan in plans
        )
    )


@register.filter
def list_rows(plans):
    """The rows of the visits-due list (`plans` as `due.label_rows` left them: with
    `is_late` and `shown_tags`), with the tags shown and the last visit: the loop of
    care/due_list.html."""
    words = _Words()
    rows = []
    for plan in plans:
        more = ""
        if plan.shown_tags:
            more = f" · {conditional_escape('、'.join(plan.shown_tags))}"
        if plan.last_visited_on:
            more += f" · {words.last_visit % {'on': words.date(plan.last_visited_on)}}"
        href = conditional_escape(words.person(plan.resident_id))
        rows.append(_row(plan, words, href, "  ", more))
    return mark_safe("".join(rows))  # every value in it is escaped
