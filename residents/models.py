"""The residents' channel: each grid's public page, reached without an account."""

import secrets

from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from grids.models import Area


def new_token():
    """A short address part nobody can guess: 72 random bits, 12 URL-safe characters."""
    return secrets.token_urlsafe(9)


class GridChannel(models.Model):
    """A grid's public page: its address is the token, printed on the grid's notice board."""

    grid = models.OneToOneField(
        Area,
        verbose_name=_("grid"),
        on_delete=models.CASCADE,
        limit_choices_to={"kind": Area.Kind.GRID},
        related_name="channel",
    )
    token = models.CharField(_("token"), max_length=16, unique=True, default=new_token)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("grid's public page")
        verbose_name_plural = _("grids' public pages")

    def __str__(self):
        return str(self.grid)


def new_status_token():
    """A private status address: 144 random bits, 24 URL-safe characters."""
    return secrets.token_urlsafe(18)


class ResidentMatter(models.Model):
    """A matter a resident filed through a grid's public page: the incident it became, the
    private address where the resident follows it, and the resident's own rating."""

    incident = models.OneToOneField(
        "incidents.Incident",
        verbose_name=_("incident"),
        on_delete=models.CASCADE,
        related_name="resident_matter",
    )
    channel = models.ForeignKey(
        GridChannel,
        verbose_name=_("grid's public page"),
        on_delete=models.PROTECT,
        related_name="matters",
    )
    status_token = models.CharField(
        _("status token"), max_length=32, unique=True, default=new_status_token
    )
    place = models.CharField(_("place"), max_length=100)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    # Set when the resident rated the result on the status page.
    rated_at = models.DateTimeField(_("rated by the resident at"), null=True, blank=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("resident's matter")
        verbose_name_plural = _("residents' matters")

    def __str__(self):
        return str(self.incident_id)


class ResidentPhoto(models.Model):
    """A photo a resident sent with a matter, re-encoded without its metadata."""

    matter = models.ForeignKey(
        ResidentMatter, verbose_name=_("matter"), on_delete=models.CASCADE, related_name="photos"
    )
    image = models.ImageField(_("photo"), upload_to="residents/%Y/%m/")

    class Meta:
        verbose_name = _("resident's photo")
        verbose_name_plural = _("residents' photos")
        ordering = ["pk"]

    def __str__(self):
        return self.image.name
