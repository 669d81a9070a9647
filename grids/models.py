from django.contrib.auth.models import AbstractUser
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import OuterRef, Q, Subquery
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from simple_history.models import HistoricalRecords

from .identity import mask_birth_date, mask_id_number


class User(AbstractUser):
    full_name = models.CharField(_("full name"), max_length=100, blank=True)
    phone = models.CharField(_("phone"), max_length=20, blank=True)
    language = models.CharField(
        _("language"), max_length=10, blank=True, help_text=_("The language the user chose.")
    )

    history = HistoricalRecords(excluded_fields=["last_login", "password"])

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def __str__(self):
        return self.full_name or self.username

    @property
    def display_name(self):
        return self.full_name or self.username


class AreaQuerySet(models.QuerySet):
    def of_kind(self, kind):
        return self.filter(kind=kind)

    def grids(self):
        return self.filter(kind=Area.Kind.GRID)

    def under(self, area):
        """The area and everything below it."""
        return self.filter(path__startswith=area.path)

    def for_list(self):
        return self.select_related("parent", "parent__parent")

    def existing_on(self, day):
        """Areas that existed on the local date `day` (see Area.valid_from / valid_to)."""
        return self.existing_during(day, day)

    def existing_during(self, start, end):
        """Areas that existed on at least one day of [start, end]."""
        return self.filter(
            Q(valid_from__isnull=True) | Q(valid_from__lte=end),
            Q(valid_to__isnull=True) | Q(valid_to__gte=start),
        )


class Area(models.Model):
    """One node of the area tree: District → Street → Community → Grid → Building → Unit.

    `path` holds the ids from the root down ("/1/4/9/"), so "this area and everything below
    it" is one indexed prefix match.
    """

    class Kind(models.TextChoices):
        DISTRICT = "district", _("District")
        STREET = "street", _("Street")
        COMMUNITY = "community", _("Community")
        GRID = "grid", _("Grid")
        BUILDING = "building", _("Building")
        UNIT = "unit", _("Unit")

    class CommunityKind(models.TextChoices):
        SELF_MANAGED = "self_managed", _("Self-managed")
        PROPERTY_MANAGED = "property_managed", _("Property-managed")
        WORK_UNIT = "work_unit", _("Work-unit compound")

    # The kind each kind of area sits under.
    PARENT_KIND = {
        Kind.DISTRICT: None,
        Kind.STREET: Kind.DISTRICT,
        Kind.COMMUNITY: Kind.STREET,
        Kind.GRID: Kind.COMMUNITY,
        Kind.BUILDING: Kind.GRID,
        Kind.UNIT: Kind.BUILDING,
    }

    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, db_index=True)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    name = models.CharField(_("name"), max_length=100)
    code = models.CharField(
        _("code"),
        max_length=60,
        unique=True,
        help_text=_("A stable code, for a grid district-street-community-grid."),
    )
    path = models.CharField(max_length=255, unique=True, editable=False)
    community_kind = models.CharField(
        _("community kind"), max_length=20, choices=CommunityKind.choices, blank=True
    )
    boundary = models.JSONField(
        _("boundary"), null=True, blank=True, help_text=_("A GeoJSON polygon, for the map.")
    )
    # The days the area exists, both included: a grid split off on 1 June has valid_from
    # 1 June; a grid retired from 1 July has valid_to 30 June. Empty: open-ended.
    valid_from = models.DateField(
        _("valid from"),
        null=True,
        blank=True,
        help_text=_("The first day the area exists. Empty: since before the records."),
    )
    valid_to = models.DateField(
        _("valid to"),
        null=True,
        blank=True,
        help_text=_("The last day the area exists. Empty: it still does."),
    )

    objects = AreaQuerySet.as_manager()

    class Meta:
        verbose_name = _("area")
        verbose_name_plural = _("areas")
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind="district", parent__isnull=True)
                | (~Q(kind="district") & Q(parent__isnull=False)),
                name="area_parent_matches_kind",
            )
        ]
        indexes = [
            # The grids under an area (`grids().under(area)`, the reports' and home pages'
            # subquery of grids): its path prefix read among the grids only, with what the
            # reports read of each, so that a district's 800 grids are read from the index
            # alone, not the city's 8,000 by kind with their rows (and no building or unit).
            models.Index(
                fields=["path"],
                opclasses=["varchar_pattern_ops"],
                condition=Q(kind="grid"),
                include=["id", "code", "parent", "valid_from", "valid_to"],
                name="grids_area_grid_path",
            ),
        ]

    def __str__(self):
        return self.name

    def save(self, *args, **kwargs):
        """Saves twice when new: the path needs the row's own id."""
        super().save(*args, **kwargs)
        path = self.build_path()
        if self.path != path:
            self.path = path
            super().save(update_fields=["path"])

    def get_absolute_url(self):
        if self.kind == self.Kind.GRID:
            return reverse("grids:detail", args=[self.code])
        if self.kind in {self.Kind.BUILDING, self.Kind.UNIT}:
            return reverse("grids:building_households", args=[self.code])
        return ""

    def clean(self):
        want = self.PARENT_KIND.get(self.kind)
        have = self.parent.kind if self.parent_id else None
        if want != have:
            raise ValidationError(
                {
                    "parent": _("A %(kind)s must sit under a %(parent)s.")
                    % {"kind": self.get_kind_display(), "parent": self.Kind(want).label}
                }
                if want
                else {"parent": _("A district has no parent.")}
            )
        if self.community_kind and self.kind != self.Kind.COMMUNITY:
            raise ValidationError({"community_kind": _("Only a community has a kind.")})

    def build_path(self, parent_path=None):
        if parent_path is None:
            parent_path = self.parent.path if self.parent_id else "/"
        return f"{parent_path}{self.pk}/"

    def is_within(self, other):
        return self.path.startswith(other.path)

    def exists_on(self, day):
        return (self.valid_from is None or self.valid_from <= day) and (
            self.valid_to is None or day <= self.valid_to
        )

    @property
    def is_retired(self):
        return self.valid_to is not None


