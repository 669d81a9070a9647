"""Changes to the map, as dated operations: split a grid, merge two, move buildings to another
grid, retire a grid. Each is previewed (what it moves), recorded as an AreaChange (the
change's history entry) and applied in one transaction on its effective date: at once when
that is today, else by the hourly task `grids.tasks.apply_area_changes`.

What happened before the effective date stays where it was: households and residents keep
their dated stays in the old grid, open work moved records where it came from and when, and
the roll-up of the register forgets the days from the effective date on.
"""

import datetime
import re

from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _
from simple_history.utils import bulk_update_with_history

from gridmgmt.localtime import local_midnight

from .models import (
    Area,
    AreaChange,
    Household,
    HouseholdGrid,
    Membership,
    Post,
    Role,
)
from .signals import register_changed

Kind = AreaChange.Kind

# What a preview counts, in the order a page says it.
COUNTS = ("buildings", "units", "households", "residents", "incidents", "instructions", "posts")


class AreaChangeError(Exception):
    """A change that cannot be recorded or applied; the message says why, for the user."""


class StalePreview(AreaChangeError):  # noqa: N818 (it is an outcome, not a fault)
    """What the change moves is no longer what was previewed: `summary` is the new preview."""

    def __init__(self, summary):
        super().__init__(_("What this change moves has changed since the preview."))
        self.summary = summary


# --- What a change moves ---


def _moving(kind, grid, building_ids):
    """The filters for what a change of `kind` moves out of `grid`: (buildings, households,
    incidents, instructions). A merge moves everything the grid holds; a split or a move the
    chosen buildings, the households in them and their open work."""
    if kind == Kind.MERGE:
        buildings = Q(parent=grid, kind=Area.Kind.BUILDING)
        households = Q(grid=grid)
        return buildings, households, Q(grid=grid), Q(grid=grid)
    if kind == Kind.RETIRE:
        nothing = Q(pk__in=[])
        return nothing, nothing, nothing, nothing
    ids = list(building_ids)
    households = Q(grid=grid, building_id__in=ids)
    in_households = Household.objects.filter(households).values("pk")
    incidents = Q(grid=grid) & (Q(building_id__in=ids) | Q(household_id__in=in_households))
    instructions = Q(grid=grid) & (
        Q(household_id__in=in_households)
        | Q(resident__household_id__in=in_households)
        | Q(rental__household_id__in=in_households)
    )
    return Q(parent=grid, pk__in=ids, kind=Area.Kind.BUILDING), households, incidents, instructions


def preview_area_change(kind, grid, *, on, buildings=()):
    """What the change would move on `on`: {"buildings", "units", "households", "residents"
    (living in them as of `on`), "incidents" (open), "instructions" (open verification
    instructions), "posts" (closed: a merge or a retirement closes the grid's posts),
    "building_codes"}. Runs six queries (seven for a merge or a retirement, which count the
    posts), whatever it moves."""
    from incidents.models import Incident
    from patrols.models import Instruction

    building_ids = [getattr(b, "pk", b) for b in buildings]
    in_buildings, households, incidents, instructions = _moving(kind, grid, building_ids)
    codes = list(Area.objects.filter(in_buildings).order_by("code").values_list("code", flat=True))
    active = Household.objects.active().filter(households)
    summary = {
        "buildings": len(codes),
        "building_codes": codes,
        "units": Area.objects.filter(
            kind=Area.Kind.UNIT, parent__in=Area.objects.filter(in_buildings)
        ).count(),
        "households": active.count(),
        "residents": Membership.objects.as_of(on)
        .filter(household__in=Household.objects.filter(households))
        .count(),
        "incidents": Incident.objects.open().filter(incidents).count(),
        "instructions": Instruction.objects.open().filter(instructions).count(),
        "posts": (
            Post.objects.filter(area__path__startswith=grid.path).count()
            if kind in {Kind.MERGE, Kind.RETIRE}
            else 0
        ),
    }
    return summary


