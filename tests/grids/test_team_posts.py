"""Opening a post from the team page: the stationmaster gives a grid (or the community) a
role with an A and an optional B holder; a grid with no grid-worker post, such as the one a
split has just made, is shown as having no team until one is opened."""

import datetime

import pytest
import time_machine
from django.utils import translation

from grids import changes, team
from grids.models import Area, AreaChange, Post, Role, User
from grids.scope import Scope
from tests.factories import make_area, make_post, make_user

TODAY = datetime.date(2026, 12, 2)
PINNED = time_machine.travel(datetime.datetime(2026, 12, 2, 10, 0, tzinfo=datetime.UTC))


def open_url(world):
    return f"/grids/{world.a.community.code}/team/posts/new/"


def team_url(world):
    return f"/grids/{world.a.community.code}/team/"


def posts_at(area):
    return list(Post.objects.filter(area=area).values_list("role", "holder_a", "holder_b"))


@PINNED
def test_the_stationmaster_opens_a_post_at_a_grid_with_a_and_b_in_the_history(client, world):
    newcomer = make_user("newcomer", full_name="Newcomer")
    grid = world.a.other_grid
    client.force_login(world.a.stationmaster)
    form = client.get(f"{open_url(world)}?area={grid.code}").context["form"]
    # Areas are chosen by code, people by name with the post they hold.
    assert form["area"].value() == grid.code
    assert [code for code, _label in form.fields["area"].choices] == [
        world.a.community.code,
        world.a.grid.code,
        grid.code,
    ]
    labels = dict(form.fields["holder_a"].choices)
    assert labels[newcomer.pk] == "Newcomer · newcomer · no post"
    assert labels[world.a.grid_member_b.pk].startswith("Backup A · Grid member · ")
    response = client.post(
        open_url(world),
        {
            "area": grid.code,
            "role": Role.GRID_MEMBER,
            "holder_a": newcomer.pk,
            "holder_b": world.a.grid_member_b.pk,
        },
    )
    assert response.status_code == 302 and response.url == team_url(world)
    post = Post.objects.get(area=grid)
    assert (post.role, post.holder_a, post.holder_b) == (
        Role.GRID_MEMBER,
        newcomer,
        world.a.grid_member_b,
    )
    record = post.history.get()
    assert (record.history_type, record.history_user) == ("+", world.a.stationmaster)


@PINNED
def test_someone_who_held_a_post_in_the_community_is_offered_and_b_is_optional(client, world):
    former = make_user("former", full_name="Former Member")
    old = make_post(world.a.other_grid, Role.GRID_MEMBER, former)
    make_post(world.b.grid, Role.VOLUNTEER, former)  # a post elsewhere too: not "no post"
    Post.all_posts.filter(pk=old.pk).update(closed_on=datetime.date(2026, 11, 1))
    client.force_login(world.a.stationmaster)
    labels = dict(client.get(open_url(world)).context["form"].fields["holder_a"].choices)
    assert labels[former.pk].startswith("Former Member · Grid member · ")
    response = client.post(
        open_url(world),
        {"area": world.a.community.code, "role": Role.VOLUNTEER, "holder_a": former.pk},
    )
    assert response.status_code == 302
    assert posts_at(world.a.community)[-1] == (Role.VOLUNTEER, former.pk, None)


@PINNED
def test_a_and_b_being_the_same_person_is_refused_on_the_form(client, world):
    client.force_login(world.a.stationmaster)
    person = world.a.grid_member_b.pk
    response = client.post(
        open_url(world),
        {
            "area": world.a.other_grid.code,
            "role": Role.GRID_LEADER,
            "holder_a": person,
            "holder_b": person,
        },
    )
    assert response.status_code == 200
    assert response.context["form"].errors["holder_b"] == ["A and B must be different people."]
    assert posts_at(world.a.other_grid) == []
    with translation.override("en"), pytest.raises(team.TeamError, match="different people"):
        team.open_post(
            world.a.other_grid,
            role=Role.GRID_LEADER,
            holder_a=world.a.grid_member_b,
            holder_b=world.a.grid_member_b,
            by=world.a.stationmaster,
        )
    assert posts_at(world.a.other_grid) == []


@PINNED
@pytest.mark.parametrize(
    ("where", "role"),
    [("other_grid", Role.STATIONMASTER), ("community", Role.GRID_MEMBER)],
)
def test_a_role_at_the_wrong_kind_of_area_is_refused_on_the_form(client, world, where, role):
    area = getattr(world.a, where)
    before = Post.all_posts.count()
    client.force_login(world.a.stationmaster)
    response = client.post(
        open_url(world), {"area": area.code, "role": role, "holder_a": world.a.grid_member_b.pk}
    )
    assert response.status_code == 200
    [message] = response.context["form"].errors["role"]
    assert message.startswith(f"A {Role(role).label} post stands at a ")
    with pytest.raises(team.TeamError):
        team.open_post(area, role=role, holder_a=world.a.grid_member_b, by=world.a.stationmaster)
    assert Post.all_posts.count() == before


