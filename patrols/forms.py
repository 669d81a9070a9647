import datetime
import uuid

from django import forms
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.text import capfirst, format_lazy
from django.utils.translation import gettext_lazy as _

from gridmgmt.dates import DayField, MomentField
from grids.identity import clean_phone
from grids.models import Area, Household, Resident, User
from grids.once import OnceMixin
from grids.pickers import PickerField, bind_pickers

from .models import Instruction, Observation, Patrol, PatrolCheck
from .photos import PhotoField


class ManyCheckboxes(forms.Widget):
    """Checkboxes for a long list (a community's hundreds of post holders), written in one
    pass with the markup of Bootstrap's `.form-check` instead of a template per option, which
    took a second for 574 people. Crispy forms renders it as a plain widget (it is not a
    CheckboxSelectMultiple, which crispy would draw option by option)."""

    allow_multiple_selected = True

    def __init__(self, attrs=None, choices=()):
        super().__init__(attrs)
        self.choices = choices

    def value_from_datadict(self, data, files, name):
        return data.getlist(name) if hasattr(data, "getlist") else data.get(name)

    def value_omitted_from_data(self, data, files, name):
        # An unchecked box is not sent: nothing sent means none chosen.
        return False

    def render(self, name, value, attrs=None, renderer=None):
        attrs = self.build_attrs(self.attrs, attrs)
        base_id = attrs.pop("id", f"id_{name}")
        extra = format_html_join(
            " ", '{}="{}"', ((k, v) for k, v in attrs.items() if v is not True)
        )
        flags = " ".join(k for k, v in attrs.items() if v is True)
        chosen = {str(v) for v in (value or ())}
        options = format_html_join(
            "",
            '<div class="form-check"><input type="checkbox" class="form-check-input" '
            'name="{}" value="{}" id="{}_{}" {} {}{}>'
            '<label class="form-check-label" for="{}_{}">{}</label></div>',
            (
                (
                    name,
                    option_value,
                    base_id,
                    n,
                    extra,
                    flags,
                    " checked" if str(option_value) in chosen else "",
                    base_id,
                    n,
                    label,
                )
                for n, (option_value, label) in enumerate(self.choices)
            ),
        )
        return format_html('<div id="{}">{}</div>', base_id, options)


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
            "text": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args, grid, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["building"].queryset = Area.objects.filter(parent=grid).order_by("code")
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
    )
    phone = forms.CharField(label=_("Phone, corrected"), required=False, max_length=20)
    population = forms.ChoiceField(
        label=_("Population, corrected"),
        choices=[("", "—"), *Resident.Population.choices],
        required=False,
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
    # The rest of the community is found by name (static/js/companion-picker.js shows only
    # who matches, and whoever is ticked); clean() adds them to `companions`.
    companion_search = forms.CharField(
        label=_("Someone else from the community"),
        max_length=100,
        required=False,
        widget=forms.TextInput(
            attrs={
                "type": "search",
                "autocomplete": "off",
                "placeholder": _("Type a name"),
                "data-companion-search": True,
            }
        ),
    )
    other_companions = forms.ModelMultipleChoiceField(
        label=_("Others in the community"),
        queryset=User.objects.none(),
        required=False,
        widget=ManyCheckboxes(attrs={"data-companion-other": True}),
    )

    def __init__(self, *args, team, **kwargs):
        """`team`: who may be named, annotated `is_team` for the grid's own team."""
        super().__init__(*args, **kwargs)
        self.fields["companions"].queryset = team.filter(is_team=True)
        self.fields["other_companions"].queryset = team.filter(is_team=False)

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
