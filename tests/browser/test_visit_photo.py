"""A visit recorded on a 390 px phone with a camera photo: the page shrinks the photo before
sending it (photo-shrink.js, as the patrol outbox does), the server stores it upright and
small, and the next visit moves. Production CSP; any console error fails."""

import random

import pytest
from django.utils import timezone
from PIL import Image
from playwright.sync_api import expect

from care.models import CarePlan, Visit
from tests.browser.helpers import log_in
from tests.care.factories import tagged_person, usual_tag

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def camera_photo(tmp_path):
    """A camera photo of about 4 MB (4000 x 3000)."""
    rng = random.Random(7)
    noise = Image.frombytes("RGB", (1000, 750), rng.randbytes(1000 * 750 * 3))
    path = tmp_path / "IMG_0100.jpg"
    noise.resize((4000, 3000), Image.Resampling.BILINEAR).save(path, "JPEG", quality=84)
    return path


def test_a_visit_with_a_camera_photo_is_sent_small(
    live_server, page, world, camera_photo, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path / "media"
    person = tagged_person(world.a.grid, usual_tag("独居老人"), name="孙阿婆")
    log_in(page, live_server, "gm_a")
    page.goto(f"{live_server.url}/care/")
    page.locator(f'[data-care-due="{person.pk}"]').click()
    form = page.locator("form[data-visit-form]")
    form.locator("input[name=outcome][value=needs]").check()
    form.locator("input[name=photo]").set_input_files(camera_photo)
    form.locator("input[name=need_1]").fill("需要助餐服务")
    form.locator("input[name=need_1_department]").fill("民政科")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    with page.expect_request(lambda r: r.method == "POST" and "/visit/" in r.url) as sent:
        form.locator("button[type=submit]").click()
    # The 4 MB photo left the phone small.
    assert int(sent.value.header_value("content-length")) < 600 * 1024
    expect(page.locator("[data-visits]")).to_contain_text("需要助餐服务")
    visit = Visit.objects.get(resident=person)
    with Image.open(visit.photo.path) as stored:
        assert max(stored.size) <= 1600
    assert CarePlan.objects.get(resident=person).last_visited_on == timezone.localdate()