# --- Recording a change ---

GRID_NUMBER = re.compile(r"^-(\d{2})$")


def check_new_code(community, code):
    """A new grid's code: the community's code and a two-digit number ("GL-01-02-04"), used
    by no area before, retired or not, nor by a split still waiting. Runs two queries."""
    code = (code or "").strip()
    if not code.startswith(community.code) or not GRID_NUMBER.match(code[len(community.code) :]):
        raise AreaChangeError(
            _("A grid's code is its community's code and a two-digit number, like %(example)s.")
            % {"example": f"{community.code}-09"}
        )
    if code.endswith("-00"):
        raise AreaChangeError(_("A grid's number starts at 01."))
    taken = Area.objects.filter(code=code).exists() or (
        AreaChange.objects.filter(kind=Kind.SPLIT, new_code=code, applied_at__isnull=True)
        .exclude(error__gt="")
        .exists()
    )
    if taken:
        raise AreaChangeError(
            _("The code %(code)s has been used before: codes are never reused.") % {"code": code}
        )
    return code


def check_area_change(
    kind, grid, *, on, buildings=(), target=None, new_code="", new_name="", today=None
):
    """Refuse a change that cannot be made (AreaChangeError, saying why); returns the new
    grid's code for a split. Runs up to three queries."""
    today = today or timezone.localdate()
    if on < today:
        raise AreaChangeError(
            _("A change takes effect today or later: the figures of past days stay as they were.")
        )
    if grid.kind != Area.Kind.GRID:
        raise AreaChangeError(_("Choose a grid."))
    if grid.valid_to is not None and grid.valid_to < on:
        raise AreaChangeError(
            _("%(grid)s is retired from %(day)s.")
            % {"grid": grid.code, "day": grid.valid_to + datetime.timedelta(days=1)}
        )
    if grid.valid_from is not None and grid.valid_from > on:
        raise AreaChangeError(
            _("%(grid)s exists only from %(day)s.") % {"grid": grid.code, "day": grid.valid_from}
        )
    if kind in {Kind.MOVE, Kind.MERGE}:
        if target is None:
            raise AreaChangeError(_("Choose the receiving grid."))
        if target.pk == grid.pk:
            raise AreaChangeError(_("The receiving grid must be another grid."))
        if target.kind != Area.Kind.GRID or target.parent_id != grid.parent_id:
            raise AreaChangeError(_("The receiving grid must be in the same community."))
        if not target.exists_on(on):
            raise AreaChangeError(
                _("%(grid)s does not exist on %(day)s.") % {"grid": target.code, "day": on}
            )
    if kind in {Kind.MOVE, Kind.SPLIT}:
        if not buildings:
            raise AreaChangeError(_("Choose at least one building."))
        if any(b.parent_id != grid.pk or b.kind != Area.Kind.BUILDING for b in buildings):
            raise AreaChangeError(_("Every building chosen must be in %(grid)s.") % {"grid": grid})
    if kind == Kind.RETIRE:
        _check_empty(grid)
    if kind == Kind.SPLIT:
        if not (new_name or "").strip():
            raise AreaChangeError(_("Give the new grid a name."))
        return check_new_code(grid.parent, new_code)
    return ""


def _check_empty(grid):
    """Runs one query."""
    left = Household.objects.active().filter(grid=grid).count()
    if left:
        raise AreaChangeError(
            _(
                "%(grid)s still has %(count)d households: merge it into another grid instead, "
                "which moves them and then retires it."
            )
            % {"grid": grid.code, "count": left}
        )