class District(Area):
    class Meta:
        proxy = True
        verbose_name = _("district")
        verbose_name_plural = _("districts")


class Street(Area):
    class Meta:
        proxy = True
        verbose_name = _("street")
        verbose_name_plural = _("streets")


class Community(Area):
    class Meta:
        proxy = True
        verbose_name = _("community")
        verbose_name_plural = _("communities")


class Grid(Area):
    class Meta:
        proxy = True
        verbose_name = _("grid")
        verbose_name_plural = _("grids")


class Building(Area):
    class Meta:
        proxy = True
        verbose_name = _("building")
        verbose_name_plural = _("buildings")


class Unit(Area):
    class Meta:
        proxy = True
        verbose_name = _("unit")
        verbose_name_plural = _("units")


PROXY_KIND = {
    District: Area.Kind.DISTRICT,
    Street: Area.Kind.STREET,
    Community: Area.Kind.COMMUNITY,
    Grid: Area.Kind.GRID,
    Building: Area.Kind.BUILDING,
    Unit: Area.Kind.UNIT,
}


class Role(models.TextChoices):
    DISTRICT_STAFF = "district_staff", _("District staff")
    STREET_STAFF = "street_staff", _("Street staff")
    STATIONMASTER = "stationmaster", _("Stationmaster")
    GRID_LEADER = "grid_leader", _("Grid leader")
    GRID_MEMBER = "grid_member", _("Grid member")
    INFORMATION_OFFICER = "information_officer", _("Information officer")
    BUILDING_LEADER = "building_leader", _("Building leader")
    UNIT_LEADER = "unit_leader", _("Unit leader")
    VOLUNTEER = "volunteer", _("Volunteer")
    COMMUNITY_POLICE = "community_police", _("Community police")
    PARTY_MEMBER = "party_member", _("Party member")
    PATROL_MEMBER = "patrol_member", _("Patrol member")


# Where each role's post may stand.
ROLE_AREA_KINDS = {
    Role.DISTRICT_STAFF: {Area.Kind.DISTRICT},
    Role.STREET_STAFF: {Area.Kind.STREET},
    Role.STATIONMASTER: {Area.Kind.COMMUNITY},
    Role.GRID_LEADER: {Area.Kind.GRID},
    Role.GRID_MEMBER: {Area.Kind.GRID},
    Role.INFORMATION_OFFICER: {Area.Kind.GRID},
    Role.BUILDING_LEADER: {Area.Kind.BUILDING},
    Role.UNIT_LEADER: {Area.Kind.UNIT},
    Role.VOLUNTEER: {Area.Kind.COMMUNITY, Area.Kind.GRID},
    Role.COMMUNITY_POLICE: {Area.Kind.COMMUNITY, Area.Kind.GRID},
    Role.PARTY_MEMBER: {Area.Kind.COMMUNITY, Area.Kind.GRID},
    Role.PATROL_MEMBER: {Area.Kind.COMMUNITY, Area.Kind.GRID},
}

