"""The household register's pages: households, residents, floating population, rentals,
search, unmasking and the disclosure log. Every object is reached through the user's scope."""

import datetime
from collections import defaultdict

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.postgres.expressions import ArraySubquery
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, connection, transaction
from django.db.models import (
    Count,
    OuterRef,
    Prefetch,
    Q,
    Subquery,
    Sum,
)
from django.db.models.functions import Coalesce, JSONObject
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext, pgettext
from django.views.decorators.http import require_POST

from gridmgmt import statements
from gridmgmt.arrays import one_of

from . import services
from .exports import register_export, require_export
from .forms import (
    FloatingFilter,
    HouseholdFilter,
    HouseholdForm,
    MoveOutForm,
    NewResidentForm,
    RentalFilter,
    ResidentForm,
    SearchForm,
)
from .history import history_entries
from .identity import (
    life_date_cell,
    life_date_text,
    mask_birth_date,
    mask_id_number,
    mask_phone,
)
from .models import Area, DisclosureLog, Household, Rental, Resident, Tag
from .once import FIELD as ONCE
from .once import AlreadySent, once
from .paging import paginate
from .scope import STATION_GRIDS_MOST, get_scope
from .transfers import (
    MoveError,
    bring_here,
    tell_station_of_kept_duplicate,
    transfers_waiting,
    transfers_waiting_count,
    with_moving,
)

# A search lists at most this many people (and counts no further): more means it needs
# more of the name.
SEARCH_MOST = 200
# Addresses are searched from this many characters: a trigram index serves no shorter text.
ADDRESS_MIN = 3
RESIDENT_FIELDS = ["name", "sex", "birth_date", "id_number", "phone", "relation", "population"]


def present(residents, scope):
    """Mask what the user may not see, row by row, and name each choice (relation, sex,
    population) as `shown_<field>`. No queries: needs `household__grid` and the tags
    prefetched or read with the rows (`with_tags`). A move-out date that is the birth date
    of anyone in `residents` is shown by its month (grids.identity)."""
    births = {resident.birth_date for resident in residents if resident.birth_date}
    # The labels, once per call: a model's get_FOO_display() rebuilds them for each row.
    labels = {
        name: dict(Resident._meta.get_field(name).flatchoices)
        for name in ("relation", "sex", "population")
    }
    grants = {}  # grid id: (sees phones, sees attention tags, may unmask)
    for resident in residents:
        born = resident.birth_date
        resident.shown_moved_out = life_date_text(resident.moved_out_on, born, births)
        for name, names in labels.items():
            value = getattr(resident, name)
            setattr(resident, f"shown_{name}", names.get(value, value))
        grid = resident.household.grid
        if grid.pk not in grants:
            grants[grid.pk] = (
                scope.sees_phones(grid),
                scope.sees_attention_tags(grid),
                scope.may_unmask_ids(grid),
            )
        phones, attention, unmask = grants[grid.pk]
        resident.shown_id_number = mask_id_number(resident.id_number)
        resident.shown_phone = resident.phone if phones else mask_phone(resident.phone)
        if hasattr(resident, "tag_rows"):
            tags = [Tag(kind=t["kind"], name=t["name"]) for t in resident.tag_rows]
        else:
            tags = resident.tags.all()
        resident.shown_tags = [t for t in tags if attention or t.kind == Tag.Kind.CARE]
        resident.can_unmask = unmask and bool(resident.id_number)
    return residents


def with_tags(residents):
    """`residents` with `tag_rows`, their tags' kinds and names ([{"kind", "name"}]) in the
    tags' order, read in the same SELECT (a subquery a row) instead of by a prefetch's query
    of its own. No query. Where the database has no ARRAY subquery (SQLite, the embedded
    default) the tags are prefetched instead, by a query of their own."""
    if connection.vendor != "postgresql":
        return residents.prefetch_related("tags")
    tags = (
        Tag.objects.filter(resident=OuterRef("pk"))
        .order_by(*Tag._meta.ordering)
        .values(row=JSONObject(kind="kind", name="name"))
    )
    return residents.annotate(tag_rows=ArraySubquery(tags))


