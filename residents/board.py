"""A grid's printable notice board: an A4 sheet with the QR code of the grid's public page,
the grid's team (posts, names, work phones; never photos) and its patrol times. The PNG is
the same sheet, drawn from the PDF, so the two can never disagree.

Chinese text uses the CID font STSong-Light, as the grid reports do (`meetings.pdf`)."""

import io
from xml.sax.saxutils import escape

import pypdfium2
import segno
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from reportlab.graphics.shapes import Drawing, Rect
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import KeepInFrame, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from meetings.pdf import FONT

from .services import patrol_times, team_for

TEAM_ROWS = 16  # the most people the sheet lists; a grid has a handful
QR_SIZE = 95 * mm
PNG_SCALE = 2  # 144 dots per inch: sharp enough to print and to scan from a screen
MARGIN = 16 * mm

STYLES = {
    "kicker": ParagraphStyle(
        "kicker", fontName=FONT, fontSize=12, leading=16, alignment=1, textColor="#555555"
    ),
    "title": ParagraphStyle("title", fontName=FONT, fontSize=30, leading=40, alignment=1),
    "scan": ParagraphStyle("scan", fontName=FONT, fontSize=22, leading=30, alignment=1),
    "url": ParagraphStyle(
        "url", fontName=FONT, fontSize=9, leading=12, alignment=1, textColor="#555555"
    ),
    "h2": ParagraphStyle("h2", fontName=FONT, fontSize=13, leading=18, spaceBefore=6),
    "cell": ParagraphStyle("cell", fontName=FONT, fontSize=11, leading=15, wordWrap="CJK"),
    "body": ParagraphStyle("body", fontName=FONT, fontSize=11, leading=16, wordWrap="CJK"),
}


def patrol_text(grid):
    """The grid's patrol windows on one line, e.g. "Morning 08:00–12:00 · Afternoon
    14:00–18:00". Runs one query (the community's schedule)."""
    return " · ".join(
        f"{label} {start:%H:%M}–{end:%H:%M}" for label, start, end in patrol_times(grid)
    )


def qr_drawing(url, size=QR_SIZE):
    """The QR code of `url` as vector squares (crisp at any print size), with the quiet zone
    the standard asks for."""
    code = segno.make(url, error="m", micro=False)
    border = 4
    rows = list(code.matrix_iter(scale=1, border=border))
    module = size / len(rows)
    drawing = Drawing(size, size)
    for y, row in enumerate(rows):
        x = 0
        while x < len(row):
            if row[x]:
                start = x
                while x < len(row) and row[x]:
                    x += 1
                drawing.add(
                    Rect(
                        start * module,
                        size - (y + 1) * module,
                        (x - start) * module,
                        module,
                        fillColor=colors.black,
                        strokeColor=None,
                    )
                )
            else:
                x += 1
    return drawing


def _text(value):
    return escape(str(value))


def board_pdf(grid, url):
    """The notice board of `grid` (with its parent selected) as A4 PDF bytes, in the active
    language; `url` is the address the QR code holds. Runs two queries (team, schedule)."""
    team = team_for(grid)[:TEAM_ROWS]
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=MARGIN,
        rightMargin=MARGIN,
        topMargin=MARGIN,
        bottomMargin=MARGIN,
        title=_("Notice board: %(grid)s") % {"grid": grid.name},
        author=grid.parent.name if grid.parent_id else "",
    )
    qr = Table([[qr_drawing(url)]], colWidths=[QR_SIZE], rowHeights=[QR_SIZE], hAlign="CENTER")
    rows = [[_("Post"), pgettext("person", "Name"), _("Work phone")]] + [
        [m.post, m.name, m.phone or "—"] for m in team
    ]
    if not team:
        rows.append([_("No posts at this grid yet."), "", ""])
    table = Table(
        [[Paragraph(_text(cell), STYLES["cell"]) for cell in row] for row in rows],
        colWidths=[55 * mm, 60 * mm, 55 * mm],
        hAlign="CENTER",
    )
    table.setStyle(
        TableStyle(
            [
                ("GRID", (0, 0), (-1, -1), 0.5, colors.grey),
                ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#eeeeee")),
                ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
            ]
        )
    )
    community = grid.parent.name if grid.parent_id else ""
    story = [
        Paragraph(_text(_("Grid notice board")), STYLES["kicker"]),
        Paragraph(_text(grid.name), STYLES["title"]),
        Paragraph(_text(community), STYLES["kicker"]),
        Spacer(1, 6 * mm),
        qr,
        Spacer(1, 2 * mm),
        Paragraph(_text(_("Scan to report a problem")), STYLES["scan"]),
        Paragraph(_text(url), STYLES["url"]),
        Spacer(1, 4 * mm),
        Paragraph(_text(_("Your grid team")), STYLES["h2"]),
        Spacer(1, 2 * mm),
        table,
        Paragraph(_text(_("Patrol times")), STYLES["h2"]),
        Paragraph(_text(patrol_text(grid)), STYLES["body"]),
    ]
    width, height = A4
    # One sheet, whatever the names' lengths: shrink rather than spill onto a second page.
    doc.build([KeepInFrame(width - 2 * MARGIN, height - 2 * MARGIN, story, mode="shrink")])
    return buffer.getvalue()


def board_png(pdf):
    """The board's PDF bytes drawn as a PNG image."""
    document = pypdfium2.PdfDocument(pdf)
    try:
        image = document[0].render(scale=PNG_SCALE).to_pil()
    finally:
        document.close()
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=True)
    return out.getvalue()
