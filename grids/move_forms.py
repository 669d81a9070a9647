"""Forms for people who move: to another household, to another community, and the
receiving station's answer."""

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from gridmgmt.dates import DayField

from .models import Area, Household, Resident

DATE = forms.DateInput(attrs={"type": "date"})


class HouseholdChoiceField(forms.ModelChoiceField):
    """A household chosen from search results: shown by its address, room and grid, never
    by an internal number."""

    widget = forms.RadioSelect

    def label_from_instance(self, household):
        return f"{household} · {household.grid.name}"


class MoveToHouseholdForm(forms.Form):
    household = HouseholdChoiceField(label=_("New household"), queryset=Household.objects.none())
    moved_on = DayField(label=_("Moves on"), widget=DATE, initial=timezone.localdate)
    relation = forms.ChoiceField(label=_("Relation to the head"), choices=Resident.Relation.choices)

    def __init__(self, *args, households, choices, **kwargs):
        """`households`: every household the user may move the resident to (checked on
        save); `choices`: the search results shown."""
        super().__init__(*args, **kwargs)
        field = self.fields["household"]
        field.queryset = households.select_related("grid")
        field.choices = [(h.pk, field.label_from_instance(h)) for h in choices]


class TransferForm(forms.Form):
    to_community = forms.ModelChoiceField(
        label=_("Moves to the community"), queryset=Area.objects.none()
    )
    address = forms.CharField(
        label=_("New address, as the resident gave it"), max_length=200, required=False
    )
    moves_on = DayField(label=_("Moves on"), widget=DATE, initial=timezone.localdate)

    def __init__(self, *args, communities, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["to_community"].queryset = communities
        self.fields["to_community"].label_from_instance = lambda c: f"{c.name} ({c.parent.name})"


class AcceptForm(forms.Form):
    """Accept into a household of the receiving community, chosen by search."""

    household = HouseholdChoiceField(label=_("Household"), queryset=Household.objects.none())
    relation = forms.ChoiceField(label=_("Relation to the head"), choices=Resident.Relation.choices)

    def __init__(self, *args, households, choices, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["household"]
        field.queryset = households.select_related("grid")
        field.choices = [(h.pk, field.label_from_instance(h)) for h in choices]


class AcceptNewHouseholdForm(forms.Form):
    """Accept into a household registered now in the receiving community."""

    grid = forms.ModelChoiceField(label=_("Grid"), queryset=Area.objects.none())
    address = forms.CharField(label=_("Address"), max_length=200)
    room = forms.CharField(label=_("Room"), max_length=20, required=False)
    housing = forms.ChoiceField(label=_("Housing"), choices=Household.Housing.choices)
    relation = forms.ChoiceField(
        label=_("Relation to the head"),
        choices=Resident.Relation.choices,
        initial=Resident.Relation.HEAD,
    )

    def __init__(self, *args, grids, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["grid"].queryset = grids


class DeclineForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason"), max_length=300, widget=forms.Textarea(attrs={"rows": 2})
    )
