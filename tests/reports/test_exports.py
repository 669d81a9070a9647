"""The district report's workbook: openpyxl's, byte for byte (rates in their lights' fills
and formats), and openpyxl's own writing for a value it writes otherwise."""

import datetime
import io
from types import SimpleNamespace

from django.utils import translation
from openpyxl import load_workbook

from gridmgmt import xlsx
from reports import exports, thresholds
from tests.workbooks import openpyxls, parts, written_as_openpyxl

START, END = datetime.date(2026, 11, 1), datetime.date(2026, 11, 30)


class Figures(SimpleNamespace):
    def __getattr__(self, name):  # a figure not given
        return 3


def row(code, name, score, **figures):
    area = SimpleNamespace(code=code, name=name)
    return SimpleNamespace(
        area=area, score=SimpleNamespace(value=score), figures=Figures(**figures)
    )


def tables(name="=HYPERLINK(1)"):
    rows = [
        row("GL-01", name, 91.25, coverage=0.97, on_time_rate=0.9, satisfaction_rate=0.5),
        row("GL-02", "-2 街道", None, coverage=0.86, on_time_rate=None, closure_rate=0.2),
        row("GL-03", "@三坊", 12, coverage=0.1, median_hours_to_close=None, p90_hours_to_close=7.5),
        row("GL-04", " 空格 ", 0.0, coverage=1, satisfaction_rate=0.95, closure_rate=0.85),
    ]
    trend = [
        (START, Figures(coverage=0.5, on_time_rate=None, windows=10, opened=0)),
        (START + datetime.timedelta(days=7), Figures(coverage=0.99, on_time_rate=0.9)),
    ]
    return {
        "sections": [("patrols", "Patrols", [("Windows", "1,200", 1200), ("Done", "+3", None)])],
        "categories": [("Water", 4, "40.0%"), ("=Road", 6, "60.0%")],
        "formula": "+coverage*40",
        "rows": rows,
        "trend": trend,
    }


def test_the_workbook_is_openpyxls_byte_for_byte():
    area = SimpleNamespace(code="GL", name="区 & <one>")
    with translation.override("en"):
        sheets = exports.report_sheets(area, START, END, **tables())
    used = xlsx.styles(sheets)
    colours = {colour.lstrip("#").upper() for colour in thresholds.COLOURS.values()}
    assert {fill for _format, fill in used} == {None, *colours}
    written = written_as_openpyxl(sheets)

    book = load_workbook(io.BytesIO(written))
    assert book.sheetnames == ["Figures", "Categories", "Areas", "Trend"]
    areas = book["Areas"]
    assert areas["B2"].value == "'=HYPERLINK(1)" and areas["B3"].value == "'-2 街道"
    assert areas["E2"].value == 0.97 and areas["E2"].number_format == exports.PERCENT
    lights = [areas[f"E{n}"].fill.fgColor.rgb for n in range(2, 6)]
    assert lights == ["001A9850", "00FEE08B", "00D73027", "001A9850"]
    assert areas["D2"].number_format == exports.DECIMAL and areas["D3"].value is None
    assert book["Trend"]["C2"].fill.fgColor.rgb == "00D73027"


def test_a_value_openpyxl_writes_otherwise_sends_the_workbook_through_it():
    area = SimpleNamespace(code="GL", name="区")
    sheets = exports.report_sheets(area, START, END, **tables(name="#N/A"))
    assert xlsx.xlsx(sheets) is None
    response = exports.report_workbook(area, START, END, **tables(name="#N/A"))
    assert parts(b"".join(response.streaming_content)) == parts(openpyxls(sheets))
