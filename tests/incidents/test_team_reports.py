"""Every team post (building and unit leaders, volunteers, party members, patrol members,
community police) reports a matter in its area with the short form, and follows what it
reported or was asked to help with; community police see the public-security incidents of
their grids."""

import io
import uuid

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from grids.models import Area, Role
from incidents import services
from incidents.models import Category, Incident
from meetings.models import ActionItem
from tests.factories import make_post, make_user
from tests.incidents.factories import make_incident
from tests.meetings.test_agenda import make_meeting

pytestmark = pytest.mark.django_db
REPORT = "/incidents/new/"


def _photo(size=(2400, 1800)):
    buffer = io.BytesIO()
    Image.new("RGB", size, "teal").save(buffer, "PNG")
    return SimpleUploadedFile("stairs.png", buffer.getvalue(), content_type="image/png")


def _category(code):
    return Category.objects.get(code=code)


def _member(area, role, username):
    user = make_user(username)
    make_post(area, role, user)
    return user


def _building(grid):
    return grid.children.get(kind=Area.Kind.BUILDING)


def _post(client, grid, **fields):
    data = {
        "grid": grid.pk,
        "category": _category("sanitation").pk,
        "place": "3单元楼道",
        "text": "楼道堆满纸箱\n挡住了消防通道",
        **fields,
    }
    return client.post(REPORT, data)


def test_the_report_url_is_named_incidents_report():
    assert reverse("incidents:report") == REPORT


