"""Small XLSX workbooks (a few sheets of text and numbers, some numbers with a number format and
a fill) written byte for byte as openpyxl's write-only mode writes them, but fast.

openpyxl writes a workbook's fixed parts once per process (a template, kept per tuple of sheet
titles and of the styles the cells use), and each request writes only the sheets' rows, as
openpyxl writes them. Through openpyxl a workbook of a few hundred cells takes over 10 ms of
CPU, a cell at a time. A value openpyxl writes otherwise than as text or a number (a formula, an
error code, a character it refuses, a boolean, a date) sends the whole workbook through openpyxl.

A workbook is a list of sheets (title, rows); a row is a list of values: None, int, float, str,
or a `Styled` number. Rows are written as given: pass them through grids.exports.safe_row first.
"""

import datetime
import functools
import io
import re
import tempfile
import zipfile
from typing import NamedTuple

from django.http import FileResponse
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ERROR_CODES, ILLEGAL_CHARACTERS_RE
from openpyxl.styles import PatternFill
from openpyxl.utils import get_column_letter

CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CORE = "docProps/core.xml"
SHEET = "xl/worksheets/sheet{}.xml"
# Where openpyxl writes a sheet's rows, between these.
ROWS_START, ROWS_END = b"<sheetData>", b"</sheetData>"
# The times openpyxl writes into the document's properties: created and modified.
STAMP = re.compile(rb"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ")
# The longest text openpyxl writes whole (it cuts longer text).
LONGEST = 32767
# A cell of the template's first row and its style's index, as openpyxl writes them.
STYLE_INDEX = re.compile(rb'<c r="([A-Z]+)1"(?: s="(\d+)")?')


class Styled(NamedTuple):
    """A cell's value shown with a number format (e.g. "0.0%") and, if `fill` is a colour
    ("RRGGBB"), filled with it."""

    value: object
    number_format: str
    fill: str | None = None

    @property
    def style(self):
        return (self.number_format, self.fill)


def response(sheets, filename):
    """A download of the workbook of `sheets` [(title, rows)] named `filename`: written here
    if it can be (`xlsx`), else by openpyxl to a temporary file. Runs no queries."""
    written = xlsx(sheets)
    if written is None:
        handle = tempfile.TemporaryFile()  # noqa: SIM115 - FileResponse closes it
        openpyxl_xlsx(sheets, handle)
        handle.seek(0)
    else:
        handle = io.BytesIO(written)
    return FileResponse(handle, as_attachment=True, filename=filename, content_type=CONTENT_TYPE)


def openpyxl_xlsx(sheets, handle):
    """The workbook of `sheets` [(title, rows)], written by openpyxl (write-only mode) to
    `handle`; a `Styled` value becomes a cell with its number format and fill."""
    book = Workbook(write_only=True)
    for title, rows in sheets:
        sheet = book.create_sheet(title)
        for row in rows:
            sheet.append([_openpyxl_cell(sheet, v) if type(v) is Styled else v for v in row])
    book.save(handle)


def _openpyxl_cell(sheet, styled):
    cell = WriteOnlyCell(sheet, value=styled.value)
    cell.number_format = styled.number_format
    if styled.fill:
        cell.fill = _fill(styled.fill)
    return cell


@functools.cache
def _fill(colour):
    """The solid fill of `colour`, made once (a cell keeps the index of its fill in the
    workbook's styles, not the object)."""
    return PatternFill(fill_type="solid", start_color=colour, end_color=colour)


def styles(sheets):
    """The styles ((number format, fill)) of the `Styled` values in `sheets`, each once, in
    the order openpyxl meets them (which is the order of its styles' lists)."""
    found = {}
    for _title, rows in sheets:
        for row in rows:
            for value in row:
                if type(value) is Styled:
                    found.setdefault(value.style, None)
    return tuple(found)


