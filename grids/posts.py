"""Who acts for a post on a day: the one answer every part of the app asks.

A acts; B while A is away; the community's stationmaster while both are away. A person is
away on a day an absence covers, and always once their account is inactive.
"""

from dataclasses import dataclass

from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from gridmgmt import statements

from .models import Absence, Area, Post, Role, User

COMMUNITY_DEPTH = 3  # district / street / community: the community is the path's third id


@dataclass(frozen=True)
class Acting:
    """Who acts for `post` on a day, and why: "a", "b", "station" (both away: the
    stationmaster acts) or "gap" (nobody is available)."""

    post: Post
    user: User | None
    by: str

    @property
    def is_gap(self):
        return self.by in {"station", "gap"}


def community_id_of(area):
    """The id of the community `area` lies in (itself, for a community), or None above it."""
    ids = area.path.strip("/").split("/")
    return int(ids[COMMUNITY_DEPTH - 1]) if len(ids) >= COMMUNITY_DEPTH else None


def away_user_ids(day, user_ids):
    """Of `user_ids`, those away on `day`: absent, or inactive. Runs one query."""
    user_ids = {pk for pk in user_ids if pk}
    if not user_ids:
        return set()
    return set(
        User.objects.filter(pk__in=user_ids)
        .filter(Q(is_active=False) | Q(absences__starts_on__lte=day, absences__ends_on__gte=day))
        .values_list("pk", flat=True)
        .distinct()
    )


def acting_on(posts, day=None):
    """{post.pk: Acting} for `posts` (with holders selected) on `day` (today by default).
    Runs two queries: the stationmasters' posts of the communities concerned, then who of
    everyone involved is away."""
    return acting_and_away(posts, day)[0]


def acting_and_away(posts, day=None, user_ids=()):
    """({post.pk: Acting} as `acting_on` gives it, the ids of the people away on `day` among
    everyone involved and `user_ids`), for a sweep that also asks whether some people are
    away. Runs two queries (one when there are no posts)."""
    day = day or timezone.localdate()
    return acting_on_days({day: posts}, user_ids)[day]


def acting_on_days(posts_by_day, user_ids=(), stations=None, stations_when_needed=False):
    """{day: ({post.pk: Acting}, away ids)}: `acting_and_away` for several days at once,
    each day with its own posts (a sweep covering yesterday and today). `stations`: the
    communities' stationmaster posts ({community id: post}, holders selected), when the
    caller fetched them with its own posts. Runs two queries whatever the number of days
    (one when there are no posts or the stations are given). With `stations_when_needed`,
    asks first who of the posts' holders is away, and fetches the stations (and asks again)
    only when a post below a station has both A and B away: one query on most days, three
    on the others."""
    posts_by_day = {day: list(posts) for day, posts in posts_by_day.items()}
    every_post = [post for posts in posts_by_day.values() for post in posts]
    known_away = None
    if stations is None and every_post and stations_when_needed:
        holders = set(user_ids)
        for post in every_post:
            holders |= {post.holder_a_id, post.holder_b_id}
        away_on = away_user_ids_on(posts_by_day, holders)
        if not any(
            _needs_station(post, away_on[day])
            for day, posts in posts_by_day.items()
            for post in posts
        ):
            stations, known_away = {}, away_on
    if stations is None and every_post:
        community_ids = {community_id_of(post.area) for post in every_post} - {None}
        stations = {
            station.area_id: station
            for station in Post.objects.filter(
                area_id__in=community_ids, role=Role.STATIONMASTER
            ).select_related("holder_a", "holder_b")
        }
    stations = stations or {}
    everyone = set(user_ids)
    for post in [*every_post, *stations.values()]:
        everyone |= {post.holder_a_id, post.holder_b_id}
    away_on = known_away if known_away is not None else away_user_ids_on(posts_by_day, everyone)
    found = {}
    for day, posts in posts_by_day.items():
        away = away_on[day]

        def holder(post, away=away):
            if post.holder_a_id not in away:
                return post.holder_a, "a"
            if post.holder_b_id and post.holder_b_id not in away:
                return post.holder_b, "b"
            return None, "gap"

        acting = {}
        for post in posts:
            user, by = holder(post)
            if user is None and post.role != Role.STATIONMASTER:
                station = stations.get(community_id_of(post.area))
                if station is not None:
                    user, _station_by = holder(station)
                    by = "station" if user is not None else "gap"
            acting[post.pk] = Acting(post, user, by)
        found[day] = (acting, away)
    return found


def _needs_station(post, away):
    """Whether the stationmaster acts for `post` when `away` are away: A is, and B too or
    there is no B."""
    return (
        post.role != Role.STATIONMASTER
        and post.holder_a_id in away
        and (not post.holder_b_id or post.holder_b_id in away)
    )


