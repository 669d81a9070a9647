"""Regenerates the README's screenshots from demo data: `make screenshots`.

Not part of `make test` (pytest only collects it when named on the command line). Chinese
text needs a CJK font on the machine (Debian: fonts-wqy-microhei).
"""

import io
from pathlib import Path

import pytest
from django.core.management import call_command

from grids.models import Area, Household, User
from meetings.models import GridReport, Meeting
from patrols.models import Observation, Patrol
from patrols.services import start_patrol

OUT = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 800}

SHOTS = [
    # (file, username, path, language, viewport)
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
    ("board-phone-zh.png", "sm-01-01-a", "/patrols/board/", "zh-hans", PHONE),
    ("board-desktop-en.png", "sm-01-01-a", "/patrols/board/", "en", DESKTOP),
    ("home-member-phone-zh.png", "gm-01-01-01-a", "/", "zh-hans", PHONE),
    ("home-stationmaster-phone-en.png", "sm-01-01-a", "/", "en", PHONE),
    ("home-stationmaster-phone-zh.png", "sm-01-01-a", "/", "zh-hans", PHONE),
    ("home-stationmaster-desktop-zh.png", "sm-01-01-a", "/", "zh-hans", DESKTOP),
    ("report-district-desktop-en.png", "ds-gl-a", "/reports/", "en", DESKTOP),
    ("report-district-desktop-zh.png", "ds-gl-a", "/reports/", "zh-hans", DESKTOP),
    ("report-district-phone-en.png", "ds-gl-a", "/reports/", "en", PHONE),
    ("report-district-phone-zh.png", "ds-gl-a", "/reports/", "zh-hans", PHONE),
    ("report-grid-desktop-en.png", "ds-gl-a", "/reports/?area=GL-01-01-01", "en", DESKTOP),
    ("meeting-phone-zh.png", "sm-01-01-a", "{meeting}", "zh-hans", PHONE),
    ("meeting-desktop-en.png", "sm-01-01-a", "{meeting}", "en", DESKTOP),
    ("grid-report-phone-zh.png", "gl-01-01-01-a", "{report}", "zh-hans", PHONE),
    ("grid-reports-desktop-en.png", "sm-01-01-a", "/meetings/reports/", "en", DESKTOP),
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
    OUT.mkdir(parents=True, exist_ok=True)
    for name, username, path, language, viewport in SHOTS:
        context = browser.new_context(viewport=viewport)
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
            )
        )
        page.screenshot(path=str(OUT / name), full_page=True)
        assert (OUT / name).stat().st_size > 5000
        context.close()
