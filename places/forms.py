import django_filters
from django import forms
from django.db.models import Q
from django.utils import timezone
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from gridmgmt.dates import DayField
from gridmgmt.filters import OrderingFilter
from grids.identity import clean_phone
from grids.models import Area
from grids.once import OnceMixin
from incidents.models import Category
from patrols.photos import PhotoField

from .models import Place, PlaceCheck


class PlaceForm(OnceMixin, forms.ModelForm):
    class Meta:
        model = Place
        fields = [
            "grid",
            "name",
            "kind",
            "address",
            "contact_name",
            "contact_phone",
            "check_cycle_days",
            "is_active",
        ]

    def __init__(self, *args, grids, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["grid"].queryset = grids
        self.fields["contact_phone"].widget.attrs.update(inputmode="tel", autocomplete="off")
        if self.instance.pk is None:
            del self.fields["is_active"]

    def clean_contact_phone(self):
        return clean_phone(self.cleaned_data.get("contact_phone"))


class CheckForm(OnceMixin, forms.Form):
    checked_on = DayField(
        label=_("Checked on"), widget=forms.DateInput(attrs={"type": "date"}), initial=None
    )
    outcome = forms.ChoiceField(
        label=_("Outcome"), choices=PlaceCheck.Outcome.choices, widget=forms.RadioSelect
    )
    problems = forms.CharField(
        label=_("The problems"),
        max_length=PlaceCheck._meta.get_field("problems").max_length,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Blocked exits, extinguishers out of date, wiring, stored fuel…"),
    )
    photo = PhotoField(
        label=capfirst(PlaceCheck._meta.get_field("photo").verbose_name),
        required=False,
        widget=forms.ClearableFileInput(attrs={"accept": "image/*", "capture": "environment"}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["checked_on"].initial = timezone.localdate()

    def clean_checked_on(self):
        day = self.cleaned_data["checked_on"]
        if day > timezone.localdate():
            raise forms.ValidationError(_("A check cannot be recorded for a day still to come."))
        return day

    def clean(self):
        cleaned = super().clean()
        if (
            cleaned.get("outcome") == PlaceCheck.Outcome.PROBLEMS
            and not (cleaned.get("problems") or "").strip()
        ):
            self.add_error("problems", _("Say what problems were found."))
        return cleaned


class ReportCheckForm(forms.Form):
    category = forms.ModelChoiceField(
        label=_("Category"), queryset=Category.objects.filter(is_sensitive=False)
    )


class PlaceFilter(django_filters.FilterSet):
    STATES = [("", _("All")), ("overdue", _("Check overdue")), ("closed", _("Closed places"))]

    q = django_filters.CharFilter(label=_("Name or address of the place"), method="by_text")
    grid = django_filters.ModelChoiceFilter(label=_("Grid"), queryset=Area.objects.none())
    kind = django_filters.ChoiceFilter(label=_("Kind"), choices=Place.Kind.choices)
    state = django_filters.ChoiceFilter(
        label=_("State"), choices=STATES, method="by_state", empty_label=None
    )
    sort = OrderingFilter(
        label=_("Sort by"),
        fields=(("next_check_on", "due"), ("name", "name"), ("grid__code", "grid")),
        field_labels={
            "next_check_on": _("Next check on"),
            "name": _("Name"),
            "grid__code": _("Grid"),
        },
    )

    class Meta:
        model = Place
        fields = ["grid", "kind"]

    def __init__(self, data=None, *args, grids, today, **kwargs):
        super().__init__(data, *args, **kwargs)
        self.filters["grid"].queryset = grids
        self.today = today

    def by_text(self, queryset, name, value):
        value = value.strip()[:100]
        return queryset.filter(Q(name__icontains=value) | Q(address__icontains=value))

    def by_state(self, queryset, name, value):
        if value == "overdue":
            return queryset.overdue(self.today)
        if value == "closed":
            return queryset.filter(is_active=False)
        return queryset

    @property
    def qs(self):
        # Soonest due first unless another order is asked for; the id keeps pages stable.
        qs = super().qs
        if not getattr(self.form, "cleaned_data", {}).get("sort"):
            qs = qs.order_by("-is_active", "next_check_on", "pk")
        else:
            qs = qs.order_by(*qs.query.order_by, "pk")
        return qs
