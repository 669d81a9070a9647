"""A member's patrol, on a phone: start, prepare (instructions and key points), record
observations (also offline), complete instructions, submit. And the instructions the station
issues. Every object is reached through the user's scope."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.postgres.expressions import ArraySubquery
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.db.models import Exists, F, OuterRef, Prefetch, Q
from django.db.models.functions import JSONObject
from django.http import FileResponse, Http404, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from care import due as care_due
from gridmgmt import statements
from gridmgmt.arrays import one_of
from grids import pickers
from grids.models import GRID_WORKER_ROLES, Area, Post, User
from grids.once import AlreadySent, once
from grids.paging import paginate
from grids.scope import get_scope
from incidents.calendar import Calendar

from . import services, windows
from .forms import (
    COMPANION_QUERY,
    CompleteInstructionForm,
    InstructionForm,
    ObservationForm,
    StartForm,
    SubmitForm,
    companions_matching,
)
from .models import Instruction, KeyPoint, Observation, Patrol, Slot

# What the outbox script says (it composes no text of its own).
OUTBOX_TEXT = {
    "photo": gettext_lazy("photo"),
    "refused": gettext_lazy("Not accepted"),
    "error": gettext_lazy("Error"),
    "edit": gettext_lazy("Edit and resend"),
    "discard": gettext_lazy("Discard"),
    "confirmDiscard": gettext_lazy("Discard this observation? It has not been sent."),
    "notKept": gettext_lazy("The observation could not be kept on this phone. Try again."),
}


def _patrol(request, patrol_id, annotations=None):
    """The patrol in the user's scope (404 outside it) with its grid, community, schedule,
    member and reviewer, and `annotations` (fixed expressions: their names are the statement's
    key). Runs one query, of a statement compiled once per process for the user's scope and
    the annotations' names (gridmgmt.statements): Django took ~2 ms to compile it, longer
    than PostgreSQL takes to run it, on every member's request of a patrol."""
    scope = get_scope(request)
    annotations = annotations or {}

    def build(values):
        return scope.filter(
            Patrol.objects.select_related(
                "grid__parent__patrol_schedule", "member", "reviewed_by"
            ).annotate(**annotations),
            "grid",
        ).filter(pk=values["pk"])

    found = statements.model_rows(
        ("patrols.views.patrol", tuple(annotations), scope.statement_key),
        build,
        {"pk": patrol_id},
    )
    if not found:
        raise Http404("No Patrol matches the given query.")
    return found[0]


def _page_instructions(grid, patrol):
    """The instructions the patrol's page lists: the grid's open ones and those done on it."""
    return Instruction.objects.filter(Q(completed_at__isnull=True) | Q(patrol=patrol), grid=grid)


# Whether the patrol's page has instructions and observations to list, read on the patrol's
# row: a patrol just started has neither, and the page then reads neither (a statement
# each, ~1 ms of Django and psycopg).
PAGE_HAS = {
    "has_instructions": Exists(_page_instructions(OuterRef("grid"), OuterRef("pk"))),
    "has_observations": Exists(Observation.objects.filter(patrol=OuterRef("pk"))),
}


# What else the patrol's page shows that every patrol has, read on the patrol's row on
# PostgreSQL (arrays, in their order): the community's key points and the grid's buildings
# (the observation form's choices). Two statements fewer (~1 ms of Django and psycopg each).
PAGE_ROWS = {
    "key_point_texts": ArraySubquery(
        KeyPoint.objects.filter(community=OuterRef("grid__parent_id"), is_active=True)
        .order_by("-created_at")
        .values("text")
    ),
    "building_rows": ArraySubquery(
        Area.objects.filter(parent=OuterRef("grid_id"))
        .order_by("code")
        .values(row=JSONObject(pk="pk", name="name"))
    ),
}


def _page_annotations():
    """What the patrol's page reads on the patrol's row: PAGE_HAS, and on PostgreSQL
    PAGE_ROWS."""
    if connection.vendor == "postgresql":
        return {**PAGE_HAS, **PAGE_ROWS}
    return PAGE_HAS


def _own_open_patrol(request, patrol_id, annotations=None):
    patrol = _patrol(request, patrol_id, annotations)
    if patrol.member_id != request.user.pk:
        raise PermissionDenied
    return patrol


