"""A query parameter that means nothing is a clear error, never a silent default or a 500
(PostgreSQL)."""

import pytest


@pytest.mark.parametrize(
    ("url", "status", "message"),
    [
        (
            "/meetings/reports/?month=2026-13",
            400,
            "“2026-13” is not a month from 1900-01 to 2099-12 (YYYY-MM): the list shows",
        ),
        ("/patrols/?status=lost", 400, "“lost” is not a state of a log: every log is listed."),
        (
            "/patrols/board/?day=2026-13-45",
            400,
            "“2026-13-45” is not a date from 1900-01-01 to 2099-12-31 (YYYY-MM-DD)",
        ),
        ("/reports/?start=2026-13-45", 400, "Enter a valid date."),
    ],
)
def test_a_bad_parameter_is_answered_with_a_400_that_says_what_is_wrong(
    client, world, url, status, message
):
    client.force_login(world.a.stationmaster)
    response = client.get(url)
    assert response.status_code == status
    assert message in response.content.decode()


@pytest.mark.parametrize("url", ["/incidents/?category=abc", "/incidents/?light=purple"])
def test_a_bad_list_filter_is_shown_on_its_field(client, world, url):
    client.force_login(world.a.stationmaster)
    response = client.get(url)
    assert response.status_code == 200
    assert "is-invalid" in response.content.decode()


def test_good_parameters_are_a_200(client, world):
    client.force_login(world.a.stationmaster)
    assert client.get("/meetings/reports/?month=2026-10").status_code == 200
    assert client.get("/patrols/?status=submitted").status_code == 200


@pytest.mark.parametrize(("page", "shown"), [("abc", "page 1 of 1"), ("99", "page 1 of 1")])
def test_a_page_that_is_no_page_of_the_list_is_said(client, world, page, shown):
    client.force_login(world.a.stationmaster)
    body = client.get(f"/grids/?page={page}").content.decode()
    assert f"“{page}” is not a page of this list: {shown} is shown." in body
    assert "is not a page" not in client.get("/grids/?page=1").content.decode()
