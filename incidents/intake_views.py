"""Reporting incidents (by the desk, a grid worker, or one tap from a patrol observation) and
the incident lists. Every incident is listed through `Incident.objects.visible_to(scope)`."""

import uuid

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.http import FileResponse, Http404, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from gridmgmt import statements
from grids import pickers
from grids.models import GRID_WORKER_ROLES, SUPERVISOR_ROLES, Area, Role
from grids.once import AlreadySent, once
from grids.paging import paginate
from grids.posts import posts_covered_by
from grids.scope import get_scope
from patrols.models import Observation
from patrols.views import _form_reason
from places.services import name_place

from . import services
from .intake_forms import (
    IncidentFilter,
    ReportForm,
    TeamReportForm,
    keeps_register,
    reporting_grids,
)
from .models import Category, Handover, Incident

VIEWS = [
    ("mine", gettext_lazy("Mine")),
    ("grid", gettext_lazy("My grid")),
    ("community", gettext_lazy("My community")),
]

# An observation's category and the incident category (by code) it becomes.
OBSERVATION_CATEGORIES = {
    Observation.Category.SANITATION: "sanitation",
    Observation.Category.SECURITY: "security",
    Observation.Category.FACILITY: "facility",
    Observation.Category.DISPUTE: "dispute",
    Observation.Category.POPULATION: "population",
    Observation.Category.DEMAND: "demand",
    Observation.Category.OTHER: "other",
}


# A team post's tabs (see IncidentQuerySet.visible_to): what they reported; what they were
# asked to help with (they handle it, are offered or took over its first-question
# responsibility, or own the meeting's action item that became it); for community police,
# the public-security incidents of their grids.
TEAM_VIEWS = [
    ("reported", gettext_lazy("I reported")),
    ("asked", gettext_lazy("Asked to help")),
]
POLICE_VIEW = ("security", gettext_lazy("Public security"))


def _views(scope):
    """The tabs the user's posts offer, the default first. No query."""
    if keeps_register(scope):
        return VIEWS
    if any(post.role == Role.COMMUNITY_POLICE for post in scope.posts):
        return [POLICE_VIEW, *TEAM_VIEWS]
    return TEAM_VIEWS


def _tab_filter(view, scope, covered=None):
    """The rows of a tab: mine (handler or first-responsible, and the posts I cover today:
    `covered`, grids.posts.posts_covered_by), my grid-worker posts' grids, or the
    communities I supervise and my grids' communities. No query."""
    user = scope.user
    if view == "mine":
        return Q(pk__in=Incident.objects.mine(scope, covered=covered).values("pk"))
    if view == "reported":
        return Q(reported_by=user)
    if view == "asked":
        offered = Handover.objects.filter(
            to_user=user, accepted_at__isnull=True, declined_at__isnull=True
        ).values("incident")
        return (
            Q(handler=user)
            | Q(action_item__owner=user)
            | Q(pk__in=offered)
            | (Q(first_responsible=user) & ~Q(reported_by=user))
        )
    if view == "security":
        return Q(category__is_public_security=True)
    condition = Q(pk__in=[])
    for post in scope.posts:
        if view == "grid":
            if post.role in GRID_WORKER_ROLES:
                condition |= Q(grid=post.area_id)
        elif post.role in SUPERVISOR_ROLES:
            condition |= Q(grid__path__startswith=post.area.path)
        elif post.area.kind == Area.Kind.GRID:
            condition |= Q(grid__parent=post.area.parent_id)
        elif post.area.kind == Area.Kind.COMMUNITY:
            condition |= Q(grid__parent=post.area_id)
    if view == "community" and scope.is_global:
        return Q()
    return condition


@login_required
def incident_list(request):
    """Runs: the scope's posts, the page and its count, the category choices."""
    scope = get_scope(request)
    views = _views(scope)
    view = request.GET.get("view")
    if view not in dict(views):
        view = views[0][0]
    now = timezone.now()
    # "Mine" names the posts the user covers today (read by a query of its own when the
    # user is a B holder or a stationmaster): they are written into the list's statement.
    covered = tuple(posts_covered_by(scope.user, scope.posts)) if view == "mine" else ()
    incidents = (
        Incident.objects.visible_to(scope).filter(_tab_filter(view, scope, covered)).for_rows()
    )
    filterset = IncidentFilter(request.GET, queryset=incidents, now=now)
    rows = filterset.qs
    if filterset.is_valid():
        key = ("incidents.list", view, scope.statement_key, covered, _filters(filterset))
        rows = ListRows(rows, key)
    context = paginate(request, rows)
    for incident in context["page"].object_list:
        incident.light_now = incident.light(now)
    return render(
        request,
        "incidents/incident_list.html",
        {
            "views": views,
            "view": view,
            "filter": filterset,
            "filter_query": _without(request.GET, "view", "page"),
            "can_report": _can_report(scope),
            **context,
        },
    )


