"""Reads and writes of the residents' channel: a grid's public page (its address, its team,
its patrol times) and the matters residents file through it."""

from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from grids.models import GRID_WORKER_ROLES, Area, Post, Role
from grids.posts import acting_on
from incidents.models import Incident
from notifications.services import notify
from patrols import photos as patrol_photos

from .models import GridChannel, ResidentMatter, ResidentPhoto

# The account a resident's matter is filed under: residents have none. It cannot log in
# (inactive, no usable password); whoever on the team accepts the matter first becomes its
# first-responsible person (incidents.services.take_step).
CHANNEL_USERNAME = "residents-channel"
CHANNEL_DISPLAY_NAME = "居民（公开页）"
TITLE_LENGTH = 80

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


def channel_user():
    """The account residents' matters are filed under (made on first use). Runs one or two
    queries."""
    user, created = get_user_model().objects.get_or_create(
        username=CHANNEL_USERNAME,
        defaults={"full_name": CHANNEL_DISPLAY_NAME, "is_active": False},
    )
    if created:
        user.set_unusable_password()
        user.save(update_fields=["password"])
    return user


def _title(place, text):
    first = " ".join(text.split())
    title = f"{place} · {first}" if place else first
    return title if len(title) <= TITLE_LENGTH else title[: TITLE_LENGTH - 1] + "…"


@transaction.atomic
def file_matter(channel, *, category, place, text, phone="", photos=(), at=None):
    """A resident's matter, filed through the grid's public page: an incident of the grid
    with source "resident", reported and not yet accepted, its photos re-encoded without
    their metadata (patrols.photos.shrink). The station is told (incidents.services
    .open_incident) and so is whoever acts for each of the grid's worker posts today.
    Returns the ResidentMatter, whose status_token is the resident's private address."""
    from incidents.services import open_incident

    at = at or timezone.now()
    grid = channel.grid
    incident = open_incident(
        grid=grid,
        category=category,
        by=channel_user(),
        title=_title(place, text),
        source=Incident.Source.RESIDENT,
        at=at,
        description=text,
        reporter_phone=phone,
    )
    matter = ResidentMatter.objects.create(incident=incident, channel=channel, place=place)
    stored = [
        ResidentPhoto.objects.create(matter=matter, image=patrol_photos.shrink(photo))
        for photo in photos
    ]
    if stored:
        # The first photo is the incident's own, shown where staff read the incident.
        Incident.objects.filter(pk=incident.pk).update(photo=stored[0].image.name)
    _tell_grid_team(incident, at)
    return matter


def _tell_grid_team(incident, at):
    """Whoever acts today for each of the grid's worker posts hears of the new matter, so
    that one of them accepts it. Runs three queries and one per person told."""
    posts = Post.objects.filter(area=incident.grid, role__in=GRID_WORKER_ROLES).select_related(
        "area", "holder_a", "holder_b"
    )
    acting = acting_on(list(posts), timezone.localdate(at))
    notify(
        [found.user for found in acting.values()],
        key=f"resident-filed:{incident.pk}",
        kind="incident",
        title=_("A resident reported %(number)s in %(grid)s: please accept it"),
        params={"number": incident.number, "grid": incident.grid.name},
        url=incident.get_absolute_url(),
    )


def status_steps(incident):
    """The steps a resident sees on their status page, in plain words: [(label, is_done)]
    for received, being handled and done. No query."""
    status = incident.status
    handling = status not in {Incident.Status.REPORTED}
    done = status in {Incident.Status.CLOSED, Incident.Status.DUPLICATE}
    return [
        (_("Received"), True),
        (_("Being handled"), handling),
        (_("Done"), done),
    ]


def page_path(channel):
    """The path of the grid's public page. No query."""
    return reverse("residents:page", args=[channel.token])


@transaction.atomic
def rate_matter(matter, *, satisfaction, comment="", at=None):
    """The resident rates their closed matter: the incident's satisfaction
    (incidents.services.rate_as_resident: "dissatisfied" reopens it for the station), and the
    mark that the resident rated it. Raises InvalidTransition, saving nothing, when it cannot
    be rated now."""
    from incidents.services import rate_as_resident

    at = at or timezone.now()
    rate_as_resident(matter.incident, satisfaction=satisfaction, comment=comment, at=at)
    matter.rated_at = at
    matter.save(update_fields=["rated_at"])
    return matter


def more_photo_ids(incident):
    """The ids of a resident's photos beyond the first (the first is the incident's own
    photo), for the incident's page. Runs one query."""
    ids = ResidentPhoto.objects.filter(matter__incident=incident).values_list("pk", flat=True)
    return list(ids.order_by("pk"))[1:]
