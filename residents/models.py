"""The residents' channel: each grid's public page, reached without an account."""

import secrets

from django.db import models
from django.utils.translation import gettext_lazy as _

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
