"""The district report as an XLSX workbook: one sheet per table on the page.

Written with openpyxl's write-only mode to a temporary file, like grids.exports.xlsx_response
(which writes a single sheet; the report has several). Every row goes through
grids.exports.safe_row, so no text becomes a formula in a spreadsheet.
"""

import functools
import tempfile

from django.http import FileResponse
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import PatternFill

from grids.exports import safe_row

from . import thresholds
from .district import COLUMNS

PERCENT = "0.0%"
DECIMAL = "0.0"


def report_workbook(area, start, end, *, sections, categories, formula, rows, trend):
    """A download of the report of `area` for start..end. Sheets: the headline figures, the
    incidents by category, the children table (one row per child, in the page's order) and
    the trend."""
    workbook = Workbook(write_only=True)

    summary = workbook.create_sheet(_("Figures"))
    summary.append(safe_row([_("Area"), area.name, area.code]))
    summary.append(safe_row([_("Period"), start.isoformat(), end.isoformat()]))
    summary.append(safe_row([_("Score formula"), formula]))
    summary.append([])
    summary.append(safe_row([_("Section"), _("Figure"), _("Value")]))
    for _key, title, lines in sections:
        for label, _text, value in lines:
            summary.append(safe_row([str(title), str(label), value]))

    by_category = workbook.create_sheet(_("Categories"))
    by_category.append(safe_row([_("Category"), _("Incidents filed"), _("Share")]))
    for name, count, share in categories:
        by_category.append(safe_row([name, count, share]))

    table = workbook.create_sheet(_("Areas"))
    table.append(safe_row([_("Code"), _("Area"), *[str(c.label) for c in COLUMNS]]))
    for row in rows:
        table.append(
            safe_row(
                [
                    row.area.code,
                    row.area.name,
                    *[_cell(table, c.kind, c.get(row), key=c.key) for c in COLUMNS],
                ]
            )
        )

    over_time = workbook.create_sheet(_("Trend"))
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
                    _cell(over_time, "pct", figures.coverage, key="coverage"),
                    figures.opened,
                    figures.closed,
                    figures.due,
                    figures.on_time,
                    _cell(over_time, "pct", figures.on_time_rate, key="on_time_rate"),
                ]
            )
        )

    handle = tempfile.TemporaryFile()  # noqa: SIM115 - FileResponse closes it
    workbook.save(handle)
    handle.seek(0)
    return FileResponse(
        handle,
        as_attachment=True,
        filename=f"report-{area.code}-{start:%Y%m%d}-{end:%Y%m%d}.xlsx",
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )


def _cell(sheet, kind, value, key=""):
    """Rates stay fractions shown as percentages, so a spreadsheet can compute with them; a
    rate with thresholds is filled with its light's colour, as on the page and the map."""
    if value is None or kind not in ("pct", "hours", "num", "score"):
        return value
    cell = WriteOnlyCell(sheet, value=value)
    cell.number_format = PERCENT if kind == "pct" else DECIMAL
    light = thresholds.light(key, value)
    if light:
        cell.fill = _fill(light)
    return cell


@functools.cache
def _fill(light):
    """The fill of a light's colour, made once (a cell keeps the index of its fill in the
    workbook's styles, not the object)."""
    colour = thresholds.COLOURS[light].lstrip("#").upper()
    return PatternFill(fill_type="solid", start_color=colour, end_color=colour)