def test_a_volunteer_files_a_team_matter_with_a_photo_in_their_grid(
    client, world, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    volunteer = _member(world.a.grid, Role.VOLUNTEER, "vol")
    client.force_login(volunteer)
    page = client.get(REPORT).content.decode()
    assert 'name="photo"' in page and 'name="household"' not in page
    assert 'name="resident"' not in page and "data-outbox-form" in page

    response = _post(client, world.a.grid, photo=_photo())

    incident = Incident.objects.get()
    assert response.status_code == 302 and response.url == incident.get_absolute_url()
    assert incident.grid == world.a.grid
    assert incident.source == Incident.Source.TEAM
    assert incident.reported_by == volunteer
    assert incident.first_responsible == volunteer
    assert incident.title == "楼道堆满纸箱"
    assert incident.description == "3单元楼道: 楼道堆满纸箱\n挡住了消防通道"
    with Image.open(incident.photo.path) as stored:
        assert max(stored.size) == 1600 and stored.format == "JPEG"
    assert client.get(incident.get_absolute_url()).status_code == 200
    photo = client.get(reverse("incidents:photo", args=[incident.number]))
    assert photo.status_code == 200
    client.force_login(world.b.stationmaster)
    assert client.get(reverse("incidents:photo", args=[incident.number])).status_code == 404


@pytest.mark.parametrize("kind", [Area.Kind.BUILDING, Area.Kind.UNIT])
def test_a_building_or_unit_leader_files_in_the_grid_holding_their_post(client, world, kind):
    building = _building(world.a.grid)
    area = building if kind == Area.Kind.BUILDING else building.children.get()
    role = Role.BUILDING_LEADER if kind == Area.Kind.BUILDING else Role.UNIT_LEADER
    leader = _member(area, role, "leader")
    client.force_login(leader)
    form = client.get(REPORT).context["form"]
    assert list(form.fields["grid"].queryset) == [world.a.grid]
    assert form.initial["building"] == building.pk

    _post(client, world.a.grid, building=building.pk)

    incident = Incident.objects.get()
    assert (incident.grid, incident.building) == (world.a.grid, building)
    assert incident.source == Incident.Source.TEAM
    assert incident.first_responsible == leader
    # What they reported they can open; the rest of the grid's incidents they cannot.
    assert client.get(incident.get_absolute_url()).status_code == 200
    other = make_incident(world.a.grid, world.a.grid_member)
    assert client.get(other.get_absolute_url()).status_code == 404


@pytest.mark.parametrize(
    "role", [Role.VOLUNTEER, Role.BUILDING_LEADER, Role.COMMUNITY_POLICE, Role.PARTY_MEMBER]
)
def test_a_team_member_cannot_file_outside_their_area(client, world, role):
    area = _building(world.a.grid) if role == Role.BUILDING_LEADER else world.a.grid
    client.force_login(_member(area, role, "someone"))
    for grid in (world.a.other_grid, world.b.grid):
        response = _post(client, grid)
        assert response.status_code == 200
        assert response.context["form"].errors["grid"]
    other_building = _building(world.a.other_grid)
    response = _post(client, world.a.grid, building=other_building.pk)
    assert response.context["form"].errors["building"]
    assert not Incident.objects.exists()


def test_community_police_file_a_security_matter_and_are_its_first_responsible(client, world):
    police = _member(world.a.community, Role.COMMUNITY_POLICE, "police")
    client.force_login(police)
    grids = client.get(REPORT).context["form"].fields["grid"].queryset
    assert set(grids) == {world.a.grid, world.a.other_grid}
    _post(client, world.a.other_grid, category=_category("security").pk)
    incident = Incident.objects.get()
    assert (incident.grid, incident.source) == (world.a.other_grid, Incident.Source.TEAM)
    assert incident.first_responsible == police == incident.reported_by


def test_police_see_only_the_public_security_incidents_of_their_grids(client, world):
    police = _member(world.a.grid, Role.COMMUNITY_POLICE, "police")
    security, sanitation = _category("security"), _category("sanitation")
    theirs = make_incident(world.a.grid, world.a.grid_member, category=security)
    not_security = make_incident(world.a.grid, world.a.grid_member, category=sanitation)
    other_grid = make_incident(world.a.other_grid, world.a.stationmaster, category=security)
    other_community = make_incident(world.b.grid, world.b.grid_member, category=security)
    client.force_login(police)

    response = client.get("/incidents/")

    assert response.context["view"] == "security"
    assert [i.pk for i in response.context["page"].object_list] == [theirs.pk]
    assert client.get(theirs.get_absolute_url()).status_code == 200
    for hidden in (not_security, other_grid, other_community):
        assert client.get(hidden.get_absolute_url()).status_code == 404


def test_a_new_public_security_category_reaches_the_police(client, world):
    police = _member(world.a.grid, Role.COMMUNITY_POLICE, "police")
    fraud = Category.objects.create(code="fraud", name="电信诈骗", is_public_security=True)
    incident = make_incident(world.a.grid, world.a.grid_member, category=fraud)
    client.force_login(police)
    assert client.get(incident.get_absolute_url()).status_code == 200


@pytest.mark.parametrize("role", [Role.VOLUNTEER, Role.PARTY_MEMBER])
def test_volunteers_and_party_members_see_what_they_reported_and_were_asked_to_help_with(
    client, world, role
):
    helper = _member(world.a.grid, role, "helper")
    reported = make_incident(world.a.grid, helper, source=Incident.Source.TEAM)
    asked = make_incident(world.a.grid, world.a.grid_member)
    meeting = make_meeting(world.a.community, asked.filed_at, with_participants=False)
    ActionItem.objects.create(
        meeting=meeting,
        text="帮忙劝说",
        owner=helper,
        due_on=asked.filed_at.date(),
        incident=asked,
        created_by=world.a.stationmaster,
    )
    others = make_incident(world.a.grid, world.a.grid_member)
    client.force_login(helper)

    mine = client.get("/incidents/").context
    assert mine["view"] == "reported"
    assert [i.pk for i in mine["page"].object_list] == [reported.pk]
    asked_list = client.get("/incidents/?view=asked").context["page"].object_list
    assert [i.pk for i in asked_list] == [asked.pk]
    assert client.get(asked.get_absolute_url()).status_code == 200
    assert client.get(others.get_absolute_url()).status_code == 404
    assert client.get("/incidents/?view=community").context["view"] == "reported"


def test_grid_workers_keep_the_full_form_and_their_tabs(client, world):
    client.force_login(world.a.grid_member)
    page = client.get(REPORT)
    assert "household" in page.context["form"].fields
    assert client.get("/incidents/").context["view"] == "mine"


def test_the_phone_outbox_files_a_report_once_and_hears_why_one_is_refused(client, world):
    volunteer = _member(world.a.grid, Role.VOLUNTEER, "vol")
    client.force_login(volunteer)
    token = client.get(REPORT).context["form"]["once"].value()
    client_id = str(uuid.uuid4())
    sent = {
        "grid": world.a.grid.pk,
        "category": _category("facility").pk,
        "text": "路灯不亮",
        "once": token,
        "client_id": client_id,
        "observed_at": "2026-12-03T08:00:00Z",
    }
    first = client.post(REPORT, sent, headers={"accept": "application/json"})
    again = client.post(REPORT, sent, headers={"accept": "application/json"})
    # A second report from the same page keeps the page's token but has its own id.
    second = client.post(
        REPORT,
        {**sent, "client_id": str(uuid.uuid4()), "text": "井盖松动"},
        headers={"accept": "application/json"},
    )
    refused = client.post(
        REPORT,
        {**sent, "client_id": str(uuid.uuid4()), "grid": world.b.grid.pk},
        headers={"accept": "application/json"},
    )

    assert (first.status_code, again.status_code, second.status_code) == (201, 200, 201)
    assert first.json()["created"] and not again.json()["created"]
    assert refused.status_code == 400 and refused.json()["reason"].startswith("Grid")
    assert sorted(Incident.objects.values_list("title", flat=True)) == ["井盖松动", "路灯不亮"]
    recent = client.get(f"{REPORT}?recent=1").content.decode()
    assert "data-observations" in recent and "井盖松动" in recent


def test_someone_without_a_post_may_not_report(client, world):
    client.force_login(world.outsider)
    assert client.get(REPORT).status_code == 403


def _list_queries(client, django_assert_num_queries, expected, url="/incidents/"):
    with django_assert_num_queries(expected):
        response = client.get(url)
    assert response.status_code == 200
    return response


@pytest.mark.parametrize("rows", [1, 6])
def test_the_police_list_runs_a_fixed_number_of_queries(
    client, world, django_assert_num_queries, rows
):
    police = _member(world.a.grid, Role.COMMUNITY_POLICE, "police")
    for _ in range(rows):
        make_incident(world.a.grid, world.a.grid_member, category=_category("security"))
    client.force_login(police)
    # session, user, the scope's posts, the page's count, the page, the category choices,
    # the inbox's unread count
    response = _list_queries(client, django_assert_num_queries, 7)
    assert len(response.context["page"].object_list) == rows


@pytest.mark.parametrize("rows", [1, 6])
def test_the_team_report_page_runs_a_fixed_number_of_queries(
    client, world, django_assert_num_queries, rows
):
    volunteer = _member(world.a.grid, Role.VOLUNTEER, "vol")
    for _ in range(rows):
        make_incident(world.a.grid, volunteer, source=Incident.Source.TEAM)
    client.force_login(volunteer)
    # session, user, the scope's posts, the grids (exists, then the only one), the
    # buildings, the categories, the latest reports, the inbox's unread count
    response = _list_queries(client, django_assert_num_queries, 9, REPORT)
    assert len(response.context["incidents"]) == min(rows, 5)


def test_the_incident_page_shows_its_photo_to_those_who_may_open_it(
    client, world, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    volunteer = _member(world.a.grid, Role.VOLUNTEER, "vol")
    client.force_login(volunteer)
    _post(client, world.a.grid, photo=_photo((40, 30)))
    incident = Incident.objects.get()
    photo_url = reverse("incidents:photo", args=[incident.number])
    client.force_login(world.a.grid_member)
    assert photo_url in client.get(incident.get_absolute_url()).content.decode()
    assert client.get(photo_url).status_code == 200


def test_a_team_posts_home_page_leads_to_the_report_page(client, world):
    client.force_login(_member(_building(world.a.grid), Role.BUILDING_LEADER, "leader"))
    home = client.get("/").content.decode()
    assert f'data-home="report"><a class="btn btn-primary btn-lg w-100" href="{REPORT}"' in home
    client.force_login(world.a.grid_member)
    assert 'data-home="report"' not in client.get("/").content.decode()


def test_a_volunteer_offered_a_handover_opens_the_incident_and_takes_it_over(client, world):
    """A handover is how the product asks someone to take a matter on: it may be offered to
    a volunteer anywhere in the community, who must be able to open it to answer."""
    volunteer = _member(world.a.other_grid, Role.VOLUNTEER, "vol")
    incident = make_incident(world.a.grid, world.a.grid_member)
    client.force_login(volunteer)
    assert client.get(incident.get_absolute_url()).status_code == 404

    handover = services.request_handover(incident, by=world.a.grid_member, to=volunteer)

    page = client.get("/incidents/?view=asked").context["page"].object_list
    assert [i.pk for i in page] == [incident.pk]
    assert client.get(incident.get_absolute_url()).status_code == 200
    client.post(f"{incident.get_absolute_url()}handovers/{handover.pk}/", {"decision": "accept"})
    incident.refresh_from_db()
    assert incident.first_responsible == volunteer
    assert client.get(incident.get_absolute_url()).status_code == 200
