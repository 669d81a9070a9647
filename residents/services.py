"""Reads and writes of the residents' channel: a grid's public page (its address, its team,
its patrol times) and the matters residents file through it."""

from dataclasses import dataclass

from django.conf import settings
from django.db.models import Q
from django.urls import reverse

from grids.models import Area, Post, Role

from .models import GridChannel

# The order the team is shown in: the station first, then the grid's own posts.
TEAM_ROLES = [
    Role.STATIONMASTER,
    Role.GRID_LEADER,
    Role.GRID_MEMBER,
    Role.INFORMATION_OFFICER,
    Role.COMMUNITY_POLICE,
    Role.PATROL_MEMBER,
    Role.PARTY_MEMBER,
    Role.VOLUNTEER,
]
# Posts of the community itself shown on each of its grids' pages.
COMMUNITY_ROLES = [Role.STATIONMASTER]


def channel_for(grid):
    """The grid's public page, made on first use (two queries at most)."""
    channel, _created = GridChannel.objects.get_or_create(grid=grid)
    return channel


def public_url(grid, request=None):
    """The absolute address of the grid's public page, as printed on its notice board: on
    settings.PUBLIC_SITE_URL when set (the address residents reach from outside), else on
    the host of `request`, else on settings.SITE_URL. Runs up to two queries (the channel,
    made on first use)."""
    path = reverse("residents:page", args=[channel_for(grid).token])
    base = getattr(settings, "PUBLIC_SITE_URL", "")
    if base:
        return base.rstrip("/") + path
    if request is not None:
        return request.build_absolute_uri(path)
    return settings.SITE_URL.rstrip("/") + path


@dataclass(frozen=True)
class TeamRow:
    """One person of a grid's team as residents see them: the post's name, the person's
    name and work phone. `is_backup` marks the post's B holder."""

    post: str
    name: str
    phone: str
    is_backup: bool = False


def team_for(grid):
    """The rows of the grid's team shown to residents: the community's stationmaster, then
    each open post at the grid, A holder then B holder; people whose account is closed are
    left out. Names, posts and work phones only (no photos, no personal data). Runs one
    query."""
    community_id = grid.parent_id
    posts = (
        Post.objects.filter(
            Q(area=grid, role__in=TEAM_ROLES)
            | Q(area_id=community_id, role__in=COMMUNITY_ROLES, area__kind=Area.Kind.COMMUNITY)
        )
        .select_related("holder_a", "holder_b")
        .order_by("pk")
    )
    rank = {role: n for n, role in enumerate(TEAM_ROLES)}
    rows = []
    for post in sorted(posts, key=lambda p: (rank[p.role], p.pk)):
        label = str(Role(post.role).label)
        for holder, is_backup in ((post.holder_a, False), (post.holder_b, True)):
            if holder is not None and holder.is_active:
                rows.append(TeamRow(label, holder.display_name, holder.phone, is_backup))
    return rows


def patrol_times(grid):
    """The grid's patrol windows, as [(label, starts, ends)] in local time: the community's
    schedule (patrols.windows.schedule_for). Runs one query."""
    from patrols.models import Slot
    from patrols.windows import schedule_for

    schedule = schedule_for(grid.parent)
    return [(Slot(slot).label, *schedule.window(slot)) for slot in (Slot.MORNING, Slot.AFTERNOON)]