def _patrol_grids(scope):
    """The grids where the user patrols: their grid-worker posts."""
    return (
        scope.grids()
        .filter(pk__in=[p.area_id for p in scope.posts if p.role in GRID_WORKER_ROLES])
        .order_by("code")
    )


@login_required
def patrol_list(request):
    scope = get_scope(request)
    patrols = scope.filter(Patrol.objects.for_list(), "grid")
    if not scope.supervises_somewhere():
        # Their own and those they went on: the latter as a subquery, so that no log is
        # listed twice without a DISTINCT (which sorted every row of the member's history,
        # whole, before the page was cut from it).
        went_on = Patrol.companions.through.objects.filter(user=request.user).values("patrol_id")
        patrols = patrols.filter(Q(member=request.user) | Q(pk__in=went_on))
    status = request.GET.get("status")
    http_status = 200
    if status in Patrol.Status.values:
        patrols = patrols.filter(status=status)
    elif status:
        # A state that is none: say so (a 400) and list every log.
        messages.error(
            request,
            _("“%(value)s” is not a state of a log: every log is listed.") % {"value": status[:40]},
        )
        status, http_status = None, 400
    grids = _patrol_grids(scope)
    # With its grid, which the page names: one query.
    open_patrol = (
        Patrol.objects.filter(member=request.user, status=Patrol.Status.IN_PROGRESS)
        .select_related("grid")
        .first()
    )
    return render(
        request,
        "patrols/patrol_list.html",
        {
            # The grids are read only when no patrol is open (none is started then).
            "start_form": StartForm(grids=grids) if not open_patrol and grids else None,
            "open_patrol": open_patrol,
            "statuses": Patrol.Status.choices,
            "status": status,
            **paginate(request, patrols.order_by("-day", "-started_at")),
        },
        status=http_status,
    )


@login_required
@require_POST
def start(request):
    scope = get_scope(request)
    # With the community's schedule, which decides the window: one query.
    grids = _patrol_grids(scope).select_related("parent__patrol_schedule")
    form = StartForm(request.POST, grids=grids)
    if not form.is_valid():
        raise PermissionDenied
    try:
        patrol = services.start_patrol(form.cleaned_data["grid"], by=request.user)
    except services.PatrolError as exc:
        messages.error(request, str(exc))
        return redirect("patrols:list")
    if patrol.is_extra:
        messages.info(
            request,
            _(
                "No patrol window is open now: this is an extra patrol. It is logged and "
                "reviewed like any other but counts for neither window."
            ),
        )
    return redirect(patrol)


@login_required
def detail(request, patrol_id):
    return _render_detail(request, _patrol(request, patrol_id, annotations=_page_annotations()))


def _render_detail(request, patrol, submit_form=None):
    """The patrol's page; `submit_form`, when given, is the member's log form shown again
    (the companion search's button, without JavaScript)."""
    scope = get_scope(request)
    grid = patrol.grid
    is_mine = patrol.member_id == request.user.pk
    today = timezone.localdate()
    # Without the flags (the page shown again after a post), both are read. The
    # instructions' statement compiled once per process (gridmgmt.statements): Django took
    # ~1.5 ms to compile it, its four related rows, on each request.
    instructions = (
        statements.model_rows(
            ("patrols.views.page_instructions",),
            lambda values: (
                _page_instructions(values["grid"], values["patrol"])
                .select_related("household", "resident", "rental__household", "completed_by")
                .order_by("completed_at", "due_on", "pk")
            ),
            {"grid": grid.pk, "patrol": patrol.pk},
        )
        if getattr(patrol, "has_instructions", True)
        else []
    )
    for instruction in instructions:
        instruction.is_late = instruction.is_overdue(today)
        instruction.form = (
            CompleteInstructionForm(instruction=instruction, prefix=f"i{instruction.pk}")
            if is_mine and patrol.is_open and not instruction.completed_at
            else None
        )
    schedule = windows.schedule_for(grid.parent)
    context = {
        "patrol": patrol,
        "is_mine": is_mine,
        "can_review": scope.supervises(grid) and patrol.status == Patrol.Status.SUBMITTED,
        "instructions": instructions,
        # Their texts (PAGE_ROWS), or the key points (each shown as its text).
        "key_points": (
            patrol.key_point_texts
            if hasattr(patrol, "key_point_texts")
            else KeyPoint.objects.filter(community=grid.parent_id, is_active=True)
        ),
        "observations": (
            patrol.observations.select_related("building").annotate(
                incident_number=F("incident__number")
            )
            if getattr(patrol, "has_observations", True)
            else ()
        ),
        "minimum_minutes": schedule.minimum_minutes,
        "companions": patrol.companions.all(),
        # Before: the people of the grid due a visit (care), to visit during the patrol.
        "visits_due": care_due.due_soon(scope, [grid.pk], today)[0],
        "checks": (
            patrol.checks.order_by("pk").prefetch_related(
                Prefetch(
                    "observations",
                    Observation.objects.select_related("incident").order_by("observed_at"),
                ),
                "corrections",
            )
            if patrol.status != Patrol.Status.IN_PROGRESS
            else ()
        ),
    }
    if is_mine and patrol.is_open:
        buildings = getattr(patrol, "building_rows", None)
        context["observation_form"] = ObservationForm(
            grid=grid,
            buildings=None if buildings is None else [(b["pk"], b["name"]) for b in buildings],
        )
        context["outbox_text"] = OUTBOX_TEXT
        context["submit_form"] = submit_form or _submit_form(
            request, patrol, fresh=True, initial={"summary": patrol.summary}
        )
    return render(request, "patrols/patrol_detail.html", context)


