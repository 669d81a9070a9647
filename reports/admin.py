from django.contrib import admin

from gridmgmt.weights import WeightsAdmin

from . import rollup
from .models import ScoreWeights


class ForgetsRolledUpDays:
    """For the admin of rows the daily roll-up counts (patrol logs, missed windows,
    incidents): saving or deleting one drops the roll-up of the past days it changed, as
    the services' writes do (reports.rollup), in the admin's transaction; reports count
    those days live until the hourly task rolls them up again. A subclass says which
    (grid id, local date) pairs a row counts on in `rolled_up_days(objs)`."""

    def rolled_up_days(self, objs):
        raise NotImplementedError

    def save_model(self, request, obj, form, change):
        # The row as saved before, when it changes: its old grid and days change too.
        before = list(type(obj)._default_manager.filter(pk=obj.pk)) if change else []
        super().save_model(request, obj, form, change)
        rollup.forget_days(self.rolled_up_days([*before, obj]))

    def delete_model(self, request, obj):
        rollup.forget_days(self.rolled_up_days([obj]))
        super().delete_model(request, obj)

    def delete_queryset(self, request, queryset):
        rollup.forget_days(self.rolled_up_days(queryset))
        super().delete_queryset(request, queryset)


@admin.register(ScoreWeights)
class ScoreWeightsAdmin(WeightsAdmin):
    """The report shows the formula with these weights."""

    list_display = ["__str__", *ScoreWeights.WEIGHT_FIELDS]
    fields = [*ScoreWeights.WEIGHT_FIELDS, "instruction_penalty"]
