"""Places in the grid (辖区单位): adding and editing them, recording their fire and safety
checks (the next check is the last plus the cycle), overdue checks flagged, scope, masked
phones, the list's queries and export, and a check's problems becoming an incident that names
the place."""

import datetime
import io

import pytest
import time_machine
from openpyxl import load_workbook

from grids.models import Role
from incidents.models import Category, Incident
from places import services
from places.models import Place, PlaceIncident
from tests.factories import make_post, make_user

SHANGHAI = datetime.timezone(datetime.timedelta(hours=8))
TODAY = datetime.date(2026, 11, 28)


def noon(day):
    return datetime.datetime.combine(day, datetime.time(12), tzinfo=SHANGHAI)


@pytest.fixture
def pinned():
    with time_machine.travel(noon(TODAY), tick=False):
        yield


def make_place(grid, by, **fields):
    fields.setdefault("name", "便民超市")
    fields.setdefault("kind", Place.Kind.SHOP)
    fields.setdefault("address", "幸福路8号")
    return services.add_place(grid=grid, by=by, **fields)


@pytest.fixture
def volunteer(world):
    """A read-only role in grid A: sees its places, edits none, phones masked."""
    user = make_user("volunteer_a")
    make_post(world.a.grid, Role.VOLUNTEER, user)
    return user


def test_a_member_adds_a_place_that_is_due_for_its_first_check_at_once(client, world, pinned):
    client.force_login(world.a.grid_member)
    response = client.post(
        "/places/new/",
        {
            "grid": world.a.grid.pk,
            "name": "阳光幼儿园",
            "kind": "school",
            "address": "幸福路10号",
            "contact_name": "周园长",
            "contact_phone": "138-1234-5678",
            "check_cycle_days": 90,
        },
    )
    place = Place.objects.get(name="阳光幼儿园")
    assert response.status_code == 302 and response.url == f"/places/{place.pk}/"
    assert (place.grid, place.contact_phone, place.check_cycle_days) == (
        world.a.grid,
        "13812345678",
        90,
    )
    assert place.next_check_on == TODAY and place.last_checked_on is None
    assert place.history.get().history_user == world.a.grid_member


def test_a_bad_place_is_explained(client, world, pinned):
    client.force_login(world.a.grid_member)
    response = client.post(
        "/places/new/",
        {"grid": world.b.grid.pk, "name": "", "kind": "castle", "check_cycle_days": 0},
    )
    assert response.status_code == 200
    assert set(response.context["form"].errors) >= {
        "grid",
        "name",
        "kind",
        "address",
        "check_cycle_days",
    }
    assert not Place.objects.exists()


def test_a_check_moves_the_next_check_to_the_check_plus_the_cycle(client, world, pinned):
    place = make_place(world.a.grid, world.a.grid_member, check_cycle_days=30)
    client.force_login(world.a.grid_member)
    response = client.post(
        f"/places/{place.pk}/checks/", {"checked_on": "2026-11-20", "outcome": "passed"}
    )
    assert response.status_code == 302
    place.refresh_from_db()
    assert place.last_checked_on == datetime.date(2026, 11, 20)
    assert place.next_check_on == datetime.date(2026, 12, 20)  # 20 Nov + 30 days

    # A closed door moves nothing; an earlier check recorded late does not move it back.
    client.post(f"/places/{place.pk}/checks/", {"checked_on": "2026-11-28", "outcome": "closed"})
    client.post(f"/places/{place.pk}/checks/", {"checked_on": "2026-11-01", "outcome": "passed"})
    place.refresh_from_db()
    assert place.next_check_on == datetime.date(2026, 12, 20)
    assert place.checks.count() == 3

    # A new cycle counts from the last check.
    services.update_place(place, by=world.a.grid_leader, check_cycle_days=7)
    place.refresh_from_db()
    assert place.next_check_on == datetime.date(2026, 11, 27)
    assert place.history.first().history_user == world.a.grid_leader


