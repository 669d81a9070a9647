"""The monthly grid reports: one report (read by everyone in scope, written by the grid's
leader while it is a draft), its PDF, and which grids have submitted for a month."""

import datetime

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from gridmgmt import dates
from grids.models import Area, Role
from grids.paging import paginate
from grids.scope import get_scope

from . import gridreports, pdf
from .models import GridReport
from .report_forms import ReportTextForm, ReturnForm


def _stale_message():
    return _(
        "Someone else changed this report after you opened it. Reload the page to see their "
        "change, then make yours again."
    )


def _report(request, report_id):
    """The report, through scope (404 outside), with what its page shows."""
    return get_scope(request).get(
        GridReport.objects.select_related("grid__parent", "submitted_by"), "grid", pk=report_id
    )


def _writes(scope, report):
    """The grid's leader (A, or B standing in) writes the report."""
    return scope.has_role(report.grid, Role.GRID_LEADER)


@login_required
def report_detail(request, report_id):
    """The report; for its leader, while a draft, the form for its text. Saving with the
    "submit" button hands it in."""
    scope = get_scope(request)
    report = _report(request, report_id)
    is_draft = report.status == GridReport.Status.DRAFT
    may_write = _writes(scope, report)
    form = None
    if is_draft and may_write:
        form = ReportTextForm(request.POST or None, instance=report)
    if request.method == "POST":
        if not may_write:
            raise PermissionDenied
        if not is_draft:
            messages.error(request, _("This report has been submitted and can no longer change."))
            return redirect(report)
        if form.is_valid():
            is_submit = "submit" in request.POST
            try:
                gridreports.save_text(
                    report,
                    by=request.user,
                    updated_at=form.seen_updated_at,
                    texts=form.texts,
                    submit=is_submit,
                )
            except gridreports.StaleReport:
                form.add_error(None, _stale_message())
            except gridreports.ReportLocked:
                messages.error(request, _("This report has been submitted already."))
                return redirect(report)
            else:
                messages.success(
                    request, _("Report submitted.") if is_submit else _("Draft saved.")
                )
                return redirect(report)
    return render(
        request,
        "meetings/report_detail.html",
        {
            "report": report,
            "form": form,
            "sections": gridreports.figure_sections(report.figures),
            "texts": [
                (GridReport._meta.get_field(name).verbose_name, getattr(report, name))
                for name in GridReport.TEXT_FIELDS
            ],
            "may_refresh": is_draft and (may_write or scope.supervises(report.grid)),
            "may_return": not is_draft and scope.supervises(report.grid),
            "return_form": ReturnForm(),
            "list_query": urlencode({"month": f"{report.month:%Y-%m}"}),
        },
    )


@login_required
@require_POST
def report_refresh(request, report_id):
    scope = get_scope(request)
    report = _report(request, report_id)
    if not (_writes(scope, report) or scope.supervises(report.grid)):
        raise PermissionDenied
    try:
        gridreports.refresh_figures(report)
    except gridreports.ReportLocked:
        messages.error(request, _("A submitted report keeps its figures."))
    else:
        messages.success(request, _("Figures refreshed from today's data."))
    return redirect(report)


@login_required
@require_POST
def report_return(request, report_id):
    """The station sends a submitted report back to the leader, with a note."""
    scope = get_scope(request)
    report = _report(request, report_id)
    if not scope.supervises(report.grid):
        raise PermissionDenied
    form = ReturnForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Say why the report goes back."))
        return redirect(report)
    try:
        gridreports.return_to_draft(report, by=request.user, note=form.cleaned_data["note"])
    except gridreports.ReportLocked:
        messages.error(request, _("This report is a draft already."))
    else:
        messages.success(request, _("Report returned to the grid leader."))
    return redirect(report)


@login_required
def report_pdf(request, report_id):
    report = _report(request, report_id)
    response = HttpResponse(pdf.grid_report_pdf(report), content_type="application/pdf")
    name = f"grid-report-{report.grid.code}-{report.month:%Y-%m}.pdf"
    response["Content-Disposition"] = f'inline; filename="{name}"'
    return response


STATUS_FILTERS = {
    "submitted": {"report_status": GridReport.Status.SUBMITTED},
    "draft": {"report_status": GridReport.Status.DRAFT},
    "missing": {"report_pk__isnull": True},
}


@login_required
def report_list(request):
    """Which grids in scope (those that existed in the month) have submitted their report
    for a month: x of n, and each grid's state. The station reads it before the monthly
    meeting; a grid worker sees their grids.

    Runs a fixed number of queries whatever the number of grids: the communities to pick
    from, the community (when asked for), the counts, the page's count and its rows.
    """
    scope = get_scope(request)
    today = timezone.localdate()
    month = gridreports.parse_month(request.GET.get("month"), None)
    http_status = 200
    if month is None:
        month = gridreports.previous_month(today)
        if request.GET.get("month"):
            # A month that is no month: say so (a 400), never a silent default.
            messages.error(
                request,
                _(
                    "“%(value)s” is not a month from %(earliest)s to %(latest)s (YYYY-MM): "
                    "the list shows %(month)s instead."
                )
                % {
                    "value": request.GET["month"][:40],
                    "month": f"{month:%Y-%m}",
                    **dates.month_range_params(),
                },
            )
            http_status = 400
    communities = scope.areas().of_kind(Area.Kind.COMMUNITY).only("code", "name").order_by("code")
    # The grids that existed on a day of the month: a grid split off later has no report
    # for it, a retired grid still has the months it existed.
    grids = scope.grids().existing_during(month, gridreports.month_end(month))
    community = None
    if request.GET.get("community"):
        community = scope.get(
            Area.objects.of_kind(Area.Kind.COMMUNITY), code=request.GET["community"]
        )
        grids = grids.filter(parent=community)
    status = request.GET.get("status", "")
    rows = gridreports.grids_with_reports(grids, month).order_by("parent__code", "code")
    if status in STATUS_FILTERS:
        rows = rows.filter(**STATUS_FILTERS[status])

    def month_query(other):
        return urlencode(
            {"month": f"{other:%Y-%m}", "community": community.code if community else ""}
        )

    return render(
        request,
        "meetings/report_list.html",
        {
            "month": month,
            "month_value": f"{month:%Y-%m}",
            "communities": list(communities),
            "community": community,
            "status": status,
            "counts": gridreports.submission_counts(grids, month),
            "previous_query": month_query(gridreports.previous_month(month)),
            "next_query": month_query(gridreports.month_end(month) + datetime.timedelta(days=1)),
            "is_current": month >= gridreports.previous_month(today),
            "status_query": month_query(month),
            "list_url": reverse("meetings:report_list"),
            **paginate(request, rows),
        },
        status=http_status,
    )
