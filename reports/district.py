"""The district report's tables, map and charts, built from figures already computed.

Pure functions over `reports.figures.Figures`: nothing here runs a query. The view fetches;
this module lays out the headline sections, the children table (its columns, sort and cells),
the map's GeoJSON and the charts' series.
"""

import datetime
import json
from dataclasses import dataclass, field
from html import escape

from django.core.serializers.json import DjangoJSONEncoder
from django.utils.formats import date_format, localize
from django.utils.safestring import mark_safe
from django.utils.timezone import template_localtime
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from grids.models import Area

from . import score as scoring
from . import thresholds
from .figures import CADRE_HOUSEHOLDS_BEFORE_GRIDS, _ratio

KINDS = (Area.Kind.DISTRICT, Area.Kind.STREET, Area.Kind.COMMUNITY, Area.Kind.GRID)
WEEKLY_UP_TO_DAYS = 62  # a longer period is charted per month


def registered(figures):
    return figures.residents - figures.floating


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    kind: str  # int, pct, hours, num, score
    get: object  # Row -> value
    better: str = ""  # "high" or "low": which end is good, for the map's colours


def _fig(name):
    return lambda row: getattr(row.figures, name)


COLUMNS = [
    Column("grids", _("Grids"), "int", _fig("grids")),
    Column("score", _("Score"), "score", lambda row: row.score.value, "high"),
    Column("coverage", _("Patrol coverage"), "pct", _fig("coverage"), "high"),
    Column("missed", _("Missed windows"), "int", _fig("missed"), "low"),
    Column("opened", _("Incidents"), "int", _fig("opened")),
    Column("closed", _("Closed"), "int", _fig("closed")),
    Column("on_time_rate", _("On-time closure rate"), "pct", _fig("on_time_rate"), "high"),
    Column("closure_rate", _("Closure rate"), "pct", _fig("closure_rate"), "high"),
    Column("overdue_open", _("Overdue"), "int", _fig("overdue_open"), "low"),
    Column("median_hours", _("Median hours to close"), "hours", _fig("median_hours_to_close")),
    Column(
        "p90_hours",
        _("90th percentile hours"),
        "hours",
        _fig("p90_hours_to_close"),
    ),
    Column("escalations", _("Escalations"), "int", _fig("escalations"), "low"),
    Column("rework", _("Rework"), "int", _fig("rework"), "low"),
    Column("satisfaction", _("Satisfaction"), "pct", _fig("satisfaction_rate"), "high"),
    Column(
        "overdue_instructions",
        _("Overdue instructions"),
        "int",
        _fig("overdue_instructions"),
        "low",
    ),
    Column("households", _("Households"), "int", _fig("households")),
    Column("residents", _("Residents"), "int", _fig("residents")),
    Column("floating", _("Floating"), "int", _fig("floating")),
    Column("rentals", _("Rentals"), "int", _fig("rentals")),
    Column(
        "households_per_worker",
        _("Households per grid worker"),
        "num",
        _fig("households_per_worker"),
        "low",
    ),
]
COLUMNS_BY_KEY = {c.key: c for c in COLUMNS}
MAP_KEYS = [
    "score",
    "coverage",
    "on_time_rate",
    "closure_rate",
    "overdue_open",
    "missed",
    "satisfaction",
    "households_per_worker",
]
DEFAULT_SORT = "name"


def display(kind, value):
    """A value as the page shows it."""
    if value is None:
        return "—"
    if kind == "pct":
        return f"{value * 100:.1f}%"
    if kind in ("hours", "num", "score"):
        return f"{value:.1f}"
    return f"{value:,}" if isinstance(value, int) else str(value)


@dataclass
class Cell:
    column: Column
    value: object
    text: str
    light: str = ""  # green, yellow or red for a rate with thresholds


@dataclass
class Row:
    area: Area
    figures: object
    score: scoring.Score
    cells: list = field(default_factory=list)
    url: str = ""

    def value(self, key):
        return COLUMNS_BY_KEY[key].get(self)

    @property
    def cells_html(self):
        """The row's cells as the table shows them (a <td> each), written in one pass rather
        than by the template per cell."""
        return mark_safe("".join(_cell_html(cell) for cell in self.cells))


def _cell_html(cell):
    """A cell's <td>, its values escaped as format_html (and the template) escape them."""
    key, text = escape(str(cell.column.key)), escape(str(cell.text))
    if cell.light:
        light = escape(str(cell.light))
        return (
            f'<td class="text-end rate-{light}" data-light="{light}" data-column="{key}">'
            f"{text}</td>"
        )
    return f'<td class="text-end" data-column="{key}">{text}</td>'


