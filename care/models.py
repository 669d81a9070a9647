"""Visits (走访) to the people who need care.

A tag (grids.Tag) may carry a **visit rule** (`VisitRule`): an interval in days, or none
("as the station decides": no automatic date), and who sees the people under it: the grid's
members and the station, or the station only. A month is **30 days** (`MONTH_DAYS`): a
fixed interval, so a due date never depends on the length of a month.

When a tag with a rule is applied to a resident, a `CareStart` row records the day (the tag
date: Resident.tags keeps no date of its own). A person may carry several such tags: their
`CarePlan` holds the strictest rule (the shortest interval) and the next visit's date:

    next visit = min over the person's tags with an interval of
                 (max(tag date, last visit) + interval)

So a person tagged "elderly living alone" (weekly) on 1 Nov is due on 8 Nov; a visit on
10 Nov moves the next to 17 Nov. The rule's slots (tag date + k x interval: 8, 15, 22 and
29 Nov) are what "visits due in a period" counts (`CarePlanQuerySet.due_count`).

A person with any station-only tag is the station's: grid members never see them in the
visits due (whatever other tags they carry), so a list never hints at a restricted tag.
"""

import datetime

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Func, IntegerField, Q, Sum, Value
from django.db.models.functions import Greatest
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from grids.models import SUPERVISOR_ROLES, Area, Resident, Tag, User
from grids.scope import STATION_GRIDS_MOST

# What "monthly" means in a rule: 30 days.
MONTH_DAYS = 30


class DaysBetween(Func):
    """`later - earlier` in whole days, as an integer, in the database."""

    output_field = IntegerField()

    def __init__(self, later, earlier):
        super().__init__(later, earlier)

    def as_sql(self, compiler, connection, **extra):
        later, earlier = (compiler.compile(e) for e in self.source_expressions)
        return f"({later[0]} - {earlier[0]})", [*later[1], *earlier[1]]

    def as_sqlite(self, compiler, connection, **extra):
        later, earlier = (compiler.compile(e) for e in self.source_expressions)
        sql = f"CAST(julianday({later[0]}) - julianday({earlier[0]}) AS INTEGER)"
        return sql, [*later[1], *earlier[1]]


class VisitRule(models.Model):
    """How often the people under a tag are visited, and who sees them."""

    class Visibility(models.TextChoices):
        GRID = "grid", _("Grid members and the station")
        STATION = "station", _("The station only")

    tag = models.OneToOneField(
        Tag,
        verbose_name=_("tag"),
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="visit_rule",
    )
    interval_days = models.PositiveSmallIntegerField(
        _("visit every (days)"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(366)],
        help_text=_("7 for weekly, 30 for monthly. Empty: as the station decides (no due date)."),
    )
    visibility = models.CharField(
        _("who sees the people"),
        max_length=10,
        choices=Visibility.choices,
        default=Visibility.GRID,
    )

    class Meta:
        verbose_name = _("visit rule")
        verbose_name_plural = _("visit rules")
        ordering = ["tag__name"]

    def __str__(self):
        return str(self.tag)

    @property
    def is_station_only(self):
        return self.visibility == self.Visibility.STATION


class CareStart(models.Model):
    """The day a resident came under a tag's visit rule (the tag date)."""

    resident = models.ForeignKey(
        Resident, verbose_name=_("resident"), on_delete=models.CASCADE, related_name="care_starts"
    )
    tag = models.ForeignKey(
        Tag, verbose_name=_("tag"), on_delete=models.CASCADE, related_name="care_starts"
    )
    started_on = models.DateField(_("tagged on"))

    class Meta:
        verbose_name = _("tag date")
        verbose_name_plural = _("tag dates")
        ordering = ["resident", "started_on"]
        constraints = [
            models.UniqueConstraint(fields=["resident", "tag"], name="care_one_start_per_tag")
        ]

    def __str__(self):
        return f"{self.resident} {self.tag} {self.started_on}"


