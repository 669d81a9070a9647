import copy
import functools

from django import forms
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from gridmgmt import statements
from gridmgmt.dates import MomentField
from gridmgmt.widgets import Select
from grids.models import SUPERVISOR_ROLES, Area, Post, Resident, Role, User
from grids.pickers import (
    MATCHES,
    SearchPicker,
    choices_from_rows,
    residents_matching,
    user_name,
)

from .models import Incident


def community_posts(incident):
    """The open posts an incident can go to or be handed over within: its community's, and
    its grids', but not its building and unit leaders'. Every other role stands at a
    community or a grid (ROLE_AREA_KINDS), so they are found through those few areas by key,
    not through a path prefix that also matches every building and unit. No query."""
    return _community_posts(incident.grid.parent_id)


def _community_posts(community_id):
    areas = Area.objects.filter(Q(pk=community_id) | Q(parent_id=community_id)).values("pk")
    return Post.objects.filter(area__in=areas).exclude(role__in=["unit_leader", "building_leader"])


def step_posts(incident):
    """The posts a step may give the incident to (`community_posts`), with their areas and
    holders, by area. No query."""
    return _step_posts(incident.grid.parent_id)


def _step_posts(community_id):
    return (
        _community_posts(community_id)
        .select_related("area", "holder_a", "holder_b")
        .order_by("area__code", "role", "pk")
    )


# What the step form's post choices show of each post (its value first).
POST_COLUMNS = ("pk", "area__name", "role", "holder_a__full_name", "holder_a__username") + (
    "holder_b_id",
    "holder_b__full_name",
    "holder_b__username",
)