@PINNED
def test_only_the_communitys_stationmaster_and_above_may_open_a_post(client, world):
    volunteer = make_user("volunteer_a")
    make_post(world.a.community, Role.VOLUNTEER, volunteer)
    data = {
        "area": world.a.other_grid.code,
        "role": Role.GRID_MEMBER,
        "holder_a": world.a.grid_member_b.pk,
    }
    for user, status in [
        (volunteer, 403),  # sees the community, may not change its team
        (world.a.grid_member, 404),  # the community lies outside a grid's scope
        (world.b.stationmaster, 404),
        (world.outsider, 404),
    ]:
        client.force_login(user)
        assert client.get(open_url(world)).status_code == status, user
        assert client.post(open_url(world), data).status_code == status, user
    assert posts_at(world.a.other_grid) == []
    client.force_login(world.district_officer)
    assert client.post(open_url(world), data).status_code == 302
    assert posts_at(world.a.other_grid) == [(Role.GRID_MEMBER, world.a.grid_member_b.pk, None)]


def without_team(client, world):
    response = client.get(team_url(world))
    assert response.status_code == 200
    return [grid.code for grid in response.context["without_team"]], response.content.decode()


@PINNED
def test_a_new_grid_from_a_split_needs_its_team_until_a_post_is_opened(client, world):
    kept = make_area(Area.Kind.BUILDING, world.a.grid, code=f"{world.a.grid.code}-B02")
    leaving = world.a.grid.children.exclude(pk=kept.pk).get()
    root = make_user("root", is_superuser=True, is_staff=True)
    changes.record_area_change(
        AreaChange.Kind.SPLIT,
        world.a.grid,
        on=TODAY,
        by=root,
        buildings=[leaving],
        new_code="T-01-01-03",
        new_name="New Three",
    )
    new = Area.objects.get(code="T-01-01-03")
    client.force_login(world.a.stationmaster)
    codes, html = without_team(client, world)
    # The second grid never had a team either; the split grid keeps its own.
    assert codes == [world.a.other_grid.code, new.code]
    assert 'data-without-team="T-01-01-03"' in html
    assert "no team: nobody patrols this grid" in html
    assert f"{open_url(world)}?area=T-01-01-03" in html

    holder = make_user("patroller", full_name="Patroller")
    assert not Scope(holder).grids().filter(pk=new.pk).exists()
    response = client.post(
        open_url(world), {"area": new.code, "role": Role.GRID_LEADER, "holder_a": holder.pk}
    )
    assert response.status_code == 302
    codes, html = without_team(client, world)
    assert codes == [world.a.other_grid.code]
    assert 'data-without-team="T-01-01-03"' not in html
    assert list(Scope(User.objects.get(pk=holder.pk)).grids()) == [new]


@PINNED
def test_a_grid_whose_only_posts_are_closed_or_not_grid_work_has_no_team(world):
    grid = world.a.other_grid
    make_post(grid, Role.VOLUNTEER)
    closed = make_post(grid, Role.GRID_MEMBER)
    Post.all_posts.filter(pk=closed.pk).update(closed_on=datetime.date(2026, 11, 30))
    assert team.grids_without_team(world.a.community, TODAY) == [grid]
    make_post(grid, Role.INFORMATION_OFFICER)
    assert team.grids_without_team(world.a.community, TODAY) == []
    # A grid retired before the day is not listed.
    Area.objects.filter(pk=world.a.other_grid.pk).update(valid_to=datetime.date(2026, 11, 30))
    Post.objects.filter(area=grid).update(closed_on=datetime.date(2026, 11, 30))
    assert team.grids_without_team(world.a.community, TODAY) == []


@PINNED
def test_the_split_confirmation_says_the_new_grid_needs_its_team(client, world):
    make_area(Area.Kind.BUILDING, world.a.grid, code=f"{world.a.grid.code}-B02")
    street_staff = make_user("ss_t", full_name="Street Staff")
    make_post(world.street, Role.STREET_STAFF, street_staff)
    client.force_login(street_staff)
    response = client.post(
        f"/area-changes/new/{world.a.grid.code}/",
        {
            "kind": "split",
            "effective_on": TODAY.isoformat(),
            "buildings": [f"{world.a.grid.code}-B02"],
            "new_code": "T-01-01-03",
            "new_name": "New Three",
            "action": "preview",
        },
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "data-needs-team" in html and "The new grid starts with no team" in html
    assert f'href="{team_url(world)}"' in html
    # A move makes no grid: nothing to say.
    response = client.post(
        f"/area-changes/new/{world.a.grid.code}/",
        {
            "kind": "move",
            "effective_on": TODAY.isoformat(),
            "buildings": [f"{world.a.grid.code}-B02"],
            "target": world.a.other_grid.code,
            "action": "preview",
        },
    )
    assert response.status_code == 200 and "data-needs-team" not in response.content.decode()
