"""The standing meetings and who they invite: the monthly review invites the building leaders
and community police of the community's grids by default, and the station changes a series'
posts on its page, the planned meetings following."""

import datetime
import io
from pathlib import Path

import pytest
import time_machine
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

import incidents
from grids.models import Area, Post, Role
from meetings import schedule
from meetings.models import Kind, Meeting, MeetingSeries, Participant
from tests.factories import make_area, make_community, make_post, make_user

pytestmark = pytest.mark.django_db

HOLIDAYS = str(Path(incidents.__file__).parent / "data" / "cn-public-holidays-2026.csv")
ZONE = timezone.get_fixed_timezone(8 * 60)


@pytest.fixture(autouse=True)
def holidays_2026(db):
    call_command("load_holidays", HOLIDAYS, stdout=io.StringIO())


@pytest.fixture
def october():
    """20 October 2026, 08:00 local: the November review is still to come."""
    with time_machine.travel(datetime.datetime(2026, 10, 20, 8, tzinfo=ZONE), tick=False):
        yield


@pytest.fixture
def team(world):
    """Community A's other roles: a building leader in each grid, a unit leader, the
    community police at the community and at a grid, and a volunteer; a building leader of
    community B."""
    a = world.a
    buildings = [g.children.get(kind=Area.Kind.BUILDING) for g in (a.grid, a.other_grid)]
    found = {
        "building_1": make_post(buildings[0], Role.BUILDING_LEADER, make_user("bl_1")),
        "building_2": make_post(buildings[1], Role.BUILDING_LEADER, make_user("bl_2")),
        "unit": make_post(buildings[0].children.get(), Role.UNIT_LEADER, make_user("ul_1")),
        "police": make_post(a.community, Role.COMMUNITY_POLICE, make_user("police_c")),
        "grid_police": make_post(a.grid, Role.COMMUNITY_POLICE, make_user("police_g")),
        "volunteer": make_post(a.grid, Role.VOLUNTEER, make_user("vol_1")),
        "b_building": make_post(
            world.b.grid.children.get(kind=Area.Kind.BUILDING),
            Role.BUILDING_LEADER,
            make_user("bl_b"),
        ),
    }
    return found


def test_the_monthly_review_invites_building_leaders_and_police_by_default(world, team):
    weekly, monthly = schedule.ensure_series(world.a.community)
    station_and_grids = {
        Post.objects.get(area=world.a.community, role=Role.STATIONMASTER),
        Post.objects.get(area=world.a.grid, role=Role.GRID_LEADER),
        Post.objects.get(area=world.a.grid, role=Role.GRID_MEMBER),
    }
    assert set(weekly.posts.all()) == station_and_grids
    extra = {team[k] for k in ("building_1", "building_2", "police", "grid_police")}
    assert set(monthly.posts.all()) == station_and_grids | extra
    # Not the unit leader or the volunteer, and nobody of community B.
    assert not {team["unit"], team["volunteer"], team["b_building"]} & set(monthly.posts.all())


def test_a_new_monthly_meeting_invites_them(world, team, october):
    _weekly, monthly = schedule.ensure_series(world.a.community)
    schedule.plan_meetings()
    meeting = Meeting.objects.filter(series=monthly).order_by("starts_at").first()
    assert meeting is not None and meeting.kind == Kind.MONTHLY
    invited = set(meeting.participants.values_list("user__username", flat=True))
    assert {"bl_1", "bl_2", "police_c", "police_g", "sm_a", "gl_a", "gm_a"} == invited
    weekly_meeting = Meeting.objects.filter(series=_weekly).first()
    assert "bl_1" not in set(weekly_meeting.participants.values_list("user__username", flat=True))


def test_a_building_leader_opens_the_review_he_is_invited_to(client, world, team, october):
    _weekly, monthly = schedule.ensure_series(world.a.community)
    schedule.plan_meetings()
    meeting = Meeting.objects.filter(series=monthly).order_by("starts_at").first()
    client.force_login(team["building_1"].holder_a)
    response = client.get(f"/meetings/{meeting.pk}/")
    assert response.status_code == 200
    assert f"/meetings/{meeting.pk}/" in client.get("/meetings/").content.decode()
    # He reads it; he does not edit it, nor the series.
    assert client.post(f"/meetings/{meeting.pk}/minutes/", {"minutes": "x"}).status_code == 403
    assert client.get(f"/meetings/series/{monthly.pk}/").status_code == 404


def test_the_stationmaster_changes_who_a_series_invites(client, world, team, october):
    weekly, monthly = schedule.ensure_series(world.a.community)
    schedule.plan_meetings()
    planned = Meeting.objects.filter(series=monthly, starts_at__gt=timezone.now()).first()
    assert planned is not None
    client.force_login(world.a.stationmaster)
    page = client.get(f"/meetings/series/{monthly.pk}/")
    assert page.status_code == 200
    body = page.content.decode()
    # Every post of the community is offered, the invited ones ticked.
    for post in team.values():
        if post is team["b_building"]:
            assert f'value="{post.pk}"' not in body
        else:
            assert f'value="{post.pk}"' in body
    assert set(page.context["form"]["posts"].value()) == {p.pk for p in monthly.posts.all()}

    # Take the grid police off, add the unit leader and the volunteer.
    keep = set(monthly.posts.exclude(pk=team["grid_police"].pk).values_list("pk", flat=True))
    chosen = keep | {team["unit"].pk, team["volunteer"].pk}
    response = client.post(f"/meetings/series/{monthly.pk}/", {"posts": sorted(chosen)})
    assert response.status_code == 302
    assert set(monthly.posts.values_list("pk", flat=True)) == chosen
    invited = set(planned.participants.values_list("user__username", flat=True))
    assert {"ul_1", "vol_1"} <= invited and "police_g" not in invited
    # The history names who changed it.
    assert monthly.history.filter(history_user=world.a.stationmaster).exists()
    # The weekly series is untouched.
    assert team["unit"] not in weekly.posts.all()

    # A post of another community is refused, and nothing changes.
    response = client.post(
        f"/meetings/series/{monthly.pk}/", {"posts": [*sorted(chosen), team["b_building"].pk]}
    )
    assert response.status_code == 200 and response.context["form"].errors
    assert set(monthly.posts.values_list("pk", flat=True)) == chosen


