from django.conf import settings
from django.db import models
from django.db.models import F, Q, Value
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from grids.models import TEAM_ROLES, Area, Household, Post, Resident, Role


class Urgency(models.TextChoices):
    NORMAL = "normal", _("Normal")
    URGENT = "urgent", _("Urgent")
    CRITICAL = "critical", _("Critical")


class Category(models.Model):
    """What kind of matter an incident is. Sensitive categories (petitions, unstable
    information) are seen only by the station and above, and by their handler."""

    code = models.SlugField(_("code"), unique=True)
    name = models.CharField(_("name"), max_length=50)
    is_sensitive = models.BooleanField(_("sensitive"), default=False)
    is_dispute = models.BooleanField(
        _("dispute"), default=False, help_text=_("Records the parties and the mediation.")
    )
    # The residents' public page offers only these categories, under their own names.
    resident_name = models.CharField(
        _("name for residents"),
        max_length=50,
        blank=True,
        help_text=_("Offered on the grids' public pages under this name; empty: not offered."),
    )
    is_public_security = models.BooleanField(
        _("public security"),
        default=False,
        help_text=_("Community police see the incidents of this category in their grids."),
    )

    class Meta:
        verbose_name = _("category")
        verbose_name_plural = _("categories")
        ordering = ["name"]

    def __str__(self):
        return self.name


class TimeLimit(models.Model):
    """Working hours allowed to settle an incident of a category and urgency."""

    category = models.ForeignKey(
        Category, verbose_name=_("category"), on_delete=models.CASCADE, related_name="limits"
    )
    urgency = models.CharField(_("urgency"), max_length=10, choices=Urgency.choices)
    hours = models.PositiveIntegerField(_("working hours"))

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("time limit")
        verbose_name_plural = _("time limits")
        ordering = ["category", "urgency"]
        constraints = [
            models.UniqueConstraint(fields=["category", "urgency"], name="one_limit_per_kind")
        ]

    def __str__(self):
        return f"{self.category} · {self.get_urgency_display()}: {self.hours} h"


class CalendarDay(models.Model):
    """An exception to the Monday-to-Friday week: a public holiday on a weekday, or a
    weekend day that is a make-up working day."""

    class Kind(models.TextChoices):
        DAY_OFF = "day_off", _("Day off")
        WORKING_DAY = "working_day", _("Working day")

    day = models.DateField(_("date"), unique=True)
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices)
    name = models.CharField(_("name"), max_length=50, blank=True)
    # Days loaded from the `holidays` package are replaced when it is loaded again; days a
    # station loaded from its own CSV are kept and win over the package's.
    is_local = models.BooleanField(
        _("local decision"),
        default=True,
        help_text=_("Loaded from the station's own file: kept when the national calendar loads."),
    )

    class Meta:
        verbose_name = _("calendar day")
        verbose_name_plural = _("working calendar")
        ordering = ["day"]

    def __str__(self):
        return f"{self.day} {self.get_kind_display()} {self.name}".strip()


class CalendarYear(models.Model):
    """A year whose national calendar was loaded from the `holidays` package. A year can be
    loaded and still have no package rows (a station's file covers every day), so the rows
    alone cannot say which years are loaded."""

    year = models.PositiveSmallIntegerField(_("year"), unique=True)
    loaded_at = models.DateTimeField(_("loaded at"))

    class Meta:
        verbose_name = _("national calendar year")
        verbose_name_plural = _("national calendar years")
        ordering = ["year"]

    def __str__(self):
        return str(self.year)


def grid_path(area):
    """The path of the grid that holds `area` (a building or unit) or of `area` itself (a
    grid or above): paths hold the ids from the root down, "/1/4/9/12/". No query."""
    below = {Area.Kind.BUILDING: 1, Area.Kind.UNIT: 2}.get(area.kind, 0)
    parts = area.path.strip("/").split("/")
    return "/" + "/".join(parts[: len(parts) - below]) + "/"


def community_path(area):
    """The path of the community that holds `area` (a community or below): the district,
    street and community ids lead every path below a community. No query."""
    return "/" + "/".join(area.path.strip("/").split("/")[:3]) + "/"


def _in_communities(posts, field):
    """Rows whose grid (`field`) lies in the communities of the posts' areas."""
    condition = Q(pk__in=[])
    for path in {community_path(post.area) for post in posts}:
        condition |= Q(**{f"{field}__path__startswith": path})
    return condition