def household_counter(rows, scope):
    """A function that counts those of `rows` (a queryset over a model with a `household`)
    that belong to the households of the scope's grids, in one query; or None, to let the
    paginator count the rows (then limited to the scope by the caller).

    With a few grids, the count goes household by household: one index look-up per
    household of those grids. A join would read every floating resident of the district
    (136,539 on the district bench) to count a station's 1,371: PostgreSQL prefers it to
    1,639 look-ups. With more grids the look-ups cost as much as the join."""
    if scope.is_global or len(scope.grid_ids) > STATION_GRIDS_MOST:
        return None
    # COUNT(*), not of the key: the partial index of current floating residents by household
    # answers it alone, without reading each resident's row (district bench, a station:
    # 3,702 -> 3,323 buffers, 2.0 -> 1.6 ms).
    per_household = (
        rows.filter(household=OuterRef("pk"))
        .order_by()
        .values("household")
        .annotate(n=Count("*"))
        .values("n")
    )
    households = Household.objects.filter(grid__in=scope.grid_ids)

    def count():
        return households.aggregate(n=Coalesce(Sum(Subquery(per_household)), 0))["n"]

    return count


def _scope_grids(scope, waiting=False):
    """The scope's grids (id and name, in code order), for a list's grid filter; the scope's
    grid ids (`scope.grid_ids`) are taken from the same rows instead of being read again.
    `waiting`: each row carries `transfers_waiting` too (`transfers_waiting_count`, read
    once, as every row's), for a station. Runs one query, of a statement compiled once per
    process for the scope and `waiting` (gridmgmt.statements); the count's expression is
    built only to compile it."""

    def build(values):
        grids = scope.grids().only("pk", "name")
        if waiting:
            grids = grids.annotate(transfers_waiting=transfers_waiting_count(scope))
        return grids.order_by("code")

    grids = statements.model_rows(
        (
            "grids.register_views.scope_grids",
            ("transfers_waiting",) if waiting else (),
            scope.statement_key,
        ),
        build,
        {},
    )
    if "grid_ids" not in vars(scope):
        scope.grid_ids = [grid.pk for grid in grids]  # what its own query would read
    return grids


def _choices_from(filterset, name, areas):
    """The filter `name`'s choices drawn from `areas` as read (`_scope_grids`, a grid's
    `building_rows`), not by the field's query of them: the choices its ModelChoiceIterator
    would give. A chosen area is still checked against the field's queryset."""
    field = filterset.form.fields[name]
    options = field.iterator(field)
    first = [("", field.empty_label)] if field.empty_label is not None else []
    if field.null_label is not None:
        first.append((field.null_value, field.null_label))
    # As ChoiceField's setter stores a list of choices (django-filter's cannot take a model
    # field's: it wraps the list in the model iterator); ModelChoiceField reads `_choices`
    # when set.
    field._choices = field.widget.choices = first + [options.choice(area) for area in areas]


def _require_register_work(scope, area):
    if not scope.works_register(area):
        raise PermissionDenied


def _wants_xlsx(request):
    return request.GET.get("format") == "xlsx"


