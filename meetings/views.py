"""The meetings list and a meeting's page: its agenda, attendance, minutes and decisions,
action items, and closing it.

Every meeting is reached through `Meeting.objects.visible_to(scope, user)`: the supervisors
of its community and its participants read it; anyone else gets a 404. Only the community's
supervisors (its stationmaster, or the street and district above) change it."""

import datetime

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import connection, transaction
from django.db.models import BooleanField, Exists, ExpressionWrapper, OuterRef, Q, Value
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.template.backends.utils import csrf_input
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from gridmgmt import statements
from grids.models import Area, Post, Role
from grids.once import FIELD as ONCE
from grids.once import AlreadySent, once
from grids.paging import paginate
from grids.scope import get_scope
from incidents.models import Incident

from . import services
from .forms import (
    ActionItemForm,
    AgendaItemForm,
    AttendanceForm,
    DoneForm,
    IncidentFromActionForm,
    MeetingFilterForm,
    MinutesForm,
    MoveForm,
    NewAgendaItemForm,
    Roster,
)
from .gridreports import report_rows_for_meeting
from .instances import maker, person_of
from .models import ActionItem, AgendaItem, Kind, Meeting, Participant
from .widgets import AgendaRows, AttendanceRows


def _visible(request):
    return Meeting.objects.visible_to(get_scope(request), request.user)


# The largest id a bigint holds: past it, no meeting (a bound statement would fail on it,
# where Django's lookup finds nothing).
LARGEST_ID = 2**63 - 1


def _meeting(request, meeting_id):
    """The meeting with the id, if the user sees it (`_visible`); else 404. Runs one query,
    of a statement compiled once per process for the user's scope and bound to the id
    (gridmgmt.statements.model_rows)."""
    scope = get_scope(request)
    found = []
    if meeting_id <= LARGEST_ID:
        found = statements.model_rows(
            ("meetings.views.meeting", scope.statement_key),
            lambda values: (
                Meeting.objects.visible_to(scope, request.user)
                .select_related("community", "closed_by")
                .filter(pk=values["meeting"])
            ),
            {"meeting": meeting_id},
        )
    if not found:
        raise Http404(f"No {Meeting._meta.object_name} matches the given query.")
    return found[0]


def _require_supervisor(request, meeting):
    if not get_scope(request).supervises(meeting.community):
        raise PermissionDenied


def _editable_meeting(request, meeting_id):
    meeting = _meeting(request, meeting_id)
    _require_supervisor(request, meeting)
    return meeting


def _agenda_item(request, agenda_item_id):
    item = get_object_or_404(
        AgendaItem.objects.select_related("meeting__community").filter(
            meeting__in=_visible(request)
        ),
        pk=agenda_item_id,
    )
    _require_supervisor(request, item.meeting)
    return item


def _action_item(request, action_item_id):
    """An action item of a meeting the user sees, or one they own."""
    return get_object_or_404(
        ActionItem.objects.select_related("meeting__community", "grid").filter(
            Q(meeting__in=_visible(request)) | Q(owner=request.user)
        ),
        pk=action_item_id,
    )


def _back(meeting, anchor=""):
    return redirect(meeting.get_absolute_url() + (f"#{anchor}" if anchor else ""))


def _run(request, action, *args, done="", **kwargs):
    """Call a service; say what happened, or why it could not."""
    try:
        result = action(*args, **kwargs)
    except services.MeetingError as exc:
        messages.error(request, str(exc))
        return None
    if done:
        messages.success(request, done)
    return result


def _run_once(request, form, action, meeting, *, done, made):
    """`_run` a creation service with the form's fields, once for the form's token
    (grids.once): a second sending raises AlreadySent. `made` is the address a second
    sending is shown. Nothing is kept when the service refuses."""
    fields = {k: v for k, v in form.cleaned_data.items() if k != ONCE}
    with once(form, by=request.user) as record:
        result = _run(request, action, meeting, by=request.user, done=done, **fields)
        if result is None:
            transaction.set_rollback(True)  # free the token: the form may be sent again
        else:
            record(made)
    return result


