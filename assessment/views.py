"""The monthly assessment page (考核) and its XLSX export.

Who sees what: whoever supervises the community (its stationmaster, street and district
staff, administrators) sees the ranking of all its grid workers; a grid worker sees only their
own line. Another person's line asked for by `person` is a 404, as is a community outside the
user's areas.
"""

import datetime
import html

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Q
from django.http import Http404
from django.shortcuts import render
from django.utils import timezone
from django.utils.formats import localize
from django.utils.html import escape, format_html
from django.utils.http import urlencode
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

from gridmgmt import dates, statements
from grids.models import GRID_WORKER_ROLES, Area
from grids.posts import community_id_of
from grids.scope import get_scope

from . import exports
from . import figures as assessment
from .models import AssessmentWeights


def _month(request):
    """(first day of the month asked for, or of this month, and an error message or "")."""
    text = request.GET.get("month", "")
    month = dates.parse_month(text)
    if month is not None:
        return month, ""
    month = timezone.localdate().replace(day=1)
    if not text:
        return month, ""
    return month, _(
        "“%(value)s” is not a month from %(earliest)s to %(latest)s (YYYY-MM): the page shows "
        "%(month)s instead."
    ) % {"value": text[:40], "month": f"{month:%Y-%m}", **dates.month_range_params()}


def month_end(month):
    return (month + datetime.timedelta(days=32)).replace(day=1) - datetime.timedelta(days=1)


def _communities(scope):
    """The communities the user may open: those in their areas (the station and above) and
    those of their grid-worker posts. Runs one query, of a statement compiled once per
    process for the user's posts (gridmgmt.statements)."""

    own = {community_id_of(post.area) for post in scope.posts if post.role in GRID_WORKER_ROLES} - {
        None
    }
    if not scope.is_global and not scope.root_paths and not own:
        return []  # nothing to ask for (Django's queryset asks nothing either)

    def build(values):
        communities = Area.objects.of_kind(Area.Kind.COMMUNITY)
        if not scope.is_global:  # an administrator's scope.q() is empty: everything
            communities = communities.filter(scope.q() | Q(pk__in=sorted(own)))
        return communities.only("code", "name", "path").order_by("code")

    return statements.model_rows(("assessment.views.communities", scope.statement_key), build, {})


def _choose(request):
    """(scope, communities, community, may_rank) for the request, or Http404: a community
    code outside the user's communities, or a user with no community at all."""
    scope = get_scope(request)
    communities = _communities(scope)
    code = request.GET.get("community", "")
    if code:
        community = next((c for c in communities if c.code == code), None)
    else:
        supervised = [c for c in communities if scope.supervises(c)]
        community = (supervised or communities or [None])[0]
    if community is None:
        raise Http404
    return scope, communities, community, scope.supervises(community)


def _person(request, scope, community, may_rank):
    """The user asked for by `person`, or None. A worker may ask only for themselves; the
    station for its community's workers (checked by the lines); anything else is a 404."""
    text = request.GET.get("person", "")
    if not text:
        return None
    if not text.isdigit() or len(text) > 18:
        raise Http404
    if not may_rank and int(text) != request.user.pk:
        raise Http404
    return int(text)


def _build(request):
    scope, communities, community, may_rank = _choose(request)
    month, error = _month(request)
    end = month_end(month)
    weights = AssessmentWeights.load()
    person = _person(request, scope, community, may_rank)
    # A worker who may not rank gets their own line; the station everyone's or one person's.
    line_of = request.user.pk if person is None and not may_rank else person
    lines = assessment.lines(community, month, end, weights, person=line_of)
    if person is not None and not lines:
        raise Http404
    return {
        "communities": communities if len(communities) > 1 else [],
        "community": community,
        "month": month,
        "month_value": f"{month:%Y-%m}",
        "end": end,
        "weights": weights,
        "formula": assessment.formula(weights),
        "labels": [label for _key, label in assessment.FIGURES],
        "lines": lines,
        "may_rank": may_rank,
        "person": lines[0] if person is not None else None,
        "error": error,
    }


