from django.contrib import admin

from gridmgmt.weights import WeightsAdmin

from .models import AssessmentWeights


@admin.register(AssessmentWeights)
class AssessmentWeightsAdmin(WeightsAdmin):
    """The assessment page shows the formula with these weights."""

    list_display = ["__str__", *AssessmentWeights.WEIGHT_FIELDS]
    fields = list(AssessmentWeights.WEIGHT_FIELDS)