def _in_grids(posts, field):
    """Rows whose grid (`field`) lies at or under the posts' areas, or holds their building
    or unit."""
    condition = Q(pk__in=[])
    for path in {grid_path(post.area) for post in posts}:
        condition |= Q(**{f"{field}__path__startswith": path})
    return condition


class IncidentQuerySet(models.QuerySet):
    OPEN_STATES = (
        "reported",
        "accepted",
        "assigned",
        "in_progress",
        "resolved",
        "verified",
        "escalated",
        "referred",
        "returned",
        "reopened",
    )

    # Open (not closed, not a duplicate) and not paused: as a partial index's condition too,
    # written so that PostgreSQL matches a query's filter to it (an IN list would not be).
    RUNNING = ~Q(status="closed") & ~Q(status="duplicate") & Q(paused_at__isnull=True)

    def open(self):
        return self.filter(status__in=self.OPEN_STATES)

    def running(self):
        """Open and not paused, as the time-limit sweep's indexes know them."""
        return self.filter(self.RUNNING)

    def visible_to(self, scope):
        """Incidents in the user's areas; sensitive ones only where they are the station or
        above, or where they handle them. A team post (TEAM_ROLES: building and unit
        leaders, volunteers, party members, patrol members, community police) opens less: in
        its communities, what names the user (they reported it, answer for it, handle it,
        own the meeting's action item that became it, or are offered its handover), and for
        community police also the public-security incidents of their grids. No query."""
        if scope.is_global:
            return self
        user = scope.user
        # Supervisors and grid workers: everything in their areas (`register_q`).
        condition = scope.register_q("grid")
        supervised = scope.supervised_q("grid")
        if supervised != condition:
            # Sensitive ones only where they supervise (where they supervise every area
            # they keep, as a stationmaster does, the condition says nothing more and is
            # left out: PostgreSQL plans it on every query).
            condition &= Q(is_sensitive=False) | supervised | Q(handler=user)
        team = [post for post in scope.posts if post.role in TEAM_ROLES]
        if team:
            # What names them, in their communities (a handover may be offered to anyone
            # holding a post in the incident's community).
            offered = Handover.objects.filter(
                to_user=user, accepted_at__isnull=True, declined_at__isnull=True
            ).values("incident")
            own = (
                Q(reported_by=user)
                | Q(first_responsible=user)
                | Q(action_item__owner=user)
                | Q(covered_for=user)
                | Q(pk__in=offered)
            ) & Q(is_sensitive=False)
            condition |= _in_communities(team, "grid") & (own | Q(handler=user))
            police = [post for post in team if post.role == Role.COMMUNITY_POLICE]
            if police:
                condition |= _in_grids(police, "grid") & Q(
                    category__is_public_security=True, is_sensitive=False
                )
        return self.filter(condition)

    def mine(self, scope, day=None, covered=None):
        """What the user answers for: incidents they handle or are first-responsible for,
        those covered for them (shown as "covered by" the handler), and those of the posts
        they cover on `day`: as B while A is away, or as the stationmaster while both are.
        Runs one query when the user is a B holder somewhere or a stationmaster, else
        none; none when `covered` gives the ids of the posts covered
        (grids.posts.posts_covered_by, already read)."""
        from grids.posts import posts_covered_by

        user = scope.user
        condition = Q(handler=user) | Q(first_responsible=user) | Q(covered_for=user)
        if covered is None:
            covered = posts_covered_by(user, scope.posts, day)
        if covered:
            condition |= Q(post_id__in=covered, handler__isnull=False)
        return self.filter(condition)

    @staticmethod
    def mine_q(scope, day=None, covered=None):
        """The condition of `mine`, with `covered` the ids of the posts the user covers
        (grids.posts.posts_covered_by, already read) or, without, those posts read in a
        subquery (grids.posts.covered_posts). No query."""
        from grids.posts import covered_posts

        user = scope.user
        condition = Q(handler=user) | Q(first_responsible=user) | Q(covered_for=user)
        if covered is None:
            covered = covered_posts(user, scope.posts, day)  # None when none can be
            if covered is None:
                return condition
        elif not covered:
            return condition
        return condition | Q(post_id__in=covered, handler__isnull=False)

    def with_light(self, light, now=None):
        """Filter by light. A paused incident keeps the colour it had when it was paused."""
        return self.filter(self.light_q(light, now))

    @staticmethod
    def light_q(light, now=None):
        """The condition of `with_light`, for a count or a union of lights. No query."""
        now = now or timezone.now()
        moment = Coalesce(F("paused_at"), Value(now))
        if light == "red":
            return Q(deadline_at__lte=moment)
        if light == "yellow":
            return Q(warn_at__lte=moment, deadline_at__gt=moment)
        if light == "green":
            return Q(warn_at__gt=moment)
        return Q()

    def for_list(self):
        return self.select_related("grid", "category", "handler", "first_responsible")

    def for_rows(self):
        """for_list() reading only what a row of a list of incidents shows (ROW_FIELDS;
        incidents.templatetags.incident_rows draws it), not the four tables' ninety
        columns."""
        return self.for_list().only(*ROW_FIELDS)


