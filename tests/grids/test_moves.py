"""People who move: to another household in the user's area, to another community (a
transfer the receiving station accepts or declines), and back in under an ID number the
register holds. The same Resident row moves each time."""

import datetime

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from grids import services, transfers
from grids.models import Household, Membership, Resident, Role, Tag, Transfer
from notifications.models import Notification
from reports.figures import register_by_grid
from tests.factories import make_household, make_id_number, make_post, make_resident, make_user

PINNED = time_machine.travel(datetime.datetime(2026, 11, 20, 2, 0, tzinfo=datetime.UTC))
ID = make_id_number(datetime.date(1968, 4, 2), serial=321)
SINCE = datetime.date(2026, 10, 1)
MOVES_ON = datetime.date(2026, 11, 10)
NOV = [datetime.date(2026, 11, d) for d in range(1, 21)]


@pytest.fixture
def correction():
    return Tag.objects.create(name="社区矫正", kind=Tag.Kind.ATTENTION)


@pytest.fixture
def mover(world, correction):
    """A resident of community A under community correction, with someone else at home."""
    home = make_household(world.a.grid, address="甲街1号", on=SINCE)
    make_resident(home, name="甲一", moved_in_on=SINCE)
    care = Tag.objects.get_or_create(name="独居老人", kind=Tag.Kind.CARE)[0]
    return make_resident(
        home,
        name="周七",
        id_number=ID,
        relation=Resident.Relation.CHILD,
        moved_in_on=SINCE,
        tags=[correction, care],
    )


@pytest.fixture
def b_home(world):
    home = make_household(world.b.grid, address="乙路9号", room="301", on=SINCE)
    make_resident(home, name="乙一", moved_in_on=SINCE)
    return home


def residents_by_day(world):
    counts = register_by_grid([world.a.grid.pk, world.b.grid.pk], NOV)
    return {
        day: tuple(counts[grid.pk, day]["residents"] for grid in (world.a.grid, world.b.grid))
        for day in NOV
    }


@PINNED
def test_a_resident_with_a_care_tag_moves_to_the_other_community(
    client, world, mover, b_home, correction
):
    before = residents_by_day(world)
    assert all(before[day] == (2, 1) for day in NOV)

    # Community A's grid member records the move, to B, as of 10 November.
    client.force_login(world.a.grid_member)
    page = client.get(f"/residents/{mover.pk}/").content.decode()
    assert f"/residents/{mover.pk}/transfer/" in page
    response = client.post(
        f"/residents/{mover.pk}/transfer/",
        {"to_community": world.b.community.pk, "address": "乙路9号301", "moves_on": "2026-11-10"},
    )
    assert response.status_code == 302
    transfer = Transfer.objects.get()
    assert (transfer.status, transfer.requested_by) == ("pending", world.a.grid_member)
    told = Notification.objects.get(key=f"transfer:{transfer.pk}")
    assert told.recipient == world.b.stationmaster and "周七" in told.title

    # Before acceptance both stations see "moving"; nothing has moved.
    client.force_login(world.a.stationmaster)
    household_page = client.get(f"/households/{mover.household_id}/").content.decode()
    assert "data-moving" in household_page
    assert "data-pending-transfer" in client.get(f"/residents/{mover.pk}/").content.decode()
    client.force_login(world.b.stationmaster)
    incoming = client.get("/register/transfers/")
    assert [t.pk for t in incoming.context["incoming"]] == [transfer.pk]
    body = incoming.content.decode()
    assert "周七" in body and "moving" in body and f"from {world.a.community.name}" in body
    # The receiving side sees the name, sex, birth year and a masked ID number: no full
    # number, no phone, no old address, no tags.
    detail = client.get(f"/register/transfers/{transfer.pk}/").content.decode()
    assert "1968" in detail and ID[:6] + "********" + ID[-4:] in detail
    for secret in (ID, mover.phone, "甲街1号", "社区矫正", "独居老人"):
        assert secret not in detail
    assert client.get(f"/residents/{mover.pk}/").status_code == 404
    assert residents_by_day(world) == before

    # B's station accepts into B's household found by its address.
    search = client.get(f"/register/transfers/{transfer.pk}/", {"q": "乙路"})
    assert "乙路9号 301" in search.content.decode()
    response = client.post(
        f"/register/transfers/{transfer.pk}/?q=乙路",
        {"action": "accept", "a-household": b_home.pk, "a-relation": "other"},
    )
    assert response.status_code == 302

    # One Resident row, now in B, with both addresses and who accepted in its history.
    assert Resident.objects.filter(id_number=ID).count() == 1
    mover.refresh_from_db()
    assert mover.household == b_home and mover.relation == "other"
    records = list(mover.history.order_by("history_id"))
    assert [r.household_id for r in records][0] != b_home.pk
    assert records[-1].household_id == b_home.pk
    assert records[-1].history_user == world.b.stationmaster
    transfer.refresh_from_db()
    assert (transfer.status, transfer.decided_by, transfer.to_household) == (
        "accepted",
        world.b.stationmaster,
        b_home,
    )
    page = client.get(f"/residents/{mover.pk}/").content.decode()
    assert "甲街1号" in page and "乙路9号 301" in page and "Stationmaster B" in page
    assert Notification.objects.filter(
        key=f"transfer-accepted:{transfer.pk}", recipient=world.a.grid_member
    ).exists()

    # The tags are kept; the attention tag is still hidden from grid members.
    assert set(mover.tags.values_list("name", flat=True)) == {"社区矫正", "独居老人"}
    assert "社区矫正" in client.get(f"/households/{b_home.pk}/").content.decode()
    client.force_login(world.b.grid_member)
    member_view = client.get(f"/households/{b_home.pk}/").content.decode()
    assert "周七" in member_view and "独居老人" in member_view and "社区矫正" not in member_view
    assert "社区矫正" not in client.get(f"/residents/{mover.pk}/").content.decode()

    # Community A no longer reaches the resident; each community's count per day is right.
    client.force_login(world.a.grid_member)
    assert client.get(f"/residents/{mover.pk}/").status_code == 404
    after = residents_by_day(world)
    for day in NOV:
        assert after[day] == ((2, 1) if day < MOVES_ON else (1, 2)), day


