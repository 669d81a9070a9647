"""An incident's page and the steps taken on it. Every incident is reached through
`Incident.objects.visible_to(scope)`: outside the user's areas, or a sensitive incident they
may not see, is a 404."""

import datetime

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Exists, OuterRef, Prefetch, prefetch_related_objects
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from gridmgmt import statements
from grids import pickers
from grids.identity import mask_phone
from grids.models import Post, Resident
from grids.scope import get_scope
from meetings.models import ActionItem
from patrols.models import Observation
from places.models import PlaceIncident
from residents.services import more_photo_ids

from . import services, workflow
from .forms import (
    PARTY_QUERY,
    DecisionForm,
    ExtensionForm,
    HandoverAnswerForm,
    HandoverForm,
    MediationForm,
    PauseForm,
    StepForm,
    SuperviseForm,
    dispute_residents,
    parties_matching,
)
from .models import Extension, Handover, Incident, TimelineEntry

NOTE_LENGTH = SuperviseForm.base_fields["note"].max_length


POST_WITH_HOLDERS = Prefetch(
    "post", queryset=Post.all_posts.select_related("area", "holder_a", "holder_b")
)


def _incident(request, number, *, related=(), prefetch=(), annotations=None):
    """The incident as the user may see it, with what every step's checks read joined in
    (its grid and the grid's community, category, handler and first-responsible person, and
    `related`), and its post with the post's area and holders when it has one. One query,
    two with a post, plus one for each relation in `prefetch` that is set. `annotations`:
    expressions read on the incident's row too."""
    # Read as a list, not with get(): get()'s LIMIT has PostgreSQL weigh fast-start plans for
    # the dozen tables the page joins, 4.5-8 ms of planning against 2 ms without it (the
    # number is unique: one row or none).
    # The statement is compiled once per process for the user's scope and what `related`
    # and `annotations` name (gridmgmt.statements): Django took ~3 ms to compile it on every
    # request, longer than PostgreSQL takes to run it.
    scope = get_scope(request)
    annotations = annotations or {}

    def build(values):
        return (
            Incident.objects.visible_to(scope)
            .select_related("grid__parent", "category", "handler", "first_responsible", *related)
            .filter(number=values["number"])
            .annotate(**annotations)
            .order_by()
        )

    found = statements.model_rows(
        ("incidents.views.incident", tuple(related), tuple(annotations), scope.statement_key),
        build,
        {"number": number},
    )
    if not found:
        raise Http404
    incident = found[0]
    # Only what is set: an unset relation reads as None without a query.
    lookups = [POST_WITH_HOLDERS, *prefetch]
    prefetch_related_objects(
        [incident], *[lookup for lookup in lookups if _is_set(incident, lookup)]
    )
    return incident


def _is_set(incident, lookup):
    name = getattr(lookup, "prefetch_through", lookup).split("__")[0]
    return getattr(incident, Incident._meta.get_field(name).attname) is not None


# What the incident's page shows besides what `_incident` reads: joined, what every
# incident has or may have on its own row's side; the rest, unset on most incidents, read by
# primary key only when set. All 25 tables joined in
# one query took PostgreSQL 10-45 ms to plan and under 1 ms to run.
DETAIL_JOINED = ("reported_by", "building")
DETAIL_PREFETCHED = (
    "household",
    "covered_for",
    "duplicate_of",
    Prefetch(
        "reporter_resident",
        queryset=Resident._base_manager.select_related("household__grid"),
    ),
    Prefetch("observation", queryset=Observation._base_manager.select_related("patrol")),
)


def _pending_handovers():
    return Handover.objects.filter(accepted_at__isnull=True, declined_at__isnull=True)


# Whether the incident has what the page lists below it, read on the incident's row (three
# index probes): most incidents have no extension, no pending handover and no parties, and
# the page then reads none of them (a statement each, ~1 ms of Django and psycopg).
DETAIL_HAS = {
    "has_extensions": Exists(Extension.objects.filter(incident=OuterRef("pk"))),
    "has_pending_handover": Exists(_pending_handovers().filter(incident=OuterRef("pk"))),
    "has_parties": Exists(Incident.parties.through.objects.filter(incident=OuterRef("pk"))),
    # The meeting's action item it came from and the place it is linked to, few incidents
    # have: flagged too and read only when there is one (joined, their four tables took a
    # third of the query's planning).
    "has_action_item": Exists(ActionItem._base_manager.filter(incident=OuterRef("pk"))),
    "has_place_link": Exists(PlaceIncident._base_manager.filter(incident=OuterRef("pk"))),
}
DETAIL_REVERSE = {
    "has_action_item": Prefetch(
        "action_item", queryset=ActionItem._base_manager.select_related("meeting")
    ),
    "has_place_link": Prefetch(
        "place_link", queryset=PlaceIncident._base_manager.select_related("place")
    ),
}