@login_required
def household_list(request, grid_code):
    scope = get_scope(request)
    # The grid as scope.get_grid reads it, with its buildings (the building filter's
    # choices: id and name, in code order) in the same SELECT.
    buildings = (
        Area.objects.filter(parent=OuterRef("pk"))
        .order_by("code")
        .values(row=JSONObject(pk="pk", name="name"))
    )
    # And, for a station, the transfers waiting for it (`transfers_waiting`).
    waiting = transfers_waiting_count(scope)
    arrays = connection.vendor == "postgresql"
    grid = scope.get(
        Area.objects.grids()
        .select_related("parent__parent__parent")
        .annotate(**({"building_rows": ArraySubquery(buildings)} if arrays else {}))
        .annotate(**({} if waiting is None else {"transfers_waiting": waiting})),
        code=grid_code,
    )
    if not arrays:  # no ARRAY subquery (SQLite, the embedded default): a query of its own
        grid.building_rows = list(
            Area.objects.filter(parent=grid).order_by("code").values("pk", "name")
        )
    households = (
        Household.objects.filter(grid=grid).active().for_list().order_by("address", "room", "pk")
    )
    filterset = HouseholdFilter(request.GET, queryset=households, grid=grid)
    _choices_from(
        filterset, "building", [Area(pk=b["pk"], name=b["name"]) for b in grid.building_rows]
    )
    if _wants_xlsx(request):
        require_export(scope, grid)
        rows = (
            (
                h.address,
                h.room,
                h.building.name if h.building else "",
                h.get_housing_display(),
                h.resident_count,
                timezone.localtime(h.last_verified_at).strftime("%Y-%m-%d %H:%M")
                if h.last_verified_at
                else "",
            )
            for h in filterset.qs.iterator(chunk_size=2000)
        )
        headers = [
            _("Address"),
            _("Room"),
            _("Building"),
            _("Housing"),
            _("Residents"),
            _("Last verified"),
        ]
        return register_export(
            request,
            area=grid,
            what="households",
            filename=f"households-{grid.code}.xlsx",
            headers=headers,
            rows=rows,
        )
    # A grid's few hundred households are all read and sorted for a page: counted in the
    # page's statement. The rows show no building, unit or grid (the export does): not
    # joined, they are not looked up for every household of the grid (1,104 of the
    # statement's 1,240 buffers for a grid of 184 households on the district bench).
    context = paginate(request, filterset.qs.select_related(None), windowed=True)
    # The housing's label, as get_housing_display gives it, from one dict for the page
    # (Django's rebuilds the field's choices for each row).
    housing = dict(Household._meta.get_field("housing").flatchoices)
    for household in context["page"].object_list:
        household.shown_housing = housing.get(household.housing, household.housing)
    return render(
        request,
        "grids/household_list.html",
        {
            "grid": grid,
            "transfers_waiting": getattr(grid, "transfers_waiting", None),
            "filter": filterset,
            "can_edit": scope.works_register(grid),
            **context,
        },
    )


@login_required
def my_buildings(request):
    """The buildings and units where the user holds a post (a building or unit leader): the
    way to their households from the menu. One goes straight to its list. Reads only the
    scope's posts."""
    scope = get_scope(request)
    areas = [
        post.area for post in scope.posts if post.area.kind in {Area.Kind.BUILDING, Area.Kind.UNIT}
    ]
    if len(areas) == 1:
        return redirect("grids:building_households", areas[0].code)
    return render(request, "grids/my_buildings.html", {"areas": areas})


@login_required
def building_households(request, building_code):
    """The households of a building or a unit: a building or unit leader's register (read
    only, masked as for anyone who does not keep the register), and a page any grid worker
    or supervisor of the grid may open too. Runs the scope's posts query, the area's, the
    count and the page."""
    scope = get_scope(request)
    area = scope.get(
        Area.objects.filter(kind__in=[Area.Kind.BUILDING, Area.Kind.UNIT]).select_related(
            "parent__parent"
        ),
        code=building_code,
    )
    field = "unit" if area.kind == Area.Kind.UNIT else "building"
    households = (
        Household.objects.filter(**{field: area})
        .active()
        .for_list()
        .order_by("address", "room", "pk")
    )
    filterset = HouseholdFilter(request.GET, queryset=households, grid=area)
    # The building filter chooses among a grid's buildings: here there is one.
    filterset.filters.pop("building")
    grid = area.parent.parent if field == "unit" else area.parent
    return render(
        request,
        "grids/building_households.html",
        {
            "area": area,
            "grid": grid if scope.contains(grid) else None,
            "filter": filterset,
            **paginate(request, filterset.qs),
        },
    )


def register_crumbs(scope, household):
    """[(name, url)]: the way back from a household's page to the lists the user may open
    (its grid and the grid's households, or their own building or unit). No queries: needs
    `grid`, `building` and `unit` selected."""
    if scope.contains(household.grid):
        return [
            (household.grid.name, household.grid.get_absolute_url()),
            (_("Households"), reverse("grids:households", args=[household.grid.code])),
        ]
    for area in (household.building, household.unit):
        if area is not None and scope.contains(area):
            return [(area.name, reverse("grids:building_households", args=[area.code]))]
    return []


