"""A patrol on a phone, end to end: the member patrols and submits, the stationmaster returns
the log from the board, the member is told. And an observation recorded offline is sent once
when the connection returns."""

import datetime
import io
import random
import time

import pytest
from django.core.signals import request_started
from PIL import Image
from playwright.sync_api import expect

from grids.models import Area, Household
from notifications.models import Notification
from patrols.models import Instruction, Observation, Patrol
from tests.browser.helpers import log_in
from tests.factories import make_area, make_household, make_resident

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def start_patrol(page, live_server):
    page.goto(f"{live_server.url}/patrols/")
    page.get_by_role("button", name="Start a patrol").click()
    expect(page.get_by_role("heading", name="1. Before: the briefing")).to_be_visible()


def record(page, category, text):
    page.locator("#id_category").select_option(category)
    page.locator("#id_text").fill(text)
    page.get_by_role("button", name="Record", exact=True).click()


def test_a_patrol_from_start_to_a_returned_log(live_server, page, new_context, world):
    household = make_household(world.a.grid, address="和平路5号")
    make_resident(household, name="孙一")
    instruction = Instruction.objects.create(
        grid=world.a.grid,
        household=household,
        text="核实是否出租",
        due_on=datetime.date(2099, 1, 1),
        issued_by=world.a.stationmaster,
    )

    log_in(page, live_server, "gm_a")
    start_patrol(page, live_server)
    expect(page.locator(f"[data-instruction='{instruction.pk}']")).to_contain_text("核实是否出租")
    page.get_by_role("button", name="I have read the briefing").click()
    expect(page.locator("[data-acknowledged]")).to_be_visible()

    record(page, "sanitation", "垃圾桶满了")
    expect(page.locator("[data-observation]")).to_have_count(1)
    record(page, "facility", "井盖破损")
    expect(page.locator("[data-observation]")).to_have_count(2)

    item = page.locator(f"[data-instruction='{instruction.pk}']")
    item.get_by_text("Complete", exact=True).click()
    item.get_by_role("radio", name="Corrected").check()
    item.locator("select[name$=housing]").select_option("rented")
    item.get_by_role("button", name="Save the outcome").click()
    expect(page.locator(f"[data-instruction='{instruction.pk}']")).to_contain_text("Corrected")

    page.locator("#id_summary").fill("巡查完毕，发现两处问题。")
    page.get_by_role("button", name="Finish and submit the log").click()
    expect(page.get_by_text("Submitted", exact=True)).to_be_visible()
    patrol = Patrol.objects.get(member=world.a.grid_member)
    assert patrol.status == "submitted" and patrol.observations.count() == 2
    assert Household.objects.get(pk=household.pk).housing == "rented"

    station = new_context()
    desk = station.new_page()
    log_in(desk, live_server, "sm_a")
    desk.goto(f"{live_server.url}/patrols/board/?day={patrol.day}&area={world.a.community.code}")
    # The log waits for review on the board (the test runs at any hour: it may be an extra
    # patrol, outside both windows).
    desk.locator(f"[data-waiting='{patrol.pk}']").click()
    desk.get_by_label("Comment").fill("请补充井盖的具体位置")
    desk.get_by_role("button", name="Return").click()
    expect(desk.get_by_role("alert").first).to_contain_text("Log returned to Member A.")
    station.close()
    patrol.refresh_from_db()
    assert patrol.status == "returned"

    page.goto(f"{live_server.url}/notifications/")
    expect(page.locator("main")).to_contain_text("Your patrol log was returned")
    expect(page.locator("main")).to_contain_text("请补充井盖的具体位置")
    assert Notification.objects.filter(recipient=world.a.grid_member).count() == 1


# --- The outbox, on a phone, in Chinese ---


@pytest.fixture
def member_in_chinese(world):
    world.a.grid_member.language = "zh-hans"
    world.a.grid_member.save(update_fields=["language"])
    return world.a.grid_member


@pytest.fixture
def phone_photo(tmp_path):
    """A 12-megapixel JPEG of about 4.4 MB, as a phone's camera makes."""
    rng = random.Random(7)
    noise = Image.frombytes("RGB", (1000, 750), rng.randbytes(1000 * 750 * 3))
    path = tmp_path / "IMG_0001.jpg"
    noise.resize((4000, 3000), Image.Resampling.BILINEAR).save(path, "JPEG", quality=85)
    assert path.stat().st_size > 4 * 1024 * 1024
    return path


@pytest.fixture
def server_hits():
    """The paths the live server was asked for, in order."""
    hits = []

    def record(sender, environ, **kwargs):
        hits.append(environ["PATH_INFO"])

    request_started.connect(record)
    yield hits
    request_started.disconnect(record)


def start_in_chinese(page, live_server):
    page.goto(f"{live_server.url}/patrols/")
    page.locator("form[action$='/patrols/start/'] [type=submit]").click()
    expect(page.locator("#before h2")).to_contain_text("巡前")
    return Patrol.objects.get(status="in_progress")


