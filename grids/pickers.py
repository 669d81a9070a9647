"""Choosing a household or a resident by searching (name, address, room, the end of an ID
number) instead of typing an internal record number.

A `PickerField` is a ModelChoiceField whose widget is a search box with the matches listed
as radio buttons, all rendered by the server. Without JavaScript the box's "Search" button
posts the form back and the view shows it again, unvalidated, with the matches
(`is_search(request)`); with htmx the matches follow the typing from `grids:pick_household`
or `grids:pick_resident`. Every match comes from the field's queryset, which the form scopes,
and a posted value outside it is refused like any invalid choice. No inline script or style:
the strict CSP holds.
"""

import functools

from django import forms
from django.contrib.auth.decorators import login_required
from django.db.models import Q
from django.http import Http404
from django.shortcuts import render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_GET

from .identity import mask_id_number
from .models import Household, Resident
from .scope import get_scope

SEARCH = "_search"  # the name of every picker's search button
LIMIT = 10


def households_matching(queryset, q, limit=LIMIT):
    """Households of `queryset` whose address or room contains `q`, or with a current
    resident whose name starts with `q` or whose ID number ends with it (four characters or
    more). Runs one query when evaluated."""
    q = (q or "").strip()
    if not q:
        return queryset.none()
    residents = Resident.objects.current().filter(_person(q)).values("household_id")
    return (
        queryset.filter(Q(address__icontains=q) | Q(room__icontains=q) | Q(pk__in=residents))
        .select_related("grid")
        .order_by("address", "room", "pk")[:limit]
    )


def residents_matching(queryset, q, limit=LIMIT):
    """Residents of `queryset` whose name starts with `q`, whose ID number ends with it (four
    characters or more), or whose household's address contains it. Runs one query when
    evaluated."""
    q = (q or "").strip()
    if not q:
        return queryset.none()
    return (
        queryset.filter(_person(q) | Q(household__address__icontains=q))
        .select_related("household")
        .order_by("name", "pk")[:limit]
    )


def _person(q):
    condition = Q(name__startswith=q)
    compact = q.replace(" ", "").upper()
    if len(compact) >= 4 and (compact.isdigit() or compact[:-1].isdigit()):
        condition |= Q(id_number__endswith=compact)
    return condition


KINDS = {
    "household": (
        households_matching,
        lambda h: f"{h} · {h.grid.name}",
    ),
    "resident": (
        residents_matching,
        lambda r: " · ".join(
            part for part in (r.name, str(r.household), mask_id_number(r.id_number)) if part
        ),
    ),
}


class PickerWidget(forms.Widget):
    template_name = "includes/_picker.html"

    def __init__(self, kind, attrs=None):
        super().__init__(attrs)
        self.kind = kind
        self.queryset = None  # set by bind_pickers
        self.query = ""
        self.include = ""  # a CSS selector of fields the live search sends along

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        matching, label = KINDS[self.kind]
        queryset = self.queryset if self.queryset is not None else Household.objects.none()
        found = list(matching(queryset, self.query)) if self.query else []
        value = "" if value is None else str(value)
        if value and all(str(obj.pk) != value for obj in found):
            chosen = queryset.filter(pk=value).first() if value.isdigit() else None
            if chosen is not None:
                found.insert(0, chosen)
        context["widget"].update(
            {
                "kind": self.kind,
                "query": self.query,
                "include": self.include,
                "url": f"{reverse(f'grids:pick_{self.kind}')}?name={name}",
                "matches": [(obj.pk, label(obj), str(obj.pk) == value) for obj in found],
            }
        )
        return context

    def _render(self, template_name, context, renderer=None):
        # The project's templates, not the form renderer's: the partial is shared with `pick`.
        return mark_safe(render_to_string(template_name, context))

    def value_from_datadict(self, data, files, name):
        return data.get(name) or None


class PickerField(forms.ModelChoiceField):
    def __init__(self, kind, **kwargs):
        kwargs.setdefault("queryset", Household.objects.none())
        super().__init__(widget=PickerWidget(kind), **kwargs)


def bind_pickers(form, include=""):
    """Give each picker of `form` its (scoped) queryset and what was typed in its search box.
    Call at the end of the form's __init__, once the querysets are set."""
    source = form.data if form.is_bound else form.initial
    for name, field in form.fields.items():
        if isinstance(field, PickerField):
            field.widget.queryset = field.queryset
            field.widget.query = (source.get(f"{form.add_prefix(name)}_q") or "").strip()
            field.widget.include = include


MATCHES = 20  # the most a search picker of several (SearchPicker) lists at once