def test_a_check_in_the_future_or_problems_without_words_are_refused(client, world, pinned):
    place = make_place(world.a.grid, world.a.grid_member)
    client.force_login(world.a.grid_member)
    for data in (
        {"checked_on": "2026-11-29", "outcome": "passed"},
        {"checked_on": "2026-11-28", "outcome": "problems", "problems": "  "},
        {"checked_on": "not a day", "outcome": "maybe"},
    ):
        response = client.post(f"/places/{place.pk}/checks/", data)
        assert response.status_code == 302
    assert not place.checks.exists()


def test_overdue_places_are_flagged_and_filtered(client, world):
    with time_machine.travel(noon(datetime.date(2026, 10, 1)), tick=False):
        late = make_place(world.a.grid, world.a.grid_member, name="五金店", check_cycle_days=30)
        services.record_check(
            late, by=world.a.grid_member, checked_on=datetime.date(2026, 10, 1), outcome="passed"
        )
        fine = make_place(world.a.grid, world.a.grid_member, name="诊所", check_cycle_days=90)
        services.record_check(
            fine, by=world.a.grid_member, checked_on=datetime.date(2026, 10, 1), outcome="passed"
        )
    late.refresh_from_db()
    assert late.next_check_on == datetime.date(2026, 10, 31)
    client.force_login(world.a.grid_member)
    with time_machine.travel(noon(datetime.date(2026, 10, 31)), tick=False):
        page = client.get("/places/").content.decode()
        assert "data-overdue" not in page  # due today is not late yet
    with time_machine.travel(noon(datetime.date(2026, 11, 1)), tick=False):
        page = client.get("/places/").content.decode()
        assert page.count("data-overdue") == 1
        assert page.index("五金店") < page.index("诊所")  # soonest due first
        overdue = client.get("/places/", {"state": "overdue"}).context["page"].object_list
        assert [p.name for p in overdue] == ["五金店"]
        detail = client.get(f"/places/{late.pk}/").content.decode()
        assert "data-overdue" in detail


def test_the_list_filters_by_grid_and_kind_and_sorts(client, world, pinned):
    make_place(world.a.grid, world.a.grid_member, name="甲超市")
    make_place(world.a.other_grid, world.a.stationmaster, name="乙工地", kind="construction")
    client.force_login(world.a.stationmaster)
    names = lambda **q: [p.name for p in client.get("/places/", q).context["page"].object_list]  # noqa: E731
    assert names(grid=world.a.grid.pk) == ["甲超市"]
    assert names(kind="construction") == ["乙工地"]
    assert names(sort="-name") == sorted(["甲超市", "乙工地"], reverse=True)
    bad = client.get("/places/", {"kind": "castle", "page": "x"})
    assert bad.status_code == 400 and len(bad.context["page"].object_list) == 2


def test_places_outside_the_users_areas_are_404(client, world, pinned):
    place = make_place(world.b.grid, world.b.grid_member, name="B的店")
    client.force_login(world.a.grid_member)
    assert client.get(f"/places/{place.pk}/").status_code == 404
    assert client.get(f"/places/{place.pk}/edit/").status_code == 404
    data = {"checked_on": "2026-11-28", "outcome": "passed"}
    assert client.post(f"/places/{place.pk}/checks/", data).status_code == 404
    assert "B的店" not in client.get("/places/").content.decode()
    assert not place.checks.exists()


def test_a_read_only_role_reads_with_the_phone_masked_and_cannot_write(
    client, world, volunteer, pinned
):
    place = make_place(world.a.grid, world.a.grid_member, contact_phone="13812345678")
    services.update_place(place, by=world.a.grid_member, contact_phone="13812349999")
    client.force_login(volunteer)
    page = client.get(f"/places/{place.pk}/")
    assert page.status_code == 200 and page.context["phone"] == "138****9999"
    body = page.content.decode()
    assert "13812345678" not in body and "13812349999" not in body
    assert "138****5678 → 138****9999" in body  # the change, in the place's history
    assert client.get("/places/new/").status_code == 403
    assert client.get(f"/places/{place.pk}/edit/").status_code == 403
    data = {"checked_on": "2026-11-28", "outcome": "passed"}
    assert client.post(f"/places/{place.pk}/checks/", data).status_code == 403
    assert client.get("/places/", {"format": "xlsx"}).status_code == 403
    client.force_login(world.a.grid_member)
    assert client.get(f"/places/{place.pk}/").context["phone"] == "13812349999"


