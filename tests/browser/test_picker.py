"""On a phone, under the site's CSP: a grid member reports an incident for a household found
by typing part of its address (the matches follow the typing), and lands on the new incident."""

import pytest
from playwright.sync_api import expect

from incidents.models import Incident
from tests.browser.helpers import log_in
from tests.factories import make_household

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_household_is_picked_by_typing_and_the_reporter_lands_on_the_incident(
    live_server, page, world
):
    from incidents.models import Category

    Category.objects.get_or_create(code="sanitation", defaults={"name": "环境卫生"})
    ours = make_household(world.a.grid, address="长寿路8号", room="301")
    make_household(world.b.grid, address="长寿路9号", room="302")
    log_in(page, live_server, "gm_a")
    page.goto(f"{live_server.url}/incidents/new/")
    page.locator("#id_household").press_sequentially("长寿", delay=50)
    matches = page.locator("#id_household_matches [data-matches] label")
    expect(matches).to_have_count(1)
    expect(matches).to_contain_text("长寿路8号 301")
    matches.first.click()
    page.get_by_label("Category").select_option(label="环境卫生")
    page.get_by_label("Title").fill("楼道堆放杂物")
    page.get_by_label("Reporter's name").fill("王女士")
    page.get_by_role("button", name="File the incident").click()
    incident = Incident.objects.get()
    expect(page).to_have_url(f"{live_server.url}/incidents/{incident.number}/")
    assert incident.household == ours
