from django import forms
from django.db.models import Q
from django.template.loader import render_to_string
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _

from gridmgmt.dates import MomentField
from grids.models import SUPERVISOR_ROLES, Area, Post, Resident, Role, User
from grids.pickers import residents_matching

from .models import Incident


def community_posts(incident):
    """The open posts an incident can go to or be handed over within: its community's, and
    its grids', but not its building and unit leaders'. Every other role stands at a
    community or a grid (ROLE_AREA_KINDS), so they are found through those few areas by key,
    not through a path prefix that also matches every building and unit. No query."""
    community_id = incident.grid.parent_id
    areas = Area.objects.filter(Q(pk=community_id) | Q(parent_id=community_id)).values("pk")
    return Post.objects.filter(area__in=areas).exclude(role__in=["unit_leader", "building_leader"])


class StepForm(forms.Form):
    """The fields a workflow step may need; each step's button shows only its own."""

    note = forms.CharField(
        label=_("Note"), max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    post = forms.ModelChoiceField(label=_("Post"), queryset=Post.objects.none(), required=False)
    satisfaction = forms.ChoiceField(
        label=_("Resident's satisfaction"),
        choices=[("", "—"), *Incident.Satisfaction.choices],
        required=False,
    )
    department = forms.CharField(label=_("Department"), max_length=100, required=False)
    duplicate_number = forms.CharField(
        label=_("Number of the incident it repeats"), max_length=12, required=False
    )

    def __init__(self, *args, incident, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["post"].queryset = (
            community_posts(incident)
            .select_related("area", "holder_a", "holder_b")
            .order_by("area__code", "role", "pk")
        )
        roles = dict(Role.choices)  # not get_role_display(), which rebuilds the choices
        self.fields["post"].label_from_instance = lambda p: (
            f"{p.area.name} · {roles.get(p.role, p.role)} · {p.holder_a}"
            + (f" / {p.holder_b}" if p.holder_b_id else "")
        )


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
    to = forms.ModelChoiceField(label=_("Hand over to"), queryset=User.objects.none())
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


PARTY_QUERY = "parties_q"  # the name of the party search box
PARTY_MATCHES = 20  # the most residents a party search lists


def parties_matching(residents, q, *, exclude=(), limit=PARTY_MATCHES):
    """Who of `residents` matches `q` as the register's resident picker matches it (the name
    starts with it, the ID number ends with it, the address contains it), by name, at most
    `limit` + 1 (one more tells that more match). `exclude`: ids already chosen. Runs one
    query when evaluated."""
    return residents_matching(residents.exclude(pk__in=exclude), q, limit=limit + 1)


def _ids(values):
    return [int(v) for v in values or () if str(v).isdigit()]


class PartySearch(forms.Widget):
    """The parties of a dispute, found by name instead of listed (a grid has hundreds of
    residents): the parties already chosen as ticked boxes, a search box, and its matches as
    boxes to tick, all rendered by the server. With JavaScript the matches follow the typing
    (htmx, from `incidents:parties`) and a ticked match joins the chosen
    (static/js/party-picker.js); without it the box's "Search" button posts the form back
    and the page shows it again with the matches (`pickers.is_search`). Everyone shown comes
    from `residents`, the field's queryset; what is posted is validated by the field."""

    template_name = "incidents/_party_search.html"
    allow_multiple_selected = True

    def __init__(self, attrs=None):
        super().__init__(attrs)
        self.residents = None  # set by MediationForm: who may be named
        self.query = ""
        self.url = ""

    def format_value(self, value):
        if value is None:
            return []
        if not isinstance(value, (list, tuple)):
            value = [value]
        return [str(getattr(v, "pk", v)) for v in value]

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        residents = self.residents if self.residents is not None else Resident.objects.none()
        chosen_ids = _ids(context["widget"]["value"])
        chosen = list(residents.filter(pk__in=chosen_ids)) if chosen_ids else []
        found = (
            list(parties_matching(residents, self.query, exclude=[r.pk for r in chosen]))
            if self.query
            else []
        )
        context["widget"].update(
            {
                "query": self.query,
                "url": self.url,
                "chosen": chosen,
                "matches": found[:PARTY_MATCHES],
                "more": len(found) > PARTY_MATCHES,
                "limit": PARTY_MATCHES,
            }
        )
        return context

    def _render(self, template_name, context, renderer=None):
        # The project's templates, not the form renderer's: the matches partial is shared
        # with the `incidents:parties` view.
        return mark_safe(render_to_string(template_name, context))

    def value_from_datadict(self, data, files, name):
        return data.getlist(name) if hasattr(data, "getlist") else data.get(name)

    def value_omitted_from_data(self, data, files, name):
        # An unticked box is not sent: nothing sent means no parties.
        return False


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
        parties.widget.residents = parties.queryset
        parties.widget.query = (query or "").strip()[:100]
        parties.widget.url = search_url
