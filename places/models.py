"""Places in a grid (辖区单位): shops, firms, schools, clinics, construction sites and other
organisations, each with a fire and safety check every so many days."""

import datetime

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from grids.models import Area


class PlaceQuerySet(models.QuerySet):
    def active(self):
        return self.filter(is_active=True)

    def overdue(self, day):
        """Open places whose next check is before `day` (local date)."""
        return self.active().filter(next_check_on__lt=day)

    def for_list(self):
        return self.select_related("grid")


class Place(models.Model):
    """A place the grid team checks: who runs it, how to reach them, and when its next fire and
    safety check is due (`next_check_on`: the last check plus the cycle; the day it was added
    while it has never been checked)."""

    class Kind(models.TextChoices):
        SHOP = "shop", _("Shop")
        FIRM = "firm", _("Firm")
        SCHOOL = "school", _("School")
        CLINIC = "clinic", _("Clinic")
        CONSTRUCTION = "construction", _("Construction site")
        OTHER = "other", _("Other organisation")

    grid = models.ForeignKey(
        Area,
        verbose_name=_("grid"),
        on_delete=models.PROTECT,
        related_name="places",
        limit_choices_to={"kind": Area.Kind.GRID},
    )
    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices)
    address = models.CharField(_("address"), max_length=200)
    contact_name = models.CharField(_("contact person"), max_length=50, blank=True)
    contact_phone = models.CharField(_("contact phone"), max_length=20, blank=True)
    check_cycle_days = models.PositiveSmallIntegerField(
        _("check every (days)"),
        default=30,
        validators=[MinValueValidator(1), MaxValueValidator(366)],
        help_text=_("Days between fire and safety checks."),
    )
    last_checked_on = models.DateField(_("last checked on"), null=True, blank=True)
    next_check_on = models.DateField(_("next check on"))
    is_active = models.BooleanField(
        _("in business"), default=True, help_text=_("A place that has closed is kept, unchecked.")
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    history = HistoricalRecords()
    objects = PlaceQuerySet.as_manager()

    class Meta:
        verbose_name = _("place in the grid")
        verbose_name_plural = _("places in the grid")
        ordering = ["name", "pk"]
        indexes = [
            models.Index(fields=["grid", "next_check_on"]),
            models.Index(fields=["next_check_on"]),
        ]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("places:detail", args=[self.pk])

    def next_check_after(self, checked_on):
        """The next check's date after a check on `checked_on`."""
        return checked_on + datetime.timedelta(days=self.check_cycle_days)

    def is_overdue(self, day):
        return self.is_active and self.next_check_on < day


class PlaceCheck(models.Model):
    """A fire and safety check of a place, recorded like a visit: when, the outcome, the
    problems found (which can become an incident) and an optional photo."""

    class Outcome(models.TextChoices):
        PASSED = "passed", _("No problems")
        PROBLEMS = "problems", _("Problems to fix")
        CLOSED = "closed", _("Closed, nobody there")

    place = models.ForeignKey(
        Place, verbose_name=_("place in the grid"), on_delete=models.CASCADE, related_name="checks"
    )
    checked_on = models.DateField(_("checked on"))
    outcome = models.CharField(_("outcome"), max_length=10, choices=Outcome.choices)
    problems = models.TextField(_("problems found"), max_length=1000, blank=True)
    photo = models.ImageField(_("photo"), upload_to="place-checks/%Y/%m/", blank=True)
    checked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("checked by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    recorded_at = models.DateTimeField(_("recorded at"), auto_now_add=True)
    incident = models.OneToOneField(
        "incidents.Incident",
        verbose_name=_("incident"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="place_check",
    )

    class Meta:
        verbose_name = _("place check")
        verbose_name_plural = _("place checks")
        ordering = ["-checked_on", "-pk"]

    def __str__(self):
        return f"{self.place} {self.checked_on}"


class PlaceIncident(models.Model):
    """An incident that names a place (kept on this side, so incidents need not know
    places)."""

    incident = models.OneToOneField(
        "incidents.Incident",
        verbose_name=_("incident"),
        on_delete=models.CASCADE,
        related_name="place_link",
    )
    place = models.ForeignKey(
        Place,
        verbose_name=_("place in the grid"),
        on_delete=models.PROTECT,
        related_name="incident_links",
    )

    class Meta:
        verbose_name = _("incident at a place")
        verbose_name_plural = _("incidents at places")

    def __str__(self):
        return f"{self.incident} @ {self.place}"