# A report's styles come in the order its rows meet them, so a few orders are kept, not all.
@functools.lru_cache(maxsize=32)
def _template(titles, used):
    """openpyxl's parts of a workbook with sheets named `titles` and cells of the styles
    `used`, the sheets' rows left out, and the index openpyxl gave each style:
    ([(part name, compression, bytes, or (head, tail) for a sheet's part, split around its
    rows)], {style: index or None for a style it writes as none})."""
    # One cell of each style, in order, on the first sheet's first row: openpyxl writes
    # the styles into styles.xml, and each cell's index (s="N") into the sheet.
    probe = [Styled(0, number_format, fill) for number_format, fill in used]
    handle = io.BytesIO()
    openpyxl_xlsx([(title, [probe] if n == 0 else []) for n, title in enumerate(titles)], handle)
    sheets = {SHEET.format(n): n for n in range(1, len(titles) + 1)}
    parts, indexes = [], {}
    with zipfile.ZipFile(handle) as archive:
        for info in archive.infolist():
            part = archive.read(info.filename)
            if info.filename in sheets:
                head, rest = part.split(ROWS_START)
                rows, tail = rest.split(ROWS_END)
                if sheets[info.filename] == 1:
                    indexes = {
                        letter.decode(): int(index) if index else None
                        for letter, index in STYLE_INDEX.findall(rows)
                    }
                part = (head + ROWS_START, ROWS_END + tail)
            parts.append((info.filename, info.compress_type, part))
    by_style = {style: indexes[get_column_letter(n)] for n, style in enumerate(used, start=1)}
    return parts, by_style


def _text(value):
    """`value` escaped as openpyxl (ElementTree) writes an element's text."""
    return value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _cell(ref, value, style=""):
    """The cell `ref` holding `value` as openpyxl's write-only sheet writes it (`style` is
    its ' s="N"' attribute or ""), "" for an empty cell (none), or None for a value openpyxl
    writes otherwise."""
    kind = type(value)
    if value is None:
        return f'<c r="{ref}"{style} t="n" />' if style else ""
    if kind is int or kind is float:
        if value != value or value in (float("inf"), float("-inf")):
            return None
        return f'<c r="{ref}"{style} t="n"><v>{format(value, ".16g")}</v></c>'
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
        return f'<c r="{ref}"{style} t="inlineStr" />'
    stripped = value.strip()
    space = ' xml:space="preserve"' if stripped and stripped != value else ""
    return f'<c r="{ref}"{style} t="inlineStr"><is><t{space}>{_text(value)}</t></is></c>'


def _rows(rows, indexes):
    """The XML of a sheet's `rows` as openpyxl writes it, or None if a value is one openpyxl
    writes otherwise."""
    letters = [get_column_letter(n) for n in range(1, max(map(len, rows), default=0) + 1)]
    written = []
    for number, row in enumerate(rows, start=1):
        cells = []
        for letter, value in zip(letters, row, strict=False):
            if type(value) is Styled:
                index = indexes[value.style]
                style = "" if index is None else f' s="{index}"'
                cell = _cell(f"{letter}{number}", value.value, style)
            else:
                cell = _cell(f"{letter}{number}", value)
            if cell is None:
                return None
            cells.append(cell)
        written.append(f'<row r="{number}">{"".join(cells)}</row>')
    return "".join(written).encode()


def xlsx(sheets):
    """The bytes of the workbook openpyxl writes of `sheets` [(title, rows)], rows being lists
    of None, int, float, str or `Styled`; its parts but the sheets' rows written by openpyxl
    once per process, titles and styles. None if a value is one openpyxl writes otherwise
    (then let openpyxl write it)."""
    titles = tuple(title for title, _rows in sheets)
    parts, indexes = _template(titles, styles(sheets))
    data = {}
    for n, (_title, rows) in enumerate(sheets, start=1):
        written = _rows(rows, indexes)
        if written is None:
            return None
        data[SHEET.format(n)] = written
    now = datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ").encode()
    handle = io.BytesIO()
    with zipfile.ZipFile(handle, "w") as archive:
        for name, compression, part in parts:
            if name in data:
                head, tail = part
                part = head + data[name] + tail
            elif name == CORE:
                part = STAMP.sub(now, part)
            archive.writestr(name, part, compress_type=compression)
    return handle.getvalue()
