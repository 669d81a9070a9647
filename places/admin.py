from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from .models import Place, PlaceCheck, PlaceIncident


class PlaceCheckInline(admin.TabularInline):
    model = PlaceCheck
    extra = 0
    fields = ["checked_on", "outcome", "problems", "checked_by", "incident"]
    raw_id_fields = ["checked_by", "incident"]


@admin.register(Place)
class PlaceAdmin(SimpleHistoryAdmin):
    list_display = ["name", "kind", "grid", "next_check_on", "is_active"]
    list_filter = ["kind", "is_active"]
    search_fields = ["name", "address", "grid__code"]
    autocomplete_fields = ["grid"]
    list_select_related = ["grid"]
    inlines = [PlaceCheckInline]


@admin.register(PlaceIncident)
class PlaceIncidentAdmin(admin.ModelAdmin):
    list_display = ["incident", "place"]
    raw_id_fields = ["incident", "place"]
    list_select_related = ["incident", "place"]
