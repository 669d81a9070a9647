from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _


class ScoreWeights(models.Model):
    """The weights of the grid and community score: one row, edited by the administrator.

    Modelled on the digital urban-management evaluation rules (数字化城市管理考核): points for
    the on-time closure rate, the closure rate, little rework and patrol coverage, and points
    lost for verification instructions left overdue. The four rate weights and the
    instructions weight add up to 100, so a score is out of 100.
    """

    SINGLETON_PK = 1

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

    def __str__(self):
        return str(_("Score weights"))

    def save(self, *args, **kwargs):
        self.pk = self.SINGLETON_PK
        super().save(*args, **kwargs)

    @classmethod
    def load(cls):
        """The one row (created with the defaults if missing). Runs one query."""
        weights, _created = cls.objects.get_or_create(pk=cls.SINGLETON_PK)
        return weights

    @property
    def total(self):
        return self.on_time + self.closure + self.rework + self.coverage + self.instructions

    def clean(self):
        if self.total != 100:
            raise ValidationError(
                _("The weights add up to %(total)s; they must add up to 100.")
                % {"total": self.total}
            )


class PopulationDay(models.Model):
    """A grid's register as of a past day (households, residents, floating residents,
    rentals), rolled up daily by `reports.tasks.roll_up_population`, so reports need not count
    the whole register live. A past day is final (stays are dated), so a row never changes."""

    grid = models.ForeignKey(
        "grids.Area", verbose_name=_("grid"), on_delete=models.CASCADE, related_name="+"
    )
    day = models.DateField(_("day"))
    households = models.PositiveIntegerField(_("households"), default=0)
    residents = models.PositiveIntegerField(_("residents"), default=0)
    floating = models.PositiveIntegerField(_("floating residents"), default=0)
    rentals = models.PositiveIntegerField(_("rentals"), default=0)
    computed_at = models.DateTimeField(_("computed at"))

    class Meta:
        verbose_name = _("population of a day")
        verbose_name_plural = _("population by day")
        constraints = [
            models.UniqueConstraint(fields=["grid", "day"], name="population_day_grid_day")
        ]
        indexes = [models.Index(fields=["day"], name="population_day_day")]

    def __str__(self):
        return f"{self.grid_id} {self.day}"