def _read_reverse(incident):
    """The incident's action item and place link when its row says it has them (a query
    each); otherwise none, known without a query."""
    for flag, lookup in DETAIL_REVERSE.items():
        if getattr(incident, flag):
            prefetch_related_objects([incident], lookup)
        else:
            getattr(Incident, lookup.prefetch_to).related.set_cached_value(incident, None)


@login_required
def detail(request, incident_number):
    return _render_detail(request, incident_number)


def _render_detail(request, incident_number, mediation_form=None):
    """The incident's page; `mediation_form`, when given, is the mediation form shown again
    (the party search's button, without JavaScript)."""
    incident = _incident(
        request,
        incident_number,
        related=DETAIL_JOINED,
        prefetch=DETAIL_PREFETCHED,
        annotations=DETAIL_HAS,
    )
    _read_reverse(incident)
    scope = get_scope(request)
    user = request.user
    supervises = scope.supervises(incident.grid)
    is_handler = workflow.is_acting_handler(incident, user)
    steps = workflow.available_steps(incident, user, scope) if incident.status else []
    # One form for the steps' fields, each step's drawn with ids of its own.
    step_form = StepForm(incident=incident) if steps else None
    pending = None
    if incident.has_pending_handover:
        pending = _pending_handovers().filter(incident=incident)
        pending = pending.select_related("to_user", "from_user").first()
    reporter_phone = incident.reporter_phone
    # A resident's own contact phone (the public page) is the station's to see in full.
    sees_phone = (
        supervises
        if incident.source == Incident.Source.RESIDENT
        else scope.sees_phones(incident.grid)
    )
    if reporter_phone and not sees_phone:
        reporter_phone = mask_phone(reporter_phone)
    context = {
        "incident": incident,
        "light": incident.light(),
        "closed_light": incident.closed_light(),
        "source": _source(incident, scope),
        "now": timezone.now(),
        # Each step's form has its own ids, so each label names its own field.
        "steps": [(s, step_form.with_ids(f"id_{s.name}_%s")) for s in steps],
        "timeline": _timeline(incident),
        "pending_handover": pending,
        "reporter_phone": reporter_phone,
        "extensions": (
            incident.extensions.select_related("requested_by", "decided_by")
            if incident.has_extensions
            else ()
        ),
        "can_pause": incident.is_open and (supervises or is_handler),
        "can_extend": incident.is_open and is_handler,
        "supervises": supervises,
        "can_hand_over": incident.is_open
        and incident.first_responsible_id == user.pk
        and pending is None,
        "parties": incident.parties.select_related("household") if incident.has_parties else (),
        "duplicates": _possible_duplicates(incident, scope),
        # A resident's photos beyond the first (which is the incident's own photo).
        "resident_photos": (
            more_photo_ids(incident) if incident.source == Incident.Source.RESIDENT else []
        ),
    }
    if context["can_pause"]:
        context["pause_form"] = PauseForm(auto_id="id_pause_%s")
    if context["can_extend"]:
        context["extension_form"] = ExtensionForm(auto_id="id_extension_%s")
    if context["can_hand_over"]:
        context["handover_form"] = HandoverForm(incident=incident, auto_id="id_handover_%s")
    if incident.category.is_dispute and incident.is_open and (supervises or is_handler):
        context["mediation_form"] = mediation_form or MediationForm(
            instance=incident, search_url=_parties_url(incident)
        )
    return render(request, "incidents/incident_detail.html", context)


def _timeline(incident):
    """The incident's timeline with who took each step. Runs one query, of a statement
    compiled once per process (gridmgmt.statements): Django took ~1 ms to compile it, for a
    few rows."""
    return statements.model_rows(
        ("incidents.views.timeline",),
        lambda values: TimelineEntry.objects.filter(incident=values["incident"]).select_related(
            "by"
        ),
        {"incident": incident.pk},
    )


def _parties_url(incident):
    return reverse("incidents:parties", args=[incident.number])


def _may_mediate(request, incident, scope):
    return incident.category.is_dispute and (
        scope.supervises(incident.grid) or workflow.is_acting_handler(incident, request.user)
    )


