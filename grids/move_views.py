"""Pages for people who move: the resident's page, moving to another household, moving to
another community, and the transfers between communities. Every row is reached through the
user's scope: outside it is a 404, a role that only reads gets 403 on writes."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from . import transfers
from .identity import birth_date_from_id, mask_id_number
from .models import Area, Household, Membership, Resident, Transfer
from .move_forms import (
    AcceptForm,
    AcceptNewHouseholdForm,
    DeclineForm,
    MoveToHouseholdForm,
    TransferForm,
)
from .paging import paginate
from .posts import community_id_of
from .register_views import present, register_crumbs
from .scope import get_scope

HISTORY_LIMIT = 100


def _resident(scope, resident_id, current=False):
    residents = Resident.objects.select_related(
        "household__grid", "household__building", "household__unit"
    )
    if current:
        residents = residents.current()
    return scope.get_household_row(
        transfers.with_moving(residents).prefetch_related("tags"),
        "household__",
        pk=resident_id,
    )


def _require_register_work(scope, area):
    if not scope.works_register(area):
        raise PermissionDenied


@login_required
def resident_detail(request, resident_id):
    """The resident: what the user may see of them, their stays, their moves between
    communities and their history. Runs a fixed number of queries (see the test)."""
    scope = get_scope(request)
    resident = _resident(scope, resident_id)
    present([resident], scope)
    grid = resident.household.grid
    stays = list(
        Membership.objects.filter(resident=resident)
        .select_related("household__grid")
        .order_by("-moved_in_on", "-pk")
    )
    moves = list(
        resident.transfers.select_related(
            "from_household__grid", "to_community", "to_household", "requested_by", "decided_by"
        ).order_by("-requested_at", "-pk")
    )
    records = list(
        resident.history.select_related("history_user").order_by("-history_date", "-history_id")[
            :HISTORY_LIMIT
        ]
    )
    households = Household.objects.select_related("grid").in_bulk(
        {r.household_id for r in records} | {s.household_id for s in stays}
    )
    supervises = scope.supervises(grid)

    def where(household):
        """An address, when the user may see it: in their area, or they are the station."""
        if household is None:
            return ""
        if supervises or scope.contains_household(household):
            return f"{household} · {household.grid.name}"
        return _("another community")

    for stay in stays:
        stay.where = where(stay.household)
    history = []
    # A resident written without history (a bulk load) has no records: no entries.
    for record, older in zip(records, [*records[1:], None][: len(records)], strict=True):
        history.append(
            {
                "at": record.history_date,
                "user": record.history_user,
                "kind": record.history_type,
                "where": where(households.get(record.household_id)),
                "moved": older is not None and older.household_id != record.household_id,
                "changes": _changes(record, older),
            }
        )
    return render(
        request,
        "grids/resident_detail.html",
        {
            "resident": resident,
            "stays": stays,
            "moves": moves,
            "pending": next((t for t in moves if t.status == Transfer.Status.PENDING), None),
            "history": history,
            "can_edit": scope.works_register(grid) and not resident.moved_out_on,
            "crumbs": register_crumbs(scope, resident.household),
        },
    )


def _changes(record, older):
    """The fields a history record changed (masked where personal), as (label, old, new)."""
    from .history import _changes as changes

    return changes(Resident, older, record) if older is not None else []


@login_required
def resident_move(request, resident_id):
    """Moves to another household inside the user's area: chosen by searching its address
    or room."""
    scope = get_scope(request)
    resident = _resident(scope, resident_id, current=True)
    _require_register_work(scope, resident.household.grid)
    q = request.GET.get("q", "")
    allowed = scope.filter(Household.objects.active(), "grid").exclude(pk=resident.household_id)
    choices = list(transfers.households_matching(allowed, q))
    form = MoveToHouseholdForm(
        request.POST or None,
        households=allowed,
        choices=choices,
        initial={"relation": resident.relation},
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            transfers.move_to_household(
                resident,
                to=data["household"],
                on=data["moved_on"],
                by=request.user,
                relation=data["relation"],
            )
        except transfers.MoveError as error:
            form.add_error(None, str(error))
        else:
            messages.success(
                request,
                _("%(name)s moved to %(household)s.")
                % {"name": resident.name, "household": data["household"]},
            )
            return redirect("grids:resident", resident.pk)
    return render(
        request,
        "grids/resident_move.html",
        {"resident": resident, "form": form, "q": q, "searched": bool(q.strip())},
    )


@login_required
def resident_transfer(request, resident_id):
    """Moves to another community: a transfer the receiving station accepts or declines."""
    scope = get_scope(request)
    resident = _resident(scope, resident_id, current=True)
    grid = resident.household.grid
    _require_register_work(scope, grid)
    district = Area.objects.get(pk=int(grid.path.strip("/").split("/")[0]))
    communities = (
        Area.objects.of_kind(Area.Kind.COMMUNITY)
        .under(district)
        .exclude(pk=community_id_of(grid))
        .existing_on(timezone.localdate())
        .select_related("parent")
        .order_by("parent__name", "name")
    )
    form = TransferForm(request.POST or None, communities=communities)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            transfers.request_transfer(
                resident,
                to_community=data["to_community"],
                moves_on=data["moves_on"],
                address=data["address"],
                by=request.user,
            )
        except transfers.MoveError as error:
            form.add_error(None, str(error))
        else:
            messages.success(
                request,
                _("The move of %(name)s to %(community)s waits for its station.")
                % {"name": resident.name, "community": data["to_community"].name},
            )
            return redirect("grids:resident", resident.pk)
    return render(request, "grids/resident_transfer.html", {"resident": resident, "form": form})


@login_required
def transfer_list(request):
    """Transfers waiting for the user's station (incoming, with their count) and those
    sent from the user's area. Runs a fixed number of queries (see the test)."""
    scope = get_scope(request)
    rows = transfers.visible_transfers(scope).select_related(
        "resident", "from_household__grid", "to_community", "requested_by", "decided_by"
    )
    incoming = list(
        rows.filter(scope.q("to_community"), status=Transfer.Status.PENDING).order_by(
            "moves_on", "pk"
        )
    )
    for transfer in incoming:
        _present_incoming(transfer)
    if incoming:
        names = dict(
            Area.objects.filter(pk__in={t.from_community_id for t in incoming}).values_list(
                "pk", "name"
            )
        )
        for transfer in incoming:
            transfer.from_community_name = names.get(transfer.from_community_id, "")
    outgoing = rows.filter(scope.q("from_household__grid")).order_by("-requested_at", "-pk")
    return render(
        request,
        "grids/transfer_list.html",
        {"incoming": incoming, **paginate(request, outgoing)},
    )