@login_required
def household_detail(request, household_id):
    scope = get_scope(request)
    household = scope.get_household_row(
        Household.objects.select_related("grid", "building", "unit", "last_verified_by"),
        pk=household_id,
    )
    residents = present(
        list(
            with_moving(household.residents.select_related("household__grid"))
            .prefetch_related("tags")
            .order_by("moved_out_on", "pk")
        ),
        scope,
    )
    rentals = household.rentals.prefetch_related(
        Prefetch("tenants", queryset=Resident.objects.only("name"))
    ).order_by("-starts_on")
    return render(
        request,
        "grids/household_detail.html",
        {
            "household": household,
            "current": [r for r in residents if not r.moved_out_on],
            "former": [r for r in residents if r.moved_out_on],
            "rentals": rentals,
            "history": history_entries(household),
            "can_edit": scope.works_register(household.grid),
            "crumbs": register_crumbs(scope, household),
        },
    )


@login_required
def household_create(request, grid_code):
    scope = get_scope(request)
    grid = scope.get_grid(grid_code)
    _require_register_work(scope, grid)
    form = HouseholdForm(request.POST or None, grid=grid, prefix="h")
    resident_forms = [
        ResidentForm(
            request.POST or None,
            scope=scope,
            area=grid,
            prefix=f"r{i}",
            use_required_attribute=False,
        )
        for i in range(_resident_rows(request))
    ]
    filled = [f for f in resident_forms if f.has_changed()] if request.POST else []
    if request.method == "POST":
        try:
            if not (form.is_valid() and all(f.is_valid() for f in filled)):
                # A resident row may fail only because this same form's first sending
                # registered that person: then show what it made.
                form.raise_if_sent()
                return render(
                    request,
                    "grids/household_form.html",
                    {"grid": grid, "form": form, "resident_forms": resident_forms},
                )
            with once(form, by=request.user) as made:
                household = services.register_household(
                    grid=grid,
                    by=request.user,
                    residents=[
                        _resident_fields(f.cleaned_data)
                        for f in filled
                        if not f.cleaned_data.get("existing")
                    ],
                    **{
                        k: v
                        for k, v in form.cleaned_data.items()
                        if k not in {"seen_updated_at", ONCE}
                    },
                )
                made(household)
                for f in filled:
                    if f.cleaned_data.get("existing") and not _bring_here(
                        request, scope, household, f
                    ):
                        transaction.set_rollback(True)
                        return render(
                            request,
                            "grids/household_form.html",
                            {"grid": grid, "form": form, "resident_forms": resident_forms},
                        )
        except AlreadySent as sent:
            return sent.response(request)
        except IntegrityError:
            form.add_error(None, _registered_meanwhile())
            return render(
                request,
                "grids/household_form.html",
                {"grid": grid, "form": form, "resident_forms": resident_forms},
            )
        messages.success(
            request,
            ngettext(
                "Household %(address)s registered with %(count)d resident.",
                "Household %(address)s registered with %(count)d residents.",
                len(filled),
            )
            % {"address": household, "count": len(filled)},
        )
        return redirect(household)
    return render(
        request,
        "grids/household_form.html",
        {
            "grid": grid,
            "form": form,
            "resident_forms": resident_forms,
        },
    )


@login_required
def household_update(request, household_id):
    scope = get_scope(request)
    household = scope.get_household_row(Household.objects.select_related("grid"), pk=household_id)
    _require_register_work(scope, household.grid)
    form = HouseholdForm(request.POST or None, instance=household, grid=household.grid, prefix="h")
    if request.method == "POST" and form.is_valid():
        fields = {k: v for k, v in form.cleaned_data.items() if k != "seen_updated_at"}
        services.update_household(household, by=request.user, **fields)
        messages.success(request, _("Household saved."))
        return redirect(household)
    return render(
        request,
        "grids/household_form.html",
        {
            "grid": household.grid,
            "form": form,
            "household": household,
        },
    )


