"""A register export is written in its reader's language: the sheet's name, its headers and
the choices in its cells."""

import io
import re

import openpyxl
import pytest

from grids.models import User
from tests.factories import make_household, make_resident

LATIN_WORD = re.compile(r"[A-Za-z]{2,}")


def export(client, user, language):
    User.objects.filter(pk=user.pk).update(language=language)
    client.force_login(user)
    response = client.get("/register/floating/", {"format": "xlsx"})
    workbook = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    (sheet,) = workbook.worksheets
    return sheet.title, list(sheet.iter_rows(values_only=True))


@pytest.fixture
def floating(world):
    home = make_household(world.a.grid, address="A路1号")
    make_resident(home, name="张三", population="floating")


def test_a_chinese_reader_gets_a_chinese_export(client, world, floating):
    title, rows = export(client, world.a.stationmaster, "zh-hans")
    assert title == "人口登记"
    header, row = rows
    assert (header[0], header[2], header[4]) == ("网格", "性别", "身份证号")
    texts = [title, *header, *(cell for cell in row[2:] if isinstance(cell, str))]
    assert not [text for text in texts if LATIN_WORD.search(text.replace("ID", ""))]
    assert "流动人口" in row


def test_an_english_reader_gets_an_english_export(client, world, floating):
    title, rows = export(client, world.a.stationmaster, "en")
    assert title == "Register"
    header, row = rows
    assert (header[0], header[2], header[4]) == ("Grid", "Sex", "ID number")
    assert "Floating" in row
