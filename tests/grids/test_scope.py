import datetime

import pytest

from grids.models import Absence, Area, Post, Role
from grids.scope import Scope
from tests.factories import make_area, make_post, make_user


def codes(queryset):
    return set(queryset.values_list("code", flat=True))


def test_a_stationmaster_sees_their_community_and_everything_below_it(world):
    scope = Scope(world.a.stationmaster)
    seen = codes(scope.areas())
    assert world.a.grid.code in seen
    assert world.a.community.code in seen
    assert f"{world.a.grid.code}-B01-U1" in seen
    assert world.b.grid.code not in seen
    assert world.street.code not in seen


def test_a_grid_member_sees_only_their_grid(world):
    assert codes(Scope(world.a.grid_member).grids()) == {world.a.grid.code}


def test_the_b_holder_shares_the_posts_scope(world):
    assert codes(Scope(world.a.grid_member_b).grids()) == {world.a.grid.code}


def test_district_staff_see_both_communities(world):
    grids = codes(Scope(world.district_officer).grids())
    assert {world.a.grid.code, world.b.grid.code, world.b.other_grid.code} <= grids


def test_an_outsider_sees_nothing(world):
    assert not Scope(world.outsider).areas().exists()


def test_scope_filters_rows_through_a_relation(world):
    scope = Scope(world.a.grid_member)
    posts = scope.filter(Post.objects.all(), "area")
    assert {p.area_id for p in posts} == {world.a.grid.pk}


def test_roles_are_read_from_the_posts_above_an_area(world):
    scope = Scope(world.a.stationmaster)
    assert scope.roles_at(world.a.grid) == {Role.STATIONMASTER}
    assert scope.supervises(world.a.grid)
    assert not scope.supervises(world.b.grid)
    assert not Scope(world.a.grid_member).supervises(world.a.grid)


def test_scope_costs_one_query(world, django_assert_num_queries):
    scope = Scope(world.district_officer)
    with django_assert_num_queries(1):
        scope.contains(world.a.grid)
        scope.roles_at(world.b.grid)
        scope.q("area")


def test_b_acts_while_a_is_absent(world):
    post = Post.objects.get(area=world.a.grid, role=Role.GRID_MEMBER)
    today = datetime.date(2026, 11, 28)
    Absence.objects.create(user=world.a.grid_member, starts_on=today, ends_on=today, reason="leave")
    assert post.acting_holder_on(today) == world.a.grid_member_b
    tomorrow = today + datetime.timedelta(days=1)
    assert post.acting_holder_on(tomorrow) == world.a.grid_member


@pytest.mark.django_db
def test_areas_get_a_path_of_ids_from_the_root():
    district = make_area(Area.Kind.DISTRICT, code="X")
    street = make_area(Area.Kind.STREET, district, code="X-01")
    assert street.path == f"/{district.pk}/{street.pk}/"
    assert street.is_within(district)
    assert not district.is_within(street)


@pytest.mark.django_db
def test_a_post_must_stand_at_the_right_kind_of_area():
    from django.core.exceptions import ValidationError

    district = make_area(Area.Kind.DISTRICT, code="X")
    post = Post(area=district, role=Role.GRID_MEMBER, holder_a=make_user())
    with pytest.raises(ValidationError):
        post.full_clean()
    assert make_post(district, Role.DISTRICT_STAFF).pk


def test_the_grids_filter_by_id_holds_the_same_rows_as_the_path_filter(world):
    from grids.models import Household
    from tests.factories import make_household

    for grid in (world.a.grid, world.a.other_grid, world.b.grid):
        make_household(grid, address=f"{grid.code}路1号")
    for user in (
        world.a.grid_member,
        world.a.stationmaster,
        world.district_officer,
        world.outsider,
    ):
        scope = Scope(user)
        by_path = set(Household.objects.filter(scope.q("grid")).values_list("pk", flat=True))
        by_id = set(Household.objects.filter(scope.grids_q("grid")).values_list("pk", flat=True))
        assert by_id == by_path, user
    assert Household.objects.filter(Scope(world.a.stationmaster).grids_q("grid")).count() == 2
    assert not Household.objects.filter(Scope(world.outsider).grids_q("grid")).exists()
