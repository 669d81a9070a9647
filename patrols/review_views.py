"""The station's daily review: the board of every grid and window, reviewing a log, and
signing a community's day off. Supervisors only; every object is reached through scope."""

import datetime
from collections import Counter

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Count, OuterRef, Subquery, Value
from django.db.models.functions import Coalesce, NullIf
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_POST

from gridmgmt import dates, statements
from gridmgmt.dates import DayField
from grids.models import SUPERVISOR_ROLES, Area, User
from grids.scope import get_scope

from . import board as review_board
from . import services, windows
from .models import DaySignOff, Patrol, Slot

BOARD_KINDS = (Area.Kind.STREET, Area.Kind.COMMUNITY)
# The waiting logs the board lists, the oldest first; it counts the rest. Reviewing one goes
# on to the next waiting in its community (`_to_next_log`).
WAITING_LISTED = 100


class ReviewForm(forms.Form):
    decision = forms.ChoiceField(
        choices=[("approve", gettext_lazy("Approve")), ("return", gettext_lazy("Return"))]
    )
    comment = forms.CharField(required=False, max_length=2000)


class DayForm(forms.Form):
    day = DayField()
    note = forms.CharField(required=False, max_length=2000)


@login_required
def board(request):
    """Every grid of a street or community that exists on the day x the day's two windows.

    Runs a fixed number of queries, whatever the number of grids or logs: the area (when
    asked for by code), the areas to pick from, the grids with their schedules, their
    missed windows, their logs waiting for review and their community's sign-off, the log
    each window shows, and the first WAITING_LISTED logs waiting.
    """
    scope = get_scope(request)
    area = _board_area(request, scope)
    day = _day(request.GET.get("day"))
    status = 200
    if day is None:
        # A day that is no date: say so and show today, as a 400, never a silent today.
        messages.error(
            request,
            _(
                "“%(value)s” is not a date from %(earliest)s to %(latest)s (YYYY-MM-DD): "
                "the board shows today instead."
            )
            % {"value": request.GET["day"][:40], **dates.range_params()},
        )
        day, status = timezone.localdate(), 400
    now = timezone.now()

    # The grids and the logs: statements compiled once per process for the area, bound to
    # the day (gridmgmt.statements): Django took ~2 ms to compile them on every request.
    grids = statements.model_rows(
        ("patrols.board.grids", area.path), _board_grids(area), {"day": day}
    )
    # Rows of values, not instances (board.Log): a log a window, and the waiting ones listed.
    patrols = [
        review_board.Log(*values)
        for values in statements.value_rows(
            ("patrols.board.logs", area.path), _board_logs(area), {"day": day}
        )
    ]
    waiting = [
        review_board.Log(*values)
        for values in statements.value_rows(
            ("patrols.board.waiting", area.path, WAITING_LISTED),
            _board_waiting(area, WAITING_LISTED),
            {"day": day},
        )
    ]
    missed = {
        (grid.pk, slot) for grid in grids for slot in Slot.values if getattr(grid, f"missed_{slot}")
    }
    sign_offs = {
        grid.parent_id: DaySignOff(
            community_id=grid.parent_id,
            day=day,
            signed_at=grid.signed_at,
            signed_by=User(full_name=grid.signed_by_name),
        )
        for grid in grids
        if grid.signed_at is not None
    }
    schedules = {}  # community id: its schedule (once a community, not once a grid)
    for grid in grids:
        if grid.parent_id not in schedules:
            schedules[grid.parent_id] = windows.schedule_for(grid.parent)

    rows = review_board.build_rows(grids, patrols, missed, schedules, day, now)
    grid_names = {grid.pk: grid for grid in grids}
    for patrol in waiting:
        patrol.grid = grid_names[patrol.grid_id]
    groups = review_board.group_rows(rows)
    is_past_or_today = day <= timezone.localdate(now)
    waiting_in = Counter()  # community id: logs waiting
    for grid in grids:
        waiting_in[grid.parent_id] += grid.waiting_logs
    for group in groups:
        group.sign_off = sign_offs.get(group.community.pk)
        group.waiting = waiting_in[group.community.pk]
        group.can_sign_off = is_past_or_today and not group.sign_off and not group.waiting
        if group.can_sign_off:
            group.sign_off_url = reverse("patrols:sign_off", args=[group.community.code])

    one_day = datetime.timedelta(days=1)
    return render(
        request,
        "patrols/board.html",
        {
            "area": area,
            "areas": _board_areas(scope),
            "day": day,
            "day_iso": day.isoformat(),  # as day|date:"Y-m-d" writes it, once a page
            "is_today": day == timezone.localdate(now),
            "previous_query": urlencode({"day": day - one_day, "area": area.code}),
            "next_query": urlencode({"day": day + one_day, "area": area.code}),
            "groups": groups,
            "is_street": area.kind == Area.Kind.STREET,
            "counts": review_board.count_states(rows),
            "waiting": waiting,
            "waiting_more": max(waiting_in.total() - len(waiting), 0),
        },
        status=status,
    )


