"""The monthly grid report: drafting every grid's report from the data when a month ends,
refreshing a draft's figures, the leader's text and submission, and what the monthly
meeting and the report's pages show of it."""

import datetime

from django.db import transaction
from django.db.models import Case, Count, F, FilteredRelation, IntegerField, Q, Value, When
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from gridmgmt import dates, statements
from grids.models import Area, Post, Role
from incidents.models import Incident
from notifications.services import notify

from .models import GridReport, Kind


class ReportLocked(Exception):
    """The report is not a draft (any more): its text cannot change."""


class StaleReport(Exception):
    """Someone changed the report after the form was opened."""


# --- Months ---


def first_of_month(day):
    return day.replace(day=1)


def previous_month(day):
    """The first day of the month before the one `day` falls in."""
    return first_of_month(first_of_month(day) - datetime.timedelta(days=1))


def month_end(month):
    """The last day of the month that starts on `month`."""
    return first_of_month(month + datetime.timedelta(days=32)) - datetime.timedelta(days=1)


def parse_month(text, default):
    """`YYYY-MM` as the month's first day, or `default` when it is missing, malformed or
    outside the site's range of dates (gridmgmt.dates)."""
    month = dates.parse_month(text)
    return default if month is None else month


def _figures(grids, month):
    """Each grid's figures for the month, JSON-safe, by grid id, with its visits to people
    under care (care.due.grid_month_figures). Runs the fixed number of queries of
    reports.figures.figures_by_grid, and three."""
    from care.due import grid_month_figures
    from reports.figures import figures_by_grid

    last = month_end(month)
    by_grid = figures_by_grid(grids, month, last)
    result = {grid_id: figures.as_dict() for grid_id, figures in by_grid.items()}
    visits = grid_month_figures(list(result), month, last, timezone.localdate())
    for grid_id, counts in visits.items():
        result[grid_id].update(counts)
    return result


# --- Writes ---


def draft_monthly_reports(today=None):
    """From the first day of a month on, create a draft for every grid that existed in the
    month just ended (on at least one day of it) and has no report for it, with its
    figures. Idempotent (one report per grid and month; a concurrent run's rows are ignored).
    Returns how many drafts this call meant to create. Runs a fixed number of queries: the
    missing grids, the figures, one insert."""
    month = previous_month(today or timezone.localdate())
    missing = (
        Area.objects.grids().existing_during(month, month_end(month)).exclude(reports__month=month)
    )
    grid_ids = list(missing.values_list("pk", flat=True))
    if not grid_ids:
        return 0
    figures = _figures(Area.objects.filter(pk__in=grid_ids), month)
    now = timezone.now()
    GridReport.objects.bulk_create(
        [
            GridReport(grid_id=grid_id, month=month, figures=figures[grid_id], figures_at=now)
            for grid_id in grid_ids
        ],
        ignore_conflicts=True,
    )
    return len(grid_ids)


def refresh_figures(report):
    """Recompute a draft's figures from today's data (late patrol logs, register
    corrections). A submitted report keeps the figures it was submitted with. Does not touch
    `updated_at`, so a text form someone has open stays valid. Raises ReportLocked."""
    figures = _figures(Area.objects.filter(pk=report.grid_id), report.month)[report.grid_id]
    now = timezone.now()
    updated = GridReport.objects.filter(pk=report.pk, status=GridReport.Status.DRAFT).update(
        figures=figures, figures_at=now
    )
    if not updated:
        raise ReportLocked
    report.figures, report.figures_at = figures, now
    return report


