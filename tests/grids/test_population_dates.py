"""Registered / floating status is dated: a change holds from the day given, and counts as
of earlier days keep the old status."""

import datetime

import pytest
import time_machine

from grids import services
from grids.models import Membership, Resident
from reports.figures import register_by_grid
from tests.factories import make_household, make_resident

PINNED = time_machine.travel(datetime.datetime(2026, 11, 20, 2, 0, tzinfo=datetime.UTC))
NOV = [datetime.date(2026, 11, d) for d in range(1, 21)]


@pytest.fixture
def resident(world):
    household = make_household(world.a.grid, address="A路15号")
    make_resident(household, name="钱一", moved_in_on=datetime.date(2026, 10, 1))
    return make_resident(household, name="孙二", moved_in_on=datetime.date(2026, 10, 1))


def floating_by_day(grid):
    counts = register_by_grid([grid.pk], NOV)
    return {
        day: (counts[grid.pk, day]["residents"], counts[grid.pk, day]["floating"]) for day in NOV
    }


def edit_post(resident, **fields):
    data = {
        "name": resident.name,
        "sex": resident.sex,
        "relation": resident.relation,
        "population": resident.population,
        "id_number": "",
        "phone": resident.phone,
        "seen_updated_at": resident.updated_at.isoformat(),
    }
    data.update(fields)
    return data


@PINNED
def test_floating_from_15_november_leaves_1_to_14_november_unchanged(client, world, resident):
    before = floating_by_day(world.a.grid)
    assert all(before[day] == (2, 0) for day in NOV)
    client.force_login(world.a.grid_member)
    page = client.get(f"/residents/{resident.pk}/edit/").content.decode()
    assert 'name="population_on"' in page
    response = client.post(
        f"/residents/{resident.pk}/edit/",
        edit_post(resident, population="floating", population_on="2026-11-15"),
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    after = floating_by_day(world.a.grid)
    for day in NOV:
        if day.day < 15:
            assert after[day] == before[day], day
        else:
            assert after[day] == (2, 1), day
    stays = list(
        Membership.objects.filter(resident=resident)
        .order_by("moved_in_on")
        .values_list("population", "moved_in_on", "moved_out_on")
    )
    assert stays == [
        ("registered", datetime.date(2026, 10, 1), datetime.date(2026, 11, 15)),
        ("floating", datetime.date(2026, 11, 15), None),
    ]
    resident.refresh_from_db()
    assert resident.population == Resident.Population.FLOATING
    assert resident.history.order_by("-history_id").first().history_user == world.a.grid_member


@PINNED
def test_the_status_change_defaults_to_today_and_refuses_future_and_too_early_days(
    client, world, resident
):
    client.force_login(world.a.grid_member)
    url = f"/residents/{resident.pk}/edit/"
    for day, message in [
        ("2026-11-21", "future"),
        ("2026-09-30", "current stay began"),
    ]:
        response = client.post(url, edit_post(resident, population="floating", population_on=day))
        assert response.status_code == 200
        assert message in response.content.decode()
    assert Membership.objects.filter(resident=resident).count() == 1
    response = client.post(url, edit_post(resident, population="floating", population_on=""))
    assert response.status_code == 302
    assert Membership.objects.get(resident=resident, moved_out_on__isnull=True).moved_in_on == (
        datetime.date(2026, 11, 20)
    )
    # Any other edit leaves the stays alone, whatever date is posted.
    resident.refresh_from_db()
    response = client.post(url, edit_post(resident, name="孙三", population_on="2026-09-01"))
    assert response.status_code == 302
    assert Membership.objects.filter(resident=resident).count() == 2


@PINNED
def test_a_status_change_on_the_day_the_stay_began_changes_that_stay(world, resident):
    resident.population = Resident.Population.FLOATING
    services.update_resident(
        resident,
        by=world.a.grid_member,
        population=Resident.Population.FLOATING,
        population_on=datetime.date(2026, 10, 1),
    )
    assert list(
        Membership.objects.filter(resident=resident).values_list("population", flat=True)
    ) == ["floating"]