@transaction.atomic
def record_area_change(
    kind,
    grid,
    *,
    on,
    by,
    buildings=(),
    target=None,
    new_code="",
    new_name="",
    expected=None,
):
    """Record a change with what it moves (its preview) and apply it at once when `on` is
    today; a later date waits for `apply_area_changes`. `expected` is the summary the user
    confirmed: when what the change moves differs, nothing is saved and StalePreview carries
    the new one. Raises AreaChangeError, saving nothing, for a change that cannot be made."""
    today = timezone.localdate()
    buildings = list(buildings)
    code = check_area_change(
        kind,
        grid,
        on=on,
        buildings=buildings,
        target=target,
        new_code=new_code,
        new_name=new_name,
        today=today,
    )
    summary = preview_area_change(kind, grid, on=on, buildings=buildings)
    if expected is not None and expected != summary:
        raise StalePreview(summary)
    change = AreaChange.objects.create(
        kind=kind,
        effective_on=on,
        grid=grid,
        target=target if kind in {Kind.MOVE, Kind.MERGE} else None,
        new_code=code,
        new_name=(new_name or "").strip() if kind == Kind.SPLIT else "",
        summary=summary,
        created_by=by,
    )
    if buildings:
        change.buildings.set(buildings)
    if on == today:
        apply_area_change(change.pk, by=by, raise_errors=True)
        change.refresh_from_db()
    return change


# --- Applying a change ---


def apply_area_change(change_id, *, by=None, raise_errors=False):
    """Apply a due change once, in one transaction: it is claimed with a conditional update
    on `applied_at`, so a second call (or a second worker) finds nothing to do and returns
    None. A change that can no longer be applied is left unapplied with its `error`, and
    its recorder is told once (with raise_errors, the error is raised instead). Returns the
    change when this call applied it."""
    try:
        with transaction.atomic():
            claimed = AreaChange.objects.filter(
                pk=change_id,
                applied_at__isnull=True,
                error="",
                effective_on__lte=timezone.localdate(),
            ).update(applied_at=timezone.now())
            if not claimed:
                return None
            change = AreaChange.objects.select_related("grid", "target", "created_by").get(
                pk=change_id
            )
            _apply(change, by or change.created_by)
            return change
    except AreaChangeError as exc:
        if raise_errors:
            raise
        _record_failure(change_id, exc)
        return None


def _record_failure(change_id, exc):
    from notifications.services import notify

    reason = str(exc)[:300]
    if not AreaChange.objects.filter(pk=change_id, applied_at__isnull=True, error="").update(
        error=reason
    ):
        return
    change = AreaChange.objects.select_related("grid", "created_by").get(pk=change_id)
    notify(
        [change.created_by],
        key=f"area-change-failed:{change.pk}",
        title=_("The change to %(grid)s due on %(day)s could not be applied"),
        params={"grid": change.grid.code, "day": change.effective_on.isoformat()},
        body=exc.args[0] if exc.args else reason,
        url=reverse("grids:changes"),
    )


def _apply(change, by):
    on = change.effective_on
    # Lock the grids the change reads, so two changes to them run one after the other.
    ids = [change.grid_id] + ([change.target_id] if change.target_id else [])
    locked = {a.pk: a for a in Area.objects.select_for_update().filter(pk__in=ids)}
    grid = locked[change.grid_id]
    target = locked.get(change.target_id)
    if grid.valid_to is not None and grid.valid_to < on:
        raise AreaChangeError(_("%(grid)s was retired meanwhile.") % {"grid": grid.code})
    if target is not None and not target.exists_on(on):
        raise AreaChangeError(
            _("%(grid)s does not exist on %(day)s.") % {"grid": target.code, "day": on}
        )
    building_ids = list(change.buildings.values_list("pk", flat=True))
    if change.kind == Kind.SPLIT:
        target = _new_grid(change, grid, building_ids)
        move_buildings(grid, target, building_ids, on=on, by=by)
    elif change.kind == Kind.MOVE:
        move_buildings(grid, target, building_ids, on=on, by=by)
    elif change.kind == Kind.MERGE:
        # The grid's posts hand over their work first, while it is still in the grid.
        hand_over_posts(grid, on=on, by=by)
        move_buildings(grid, target, None, on=on, by=by)
        target.boundary = merged_boundary(target.boundary, grid.boundary)
        target.save(update_fields=["boundary"])
        retire_grid(grid, on=on, by=by)
    elif change.kind == Kind.RETIRE:
        retire_grid(grid, on=on, by=by)


