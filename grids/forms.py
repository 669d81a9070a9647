import datetime

import django_filters
from django import forms
from django.conf import settings
from django.db.models import Max, Q
from django.utils import formats, timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from gridmgmt.dates import DayField
from gridmgmt.filters import OrderingFilter

from .identity import (
    birth_date_from_id,
    clean_phone,
    mask_id_number,
    normalize_id_number,
    validate_id_number,
)
from .models import Area, Household, Rental, Resident, Tag
from .once import OnceMixin


class LanguageForm(forms.Form):
    language = forms.ChoiceField(choices=settings.LANGUAGES)
    next = forms.CharField(required=False, max_length=2000)


class GridFilter(django_filters.FilterSet):
    """Filters and sorts the grids of one user's scope."""

    q = django_filters.CharFilter(label=_("Search"), method="search")
    community = django_filters.ModelChoiceFilter(
        label=_("Community"), field_name="parent", queryset=Area.objects.none()
    )
    sort = OrderingFilter(
        label=_("Sort by"),
        fields=(("code", "code"), ("name", "name"), ("parent__name", "community")),
        field_labels={"code": _("Code"), "name": _("Name"), "parent__name": _("Community")},
    )

    class Meta:
        model = Area
        fields = ["q", "community"]

    def __init__(self, *args, communities, **kwargs):
        super().__init__(*args, **kwargs)
        self.filters["community"].queryset = communities

    def search(self, queryset, name, value):
        return queryset.filter(Q(name__icontains=value) | Q(code__icontains=value))


# --- The household register ---


