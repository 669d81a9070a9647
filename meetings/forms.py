import html
from collections import defaultdict

from django import forms
from django.utils import timezone
from django.utils.choices import BaseChoiceIterator
from django.utils.safestring import SafeString
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from gridmgmt import statements
from gridmgmt.dates import DayField
from gridmgmt.widgets import Select
from grids.forms import StaleCheckMixin
from grids.models import Area, Post
from grids.once import OnceMixin

from .instances import person_of
from .models import ActionItem, AgendaItem, Kind, Meeting, Participant
from .widgets import AttendanceButtons


class Choices(BaseChoiceIterator):
    """A list of (value, label) pairs that Django's fields and widgets take as they are:
    a plain list is normalized pair by pair each time a field's choices are set, and a
    monthly meeting sets a hundred lists of dozens of people."""

    def __init__(self, choices):
        self.choices = choices

    def __iter__(self):
        return iter(self.choices)


# What a list of people shows of each: User.__str__.
NAMES = ("username", "full_name")
NAME_LOOKUPS = tuple(f"__{name}" for name in NAMES)
HOLDERS = ("holder_a", "holder_b")


class Roster:
    """The people of a meeting's community who may stand in for a participant or own an
    action item: the holders of the community's posts and of its grids' posts (building and
    unit posts are left out). Runs one query. `names_only`: the people are read with their
    names alone, for a page that only lists them (a form that saves one of them as a
    substitute or an action item's owner needs the whole person); `person`
    (meetings.instances.person_of) makes them, one instance a person shared with the
    page's participants."""

    def __init__(self, meeting, participants, *, names_only=False, person=None):
        path = meeting.community.path
        self.users = {}
        self.at_area = defaultdict(list)
        self.community_people = []
        for area_id, holders in self._holders(path, names_only, person):
            for holder in holders:
                if holder is None:
                    continue
                self.users.setdefault(holder.pk, holder)
                self.at_area[area_id].append(holder)
                if area_id == meeting.community_id:
                    self.community_people.append(holder)
        self.participants = participants
        for participant in participants:
            self.users.setdefault(participant.user_id, participant.user)
        # Translated once for the hundred rows of a monthly meeting.
        self.ab_post = gettext("%(name)s (AB post)")
        self.nobody = gettext("Nobody")
        self.attendance_choices = Choices(
            [
                (choice, str(choice.label))
                for choice in (
                    Participant.Attendance.PRESENT,
                    Participant.Attendance.ABSENT,
                    Participant.Attendance.EXCUSED,
                )
            ]
        )
        self._choices = {}

    @staticmethod
    def _holders(path, names_only, person=None):
        """(area id, (holder A, holder B)) of each post of the community at `path` and of
        its grids, in the roster's order. Runs one query, of a statement compiled once per
        process for the community (its path is written into it: gridmgmt.statements binds
        no pattern made from a value)."""

        def posts():
            return Post.objects.filter(
                area__path__startswith=path,
                area__kind__in=[Area.Kind.COMMUNITY, Area.Kind.GRID],
            ).order_by("area__code", "role", "pk")

        if not names_only:
            found = statements.model_rows(
                ("meetings.forms.Roster", path),
                lambda values: posts().select_related("holder_a", "holder_b"),
                {},
            )
            return [(post.area_id, (post.holder_a, post.holder_b)) for post in found]
        # Their names alone, as plain rows: one User for each person, however many posts
        # they hold (meetings.instances).
        rows = statements.value_rows(
            ("meetings.forms.Roster.names", path),
            lambda values: posts().values_list(
                "area_id",
                *(f"{holder}{name}" for holder in HOLDERS for name in ("_id", *NAME_LOOKUPS)),
            ),
            {},
        )
        holder = person or person_of(Post.objects.db)
        return [(row[0], (holder(*row[1:4]), holder(*row[4:7]))) for row in rows]

    def choice(self, user):
        """(user id, name) for a list of people, escaped once: the same hundred people are
        offered in each of a monthly meeting's hundred lists."""
        pk = user.pk
        choice = self._choices.get(pk)
        if choice is None:
            # SafeString itself: mark_safe first checks whether its argument is lazy.
            choice = self._choices[pk] = (SafeString(pk), SafeString(html.escape(str(user))))
        return choice

    @staticmethod
    def suggestion(participant):
        """Who stands in through the AB post: B for A, A for B (the acting holder)."""
        post = participant.post
        if post is None:
            return None
        if post.holder_a_id == participant.user_id:
            return post.holder_b
        if post.holder_b_id == participant.user_id:
            return post.holder_a
        return post.holder_b or post.holder_a

    def substitutes_for(self, participant):
        """[(user id, label)]: the AB partner first, then the post's area, then the
        community's own posts."""
        seen = {participant.user_id}
        choices = []
        suggestion = self.suggestion(participant)
        people = [suggestion] if suggestion else []
        if participant.post is not None:
            people += self.at_area.get(participant.post.area_id, [])
        people += self.community_people
        suggested = suggestion.pk if suggestion is not None else None
        for user in people:
            if user is None:
                continue
            pk = user.pk  # read once: a property, and a hundred lists of dozens of people
            if pk in seen:
                continue
            seen.add(pk)
            if pk == suggested:
                choices.append((str(pk), self.ab_post % {"name": user}))
            else:
                choices.append(self._choices.get(pk) or self.choice(user))
        return choices

    def owner_choices(self):
        """[(user id, label)]: the meeting's participants first, then the others."""
        first = [p.user for p in self.participants]
        attending = {p.user_id for p in self.participants}
        rest = sorted(
            (u for pk, u in self.users.items() if pk not in attending),
            key=lambda u: (str(u), u.pk),
        )
        seen, choices = set(), []
        choice = self.choice
        for user in first + rest:
            pk = user.pk
            if pk not in seen:
                seen.add(pk)
                choices.append(choice(user))
        return choices