def _new_grid(change, grid, building_ids):
    """The grid a split makes, with a part of the old grid's boundary: the old grid is cut
    across its width in proportion to the buildings that leave."""
    if Area.objects.filter(code=change.new_code).exists():
        raise AreaChangeError(
            _("The code %(code)s has been used before: codes are never reused.")
            % {"code": change.new_code}
        )
    total = Area.objects.filter(parent=grid, kind=Area.Kind.BUILDING).count()
    share = len(building_ids) / total if total else 0.5
    kept, cut = split_boundary(grid.boundary, share)
    new = Area.objects.create(
        kind=Area.Kind.GRID,
        parent_id=grid.parent_id,
        code=change.new_code,
        name=change.new_name,
        valid_from=change.effective_on,
        boundary=cut,
    )
    if kept is not None:
        grid.boundary = kept
        grid.save(update_fields=["boundary"])
    AreaChange.objects.filter(pk=change.pk).update(target=new)
    return new


def move_buildings(grid, target, building_ids, *, on, by):
    """Move buildings of `grid` (all of them when `building_ids` is None) to `target` from
    `on`: each building and its units (parent and path), the households in them with their
    dated grid and their residents' stays, and the open incidents and instructions about
    them (recording where they came from and when). Runs a fixed number of queries."""
    from care import services as care_services
    from incidents.models import Incident
    from patrols.models import Instruction

    kind = Kind.MERGE if building_ids is None else Kind.MOVE
    in_buildings, households, incidents, instructions = _moving(kind, grid, building_ids or [])
    buildings = list(Area.objects.filter(in_buildings).select_for_update())
    if building_ids is not None and len(buildings) != len(set(building_ids)):
        raise AreaChangeError(
            _("Some of the buildings chosen are no longer in %(grid)s.") % {"grid": grid.code}
        )
    moved_at = local_midnight(on)

    # The buildings and everything below them: new parent and paths.
    if buildings:
        below = Q(pk__in=[])
        for building in buildings:
            below |= Q(path__startswith=building.path)
        areas = list(Area.objects.filter(below).exclude(pk__in=[b.pk for b in buildings]))
        new_paths = {}
        for building in buildings:
            old = building.path
            building.parent = target
            building.path = building.build_path(target.path)
            new_paths[old] = building.path
        for area in areas:
            for old, new in new_paths.items():
                if area.path.startswith(old):
                    area.path = new + area.path[len(old) :]
                    break
        Area.objects.bulk_update(buildings, ["parent", "path"])
        Area.objects.bulk_update(areas, ["path"])

    # The households, with history and their dated grid. Their open work is read first:
    # its filters follow the households to where they are.
    moving = list(Household.objects.filter(households).select_for_update())
    household_ids = [h.pk for h in moving]
    open_incidents = list(Incident.objects.open().filter(incidents).select_for_update())
    open_instructions = list(
        Instruction.objects.open().filter(instructions).values_list("pk", flat=True)
    )
    for household in moving:
        household.grid = target
    if moving:
        bulk_update_with_history(moving, Household, ["grid"], default_user=by)
        care_services.follow_move(target.pk, household_ids=household_ids)
    current = HouseholdGrid.objects.filter(household_id__in=household_ids, until_on__isnull=True)
    current.filter(since_on__gte=on).update(grid=target)
    ending = list(current.filter(since_on__lt=on).values_list("household_id", flat=True))
    HouseholdGrid.objects.filter(household_id__in=ending, until_on__isnull=True).update(until_on=on)
    HouseholdGrid.objects.bulk_create(
        HouseholdGrid(household_id=pk, grid=target, since_on=on) for pk in ending
    )

    # The residents' stays: those that began that day or later just change grid; those
    # still running are closed on `on` and go on in the new grid.
    stays = Membership.objects.filter(household_id__in=household_ids, grid=grid).filter(
        Q(moved_out_on__isnull=True) | Q(moved_out_on__gt=on)
    )
    stays.filter(moved_in_on__gte=on).update(grid=target)
    running = list(stays.filter(moved_in_on__lt=on))
    Membership.objects.filter(pk__in=[s.pk for s in running]).update(moved_out_on=on)
    Membership.objects.bulk_create(
        Membership(
            resident_id=s.resident_id,
            household_id=s.household_id,
            grid=target,
            population=s.population,
            moved_in_on=on,
            moved_out_on=s.moved_out_on,
        )
        for s in running
    )

    # Open work about them, with where it came from.
    for incident in open_incidents:
        incident.grid, incident.moved_from, incident.moved_at = target, grid, moved_at
    if open_incidents:
        bulk_update_with_history(
            open_incidents, Incident, ["grid", "moved_from", "moved_at"], default_user=by
        )
    Instruction.objects.filter(pk__in=open_instructions).update(
        grid=target, moved_from=grid, moved_at=moved_at
    )

    register_changed.send(sender=AreaChange, grid_ids={grid.pk, target.pk}, since=on)


