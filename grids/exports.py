"""Tables to XLSX, streamed row by row (openpyxl write-only mode), safe to open in a
spreadsheet, and the register's exports: who may export, and the log entry each one writes."""

import tempfile

from django.core.exceptions import PermissionDenied
from django.http import FileResponse
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE, Cell

from . import services

# A cell that begins with one of these is a formula to a spreadsheet (OWASP, "CSV
# injection"): an imported name `=HYPERLINK("http://…")` would become a live link.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value):
    """`value` as a spreadsheet must store it: a string that begins with = + - @, a tab or a
    carriage return gets a leading apostrophe and stays text, and loses the control characters
    an XLSX file cannot hold (openpyxl refuses them: a name with a bell character in it would
    fail the whole export). Numbers (a negative one too), dates and empty cells are unchanged;
    a cell (WriteOnlyCell) has its value escaped the same way. Every writer of XLSX in the
    project passes its cells through here."""
    if isinstance(value, Cell):
        value.value = safe_cell(value.value)
        return value
    if isinstance(value, Promise):
        value = str(value)
    if isinstance(value, str):
        value = ILLEGAL_CHARACTERS_RE.sub("", value)
        if value.startswith(FORMULA_STARTS):
            return "'" + value
    return value


def safe_row(values):
    """A row of cells, each through `safe_cell`."""
    return [safe_cell(value) for value in values]


def xlsx_response(filename, headers, rows, title=None):
    """An XLSX download of `rows` (an iterable of tuples) under `headers`, on one sheet named
    `title` (by default "Register", in the reader's language), every cell through
    `safe_cell`. The workbook is written to a temporary file, so memory does not grow with the
    rows. The response carries the number of rows written as `rows_written`."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(str(title or _("Register")))
    sheet.append(safe_row(str(h) for h in headers))
    count = 0
    for row in rows:
        sheet.append(safe_row(row))
        count += 1
    handle = tempfile.TemporaryFile()  # noqa: SIM115 - FileResponse closes it
    workbook.save(handle)
    handle.seek(0)
    response = FileResponse(
        handle,
        as_attachment=True,
        filename=filename,
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    response.rows_written = count
    return response


def require_export(scope, area=None):
    """Only those who keep the register export it: in `area`, or (for the lists that span
    areas) somewhere; the rows are then limited with `Scope.register_q`. Raises
    PermissionDenied (403), as for any register work the user may not do."""
    allowed = scope.works_register(area) if area is not None else scope.works_register_somewhere()
    if not allowed:
        raise PermissionDenied


def register_export(request, *, area, what, filename, headers, rows):
    """The XLSX download of a list of the register, and its entry in the disclosure log: who,
    which list with which filters (`what` and the query), how many rows. The caller has
    checked `require_export`. Runs the rows' queries and one insert."""
    response = xlsx_response(filename, headers, rows)
    query = request.GET.copy()
    query.pop("format", None)
    services.log_export(
        by=request.user,
        area=area,
        detail=f"{what} {query.urlencode()}".strip(),
        rows=response.rows_written,
    )
    return response
