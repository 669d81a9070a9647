"""The grid reports' month is read within the site's range of dates: a month at the edge of
the calendar is a clear 400 that gives the range, never a 500."""

import pytest


@pytest.mark.parametrize("month", ["9999-12", "0001-01", "2100-01", "1899-12"])
def test_a_month_outside_the_range_says_the_range(client, world, month):
    client.force_login(world.a.stationmaster)
    response = client.get(f"/meetings/reports/?month={month}")
    assert response.status_code == 400
    assert (
        f"“{month}” is not a month from 1900-01 to 2099-12 (YYYY-MM)" in response.content.decode()
    )


def test_the_last_month_of_the_range_is_a_list(client, world):
    client.force_login(world.a.stationmaster)
    assert client.get("/meetings/reports/?month=2099-12").status_code == 200
