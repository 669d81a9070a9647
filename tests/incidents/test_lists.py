"""The incident lists: mine, my grid's and my community's, their filters, who sees what, and
a query count that does not grow with the rows."""

import datetime
import re

import pytest
from django.db import connection
from django.utils import timezone

from incidents import services
from incidents.models import Category, Incident

LIST = "/incidents/"


def file(grid, by, code="sanitation", title=None, **fields):
    fields.setdefault("source", Incident.Source.WALK_IN)
    return services.open_incident(
        grid=grid, category=Category.objects.get(code=code), by=by, title=title or code, **fields
    )


def set_fields(incident, **fields):
    Incident.objects.filter(pk=incident.pk).update(**fields)
    incident.refresh_from_db()
    return incident


def listed(client, user, **params):
    """The incident numbers a list shows `user`, in order."""
    client.force_login(user)
    response = client.get(LIST, params)
    assert response.status_code == 200
    return re.findall(r'data-incident="([\d-]+)"', response.content.decode())


@pytest.fixture
def incidents(world):
    a, b = world.a, world.b
    found = {
        "mine": file(a.grid, a.grid_member, title="mine"),
        "handled": set_fields(file(a.grid, a.grid_leader, title="handled"), handler=a.grid_member),
        "leaders": file(a.grid, a.grid_leader, title="leaders"),
        "other_grid": file(a.other_grid, a.stationmaster, title="other grid"),
        "petition": set_fields(
            file(a.grid, a.stationmaster, "petition", title="petition"), handler=a.grid_leader
        ),
        "b": file(b.grid, b.grid_member, title="b"),
    }
    return {key: incident.number for key, incident in found.items()}


def test_mine_lists_what_i_handle_or_first_received(client, world, incidents):
    shown = listed(client, world.a.grid_member)  # the default tab
    assert set(shown) == {incidents["mine"], incidents["handled"]}
    assert listed(client, world.a.grid_member, view="mine") == shown


def test_my_grid_lists_my_grids_incidents(client, world, incidents):
    shown = listed(client, world.a.grid_member, view="grid")
    assert set(shown) == {incidents["mine"], incidents["handled"], incidents["leaders"]}


def test_my_community_lists_the_communitys_incidents_for_the_stationmaster(
    client, world, incidents
):
    shown = listed(client, world.a.stationmaster, view="community")
    assert set(shown) == {
        incidents[k] for k in ("mine", "handled", "leaders", "other_grid", "petition")
    }
    # Newest first.
    assert shown[0] == incidents["petition"]


def test_a_grid_member_sees_only_their_grid_in_the_community_tab(client, world, incidents):
    shown = listed(client, world.a.grid_member, view="community")
    assert set(shown) == {incidents["mine"], incidents["handled"], incidents["leaders"]}


def test_the_district_sees_every_community(client, world, incidents):
    shown = listed(client, world.district_officer, view="community")
    assert set(shown) == set(incidents.values())


def test_a_petition_is_hidden_from_grid_workers_who_do_not_handle_it(client, world, incidents):
    petition = incidents["petition"]
    for view in ("mine", "grid", "community"):
        for state in ("open", "all"):
            assert petition not in listed(client, world.a.grid_member, view=view, state=state)
    # Its handler sees it, and so does the station.
    assert petition in listed(client, world.a.grid_leader, view="mine")
    assert petition in listed(client, world.a.grid_leader, view="grid")
    assert petition in listed(client, world.a.stationmaster, view="community")


def test_the_other_community_and_outsiders_see_nothing(client, world, incidents):
    for view in ("mine", "grid", "community"):
        assert incidents["b"] not in listed(client, world.a.stationmaster, view=view)
        assert incidents["b"] not in listed(client, world.a.grid_member, view=view)
        assert listed(client, world.outsider, view=view) == []
    assert set(listed(client, world.b.stationmaster, view="community")) == {incidents["b"]}


def test_the_list_needs_a_login(client, world):
    response = client.get(LIST)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_filters_by_state(client, world, incidents):
    closed = Incident.objects.get(number=incidents["leaders"])
    set_fields(closed, status=Incident.Status.CLOSED, closed_at=timezone.now())
    in_progress = Incident.objects.get(number=incidents["mine"])
    set_fields(in_progress, status=Incident.Status.IN_PROGRESS)
    user = world.a.grid_member

    assert incidents["leaders"] not in listed(client, user, view="grid")  # open by default
    assert listed(client, user, view="grid", state="closed") == [incidents["leaders"]]
    assert listed(client, user, view="grid", state="in_progress") == [incidents["mine"]]
    assert listed(client, user, view="grid", state="reported") == [incidents["handled"]]
    assert len(listed(client, user, view="grid", state="all")) == 3


def test_filters_by_category(client, world, incidents):
    facility = file(world.a.grid, world.a.grid_member, "facility")
    category = Category.objects.get(code="facility")
    shown = listed(client, world.a.grid_member, view="grid", category=category.pk)
    assert shown == [facility.number]


def test_filters_by_light_and_shows_it(client, world, incidents):
    now = timezone.now()
    hour = datetime.timedelta(hours=1)
    red = set_fields(
        Incident.objects.get(number=incidents["mine"]),
        warn_at=now - 2 * hour,
        deadline_at=now - hour,
    )
    yellow = set_fields(
        Incident.objects.get(number=incidents["handled"]),
        warn_at=now - hour,
        deadline_at=now + hour,
    )
    green = set_fields(
        Incident.objects.get(number=incidents["leaders"]),
        warn_at=now + hour,
        deadline_at=now + 2 * hour,
    )
    user = world.a.grid_member
    assert listed(client, user, view="grid", light="red") == [red.number]
    assert listed(client, user, view="grid", light="yellow") == [yellow.number]
    assert listed(client, user, view="grid", light="green") == [green.number]

    client.force_login(user)
    html = client.get(LIST, {"view": "grid"}).content.decode()
    for incident, light in ((red, "red"), (yellow, "yellow"), (green, "green")):
        row = html.split(f'data-incident="{incident.number}"')[1].split("</a>")[0]
        assert f'data-light="{light}"' in row
        # The deadline in local time.
        assert timezone.localtime(incident.deadline_at).strftime("%Y-%m-%d %H:%M") in row