@login_required
def resident_create(request, household_id):
    scope = get_scope(request)
    household = scope.get_household_row(Household.objects.select_related("grid"), pk=household_id)
    _require_register_work(scope, household.grid)
    form = NewResidentForm(request.POST or None, scope=scope, area=household.grid)
    try:
        valid = request.method == "POST" and form.is_valid()
    except AlreadySent as sent:
        return sent.response(request)
    if valid:
        if form.cleaned_data.get("existing"):
            if _bring_here(request, scope, household, form):
                return redirect(household)
        else:
            try:
                with once(form, by=request.user) as made:
                    resident = services.add_resident(
                        household, by=request.user, **_resident_fields(form.cleaned_data)
                    )
                    made(household)
            except AlreadySent as sent:
                return sent.response(request)
            except IntegrityError:
                form.add_error("id_number", _registered_meanwhile())
            else:
                messages.success(request, _("%(name)s added.") % {"name": resident.name})
                return redirect(household)
    return render(request, "grids/resident_form.html", {"household": household, "form": form})


def _registered_meanwhile():
    return _(
        "Someone registered this ID number a moment ago. Nothing was saved: check the number "
        "and send the form again."
    )


def _bring_here(request, scope, household, form):
    """The person the form's ID number names moves into `household` as the same person
    (see transfers.bring_here). False, with the reason on the form, when they cannot."""
    cleaned = form.cleaned_data
    existing = cleaned["existing"]
    try:
        moved = bring_here(
            existing,
            to=household,
            on=cleaned.get("moved_in_on") or timezone.localdate(),
            by=request.user,
            scope=scope,
            relation=cleaned.get("relation"),
            population=cleaned.get("population"),
        )
    except MoveError as error:
        form.add_error(None, str(error))
        return False
    if moved is None and not scope.supervises(household.grid):
        # The person lives outside the user's areas: nothing about them is said.
        messages.info(
            request,
            _(
                "The station checks this ID number and records the person: nothing was added "
                "here yet."
            ),
        )
    elif moved is None:
        messages.info(
            request,
            _(
                "%(name)s lives in another community: its station is asked to record the move "
                "to yours, and it will come to your station to accept. Nothing was added here."
            )
            % {"name": existing.name},
        )
    else:
        messages.success(
            request,
            _("%(name)s moved here: the same person, with their history.")
            % {"name": existing.name},
        )
    return True


@login_required
def resident_update(request, resident_id):
    scope = get_scope(request)
    resident = scope.get_household_row(
        Resident.objects.select_related("household__grid"), "household__", pk=resident_id
    )
    household = resident.household
    _require_register_work(scope, household.grid)
    form = ResidentForm(request.POST or None, instance=resident, scope=scope, area=household.grid)
    if request.method == "POST" and form.is_valid():
        fields = _resident_fields(form.cleaned_data)
        fields.pop("moved_in_on", None)
        fields["population_on"] = form.cleaned_data.get("population_on")
        if "tags" in fields and not scope.sees_attention_tags(household.grid):
            # Attention tags the user cannot see stay as they are.
            hidden = resident.tags.filter(kind=Tag.Kind.ATTENTION)
            fields["tags"] = [*fields["tags"], *hidden]
        if form.cleaned_data.get("confirm_duplicate"):
            fields["is_kept_duplicate"] = True  # the recorded decision to keep both
        try:
            with transaction.atomic():
                services.update_resident(resident, by=request.user, **fields)
        except IntegrityError:
            form.add_error("id_number", _registered_meanwhile())
        else:
            if fields.get("is_kept_duplicate"):
                tell_station_of_kept_duplicate(resident, by=request.user)
            messages.success(request, _("%(name)s saved.") % {"name": resident.name})
            return redirect(household)
    return render(
        request,
        "grids/resident_form.html",
        {"household": household, "form": form, "resident": resident},
    )


