"""The whole life of an incident in a browser: a member reports it from a patrol
observation; the stationmaster assigns it to a post whose A holder is away, so it reaches B;
B resolves it; the stationmaster verifies it and records the resident's satisfaction. The
timeline shows every step and the reporter stays first-responsible throughout."""

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from grids.models import Absence, Post, Role
from incidents.models import Category, Incident
from tests.browser.helpers import log_in
from tests.factories import make_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def take(page, step, **fields):
    """Open a step's box, fill its fields (by label; a select by its value or label), submit."""
    box = page.locator(f"[data-step='{step}']")
    box.locator("summary").click()
    for label, value in fields.items():
        control = box.get_by_label(label)
        if control.evaluate("e => e.tagName") != "SELECT":
            control.fill(value)
        elif value.isdigit():
            control.select_option(value)
        else:
            control.select_option(label=value)
    box.get_by_role("button").click()


def test_the_life_of_an_incident(live_server, page, new_context, world):
    Category.objects.update_or_create(code="demand", defaults={"name": "居民诉求"})
    post = Post.objects.get(area=world.a.grid, role=Role.GRID_LEADER)
    post.holder_b = make_user("gl_a_b", full_name="Leader Backup")
    post.save()
    today = timezone.localdate()
    Absence.objects.create(user=post.holder_a, starts_on=today, ends_on=today, reason="病假")

    # The member reports it from an observation, with one tap.
    log_in(page, live_server, "gm_a")
    page.goto(f"{live_server.url}/patrols/")
    page.get_by_role("button", name="Start a patrol").click()
    page.locator("#id_category").select_option("demand")
    page.locator("#id_text").fill("化粪池渗漏，气味很大")
    page.get_by_role("button", name="Record", exact=True).click()
    expect(page.locator("[data-observation]")).to_have_count(1)
    page.get_by_role("button", name="Report as an incident").click()
    expect(page.locator("[data-status]")).to_have_text("Reported")
    incident = Incident.objects.get()
    assert incident.first_responsible == world.a.grid_member

    def as_user(username):
        context = new_context()
        other = context.new_page()
        log_in(other, live_server, username)
        other.goto(f"{live_server.url}{incident.get_absolute_url()}")
        return context, other

    # The stationmaster assigns it to the grid leader's post; A is away, so B gets it.
    context, desk = as_user("sm_a")
    take(desk, "assign", Post=str(post.pk))
    expect(desk.locator("[data-status]")).to_have_text("Assigned")
    expect(desk.locator("[data-handler]")).to_contain_text("Leader Backup")
    context.close()

    # B starts and resolves it.
    context, backup = as_user("gl_a_b")
    take(backup, "start")
    expect(backup.locator("[data-status]")).to_have_text("In progress")
    take(backup, "resolve", Note="已联系物业清掏")
    expect(backup.locator("[data-status]")).to_have_text("Resolved")
    context.close()

    # The stationmaster verifies it and closes it with the resident's satisfaction.
    context, desk = as_user("sm_a")
    take(desk, "verify")
    expect(desk.locator("[data-status]")).to_have_text("Verified")
    take(desk, "close", **{"Resident's satisfaction": "Satisfied", "Note": "居民满意"})
    expect(desk.locator("[data-status]")).to_have_text("Closed")
    expect(desk.locator("[data-satisfaction]")).to_contain_text("Satisfied")
    timeline = desk.locator("[data-timeline] [data-action]")
    expect(timeline).to_have_count(6)
    actions = [timeline.nth(i).get_attribute("data-action") for i in range(6)]
    assert actions == ["report", "assign", "start", "resolve", "verify", "close"]
    expect(desk.locator("[data-first-responsible]")).to_have_text("Member A")
    context.close()

    incident.refresh_from_db()
    assert incident.status == "closed" and incident.first_responsible == world.a.grid_member
    assert incident.handler.username == "gl_a_b" and incident.satisfaction == "satisfied"
