"""The team page of a community: who acts for each post (A; B while A is away; the station
while both are away), absences, a post changing holder, and a person leaving."""

import datetime

import pytest
import time_machine
from django.utils import timezone

from grids import team
from grids.models import Absence, Post, Role
from grids.posts import acting_holder_on, acting_on
from grids.scope import Scope
from incidents import services
from incidents.models import Incident, TimelineEntry
from meetings.models import ActionItem, Participant
from notifications.models import Notification
from patrols.models import Instruction
from tests.factories import make_post, make_user
from tests.incidents.factories import make_incident
from tests.meetings.test_agenda import make_meeting

TODAY = datetime.date(2026, 12, 2)  # a Wednesday
PINNED = time_machine.travel(datetime.datetime(2026, 12, 2, 10, 0, tzinfo=datetime.UTC))


def team_url(world):
    return f"/grids/{world.a.community.code}/team/"


def member_post(world):
    return Post.objects.get(area=world.a.grid, role=Role.GRID_MEMBER)


def away(user, starts_on=TODAY, ends_on=TODAY, reason="leave"):
    return Absence.objects.create(user=user, starts_on=starts_on, ends_on=ends_on, reason=reason)


@PINNED
def test_a_acts_b_while_a_is_away_and_the_station_while_both_are(world):
    post = member_post(world)
    assert acting_holder_on(post, TODAY) == world.a.grid_member
    away(world.a.grid_member)
    assert acting_holder_on(post, TODAY) == world.a.grid_member_b
    away(world.a.grid_member_b)
    acting = acting_on([post], TODAY)[post.pk]
    assert acting.user == world.a.stationmaster and acting.by == "station" and acting.is_gap
    assert acting_holder_on(post, TODAY + datetime.timedelta(days=1)) == world.a.grid_member


@PINNED
def test_an_inactive_person_counts_as_away(world):
    post = member_post(world)
    world.a.grid_member.is_active = False
    world.a.grid_member.save()
    assert acting_holder_on(post, TODAY) == world.a.grid_member_b


@PINNED
def test_both_a_and_b_away_the_stationmaster_acts_and_the_team_page_shows_the_gap(client, world):
    away(world.a.grid_member, ends_on=TODAY + datetime.timedelta(days=2))
    away(world.a.grid_member_b, reason="sick")
    client.force_login(world.a.stationmaster)
    response = client.get(team_url(world))
    assert response.status_code == 200
    row = next(r for r in response.context["rows"] if r["post"].role == Role.GRID_MEMBER)
    assert row["acting"] == world.a.stationmaster and row["is_gap"]
    assert row["until"] == TODAY + datetime.timedelta(days=2)
    html = response.content.decode()
    assert "both away: the station acts" in html and 'data-gaps="1"' in html
    # Work assigned to the post today goes to the stationmaster.
    incident = make_incident(world.a.grid, world.a.grid_leader)
    services.take_step(
        incident,
        "assign",
        by=world.a.stationmaster,
        scope=Scope(world.a.stationmaster),
        post=member_post(world),
    )
    incident.refresh_from_db()
    assert incident.handler == world.a.stationmaster
    assert incident.covered_for == world.a.grid_member


@PINNED
def test_while_both_are_away_the_posts_open_work_is_in_the_stationmasters_list(world):
    post = member_post(world)
    earlier = make_incident(world.a.grid, world.a.grid_leader)
    Incident.objects.filter(pk=earlier.pk).update(post=post, handler=world.a.grid_member)
    station = Scope(world.a.stationmaster)
    assert not Incident.objects.mine(station, TODAY).filter(pk=earlier.pk).exists()
    away(world.a.grid_member)
    assert not Incident.objects.mine(station, TODAY).filter(pk=earlier.pk).exists()  # B acts
    away(world.a.grid_member_b)
    assert Incident.objects.mine(Scope(world.a.stationmaster), TODAY).filter(pk=earlier.pk).exists()
    assert (
        not Incident.objects.mine(Scope(world.b.stationmaster), TODAY)
        .filter(pk=earlier.pk)
        .exists()
    )


@PINNED
def test_recording_editing_and_ending_an_absence_through_the_page(client, world):
    client.force_login(world.a.stationmaster)
    response = client.get(team_url(world))
    # People are offered by name with their post and grid beside them.
    labels = dict(response.context["form"].fields["person"].choices)
    assert labels[world.a.grid_member.pk].startswith("Member A · Grid member · ")
    response = client.post(
        f"{team_url(world)}absences/new/",
        {
            "person": world.a.grid_member.pk,
            "starts_on": "2026-12-02",
            "ends_on": "2026-12-04",
            "reason": "sick",
        },
    )
    assert response.status_code == 302
    absence = Absence.objects.get(user=world.a.grid_member)
    assert (absence.reason, absence.ends_on) == ("sick", datetime.date(2026, 12, 4))
    assert absence.history.order_by("-history_id").first().history_user == world.a.stationmaster
    client.post(
        f"{team_url(world)}absences/{absence.pk}/",
        {"starts_on": "2026-12-01", "ends_on": "2026-12-05", "reason": "training"},
    )
    absence.refresh_from_db()
    assert (absence.starts_on, absence.reason) == (datetime.date(2026, 12, 1), "training")
    client.post(f"{team_url(world)}absences/{absence.pk}/end/")
    absence.refresh_from_db()
    assert absence.ends_on == datetime.date(2026, 12, 1)
    assert acting_holder_on(member_post(world), TODAY) == world.a.grid_member


