"""The patrol list reads a fixed number of queries, however many logs it pages over, with a
patrol open or none."""

import datetime

from patrols.models import Patrol, Slot
from tests.patrols.factories import make_patrol

DAY = datetime.date(2026, 11, 28)


def test_the_list_costs_the_same_queries_for_more_logs(client, world, django_assert_num_queries):
    member = world.a.grid_member
    client.force_login(member)
    make_patrol(world.a.grid, DAY, Slot.MORNING, member=member)
    # session, user, posts (scope), the open patrol (none), whether there are grids to
    # start in, the count, unread notifications (header), the grids offered, the page
    with django_assert_num_queries(9):
        body = client.get("/patrols/").content.decode()
    assert 'action="/patrols/start/"' in body

    for n in range(1, 30):
        make_patrol(world.a.grid, DAY - datetime.timedelta(days=n), Slot.AFTERNOON, member=member)
    open_patrol = make_patrol(
        world.a.grid,
        DAY + datetime.timedelta(days=1),
        member=member,
        status=Patrol.Status.IN_PROGRESS,
    )
    # session, user, posts (scope), the open patrol with its grid, the count, unread
    # notifications (header), the page; no grids to start in (none is started while one is
    # open)
    with django_assert_num_queries(7):
        body = client.get("/patrols/").content.decode()
    assert f'href="/patrols/{open_patrol.pk}/"' in body
    assert world.a.grid.name in body
    assert 'action="/patrols/start/"' not in body


def test_a_member_sees_their_own_logs_and_those_they_went_on_each_once(client, world):
    member, partner = world.a.grid_member, world.a.grid_member_b
    own = make_patrol(world.a.grid, DAY, Slot.MORNING, member=member)
    own.companions.add(partner, world.a.grid_leader)
    went_on = make_patrol(world.a.grid, DAY, Slot.AFTERNOON, member=partner)
    went_on.companions.add(member, world.a.grid_leader)
    alone = make_patrol(world.a.grid, DAY - datetime.timedelta(days=1), member=partner)
    alone.companions.add(world.a.grid_leader)
    client.force_login(member)
    response = client.get("/patrols/")
    assert [p.pk for p in response.context["page"]] == [went_on.pk, own.pk]
    assert response.context["page"].paginator.count == 2
