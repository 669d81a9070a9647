"""Weights an administrator edits for a score: one row, adding up to 100 (the grid score's
reports.ScoreWeights, the worker assessment's assessment.AssessmentWeights)."""

from django.contrib import admin
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _


class Weights(models.Model):
    """A subclass names its weight fields in WEIGHT_FIELDS: they must add up to 100."""

    SINGLETON_PK = 1
    WEIGHT_FIELDS = ()

    class Meta:
        abstract = True

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
        return sum(getattr(self, name) or 0 for name in self.WEIGHT_FIELDS)

    def clean(self):
        if self.total != 100:
            raise ValidationError(
                _("The weights add up to %(total)s; they must add up to 100.")
                % {"total": self.total}
            )


class WeightsAdmin(admin.ModelAdmin):
    """One row: the administrator edits it, never adds a second or deletes it."""

    def has_add_permission(self, request):
        return not self.model.objects.exists()

    def has_delete_permission(self, request, obj=None):
        return False