@login_required
def resident_move_out(request, resident_id):
    scope = get_scope(request)
    resident = scope.get_household_row(
        Resident.objects.current().select_related("household__grid"),
        "household__",
        pk=resident_id,
    )
    _require_register_work(scope, resident.household.grid)
    form = MoveOutForm(request.POST or None, initial={"moved_out_on": timezone.localdate()})
    if request.method == "POST" and resident.transfers.filter(status="pending").exists():
        # Leaving while a move to another community waits would leave that move undecidable.
        form.add_error(None, _("A move to another community is waiting: cancel it first."))
    if request.method == "POST" and form.is_valid():
        services.move_out(resident, on=form.cleaned_data["moved_out_on"], by=request.user)
        messages.success(request, _("%(name)s moved out.") % {"name": resident.name})
        return redirect(resident.household)
    return render(request, "grids/resident_move_out.html", {"resident": resident, "form": form})


@login_required
@require_POST
def resident_unmask(request, resident_id):
    """The full ID number, for the station and above; every unmasking is logged."""
    scope = get_scope(request)
    resident = scope.get_household_row(
        Resident.objects.select_related("household__grid"), "household__", pk=resident_id
    )
    if not scope.may_unmask_ids(resident.household.grid):
        raise PermissionDenied
    value = services.unmask(resident, field="id_number", by=request.user)
    return HttpResponse(f'<span class="font-monospace" data-unmasked>{value}</span>')


@login_required
def floating_list(request):
    scope = get_scope(request)
    residents = (
        Resident.objects.current().floating().order_by("household__grid__code", "name", "pk")
    )
    # The filter's choices and the scope's grid ids; for a station (someone who supervises
    # somewhere), the transfers waiting for it (`transfers_waiting`) with them.
    waiting = scope.supervises_somewhere()
    grids = _scope_grids(scope, waiting=waiting)
    filterset = FloatingFilter(request.GET, queryset=residents, grids=scope.grids())
    _choices_from(filterset, "grid", grids)
    # The scope comes after the filters, so that the count can reach the same rows through
    # the scope's households instead.
    residents = with_moving(filterset.qs.filter(scope.grids_q("household__grid"))).select_related(
        "household__grid"
    )
    if _wants_xlsx(request):
        require_export(scope)
        residents = residents.filter(scope.register_q("household__grid"))
        return _export_residents(request, scope, residents, "floating-population.xlsx")
    context = paginate(request, with_tags(residents), count=household_counter(filterset.qs, scope))
    present(context["page"].object_list, scope)
    return render(
        request,
        "grids/floating_list.html",
        {
            "filter": filterset,
            "transfers_waiting": (
                None
                if not waiting
                else grids[0].transfers_waiting
                if grids
                else transfers_waiting(scope)
            ),
            "can_export": scope.works_register_somewhere(),
            **context,
        },
    )


def _is_station_sized(scope):
    """Whether the scope has a station's few grids or fewer (their rows are found household
    by household). Runs `grid_ids`' query."""
    return not scope.is_global and len(scope.grid_ids) <= STATION_GRIDS_MOST


def _rentals_in_scope(scope):
    """The rentals of the scope's grids' households. A rental has no grid of its own: with
    a station's few grids they are found household by household, an index look-up per
    household of those grids (1,639 for the bench's station, under 1 ms), where a join
    reads all 43,499 rentals of the district (9 ms, for the page and again for the count);
    with more grids, by the join."""
    if not _is_station_sized(scope):
        return Rental.objects.filter(scope.grids_q("household__grid"))
    households = Household.objects.filter(grid__in=scope.grid_ids).order_by().values("pk")
    return Rental.objects.filter(one_of("household_id", households))


def _add_tenant_names(rentals):
    """Each rental's `tenant_names` in the residents' order, where the database has no
    ARRAY subquery (SQLite, the embedded default): one query."""
    ordering = [
        f"-resident__{name[1:]}" if name.startswith("-") else f"resident__{name}"
        for name in Resident._meta.ordering
    ]
    names = defaultdict(list)
    found = (
        Rental.tenants.through.objects.filter(rental_id__in=[r.pk for r in rentals])
        .order_by(*ordering)
        .values_list("rental_id", "resident__name")
    )
    for rental_id, name in found:
        names[rental_id].append(name)
    for rental in rentals:
        rental.tenant_names = names[rental.pk]


