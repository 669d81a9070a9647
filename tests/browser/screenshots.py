"""Regenerates the README's screenshots from demo data: `make screenshots`.

Not part of `make test` (pytest only collects it when named on the command line). Chinese
text needs a CJK font on the machine (Debian: fonts-wqy-microhei).
"""

import io
from pathlib import Path

import pytest
from django.core.management import call_command
from django.urls import reverse
from playwright.sync_api import expect

from grids.models import Area, Household, User
from meetings.models import GridReport, Meeting
from patrols.models import Observation, Patrol
from patrols.services import start_patrol
from residents.services import channel_for

OUT = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 800}
MAX_HEIGHT = 5000  # px


def record_offline(page, context):
    """Two observations recorded with no connection: they wait in the phone's outbox."""
    page.wait_for_function(
        "async () => navigator.serviceWorker.controller !== null"
        " && !!(await caches.match(location.pathname))"
    )
    context.set_offline(True)
    for category, text in (("facility", "路灯不亮"), ("sanitation", "楼道堆放杂物")):
        page.locator("#id_category").select_option(category)
        page.locator("#id_text").fill(text)
        page.locator("[data-outbox-form] [type=submit]").click()
        expect(page.locator("#id_text")).to_have_value("")
    expect(page.locator("[data-outbox-panel] [data-outbox-count]")).to_have_text("2")


def open_menu(page, context):
    """The phone's menu unfolded: what the role can open."""
    page.locator(".navbar-toggler").click()
    expect(page.locator("#mainnav.show")).to_be_visible()


