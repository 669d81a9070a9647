"""A meeting page's participants (meetings.views._participants) are made from plain rows: each
is the instance Django's own rows give (select_related and only the columns read), with the
same values, the same fields left unread, the same related objects cached, saved to the same
database."""

import pytest

from grids.models import Role, User
from meetings.forms import NAMES, Roster
from meetings.models import Participant
from meetings.views import _participants
from tests.factories import make_post
from tests.meetings.test_agenda import make_meeting
from tests.meetings.test_record import STARTS_AT


def described(instance):
    """Everything of an instance a page or a save reads: its class, values, unread fields,
    state and the related objects cached (described in turn)."""
    if instance is None:
        return None
    values = {name: value for name, value in vars(instance).items() if name != "_state"}
    cached = {
        name: described(related) if name != "meeting" else related.pk
        for name, related in instance._state.fields_cache.items()
    }
    return (
        type(instance),
        values,
        instance.get_deferred_fields(),
        instance._state.db,
        instance._state.adding,
        cached,
    )


def djangos(meeting, holders):
    people = ["user", "substitute", *(["post__holder_a", "post__holder_b"] if holders else [])]
    found = list(
        Participant.objects.filter(meeting=meeting)
        .select_related("post__area", *people)
        .only(
            *("meeting", "post", "user", "attendance", "substitute"),
            *("post__role", "post__area__name", "post__holder_a", "post__holder_b"),
            *(f"{person}__{field}" for person in people for field in ("username", "full_name")),
        )
        .order_by("post__area__code", "post__role", "user__username")
    )
    for participant in found:
        Participant.meeting.field.set_cached_value(participant, meeting)
    return found


@pytest.mark.parametrize("holders", [True, False])
def test_the_participants_are_the_instances_djangos_rows_give(world, holders):
    a = world.a
    meeting = make_meeting(a.community, STARTS_AT)
    first = meeting.participants.get(user=a.grid_member)
    first.attendance = Participant.Attendance.ABSENT
    first.substitute = a.grid_leader
    first.save()
    # Someone invited without a post.
    Participant.objects.create(meeting=meeting, user=world.b.stationmaster)

    found = _participants(meeting, holders=holders)
    expected = djangos(meeting, holders)
    assert len(expected) == 4
    assert [described(p) for p in found] == [described(p) for p in expected]
    # The substitute and the one without a post are among them.
    assert {p.substitute_id for p in found} == {None, a.grid_leader.pk}
    assert any(p.post is None for p in found)


def test_the_roster_of_names_is_the_roster_of_whole_people(world):
    """The page's roster (names alone, from plain rows) lists the people of the community's
    and its grids' posts as the roster of whole people does, each made as Django's rows of
    their names make them; a person who holds two posts is in both."""
    a = world.a
    make_post(a.grid, Role.VOLUNTEER, a.grid_member_b)  # also the grid member's B holder
    make_post(a.other_grid, Role.VOLUNTEER, a.stationmaster)  # no B holder
    meeting = make_meeting(a.community, STARTS_AT)
    participants = _participants(meeting, holders=True)
    names = Roster(meeting, participants, names_only=True)
    whole = Roster(meeting, participants)

    def listed(roster):
        return (
            {area: [(u.pk, str(u)) for u in people] for area, people in roster.at_area.items()},
            [(u.pk, str(u)) for u in roster.community_people],
            sorted((pk, str(u)) for pk, u in roster.users.items()),
        )

    assert listed(names) == listed(whole)
    assert [u.pk for u in names.at_area[a.grid.pk]].count(a.grid_member_b.pk) == 2
    assert a.stationmaster.pk in [u.pk for u in names.at_area[a.other_grid.pk]]
    own = {u.pk: u for u in User.objects.filter(pk__in=names.users).only(*NAMES)}
    assert {pk: described(u) for pk, u in names.users.items()} == {
        pk: described(own[pk]) for pk in names.users
    }


def test_the_page_makes_each_person_once_for_its_participants_and_roster(client, world):
    """A person named by the participants (as one, a substitute or a post's holder) and by
    the roster is one instance: the page's people are made once for both."""
    a = world.a
    meeting = make_meeting(a.community, STARTS_AT)
    client.force_login(a.stationmaster)
    rows = client.get(meeting.get_absolute_url()).context["attendance_forms"]
    people = {}
    for participant in rows.forms:
        post = participant.post
        named = [participant.user, participant.substitute]
        named += [post.holder_a, post.holder_b] if post is not None else []
        for user in filter(None, named):
            assert people.setdefault(user.pk, user) is user
    shared = people.keys() & rows.roster.users.keys()
    assert a.stationmaster.pk in shared and a.grid_member_b.pk in shared
    assert all(rows.roster.users[pk] is people[pk] for pk in shared)
    for person in [*rows.roster.community_people, *rows.roster.at_area[a.grid.pk]]:
        assert person is rows.roster.users[person.pk]
