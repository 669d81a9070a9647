"""The administrator splits a grid on a desktop: chooses the buildings from a list, reads in
words what the split moves, confirms, and the next day the district report's map and table
show the two grids, each with the households it holds."""

import datetime
import random

import pytest
import time_machine
from playwright.sync_api import expect

from grids.models import Area, AreaChange, Household
from reports import demo
from tests.browser.helpers import log_in
from tests.factories import make_area, make_household, make_resident, make_user
from tests.incidents.factories import local

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

DAY = datetime.date(2026, 11, 16)  # a Monday
NEXT_DAY = DAY + datetime.timedelta(days=1)
DESKTOP = {"viewport": {"width": 1280, "height": 800}}


@pytest.fixture
def browser_context_args(browser_context_args):
    """A desktop (the shared default is a phone)."""
    return {**browser_context_args, **DESKTOP, "is_mobile": False, "has_touch": False}


def test_the_administrator_previews_and_applies_a_split_and_the_report_shows_both_grids(
    live_server, page, world
):
    levels = {
        kind: list(Area.objects.filter(kind=kind).order_by("code"))
        for kind in (Area.Kind.DISTRICT, Area.Kind.STREET, Area.Kind.COMMUNITY, Area.Kind.GRID)
    }
    demo.build_boundaries(random.Random(7), levels, lambda line: None)
    grid = world.a.grid
    leaving = make_area(Area.Kind.BUILDING, grid, code=f"{grid.code}-B02", name="2号楼")
    unit = make_area(Area.Kind.UNIT, leaving, code=f"{leaving.code}-U1")
    staying = grid.children.get(code=f"{grid.code}-B01")
    registered = datetime.date(2026, 1, 5)
    for building, unit_, people in [(leaving, unit, 3), (leaving, unit, 2), (staying, None, 1)]:
        household = make_household(grid, building=building, unit=unit_, on=registered)
        for _ in range(people):
            make_resident(household, on=registered)
    make_user("root", is_superuser=True, is_staff=True)

    with time_machine.travel(local(DAY, 10), tick=True):
        log_in(page, live_server, "root")
        page.get_by_role("link", name="Area changes").first.click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Area changes")
        page.get_by_label("Grid to change").select_option(grid.code)
        page.get_by_role("button", name="New change").click()

        page.get_by_label("Split a grid").check()
        page.get_by_label(f"{leaving.code} · 2号楼").check()
        page.get_by_label("New grid's code").fill("T-01-01-03")
        page.get_by_label("New grid's name").fill("新三网格")
        expect(page.get_by_label("Effective from")).to_have_value(DAY.isoformat())
        page.get_by_role("button", name="Preview").click()

        expect(page.locator("[data-summary]")).to_have_text(
            "This moves 1 building, 1 unit, 2 households, 5 residents."
        )
        assert not AreaChange.objects.exists()
        page.get_by_role("button", name="Confirm").click()
        expect(page.locator(".alert-success")).to_contain_text("The change is applied.")
        expect(page.locator("[data-change='T-01-01-01']")).to_contain_text("Applied")

    new = Area.objects.get(code="T-01-01-03")
    assert new.valid_from == DAY
    assert Household.objects.filter(grid=new).count() == 2

    with time_machine.travel(local(NEXT_DAY, 10), tick=True):
        page.goto(
            f"{live_server.url}/reports/?area={world.a.community.code}"
            f"&start={NEXT_DAY}&end={NEXT_DAY}"
        )
        expect(page.get_by_role("heading", level=1)).to_contain_text(world.a.community.code)
        rows = page.locator("[data-table=children] tbody tr")
        expect(rows).to_have_count(3)
        for code, households in [("T-01-01-01", "1"), ("T-01-01-02", "0"), ("T-01-01-03", "2")]:
            cell = page.locator(f"tr[data-area='{code}'] td[data-column=households]")
            expect(cell).to_have_text(households)
        for code in ("T-01-01-01", "T-01-01-03"):
            expect(
                page.locator(f"#report-map path.report-map-area[data-code='{code}']")
            ).to_be_visible()