# Roles that supervise: the station and the offices above it.
SUPERVISOR_ROLES = frozenset({Role.DISTRICT_STAFF, Role.STREET_STAFF, Role.STATIONMASTER})
# Roles that work a grid: they patrol, report and keep the register.
GRID_WORKER_ROLES = frozenset({Role.GRID_LEADER, Role.GRID_MEMBER, Role.INFORMATION_OFFICER})
# Roles that help a grid without keeping its register: they report matters in their area
# and follow what they reported or were asked to help with.
TEAM_ROLES = frozenset(
    {
        Role.BUILDING_LEADER,
        Role.UNIT_LEADER,
        Role.VOLUNTEER,
        Role.COMMUNITY_POLICE,
        Role.PARTY_MEMBER,
        Role.PATROL_MEMBER,
    }
)


class PostQuerySet(models.QuerySet):
    def open(self):
        return self.filter(closed_on__isnull=True)

    def held_by(self, user):
        return self.filter(Q(holder_a=user) | Q(holder_b=user))

    def for_team(self):
        return self.select_related("area", "holder_a", "holder_b")


class OpenPostManager(models.Manager):
    def get_queryset(self):
        return super().get_queryset().filter(closed_on__isnull=True)


class Post(models.Model):
    """A standing duty at an area, held by an A holder and backed by a B holder.

    While A is absent, B is the acting holder.
    """

    area = models.ForeignKey(
        Area, verbose_name=_("area"), on_delete=models.PROTECT, related_name="posts"
    )
    role = models.CharField(_("role"), max_length=30, choices=Role.choices)
    holder_a = models.ForeignKey(
        User,
        verbose_name=_("A holder"),
        on_delete=models.PROTECT,
        related_name="posts_as_a",
    )
    holder_b = models.ForeignKey(
        User,
        verbose_name=_("B holder"),
        on_delete=models.PROTECT,
        related_name="posts_as_b",
        null=True,
        blank=True,
    )

    # Set when the post's grid is retired: a closed post is kept for the records but is
    # nobody's duty any more. `objects` shows open posts only; `all_posts` every one.
    closed_on = models.DateField(_("closed on"), null=True, blank=True)

    objects = OpenPostManager.from_queryset(PostQuerySet)()
    all_posts = PostQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("post")
        verbose_name_plural = _("posts")
        ordering = ["area__path", "role", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(holder_a=models.F("holder_b")), name="post_a_and_b_differ"
            )
        ]
        indexes = [
            # A community's grid-worker posts (the assessment): a tenth of the posts, which
            # the whole table (mostly unit and building leaders) was read for.
            models.Index(
                fields=["area"],
                condition=Q(role__in=sorted(GRID_WORKER_ROLES)),
                name="post_grid_worker_area",
            ),
        ]

    def __str__(self):
        return f"{self.get_role_display()} · {self.area}"

    def get_role_display(self):
        """The role's label, as Django's would give it; Django's translates every label of
        the field to find one, and a station's list of absences shows it on every row."""
        try:
            return str(Role(self.role).label)
        except ValueError:
            return self.role

    def clean(self):
        kinds = ROLE_AREA_KINDS.get(self.role, set())
        if self.area_id and self.area.kind not in kinds:
            raise ValidationError(
                {
                    "area": _("A %(role)s post stands at a %(kinds)s.")
                    % {
                        "role": self.get_role_display(),
                        "kinds": ", ".join(str(Area.Kind(k).label) for k in sorted(kinds)),
                    }
                }
            )
        if self.holder_a_id and self.holder_a_id == self.holder_b_id:
            raise ValidationError({"holder_b": _("A and B must be different people.")})

    def acting_holder_on(self, day=None):
        """Who acts for this post on `day`: see `grids.posts`. Runs two queries."""
        from .posts import acting_holder_on

        return acting_holder_on(self, day)


