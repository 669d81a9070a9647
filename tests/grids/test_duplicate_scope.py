"""An ID number already registered outside the user's areas is never named to them: a grid
member hears only that the station checks the number (no name, no address, no other grid or
community), and the station is always told, so no second person is ever added silently.
Inside their areas they are told where the person is registered."""

import datetime

import pytest

from grids.models import Resident
from notifications.models import Notification
from tests.factories import make_household, make_id_number, make_resident

ID = make_id_number(datetime.date(1975, 3, 9), serial=123)
NEUTRAL = "The station checks this ID number before it is saved here"
SECRETS = ["张三", "A路1号", "T-01-01", "another community", "another grid", "already registered"]


@pytest.fixture
def homes(world):
    a = make_household(world.a.grid, address="A路1号")
    zhang = make_resident(a, name="张三", id_number=ID)
    b = make_household(world.b.grid, address="B路9号")
    wang = make_resident(b, name="王五")
    return zhang, b, wang


def _resident(**fields):
    data = {"name": "赵六", "sex": "m", "relation": "head", "population": "registered"}
    return {**data, **fields}


def _says_nothing_of_the_other(body):
    for secret in SECRETS:
        assert secret not in body, secret


def test_a_new_resident_with_a_number_registered_elsewhere_is_a_neutral_check(client, world, homes):
    zhang, household, _wang = homes
    client.force_login(world.b.grid_member)
    url = f"/households/{household.pk}/residents/new/"
    response = client.post(url, _resident(id_number=ID))
    assert response.status_code == 200
    body = response.content.decode()
    assert NEUTRAL in body
    _says_nothing_of_the_other(body)
    # Sent on: nothing added here, the person's own station is asked, the message is neutral.
    response = client.post(url, _resident(id_number=ID, same_person="on"), follow=True)
    body = response.content.decode()
    _says_nothing_of_the_other(body)
    assert "The station checks this ID number and records the person" in body
    assert Resident.objects.filter(id_number=ID).count() == 1
    assert Notification.objects.filter(
        recipient=world.a.stationmaster, key__startswith=f"transfer-asked:{zhang.pk}:"
    ).exists()


def test_changing_a_number_to_one_registered_elsewhere_is_neutral_and_tells_the_station(
    client, world, homes
):
    _zhang, household, wang = homes
    client.force_login(world.b.grid_member)
    url = f"/residents/{wang.pk}/edit/"
    data = {"name": "王五", "sex": "m", "relation": "head", "population": "registered"}
    response = client.post(url, {**data, "id_number": ID})
    assert response.status_code == 200
    body = response.content.decode()
    assert NEUTRAL in body
    _says_nothing_of_the_other(body)
    wang.refresh_from_db()
    assert wang.id_number != ID
    # Saved anyway: kept as a recorded duplicate, and the station is told, never silently.
    response = client.post(url, {**data, "id_number": ID, "confirm_duplicate": "on"})
    assert response.status_code == 302
    wang.refresh_from_db()
    assert wang.id_number == ID and wang.is_kept_duplicate
    [told] = Notification.objects.filter(recipient=world.b.stationmaster)
    assert told.key.startswith(f"duplicate-id:{wang.pk}:")
    assert not Notification.objects.filter(recipient=world.b.grid_member).exists()


def test_a_number_registered_in_the_users_own_area_says_where(client, world, homes):
    zhang, *_ = homes
    other = make_household(world.a.grid, address="A路3号")
    client.force_login(world.a.grid_member)
    response = client.post(f"/households/{other.pk}/residents/new/", _resident(id_number=ID))
    body = response.content.decode()
    assert "张三" in body and "A路1号" in body
    assert NEUTRAL not in body