@PINNED
def test_the_receiving_station_declines_with_a_reason_and_the_sender_is_told(client, world, mover):
    transfer = transfers.request_transfer(
        mover, to_community=world.b.community, moves_on=MOVES_ON, address="", by=world.a.grid_member
    )
    client.force_login(world.b.grid_member)  # not the receiving station: outside
    assert client.get(f"/register/transfers/{transfer.pk}/").status_code == 404
    police = make_user("police_b")
    make_post(world.b.community, Role.COMMUNITY_POLICE, police)
    client.force_login(police)  # sees the community's incoming transfers, may not decide
    assert client.get(f"/register/transfers/{transfer.pk}/").status_code == 200
    response = client.post(
        f"/register/transfers/{transfer.pk}/", {"action": "decline", "d-reason": "查无此人"}
    )
    assert response.status_code == 403
    client.force_login(world.b.stationmaster)
    response = client.post(
        f"/register/transfers/{transfer.pk}/", {"action": "decline", "d-reason": "查无此人"}
    )
    assert response.status_code == 302
    transfer.refresh_from_db()
    assert (transfer.status, transfer.reason) == ("declined", "查无此人")
    told = Notification.objects.get(key=f"transfer-declined:{transfer.pk}")
    assert told.recipient == world.a.grid_member and "查无此人" in told.body
    mover.refresh_from_db()
    assert mover.household.grid == world.a.grid
    client.force_login(world.a.stationmaster)
    assert "data-moving" not in client.get(f"/households/{mover.household_id}/").content.decode()
    # Decided: nobody can accept it now.
    with pytest.raises(transfers.MoveError):
        transfers.accept_transfer(
            transfer.pk, by=world.b.stationmaster, household=make_household(world.b.grid)
        )