def _possible_duplicates(incident, scope):
    """While an incident waits to be taken, the open ones like it (services
    .possible_duplicates) the user may see, as the report form shows them: a queryset,
    one query (a statement compiled once per process for the user's scope: gridmgmt
    .statements), none otherwise."""
    if incident.status not in {Incident.Status.REPORTED, Incident.Status.ACCEPTED}:
        return []
    has_building = incident.building_id is not None

    def build(values):
        same = services.possible_duplicates(
            values["grid"],
            values["category"],
            values["building"] if has_building else None,
            since=values["since"],
        )
        return (
            Incident.objects.visible_to(scope)
            .filter(pk__in=same.exclude(pk=values["pk"]).values("pk"))
            .select_related("building")
            # What incidents/_duplicates.html shows of each.
            .only("number", "title", "filed_at", "status", "building__name")
            .order_by("-filed_at")[:10]
        )

    return statements.model_rows(
        ("incidents.views.duplicates", has_building, scope.statement_key),
        build,
        {
            "grid": incident.grid_id,
            "category": incident.category_id,
            "building": incident.building_id or 0,
            "pk": incident.pk,
            "since": timezone.now() - datetime.timedelta(days=services.DUPLICATE_DAYS),
        },
    )


def _source(incident, scope):
    """Where the incident came from, for its page: the patrol log and observation (with its
    photo, served through the scoped photo view), the meeting's action item, or the resident
    who reported it. No query: `_incident` selected them."""
    observation = incident.observation
    item = getattr(incident, "action_item", None)
    resident = incident.reporter_resident
    return {
        "observation": observation,
        "patrol": observation.patrol if observation else None,
        "photo_url": (
            reverse("patrols:observation_photo", args=[observation.pk])
            if observation and observation.photo
            else ""
        ),
        "action_item": item,
        "resident": resident,
        "household_url": (
            resident.household.get_absolute_url()
            if resident and scope.contains(resident.household.grid)
            else ""
        ),
    }


@login_required
@require_POST
def step(request, incident_number, step_name):
    incident = _incident(request, incident_number)
    scope = get_scope(request)
    if step_name not in workflow.STEPS or not workflow.may_take(
        workflow.STEPS[step_name], incident, request.user, scope
    ):
        raise PermissionDenied
    form = StepForm(request.POST, incident=incident)
    form.is_valid()
    data = form.cleaned_data
    duplicate_of = None
    if step_name == "mark_duplicate" and data.get("duplicate_number"):
        duplicate_of = (
            Incident.objects.visible_to(get_scope(request))
            .filter(number=data["duplicate_number"].strip())
            .first()
        )
    try:
        services.take_step(
            incident,
            step_name,
            by=request.user,
            scope=get_scope(request),
            note=data.get("note", ""),
            post=data.get("post"),
            satisfaction=data.get("satisfaction", ""),
            department=data.get("department", ""),
            duplicate_of=duplicate_of,
        )
        messages.success(request, _("Done: %(step)s.") % {"step": workflow.STEPS[step_name].label})
    except services.InvalidTransition as exc:
        messages.error(request, str(exc))
    return redirect(incident)


@login_required
@require_POST
def pause(request, incident_number):
    incident = _incident(request, incident_number)
    scope = get_scope(request)
    if not (scope.supervises(incident.grid) or workflow.is_acting_handler(incident, request.user)):
        raise PermissionDenied
    if incident.is_paused:
        _run(request, services.resume, incident, by=request.user, done=_("The clock runs again."))
        return redirect(incident)
    form = PauseForm(request.POST)
    if form.is_valid():
        _run(
            request,
            services.pause,
            incident,
            by=request.user,
            reason=form.cleaned_data["reason"],
            until=form.cleaned_data["until"],
            done=_("The clock is stopped."),
        )
    elif "until" in form.errors:
        messages.error(request, form.errors["until"][0])
    else:
        messages.error(request, _("Say why the clock stops."))
    return redirect(incident)


@login_required
@require_POST
def extension(request, incident_number):
    incident = _incident(request, incident_number)
    form = ExtensionForm(request.POST)
    if form.is_valid():
        _run(
            request,
            services.request_extension,
            incident,
            by=request.user,
            hours=form.cleaned_data["hours"],
            reason=form.cleaned_data["reason"],
            done=_("More time was asked for; the station decides."),
        )
    else:
        messages.error(request, _("Give the extra hours and a reason."))
    return redirect(incident)


