"""Reporting an incident, and the filters of the incident lists."""

import django_filters
from django import forms
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from gridmgmt.filters import OrderingFilter
from grids.models import GRID_WORKER_ROLES, SUPERVISOR_ROLES, Area, Household, Resident
from grids.once import OnceMixin
from grids.pickers import PickerField, bind_pickers
from patrols.photos import PhotoField
from places.models import Place

from .models import Category, Incident, IncidentQuerySet, Urgency, grid_path


def reporting_grids(scope):
    """The grids where the user may file incidents: every grid at or under one of their posts,
    and for a building or unit post the grid holding it. Runs no query until read."""
    if scope.is_global:
        return scope.grids().order_by("code")
    condition = Q(pk__in=[])
    for path in {grid_path(post.area) for post in scope.posts}:
        condition |= Q(path__startswith=path)
    return Area.objects.grids().filter(condition).order_by("code")


def register_grids(scope):
    """The grids where the user keeps the register (grid workers at their grids, the station
    and above everywhere below them): the full form's grids, whose households it searches."""
    grids = scope.grids()
    if scope.is_global:
        return grids.order_by("code")
    condition = Q(pk__in=[])
    for post in scope.posts:
        if post.role in SUPERVISOR_ROLES or post.role in GRID_WORKER_ROLES:
            condition |= Q(path__startswith=post.area.path)
    return grids.filter(condition).order_by("code")


def keeps_register(scope):
    """Whether the user files incidents with the desk's full form (supervisors and grid
    workers: who reports, which household); a team post gets the short one. No query."""
    return scope.is_global or any(
        post.role in SUPERVISOR_ROLES or post.role in GRID_WORKER_ROLES for post in scope.posts
    )


