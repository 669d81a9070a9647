"""Reporting incidents: the report form, duplicate suggestions, and one tap from a patrol
observation."""

import datetime
import re

import pytest
from django.utils import timezone

from grids.models import Area
from incidents import services
from incidents.models import Category, Incident, TimeLimit
from patrols.models import Observation, Patrol
from tests.factories import make_household, make_resident

REPORT = "/incidents/new/"


def building_of(grid):
    return Area.objects.get(parent=grid, kind=Area.Kind.BUILDING)


def category(code):
    return Category.objects.get(code=code)


def file(grid, by, code="sanitation", **fields):
    """An incident filed through the service, as the form would."""
    fields.setdefault("title", "楼道堆放杂物")
    fields.setdefault("source", Incident.Source.WALK_IN)
    return services.open_incident(grid=grid, category=category(code), by=by, **fields)


def report_data(grid, **overrides):
    data = {
        "grid": grid.pk,
        "building": building_of(grid).pk,
        "household": "",
        "category": category("sanitation").pk,
        "urgency": "normal",
        "title": "化粪池渗漏",
        "description": "3单元门口有异味",
        "source": "walk_in",
        "reporter_kind": "named",
        "resident": "",
        "reporter_name": "王女士",
        "reporter_phone": "139 1234 5678",
    }
    data.update(overrides)
    return data


def patrol_of(member, grid):
    return Patrol.objects.create(
        grid=grid,
        member=member,
        day=timezone.localdate(),
        slot="am",
        started_at=timezone.now() - datetime.timedelta(minutes=30),
    )


def observation_of(patrol, **fields):
    fields.setdefault("category", Observation.Category.SANITATION)
    fields.setdefault("text", "垃圾桶已满未清运\n北门")
    return Observation.objects.create(patrol=patrol, is_follow_up=True, **fields)


# --- The report form ---


def test_a_grid_member_files_a_walk_in_report(client, world):
    TimeLimit.objects.filter(category=category("sanitation"), urgency="normal").update(hours=16)
    household = make_household(world.a.grid)
    client.force_login(world.a.grid_member)

    response = client.post(REPORT, report_data(world.a.grid, household=household.pk))

    incident = Incident.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/incidents/{incident.number}/"
    assert re.fullmatch(r"\d{4}-\d{6}", incident.number)
    assert incident.number.startswith(str(timezone.localdate().year))
    assert incident.grid == world.a.grid
    assert incident.building == building_of(world.a.grid)
    assert incident.household == household
    assert incident.first_responsible == world.a.grid_member
    assert incident.reported_by == world.a.grid_member
    assert (incident.reporter_name, incident.reporter_phone) == ("王女士", "13912345678")
    assert not incident.is_anonymous
    assert incident.source == Incident.Source.WALK_IN
    assert [(e.action, e.to_status) for e in incident.timeline.all()] == [("report", "reported")]
    # The limit is the table's when filed, and stays so when the table changes.
    assert incident.limit_hours == 16
    TimeLimit.objects.filter(category=category("sanitation"), urgency="normal").update(hours=40)
    incident.refresh_from_db()
    assert incident.limit_hours == 16


def test_the_next_report_takes_the_next_number(client, world):
    first = file(world.a.grid, world.a.grid_member)
    client.force_login(world.a.stationmaster)
    client.post(REPORT, report_data(world.a.other_grid))
    second = Incident.objects.exclude(pk=first.pk).get()
    year, n = first.number.split("-")
    assert second.number == f"{year}-{int(n) + 1:06d}"


def test_a_resident_from_the_register_reports_by_phone(client, world):
    resident = make_resident(make_household(world.a.grid))
    client.force_login(world.a.grid_member)
    response = client.post(
        REPORT,
        report_data(
            world.a.grid,
            source="phone",
            reporter_kind="resident",
            resident=resident.pk,
            reporter_name="",
            reporter_phone="",
        ),
    )
    assert response.status_code == 302
    incident = Incident.objects.get()
    assert incident.reporter_resident == resident
    assert incident.household == resident.household
    assert incident.source == Incident.Source.PHONE


