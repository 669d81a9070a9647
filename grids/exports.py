"""Tables to XLSX, streamed row by row (openpyxl write-only mode)."""

import tempfile

from django.http import FileResponse
from openpyxl import Workbook


def xlsx_response(filename, headers, rows):
    """An XLSX download of `rows` (an iterable of tuples) under `headers`. The workbook is
    written to a temporary file, so memory does not grow with the rows."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet()
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