def _present_incoming(transfer):
    """What the receiving side sees before accepting: name, sex, birth year, a masked ID
    number, and the community the person comes from. No queries: needs `resident` and
    `from_household__grid` selected."""
    resident = transfer.resident
    transfer.shown_id_number = mask_id_number(resident.id_number)
    born = resident.birth_date
    if born is None and len(resident.id_number) == 18:
        try:
            born = birth_date_from_id(resident.id_number)
        except ValueError:
            born = None
    transfer.birth_year = born.year if born else None
    transfer.from_community_id = community_id_of(transfer.from_household.grid)
    return transfer


@login_required
def transfer_detail(request, transfer_id):
    """One transfer. The receiving station accepts it (into a household of its community,
    found by search, or a household it registers now) or declines it with a reason; the
    sending side may cancel it while it waits."""
    scope = get_scope(request)
    transfer = get_object_or_404(
        transfers.visible_transfers(scope).select_related(
            "resident__household__grid",
            "from_household__grid",
            "to_community",
            "to_household",
            "requested_by",
            "decided_by",
        ),
        pk=transfer_id,
    )
    _present_incoming(transfer)
    community = transfer.to_community
    from_community = Area.objects.get(pk=transfer.from_community_id)
    is_receiving = scope.supervises(community)
    is_sending = scope.contains(transfer.from_household.grid)
    is_pending = transfer.status == Transfer.Status.PENDING
    q = request.GET.get("q", "")
    households = Household.objects.filter(grid__path__startswith=community.path)
    grids = Area.objects.grids().filter(parent=community).existing_on(timezone.localdate())
    choices = list(transfers.households_matching(households, q)) if is_receiving else []
    post = request.POST if request.method == "POST" else None
    action = post.get("action") if post else None
    accept = AcceptForm(
        post if action == "accept" else None,
        households=households.active(),
        choices=choices,
        prefix="a",
        initial={"relation": transfer.resident.relation},
    )
    accept_new = AcceptNewHouseholdForm(
        post if action == "accept_new" else None,
        grids=grids,
        prefix="n",
        initial={"address": transfer.address, "housing": Household.Housing.OWNER_OCCUPIED},
    )
    decline = DeclineForm(post if action == "decline" else None, prefix="d")
    if post is not None:
        if action == "cancel":
            if not (is_sending and scope.works_register(transfer.from_household.grid)):
                raise PermissionDenied
        elif not is_receiving:
            raise PermissionDenied
        try:
            if action == "accept" and accept.is_valid():
                transfers.accept_transfer(
                    transfer.pk,
                    by=request.user,
                    household=accept.cleaned_data["household"],
                    relation=accept.cleaned_data["relation"],
                )
                messages.success(
                    request, _("Accepted: %(name)s lives here now.") % _names(transfer)
                )
                return redirect("grids:resident", transfer.resident_id)
            if action == "accept_new" and accept_new.is_valid():
                fields = dict(accept_new.cleaned_data)
                relation = fields.pop("relation")
                transfers.accept_transfer(
                    transfer.pk, by=request.user, new_household=fields, relation=relation
                )
                messages.success(
                    request, _("Accepted: %(name)s lives here now.") % _names(transfer)
                )
                return redirect("grids:resident", transfer.resident_id)
            if action == "decline" and decline.is_valid():
                transfers.decline_transfer(
                    transfer.pk, by=request.user, reason=decline.cleaned_data["reason"]
                )
                messages.success(request, _("Declined; the sender is told."))
                return redirect("grids:transfers")
            if action == "cancel":
                transfers.cancel_transfer(transfer.pk, by=request.user)
                messages.success(request, _("The move was cancelled."))
                return redirect("grids:resident", transfer.resident_id)
        except transfers.MoveError as error:
            messages.error(request, str(error))
            return redirect("grids:transfer", transfer.pk)
    return render(
        request,
        "grids/transfer_detail.html",
        {
            "transfer": transfer,
            "from_community": from_community,
            "is_receiving": is_receiving and is_pending,
            "can_cancel": is_pending
            and is_sending
            and scope.works_register(transfer.from_household.grid),
            "sees_resident": scope.contains(transfer.resident.household.grid),
            "accept": accept,
            "accept_new": accept_new,
            "decline": decline,
            "q": q,
            "searched": bool(q.strip()),
        },
    )


def _names(transfer):
    return {"name": transfer.resident.name}