class ReportForm(OnceMixin, forms.Form):
    """Who reports what, where. `incident_fields()` gives the keywords for
    services.open_incident."""

    REPORTER_KINDS = [
        ("resident", _("A resident from the register")),
        ("named", _("Someone else: name and phone")),
        ("anonymous", _("Anonymous")),
    ]

    grid = forms.ModelChoiceField(label=_("Grid"), queryset=Area.objects.none())
    building = forms.ModelChoiceField(
        label=_("Building"), queryset=Area.objects.none(), required=False
    )
    household = PickerField(
        "household",
        label=_("Household"),
        required=False,
        help_text=_("Optional: search by address, room or a resident's name."),
    )
    place = forms.ModelChoiceField(
        label=_("Place in the grid"),
        queryset=Place.objects.none(),
        required=False,
        help_text=_("Optional: a shop, firm, school, clinic or site of the chosen grid."),
    )
    category = forms.ModelChoiceField(label=_("Category"), queryset=Category.objects.all())
    urgency = forms.ChoiceField(label=_("Urgency"), choices=Urgency.choices, initial=Urgency.NORMAL)
    title = forms.CharField(
        label=_("Title"),
        max_length=200,
        error_messages={
            "max_length": _(
                "A title is at most %(limit_value)d characters; this one has %(show_value)d."
            )
        },
    )
    description = forms.CharField(
        label=_("Description"),
        max_length=Incident._meta.get_field("description").max_length,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    source = forms.ChoiceField(
        label=_("Source"), choices=Incident.Source.choices, initial=Incident.Source.WALK_IN
    )
    reporter_kind = forms.ChoiceField(
        label=_("Reported by"),
        choices=REPORTER_KINDS,
        initial="named",
        widget=forms.RadioSelect,
    )
    resident = PickerField(
        "resident",
        label=_("Resident"),
        required=False,
        help_text=_("Search by name, address or the last digits of the ID number."),
    )
    reporter_name = forms.CharField(label=_("Reporter's name"), max_length=50, required=False)
    reporter_phone = forms.CharField(label=_("Reporter's phone"), max_length=20, required=False)

    def __init__(self, *args, scope, **kwargs):
        super().__init__(*args, **kwargs)
        self.scope = scope
        # A browser cuts a longer paste at `maxlength` without a word: the server refuses
        # it instead, naming the limit.
        for field in self.fields.values():
            field.widget.attrs.pop("maxlength", None)
        grids = register_grids(scope)
        self.fields["grid"].queryset = grids
        buildings = Area.objects.filter(kind=Area.Kind.BUILDING, parent__in=grids)
        # Once the grid is known only its buildings are offered (and accepted): a short list
        # on a phone, and a building of another grid is refused on the field.
        grid = self._chosen_grid(grids)
        if grid is not None:
            buildings = buildings.filter(parent=grid)
        self.fields["building"].queryset = buildings.select_related("parent").order_by("code")
        self.fields["building"].label_from_instance = (
            (lambda b: b.name) if grid is not None else (lambda b: f"{b.parent.name} · {b.name}")
        )
        # Households and residents are picked by search, within the grids offered (the
        # chosen one once it is known) and the user's areas.
        households = Household.objects.active().filter(grid__in=grids)
        self.fields["household"].queryset = (
            households.filter(grid=grid) if grid is not None else households
        )
        self.fields["resident"].queryset = scope.filter(
            Resident.objects.current(), "household__grid"
        ).select_related("household__grid")
        # The grid's places (辖区单位) are offered once the grid is known; any place of the
        # grids offered is accepted, and clean() holds it to the chosen grid.
        places = Place.objects.active().filter(grid__in=grids).order_by("name")
        self.fields["place"].queryset = places
        if grid is not None:
            self.fields["place"].widget.choices = [
                ("", "---------"),
                *((p.pk, p.name) for p in places.filter(grid=grid).only("pk", "name")),
            ]
        else:
            self.fields["place"].widget.choices = [("", _("Choose the grid first"))]
        bind_pickers(self, include="[name='grid']")

    def _chosen_grid(self, grids):
        """The grid the form is about: the posted one, else the initial one, else the
        user's only grid. Runs one query."""
        value = self.data.get(self.add_prefix("grid")) if self.is_bound else None
        if value is None:
            value = self.initial.get("grid")
        if isinstance(value, Area):
            return value
        if value:
            try:
                return grids.filter(pk=int(value)).first()
            except (TypeError, ValueError):
                return None
        only = list(grids[:2])
        if len(only) == 1:
            self.initial.setdefault("grid", only[0].pk)
            return only[0]
        return None

    def clean_reporter_phone(self):
        value = self.cleaned_data["reporter_phone"].replace(" ", "").replace("-", "")
        if value and not (value.isdigit() and 7 <= len(value) <= 12):
            raise forms.ValidationError(_("A phone number is 7 to 12 digits."))
        return value

    def clean(self):
        cleaned = super().clean()
        grid = cleaned.get("grid")
        building = cleaned.get("building")
        if grid and building and building.parent_id != grid.pk:
            self.add_error("building", _("This building is not in the chosen grid."))
        place = cleaned.get("place")
        if grid and place and place.grid_id != grid.pk:
            self.add_error("place", _("This place is not in the chosen grid."))
        household = cleaned.get("household")
        cleaned["household_obj"] = None
        if household and grid:
            if household.grid_id != grid.pk:
                self.add_error("household", _("This household is not in the chosen grid."))
            else:
                cleaned["household_obj"] = household
        kind = cleaned.get("reporter_kind")
        cleaned["resident_obj"] = None
        if kind == "resident":
            resident = cleaned.get("resident")
            if resident is None and "resident" not in self.errors:
                self.add_error("resident", _("Search for the resident and choose them."))
            cleaned["resident_obj"] = resident
        elif kind == "named" and not cleaned.get("reporter_name", "").strip():
            self.add_error("reporter_name", _("Give the reporter's name, or choose anonymous."))
        return cleaned

    def incident_fields(self):
        """Keywords for services.open_incident (all but `by`)."""
        data = self.cleaned_data
        kind = data["reporter_kind"]
        fields = {
            "grid": data["grid"],
            "category": data["category"],
            "urgency": data["urgency"],
            "title": data["title"],
            "description": data["description"],
            "source": data["source"],
            "building": data["building"],
            "household": data["household_obj"],
            "is_anonymous": kind == "anonymous",
        }
        if kind == "resident":
            resident = data["resident_obj"]
            fields["reporter_resident"] = resident
            fields["reporter_name"] = resident.name
            if fields["household"] is None and resident.household.grid_id == data["grid"].pk:
                fields["household"] = resident.household
        elif kind == "named":
            fields["reporter_name"] = data["reporter_name"].strip()
            fields["reporter_phone"] = data["reporter_phone"]
        return fields


class TeamReportForm(OnceMixin, forms.Form):
    """A matter seen by a team member (a building or unit leader, a volunteer, a party
    member, community police, a patrol member): where, what, and a photo, on a phone. It
    names no resident and no household, so it opens no picker of the register. The photo
    is shrunk on the phone (static/js/patrol-outbox.js) and again by the service."""

    grid = forms.ModelChoiceField(label=_("Grid"), queryset=Area.objects.none())
    building = forms.ModelChoiceField(
        label=_("Building"), queryset=Area.objects.none(), required=False
    )
    place = forms.CharField(
        label=_("Place"),
        max_length=100,
        required=False,
        help_text=_("Where exactly: a stairwell, a gate, a corner."),
    )
    category = forms.ModelChoiceField(label=_("Category"), queryset=Category.objects.all())
    text = forms.CharField(
        label=_("What you saw"),
        max_length=Incident._meta.get_field("description").max_length - 110,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    photo = PhotoField(label=_("Photo"), required=False)

    def __init__(self, *args, scope, **kwargs):
        super().__init__(*args, **kwargs)
        self.scope = scope
        for field in self.fields.values():
            field.widget.attrs.pop("maxlength", None)
        grids = reporting_grids(scope)
        self.fields["grid"].queryset = grids
        buildings = Area.objects.filter(kind=Area.Kind.BUILDING, parent__in=grids)
        self.fields["building"].queryset = buildings.select_related("parent").order_by("code")
        self.fields["building"].label_from_instance = lambda b: f"{b.parent.name} · {b.name}"
        posts = [p for p in scope.posts if p.area.kind in (Area.Kind.BUILDING, Area.Kind.UNIT)]
        if len(posts) == 1:
            # A building or unit leader reports about their building unless they choose.
            area = posts[0].area
            self.initial.setdefault(
                "building", area.pk if area.kind == Area.Kind.BUILDING else area.parent_id
            )
        only = list(grids[:2])
        if len(only) == 1:
            self.initial.setdefault("grid", only[0].pk)
            self.fields["grid"].widget = forms.HiddenInput()

    def clean(self):
        cleaned = super().clean()
        grid, building = cleaned.get("grid"), cleaned.get("building")
        if grid and building and building.parent_id != grid.pk:
            self.add_error("building", _("This building is not in the chosen grid."))
        return cleaned

    def incident_fields(self):
        """Keywords for services.open_incident (all but `by`)."""
        data = self.cleaned_data
        text = data["text"].strip()
        place = data["place"].strip()
        first = text.splitlines()[0] if text else ""
        return {
            "grid": data["grid"],
            "category": data["category"],
            "title": first if len(first) <= 200 else first[:199] + "…",
            "description": f"{place}: {text}" if place else text,
            "source": Incident.Source.TEAM,
            "building": data["building"],
            "photo": data["photo"],
        }


class IncidentFilter(django_filters.FilterSet):
    """Open incidents by default; closed, all, or one status on request."""

    STATES = [
        ("open", _("Open")),
        ("closed", _("Closed")),
        ("all", _("All")),
        *Incident.Status.choices,
    ]
    LIGHTS = [("green", _("On time")), ("yellow", _("Nearing deadline")), ("red", _("Overdue"))]

    state = django_filters.ChoiceFilter(
        label=_("State"), choices=STATES, method="by_state", empty_label=None
    )
    category = django_filters.ModelChoiceFilter(
        label=_("Category"), queryset=Category.objects.all()
    )
    light = django_filters.ChoiceFilter(label=_("Light"), choices=LIGHTS, method="by_light")
    supervised = django_filters.ChoiceFilter(
        label=_("Supervision"),
        choices=[("yes", _("Supervised")), ("no", _("Not supervised"))],
        method="by_supervision",
    )
    sort = OrderingFilter(
        label=_("Sort by"),
        fields=(("filed_at", "filed"), ("deadline_at", "deadline"), ("number", "number")),
        field_labels={
            "filed_at": pgettext_lazy("date", "Filed"),
            "deadline_at": _("Deadline"),
            "number": _("Number"),
        },
    )

    class Meta:
        model = Incident
        fields = ["state", "category", "light", "supervised"]

    def __init__(self, data=None, *args, now=None, **kwargs):
        data = data.copy() if data is not None else {}
        data.setdefault("state", "open")
        super().__init__(data, *args, **kwargs)
        self.now = now

    def by_state(self, queryset, name, value):
        if value == "open":
            return queryset.open()
        if value == "closed":
            return queryset.exclude(status__in=IncidentQuerySet.OPEN_STATES)
        if value == "all":
            return queryset
        return queryset.filter(status=value)

    def by_supervision(self, queryset, name, value):
        return queryset.filter(is_supervised=value == "yes")

    def by_light(self, queryset, name, value):
        """Lights are for open incidents: a closed one has none."""
        return queryset.open().with_light(value, now=self.now)