def _submit_form(request, patrol, fresh=False, **kwargs):
    """The member's log form. `fresh`: the page drawn afresh, where nobody is named yet and
    nothing is validated: the team's checkboxes come from its rows, of a statement compiled
    once per process (gridmgmt.statements), and the querysets of those who may be named are
    not built (Django took ~2.5 ms to build their subqueries on each member's page)."""
    search_url = reverse("patrols:companions", args=[patrol.pk])
    if not fresh:
        team, others = _team(patrol.grid, request.user)
        return SubmitForm(team=team, others=others, search_url=search_url, **kwargs)
    rows = statements.value_rows(
        ("patrols.views.team",),
        lambda values: _own_team(values["grid"], values["user"]).values_list(*TEAM_COLUMNS),
        {"grid": patrol.grid_id, "user": request.user.pk},
    )
    nobody = User.objects.none()
    return SubmitForm(team=nobody, team_rows=rows, others=nobody, search_url=search_url, **kwargs)


@login_required
@require_GET
def companions(request, patrol_id):
    """The companion search's matches (htmx): people of the patrol's community whom the
    member may name (`_team`; not the grid's own team, which is listed in full), named like
    what was typed, at most grids.pickers.MATCHES; those already ticked are left out. Only for
    the member of the open patrol."""
    patrol = _own_open_patrol(request, patrol_id)
    if not patrol.is_open:
        raise PermissionDenied
    query = (request.GET.get(COMPANION_QUERY) or "").strip()[:100]
    others = _team(patrol.grid, request.user)[1]
    found = companions_matching(
        others, query, exclude=pickers.chosen_ids(request.GET.getlist("other_companions"))
    )
    return render(
        request,
        "patrols/_companion_matches.html",
        {"name": "other_companions", **pickers.search_matches(found, query)},
    )


@login_required
@require_POST
def acknowledge(request, patrol_id):
    patrol = _own_open_patrol(request, patrol_id)
    services.acknowledge_briefing(patrol, by=request.user)
    return redirect(f"{patrol.get_absolute_url()}#during")


@login_required
def observations(request, patrol_id):
    """POST: record an observation (the offline queue sends JSON-accepting requests with a
    client id; a repeat returns the stored one). GET: the list, for refreshing the page."""
    if request.method != "POST":
        patrol = _patrol(request, patrol_id)
        return render(
            request,
            "patrols/_observations.html",
            {
                "observations": patrol.observations.select_related("building").annotate(
                    incident_number=F("incident__number")
                )
            },
        )
    patrol = _own_open_patrol(request, patrol_id)
    form = ObservationForm(request.POST, request.FILES, grid=patrol.grid)
    wants_json = "application/json" in request.headers.get("Accept", "")
    if not form.is_valid():
        if wants_json:
            return JsonResponse(
                {"errors": form.errors.get_json_data(), "reason": _form_reason(form)},
                status=400,
            )
        messages.error(
            request,
            _("The observation was not saved: %(errors)s")
            % {"errors": "; ".join(str(e) for errs in form.errors.values() for e in errs)},
        )
        return redirect(f"{patrol.get_absolute_url()}#during")
    fields = {k: v for k, v in form.cleaned_data.items() if k != "client_id"}
    try:
        observation, created = services.add_observation(
            patrol,
            by=request.user,
            client_id=form.cleaned_data["client_id"],
            **fields,
        )
    except services.PatrolError as exc:
        if wants_json:
            return JsonResponse(
                {"errors": {"__all__": [{"message": str(exc)}]}, "reason": str(exc)}, status=409
            )
        messages.error(request, str(exc))
        return redirect(patrol)
    if wants_json:
        return JsonResponse(
            {"id": observation.pk, "client_id": str(observation.client_id), "created": created},
            status=201 if created else 200,
        )
    messages.success(request, _("Observation recorded."))
    return redirect(f"{patrol.get_absolute_url()}#during")


