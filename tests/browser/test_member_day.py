"""A grid member's day, as JOURNEYS.md tells it, on a phone in Chinese with the production
security settings: the morning patrol from the home page (briefing, three observations, two
with phone photos, one recorded in a basement with no signal, one reported as an incident at
once, a verification instruction completed with a correction), submitted at 09:20; then at
18:40 a third patrol, which is an extra patrol and leaves the day's windows as they were."""

import datetime
import random

import pytest
import time_machine
from PIL import Image
from playwright.sync_api import expect

from grids.models import Household
from incidents.models import Category, Incident
from patrols.models import Instruction, Patrol
from tests.browser.helpers import log_in
from tests.factories import make_household, make_resident
from tests.patrols.factories import local

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

MONDAY = datetime.date(2026, 11, 30)


@pytest.fixture
def phone_photos(tmp_path):
    """Two camera photos of about 4 MB each."""
    paths = []
    for n in (1, 2):
        rng = random.Random(n)
        noise = Image.frombytes("RGB", (1000, 750), rng.randbytes(1000 * 750 * 3))
        path = tmp_path / f"IMG_000{n}.jpg"
        noise.resize((4000, 3000), Image.Resampling.BILINEAR).save(path, "JPEG", quality=84)
        paths.append(path)
    return paths


def record(page, category, text, photo=None):
    page.locator("#id_category").select_option(category)
    page.locator("#id_text").fill(text)
    if photo:
        page.locator("#id_photo").set_input_files(photo)
    page.locator("[data-outbox-form] [type=submit]").click()
    expect(page.locator("#id_text")).to_have_value("")


def test_a_grid_members_day_on_a_phone_in_chinese(
    live_server, page, context, world, phone_photos, console
):
    console.allow("ERR_INTERNET_DISCONNECTED")
    member = world.a.grid_member
    member.language = "zh-hans"
    member.save(update_fields=["language"])
    Category.objects.update_or_create(code="sanitation", defaults={"name": "环境卫生"})
    household = make_household(world.a.grid, address="幸福路8号")
    make_resident(household, name="周一")
    instruction = Instruction.objects.create(
        grid=world.a.grid,
        household=household,
        text="核实是否出租",
        due_on=MONDAY + datetime.timedelta(days=2),
        issued_by=world.a.stationmaster,
    )

    with time_machine.travel(local(MONDAY, 7, 55), tick=True) as clock:
        # 07:55, the home screen: today's two windows, the open instruction.
        log_in(page, live_server, "gm_a")
        expect(page.locator("main")).to_contain_text("核实是否出租")
        expect(page.locator("main [data-slot='am']").first).to_be_visible()

        # The morning patrol, started a little before the window opens.
        page.goto(f"{live_server.url}/patrols/")
        page.locator("form[action$='/patrols/start/'] [type=submit]").click()
        patrol = Patrol.objects.get(member=member)
        assert patrol.slot == "am"
        page.locator(f"form[action$='/patrols/{patrol.pk}/acknowledge/'] [type=submit]").click()
        expect(page.locator("[data-acknowledged]")).to_be_visible()

        # Three observations: two with photos, one of them in a basement with no signal.
        record(page, "sanitation", "3号楼化粪池满溢", photo=phone_photos[0])
        expect(page.locator("[data-observation]")).to_have_count(1, timeout=20000)
        context.set_offline(True)
        record(page, "facility", "地下室消防通道堆物", photo=phone_photos[1])
        expect(page.locator("[data-outbox-count]")).to_have_text("1")
        context.set_offline(False)
        record(page, "other", "5号楼路灯闪烁，需跟进")
        expect(page.locator("[data-observation]")).to_have_count(3, timeout=30000)
        expect(page.locator("[data-outbox-panel]")).to_be_hidden()

        # The septic tank becomes an incident at once.
        page.locator("[data-observation]").first.locator(
            "[data-report-observation] [type=submit]"
        ).click()
        incident = Incident.objects.get()
        expect(page).to_have_url(f"{live_server.url}{incident.get_absolute_url()}")
        assert incident.observation.text == "3号楼化粪池满溢"
        page.go_back()

        # The verification instruction, completed with a correction.
        item = page.locator(f"[data-instruction='{instruction.pk}']")
        item.locator("summary").click()
        item.locator("input[type=radio][value=corrected]").check()
        item.locator("select[name$=housing]").select_option("rented")
        item.locator("form [type=submit]").click()
        expect(page.locator(f"[data-instruction='{instruction.pk}']")).to_contain_text("✓")
        assert Household.objects.get(pk=household.pk).housing == "rented"

        # Submitted at 09:20: a full patrol of the morning window.
        clock.move_to(local(MONDAY, 9, 20))
        page.goto(f"{live_server.url}{patrol.get_absolute_url()}")
        page.locator("#id_summary").fill("上午巡查完毕，一处化粪池满溢已上报。")
        page.locator("[data-submit-form] [type=submit]").click()
        expect(page.locator("#after .card")).to_contain_text("上午巡查完毕")
        patrol.refresh_from_db()
        assert (patrol.status, patrol.is_short, patrol.unsent_observations) == (
            "submitted",
            False,
            0,
        )
        assert patrol.observations.count() == 3
        assert all(o.photo.size <= 400 * 1024 for o in patrol.observations.exclude(photo=""))

        # 18:40, after the afternoon window: a third patrol is an extra patrol.
        clock.move_to(local(MONDAY, 18, 40))
        page.goto(f"{live_server.url}/patrols/")
        page.locator("form[action$='/patrols/start/'] [type=submit]").click()
        expect(page.locator("[role=alert].alert-info")).to_contain_text("加巡")
        extra = Patrol.objects.get(member=member, status="in_progress")
        assert extra.slot == ""
        page.goto(f"{live_server.url}/")
        morning = page.locator("main [data-slot='am']").first
        expect(morning).to_have_attribute("data-state", "done")