@login_required
@require_POST
def review(request, patrol_id):
    scope = get_scope(request)
    patrol = scope.get(Patrol.objects.select_related("grid", "member"), "grid", pk=patrol_id)
    if not scope.supervises(patrol.grid):
        raise PermissionDenied
    form = ReviewForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose to approve or return the log."))
        return redirect(patrol)
    approve = form.cleaned_data["decision"] == "approve"
    try:
        services.review_patrol(
            patrol, by=request.user, approve=approve, comment=form.cleaned_data["comment"]
        )
    except services.PatrolError as exc:
        messages.error(request, str(exc))
    else:
        if approve:
            messages.success(request, _("Log approved."))
        else:
            messages.success(
                request,
                _("Log returned to %(member)s.") % {"member": patrol.member.display_name},
            )
        return _to_next_log(request, scope, patrol)
    return redirect(patrol)


def _to_next_log(request, scope, reviewed):
    """On to the next log waiting in the reviewed one's community (the oldest day first), or
    back to that day's board when none waits. Runs one query."""
    waiting = (
        scope.filter(Patrol.objects.select_related("grid"), "grid")
        .filter(grid__parent_id=reviewed.grid.parent_id, status=Patrol.Status.SUBMITTED)
        .exclude(pk=reviewed.pk)
        .order_by("day", "started_at", "pk")
        .first()
    )
    if waiting is None:
        messages.info(request, _("No other log of the community is waiting for review."))
        return redirect(_board_url(reviewed.grid.parent, reviewed.day))
    messages.info(
        request,
        _("Next log waiting: %(grid)s, %(day)s.")
        % {"grid": waiting.grid.name, "day": date_format(waiting.day, "SHORT_DATE_FORMAT")},
    )
    return redirect(waiting)


@login_required
@require_POST
def sign_off(request, community_code):
    scope = get_scope(request)
    community = scope.get(Area.objects.of_kind(Area.Kind.COMMUNITY), code=community_code)
    if not scope.supervises(community):
        raise PermissionDenied
    form = DayForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose a valid day."))
        return redirect(_board_url(community, timezone.localdate()))
    day = form.cleaned_data["day"]
    waiting = Patrol.objects.filter(
        grid__parent=community, day=day, status=Patrol.Status.SUBMITTED
    ).count()
    if day > timezone.localdate():
        messages.error(request, _("A day can be signed off once it has begun."))
    elif waiting:
        messages.error(
            request,
            ngettext(
                "Review the %(count)d log still waiting before signing the day off.",
                "Review the %(count)d logs still waiting before signing the day off.",
                waiting,
            )
            % {"count": waiting},
        )
    else:
        try:
            services.sign_off_day(community, day, by=request.user, note=form.cleaned_data["note"])
        except services.PatrolError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(
                request,
                _("%(community)s signed off for %(day)s.")
                % {"community": community.name, "day": day},
            )
    return redirect(_board_url(community, day))


def _board_url(area, day):
    return f"{reverse('patrols:board')}?{urlencode({'day': day, 'area': area.code})}"


