from django import forms
from django.contrib import admin
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from grids.models import Area, Post

from . import schedule
from .models import (
    ActionItem,
    AgendaItem,
    CalendarFeed,
    GridReport,
    Meeting,
    MeetingSeries,
    Participant,
)


class MeetingSeriesForm(forms.ModelForm):
    class Meta:
        model = MeetingSeries
        fields = [
            "community",
            "kind",
            "weekday",
            "working_day",
            "starts_at",
            "duration_minutes",
            "place",
            "posts",
            "is_active",
        ]

    def clean(self):
        cleaned = super().clean()
        community, posts = cleaned.get("community"), cleaned.get("posts")
        if community and posts:
            outside = [post for post in posts if not post.area.is_within(community)]
            if outside:
                self.add_error(
                    "posts",
                    _("These posts are not in %(community)s: %(posts)s")
                    % {"community": community, "posts": ", ".join(str(p) for p in outside)},
                )
        return cleaned


@admin.register(MeetingSeries)
class MeetingSeriesAdmin(SimpleHistoryAdmin):
    """The standing meetings. A change applies to meetings planned afterwards; planned ones
    keep their day, time and participants (edit them under Meetings)."""

    form = MeetingSeriesForm
    list_display = [
        "community",
        "kind",
        "weekday",
        "working_day",
        "starts_at",
        "duration_minutes",
        "place",
        "is_active",
    ]
    list_filter = ["kind", "is_active"]
    list_select_related = ["community"]
    search_fields = ["community__name", "community__code"]
    autocomplete_fields = ["community"]
    filter_horizontal = ["posts"]

    def get_form(self, request, obj=None, **kwargs):
        request._series_community = obj.community if obj else None
        return super().get_form(request, obj, **kwargs)

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        if db_field.name == "posts":
            posts = Post.objects.select_related("area")
            community = getattr(request, "_series_community", None)
            if community is not None:
                posts = posts.filter(area__in=Area.objects.under(community))
            kwargs["queryset"] = posts
        return super().formfield_for_manytomany(db_field, request, **kwargs)

    def save_related(self, request, form, formsets, change):
        """A new series saved with no posts invites the defaults (`schedule.default_posts`:
        for the monthly review the building leaders and community police too)."""
        super().save_related(request, form, formsets, change)
        series = form.instance
        if not change and not series.posts.exists():
            series.posts.set(schedule.default_posts(series.community, series.kind))


class ParticipantInline(admin.TabularInline):
    model = Participant
    extra = 0
    fields = ["post", "user", "attendance", "substitute"]
    raw_id_fields = ["post", "user", "substitute"]


class AgendaItemInline(admin.TabularInline):
    model = AgendaItem
    extra = 0
    fields = [
        "position",
        "source",
        "text",
        "note",
        "incident",
        "grid",
        "instruction",
        "action_item",
    ]
    raw_id_fields = ["incident", "grid", "instruction", "action_item"]


class ActionItemInline(admin.TabularInline):
    model = ActionItem
    extra = 0
    fields = [
        "text",
        "owner",
        "due_on",
        "grid",
        "incident",
        "created_by",
        "done_at",
        "cancelled_at",
    ]
    raw_id_fields = ["owner", "grid", "incident", "created_by"]


@admin.register(Meeting)
class MeetingAdmin(SimpleHistoryAdmin):
    list_display = ["__str__", "community", "starts_at", "moved_from", "place", "status"]
    list_filter = ["kind", "status"]
    list_select_related = ["community"]
    search_fields = ["community__name", "community__code", "place"]
    date_hierarchy = "starts_at"
    raw_id_fields = ["series", "community", "closed_by"]
    readonly_fields = ["agenda_generated_at", "closed_at", "updated_at"]
    inlines = [ParticipantInline, AgendaItemInline, ActionItemInline]


@admin.register(ActionItem)
class ActionItemAdmin(SimpleHistoryAdmin):
    list_display = ["text", "owner", "due_on", "grid", "incident", "done_at", "cancelled_at"]
    list_filter = ["due_on"]
    list_select_related = ["owner", "grid", "incident"]
    search_fields = ["text", "owner__full_name", "owner__username"]
    raw_id_fields = ["meeting", "owner", "grid", "incident", "created_by"]


@admin.register(GridReport)
class GridReportAdmin(SimpleHistoryAdmin):
    list_display = ["grid", "month", "status", "submitted_at", "submitted_by"]
    list_filter = ["status", "month"]
    list_select_related = ["grid", "submitted_by"]
    search_fields = ["grid__code", "grid__name"]
    date_hierarchy = "month"
    raw_id_fields = ["grid", "submitted_by"]
    readonly_fields = ["figures", "figures_at", "updated_at"]


@admin.register(CalendarFeed)
class CalendarFeedAdmin(admin.ModelAdmin):
    """Users make their own links on the calendar page; deleting one here retires it."""

    list_display = ["user", "created_at"]
    list_select_related = ["user"]
    search_fields = ["user__username", "user__full_name"]
    fields = ["user", "created_at"]
    readonly_fields = ["user", "created_at"]

    def has_add_permission(self, request):
        return False
