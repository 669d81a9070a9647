"""The assessment's workbook: every part byte for byte as openpyxl writes it (the sheet's rows
written here, the rest by openpyxl once), and openpyxl's own writing for what it writes
otherwise than as text or a number."""

import datetime
import io
import zipfile

import pytest
from openpyxl import load_workbook

from assessment import exports

ROWS = [
    ["社区", "三坊社区", "GL-01"],
    [],
    [1, "王伟", "gm-01", 0, 12, 3, 87.5, 66.7, 0.30000000000000004, 12345678901234567, -3],
    [None, "李娜", "gm-02", None, 0.0, None, 100],
    [" lead", "trail ", "  ", "", "a&b<c>d\"e'f", "x\ny", "x\ry", "'\t=1", "中文", "="],
    [None, None, "z"],
]


def parts(data):
    """[(name, compression, bytes)] of a workbook, its times of creation and change
    masked."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        found = []
        for info in archive.infolist():
            part = archive.read(info.filename)
            if info.filename == exports.CORE:
                part = exports.STAMP.sub(b"<time>", part)
            found.append((info.filename, info.compress_type, part))
        return found


def openpyxls(title, rows):
    handle = io.BytesIO()
    exports.openpyxl_xlsx(title, rows, handle)
    return handle.getvalue()


@pytest.mark.parametrize("title", ["考核", "Assessment"])
def test_the_workbook_is_openpyxls_byte_for_byte(title):
    written = exports.xlsx(title, ROWS)
    assert parts(written) == parts(openpyxls(title, ROWS))
    sheet = load_workbook(io.BytesIO(written)).active
    assert sheet.title == title
    assert sheet["B3"].value == "王伟" and sheet["G3"].value == 87.5
    assert sheet["E5"].value == "a&b<c>d\"e'f" and sheet["A5"].value == " lead"


def test_the_times_are_those_of_the_request():
    with zipfile.ZipFile(io.BytesIO(exports.xlsx("考核", ROWS))) as archive:
        core = archive.read(exports.CORE)
    now = datetime.datetime.now(datetime.UTC)
    stamps = exports.STAMP.findall(core)
    assert len(stamps) == 2
    for stamp in stamps:
        at = datetime.datetime.strptime(stamp.decode(), "%Y-%m-%dT%H:%M:%S%z")
        assert abs(at - now) < datetime.timedelta(minutes=1)


@pytest.mark.parametrize(
    "value",
    ["#N/A", "=1+1", "bell\x07", True, datetime.date(2026, 11, 1), float("nan"), "x" * 32768],
)
def test_what_openpyxl_writes_otherwise_is_left_to_it(value):
    assert exports.xlsx("考核", [["a", value]]) is None
