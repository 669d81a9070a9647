import datetime
import uuid

from django import forms
from django.db.models import Q
from django.utils import timezone
from django.utils.text import capfirst, format_lazy
from django.utils.translation import gettext_lazy as _

from gridmgmt.dates import DayField, MomentField
from gridmgmt.widgets import Select
from grids.identity import clean_phone
from grids.models import Area, Household, Resident, User
from grids.once import OnceMixin
from grids.pickers import (
    MATCHES,
    PickerField,
    SearchPicker,
    bind_pickers,
    choices_from_rows,
    user_name,
)

from .models import Instruction, Observation, Patrol, PatrolCheck
from .photos import PhotoField

COMPANION_QUERY = "companion_q"  # the name of the companion search box


def companions_matching(people, q, *, exclude=(), limit=MATCHES):
    """Who of `people` (users) is named like `q`: the full name contains it, or the user
    name when there is no full name; by name, at most `limit` + 1 (one more tells that more
    match). `exclude`: ids already chosen. Runs one query when evaluated."""
    q = (q or "").strip()
    if not q:
        return people.none()
    return (
        people.filter(Q(full_name__icontains=q) | Q(full_name="", username__icontains=q))
        .exclude(pk__in=exclude)
        .order_by("full_name", "username", "pk")[: limit + 1]
    )


class CompanionSearch(SearchPicker):
    """The rest of the community (hundreds of post holders), a SearchPicker: the matches
    from `patrols:companions`, a ticked one joins the chosen by
    static/js/search-picker.js."""

    template_name = "patrols/_companion_search.html"
    chosen_order = ("full_name", "username")

    def matching(self, allowed, query, exclude):
        return companions_matching(allowed, query, exclude=exclude)


