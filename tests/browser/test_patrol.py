"""A patrol on a phone, end to end: the member patrols and submits, the stationmaster returns
the log from the board, the member is told. And an observation recorded offline is sent once
when the connection returns."""

import datetime
import re

import pytest
from playwright.sync_api import expect

from grids.models import Household
from notifications.models import Notification
from patrols.models import Instruction, Observation, Patrol
from tests.browser.helpers import log_in
from tests.factories import make_household, make_resident

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def start_patrol(page, live_server):
    page.goto(f"{live_server.url}/patrols/")
    page.get_by_role("button", name="Start a patrol").click()
    expect(page.get_by_role("heading", name="1. Before: the briefing")).to_be_visible()


def record(page, category, text):
    page.locator("#id_category").select_option(category)
    page.locator("#id_text").fill(text)
    page.get_by_role("button", name="Record", exact=True).click()


def test_a_patrol_from_start_to_a_returned_log(live_server, page, browser, world):
    household = make_household(world.a.grid, address="和平路5号")
    make_resident(household, name="孙一")
    instruction = Instruction.objects.create(
        grid=world.a.grid,
        household=household,
        text="核实是否出租",
        due_on=datetime.date(2099, 1, 1),
        issued_by=world.a.stationmaster,
    )

    log_in(page, live_server, "gm_a")
    start_patrol(page, live_server)
    expect(page.locator(f"[data-instruction='{instruction.pk}']")).to_contain_text("核实是否出租")
    page.get_by_role("button", name="I have read the briefing").click()
    expect(page.locator("[data-acknowledged]")).to_be_visible()

    record(page, "sanitation", "垃圾桶满了")
    expect(page.locator("[data-observation]")).to_have_count(1)
    record(page, "facility", "井盖破损")
    expect(page.locator("[data-observation]")).to_have_count(2)

    item = page.locator(f"[data-instruction='{instruction.pk}']")
    item.get_by_text("Complete", exact=True).click()
    item.get_by_role("radio", name="Corrected").check()
    item.locator("select[name$=housing]").select_option("rented")
    item.get_by_role("button", name="Save the outcome").click()
    expect(page.locator(f"[data-instruction='{instruction.pk}']")).to_contain_text("Corrected")

    page.locator("#id_summary").fill("巡查完毕，发现两处问题。")
    page.get_by_role("button", name="Finish and submit the log").click()
    expect(page.get_by_text("Submitted", exact=True)).to_be_visible()
    patrol = Patrol.objects.get(member=world.a.grid_member)
    assert patrol.status == "submitted" and patrol.observations.count() == 2
    assert Household.objects.get(pk=household.pk).housing == "rented"

    station = browser.new_context(viewport={"width": 390, "height": 844})
    desk = station.new_page()
    log_in(desk, live_server, "sm_a")
    desk.goto(f"{live_server.url}/patrols/board/?day={patrol.day}&area={world.a.community.code}")
    cell = desk.locator(f"[data-grid='{world.a.grid.code}'] [data-slot='{patrol.slot}']")
    cell.get_by_role("link").click()
    desk.get_by_label("Comment").fill("请补充井盖的具体位置")
    desk.get_by_role("button", name="Return").click()
    expect(desk.get_by_text("Returned", exact=True).first).to_be_visible()
    station.close()

    page.goto(f"{live_server.url}/notifications/")
    expect(page.locator("main")).to_contain_text("Your patrol log was returned")
    expect(page.locator("main")).to_contain_text("请补充井盖的具体位置")
    assert Notification.objects.filter(recipient=world.a.grid_member).count() == 1


def test_an_observation_recorded_offline_is_sent_once_when_back_online(
    live_server, page, context, world
):
    log_in(page, live_server, "gm_a")
    start_patrol(page, live_server)

    context.set_offline(True)
    record(page, "security", "单元门禁损坏")
    panel = page.locator("[data-outbox-panel]")
    expect(panel).to_be_visible()
    expect(panel.locator("[data-outbox-count]")).to_have_text("1")
    expect(panel).to_contain_text("You are offline")
    assert not Observation.objects.exists()

    context.set_offline(False)
    expect(panel).to_be_hidden(timeout=20000)
    expect(page.locator("[data-observation]")).to_contain_text(re.compile("单元门禁损坏"))
    # Going offline and online again sends nothing twice.
    context.set_offline(True)
    context.set_offline(False)
    page.wait_for_timeout(1000)
    assert Observation.objects.filter(text="单元门禁损坏").count() == 1
