"""The district report: any area in scope (district, street, community, grid) over any period,
with its children to drill into, a map, charts, an XLSX export and a printable page.

Every figure comes from `reports.figures`, which aggregates in the database; the page runs a
fixed number of queries whatever the number of grids, patrols or incidents.
"""

from django import forms
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from gridmgmt.dates import DayField
from grids.models import Area
from grids.scope import get_scope

from . import district, exports
from . import score as scoring
from .figures import CADRE_HOUSEHOLDS_BEFORE_GRIDS, report_figures
from .models import ScoreWeights

LONGEST_PERIOD_DAYS = 366 * 2


class ReportForm(forms.Form):
    area = forms.CharField(required=False, max_length=60)
    start = DayField(label=gettext_lazy("From"))
    end = DayField(label=gettext_lazy("To"))
    sort = forms.CharField(required=False, max_length=40)

    def clean(self):
        data = super().clean()
        start, end = data.get("start"), data.get("end")
        if start and end:
            if start > end:
                raise forms.ValidationError(_("The period starts after it ends."))
            if (end - start).days >= LONGEST_PERIOD_DAYS:
                raise forms.ValidationError(_("A report covers at most two years."))
            if start > timezone.localdate():
                raise forms.ValidationError(_("The period starts in the future."))
        return data


def _form(request, today):
    """The report form, with the last full month where no dates are given."""
    data = request.GET.copy()
    start, end = district.last_full_month(today)
    data.setdefault("start", start.isoformat())
    data.setdefault("end", end.isoformat())
    return ReportForm(data)


def _area(scope, code):
    """The area asked for (404 outside scope or below a grid), or the topmost area of the
    user's posts at a grid or above (a building post held beside a grid post does not hide
    the grid's report). Runs one query when a code is given, none otherwise."""
    if code:
        return scope.get(Area.objects.filter(kind__in=district.KINDS), code=code)
    area = report_home(scope)
    if area is None and scope.is_global:
        area = Area.objects.filter(kind=Area.Kind.DISTRICT).order_by("code").first()
    return area


def report_home(scope):
    """The topmost area of the user's posts that has a report (a grid or above), or None.
    Reads only the scope's posts."""
    areas = [post.area for post in scope.posts if post.area.kind in district.KINDS]
    return min(areas, key=lambda area: area.path.count("/"), default=None)


def _ancestors(scope, area):
    """The areas above `area` that the user may see, top first. Runs one query."""
    ids = [int(pk) for pk in area.path.strip("/").split("/")[:-1]]
    above = Area.objects.filter(pk__in=ids).only("code", "name", "kind", "path").order_by("path")
    return [a for a in above if scope.contains(a)]


def _query(area, data, **changes):
    params = {
        "area": area.code,
        "start": data["start"].isoformat(),
        "end": data["end"].isoformat(),
    }
    if data.get("sort"):
        params["sort"] = data["sort"]
    params.update(changes)
    return urlencode({k: v for k, v in params.items() if v})


def _build(scope, area, start, end, sort):
    """Everything the page and the export show. Runs a fixed number of queries, whatever the
    number of grids: the weights, then reports.figures.report_figures (about 21), which computes
    each figure once for the children, the headline and the trend, reading the daily
    roll-up. The grids are those in scope under `area` (a path prefix, never a list of ids)
    that existed on a day of the period; the table, the map and the export show the children
    that did."""
    grids = scope.filter(Area.objects.grids().under(area).existing_during(start, end))
    weights = ScoreWeights.load()
    step = district.trend_step(start, end)
    # Neither the page nor the export shows the status now of those filed (by_status).
    pairs, headline, trend_rows = report_figures(area, start, end, grids, step, statuses=False)
    rows = district.build_rows(pairs, weights)
    key, descending = district.parse_sort(sort)
    rows = district.sort_rows(rows, key, descending)
    return {
        "weights": weights,
        "headline": headline,
        "score": scoring.score(headline, weights),
        "formula": scoring.formula(weights),
        "rows": rows,
        "sort_key": key,
        "descending": descending,
        "step": step,
        # The charts and the export's trend sheet show no register figures.
        "trend": trend_rows,
        # When today's figures are today's counts so far (reports.rollup.count_today).
        "today_as_of": headline.today_as_of,
    }


