"""Changes to the map: the list of changes, and a new change chosen, previewed in words and
confirmed. For the administrator, and street staff in their own street (others 403;
grids outside the scope 404)."""

import json

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from . import changes
from .change_forms import AreaChangeForm, StepForm, community_grids
from .models import Area, AreaChange
from .paging import paginate
from .scope import get_scope


def _under(paths, field=""):
    """Rows whose area (through `field`) lies under one of `paths`; None: everywhere."""
    if paths is None:
        return Q()
    lookup = f"{field}__path__startswith" if field else "path__startswith"
    condition = Q(pk__in=[])
    for path in paths:
        condition |= Q(**{lookup: path})
    return condition


def _map_paths(request):
    """Where the user may change the map (None: everywhere), or 403."""
    scope = get_scope(request)
    if not scope.changes_map():
        raise PermissionDenied
    return scope.map_paths()


@login_required
def change_list(request):
    """Every change in the user's streets, pending and applied, newest date first, and the
    grids to start a new one from. Runs: the session and user, the scope's posts, the page
    (count and rows, with grids and recorder) and the grids to choose from."""
    paths = _map_paths(request)
    rows = (
        AreaChange.objects.filter(_under(paths, "grid"))
        .select_related("grid", "target", "created_by")
        .order_by("-effective_on", "-pk")
    )
    context = paginate(request, rows)
    for change in context["page"].object_list:
        change.in_words = changes.describe_summary(change.summary)
    today = timezone.localdate()
    context["grids"] = list(
        Area.objects.grids()
        .existing_on(today)
        .filter(_under(paths))
        .order_by("code")
        .values_list("code", "name")
    )
    return render(request, "grids/area_change_list.html", context)


@login_required
def change_start(request):
    """The grid chosen on the list page (GET grid=<code>)."""
    _map_paths(request)
    return redirect("grids:change_new", request.GET.get("grid", "").strip() or "-")


@login_required
def change_new(request, grid_code):
    """Choose a change to `grid`, see what it moves in words, confirm. Confirming checks
    again: when what it moves has changed since the preview, the new preview is shown and
    nothing is applied."""
    scope = get_scope(request)
    grid = scope.get_grid(grid_code)
    if not scope.changes_map(grid):
        raise PermissionDenied
    today = timezone.localdate()
    grids = list(community_grids(grid.parent))
    buildings = list(grid.children.filter(kind=Area.Kind.BUILDING).order_by("code"))
    form = AreaChangeForm(
        request.POST or None,
        grid=grid,
        buildings=buildings,
        grids=[g for g in grids if g.valid_to is None or g.valid_to >= today],
    )
    context = {"grid": grid, "form": form}
    if request.method != "POST" or not form.is_valid():
        return render(request, "grids/area_change_form.html", context)
    data = form.cleaned_data
    params = {
        "on": data["effective_on"],
        "buildings": data["building_areas"],
        "target": data["target_area"],
        "new_code": data["new_code"],
        "new_name": data["new_name"],
    }
    step = StepForm(request.POST)
    action = step.cleaned_data["action"] if step.is_valid() else None
    try:
        if action == "confirm":
            change = changes.record_area_change(
                data["kind"], grid, by=request.user, expected=data["expected_summary"], **params
            )
            if change.applied_at:
                messages.success(request, _("The change is applied."))
            else:
                messages.success(
                    request,
                    _("The change is recorded and will be applied on %(day)s.")
                    % {"day": change.effective_on.isoformat()},
                )
            return redirect("grids:changes")
        if action == "preview":
            changes.check_area_change(data["kind"], grid, **params)
            summary = changes.preview_area_change(
                data["kind"], grid, on=params["on"], buildings=params["buildings"]
            )
        else:
            return render(request, "grids/area_change_form.html", context)
    except changes.StalePreview as stale:
        summary = stale.summary
        context["stale"] = True
    except changes.AreaChangeError as exc:
        form.add_error(None, str(exc))
        return render(request, "grids/area_change_form.html", context)
    confirm = request.POST.copy()
    confirm["expected"] = json.dumps(summary, sort_keys=True)
    context.update(
        {
            "summary": summary,
            "in_words": changes.describe_summary(summary),
            "what": changes.describe_change(
                data["kind"],
                grid,
                on=params["on"],
                target=params["target"],
                new_code=params["new_code"],
                new_name=params["new_name"],
            ),
            "confirm_form": AreaChangeForm(confirm, grid=grid, buildings=buildings, grids=grids),
            # A split's new grid starts with no posts: nobody patrols it until they are opened.
            "needs_team": data["kind"] == AreaChange.Kind.SPLIT,
            "community": grid.parent,
        }
    )
    return render(request, "grids/area_change_preview.html", context)
