"""A volunteer reports a matter on a phone (390 px, in Chinese): a photo shrunk on the phone,
kept in the outbox while offline and filed once when the connection returns."""

import importlib
import random

import pytest
from django.apps import apps
from PIL import Image
from playwright.sync_api import expect

from grids.models import Role
from incidents.models import Incident
from tests.browser.helpers import log_in
from tests.factories import make_post, make_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _categories(transactional_db):
    """The migration's categories and time limits, loaded again where an earlier
    transactional test emptied the tables."""
    defaults = importlib.import_module("incidents.migrations.0002_defaults")
    defaults.load_defaults(apps, None)


@pytest.fixture
def phone_photo(tmp_path):
    """A 12-megapixel JPEG of a few megabytes, as a phone's camera makes."""
    rng = random.Random(3)
    noise = Image.frombytes("RGB", (800, 600), rng.randbytes(800 * 600 * 3))
    path = tmp_path / "IMG_0002.jpg"
    noise.resize((4000, 3000), Image.Resampling.BILINEAR).save(path, "JPEG", quality=85)
    return path


def wait_for_offline_copy(page):
    page.wait_for_function(
        "async () => navigator.serviceWorker.controller !== null"
        " && !!(await caches.match(location.pathname))"
    )


def test_a_volunteer_reports_a_matter_with_a_photo_online_and_offline(
    live_server, page, context, world, phone_photo, settings, tmp_path, console
):
    console.allow("ERR_INTERNET_DISCONNECTED")
    settings.MEDIA_ROOT = tmp_path
    volunteer = make_user("volunteer_a", language="zh-hans")
    make_post(world.a.grid, Role.VOLUNTEER, volunteer)
    log_in(page, live_server, "volunteer_a")

    page.locator(".navbar-toggler").click()
    page.get_by_role("main").get_by_role("link", name="上报事项").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("上报事项")
    width = page.evaluate("document.scrollingElement.scrollWidth")
    assert width <= 390, width

    page.locator("#id_place").fill("3号楼2单元楼道")
    page.locator("#id_category").select_option(label="环境卫生")
    page.locator("#id_text").fill("楼道堆满纸箱，挡住消防通道")
    page.locator("#id_photo").set_input_files(phone_photo)
    page.get_by_role("button", name="发送上报").click()
    recent = page.locator("[data-observations]")
    expect(recent).to_contain_text("楼道堆满纸箱", timeout=20000)
    expect(page.locator("[data-outbox-panel]")).to_be_hidden()

    incident = Incident.objects.get()
    assert incident.grid == world.a.grid and incident.source == Incident.Source.TEAM
    assert incident.first_responsible == volunteer
    assert incident.description.startswith("3号楼2单元楼道: ")
    assert incident.photo.size <= 400 * 1024
    with Image.open(incident.photo.path) as stored:
        # Upright, at most 1600 px, 4:3 as taken (a noisy picture comes out smaller).
        assert stored.format == "JPEG" and max(stored.size) <= 1600
        assert stored.size[0] * 3 == stored.size[1] * 4

    # Offline: the report waits on the phone, and is filed once when the connection returns.
    wait_for_offline_copy(page)
    context.set_offline(True)
    page.locator("#id_category").select_option(label="设施损坏")
    page.locator("#id_text").fill("路灯不亮")
    page.get_by_role("button", name="发送上报").click()
    panel = page.locator("[data-outbox-panel]")
    expect(panel.locator("[data-outbox-count]")).to_have_text("1")
    expect(panel).to_contain_text("离线")
    assert Incident.objects.count() == 1
    context.set_offline(False)
    expect(panel).to_be_hidden(timeout=30000)
    expect(recent).to_contain_text("路灯不亮")
    context.set_offline(True)
    context.set_offline(False)
    page.wait_for_timeout(1500)
    assert sorted(Incident.objects.values_list("title", flat=True)) == [
        "楼道堆满纸箱，挡住消防通道",
        "路灯不亮",
    ]
