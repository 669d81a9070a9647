"""The assessment of a month as an XLSX workbook: the community, the month and the formula,
then one row per person as on the page. Every row goes through grids.exports.safe_row, so no
name becomes a formula in a spreadsheet."""

import tempfile

from django.http import FileResponse
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from openpyxl import Workbook

from grids.exports import safe_row


def workbook(context):
    community, month = context["community"], context["month"]
    book = Workbook(write_only=True)
    sheet = book.create_sheet(_("Assessment"))
    sheet.append(safe_row([_("Community"), community.name, community.code]))
    sheet.append(safe_row([_("Month"), f"{month:%Y-%m}"]))
    sheet.append(safe_row([_("Score formula"), context["formula"]]))
    sheet.append([])
    headers = [_("Rank"), pgettext("person", "Name"), _("Username"), *context["labels"], _("Score")]
    sheet.append(safe_row([str(h) for h in headers]))
    for line in context["lines"]:
        rank = line.rank if context["may_rank"] else None
        user = line.user
        sheet.append(safe_row([rank, user.display_name, user.username, *line.values(), line.score]))
    handle = tempfile.TemporaryFile()  # noqa: SIM115 - FileResponse closes it
    book.save(handle)
    handle.seek(0)
    return FileResponse(
        handle,
        as_attachment=True,
        filename=f"assessment-{community.code}-{month:%Y%m}.xlsx",
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
