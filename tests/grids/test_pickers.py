"""Forms pick a household or a resident by searching (name, address, the end of an ID
number), never by an internal number, and only among what the user may see: the live search,
the search button that works without JavaScript, and the posted choice (PostgreSQL)."""

import pytest

from incidents.models import Incident
from patrols.models import Instruction
from tests.factories import make_household, make_id_number, make_resident
from tests.incidents.test_intake import REPORT, report_data


@pytest.fixture
def register(world):
    """The same name and street in both communities: A's may be found by A's people only."""
    ours = make_household(world.a.grid, address="长寿路8号", room="301")
    theirs = make_household(world.b.grid, address="长寿路9号", room="302")
    return {
        "ours": ours,
        "theirs": theirs,
        "ours_resident": make_resident(ours, name="李桂兰", id_number=make_id_number(serial=123)),
        "theirs_resident": make_resident(theirs, name="李桂芳"),
    }


def test_the_live_search_lists_only_households_in_the_users_areas(client, world, register):
    client.force_login(world.a.grid_member)
    body = client.get("/pick/households/", {"name": "household", "household_q": "长寿路"}).content
    body = body.decode()
    assert f'value="{register["ours"].pk}"' in body and "长寿路8号 301" in body
    assert f'value="{register["theirs"].pk}"' not in body and "长寿路9号" not in body


def test_a_household_is_found_by_a_residents_name(client, world, register):
    client.force_login(world.a.grid_member)
    body = client.get("/pick/households/", {"name": "household", "household_q": "李桂"}).content
    assert f'value="{register["ours"].pk}"'.encode() in body
    assert f'value="{register["theirs"].pk}"'.encode() not in body


def test_a_resident_is_found_by_the_end_of_the_id_number_and_shown_masked(client, world, register):
    resident = register["ours_resident"]
    client.force_login(world.a.grid_member)
    body = client.get(
        "/pick/residents/", {"name": "resident", "resident_q": resident.id_number[-4:]}
    ).content.decode()
    assert f'value="{resident.pk}"' in body and "李桂兰" in body
    assert resident.id_number not in body and resident.id_number[-4:] in body
    assert (
        "李桂芳"
        not in client.get(
            "/pick/residents/", {"name": "resident", "resident_q": "李"}
        ).content.decode()
    )


def test_the_search_button_shows_the_form_again_with_the_matches_and_saves_nothing(
    client, world, register
):
    client.force_login(world.a.grid_member)
    data = report_data(world.a.grid, household_q="长寿路", _search="household")
    response = client.post(REPORT, data)
    assert response.status_code == 200
    body = response.content.decode()
    assert f'name="household" value="{register["ours"].pk}"' in body
    assert "长寿路9号" not in body
    assert 'value="化粪池渗漏"' in body  # what was typed stays
    assert "is-invalid" not in body  # nothing was validated yet
    assert not Incident.objects.exists()


def test_a_picked_household_is_saved_and_one_outside_is_refused(client, world, register):
    client.force_login(world.a.grid_member)
    refused = client.post(REPORT, report_data(world.a.grid, household=register["theirs"].pk))
    assert refused.status_code == 200 and not Incident.objects.exists()
    assert "Select a valid choice" in refused.content.decode()
    client.post(REPORT, report_data(world.a.grid, household=register["ours"].pk))
    assert Incident.objects.get().household == register["ours"]


def test_a_resident_reporter_outside_the_area_is_refused(client, world, register):
    client.force_login(world.a.grid_member)
    data = report_data(
        world.a.grid, reporter_kind="resident", resident=register["theirs_resident"].pk
    )
    assert client.post(REPORT, data).status_code == 200
    assert not Incident.objects.exists()
    data["resident"] = register["ours_resident"].pk
    client.post(REPORT, data)
    assert Incident.objects.get().reporter_resident == register["ours_resident"]


def test_the_form_asks_for_no_internal_number(client, world):
    client.force_login(world.a.grid_member)
    body = client.get(REPORT).content.decode()
    assert "Household number" not in body and "Resident number" not in body
    assert 'name="household_q"' in body and 'name="resident_q"' in body
    assert 'hx-get="/pick/households/?name=household"' in body


def test_an_instruction_names_its_household_by_search(client, world, register):
    client.force_login(world.a.stationmaster)
    searched = client.post(
        "/patrols/instructions/new/",
        {"grid": world.a.grid.pk, "household_q": "长寿路", "_search": "household"},
    )
    body = searched.content.decode()
    assert f'value="{register["ours"].pk}"' in body and "长寿路9号" not in body
    client.post(
        "/patrols/instructions/new/",
        {
            "grid": world.a.grid.pk,
            "household": register["ours"].pk,
            "text": "核实租户",
            "due_on": "2099-01-01",
        },
    )
    assert Instruction.objects.get().household == register["ours"]


@pytest.mark.parametrize("extra", [0, 5])
def test_the_live_search_costs_the_same_queries_however_many_match(
    client, world, register, django_assert_num_queries, extra
):
    for n in range(extra):
        make_household(world.a.grid, address=f"长寿路{20 + n}号")
    client.force_login(world.a.grid_member)
    # The session, the user, the user's posts (scope), and the matches with their grids.
    with django_assert_num_queries(4):
        body = client.get("/pick/households/", {"name": "household", "household_q": "长寿路"})
    assert body.content.decode().count('type="radio"') == 1 + extra