def _board_area(request, scope):
    """The street or community asked for (404 outside scope, 403 unless supervised), or the
    user's topmost supervised one (an administrator's: the first street)."""
    code = request.GET.get("area")
    if code:
        area = scope.get(Area.objects.filter(kind__in=BOARD_KINDS), code=code)
    else:
        supervised = [post.area for post in scope.posts if post.role in SUPERVISOR_ROLES]
        area = supervised[0] if supervised else None
        if area is None and scope.is_global:
            area = Area.objects.of_kind(Area.Kind.DISTRICT).order_by("code").first()
        if area is not None and area.kind not in BOARD_KINDS:
            # Above a street (a district): start at its first street.
            area = Area.objects.of_kind(Area.Kind.STREET).under(area).order_by("code").first()
        if area is None:
            raise PermissionDenied
    if not scope.supervises(area):
        raise PermissionDenied
    return area


def _board_grids(area):
    """build(values) of the grids of `area` that exist on values["day"], by community and
    code, with their communities' schedules, their missed windows of the day, how many of
    their logs of the day wait for review (`waiting_logs`, counted in the waiting logs'
    index) and their community's sign-off of the day (a probe of the sign-offs' unique index
    a grid): who signed and when."""

    def build(values):
        day = values["day"]
        signed = DaySignOff.objects.filter(community=OuterRef("parent_id"), day=day)
        waiting = (
            Patrol.objects.filter(grid=OuterRef("pk"), day=day, status=Patrol.Status.SUBMITTED)
            .order_by()
            .values("grid")
            .annotate(n=Count("pk"))
            .values("n")
        )
        return (
            Area.objects.grids()
            .under(area)
            .existing_on(day)
            .select_related("parent__patrol_schedule")
            .defer("boundary", "parent__boundary")
            .annotate(
                **review_board.missed_flags(day),
                waiting_logs=Coalesce(Subquery(waiting), 0),
                signed_at=Subquery(signed.values("signed_at")[:1]),
                signed_by_name=Subquery(
                    signed.values(
                        name=Coalesce(
                            NullIf("signed_by__full_name", Value("")), "signed_by__username"
                        )
                    )[:1]
                ),
            )
            .order_by("parent__code", "code")
        )

    return build


def _board_logs(area):
    """build(values) of the log each window of values["day"] in `area` shows
    (board.shown_logs), as rows of board.Log's fields. Extra patrols (no window) count for
    no cell: not read."""

    def build(values):
        return (
            review_board.shown_logs(
                Patrol.objects.filter(grid__path__startswith=area.path, day=values["day"])
                .exclude(slot="")
                .order_by()
            )
            .annotate(**review_board.Log.columns())
            .values_list(*review_board.Log.COLUMNS)
        )

    return build


def _board_waiting(area, limit):
    """build(values) of the first `limit` logs of values["day"] waiting for review in the
    grids of `area` that exist that day, the earliest started first, as rows of board.Log's
    fields. The board lists these and counts the rest (`waiting_logs` of _board_grids): a
    backlog of thousands costs what a hundred do."""

    def build(values):
        day = values["day"]
        first = Patrol.objects.filter(
            grid__in=Area.objects.grids().under(area).existing_on(day).values("pk"),
            day=day,
            status=Patrol.Status.SUBMITTED,
        ).order_by("started_at", "pk")
        # The members' names of those listed only (a join before the limit read one a log).
        return (
            Patrol.objects.filter(pk__in=first.values("pk")[:limit])
            .annotate(**review_board.Log.columns())
            .order_by("started_at", "pk")
            .values_list(*review_board.Log.COLUMNS)
        )

    return build


def _board_areas(scope):
    """The streets and communities the user may pick. Runs one query, of a statement
    compiled once per process for the user's scope (gridmgmt.statements)."""
    areas = statements.model_rows(
        ("patrols.board.areas", scope.statement_key),
        lambda values: (
            scope.filter(Area.objects.filter(kind__in=BOARD_KINDS))
            .only("code", "name", "kind", "path")
            .order_by("code")
        ),
        {},
    )
    return [a for a in areas if scope.supervises(a)]


def _day(value):
    """The local date asked for, today when none is, or None when `value` is not a date."""
    if not value:
        return timezone.localdate()
    # The board links to the day before and after: the range leaves room for both.
    return dates.parse_day(value)
