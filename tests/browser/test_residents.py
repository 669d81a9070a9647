"""A resident, with no account, on a 390 px phone in Chinese under the production CSP: opens
the grid's public page from the notice board, reports a blocked fire exit with a photo, gets
a number, and follows the private status link."""

import re

import pytest
from playwright.sync_api import expect

from incidents.models import Category, Incident
from residents.models import ResidentMatter, ResidentPhoto
from tests.residents.helpers import jpeg_bytes, page_path

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

FITS = "() => document.documentElement.scrollWidth <= window.innerWidth"


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    """The 390 px phone of tests/conftest.py, of a resident who reads Chinese."""
    return {**browser_context_args, "locale": "zh-CN"}


def resident_categories():
    """The categories residents choose from (migration 0014), made again after a
    transactional test emptied the tables."""
    security, _ = Category.objects.get_or_create(code="security", defaults={"name": "治安隐患"})
    security.resident_name = "安全隐患（消防通道、电动车充电等）"
    security.save()
    other, _ = Category.objects.get_or_create(code="other", defaults={"name": "其他"})
    other.resident_name = "其他"
    other.save()
    return security


def open_public_page(new_context, live_server, grid):
    """A phone browser with no account, on the grid's public page; returns the page."""
    page = new_context().new_page()
    page.goto(f"{live_server.url}{page_path(grid)}")
    return page


def test_a_resident_reports_a_blocked_fire_exit_with_a_photo_and_follows_it(
    live_server, new_context, world, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    security = resident_categories()
    page = open_public_page(new_context, live_server, world.a.grid)
    expect(page.locator("html")).to_have_attribute("lang", "zh-hans")
    expect(page.get_by_role("heading", name=world.a.grid.name)).to_be_visible()
    expect(page.get_by_text("Member A")).to_be_visible()
    expect(page.get_by_text("08:00–12:00")).to_be_visible()
    assert page.evaluate(FITS)

    page.get_by_label(security.resident_name).check()
    page.get_by_label("在哪里？").fill("3号楼东侧消防通道")
    page.get_by_label("发生了什么？").fill("消防通道被电动车和杂物堵死了")
    page.get_by_label("照片（最多 3 张，可不传）").set_input_files(
        [
            {
                "name": "exit.jpg",
                "mimeType": "image/jpeg",
                "buffer": jpeg_bytes((3000, 2000), gps=True),
            }
        ]
    )
    page.get_by_role("button", name="发送").click()

    expect(page).to_have_url(re.compile(r"/r/s/[\w-]{24}/$"))
    matter = ResidentMatter.objects.select_related("incident").get()
    incident = matter.incident
    expect(page.get_by_text(f"您反映的事项编号是 {incident.number}")).to_be_visible()
    expect(page.get_by_role("heading", name=f"事项 {incident.number}")).to_be_visible()
    expect(page.locator("[data-steps] [data-done]")).to_have_count(1)  # received
    assert page.evaluate(FITS)
    assert incident.grid == world.a.grid
    assert incident.source == Incident.Source.RESIDENT
    assert incident.status == Incident.Status.REPORTED
    photo = ResidentPhoto.objects.get(matter=matter)
    assert max(photo.image.width, photo.image.height) <= 1600

    # The private link, opened again later (another browser, no cookies): still there.
    status_url = page.url
    later = new_context().new_page()
    later.goto(status_url)
    expect(later.get_by_role("heading", name="办理进度")).to_be_visible()
    expect(later.get_by_text("3号楼东侧消防通道")).to_be_visible()
    # The language switch works without an account.
    later.get_by_role("button", name="English").click()
    expect(later.get_by_role("heading", name="Where it stands")).to_be_visible()
    expect(later).to_have_url(status_url)


def test_a_refused_photo_says_why_in_chinese_and_saves_nothing(
    live_server, new_context, console, world, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    console.allow(r"status of 400 \(Bad Request\)")  # the refusal, answered as such
    security = resident_categories()
    page = open_public_page(new_context, live_server, world.a.grid)
    page.get_by_label(security.resident_name).check()
    page.get_by_label("在哪里？").fill("2号楼")
    page.get_by_label("发生了什么？").fill("楼道堆物")
    page.get_by_label("照片（最多 3 张，可不传）").set_input_files(
        [{"name": "notes.jpg", "mimeType": "image/jpeg", "buffer": b"not a picture at all"}]
    )
    page.get_by_role("button", name="发送").click()
    expect(page.get_by_text("只能发送照片：这个文件不是图片。")).to_be_visible()
    assert not Incident.objects.exists()