def attendance_initial(participant):
    """The initial values of a participant's row of the attendance table."""
    return {
        "attendance": participant.attendance,
        "substitute": str(participant.substitute_id or ""),
    }


def substitute_choices(participant, roster):
    """The choices of who stood in for `participant`: nobody, the roster's people for the
    participant and, if another stood in, that person."""
    choices = roster.substitutes_for(participant)
    if participant.substitute_id and str(participant.substitute_id) not in dict(choices):
        choices.append((str(participant.substitute_id), str(participant.substitute)))
    return Choices([("", roster.nobody), *choices])


def substitute_attrs(suggestion):
    """The attributes of the list of who stood in (meetings.js suggests the AB partner)."""
    return {
        "class": "form-select",
        "data-substitute": "",
        "data-suggestion": str(suggestion.pk) if suggestion else "",
    }


class AttendanceForm(forms.Form):
    """One participant's row of the attendance table (the form's prefix names them): who
    came, and who stood in. The fields are made for each row rather than declared: Django
    deep-copies a form's declared fields, which cost more than the rest of each of a
    monthly meeting's hundred rows."""

    def __init__(self, *args, participant, roster, **kwargs):
        kwargs.setdefault("prefix", f"p{participant.pk}")
        kwargs.setdefault("initial", attendance_initial(participant))
        super().__init__(*args, **kwargs)
        self.participant = participant
        self.roster = roster
        self.suggestion = roster.suggestion(participant)
        self.fields = {
            # The roster's choices: present, absent, excused.
            "attendance": forms.ChoiceField(
                label=_("Attendance"),
                required=False,
                choices=roster.attendance_choices,
                widget=AttendanceButtons,  # a class: an instance would be deep-copied
            ),
            "substitute": forms.ChoiceField(
                label=_("Substituted by"),
                required=False,
                choices=substitute_choices(participant, roster),
                widget=Select,
            ),
        }
        self.fields["attendance"].widget.id_prefix = self.prefix
        self.fields["substitute"].widget.attrs.update(substitute_attrs(self.suggestion))

    def row(self):
        """(participant, attendance, substitute user or None), for the service."""
        attendance = self.cleaned_data["attendance"] or self.participant.attendance
        substitute_id = self.cleaned_data["substitute"]
        substitute = None
        if substitute_id:
            substitute = self.roster.users.get(int(substitute_id)) or self.participant.substitute
        return self.participant, attendance, substitute


class MinutesForm(StaleCheckMixin, forms.ModelForm):
    class Meta:
        model = Meeting
        fields = ["minutes", "decisions"]
        widgets = {
            "minutes": forms.Textarea(attrs={"rows": 6}),
            "decisions": forms.Textarea(attrs={"rows": 4}),
        }