# --- The list ---


@login_required
def meeting_list(request):
    form = MeetingFilterForm(request.GET)
    form.is_valid()
    when = form.cleaned_data.get("when") or "upcoming"
    kind = form.cleaned_data.get("kind")
    now = timezone.now()
    meetings = _visible(request).select_related("community")
    if kind:
        meetings = meetings.filter(kind=kind)
    if when == "upcoming":
        meetings = meetings.upcoming(now)
    else:
        meetings = meetings.filter(
            Q(ends_at__lt=now) | ~Q(status=Meeting.Status.SCHEDULED)
        ).order_by("-starts_at")
    return render(
        request,
        "meetings/meeting_list.html",
        {
            "form": form,
            "when": when,
            "kind": kind or "",
            "kinds": Kind.choices,
            "whens": MeetingFilterForm.WHEN,
            "now": now,
            "supervises": get_scope(request).supervises_somewhere(),
            **paginate(request, meetings),
        },
    )


# --- A meeting's page ---


@login_required
def detail(request, meeting_id):
    meeting = _meeting(request, meeting_id)
    services.ensure_agenda(meeting)
    return render(request, "meetings/meeting_detail.html", _context(request, meeting))


def _context(request, meeting, **forms):
    """Everything the meeting's page shows. Runs a fixed number of queries: participants,
    agenda, action items, and for a supervisor the roster and the grids (once for the grid
    list and the action item form's choices), and for a monthly meeting the grid reports."""
    scope = get_scope(request)
    supervises = scope.supervises(meeting.community)
    is_open = meeting.status == Meeting.Status.SCHEDULED
    can_edit = supervises and is_open
    # The posts' holders only for the attendance form, which suggests the AB partner. The
    # people are made once for the participants and the roster (each names most of them).
    person = person_of(meeting._state.db or "default")
    participants = _with_names(_participants(meeting, holders=can_edit, person=person))
    agenda, elsewhere = _agenda(scope, meeting)
    action_items = _action_items(scope, meeting)
    context = {
        "meeting": meeting,
        "now": timezone.now(),
        "supervises": supervises,
        "can_edit": can_edit,
        "participants": participants,
        "agenda": agenda,
        # Drawn in one pass (the template's loop over them took a sixth of the page).
        "agenda_rows": AgendaRows(agenda, can_edit=can_edit, csrf_input=csrf_input(request)),
        "agenda_elsewhere": elsewhere,
        "action_items": action_items,
        "expected_count": sum(p.attendance == "expected" for p in participants),
        "grid_reports": report_rows_for_meeting(meeting),
    }
    if supervises and meeting.status != Meeting.Status.CANCELLED:

        def grids_of(community_id):
            return (
                Area.objects.grids()
                .filter(parent_id=community_id)
                .defer("boundary")
                .order_by("code")
            )

        grids = grids_of(meeting.community_id)  # for the action item form's checks
        # The rows by a statement compiled once per process (gridmgmt.statements).
        context["grids"] = statements.model_rows(
            ("meetings.views.grids",),
            lambda values: grids_of(values["community"]),
            {"community": meeting.community_id},
        )
        if can_edit:
            # For the page's lists.
            roster = Roster(meeting, participants, names_only=True, person=person)
            sent = forms.get("attendance_forms")
            context["attendance_forms"] = (
                AttendanceRows(sent) if sent else AttendanceRows.unbound(participants, roster)
            )
            context["minutes_form"] = forms.get("minutes_form") or MinutesForm(instance=meeting)
            context["agenda_form"] = forms.get("agenda_form") or NewAgendaItemForm(prefix="agenda")
            context["action_form"] = forms.get("action_form") or ActionItemForm(
                prefix="action",
                meeting=meeting,
                roster=roster,
                grids=grids,
                grid_rows=context["grids"],
                initial={"due_on": timezone.localdate() + datetime.timedelta(days=7)},
            )
    return context