@login_required
@require_POST
def decide_extension(request, incident_number, extension_id):
    incident = _incident(request, incident_number)
    extension = get_object_or_404(Extension, pk=extension_id, incident=incident)
    form = DecisionForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose whether to approve or refuse."))
        return redirect(incident)
    approve = form.cleaned_data["decision"]
    _run(
        request,
        services.decide_extension,
        extension,
        by=request.user,
        scope=get_scope(request),
        approve=approve,
        done=_("Extension approved.") if approve else _("Extension refused."),
    )
    return redirect(incident)


@login_required
@require_POST
def supervise(request, incident_number):
    incident = _incident(request, incident_number)
    form = SuperviseForm(request.POST)
    if not form.is_valid():
        # Refused with its limit, never cut.
        note = form.data.get("note", "")
        messages.error(
            request,
            _("A note is at most %(limit)d characters; this one has %(count)d.")
            % {"limit": NOTE_LENGTH, "count": len(note)},
        )
        return redirect(incident)
    note = form.cleaned_data["note"]
    _run(
        request,
        services.supervise,
        incident,
        by=request.user,
        scope=get_scope(request),
        note=note,
        done=_("The handler was urged."),
    )
    return redirect(incident)


@login_required
@require_POST
def return_to_holder(request, incident_number):
    incident = _incident(request, incident_number)
    scope = get_scope(request)
    if not scope.supervises(incident.grid):
        raise PermissionDenied
    _run(
        request,
        services.return_incident_to_holder,
        incident,
        by=request.user,
        scope=scope,
        done=_("Returned to the post's A holder."),
    )
    return redirect(incident)


@login_required
@require_POST
def handover(request, incident_number):
    incident = _incident(request, incident_number)
    form = HandoverForm(request.POST, incident=incident)
    if form.is_valid():
        _run(
            request,
            services.request_handover,
            incident,
            by=request.user,
            to=form.cleaned_data["to"],
            note=form.cleaned_data["note"],
            done=_("Handover offered. You stay responsible until it is accepted."),
        )
    else:
        messages.error(request, _("Choose who to hand it over to."))
    return redirect(incident)


@login_required
@require_POST
def answer_handover(request, incident_number, handover_id):
    incident = _incident(request, incident_number)
    handover = get_object_or_404(Handover, pk=handover_id, incident=incident)
    form = HandoverAnswerForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose whether to accept or decline."))
        return redirect(incident)
    accept = form.cleaned_data["decision"]
    _run(
        request,
        services.answer_handover,
        handover,
        by=request.user,
        accept=accept,
        done=_("You are now first-responsible.") if accept else _("Handover declined."),
    )
    return redirect(incident)


@login_required
@require_POST
def mediation(request, incident_number):
    incident = _incident(request, incident_number)
    if not _may_mediate(request, incident, get_scope(request)):
        raise PermissionDenied
    if pickers.is_search(request):
        # The party search's button (without JavaScript): the page again, with the matches.
        form = MediationForm(
            instance=incident,
            initial={
                "parties": request.POST.getlist("parties"),
                "mediation": request.POST.get("mediation", ""),
                "is_mediated": request.POST.get("is_mediated"),
            },
            search_url=_parties_url(incident),
            query=request.POST.get(PARTY_QUERY, ""),
        )
        return _render_detail(request, incident_number, mediation_form=form)
    form = MediationForm(request.POST, instance=incident)
    if form.is_valid():
        services.record_mediation(incident, by=request.user, **form.cleaned_data)
        messages.success(request, _("Mediation recorded."))
    else:
        messages.error(request, _("The mediation was not saved: check the parties."))
    return redirect(incident)


@login_required
@require_GET
def parties(request, incident_number):
    """The party search's matches (htmx): current residents of the dispute's grid (of its
    building, when it names one) matching what was typed, at most grids.pickers.MATCHES; those
    already ticked are left out. For whoever may record the mediation."""
    incident = _incident(request, incident_number)
    if not _may_mediate(request, incident, get_scope(request)):
        raise PermissionDenied
    query = (request.GET.get(PARTY_QUERY) or "").strip()[:100]
    chosen = pickers.chosen_ids(request.GET.getlist("parties"))
    found = parties_matching(dispute_residents(incident), query, exclude=chosen)
    return render(
        request,
        "incidents/_party_matches.html",
        {"name": "parties", **pickers.search_matches(found, query)},
    )


def _run(request, service, *args, done, **kwargs):
    try:
        service(*args, **kwargs)
        messages.success(request, done)
    except services.InvalidTransition as exc:
        messages.error(request, str(exc))
