import datetime
import io

import openpyxl
import pytest
from django.contrib.messages import get_messages
from django.db import connection
from django.utils import timezone

from grids import services
from grids.models import DisclosureLog, Household, Membership, Rental, Resident, Tag
from tests.factories import make_household, make_id_number, make_resident

ID = make_id_number(datetime.date(1975, 3, 9), serial=123)


@pytest.fixture
def homes(world):
    """One household in each community's first grid and one in A's second grid."""
    a = make_household(world.a.grid, address="A路1号")
    make_resident(a, name="张三", id_number=ID, phone="13912345678")
    a2 = make_household(world.a.other_grid, address="A路2号")
    make_resident(a2, name="李四")
    b = make_household(world.b.grid, address="B路9号")
    make_resident(b, name="王五")
    return a, a2, b


def test_a_member_sees_only_their_grids_households(client, world, homes):
    a, a2, b = homes
    client.force_login(world.a.grid_member)
    body = client.get(f"/grids/{world.a.grid.code}/households/").content.decode()
    assert "A路1号" in body and "A路2号" not in body and "B路9号" not in body
    assert client.get(f"/grids/{world.a.other_grid.code}/households/").status_code == 404
    assert client.get(f"/households/{a2.pk}/").status_code == 404


def test_search_stays_inside_scope(client, world, homes):
    client.force_login(world.a.grid_member)
    body = client.get("/register/search/", {"q": "A路1"}).content.decode()
    assert "张三" in body and "李四" not in body and "王五" not in body
    # Names in another grid of the community, in another community: nobody.
    for name in ("李", "王五"):
        assert not client.get("/register/search/", {"q": name}).context["page"].object_list
    for address in ("A路2号", "B路9"):
        assert not client.get("/register/search/", {"q": address}).context["page"].object_list
    # By the whole ID number, by phone digits.
    assert "张三" in client.get("/register/search/", {"q": ID}).content.decode()
    assert "张三" in client.get("/register/search/", {"q": "5678"}).content.decode()


def test_the_html_a_member_receives_holds_no_full_id_number(client, world, homes):
    a, _, _ = homes
    client.force_login(world.a.grid_member)
    for url in [
        f"/households/{a.pk}/",
        f"/register/search/?q={ID}",
        "/register/floating/",
        f"/residents/{a.residents.get().pk}/edit/",
    ]:
        body = client.get(url).content.decode()
        assert ID not in body, url
    assert "330106********" + ID[-4:] in client.get(f"/households/{a.pk}/").content.decode()


def test_unmasking_is_for_the_station_and_is_logged(client, world, homes):
    resident = homes[0].residents.get()
    client.force_login(world.a.grid_member)
    assert client.post(f"/residents/{resident.pk}/unmask/").status_code == 403
    client.force_login(world.a.stationmaster)
    response = client.post(f"/residents/{resident.pk}/unmask/")
    assert ID in response.content.decode()
    entry = DisclosureLog.objects.get()
    assert (entry.user, entry.resident, entry.action) == (
        world.a.stationmaster,
        resident,
        DisclosureLog.Action.UNMASK_ID,
    )
    log = client.get("/register/disclosures/").content.decode()
    assert "张三" in log
    client.force_login(world.a.grid_member)
    assert client.get("/register/disclosures/").status_code == 403


def test_phones_are_masked_for_roles_that_do_not_call_residents(client, world, homes):
    from grids.models import Role
    from tests.factories import make_post, make_user

    volunteer = make_user("volunteer")
    make_post(world.a.grid, Role.VOLUNTEER, volunteer)
    client.force_login(volunteer)
    body = client.get(f"/households/{homes[0].pk}/").content.decode()
    assert "13912345678" not in body and "139****5678" in body
    client.force_login(world.a.grid_member)
    assert "13912345678" in client.get(f"/households/{homes[0].pk}/").content.decode()


