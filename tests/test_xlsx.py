"""The small workbooks' writer (gridmgmt.xlsx): every part byte for byte as openpyxl writes it
(the sheets' rows written here, the rest by openpyxl once), and openpyxl's own writing for what
it writes otherwise than as text or a number."""

import datetime
import io
import zipfile

import pytest
from openpyxl import load_workbook

from gridmgmt import xlsx
from gridmgmt.xlsx import Styled
from tests.workbooks import written_as_openpyxl

ROWS = [
    ["社区", "三坊社区", "GL-01"],
    [],
    [1, "王伟", "gm-01", 0, 12, 3, 87.5, 66.7, 0.30000000000000004, 12345678901234567, -3],
    [None, "李娜", "gm-02", None, 0.0, None, 100],
    [" lead", "trail ", "  ", "", "a&b<c>d\"e'f", "x\ny", "x\ry", "'\t=1", "中文", "="],
    [None, None, "z"],
]
GREEN, RED = "1A9850", "D73027"


@pytest.mark.parametrize("title", ["考核", "Assessment"])
def test_a_sheet_of_text_and_numbers_is_openpyxls_byte_for_byte(title):
    written = written_as_openpyxl([(title, ROWS)])
    sheet = load_workbook(io.BytesIO(written)).active
    assert sheet.title == title
    assert sheet["B3"].value == "王伟" and sheet["G3"].value == 87.5
    assert sheet["E5"].value == "a&b<c>d\"e'f" and sheet["A5"].value == " lead"


def test_styled_numbers_on_several_sheets_are_openpyxls_byte_for_byte():
    sheets = [
        ("数字", [["a", 1], [], ["b", Styled(0.5, "0.0%", RED)]]),
        ("Empty", []),
        (
            "Rates",
            [
                [Styled(0.97, "0.0%", GREEN), Styled(12.25, "0.0"), None, Styled(None, "0.0")],
                [Styled(0.5, "0.0%", RED), Styled(0, "0.0%"), Styled(3, "0.0", GREEN), "x"],
                [Styled(0.1, "0.0%", RED), Styled(7, "General"), Styled(1, "0.00")],
            ],
        ),
    ]
    written = written_as_openpyxl(sheets)
    book = load_workbook(io.BytesIO(written))
    assert book.sheetnames == ["数字", "Empty", "Rates"]
    rates = book["Rates"]
    assert rates["A1"].number_format == "0.0%" and rates["A1"].fill.fgColor.rgb == "00" + GREEN
    assert rates["A2"].fill.fgColor.rgb == "00" + RED and rates["B1"].number_format == "0.0"
    assert rates["B2"].fill.fill_type is None and rates["C3"].number_format == "0.00"
    assert book["数字"]["B3"].fill.fgColor.rgb == "00" + RED


def test_the_times_are_those_of_the_request():
    with zipfile.ZipFile(io.BytesIO(xlsx.xlsx([("考核", ROWS)]))) as archive:
        core = archive.read(xlsx.CORE)
    now = datetime.datetime.now(datetime.UTC)
    stamps = xlsx.STAMP.findall(core)
    assert len(stamps) == 2
    for stamp in stamps:
        at = datetime.datetime.strptime(stamp.decode(), "%Y-%m-%dT%H:%M:%S%z")
        assert abs(at - now) < datetime.timedelta(minutes=1)


@pytest.mark.parametrize(
    "value",
    [
        "#N/A",
        "=1+1",
        "bell\x07",
        True,
        datetime.date(2026, 11, 1),
        float("nan"),
        "x" * 32768,
        Styled(float("inf"), "0.0%", GREEN),
        Styled(True, "0.0"),
    ],
)
def test_what_openpyxl_writes_otherwise_is_left_to_it(value):
    assert xlsx.xlsx([("考核", [["a", 1]]), ("Other", [["a", value]])]) is None
