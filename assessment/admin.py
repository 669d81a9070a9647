from django.contrib import admin

from .models import AssessmentWeights


@admin.register(AssessmentWeights)
class AssessmentWeightsAdmin(admin.ModelAdmin):
    """One row: the administrator edits it, never adds a second or deletes it. The assessment
    page shows the formula with these weights."""

    list_display = ["__str__", *AssessmentWeights.WEIGHT_FIELDS]
    fields = list(AssessmentWeights.WEIGHT_FIELDS)

    def has_add_permission(self, request):
        return not AssessmentWeights.objects.exists()

    def has_delete_permission(self, request, obj=None):
        return False