def resident_post(prefix, **fields):
    data = {
        "name": "赵六",
        "sex": "m",
        "relation": "head",
        "population": "registered",
        "id_number": make_id_number(datetime.date(1990, 1, 2), serial=7),
        "phone": "",
    }
    data.update(fields)
    return {f"{prefix}-{k}": v for k, v in data.items()}


def test_a_member_adds_a_household_with_two_residents(client, world):
    client.force_login(world.a.grid_member)
    data = {
        "h-address": "新路3号",
        "h-room": "101",
        "h-housing": "owner",
        "resident_rows": 2,
        **resident_post("r0"),
        **resident_post(
            "r1",
            name="赵七",
            relation="spouse",
            sex="f",
            id_number=make_id_number(datetime.date(1991, 2, 3), serial=8),
        ),
    }
    response = client.post(f"/grids/{world.a.grid.code}/households/new/", data)
    household = Household.objects.get(address="新路3号")
    assert response.status_code == 302 and response["Location"] == f"/households/{household.pk}/"
    assert sorted(household.residents.values_list("name", flat=True)) == ["赵七", "赵六"]
    assert Membership.objects.filter(household=household, grid=world.a.grid).count() == 2
    assert household.history.get().history_user == world.a.grid_member
    assert Resident.history.filter(household_id=household.pk).first().history_user == (
        world.a.grid_member
    )


def test_a_household_of_one_is_registered_with_one_resident(client, world):
    client.force_login(world.a.grid_member)
    data = {"h-address": "新路5号", "h-housing": "owner", "resident_rows": 1}
    response = client.post(
        f"/grids/{world.a.grid.code}/households/new/", {**data, **resident_post("r0")}
    )
    (message,) = [str(m) for m in get_messages(response.wsgi_request)]
    assert message.startswith("Household 新路5号") and message.endswith("with 1 resident.")


def test_a_wrong_id_number_is_refused_on_the_field_and_nothing_is_saved(client, world):
    client.force_login(world.a.grid_member)
    bad = ID[:-1] + ("0" if ID[-1] != "0" else "1")
    data = {
        "h-address": "新路4号",
        "h-housing": "owner",
        "resident_rows": 2,
        **resident_post("r0"),
        **resident_post("r1", id_number=bad),
    }
    response = client.post(f"/grids/{world.a.grid.code}/households/new/", data)
    assert response.status_code == 200
    errors = response.context["resident_forms"][1].errors
    assert "does not match" in errors["id_number"][0]
    assert not Household.objects.filter(address="新路4号").exists()
    assert not Resident.objects.filter(name="赵六").exists()


def test_a_read_only_role_cannot_add_households(client, world):
    client.force_login(world.district_officer)  # district staff: supervisors may write
    assert client.get(f"/grids/{world.a.grid.code}/households/new/").status_code == 200
    from grids.models import Role
    from tests.factories import make_post, make_user

    police = make_user("police")
    make_post(world.a.grid, Role.COMMUNITY_POLICE, police)
    client.force_login(police)
    assert client.get(f"/grids/{world.a.grid.code}/households/new/").status_code == 403
    assert client.post(f"/grids/{world.a.grid.code}/households/new/", {}).status_code == 403


def test_a_duplicate_id_number_warns_without_revealing_other_grids(client, world, homes):
    client.force_login(world.b.grid_member)
    household = homes[2]
    response = client.post(
        f"/households/{household.pk}/residents/new/",
        {**{k[3:]: v for k, v in resident_post("r0", id_number=ID).items()}},
    )
    message = response.context["form"].errors["id_number"][0]
    assert "The station checks this ID number" in message
    assert "张三" not in message and "A路" not in message and "registered" not in message
    assert not Resident.objects.filter(name="赵六").exists()
    # Never a second person under the number: the same person's own station is asked.
    fields = {k[3:]: v for k, v in resident_post("r0", id_number=ID).items()}
    response = client.post(
        f"/households/{household.pk}/residents/new/", {**fields, "same_person": "on"}
    )
    assert response.status_code == 302
    assert Resident.objects.filter(id_number=ID).count() == 1
    assert not household.residents.filter(id_number=ID).exists()


