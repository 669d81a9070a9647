"""What the pages read another way where the database is SQLite (the embedded default of
`make run`), which has no ARRAY subquery and gives a CASE's time as text: the same values
as PostgreSQL's way."""

import datetime
import os
import subprocess
import sys
from pathlib import Path

from django.utils import timezone

from grids.models import Rental, Resident
from grids.register_views import _add_tenant_names
from reports.figures import _aware
from tests.factories import make_household, make_resident


def test_a_time_given_as_text_is_the_aware_time():
    assert _aware("2026-12-05 16:30:00.250000") == datetime.datetime(
        2026, 12, 5, 16, 30, 0, 250000, tzinfo=datetime.UTC
    )
    now = timezone.now()
    assert _aware(now) is now
    assert _aware(None) is None


def test_the_tenants_names_read_by_a_query_are_the_arrays(world):
    household = make_household(world.a.grid)
    first, second = make_resident(household, name="乙"), make_resident(household, name="甲")
    rentals = []
    for tenants in ([first, second], [second], []):
        rental = Rental.objects.create(
            household=household,
            starts_on=datetime.date(2026, 1, 1),
            ends_on=datetime.date(2027, 1, 1),
        )
        rental.tenants.set(tenants)
        rentals.append(rental)
    _add_tenant_names(rentals)
    expected = [
        list(
            Resident.objects.filter(rentals=r)
            .order_by(*Resident._meta.ordering)
            .values_list("name", flat=True)
        )
        for r in rentals
    ]
    assert [r.tenant_names for r in rentals] == expected
    assert [len(names) for names in expected] == [2, 1, 0]


def test_every_page_answers_on_the_embedded_default(tmp_path):
    """`make run`'s database is SQLite: each role's pages on the demo seed, none a 500."""
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'demo.sqlite3'}"}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    script = Path(__file__).with_name("embedded_pages.py")
    done = subprocess.run(
        [sys.executable, str(script)], env=env, capture_output=True, text=True, timeout=600
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert " 0 failed" in done.stdout
