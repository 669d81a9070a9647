"""A date at the calendar's edge in the report's address is refused with the allowed range,
never a 500 (the day before 0001-01-01 does not exist)."""

import pytest


@pytest.mark.parametrize(
    "query",
    ["start=0001-01-01&end=0001-01-31", "start=1899-12-01&end=1899-12-31", "start=0001-01-01"],
)
def test_a_report_period_outside_the_range_says_the_range(client, world, query):
    client.force_login(world.district_officer)
    response = client.get(f"/reports/?{query}")
    assert response.status_code == 400
    assert "Give a date from 1900-01-01 to 2099-12-31." in response.content.decode()


def test_a_period_at_the_start_of_the_range_is_a_report(client, world):
    client.force_login(world.district_officer)
    assert client.get("/reports/?start=1900-01-01&end=1900-01-31").status_code == 200
