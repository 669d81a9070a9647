"""The district report on a 390 px phone in both languages: nothing scrolls sideways but the
area table, inside its own box, whose headers are whole; a map showing one area has a legend
in the colour of that area."""

import datetime
import random

import pytest
import time_machine
from playwright.sync_api import expect

from grids.models import Area, User
from reports import demo, thresholds
from tests.browser.helpers import log_in
from tests.incidents.factories import local, make_category
from tests.reports.test_report_views import fill_grid

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

TODAY = datetime.date(2026, 11, 15)


def boundaries():
    levels = {
        kind: list(Area.objects.filter(kind=kind).order_by("code"))
        for kind in (Area.Kind.DISTRICT, Area.Kind.STREET, Area.Kind.COMMUNITY, Area.Kind.GRID)
    }
    demo.build_boundaries(random.Random(7), levels, lambda line: None)


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_the_report_fits_a_phone_and_its_table_scrolls_in_its_own_box(
    live_server, page, world, language
):
    boundaries()
    fill_grid(world.a.grid, make_category("roads", name="道路", hours={"normal": 24}))
    User.objects.filter(username="district_officer").update(language=language)
    with time_machine.travel(local(TODAY, 10), tick=True):
        log_in(page, live_server, "district_officer")
        page.goto(f"{live_server.url}/reports/?area=T-01")
        expect(page.locator("[data-table=children]")).to_be_visible()
        widths = page.evaluate(
            "[document.documentElement.scrollWidth, document.documentElement.clientWidth]"
        )
        assert widths[0] <= widths[1], widths
        # Every period link is on the screen.
        for link in page.locator("[data-presets] a").all():
            box = link.bounding_box()
            assert box["x"] >= 0 and box["x"] + box["width"] <= widths[1], link.inner_text()
        # Each header shows its whole label (none is cut off by its cell).
        cut = page.evaluate(
            """[...document.querySelectorAll('[data-table=children] thead a')]
                 .filter(a => a.scrollWidth > a.clientWidth + 1).map(a => a.textContent)"""
        )
        assert cut == []
        # The table's box scrolls; the page does not.
        wrap = page.locator(".report-table-wrap")
        assert wrap.evaluate("e => getComputedStyle(e).overflowX") == "auto"
        assert wrap.evaluate("e => e.scrollWidth > e.clientWidth")
        # It can be scrolled from the keyboard, and the area's name stays while it scrolls.
        assert wrap.get_attribute("tabindex") == "0"
        name = page.locator("[data-table=children] tbody th").first
        assert name.evaluate("e => getComputedStyle(e).position") == "sticky"
        wrap.evaluate("e => { e.scrollLeft = 400; }")
        assert name.bounding_box()["x"] >= 0
        # The thresholds wrap on the screen instead of running off it.
        for band in page.locator("[data-thresholds] [data-light]").all():
            box = band.bounding_box()
            assert box["x"] + box["width"] <= widths[1], band.inner_text()


def test_a_map_of_one_area_has_the_legend_of_its_colour(live_server, page, world):
    boundaries()
    fill_grid(world.a.grid, make_category("roads", name="道路", hours={"normal": 24}))
    with time_machine.travel(local(TODAY, 10), tick=True):
        log_in(page, live_server, "district_officer")
        page.goto(f"{live_server.url}/reports/?area=T-01-01-01")
        area = page.locator("#report-map path.report-map-area")
        expect(area).to_have_count(1)
        for figure in ("coverage", "score", "overdue_open"):
            page.select_option("#report-map-figure", figure)
            fill = area.get_attribute("data-fill")
            swatches = page.locator("#report-map-legend [data-colour]").evaluate_all(
                "els => els.map(e => e.dataset.colour)"
            )
            assert fill in swatches, (figure, fill, swatches)
        page.select_option("#report-map-figure", "coverage")
        assert area.get_attribute("data-fill") in thresholds.COLOURS.values()
        expect(page.locator("#report-map-legend li[data-light]")).to_have_count(3)