class StartForm(forms.Form):
    grid = forms.ModelChoiceField(label=_("Grid"), queryset=Area.objects.none(), empty_label=None)

    def __init__(self, *args, grids, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["grid"].queryset = grids
        self.fields["grid"].to_field_name = "code"


class ObservationForm(forms.ModelForm):
    photo = PhotoField(
        label=capfirst(Observation._meta.get_field("photo").verbose_name),
        required=False,
        widget=forms.ClearableFileInput(attrs={"accept": "image/*", "capture": "environment"}),
    )
    # Made by the phone's outbox, or drawn with the form: the same observation sent twice is
    # stored once (services.add_observation), and one without an id is refused.
    client_id = forms.UUIDField(
        widget=forms.HiddenInput,
        initial=uuid.uuid4,
        error_messages={
            "required": _("This observation has no id: reload the page and record it again.")
        },
    )
    # Set by the phone when the observation was recorded (it may be sent much later).
    observed_at = MomentField(widget=forms.HiddenInput, required=False)

    class Meta:
        model = Observation
        fields = ["category", "building", "place", "text", "photo"]
        widgets = {
            "category": Select,
            "text": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args, grid, buildings=None, **kwargs):
        """`buildings`: the grid's buildings' (pk, name) by code, when they were read
        already (the patrol's page reads them on the patrol's row); else they are read when
        the form is drawn."""
        super().__init__(*args, **kwargs)
        field = self.fields["building"]
        field.queryset = Area.objects.filter(parent=grid).order_by("code")
        if buildings is None:
            choices_from_rows(field, ("pk", "name"), lambda pk, name: name)
        else:
            field.widget.choices = [("", field.empty_label), *buildings]
        self.fields["place"].help_text = _("Where, if not a building: a street, a yard, a shop.")


class CompleteInstructionForm(forms.Form):
    outcome = forms.ChoiceField(
        label=_("Outcome"), choices=Instruction.Outcome.choices, widget=forms.RadioSelect
    )
    note = forms.CharField(
        label=_("Note"),
        max_length=Instruction._meta.get_field("outcome_note").max_length,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    housing = forms.ChoiceField(
        label=_("Housing, corrected"),
        choices=[("", "—"), *Household.Housing.choices],
        required=False,
        widget=Select,
    )
    phone = forms.CharField(label=_("Phone, corrected"), required=False, max_length=20)
    population = forms.ChoiceField(
        label=_("Population, corrected"),
        choices=[("", "—"), *Resident.Population.choices],
        required=False,
        widget=Select,
    )

    def __init__(self, *args, instruction, **kwargs):
        super().__init__(*args, **kwargs)
        self.instruction = instruction
        if not (instruction.household_id or instruction.resident_id or instruction.rental_id):
            del self.fields["housing"]
        if not instruction.resident_id:
            del self.fields["phone"]
            del self.fields["population"]

    def clean_phone(self):
        return clean_phone(self.cleaned_data.get("phone"))

    def clean(self):
        cleaned = super().clean()
        corrected = any(cleaned.get(f) for f in ("housing", "phone", "population"))
        if cleaned.get("outcome") == Instruction.Outcome.CORRECTED and not corrected:
            raise forms.ValidationError(_("Enter what was corrected."))
        if cleaned.get("outcome") != Instruction.Outcome.CORRECTED and corrected:
            raise forms.ValidationError(_("Corrections need the outcome “Corrected”."))
        return cleaned

    def corrections(self):
        household = (
            {"housing": self.cleaned_data["housing"]} if self.cleaned_data.get("housing") else {}
        )
        resident = {
            f: self.cleaned_data[f] for f in ("phone", "population") if self.cleaned_data.get(f)
        }
        return {"household": household, "resident": resident}


CHECK_ANSWERS = [("none", _("None")), ("found", _("Found"))]

CHECK_HELP = {
    PatrolCheck.Question.CHANGES: _(
        "Households moving, rentals, floating population. Observations of that kind and the "
        "register corrections of this patrol are linked."
    ),
    PatrolCheck.Question.PROBLEMS: _(
        "Sanitation, public security, damaged facilities. Observations of those kinds are "
        "linked, with their incidents."
    ),
    PatrolCheck.Question.DEMANDS: _("Residents' demands. Observations of that kind are linked."),
    PatrolCheck.Question.DISPUTES: _(
        "Disputes you eased or passed on. Observations of that kind are linked, with their "
        "incidents and mediation."
    ),
}


def _answer(question):
    """A check's answer: "none" or "found"; unanswered means "found" when the patrol recorded
    something of its kind, else "none" (services.answer_checks)."""
    return forms.ChoiceField(
        label=question.label,
        choices=CHECK_ANSWERS,
        required=False,
        widget=forms.RadioSelect(attrs={"data-check": question.value}),
        help_text=CHECK_HELP[question],
    )


def _note(question):
    return forms.CharField(
        label=format_lazy("{}: {}", question.label, _("what, briefly")),
        max_length=PatrolCheck._meta.get_field("note").max_length,
        required=False,
    )


Question = PatrolCheck.Question


class SubmitForm(forms.Form):
    summary = forms.CharField(
        label=_("Summary"),
        max_length=Patrol._meta.get_field("summary").max_length,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("What you covered, what you found, what needs following up."),
    )
    # The four checks (查变化, 找问题, 收诉求, 化矛盾).
    changes = _answer(Question.CHANGES)
    changes_note = _note(Question.CHANGES)
    problems = _answer(Question.PROBLEMS)
    problems_note = _note(Question.PROBLEMS)
    demands = _answer(Question.DEMANDS)
    demands_note = _note(Question.DEMANDS)
    disputes = _answer(Question.DISPUTES)
    disputes_note = _note(Question.DISPUTES)
    # Set by the page when the member submits while observations still wait on the phone.
    unsent = forms.IntegerField(
        widget=forms.HiddenInput, required=False, min_value=0, max_value=1000
    )
    companions = forms.ModelMultipleChoiceField(
        label=_("Companions from the grid's team"),
        queryset=User.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    # The rest of the community is found by name (CompanionSearch); clean() adds them to
    # `companions`.
    other_companions = forms.ModelMultipleChoiceField(
        label=_("Someone else from the community"),
        queryset=User.objects.none(),
        required=False,
        widget=CompanionSearch,
    )

    def __init__(self, *args, team, others, team_rows=None, search_url="", **kwargs):
        """`team`: the grid's own team; `others`: the rest of the community who may be
        named (users). `team_rows`: the team's (pk, full_name, username), when they were read
        already; else they are read when the form is drawn. `search_url`: where the companion
        search box asks for matches."""
        super().__init__(*args, **kwargs)
        field = self.fields["companions"]
        field.queryset = team
        if team_rows is None:
            choices_from_rows(field, ("pk", "full_name", "username"), user_name)
        else:
            field.widget.choices = [(row[0], user_name(*row)) for row in team_rows]
        others_field = self.fields["other_companions"]
        others_field.queryset = others
        source = self.data if self.is_bound else self.initial
        others_field.widget.allowed = others
        others_field.widget.query = (source.get(COMPANION_QUERY) or "").strip()[:100]
        others_field.widget.url = search_url

    def clean(self):
        cleaned = super().clean()
        cleaned["companions"] = [
            *cleaned.get("companions", ()),
            *cleaned.get("other_companions", ()),
        ]
        return cleaned

    def check_fields(self):
        """The four checks' bound fields, answer then note, for the template."""
        return [self[name] for q in Question for name in (q.value, f"{q.value}_note")]

    def checks(self):
        """The four answers for `services.submit_patrol`: {question: (answer, note)}."""
        return {
            question: (
                self.cleaned_data.get(question.value) or "",
                self.cleaned_data[f"{question.value}_note"],
            )
            for question in PatrolCheck.Question
        }


class InstructionForm(OnceMixin, forms.ModelForm):
    household = PickerField(
        "household",
        label=_("Household"),
        required=False,
        help_text=_("Optional: one household, found by address, room or a resident's name."),
    )

    class Meta:
        model = Instruction
        fields = ["grid", "household", "text", "due_on"]
        field_classes = {"due_on": DayField}
        widgets = {
            "due_on": forms.DateInput(attrs={"type": "date"}),
            "text": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args, grids, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["grid"].queryset = grids
        self.fields["due_on"].initial = timezone.localdate() + datetime.timedelta(days=3)
        self.fields["household"].queryset = Household.objects.active().filter(grid__in=grids)
        bind_pickers(self, include="[name='grid']")

    def clean_due_on(self):
        due = self.cleaned_data["due_on"]
        if due < timezone.localdate():
            raise forms.ValidationError(_("The due date has passed already."))
        return due

    def clean(self):
        cleaned = super().clean()
        household, grid = cleaned.get("household"), cleaned.get("grid")
        if household and grid and household.grid_id != grid.pk:
            self.add_error("household", _("This household is not in the chosen grid."))
        return cleaned