# What a row of a list of incidents and its light read (IncidentQuerySet.for_rows).
ROW_FIELDS = (
    "number",
    "title",
    "status",
    "is_supervised",
    "warn_at",
    "deadline_at",
    "paused_at",
    "escalation_level",
    "escalated_at",
    "covered_for_id",
    "grid__name",
    "grid__code",
    "category__name",
    "handler__full_name",
    "handler__username",
    "first_responsible__full_name",
    "first_responsible__username",
)


class Incident(models.Model):
    class Status(models.TextChoices):
        REPORTED = "reported", _("Reported")
        ACCEPTED = "accepted", _("Accepted")
        ASSIGNED = "assigned", _("Assigned")
        IN_PROGRESS = "in_progress", _("In progress")
        RESOLVED = "resolved", _("Resolved")
        VERIFIED = "verified", _("Verified")
        CLOSED = "closed", _("Closed")
        ESCALATED = "escalated", _("Escalated")
        REFERRED = "referred", _("Referred")
        RETURNED = "returned", _("Returned for rework")
        REOPENED = "reopened", _("Reopened")
        DUPLICATE = "duplicate", _("Duplicate")

    class Source(models.TextChoices):
        PATROL = "patrol", _("Patrol")
        WALK_IN = "walk_in", _("Walk-in")
        PHONE = "phone", _("Phone")
        MEETING = "meeting", _("Meeting")
        TEAM = "team", _("Team member")
        RESIDENT = "resident", _("Resident")
        OTHER = "other", _("Other")

    class Satisfaction(models.TextChoices):
        SATISFIED = "satisfied", _("Satisfied")
        BASICALLY = "basically", _("Basically satisfied")
        DISSATISFIED = "dissatisfied", _("Dissatisfied")

    number = models.CharField(_("number"), max_length=12, unique=True)
    grid = models.ForeignKey(
        Area, verbose_name=_("grid"), on_delete=models.PROTECT, related_name="incidents"
    )
    building = models.ForeignKey(
        Area,
        verbose_name=_("building"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    household = models.ForeignKey(
        Household, verbose_name=_("household"), on_delete=models.PROTECT, null=True, blank=True
    )
    category = models.ForeignKey(Category, verbose_name=_("category"), on_delete=models.PROTECT)
    # Set when a change to the map moved the open incident to `grid` from `moved_from`: what
    # happened before `moved_at` still counts for the grid it was in then.
    moved_from = models.ForeignKey(
        Area,
        verbose_name=_("moved from grid"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    moved_at = models.DateTimeField(_("moved at"), null=True, blank=True)
    urgency = models.CharField(
        _("urgency"), max_length=10, choices=Urgency.choices, default=Urgency.NORMAL
    )
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), max_length=2000, blank=True)
    source = models.CharField(_("source"), max_length=10, choices=Source.choices)
    observation = models.OneToOneField(
        "patrols.Observation",
        verbose_name=_("observation"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="incident",
    )
    # Kept small and without metadata (patrols.photos.shrink), shown only to those who may
    # open the incident.
    photo = models.ImageField(_("photo"), upload_to="incidents/%Y/%m/", blank=True)
    reporter_resident = models.ForeignKey(
        Resident,
        verbose_name=_("reporting resident"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    reporter_name = models.CharField(_("reporter's name"), max_length=50, blank=True)
    reporter_phone = models.CharField(_("reporter's phone"), max_length=20, blank=True)
    is_anonymous = models.BooleanField(_("anonymous"), default=False)
    is_sensitive = models.BooleanField(_("sensitive"), default=False, editable=False)

    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.REPORTED
    )
    reported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("reported by"),
        on_delete=models.PROTECT,
        related_name="incidents_reported",
    )
    first_responsible = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("first-responsible person"),
        on_delete=models.PROTECT,
        related_name="incidents_first_responsible",
    )
    handler = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("handler"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="incidents_handled",
    )
    # Set when the incident was assigned to its post while the post's A holder was away: the
    # handler covers for them, and keeps it until the station returns it to A.
    covered_for = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("covered for"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    post = models.ForeignKey(
        Post,
        verbose_name=_("assigned post"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="incidents",
    )
    duplicate_of = models.ForeignKey(
        "self",
        verbose_name=_("duplicate of"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="duplicates",
    )

    # Time-limited settlement: the limit is kept as it was when the incident was filed.
    limit_hours = models.PositiveIntegerField(_("time limit (working hours)"))
    filed_at = models.DateTimeField(_("filed at"), default=timezone.now)
    warn_at = models.DateTimeField(_("warning at"), db_index=True)
    deadline_at = models.DateTimeField(_("deadline"), db_index=True)
    paused_at = models.DateTimeField(_("paused at"), null=True, blank=True)
    paused_until = models.DateTimeField(_("paused until"), null=True, blank=True)
    pause_reason = models.CharField(_("pause reason"), max_length=200, blank=True)
    warned_at = models.DateTimeField(_("handler warned at"), null=True, blank=True)
    escalation_level = models.PositiveSmallIntegerField(_("escalation level"), default=0)
    escalated_at = models.DateTimeField(_("escalated at"), null=True, blank=True)
    is_supervised = models.BooleanField(_("supervised"), default=False)
    rework_count = models.PositiveSmallIntegerField(_("rework"), default=0)
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)

    referred_to = models.CharField(_("referred to"), max_length=100, blank=True)
    referral_reply = models.TextField(_("department's reply"), max_length=2000, blank=True)
    satisfaction = models.CharField(
        _("satisfaction"), max_length=12, choices=Satisfaction.choices, blank=True
    )
    satisfaction_comment = models.TextField(_("resident's comment"), max_length=2000, blank=True)

    # Disputes.
    parties = models.ManyToManyField(
        Resident, verbose_name=_("parties"), blank=True, related_name="disputes"
    )
    mediation = models.TextField(_("how it was mediated"), max_length=2000, blank=True)
    is_mediated = models.BooleanField(_("mediation succeeded"), null=True, blank=True)

    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    objects = IncidentQuerySet.as_manager()
    history = HistoricalRecords(excluded_fields=["updated_at"])

    class Meta:
        verbose_name = _("incident")
        verbose_name_plural = _("incidents")
        ordering = ["-filed_at", "-pk"]
        indexes = [
            models.Index(fields=["grid", "status"]),
            models.Index(fields=["status", "deadline_at"]),
            models.Index(fields=["handler", "status"]),
            models.Index(fields=["first_responsible", "status"]),
            # The reports count incidents filed and closed in a period from the rows, bounded
            # by these dates (deadline_at has its own index). The deadline beside the closing
            # time serves the incidents due by a period's end and closed after it (its states
            # at the end) from the index: a city's closings since then are thousands, the
            # district's due ones among them a few dozen.
            models.Index(fields=["filed_at"], name="incident_filed_at"),
            models.Index(fields=["closed_at", "deadline_at"], name="incident_closed_due"),
            # The time-limit sweep's due incidents, among the open and running ones still to
            # be warned or escalated: its cost follows what is due, not the history.
            models.Index(
                fields=["warn_at"],
                name="incident_warning_due",
                condition=IncidentQuerySet.RUNNING & Q(warned_at__isnull=True),
            ),
            models.Index(
                fields=["deadline_at"],
                name="incident_escalation_due",
                condition=IncidentQuerySet.RUNNING & Q(escalation_level__lt=2),
            ),
            models.Index(
                fields=["paused_until"],
                name="incident_pause_ends",
                condition=Q(paused_at__isnull=False),
            ),
            # The reports count residents' ratings of a period among the residents' matters
            # saved since it began (reports.figures): a small index beside those of the dates.
            models.Index(
                fields=["updated_at"],
                name="incident_resident_touched",
                condition=Q(source="resident"),
            ),
            # The escalations of a period (reports.figures): few incidents are escalated.
            models.Index(
                fields=["escalated_at"],
                name="incident_escalated_at",
                condition=Q(escalated_at__isnull=False),
            ),
        ]

    def __str__(self):
        return f"{self.number} {self.title}"

    def get_absolute_url(self):
        return reverse("incidents:detail", args=[self.number])

    def get_status_display(self):
        """The status's label, as Django's would give it; Django's translates every label
        of the field to find one, and the lists show it on every row."""
        try:
            return str(self.Status(self.status).label)
        except ValueError:
            return self.status

    @property
    def is_open(self):
        return self.status in IncidentQuerySet.OPEN_STATES

    @property
    def is_paused(self):
        return self.paused_at is not None

    def closed_light(self):
        """How a closed incident ended: "on_time" when it closed by its deadline, "late"
        after it; "" while it is open or when it closed without a closing time."""
        if self.is_open or self.closed_at is None:
            return ""
        return "on_time" if self.closed_at <= self.deadline_at else "late"

    def light(self, now=None):
        """green, yellow or red, or "" when closed. A paused incident keeps its colour."""
        if not self.is_open:
            return ""
        now = self.paused_at or now or timezone.now()
        if now >= self.deadline_at:
            return "red"
        if now >= self.warn_at:
            return "yellow"
        return "green"


class IncidentCounter(models.Model):
    """The last number given in a year, so numbers run 2026-000001, 2026-000002, ..."""

    year = models.PositiveSmallIntegerField(primary_key=True)
    last = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("incident counter")
        verbose_name_plural = _("incident counters")

    def __str__(self):
        return f"{self.year}: {self.last}"


TIMELINE_ACTIONS = {
    "report": _("Reported"),
    "handover": _("Offered a handover"),
    "handover_accepted": _("Accepted the handover"),
    "handover_declined": _("Declined the handover"),
    "pause": _("Stopped the clock"),
    "resume": _("Restarted the clock"),
    "extension_requested": _("Asked for more time"),
    "extension_approved": _("Approved more time"),
    "extension_refused": _("Refused more time"),
    "urge": _("Supervised and urged"),
    "overdue": _("Overdue: escalated to the station"),
    "mediation": _("Recorded the mediation"),
    "returned_to_a": _("Returned to the post's A holder"),
    "post_handover": _("Handed over with the post"),
    "resident_rating": _("The resident rated the result"),
}


class TimelineEntry(models.Model):
    """One step of an incident: who, when, from which state to which, and a note."""

    incident = models.ForeignKey(
        Incident, verbose_name=_("incident"), on_delete=models.CASCADE, related_name="timeline"
    )
    at = models.DateTimeField(_("at"), default=timezone.now)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    action = models.CharField(_("action"), max_length=20)
    from_status = models.CharField(_("from"), max_length=12, blank=True)
    to_status = models.CharField(_("to"), max_length=12, blank=True)
    note = models.TextField(_("note"), max_length=2000, blank=True)

    class Meta:
        verbose_name = _("timeline entry")
        verbose_name_plural = _("timeline")
        ordering = ["at", "pk"]

    def __str__(self):
        return f"{self.incident_id} {self.action}"

    @property
    def action_label(self):
        from .workflow import STEPS

        if self.action in STEPS:
            return STEPS[self.action].label
        return TIMELINE_ACTIONS.get(self.action, self.action)

    @property
    def to_label(self):
        if self.to_status in Incident.Status.values:
            return Incident.Status(self.to_status).label
        return ""


class Handover(models.Model):
    """First-question responsibility passes only when the receiver accepts."""

    incident = models.ForeignKey(
        Incident, verbose_name=_("incident"), on_delete=models.CASCADE, related_name="handovers"
    )
    from_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("from"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    to_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("to"),
        on_delete=models.PROTECT,
        related_name="handovers_received",
    )
    note = models.CharField(_("note"), max_length=300, blank=True)
    requested_at = models.DateTimeField(_("requested at"), default=timezone.now)
    accepted_at = models.DateTimeField(_("accepted at"), null=True, blank=True)
    declined_at = models.DateTimeField(_("declined at"), null=True, blank=True)

    class Meta:
        verbose_name = _("handover")
        verbose_name_plural = _("handovers")
        ordering = ["-requested_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["incident"],
                condition=Q(accepted_at__isnull=True, declined_at__isnull=True),
                name="one_pending_handover",
            )
        ]

    def __str__(self):
        return f"{self.incident_id}: {self.from_user_id} → {self.to_user_id}"


class Extension(models.Model):
    """More working hours, asked by the handler and approved by the stationmaster."""

    incident = models.ForeignKey(
        Incident, verbose_name=_("incident"), on_delete=models.CASCADE, related_name="extensions"
    )
    hours = models.PositiveIntegerField(_("extra working hours"))
    reason = models.CharField(_("reason"), max_length=300)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("requested by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    requested_at = models.DateTimeField(_("requested at"), default=timezone.now)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("decided by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    is_approved = models.BooleanField(_("approved"), null=True)

    class Meta:
        verbose_name = _("extension")
        verbose_name_plural = _("extensions")
        ordering = ["-requested_at"]

    def __str__(self):
        return f"{self.incident_id} +{self.hours} h"
