"""One set of thresholds colours a rate everywhere: the home page, the report's cards and
table, the map's areas and legend, and the XLSX export (PostgreSQL)."""

import datetime
import io

import pytest
import time_machine
from openpyxl import load_workbook

from grids.models import Area
from reports import thresholds
from reports.figures import Figures
from reports.models import ScoreWeights
from tests.incidents.factories import local

TODAY = datetime.date(2026, 11, 15)
PERIOD = "start=2026-10-01&end=2026-10-31"


@pytest.fixture
def now(db):
    ScoreWeights.load()
    with time_machine.travel(local(TODAY, 10), tick=False):
        yield


def square(x):
    ring = [[x, 30.0], [x + 0.01, 30.0], [x + 0.01, 30.01], [x, 30.01], [x, 30.0]]
    return {"type": "Polygon", "coordinates": [ring]}


@pytest.mark.parametrize(
    ("value", "light"),
    [(1.0, "green"), (0.95, "green"), (0.949, "yellow"), (0.85, "yellow"), (0.849, "red")],
)
def test_a_coverage_is_green_from_95_and_yellow_from_85_percent(value, light):
    assert thresholds.light("coverage", value) == light


def test_a_figure_without_thresholds_and_a_missing_rate_have_no_light():
    assert thresholds.light("overdue_open", 3) == ""
    assert thresholds.light("coverage", None) == ""


@pytest.mark.parametrize(("coverage", "light"), [(0.98, "green"), (0.90, "yellow"), (0.5, "red")])
def test_the_home_page_report_map_and_xlsx_colour_the_same_coverage_alike(
    client, world, now, monkeypatch, coverage, light
):
    monkeypatch.setattr(Figures, "coverage", property(lambda self: coverage))
    Area.objects.filter(pk=world.a.community.pk).update(boundary=square(120.0))
    Area.objects.filter(pk=world.b.community.pk).update(boundary=square(120.02))
    client.force_login(world.district_officer)

    home = client.get("/").content.decode()
    headlines = home.split("data-headlines>")[1].split("</dl>")[0]
    assert f'rate-{light}" data-light="{light}">{coverage * 100:.0f}%' in headlines
    assert "text-danger" not in headlines.split("data-light")[1].split("</dd>")[0]

    response = client.get(f"/reports/?area=T-01&{PERIOD}")
    body = response.content.decode()
    assert f'data-light="{light}" data-figure="coverage"' in body
    cells = body.split('data-table="children"')[1]
    assert cells.count(f'data-light="{light}" data-column="coverage"') == 2
    # The map: both areas carry the light, and the legend is the thresholds' bands.
    map_data = response.context["map_data"]
    assert [f["properties"]["lights"]["coverage"] for f in map_data["features"]] == [light] * 2
    legend = next(m["legend"] for m in map_data["metrics"] if m["key"] == "coverage")
    assert legend == [
        {"light": "green", "text": "≥ 95%"},
        {"light": "yellow", "text": "85%–95%"},
        {"light": "red", "text": "< 85%"},
    ]
    assert map_data["colours"] == thresholds.COLOURS
    # The page documents the thresholds it uses.
    assert "data-thresholds" in body and "85%–95%" in body

    exported = client.get(f"/reports/T-01/report.xlsx?{PERIOD}")
    sheet = load_workbook(io.BytesIO(b"".join(exported.streaming_content))).worksheets[2]
    rows = list(sheet.iter_rows())
    column = [c.value for c in rows[0]].index("Patrol coverage")
    expected = "00" + thresholds.COLOURS[light].lstrip("#").upper()
    assert [r[column].fill.start_color.rgb for r in rows[1:]] == [expected, expected]


def test_a_figure_without_thresholds_keeps_the_relative_map_scale(client, world, now):
    client.force_login(world.district_officer)
    response = client.get(f"/reports/?area=T-01&{PERIOD}")
    metrics = {m["key"]: m for m in response.context["map_data"]["metrics"]}
    assert metrics["overdue_open"]["legend"] is None
    assert metrics["on_time_rate"]["legend"][0] == {"light": "green", "text": "≥ 95%"}