class CarePlanQuerySet(models.QuerySet):
    def current(self):
        """People still living in the register."""
        return self.filter(resident__moved_out_on__isnull=True)

    def visible_to(self, scope):
        """Plans of people in the grids where the user keeps the register (grid workers and
        the station); a station-only person only where the user is stationmaster or above."""
        return self.filter(scope.register_q("grid")).filter(
            Q(is_station_only=False) | scope.supervised_q("grid")
        )

    def visible_in(self, scope, grids):
        """`visible_to(scope)` for a page that has read `grids`, the grids where the user
        keeps the register (`care.due.care_grids`: areas, or rows with `pk` and `path`):
        by the grids' ids (a path prefix makes PostgreSQL join every plan to its grid to
        test it), by path above STATION_GRIDS_MOST grids, and with no test of
        station-only people where the user supervises every grid. No queries."""
        grid = "grid"
        by_ids = not scope.is_global and len(grids) <= STATION_GRIDS_MOST
        if by_ids:
            plans = self.filter(**{f"{grid}_id__in": [g.pk for g in grids]})
        else:
            plans = self.filter(scope.register_q(grid))
        if scope.is_global:
            supervised = [g.pk for g in grids]
        else:
            # scope.supervises(g) for each grid, with the supervisors' paths read once.
            paths = tuple(p.area.path for p in scope.posts if p.role in SUPERVISOR_ROLES)
            supervised = [g.pk for g in grids if g.path.startswith(paths)]
        if len(supervised) < len(grids):
            station = Q(**{f"{grid}_id__in": supervised}) if by_ids else scope.supervised_q(grid)
            plans = plans.filter(Q(is_station_only=False) | station)
        return plans

    def with_due_date(self):
        return self.filter(next_due_on__isnull=False)

    def due_by(self, day):
        """Due on or before `day` (overdue ones included)."""
        return self.filter(next_due_on__lte=day)

    def overdue(self, today):
        """Due before `today` and not visited since."""
        return self.filter(next_due_on__lt=today)

    def in_grids(self, grid_ids):
        return self.filter(grid_id__in=grid_ids)

    def for_list(self):
        return self.select_related("resident__household", "grid").order_by(
            "next_due_on", "grid__code", "pk"
        )

    def _with_slots(self, start, end):
        """Plans with an interval, annotated `slots`: the rule's dates tag date + k x
        interval (k >= 1) from `start` to `end` (both included), counted in the database."""
        interval = F("interval_days")
        before = Value(start - datetime.timedelta(days=1))
        slots = Greatest(
            Value(0),
            DaysBetween(Value(end), F("started_on")) / interval
            - Greatest(Value(0), DaysBetween(before, F("started_on"))) / interval,
        )
        return self.filter(interval_days__isnull=False, started_on__lte=end).annotate(slots=slots)

    def due_count(self, start, end):
        """How many visits the rules ask for from `start` to `end` (both included): for each
        person with an interval, the slots tag date + k x interval (k >= 1) in the period.
        A weekly person tagged on 1 Nov has four in November (8, 15, 22, 29). Runs one
        query. Example: `CarePlan.objects.current().in_grids([grid.pk]).due_count(first,
        last)`."""
        total = self._with_slots(start, end).aggregate(total=Sum("slots"))["total"]
        return total or 0

    def due_counts_by_grid(self, start, end):
        """{grid id: due_count} for the grids the people live in now. Runs one query."""
        rows = (
            self._with_slots(start, end)
            .values_list("grid_id")
            .annotate(total=Sum("slots"))
            .order_by()
        )
        return {grid_id: total or 0 for grid_id, total in rows}


class CarePlan(models.Model):
    """A person under at least one visit rule: the strictest rule and the next visit.
    Written only by care.services (from the person's `CareStart` rows and visits)."""

    resident = models.OneToOneField(
        Resident, verbose_name=_("resident"), on_delete=models.CASCADE, related_name="care_plan"
    )
    # The resident's household's grid, copied so that the visits due of a station or a grid
    # are found from the plans' own index (care_plan_grid_due), not by joining every
    # resident and household of the grids. Written with the plan (services._replan) and by
    # the register's writes that move a resident or a household (services.follow_move).
    grid = models.ForeignKey(
        Area,
        verbose_name=_("grid"),
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
    )
    interval_days = models.PositiveSmallIntegerField(_("visit every (days)"), null=True, blank=True)
    is_station_only = models.BooleanField(_("station only"), default=False)
    started_on = models.DateField(_("under care since"))
    last_visited_on = models.DateField(_("last visited on"), null=True, blank=True)
    next_due_on = models.DateField(_("next visit due on"), null=True, blank=True)
    tag_names = models.CharField(_("tags"), max_length=300, blank=True)

    objects = CarePlanQuerySet.as_manager()

    class Meta:
        verbose_name = _("care plan")
        verbose_name_plural = _("care plans")
        ordering = ["next_due_on", "pk"]
        indexes = [
            models.Index(fields=["next_due_on"], name="care_plan_next_due"),
            models.Index(fields=["grid", "next_due_on"], name="care_plan_grid_due"),
        ]

    def __str__(self):
        return str(self.resident)

    def get_absolute_url(self):
        return reverse("care:person", args=[self.resident_id])

    def is_overdue(self, today):
        return self.next_due_on is not None and self.next_due_on < today

    def due_dates(self, start, end):
        """The dates in [start, end] the next visit and the rule's interval give from now on:
        a weekly person next due on 8 Nov has 8, 15, 22 and 29 Nov in November."""
        if self.next_due_on is None:
            return []
        day, dates = self.next_due_on, []
        step = datetime.timedelta(days=self.interval_days or 0)
        while day <= end:
            if day >= start:
                dates.append(day)
            if not step:
                break
            day += step
        return dates


