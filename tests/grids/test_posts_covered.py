"""`grids.posts.posts_covered_by` decides in SQL who acts for which post, as `acting_on`
decides it in Python (A, else B while A is away, else the community's acting
stationmaster): the two must agree whoever is away or inactive."""

import datetime
import itertools

import pytest

from grids.models import Absence, Post, Role
from grids.posts import acting_on, posts_covered_by
from grids.scope import Scope

DAY = datetime.date(2026, 11, 10)


def by_acting_on(user, day):
    """The posts `user` acts for without being their A holder, worked out with acting_on:
    the posts they are B of, and, for a stationmaster, every other post of the community."""
    scope = Scope(user)
    could_cover = [post for post in scope.posts if post.holder_b_id == user.pk]
    for station in (p for p in scope.posts if p.role == Role.STATIONMASTER):
        could_cover += Post.objects.filter(area__path__startswith=station.area.path).exclude(
            role=Role.STATIONMASTER
        )
    return sorted(pk for pk, acting in acting_on(could_cover, day).items() if acting.user == user)


@pytest.mark.parametrize(
    "away",
    [
        set(combination)
        for size in range(4)
        for combination in itertools.combinations(["sm_a", "sm_a_b", "gm_a", "gm_a_b"], size)
    ],
    ids=lambda away: "+".join(sorted(away)) or "nobody",
)
def test_who_covers_which_post_agrees_with_acting_on(world, away):
    a = world.a
    people = {
        "sm_a": a.stationmaster,
        "sm_a_b": Post.objects.get(area=a.community, role=Role.STATIONMASTER).holder_b,
        "gm_a": a.grid_member,
        "gm_a_b": a.grid_member_b,
    }
    for name in away:
        Absence.objects.create(user=people[name], starts_on=DAY, ends_on=DAY, reason="leave")
    for user in people.values():
        user.refresh_from_db()
        expected = by_acting_on(user, DAY)
        assert sorted(posts_covered_by(user, Scope(user).posts, DAY)) == expected, user


def test_an_inactive_holder_is_covered_like_an_absent_one(world):
    a = world.a
    a.grid_member.is_active = False
    a.grid_member.save()
    member_post = Post.objects.get(area=a.grid, role=Role.GRID_MEMBER)
    backup = a.grid_member_b
    assert posts_covered_by(backup, Scope(backup).posts, DAY) == [member_post.pk]
    assert by_acting_on(backup, DAY) == [member_post.pk]
    # Nobody acts for anything on a day they are away, even their own B post.
    Absence.objects.create(user=backup, starts_on=DAY, ends_on=DAY, reason="leave")
    assert posts_covered_by(backup, Scope(backup).posts, DAY) == []
    assert by_acting_on(backup, DAY) == []
