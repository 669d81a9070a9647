"""The form of a change to the map: which kind, which buildings, which grid receives, the
new grid's code and name, and from when. Buildings and grids are chosen by their codes."""

import json

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from gridmgmt.dates import DayField

from .models import Area, AreaChange


class StepForm(forms.Form):
    """Which button sent the area change form: preview it, or confirm the preview."""

    action = forms.ChoiceField(choices=[("preview", "preview"), ("confirm", "confirm")])


class AreaChangeForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("Change"), choices=AreaChange.Kind.choices, widget=forms.RadioSelect
    )
    buildings = forms.MultipleChoiceField(
        label=_("Buildings"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("For a split or a move: the buildings that leave the grid."),
    )
    target = forms.ChoiceField(
        label=_("Receiving grid"),
        required=False,
        help_text=_("For a move or a merge."),
    )
    new_code = forms.CharField(
        label=_("New grid's code"),
        required=False,
        max_length=60,
        help_text=_("For a split: the community's code and a two-digit number."),
    )
    new_name = forms.CharField(label=_("New grid's name"), required=False, max_length=100)
    effective_on = DayField(
        label=_("Effective from"),
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=_("Today or later: the figures of past days stay as they were."),
    )
    # The preview the user confirms, as shown to them.
    expected = forms.CharField(required=False, max_length=10000, widget=forms.HiddenInput)

    def __init__(self, *args, grid, buildings, grids, **kwargs):
        kwargs.setdefault("initial", {}).setdefault("effective_on", timezone.localdate())
        super().__init__(*args, **kwargs)
        self.grid = grid
        self._buildings = {b.code: b for b in buildings}
        self._grids = {g.code: g for g in grids if g.pk != grid.pk}
        self.fields["buildings"].choices = [
            (b.code, f"{b.code} · {b.name}" if b.name != b.code else b.code) for b in buildings
        ]
        self.fields["target"].choices = [("", "—")] + [
            (g.code, f"{g.code} · {g.name}" if g.name != g.code else g.code)
            for g in self._grids.values()
        ]
        suggested = next_grid_code(grid.parent, grids)
        if suggested:
            self.fields["new_code"].widget.attrs["placeholder"] = suggested

    def clean(self):
        data = super().clean()
        data["building_areas"] = [self._buildings[c] for c in data.get("buildings") or []]
        data["target_area"] = self._grids.get(data.get("target") or "")
        raw = data.get("expected") or ""
        try:
            data["expected_summary"] = json.loads(raw) if raw else None
        except ValueError:
            data["expected_summary"] = None
        return data


def next_grid_code(community, grids):
    """The community's next free grid number, as a hint (codes are checked on saving)."""
    numbers = []
    for grid in grids:
        tail = grid.code[len(community.code) + 1 :]
        if grid.code.startswith(community.code + "-") and tail.isdigit():
            numbers.append(int(tail))
    nxt = max(numbers, default=0) + 1
    return f"{community.code}-{nxt:02d}" if nxt < 100 else ""


def community_grids(community):
    """Every grid of the community ever, retired ones too (their numbers are taken)."""
    return Area.objects.filter(parent=community, kind=Area.Kind.GRID).order_by("code")
