"""Reads of the visits due: the list's page, and for the pages of other apps the home
page, the patrol's briefing, the Monday agenda and the monthly grid report."""

import datetime

from django.db.models import Count, Q

from gridmgmt import statements
from grids.models import Resident, Tag
from grids.paging import counts_of, paginate, with_counts

from .models import CarePlan, Visit

# The home page and the patrol's briefing list the people due within this many days.
AHEAD_DAYS = 3
LIST_LIMIT = 8
# The visits-due list pages over the soonest this many people; past them, choose a grid.
DUE_MOST = 500
# What a row of the short lists (care/_due_rows.html) shows: `due_soon` and `overdue` read
# only these, not the four rows' forty columns.
ROW_FIELDS = (
    "resident_id",
    "next_due_on",
    "resident__name",
    "resident__household__address",
    "resident__household__room",
    "grid__name",
)


def care_grids(scope):
    """The grids whose people under care the user may see (where they keep the register).
    A queryset: one query when evaluated."""
    return scope.grids().filter(scope.register_q()).order_by("code")


def due_page(request, plans):
    """`paginate` over the first DUE_MOST of `plans` (a `for_list()` queryset), with
    `is_capped` (more matched) and `most`. Runs two queries: the ids of the first DUE_MOST
    + 1 in order (the count and the page come from them: the scope and the order are worked
    out once, and the count stops at what is listed), then the page's rows by id."""
    most = DUE_MOST
    ids = list(plans.values_list("pk", flat=True)[: most + 1])
    context = paginate(request, ids[:most])
    page = context["page"]
    page.object_list = _plans_by_id(list(page.object_list))
    context.update({"is_capped": len(ids) > most, "most": most})
    return context


def _plans_by_id(ids):
    """The plans of `ids` in the list's order (`for_list`), read by a statement compiled once
    per process for their number and bound to them (gridmgmt.statements): Django took longer
    to compile it than PostgreSQL takes to run it. Runs one query (none for no ids)."""
    if not ids:
        return []
    return statements.model_rows(
        ("care.due.plans_by_id", len(ids)),
        lambda values: CarePlan.objects.filter(
            pk__in=[values[f"plan {n}"] for n in range(len(ids))]
        ).for_list(),
        {f"plan {n}": pk for n, pk in enumerate(ids)},
    )


def label_rows(plans, scope, today):
    """Mark each plan `is_late` and give it `shown_tags`: the tags the user may see (the
    attention tags for the station only). Prefetches the residents' tags: one query."""
    plans = list(plans)
    resident_ids = [p.resident_id for p in plans]
    through = Resident.tags.through
    tags = {}
    for row in through.objects.filter(resident_id__in=resident_ids).select_related("tag"):
        tags.setdefault(row.resident_id, []).append(row.tag)
    for plan in plans:
        attention = scope.sees_attention_tags(plan.grid)
        plan.is_late = plan.is_overdue(today)
        plan.shown_tags = sorted(
            t.name for t in tags.get(plan.resident_id, []) if attention or t.kind == Tag.Kind.CARE
        )
    return plans


def due_soon(scope, grid_ids, today, limit=LIST_LIMIT):
    """The people due within AHEAD_DAYS (overdue first) in `grid_ids`, that the user may
    see, and how many there are: ([plan], count). Runs one query, of a statement compiled
    once per process for the scope, the grids and the limit (gridmgmt.statements)."""
    ids = sorted(grid_ids)
    rows = statements.model_rows(
        ("care.due.due_soon", tuple(ids), limit, scope.statement_key),
        lambda values: with_counts(
            CarePlan.objects.current()
            .visible_to(scope)
            .in_grids(ids)
            .due_by(values["due_by"])
            .for_list()
            .only(*ROW_FIELDS),
            limit,
        ),
        {"due_by": today + datetime.timedelta(days=AHEAD_DAYS)},
    )
    for plan in rows:
        plan.is_late = plan.is_overdue(today)
    return rows, counts_of(rows)["total"]


def overdue(community_ids, today, limit=LIST_LIMIT):
    """The longest-overdue visits of the communities, for the station, and how many there
    are: ([plan], count). Runs one query, of a statement compiled once per process for the
    communities and the limit (gridmgmt.statements)."""
    ids = list(community_ids)
    rows = statements.model_rows(
        ("care.due.overdue", tuple(ids), limit),
        lambda values: with_counts(
            CarePlan.objects.current()
            .overdue(values["today"])
            .filter(grid__parent_id__in=ids)
            .for_list()
            .only(*ROW_FIELDS),
            limit,
        ),
        {"today": today},
    )
    for plan in rows:
        plan.is_late = True
    return rows, counts_of(rows)["total"]


def newly_overdue(community_path, since_day, day):
    """Visits that fell overdue from `since_day` to `day` (the due date in [since_day,
    day)) in the community and were not made since: the ones a meeting on `day` has not
    yet heard of. A queryset: one query."""
    return (
        CarePlan.objects.current()
        .filter(
            next_due_on__gte=since_day,
            next_due_on__lt=day,
            grid__path__startswith=community_path,
        )
        .for_list()
        .select_related("resident__household__grid")
    )


def grid_month_figures(grid_ids, start, end, today):
    """{grid id: {"visits_due", "visits_done", "visits_overdue"}} for the month [start, end]:
    the visits the rules asked for, those made (meeting the person), and the people overdue
    at the end of the month (or today, for the month under way). Runs three queries."""
    figures = {
        grid_id: {"visits_due": 0, "visits_done": 0, "visits_overdue": 0} for grid_id in grid_ids
    }
    done = (
        Visit.objects.done()
        .filter(grid_id__in=grid_ids, visited_on__range=(start, end))
        .values_list("grid_id")
        .annotate(count=Count("pk"))
    )
    for grid_id, count in done:
        figures[grid_id]["visits_done"] = count
    at = min(end + datetime.timedelta(days=1), today)
    overdue = (
        CarePlan.objects.current()
        .in_grids(grid_ids)
        .values_list("grid_id")
        .annotate(count=Count("pk", filter=Q(next_due_on__lt=at)))
    )
    for grid_id, count in overdue:
        figures[grid_id]["visits_overdue"] = count
    due = CarePlan.objects.current().in_grids(grid_ids).due_counts_by_grid(start, end)
    for grid_id, count in due.items():
        figures[grid_id]["visits_due"] = count
    return figures
