"""The register's lists written in one pass: the people of a search or of the floating
population, the rentals and the households of a grid. Drawn row by row through the
templates (an include a person, with a dozen lookups, filters and translations each), 25
rows cost 5 to 10 ms of a page. Each filter writes the markup its template wrote, every
value escaped as the template escaped it (and translated text left as the template left
it); tests/grids/test_register_rows.py holds them equal byte for byte."""

from django import template
from django.utils.formats import date_format, localize
from django.utils.html import conditional_escape
from django.utils.safestring import mark_safe
from django.utils.timezone import template_localtime
from django.utils.translation import gettext, ngettext

from gridmgmt.templatetags.row_urls import paths_of

from ..identity import life_date_text

register = template.Library()


def _or_dash(value):
    """`{{ value|default:"—" }}`."""
    return conditional_escape(value) if value else "—"


@register.filter
def resident_rows(residents):
    """grids/_resident_row.html for each of `residents` (shown by `present`, with
    `household__grid` and `is_moving`), with the household shown and no edit buttons, each
    row followed by a new line as the lists' loops wrote it."""
    resident_path = paths_of("grids:resident")
    unmask_path = paths_of("grids:resident_unmask")
    household_path = paths_of("grids:household")
    moving = gettext("moving")  # (outside the f-string, where xgettext finds it)
    moving = f' <span class="badge text-bg-warning" data-moving>{moving}</span>'
    ident = gettext("ID")
    phone = gettext("Phone")
    show = gettext("Show (logged)")
    moved_out = gettext("moved out %(on)s")
    grids = {}  # grid id: its name, escaped (once a grid)
    rows = []
    for r in residents:
        pk = r.pk
        born = f" · {conditional_escape(r.birth_year)}" if r.birth_year else ""
        unmask = (
            '\n    <button class="btn btn-sm btn-link p-0" type="button" hx-post="'
            f'{unmask_path(pk)}" hx-target="previous [data-id-number]" hx-swap="outerHTML">'
            f"{show}</button>\n    "
            if r.can_unmask
            else ""
        )
        population = "text-bg-warning" if r.population == "floating" else "text-bg-light border"
        tags = "".join(
            f'<span class="badge {"text-bg-danger" if t.kind == "attention" else "text-bg-info"}">'
            f"{conditional_escape(t.name)}</span>"
            for t in r.shown_tags
        )
        household = r.household
        if household.grid_id not in grids:
            grids[household.grid_id] = conditional_escape(household.grid.name)
        out = ""
        if r.moved_out_on:
            on = r.shown_moved_out or life_date_text(r.moved_out_on, r.birth_date)
            out = " · " + moved_out % {"on": conditional_escape(on)}
        rows.append(
            f'\n<div class="list-group-item" data-resident="{pk}">\n'
            '  <div class="d-flex justify-content-between flex-wrap gap-1">\n'
            f'    <strong><a href="{resident_path(pk)}">{conditional_escape(r.name)}</a>'
            f"{moving if r.is_moving else ''}</strong>\n"
            '    <span class="small text-body-secondary">'
            f"{conditional_escape(r.shown_relation)} · {conditional_escape(r.shown_sex)}{born}"
            "</span>\n"
            "  </div>\n"
            '  <div class="small d-flex flex-wrap gap-2 align-items-center">\n'
            f'    <span>{ident}: <span class="font-monospace" data-id-number>'
            f"{_or_dash(r.shown_id_number)}</span></span>\n"
            f"    {unmask}\n"
            f"    <span>{phone}: {_or_dash(r.shown_phone)}</span>\n"
            f'    <span class="badge {population}">'
            f"{conditional_escape(r.shown_population)}</span>\n"
            f"    {tags}\n"
            "  </div>\n"
            f'  <div class="small"><a href="{household_path(r.household_id)}">'
            f"{conditional_escape(str(household))}</a> · {grids[household.grid_id]}{out}</div>\n"
            "  \n"
            "</div>\n\n"
        )
    return mark_safe("".join(rows))  # every value in it is escaped


@register.filter
def rental_rows(rentals):
    """grids/rental_list.html's rows for `rentals` (with `household__grid`, `tenant_names`,
    the tenants' names in order, `is_ended` and `is_expiring` set)."""
    household_path = paths_of("grids:household")
    # The translations are looked up outside the f-strings, where xgettext finds them.
    expiring, ended = gettext("ends within 30 days"), gettext("ended")
    expiring = f'<span class="badge text-bg-warning">{expiring}</span>'
    ended = f'<span class="badge text-bg-secondary">{ended}</span>'
    landlord = gettext("Landlord")
    tenants_label = gettext("Tenants")
    unreported = gettext("not reported to the police")
    unreported = f' · <span class="text-danger">{unreported}</span>'
    dates = {}  # a date: its short format (once a date)
    grids = {}
    rows = []
    for rental in rentals:
        for day in (rental.starts_on, rental.ends_on):
            if day not in dates:
                dates[day] = conditional_escape(date_format(day, "SHORT_DATE_FORMAT"))
        household = rental.household
        if household.grid_id not in grids:
            grids[household.grid_id] = conditional_escape(household.grid.name)
        tenants = "、".join(conditional_escape(name) for name in rental.tenant_names) or "—"
        warn = " list-group-item-warning" if rental.is_expiring else ""
        badge = expiring if rental.is_expiring else ended if rental.is_ended else ""
        rows.append(
            "\n"
            f'  <a class="list-group-item list-group-item-action{warn}" '
            f'href="{household_path(rental.household_id)}" '
            f"{'data-expiring' if rental.is_expiring else ''}>\n"
            '    <div class="d-flex justify-content-between flex-wrap gap-1">\n'
            f"      <strong>{conditional_escape(str(household))}</strong>\n"
            f'      <span class="small">{dates[rental.starts_on]} – {dates[rental.ends_on]}\n'
            f"      {badge}</span>\n"
            "    </div>\n"
            f'    <div class="small text-body-secondary">{grids[household.grid_id]} · '
            f"{landlord}: {_or_dash(rental.landlord_name)} · {tenants_label}: {tenants}"
            f"{'' if rental.is_reported_to_police else unreported}</div>\n"
            "  </a>\n"
        )
    return mark_safe("".join(rows))  # every value in it is escaped


@register.filter
def household_rows(households):
    """grids/household_list.html's rows for `households` (with `resident_count` and
    `shown_housing`)."""
    household_path = paths_of("grids:household")
    never = gettext("never verified")
    verified = gettext("verified %(at)s")
    counts = {}  # a number of residents: its text
    rows = []
    for h in households:
        n = h.resident_count
        if n not in counts:
            counts[n] = ngettext("%(counter)s resident", "%(counter)s residents", n) % {
                "counter": conditional_escape(localize(n))
            }
        if h.last_verified_at:
            at = date_format(template_localtime(h.last_verified_at), "SHORT_DATE_FORMAT")
            shown = verified % {"at": conditional_escape(at)}
        else:
            shown = never
        rows.append(
            "\n"
            f'  <a class="list-group-item list-group-item-action" href="{household_path(h.pk)}">\n'
            '    <div class="d-flex justify-content-between flex-wrap gap-1">\n'
            f"      <strong>{conditional_escape(str(h))}</strong>\n"
            f'      <span class="badge text-bg-light border">{conditional_escape(h.shown_housing)}'
            "</span>\n"
            "    </div>\n"
            '    <div class="small text-body-secondary">\n'
            f"      {counts[n]}\n"
            f"      · {shown}\n"
            "    </div>\n"
            "  </a>\n"
        )
    return mark_safe("".join(rows))  # every value in it is escaped
