import datetime

from django import forms
from django.utils import timezone
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from gridmgmt.dates import DayField
from gridmgmt.widgets import Select
from incidents.models import Category
from meetings.forms import Choices
from patrols.photos import PhotoField

from .models import Need, Visit
from .services import NeedInput

DATE = forms.DateInput(attrs={"type": "date"})
NEED_ROWS = 3


class VisitForm(forms.Form):
    """A visit: the day, the outcome, a note, a photo, up to three needs found (each a
    note, a service request to a department or an incident of a category), and for a person
    the station plans by hand, the next visit's day."""

    visited_on = DayField(label=_("Visited on"), widget=DATE)
    outcome = forms.ChoiceField(
        label=_("Visit outcome"), choices=Visit.Outcome.choices, widget=forms.RadioSelect
    )
    note = forms.CharField(
        label=_("Note"),
        max_length=Visit._meta.get_field("note").max_length,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    photo = PhotoField(
        label=capfirst(Visit._meta.get_field("photo").verbose_name),
        required=False,
        widget=forms.ClearableFileInput(
            attrs={"accept": "image/*", "capture": "environment", "data-shrink-photo": ""}
        ),
    )
    next_on = DayField(
        label=_("Next visit on"),
        required=False,
        widget=DATE,
        help_text=_("Only to visit sooner than the rule asks, or when the station plans it."),
    )

    def __init__(self, *args, today=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.today = today or timezone.localdate()
        self.fields["visited_on"].initial = self.today
        categories = Category.objects.order_by("name")
        text_length = Need._meta.get_field("text").max_length
        department_length = Need._meta.get_field("department").max_length
        for n in range(1, NEED_ROWS + 1):
            self.fields[f"need_{n}"] = forms.CharField(
                label=_("Need found %(n)d") % {"n": n},
                max_length=text_length,
                required=False,
            )
            self.fields[f"need_{n}_department"] = forms.CharField(
                label=_("Ask a department"),
                max_length=department_length,
                required=False,
                help_text=_("A service request to this department, for example 民政科."),
            )
            self.fields[f"need_{n}_category"] = forms.ModelChoiceField(
                label=_("Or file an incident of the category"),
                queryset=categories,
                required=False,
            )

    def need_rows(self):
        """The need fields in rows of three, for the template."""
        return [
            (self[f"need_{n}"], self[f"need_{n}_department"], self[f"need_{n}_category"])
            for n in range(1, NEED_ROWS + 1)
        ]

    def clean_visited_on(self):
        day = self.cleaned_data["visited_on"]
        if day > self.today:
            raise forms.ValidationError(_("A visit cannot be recorded before it happens."))
        if day < self.today - datetime.timedelta(days=31):
            raise forms.ValidationError(_("Record a visit within a month of it."))
        return day

    def clean_next_on(self):
        day = self.cleaned_data.get("next_on")
        if day is not None and day <= self.today:
            raise forms.ValidationError(_("The next visit is a day after today."))
        return day

    def clean(self):
        data = super().clean()
        for n in range(1, NEED_ROWS + 1):
            text = (data.get(f"need_{n}") or "").strip()
            routed = data.get(f"need_{n}_department") or data.get(f"need_{n}_category")
            if routed and not text:
                self.add_error(f"need_{n}", _("Say what the need is."))
            if data.get(f"need_{n}_department") and data.get(f"need_{n}_category"):
                self.add_error(
                    f"need_{n}_category",
                    _("Either ask a department or file an incident, not both."),
                )
        return data

    def needs(self):
        data = self.cleaned_data
        return [
            NeedInput(
                text=data[f"need_{n}"].strip(),
                department=data.get(f"need_{n}_department", "").strip(),
                category=data.get(f"need_{n}_category"),
            )
            for n in range(1, NEED_ROWS + 1)
            if (data.get(f"need_{n}") or "").strip()
        ]


class DueFilterForm(forms.Form):
    """The list's filters: a grid of the user's, overdue only."""

    grid = forms.ChoiceField(label=_("Grid"), required=False, widget=Select)
    overdue = forms.BooleanField(label=_("Overdue only"), required=False)

    def __init__(self, *args, grids, **kwargs):
        super().__init__(*args, **kwargs)
        # As they are (`Choices`): a plain list is normalized pair by pair, twice (the field
        # and its widget), which costs more than drawing the district's 800 grids.
        self.fields["grid"].choices = Choices(
            [("", _("All my grids")), *((g.code, g.name) for g in grids)]
        )
