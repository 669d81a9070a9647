"""The visits due in the user's grids, a person's visits, recording a visit (during a
patrol or on its own). Everything is reached through the user's scope: a person outside it,
or under a station-only tag for a grid member, is a 404."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from grids.models import Tag
from grids.scope import get_scope
from patrols.models import Patrol

from . import due, services
from .forms import DueFilterForm, VisitForm
from .models import CarePlan, Visit


@login_required
def due_list(request):
    """People with a next visit in the user's grids, soonest first (the first
    `due.DUE_MOST`); filters: grid, overdue only. Queries: the user's posts, the grids
    offered, the ids listed, the page, the page's tags. Those who keep no register (team
    posts) are refused: 403."""
    scope = get_scope(request)
    if not scope.works_register_somewhere():
        raise PermissionDenied
    today = timezone.localdate()
    # Rows, not areas: a district's 800 grids cost 10 ms made into model instances.
    grids = list(due.care_grids(scope).values_list("pk", "code", "name", "path", named=True))
    form = DueFilterForm(request.GET or None, grids=grids)
    plans = CarePlan.objects.current().with_due_date().visible_in(scope, grids)
    status = 200
    if form.is_bound and not form.is_valid():
        messages.error(request, _("That grid is not one of yours: every grid is listed."))
        status = 400
    elif form.is_bound:
        code = form.cleaned_data["grid"]
        if code:
            grid_id = {grid.code: grid.pk for grid in grids}[code]
            plans = plans.filter(grid_id=grid_id)
        if form.cleaned_data["overdue"]:
            plans = plans.overdue(today)
    context = due.due_page(request, plans.for_list())
    due.label_rows(context["page"].object_list, scope, today)
    context.update({"form": form, "today": today})
    return render(request, "care/due_list.html", context, status=status)


def _plan(request, resident_id):
    return get_object_or_404(
        CarePlan.objects.current()
        .visible_to(get_scope(request))
        .select_related("resident__household__grid"),
        resident_id=resident_id,
    )


def _open_patrol(request, plan, patrol_id):
    """The user's own patrol in progress in the person's grid, or None."""
    if not str(patrol_id or "").isdigit():
        return None
    return Patrol.objects.filter(
        pk=int(patrol_id),
        member=request.user,
        status=Patrol.Status.IN_PROGRESS,
        grid_id=plan.resident.household.grid_id,
    ).first()


@login_required
def person(request, resident_id):
    """A person under care: their rule, next visit, visits so far, and the visit form."""
    plan = _plan(request, resident_id)
    scope = get_scope(request)
    grid = plan.resident.household.grid
    today = timezone.localdate()
    patrol = _open_patrol(request, plan, request.GET.get("patrol"))
    tags = plan.resident.tags.all()
    if not scope.sees_attention_tags(grid):
        tags = tags.filter(kind=Tag.Kind.CARE)
    context = {
        "plan": plan,
        "resident": plan.resident,
        "grid": grid,
        "tags": tags,
        "is_overdue": plan.is_overdue(today),
        "visits": Visit.objects.filter(resident=plan.resident)
        .select_related("visited_by", "patrol")
        .prefetch_related("needs")[:20],
        "patrol": patrol,
    }
    if scope.works_register(grid):
        context["form"] = VisitForm(today=today)
    return render(request, "care/person.html", context)


@login_required
@require_POST
def record(request, resident_id):
    plan = _plan(request, resident_id)
    scope = get_scope(request)
    if not scope.works_register(plan.resident.household.grid):
        raise PermissionDenied
    form = VisitForm(request.POST, request.FILES)
    patrol = _open_patrol(request, plan, request.POST.get("patrol"))
    if not form.is_valid():
        messages.error(
            request,
            _("The visit was not saved: %(errors)s")
            % {"errors": "; ".join(str(e) for errs in form.errors.values() for e in errs)},
        )
        return render(
            request,
            "care/person.html",
            {
                "plan": plan,
                "resident": plan.resident,
                "grid": plan.resident.household.grid,
                "tags": [],
                "visits": [],
                "patrol": patrol,
                "form": form,
            },
            status=400,
        )
    data = form.cleaned_data
    services.record_visit(
        plan.resident,
        by=request.user,
        visited_on=data["visited_on"],
        outcome=data["outcome"],
        note=data["note"],
        photo=data.get("photo"),
        patrol=patrol,
        needs=form.needs(),
        next_on=data.get("next_on"),
    )
    messages.success(request, _("Visit recorded."))
    if patrol is not None:
        return redirect(f"{patrol.get_absolute_url()}#before")
    return redirect("care:person", resident_id=plan.resident_id)


@login_required
def visit_detail(request, visit_id):
    scope = get_scope(request)
    visit = get_object_or_404(
        Visit.objects.visible_to(scope).select_related(
            "resident__household", "grid", "visited_by", "patrol"
        ),
        pk=visit_id,
    )
    return render(
        request,
        "care/visit_detail.html",
        {
            "visit": visit,
            "needs": visit.needs.select_related("incident"),
            "history": visit.history.select_related("history_user").order_by("history_date"),
        },
    )


@login_required
def visit_photo(request, visit_id):
    """A visit's photo, to those who may see the visit (photos are not public)."""
    scope = get_scope(request)
    visit = get_object_or_404(Visit.objects.visible_to(scope).exclude(photo=""), pk=visit_id)
    try:
        photo = visit.photo.open("rb")
    except FileNotFoundError:
        raise Http404 from None
    return FileResponse(photo)