def test_an_anonymous_report_keeps_no_name(client, world):
    client.force_login(world.a.grid_member)
    client.post(REPORT, report_data(world.a.grid, reporter_kind="anonymous", reporter_name=""))
    incident = Incident.objects.get()
    assert incident.is_anonymous
    assert incident.reporter_name == ""


@pytest.mark.parametrize(
    "overrides,field",
    [
        ({"building": "other grid"}, "building"),
        ({"household": "other grid"}, "household"),
        ({"household": "999999"}, "household"),
        ({"reporter_kind": "named", "reporter_name": " "}, "reporter_name"),
        ({"reporter_kind": "resident", "resident": ""}, "resident"),
        ({"reporter_kind": "resident", "resident": "community b"}, "resident"),
        ({"reporter_phone": "12ab"}, "reporter_phone"),
        ({"grid": "community b"}, "grid"),
    ],
)
def test_bad_input_is_explained_on_its_field_and_nothing_is_saved(client, world, overrides, field):
    values = {
        "other grid": {
            "building": building_of(world.a.other_grid).pk,
            "household": make_household(world.a.other_grid).pk,
        },
        "community b": {
            "resident": make_resident(make_household(world.b.grid)).pk,
            "grid": world.b.grid.pk,
        },
    }
    data = report_data(world.a.grid)
    for key, value in overrides.items():
        data[key] = values[value][key] if value in values else value
    client.force_login(world.a.grid_member)

    response = client.post(REPORT, data)

    assert response.status_code == 200
    assert list(response.context["form"].errors) == [field]
    assert not Incident.objects.exists()


def test_the_form_offers_only_the_users_grids_and_their_buildings(client, world):
    client.force_login(world.a.grid_member)
    response = client.get(REPORT)
    form = response.context["form"]
    assert list(form.fields["grid"].queryset) == [world.a.grid]
    assert list(form.fields["building"].queryset) == [building_of(world.a.grid)]
    assert 'hx-get="/incidents/duplicates/"' in response.content.decode()

    client.force_login(world.a.stationmaster)
    form = client.get(REPORT).context["form"]
    assert set(form.fields["grid"].queryset) == {world.a.grid, world.a.other_grid}


def test_someone_without_a_grid_to_report_in_gets_403(client, world):
    client.force_login(world.outsider)
    assert client.get(REPORT).status_code == 403
    assert client.post(REPORT, report_data(world.a.grid)).status_code == 403
    assert not Incident.objects.exists()


def test_anonymous_users_are_sent_to_log_in(client, world):
    response = client.get(REPORT)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


# --- Duplicate suggestions ---


def duplicates(client, grid, code, building=None):
    params = {"grid": grid.pk, "category": category(code).pk}
    if building is not None:
        params["building"] = building.pk
    return client.get("/incidents/duplicates/", params).content.decode()


def test_open_incidents_like_the_one_being_reported_are_suggested(client, world):
    building = building_of(world.a.grid)
    same = file(world.a.grid, world.a.grid_member, building=building)
    elsewhere = file(world.a.grid, world.a.grid_member)  # no building
    other_category = file(world.a.grid, world.a.grid_member, "facility", building=building)
    old = file(
        world.a.grid,
        world.a.grid_member,
        building=building,
        at=timezone.now() - datetime.timedelta(days=8),
    )
    closed = file(world.a.grid, world.a.grid_member, building=building)
    Incident.objects.filter(pk=closed.pk).update(status=Incident.Status.CLOSED)
    client.force_login(world.a.grid_member)

    html = duplicates(client, world.a.grid, "sanitation", building)

    assert same.number in html
    assert f'href="/incidents/{same.number}/"' in html
    for other in (elsewhere, other_category, old, closed):
        assert other.number not in html
    # Without a building, the grid's same-category incidents are suggested.
    html = duplicates(client, world.a.grid, "sanitation")
    assert same.number in html and elsewhere.number in html
    assert duplicates(client, world.a.grid, "dispute").strip() == ""