def test_a_held_meeting_keeps_its_record_when_the_posts_change(client, world, team):
    _weekly, monthly = schedule.ensure_series(world.a.community)
    past = timezone.now() - datetime.timedelta(days=3)
    held = Meeting.objects.create(
        series=monthly,
        community=world.a.community,
        kind=Kind.MONTHLY,
        scheduled_on=timezone.localdate(past),
        starts_at=past,
        ends_at=past + datetime.timedelta(hours=1),
    )
    Participant.objects.create(meeting=held, post=team["police"], user=team["police"].holder_a)
    client.force_login(world.a.stationmaster)
    keep = monthly.posts.exclude(pk=team["police"].pk).values_list("pk", flat=True)
    client.post(f"/meetings/series/{monthly.pk}/", {"posts": list(keep)})
    assert held.participants.filter(user=team["police"].holder_a).exists()


def test_only_the_communitys_supervisors_open_its_series(client, world, team):
    _weekly, monthly = schedule.ensure_series(world.a.community)
    url = f"/meetings/series/{monthly.pk}/"
    for user in (world.a.grid_leader, world.a.grid_member, world.b.stationmaster, world.outsider):
        client.force_login(user)
        assert client.get(url).status_code == 404, user
        assert client.post(url, {"posts": []}).status_code == 404, user
    assert monthly.posts.exists()
    for user in (world.a.stationmaster, world.district_officer):
        client.force_login(user)
        assert client.get(url).status_code == 200, user
    client.force_login(world.a.grid_member)
    assert client.get("/meetings/series/").status_code == 403
    # The community lies above his grid: outside his scope.
    assert client.post(f"/meetings/series/{world.a.community.code}/set-up/").status_code == 404


def test_the_station_sets_up_its_standing_meetings(client, world, team):
    client.force_login(world.a.stationmaster)
    body = client.get("/meetings/series/").content.decode()
    assert f"/meetings/series/{world.a.community.code}/set-up/" in body
    assert world.b.community.code not in body
    response = client.post(f"/meetings/series/{world.a.community.code}/set-up/")
    assert response.status_code == 302
    monthly = MeetingSeries.objects.get(community=world.a.community, kind=Kind.MONTHLY)
    assert team["building_1"] in monthly.posts.all()
    assert team["police"] in monthly.posts.all()
    assert not MeetingSeries.objects.filter(community=world.b.community).exists()
    client.force_login(world.b.stationmaster)
    assert client.post(f"/meetings/series/{world.a.community.code}/set-up/").status_code == 404


def test_the_series_page_query_count_does_not_grow(client, world, team, django_assert_num_queries):
    _weekly, monthly = schedule.ensure_series(world.a.community)
    url = f"/meetings/series/{monthly.pk}/"
    client.force_login(world.a.stationmaster)
    client.get(url)
    with CaptureQueriesContext(connection) as small:
        client.get(url)
    grid = world.a.grid
    for i in range(12):
        building = make_area(Area.Kind.BUILDING, grid, code=f"{grid.code}-X{i}")
        post = make_post(building, Role.BUILDING_LEADER, make_user(f"blx{i}"), make_user(f"bbx{i}"))
        monthly.posts.add(post)
    # The session, the user, the scope's posts, the series, its posts (ticked), the
    # community's posts with their areas and holders (the boxes), the unread notices.
    with django_assert_num_queries(len(small.captured_queries)):
        response = client.get(url)
    assert response.content.decode().count('type="checkbox"') >= 12 + 7
    assert len(small.captured_queries) <= 8, [q["sql"] for q in small.captured_queries]


def test_the_series_list_query_count_does_not_grow(client, world, django_assert_num_queries):
    schedule.ensure_series(world.a.community)
    client.force_login(world.district_officer)
    client.get("/meetings/series/")
    with CaptureQueriesContext(connection) as small:
        client.get("/meetings/series/")
    for i in range(6):
        community = make_community(world.street, f"T-01-{10 + i:02d}")
        schedule.ensure_series(community)
    # The session, the user, the scope's posts, the count, the page of communities, their
    # series with their post counts, the unread notices.
    with django_assert_num_queries(len(small.captured_queries)):
        response = client.get("/meetings/series/")
    assert len(response.context["page"].object_list) == 8
    assert len(small.captured_queries) <= 8, [q["sql"] for q in small.captured_queries]


def test_a_monthly_series_added_in_admin_without_posts_gets_the_defaults(client, world, team):
    admin = make_user("admin_x", is_staff=True, is_superuser=True)
    client.force_login(admin)
    response = client.post(
        "/admin/meetings/meetingseries/add/",
        {
            "community": world.a.community.pk,
            "kind": Kind.MONTHLY,
            "weekday": 0,
            "working_day": 2,
            "starts_at": "14:30",
            "duration_minutes": 90,
            "place": "",
            "is_active": "on",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    monthly = MeetingSeries.objects.get(community=world.a.community, kind=Kind.MONTHLY)
    assert set(monthly.posts.all()) == set(schedule.default_posts(world.a.community, Kind.MONTHLY))
    assert team["building_2"] in monthly.posts.all() and team["police"] in monthly.posts.all()