@login_required
def rental_list(request):
    scope = get_scope(request)
    today = timezone.localdate()
    grids = _scope_grids(scope)  # the filter's choices, and the scope's grid ids
    # The tenants' names in the rentals' SELECT (a subquery a row), in the order a prefetch
    # gives them, instead of a query of their own.
    tenants = Resident.objects.filter(rentals=OuterRef("pk")).order_by(*Resident._meta.ordering)
    rentals = (
        _rentals_in_scope(scope)
        .select_related("household__grid")
        .defer("household__grid__boundary")
    )
    if connection.vendor == "postgresql":
        rentals = rentals.annotate(tenant_names=ArraySubquery(tenants.values("name")))
    filterset = RentalFilter(request.GET, queryset=rentals, grids=scope.grids())
    _choices_from(filterset, "grid", grids)
    if _wants_xlsx(request):
        require_export(scope)
        rows = (
            (
                r.household.grid.code,
                str(r.household),
                r.landlord_name,
                r.starts_on,
                r.ends_on,
                _("Yes") if r.is_reported_to_police else _("No"),
            )
            for r in filterset.qs.filter(scope.register_q("household__grid")).iterator(
                chunk_size=2000
            )
        )
        headers = [
            _("Grid"),
            _("Household"),
            _("Landlord"),
            _("Starts on"),
            _("Ends on"),
            _("Reported to the police"),
        ]
        return register_export(
            request,
            area=scope.home_area,
            what="rentals",
            filename="rentals.xlsx",
            headers=headers,
            rows=rows,
        )
    # A station's rentals are found household by household and all sorted for a page:
    # counted in the page's statement. More grids' are read in order by an index and
    # counted on their own.
    #
    # The rows' grids (their names) are those of the filter's choices, already read: not
    # joined to each rental found (a station's 312 current ones on the district bench)
    # before the page's 25 are sorted out.
    rows = filterset.qs.select_related(None).select_related("household")
    context = paginate(request, rows, windowed=_is_station_sized(scope))
    soon = today + datetime.timedelta(days=30)
    grid_of = {grid.pk: grid for grid in grids}
    if connection.vendor != "postgresql":
        _add_tenant_names(context["page"].object_list)
    for rental in context["page"].object_list:
        household = rental.household
        if household.grid_id in grid_of:
            household.grid = grid_of[household.grid_id]
        rental.is_ended = rental.ends_on < today
        rental.is_expiring = today <= rental.ends_on <= soon
    return render(
        request,
        "grids/rental_list.html",
        {"filter": filterset, "can_export": scope.works_register_somewhere(), **context},
    )


@login_required
def search(request):
    """Runs the page's fixed queries: the keys of the first matches in order (over
    `_matching_residents`, once) and the page's residents by key, with their tags."""
    scope = get_scope(request)
    form = SearchForm(request.GET or None)
    context = {"form": form}
    if form.is_valid():
        q = form.cleaned_data["q"].strip()
        matches = Resident.objects.filter(one_of("pk", _matching_residents(q, scope)))
        matches = matches.order_by("moved_out_on", "name", "pk")

        def rows(keys):
            # Read by a statement compiled once per process for the number of keys (a page
            # holds at most 25) and bound to them: the same for every user and search.
            names = [f"key{i}" for i in range(len(keys))]
            return statements.model_rows(
                ("grids.register_views.search_rows", len(keys)),
                lambda values: _search_rows([values[name] for name in names]),
                dict(zip(names, keys, strict=True)),
            )

        context.update(paginate(request, matches, most=SEARCH_MOST, rows=rows))
        context["most"] = SEARCH_MOST
        if len(q) == 18:
            # A whole ID number is not echoed back into the page.
            context["form"] = SearchForm(initial={"q": mask_id_number(q)})
        present(context["page"].object_list, scope)
    return render(request, "grids/search.html", context)


def _search_rows(keys):
    """The residents of `keys` as a search lists them: with their household and grid, their
    tags and whether they are moving (no query yet)."""
    residents = with_moving(Resident.objects.filter(pk__in=keys))
    return with_tags(residents).select_related("household__grid")