def record_here(page, category, text, photo=None):
    """Record an observation; returns the phone's clock just before and after, in ms."""
    page.locator("#id_category").select_option(category)
    page.locator("#id_text").fill(text)
    if photo:
        page.locator("#id_photo").set_input_files(photo)
    before = page.evaluate("Date.now()")
    page.locator("[data-outbox-form] [type=submit]").click()
    expect(page.locator("#id_text")).to_have_value("")  # kept: the form is cleared
    return before, page.evaluate("Date.now()")


def as_moment(ms):
    return datetime.datetime.fromtimestamp(ms / 1000, tz=datetime.UTC)


def wait_for_offline_copy(page):
    """The service worker controls the page and keeps a copy of it."""
    page.wait_for_function(
        "async () => navigator.serviceWorker.controller !== null"
        " && !!(await caches.match(location.pathname))"
    )


def test_three_observations_online_arrive_in_order_with_a_small_photo(
    live_server, page, world, member_in_chinese, phone_photo
):
    log_in(page, live_server, "gm_a")
    patrol = start_in_chinese(page, live_server)
    times = [
        record_here(page, "sanitation", "垃圾桶满了"),
        record_here(page, "facility", "井盖破损", photo=phone_photo),
        record_here(page, "security", "单元门禁损坏"),
    ]
    expect(page.locator("[data-observation]")).to_have_count(3, timeout=20000)
    expect(page.locator("[data-outbox-panel]")).to_be_hidden()

    observations = list(patrol.observations.order_by("observed_at"))
    assert [o.text for o in observations] == ["垃圾桶满了", "井盖破损", "单元门禁损坏"]
    for observation, (before, after) in zip(observations, times, strict=True):
        assert as_moment(before) <= observation.observed_at <= as_moment(after + 1)
    photo = observations[1].photo
    assert photo.size <= 400 * 1024
    with Image.open(photo.path) as image:
        assert image.format == "JPEG" and max(image.size) <= 1600
        stored_size = image.size
    assert stored_size[0] / stored_size[1] == 4 / 3
    assert not observations[0].photo and not observations[2].photo
    # The log shows when each was seen.
    shown = page.locator("[data-observed-at]").evaluate_all(
        "nodes => nodes.map(n => n.getAttribute('datetime'))"
    )
    assert [datetime.datetime.fromisoformat(t) for t in shown] == [
        o.observed_at for o in observations
    ]
    photo_url = f"{live_server.url}/patrols/observations/{observations[1].pk}/photo/"
    response = page.request.get(photo_url)
    assert response.ok
    assert Image.open(io.BytesIO(response.body())).size == stored_size


def test_offline_the_patrol_page_reopens_and_nothing_is_lost_or_sent_twice(
    live_server, page, context, world, member_in_chinese, phone_photo, server_hits, console
):
    console.allow("ERR_INTERNET_DISCONNECTED")
    log_in(page, live_server, "gm_a")
    patrol = start_in_chinese(page, live_server)
    wait_for_offline_copy(page)

    context.set_offline(True)
    times = [
        record_here(page, "facility", "路灯不亮", photo=phone_photo),
        record_here(page, "sanitation", "楼道堆放杂物", photo=phone_photo),
    ]
    panel = page.locator("[data-outbox-panel]")
    expect(panel.locator("[data-outbox-count]")).to_have_text("2")
    expect(panel).to_contain_text("离线")

    hits_before = len(server_hits)
    page.reload()
    expect(page.locator("#during h2")).to_contain_text("巡中")
    expect(panel.locator("[data-outbox-count]")).to_have_text("2")
    times.append(record_here(page, "dispute", "邻里噪音纠纷"))
    expect(panel.locator("[data-outbox-count]")).to_have_text("3")
    # The page came from the phone, not the server (the browser's own check for a newer
    # service worker, /sw.js, is all that may reach it).
    assert [path for path in server_hits[hits_before:] if path != "/sw.js"] == []
    assert not Observation.objects.exists()

    context.set_offline(False)
    expect(panel).to_be_hidden(timeout=30000)
    expect(page.locator("[data-observation]")).to_have_count(3)
    # Offline and online again: nothing is sent twice.
    context.set_offline(True)
    context.set_offline(False)
    page.wait_for_timeout(1500)
    observations = list(patrol.observations.order_by("observed_at"))
    assert [o.text for o in observations] == ["路灯不亮", "楼道堆放杂物", "邻里噪音纠纷"]
    for observation, (before, after) in zip(observations, times, strict=True):
        assert as_moment(before) <= observation.observed_at <= as_moment(after + 1)
        assert observation.received_at > observation.observed_at
    assert all(o.photo.size <= 400 * 1024 for o in observations[:2])


