"""A dispute's parties, on the stationmaster's phone: found by name from the server as one
types (never the whole grid listed), a ticked match joins the chosen, and the mediation is
saved with them; no one from another grid can be found."""

import pytest
from playwright.sync_api import expect

from incidents import services
from incidents.models import Category, Incident
from tests.browser.helpers import log_in
from tests.factories import make_household, make_resident

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_dispute_s_parties_are_found_by_name_and_saved_with_the_mediation(
    live_server, page, world
):
    home, away = make_household(world.a.grid), make_household(world.b.grid)
    first = make_resident(home, name="Zhang One")
    make_resident(home, name="Zhang Two")
    make_resident(home, name="Li Three")
    make_resident(away, name="Zhang Four")
    dispute = services.open_incident(
        grid=world.a.grid,
        by=world.a.grid_member,
        category=Category.objects.update_or_create(
            code="dispute", defaults={"name": "dispute", "is_dispute": True}
        )[0],
        title="Noise between neighbours",
        source=Incident.Source.PATROL,
    )
    log_in(page, live_server, "sm_a")
    page.goto(f"{live_server.url}/incidents/{dispute.number}/")
    page.get_by_text("Parties and mediation").click()
    form = page.locator("form[action$='/mediation/']")
    boxes = form.locator("input[name=parties]")
    expect(boxes).to_have_count(0)  # nobody listed before a search
    expect(form.get_by_role("button", name="Search")).to_have_count(0)  # htmx follows typing

    search = form.get_by_placeholder("Name, address or last digits of the ID number")
    search.fill("Zhang")
    expect(form.get_by_label("Zhang One", exact=False)).to_be_visible()
    expect(form.get_by_label("Zhang Two", exact=False)).to_be_visible()
    expect(form.get_by_text("Zhang Four")).to_have_count(0)  # another grid
    expect(form.get_by_text("Li Three")).to_have_count(0)
    form.get_by_label("Zhang One", exact=False).check()
    search.fill("Li")
    expect(form.get_by_label("Li Three", exact=False)).to_be_visible()
    expect(form.get_by_label("Zhang One", exact=False)).to_be_checked()  # chosen, still shown
    expect(form.get_by_text("Zhang Two")).to_have_count(0)
    form.get_by_label("How it was mediated").fill("Both sides agreed on quiet hours")
    form.get_by_role("button", name="Save").click()

    expect(page.locator(".alert-success, .alert-info").first).to_be_visible()
    dispute.refresh_from_db()
    assert list(dispute.parties.all()) == [first]
    assert dispute.mediation == "Both sides agreed on quiet hours"
