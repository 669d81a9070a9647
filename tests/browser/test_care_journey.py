"""A grid member's patrol on a 390 px phone, in Chinese, with the production CSP: a visit to a
person under care from the briefing, an observation sent by the outbox, the four checks
answered, the log submitted; then the stationmaster's assessment page counts that worker's
patrolled window, observation and visit."""

import datetime

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from care.models import CarePlan, Visit
from patrols.models import Patrol, PatrolCheck, Slot
from tests.browser.helpers import log_in
from tests.care.factories import tagged_person, usual_tag
from tests.patrols.factories import make_patrol

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

COUNTED = ("patrolled", "observations", "visits_done")


def in_chinese(*users):
    for user in users:
        user.language = "zh-hans"
        user.save(update_fields=["language"])


def figures_of(page, username):
    line = page.locator(f'[data-line="{username}"]')
    expect(line).to_be_visible()
    return {key: int(line.locator(f'[data-figure="{key}"]').inner_text()) for key in COUNTED}


def fits_the_phone(page):
    assert page.evaluate("document.documentElement.scrollWidth") <= 390


def test_a_patrol_with_a_visit_shows_on_the_stationmasters_assessment(
    live_server, page, new_context, world
):
    member = world.a.grid_member
    in_chinese(member, world.a.stationmaster)
    person = tagged_person(world.a.grid, usual_tag("独居老人"), name="周阿婆")
    CarePlan.objects.filter(resident=person).update(next_due_on=timezone.localdate())
    patrol = make_patrol(
        world.a.grid,
        timezone.localdate(),
        Slot.MORNING,
        member=member,
        status=Patrol.Status.IN_PROGRESS,
        started_at=timezone.now() - datetime.timedelta(minutes=70),
    )

    # The station's page before: the member's line, in Chinese, fitting the phone.
    station = new_context()
    desk = station.new_page()
    log_in(desk, live_server, "sm_a")
    desk.goto(f"{live_server.url}/assessment/")
    expect(desk.locator("h1")).to_contain_text("考核")
    expect(desk.locator("[data-formula]")).to_contain_text("得分 =")
    before = figures_of(desk, "gm_a")
    fits_the_phone(desk)

    # The member: the visit from the patrol's briefing.
    log_in(page, live_server, "gm_a")
    page.goto(f"{live_server.url}{patrol.get_absolute_url()}")
    expect(page.locator("#before h2")).to_contain_text("巡前")
    page.locator(f'[data-care-due="{person.pk}"]').click()
    form = page.locator("form[data-visit-form]")
    form.locator("input[name=visited_on]").fill(timezone.localdate().isoformat())
    form.locator("input[name=outcome][value=well]").check()
    form.locator("textarea[name=note]").fill("身体健康，家中整洁")
    fits_the_phone(page)
    form.locator("button[type=submit]").click()
    expect(page).to_have_url(f"{live_server.url}{patrol.get_absolute_url()}#before")
    visit = Visit.objects.get(resident=person)
    assert (visit.visited_by, visit.patrol_id) == (member, patrol.pk)

    # An observation through the outbox, then the four checks and the log.
    page.locator("#id_category").select_option("sanitation")
    page.locator("#id_text").fill("垃圾桶满溢")
    page.locator("[data-outbox-form] [type=submit]").click()
    expect(page.locator("[data-observation]")).to_have_count(1)
    submit = page.locator("form[data-submit-form]")
    submit.locator("[name=summary]").fill("巡查完毕，走访一户")
    for question in ("changes", "problems", "demands", "disputes"):
        answer = "found" if question == "problems" else "none"
        submit.locator(f"input[name={question}][value={answer}]").check()
    fits_the_phone(page)
    submit.locator("button[type=submit]").click()
    expect(page.locator("[data-checks] [data-check-question]")).to_have_count(4)
    patrol.refresh_from_db()
    assert patrol.status == Patrol.Status.SUBMITTED and not patrol.is_short
    assert PatrolCheck.objects.filter(patrol=patrol).count() == 4

    # The station's page after: one more window, observation and visit for the member.
    desk.reload()
    after = figures_of(desk, "gm_a")
    assert after == {key: before[key] + 1 for key in COUNTED}
    fits_the_phone(desk)
    # The member sees his own line only.
    page.goto(f"{live_server.url}/assessment/")
    expect(page.locator("[data-line]")).to_have_count(1)
    assert figures_of(page, "gm_a") == after
    station.close()