def test_a_refused_observation_shows_why_and_does_not_hold_up_the_next(
    live_server, page, world, member_in_chinese, console
):
    console.allow("status of 400")
    elsewhere = make_area(Area.Kind.BUILDING, world.b.grid, code="B-X-1", name="外网格1栋")
    log_in(page, live_server, "gm_a")
    patrol = start_in_chinese(page, live_server)
    # A building of another grid, as a page from before a boundary change could offer.
    page.locator("#id_building").evaluate(
        "(select, pk) => select.add(new Option('外网格1栋', pk))", str(elsewhere.pk)
    )
    page.locator("#id_building").select_option(str(elsewhere.pk))
    record_here(page, "facility", "外墙脱落")
    record_here(page, "sanitation", "垃圾未清运")

    refused = page.locator("[data-outbox-item]").filter(has=page.locator("[data-outbox-reason]"))
    expect(refused).to_have_count(1, timeout=20000)
    expect(refused).to_contain_text("外墙脱落")
    expect(refused.locator("[data-outbox-reason]")).to_contain_text("楼栋")
    expect(page.locator("[data-observation]")).to_have_count(1)
    assert list(patrol.observations.values_list("text", flat=True)) == ["垃圾未清运"]

    # Submitting now warns that one observation has not been sent.
    page.locator("#id_summary").fill("巡查完毕")
    page.locator("[data-submit-form] [type=submit]").click()
    warning = page.locator("[data-outbox-submit-warning]")
    expect(warning).to_be_visible()
    expect(warning.locator("[data-outbox-unsent]")).to_have_text("1")

    # Edit and resend: it keeps the moment it was recorded and arrives.
    refused.locator("[data-outbox-action=edit]").click()
    expect(page.locator("#id_text")).to_have_value("外墙脱落")
    page.locator("#id_building").select_option("")
    page.locator("#id_place").fill("东门外墙")
    page.locator("[data-outbox-form] [type=submit]").click()
    expect(page.locator("[data-observation]")).to_have_count(2, timeout=20000)
    first, second = patrol.observations.order_by("observed_at")
    assert (first.text, first.place, first.building_id) == ("外墙脱落", "东门外墙", None)
    assert second.text == "垃圾未清运"


def test_a_log_submitted_with_observations_waiting_says_how_many(
    live_server, page, context, world, member_in_chinese, console
):
    console.allow("ERR_INTERNET_DISCONNECTED")
    log_in(page, live_server, "gm_a")
    patrol = start_in_chinese(page, live_server)
    context.set_offline(True)
    record_here(page, "other", "信号差，稍后发送")
    page.locator("#id_summary").fill("巡查完毕")
    page.locator("[data-submit-form] [type=submit]").click()
    warning = page.locator("[data-outbox-submit-warning]")
    expect(warning.locator("[data-outbox-unsent]")).to_have_text("1")
    # "Send them, then submit": the page waits for the connection; the observation goes
    # first, then the log.
    warning.locator("[data-outbox-submit=wait]").click()
    page.wait_for_timeout(500)
    assert Patrol.objects.get(pk=patrol.pk).status == "in_progress"
    context.set_offline(False)
    expect(page.locator("[data-unsent-note]")).to_have_count(0)
    expect(page.locator("#after .card")).to_contain_text("巡查完毕", timeout=20000)
    patrol.refresh_from_db()
    assert patrol.status == "submitted" and patrol.unsent_observations == 0
    assert list(patrol.observations.values_list("text", flat=True)) == ["信号差，稍后发送"]


def test_a_days_outbox_of_twenty_photos_is_sent_whole_when_back_online(
    live_server, page, context, world, member_in_chinese, phone_photo, console, capsys
):
    """Twenty observations with a 4.4 MB photo each, recorded offline, fit on the phone and
    all arrive once. Prints the bytes kept in IndexedDB and the time from "back online" to
    "all sent" (measured, not enforced)."""
    console.allow("ERR_INTERNET_DISCONNECTED")
    log_in(page, live_server, "gm_a")
    patrol = start_in_chinese(page, live_server)
    context.set_offline(True)
    for n in range(20):
        record_here(page, "facility", f"第{n + 1}处", photo=phone_photo)
    panel = page.locator("[data-outbox-panel]")
    expect(panel.locator("[data-outbox-count]")).to_have_text("20")
    kept = page.evaluate(
        """() => new Promise((resolve) => {
          indexedDB.open("patrol-outbox").onsuccess = (event) => {
            const all = event.target.result.transaction("items").objectStore("items").getAll();
            all.onsuccess = () => resolve(all.result.map((item) => item.photo.size));
          };
        })"""
    )
    assert len(kept) == 20 and all(size <= 400 * 1024 for size in kept)

    online_at = time.monotonic()
    context.set_offline(False)
    expect(panel).to_be_hidden(timeout=60000)
    seconds = time.monotonic() - online_at
    texts = list(patrol.observations.order_by("observed_at").values_list("text", flat=True))
    assert texts == [f"第{n + 1}处" for n in range(20)]
    with capsys.disabled():
        print(
            f"\noutbox of 20 photos: {sum(kept):,} bytes in IndexedDB "
            f"(largest {max(kept):,}); back online to all sent: {seconds:.1f} s"
        )
