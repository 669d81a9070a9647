from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from .models import (
    PROXY_KIND,
    Absence,
    Area,
    Building,
    Community,
    DisclosureLog,
    District,
    Grid,
    Household,
    ImportJob,
    Post,
    Rental,
    Resident,
    Street,
    Tag,
    Unit,
    User,
)


@admin.register(User)
class UserAdmin(SimpleHistoryAdmin, BaseUserAdmin):
    list_display = ["username", "full_name", "phone", "email", "is_active"]
    search_fields = ["username", "full_name", "phone", "email"]
    fieldsets = [
        *BaseUserAdmin.fieldsets,
        (_("Grid work"), {"fields": ["full_name", "phone", "language"]}),
    ]


class PostInline(admin.TabularInline):
    model = Post
    extra = 0
    autocomplete_fields = ["holder_a", "holder_b"]


class AreaAdmin(admin.ModelAdmin):
    """One admin per kind of area; each lists, adds and edits only its own kind."""

    list_display = ["code", "name", "parent"]
    search_fields = ["code", "name"]
    autocomplete_fields = ["parent"]
    inlines = [PostInline]
    exclude = ["kind"]

    def get_kind(self):
        return PROXY_KIND[self.model]

    def get_queryset(self, request):
        return super().get_queryset(request).filter(kind=self.get_kind()).select_related("parent")

    def get_readonly_fields(self, request, obj=None):
        # The path of every area below hangs off the parent: it is set once.
        return ["parent"] if obj else []

    def get_exclude(self, request, obj=None):
        excluded = ["kind"]
        if self.get_kind() != Area.Kind.COMMUNITY:
            excluded.append("community_kind")
        if self.get_kind() != Area.Kind.GRID:
            excluded.append("boundary")
        return excluded

    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)
        kind = self.get_kind()

        class KindForm(form):
            def __init__(self, *args, **kw):
                super().__init__(*args, **kw)
                self.instance.kind = kind

        return KindForm


@admin.register(Area)
class AllAreasAdmin(admin.ModelAdmin):
    """Every area, for search and autocomplete; each kind is edited in its own admin."""

    list_display = ["code", "name", "kind", "parent"]
    list_filter = ["kind"]
    search_fields = ["code", "name"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


for proxy in (District, Street, Community, Grid, Building, Unit):
    admin.site.register(proxy, AreaAdmin)


@admin.register(Post)
class PostAdmin(SimpleHistoryAdmin):
    list_display = ["role", "area", "holder_a", "holder_b"]
    list_filter = ["role"]
    search_fields = ["area__name", "area__code", "holder_a__full_name", "holder_b__full_name"]
    autocomplete_fields = ["area", "holder_a", "holder_b"]
    list_select_related = ["area", "holder_a", "holder_b"]


@admin.register(Absence)
class AbsenceAdmin(SimpleHistoryAdmin):
    list_display = ["user", "starts_on", "ends_on", "reason"]
    search_fields = ["user__full_name", "user__username", "reason"]
    autocomplete_fields = ["user"]
    date_hierarchy = "starts_on"
    list_select_related = ["user"]


@admin.register(Tag)
class TagAdmin(admin.ModelAdmin):
    list_display = ["name", "kind"]
    list_filter = ["kind"]
    search_fields = ["name"]


class ResidentInline(admin.TabularInline):
    model = Resident
    extra = 0
    fields = ["name", "sex", "relation", "population", "moved_in_on", "moved_out_on"]
    show_change_link = True


@admin.register(Household)
class HouseholdAdmin(SimpleHistoryAdmin):
    list_display = ["address", "room", "grid", "housing", "last_verified_at"]
    list_filter = ["housing"]
    search_fields = ["address", "grid__code"]
    raw_id_fields = ["grid", "building", "unit", "last_verified_by"]
    list_select_related = ["grid"]
    inlines = [ResidentInline]

    def get_readonly_fields(self, request, obj=None):
        # A household changes grid with its building, through the map's pages
        # (grids.changes.move_buildings), which keep its dated grid, its residents'
        # memberships and their care plans' grid; not by an edit here.
        return ["grid"] if obj else []

    def has_delete_permission(self, request, obj=None):
        return False  # households close; they are never deleted


@admin.register(Resident)
class ResidentAdmin(SimpleHistoryAdmin):
    list_display = ["name", "household", "population", "moved_in_on", "moved_out_on"]
    list_filter = ["population", "sex"]
    search_fields = ["name"]
    raw_id_fields = ["household"]
    list_select_related = ["household"]
    # Read through the app, where unmasking is logged; the birth date is the ID number's
    # hidden digits, so the admin shows its year, as the pages do.
    exclude = ["id_number", "birth_date"]
    readonly_fields = ["birth_year"]

    def get_readonly_fields(self, request, obj=None):
        # A resident moves to another household through the register's pages
        # (grids.services.move_resident), which keep their membership and their care plan's
        # grid; not by an edit here.
        return [*self.readonly_fields, "household"] if obj else self.readonly_fields

    @admin.display(description=_("Birth year"))
    def birth_year(self, obj):
        return obj.birth_year

    def has_delete_permission(self, request, obj=None):
        return False  # residents move out; they are never deleted


@admin.register(Rental)
class RentalAdmin(SimpleHistoryAdmin):
    list_display = ["household", "landlord_name", "starts_on", "ends_on", "is_reported_to_police"]
    raw_id_fields = ["household", "landlord", "tenants"]
    list_select_related = ["household"]


@admin.register(DisclosureLog)
class DisclosureLogAdmin(admin.ModelAdmin):
    list_display = ["at", "user", "action", "resident", "area", "detail", "rows"]
    list_filter = ["action"]
    list_select_related = ["user", "resident", "area"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(ImportJob)
class ImportJobAdmin(admin.ModelAdmin):
    list_display = ["pk", "user", "status", "rows_total", "error_count", "created_at"]
    list_filter = ["status"]
    list_select_related = ["user"]
    readonly_fields = [f.name for f in ImportJob._meta.fields]

    def has_add_permission(self, request):
        return False
