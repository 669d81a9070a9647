"""Tables to XLSX, streamed row by row (openpyxl write-only mode)."""

import tempfile

from django.http import FileResponse
from django.utils.translation import gettext as _
from openpyxl import Workbook


def xlsx_response(filename, headers, rows, title=None):
    """An XLSX download of `rows` (an iterable of tuples) under `headers`, on one sheet named
    `title` (by default "Register", in the reader's language). The workbook is written to a
    temporary file, so memory does not grow with the rows."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(str(title or _("Register")))
    sheet.append([str(h) for h in headers])
    for row in rows:
        sheet.append(list(row))
    handle = tempfile.TemporaryFile()  # noqa: SIM115 - FileResponse closes it
    workbook.save(handle)
    handle.seek(0)
    return FileResponse(
        handle,
        as_attachment=True,
        filename=filename,
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
