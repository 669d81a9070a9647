"""Which areas a user may see, and what they may do there.

Every view reaches areas and the rows that hang off them through `Scope`: a user sees the
areas of the posts they hold (as A or as B) and everything below them. Anything else is a
404, so ids leak nothing.
"""

from functools import cached_property

from django.db.models import Q
from django.shortcuts import get_object_or_404

from gridmgmt import statements

from .models import GRID_WORKER_ROLES, SUPERVISOR_ROLES, Area, Post, Role

# Up to this many grids, `grids_q` names them by id (a street has a few dozen).
GRID_IDS_MOST = 200
# Up to this many grids (a station's dozen or so), a list reaches its people through the
# grids' households: quicker there than walking the rows in their order and testing each
# one's grid, which a street's or the district's list does.
STATION_GRIDS_MOST = 40


class Scope:
    def __init__(self, user):
        self.user = user

    @cached_property
    def is_global(self):
        """Administrators see every area."""
        return bool(self.user.is_authenticated and self.user.is_superuser)

    @cached_property
    def posts(self):
        """The user's posts with their areas. Runs one query, once (a statement compiled once
        per process and bound to the user: gridmgmt.statements)."""
        if not self.user.is_authenticated:
            return []
        return statements.model_rows(
            ("grids.scope.posts",),
            lambda values: (
                Post.objects.held_by(values["user"])
                .select_related("area", "holder_a", "holder_b")
                .order_by("area__path")
            ),
            {"user": self.user.pk},
        )

    @cached_property
    def statement_key(self):
        """What the scope writes into a statement besides the values bound to it, for the key
        of a statement compiled once (gridmgmt.statements): the user, whether they are
        active, and their posts with their areas and holders."""
        user = self.user
        return (
            self.is_global,
            user.pk,
            user.is_active,
            tuple(
                (
                    post.pk,
                    post.role,
                    post.area_id,
                    post.area.path,
                    post.holder_a_id,
                    post.holder_b_id,
                    post.holder_a.is_active,
                )
                for post in self.posts
            ),
        )

    @cached_property
    def root_paths(self):
        """The paths of the user's topmost areas: none of them lies under another."""
        roots = []
        for path in sorted({post.area.path for post in self.posts}):
            if not any(path.startswith(root) for root in roots):
                roots.append(path)
        return roots

    def q(self, field=""):
        """A filter for rows whose area (reached through `field`) is in scope."""
        return self._under(self.root_paths, field)

    @cached_property
    def grid_ids(self):
        """The ids of the grids in scope. Runs one query, once."""
        return list(self.grids().values_list("pk", flat=True).order_by())

    def grids_q(self, field):
        """A filter for rows whose grid (`field`, a key to a grid) is in scope, by the grids'
        ids: the same rows as `q(field)`, but a path prefix under a community also matches
        its hundreds of buildings and units, which leads PostgreSQL to read every household,
        and a list of ids does not. Runs `grid_ids`' query."""
        if self.is_global:
            return Q()
        if len(self.grid_ids) > GRID_IDS_MOST:
            # Most of the map: the path prefix matches nearly every row anyway, and a long
            # list of ids, repeated in each part of a query, costs more to plan than it saves.
            return self.q(field)
        return Q(**{f"{field}__in": self.grid_ids})

    @cached_property
    def building_ids(self):
        """{area kind: ids} of the buildings and units where the user holds a post (a
        building or unit leader): below any grid, so `q()` and `grids_q()` miss their
        households. Reads only the posts."""
        found = {Area.Kind.BUILDING: [], Area.Kind.UNIT: []}
        for post in self.posts:
            if post.area.kind in found:
                found[post.area.kind].append(post.area_id)
        return found

    def households_q(self, prefix=""):
        """A filter for households (reached through `prefix`, say "household__") in scope:
        those of the grids in scope, and those of the buildings and units where the user
        holds a post. Without such a post it is exactly `q(prefix + "grid")`. No queries."""
        condition = self.q(f"{prefix}grid")
        if self.is_global:
            return condition
        for kind, field in ((Area.Kind.BUILDING, "building"), (Area.Kind.UNIT, "unit")):
            if self.building_ids[kind]:
                condition |= Q(**{f"{prefix}{field}__in": self.building_ids[kind]})
        return condition

    def get_household_row(self, queryset, prefix="", **lookup):
        """One row whose household (through `prefix`) is in scope (`households_q`), or
        404."""
        return get_object_or_404(queryset.filter(self.households_q(prefix)), **lookup)

    def contains_household(self, household):
        """Whether `household` is in scope: its grid, or its building or unit where the
        user holds a post. No queries."""
        return (
            self.contains(household.grid)
            or household.building_id in self.building_ids[Area.Kind.BUILDING]
            or household.unit_id in self.building_ids[Area.Kind.UNIT]
        )

    def supervised_q(self, field=""):
        """A filter for rows whose area lies where the user is stationmaster or above."""
        paths = [post.area.path for post in self.posts if post.role in SUPERVISOR_ROLES]
        return self._under(paths, field)

    def _under(self, paths, field):
        if self.is_global:
            return Q()
        lookup = f"{field}__path__startswith" if field else "path__startswith"
        condition = Q(pk__in=[])
        for path in paths:
            condition |= Q(**{lookup: path})
        return condition

    def filter(self, queryset, field=""):
        """`queryset` narrowed to rows whose area (through `field`) is in scope."""
        return queryset.filter(self.q(field))

    def areas(self):
        return self.filter(Area.objects.all())

    def grids(self):
        return self.areas().grids()

    def get(self, queryset, field="", **lookup):
        """One row in scope, or 404."""
        return get_object_or_404(self.filter(queryset, field), **lookup)

    def get_grid(self, code):
        return self.get(Area.objects.grids().select_related("parent__parent__parent"), code=code)

    def contains(self, area):
        return self.is_global or any(area.path.startswith(root) for root in self.root_paths)

    def roles_at(self, area):
        """The roles the user holds at `area` or above it."""
        return {post.role for post in self.posts if area.path.startswith(post.area.path)}

    def has_role(self, area, *roles):
        return self.is_global or bool(self.roles_at(area) & set(roles))

    def supervises(self, area):
        """Stationmaster or above, for `area`."""
        return self.has_role(area, *SUPERVISOR_ROLES)

    def supervises_somewhere(self):
        return self.is_global or any(post.role in SUPERVISOR_ROLES for post in self.posts)

    @cached_property
    def home_area(self):
        """The user's topmost area: where their work across several areas is logged."""
        return self.posts[0].area if self.posts else None

    def works_register(self, area):
        """Grid workers and supervisors keep the register: add, edit, move out, export."""
        return self.has_role(area, *SUPERVISOR_ROLES, *GRID_WORKER_ROLES)

    def register_q(self, field=""):
        """A filter for rows whose area lies where the user keeps the register (grid workers
        and supervisors): what an export of the register may hold."""
        roles = SUPERVISOR_ROLES | GRID_WORKER_ROLES
        return self._under([post.area.path for post in self.posts if post.role in roles], field)

    def works_register_somewhere(self):
        """Keeps the register in some area: may export the lists that span areas."""
        roles = SUPERVISOR_ROLES | GRID_WORKER_ROLES
        return self.is_global or any(post.role in roles for post in self.posts)

    def sees_phones(self, area):
        """Those who call residents see their phones; everyone else sees them masked."""
        return self.works_register(area)

    def may_unmask_ids(self, area):
        """ID numbers are always masked; the station and above may unmask one, logged."""
        return self.supervises(area)

    def sees_attention_tags(self, area):
        return self.supervises(area)

    def changes_map(self, area=None):
        """Splitting, merging, moving and retiring grids: the administrator, and street staff
        for their street (anywhere, without `area`)."""
        if self.is_global:
            return True
        if area is None:
            return any(post.role == Role.STREET_STAFF for post in self.posts)
        return Role.STREET_STAFF in self.roles_at(area)

    def map_paths(self):
        """The paths where the user changes the map: None for everywhere."""
        if self.is_global:
            return None
        return [post.area.path for post in self.posts if post.role == Role.STREET_STAFF]


def get_scope(request):
    """The request's scope, built once per request."""
    scope = getattr(request, "_scope", None)
    if scope is None or scope.user is not request.user:
        scope = request._scope = Scope(request.user)
    return scope