def _filters(filterset):
    """What the valid filter form asks for, for the key of the list's statement."""
    return tuple(
        (name, getattr(value, "pk", value if not isinstance(value, list) else tuple(value)))
        for name, value in sorted(filterset.form.cleaned_data.items())
    )


class ListRows:
    """A list's rows for the paginator: counted by the queryset, each page read by a
    statement compiled once per process for `key` (what the queryset depends on besides the
    rows: the tab, the user's scope, the filters) and the page's bounds
    (gridmgmt.statements.model_rows): Django took about a millisecond to compile the page's
    joins and the scope's conditions on every request. A list filtered by a moment of the
    clock (a light) is compiled on every request, as before."""

    def __init__(self, queryset, key):
        self.queryset = queryset
        self.key = key

    def count(self):
        return self.queryset.count()

    def __getitem__(self, index):
        start, stop = index.start or 0, index.stop
        return statements.model_rows(
            (*self.key, start, stop), lambda values: self.queryset[start:stop], {}
        )


# The phone's outbox (static/js/patrol-outbox.js) on the team's report page.
TEAM_OUTBOX_TEXT = {
    "photo": gettext_lazy("photo"),
    "refused": gettext_lazy("Not accepted"),
    "error": gettext_lazy("Error"),
    "edit": gettext_lazy("Edit and resend"),
    "discard": gettext_lazy("Discard"),
    "confirmDiscard": gettext_lazy("Discard this report? It has not been sent."),
    "notKept": gettext_lazy("The report could not be kept on this phone. Try again."),
}
RECENT_LIMIT = 5


@login_required
def report(request):
    """Supervisors and grid workers file with the desk's full form (who reports, which
    household); a team post (TEAM_ROLES) with the short one: place, text and a photo."""
    scope = get_scope(request)
    if not keeps_register(scope):
        return _team_report(request, scope)
    initial = {}
    if request.GET.get("grid"):
        initial["grid"] = request.GET["grid"]
    if request.GET.get("place", "").isdigit():
        initial["place"] = request.GET["place"]
    if pickers.is_search(request):
        # A picker's search button: the form again with the matches, unvalidated.
        form = ReportForm(scope=scope, initial=pickers.search_initial(request))
    else:
        form = ReportForm(request.POST or None, scope=scope, initial=initial)
    if not form.fields["grid"].queryset.exists():
        raise PermissionDenied
    try:
        if request.method == "POST" and form.is_bound and form.is_valid():
            with once(form, by=request.user) as made:
                incident = services.open_incident(by=request.user, **form.incident_fields())
                if form.cleaned_data.get("place"):
                    name_place(incident, form.cleaned_data["place"])
                response = _after_filing(incident, scope)
                made(response.url)
            messages.success(request, _("Incident %(number)s filed.") % {"number": incident.number})
            return response
    except AlreadySent as sent:
        return sent.response(request, fallback="incidents:list")
    return render(request, "incidents/report_form.html", {"form": form})


def _team_report(request, scope):
    """The short form. It also takes the phone outbox's sendings: a JSON-accepting POST
    whose `client_id` stands for the form's one-time token, so a report sent twice is filed
    once; a refusal answers 400 with the reason, for the outbox to show. `?recent=1` is the
    list of the user's latest reports, which the outbox refreshes after sending."""
    if request.GET.get("recent"):
        return render(request, "incidents/_team_recent.html", {"incidents": _recent(scope)})
    data = None
    if request.method == "POST":
        data = request.POST.copy()
        client_id = data.get("client_id", "")
        if _is_uuid(client_id):
            data["once"] = client_id
    form = TeamReportForm(data, request.FILES or None, scope=scope)
    if not form.fields["grid"].queryset.exists():
        raise PermissionDenied
    wants_json = "application/json" in request.headers.get("Accept", "")
    try:
        if form.is_bound and form.is_valid():
            with once(form, by=request.user) as made:
                incident = services.open_incident(by=request.user, **form.incident_fields())
                response = _after_filing(incident, scope)
                made(response.url)
            if wants_json:
                return JsonResponse({"number": incident.number, "created": True}, status=201)
            messages.success(request, _("Incident %(number)s filed.") % {"number": incident.number})
            return response
    except AlreadySent as sent:
        if wants_json:
            return JsonResponse({"created": False})
        return sent.response(request, fallback="incidents:list")
    if form.is_bound and wants_json:
        return JsonResponse(
            {"errors": form.errors.get_json_data(), "reason": _form_reason(form)}, status=400
        )
    return render(
        request,
        "incidents/report_team.html",
        {"form": form, "outbox_text": TEAM_OUTBOX_TEXT, "incidents": _recent(scope)},
    )