class StepForm(forms.Form):
    """The fields a workflow step may need; each step's button shows only its own."""

    note = forms.CharField(
        label=_("Note"), max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    post = forms.ModelChoiceField(
        label=_("Post"), queryset=Post.objects.none(), required=False, widget=Select
    )
    satisfaction = forms.ChoiceField(
        label=_("Resident's satisfaction"),
        choices=[("", "—"), *Incident.Satisfaction.choices],
        required=False,
        widget=Select,
    )
    department = forms.CharField(label=_("Department"), max_length=100, required=False)
    duplicate_number = forms.CharField(
        label=_("Number of the incident it repeats"), max_length=12, required=False
    )

    def __init__(self, *args, incident, posts=None, **kwargs):
        """`posts`: `step_posts(incident)`, when the page draws a form for each step."""
        super().__init__(*args, **kwargs)
        field = self.fields["post"]
        field.queryset = step_posts(incident) if posts is None else posts
        roles = dict(Role.choices)  # not get_role_display(), which rebuilds the choices

        # Each post: its area, its role, its holders.
        def label(pk, area, role, a_name, a_user, b_id, b_name, b_user):
            return f"{area} · {roles.get(role, role)} · {a_name or a_user}" + (
                f" / {b_name or b_user}" if b_id else ""
            )

        if posts is not None:
            choices_from_rows(field, POST_COLUMNS, label)
            return
        community_id = incident.grid.parent_id

        # As choices_from_rows draws them, read when the form is drawn (one query), the
        # statement compiled once per process (gridmgmt.statements): Django took ~1 ms to
        # compile its four joins on every incident's page.
        def choices():
            rows = statements.value_rows(
                ("incidents.forms.step_posts",),
                lambda values: _step_posts(values["community"]).values_list(*POST_COLUMNS),
                {"community": community_id},
            )
            empty = [] if field.empty_label is None else [("", field.empty_label)]
            return empty + [(row[0], label(*row)) for row in rows]

        field.widget.choices = functools.cache(choices)

    def with_ids(self, auto_id):
        """This (unbound) form drawn with the ids `auto_id` makes: a copy sharing its
        fields, for the page's form of each step (building a form copies its five fields,
        ~0.3 ms a form). No query."""
        form = copy.copy(self)
        form.auto_id = auto_id
        form._bound_fields_cache = {}
        return form


class PauseForm(forms.Form):
    reason = forms.CharField(label=_("Why the clock stops"), max_length=200)
    until = MomentField(
        label=_("Until (optional)"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
    )


class ExtensionForm(forms.Form):
    hours = forms.IntegerField(label=_("Extra working hours"), min_value=1, max_value=400)
    reason = forms.CharField(label=_("Reason"), max_length=300)


class DecisionForm(forms.Form):
    """The station's answer to a request for more time."""

    decision = forms.ChoiceField(
        choices=[("approve", _("Approve")), ("refuse", _("Refuse"))],
        error_messages={"required": _("Choose whether to approve or refuse.")},
    )

    def clean_decision(self):
        return self.cleaned_data["decision"] == "approve"


class HandoverAnswerForm(forms.Form):
    """The receiver's answer to a handover."""

    decision = forms.ChoiceField(
        choices=[("accept", _("Accept")), ("decline", _("Decline"))],
        error_messages={"required": _("Choose whether to accept or decline.")},
    )

    def clean_decision(self):
        return self.cleaned_data["decision"] == "accept"


class SuperviseForm(forms.Form):
    # The note is refused with its limit, never cut.
    note = forms.CharField(label=_("Note"), required=False, max_length=500)


class HandoverForm(forms.Form):
    to = forms.ModelChoiceField(
        label=_("Hand over to"), queryset=User.objects.none(), widget=Select
    )
    note = forms.CharField(label=_("Note"), max_length=300, required=False)

    def __init__(self, *args, incident, **kwargs):
        super().__init__(*args, **kwargs)
        posts = community_posts(incident)
        if incident.is_sensitive:
            # Offered only to people who may open it: the station.
            posts = posts.filter(role__in=SUPERVISOR_ROLES)
        self.fields["to"].queryset = (
            User.objects.filter(pk__in=posts.values("holder_a"))
            .exclude(pk=incident.first_responsible_id)
            .order_by("full_name")
        )
        choices_from_rows(
            self.fields["to"],
            ("pk", "full_name", "username"),
            user_name,
        )


PARTY_QUERY = "parties_q"  # the name of the party search box


def parties_matching(residents, q, *, exclude=(), limit=MATCHES):
    """Who of `residents` matches `q` as the register's resident picker matches it (the name
    starts with it, the ID number ends with it, the address contains it), by name, at most
    `limit` + 1 (one more tells that more match). `exclude`: ids already chosen. Runs one
    query when evaluated."""
    return residents_matching(residents.exclude(pk__in=exclude), q, limit=limit + 1)


class PartySearch(SearchPicker):
    """The parties of a dispute (a grid has hundreds of residents), a SearchPicker: the
    matches from `incidents:parties`, a ticked one joins the chosen by
    static/js/search-picker.js."""

    template_name = "incidents/_party_search.html"

    def matching(self, allowed, query, exclude):
        return parties_matching(allowed, query, exclude=exclude)


def dispute_residents(incident):
    """Who may be named a party of the dispute: the current residents of its grid, of its
    building when it names one. No query."""
    residents = Resident.objects.current().filter(household__grid=incident.grid_id)
    if incident.building_id:
        residents = residents.filter(household__building=incident.building_id)
    return residents.select_related("household").order_by("household__address", "name", "pk")


class MediationForm(forms.ModelForm):
    class Meta:
        model = Incident
        fields = ["parties", "mediation", "is_mediated"]
        widgets = {"mediation": forms.Textarea(attrs={"rows": 3}), "parties": PartySearch}

    def __init__(self, *args, search_url="", query="", **kwargs):
        """`search_url`: where the party search box asks for matches; `query`: what was
        searched, when the page shows the form again with the matches (without JavaScript)."""
        super().__init__(*args, **kwargs)
        parties = self.fields["parties"]
        parties.queryset = dispute_residents(self.instance)
        parties.widget.allowed = parties.queryset
        parties.widget.query = (query or "").strip()[:100]
        parties.widget.url = search_url
