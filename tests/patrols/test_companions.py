"""Whom a member may name as companions on a patrol log: the grid's team, listed first, and
anyone else holding a post in the same community; never someone from outside it."""

import datetime

import pytest
from django.utils import timezone

from grids.models import Role
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
    form = client.get(patrol.get_absolute_url()).context["submit_form"]
    team = [u.username for u in form.fields["companions"].queryset]
    others = [u.username for u in form.fields["other_companions"].queryset]
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
    form = response.context["submit_form"]
    assert len(form.fields["companions"].queryset) == 2 + 12
    assert (
        len(form.fields["other_companions"].queryset) == 2 + 6
    )  # the two stationmasters and the six new
