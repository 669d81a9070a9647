"""The companion picker of a patrol log, on a phone: the grid's own team is listed first, the
rest of the community is found by name (the matches come from the server as one types), and
no one from outside it can be named."""

import datetime

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from grids.models import Role
from patrols.models import Patrol, Slot
from tests.browser.helpers import log_in
from tests.factories import make_post, make_user
from tests.patrols.factories import make_patrol

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_companion_picker_offers_the_grids_team_first_and_only_the_community(
    live_server, page, world
):
    make_post(world.a.other_grid, Role.GRID_MEMBER, make_user("gm_a2", full_name="Member A2"))
    patrol = make_patrol(
        world.a.grid,
        timezone.localdate(),
        Slot.MORNING,
        member=world.a.grid_member,
        status=Patrol.Status.IN_PROGRESS,
        started_at=timezone.now() - datetime.timedelta(minutes=70),
    )
    log_in(page, live_server, "gm_a")
    page.goto(f"{live_server.url}{patrol.get_absolute_url()}")
    form = page.locator("form[data-submit-form]")

    # The grid's team (A and B of the grid's posts) is listed, before anyone else.
    team = form.locator("input[name=companions]")
    expect(team).to_have_count(2)
    assert [team.nth(i).evaluate("e => e.labels[0].innerText.trim()") for i in range(2)] == [
        "Backup A",
        "Leader A",
    ]
    # No one else is listed: the rest of the community is found by name, from the server.
    others = form.locator("input[name=other_companions]")
    expect(others).to_have_count(0)
    expect(form.get_by_role("button", name="Search")).to_have_count(0)  # htmx follows typing
    search = form.get_by_label("Someone else from the community")
    search.fill("a2")
    expect(form.get_by_label("Member A2")).to_be_visible()
    search.press("Enter")  # does not submit the log
    expect(form.get_by_label("Stationmaster A")).to_have_count(0)
    expect(others).to_have_count(1)
    form.get_by_label("Member A2").check()
    search.fill("station")
    expect(form.get_by_label("Stationmaster A")).to_be_visible()
    expect(form.get_by_label("Member A2")).to_be_checked()  # chosen, so still in view
    search.fill("")
    expect(form.get_by_label("Stationmaster A")).to_have_count(0)
    expect(form.get_by_label("Member A2")).to_be_checked()
    search.fill("member")  # the chosen are not listed again
    expect(form.locator("[data-companion-matches] [data-no-match]")).to_be_visible()
    expect(others).to_have_count(1)
    assert patrol.status == Patrol.Status.IN_PROGRESS
    form.get_by_label("Backup A").check()
    form.get_by_label("Summary").fill("巡查完毕")

    # Someone from another community, slipped into the form, is refused: nothing is saved.
    outsider = world.b.stationmaster
    form.get_by_label("Member A2").evaluate(f"e => {{ e.value = '{outsider.pk}'; }}")
    form.get_by_role("button", name="Finish and submit the log").click()
    expect(page.locator("main > .alert-danger")).to_be_visible()
    patrol.refresh_from_db()
    assert patrol.status == Patrol.Status.IN_PROGRESS and not patrol.companions.exists()

    form.get_by_label("Summary").fill("巡查完毕")
    form.get_by_label("Backup A").check()
    form.get_by_label("Someone else from the community").fill("member a")
    form.get_by_label("Member A2").check()
    # The outbox submits the log (no observation is waiting): the chosen go with it.
    form.get_by_role("button", name="Finish and submit the log").click()
    expect(page.get_by_text("Submitted", exact=True)).to_be_visible()
    patrol.refresh_from_db()
    assert patrol.status == Patrol.Status.SUBMITTED
    assert set(patrol.companions.values_list("username", flat=True)) == {"gm_a_b", "gm_a2"}
