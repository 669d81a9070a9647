"""Forms of the team page. People are always offered by name with their post and grid."""

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from gridmgmt.dates import DayField

from .models import ROLE_AREA_KINDS, Absence, Area, Post, Role, User
from .once import OnceMixin
from .team import post_problems


def people_choices(community, *, with_closed=False):
    """Active people who hold a post in `community` (or held one, `with_closed`), or none
    anywhere (new accounts), each labelled "name · post · area" (or "name · username · no
    post"). Runs three queries."""
    posts_manager = Post.all_posts if with_closed else Post.objects
    posts = list(
        posts_manager.filter(area__path__startswith=community.path).select_related(
            "area", "holder_a", "holder_b"
        )
    )
    labels = {}
    for post in posts:
        for holder in (post.holder_a, post.holder_b):
            if holder is not None and holder.is_active:
                labels.setdefault(holder.pk, [holder.display_name])
                labels[holder.pk].append(f"{post.get_role_display()} · {post.area.name}")
    for user in User.objects.filter(is_active=True, posts_as_a=None, posts_as_b=None).exclude(
        is_superuser=True
    ):
        labels[user.pk] = [user.display_name, user.username, str(_("no post"))]
    users = {u.pk: u for u in User.objects.filter(pk__in=labels)} if labels else {}
    ordered = sorted(labels.items(), key=lambda item: item[1][0])
    return [(pk, " · ".join(parts)) for pk, parts in ordered if pk in users], users


class PersonField(forms.TypedChoiceField):
    def __init__(self, *, people, **kwargs):
        choices, self.users = people
        super().__init__(choices=[("", "---------"), *choices], coerce=self._user, **kwargs)

    def _user(self, value):
        return self.users[int(value)]


class AbsenceForm(forms.Form):
    person = forms.Field()  # replaced in __init__
    starts_on = DayField(label=_("From"), widget=forms.DateInput(attrs={"type": "date"}))
    ends_on = DayField(label=_("To"), widget=forms.DateInput(attrs={"type": "date"}))
    reason = forms.ChoiceField(label=_("Reason"), choices=Absence.Reason.choices)

    def __init__(self, *args, people, with_person=True, **kwargs):
        super().__init__(*args, **kwargs)
        if with_person:
            self.fields["person"] = PersonField(people=people, label=_("Person"))
        else:
            del self.fields["person"]
        self.fields["starts_on"].initial = timezone.localdate()

    def clean(self):
        data = super().clean()
        if data.get("starts_on") and data.get("ends_on") and data["ends_on"] < data["starts_on"]:
            self.add_error("ends_on", _("An absence cannot end before it starts."))
        return data


class NewAbsenceForm(OnceMixin, AbsenceForm):
    """An absence recorded, sent once (grids.once)."""


class HolderForm(forms.Form):
    slot = forms.ChoiceField(
        label=_("Which holder"), choices=[("a", _("A holder")), ("b", _("B holder"))]
    )
    to = forms.Field()
    on = DayField(label=_("Effective from"), widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args, people, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["to"] = PersonField(people=people, label=_("New holder"))
        self.fields["on"].initial = timezone.localdate()


class DeactivateForm(forms.Form):
    """One person picker per item the leaver holds."""

    def __init__(self, *args, items, people, **kwargs):
        super().__init__(*args, **kwargs)
        for key, label, _item in items:
            self.fields[key] = PersonField(people=people, label=label, required=False)

    def assignments(self):
        return {key: value for key, value in self.cleaned_data.items() if value}


class OpenPostForm(forms.Form):
    """A new post at the community or one of its grids: the area chosen by code, the role
    among those that may stand there, A and B by name."""

    area = forms.ChoiceField(label=_("Grid or community"))
    role = forms.ChoiceField(label=_("Role"))
    holder_a = forms.Field()
    holder_b = forms.Field()

    def __init__(self, *args, areas, people, **kwargs):
        super().__init__(*args, **kwargs)
        self.areas = {area.code: area for area in areas}
        self.fields["area"].choices = [
            (area.code, area.code if area.name == area.code else f"{area.code} · {area.name}")
            for area in areas
        ]
        kinds = {area.kind for area in areas}
        self.fields["role"].choices = [
            (value, label) for value, label in Role.choices if ROLE_AREA_KINDS[value] & kinds
        ]
        self.fields["holder_a"] = PersonField(people=people, label=_("A holder"))
        self.fields["holder_b"] = PersonField(
            people=people,
            label=_("B holder"),
            required=False,
            empty_value=None,
            help_text=_("Acts while A is away. Optional."),
        )

    def clean(self):
        data = super().clean()
        if self.errors:
            return data
        data["area"] = self.areas[data["area"]]
        for field, message in post_problems(
            data["area"], data["role"], data["holder_a"], data.get("holder_b")
        ).items():
            self.add_error(field, message)
        return data


def team_areas(community, day):
    """The community and its grids that exist on `day`: where the team page opens posts.
    Runs one query."""
    grids = Area.objects.grids().filter(parent=community).existing_on(day).order_by("code")
    return [community, *grids]
