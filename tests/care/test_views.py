"""The visits-due list, a person's page and recording a visit: scope, restricted tags,
query counts, the photo and the needs."""

import datetime
import io

import pytest
import time_machine
from django import forms
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from care.models import CarePlan, Visit
from gridmgmt.widgets import Select
from grids.models import Role, Tag
from incidents.models import Category, Incident
from tests.care.factories import tagged_person
from tests.factories import make_post
from tests.patrols.factories import local

TAGGED_ON = datetime.date(2026, 11, 1)
TODAY = datetime.date(2026, 11, 12)


@pytest.fixture
def alone(db):
    return Tag.objects.get(name="独居老人")


@pytest.fixture
def released(db):
    return Tag.objects.get(name="刑满释放人员")


def people(grid, tag, count):
    with time_machine.travel(local(TAGGED_ON, 9)):
        return [tagged_person(grid, tag) for _ in range(count)]


@pytest.fixture
def now(db):
    with time_machine.travel(local(TODAY, 10), tick=False):
        yield


def test_a_member_sees_the_people_due_in_their_grid_soonest_first(client, world, alone, now):
    mine = people(world.a.grid, alone, 2)
    people(world.a.other_grid, alone, 1)  # a grid the member does not work
    people(world.b.grid, alone, 1)  # another community
    client.force_login(world.a.grid_member)
    response = client.get("/care/")
    assert response.status_code == 200
    body = response.content.decode()
    for person in mine:
        assert f'data-care-due="{person.pk}"' in body
    assert body.count("data-care-due=") == 2
    assert "独居老人" in body


def test_a_grid_member_never_sees_a_person_under_a_station_only_tag(
    client, world, alone, released, now
):
    [plain] = people(world.a.grid, alone, 1)
    [restricted] = people(world.a.grid, released, 1)
    [both] = people(world.a.grid, alone, 1)
    both.tags.add(released)
    client.force_login(world.a.grid_member)
    body = client.get("/care/").content.decode()
    assert f'data-care-due="{plain.pk}"' in body
    assert f'data-care-due="{restricted.pk}"' not in body
    assert f'data-care-due="{both.pk}"' not in body
    assert "刑满释放" not in body
    for person in (restricted, both):
        assert client.get(f"/care/people/{person.pk}/").status_code == 404
    # Nor on the home page.
    home = client.get("/").content.decode()
    assert f'data-care-due="{plain.pk}"' in home
    assert f'data-care-due="{restricted.pk}"' not in home
    # The station sees all three.
    client.force_login(world.a.stationmaster)
    body = client.get("/care/").content.decode()
    for person in (plain, restricted, both):
        assert f'data-care-due="{person.pk}"' in body
    assert client.get(f"/care/people/{restricted.pk}/").status_code == 200


def test_outside_the_users_areas_is_a_404(client, world, alone, now):
    [person] = people(world.b.grid, alone, 1)
    visit = Visit.objects.create(
        resident=person,
        grid=world.b.grid,
        visited_on=TODAY,
        visited_by=world.b.grid_member,
        outcome="well",
    )
    for user in (world.a.grid_member, world.a.stationmaster, world.outsider):
        client.force_login(user)
        assert client.get(f"/care/people/{person.pk}/").status_code == 404
        assert client.get(f"/care/visits/{visit.pk}/").status_code == 404
        assert client.get(f"/care/visits/{visit.pk}/photo/").status_code == 404
        response = client.post(
            f"/care/people/{person.pk}/visit/", {"visited_on": TODAY, "outcome": "well"}
        )
        assert response.status_code == 404
    assert Visit.objects.count() == 1