def _form_reason(form):
    """The form's errors as one sentence for the phone's outbox: "Building: Select a valid
    choice." """
    parts = []
    for name, errors in form.errors.items():
        label = form.fields[name].label if name in form.fields else ""
        text = " ".join(str(e) for e in errors)
        parts.append(f"{label}: {text}" if label else text)
    return " ".join(parts)


@login_required
def observation_photo(request, observation_id):
    """An observation's photo, to those who may see its patrol (photos are not public)."""
    observation = get_scope(request).get(
        Observation.objects.exclude(photo=""), "patrol__grid", pk=observation_id
    )
    try:
        photo = observation.photo.open("rb")
    except FileNotFoundError:
        # The row names a file the storage no longer has: there is no photo to show.
        raise Http404 from None
    return FileResponse(photo)


@login_required
@require_POST
def complete_instruction(request, patrol_id, instruction_id):
    patrol = _own_open_patrol(request, patrol_id)
    instruction = (
        Instruction.objects.filter(grid=patrol.grid, pk=instruction_id)
        .select_related("household", "resident__household", "rental__household")
        .first()
    )
    if instruction is None:
        raise PermissionDenied
    form = CompleteInstructionForm(
        request.POST, instruction=instruction, prefix=f"i{instruction.pk}"
    )
    if form.is_valid():
        try:
            services.complete_instruction(
                instruction,
                patrol=patrol,
                by=request.user,
                outcome=form.cleaned_data["outcome"],
                note=form.cleaned_data["note"],
                corrections=form.corrections(),
            )
            messages.success(request, _("Instruction completed."))
        except services.PatrolError as exc:
            messages.error(request, str(exc))
    else:
        messages.error(request, " ".join(e for errs in form.errors.values() for e in errs))
    return redirect(f"{patrol.get_absolute_url()}#instructions")


@login_required
@require_POST
def submit(request, patrol_id):
    # With what the log has stored (its observations, checks, ...): one statement fewer.
    patrol = _own_open_patrol(request, patrol_id, services.stored_annotations())
    if pickers.is_search(request):
        # The companion search's button (without JavaScript): the page again, with what was
        # entered and the matches.
        initial = pickers.search_initial(request)
        for name in ("companions", "other_companions"):
            initial[name] = request.POST.getlist(name)
        return _render_detail(request, patrol, _submit_form(request, patrol, initial=initial))
    if any(request.POST.getlist(name) for name in ("companions", "other_companions")):
        form = _submit_form(request, patrol, data=request.POST)
    else:
        # Nobody named: there is no team to check them against (a query saved).
        nobody = User.objects.none()
        form = SubmitForm(data=request.POST, team=nobody, others=nobody)
    if not form.is_valid():
        messages.error(
            request,
            _("The log was not submitted: %(errors)s") % {"errors": _form_reason(form)},
        )
        return redirect(f"{patrol.get_absolute_url()}#after")
    try:
        patrol = services.submit_patrol(
            patrol,
            by=request.user,
            summary=form.cleaned_data["summary"],
            companions=form.cleaned_data["companions"],
            unsent=form.cleaned_data["unsent"] or 0,
            checks=form.checks(),
        )
    except services.PatrolError as exc:
        messages.error(request, str(exc))
        return redirect(patrol)
    if patrol.is_all_none:
        messages.warning(
            request,
            _(
                "All four checks are “none” and nothing was observed: the log is marked for "
                "the stationmaster's attention."
            ),
        )
    if patrol.is_short:
        messages.warning(
            request,
            _(
                "Log submitted. It lasted %(minutes)d minutes, less than the minimum: it is "
                "flagged short."
            )
            % {"minutes": patrol.duration_minutes},
        )
    else:
        messages.success(request, _("Log submitted."))
    # The log's page names the next window and links to where it starts, one tap away.
    _tell_next_window(request, patrol.grid)
    return redirect(patrol)


