from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from reports.admin import ForgetsRolledUpDays
from reports.rollup import incident_days

from .models import (
    CalendarDay,
    CalendarYear,
    Category,
    Extension,
    Handover,
    Incident,
    TimeLimit,
    TimelineEntry,
)


class TimeLimitInline(admin.TabularInline):
    model = TimeLimit
    extra = 0
    fields = ["urgency", "hours"]


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = ["name", "code", "is_sensitive", "is_dispute", "is_public_security"]
    list_editable = ["is_public_security"]
    list_filter = ["is_sensitive", "is_dispute", "is_public_security"]
    search_fields = ["name", "code"]
    inlines = [TimeLimitInline]


@admin.register(TimeLimit)
class TimeLimitAdmin(SimpleHistoryAdmin):
    """The time-limit table. A change applies to incidents filed afterwards; each incident
    keeps the limit it was filed with."""

    list_display = ["category", "urgency", "hours"]
    list_display_links = ["category"]
    list_editable = ["hours"]
    list_filter = ["urgency", "category"]
    list_select_related = ["category"]


@admin.register(CalendarDay)
class CalendarDayAdmin(admin.ModelAdmin):
    """Exceptions to the Monday-to-Friday week. The national calendar loads from the
    `holidays` package by itself; a station's own schedule loads with
    `manage.py load_holidays FILE`. A day saved here is a local decision, kept when the
    national calendar loads again."""

    list_display = ["day", "kind", "name", "is_local"]
    list_filter = ["kind", "is_local"]
    search_fields = ["name"]
    date_hierarchy = "day"
    readonly_fields = ["is_local"]

    def save_model(self, request, obj, form, change):
        obj.is_local = True
        super().save_model(request, obj, form, change)


@admin.register(CalendarYear)
class CalendarYearAdmin(admin.ModelAdmin):
    """The years loaded from the `holidays` package, and when (the daily task reloads this
    year and the next)."""

    list_display = ["year", "loaded_at"]


class TimelineEntryInline(admin.TabularInline):
    model = TimelineEntry
    extra = 0
    fields = ["at", "by", "action", "from_status", "to_status", "note"]
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Incident)
class IncidentAdmin(ForgetsRolledUpDays, SimpleHistoryAdmin):
    """Read-mostly: the workflow steps belong to the app, where they are checked and logged.
    An edit (its grid, category, satisfaction...) drops the roll-up of its events' days."""

    def rolled_up_days(self, objs):
        return incident_days(objs)

    list_display = ["number", "title", "grid", "status", "handler", "deadline_at"]
    list_filter = ["status", "category", "is_supervised"]
    search_fields = ["number", "title"]
    date_hierarchy = "filed_at"
    list_select_related = ["grid", "handler"]
    raw_id_fields = [
        "grid",
        "building",
        "household",
        "observation",
        "reporter_resident",
        "reported_by",
        "first_responsible",
        "handler",
        "post",
        "duplicate_of",
        "parties",
    ]
    readonly_fields = [
        "number",
        "status",
        "is_sensitive",
        "limit_hours",
        "filed_at",
        "warn_at",
        "deadline_at",
        "paused_at",
        "warned_at",
        "escalation_level",
        "escalated_at",
        "resolved_at",
        "closed_at",
        "updated_at",
    ]
    inlines = [TimelineEntryInline]


@admin.register(Handover)
class HandoverAdmin(admin.ModelAdmin):
    list_display = [
        "incident",
        "from_user",
        "to_user",
        "requested_at",
        "accepted_at",
        "declined_at",
    ]
    search_fields = ["incident__number"]
    raw_id_fields = ["incident", "from_user", "to_user"]
    list_select_related = ["incident", "from_user", "to_user"]


@admin.register(Extension)
class ExtensionAdmin(admin.ModelAdmin):
    list_display = [
        "incident",
        "hours",
        "requested_by",
        "requested_at",
        "is_approved",
        "decided_by",
    ]
    list_filter = ["is_approved"]
    search_fields = ["incident__number"]
    raw_id_fields = ["incident", "requested_by", "decided_by"]
    list_select_related = ["incident", "requested_by", "decided_by"]