def test_duplicate_suggestions_keep_to_what_the_user_may_see(client, world):
    petition = file(world.a.grid, world.a.stationmaster, "petition")
    in_b = file(world.b.grid, world.b.grid_member)
    client.force_login(world.a.grid_member)
    assert petition.number not in duplicates(client, world.a.grid, "petition")
    assert in_b.number not in duplicates(client, world.b.grid, "sanitation")
    client.force_login(world.a.stationmaster)
    assert petition.number in duplicates(client, world.a.grid, "petition")


# --- One tap from a patrol observation ---


def from_observation(client, observation):
    return client.post(f"/incidents/from-observation/{observation.pk}/")


def test_one_tap_turns_an_observation_into_an_incident(client, world):
    building = building_of(world.a.grid)
    observation = observation_of(patrol_of(world.a.grid_member, world.a.grid), building=building)
    client.force_login(world.a.grid_member)

    response = from_observation(client, observation)

    incident = Incident.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/incidents/{incident.number}/"
    assert incident.observation == observation
    assert incident.category.code == "sanitation"
    assert incident.source == Incident.Source.PATROL
    assert incident.grid == world.a.grid
    assert incident.building == building
    assert incident.title == "垃圾桶已满未清运"
    assert "北门" in incident.description
    assert incident.first_responsible == world.a.grid_member
    assert incident.timeline.get().action == "report"
    observation.refresh_from_db()
    assert not observation.is_follow_up

    # A second tap leads to the same incident.
    again = from_observation(client, observation)
    assert again["Location"] == f"/incidents/{incident.number}/"
    assert Incident.objects.count() == 1


def test_an_observation_category_maps_to_the_incident_category_of_that_code(client, world):
    patrol = patrol_of(world.a.grid_member, world.a.grid)
    client.force_login(world.a.grid_member)
    for code in ("security", "dispute", "demand", "other"):
        from_observation(client, observation_of(patrol, category=code, text=code))
        assert Incident.objects.get(title=code).category.code == code


def test_a_missing_category_falls_back_to_the_first_and_none_is_created(client, world):
    Category.objects.filter(code="population").delete()
    first = Category.objects.order_by("pk").first()
    patrol = patrol_of(world.a.grid_member, world.a.grid)
    client.force_login(world.a.grid_member)
    from_observation(client, observation_of(patrol, category="population"))
    assert Incident.objects.get().category == first
    assert not Category.objects.filter(code="population").exists()


def test_the_stationmaster_may_report_a_members_observation(client, world):
    observation = observation_of(patrol_of(world.a.grid_member, world.a.grid))
    client.force_login(world.a.stationmaster)
    assert from_observation(client, observation).status_code == 302
    assert Incident.objects.get().first_responsible == world.a.stationmaster


def test_a_grid_worker_who_did_not_patrol_gets_403(client, world):
    observation = observation_of(patrol_of(world.a.grid_member, world.a.grid))
    client.force_login(world.a.grid_leader)
    assert from_observation(client, observation).status_code == 403
    assert not Incident.objects.exists()


def test_another_communitys_observation_is_404(client, world):
    observation = observation_of(patrol_of(world.b.grid_member, world.b.grid))
    for user in (world.a.grid_member, world.a.stationmaster, world.outsider):
        client.force_login(user)
        assert from_observation(client, observation).status_code == 404
    assert not Incident.objects.exists()


def test_one_tap_is_post_only(client, world):
    observation = observation_of(patrol_of(world.a.grid_member, world.a.grid))
    client.force_login(world.a.grid_member)
    assert client.get(f"/incidents/from-observation/{observation.pk}/").status_code == 405


def test_the_patrol_page_offers_the_tap_then_links_the_incident(client, world):
    patrol = patrol_of(world.a.grid_member, world.a.grid)
    observation = observation_of(patrol)
    client.force_login(world.a.grid_member)
    action = f'action="/incidents/from-observation/{observation.pk}/"'

    for url in (patrol.get_absolute_url(), f"{patrol.get_absolute_url()}observations/"):
        html = client.get(url).content.decode()
        assert action in html
        assert 'name="csrfmiddlewaretoken"' in html.split(action)[1].split("</form>")[0]

    from_observation(client, observation)
    number = Incident.objects.get().number
    html = client.get(patrol.get_absolute_url()).content.decode()
    assert action not in html
    assert f'href="/incidents/{number}/"' in html