class AbsenceQuerySet(models.QuerySet):
    def covering(self, day):
        return self.filter(starts_on__lte=day, ends_on__gte=day)

    def absent_user_ids(self, day, users=None):
        """Runs one query."""
        qs = self.covering(day)
        if users is not None:
            qs = qs.filter(user__in=users)
        return set(qs.values_list("user_id", flat=True))


class Absence(models.Model):
    """A person away from `starts_on` to `ends_on` (both included): the posts they hold are
    acted for by someone else (see `grids.posts`)."""

    class Reason(models.TextChoices):
        LEAVE = "leave", _("Leave")
        SICK = "sick", _("Sick leave")
        TRAINING = "training", _("Training")
        SECONDMENT = "secondment", _("Secondment")

    user = models.ForeignKey(
        User, verbose_name=_("person"), on_delete=models.CASCADE, related_name="absences"
    )
    starts_on = models.DateField(_("from"))
    ends_on = models.DateField(_("to"))
    reason = models.CharField(
        _("reason"), max_length=20, choices=Reason.choices, default=Reason.LEAVE
    )

    objects = AbsenceQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("absence")
        verbose_name_plural = _("absences")
        ordering = ["-starts_on"]
        indexes = [models.Index(fields=["user", "starts_on", "ends_on"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_on__gte=models.F("starts_on")), name="absence_ends_after_start"
            )
        ]

    def __str__(self):
        return f"{self.user} {self.starts_on}–{self.ends_on}"

    def clean(self):
        if self.starts_on and self.ends_on and self.ends_on < self.starts_on:
            raise ValidationError({"ends_on": _("An absence cannot end before it starts.")})


# --- The household register ---


class Tag(models.Model):
    """A care or attention tag, from a list the administrator edits.

    Attention tags (for example, under community correction) are shown to the stationmaster
    and above only.
    """

    class Kind(models.TextChoices):
        CARE = "care", _("Care")
        ATTENTION = "attention", _("Attention")

    name = models.CharField(_("name"), max_length=50, unique=True)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)

    class Meta:
        verbose_name = _("tag")
        verbose_name_plural = _("tags")
        ordering = ["kind", "name"]

    def __str__(self):
        return self.name


class HouseholdQuerySet(models.QuerySet):
    def active(self):
        return self.filter(closed_on__isnull=True)

    def for_list(self):
        """With the grid, building and unit, and `resident_count`: the household's current
        residents, counted by a subquery a household (an index of current residents by
        household answers it) rather than by joining every resident and grouping the
        households' rows, which a list of a grid's 184 households sorted for a page spent
        half its time on (district bench). No query."""
        current = (
            Resident.objects.filter(household=OuterRef("pk"), moved_out_on__isnull=True)
            .order_by()
            .values("household")
            .annotate(n=models.Count("pk"))
            .values("n")
        )
        return self.select_related("grid", "building", "unit").annotate(
            resident_count=Coalesce(Subquery(current), 0)
        )