@login_required
def disclosure_log(request):
    scope = get_scope(request)
    if not scope.supervises_somewhere():
        raise PermissionDenied
    entries = (
        scope.filter(DisclosureLog.objects.all(), "area")
        .select_related("user", "resident", "area")
        .order_by("-at", "-pk")
    )
    return render(request, "grids/disclosure_log.html", paginate(request, entries))


def _matching_residents(q, scope):
    """Ids of the residents in `scope` whose name starts with `q`, whose household's address
    contains it (`ADDRESS_MIN` characters or more), or, for digits, whose phone or ID number
    ends with it (four or more) or is it. Each part is indexed on PostgreSQL (a prefix index
    on names, trigram indexes on addresses, phones and ID numbers) and carries the scope, and
    the union keeps them apart so that each can use its index. A trigram index cannot serve a
    pattern under three characters, so a shorter address search would read every
    household."""
    in_scope = Resident.objects.filter(scope.grids_q("household__grid")).values("pk").order_by()
    names = in_scope
    if _is_station_sized(scope):
        # A station's names are looked for household by household (one index look-up per
        # household of its grids), by an array of the households' ids read once: a join of
        # the grids' households to their residents ran in parallel workers on the district
        # bench, whose start cost more than the look-ups (a name's first character: 9-10
        # ms and 6,865 buffers, by the array 2.5 ms and 5,337). The other parts keep the
        # join, which their trigram indexes serve.
        households = Household.objects.filter(grid__in=scope.grid_ids).order_by().values("pk")
        names = Resident.objects.filter(one_of("household_id", households)).values("pk")
    compact = q.replace(" ", "").upper()
    parts = [names.order_by().filter(name__startswith=q)]
    if len(q) >= ADDRESS_MIN:
        parts.append(in_scope.filter(household__address__icontains=q))
    if compact.isdigit() or (compact[:-1].isdigit() and compact.endswith("X")):
        if len(compact) == 18:
            parts.append(in_scope.filter(id_number=compact))
        elif len(compact) >= 4:
            ends = Q(phone__endswith=compact) | Q(id_number__endswith=compact)
            parts.append(in_scope.filter(ends))
    return parts[0].union(*parts[1:])


def _export_residents(request, scope, residents, filename):
    """The residents as an XLSX download, masked as on the pages (the ID number, the birth
    year for the birth date, a move-in at birth as such), logged with their number."""
    headers = [
        _("Grid"),
        pgettext("person", "Name"),
        _("Sex"),
        _("Birth year"),
        _("ID number"),
        _("Phone"),
        _("Address"),
        _("Population"),
        _("Moved in on"),
    ]

    # A move-in that is the birth date of anyone exported is written by its month only.
    births = residents.exclude(birth_date=None).order_by().values_list("birth_date", flat=True)
    births = set(births.distinct())

    def rows():
        for r in residents.iterator(chunk_size=2000):
            grid = r.household.grid
            yield (
                grid.code,
                r.name,
                r.get_sex_display(),
                mask_birth_date(r.birth_date),
                mask_id_number(r.id_number),
                r.phone if scope.sees_phones(grid) else mask_phone(r.phone),
                str(r.household),
                r.get_population_display(),
                life_date_cell(r.moved_in_on, r.birth_date, births),
            )

    return register_export(
        request,
        area=scope.home_area,
        what=filename.removesuffix(".xlsx"),
        filename=filename,
        headers=headers,
        rows=rows(),
    )


def _resident_rows(request, default=2, most=10):
    """How many resident blocks the household form shows (posted back as a hidden field)."""
    try:
        return max(0, min(int(request.POST.get("resident_rows", default)), most))
    except ValueError:
        return default


def _resident_fields(cleaned):
    fields = {k: cleaned[k] for k in RESIDENT_FIELDS if k in cleaned}
    if "tags" in cleaned:
        fields["tags"] = list(cleaned["tags"])
    if cleaned.get("moved_in_on"):
        fields["moved_in_on"] = cleaned["moved_in_on"]
    return fields