@PINNED
def test_the_sender_may_cancel_while_pending_and_outsiders_get_404(client, world, mover):
    transfer = transfers.request_transfer(
        mover, to_community=world.b.community, moves_on=MOVES_ON, address="", by=world.a.grid_member
    )
    client.force_login(world.outsider)
    assert client.get(f"/register/transfers/{transfer.pk}/").status_code == 404
    assert client.get(f"/residents/{mover.pk}/").status_code == 404
    assert client.post(f"/register/transfers/{transfer.pk}/", {"action": "cancel"}).status_code == (
        404
    )
    assert "周七" not in client.get("/register/transfers/").content.decode()
    client.force_login(world.b.stationmaster)
    response = client.post(f"/register/transfers/{transfer.pk}/", {"action": "cancel"})
    assert response.status_code == 403
    # A read-only role on the sending side may not cancel or start a move.
    police = make_user("police_a")
    make_post(world.a.grid, Role.COMMUNITY_POLICE, police)
    client.force_login(police)
    assert client.post(f"/register/transfers/{transfer.pk}/", {"action": "cancel"}).status_code == (
        403
    )
    assert client.get(f"/residents/{mover.pk}/transfer/").status_code == 403
    assert client.get(f"/residents/{mover.pk}/move/").status_code == 403
    client.force_login(world.a.grid_member)
    response = client.post(f"/register/transfers/{transfer.pk}/", {"action": "cancel"})
    assert response.status_code == 302
    transfer.refresh_from_db()
    assert (transfer.status, transfer.decided_by) == ("cancelled", world.a.grid_member)
    assert Notification.objects.filter(
        key=f"transfer-cancelled:{transfer.pk}", recipient=world.b.stationmaster
    ).exists()
    # Pending once: a second transfer while one waits is refused.
    again = transfers.request_transfer(
        mover, to_community=world.b.community, moves_on=MOVES_ON, address="", by=world.a.grid_member
    )
    with pytest.raises(transfers.MoveError):
        transfers.request_transfer(
            mover,
            to_community=world.b.community,
            moves_on=MOVES_ON,
            address="",
            by=world.a.grid_member,
        )
    assert again.status == "pending"


@PINNED
def test_a_resident_moves_to_another_household_found_by_search(client, world, mover):
    target = make_household(world.a.grid, address="甲街7号", room="502", on=SINCE)
    outside = make_household(world.b.grid, address="甲街7号", room="999", on=SINCE)
    client.force_login(world.a.grid_member)
    page = client.get(f"/residents/{mover.pk}/move/", {"q": "甲街7"})
    shown = page.content.decode()
    assert "甲街7号 502" in shown and "999" not in shown
    assert f'value="{target.pk}"' in shown
    # A household outside the user's area cannot be chosen by posting its id.
    response = client.post(
        f"/residents/{mover.pk}/move/",
        {"household": outside.pk, "moved_on": "2026-11-12", "relation": "head"},
    )
    assert response.status_code == 200 and Membership.objects.filter(resident=mover).count() == 1
    response = client.post(
        f"/residents/{mover.pk}/move/",
        {"household": target.pk, "moved_on": "2026-11-12", "relation": "head"},
    )
    assert response.status_code == 302
    mover.refresh_from_db()
    assert mover.household == target and mover.relation == "head"
    assert mover.history.order_by("history_id").last().history_user == world.a.grid_member
    stays = Membership.objects.filter(resident=mover).order_by("moved_in_on")
    assert [(s.household_id, s.moved_out_on) for s in stays] == [
        (stays[0].household_id, datetime.date(2026, 11, 12)),
        (target.pk, None),
    ]
    # Outside the scope: 404.
    client.force_login(world.b.grid_member)
    assert client.get(f"/residents/{mover.pk}/move/").status_code == 404


@PINNED
def test_an_id_number_that_moved_out_is_registered_again_as_the_same_person(client, world, mover):
    services.move_out(mover, on=datetime.date(2026, 11, 1), by=world.a.grid_member)
    home = make_household(world.a.other_grid, address="甲街20号", on=SINCE)
    url = f"/households/{home.pk}/residents/new/"
    data = {
        "name": "周七",
        "sex": "f",
        "relation": "head",
        "population": "floating",
        "id_number": ID,
        "moved_in_on": "2026-11-15",
    }
    client.force_login(world.a.stationmaster)
    response = client.post(url, data)
    assert response.status_code == 200
    message = response.context["form"].errors["id_number"][0]
    assert "moved out of 甲街1号" in message
    assert 'name="same_person"' in response.content.decode()
    response = client.post(url, {**data, "same_person": "on"})
    assert response.status_code == 302
    assert Resident.objects.filter(id_number=ID).count() == 1
    mover.refresh_from_db()
    assert mover.household == home and mover.moved_out_on is None
    assert mover.population == "floating"
    stays = list(
        Membership.objects.filter(resident=mover)
        .order_by("moved_in_on")
        .values_list("household_id", "moved_in_on", "moved_out_on")
    )
    assert stays[0][1:] == (SINCE, datetime.date(2026, 11, 1))
    assert stays[-1] == (home.pk, datetime.date(2026, 11, 15), None)
    assert set(mover.tags.values_list("name", flat=True)) == {"社区矫正", "独居老人"}


