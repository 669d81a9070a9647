import datetime

import time_machine
from django.conf import settings

from grids.models import Absence, Area, User
from tests.factories import make_area, make_post

PINNED = time_machine.travel(datetime.datetime(2026, 11, 28, 9, 0, tzinfo=datetime.UTC))


def test_pages_need_a_login(client, world):
    for url in ["/", "/grids/", f"/grids/{world.a.grid.code}/", "/notifications/"]:
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/login/")


def test_home_lists_the_users_posts(client, world):
    client.force_login(world.a.grid_member)
    response = client.get("/")
    assert response.status_code == 200
    assert world.a.grid.code in response.content.decode()
    assert "Grid member" in response.content.decode()


def test_grid_list_shows_only_grids_in_scope(client, world):
    client.force_login(world.a.stationmaster)
    body = client.get("/grids/").content.decode()
    assert world.a.grid.code in body and world.a.other_grid.code in body
    assert world.b.grid.code not in body


def test_grid_list_filters_and_sorts(client, world):
    client.force_login(world.district_officer)
    body = client.get("/grids/", {"community": world.b.community.pk}).content.decode()
    assert world.b.grid.code in body and world.a.grid.code not in body
    body = client.get("/grids/", {"sort": "-code"}).content.decode()
    assert body.index(world.b.other_grid.code) < body.index(world.a.grid.code)
    body = client.get("/grids/", {"q": world.a.other_grid.code}).content.decode()
    assert world.a.other_grid.code in body and world.a.grid.code + "<" not in body


def test_grid_list_paginates(client, world):
    for g in range(30):
        make_area(Area.Kind.GRID, world.a.community, code=f"T-01-01-X{g:02d}")
    client.force_login(world.a.stationmaster)
    first = client.get("/grids/")
    assert len(first.context["page"].object_list) == 25
    second = client.get("/grids/", {"page": 2})
    assert len(second.context["page"].object_list) == 32 - 25


def test_grid_list_query_count_does_not_grow(client, world, django_assert_num_queries):
    client.force_login(world.district_officer)
    # session, user, posts (scope), communities for the filter, count, page, unread count
    with django_assert_num_queries(7):
        client.get("/grids/")
    for g in range(20):
        make_area(Area.Kind.GRID, world.b.community, code=f"T-01-02-Y{g:02d}")
    with django_assert_num_queries(7):
        client.get("/grids/")


@PINNED
def test_grid_page_shows_the_team_and_who_is_acting(client, world):
    Absence.objects.create(
        user=world.a.grid_member,
        starts_on=datetime.date(2026, 11, 27),
        ends_on=datetime.date(2026, 11, 29),
        reason="leave",
    )
    client.force_login(world.a.grid_leader)
    response = client.get(f"/grids/{world.a.grid.code}/")
    assert response.status_code == 200
    team = {row["post"].role: row for row in response.context["team"]}
    assert team["grid_member"]["acting"] == world.a.grid_member_b
    assert team["grid_member"]["a_absent"]
    assert team["grid_leader"]["acting"] == world.a.grid_leader
    assert "Backup A" in response.content.decode()


def test_grid_page_query_count_does_not_grow_with_the_team(
    client, world, django_assert_num_queries
):
    client.force_login(world.a.stationmaster)
    url = f"/grids/{world.a.grid.code}/"
    # session, user, posts (scope), grid, team, the community's stationmaster post (who
    # acts while A and B are both away), who is away, buildings, unread count
    with django_assert_num_queries(9):
        client.get(url)
    building = world.a.grid.children.first()
    for _ in range(5):
        make_post(building, "building_leader")
    with django_assert_num_queries(9):
        client.get(url)


def test_a_grid_outside_scope_is_404(client, world):
    client.force_login(world.a.grid_member)
    assert client.get(f"/grids/{world.a.other_grid.code}/").status_code == 404
    assert client.get("/grids/NO-SUCH-GRID/").status_code == 404


def test_the_language_choice_is_remembered_for_the_user(client, world):
    client.force_login(world.a.grid_member)
    response = client.post("/accounts/language/", {"language": "zh-hans", "next": "/grids/"})
    assert response.status_code == 302 and response["Location"] == "/grids/"
    assert User.objects.get(pk=world.a.grid_member.pk).language == "zh-hans"
    # A new device without the cookie still gets Chinese.
    client.cookies.pop(settings.LANGUAGE_COOKIE_NAME)
    body = client.get("/grids/").content.decode()
    assert "网格" in body


def test_the_language_switch_refuses_other_sites(client, world):
    client.force_login(world.a.grid_member)
    response = client.post(
        "/accounts/language/", {"language": "en", "next": "https://evil.example/"}
    )
    assert response["Location"] == "/"


def test_repeated_failed_logins_lock_the_account(client, world):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post("/accounts/login/", {"username": "gm_a", "password": "wrong"})
    response = client.post("/accounts/login/", {"username": "gm_a", "password": "pw-test-2026"})
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session


def test_login_with_the_right_password_reaches_home(client, world):
    response = client.post(
        "/accounts/login/", {"username": "gm_a", "password": "pw-test-2026"}, follow=True
    )
    assert response.redirect_chain[-1][0] == "/"
    assert response.context["user"] == world.a.grid_member


def test_password_change(client, world):
    client.force_login(world.a.grid_member)
    response = client.post(
        "/accounts/password/",
        {
            "old_password": "pw-test-2026",
            "new_password1": "a-much-better-secret-41",
            "new_password2": "a-much-better-secret-41",
        },
    )
    assert response.status_code == 302
    assert User.objects.get(pk=world.a.grid_member.pk).check_password("a-much-better-secret-41")