def test_the_list_filters_by_grid_and_overdue(client, world, alone, now):
    [late] = people(world.a.grid, alone, 1)  # due 8 Nov: overdue on 12 Nov
    with time_machine.travel(local(datetime.date(2026, 11, 10), 9)):
        [soon] = [tagged_person(world.a.other_grid, alone)]  # due 17 Nov
    client.force_login(world.a.stationmaster)
    body = client.get("/care/?overdue=on").content.decode()
    assert f'data-care-due="{late.pk}"' in body and f'data-care-due="{soon.pk}"' not in body
    body = client.get(f"/care/?grid={world.a.other_grid.code}").content.decode()
    assert f'data-care-due="{late.pk}"' not in body and f'data-care-due="{soon.pk}"' in body
    response = client.get(f"/care/?grid={world.b.grid.code}")
    assert response.status_code == 400


@pytest.mark.parametrize("count", [3, 30])
def test_the_list_runs_the_same_queries_however_many_people(
    client, world, alone, now, count, django_assert_num_queries
):
    people(world.a.grid, alone, count)
    client.force_login(world.a.stationmaster)
    # session, user, the user's posts (scope), the grids offered, the ids listed (the count
    # and the page's ids), the page's rows, the page's tags, unread notifications (header)
    with django_assert_num_queries(8):
        response = client.get("/care/")
    assert response.status_code == 200


def test_the_list_stops_at_its_most_and_says_so(client, world, alone, now, monkeypatch):
    monkeypatch.setattr("care.due.DUE_MOST", 3)
    late = people(world.a.grid, alone, 2)  # due 8 Nov
    with time_machine.travel(local(datetime.date(2026, 11, 10), 9)):
        later = [tagged_person(world.a.other_grid, alone) for _ in range(2)]  # due 17 Nov
    client.force_login(world.a.stationmaster)
    body = client.get("/care/").content.decode()
    assert body.count("data-care-due=") == 3
    for person in late:
        assert f'data-care-due="{person.pk}"' in body
    assert "data-care-capped" in body
    body = client.get(f"/care/?grid={world.a.other_grid.code}").content.decode()
    assert body.count("data-care-due=") == 2 and "data-care-capped" not in body
    assert all(f'data-care-due="{person.pk}"' in body for person in later)


@pytest.mark.parametrize("by_path", [False, True])
def test_the_list_shows_whom_the_scope_allows_by_grid_ids_or_paths(
    client, world, alone, released, now, monkeypatch, by_path
):
    if by_path:
        monkeypatch.setattr("care.models.STATION_GRIDS_MOST", 0)
    plain_a = people(world.a.grid, alone, 1)[0]
    restricted_a = people(world.a.grid, released, 1)[0]
    other_a = people(world.a.other_grid, alone, 1)[0]
    plain_b = people(world.b.grid, alone, 1)[0]
    restricted_b = people(world.b.grid, released, 1)[0]
    # The member of grid A also runs station B: B's station-only people, not A's.
    make_post(world.b.community, Role.STATIONMASTER, world.a.grid_member)
    expected = {
        world.a.grid_member: {plain_a, plain_b, restricted_b},
        world.a.stationmaster: {plain_a, restricted_a, other_a},
        world.district_officer: {plain_a, restricted_a, other_a, plain_b, restricted_b},
    }
    for user, shown in expected.items():
        client.force_login(user)
        body = client.get("/care/").content.decode()
        assert body.count("data-care-due=") == len(shown), user
        assert all(f'data-care-due="{person.pk}"' in body for person in shown), user


def _jpeg():
    out = io.BytesIO()
    Image.new("RGB", (2400, 1800), "red").save(out, "JPEG")
    return SimpleUploadedFile("visit.jpg", out.getvalue(), content_type="image/jpeg")


