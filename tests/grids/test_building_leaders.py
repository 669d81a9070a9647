"""A building leader and a unit leader read their own building's (unit's) households and
residents, masked as for anyone who does not keep the register, and nothing else: another
building of the same grid is a 404, and they get no register work (edit, unmask, import,
export)."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from grids.models import Area, Role
from tests.factories import (
    make_area,
    make_household,
    make_id_number,
    make_post,
    make_resident,
    make_user,
)

pytestmark = pytest.mark.django_db

ID = make_id_number(serial=123)
PHONE = "13912345678"
FULL_NUMBER = re.compile(r"(?<![\d*])\d{17}[\dX](?![\d*])")


@pytest.fixture
def block(world):
    """Grid A1 with building B01 (units U1 and U2) and building B02; one household in U1,
    U2 and B02, and one in A's second grid. A leader of B01 and a leader of U1."""
    grid = world.a.grid
    b01 = grid.children.get(kind=Area.Kind.BUILDING)
    u1 = b01.children.get()
    u2 = make_area(Area.Kind.UNIT, b01, code=f"{b01.code}-U2")
    b02 = make_area(Area.Kind.BUILDING, grid, code=f"{grid.code}-B02")
    in_u1 = make_household(grid, address="楼路1号", building=b01, unit=u1, room="101")
    make_resident(in_u1, name="张三", id_number=ID, phone=PHONE)
    in_u2 = make_household(grid, address="楼路1号", building=b01, unit=u2, room="201")
    make_resident(in_u2, name="李四")
    in_b02 = make_household(grid, address="楼路2号", building=b02, room="301")
    make_resident(in_b02, name="王五")
    other_grid = make_household(world.a.other_grid, address="楼路9号")
    make_resident(other_grid, name="赵六")
    building_leader = make_user("building_leader")
    make_post(b01, Role.BUILDING_LEADER, building_leader)
    unit_leader = make_user("unit_leader")
    make_post(u1, Role.UNIT_LEADER, unit_leader)
    return {
        "b01": b01,
        "u1": u1,
        "b02": b02,
        "in_u1": in_u1,
        "in_u2": in_u2,
        "in_b02": in_b02,
        "other_grid": other_grid,
        "building_leader": building_leader,
        "unit_leader": unit_leader,
    }


def listed(client, area):
    response = client.get(f"/buildings/{area.code}/households/")
    assert response.status_code == 200
    return {h.pk for h in response.context["page"].object_list}


def test_a_building_leader_sees_exactly_his_buildings_households(client, world, block):
    client.force_login(block["building_leader"])
    assert listed(client, block["b01"]) == {block["in_u1"].pk, block["in_u2"].pk}
    # Each unit of his building too.
    assert listed(client, block["u1"]) == {block["in_u1"].pk}
    for household in (block["in_u1"], block["in_u2"]):
        assert client.get(f"/households/{household.pk}/").status_code == 200
    for household in (block["in_b02"], block["other_grid"]):
        assert client.get(f"/households/{household.pk}/").status_code == 404
        resident = household.residents.get()
        assert client.get(f"/residents/{resident.pk}/").status_code == 404
    # Not another building, not the grid's pages.
    assert client.get(f"/buildings/{block['b02'].code}/households/").status_code == 404
    assert client.get(f"/grids/{world.a.grid.code}/households/").status_code == 404
    assert client.get(f"/grids/{world.a.grid.code}/").status_code == 404


def test_a_unit_leader_sees_exactly_his_units_households(client, world, block):
    client.force_login(block["unit_leader"])
    assert listed(client, block["u1"]) == {block["in_u1"].pk}
    assert client.get(f"/households/{block['in_u1'].pk}/").status_code == 200
    resident = block["in_u1"].residents.get()
    assert client.get(f"/residents/{resident.pk}/").status_code == 200
    for household in (block["in_u2"], block["in_b02"], block["other_grid"]):
        assert client.get(f"/households/{household.pk}/").status_code == 404
        other = household.residents.get()
        assert client.get(f"/residents/{other.pk}/").status_code == 404
    assert client.get(f"/buildings/{block['b01'].code}/households/").status_code == 404


@pytest.mark.parametrize("leader", ["building_leader", "unit_leader"])
def test_a_building_or_unit_leader_sees_masked_numbers_only(client, block, leader):
    client.force_login(block[leader])
    resident = block["in_u1"].residents.get()
    for url in (f"/households/{block['in_u1'].pk}/", f"/residents/{resident.pk}/"):
        body = client.get(url).content.decode()
        assert "张三" in body
        assert ID not in body and not FULL_NUMBER.search(body)
        assert f"{ID[:6]}********{ID[-4:]}" in body
        assert PHONE not in body and "139****5678" in body
        # No way to unmask, no birth date.
        assert "Show (logged)" not in body
        assert ID[6:14] not in body
    # The way back leads to a page he may open, not to the grid he may not see.
    body = client.get(f"/households/{block['in_u1'].pk}/").content.decode()
    assert f"/grids/{block['in_u1'].grid.code}/" not in body
    assert "/buildings/" in body