def test_a_stale_form_says_so_and_saves_nothing(client, world, homes):
    household = homes[0]
    client.force_login(world.a.grid_member)
    seen = household.updated_at.isoformat()
    services.update_household(household, by=world.a.grid_leader, room="202")
    response = client.post(
        f"/households/{household.pk}/edit/",
        {"h-address": "改过的地址", "h-housing": "owner", "h-seen_updated_at": seen},
    )
    assert response.status_code == 200
    assert "Someone else changed this record" in response.content.decode()
    household.refresh_from_db()
    assert household.address == "A路1号" and household.room == "202"


def test_the_household_page_shows_who_changed_what(client, world, homes):
    household = homes[0]
    services.update_household(household, by=world.a.grid_leader, room="808")
    client.force_login(world.a.grid_member)
    response = client.get(f"/households/{household.pk}/")
    changes = [e for e in response.context["history"] if e["changes"]]
    assert changes[0]["user"] == world.a.grid_leader
    assert any(label == "room" and new == "808" for label, old, new in changes[0]["changes"])
    assert "Leader A" in response.content.decode()


def test_moving_out_keeps_the_resident_and_history(client, world, homes):
    resident = homes[0].residents.get()
    client.force_login(world.a.grid_member)
    response = client.post(f"/residents/{resident.pk}/move-out/", {"moved_out_on": "2026-01-31"})
    assert response.status_code == 302
    resident.refresh_from_db()
    assert resident.moved_out_on == datetime.date(2026, 1, 31)
    assert Membership.objects.get(resident=resident).moved_out_on == datetime.date(2026, 1, 31)


def test_a_moved_resident_still_counts_in_their_old_grid_before_the_move(world):
    home = make_household(world.a.grid)
    resident = make_resident(home, moved_in_on=datetime.date(2025, 1, 1))
    new_home = make_household(world.a.other_grid)
    services.move_resident(resident, to=new_home, on=datetime.date(2026, 6, 1), by=None)

    def count(grid, day):
        return Membership.objects.as_of(day).filter(grid=grid).count()

    assert count(world.a.grid, datetime.date(2026, 5, 31)) == 1
    assert count(world.a.other_grid, datetime.date(2026, 5, 31)) == 0
    assert count(world.a.grid, datetime.date(2026, 6, 1)) == 0
    assert count(world.a.other_grid, datetime.date(2026, 6, 1)) == 1
    assert count(world.a.grid, datetime.date(2024, 12, 31)) == 0


def test_attention_tags_are_for_the_station_only(client, world, homes):
    resident = homes[0].residents.get()
    resident.tags.add(
        Tag.objects.create(name="社区矫正", kind=Tag.Kind.ATTENTION),
        Tag.objects.get_or_create(name="独居老人", kind=Tag.Kind.CARE)[0],
    )
    client.force_login(world.a.grid_member)
    body = client.get(f"/households/{homes[0].pk}/").content.decode()
    assert "独居老人" in body and "社区矫正" not in body
    client.force_login(world.a.stationmaster)
    assert "社区矫正" in client.get(f"/households/{homes[0].pk}/").content.decode()


def test_rentals_ending_within_30_days_are_marked(client, world, homes):
    today = timezone.localdate()
    Rental.objects.create(
        household=homes[0],
        landlord_name="房东甲",
        starts_on=today,
        ends_on=today + datetime.timedelta(days=10),
    )
    Rental.objects.create(
        household=homes[0],
        landlord_name="房东乙",
        starts_on=today,
        ends_on=today + datetime.timedelta(days=200),
    )
    client.force_login(world.a.grid_member)
    response = client.get("/register/rentals/")
    marked = {r.landlord_name for r in response.context["page"].object_list if r.is_expiring}
    assert marked == {"房东甲"}
    assert response.content.decode().count("data-expiring") == 1


