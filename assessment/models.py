from django.core.validators import MaxValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from gridmgmt.weights import Weights


class AssessmentWeights(Weights):
    """The weights of a grid worker's monthly score (考核): one row, edited by the
    administrator, adding up to 100 like reports.models.ScoreWeights. Each weight earns its
    points in proportion to one rate of the worker's month (see assessment.figures.score)."""

    patrol = models.PositiveSmallIntegerField(
        _("patrol windows"),
        default=30,
        validators=[MaxValueValidator(100)],
        help_text=_("Points for windows patrolled ÷ (patrolled + short + missed)."),
    )
    on_time = models.PositiveSmallIntegerField(
        _("incidents handled on time"),
        default=25,
        validators=[MaxValueValidator(100)],
        help_text=_("Points for incidents closed on time ÷ incidents closed as handler."),
    )
    rework = models.PositiveSmallIntegerField(
        _("no rework"),
        default=10,
        validators=[MaxValueValidator(100)],
        help_text=_("Points for 1 − rework ÷ incidents closed as handler."),
    )
    instructions = models.PositiveSmallIntegerField(
        _("instructions on time"),
        default=10,
        validators=[MaxValueValidator(100)],
        help_text=_("Points for instructions completed by their due day ÷ instructions completed."),
    )
    meetings = models.PositiveSmallIntegerField(
        _("meetings attended"),
        default=15,
        validators=[MaxValueValidator(100)],
        help_text=_("Points for meetings attended ÷ meetings expected at."),
    )
    visits = models.PositiveSmallIntegerField(
        _("visits"),
        default=10,
        validators=[MaxValueValidator(100)],
        help_text=_("Points for visits done ÷ visits due to people under care (at most 1)."),
    )
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("assessment weights")
        verbose_name_plural = _("assessment weights")

    WEIGHT_FIELDS = ("patrol", "on_time", "rework", "instructions", "meetings", "visits")

    def __str__(self):
        return str(_("Assessment weights"))