def retire_grid(grid, *, on, by):
    """The grid exists until the day before `on`: refused while it has households. Its
    posts (and those of the areas below it) close on `on`, and what their holders held
    there passes to the community's acting stationmaster, as when a post changes holder."""
    _check_empty(grid)
    grid.valid_to = on - datetime.timedelta(days=1)
    grid.save(update_fields=["valid_to"])
    posts = hand_over_posts(grid, on=on, by=by)
    for post in posts:
        post.closed_on = on
        post._history_user = by
        post.save(update_fields=["closed_on"])
    return grid


def hand_over_posts(grid, *, on, by):
    """What the holders of the posts at `grid` and below hold there (see team.post_work),
    and the open incidents assigned to those posts, pass to the community's acting
    stationmaster on `on`, each incident with a timeline entry. Returns the posts."""
    from incidents.models import Incident

    from . import team
    from .posts import acting_on

    posts = list(
        Post.objects.filter(area__path__startswith=grid.path).select_related(
            "area", "holder_a", "holder_b"
        )
    )
    if not posts:
        return posts
    stations = list(
        Post.objects.filter(area_id=grid.parent_id, role=Role.STATIONMASTER).select_related(
            "area", "holder_a", "holder_b"
        )
    )
    station = next(
        (found.user for found in acting_on(stations, on).values() if found.user is not None),
        None,
    )
    if station is None:
        raise AreaChangeError(
            _("The community has no stationmaster to take over the open work of %(grid)s.")
            % {"grid": grid.code}
        )
    done = set()
    for post in posts:
        for holder in (post.holder_a, post.holder_b):
            if holder is None or holder.pk == station.pk:
                continue
            for key, _label, item in team.post_work(post, holder, on):
                if key not in done:
                    done.add(key)
                    team._move(key, item, station, by)
    # Open incidents still assigned to these posts, whoever handles them now.
    left = Incident.objects.open().filter(post__in=posts).exclude(handler=station)
    for incident in left.select_related("grid"):
        team._move(f"handler-{incident.pk}", incident, station, by)
    return posts


# --- Boundaries for the map ---


def _rings(boundary):
    """The outer rings of a GeoJSON Polygon or MultiPolygon."""
    if not boundary:
        return []
    if boundary.get("type") == "Polygon":
        return [boundary["coordinates"][0]]
    if boundary.get("type") == "MultiPolygon":
        return [polygon[0] for polygon in boundary["coordinates"]]
    return []