def _recent(scope):
    """The user's latest reports that they may still open. Runs one query."""
    return list(
        Incident.objects.visible_to(scope)
        .filter(reported_by=scope.user)
        .select_related("category", "grid")
        .order_by("-filed_at")[:RECENT_LIMIT]
    )


def _is_uuid(value):
    try:
        uuid.UUID(str(value))
    except ValueError:
        return False
    return True


@login_required
@require_GET
def photo(request, incident_number):
    """An incident's photo, to those who may open the incident (photos are not public)."""
    incident = get_object_or_404(
        Incident.objects.visible_to(get_scope(request)).exclude(photo=""),
        number=incident_number,
    )
    try:
        return FileResponse(incident.photo.open("rb"))
    except FileNotFoundError:
        raise Http404 from None


def _after_filing(incident, scope):
    """To the new incident, unless it is sensitive and the reporter may not follow it."""
    if Incident.objects.visible_to(scope).filter(pk=incident.pk).exists():
        return redirect(incident)
    return redirect("incidents:list")


@login_required
@require_GET
def duplicates(request):
    """Possible duplicates of what is being reported, for the report form (htmx). Nothing
    outside the user's scope, and no sensitive incident they may not see."""
    scope = get_scope(request)
    found = Incident.objects.none()
    grid = _pk_in(reporting_grids(scope), request.GET.get("grid"))
    category = _pk_in(Category.objects.all(), request.GET.get("category"))
    if grid and category:
        building = _pk_in(Area.objects.filter(parent=grid), request.GET.get("building"))
        same = services.possible_duplicates(grid, category, building)
        found = (
            Incident.objects.visible_to(scope)
            .filter(pk__in=same.values("pk"))
            .select_related("handler", "building")
            .order_by("-filed_at")[:10]
        )
    return render(request, "incidents/_duplicates.html", {"incidents": found})


@login_required
@require_POST
def from_observation(request, observation_id):
    """One tap: the observation becomes an incident of its patrol's grid (or, if it already
    is one, the tap leads to it)."""
    scope = get_scope(request)
    observation = scope.get(
        Observation.objects.select_related("patrol__grid", "building"),
        "patrol__grid",
        pk=observation_id,
    )
    patrol = observation.patrol
    if patrol.member_id != request.user.pk and not scope.supervises(patrol.grid):
        raise PermissionDenied
    existing = Incident.objects.filter(observation=observation).first()
    if existing is not None:
        return redirect(existing)
    category = (
        Category.objects.filter(code=OBSERVATION_CATEGORIES.get(observation.category)).first()
        or Category.objects.order_by("pk").first()
    )
    if category is None:
        messages.error(request, _("No incident categories are set up yet."))
        return redirect(patrol)
    description = observation.text
    if observation.place:
        description = f"{observation.place}: {description}"
    try:
        with transaction.atomic():
            incident = services.open_incident(
                grid=patrol.grid,
                category=category,
                by=request.user,
                title=_title(observation.text),
                description=description,
                source=Incident.Source.PATROL,
                building=observation.building,
                observation=observation,
            )
    except IntegrityError:
        # A second tap that raced the first: the first one's incident stands.
        return redirect(Incident.objects.get(observation=observation))
    messages.success(request, _("Incident %(number)s filed.") % {"number": incident.number})
    return _after_filing(incident, scope)


def _title(text, length=200):
    first = text.strip().splitlines()[0] if text.strip() else ""
    return first if len(first) <= length else first[: length - 1] + "…"


def _pk_in(queryset, value):
    try:
        return queryset.filter(pk=int(value)).first() if value else None
    except (TypeError, ValueError):
        return None


def _can_report(scope):
    """Every post may report a matter in its area (a team post with the short form)."""
    return scope.is_global or bool(scope.posts)


def _without(params, *names):
    params = params.copy()
    for name in names:
        params.pop(name, None)
    return params.urlencode()
