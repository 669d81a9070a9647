"""The district report in a browser: district staff drill from the district down to a grid
through the table, back up through the breadcrumb, down again through the map, and download
the XLSX, whose rows are the table's."""

import datetime
import random

import pytest
import time_machine
from openpyxl import load_workbook
from playwright.sync_api import expect

from grids.models import Area
from reports import demo
from reports.figures import figures_by_child
from tests.browser.helpers import log_in
from tests.incidents.factories import local, make_category
from tests.reports.test_report_views import fill_grid

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

TODAY = datetime.date(2026, 11, 15)
START, END = datetime.date(2026, 10, 1), datetime.date(2026, 10, 31)


def heading(page, name):
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Area report · {name}")


def table_link(page, name):
    return page.locator("[data-table=children] tbody").get_by_role("link", name=name, exact=True)


def map_area(page, code):
    return page.locator(f"#report-map path.report-map-area[data-code='{code}']")


def test_district_staff_drill_down_by_table_and_map_and_export(live_server, page, world, tmp_path):
    levels = {
        kind: list(Area.objects.filter(kind=kind).order_by("code"))
        for kind in (Area.Kind.DISTRICT, Area.Kind.STREET, Area.Kind.COMMUNITY, Area.Kind.GRID)
    }
    demo.build_boundaries(random.Random(7), levels, lambda line: None)
    category = make_category("roads", name="道路", hours={"normal": 24})
    fill_grid(world.a.grid, category)
    fill_grid(world.b.other_grid, category)

    with time_machine.travel(local(TODAY, 10), tick=True):
        log_in(page, live_server, "district_officer")
        page.goto(f"{live_server.url}/reports/")
        heading(page, "Test District")
        expect(page.locator("#report-start")).to_have_value(START.isoformat())

        # Down through the table: district → street → community → grid.
        table_link(page, "Test Street").click()
        heading(page, "Test Street")
        table_link(page, "T-01-01").click()
        heading(page, "T-01-01")
        table_link(page, "T-01-01-01").click()
        heading(page, "T-01-01-01")
        expect(page).to_have_url(
            f"{live_server.url}/reports/?area=T-01-01-01&start={START}&end={END}"
        )
        expect(page.locator("[data-table=children] tbody tr")).to_have_count(1)
        expect(page.locator("[data-table=children] td[data-column=opened]")).to_have_text("3")

        # Back up through the breadcrumb.
        page.locator(".breadcrumb").get_by_role("link", name="Test District").click()
        heading(page, "Test District")

        # Down through the map, coloured by a figure the user picks.
        page.locator("#report-map-figure").select_option("overdue_open")
        expect(map_area(page, "T-01")).to_have_attribute("aria-label", "Test Street: Overdue 2")
        map_area(page, "T-01").click()
        heading(page, "Test Street")
        expect(map_area(page, "T-01-02")).to_be_visible()
        map_area(page, "T-01-02").click()
        heading(page, "T-01-02")
        expect(page.locator("#report-map-legend li")).not_to_have_count(0)
        map_area(page, "T-01-02-02").click()
        heading(page, "T-01-02-02")
        page.go_back()
        heading(page, "T-01-02")

        # The community's table, downloaded.
        with page.expect_download() as download_info:
            page.locator("[data-export]").click()
        download = download_info.value
        path = tmp_path / download.suggested_filename
        download.save_as(path)

    assert download.suggested_filename == "report-T-01-02-20261001-20261031.xlsx"
    workbook = load_workbook(path, read_only=True)
    header, *rows = list(workbook["Areas"].values)
    opened = 2 + [str(h) for h in header[2:]].index("Incidents")
    with time_machine.travel(local(TODAY, 10), tick=False):
        expected = figures_by_child(world.b.community, START, END)
    assert [(row[0], row[opened]) for row in rows] == [
        (child.code, figures.opened) for child, figures in expected
    ]
    assert [row[0] for row in rows] == ["T-01-02-01", "T-01-02-02"]
    assert [row[opened] for row in rows] == [0, 3]