def test_the_rental_list_shows_current_rentals_unless_asked(client, world, homes):
    today = timezone.localdate()
    for name, ends in [("晚", 90), ("早", 5), ("旧", -3)]:
        Rental.objects.create(
            household=homes[0],
            landlord_name=name,
            starts_on=today - datetime.timedelta(days=400),
            ends_on=today + datetime.timedelta(days=ends),
        )
    client.force_login(world.a.grid_member)

    def landlords(**params):
        page = client.get("/register/rentals/", params).context["page"]
        return [r.landlord_name for r in page.object_list]

    assert landlords() == ["早", "晚"]
    assert landlords(state="ended") == ["旧"]
    assert sorted(landlords(state="all")) == sorted(["早", "晚", "旧"])


def test_the_export_is_masked_and_logged(client, world, homes):
    homes[0].residents.update(population="floating")
    client.force_login(world.a.stationmaster)
    response = client.get("/register/floating/", {"format": "xlsx"})
    sheet = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[1][1] == "张三" and rows[1][4] == "330106********" + ID[-4:]
    assert ID not in str(rows)
    assert DisclosureLog.objects.filter(action="export", user=world.a.stationmaster).exists()


@pytest.mark.parametrize("path", ["households", "search", "floating"])
def test_list_query_counts_do_not_grow(client, world, django_assert_num_queries, path):
    url = {
        "households": f"/grids/{world.a.grid.code}/households/",
        "search": "/register/search/?q=数路1",
        "floating": "/register/floating/",
    }[path]
    household = make_household(world.a.grid, address="数路1号")
    make_resident(household, population="floating")
    client.force_login(world.a.stationmaster)
    client.get(url)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as small:
        client.get(url)
    for i in range(15):
        h = make_household(world.a.grid, address=f"数路1{i}号")
        make_resident(h, population="floating")
        make_resident(h, relation="spouse", population="floating")
    with django_assert_num_queries(len(small.captured_queries)):
        response = client.get(url)
    assert len(response.context["page"].object_list) >= 16  # the rows are there


def test_an_address_is_searched_from_three_characters(client, world, homes):
    """Under three characters no index can serve a search inside addresses: names only."""
    client.force_login(world.a.stationmaster)

    def names(q):
        page = client.get("/register/search/", {"q": q}).context["page"]
        return {r.name for r in page.object_list}

    assert names("A路") == set()
    assert names("A路1") == {"张三"}
    assert names("A路1号") == {"张三"}
    assert names("张") == {"张三"}


def test_a_search_matching_more_than_it_lists_says_so(client, world, monkeypatch):
    from grids import register_views

    monkeypatch.setattr(register_views, "SEARCH_MOST", 3)
    household = make_household(world.a.grid, address="多人路1号")
    for i in range(4):
        make_resident(household, name=f"周{i}", relation="head" if i == 0 else "child")
    client.force_login(world.a.stationmaster)
    response = client.get("/register/search/", {"q": "周"})
    page = response.context["page"]
    assert page.paginator.count == 3 and page.paginator.is_capped
    assert [r.name for r in page.object_list] == ["周0", "周1", "周2"]
    assert "More than 3 people match" in response.content.decode()
    household.residents.filter(name="周3").update(name="吴三")
    page = client.get("/register/search/", {"q": "周"}).context["page"]
    assert page.paginator.count == 3 and not page.paginator.is_capped


