"""The assessment's workbook: openpyxl's, byte for byte, and no name in it a formula."""

import datetime
import io
from types import SimpleNamespace

from openpyxl import load_workbook

from assessment import exports
from tests.workbooks import written_as_openpyxl


def line(rank, name, username, values, score):
    user = SimpleNamespace(display_name=name, username=username)
    return SimpleNamespace(rank=rank, user=user, values=lambda: values, score=score)


def test_the_workbook_is_openpyxls_byte_for_byte():
    context = {
        "community": SimpleNamespace(name="三坊 & <社区>", code="GL-01"),
        "month": datetime.date(2026, 11, 1),
        "labels": ["Patrols", "Incidents", "Rate"],
        "formula": "=patrols*2",
        "may_rank": True,
        "lines": [
            line(1, "王伟", "gm-01", [12, 3, 0.30000000000000004], 87.5),
            line(2, " lead", "gm-02", [None, 0, 1.0], 66.7),
            line(2, "-1 李娜", "gm-03", [0, None, None], 0),
        ],
    }
    sheet = load_workbook(io.BytesIO(written_as_openpyxl(exports.sheets(context)))).active
    assert sheet["B1"].value == "三坊 & <社区>" and sheet["B3"].value == "'=patrols*2"
    assert sheet["B8"].value == "'-1 李娜" and sheet["G6"].value == 87.5