SHOTS = [
    # (file, username, path, language, viewport[, what to do on the page before the picture])
    ("login-phone-en.png", None, "/accounts/login/", "en", PHONE),
    ("home-stationmaster-desktop-en.png", "sm-01-01-a", "/", "en", DESKTOP),
    ("grid-phone-zh.png", "gm-01-01-01-a", "/grids/GL-01-01-01/", "zh-hans", PHONE),
    ("grid-desktop-en.png", "sm-01-01-a", "/grids/GL-01-01-01/", "en", DESKTOP),
    ("grids-phone-zh.png", "ds-gl-a", "/grids/", "zh-hans", PHONE),
    (
        "households-phone-zh.png",
        "gm-01-01-01-a",
        "/grids/GL-01-01-01/households/",
        "zh-hans",
        PHONE,
    ),
    ("household-phone-zh.png", "gm-01-01-01-a", "{household}", "zh-hans", PHONE),
    ("household-stationmaster-desktop-en.png", "sm-01-01-a", "{household}", "en", DESKTOP),
    ("rentals-desktop-en.png", "sm-01-01-a", "/register/rentals/", "en", DESKTOP),
    ("patrol-phone-zh.png", "gm-01-01-01-a", "{patrol}", "zh-hans", PHONE),
    (
        "patrol-outbox-phone-zh.png",
        "gm-01-01-01-a",
        "{patrol}",
        "zh-hans",
        PHONE,
        record_offline,
    ),
    ("board-phone-zh.png", "sm-01-01-a", "/patrols/board/", "zh-hans", PHONE),
    ("board-desktop-en.png", "sm-01-01-a", "/patrols/board/", "en", DESKTOP),
    ("home-member-phone-zh.png", "gm-01-01-01-a", "/", "zh-hans", PHONE, open_menu),
    ("home-stationmaster-phone-en.png", "sm-01-01-a", "/", "en", PHONE),
    ("home-stationmaster-phone-zh.png", "sm-01-01-a", "/", "zh-hans", PHONE),
    ("home-stationmaster-desktop-zh.png", "sm-01-01-a", "/", "zh-hans", DESKTOP),
    ("team-phone-zh.png", "sm-01-01-a", "/grids/GL-01-01/team/", "zh-hans", PHONE),
    ("team-desktop-en.png", "sm-01-01-a", "/grids/GL-01-01/team/", "en", DESKTOP),
    ("incidents-phone-zh.png", "sm-01-01-a", "/incidents/?view=community", "zh-hans", PHONE),
    (
        "notification-settings-phone-zh.png",
        "gm-01-01-01-a",
        "/notifications/settings/",
        "zh-hans",
        PHONE,
    ),
    ("report-district-desktop-en.png", "ds-gl-a", "/reports/", "en", DESKTOP),
    ("report-district-desktop-zh.png", "ds-gl-a", "/reports/", "zh-hans", DESKTOP),
    ("report-district-phone-en.png", "ds-gl-a", "/reports/", "en", PHONE),
    ("report-district-phone-zh.png", "ds-gl-a", "/reports/", "zh-hans", PHONE),
    ("report-grid-desktop-en.png", "ds-gl-a", "/reports/?area=GL-01-01-01", "en", DESKTOP),
    ("meeting-phone-zh.png", "sm-01-01-a", "{meeting}", "zh-hans", PHONE),
    ("meeting-desktop-en.png", "sm-01-01-a", "{meeting}", "en", DESKTOP),
    ("grid-report-phone-zh.png", "gl-01-01-01-a", "{report}", "zh-hans", PHONE),
    ("grid-reports-desktop-en.png", "sm-01-01-a", "/meetings/reports/", "en", DESKTOP),
    # The home page of every other role, with the menu open on a phone: what each can open.
    ("home-admin-desktop-zh.png", "admin", "/", "zh-hans", DESKTOP),
    (
        "home-district-phone-zh.png",
        "ds-gl-a",
        "/",
        "zh-hans",
        PHONE,
        open_menu,
    ),
    (
        "home-street-phone-zh.png",
        "ss-01-a",
        "/",
        "zh-hans",
        PHONE,
        open_menu,
    ),
    ("board-street-desktop-zh.png", "ss-01-a", "/patrols/board/", "zh-hans", DESKTOP),
    (
        "home-grid-leader-phone-zh.png",
        "gl-01-01-01-a",
        "/",
        "zh-hans",
        PHONE,
        open_menu,
    ),
    (
        "home-information-officer-phone-zh.png",
        "io-01-01-01-a",
        "/",
        "zh-hans",
        PHONE,
        open_menu,
    ),
    (
        "home-volunteer-phone-zh.png",
        "vo-01-01-01-a",
        "/",
        "zh-hans",
        PHONE,
        open_menu,
    ),
    (
        "home-community-police-phone-en.png",
        "cp-01-01-01-a",
        "/",
        "en",
        PHONE,
        open_menu,
    ),
    (
        "home-party-member-phone-zh.png",
        "pm-01-01-01-a",
        "/",
        "zh-hans",
        PHONE,
        open_menu,
    ),
    (
        "home-patrol-member-phone-zh.png",
        "pa-01-01-01-a",
        "/",
        "zh-hans",
        PHONE,
        open_menu,
    ),
    (
        "home-building-leader-phone-zh.png",
        "bl-01-01-01-b01-a",
        "/",
        "zh-hans",
        PHONE,
        open_menu,
    ),
    (
        "home-unit-leader-phone-en.png",
        "ul-01-01-01-b01-u1-a",
        "/",
        "en",
        PHONE,
        open_menu,
    ),
    ("residents-page-phone-zh.png", None, "{public}", "zh-hans", PHONE),
    ("report-matter-volunteer-phone-zh.png", "vo-01-01-01-a", "/incidents/new/", "zh-hans", PHONE),
    (
        "buildings-building-leader-phone-zh.png",
        "bl-01-01-01-b01-a",
        "/buildings/",
        "zh-hans",
        PHONE,
    ),
    ("visits-due-phone-zh.png", "gm-01-01-01-a", "/care/", "zh-hans", PHONE),
    ("places-phone-zh.png", "sm-01-01-a", "/places/", "zh-hans", PHONE),
    ("assessment-desktop-zh.png", "sm-01-01-a", "/assessment/", "zh-hans", DESKTOP),
    ("meeting-series-desktop-en.png", "sm-01-01-a", "/meetings/series/", "en", DESKTOP),
]


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_take_screenshots(live_server, browser):
    call_command("seed_demo", "--seed", "1", stdout=io.StringIO())
    household = (
        Household.objects.filter(grid__code="GL-01-01-01", residents__tags__isnull=False)
        .order_by("pk")
        .first()
    )
    member = User.objects.get(username="gm-01-01-01-a")
    patrol = Patrol.objects.filter(member=member, status="in_progress").first() or start_patrol(
        Area.objects.get(code="GL-01-01-01"), by=member
    )
    Observation.objects.create(
        patrol=patrol, category="demand", text="居民反映化粪池渗漏", place="3号楼后"
    )
    meeting = Meeting.objects.filter(
        community__code="GL-01-01", kind="monthly", status="closed"
    ).order_by("-starts_at")[0]
    report = GridReport.objects.filter(grid__code="GL-01-01-01").order_by("-month")[0]
    grid = Area.objects.get(code="GL-01-01-01")
    OUT.mkdir(parents=True, exist_ok=True)
    for name, username, path, language, viewport, *prepare in SHOTS:
        phone = {"is_mobile": True, "has_touch": True} if viewport == PHONE else {}
        context = browser.new_context(viewport=viewport, **phone)
        if username:
            User.objects.filter(username=username).update(language=language)
            page = context.new_page()
            page.goto(f"{live_server.url}/accounts/login/")
            page.fill("input[name=username]", username)
            page.fill("input[name=password]", "grid-demo-2026")
            page.click("form:has(input[name=username]) button[type=submit]")
            page.wait_for_url(f"{live_server.url}/")
        else:
            context.add_cookies(
                [{"name": "django_language", "value": language, "url": live_server.url}]
            )
            page = context.new_page()
        page.goto(
            live_server.url
            + path.format(
                household=household.get_absolute_url(),
                patrol=patrol.get_absolute_url(),
                meeting=meeting.get_absolute_url(),
                report=report.get_absolute_url(),
                public=reverse("residents:page", args=[channel_for(grid).token]),
            )
        )
        for step in prepare:
            step(page, context)
            page.evaluate("window.scrollTo(0, 0)")  # the sticky menu at the top of the picture
        # A very long page (the team of a whole community) is shown by its beginning.
        height = min(page.evaluate("document.documentElement.scrollHeight"), MAX_HEIGHT)
        page.screenshot(
            path=str(OUT / name),
            full_page=True,
            clip={"x": 0, "y": 0, "width": viewport["width"], "height": height},
        )
        assert (OUT / name).stat().st_size > 5000
        context.close()