def build_rows(pairs, weights):
    """One Row per (area, Figures), with its score and its cells."""
    rows = []
    for area, figures in pairs:
        row = Row(area, figures, scoring.score(figures, weights))
        cells = []
        for c in COLUMNS:
            value = c.get(row)
            cells.append(Cell(c, value, display(c.kind, value), thresholds.light(c.key, value)))
        row.cells = cells
        rows.append(row)
    return rows


def parse_sort(value):
    """(key, descending) from "?sort=key" or "?sort=-key"; unknown keys sort by name."""
    value = value or DEFAULT_SORT
    descending = value.startswith("-")
    key = value.removeprefix("-")
    if key != DEFAULT_SORT and key not in COLUMNS_BY_KEY:
        return DEFAULT_SORT, False
    return key, descending


def sort_rows(rows, key, descending):
    """Rows sorted by a column; a missing value (—) sorts last either way."""
    if key == DEFAULT_SORT:
        return sorted(rows, key=lambda r: r.area.code, reverse=descending)
    known = [r for r in rows if r.value(key) is not None]
    unknown = [r for r in rows if r.value(key) is None]
    known.sort(key=lambda r: (r.value(key), r.area.code), reverse=descending)
    return known + sorted(unknown, key=lambda r: r.area.code)


@dataclass
class Header:
    key: str
    label: str
    sort: str  # the ?sort= value a click asks for
    aria_sort: str  # ascending, descending or none


def headers(key, descending):
    """The table's headers: a click sorts by the column, a second click reverses it."""
    out = []
    for column_key, label in [(DEFAULT_SORT, _("Area")), *[(c.key, c.label) for c in COLUMNS]]:
        is_current = column_key == key
        ask = f"-{column_key}" if is_current and not descending else column_key
        if not is_current and column_key in COLUMNS_BY_KEY and column_key != "grids":
            # Figures read best worst-first or biggest-first: the first click sorts down.
            ask = f"-{column_key}"
        state = ("descending" if descending else "ascending") if is_current else "none"
        out.append(Header(column_key, label, ask, state))
    return out


def headers_html(headers):
    """The table's header cells (`headers`: [(Header, the query a click asks for)]), written
    in one pass as templates/reports/_report_table.html's loop wrote them, values escaped as
    it escaped them."""
    out = []
    for n, (header, query) in enumerate(headers):
        arrow = {"ascending": " ▲", "descending": " ▼"}.get(header.aria_sort, "")
        out.append(
            f'\n      <th scope="col" aria-sort="{escape(str(header.aria_sort))}"'
            f' data-column="{escape(str(header.key))}" class="{"text-end" if n else ""}">'
            f'<a class="link-body-emphasis text-decoration-none" href="{escape(str(query))}">'
            f"{escape(str(header.label))}{arrow}</a></th>\n      "
        )
    return mark_safe("".join(out))


def rows_html(rows):
    """The table's rows (each with its link and its cells), written in one pass as
    templates/reports/_report_table.html's loop wrote them, values escaped as it escaped
    them."""
    return mark_safe(
        "".join(
            f'\n      <tr data-area="{escape(str(row.area.code))}">\n'
            f'        <th scope="row" class="fw-normal"><a href="{escape(str(row.url))}">'
            f"{escape(str(row.area.name))}</a></th>\n"
            f"        {row.cells_html}\n"
            "      </tr>\n    "
            for row in rows
        )
    )


def cards(figures, score):
    """The headline figures at the top of the page: (key, label, text, light)."""
    rates = {
        "coverage": figures.coverage,
        "on_time_rate": figures.on_time_rate,
        "closure_rate": figures.closure_rate,
    }
    return [
        ("score", _("Score"), display("score", score.value), ""),
        *[
            (key, COLUMNS_BY_KEY[key].label, display("pct", value), thresholds.light(key, value))
            for key, value in rates.items()
        ],
        ("overdue_open", _("Overdue"), display("int", figures.overdue_open), ""),
        (
            "households_per_worker",
            _("Households per grid worker"),
            display("num", figures.households_per_worker),
            "",
        ),
    ]


def threshold_table():
    """The thresholds as the report page documents them: (label, [(light, colour name,
    text)])."""
    return [
        (t.label, [(light, thresholds.LABELS[light], text) for light, text in t.bands()])
        for t in thresholds.THRESHOLDS.values()
    ]