def test_the_floating_list_counts_the_users_households_only(client, world):
    """The count goes household by household through the station's grids: it counts the
    rows the list shows, filters included, and nobody outside the station."""
    here = make_household(world.a.grid, address="流路1号")
    there = make_household(world.a.other_grid, address="流路2号")
    elsewhere = make_household(world.b.grid, address="流路3号")
    people = {here: ["赵一", "赵二", "钱三"], there: ["赵四"], elsewhere: ["赵五"]}
    for household, names in people.items():
        for name in names:
            make_resident(household, name=name, population="floating")
    make_resident(here, name="赵六")  # registered, not floating
    client.force_login(world.a.stationmaster)

    def listed(**params):
        page = client.get("/register/floating/", params).context["page"]
        return page.paginator.count, sorted(r.name for r in page.object_list)

    assert listed() == (4, ["赵一", "赵二", "赵四", "钱三"])
    assert listed(q="赵") == (3, ["赵一", "赵二", "赵四"])
    assert listed(grid=world.a.other_grid.pk) == (1, ["赵四"])
    client.force_login(world.a.grid_member)
    assert listed() == (3, ["赵一", "赵二", "钱三"])


def test_a_capped_search_pages_through_the_first_matches_in_order(client, world, monkeypatch):
    from grids import register_views

    monkeypatch.setattr(register_views, "SEARCH_MOST", 27)
    household = make_household(world.a.grid, address="页路1号")
    for i in [*range(28, 14, -1), *range(15)]:
        make_resident(household, name=f"孙{i:02d}", relation="head" if i == 0 else "child")
    client.force_login(world.a.stationmaster)

    def listed(page):
        response = client.get("/register/search/", {"q": "孙", "page": page})
        paginator = response.context["page"].paginator
        names = [r.name for r in response.context["page"].object_list]
        return paginator.count, paginator.is_capped, names

    assert listed(1) == (27, True, [f"孙{i:02d}" for i in range(25)])
    assert listed(2) == (27, True, ["孙25", "孙26"])


def test_a_searchs_rows_read_bound_are_djangos(client, world, monkeypatch):
    """The residents a search lists are read by a statement compiled once for the number of
    keys and bound to them: the SQL and parameters are Django's own for each search, and the
    rows carry what the queryset gives (household, grid, tags, whether moving), whoever asks
    and whatever they search for."""
    from gridmgmt import statements
    from grids import register_views

    monkeypatch.setattr(statements, "ASK_TWICE", False)  # kept from the first request
    compiled = statements.compiled
    checked = []

    def checking(key, build, values):
        sql, params = compiled(key, build, values)
        own_sql, own_params = build(values)
        assert (sql, list(params)) == (own_sql, list(own_params))
        checked.append(key)
        return sql, params

    monkeypatch.setattr(statements, "compiled", checking)
    care = Tag.objects.filter(kind=Tag.Kind.CARE).first()
    for side in (world.a, world.b):
        household = make_household(side.grid, address=f"{side.community.code}路8号")
        for i in range(3):
            person = make_resident(household, name=f"冯{side.community.code}{i}")
            if i == 1 and care is not None:
                person.tags.add(care)

    def tags(r):
        # Read with the row on PostgreSQL; prefetched where there is no ARRAY (SQLite).
        if hasattr(r, "tag_rows"):
            return r.tag_rows
        return [{"kind": t.kind, "name": t.name} for t in r.tags.all()]

    def seen(rows):
        return [
            (r.pk, r.household.address, r.household.grid.name, tags(r), r.is_moving) for r in rows
        ]

    for user, q, count in [
        (world.a.stationmaster, "冯", 3),
        (world.b.stationmaster, "冯", 3),
        (world.a.stationmaster, f"冯{world.a.community.code}1", 1),
        (world.b.stationmaster, f"冯{world.b.community.code}", 3),
    ]:
        client.force_login(user)
        rows = client.get("/register/search/", {"q": q}).context["page"].object_list
        assert len(rows) == count
        expected = register_views._search_rows([r.pk for r in rows])
        assert seen(rows) == seen(sorted(expected, key=lambda r: [x.pk for x in rows].index(r.pk)))
    # Statements are compiled once on PostgreSQL only (gridmgmt.statements).
    if connection.vendor == "postgresql":
        assert ("grids.register_views.search_rows", 3) in checked
        assert ("grids.register_views.search_rows", 1) in checked