@transaction.atomic
def save_text(report, *, by, updated_at, texts, submit=False):
    """Save the leader's text of a draft, and with `submit` hand the report in. The row is
    locked, so of two racing saves from the same version one wins and the other gets
    StaleReport. Raises ReportLocked when the report is no longer a draft."""
    locked = GridReport.objects.select_for_update().get(pk=report.pk)
    if locked.status != GridReport.Status.DRAFT:
        raise ReportLocked
    if updated_at is not None and locked.updated_at != updated_at:
        raise StaleReport
    for name in GridReport.TEXT_FIELDS:
        if name in texts:
            setattr(locked, name, texts[name])
    if submit:
        locked.status = GridReport.Status.SUBMITTED
        locked.submitted_at = timezone.now()
        locked.submitted_by = by
    locked._history_user = by
    locked.save()
    return locked


def submit(report, *, by, updated_at, texts=None):
    """The leader hands the report in: it becomes read-only. See save_text."""
    return save_text(report, by=by, updated_at=updated_at, texts=texts or {}, submit=True)


@transaction.atomic
def return_to_draft(report, *, by, note):
    """The station sends a submitted report back to its grid leader with a note (kept as the
    history entry's reason) and tells the leader's post holders once. Raises ReportLocked
    when the report is not submitted."""
    locked = GridReport.objects.select_for_update().select_related("grid").get(pk=report.pk)
    if locked.status != GridReport.Status.SUBMITTED:
        raise ReportLocked
    locked.status = GridReport.Status.DRAFT
    locked.submitted_at = None
    locked.submitted_by = None
    locked._history_user = by
    locked._change_reason = note[:100]
    locked.save()
    leaders = [
        holder
        for post in Post.objects.filter(area=locked.grid, role=Role.GRID_LEADER).select_related(
            "holder_a", "holder_b"
        )
        for holder in (post.holder_a, post.holder_b)
    ]
    notify(
        leaders,
        key=f"report-returned:{locked.pk}:{locked.updated_at.isoformat()}",
        title=_("Your grid report for %(month)s was returned"),
        body=note,
        url=locked.get_absolute_url(),
        params={"month": f"{locked.month:%Y-%m}"},
    )
    return locked


# --- Reads ---


def reports_for_meeting(meeting):
    """The community's grid reports for the month before a monthly meeting's month, the
    submitted ones first. Empty for a weekly meeting. A queryset: one query."""
    if meeting.kind != Kind.MONTHLY:
        return GridReport.objects.none()
    return _reports_of(meeting.community_id, previous_month(meeting.scheduled_on))


def _reports_of(community_id, month):
    return (
        GridReport.objects.filter(grid__parent_id=community_id, month=month)
        .select_related("grid", "submitted_by")
        .defer("figures", "grid__boundary")  # the list shows neither
        .annotate(
            is_submitted=Case(
                When(status=GridReport.Status.SUBMITTED, then=Value(0)),
                default=Value(1),
                output_field=IntegerField(),
            )
        )
        .order_by("is_submitted", "grid__code")
    )


def report_rows_for_meeting(meeting):
    """`reports_for_meeting` as a list, its statement compiled once per process and bound
    to the community and the month (gridmgmt.statements.model_rows): Django took longer to
    compile it than PostgreSQL takes to run it. Runs one query (none for a weekly
    meeting)."""
    if meeting.kind != Kind.MONTHLY:
        return []
    return statements.model_rows(
        ("meetings.gridreports.reports_for_meeting",),
        lambda values: _reports_of(values["community"], values["month"]),
        {"community": meeting.community_id, "month": previous_month(meeting.scheduled_on)},
    )


def grids_with_reports(grids, month):
    """`grids` annotated with their report for `month` (report_pk, report_status,
    report_submitted_at; None when there is none). Lazy: one query when evaluated."""
    return (
        grids.annotate(report=FilteredRelation("reports", condition=Q(reports__month=month)))
        .annotate(
            report_pk=F("report__pk"),
            report_status=F("report__status"),
            report_submitted_at=F("report__submitted_at"),
        )
        .select_related("parent")
        .defer("boundary", "parent__boundary")
    )