def _figure_cells(labels):
    """[(before, after)]: the markup around each figure's value in a line's <dl>, its label
    and key escaped once for the page."""
    return [
        (
            format_html(
                '<div class="col d-flex justify-content-between border-bottom">'
                '<dt class="fw-normal text-body-secondary">{}</dt>'
                '<dd class="mb-0 fw-semibold" data-figure="{}">',
                label,
                key,
            ),
            "</dd></div>",
        )
        for key, label in labels
    ]


def _figures_template(cells):
    """A line's figures as the items of its <dl>: a %-format taking the figures (integers,
    in FIGURES order), the cells' markup written once for the page."""
    return "\n".join(
        f"{before.replace('%', '%%')}%d{after.replace('%', '%%')}" for before, after in cells
    )


def _lines_html(lines, may_rank, person_query):
    """The lines as the items of the page's list, written in one pass as the template's
    loop over them wrote them (a community has 64), values escaped and numbers localized as
    a template does. `person_query`: the query string of a person's line without the
    person's id, which ends it."""
    figures = _figures_template(_figure_cells(assessment.FIGURES))
    link = escape(person_query)
    items = []
    for line in lines:
        user = line.user
        # html.escape is django.utils.html.escape without its wrapper for lazy strings; the
        # values are plain strings.
        score = html.escape(localize(line.score))
        rank = (
            f'<span class="badge text-bg-secondary me-1" data-rank>{localize(line.rank)}</span>'
            if may_rank
            else ""
        )
        items.append(
            f'\n  <div class="list-group-item" data-line="{html.escape(user.username)}">'
            '\n    <div class="d-flex justify-content-between align-items-center gap-2">'
            "\n      <div>"
            f"\n        {rank}"
            f'\n        <a href="?{link}{int(user.pk)}">{html.escape(user.display_name)}</a>'
            "\n      </div>"
            f'\n      <span class="fs-5 fw-semibold" data-score>{score}</span>'
            "\n    </div>"
            '\n    <dl class="row row-cols-2 row-cols-md-4 small mb-0 mt-1">'
            f"\n      {figures % tuple(line.values())}"
            "\n    </dl>"
            "\n  </div>\n"
        )
    # Safe: every value in it is escaped.
    return mark_safe("".join(items))


def _community_options(communities, community):
    """The community picker's options, written in one pass as the template's loop over the
    communities wrote them (the district's 100: a tenth of the page's CPU), code and name
    escaped as a template does, `community` selected."""
    chosen = community.code
    # Safe: every value in it is escaped.
    return mark_safe(
        "".join(
            f'<option value="{html.escape(c.code)}"{" selected" if c.code == chosen else ""}>'
            f"{html.escape(c.name)}</option>"
            for c in communities
        )
    )


@login_required
def page(request):
    """The assessment of a community's grid workers for a month (GET month, community,
    person). Runs a fixed number of queries whatever the number of people and rows: the
    user's posts, the communities, the weights, the lines."""
    context = _build(request)
    status = 200
    if context["error"]:
        messages.error(request, context["error"])
        status = 400

    def query(**changes):
        params = {"month": context["month_value"], "community": context["community"].code}
        params.update(changes)
        return urlencode(params)

    month = context["month"]
    # The lines written in Python (the labels translated and escaped once for the page): a
    # community's 64 lines hold 900 figures, and rendering them one by one in the template
    # took a third of the page's time.
    context.update(
        previous_query=query(month=f"{month - datetime.timedelta(days=1):%Y-%m}"),
        next_query=query(month=f"{context['end'] + datetime.timedelta(days=1):%Y-%m}"),
        query=query(),
        rows=_lines_html(context["lines"], context["may_rank"], query(person="")),
        community_options=_community_options(context["communities"], context["community"]),
    )
    return render(request, "assessment/page.html", context, status=status)


@login_required
def export(request):
    """The page's lines as an XLSX workbook (the same scope: a worker gets their own line)."""
    context = _build(request)
    if context["error"]:
        raise Http404
    return exports.workbook(context)