@pytest.mark.parametrize("leader", ["building_leader", "unit_leader"])
def test_a_building_or_unit_leader_gets_no_register_work(client, block, leader):
    client.force_login(block[leader])
    household = block["in_u1"]
    resident = household.residents.get()
    body = client.get(f"/households/{household.pk}/").content.decode()
    assert f"/households/{household.pk}/edit/" not in body
    assert f"/residents/{resident.pk}/edit/" not in body
    for url in (
        f"/households/{household.pk}/edit/",
        f"/households/{household.pk}/residents/new/",
        f"/residents/{resident.pk}/edit/",
        f"/residents/{resident.pk}/move-out/",
        f"/residents/{resident.pk}/move/",
        f"/residents/{resident.pk}/transfer/",
    ):
        assert client.get(url).status_code == 403, url
        assert client.post(url).status_code == 403, url
    assert client.post(f"/residents/{resident.pk}/unmask/").status_code == 403
    assert client.get("/register/import/").status_code == 403
    # No export of the building's list: the page offers none and ignores the parameter.
    response = client.get(f"/buildings/{block['u1'].code}/households/?format=xlsx")
    assert response["Content-Type"].startswith("text/html")
    resident.refresh_from_db()
    assert resident.phone == PHONE and not resident.moved_out_on


def test_grid_workers_open_a_buildings_list_of_their_grid_and_not_of_another(client, world, block):
    client.force_login(world.a.grid_member)
    assert listed(client, block["b01"]) == {block["in_u1"].pk, block["in_u2"].pk}
    assert listed(client, block["b02"]) == {block["in_b02"].pk}
    client.force_login(world.b.stationmaster)
    assert client.get(f"/buildings/{block['b01'].code}/households/").status_code == 404


def test_the_home_page_links_a_building_leader_to_his_buildings_households(client, block):
    client.force_login(block["building_leader"])
    body = client.get("/").content.decode()
    assert f"/buildings/{block['b01'].code}/households/" in body


@pytest.mark.parametrize("leader", ["building_leader", "unit_leader"])
def test_the_building_list_query_count_does_not_grow(
    client, world, block, django_assert_num_queries, leader
):
    area = block["b01"] if leader == "building_leader" else block["u1"]
    client.force_login(block[leader])
    url = f"/buildings/{area.code}/households/"
    client.get(url)
    with CaptureQueriesContext(connection) as small:
        client.get(url)
    for i in range(15):
        household = make_household(
            world.a.grid, address=f"楼路1号{i}", building=block["b01"], unit=block["u1"]
        )
        make_resident(household)
        make_resident(household, relation="spouse")
    # The session, the user, the scope's posts, the area, the count, the page (households
    # with their grid, building, unit and resident count), the unread notices.
    with django_assert_num_queries(len(small.captured_queries)):
        response = client.get(url)
    assert len(response.context["page"].object_list) >= 16
    assert len(small.captured_queries) <= 9, [q["sql"] for q in small.captured_queries]


def test_a_matter_filed_in_his_building_is_told_to_its_leaders(client, world, block):
    from notifications.models import Notification
    from tests.incidents.factories import make_category, make_incident

    household = block["in_u1"]
    incident = make_incident(
        world.a.grid,
        world.a.grid_member,
        household=household,
        building=block["b01"],
        title="张三家门口漏水",
    )
    told = Notification.objects.filter(key=f"building-filed:{incident.pk}")
    assert {n.recipient for n in told} == {block["building_leader"], block["unit_leader"]}
    for notice in told:
        # The category and the place; not the title, which may name people.
        assert incident.category.name in notice.title and str(household) in notice.title
        assert "张三" not in notice.title + notice.body
        # The link opens for them.
        assert notice.url == f"/households/{household.pk}/"
        client.force_login(notice.recipient)
        assert client.get(notice.url).status_code == 200
        assert notice.title in client.get("/notifications/").content.decode()

    # Another building's matter, a sensitive one and one he filed himself: not told.
    other = make_incident(world.a.grid, world.a.grid_member, building=block["b02"])
    sensitive = make_incident(
        world.a.grid,
        world.a.grid_member,
        household=household,
        building=block["b01"],
        category=make_category("petition-x", is_sensitive=True),
    )
    own = make_incident(world.a.grid, block["building_leader"], building=block["b01"])
    for quiet in (other, sensitive):
        assert not Notification.objects.filter(key=f"building-filed:{quiet.pk}").exists()
    # Filed without a household: the building leader is told, linked to his building's list;
    # the unit leader is not (no unit named), nor the leader who filed it.
    own_told = Notification.objects.filter(key=f"building-filed:{own.pk}")
    assert not own_told.exists()
    plain = make_incident(world.a.grid, world.a.grid_member, building=block["b01"])
    plain_told = Notification.objects.get(key=f"building-filed:{plain.pk}")
    assert plain_told.recipient == block["building_leader"]
    assert plain_told.url == f"/buildings/{block['b01'].code}/households/"


def test_my_buildings_leads_a_leader_to_his_households(client, world, block):
    client.force_login(block["building_leader"])
    response = client.get("/buildings/")
    assert response.status_code == 302
    assert response["Location"] == f"/buildings/{block['b01'].code}/households/"
    # Two posts: both listed.
    make_post(block["b02"], Role.BUILDING_LEADER, block["building_leader"])
    body = client.get("/buildings/").content.decode()
    for area in (block["b01"], block["b02"]):
        assert f"/buildings/{area.code}/households/" in body
    # Someone without such a post is told so, and sees nobody's building.
    client.force_login(world.a.grid_member)
    response = client.get("/buildings/")
    assert response.status_code == 200 and not response.context["areas"]