@PINNED
def test_only_the_communitys_stationmaster_and_above_may_see_or_change_its_team(client, world):
    data = {"person": world.a.grid_member.pk, "starts_on": "2026-12-02", "ends_on": "2026-12-02"}
    for user, status in [
        (world.a.grid_leader, 404),  # the community lies outside a grid's scope
        (world.a.grid_member, 404),
        (world.b.stationmaster, 404),
        (world.outsider, 404),
        (world.district_officer, 200),
        (world.a.stationmaster, 200),
    ]:
        client.force_login(user)
        assert client.get(team_url(world)).status_code == status, user
        posted = client.post(f"{team_url(world)}absences/new/", {**data, "reason": "leave"})
        assert posted.status_code in {status, 302}, user
    # A volunteer at the community sees it in scope but may not change it.
    volunteer = make_user("volunteer_a")
    make_post(world.a.community, Role.VOLUNTEER, volunteer)
    client.force_login(volunteer)
    assert client.get(team_url(world)).status_code == 403
    before = Absence.objects.count()
    assert (
        client.post(f"{team_url(world)}absences/new/", {**data, "reason": "leave"}).status_code
        == 403
    )
    assert Absence.objects.count() == before


@PINNED
def test_changing_a_posts_holder_hands_over_its_open_work_and_tells_everyone_once(client, world):
    post = member_post(world)
    old = world.a.grid_member
    incident = make_incident(world.a.grid, old)
    services.take_step(
        incident, "assign", by=world.a.stationmaster, scope=Scope(world.a.stationmaster), post=post
    )
    newcomer = make_user("newcomer", full_name="Newcomer")
    client.force_login(world.a.stationmaster)
    response = client.post(
        f"{team_url(world)}posts/{post.pk}/",
        {"slot": "a", "to": newcomer.pk, "on": "2026-12-02"},
    )
    assert response.status_code == 302
    post.refresh_from_db()
    incident.refresh_from_db()
    assert post.holder_a == newcomer
    assert incident.handler == newcomer and incident.first_responsible == newcomer
    assert TimelineEntry.objects.filter(incident=incident, action="post_handover").count() == 2
    told = Notification.objects.filter(key__startswith=f"post-holder:{post.pk}:")
    assert set(told.values_list("recipient__username", flat=True)) == {
        "newcomer",
        old.username,
        world.a.grid_leader.username,
    }
    assert post.history.order_by("-history_id").first().history_user == world.a.stationmaster


@pytest.fixture
def leaver_holds_everything(world):
    """The grid member holds an incident they handle and first received, an instruction
    they issued, an action item and a place at next week's meeting."""
    leaver = world.a.grid_member
    incident = make_incident(world.a.grid, leaver)
    services.take_step(
        incident,
        "assign",
        by=world.a.stationmaster,
        scope=Scope(world.a.stationmaster),
        post=member_post(world),
    )
    meeting = make_meeting(
        world.a.community, datetime.datetime(2026, 12, 7, 1, 0, tzinfo=datetime.UTC)
    )
    ActionItem.objects.create(
        meeting=meeting,
        text="清理楼道",
        owner=leaver,
        due_on=TODAY,
        grid=world.a.grid,
        created_by=world.a.stationmaster,
    )
    Instruction.objects.create(grid=world.a.grid, text="核实", due_on=TODAY, issued_by=leaver)
    assert Participant.objects.filter(user=leaver).exists()
    return leaver


def pointing_at(user):
    """Rows of open work still pointing at `user`."""
    return {
        "handler": Incident.objects.open().filter(handler=user).count(),
        "first": Incident.objects.open().filter(first_responsible=user).count(),
        "covered": Incident.objects.open().filter(covered_for=user).count(),
        "instructions": Instruction.objects.open().filter(issued_by=user).count(),
        "action items": ActionItem.objects.open().filter(owner=user).count(),
        "meetings": Participant.objects.filter(
            user=user, meeting__starts_at__gte=timezone.now()
        ).count(),
        "posts": Post.objects.held_by(user).count(),
    }