def test_a_checks_problems_become_an_incident_that_names_the_place(client, world, pinned):
    place = make_place(world.a.grid, world.a.grid_member, name="建筑工地")
    client.force_login(world.a.grid_member)
    client.post(
        f"/places/{place.pk}/checks/",
        {"checked_on": "2026-11-28", "outcome": "problems", "problems": "消防通道堵塞"},
    )
    check = place.checks.get()
    category = Category.objects.order_by("pk").first()
    response = client.post(
        f"/places/{place.pk}/checks/{check.pk}/incident/", {"category": category.pk}
    )
    incident = Incident.objects.get(grid=world.a.grid)
    assert response.status_code == 302 and response.url == incident.get_absolute_url()
    assert "消防通道堵塞" in incident.description
    assert PlaceIncident.objects.get(incident=incident).place == place
    check.refresh_from_db()
    assert check.incident == incident
    # Once only.
    client.post(f"/places/{place.pk}/checks/{check.pk}/incident/", {"category": category.pk})
    assert Incident.objects.count() == 1
    page = client.get(f"/places/{place.pk}/").content.decode()
    assert incident.number in page


def test_the_xlsx_export_lists_the_filtered_places_safely(client, world, pinned):
    make_place(world.a.grid, world.a.grid_member, name="=HYPERLINK(1)", contact_phone="13812345678")
    make_place(world.a.other_grid, world.a.grid_member, name="乙店")
    client.force_login(world.a.grid_member)
    response = client.get("/places/", {"format": "xlsx", "grid": world.a.grid.pk})
    assert response.status_code == 200
    rows = list(
        load_workbook(io.BytesIO(b"".join(response.streaming_content))).active.iter_rows(
            values_only=True
        )
    )
    assert len(rows) == 2
    assert rows[1][1] == "'=HYPERLINK(1)" and rows[1][5] == "13812345678"
    assert not rows[1][9]  # due today: not overdue


def fill(world, count):
    for n in range(count):
        make_place(world.a.grid, world.a.grid_member, name=f"店{n}")
        make_place(world.a.other_grid, world.a.grid_member, name=f"厂{n}", kind="firm")


@pytest.mark.parametrize("count", [2, 12])
def test_the_list_runs_the_same_queries_for_few_and_many_places(
    client, world, pinned, count, django_assert_num_queries
):
    fill(world, count)
    client.force_login(world.a.stationmaster)
    client.get("/places/")  # warm the session
    # session, user, the scope's posts, the grid choices of the filter, count, page (with the
    # grid joined), and the menu/header's queries (unread notices)
    with django_assert_num_queries(7):
        response = client.get("/places/", {"sort": "name"})
    assert len(response.context["page"].object_list) == min(2 * count, 25)


@pytest.mark.parametrize("count", [1, 6])
def test_a_place_page_runs_the_same_queries_for_few_and_many_checks(
    client, world, pinned, count, django_assert_num_queries
):
    place = make_place(world.a.grid, world.a.grid_member)
    for _n in range(count):
        services.record_check(place, by=world.a.grid_member, checked_on=TODAY, outcome="passed")
        services.record_check(
            place,
            by=world.a.grid_member,
            checked_on=TODAY,
            outcome="problems",
            problems="灭火器过期",
        )
    client.force_login(world.a.grid_member)
    client.get(f"/places/{place.pk}/")
    # session, user, the scope's posts, the place, its checks (with who and the incident), its
    # history (with who), its incidents, the categories offered once for every check with
    # problems, unread notices
    with django_assert_num_queries(9):
        response = client.get(f"/places/{place.pk}/")
    assert response.content.decode().count("data-report-check") == count