def away_user_ids_on(days, user_ids):
    """{day: the ids of `user_ids` away that day} (see `away_user_ids`), for several days in
    one query (none when there are no ids)."""
    days, user_ids = list(days), sorted({pk for pk in user_ids if pk})
    found = {day: set() for day in days}
    if not (days and user_ids):
        return found
    # A statement compiled once per process for a number of users (gridmgmt.statements).
    rows = statements.value_rows(
        ("grids.posts.away_user_ids_on", len(user_ids)),
        lambda values: (
            User.objects.filter(pk__in=[values[f"user_{n}"] for n in range(len(user_ids))])
            .filter(
                Q(is_active=False)
                | Q(absences__starts_on__lte=values["last"], absences__ends_on__gte=values["first"])
            )
            .values_list("pk", "is_active", "absences__starts_on", "absences__ends_on")
        ),
        {
            "first": min(days),
            "last": max(days),
            **{f"user_{n}": pk for n, pk in enumerate(user_ids)},
        },
    )
    for pk, is_active, starts_on, ends_on in rows:
        for day in days:
            if not is_active or (starts_on is not None and starts_on <= day <= ends_on):
                found[day].add(pk)
    return found


def acting_holder_on(post, day=None):
    """The person acting for `post` on `day` (None when nobody is available). Runs two
    queries."""
    return acting_on([post], day)[post.pk].user


def posts_covered_by(user, user_posts, day=None, key=None):
    """The ids of the posts `user` acts for on `day` without being their A holder: as B
    while A is away, or as the stationmaster while both are away. `user_posts` are the
    user's own posts with their areas and holders (a Scope's `posts`). Who acts is decided
    as `acting_on` decides it, but in the database, which returns only the posts covered:
    no query when the user is neither a B holder nor a stationmaster, else one. `key`: what
    the user and their posts write into the statement (a Scope's `statement_key`); with it
    the statement is compiled once per process (gridmgmt.statements): Django took ~4 ms to
    compile it, ten times what PostgreSQL takes to run it."""
    day = day or timezone.localdate()
    if not _may_cover(user, user_posts):
        return []
    if key is None:
        return list(covered_posts(user, user_posts, day))
    rows = statements.value_rows(
        ("grids.posts.covered", key),
        lambda values: covered_posts(user, user_posts, values["day"]).values_list("pk"),
        {"day": day},
    )
    return [pk for (pk,) in rows]


def _may_cover(user, user_posts):
    """Whether `user` is an active B holder or an active stationmaster: who may cover a
    post."""
    return user.is_active and any(
        post.holder_b_id == user.pk or post.role == Role.STATIONMASTER for post in user_posts
    )


def covered_posts(user, user_posts, day=None):
    """The ids of `posts_covered_by` as a queryset (for a subquery), or None when the user
    is neither an active B holder nor an active stationmaster (no post is covered). No
    query."""
    day = day or timezone.localdate()
    if not _may_cover(user, user_posts):
        return None
    b_posts = [post.pk for post in user_posts if post.holder_b_id == user.pk]
    stations = [post for post in user_posts if post.role == Role.STATIONMASTER]
    absent = Absence.objects.covering(day)

    def away(holder):
        # Subqueries probed per post, not joins: a join to the users makes PostgreSQL hash
        # every user to check a few hundred posts.
        return Q(Exists(absent.filter(user=OuterRef(holder)))) | Q(
            Exists(User.objects.filter(pk=OuterRef(holder), is_active=False))
        )

    candidates = Q(pk__in=b_posts)
    # The communities where the user acts as the stationmaster today: as A, or as B while
    # A is away.
    in_stations, acting_stations = Q(pk__in=[]), Q(pk__in=[])
    for station in stations:
        under = Q(path__startswith=station.area.path)
        in_stations |= under
        if station.holder_a_id == user.pk or not station.holder_a.is_active:
            acting_stations |= under
        else:
            acting_stations |= under & Q(Exists(absent.filter(user=station.holder_a_id)))
    if stations:
        # The posts below the communities, reached through their areas' ids: a join on the
        # path prefix leads PostgreSQL to read every post.
        candidates |= Q(area__in=Area.objects.filter(in_stations).values("pk")) & ~Q(
            role=Role.STATIONMASTER
        )
    acts = Q(holder_a=user) | (
        away("holder_a")
        & (
            Q(holder_b=user)
            | (
                ~Q(role=Role.STATIONMASTER)
                & Q(area__in=Area.objects.filter(acting_stations).values("pk"))
                & (Q(holder_b__isnull=True) | away("holder_b"))
            )
        )
    )
    return (
        Post.objects.filter(candidates)
        .filter(acts)
        # Nobody acts for anything on a day they are away.
        .exclude(Exists(absent.filter(user=user)))
        .values_list("pk", flat=True)
        .order_by()
    )
