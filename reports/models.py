from django.core.validators import MaxValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from gridmgmt.weights import Weights


class ScoreWeights(Weights):
    """The weights of the grid and community score: one row, edited by the administrator.

    Modelled on the digital urban-management evaluation rules (数字化城市管理考核): points for
    the on-time closure rate, the closure rate, little rework and patrol coverage, and points
    lost for verification instructions left overdue. The four rate weights and the
    instructions weight add up to 100, so a score is out of 100.
    """

    on_time = models.PositiveSmallIntegerField(
        _("on-time closure rate"),
        default=30,
        validators=[MaxValueValidator(100)],
        help_text=_("Points for on-time closures ÷ incidents due in the period."),
    )
    closure = models.PositiveSmallIntegerField(
        _("closure rate"),
        default=25,
        validators=[MaxValueValidator(100)],
        help_text=_("Points for incidents due in the period and closed ÷ incidents due."),
    )
    rework = models.PositiveSmallIntegerField(
        _("rework"),
        default=15,
        validators=[MaxValueValidator(100)],
        help_text=_("Points for 1 − rework ÷ closures (reworks counted on the closed ones)."),
    )
    coverage = models.PositiveSmallIntegerField(
        _("patrol coverage"),
        default=20,
        validators=[MaxValueValidator(100)],
        help_text=_("Points for patrol windows done ÷ windows."),
    )
    instructions = models.PositiveSmallIntegerField(
        _("overdue instructions"),
        default=10,
        validators=[MaxValueValidator(100)],
        help_text=_("Points kept while no verification instruction is overdue."),
    )
    instruction_penalty = models.DecimalField(
        _("points lost per overdue instruction"),
        max_digits=4,
        decimal_places=1,
        default=2,
        help_text=_(
            "Taken from the overdue-instructions points for each overdue instruction per "
            "grid, down to zero."
        ),
    )
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("score weights")
        verbose_name_plural = _("score weights")

    WEIGHT_FIELDS = ("on_time", "closure", "rework", "coverage", "instructions")

    def __str__(self):
        return str(_("Score weights"))


class DayFigures(models.Model):
    """The figures of a past local day that the daily roll-ups keep (GridDay per grid, AreaDay
    per area above the grids)."""

    # The register as of the day.
    households = models.PositiveIntegerField(_("households"), default=0)
    residents = models.PositiveIntegerField(_("residents"), default=0)
    floating = models.PositiveIntegerField(_("floating residents"), default=0)
    rentals = models.PositiveIntegerField(_("rentals"), default=0)
    # Patrol windows of the day (see reports.figures.Figures).
    windows = models.PositiveIntegerField(_("patrol windows"), default=0)
    done = models.PositiveIntegerField(_("windows done"), default=0)
    short = models.PositiveIntegerField(_("windows short"), default=0)
    returned = models.PositiveIntegerField(_("windows returned"), default=0)
    missed = models.PositiveIntegerField(_("windows missed"), default=0)
    # Incident events of the day.
    opened = models.PositiveIntegerField(_("incidents filed"), default=0)
    closed = models.PositiveIntegerField(_("incidents closed"), default=0)
    due = models.PositiveIntegerField(_("incidents due"), default=0)
    on_time = models.PositiveIntegerField(_("closed on time"), default=0)
    escalations = models.PositiveIntegerField(_("escalations"), default=0)
    rework = models.PositiveIntegerField(_("rework"), default=0)
    satisfied = models.PositiveIntegerField(_("satisfied"), default=0)
    rated = models.PositiveIntegerField(_("rated"), default=0)
    # Incidents filed that day by where they came from (reports.figures.SOURCE_GROUPS), and
    # the residents' own ratings given that day.
    from_patrol = models.PositiveIntegerField(_("filed from patrols"), default=0)
    from_desk = models.PositiveIntegerField(_("filed at the desk"), default=0)
    from_team = models.PositiveIntegerField(_("filed by team members"), default=0)
    from_resident = models.PositiveIntegerField(_("filed by residents"), default=0)
    resident_rated = models.PositiveIntegerField(_("rated by residents"), default=0)
    resident_satisfied = models.PositiveIntegerField(_("residents satisfied"), default=0)
    # The hours from filing to closing of each incident closed that day (in the grid it was
    # in when closed), as the percentiles of the time to close take them: a report's median
    # and 90th percentile over a period are those of these lists together, so a past period
    # reads no incident. Unordered; kept and forgotten with the day's `closed`.
    close_hours = models.JSONField(_("hours to close"), default=list, blank=True)
    computed_at = models.DateTimeField(_("computed at"))

    class Meta:
        abstract = True