def _participants(meeting, *, holders, person=None):
    """The meeting's participants in the page's order, each with its user, substitute and
    post (with the post's area's name and, with `holders`, its A and B holders) as
    select_related would attach them, but one User and one Area for each row of the
    database: a monthly meeting's hundred rows name the same hundred people up to four
    times each, and building an instance for each mention cost more than the query.
    `person` (meetings.instances.person_of) makes the people, shared with the page's
    roster. Runs one query."""
    people = ["user", "substitute", *(["post__holder_a", "post__holder_b"] if holders else [])]
    columns = [
        "pk",
        "post_id",
        "user_id",
        "attendance",
        "substitute_id",
        "post__role",
        "post__area_id",
        "post__area__name",
        "post__holder_a_id",
        "post__holder_b_id",
        *(f"{person}__{field}" for person in people for field in ("username", "full_name")),
    ]
    # The statement compiled once per process and bound to the meeting: Django took as long
    # to compile its six joins as PostgreSQL takes to run them.
    sql, params = statements.compiled(
        ("meetings.views.participants", holders),
        lambda values: (
            Participant.objects.filter(meeting_id=values["meeting"])
            .order_by("post__area__code", "post__role", "user__username")
            .values_list(*columns)
            .query.sql_with_params()
        ),
        {"meeting": meeting.pk},
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    db = meeting._state.db or "default"
    areas, found = {}, []
    user = person or person_of(db)
    make_area = maker(Area, db, ("id", "name"))
    make_post = maker(Post, db, ("id", "area_id", "role", "holder_a_id", "holder_b_id"))
    make_participant = maker(
        Participant, db, ("id", "meeting_id", "post_id", "user_id", "attendance", "substitute_id")
    )

    for row in rows:
        pk, post_id, user_id, attendance, substitute_id, role, area_id, area_name = row[:8]
        holder_a_id, holder_b_id, *names = row[8:]
        post = None
        if post_id is not None:
            area = areas.get(area_id)
            if area is None:
                area = areas[area_id] = make_area((area_id, area_name))
            related = {"area": area}
            if holders:
                related["holder_a"] = user(holder_a_id, names[4], names[5])
                related["holder_b"] = user(holder_b_id, names[6], names[7])
            post = make_post((post_id, area_id, role, holder_a_id, holder_b_id), related)
        participant = make_participant(
            (pk, meeting.pk, post_id, user_id, attendance, substitute_id),
            {
                "meeting": meeting,
                "user": user(user_id, names[0], names[1]),
                "substitute": user(substitute_id, names[2], names[3]),
                "post": post,
            },
        )
        found.append(participant)
    return found


def _with_names(participants):
    """The participants as a list, each with `role_name` (its post's role, or "") and
    `attendance_name`, translated once for the page: `get_role_display` translates every
    role's name on each call, and a monthly meeting has a hundred participants."""
    roles = {value: str(label) for value, label in Role.choices}
    attendance = {value: str(label) for value, label in Participant.Attendance.choices}
    participants = list(participants)
    for participant in participants:
        post = participant.post
        participant.role_name = roles.get(post.role, post.role) if post else ""
        participant.attendance_name = attendance.get(participant.attendance, participant.attendance)
    return participants


def _may_open_incident(scope):
    """Whether the row's incident is one the user may open (`Incident.visible_to`)."""
    return Exists(Incident.objects.visible_to(scope).filter(pk=OuterRef("incident_id")))


def _meeting_rows(name, scope, meeting, model, build):
    """The rows of `build(meeting id)` (a queryset of the meeting's rows, as its related
    manager gives them), each with its `meeting`, the statement compiled once per process
    for the user's scope (`gridmgmt.statements.model_rows`): Django took longer to compile
    the scope's conditions than PostgreSQL takes to run them. Runs one query."""
    rows = statements.model_rows(
        ("meetings.views", name, scope.statement_key),
        lambda values: build(values["meeting"]),
        {"meeting": meeting.pk},
    )
    meeting_of = model.meeting.field.set_cached_value
    for row in rows:
        meeting_of(row, meeting)
    return rows


def _action_items(scope, meeting):
    """The meeting's action items, each with `may_open_incident`, and of its owner, grid and
    incident what the page shows. Runs one query."""

    def build(meeting_id):
        return (
            ActionItem.objects.filter(meeting_id=meeting_id)
            .select_related("owner", "grid", "incident")
            # What the page shows: an incident has some sixty columns, a person fifteen.
            .only(
                *("meeting", "text", "owner", "due_on", "grid", "incident"),
                *("done_at", "cancelled_at", "owner__username", "owner__full_name"),
                *("grid__name", "incident__number", "incident__status"),
            )
            .annotate(may_open_incident=_may_open_incident(scope))
        )

    return _meeting_rows("action items", scope, meeting, ActionItem, build)


def _agenda(scope, meeting):
    """The agenda items the user may open, and how many are left out because they concern
    another grid. An item about an incident is shown when the user may open the incident
    (a sensitive one only to the station and its handler); an item about a grid when the
    grid is in the user's areas; the station's own items always. Runs one query."""
    in_scope = Value(True) if scope.is_global else Q(grid__isnull=True) | scope.q("grid")

    def build(meeting_id):
        return (
            AgendaItem.objects.filter(meeting_id=meeting_id)
            .select_related("incident", "grid")
            # What the page shows of an item's incident and grid: their links.
            .only(
                *("meeting", "position", "source", "text", "note", "instruction", "action_item"),
                *("incident__number", "grid__kind", "grid__code"),
            )
            .annotate(
                may_open_incident=_may_open_incident(scope),
                is_in_scope=ExpressionWrapper(in_scope, output_field=BooleanField()),
            )
        )

    shown, elsewhere = [], 0
    for item in _meeting_rows("agenda", scope, meeting, AgendaItem, build):
        if not item.is_in_scope:
            elsewhere += 1
        elif item.incident_id is None or item.may_open_incident:
            shown.append(item)
    return shown, elsewhere


def _render_invalid(request, meeting, **forms):
    messages.error(request, _("Please correct the errors below."))
    return render(
        request, "meetings/meeting_detail.html", _context(request, meeting, **forms), status=400
    )


# --- The agenda ---


@login_required
@require_POST
def agenda_redraft(request, meeting_id):
    meeting = _editable_meeting(request, meeting_id)
    _run(
        request,
        services.redraft_agenda,
        meeting,
        by=request.user,
        done=_("The agenda was drafted again from today's data; your own items stay."),
    )
    return _back(meeting, "agenda")


@login_required
@require_POST
def agenda_add(request, meeting_id):
    meeting = _editable_meeting(request, meeting_id)
    form = NewAgendaItemForm(request.POST, prefix="agenda")
    try:
        if not form.is_valid():
            return _render_invalid(request, meeting, agenda_form=form)
        _run_once(
            request,
            form,
            services.add_agenda_item,
            meeting,
            done=_("Item added to the agenda."),
            made=_back(meeting, "agenda").url,
        )
    except AlreadySent as sent:
        return sent.response(request)
    return _back(meeting, "agenda")


@login_required
@require_POST
def agenda_edit(request, agenda_item_id):
    item = _agenda_item(request, agenda_item_id)
    form = AgendaItemForm(request.POST)
    if form.is_valid():
        _run(
            request,
            services.update_agenda_item,
            item,
            by=request.user,
            done=_("Agenda item saved."),
            **form.cleaned_data,
        )
    else:
        messages.error(request, " ".join(e for errors in form.errors.values() for e in errors))
    return _back(item.meeting, f"agenda-{item.pk}")


@login_required
@require_POST
def agenda_move(request, agenda_item_id):
    item = _agenda_item(request, agenda_item_id)
    form = MoveForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose whether the item moves up or down."))
        return _back(item.meeting, f"agenda-{item.pk}")
    _run(
        request,
        services.move_agenda_item,
        item,
        by=request.user,
        up=form.cleaned_data["direction"] == "up",
    )
    return _back(item.meeting, f"agenda-{item.pk}")


@login_required
@require_POST
def agenda_delete(request, agenda_item_id):
    item = _agenda_item(request, agenda_item_id)
    _run(
        request,
        services.delete_agenda_item,
        item,
        by=request.user,
        done=_("Item removed from the agenda."),
    )
    return _back(item.meeting, "agenda")


# --- Attendance, minutes, closing ---


@login_required
@require_POST
def attendance(request, meeting_id):
    meeting = _editable_meeting(request, meeting_id)
    participants = _with_names(
        meeting.participants.select_related(
            "user", "substitute", "post__area", "post__holder_a", "post__holder_b"
        ).defer("post__area__boundary")
    )
    roster = Roster(meeting, participants)
    forms = [AttendanceForm(request.POST, participant=p, roster=roster) for p in participants]
    if not all(form.is_valid() for form in forms):
        return _render_invalid(request, meeting, attendance_forms=forms)
    _run(
        request,
        services.record_attendance,
        meeting,
        [form.row() for form in forms],
        by=request.user,
        done=_("Attendance saved."),
    )
    return _back(meeting, "attendance")


@login_required
@require_POST
def minutes(request, meeting_id):
    meeting = _editable_meeting(request, meeting_id)
    form = MinutesForm(request.POST, instance=meeting)
    if not form.is_valid():
        return _render_invalid(request, meeting, minutes_form=form)
    _run(
        request,
        services.record_minutes,
        meeting,
        by=request.user,
        minutes=form.cleaned_data["minutes"],
        decisions=form.cleaned_data["decisions"],
        seen_updated_at=form.cleaned_data.get("seen_updated_at"),
        done=_("Minutes and decisions saved."),
    )
    return _back(meeting, "minutes")


@login_required
@require_POST
def close(request, meeting_id):
    meeting = _editable_meeting(request, meeting_id)
    _run(
        request, services.close_meeting, meeting, by=request.user, done=_("The meeting is closed.")
    )
    return _back(meeting)


# --- Action items ---


@login_required
@require_POST
def action_add(request, meeting_id):
    meeting = _editable_meeting(request, meeting_id)
    participants = list(meeting.participants.select_related("user"))
    grids = Area.objects.grids().filter(parent=meeting.community)
    form = ActionItemForm(
        request.POST,
        prefix="action",
        meeting=meeting,
        roster=Roster(meeting, participants),
        grids=grids,
    )
    try:
        if not form.is_valid():
            return _render_invalid(request, meeting, action_form=form)
        _run_once(
            request,
            form,
            services.add_action_item,
            meeting,
            done=_("Action item added."),
            made=_back(meeting, "actions").url,
        )
    except AlreadySent as sent:
        return sent.response(request)
    return _back(meeting, "actions")


@login_required
@require_POST
def action_done(request, action_item_id):
    item = _action_item(request, action_item_id)
    if item.owner_id != request.user.pk:
        _require_supervisor(request, item.meeting)
    if services.mark_action_done(item, by=request.user):
        messages.success(request, _("Action item done."))
    else:
        messages.info(request, _("This action item was already closed."))
    form = DoneForm(request.POST)
    target = form.cleaned_data["next"] if form.is_valid() else ""
    is_safe = url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure())
    if target and is_safe:
        return redirect(target)
    if not _visible(request).filter(pk=item.meeting_id).exists():
        return redirect("home")  # an owner who does not attend the meeting
    return redirect(item.meeting.get_absolute_url() + "#actions")


@login_required
@require_POST
def action_incident(request, action_item_id):
    item = _action_item(request, action_item_id)
    _require_supervisor(request, item.meeting)
    form = IncidentFromActionForm(
        request.POST, grids=Area.objects.grids().filter(parent=item.meeting.community)
    )
    if not form.is_valid():
        messages.error(request, _("Choose the grid the incident belongs to."))
        return _back(item.meeting, f"action-{item.pk}")
    incident = _run(
        request, services.make_incident, item, by=request.user, grid=form.cleaned_data["grid"]
    )
    if incident is not None:
        messages.success(
            request,
            _("Incident %(number)s opened for the action item.") % {"number": incident.number},
        )
    return _back(item.meeting, f"action-{item.pk}")
