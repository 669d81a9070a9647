"""Places in the grid on a 390 px phone: a member finds an overdue place in the list, records a
check that found problems, and turns them into an incident naming the place."""

import datetime

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from incidents.models import Category
from places import services
from places.models import PlaceIncident
from tests.browser.helpers import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WIDTH = "document.documentElement.scrollWidth"


def test_a_member_checks_an_overdue_place_on_a_phone(live_server, page, world):
    category, _ = Category.objects.get_or_create(code="security", defaults={"name": "治安"})
    place = services.add_place(
        grid=world.a.grid,
        by=world.a.grid_leader,
        name="Sunshine kindergarten",
        kind="school",
        address="8 Happiness Road",
        contact_phone="13812345678",
        check_cycle_days=30,
        on=timezone.localdate() - datetime.timedelta(days=3),
    )
    log_in(page, live_server, "gm_a")
    page.goto(f"{live_server.url}/places/?state=overdue")
    row = page.locator(f'[data-place="{place.pk}"]')
    expect(row.locator(".badge")).to_have_text("check overdue")
    assert page.evaluate(WIDTH) <= 390
    row.click()

    expect(page.locator("[data-phone]")).to_have_text("13812345678")
    page.get_by_label("No problems").check()
    page.get_by_label("Problems to fix").check()
    page.get_by_label("The problems").fill("Fire exit blocked by boxes")
    assert page.evaluate(WIDTH) <= 390
    page.get_by_role("button", name="Record the check").click()

    today = timezone.localdate()
    next_on = today + datetime.timedelta(days=30)
    expect(page.locator("[data-next-check]")).to_have_attribute(
        "data-next-check", next_on.isoformat()
    )
    expect(page.locator("[data-overdue]")).to_have_count(0)
    report = page.locator("[data-report-check]")
    report.get_by_label("Category").select_option(value=str(category.pk))
    report.get_by_role("button", name="Report as an incident").click()

    link = PlaceIncident.objects.get(place=place)
    assert link.incident.category == category
    expect(page).to_have_url(f"{live_server.url}{link.incident.get_absolute_url()}")
    expect(page.locator("[data-incident-place]")).to_have_text("Sunshine kindergarten")
    assert page.evaluate(WIDTH) <= 390
