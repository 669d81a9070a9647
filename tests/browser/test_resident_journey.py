"""A resident's matter from the notice board to the rating, in Chinese on phones (390 px),
with the production security settings and CSP, failing on any console error.

The stationmaster downloads the grid's notice board and its QR code gives the public page;
a resident (no account) reports a blocked fire exit there with a photo and gets a number; a
volunteer of the grid reports something else through the team's report page; a grid member
accepts the resident's matter and answers for it; the station assigns it, the member does
the work, the station verifies and closes it; the resident's status page shows it done and
takes "not satisfied" with a comment, which reopens it for the station, whose stationmaster
is told and finds it reopened."""

import io
import random

import pytest
import zxingcpp
from PIL import Image
from playwright.sync_api import expect

from grids.models import Post, Role
from incidents.models import Category, Incident
from residents.models import ResidentMatter
from tests.browser.helpers import PASSWORD
from tests.factories import make_post, make_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

FIRE_EXIT = "安全隐患（消防通道、电动车充电等）"
REOPENED = "已重新打开"


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    """The phones of tests/conftest.py (390 px), set to Chinese."""
    return {**browser_context_args, "locale": "zh-CN"}


@pytest.fixture
def phone_photo(tmp_path):
    """A photo as a phone's camera makes it: several megapixels of JPEG."""
    rng = random.Random(7)
    noise = Image.frombytes("RGB", (400, 300), rng.randbytes(400 * 300 * 3))
    path = tmp_path / "IMG_0101.jpg"
    noise.resize((3000, 2250), Image.Resampling.BILINEAR).save(path, "JPEG", quality=85)
    return path


def phone(new_context):
    return new_context().new_page()


def log_in(page, live_server, username):
    """Log in through the login page (in Chinese: by the fields' ids, not their labels)."""
    page.goto(f"{live_server.url}/accounts/login/")
    page.locator("#id_username").fill(username)
    page.locator("#id_password").fill(PASSWORD)
    page.locator("#id_password").press("Enter")
    expect(page).to_have_url(f"{live_server.url}/")


def fits_the_phone(page):
    width = page.evaluate("document.scrollingElement.scrollWidth")
    assert width <= 390, (page.url, width)


def take(page, step, *, post=None, note=None):
    """Open a step's box on the incident page, fill its fields, send it."""
    box = page.locator(f"[data-step='{step}']")
    box.locator("summary").click()
    if post is not None:
        box.locator("select[name=post]").select_option(str(post.pk))
    if note is not None:
        box.locator("textarea[name=note]").fill(note)
    box.locator("button[type=submit]").click()


def status_of(number):
    return Incident.objects.get(number=number).status


