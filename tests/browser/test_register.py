"""A grid member on a phone adds a household with two residents; a wrong ID number is
refused with the message on the field."""

import datetime

import pytest
from playwright.sync_api import expect

from grids.models import Household
from tests.factories import make_id_number

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_member_adds_a_household_and_a_wrong_id_is_refused(live_server, page, world):
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Username").fill("gm_a")
    page.get_by_label("Password").fill("pw-test-2026")
    page.get_by_role("button", name="Log in").click()
    page.goto(f"{live_server.url}/grids/{world.a.grid.code}/")
    page.get_by_role("link", name="Households").click()
    page.get_by_role("link", name="Add a household").click()

    page.locator("#id_h-address").fill("幸福路8号")
    page.locator("#id_h-room").fill("502")
    page.locator("#id_h-housing").select_option("owner")
    good = make_id_number(datetime.date(1982, 7, 1), serial=11)
    page.locator("#id_r0-name").fill("陈一")
    page.locator("#id_r0-sex").select_option("m")
    page.locator("#id_r0-relation").select_option("head")
    page.locator("#id_r0-id_number").fill(good)
    page.locator("#id_r1-name").fill("陈二")
    page.locator("#id_r1-sex").select_option("f")
    page.locator("#id_r1-relation").select_option("spouse")
    wrong = make_id_number(datetime.date(1984, 9, 9), serial=12)
    wrong = wrong[:-1] + ("1" if wrong[-1] != "1" else "2")
    page.locator("#id_r1-id_number").fill(wrong)
    page.get_by_role("button", name="Save").click()

    field = page.locator("#id_r1-id_number")
    expect(field).to_have_class(__import__("re").compile("is-invalid"))
    expect(page.locator("[data-resident-form]").nth(1)).to_contain_text("does not match")
    assert not Household.objects.filter(address="幸福路8号").exists()

    field.fill(make_id_number(datetime.date(1984, 9, 9), serial=12))
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("heading", name="幸福路8号 502")).to_be_visible()
    expect(page.locator("[data-resident]")).to_have_count(2)
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    household = Household.objects.get(address="幸福路8号")
    assert household.residents.count() == 2


def test_a_stationmaster_unmasks_an_id_number_and_it_is_logged(live_server, page, world):
    from grids.models import DisclosureLog
    from tests.factories import make_household, make_resident

    number = make_id_number(datetime.date(1950, 2, 3), serial=21)
    household = make_household(world.a.grid, address="老街1号")
    make_resident(household, name="周老", id_number=number)

    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Username").fill("sm_a")
    page.get_by_label("Password").fill("pw-test-2026")
    page.get_by_role("button", name="Log in").click()
    page.goto(f"{live_server.url}{household.get_absolute_url()}")
    row = page.locator("[data-resident]").first
    expect(row).to_contain_text(number[:6] + "********" + number[-4:])
    assert number not in page.content()
    row.get_by_role("button", name="Show (logged)").click()
    expect(row.locator("[data-unmasked]")).to_have_text(number)
    entry = DisclosureLog.objects.get()
    assert (entry.user.username, entry.resident.name) == ("sm_a", "周老")
