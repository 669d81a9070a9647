"""The stationmaster runs the AB posts from the team page, on a desktop in Chinese: the grid
leader is on sick leave for three days, an incident assigned to the post lands with B (who is
told), and on day 4 A is back: new work goes to A, while B keeps the one taken while covering
until the stationmaster returns it to A."""

import datetime

import pytest
import time_machine
from playwright.sync_api import expect

from grids.models import Post, Role
from incidents.models import Incident
from notifications.models import Notification
from tests.factories import make_user
from tests.incidents.factories import local, make_incident

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

DAY_1 = datetime.date(2026, 12, 1)  # a Tuesday
DAY_4 = DAY_1 + datetime.timedelta(days=3)
DESKTOP = {"viewport": {"width": 1280, "height": 800}, "locale": "zh-CN"}


@pytest.fixture
def browser_context_args(browser_context_args):
    """A desktop, in Chinese (the shared default is an English phone)."""
    return {**browser_context_args, **DESKTOP, "is_mobile": False, "has_touch": False}


def log_in(page, live_server, username):
    """The login page in whatever language the browser asks for: by field ids."""
    page.goto(f"{live_server.url}/accounts/login/")
    page.locator("#id_username").fill(username)
    page.locator("#id_password").fill("pw-test-2026")
    page.locator("#id_password").press("Enter")
    expect(page).to_have_url(f"{live_server.url}/")


def assign(page, live_server, incident, post):
    page.goto(f"{live_server.url}{incident.get_absolute_url()}")
    box = page.locator("[data-step='assign']")
    box.locator("summary").click()
    box.locator("select").select_option(str(post.pk))
    box.locator("[type=submit]").click()
    expect(page.locator("[data-status]")).to_have_text("已派遣")


def test_sick_leave_cover_and_return_to_a_on_a_desktop_in_chinese(live_server, new_context, world):
    station = world.a.stationmaster
    station.language = "zh-hans"
    station.save(update_fields=["language"])
    backup = make_user("gl_a_b", full_name="龚桐", language="zh-hans")
    post = Post.objects.get(area=world.a.grid, role=Role.GRID_LEADER)
    post.holder_b = backup
    post.save()
    page = new_context().new_page()

    with time_machine.travel(local(DAY_1, 9), tick=True):
        covered = make_incident(world.a.grid, world.a.grid_member, title="楼道堆放杂物")
        log_in(page, live_server, "sm_a")
        # The home page links to the team page.
        page.locator(f"[data-community='{world.a.community.code}'] [data-team-link]").click()
        expect(page.locator("h1")).to_contain_text("团队")

        # Sick leave from today for three days.
        form = page.locator("[data-absence-form]")
        form.locator("#id_person").select_option(str(world.a.grid_leader.pk))
        form.locator("#id_starts_on").fill("2026-12-01")
        form.locator("#id_ends_on").fill("2026-12-03")
        form.locator("#id_reason").select_option("sick")
        form.locator("[type=submit]").click()
        row = page.locator(f"[data-post='{post.pk}'] [data-acting]")
        expect(row).to_contain_text("龚桐")
        expect(page.locator("[data-absences]")).to_contain_text("病假")

        # An incident assigned to the grid leader's post lands with B, who is told.
        assign(page, live_server, covered, post)
        expect(page.locator("[data-handler]")).to_contain_text("龚桐")
        told = Notification.objects.get(recipient=backup, key__startswith=f"assigned:{covered.pk}:")
        if backup.language == "zh-hans":
            assert told.title == f"事件 {covered.number} 已派遣给您"

    with time_machine.travel(local(DAY_4, 9), tick=True):
        # Day 4: A is back. New work goes to A; the covered incident stays with B.
        fresh = make_incident(world.a.grid, world.a.grid_member, title="路灯不亮")
        assign(page, live_server, fresh, post)
        expect(page.locator("[data-handler]")).to_contain_text(world.a.grid_leader.full_name)
        covered.refresh_from_db()
        assert covered.handler == backup

        page.goto(f"{live_server.url}{covered.get_absolute_url()}")
        expect(page.locator("[data-handler] [data-covered]")).to_be_visible()
        page.locator("[data-return-to-a]").click()
        expect(page.locator("[data-handler]")).to_contain_text(world.a.grid_leader.full_name)
        expect(page.locator("[data-return-to-a]")).to_have_count(0)
    covered.refresh_from_db()
    fresh.refresh_from_db()
    assert covered.handler == world.a.grid_leader and covered.covered_for is None
    assert fresh.handler == world.a.grid_leader
    assert Incident.objects.filter(handler=backup).count() == 0
