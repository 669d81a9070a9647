from django.contrib import admin

from .models import ScoreWeights


@admin.register(ScoreWeights)
class ScoreWeightsAdmin(admin.ModelAdmin):
    """One row: the administrator edits it, never adds a second or deletes it. The report
    shows the formula with these weights."""

    list_display = ["__str__", "on_time", "closure", "rework", "coverage", "instructions"]
    fields = ["on_time", "closure", "rework", "coverage", "instructions", "instruction_penalty"]

    def has_add_permission(self, request):
        return not ScoreWeights.objects.exists()

    def has_delete_permission(self, request, obj=None):
        return False
