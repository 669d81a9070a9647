"""Dates typed into the team's and the register's forms are read within the site's range:
year 1 or 9999 is refused on its field with the range, never a 500 and never saved."""

import pytest

from grids.models import Absence


@pytest.mark.parametrize(
    ("starts_on", "ends_on"), [("0001-01-01", "0001-01-02"), ("9999-12-30", "9999-12-31")]
)
def test_an_absence_at_the_edge_of_the_calendar_is_refused_with_the_range(
    client, world, starts_on, ends_on
):
    client.force_login(world.a.stationmaster)
    response = client.post(
        f"/grids/{world.a.community.code}/team/absences/new/",
        {
            "person": world.a.grid_member.pk,
            "starts_on": starts_on,
            "ends_on": ends_on,
            "reason": "sick",
        },
    )
    assert response.status_code == 200
    assert "Give a date from 1900-01-01 to 2099-12-31." in response.content.decode()
    assert not Absence.objects.exists()
