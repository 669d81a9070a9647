"""Every page a role has, asked on the embedded default (SQLite, as `make run` starts it)
with the demo seed: prints each request that did not answer below 500 and exits 1 if any.

    DATABASE_URL=sqlite:////tmp/demo.sqlite3 python tests/embedded_pages.py

Run by tests/test_embedded_default.py in a process of its own (the suite's database is
PostgreSQL)."""

import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gridmgmt.settings")

import django  # noqa: E402

django.setup()

from django.contrib.auth import get_user_model  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.test import Client  # noqa: E402
from django.utils import timezone  # noqa: E402

from grids.models import Area  # noqa: E402
from incidents.models import Incident  # noqa: E402
from meetings.models import Meeting  # noqa: E402
from patrols.models import Patrol  # noqa: E402

ROLES = ("district_staff", "street_staff", "stationmaster", "grid_leader", "grid_member")


def paths(user, today):
    area = user.posts_as_a.first().area
    grid = Area.objects.grids().filter(path__startswith=area.path).first()
    found = [
        "/",
        "/notifications/",
        "/reports/",
        f"/reports/?start={today.replace(day=1)}&end={today}",
        f"/reports/?area={grid.code}",
        f"/reports/{area.code}/report.xlsx",
        "/register/rentals/?sort=starts&state=all",
        "/register/floating/",
        "/register/search/?q=1234",
        "/register/search/?q=%E7%8E%8B",
        "/patrols/",
        "/patrols/board/",
        "/incidents/",
        "/incidents/?view=community",
        "/assessment/",
        "/assessment/assessment.xlsx",
        "/meetings/",
        "/meetings/reports/",
        "/care/",
        "/care/?overdue=on",
        "/grids/",
        f"/grids/{grid.code}/",
        f"/grids/{grid.code}/households/",
        "/places/",
    ]
    incident = Incident.objects.filter(grid__path__startswith=area.path).first()
    if incident:
        found.append(f"/incidents/{incident.number}/")
    meeting = Meeting.objects.filter(community__path__startswith=area.path).first()
    if meeting:
        found.append(f"/meetings/{meeting.pk}/")
    patrol = Patrol.objects.filter(member=user).first()
    if patrol:
        found.append(f"/patrols/{patrol.pk}/")
    return found


def main():
    call_command("migrate", verbosity=0)
    call_command("seed_demo", "--if-empty", "--no-logins", verbosity=0)
    today = timezone.localdate()
    failed = asked = 0
    for role in ROLES:
        user = get_user_model().objects.filter(posts_as_a__role=role).first()
        client = Client(raise_request_exception=False)
        client.force_login(user)
        for path in paths(user, today):
            status = client.get(path, HTTP_HOST="localhost").status_code
            asked += 1
            if status >= 500:
                failed += 1
                print(f"{role} {path} {status}")
    print(f"{asked} requests, {failed} failed")
    return 1 if failed or not asked else 0


if __name__ == "__main__":
    sys.exit(main())
