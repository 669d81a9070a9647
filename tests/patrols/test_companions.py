"""Whom a member may name as companions on a patrol log: the grid's team, listed first, and
anyone else holding a post in the same community; never someone from outside it."""

import datetime
import re

import pytest
from django.utils import timezone

from grids.models import Role, User
from patrols.models import Patrol, Slot
from tests.factories import make_post, make_user
from tests.patrols.factories import make_patrol


@pytest.fixture
def patrol(world):
    return make_patrol(
        world.a.grid,
        timezone.localdate(),
        Slot.MORNING,
        member=world.a.grid_member,
        status=Patrol.Status.IN_PROGRESS,
        started_at=timezone.now() - datetime.timedelta(minutes=70),
    )


def submit(client, patrol, **companions):
    return client.post(f"/patrols/{patrol.pk}/submit/", {"summary": "巡查完毕", **companions})


def test_the_picker_lists_the_grids_team_first_then_the_rest_of_the_community(
    client, world, patrol
):
    make_post(world.a.other_grid, Role.GRID_MEMBER, make_user("gm_a2", full_name="Aaron A2"))
    client.force_login(world.a.grid_member)
    page = client.get(patrol.get_absolute_url()).text
    team = [User.objects.get(pk=pk).username for pk in listed(page, "companions")]
    others = [User.objects.get(pk=pk).username for pk in found(search(client, patrol, "a"))]
    assert team == ["gm_a_b", "gl_a"]  # Backup A, Leader A
    assert others == ["gm_a2", "sm_a_b", "sm_a"]  # by name: Aaron A2, Sm_A_B, Stationmaster A
    assert "gm_b" not in others and "outsider" not in others


def test_companions_from_the_team_and_the_community_are_saved(client, world, patrol):
    client.force_login(world.a.grid_member)
    submit(
        client,
        patrol,
        companions=[world.a.grid_member_b.pk],
        other_companions=[world.a.stationmaster.pk],
    )
    patrol.refresh_from_db()
    assert patrol.status == Patrol.Status.SUBMITTED
    assert set(patrol.companions.all()) == {world.a.grid_member_b, world.a.stationmaster}


@pytest.mark.parametrize("field", ["companions", "other_companions"])
def test_a_companion_from_outside_the_community_is_refused(client, world, patrol, field):
    client.force_login(world.a.grid_member)
    for stranger in (world.b.grid_member, world.outsider):
        submit(client, patrol, **{field: [stranger.pk]})
        patrol.refresh_from_db()
        assert patrol.status == Patrol.Status.IN_PROGRESS
        assert not patrol.companions.exists()


