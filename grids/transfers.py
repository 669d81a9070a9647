"""People who move: to another household in the user's area, to another community (a
transfer the receiving station accepts or declines), and back into the register under an
ID number it already holds. The same Resident row moves each time, so its history, stays
and tags go with it.

Each write is atomic and in the history with who made it; the notifications it owes are
rows written in the same transaction and sent after commit (`notifications.services`).
"""

from django.db import transaction
from django.db.models import Exists, F, Func, IntegerField, OuterRef, Q, Subquery
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.translation import gettext_lazy as _

from notifications.models import Kind
from notifications.services import notify

from . import services
from .models import Area, Household, Membership, Post, Resident, Role, Transfer
from .posts import acting_on, community_id_of


class MoveError(Exception):
    """A move that cannot be made; the message says why, for the user."""


def with_moving(residents):
    """`residents` annotated with `is_moving`: a transfer to another community waits for
    the receiving station. Adds no query (a subquery in the same SELECT)."""
    pending = Transfer.objects.filter(resident=OuterRef("pk"), status=Transfer.Status.PENDING)
    return residents.annotate(is_moving=Exists(pending))


def visible_transfers(scope):
    """Transfers the user may see: from a household in their area (the sending side) or to
    a community in it (the receiving side)."""
    return Transfer.objects.filter(scope.q("from_household__grid") | scope.q("to_community"))


def transfers_waiting(scope):
    """How many transfers wait for a station the user holds (or above it), or None for
    someone who is no station: for the register's pages. Runs one query, none for None."""
    if not scope.supervises_somewhere():
        return None
    return _waiting(scope).count()


def transfers_waiting_count(scope):
    """`transfers_waiting` as an expression to read with another statement's row (a
    subquery that counts them, run once), or None for someone who is no station. No
    query."""
    if not scope.supervises_somewhere():
        return None
    counted = _waiting(scope).order_by().annotate(n=Func("pk", function="COUNT"))
    return Subquery(counted.values("n"), output_field=IntegerField())


def _waiting(scope):
    return Transfer.objects.filter(
        scope.supervised_q("to_community"), status=Transfer.Status.PENDING
    )


def stay_began(resident):
    """The day the resident's current stay began (the latest, if a status change split
    it), or None. Runs one query."""
    return (
        Membership.objects.filter(resident=resident, moved_out_on__isnull=True)
        .order_by("-moved_in_on")
        .values_list("moved_in_on", flat=True)
        .first()
    )


def community_of(area):
    return Area.objects.get(pk=community_id_of(area))


def station_of(community, *, day=None):
    """Who acts for the community's stationmaster post(s) today. Runs three queries."""
    posts = Post.objects.filter(area=community, role=Role.STATIONMASTER).select_related(
        "area", "holder_a", "holder_b"
    )
    return [found.user for found in acting_on(posts, day).values() if found.user is not None]


def _check_day(resident, on):
    if on > timezone.localdate():
        raise MoveError(_("A move cannot be dated in the future."))
    began = stay_began(resident)
    if began and on < began:
        raise MoveError(
            _("The current stay began on %(date)s: the move cannot be dated before it.")
            % {"date": formats.date_format(began, "SHORT_DATE_FORMAT")}
        )


@transaction.atomic
def move_to_household(resident, *, to, on, by, relation=None):
    """The resident moves to `to` (in the user's area) on `on`."""
    if resident.moved_out_on:
        raise MoveError(_("This resident has moved out."))
    if to.pk == resident.household_id:
        raise MoveError(_("The resident already lives in this household."))
    if resident.transfers.filter(status=Transfer.Status.PENDING).exists():
        raise MoveError(_("A move to another community is waiting: cancel it first."))
    _check_day(resident, on)
    return services.move_resident(resident, to=to, on=on, by=by, relation=relation)


@transaction.atomic
def request_transfer(resident, *, to_community, moves_on, address, by):
    """Record that the resident moves to another community on `moves_on`; the receiving
    station is told and accepts or declines. The resident stays where they are until then."""
    resident = (
        Resident.objects.select_for_update().select_related("household__grid").get(pk=resident.pk)
    )
    if resident.moved_out_on:
        raise MoveError(_("This resident has moved out."))
    if to_community.pk == community_id_of(resident.household.grid):
        raise MoveError(_("Choose another community: this one is the resident's own."))
    if resident.transfers.filter(status=Transfer.Status.PENDING).exists():
        raise MoveError(_("A move to another community is already waiting."))
    _check_day(resident, moves_on)
    transfer = Transfer(
        resident=resident,
        from_household=resident.household,
        to_community=to_community,
        address=address,
        moves_on=moves_on,
        requested_by=by,
    )
    transfer._history_user = by
    transfer.save()
    notify(
        station_of(to_community),
        key=f"transfer:{transfer.pk}",
        title=_("%(name)s is moving to %(community)s: accept or decline"),
        params={"name": resident.name, "community": to_community.name},
        url=reverse("grids:transfer", args=[transfer.pk]),
        kind=Kind.STATION,
    )
    return transfer


def _pending(transfer_id):
    transfer = (
        Transfer.objects.select_for_update()
        .select_related("resident", "to_community", "requested_by")
        .get(pk=transfer_id)
    )
    if transfer.status != Transfer.Status.PENDING:
        raise MoveError(_("This transfer has already been decided or cancelled."))
    return transfer


def _decide(transfer, status, by, **fields):
    transfer.status = status
    transfer.decided_by = by
    transfer.decided_at = timezone.now()
    for name, value in fields.items():
        setattr(transfer, name, value)
    transfer._history_user = by
    transfer.save()