def test_a_member_records_a_visit_with_a_photo_and_needs(
    client, world, alone, now, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    [person] = people(world.a.grid, alone, 1)
    category = Category.objects.order_by("pk").first() or Category.objects.create(
        code="demand", name="诉求"
    )
    client.force_login(world.a.grid_member)
    page = client.get(f"/care/people/{person.pk}/")
    assert page.status_code == 200 and "data-visit-form" in page.content.decode()
    response = client.post(
        f"/care/people/{person.pk}/visit/",
        {
            "visited_on": "2026-11-10",
            "outcome": "needs",
            "note": "腿脚不便",
            "photo": _jpeg(),
            "need_1": "需要助餐服务",
            "need_1_department": "民政科",
            "need_2": "楼道灯坏了",
            "need_2_category": category.pk,
        },
    )
    assert response.status_code == 302
    visit = Visit.objects.get(resident=person)
    assert visit.visited_by == world.a.grid_member and visit.grid == world.a.grid
    with Image.open(visit.photo.path) as stored:
        assert max(stored.size) <= 1600
    needs = {n.text: n for n in visit.needs.all()}
    assert needs["需要助餐服务"].department == "民政科" and needs["需要助餐服务"].incident is None
    incident = needs["楼道灯坏了"].incident
    assert incident.grid == world.a.grid and incident.reported_by == world.a.grid_member
    assert Incident.objects.count() == 1
    assert CarePlan.objects.get(resident=person).next_due_on == datetime.date(2026, 11, 17)
    detail = client.get(f"/care/visits/{visit.pk}/").content.decode()
    assert "Member A" in detail and incident.number in detail
    assert client.get(f"/care/visits/{visit.pk}/photo/").status_code == 200


def test_a_visit_in_the_future_is_refused_and_explained(client, world, alone, now):
    [person] = people(world.a.grid, alone, 1)
    client.force_login(world.a.grid_member)
    response = client.post(
        f"/care/people/{person.pk}/visit/", {"visited_on": "2026-11-20", "outcome": "well"}
    )
    assert response.status_code == 400
    assert not Visit.objects.exists()


def test_a_visit_during_a_patrol_is_linked_to_it(client, world, alone, now):
    from tests.patrols.factories import make_patrol

    [person] = people(world.a.grid, alone, 1)
    patrol = make_patrol(world.a.grid, TODAY, member=world.a.grid_member, status="in_progress")
    client.force_login(world.a.grid_member)
    page = client.get(f"/patrols/{patrol.pk}/").content.decode()
    assert f'data-care-due="{person.pk}"' in page
    response = client.post(
        f"/care/people/{person.pk}/visit/",
        {"visited_on": "2026-11-12", "outcome": "well", "patrol": patrol.pk},
    )
    assert response.status_code == 302 and response["Location"].endswith("#before")
    assert Visit.objects.get(resident=person).patrol == patrol


def test_a_team_post_without_the_register_is_refused_the_list(client, world, alone, now):
    from grids.models import Role
    from tests.factories import make_post, make_user

    volunteer = make_user("volunteer_a")
    make_post(world.a.grid, Role.VOLUNTEER, volunteer)
    people(world.a.grid, alone, 1)
    client.force_login(volunteer)
    assert client.get("/care/").status_code == 403
    client.force_login(world.outsider)
    assert client.get("/care/").status_code == 403


@pytest.mark.parametrize("user", ["grid_member", "stationmaster"])
def test_the_home_page_costs_the_same_queries_with_more_people_due(client, world, alone, user):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    person = getattr(world.a, user)

    def queries():
        with time_machine.travel(local(TODAY, 10), tick=False):
            client.force_login(person)
            with CaptureQueriesContext(connection) as captured:
                assert client.get("/").status_code == 200
        return len(captured)

    people(world.a.grid, alone, 1)
    small = queries()
    people(world.a.grid, alone, 12)
    assert queries() == small


@pytest.mark.parametrize("value", [None, "", "T-01-01-02"])
def test_the_grid_filter_writes_the_html_of_djangos_select(value):
    choices = [
        ("", "All my grids"),
        ("T-01-01-01", 'One <&> "it\'s" “quoted”'),
        ("T-01-01-02", "Two"),
    ]
    attrs = {"id": "id_grid"}
    ours = Select(choices=choices).render("grid", value, attrs)
    assert ours == forms.Select(choices=choices).render("grid", value, attrs)
    assert ours.count("<option") == 3