def test_filters_by_supervision_and_marks_it(client, world, incidents):
    supervised = set_fields(Incident.objects.get(number=incidents["mine"]), is_supervised=True)
    user = world.a.grid_member
    assert listed(client, user, view="grid", supervised="yes") == [supervised.number]
    assert supervised.number not in listed(client, user, view="grid", supervised="no")
    client.force_login(user)
    html = client.get(LIST, {"view": "grid"}).content.decode()
    row = html.split(f'data-incident="{supervised.number}"')[1].split("</a>")[0]
    assert "data-supervised" in row
    other = html.split(f'data-incident="{incidents["leaders"]}"')[1].split("</a>")[0]
    assert "data-supervised" not in other


def test_a_row_shows_number_title_grid_category_status_and_handler(client, world, incidents):
    client.force_login(world.a.grid_member)
    html = client.get(LIST, {"view": "grid"}).content.decode()
    row = html.split(f'data-incident="{incidents["handled"]}"')[1].split("</a>")[0]
    for text in ("handled", world.a.grid.name, "环境卫生", "Reported", "Member A"):
        assert text in row


def test_the_tabs_keep_the_filters(client, world, incidents):
    client.force_login(world.a.grid_member)
    html = client.get(LIST, {"view": "grid", "state": "all", "page": "2"}).content.decode()
    assert 'href="?view=community&amp;state=all"' in html


def test_the_community_list_runs_the_same_queries_however_many_incidents(
    client, world, incidents, django_assert_num_queries
):
    client.force_login(world.a.stationmaster)

    def count_queries():
        # 1 the session, 2 the user, 3 the user's posts with their areas (the scope),
        # 4 the page's count, 5 the page's rows with their grid, category, handler and
        # first-responsible person, 6 the header's unread notifications, 7 the category
        # filter's choices.
        with django_assert_num_queries(7):
            response = client.get(LIST, {"view": "community", "state": "all"})
        assert response.status_code == 200
        return response

    count_queries()
    for n in range(20):
        set_fields(
            file(world.a.other_grid, world.a.stationmaster, title=f"more {n}"),
            handler=world.a.grid_leader,
            is_supervised=n % 2 == 0,
        )
    response = count_queries()
    assert response.context["page"].paginator.count == 25


def test_a_list_read_again_by_its_bound_statement_follows_its_filters_scope_and_page(
    client, world, incidents, bound_statements_equal_djangos
):
    """The community list's pages are read by statements kept for the tab, the scope, the
    filters and the page (incidents.intake_views.ListRows): asked again, with other filters,
    by another station and on another page, each shows its own rows."""
    a, b = world.a, world.b
    facility = file(a.grid, a.grid_member, "facility")
    more = [file(a.other_grid, a.stationmaster, title=f"more {n}") for n in range(26)]
    category = Category.objects.get(code="facility")
    everything = (
        Incident.objects.filter(grid__parent=a.community).open().order_by("-filed_at", "-pk")
    )
    numbers = list(everything.values_list("number", flat=True))
    assert len(numbers) == 32
    for _ in range(2):
        assert listed(client, a.stationmaster, view="community") == numbers[:25]
        assert listed(client, a.stationmaster, view="community", page=2) == numbers[25:]
        shown = listed(client, a.stationmaster, view="community", category=category.pk)
        assert shown == [facility.number]
        # The same page's bounds, another statement.
        shown = listed(client, a.stationmaster, view="community", supervised="no")
        assert shown == numbers[:25]
        assert listed(client, b.stationmaster, view="community") == [incidents["b"]]
    assert more[-1].number in numbers[:25]
    # Statements are compiled once on PostgreSQL only (gridmgmt.statements).
    assert any(key[0] == "incidents.list" for key in bound_statements_equal_djangos) or (
        connection.vendor != "postgresql"
    )


def test_mine_lists_the_post_the_b_holder_covers_only_while_a_is_away(client, world, incidents):
    """The posts covered today are written into the statement of "mine": the B holder's
    list, read again by it, gains the A holder's handled incidents while A is away and
    loses them when A is back."""
    from grids.models import Absence, Post, Role

    a = world.a
    post = Post.objects.get(area=a.grid, role=Role.GRID_MEMBER, holder_a=a.grid_member)
    assert post.holder_b == a.grid_member_b
    # The newest, on the first page of 25 both with it and without it.
    Incident.objects.filter(number=incidents["handled"]).update(
        post=post, filed_at=timezone.now() + datetime.timedelta(minutes=5)
    )
    for n in range(26):
        set_fields(file(a.grid, a.grid_leader, title=f"more {n}"), handler=a.grid_member_b)
    assert incidents["handled"] not in listed(client, a.grid_member_b)
    today = timezone.localdate()
    away = Absence.objects.create(
        user=a.grid_member, starts_on=today, ends_on=today, reason="leave"
    )
    for _ in range(2):
        assert incidents["handled"] in listed(client, a.grid_member_b)
    away.delete()
    for _ in range(2):
        assert incidents["handled"] not in listed(client, a.grid_member_b)