def search_matches(found, query, limit=MATCHES):
    """The context of a SearchPicker's matches (its widget's and its htmx view's): `found`,
    at most `limit` + 1 (one more tells that more match), cut to `limit`."""
    found = list(found)
    return {"query": query, "matches": found[:limit], "more": len(found) > limit, "limit": limit}


def chosen_ids(values):
    """The ids among posted values (anything else is left to the field's validation)."""
    return [int(v) for v in values or () if str(v).isdigit()]


class SearchPicker(forms.Widget):
    """Several people found by name instead of listed (a grid or a community has hundreds):
    those already chosen as ticked boxes, a search box, and its matches as boxes to tick, all
    rendered by the server. With JavaScript the matches follow the typing (htmx, from the
    subclass's view) and a ticked match joins the chosen; without it the box's "Search"
    button posts the form back and the page shows it again with the matches (`is_search`).
    Everyone shown comes from `allowed` (the field's queryset, set by the form with `query`
    and `url`); what is posted is validated by the field. A subclass gives `template_name`
    and `matching(allowed, query, exclude)`: at most `limit` + 1 of `allowed`, in order, one
    query; `chosen_order` orders the chosen (none: `allowed`'s order)."""

    allow_multiple_selected = True
    limit = MATCHES
    chosen_order = ()

    def __init__(self, attrs=None):
        super().__init__(attrs)
        self.allowed = None
        self.query = ""
        self.url = ""

    def matching(self, allowed, query, exclude):
        raise NotImplementedError

    def format_value(self, value):
        if value is None:
            return []
        if not isinstance(value, (list, tuple)):
            value = [value]
        return [str(getattr(v, "pk", v)) for v in value]

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        allowed = self.allowed if self.allowed is not None else Resident.objects.none()
        ids = chosen_ids(context["widget"]["value"])
        chosen = []
        if ids:
            chosen = allowed.filter(pk__in=ids)
            chosen = list(chosen.order_by(*self.chosen_order) if self.chosen_order else chosen)
        found = self.matching(allowed, self.query, [c.pk for c in chosen]) if self.query else []
        context["widget"].update(
            {"url": self.url, "chosen": chosen, **search_matches(found, self.query, self.limit)}
        )
        return context

    def _render(self, template_name, context, renderer=None):
        # The project's templates, not the form renderer's: the matches partial is shared
        # with the subclass's view.
        return mark_safe(render_to_string(template_name, context))

    def value_from_datadict(self, data, files, name):
        return data.getlist(name) if hasattr(data, "getlist") else data.get(name)

    def value_omitted_from_data(self, data, files, name):
        # An unticked box is not sent: nothing sent means none chosen.
        return False


def is_search(request):
    """A post of a picker's search button: show the form again with the matches."""
    return request.method == "POST" and SEARCH in request.POST


def search_initial(request):
    """The posted values as a form's initial data, to show it again unvalidated."""
    return {key: request.POST.get(key) for key in request.POST if key != "csrfmiddlewaretoken"}


@login_required
@require_GET
def pick(request, kind):
    """The matches for a picker's search box (htmx): households or current residents in the
    user's areas, and in the chosen grid when the form sends one."""
    if kind not in KINDS:
        raise Http404
    scope = get_scope(request)
    if kind == "household":
        queryset = scope.filter(Household.objects.active(), "grid")
        grid_field = "grid"
    else:
        queryset = scope.filter(Resident.objects.current(), "household__grid")
        grid_field = "household__grid"
    grid = request.GET.get("grid", "")
    if grid.isdigit():
        queryset = queryset.filter(**{f"{grid_field}_id": int(grid)})
    name = request.GET.get("name", kind)
    query = (request.GET.get(f"{name}_q") or "").strip()
    matching, label = KINDS[kind]
    return render(
        request,
        "includes/_picker_matches.html",
        {
            "name": name,
            "query": query,
            "matches": [(obj.pk, label(obj), False) for obj in matching(queryset, query)],
        },
    )


def choices_from_rows(field, columns, label):
    """Draw a model choice field's options from `columns` of its queryset's rows, named by
    `label(*row)` (the first column is the value), read in one query when the form is drawn:
    no model instances and no server-side cursor (DECLARE, FETCH, CLOSE) as the field's own
    choices make, and no count of them first (gridmgmt.widgets.Select lists its choices
    before writing them). The field's queryset still validates what is posted."""

    def choices():
        empty = [] if getattr(field, "empty_label", None) is None else [("", field.empty_label)]
        return empty + [(row[0], label(*row)) for row in field.queryset.values_list(*columns)]

    field.widget.choices = functools.cache(choices)


def user_name(pk, full_name, username):
    """A user's row (pk, full_name, username) named as str(user) names them."""
    return full_name or username
