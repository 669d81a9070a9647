from django.contrib import admin

from reports.admin import ForgetsRolledUpDays

from . import services
from .models import (
    DaySignOff,
    Instruction,
    KeyPoint,
    MissedPatrol,
    Observation,
    Patrol,
    PatrolCheck,
    PatrolSchedule,
)


@admin.register(PatrolSchedule)
class PatrolScheduleAdmin(admin.ModelAdmin):
    list_display = [
        "community",
        "morning_starts_at",
        "morning_ends_at",
        "afternoon_starts_at",
        "afternoon_ends_at",
        "minimum_minutes",
        "grace_minutes",
        "patrols_on_days_off",
    ]
    list_filter = ["patrols_on_days_off"]
    autocomplete_fields = ["community"]
    list_select_related = ["community"]


@admin.register(KeyPoint)
class KeyPointAdmin(admin.ModelAdmin):
    list_display = ["text", "community", "is_active", "created_at"]
    list_filter = ["is_active"]
    search_fields = ["text", "community__name"]
    autocomplete_fields = ["community"]
    list_select_related = ["community"]


class ObservationInline(admin.TabularInline):
    model = Observation
    extra = 0
    fields = ["category", "place", "text", "is_follow_up", "observed_at"]
    readonly_fields = ["observed_at"]


class DayAndGrid(ForgetsRolledUpDays):
    """An edit of a log or a missed window changes its grid's figures of its day, and may
    leave a closed window uncovered: the coverage check looks at every window again
    (services.reopen_windows, after the write)."""

    def rolled_up_days(self, objs):
        return [(obj.grid_id, obj.day) for obj in objs]

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        services.reopen_windows()

    def delete_model(self, request, obj):
        super().delete_model(request, obj)
        services.reopen_windows()

    def delete_queryset(self, request, queryset):
        super().delete_queryset(request, queryset)
        services.reopen_windows()


class PatrolCheckInline(admin.TabularInline):
    model = PatrolCheck
    extra = 0
    fields = ["question", "is_none", "note", "observations", "corrections"]
    raw_id_fields = ["observations", "corrections"]


@admin.register(Patrol)
class PatrolAdmin(DayAndGrid, admin.ModelAdmin):
    list_display = [
        "grid",
        "day",
        "slot",
        "member",
        "status",
        "duration_minutes",
        "is_short",
        "is_all_none",
    ]
    list_filter = ["status", "slot", "is_short", "is_all_none"]
    search_fields = ["grid__code", "grid__name", "member__full_name"]
    date_hierarchy = "day"
    raw_id_fields = ["grid", "member", "companions", "reviewed_by"]
    list_select_related = ["grid", "member"]
    inlines = [ObservationInline, PatrolCheckInline]


@admin.register(Instruction)
class InstructionAdmin(admin.ModelAdmin):
    list_display = ["text", "grid", "due_on", "outcome", "completed_at"]
    list_filter = ["outcome"]
    search_fields = ["text", "grid__code"]
    raw_id_fields = [
        "grid",
        "household",
        "resident",
        "rental",
        "issued_by",
        "completed_by",
        "patrol",
    ]
    list_select_related = ["grid"]


@admin.register(DaySignOff)
class DaySignOffAdmin(admin.ModelAdmin):
    list_display = ["community", "day", "signed_by", "signed_at"]
    list_select_related = ["community", "signed_by"]
    raw_id_fields = ["community", "signed_by"]


@admin.register(MissedPatrol)
class MissedPatrolAdmin(DayAndGrid, admin.ModelAdmin):
    list_display = ["grid", "day", "slot", "recorded_at"]
    list_filter = ["slot"]
    date_hierarchy = "day"
    list_select_related = ["grid"]
    raw_id_fields = ["grid"]
