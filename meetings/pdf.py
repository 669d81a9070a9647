"""A grid report as an A4 PDF, drawn with reportlab. Chinese text uses the CID font
STSong-Light that every PDF reader has built in, so nothing has to be embedded or installed.

The work is bounded: each heading's text is cut at the form's limit (texts saved before the
limit existed may be longer), and drawn as paragraphs of at most CHUNK characters, since
reportlab's line breaking slows down with the square of a paragraph's length. Six full
headings take well under a second."""

import io
from xml.sax.saxutils import escape

from django.utils import timezone
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from .gridreports import figure_sections
from .models import SECTION_LENGTH, GridReport

FONT = "STSong-Light"
CHUNK = 500  # characters per drawn paragraph
pdfmetrics.registerFont(UnicodeCIDFont(FONT))

STYLES = {
    "title": ParagraphStyle("title", fontName=FONT, fontSize=16, leading=22, spaceAfter=4),
    "meta": ParagraphStyle("meta", fontName=FONT, fontSize=9, leading=13, textColor="#555555"),
    "h2": ParagraphStyle("h2", fontName=FONT, fontSize=12, leading=17, spaceBefore=8, spaceAfter=4),
    "body": ParagraphStyle("body", fontName=FONT, fontSize=10, leading=15, wordWrap="CJK"),
    "cell": ParagraphStyle("cell", fontName=FONT, fontSize=9, leading=12, wordWrap="CJK"),
}


def _text(value):
    """Plain text as a Paragraph's markup: escaped, line breaks kept."""
    return escape(str(value)).replace("\n", "<br/>")


def _paragraphs(text, style):
    """`text`, cut at SECTION_LENGTH with a note, as Paragraphs of at most CHUNK characters
    (a line is split where it is longer)."""
    cut = len(text) > SECTION_LENGTH
    text = text[:SECTION_LENGTH]
    paragraphs = [
        Paragraph(_text(line[start : start + CHUNK]), style)
        for line in text.splitlines() or [""]
        for start in range(0, max(len(line), 1), CHUNK)
    ]
    if cut:
        note = _("The text is cut short here; the whole text is on the report's page.")
        paragraphs.append(Paragraph(_text(note), STYLES["meta"]))
    return paragraphs


def _table(section):
    header = [_("Figure"), _("Value")] + ([_("Change")] if section.get("change") else [])
    rows = [header] + [list(row) for row in section["rows"]]
    data = [[Paragraph(_text(cell), STYLES["cell"]) for cell in row] for row in rows]
    widths = [70 * mm, 30 * mm] + ([30 * mm] if section.get("change") else [])
    table = Table(data, colWidths=widths, hAlign="LEFT")
    table.setStyle(
        TableStyle(
            [
                ("GRID", (0, 0), (-1, -1), 0.4, colors.grey),
                ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#eeeeee")),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ]
        )
    )
    return table


def grid_report_pdf(report):
    """The report's PDF bytes, in the active language. Runs no query when `report` came
    with its grid, the grid's community and the submitter."""
    grid = report.grid
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=18 * mm,
        rightMargin=18 * mm,
        topMargin=16 * mm,
        bottomMargin=16 * mm,
        title=f"{grid.name} {report.month:%Y-%m}",
        author=grid.parent.name if grid.parent_id else "",
    )
    story = [
        Paragraph(
            _text(
                _("Monthly grid report: %(grid)s, %(month)s")
                % {"grid": grid.name, "month": f"{report.month:%Y-%m}"}
            ),
            STYLES["title"],
        ),
        Paragraph(_text(_meta(report)), STYLES["meta"]),
        Spacer(1, 4 * mm),
    ]
    for section in figure_sections(report.figures):
        story += [Paragraph(_text(section["title"]), STYLES["h2"]), _table(section)]
    for name in GridReport.TEXT_FIELDS:
        text = getattr(report, name).strip() or _("Nothing written.")
        story += [
            Paragraph(_text(capfirst(GridReport._meta.get_field(name).verbose_name)), STYLES["h2"]),
            *_paragraphs(text, STYLES["body"]),
        ]
    doc.build(story)
    return buffer.getvalue()


def _meta(report):
    parts = [f"{report.grid.code}", str(report.get_status_display())]
    if report.submitted_at:
        parts.append(
            _("submitted %(at)s by %(by)s")
            % {
                "at": f"{timezone.localtime(report.submitted_at):%Y-%m-%d %H:%M}",
                "by": report.submitted_by.display_name if report.submitted_by else "",
            }
        )
    if report.figures_at:
        parts.append(
            _("figures as of %(at)s")
            % {"at": f"{timezone.localtime(report.figures_at):%Y-%m-%d %H:%M}"}
        )
    return " · ".join(parts)