def test_the_patrol_page_runs_the_same_queries_however_large_the_community(
    client, world, patrol, django_assert_num_queries
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from patrols.models import Instruction, Observation

    client.force_login(world.a.grid_member)
    url = patrol.get_absolute_url()
    # One of each to start with: without any, the page reads neither (test_page_queries).
    Observation.objects.create(patrol=patrol, category="sanitation", text="观察")
    Instruction.objects.create(
        grid=world.a.grid, text="核实", due_on=timezone.localdate(), issued_by=world.a.stationmaster
    )
    client.get(url)
    with CaptureQueriesContext(connection) as small:
        assert client.get(url).status_code == 200
    # More people holding posts in the grid and the community, observations, instructions.
    for i in range(6):
        make_post(world.a.grid, Role.GRID_MEMBER, make_user(f"team{i}"), make_user(f"team_b{i}"))
        make_post(world.a.other_grid, Role.GRID_MEMBER, make_user(f"other{i}"))
        Observation.objects.create(patrol=patrol, category="sanitation", text=f"观察{i}")
        Instruction.objects.create(
            grid=world.a.grid,
            text=f"核实{i}",
            due_on=timezone.localdate(),
            issued_by=world.a.stationmaster,
        )
    with django_assert_num_queries(len(small.captured_queries)):
        response = client.get(url)
    assert len(listed(response.text, "companions")) == 2 + 12
    # The rest of the community, found by name: the six new.
    assert len(found(search(client, patrol, "other"))) == 6


def search(client, patrol, q, **params):
    return client.get(f"/patrols/{patrol.pk}/companions/", {"companion_q": q, **params})


def listed(html, name):
    """The ids of the people `html` lists as checkboxes named `name`, in order."""
    return [int(v) for v in re.findall(rf'name="{name}" value="(\d+)"', html)]


def found(response):
    """The people a search listed: their ids."""
    return listed(response.text, "other_companions")


def test_the_page_lists_the_team_and_no_one_else_until_searched(client, world, patrol):
    client.force_login(world.a.grid_member)
    page = client.get(patrol.get_absolute_url()).text
    for person in (world.a.grid_member_b, world.a.grid_leader):
        assert f'name="companions" value="{person.pk}"' in page
    assert 'name="other_companions" value=' not in page
    assert "Stationmaster A" not in page
    assert 'name="companion_q"' in page


def test_the_search_finds_people_of_the_community_by_name_and_no_one_outside_it(
    client, world, patrol
):
    # Named alike in another community, and someone holding no post at all.
    make_post(world.b.other_grid, Role.GRID_MEMBER, make_user("gm_b2", full_name="Stationmaster X"))
    make_user("nobody", full_name="Stationmaster Y")
    client.force_login(world.a.grid_member)
    response = search(client, patrol, "station")
    assert response.status_code == 200
    assert found(response) == [world.a.stationmaster.pk]
    # The name shown is searched: a user name only when there is no full name.
    assert found(search(client, patrol, "SM_A")) == [User.objects.get(username="sm_a_b").pk]
    User.objects.filter(username="sm_a_b").update(full_name="")
    assert found(search(client, patrol, "SM_A_")) == [User.objects.get(username="sm_a_b").pk]
    assert found(search(client, patrol, "sm_a")) == [User.objects.get(username="sm_a_b").pk]
    assert found(search(client, patrol, "Backup")) == []  # the team: checkboxes already
    assert found(search(client, patrol, "Outsider")) == []
    assert found(search(client, patrol, "Member")) == []  # the member, and others' members
    assert "Nobody else in the community" in search(client, patrol, "Outsider").text
    assert found(search(client, patrol, "  ")) == []


def test_those_already_chosen_are_not_listed_again(client, world, patrol):
    client.force_login(world.a.grid_member)
    response = search(client, patrol, "a", other_companions=[world.a.stationmaster.pk, "x"])
    assert world.a.stationmaster.pk not in found(response)


def test_the_search_lists_at_most_twenty(client, world, patrol):
    for i in range(22):
        make_post(world.a.other_grid, Role.GRID_MEMBER, make_user(f"p{i}", full_name=f"王{i:02}"))
    client.force_login(world.a.grid_member)
    response = search(client, patrol, "王")
    assert len(found(response)) == 20
    assert "Only the first 20 are listed" in response.text


def test_the_search_is_for_the_member_of_the_patrol_only(client, world, patrol):
    client.force_login(world.b.grid_member)  # another community: the patrol is not there
    assert search(client, patrol, "a").status_code == 404
    client.force_login(world.a.grid_member_b)  # the same grid, not their patrol
    assert search(client, patrol, "a").status_code == 403
    client.logout()
    assert search(client, patrol, "a").status_code == 302
    patrol.status = Patrol.Status.SUBMITTED
    patrol.save(update_fields=["status"])
    client.force_login(world.a.grid_member)
    assert search(client, patrol, "a").status_code == 403


def test_the_search_runs_the_same_queries_however_many_match(
    client, world, patrol, django_assert_num_queries
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.force_login(world.a.grid_member)
    search(client, patrol, "A")
    with CaptureQueriesContext(connection) as few:
        search(client, patrol, "A")
    for i in range(8):
        make_post(world.a.other_grid, Role.GRID_MEMBER, make_user(f"a{i}", full_name=f"A{i}"))
    with django_assert_num_queries(len(few.captured_queries)):
        assert len(found(search(client, patrol, "A"))) > 8


def test_without_javascript_the_search_button_shows_the_page_again_with_the_matches(
    client, world, patrol
):
    client.force_login(world.a.grid_member)
    response = client.post(
        f"/patrols/{patrol.pk}/submit/",
        {
            "summary": "巡查到一半",
            "companions": [world.a.grid_member_b.pk],
            "other_companions": [world.b.stationmaster.pk],  # not allowed: not shown
            "companion_q": "Stationmaster",
            "_search": "other_companions",
        },
    )
    assert response.status_code == 200
    assert found(response) == [world.a.stationmaster.pk]
    assert "巡查到一半" in response.text
    backup = world.a.grid_member_b.pk
    assert re.search(rf'name="companions" value="{backup}"[^>]* checked', response.text)
    patrol.refresh_from_db()
    assert patrol.status == Patrol.Status.IN_PROGRESS
    # Ticked, searched again: the chosen stay ticked and are not listed among the matches.
    response = client.post(
        f"/patrols/{patrol.pk}/submit/",
        {
            "summary": "巡查到一半",
            "other_companions": [world.a.stationmaster.pk],
            "companion_q": "Stationmaster",
            "_search": "other_companions",
        },
    )
    assert found(response) == [world.a.stationmaster.pk]  # listed once, as chosen
    assert re.search(rf'value="{world.a.stationmaster.pk}" id="[^"]+" checked', response.text)
    submit(client, patrol, other_companions=[world.a.stationmaster.pk])
    patrol.refresh_from_db()
    assert list(patrol.companions.all()) == [world.a.stationmaster]