class Lines(list):
    """A headline section's [(label, value text, raw value)], with the rows the page shows
    them in."""

    @property
    def html(self):
        """The section's table rows (a <tr> each), written in one pass as the template wrote
        them, values escaped as it escaped them."""
        return mark_safe(
            "".join(
                f'\n        <tr><th scope="row" class="fw-normal">{escape(str(label))}</th>'
                f'<td class="text-end">{escape(str(text))}</td></tr>\n      '
                for label, text, _value in self
            )
        )


def headline_html(cards, sections, categories, formula, before_grids, population_as_of):
    """The headline figures (the cards, the sections, the incidents by category) as the
    page shows them, written in one pass as the template _report_headline.html wrote them,
    values escaped as it escaped them (tests/reports/test_report_html.py keeps the template
    and holds the two equal)."""
    heading = escape(gettext("Headline figures"))
    out = [
        '\n<section class="mb-3" aria-labelledby="report-headline">\n'
        f'  <h2 class="visually-hidden" id="report-headline">{heading}</h2>\n'
        '  <div class="row g-2 report-cards">\n    '
    ]
    for key, label, text, light in cards:
        if light:
            light = escape(str(light))
            lit = f' rate-{light}"'
            lit_attribute = f' data-light="{light}"'
        else:
            lit, lit_attribute = '"', ""
        out.append(
            '\n    <div class="col-6 col-md-4 col-xl-2"><div class="card h-100">'
            '<div class="card-body p-2">\n'
            f'      <div class="small text-body-secondary">{escape(str(label))}</div>\n'
            f'      <div class="fs-4 fw-semibold{lit}{lit_attribute}'
            f' data-figure="{escape(str(key))}">{escape(str(text))}</div>\n'
            "    </div></div></div>\n    "
        )
    out.append('\n  </div>\n</section>\n\n<div class="row g-3 mb-3">\n  ')
    for key, title, lines in sections:
        key_text = escape(str(key))
        out.append(
            '\n  <section class="col-12 col-md-6 col-xl-4 report-section"'
            f' aria-labelledby="report-{key_text}" data-section="{key_text}">\n'
            f'    <h2 class="h6 border-bottom pb-1" id="report-{key_text}">'
            f"{escape(str(title))}</h2>\n"
            '    <table class="table table-sm mb-1">\n'
            "      <tbody>\n"
            f"      {lines.html}\n"
            "      </tbody>\n"
            "    </table>\n    "
        )
        if key == "population":
            out.append(
                '\n    <p class="small text-body-secondary mb-0">'
                + escape(
                    gettext(
                        "As of the end date; in brackets the change since the day before the start."
                    )
                )
                + "</p>\n    "
            )
            if population_as_of:
                at = escape(
                    date_format(template_localtime(population_as_of), "SHORT_DATETIME_FORMAT")
                )
                out.append(
                    '\n    <p class="small text-body-secondary mb-0" data-population-as-of>'
                    + gettext("Population from the daily roll-up of %(at)s") % {"at": at}
                    + "</p>\n    "
                )
            out.append("\n    ")
        elif key == "workload":
            low, high = (escape(str(localize(value))) for value in before_grids[:2])
            out.append(
                '\n    <p class="small text-body-secondary mb-0" data-before-grids>'
                + gettext("Before grids, one community cadre served %(low)s–%(high)s households.")
                % {"low": low, "high": high}
                + "</p>\n    "
            )
        elif key == "score":
            out.append(
                f'\n    <p class="small mb-0" data-score-formula>{escape(str(formula))}</p>\n'
                '    <p class="small text-body-secondary mb-0">'
                + escape(
                    gettext(
                        "A rate with nothing to count (no incident due, none closed) earns full "
                        "points. The administrator sets the weights."
                    )
                )
                + "</p>\n    "
            )
        out.append("\n    ")
        if key == "incidents" and categories:
            out.append(
                '\n    <h3 class="h6 mt-2">'
                + escape(gettext("Filed by category"))
                + '</h3>\n    <table class="table table-sm mb-1" data-table="categories">\n'
                '      <thead><tr><th scope="col">'
                + escape(gettext("Category"))
                + '</th><th scope="col" class="text-end">'
                + escape(gettext("Filed"))
                + '</th><th scope="col" class="text-end">'
                + escape(gettext("Share"))
                + "</th></tr></thead>\n      <tbody>\n      "
            )
            for name, count, share in categories:
                out.append(
                    '\n        <tr><th scope="row" class="fw-normal">'
                    f"{escape(str(name))}</th>"
                    f'<td class="text-end">{escape(str(localize(count)))}</td>'
                    f'<td class="text-end">{escape(str(share))}</td></tr>\n      '
                )
            out.append("\n      </tbody>\n    </table>\n    ")
        out.append("\n  </section>\n  ")
    out.append("\n</div>\n")
    return mark_safe("".join(out))