def test_the_stationmasters_home_counts_the_overdue_places(client, world):
    with time_machine.travel(noon(datetime.date(2026, 10, 1)), tick=False):
        make_place(world.a.grid, world.a.grid_member, name="逾期店")
        make_place(world.b.grid, world.b.grid_member, name="B的逾期店")
    with time_machine.travel(noon(TODAY), tick=False):
        make_place(world.a.grid, world.a.grid_member, name="今天新加")  # due today: not late
        client.force_login(world.a.stationmaster)
        page = client.get("/").content.decode()
    assert 'data-places-overdue="1"' in page
    assert "/places/?state=overdue" in page


def test_the_demo_gives_every_grid_a_few_places(world, pinned):
    import random

    from grids.models import Area
    from places.demo import build_places

    grids = [world.a.grid, world.a.other_grid, world.b.grid]
    lines = []
    build_places(random.Random(2026), {Area.Kind.GRID: grids}, lines.append)
    for grid in grids:
        assert 3 <= Place.objects.filter(grid=grid).count() <= 5
    checked = Place.objects.filter(last_checked_on__isnull=False)
    assert checked.exists() and all(
        p.next_check_on == p.next_check_after(p.last_checked_on) for p in checked
    )
    assert Place.history.count() == Place.objects.count()
    assert lines and lines[0].startswith("places:")


def test_the_incident_report_form_offers_the_grids_places_and_names_one(client, world, pinned):
    place = make_place(world.a.grid, world.a.grid_member, name="阳光超市")
    elsewhere = make_place(world.a.other_grid, world.a.grid_member, name="别处工地")
    closed = make_place(world.a.grid, world.a.grid_member, name="已停业店", is_active=False)
    category = Category.objects.order_by("pk").first()
    client.force_login(world.a.grid_member)
    form = client.get("/incidents/new/", {"grid": world.a.grid.pk, "place": place.pk}).context[
        "form"
    ]
    offered = [value for value, _label in form.fields["place"].widget.choices if value]
    assert offered == [place.pk] and elsewhere.pk not in offered and closed.pk not in offered
    data = {
        "grid": world.a.grid.pk,
        "category": category.pk,
        "urgency": "normal",
        "title": "超市门口占道经营",
        "source": "walk_in",
        "reporter_kind": "anonymous",
    }
    refused = client.post("/incidents/new/", {**data, "place": elsewhere.pk})
    assert refused.status_code == 200 and "place" in refused.context["form"].errors
    assert not Incident.objects.exists()
    response = client.post("/incidents/new/", {**data, "place": place.pk})
    incident = Incident.objects.get()
    assert response.status_code == 302
    assert PlaceIncident.objects.get(incident=incident).place == place
    assert incident.title in client.get(f"/places/{place.pk}/").content.decode()
    page = client.get(incident.get_absolute_url()).content.decode()
    assert "data-incident-place" in page and f"/places/{place.pk}/" in page


def test_the_admin_lists_places_and_a_patrols_four_checks(client, world, pinned):
    from patrols.services import answer_checks
    from tests.patrols.factories import make_patrol

    place = make_place(world.a.grid, world.a.grid_member)
    services.record_check(place, by=world.a.grid_member, checked_on=TODAY, outcome="passed")
    patrol = make_patrol(world.a.grid, TODAY, member=world.a.grid_member)
    answer_checks(patrol, {})
    client.force_login(make_user("admin", is_superuser=True, is_staff=True))
    for url in (
        "/admin/places/place/",
        "/admin/places/place/add/",
        f"/admin/places/place/{place.pk}/change/",
        f"/admin/places/place/{place.pk}/history/",
        f"/admin/patrols/patrol/{patrol.pk}/change/",
    ):
        assert client.get(url).status_code == 200, url