@PINNED
def test_an_id_number_registered_in_the_users_area_moves_the_person_here(client, world, mover):
    home = make_household(world.a.grid, address="甲街30号", on=SINCE)
    client.force_login(world.a.grid_member)
    data = {"name": "周七", "sex": "f", "relation": "head", "population": "registered"}
    response = client.post(
        f"/households/{home.pk}/residents/new/",
        {**data, "id_number": ID, "moved_in_on": "2026-11-16", "same_person": "on"},
    )
    assert response.status_code == 302
    mover.refresh_from_db()
    assert mover.household == home and Resident.objects.filter(id_number=ID).count() == 1


@PINNED
def test_an_id_number_registered_in_another_community_asks_its_station(client, world, mover):
    home = make_household(world.b.grid, address="乙路40号", on=SINCE)
    data = {"name": "周七", "sex": "f", "relation": "head", "population": "registered"}
    url = f"/households/{home.pk}/residents/new/"
    # B's grid member learns only that the station checks the number.
    client.force_login(world.b.grid_member)
    response = client.post(url, {**data, "id_number": ID})
    message = response.context["form"].errors["id_number"][0]
    assert "The station checks this ID number" in message
    assert "甲街" not in message and "周七" not in message and "registered" not in message
    assert "甲街" not in response.content.decode()
    # B's station sees where the person lives.
    client.force_login(world.b.stationmaster)
    message = client.post(url, {**data, "id_number": ID}).context["form"].errors["id_number"][0]
    assert "甲街1号" in message
    # The same person: A's station is asked to record the move; nobody is added in B.
    response = client.post(url, {**data, "id_number": ID, "same_person": "on"})
    assert response.status_code == 302
    assert Resident.objects.filter(id_number=ID).count() == 1
    assert not home.residents.exists()
    assert Notification.objects.filter(
        recipient=world.a.stationmaster, key__startswith=f"transfer-asked:{mover.pk}:"
    ).exists()


@PINNED
def test_the_transfer_list_and_the_resident_page_run_fixed_queries(
    client, world, django_assert_num_queries, correction
):
    def add(n):
        for i in range(n):
            home = make_household(world.a.grid, address=f"数街{i}号", on=SINCE)
            resident = make_resident(home, moved_in_on=SINCE, tags=[correction])
            transfers.request_transfer(
                resident,
                to_community=world.b.community,
                moves_on=MOVES_ON,
                address="",
                by=world.a.grid_member,
            )

    add(2)
    for user in (world.b.stationmaster, world.a.stationmaster):
        client.force_login(user)
        client.get("/register/transfers/")
        with CaptureQueriesContext(connection) as small:
            client.get("/register/transfers/")
        user.small = len(small.captured_queries)
    add(12)
    client.force_login(world.b.stationmaster)
    # Session and user; the user's posts (scope); the incoming transfers with their
    # residents, households and grids; the sending communities' names; the count and page
    # of those sent from the user's area (none here).
    with django_assert_num_queries(world.b.stationmaster.small):
        response = client.get("/register/transfers/")
    assert len(response.context["incoming"]) == 14
    client.force_login(world.a.stationmaster)
    with django_assert_num_queries(world.a.stationmaster.small):
        response = client.get("/register/transfers/")
    assert response.context["page"].paginator.count == 14

    # The resident's page: session and user; the posts; the resident with the moving flag;
    # the tags; the stays; the transfers; the history; the households named in them.
    resident = Resident.objects.filter(household__grid=world.a.grid).first()
    client.get(f"/residents/{resident.pk}/")
    with CaptureQueriesContext(connection) as small:
        client.get(f"/residents/{resident.pk}/")
    for day in (11, 12, 13):
        services.update_resident(resident, by=world.a.grid_member, phone=f"1390000{day:04d}")
    with django_assert_num_queries(len(small.captured_queries)):
        client.get(f"/residents/{resident.pk}/")
    assert Household.objects.count() == 14