def summary(figures, score):
    """The headline sections as (key, title, Lines [(label, value text, raw value)])."""

    def pct(v):
        return display("pct", v)

    def count_and_share(count, share):
        return f"{count:,} ({pct(share)})"

    low, high = CADRE_HOUSEHOLDS_BEFORE_GRIDS
    sections = [
        (
            "patrols",
            _("Patrol coverage"),
            [
                (_("Windows"), f"{figures.windows:,}", figures.windows),
                (_("Done"), count_and_share(figures.done, figures.coverage), figures.done),
                (_("Short"), count_and_share(figures.short, figures.short_share), figures.short),
                (
                    _("Missed"),
                    count_and_share(figures.missed, figures.missed_share),
                    figures.missed,
                ),
            ],
        ),
        (
            "incidents",
            _("Incidents"),
            [
                (_("Filed in the period"), f"{figures.opened:,}", figures.opened),
                (_("Closed in the period"), f"{figures.closed:,}", figures.closed),
                (_("Due in the period"), f"{figures.due:,}", figures.due),
                (_("Due and closed"), f"{figures.due_closed:,}", figures.due_closed),
                (
                    _("Closure rate (closed ÷ due)"),
                    pct(figures.closure_rate),
                    figures.closure_rate,
                ),
                (_("Closed on time"), f"{figures.on_time:,}", figures.on_time),
                (
                    _("On-time closure rate (on time ÷ due)"),
                    pct(figures.on_time_rate),
                    figures.on_time_rate,
                ),
                (_("Overdue and still open"), f"{figures.overdue_open:,}", figures.overdue_open),
                (
                    _("Median hours to close"),
                    display("hours", figures.median_hours_to_close),
                    figures.median_hours_to_close,
                ),
                (
                    _("90th percentile hours to close"),
                    display("hours", figures.p90_hours_to_close),
                    figures.p90_hours_to_close,
                ),
                (_("Escalations"), f"{figures.escalations:,}", figures.escalations),
                (_("Rework"), f"{figures.rework:,}", figures.rework),
                (
                    _("Satisfied (recorded by staff)"),
                    f"{figures.satisfied:,} / {figures.rated:,} ({pct(figures.satisfaction_rate)})",
                    figures.satisfaction_rate,
                ),
                (
                    _("Overdue verification instructions"),
                    f"{figures.overdue_instructions:,}",
                    figures.overdue_instructions,
                ),
            ],
        ),
        (
            "sources",
            _("Where matters come from"),
            [
                (
                    _("Patrols"),
                    count_and_share(
                        figures.from_patrol, _ratio(figures.from_patrol, figures.opened)
                    ),
                    figures.from_patrol,
                ),
                (
                    _("Station desk (walk-in, phone, meeting, other)"),
                    count_and_share(figures.from_desk, _ratio(figures.from_desk, figures.opened)),
                    figures.from_desk,
                ),
                (
                    _("Team members"),
                    count_and_share(figures.from_team, _ratio(figures.from_team, figures.opened)),
                    figures.from_team,
                ),
                (
                    _("Residents"),
                    count_and_share(
                        figures.from_resident, _ratio(figures.from_resident, figures.opened)
                    ),
                    figures.from_resident,
                ),
                (
                    _("Residents' own ratings: satisfied"),
                    f"{figures.resident_satisfied:,} / {figures.resident_rated:,} "
                    f"({pct(figures.resident_satisfaction_rate)})",
                    figures.resident_satisfaction_rate,
                ),
                (
                    _("Median hours from a resident's report to the first response"),
                    display("hours", figures.median_hours_to_response),
                    figures.median_hours_to_response,
                ),
            ],
        ),
        (
            "population",
            _("Population at the end date"),
            [
                _with_change(_("Households"), figures.households, figures.households_before),
                _with_change(_("Residents"), figures.residents, figures.residents_before),
                _with_change(
                    _("Registered residents"),
                    registered(figures),
                    figures.residents_before - figures.floating_before,
                ),
                _with_change(_("Floating residents"), figures.floating, figures.floating_before),
                _with_change(_("Rentals"), figures.rentals, figures.rentals_before),
            ],
        ),
        (
            "workload",
            _("Workload"),
            [
                (_("Grids"), f"{figures.grids:,}", figures.grids),
                (_("Grid workers"), f"{figures.grid_workers:,}", figures.grid_workers),
                (
                    _("Households per grid worker"),
                    display("num", figures.households_per_worker),
                    figures.households_per_worker,
                ),
                (
                    _("Before grids, households per cadre"),
                    f"{low}–{high}",
                    f"{low}–{high}",
                ),
            ],
        ),
        (
            "score",
            _("Score"),
            [(_("Score"), display("score", score.value), score.value)]
            + [
                (
                    part.label,
                    f"{part.points:.1f} / {part.weight}",
                    round(part.points, 1),
                )
                for part in score.parts
            ],
        ),
    ]
    return [(key, title, Lines(lines)) for key, title, lines in sections]