def _clip(ring, x, keep_left):
    """The part of `ring` on one side of the vertical line at longitude `x`
    (Sutherland-Hodgman against one edge)."""

    def inside(p):
        return p[0] <= x if keep_left else p[0] >= x

    points = ring[:-1] if ring and ring[0] == ring[-1] else ring
    out = []
    for i, current in enumerate(points):
        previous = points[i - 1]
        if inside(current):
            if not inside(previous):
                out.append(_cross(previous, current, x))
            out.append(current)
        elif inside(previous):
            out.append(_cross(previous, current, x))
    if len(out) < 3:
        return None
    out = [[round(lon, 6), round(lat, 6)] for lon, lat in out]
    return [*out, out[0]]


def _cross(a, b, x):
    t = (x - a[0]) / (b[0] - a[0])
    return [x, a[1] + (b[1] - a[1]) * t]


def _shape(rings):
    rings = [r for r in rings if r]
    if not rings:
        return None
    if len(rings) == 1:
        return {"type": "Polygon", "coordinates": [rings[0]]}
    return {"type": "MultiPolygon", "coordinates": [[r] for r in rings]}


def split_boundary(boundary, share):
    """(what the old grid keeps, the new grid's part) of a grid's boundary cut by a line of
    longitude: the new grid takes the eastern `share` (0-1) of its width. (None, None)
    without a boundary."""
    rings = _rings(boundary)
    if not rings:
        return None, None
    xs = [p[0] for ring in rings for p in ring]
    west, east = min(xs), max(xs)
    share = min(max(share, 0.1), 0.9)
    x = east - (east - west) * share
    kept = _shape([_clip(r, x, keep_left=True) for r in rings])
    cut = _shape([_clip(r, x, keep_left=False) for r in rings])
    return kept, cut


def merged_boundary(receiving, merged):
    """The receiving grid's boundary with the merged grid's added (a MultiPolygon)."""
    rings = _rings(receiving) + _rings(merged)
    return _shape(rings) if rings else receiving


# --- In words ---


def describe_summary(summary):
    """ "This moves 3 buildings, 57 households, ..." for a preview's summary (dict)."""
    parts = []
    phrases = {
        "buildings": lambda n: ngettext("%(n)d building", "%(n)d buildings", n),
        "units": lambda n: ngettext("%(n)d unit", "%(n)d units", n),
        "households": lambda n: ngettext("%(n)d household", "%(n)d households", n),
        "residents": lambda n: ngettext("%(n)d resident", "%(n)d residents", n),
        "incidents": lambda n: ngettext("%(n)d open incident", "%(n)d open incidents", n),
        "instructions": lambda n: ngettext("%(n)d open instruction", "%(n)d open instructions", n),
    }
    for name, phrase in phrases.items():
        n = summary.get(name, 0)
        if n or name in {"buildings", "households", "residents"}:
            parts.append(phrase(n) % {"n": n})
    text = gettext("This moves %(list)s.") % {"list": gettext(", ").join(parts)}
    posts = summary.get("posts", 0)
    if posts:
        text += " " + ngettext(
            "%(n)d post closes and its open work goes to the stationmaster.",
            "%(n)d posts close and their open work goes to the stationmaster.",
            posts,
        ) % {"n": posts}
    return text


def describe_change(kind, grid, *, on, target=None, new_code="", new_name=""):
    """One sentence saying what the change does and from when."""
    params = {
        "grid": grid.code,
        "target": target.code if target is not None else "",
        "code": new_code,
        "name": new_name,
        "day": on.isoformat(),
        "last": (on - datetime.timedelta(days=1)).isoformat(),
    }
    if kind == Kind.SPLIT:
        text = _(
            "From %(day)s, the buildings chosen leave %(grid)s for a new grid %(code)s “%(name)s”."
        )
    elif kind == Kind.MOVE:
        text = _("From %(day)s, the buildings chosen move from %(grid)s to %(target)s.")
    elif kind == Kind.MERGE:
        text = _(
            "From %(day)s, everything in %(grid)s moves to %(target)s; %(grid)s exists until "
            "%(last)s."
        )
    else:
        text = _("%(grid)s exists until %(last)s; it keeps its code and its history.")
    return str(text) % params