@login_required
def report(request):
    """The report of an area over a period (GET area, start, end, sort)."""
    scope = get_scope(request)
    today = timezone.localdate()
    form = _form(request, today)
    area = _area(scope, request.GET.get("area", ""))
    if area is None:
        return render(request, "reports/report_none.html", status=404)
    context = {"form": form, "area": area, "ancestors": _ancestors(scope, area)}
    if not form.is_valid():
        return render(request, "reports/report.html", context, status=400)

    data = form.cleaned_data
    start, end = data["start"], data["end"]
    built = _build(scope, area, start, end, data.get("sort"))
    rows = built["rows"]
    for row in rows:
        row.url = _link(row.area, data)
    # The children come from figures_by_child with their boundaries: no query of their own.
    boundaries = {row.area.pk: row.area.boundary for row in rows}
    urls = {row.area.pk: row.url for row in rows}
    context.update(built)
    context.update(
        {
            "start": start,
            "end": end,
            # The headline's cards, sections and categories, written in Python.
            "headline_html": district.headline_html(
                district.cards(built["headline"], built["score"]),
                district.summary(built["headline"], built["score"]),
                district.categories(built["headline"]),
                built["formula"],
                CADRE_HOUSEHOLDS_BEFORE_GRIDS,
                built["headline"].population_as_of,
            ),
            "threshold_table": district.threshold_table(),
            "headers": [
                (header, f"?{_query(area, data, sort=header.sort)}")
                for header in district.headers(built["sort_key"], built["descending"])
            ],
            # The rows' links, made once above.
            "map_data": district.map_data(rows, boundaries, lambda a: urls[a.pk]),
            "chart_data": district.chart_data(built["trend"], built["step"]),
            "presets": [
                (label, f"?{_query(area, data, start=s.isoformat(), end=e.isoformat())}")
                for label, s, e in district.presets(today)
            ],
            "export_url": (
                reverse("reports:xlsx", args=[area.code])
                + "?"
                + urlencode(
                    {"start": start, "end": end, **({"sort": data["sort"]} if data["sort"] else {})}
                )
            ),
            "child_kind": _child_kind(area),
        }
    )
    # The table's headers and rows, the map's and the charts' data, written in Python.
    context["headers_html"] = district.headers_html(context["headers"])
    context["rows_html"] = district.rows_html(rows)
    context["map_script"] = district.json_script(context["map_data"], "report-map-data")
    context["chart_script"] = district.json_script(context["chart_data"], "report-chart-data")
    return render(request, "reports/report.html", context)


@login_required
def report_xlsx(request, area_code):
    """The report's tables as an XLSX workbook: the headline figures, the children, the
    trend. A period that does not validate goes back to the page, which explains."""
    scope = get_scope(request)
    area = scope.get(Area.objects.filter(kind__in=district.KINDS), code=area_code)
    form = _form(request, timezone.localdate())
    if not form.is_valid():
        query = request.GET.copy()
        query["area"] = area.code
        return redirect(f"{reverse('reports:report')}?{query.urlencode()}")
    data = form.cleaned_data
    built = _build(scope, area, data["start"], data["end"], data.get("sort"))
    sections = district.summary(built["headline"], built["score"])
    return exports.report_workbook(
        area,
        data["start"],
        data["end"],
        sections=sections,
        categories=district.categories(built["headline"]),
        formula=built["formula"],
        rows=built["rows"],
        trend=built["trend"],
        today_as_of=built["today_as_of"],
    )


def _link(area, data):
    return f"{reverse('reports:report')}?{_query(area, data)}"


def _child_kind(area):
    below = {
        Area.Kind.DISTRICT: Area.Kind.STREET,
        Area.Kind.STREET: Area.Kind.COMMUNITY,
        Area.Kind.COMMUNITY: Area.Kind.GRID,
        Area.Kind.GRID: Area.Kind.GRID,
    }
    return Area.Kind(below[area.kind]).label