def _with_change(label, now, before):
    change = now - before
    return (label, f"{now:,} ({change:+,})", now)


def categories(figures):
    """(category, count, share) for the incidents filed in the period, biggest first."""
    total = sum(figures.by_category.values())
    return [
        (name, count, display("pct", count / total if total else None))
        for name, count in sorted(figures.by_category.items(), key=lambda kv: (-kv[1], kv[0]))
    ]


def map_data(rows, boundaries, link):
    """The map's GeoJSON: one feature per row with a boundary, its figures and its link."""
    features = []
    for row in rows:
        boundary = boundaries.get(row.area.pk)
        if not boundary:
            continue
        values = {key: row.value(key) for key in MAP_KEYS}
        features.append(
            {
                "type": "Feature",
                "geometry": boundary,
                "properties": {
                    "code": row.area.code,
                    "name": row.area.name,
                    "url": link(row.area),
                    "values": values,
                    "lights": {key: thresholds.light(key, values[key]) for key in MAP_KEYS},
                    "texts": {
                        key: display(COLUMNS_BY_KEY[key].kind, values[key]) for key in MAP_KEYS
                    },
                },
            }
        )
    return {
        "type": "FeatureCollection",
        "features": features,
        "metrics": [
            {
                "key": key,
                "label": str(COLUMNS_BY_KEY[key].label),
                "better": COLUMNS_BY_KEY[key].better,
                "kind": COLUMNS_BY_KEY[key].kind,
                # A rate with thresholds is coloured by them, and its legend is their bands.
                "legend": _legend(key),
            }
            for key in MAP_KEYS
        ],
        "colours": thresholds.COLOURS,
        "noData": str(_("No data")),
    }


def json_script(value, element_id):
    """What the json_script filter writes (django.utils.html.json_script): the JSON in a
    <script> element, "<", ">" and "&" as unicode escapes, made by str.replace rather than
    str.translate (a map's boundaries are tens of kilobytes)."""
    text = (
        json.dumps(value, cls=DjangoJSONEncoder)
        .replace(">", "\\u003E")
        .replace("<", "\\u003C")
        .replace("&", "\\u0026")
    )
    return mark_safe(f'<script id="{escape(element_id)}" type="application/json">{text}</script>')


def _legend(key):
    threshold = thresholds.THRESHOLDS.get(key)
    if threshold is None:
        return None
    return [{"light": light, "text": text} for light, text in threshold.bands()]


def trend_step(start, end):
    return "week" if (end - start).days < WEEKLY_UP_TO_DAYS else "month"


def chart_data(points, step):
    """The charts' series from `trend` output: [(period start, Figures)]."""

    def pct(value):
        return None if value is None else round(value * 100, 1)

    return {
        "step": step,
        "labels": [_label(day, step) for day, _f in points],
        "coverage": [pct(f.coverage) for _d, f in points],
        "opened": [f.opened for _d, f in points],
        "closed": [f.closed for _d, f in points],
        "onTime": [pct(f.on_time_rate) for _d, f in points],
        "text": {
            "coverage": str(_("Patrol coverage %")),
            "opened": str(_("Filed")),
            "closed": str(_("Closed")),
            "onTime": str(_("On-time closure rate %")),
        },
    }


def _label(day, step):
    if step == "month":
        return f"{day:%Y-%m}"
    return f"{day:%m-%d}"


def last_full_month(today):
    end = today.replace(day=1) - datetime.timedelta(days=1)
    return end.replace(day=1), end


def presets(today):
    """(label, start, end) for the quick period links."""
    first = today.replace(day=1)
    last_start, last_end = last_full_month(today)
    quarter_start = (first - datetime.timedelta(days=1)).replace(day=1)
    quarter_start = (quarter_start - datetime.timedelta(days=1)).replace(day=1)
    quarter_start = (quarter_start - datetime.timedelta(days=1)).replace(day=1)
    return [
        (_("Last month"), last_start, last_end),
        (_("This month"), first, today),
        (_("Last three months"), quarter_start, last_end),
        (_("This year"), today.replace(month=1, day=1), today),
    ]