class AgendaItemForm(forms.ModelForm):
    class Meta:
        model = AgendaItem
        fields = ["text", "note"]
        widgets = {"note": forms.Textarea(attrs={"rows": 2})}


class NewAgendaItemForm(OnceMixin, AgendaItemForm):
    """An item added to the agenda, sent once (grids.once)."""


class ActionItemForm(OnceMixin, forms.ModelForm):
    owner = forms.ChoiceField(label=_("Owner"), widget=Select)

    class Meta:
        model = ActionItem
        fields = ["text", "owner", "due_on", "grid"]
        field_classes = {"due_on": DayField}
        widgets = {"due_on": forms.DateInput(attrs={"type": "date"}), "grid": Select}

    def __init__(self, *args, meeting, roster, grids, grid_rows=None, **kwargs):
        """`grids` is a queryset; when the page has already listed it, its rows are the
        choices and no second query runs; `grid_rows`, the page's rows of it, are the choices
        in its place (the queryset then only checks a grid sent)."""
        super().__init__(*args, **kwargs)
        self.meeting = meeting
        self.roster = roster
        # As they are (`Choices`): the field and its widget would each normalize the
        # community's hundred-odd people pair by pair.
        self.fields["owner"].choices = Choices([("", "—"), *roster.owner_choices()])
        grid = self.fields["grid"]
        grid.queryset = grids

        rows = grids if grid_rows is None else grid_rows

        def grid_choices():
            # Iterates `grids` itself (or the page's `grid_rows` of it), not the field's copy
            # of it: the rows the page has listed already, without a second query.
            empty = [] if grid.empty_label is None else [("", grid.empty_label)]
            return empty + [(area.pk, grid.label_from_instance(area)) for area in rows]

        grid.widget.choices = grid_choices  # called when the form is drawn
        self.fields["grid"].required = False
        self.fields["grid"].help_text = _("Needed to turn it into an incident.")

    def clean_owner(self):
        return self.roster.users[int(self.cleaned_data["owner"])]

    def clean_due_on(self):
        due_on = self.cleaned_data["due_on"]
        if due_on < timezone.localtime(self.meeting.starts_at).date():
            raise forms.ValidationError(_("The deadline cannot fall before the meeting."))
        return due_on


class MoveForm(forms.Form):
    """Which way an agenda item moves."""

    direction = forms.ChoiceField(choices=[("up", _("Move up")), ("down", _("Move down"))])


class DoneForm(forms.Form):
    """Where to go back to once an action item is marked done (checked before use)."""

    next = forms.CharField(required=False, max_length=2000)


class IncidentFromActionForm(forms.Form):
    grid = forms.ModelChoiceField(label=_("Grid"), queryset=Area.objects.none())

    def __init__(self, *args, grids, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["grid"].queryset = grids


class MeetingFilterForm(forms.Form):
    WHEN = [("upcoming", _("Upcoming")), ("past", _("Past"))]

    when = forms.ChoiceField(label=_("When"), choices=WHEN, required=False)
    kind = forms.ChoiceField(label=_("Kind"), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = [("", _("All meetings")), *Kind.choices]


class PostsField(forms.ModelMultipleChoiceField):
    """Posts as checkboxes, each named by its role, area and holders (selected with the
    queryset: no query per post)."""

    widget = forms.CheckboxSelectMultiple

    def label_from_instance(self, post):
        holders = post.holder_a.display_name
        if post.holder_b_id:
            holders = _("%(a)s, B: %(b)s") % {"a": holders, "b": post.holder_b.display_name}
        return _("%(role)s · %(area)s · %(holders)s") % {
            "role": post.get_role_display(),
            "area": post.area.name,
            "holders": holders,
        }


class SeriesPostsForm(forms.Form):
    """Which of the community's posts a standing meeting invites."""

    posts = PostsField(
        label=_("Who attends"),
        queryset=Post.objects.none(),
        required=False,
        help_text=_(
            "Whoever holds a post (or acts for it on the day) is invited. Meetings already "
            "planned follow the change; held meetings keep their record."
        ),
    )

    def __init__(self, *args, series, **kwargs):
        kwargs.setdefault("initial", {"posts": [post.pk for post in series.posts.all()]})
        super().__init__(*args, **kwargs)
        self.fields["posts"].queryset = (
            Post.objects.filter(area__path__startswith=series.community.path)
            .for_team()
            .order_by("area__path", "role", "pk")
        )
