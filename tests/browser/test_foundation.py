"""A grid member on a phone: log in, switch to Chinese, open their grid, see the team."""

import pytest
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_member_logs_in_switches_to_chinese_and_sees_the_team(live_server, page, world):
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Username").fill("gm_a")
    page.get_by_label("Password").fill("pw-test-2026")
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name="Welcome, Member A")).to_be_visible()

    # On a phone the menu is folded away behind the toggler.
    page.get_by_role("button", name="Menu").click()
    page.get_by_role("button", name="中文").click()
    expect(page.get_by_role("heading", name="欢迎，Member A")).to_be_visible()

    page.get_by_role("button", name="菜单").click()
    page.get_by_role("link", name="网格", exact=True).click()
    page.get_by_role("link", name=world.a.grid.code).click()

    expect(page.get_by_role("heading", name="网格团队")).to_be_visible()
    team = page.locator("table[data-team]")
    expect(team).to_contain_text("网格员")
    expect(team).to_contain_text("Member A")
    expect(team).to_contain_text("Backup A")
    expect(team).to_contain_text("网格长")
    expect(team).to_contain_text("Leader A")
    # The page fits the phone: nothing wider than the screen.
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