def _tell_next_window(request, grid):
    """A message naming the grid's next patrol window. Runs the calendar's queries."""
    now = timezone.now()
    schedule = windows.schedule_for(grid.parent)
    upcoming = windows.next_window(schedule, now, Calendar.around(now, days=15))
    if upcoming is None:
        return
    day, slot, start, end = upcoming
    messages.info(
        request,
        _("Next patrol window: %(day)s, %(slot)s, %(start)s–%(end)s.")
        % {
            "day": date_format(day, "SHORT_DATE_FORMAT"),
            "slot": Slot(slot).label,
            "start": timezone.localtime(start).strftime("%H:%M"),
            "end": timezone.localtime(end).strftime("%H:%M"),
        },
    )


@login_required
def instruction_list(request):
    scope = get_scope(request)
    instructions = scope.filter(Instruction.objects.all(), "grid").select_related(
        "grid", "household", "resident", "issued_by", "completed_by"
    )
    state = request.GET.get("state", "open")
    if state == "open":
        instructions = instructions.open()
    elif state == "done":
        instructions = instructions.filter(completed_at__isnull=False)
    context = paginate(request, instructions.order_by("completed_at", "due_on", "pk"))
    today = timezone.localdate()
    for instruction in context["page"].object_list:
        instruction.is_late = instruction.is_overdue(today)
    return render(
        request,
        "patrols/instruction_list.html",
        {"state": state, "can_issue": scope.supervises_somewhere(), **context},
    )


@login_required
def instruction_create(request):
    scope = get_scope(request)
    grids = scope.grids().filter(scope.supervised_q()).order_by("code")
    if not grids.exists():
        raise PermissionDenied
    if pickers.is_search(request):
        # The household picker's search button: the form again with the matches.
        form = InstructionForm(grids=grids, initial=pickers.search_initial(request))
    else:
        form = InstructionForm(request.POST or None, grids=grids)
    try:
        if request.method == "POST" and form.is_valid():
            with once(form, by=request.user) as made:
                instruction = form.save(commit=False)
                instruction.issued_by = request.user
                instruction.save()
                made(reverse("patrols:instructions"))
            messages.success(
                request, _("Instruction issued to %(grid)s.") % {"grid": instruction.grid}
            )
            return redirect("patrols:instructions")
    except AlreadySent as sent:
        return sent.response(request)
    return render(request, "patrols/instruction_form.html", {"form": form})


TEAM_COLUMNS = ("pk", "full_name", "username")


def _team(grid, user):
    """Who may be named as `user`'s companions: everyone holding a post (A or B) in the grid's
    community. Two querysets of users, by name: the grid's own team (`_own_team`), and the
    rest of the community. No query; each runs one when evaluated. The rest is only read
    when the member searches it or names one of them."""
    own = Post.objects.order_by().filter(area=grid.pk)
    others = _people(user.pk).filter(_holding(_posts_under(grid.parent))).exclude(_holding(own))
    return _own_team(grid.pk, user.pk), others


def _own_team(grid_id, user_id):
    """The holders of the grid's posts but the user, by name. The posts' holders are read
    first (the area index) and the users by primary key: as a join, or asked as "holds a post
    here", the planner scans every user of the district."""
    return _people(user_id).filter(_holding(Post.objects.order_by().filter(area=grid_id)))


def _people(user_id):
    """The active users but `user_id`, by name."""
    return User.objects.filter(is_active=True).exclude(pk=user_id).order_by("full_name", "username")


def _holding(posts):
    """The condition that a user holds one of `posts` (A or B). Only the holders that are
    there: a null in the array would leave the condition unknown for everyone else, and
    `exclude()` would then drop them all."""
    return one_of("pk", posts.filter(holder_a__isnull=False).values("holder_a_id")) | one_of(
        "pk", posts.filter(holder_b__isnull=False).values("holder_b_id")
    )


def _posts_under(area):
    """The open posts in `area` and below. No query. On PostgreSQL the area's few hundred
    areas are read first (the path index) and their posts then by the area index: as a join,
    the planner hashes every open post of the district (29,000 at district scale: 3.2 ms,
    against 0.3 ms so)."""
    areas = Area.objects.filter(path__startswith=area.path).values("pk").order_by()
    return Post.objects.order_by().filter(one_of("area_id", areas))