class StaleCheckMixin:
    """Refuses to save over a change someone else made since the form was opened: a hidden
    field carries the record's `updated_at` as it was when the form was drawn. Put it before
    forms.ModelForm in the bases; it adds the field and checks it by itself."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["seen_updated_at"] = forms.CharField(widget=forms.HiddenInput, required=False)
        if self.instance.pk and not self.is_bound:
            self.initial["seen_updated_at"] = self.instance.updated_at.isoformat()

    def clean(self):
        cleaned = super().clean()
        seen = cleaned.get("seen_updated_at")
        if self.instance.pk and seen and seen != self.instance.updated_at.isoformat():
            raise forms.ValidationError(
                _(
                    "Someone else changed this record after you opened it. Reload the page to "
                    "see their change, then make yours again."
                ),
                code="stale",
            )
        return cleaned


class HouseholdForm(OnceMixin, StaleCheckMixin, forms.ModelForm):
    class Meta:
        model = Household
        fields = ["building", "unit", "room", "address", "housing"]

    def __init__(self, *args, grid, **kwargs):
        super().__init__(*args, **kwargs)
        self.grid = grid
        buildings = Area.objects.filter(parent=grid).order_by("code")
        self.fields["building"].queryset = buildings
        self.fields["unit"].queryset = (
            Area.objects.filter(parent__parent=grid).select_related("parent").order_by("code")
        )
        self.fields["unit"].label_from_instance = lambda u: f"{u.parent.name} {u.name}"

    def clean(self):
        cleaned = super().clean()
        unit, building = cleaned.get("unit"), cleaned.get("building")
        if unit and building and unit.parent_id != building.pk:
            self.add_error("unit", _("This unit is not in the chosen building."))
        if unit and not building:
            cleaned["building"] = unit.parent
        return cleaned


class ResidentForm(StaleCheckMixin, forms.ModelForm):
    confirm_duplicate = forms.BooleanField(
        label=_("Register anyway: I have checked this is the same person"), required=False
    )

    class Meta:
        model = Resident
        fields = [
            "name",
            "sex",
            "birth_date",
            "id_number",
            "phone",
            "relation",
            "population",
            "tags",
            "moved_in_on",
        ]
        field_classes = {"birth_date": DayField, "moved_in_on": DayField}
        widgets = {
            "birth_date": forms.DateInput(attrs={"type": "date"}),
            "moved_in_on": forms.DateInput(attrs={"type": "date"}),
            "tags": forms.CheckboxSelectMultiple,
        }

    same_person = forms.BooleanField(
        label=_("This is the same person: move them here"),
        required=False,
        widget=forms.HiddenInput,
    )

    def __init__(self, *args, scope, area, **kwargs):
        super().__init__(*args, **kwargs)
        self.scope = scope
        self.area = area
        if not self.instance.pk:
            # A number already held is offered as the same person, never added twice.
            del self.fields["confirm_duplicate"]
        tags = Tag.objects.all()
        if not scope.sees_attention_tags(area):
            tags = tags.filter(kind=Tag.Kind.CARE)
        self.fields["tags"].queryset = tags
        self.fields["tags"].required = False
        self.fields["moved_in_on"].required = False
        self.fields["id_number"].help_text = _("18 characters; checked as you save.")
        if self.instance.pk:
            # The stored number is never sent to the browser: leave blank to keep it.
            self.initial["id_number"] = ""
            self.fields["id_number"].help_text = _(
                "Leave blank to keep the number on record (%(masked)s)."
            ) % {"masked": mask_id_number(self.instance.id_number) or "—"}
            if self.instance.id_number:
                # The birth date is the number's hidden digits: shown as a year, read-only,
                # and kept (or read from a new number) when the form is saved.
                del self.fields["birth_date"]
                self.fields["birth_year"] = forms.CharField(
                    label=_("Birth year"),
                    required=False,
                    disabled=True,
                    initial=self.instance.birth_year or "—",
                    help_text=_("Read from the ID number."),
                )
                self.order_fields(["name", "sex", "birth_year", "id_number"])
            del self.fields["moved_in_on"]
            del self.fields["same_person"]
            if not scope.sees_phones(area):
                del self.fields["phone"]
            self.fields["population_on"] = DayField(
                label=_("Status changes from"),
                required=False,
                initial=timezone.localdate,
                widget=forms.DateInput(attrs={"type": "date"}),
                help_text=_(
                    "When the registered / floating status changes: the day it holds from. "
                    "Counts before that day keep the old status."
                ),
            )

    def clean_id_number(self):
        value = normalize_id_number(self.cleaned_data.get("id_number"))
        if not value:
            return self.instance.id_number if self.instance.pk else ""
        validate_id_number(value)
        return value

    def clean_phone(self):
        return clean_phone(self.cleaned_data.get("phone"))

    def clean_population_on(self):
        """Only asked when the status changes: not after today, not before the current stay
        began. Runs one query when the status changes."""
        value = self.cleaned_data.get("population_on") or timezone.localdate()
        if self.data.get(self.add_prefix("population"), self.instance.population) == (
            self.instance.population
        ):
            return None
        if value > timezone.localdate():
            raise forms.ValidationError(_("A status change cannot be dated in the future."))
        began = self.instance.memberships.filter(moved_out_on__isnull=True).aggregate(
            began=Max("moved_in_on")
        )["began"]
        if began and value < began:
            raise forms.ValidationError(
                _("The current stay began on %(date)s: the change cannot be dated before it.")
                % {"date": formats.date_format(began, "SHORT_DATE_FORMAT")}
            )
        return value

    def clean(self):
        cleaned = super().clean()
        id_number = cleaned.get("id_number")
        if id_number:
            # Compared only when the form asks for the date, and then the number was typed
            # here: the form never tells whether a date matches a number it keeps hidden.
            from_id = birth_date_from_id(id_number)
            typed = cleaned.get("birth_date")
            if "birth_date" in self.fields and typed and typed != from_id:
                self.add_error("birth_date", _("This is not the birth date inside the ID number."))
            cleaned["birth_date"] = from_id
        if id_number and not self.instance.pk:
            self._offer_same_person(id_number, cleaned)
        elif id_number and not cleaned.get("confirm_duplicate"):
            message = duplicate_warning(id_number, self.scope, exclude=self.instance.pk)
            if message:
                self.add_error("id_number", message)
        return cleaned

    def _offer_same_person(self, id_number, cleaned):
        """A number the register holds (a current resident anywhere in the district, or one
        who moved out) is the same person: offer to move them here instead of adding a
        second one. Only the station and above (or whoever sees that household anyway) are
        told where they are. Runs one query."""
        from .transfers import registered_as

        existing = registered_as(id_number, self.area)
        if existing is None:
            return
        if cleaned.get("same_person"):
            cleaned["existing"] = existing
            return
        self.fields["same_person"].widget = forms.CheckboxInput()
        grid = existing.household.grid
        if not (self.scope.supervises(self.area) or self.scope.contains(grid)):
            # Nothing about a person outside the user's areas: not even that they exist.
            self.add_error(
                "id_number",
                _(
                    "The station checks this ID number before it is saved here. If the number "
                    "is right, tick “This is the same person: move them here” to send it to "
                    "the station."
                ),
            )
        elif existing.moved_out_on:
            self.add_error(
                "id_number",
                _(
                    "This ID number is %(name)s's, who moved out of %(address)s (%(grid)s) on "
                    "%(date)s. If it is the same person, tick “This is the same person: move "
                    "them here” to register them here again, with their history."
                )
                % {
                    "name": existing.name,
                    "address": existing.household,
                    "grid": grid.name,
                    "date": formats.date_format(existing.moved_out_on, "SHORT_DATE_FORMAT"),
                },
            )
        else:
            self.add_error(
                "id_number",
                _(
                    "This ID number is %(name)s's, registered at %(address)s (%(grid)s). If it "
                    "is the same person, tick “This is the same person: move them here”."
                )
                % {"name": existing.name, "address": existing.household, "grid": grid.name},
            )


class NewResidentForm(OnceMixin, ResidentForm):
    """A resident added to a household on their own page, sent once (grids.once). (The rows
    of a new household's form are sent with the household's token.)"""


def duplicate_warning(id_number, scope, exclude=None):
    """A message when the ID number is already registered for a current resident. It says
    where only when the user may see that grid; otherwise only that the station checks the
    number. Runs one query."""
    others = (
        Resident.objects.current().filter(id_number=id_number).select_related("household__grid")
    )
    if exclude:
        others = others.exclude(pk=exclude)
    other = others.first()
    if other is None:
        return None
    if scope.contains(other.household.grid):
        return _(
            "This person is already registered in %(grid)s (%(name)s, %(address)s). "
            "Check, then tick “Register anyway” to keep both."
        ) % {"grid": other.household.grid.name, "name": other.name, "address": other.household}
    # Nothing about a person outside the user's areas: not even where they are registered.
    return _(
        "The station checks this ID number before it is saved here. If the number is right, "
        "tick “Register anyway”: it is saved and the station is told."
    )


class MoveOutForm(forms.Form):
    moved_out_on = DayField(label=_("Moved out on"), widget=forms.DateInput(attrs={"type": "date"}))

    def clean_moved_out_on(self):
        value = self.cleaned_data["moved_out_on"]
        if value > timezone.localdate():
            raise forms.ValidationError(_("A move-out date cannot be in the future."))
        return value


class HouseholdFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(label=_("Address or room"), method="search")
    building = django_filters.ModelChoiceFilter(label=_("Building"), queryset=Area.objects.none())
    housing = django_filters.ChoiceFilter(label=_("Housing"), choices=Household.Housing.choices)
    sort = OrderingFilter(
        label=_("Sort by"),
        fields=(
            ("address", "address"),
            ("room", "room"),
            ("resident_count", "residents"),
            ("last_verified_at", "verified"),
        ),
        field_labels={
            "address": _("Address"),
            "room": _("Room"),
            "resident_count": _("Residents"),
            "last_verified_at": _("Last verified"),
        },
    )

    class Meta:
        model = Household
        fields = ["q", "building", "housing"]

    def __init__(self, *args, grid, **kwargs):
        super().__init__(*args, **kwargs)
        self.filters["building"].queryset = (
            Area.objects.filter(parent=grid).only("pk", "name").order_by("code")
        )

    def search(self, queryset, name, value):
        return queryset.filter(Q(address__icontains=value) | Q(room__icontains=value))


class FloatingFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(label=_("Name or address"), method="search")
    grid = django_filters.ModelChoiceFilter(
        label=_("Grid"), field_name="household__grid", queryset=Area.objects.none()
    )
    sort = OrderingFilter(
        label=_("Sort by"),
        fields=(("name", "name"), ("moved_in_on", "moved_in"), ("household__address", "address")),
        field_labels={
            "name": pgettext_lazy("person", "Name"),
            "moved_in_on": _("Moved in on"),
            "household__address": _("Address"),
        },
    )

    class Meta:
        model = Resident
        fields = ["q", "grid"]

    def __init__(self, *args, grids, **kwargs):
        super().__init__(*args, **kwargs)
        self.filters["grid"].queryset = grids

    def search(self, queryset, name, value):
        return queryset.filter(Q(name__icontains=value) | Q(household__address__icontains=value))


class RentalFilter(django_filters.FilterSet):
    """Current registrations by default, the soonest to end first."""

    STATES = [
        ("active", _("Current")),
        ("expiring", _("Ending within 30 days")),
        ("ended", _("Ended")),
        ("all", _("All")),
    ]
    state = django_filters.ChoiceFilter(
        label=_("State"), choices=STATES, method="by_state", empty_label=None
    )
    grid = django_filters.ModelChoiceFilter(
        label=_("Grid"), field_name="household__grid", queryset=Area.objects.none()
    )
    sort = OrderingFilter(
        label=_("Sort by"),
        fields=(("ends_on", "ends"), ("starts_on", "starts"), ("household__address", "address")),
        field_labels={
            "ends_on": _("Ends on"),
            "starts_on": _("Starts on"),
            "household__address": _("Address"),
        },
    )

    class Meta:
        model = Rental
        fields = ["state", "grid"]

    def __init__(self, data=None, *args, grids, **kwargs):
        data = data.copy() if data is not None else {}
        data.setdefault("state", "active")
        super().__init__(data, *args, **kwargs)
        self.filters["grid"].queryset = grids

    def by_state(self, queryset, name, value):
        today = timezone.localdate()
        soon = today + datetime.timedelta(days=30)
        if value == "ended":
            return queryset.filter(ends_on__lt=today).order_by("-ends_on", "pk")
        if value == "expiring":
            return queryset.filter(ends_on__gte=today, ends_on__lte=soon)
        if value == "all":
            return queryset
        return queryset.filter(ends_on__gte=today)


class SearchForm(forms.Form):
    q = forms.CharField(
        label=_("Name, phone, ID number or address"),
        max_length=100,
        help_text=_(
            "A name from its first character, an address from three characters, a phone or "
            "ID number by its last four digits or more."
        ),
    )
