"""Places in the user's grids: the list (filters, sort, XLSX), a place with its checks, adding
and editing a place, recording a check and turning its problems into an incident. Every place
is reached through the user's scope: outside it is a 404."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from grids.exports import xlsx_response
from grids.identity import mask_phone
from grids.menu import GRID_OR_ABOVE
from grids.once import AlreadySent, once
from grids.paging import paginate
from grids.scope import get_scope
from incidents.models import Category

from . import services
from .forms import CheckForm, PlaceFilter, PlaceForm, ReportCheckForm
from .models import Place, PlaceCheck


def _place(request, place_id):
    return get_scope(request).get(Place.objects.select_related("grid"), "grid", pk=place_id)


def _keeps(scope, place):
    """Grid leaders, members and the station (those who keep the register) add, edit and
    check places; anyone else in scope reads."""
    if not scope.works_register(place.grid):
        raise PermissionDenied


def _shown_phone(scope, place):
    return place.contact_phone if scope.sees_phones(place.grid) else mask_phone(place.contact_phone)


def _edit_grids(scope):
    return scope.grids().filter(scope.register_q()).order_by("code")


@login_required
def place_list(request):
    """Runs: the scope's posts, the grid choices, the count and the page (the place's grid
    joined)."""
    scope = get_scope(request)
    if not scope.is_global and not any(p.area.kind in GRID_OR_ABOVE for p in scope.posts):
        # Building and unit leaders: every place hangs off a grid, above their posts.
        raise PermissionDenied
    today = timezone.localdate()
    places = scope.filter(Place.objects.for_list(), "grid")
    filterset = PlaceFilter(
        request.GET, queryset=places, grids=scope.grids().order_by("code"), today=today
    )
    http_status = 200
    if not filterset.is_valid():
        messages.error(
            request,
            _("The filter was not understood: %(errors)s. Every place is listed.")
            % {"errors": "; ".join(str(e) for errs in filterset.errors.values() for e in errs)},
        )
        filterset = PlaceFilter(
            None, queryset=places, grids=filterset.filters["grid"].queryset, today=today
        )
        http_status = 400
    if request.GET.get("format") == "xlsx":
        if not scope.works_register_somewhere():
            raise PermissionDenied
        return _export(scope, filterset.qs, today)
    context = paginate(request, filterset.qs)
    for place in context["page"].object_list:
        place.is_late = place.is_overdue(today)
    return render(
        request,
        "places/place_list.html",
        {
            "filter": filterset,
            "can_add": scope.works_register_somewhere(),
            **context,
        },
        status=http_status,
    )


def _export(scope, places, today):
    """The filtered list as XLSX, phones masked where the user may not see them."""
    headers = [
        _("Grid"),
        _("Name"),
        _("Kind"),
        _("Address"),
        _("Contact person"),
        _("Contact phone"),
        _("Check every (days)"),
        _("Last checked on"),
        _("Next check on"),
        _("Check overdue"),
    ]
    rows = (
        (
            p.grid.code,
            p.name,
            p.get_kind_display(),
            p.address,
            p.contact_name,
            _shown_phone(scope, p),
            p.check_cycle_days,
            p.last_checked_on,
            p.next_check_on,
            _("Yes") if p.is_overdue(today) else "",
        )
        for p in places.iterator(chunk_size=2000)
    )
    return xlsx_response("places.xlsx", headers, rows, title=_("Places in the grid"))


@login_required
def detail(request, place_id):
    """Runs: the scope's posts, the place, its checks (with who and the incident), its
    incidents."""
    place = _place(request, place_id)
    scope = get_scope(request)
    today = timezone.localdate()
    can_keep = scope.works_register(place.grid)
    checks = list(place.checks.select_related("checked_by", "incident")[:50])
    if can_keep:
        for check in checks:
            check.can_report = (
                check.outcome == PlaceCheck.Outcome.PROBLEMS and check.incident_id is None
            )
    history = _history(place, scope.sees_phones(place.grid))
    incidents = [
        link.incident
        for link in place.incident_links.select_related("incident").order_by("-incident__filed_at")[
            :20
        ]
    ]
    return render(
        request,
        "places/place_detail.html",
        {
            "place": place,
            "phone": _shown_phone(scope, place),
            "is_late": place.is_overdue(today),
            "checks": checks,
            "incidents": incidents,
            "history": history,
            "can_keep": can_keep,
            "check_form": CheckForm() if can_keep and place.is_active else None,
            # Listed once for every check's "report as an incident" choice.
            "categories": (
                list(Category.objects.filter(is_sensitive=False).order_by("name"))
                if any(getattr(c, "can_report", False) for c in checks)
                else ()
            ),
        },
    )


HISTORY_LIMIT = 10
HISTORY_HIDDEN = {"updated_at", "created_at", "next_check_on"}


def _history(place, shows_phone):
    """The place's latest changes, newest first: who, when, and each field changed (old,
    new), the phone masked unless `shows_phone`. Runs one query."""
    records = list(
        place.history.select_related("history_user").order_by("-history_date", "-history_id")[
            : HISTORY_LIMIT + 1
        ]
    )
    entries = []
    for newer, older in zip(records[:HISTORY_LIMIT], [*records[1:], None], strict=False):
        changes = []
        if older is not None:
            for change in newer.diff_against(older, excluded_fields=HISTORY_HIDDEN).changes:
                field = Place._meta.get_field(change.field)
                old, new = change.old, change.new
                if change.field == "contact_phone" and not shows_phone:
                    old, new = mask_phone(old), mask_phone(new)
                elif field.choices:
                    labels = dict(field.flatchoices)
                    old, new = labels.get(old, old), labels.get(new, new)
                changes.append((field.verbose_name, old, new))
        entries.append({"record": newer, "changes": changes})
    return entries


@login_required
def create(request):
    scope = get_scope(request)
    grids = _edit_grids(scope)
    if not grids.exists():
        raise PermissionDenied
    initial = {"grid": request.GET["grid"]} if request.GET.get("grid", "").isdigit() else {}
    form = PlaceForm(request.POST or None, grids=grids, initial=initial)
    try:
        if request.method == "POST" and form.is_valid():
            with once(form, by=request.user) as made:
                fields = {k: v for k, v in form.cleaned_data.items() if k in form._meta.fields}
                place = services.add_place(by=request.user, **fields)
                made(place.get_absolute_url())
            messages.success(request, _("Place %(name)s added.") % {"name": place.name})
            return redirect(place)
    except AlreadySent as sent:
        return sent.response(request, fallback="places:list")
    return render(request, "places/place_form.html", {"form": form, "place": None})


@login_required
def edit(request, place_id):
    place = _place(request, place_id)
    scope = get_scope(request)
    _keeps(scope, place)
    form = PlaceForm(request.POST or None, instance=place, grids=_edit_grids(scope))
    if request.method == "POST" and form.is_valid():
        fields = {k: v for k, v in form.cleaned_data.items() if k in form._meta.fields}
        services.update_place(Place.objects.get(pk=place.pk), by=request.user, **fields)
        messages.success(request, _("Place saved."))
        return redirect(place)
    return render(request, "places/place_form.html", {"form": form, "place": place})


@login_required
@require_POST
def record_check(request, place_id):
    place = _place(request, place_id)
    _keeps(get_scope(request), place)
    form = CheckForm(request.POST, request.FILES)
    try:
        if form.is_valid():
            with once(form, by=request.user) as made:
                check = services.record_check(
                    place,
                    by=request.user,
                    checked_on=form.cleaned_data["checked_on"],
                    outcome=form.cleaned_data["outcome"],
                    problems=form.cleaned_data["problems"],
                    photo=form.cleaned_data["photo"],
                )
                made(place.get_absolute_url())
            place.refresh_from_db()
            messages.success(
                request,
                _("Check recorded. Next check: %(day)s.")
                % {"day": place.next_check_on.isoformat()},
            )
            if check.outcome == PlaceCheck.Outcome.PROBLEMS:
                return redirect(f"{place.get_absolute_url()}#check-{check.pk}")
            return redirect(place)
    except AlreadySent as sent:
        return sent.response(request, fallback="places:list")
    except services.PlaceError as exc:
        messages.error(request, str(exc))
        return redirect(place)
    messages.error(
        request,
        _("The check was not recorded: %(errors)s")
        % {"errors": "; ".join(str(e) for errs in form.errors.values() for e in errs)},
    )
    return redirect(f"{place.get_absolute_url()}#record")


@login_required
@require_POST
def report_check(request, place_id, check_id):
    place = _place(request, place_id)
    _keeps(get_scope(request), place)
    check = PlaceCheck.objects.filter(place=place, pk=check_id).first()
    if check is None:
        raise Http404
    form = ReportCheckForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose the incident's category."))
        return redirect(place)
    try:
        incident = services.report_check(
            check, by=request.user, category=form.cleaned_data["category"]
        )
    except services.PlaceError as exc:
        messages.error(request, str(exc))
        return redirect(place)
    messages.success(request, _("Incident %(number)s filed.") % {"number": incident.number})
    return redirect(incident)


@login_required
def check_photo(request, check_id):
    """A check's photo, to those who may see its place."""
    check = get_scope(request).get(PlaceCheck.objects.exclude(photo=""), "place__grid", pk=check_id)
    try:
        return FileResponse(check.photo.open("rb"))
    except FileNotFoundError:
        raise Http404 from None
