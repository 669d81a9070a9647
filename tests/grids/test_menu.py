"""The main menu offers each role the pages it may open, adds no query, and fits a phone."""

import pytest
from django.test import RequestFactory
from django.urls import resolve, reverse

from grids.menu import menu_for
from grids.models import Area, Role
from grids.scope import get_scope
from tests.factories import make_area, make_post, make_user
from tests.walk import links


def _request(user, path="/"):
    request = RequestFactory().get(path)
    request.user = user
    request.resolver_match = resolve(path)
    return request


def _urls(user, path="/"):
    urls = []
    for item in menu_for(_request(user, path)):
        urls.extend([child.url for child in item.children] or [item.url])
    return urls


@pytest.fixture
def building(world):
    return make_area(Area.Kind.BUILDING, world.a.grid, code="T-01-01-01-BX", name="X号楼")


@pytest.mark.django_db
def test_street_staff_have_the_patrol_board_and_incidents(world):
    staff = make_user("street")
    make_post(world.street, Role.STREET_STAFF, staff)
    urls = _urls(staff)
    assert reverse("patrols:board") in urls
    assert reverse("incidents:list") in urls
    assert reverse("grids:import") in urls
    assert reverse("grids:disclosures") in urls


@pytest.mark.django_db
def test_district_staff_have_the_patrol_board_and_incidents(world):
    urls = _urls(world.district_officer)
    assert reverse("patrols:board") in urls
    assert reverse("incidents:list") in urls


@pytest.mark.django_db
@pytest.mark.parametrize(
    "role", [Role.VOLUNTEER, Role.COMMUNITY_POLICE, Role.PARTY_MEMBER, Role.PATROL_MEMBER]
)
def test_a_grid_helper_reads_incidents_but_is_offered_no_import_and_no_board(world, role):
    helper = make_user("helper")
    make_post(world.a.grid, role, helper)
    urls = _urls(helper)
    assert reverse("incidents:list") in urls
    assert reverse("reports:report") in urls
    assert reverse("grids:import") not in urls
    assert reverse("patrols:board") not in urls
    assert reverse("grids:disclosures") not in urls


@pytest.mark.django_db
def test_a_grid_member_may_import_but_has_no_board(world):
    urls = _urls(world.a.grid_member)
    assert reverse("grids:import") in urls
    assert reverse("incidents:list") in urls
    assert reverse("patrols:board") not in urls


@pytest.mark.django_db
@pytest.mark.parametrize("role", [Role.BUILDING_LEADER, Role.UNIT_LEADER])
def test_building_and_unit_leaders_report_matters_but_get_no_reports_and_no_register(
    world, building, role
):
    area = building
    if role == Role.UNIT_LEADER:
        area = make_area(Area.Kind.UNIT, building, code="T-01-01-01-BX-U1", name="X号楼1单元")
    leader = make_user("leader")
    make_post(area, role, leader)
    urls = _urls(leader)
    assert reverse("reports:report") not in urls
    assert reverse("grids:import") not in urls
    assert reverse("grids:search") not in urls
    # They report matters of their building and follow what they reported.
    assert reverse("incidents:list") in urls
    assert reverse("incidents:report") in urls
    assert reverse("home") in urls
    assert reverse("meetings:list") in urls


@pytest.mark.django_db
def test_several_posts_give_the_union_of_their_menus(world, building):
    person = make_user("two_posts")
    make_post(building, Role.BUILDING_LEADER, person)
    make_post(world.b.grid, Role.VOLUNTEER, person)
    make_post(world.b.other_grid, Role.GRID_MEMBER, None, person)  # as B holder
    urls = _urls(person)
    assert reverse("incidents:list") in urls
    assert reverse("grids:import") in urls  # from the grid member post
    assert reverse("patrols:board") not in urls


@pytest.mark.django_db
def test_the_menu_adds_no_query_to_a_page_that_read_the_scope(world, django_assert_num_queries):
    request = _request(world.a.stationmaster)
    assert get_scope(request).posts  # what every signed-in page already reads
    with django_assert_num_queries(0):
        items = menu_for(request)
    assert reverse("patrols:board") in [item.url for item in items]


@pytest.mark.django_db
def test_an_administrator_menu_needs_no_query(django_assert_num_queries):
    admin = make_user("root", is_superuser=True, is_staff=True)
    request = _request(admin)
    with django_assert_num_queries(0):
        urls = [child.url for item in menu_for(request) for child in item.children or [item]]
    assert reverse("patrols:board") in urls
    assert reverse("grids:disclosures") in urls


@pytest.mark.django_db
def test_the_page_open_is_marked_in_the_menu(world):
    items = menu_for(_request(world.district_officer, reverse("patrols:board")))
    active = [item.url for item in items if item.active]
    assert active == [reverse("patrols:board")]
    items = menu_for(_request(world.district_officer, reverse("grids:floating")))
    register = [item for item in items if item.children]
    assert [item.active for item in register] == [True]
    assert [child.url for child in register[0].children if child.active] == [
        reverse("grids:floating")
    ]


@pytest.mark.django_db
def test_the_rendered_menu_folds_away_on_a_phone_and_lists_the_role_pages(client, world):
    helper = make_user("volunteer", language="en")
    make_post(world.a.grid, Role.VOLUNTEER, helper)
    client.force_login(helper)
    html = client.get("/").content.decode()
    # Below 1200 px the links fold behind the menu button; the inbox stays outside it.
    assert 'class="navbar navbar-expand-xl' in html
    assert 'data-bs-target="#mainnav"' in html
    menu, _main = links(html)
    assert reverse("incidents:list") in menu
    assert reverse("grids:import") not in menu
    assert reverse("patrols:board") not in menu


@pytest.mark.django_db
def test_a_building_post_beside_a_grid_post_keeps_the_report(client, world):
    """The report opens at the topmost post that has one, whichever post sorts first."""
    person = make_user("leader_and_helper")
    building = make_area(Area.Kind.BUILDING, world.a.grid, code="T-01-01-01-BY", name="Y号楼")
    make_post(building, Role.BUILDING_LEADER, person)
    make_post(world.a.other_grid, Role.VOLUNTEER, person)
    # The building's path sorts before the other grid's: it is the user's first post.
    assert building.path < world.a.other_grid.path
    assert get_scope(_request(person)).posts[0].area == building
    assert reverse("reports:report") in _urls(person)
    client.force_login(person)
    response = client.get(reverse("reports:report"))
    assert response.status_code == 200
    assert response.context["area"] == world.a.other_grid