@transaction.atomic
def accept_transfer(transfer_id, *, by, household=None, new_household=None, relation=None):
    """The receiving station takes the resident into `household` (in its community) or into
    a household it registers now (`new_household`: grid and Household fields). The same
    Resident row moves on the transfer's date; the sender is told."""
    transfer = _pending(transfer_id)
    resident = transfer.resident
    if resident.moved_out_on:
        raise MoveError(
            _("This resident has moved out meanwhile: the transfer cannot be accepted.")
        )
    _check_day(resident, transfer.moves_on)
    if household is None:
        fields = dict(new_household)
        grid = fields.pop("grid")
        household = services.register_household(grid=grid, by=by, on=transfer.moves_on, **fields)
    if community_id_of(household.grid) != transfer.to_community_id:
        raise MoveError(_("Choose a household in the receiving community."))
    services.move_resident(resident, to=household, on=transfer.moves_on, by=by, relation=relation)
    _decide(transfer, Transfer.Status.ACCEPTED, by, to_household=household)
    notify(
        [transfer.requested_by],
        key=f"transfer-accepted:{transfer.pk}",
        title=_("%(community)s accepted %(name)s"),
        params={"name": resident.name, "community": transfer.to_community.name},
        url=reverse("grids:transfer", args=[transfer.pk]),
        kind=Kind.STATION,
    )
    return transfer


@transaction.atomic
def decline_transfer(transfer_id, *, by, reason):
    """The receiving station declines with a reason; the sender is told. The resident
    stays where they were."""
    transfer = _pending(transfer_id)
    _decide(transfer, Transfer.Status.DECLINED, by, reason=reason)
    notify(
        [transfer.requested_by],
        key=f"transfer-declined:{transfer.pk}",
        title=_("%(community)s declined %(name)s"),
        body=_("Reason: %(reason)s"),
        params={
            "name": transfer.resident.name,
            "community": transfer.to_community.name,
            "reason": reason,
        },
        url=reverse("grids:transfer", args=[transfer.pk]),
        kind=Kind.STATION,
    )
    return transfer


@transaction.atomic
def cancel_transfer(transfer_id, *, by):
    """The sending side withdraws a transfer still waiting; the receiving station is told."""
    transfer = _pending(transfer_id)
    _decide(transfer, Transfer.Status.CANCELLED, by)
    notify(
        [u for u in station_of(transfer.to_community) if u.pk != by.pk],
        key=f"transfer-cancelled:{transfer.pk}",
        title=_("The move of %(name)s to %(community)s was cancelled"),
        params={"name": transfer.resident.name, "community": transfer.to_community.name},
        url=reverse("grids:transfer", args=[transfer.pk]),
        kind=Kind.STATION,
    )
    return transfer


# --- An ID number the register already holds ---


def registered_as(id_number, area):
    """The person the register holds under `id_number` in `area`'s district: a current
    resident first, else the one who moved out last; None if nobody. Runs one query."""
    if not id_number:
        return None
    district = "/" + area.path.strip("/").split("/")[0] + "/"
    return (
        Resident.objects.filter(id_number=id_number, household__grid__path__startswith=district)
        .select_related("household__grid")
        .order_by(F("moved_out_on").desc(nulls_first=True), "-pk")
        .first()
    )


def tell_station_of_kept_duplicate(resident, *, by):
    """`resident` was saved with an ID number another current resident holds: the station
    of the resident's community is told (unless it saved it), so two people under one number
    are never kept unnoticed. Does nothing when nobody else holds it. Runs a few queries."""
    others = Resident.objects.current().filter(id_number=resident.id_number)
    if not resident.id_number or not others.exclude(pk=resident.pk).exists():
        return []
    household = resident.household
    return notify(
        [u for u in station_of(community_of(household.grid)) if u.pk != by.pk],
        key=f"duplicate-id:{resident.pk}:{resident.id_number}",
        title=_("%(name)s at %(address)s was saved with an ID number another resident holds"),
        params={"name": resident.name, "address": str(household)},
        body=_("Check which of them the number belongs to."),
        url=reverse("grids:resident", args=[resident.pk]),
        kind=Kind.STATION,
    )


@transaction.atomic
def bring_here(existing, *, to, on, by, scope, relation=None, population=None):
    """The person registered as `existing` is the one being added to `to`: the same row
    moves here. Moved out: registered again from `on` (their old stays kept). Living in the
    user's area: moved here. Living elsewhere: nothing moves; the station of the community
    where they live is asked to record the move (it is theirs to confirm), and None is
    returned."""
    if existing.moved_out_on is None and not scope.contains(existing.household.grid):
        community = community_of(existing.household.grid)
        notify(
            station_of(community),
            key=f"transfer-asked:{existing.pk}:{to.pk}:{on.isoformat()}",
            title=_("%(name)s is being registered in %(community)s: record the move there"),
            params={"name": existing.name, "community": community_of(to.grid).name},
            url=reverse("grids:resident", args=[existing.pk]),
            kind=Kind.STATION,
        )
        return None
    if existing.moved_out_on and on < existing.moved_out_on:
        raise MoveError(
            _("This person moved out on %(date)s: they cannot come back before that.")
            % {"date": formats.date_format(existing.moved_out_on, "SHORT_DATE_FORMAT")}
        )
    if existing.moved_out_on is None:
        return move_to_household(existing, to=to, on=on, by=by, relation=relation)
    if population and population != existing.population:
        existing.population = population
    return services.move_resident(existing, to=to, on=on, by=by, relation=relation)


def households_matching(queryset, q, limit=20):
    """Active households of `queryset` whose address or room contains `q`, for a chooser.
    Runs one query when evaluated."""
    q = (q or "").strip()
    if not q:
        return Household.objects.none()
    return (
        queryset.active()
        .filter(Q(address__icontains=q) | Q(room__icontains=q))
        .select_related("grid")
        .order_by("address", "room", "pk")[:limit]
    )