@PINNED
def test_the_register_links_the_station_to_its_waiting_transfers_with_their_count(
    client, world, mover
):
    transfers.request_transfer(
        mover, to_community=world.b.community, moves_on=MOVES_ON, address="", by=world.a.grid_member
    )
    client.force_login(world.b.stationmaster)
    for url in (f"/grids/{world.b.grid.code}/households/", "/register/floating/"):
        response = client.get(url)
        assert response.context["transfers_waiting"] == 1
        assert "1 waiting for your station" in response.content.decode()
    client.force_login(world.a.stationmaster)  # nothing waits for A
    response = client.get(f"/grids/{world.a.grid.code}/households/")
    assert response.context["transfers_waiting"] == 0 and "/register/transfers/" in (
        response.content.decode()
    )
    client.force_login(world.b.grid_member)  # not a station: no link
    response = client.get(f"/grids/{world.b.grid.code}/households/")
    assert "data-transfers-waiting" not in response.content.decode()
    # The station's home page says so too.
    client.force_login(world.b.stationmaster)
    home = client.get("/").content.decode()
    assert 'data-transfers-waiting="1"' in home and "1 person moving in waits" in home


@PINNED
def test_the_receiving_station_accepts_into_a_household_it_registers_now(client, world, mover):
    transfer = transfers.request_transfer(
        mover,
        to_community=world.b.community,
        moves_on=MOVES_ON,
        address="乙路88号",
        by=world.a.grid_member,
    )
    client.force_login(world.b.stationmaster)
    page = client.get(f"/register/transfers/{transfer.pk}/")
    assert page.context["accept_new"]["address"].value() == "乙路88号"
    # Only the community's own grids are offered.
    grids = set(page.context["accept_new"].fields["grid"].queryset)
    assert grids == {world.b.grid, world.b.other_grid}
    data = {
        "action": "accept_new",
        "n-grid": world.b.other_grid.pk,
        "n-address": "乙路88号",
        "n-room": "",
        "n-housing": "rented",
        "n-relation": "head",
    }
    assert client.post(
        f"/register/transfers/{transfer.pk}/", {**data, "n-grid": world.a.grid.pk}
    ).status_code == (200)
    assert Transfer.objects.get().status == "pending"
    response = client.post(f"/register/transfers/{transfer.pk}/", data)
    assert response.status_code == 302
    mover.refresh_from_db()
    home = mover.household
    assert (home.grid, home.address, home.created_on) == (world.b.other_grid, "乙路88号", MOVES_ON)
    assert home.history.get().history_user == world.b.stationmaster
    assert Membership.objects.get(resident=mover, moved_out_on__isnull=True).grid == (
        world.b.other_grid
    )


@PINNED
def test_the_household_search_of_the_move_page_runs_fixed_queries(
    client, world, mover, django_assert_num_queries
):
    make_household(world.a.grid, address="搜街1号", on=SINCE)
    client.force_login(world.a.grid_member)
    url = f"/residents/{mover.pk}/move/?q=搜街"
    client.get(url)
    with CaptureQueriesContext(connection) as small:
        client.get(url)
    for i in range(2, 12):
        make_household(world.a.grid, address=f"搜街{i}号", on=SINCE)
    # Session and user; the posts; the resident; the matching households with their grids.
    with django_assert_num_queries(len(small.captured_queries)):
        response = client.get(url)
    assert len(response.context["form"].fields["household"].choices) == 11


@pytest.mark.django_db
def test_the_register_menu_offers_the_moves_between_communities(world, rf):
    from django.urls import resolve

    from grids.menu import menu_for

    request = rf.get("/register/transfers/")
    request.user = world.b.stationmaster
    request.resolver_match = resolve("/register/transfers/")
    register = [item for item in menu_for(request) if item.children]
    assert [(c.url, c.active) for c in register[0].children if c.active] == [
        ("/register/transfers/", True)
    ]


@PINNED
def test_a_resident_whose_move_waits_cannot_be_moved_out_until_it_is_cancelled(
    client, world, mover
):
    transfer = transfers.request_transfer(
        mover, to_community=world.b.community, moves_on=MOVES_ON, address="", by=world.a.grid_member
    )
    client.force_login(world.a.grid_member)
    url = f"/residents/{mover.pk}/move-out/"
    response = client.post(url, {"moved_out_on": "2026-11-18"})
    assert response.status_code == 200 and "cancel it first" in response.content.decode()
    mover.refresh_from_db()
    assert mover.moved_out_on is None
    transfers.cancel_transfer(transfer.pk, by=world.a.grid_member)
    assert client.post(url, {"moved_out_on": "2026-11-18"}).status_code == 302