class Household(models.Model):
    class Housing(models.TextChoices):
        OWNER_OCCUPIED = "owner", _("Owner-occupied")
        RENTED = "rented", _("Rented")
        COLLECTIVE = "collective", _("Collective")
        VACANT = "vacant", _("Vacant")

    grid = models.ForeignKey(
        Area,
        verbose_name=_("grid"),
        on_delete=models.PROTECT,
        related_name="households",
        limit_choices_to={"kind": Area.Kind.GRID},
    )
    building = models.ForeignKey(
        Area,
        verbose_name=_("building"),
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
        limit_choices_to={"kind": Area.Kind.BUILDING},
    )
    unit = models.ForeignKey(
        Area,
        verbose_name=_("unit"),
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
        limit_choices_to={"kind": Area.Kind.UNIT},
    )
    room = models.CharField(_("room"), max_length=20, blank=True)
    address = models.CharField(_("address"), max_length=200)
    housing = models.CharField(_("housing"), max_length=12, choices=Housing.choices)
    last_verified_at = models.DateTimeField(_("last verified at"), null=True, blank=True)
    last_verified_by = models.ForeignKey(
        User,
        verbose_name=_("last verified by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_on = models.DateField(_("registered on"))
    closed_on = models.DateField(_("closed on"), null=True, blank=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    objects = HouseholdQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("household")
        verbose_name_plural = _("households")
        ordering = ["grid", "address", "room", "pk"]
        indexes = [models.Index(fields=["grid", "address"])]

    def __str__(self):
        return f"{self.address} {self.room}".strip()

    def get_absolute_url(self):
        return reverse("grids:household", args=[self.pk])


class ResidentQuerySet(models.QuerySet):
    def current(self):
        return self.filter(moved_out_on__isnull=True)

    def floating(self):
        return self.filter(population=Resident.Population.FLOATING)

    def for_list(self):
        return self.select_related("household", "household__grid")


class Resident(models.Model):
    """A person in the register. `household` and the dates are where they live now; every
    place they have lived, with dates, is in `Membership`."""

    class Sex(models.TextChoices):
        MALE = "m", _("Male")
        FEMALE = "f", _("Female")

    class Relation(models.TextChoices):
        HEAD = "head", _("Head of household")
        SPOUSE = "spouse", _("Spouse")
        CHILD = "child", _("Child")
        PARENT = "parent", _("Parent")
        GRANDCHILD = "grandchild", _("Grandchild")
        OTHER_RELATIVE = "relative", _("Other relative")
        TENANT = "tenant", _("Tenant")
        OTHER = "other", _("Other")

    class Population(models.TextChoices):
        REGISTERED = "registered", _("Registered")
        FLOATING = "floating", _("Floating")

    household = models.ForeignKey(
        Household,
        verbose_name=_("household"),
        on_delete=models.PROTECT,
        related_name="residents",
    )
    name = models.CharField(pgettext_lazy("person", "name"), max_length=50, db_index=True)
    sex = models.CharField(_("sex"), max_length=1, choices=Sex.choices)
    birth_date = models.DateField(_("birth date"), null=True, blank=True)
    id_number = models.CharField(_("ID number"), max_length=18, blank=True, db_index=True)
    phone = models.CharField(_("phone"), max_length=20, blank=True, db_index=True)
    relation = models.CharField(_("relation to the head"), max_length=10, choices=Relation.choices)
    population = models.CharField(
        _("population"),
        max_length=10,
        choices=Population.choices,
        default=Population.REGISTERED,
    )
    tags = models.ManyToManyField(Tag, verbose_name=_("tags"), blank=True)
    moved_in_on = models.DateField(_("moved in on"))
    moved_out_on = models.DateField(_("moved out on"), null=True, blank=True)
    # Two current residents share an ID number only by a recorded decision ("Register anyway"
    # on the resident's form); otherwise the database refuses the second.
    is_kept_duplicate = models.BooleanField(
        _("kept despite a shared ID number"), default=False, editable=False
    )
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    objects = ResidentQuerySet.as_manager()
    history = HistoricalRecords(m2m_fields=[tags])

    class Meta:
        verbose_name = _("resident")
        verbose_name_plural = _("residents")
        ordering = ["household", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["id_number"],
                condition=Q(moved_out_on__isnull=True, is_kept_duplicate=False) & ~Q(id_number=""),
                name="one_current_resident_per_id_number",
            )
        ]
        indexes = [
            # The floating population list counts and pages current floating residents by
            # household: this index holds just them (about one resident in six).
            models.Index(
                fields=["household"],
                condition=Q(population="floating", moved_out_on__isnull=True),
                name="grids_resident_floating_now",
            ),
            # The visits due (care.due) find the people under care of a station's or a
            # grid's households through their current residents: read from this index
            # alone, without the residents' rows (7,383 -> 5,346 buffers for a station).
            models.Index(
                fields=["household"],
                include=["id"],
                condition=Q(moved_out_on__isnull=True),
                name="grids_resident_current",
            ),
        ]

    def __str__(self):
        return self.name

    @property
    def masked_id_number(self):
        """The ID number as every page shows it (grids.identity decides)."""
        return mask_id_number(self.id_number)

    @property
    def birth_year(self):
        """What pages show of the birth date: its year (grids.identity decides)."""
        return mask_birth_date(self.birth_date)


class MembershipQuerySet(models.QuerySet):
    def as_of(self, day):
        """Who lived where on `day`."""
        return self.filter(
            Q(moved_out_on__isnull=True) | Q(moved_out_on__gt=day), moved_in_on__lte=day
        )


class Membership(models.Model):
    """One stay of a resident in a household, with its dates: counts "as of" a date read
    these, so they stay the same after later moves."""

    resident = models.ForeignKey(
        Resident,
        verbose_name=_("resident"),
        on_delete=models.PROTECT,
        related_name="memberships",
    )
    household = models.ForeignKey(
        Household,
        verbose_name=_("household"),
        on_delete=models.PROTECT,
        related_name="memberships",
    )
    grid = models.ForeignKey(
        Area, verbose_name=_("grid"), on_delete=models.PROTECT, related_name="+"
    )
    population = models.CharField(
        _("population"), max_length=10, choices=Resident.Population.choices
    )
    moved_in_on = models.DateField(_("moved in on"))
    moved_out_on = models.DateField(_("moved out on"), null=True, blank=True)

    objects = MembershipQuerySet.as_manager()

    class Meta:
        verbose_name = _("stay")
        verbose_name_plural = _("stays")
        ordering = ["resident", "moved_in_on"]
        indexes = [
            models.Index(fields=["grid", "moved_in_on", "moved_out_on"]),
            # The stays begun or ended on a day: what changed the register that day
            # (reports.figures.register_today).
            models.Index(fields=["moved_in_on"], name="membership_moved_in"),
            models.Index(
                fields=["moved_out_on"],
                condition=Q(moved_out_on__isnull=False),
                name="membership_moved_out",
            ),
        ]

    def __str__(self):
        return f"{self.resident} @ {self.household} {self.moved_in_on}–{self.moved_out_on or ''}"


class HouseholdGridQuerySet(models.QuerySet):
    def as_of(self, day):
        """Which grid each household was in on `day`."""
        return self.filter(Q(until_on__isnull=True) | Q(until_on__gt=day), since_on__lte=day)


class HouseholdGrid(models.Model):
    """Which grid a household was in, with dates (`since_on` included, `until_on` not): a
    building moved to another grid moves its households from a date, and rentals as of an
    earlier day are still counted in the grid they were in then."""

    household = models.ForeignKey(
        Household,
        verbose_name=_("household"),
        on_delete=models.CASCADE,
        related_name="grid_stays",
    )
    grid = models.ForeignKey(
        Area, verbose_name=_("grid"), on_delete=models.PROTECT, related_name="+"
    )
    since_on = models.DateField(_("since"))
    until_on = models.DateField(_("until"), null=True, blank=True)

    objects = HouseholdGridQuerySet.as_manager()

    class Meta:
        verbose_name = _("household's grid")
        verbose_name_plural = _("households' grids")
        ordering = ["household", "since_on"]
        indexes = [
            models.Index(fields=["grid", "since_on", "until_on"]),
            # The households that came into or left a grid on a day (register_today).
            models.Index(fields=["since_on"], name="householdgrid_since"),
            models.Index(
                fields=["until_on"],
                condition=Q(until_on__isnull=False),
                name="householdgrid_until",
            ),
        ]

    def __str__(self):
        return f"{self.household_id} @ {self.grid_id} {self.since_on}–{self.until_on or ''}"


class Transfer(models.Model):
    """A resident moving to another community. The receiving station accepts (choosing the
    household) or declines with a reason; until then the resident shows as moving on both
    sides. Accepted, the same Resident row moves: history and tags go with them."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting for the receiving station")
        ACCEPTED = "accepted", _("Accepted")
        DECLINED = "declined", _("Declined")
        CANCELLED = "cancelled", _("Cancelled")

    resident = models.ForeignKey(
        Resident, verbose_name=_("resident"), on_delete=models.PROTECT, related_name="transfers"
    )
    from_household = models.ForeignKey(
        Household,
        verbose_name=_("from household"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    to_community = models.ForeignKey(
        Area,
        verbose_name=_("to community"),
        on_delete=models.PROTECT,
        related_name="+",
        limit_choices_to={"kind": Area.Kind.COMMUNITY},
    )
    to_household = models.ForeignKey(
        Household,
        verbose_name=_("to household"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    address = models.CharField(
        _("new address"), max_length=200, blank=True, help_text=_("As the resident gave it.")
    )
    moves_on = models.DateField(_("moves on"))
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.PENDING
    )
    reason = models.CharField(_("reason"), max_length=300, blank=True)
    requested_by = models.ForeignKey(
        User, verbose_name=_("requested by"), on_delete=models.PROTECT, related_name="+"
    )
    requested_at = models.DateTimeField(_("requested at"), auto_now_add=True)
    decided_by = models.ForeignKey(
        User,
        verbose_name=_("decided by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("transfer")
        verbose_name_plural = _("transfers")
        ordering = ["-requested_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["resident"],
                condition=Q(status="pending"),
                name="transfer_one_pending_per_resident",
            )
        ]

    def __str__(self):
        return f"{self.resident} → {self.to_community}"


class Rental(models.Model):
    household = models.ForeignKey(
        Household,
        verbose_name=_("household"),
        on_delete=models.PROTECT,
        related_name="rentals",
    )
    landlord = models.ForeignKey(
        Resident,
        verbose_name=_("landlord"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="rentals_let",
    )
    landlord_name = models.CharField(_("landlord name"), max_length=50, blank=True)
    landlord_phone = models.CharField(_("landlord phone"), max_length=20, blank=True)
    tenants = models.ManyToManyField(
        Resident, verbose_name=_("tenants"), related_name="rentals", blank=True
    )
    starts_on = models.DateField(_("starts on"))
    ends_on = models.DateField(_("ends on"))
    is_reported_to_police = models.BooleanField(_("reported to the police"), default=False)

    history = HistoricalRecords(m2m_fields=[tenants])

    class Meta:
        verbose_name = _("rental registration")
        verbose_name_plural = _("rental registrations")
        ordering = ["ends_on", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_on__gte=models.F("starts_on")), name="rental_ends_after_start"
            )
        ]
        # The rentals begun or ended on a day (register_today).
        indexes = [
            models.Index(fields=["starts_on"], name="rental_starts"),
            models.Index(fields=["ends_on"], name="rental_ends"),
        ]

    def __str__(self):
        return f"{self.household} {self.starts_on}–{self.ends_on}"


class DisclosureLog(models.Model):
    """Every deliberate unmasking of an ID number or phone, and every export."""

    class Action(models.TextChoices):
        UNMASK_ID = "unmask_id", _("Unmasked an ID number")
        UNMASK_PHONE = "unmask_phone", _("Unmasked a phone")
        EXPORT = "export", _("Exported a list")

    user = models.ForeignKey(
        User, verbose_name=_("user"), on_delete=models.PROTECT, related_name="+"
    )
    action = models.CharField(_("action"), max_length=15, choices=Action.choices)
    resident = models.ForeignKey(
        Resident,
        verbose_name=_("resident"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    area = models.ForeignKey(
        Area,
        verbose_name=_("area"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    detail = models.CharField(_("detail"), max_length=300, blank=True)
    rows = models.PositiveIntegerField(
        _("rows"), null=True, blank=True, help_text=_("How many rows an export held.")
    )
    at = models.DateTimeField(_("at"), auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("disclosure log entry")
        verbose_name_plural = _("disclosure log")
        ordering = ["-at", "-pk"]

    def __str__(self):
        return f"{self.user} {self.get_action_display()} {self.at:%Y-%m-%d %H:%M}"


# --- Changes to the map ---


class AreaChange(models.Model):
    """One dated change to the grids: split, merge, move a building, retire. Recorded with
    what it moves (`summary`, as previewed) and applied on `effective_on` (at once when that
    is today) by `grids.changes.apply_area_change`; the row is the change's history entry."""

    class Kind(models.TextChoices):
        SPLIT = "split", _("Split a grid")
        MERGE = "merge", _("Merge two grids")
        MOVE = "move", _("Move buildings to another grid")
        RETIRE = "retire", _("Retire a grid")

    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    effective_on = models.DateField(_("effective on"))
    grid = models.ForeignKey(
        Area,
        verbose_name=_("grid"),
        on_delete=models.PROTECT,
        related_name="+",
        limit_choices_to={"kind": Area.Kind.GRID},
        help_text=_("The grid split, merged away, moved from or retired."),
    )
    target = models.ForeignKey(
        Area,
        verbose_name=_("receiving grid"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        limit_choices_to={"kind": Area.Kind.GRID},
        help_text=_("The grid that receives (for a split: the new grid, once applied)."),
    )
    buildings = models.ManyToManyField(
        Area,
        verbose_name=_("buildings"),
        blank=True,
        related_name="+",
        limit_choices_to={"kind": Area.Kind.BUILDING},
    )
    new_code = models.CharField(_("new grid's code"), max_length=60, blank=True)
    new_name = models.CharField(_("new grid's name"), max_length=100, blank=True)
    summary = models.JSONField(_("what it moves"), default=dict, blank=True)
    created_by = models.ForeignKey(
        User, verbose_name=_("recorded by"), on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("recorded at"), auto_now_add=True)
    applied_at = models.DateTimeField(_("applied at"), null=True, blank=True)
    error = models.CharField(_("why it could not be applied"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("area change")
        verbose_name_plural = _("area changes")
        ordering = ["-effective_on", "-pk"]
        indexes = [
            models.Index(
                fields=["effective_on"],
                condition=Q(applied_at__isnull=True),
                name="areachange_pending",
            )
        ]

    def __str__(self):
        return f"{self.get_kind_display()} {self.grid} {self.effective_on}"


# --- Forms sent once ---


class SentForm(models.Model):
    """The one-time token of a creation form that was sent (grids.once): a second sending
    of the same form (a double click, a resend after a timeout) finds this row, and the
    address of what the first one made, instead of making a second row."""

    token = models.UUIDField(primary_key=True)
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="+")
    made_url = models.CharField(max_length=300, blank=True)
    sent_at = models.DateTimeField(auto_now_add=True, db_index=True)

    def __str__(self):
        return str(self.token)


# --- The register's XLSX import ---


class ImportJob(models.Model):
    """One upload of the household register's XLSX file, validated and saved by a worker.

    Nothing is saved unless every row is valid; then `report` names each bad row.
    """

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        VALIDATING = "validating", _("Checking rows")
        WRITING = "writing", _("Saving")
        FAILED = "failed", _("Failed")
        DONE = "done", _("Done")

    class Failure(models.TextChoices):
        """Why a job failed when its report does not say: the worker stopped (or never
        started) and the job ran out of attempts. Each is told to the uploader."""

        NOT_STARTED = (
            "not_started",
            _(
                "The server could not start this import. Nothing was saved: please upload the "
                "file again."
            ),
        )
        STOPPED_CHECKING = (
            "stopped_checking",
            _(
                "The server stopped while checking the rows. Nothing was saved: please upload the "
                "file again."
            ),
        )
        STOPPED_SAVING = (
            "stopped_saving",
            _(
                "The server stopped while saving the rows. Nothing was saved: please upload the "
                "file again."
            ),
        )

    user = models.ForeignKey(
        User, verbose_name=_("uploaded by"), on_delete=models.PROTECT, related_name="import_jobs"
    )
    file = models.FileField(_("file"), upload_to="imports/")
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.QUEUED
    )
    rows_total = models.PositiveIntegerField(_("rows"), default=0)
    rows_done = models.PositiveIntegerField(_("rows checked"), default=0)
    error_count = models.PositiveIntegerField(_("errors"), default=0)
    report = models.FileField(_("error report"), upload_to="imports/", blank=True)
    households_created = models.PositiveIntegerField(_("households created"), default=0)
    residents_created = models.PositiveIntegerField(_("residents created"), default=0)
    created_at = models.DateTimeField(_("uploaded at"), auto_now_add=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    # While a worker runs the job it beats every few seconds; a job queued or running whose
    # beat stopped is started again (a bounded number of times) by `recover_imports`.
    heartbeat_at = models.DateTimeField(_("last sign of life"), null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    failure = models.CharField(_("failure"), max_length=20, choices=Failure.choices, blank=True)

    class Meta:
        verbose_name = _("register import")
        verbose_name_plural = _("register imports")
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["user", "-created_at"]),
            # The unfinished jobs, for the sweep that finds those whose worker stopped.
            models.Index(
                fields=["status"],
                condition=models.Q(status__in=["queued", "validating", "writing"]),
                name="importjob_unfinished",
            ),
        ]

    def __str__(self):
        return f"{self.file.name} ({self.get_status_display()})"

    def get_absolute_url(self):
        return reverse("grids:import_detail", args=[self.pk])

    @property
    def filename(self):
        return self.file.name.rsplit("/", 1)[-1]

    @property
    def is_finished(self):
        return self.status in {self.Status.FAILED, self.Status.DONE}

    @property
    def progress_percent(self):
        """How far the worker has got, 0-100. Checking the rows is what takes time; the
        write runs in one transaction, so it shows as full until it commits."""
        if self.status in {self.Status.WRITING, self.Status.DONE}:
            return 100
        if not self.rows_total:
            return 0
        percent = min(100, self.rows_done * 100 // self.rows_total)
        # The row count is an estimate until every row has been read.
        return min(99, percent) if self.status == self.Status.VALIDATING else percent