def test_a_residents_matter_from_the_notice_board_to_the_rating(
    live_server, new_context, world, phone_photo, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    grid = world.a.grid
    Category.objects.update_or_create(
        code="security", defaults={"name": "安全隐患", "resident_name": FIRE_EXIT}
    )
    Category.objects.update_or_create(code="sanitation", defaults={"name": "环境卫生"})
    for user in (world.a.stationmaster, world.a.grid_member):
        user.language = "zh-hans"
        user.phone = "13900001111"
        user.save(update_fields=["language", "phone"])
    volunteer = make_user("volunteer_a", full_name="志愿者王", language="zh-hans")
    make_post(grid, Role.VOLUNTEER, volunteer)
    member_post = Post.objects.get(area=grid, role=Role.GRID_MEMBER)

    # The stationmaster downloads the grid's notice board (the image) from the grid's page.
    desk = phone(new_context)
    log_in(desk, live_server, "sm_a")
    desk.goto(f"{live_server.url}/grids/{grid.code}/")
    fits_the_phone(desk)
    with desk.expect_download() as download:
        desk.locator("[data-board-png]").click()
    board = Image.open(io.BytesIO(download.value.path().read_bytes()))
    (code,) = zxingcpp.read_barcodes(board)
    address = code.text
    assert address.startswith(f"{live_server.url}/r/"), address

    # A resident, with no account, scans it and reports a blocked fire exit with a photo.
    resident = phone(new_context)
    resident.goto(address)
    expect(resident.locator("[data-team]")).to_contain_text("Member A")
    expect(resident.locator("[data-team]")).to_contain_text("13900001111")
    fits_the_phone(resident)
    resident.get_by_label(FIRE_EXIT).check()
    resident.locator("#id_place").fill("5号楼一层东侧")
    resident.locator("#id_text").fill("消防通道被电动车和纸箱堵死了，晚上人都过不去")
    resident.locator("#id_photos").set_input_files(phone_photo)
    resident.locator("[data-resident-report] button[type=submit]").click()
    resident.wait_for_url(f"{live_server.url}/r/s/**", timeout=20000)
    matter = ResidentMatter.objects.select_related("incident").get()
    number = matter.incident.number
    expect(resident.get_by_role("heading", level=1)).to_contain_text(number)
    expect(resident.locator(".alert-success, [role=alert]").first).to_contain_text(number)
    fits_the_phone(resident)
    status_page = resident.url
    assert matter.incident.source == Incident.Source.RESIDENT
    assert matter.incident.grid == grid
    assert matter.photos.count() == 1

    # A volunteer of the grid reports something too, through the team's report page.
    helper = phone(new_context)
    log_in(helper, live_server, "volunteer_a")
    helper.goto(f"{live_server.url}/incidents/new/")
    fits_the_phone(helper)
    helper.locator("#id_place").fill("3号楼门口")
    helper.locator("#id_category").select_option(label="环境卫生")
    helper.locator("#id_text").fill("垃圾桶满了没人清")
    helper.get_by_role("button", name="发送上报").click()
    expect(helper.locator("[data-observations]")).to_contain_text("垃圾桶满了", timeout=20000)
    team_report = Incident.objects.get(source=Incident.Source.TEAM)
    assert team_report.grid == grid and team_report.first_responsible == volunteer

    # The grid member accepts the resident's matter and answers for it from then on.
    member = phone(new_context)
    log_in(member, live_server, "gm_a")
    member.goto(f"{live_server.url}/incidents/{number}/")
    fits_the_phone(member)
    take(member, "accept")
    expect(member.locator("[data-first-responsible]")).to_have_text("Member A")
    incident = Incident.objects.get(number=number)
    assert incident.status == Incident.Status.ACCEPTED
    assert incident.first_responsible == world.a.grid_member

    # The station assigns it to the member's post; the member does it; the station verifies
    # and closes it (the resident rates it, not the staff).
    desk.goto(f"{live_server.url}/incidents/{number}/")
    take(desk, "assign", post=member_post)
    expect(desk.locator("[data-step='verify']")).to_have_count(0)
    assert status_of(number) == Incident.Status.ASSIGNED
    member.reload()
    take(member, "start")
    expect(member.locator("[data-step='resolve']")).to_have_count(1)
    take(member, "resolve", note="已联系物业清走电动车和纸箱，通道畅通")
    expect(member.locator("[data-step='resolve']")).to_have_count(0)
    assert status_of(number) == Incident.Status.RESOLVED
    desk.reload()
    take(desk, "verify")
    expect(desk.locator("[data-step='close']")).to_have_count(1)
    expect(desk.locator("[data-step='close'] select[name=satisfaction]")).to_have_count(0)
    take(desk, "close")
    expect(desk.locator("[data-step='close']")).to_have_count(0)
    assert status_of(number) == Incident.Status.CLOSED

    # The resident's status page shows it done and takes "not satisfied" with a comment.
    resident.goto(status_page)
    expect(resident.locator("[data-steps] li").last).to_have_attribute("data-done", "")
    rating = resident.locator("[data-rating]")
    rating.locator("input[name=satisfaction][value=dissatisfied]").check()
    rating.locator("textarea[name=comment]").fill("晚上又堆满了，没有根本解决")
    rating.locator("button[type=submit]").click()
    expect(resident.locator("[data-rating]")).to_have_count(0)
    fits_the_phone(resident)
    incident.refresh_from_db()
    assert incident.status == Incident.Status.REOPENED
    assert incident.satisfaction == Incident.Satisfaction.DISSATISFIED
    assert incident.satisfaction_comment == "晚上又堆满了，没有根本解决"

    # Reopened for the station: the stationmaster is told and finds it reopened, with the
    # resident's comment in its timeline.
    desk.goto(f"{live_server.url}/notifications/")
    notice = desk.locator(".list-group form", has_text=number).first
    expect(notice).to_be_visible()
    notice.locator("button").click()
    expect(desk).to_have_url(f"{live_server.url}/incidents/{number}/")
    expect(desk.locator("[data-status]")).to_have_text(REOPENED)
    expect(desk.locator("[data-timeline]")).to_contain_text("晚上又堆满了")
    expect(desk.locator("[data-step='assign']")).to_have_count(1)
    fits_the_phone(desk)