class VisitQuerySet(models.QuerySet):
    def visible_to(self, scope):
        """Visits in the user's grids; those of a station-only person only for the station."""
        return self.filter(scope.register_q("grid")).filter(
            Q(is_station_only=False) | scope.supervised_q("grid")
        )

    def done(self):
        """Visits that met the person ("nobody home" is an attempt, not a visit)."""
        return self.exclude(outcome=Visit.Outcome.ABSENT)

    def done_by(self, user, start, end):
        """Visits `user` made from `start` to `end` (local dates, both included) that met
        the person. Example: `Visit.objects.done_by(user, first, last).count()`."""
        return self.done().filter(visited_by=user, visited_on__range=(start, end))

    def in_grid(self, grid, start, end):
        """Visits in `grid` (where the person lived at the visit) from `start` to `end`."""
        return self.filter(grid=grid, visited_on__range=(start, end))

    def for_list(self):
        return self.select_related("resident", "grid", "visited_by").order_by("-visited_on", "-pk")


class Visit(models.Model):
    """A grid worker's visit to a person under care, during a patrol or on its own."""

    class Outcome(models.TextChoices):
        WELL = "well", _("Met: all is well")
        NEEDS = "needs", _("Met: needs help")
        ABSENT = "absent", _("Nobody home")

    resident = models.ForeignKey(
        Resident, verbose_name=_("resident"), on_delete=models.PROTECT, related_name="visits"
    )
    grid = models.ForeignKey(
        Area,
        verbose_name=_("grid"),
        on_delete=models.PROTECT,
        related_name="+",
        limit_choices_to={"kind": Area.Kind.GRID},
    )
    # Copied from the person's plan when the visit is made: a later change of tags does not
    # show an old visit to people who may no longer see it, nor hide it.
    is_station_only = models.BooleanField(_("station only"), default=False)
    visited_on = models.DateField(_("visited on"))
    visited_by = models.ForeignKey(
        User, verbose_name=_("visited by"), on_delete=models.PROTECT, related_name="+"
    )
    patrol = models.ForeignKey(
        "patrols.Patrol",
        verbose_name=_("patrol"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="visits",
    )
    outcome = models.CharField(_("outcome"), max_length=10, choices=Outcome.choices)
    note = models.TextField(_("note"), max_length=2000, blank=True)
    photo = models.ImageField(_("photo"), upload_to="visits/%Y/%m/", blank=True)
    created_at = models.DateTimeField(_("recorded at"), auto_now_add=True)

    objects = VisitQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("visit")
        verbose_name_plural = _("visits")
        ordering = ["-visited_on", "-pk"]
        indexes = [
            models.Index(fields=["resident", "-visited_on"], name="care_visit_resident"),
            models.Index(fields=["visited_by", "visited_on"], name="care_visit_by"),
            models.Index(fields=["grid", "visited_on"], name="care_visit_grid"),
        ]

    def __str__(self):
        return f"{self.resident} {self.visited_on}"

    def get_absolute_url(self):
        return reverse("care:visit", args=[self.pk])


class Need(models.Model):
    """Something a visit found the person needs: it may become an incident, or a service
    request to a department."""

    visit = models.ForeignKey(
        Visit, verbose_name=_("visit"), on_delete=models.CASCADE, related_name="needs"
    )
    text = models.CharField(_("need"), max_length=300)
    department = models.CharField(
        _("department asked"),
        max_length=100,
        blank=True,
        help_text=_(
            "A service request to this department (for example, the civil affairs office)."
        ),
    )
    incident = models.ForeignKey(
        "incidents.Incident",
        verbose_name=_("incident"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("need found")
        verbose_name_plural = _("needs found")
        ordering = ["visit", "pk"]

    def __str__(self):
        return self.text