@PINNED
def test_deactivating_a_person_through_the_page_leaves_nothing_pointing_at_them(
    client, world, leaver_holds_everything
):
    leaver = leaver_holds_everything
    assert sum(pointing_at(leaver).values()) >= 6
    client.force_login(world.a.stationmaster)
    url = f"{team_url(world)}people/{leaver.pk}/deactivate/"
    items = client.get(url).context["items"]
    response = client.post(
        url,
        {key: world.a.grid_member_b.pk for key, _l, _i in items[1:]}
        | {items[0][0]: make_user("replacement").pk},
    )
    assert response.status_code == 302
    leaver.refresh_from_db()
    assert not leaver.is_active
    assert pointing_at(leaver) == dict.fromkeys(pointing_at(leaver), 0)
    assert leaver.history.order_by("-history_id").first().history_user == world.a.stationmaster


@PINNED
def test_the_page_refuses_to_deactivate_while_anything_is_unassigned(
    client, world, leaver_holds_everything
):
    leaver = leaver_holds_everything
    before = pointing_at(leaver)
    client.force_login(world.a.stationmaster)
    url = f"{team_url(world)}people/{leaver.pk}/deactivate/"
    items = client.get(url).context["items"]
    response = client.post(url, {items[0][0]: make_user("replacement").pk}, follow=True)
    assert "Hand everything over first" in response.content.decode()
    leaver.refresh_from_db()
    assert leaver.is_active and pointing_at(leaver) == before
    with pytest.raises(team.TeamError):
        team.deactivate_person(leaver, assignments={}, by=world.a.stationmaster)


@PINNED
def test_incidents_taken_while_covering_stay_with_b_until_the_station_returns_them(client, world):
    post = member_post(world)
    station = Scope(world.a.stationmaster)
    away(world.a.grid_member)
    covered = make_incident(world.a.grid, world.a.grid_leader)
    services.take_step(covered, "assign", by=world.a.stationmaster, scope=station, post=post)
    covered.refresh_from_db()
    assert covered.handler == world.a.grid_member_b and covered.covered_for == world.a.grid_member
    # B's "mine" list shows it; the next day A is back and new work goes to A.
    client.force_login(world.a.grid_member_b)
    assert covered.number in client.get("/incidents/").content.decode()
    with time_machine.travel(datetime.datetime(2026, 12, 3, 10, 0, tzinfo=datetime.UTC)):
        fresh = make_incident(world.a.grid, world.a.grid_leader)
        services.take_step(fresh, "assign", by=world.a.stationmaster, scope=station, post=post)
        fresh.refresh_from_db()
        assert fresh.handler == world.a.grid_member and fresh.covered_for is None
        covered.refresh_from_db()
        assert covered.handler == world.a.grid_member_b
        client.force_login(world.a.grid_member)
        mine = client.get("/incidents/").content.decode()
        assert "covered by Backup A" in mine
        client.force_login(world.a.stationmaster)
        client.post(f"/incidents/{covered.number}/return-to-a/")
        covered.refresh_from_db()
        assert covered.handler == world.a.grid_member and covered.covered_for is None
        assert covered.timeline.filter(action="returned_to_a").exists()


def _grow(world, extra):
    for _n in range(extra):
        post = make_post(world.a.grid, Role.INFORMATION_OFFICER, make_user(), make_user())
        away(post.holder_a)
        away(post.holder_b)


@PINNED
@pytest.mark.parametrize("extra", [0, 6])
def test_the_team_page_runs_the_same_queries_however_large_the_team(
    client, world, django_assert_num_queries, extra
):
    _grow(world, extra)
    client.force_login(world.a.stationmaster)
    # 1 session, 2 user, 3 the scope's posts, 4 the community, 5 the posts with holders,
    # 6 the stationmasters' posts, 7 who is away, 8 the absences, 9 the grids without a
    # grid-worker post, 10 the picker's posts with holders, 11 people with no post, 12 the
    # picker's people, 13 the unread notices (menu).
    with django_assert_num_queries(13):
        response = client.get(team_url(world))
    assert response.context["gaps"] == extra


@PINNED
def test_mine_with_the_covered_posts_in_a_subquery_is_mine(world):
    """`Incident.objects.mine_q` (the home page's compiled statement) holds the same
    incidents as `mine`, whoever acts for the post."""
    post = member_post(world)
    earlier = make_incident(world.a.grid, world.a.grid_leader)
    Incident.objects.filter(pk=earlier.pk).update(post=post, handler=world.a.grid_member)
    users = [world.a.stationmaster, world.b.stationmaster, world.a.grid_member_b]

    def same():
        for user in users:
            scope = Scope(user)
            expected = set(Incident.objects.mine(scope, TODAY).values_list("pk", flat=True))
            found = Incident.objects.filter(Incident.objects.mine_q(scope, TODAY))
            assert set(found.values_list("pk", flat=True)) == expected, user
        return earlier.pk in Incident.objects.filter(
            Incident.objects.mine_q(Scope(world.a.stationmaster), TODAY)
        ).values_list("pk", flat=True)

    assert not same()
    away(world.a.grid_member)
    assert not same()  # B acts
    away(world.a.grid_member_b)
    assert same()
