"""The board's day and a sign-off's day are read within the site's range of dates: an edge
of the calendar is a clear 400 (or a message), never a 500."""

import pytest


@pytest.mark.parametrize("day", ["9999-12-31", "0001-01-01", "0001-01-02", "2100-01-01"])
def test_a_board_day_outside_the_range_says_the_range(client, world, day):
    client.force_login(world.a.stationmaster)
    response = client.get(f"/patrols/board/?day={day}")
    assert response.status_code == 400
    assert (
        f"“{day}” is not a date from 1900-01-01 to 2099-12-31 (YYYY-MM-DD)"
        in response.content.decode()
    )


def test_the_last_day_of_the_range_is_a_board(client, world):
    client.force_login(world.a.stationmaster)
    assert client.get("/patrols/board/?day=2099-12-31").status_code == 200


def test_signing_off_a_day_outside_the_range_is_refused(client, world):
    client.force_login(world.a.stationmaster)
    response = client.post(
        f"/patrols/board/{world.a.community.code}/sign-off/", {"day": "0001-01-01"}, follow=True
    )
    assert response.status_code == 200
    assert "Choose a valid day." in response.content.decode()