class GridDay(DayFigures):
    """One grid's figures of one past local day, rolled up by `reports.rollup` (run by
    `reports.tasks.roll_up_population`), so a report over months reads a few thousand rows
    instead of counting every patrol, incident and stay.

    Two kinds of figure live here. Counts of the day, which add up over days: the patrol
    windows that closed that day and what became of them, and the incidents filed, closed,
    due, escalated that day (each event counted for the grid the incident was in at the
    event). And the register as of the day (households, residents, floating residents,
    rentals), which is read for one day at a time. Incidents opened per category are in
    GridDayCategory.

    A row is computed by `reports.figures` itself (one period per day), so it equals the live
    count by construction. A write that changes a past day (a late patrol log, an incident
    reopened, a back-dated register edit, a change to the map) deletes the rows of the days it
    changed in its own transaction (`reports.rollup.forget`); until the task computes them
    again, reports count those days live."""

    grid = models.ForeignKey(
        "grids.Area", verbose_name=_("grid"), on_delete=models.CASCADE, related_name="+"
    )
    day = models.DateField(_("day"))

    class Meta:
        verbose_name = _("figures of a day")
        verbose_name_plural = _("figures by day")
        constraints = [models.UniqueConstraint(fields=["grid", "day"], name="grid_day_grid_day")]
        indexes = [models.Index(fields=["day"], name="grid_day_day")]

    def __str__(self):
        return f"{self.grid_id} {self.day}"


# The register's roll-up was the first part of GridDay.
PopulationDay = GridDay


class GridDayCategory(models.Model):
    """Incidents filed in a grid on a past day in one category (only categories with some):
    the by-category part of GridDay, rolled up and forgotten with it."""

    grid = models.ForeignKey(
        "grids.Area", verbose_name=_("grid"), on_delete=models.CASCADE, related_name="+"
    )
    day = models.DateField(_("day"))
    category = models.ForeignKey(
        "incidents.Category",
        verbose_name=_("category"),
        on_delete=models.CASCADE,
        related_name="+",
    )
    opened = models.PositiveIntegerField(_("incidents filed"), default=0)

    class Meta:
        verbose_name = _("incidents of a day by category")
        verbose_name_plural = _("incidents by day and category")
        constraints = [
            models.UniqueConstraint(
                fields=["grid", "day", "category"], name="grid_day_category_unique"
            )
        ]
        indexes = [models.Index(fields=["day"], name="grid_day_category_day")]

    def __str__(self):
        return f"{self.grid_id} {self.day} {self.category_id}"


class AreaDay(DayFigures):
    """The figures of one past local day summed over the grids under an area above them (a
    community, a street, a district), so a report of a district reads a row per street and
    day instead of a row per grid and day (reports.figures.report_figures).

    Built by `reports.rollup.roll_up_areas` from the GridDay rows of the day, only for a day
    the grids' roll-up has for every grid that existed on it; `grids` says how many grids'
    rows it sums, so a report uses the row only when that is every grid it counts under the
    area that day (a user whose scope holds part of the area reads the grids' rows). A day's
    rows are built together and forgotten together: a write that makes the grids' roll-up
    forget a day (reports.rollup.forget, forget_days) deletes every area's row of that day
    in the same transaction, and the hourly task builds them again."""

    area = models.ForeignKey(
        "grids.Area", verbose_name=_("area"), on_delete=models.CASCADE, related_name="+"
    )
    day = models.DateField(_("day"))
    grids = models.PositiveIntegerField(_("grids"))
    # Incidents filed that day by category: {category id (a string, as JSON keys are): count}.
    categories = models.JSONField(_("incidents filed by category"), default=dict)

    class Meta:
        verbose_name = _("figures of an area's day")
        verbose_name_plural = _("figures by area and day")
        constraints = [models.UniqueConstraint(fields=["area", "day"], name="area_day_area_day")]
        indexes = [models.Index(fields=["day"], name="area_day_day")]

    def __str__(self):
        return f"{self.area_id} {self.day}"


class AreaToday(DayFigures):
    """Today's figures so far summed over the grids under an area above them, as AreaDay
    holds a past day's: counted for every grid every few minutes by
    `reports.rollup.count_today` (run by `reports.tasks.count_today`), so a report whose
    period ends today reads a row per child for today instead of counting today's patrols,
    incidents and register live. A row is used while it is fresh (reports.rollup.TODAY_FRESH)
    and its `grids` is every grid the report counts under the area today; the report says
    when it was counted. One row per area, replaced by each count; a row of another day is
    never read."""

    area = models.OneToOneField(
        "grids.Area", verbose_name=_("area"), on_delete=models.CASCADE, related_name="+"
    )
    day = models.DateField(_("day"))
    grids = models.PositiveIntegerField(_("grids"))
    # Incidents filed today by category: {category id (a string, as JSON keys are): count}.
    categories = models.JSONField(_("incidents filed by category"), default=dict)

    class Meta:
        verbose_name = _("figures of an area's day so far")
        verbose_name_plural = _("figures by area of today so far")

    def __str__(self):
        return f"{self.area_id} {self.day}"
