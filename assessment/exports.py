"""The assessment of a month as an XLSX workbook: the community, the month and the formula,
then one row per person as on the page. Every row goes through grids.exports.safe_row, so no
name becomes a formula in a spreadsheet.

The workbook is openpyxl's (write-only mode): its parts are written by openpyxl once per
process and sheet title, and each request writes only the sheet's rows, as openpyxl writes
them. Through openpyxl a community's 64 lines (1,200 cells) took 13 ms of CPU, a cell at a
time. A value openpyxl writes otherwise than as text or a number (a formula, an error code,
a character it refuses, a boolean, a date) sends the whole workbook through openpyxl."""

import datetime
import io
import re
import tempfile
import zipfile

from django.http import FileResponse
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from openpyxl import Workbook
from openpyxl.cell.cell import ERROR_CODES, ILLEGAL_CHARACTERS_RE
from openpyxl.utils import get_column_letter

from grids.exports import safe_row

CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
SHEET = "xl/worksheets/sheet1.xml"
CORE = "docProps/core.xml"
# The sheet's rows in openpyxl's sheet of none.
EMPTY_ROWS = b"<sheetData></sheetData>"
# The times openpyxl writes into the document's properties: created and modified.
STAMP = re.compile(rb"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ")
# The longest text openpyxl writes whole (it cuts longer text).
LONGEST = 32767


def workbook(context):
    community, month = context["community"], context["month"]
    title = _("Assessment")
    headers = [_("Rank"), pgettext("person", "Name"), _("Username"), *context["labels"], _("Score")]
    rows = [
        safe_row([_("Community"), community.name, community.code]),
        safe_row([_("Month"), f"{month:%Y-%m}"]),
        safe_row([_("Score formula"), context["formula"]]),
        [],
        safe_row([str(h) for h in headers]),
    ]
    for line in context["lines"]:
        rank = line.rank if context["may_rank"] else None
        user = line.user
        rows.append(safe_row([rank, user.display_name, user.username, *line.values(), line.score]))
    written = xlsx(str(title), rows)
    if written is None:
        handle = tempfile.TemporaryFile()  # noqa: SIM115 - FileResponse closes it
        openpyxl_xlsx(str(title), rows, handle)
        handle.seek(0)
    else:
        handle = io.BytesIO(written)
    return FileResponse(
        handle,
        as_attachment=True,
        filename=f"assessment-{community.code}-{month:%Y%m}.xlsx",
        content_type=CONTENT_TYPE,
    )


def openpyxl_xlsx(title, rows, handle):
    """The workbook of `rows` on one sheet named `title`, written by openpyxl to `handle`."""
    book = Workbook(write_only=True)
    sheet = book.create_sheet(title)
    for row in rows:
        sheet.append(row)
    book.save(handle)


_templates = {}  # sheet title: [(name, compression, bytes)] of openpyxl's parts


def _template(title):
    """openpyxl's parts of a workbook with one sheet named `title`, the sheet's rows left
    out: [(part name, compression, bytes)], in openpyxl's order; the sheet's part is split
    around its rows (head, tail)."""
    if title not in _templates:
        handle = io.BytesIO()
        openpyxl_xlsx(title, [], handle)
        with zipfile.ZipFile(handle) as archive:
            parts = [
                (info.filename, info.compress_type, archive.read(info.filename))
                for info in archive.infolist()
            ]
        _templates[title] = parts
    return _templates[title]


def _text(value):
    """`value` escaped as openpyxl (ElementTree) writes an element's text."""
    return value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _cell(ref, value):
    """The cell `ref` holding `value` as openpyxl's write-only sheet writes it, "" for an
    empty cell (none), or None for a value openpyxl writes otherwise."""
    kind = type(value)
    if value is None:
        return ""
    if kind is int or kind is float:
        if value != value or value in (float("inf"), float("-inf")):
            return None
        return f'<c r="{ref}" t="n"><v>{format(value, ".16g")}</v></c>'
    if kind is not str:
        return None
    if (
        len(value) > LONGEST
        or value in ERROR_CODES
        or (value.startswith("=") and len(value) > 1)
        or ILLEGAL_CHARACTERS_RE.search(value)
    ):
        return None
    if value == "":
        return f'<c r="{ref}" t="inlineStr" />'
    stripped = value.strip()
    space = ' xml:space="preserve"' if stripped and stripped != value else ""
    return f'<c r="{ref}" t="inlineStr"><is><t{space}>{_text(value)}</t></is></c>'


def xlsx(title, rows):
    """The bytes of the workbook openpyxl writes of `rows` (lists of None, int, float or
    str) on one sheet named `title`, its parts but the sheet's rows written by openpyxl once
    per title; None if a value is one openpyxl writes otherwise (then let openpyxl write
    it)."""
    letters = [get_column_letter(n) for n in range(1, max(map(len, rows), default=0) + 1)]
    written = []
    for number, row in enumerate(rows, start=1):
        cells = []
        for letter, value in zip(letters, row, strict=False):
            cell = _cell(f"{letter}{number}", value)
            if cell is None:
                return None
            cells.append(cell)
        written.append(f'<row r="{number}">{"".join(cells)}</row>')
    data = "".join(written).encode()
    now = datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ").encode()
    handle = io.BytesIO()
    with zipfile.ZipFile(handle, "w") as archive:
        for name, compression, part in _template(title):
            if name == SHEET:
                head, tail = part.split(EMPTY_ROWS)
                part = head + b"<sheetData>" + data + b"</sheetData>" + tail
            elif name == CORE:
                part = STAMP.sub(now, part)
            archive.writestr(name, part, compress_type=compression)
    return handle.getvalue()