def submission_counts(grids, month):
    """How many of `grids` have submitted, have a draft, have nothing for `month`. One
    query."""
    counts = grids.annotate(
        report=FilteredRelation("reports", condition=Q(reports__month=month))
    ).aggregate(
        total=Count("pk"),
        submitted=Count("report", filter=Q(report__status=GridReport.Status.SUBMITTED)),
        draft=Count("report", filter=Q(report__status=GridReport.Status.DRAFT)),
    )
    counts["missing"] = counts["total"] - counts["submitted"] - counts["draft"]
    return counts


# --- Presenting the figures (the page and the PDF show the same) ---


def _rate(part, whole):
    return f"{100 * part / whole:.0f}%" if whole else "–"


def _hours(value):
    return f"{value:.1f}" if value is not None else "–"


def _change(now, before):
    delta = now - before
    return f"+{delta}" if delta > 0 else str(delta)


def _visit_sections(f, get):
    """Visits to people under care: only in figures taken since they were counted."""
    if "visits_due" not in f:
        return []
    return [
        {
            "title": _("Visits"),
            "rows": [
                (_("Visits the rules asked for"), get("visits_due")),
                (_("Visits made"), get("visits_done")),
                (_("People overdue at the end of the month"), get("visits_overdue")),
            ],
        }
    ]


def figure_sections(figures):
    """The report's figures as titled tables of (label, value[, change]) rows, for the page
    and the PDF. `figures` is GridReport.figures (Figures.as_dict())."""
    f = figures or {}
    if not f:
        return []
    get = lambda key: f.get(key) or 0  # noqa: E731
    statuses = dict(Incident.Status.choices)
    return [
        {
            "title": _("Patrols"),
            "rows": [
                (_("Windows"), get("windows")),
                (_("Patrolled"), get("done")),
                (_("Short"), get("short")),
                (_("Returned"), get("returned")),
                (_("Missed"), get("missed")),
                (_("Coverage"), _rate(get("done") + get("short"), get("windows"))),
            ],
        },
        {
            "title": _("Incidents by category"),
            "rows": sorted((f.get("by_category") or {}).items()) or [(_("None"), 0)],
        },
        {
            "title": _("Incidents by state"),
            "rows": [
                (statuses.get(status, status), count)
                for status, count in sorted((f.get("by_status") or {}).items())
            ]
            or [(_("None"), 0)],
        },
        {
            "title": _("Closure"),
            "rows": [
                (_("Filed"), get("opened")),
                (_("Closed"), get("closed")),
                (_("Due this month"), get("due")),
                (_("Closed on time"), get("on_time")),
                (_("On-time closure rate"), _rate(get("on_time"), get("due"))),
                (_("Overdue, still open"), get("overdue_open")),
                (_("Median hours to close"), _hours(f.get("median_hours_to_close"))),
            ],
        },
        *_source_sections(f, get),
        {
            "title": _("Register, at the end of the month"),
            "change": True,
            "rows": [
                (label, get(key), _change(get(key), get(f"{key}_before")))
                for key, label in (
                    ("households", _("Households")),
                    ("residents", _("Residents")),
                    ("floating", _("Floating population")),
                    ("rentals", _("Rentals")),
                )
            ],
        },
        *_visit_sections(f, get),
    ]


def _source_sections(f, get):
    """Where the month's matters came from and how residents rated theirs: only in figures
    taken since these were counted (older reports keep what they showed)."""
    if "from_patrol" not in f:
        return []
    return [
        {
            "title": _("Where matters come from"),
            "rows": [
                (_("Patrols"), get("from_patrol")),
                (_("Station desk (walk-in, phone, meeting, other)"), get("from_desk")),
                (_("Team members"), get("from_team")),
                (_("Residents"), get("from_resident")),
                (
                    _("Residents' own ratings: satisfied"),
                    _rate(get("resident_satisfied"), get("resident_rated")),
                ),
                (
                    _("Median hours from a resident's report to the first response"),
                    _hours(f.get("median_hours_to_response")),
                ),
            ],
        }
    ]
