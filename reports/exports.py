"""The district report as an XLSX workbook: one sheet per table on the page, written by
gridmgmt.xlsx (openpyxl's bytes, the rows written here). Every row goes through
grids.exports.safe_row, so no text becomes a formula in a spreadsheet.
"""

from django.utils.formats import date_format
from django.utils.timezone import localtime
from django.utils.translation import gettext as _

from gridmgmt import xlsx
from grids.exports import safe_row

from . import thresholds
from .district import COLUMNS

PERCENT = "0.0%"
DECIMAL = "0.0"


def report_workbook(area, start, end, **tables):
    """A download of the report of `area` for start..end (`report_sheets`). Runs no
    queries."""
    return xlsx.response(
        report_sheets(area, start, end, **tables),
        filename=f"report-{area.code}-{start:%Y%m%d}-{end:%Y%m%d}.xlsx",
    )


def report_sheets(
    area, start, end, *, sections, categories, formula, rows, trend, today_as_of=None
):
    """The workbook's sheets [(title, rows)]: the headline figures, the incidents by
    category, the children table (one row per child, in the page's order) and the trend.
    `today_as_of`: when today's figures were counted, as the page says it."""
    summary = []
    summary.append(safe_row([_("Area"), area.name, area.code]))
    summary.append(safe_row([_("Period"), start.isoformat(), end.isoformat()]))
    if today_as_of:
        at = date_format(localtime(today_as_of), "Y-m-d H:i")
        summary.append(safe_row([_("Today counted at"), at]))
    summary.append(safe_row([_("Score formula"), formula]))
    summary.append([])
    summary.append(safe_row([_("Section"), _("Figure"), _("Value")]))
    for _key, title, lines in sections:
        for label, _text, value in lines:
            summary.append(safe_row([str(title), str(label), value]))

    by_category = []
    by_category.append(safe_row([_("Category"), _("Incidents filed"), _("Share")]))
    for name, count, share in categories:
        by_category.append(safe_row([name, count, share]))

    table = []
    table.append(safe_row([_("Code"), _("Area"), *[str(c.label) for c in COLUMNS]]))
    for row in rows:
        table.append(
            safe_row(
                [
                    row.area.code,
                    row.area.name,
                    *[_cell(c.kind, c.get(row), key=c.key) for c in COLUMNS],
                ]
            )
        )

    over_time = []
    over_time.append(
        safe_row(
            [
                _("From"),
                _("Windows"),
                _("Patrol coverage"),
                _("Filed"),
                _("Closed"),
                _("Due"),
                _("On time"),
                _("On-time closure rate"),
            ]
        )
    )
    for day, figures in trend:
        over_time.append(
            safe_row(
                [
                    day.isoformat(),
                    figures.windows,
                    _cell("pct", figures.coverage, key="coverage"),
                    figures.opened,
                    figures.closed,
                    figures.due,
                    figures.on_time,
                    _cell("pct", figures.on_time_rate, key="on_time_rate"),
                ]
            )
        )

    return [
        (str(_("Figures")), summary),
        (str(_("Categories")), by_category),
        (str(_("Areas")), table),
        (str(_("Trend")), over_time),
    ]


def _cell(kind, value, key=""):
    """Rates stay fractions shown as percentages, so a spreadsheet can compute with them; a
    rate with thresholds is filled with its light's colour, as on the page and the map."""
    if value is None or kind not in ("pct", "hours", "num", "score"):
        return value
    light = thresholds.light(key, value)
    fill = thresholds.COLOURS[light].lstrip("#").upper() if light else None
    return xlsx.Styled(value, PERCENT if kind == "pct" else DECIMAL, fill)
