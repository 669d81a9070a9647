from django.contrib import admin
from django.db import transaction
from simple_history.admin import SimpleHistoryAdmin

from grids.admin import TagAdmin
from grids.models import Resident, Tag

from . import services
from .models import CarePlan, Visit, VisitRule


def _resync_tag(tag_id):
    """The people holding the tag get their plans again (a rule added, changed or removed)."""
    ids = Resident.tags.through.objects.filter(tag_id=tag_id).values_list("resident_id", flat=True)
    services.sync_residents(list(ids))


class VisitRuleInline(admin.StackedInline):
    model = VisitRule
    extra = 0
    max_num = 1


# The tag's page carries its visit rule.
admin.site.unregister(Tag)


@admin.register(Tag)
class TagWithRuleAdmin(TagAdmin):
    inlines = [VisitRuleInline]
    list_display = ["name", "kind", "visit_rule__interval_days", "visit_rule__visibility"]
    list_select_related = ["visit_rule"]

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        transaction.on_commit(lambda: _resync_tag(form.instance.pk))


@admin.register(VisitRule)
class VisitRuleAdmin(admin.ModelAdmin):
    list_display = ["tag", "interval_days", "visibility"]
    list_editable = ["interval_days", "visibility"]
    list_select_related = ["tag"]

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        transaction.on_commit(lambda: _resync_tag(obj.tag_id))

    def delete_model(self, request, obj):
        tag_id = obj.tag_id
        super().delete_model(request, obj)
        transaction.on_commit(lambda: _resync_tag(tag_id))


@admin.register(CarePlan)
class CarePlanAdmin(admin.ModelAdmin):
    list_display = ["resident", "tag_names", "interval_days", "next_due_on", "last_visited_on"]
    list_filter = ["is_station_only"]
    search_fields = ["resident__name"]
    raw_id_fields = ["resident"]
    readonly_fields = [f.name for f in CarePlan._meta.fields]


@admin.register(Visit)
class VisitAdmin(SimpleHistoryAdmin):
    list_display = ["resident", "visited_on", "visited_by", "outcome", "grid"]
    list_filter = ["outcome"]
    date_hierarchy = "visited_on"
    raw_id_fields = ["resident", "patrol", "visited_by", "grid"]
    list_select_related = ["resident", "visited_by", "grid"]
