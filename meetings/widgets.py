import html

from django import forms
from django.template.defaultfilters import linebreaksbr
from django.utils.html import conditional_escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext

from gridmgmt.templatetags.row_urls import paths_of
from gridmgmt.widgets import escape


class AttendanceButtons(forms.RadioSelect):
    """A participant's attendance as a row of Bootstrap toggle buttons (`.btn-check`),
    written in one pass: the attendance table of a monthly meeting has a hundred rows.
    `id_prefix` names the row (the form's prefix); meetings.js finds the buttons by
    `data-attendance`."""

    colours = {"present": "success", "absent": "danger"}
    id_prefix = ""

    def _options(self):
        """(value, escaped value, escaped "-value" of the ids, escaped label, colour) of each
        choice, worked out once for the widget's choices: a monthly meeting draws the same
        three buttons in each of its hundred rows."""
        choices = self.choices
        if getattr(self, "_options_of", None) is not choices:
            self._options_of = choices
            self._drawn = [
                (
                    option_value,
                    escape(option_value),
                    html.escape(f"-{option_value!s}"),
                    escape(label),
                    self.colours.get(str(option_value), "warning"),
                )
                for option_value, label in choices
            ]
        return self._drawn

    def render(self, name, value, attrs=None, renderer=None):
        rows = []
        name = escape(name)
        # escape(f"{prefix}-{value}"), each part escaped on its own (the same characters).
        prefix = html.escape(str(self.id_prefix))
        for option_value, escaped_value, id_end, label, colour in self._options():
            option_id = f"{prefix}{id_end}"
            checked = " checked" if value == option_value else ""
            rows.append(
                f'\n          <input type="radio" class="btn-check" name="{name}"'
                f' id="{option_id}" value="{escaped_value}" autocomplete="off"'
                f" data-attendance{checked}>\n"
                f'          <label class="btn btn-outline-{colour}" for="{option_id}">'
                f"{label}</label>\n          "
            )
        return mark_safe("".join(rows))


# Stands in for a row's prefix in the buttons written once for the table: a character that
# escaping keeps as it is and no prefix, value or label holds.
_PREFIX = "\x00"


class RowButtons:
    """The attendance buttons of each row of a table, as AttendanceButtons draws them for the
    row's field (`{prefix}-attendance`, the ids `{prefix}-{value}`): written once for each
    value checked, with a stand-in for the prefix, and each row's put in. Escaping works
    character by character, so the prefix escaped on its own is what it is in the whole."""

    def __init__(self, choices):
        self.widget = AttendanceButtons(choices=choices)
        self._drawn = {}  # value: the buttons split at the prefix

    def render(self, prefix, value):
        parts = self._drawn.get(value)
        if parts is None:
            self.widget.id_prefix = _PREFIX
            drawn = self.widget.render(f"{_PREFIX}-attendance", value)
            parts = self._drawn[value] = drawn.split(_PREFIX)
        return SafeString(html.escape(str(prefix)).join(parts))


def _option(value, label, selected=False):
    """An option as gridmgmt.widgets.Select writes it."""
    flag = " selected" if selected else ""
    return f'\n  <option value="{escape(value)}"{flag}>{escape(label)}</option>\n'


class SubstituteLists:
    """Each participant's list of who stood in, as gridmgmt.widgets.Select writes the choices of
    forms.substitute_choices(participant, roster): nobody, the AB partner, the people of the
    post's area, then the community's own, each once and never the participant; then
    whoever stood in from elsewhere; the first option of the value selected. The options of
    each area's people are written and joined once for the table, and each list takes the
    participant and the AB partner out of them: a monthly meeting's hundred lists hold the
    same few dozen people each, and writing each list option by option cost more than a
    millisecond."""

    def __init__(self, roster):
        self.roster = roster
        self.nobody = _option("", roster.nobody)
        self.nobody_selected = _option("", roster.nobody, True)
        self._people = {}  # area id: (the options joined, {pk: (value, label, option)})
        self._person = {}  # pk: (value, label, option), written once for every area's list
        self._ab_posts = {}  # the AB partner's id: their option, not selected

    def _of_area(self, area_id):
        """The options of the people a list of a post at the area offers after the AB
        partner, in order, each once: the area's post holders, then the community's;
        joined, and each person's. Each option is found once in the joined options (its
        value, the person's id, is its own)."""
        found = self._people.get(area_id)
        if found is None:
            roster = self.roster
            people = [*roster.at_area.get(area_id, ()), *roster.community_people]
            options, person = {}, self._person
            for user in people:
                pk = user.pk
                if pk not in options:
                    found = person.get(pk)
                    if found is None:
                        value, label = roster.choice(user)
                        found = person[pk] = (value, label, _option(value, label))
                    options[pk] = found
            joined = "".join(option for _value, _label, option in options.values())
            found = self._people[area_id] = (joined, options)
        return found

    def select(self, name, attrs, participant, suggestion, value):
        """The list's <select> (`attrs`: its attributes written, as attrs_html writes them),
        the option of `value` (the first with it) selected."""
        options_html = self.options(participant, suggestion, value)
        return f'<select name="{escape(name)}"{attrs}>{options_html}\n</select>'

    def options(self, participant, suggestion, value):
        """The list's <option>s, the option of `value` (the first with it) selected."""
        user_id = participant.user_id
        substitute_id = participant.substitute_id
        selected = value == ""
        first = self.nobody_selected if selected else self.nobody
        offered = False  # whether whoever stood in is among the choices
        suggested = None
        if suggestion is not None:
            suggested = suggestion.pk
            if suggested == user_id:
                suggested = None
        if suggested is not None:
            option_value = str(suggested)
            chosen = not selected and option_value == value
            selected |= chosen
            offered = suggested == substitute_id
            first += self._ab_post(suggestion, option_value, chosen)
        post = participant.post
        joined, options = self._of_area(post.area_id if post is not None else None)
        for pk in (user_id, suggested):
            if pk in options:
                joined = joined.replace(options[pk][2], "", 1)
        if substitute_id in options and substitute_id not in (user_id, suggested):
            offered = True
            option_value, label, option = options[substitute_id]
            if not selected and option_value == value:
                selected = True
                joined = joined.replace(option, _option(option_value, label, True), 1)
        last = ""
        if substitute_id and not offered:
            option_value = str(substitute_id)
            last = _option(
                option_value, str(participant.substitute), not selected and option_value == value
            )
        return f"{first}{joined}{last}"

    def _ab_post(self, suggestion, option_value, chosen):
        """The AB partner's option, written once for each person (the AB posts' partners
        are suggested to each other)."""
        if chosen:
            return _option(option_value, self.roster.ab_post % {"name": suggestion}, True)
        option = self._ab_posts.get(option_value)
        if option is None:
            option = self._ab_posts[option_value] = _option(
                option_value, self.roster.ab_post % {"name": suggestion}
            )
        return option


class AttendanceRows:
    """The attendance table's rows, written in one pass when the template draws it: a
    monthly meeting has a hundred rows, and drawing each through the template cost more
    than the rest of the page. The rows are AttendanceForms (`forms`: a table sent back
    with its errors), drawn by their widgets as `{{ form.attendance }}` would; or, for a
    table shown as it is (`AttendanceRows.unbound`), the participants' own values drawn
    by the same widgets without a form and two fields made for each row, which cost more
    than drawing them."""

    def __init__(self, forms):
        self.forms = forms
        self.roster = None

    @classmethod
    def unbound(cls, participants, roster):
        """The rows an unbound AttendanceForm of each participant would draw."""
        rows = cls(participants)
        rows.roster = roster
        return rows

    def __bool__(self):
        return bool(self.forms)

    def __iter__(self):
        return iter(self.forms)

    def _fields(self):
        """(participant, errors HTML, attendance HTML, substitute's id, substitute HTML)
        for each row."""
        if self.roster is None:
            for form in self.forms:
                errors = ""
                if form.errors:
                    errors = "".join(
                        " ".join(conditional_escape(error) for error in field_errors) + " "
                        for field_errors in form.errors.values()
                    )
                    errors = f'<div class="text-danger small">{errors}</div>'
                substitute = form["substitute"]
                yield (
                    form.participant,
                    errors,
                    str(form["attendance"]),
                    substitute.id_for_label,
                    str(substitute),
                )
            return
        # As BoundField.as_widget draws an unbound AttendanceForm's fields: the initial
        # values, no attributes but the id (neither field is required or has help text).
        from .forms import attendance_initial

        roster = self.roster
        buttons = RowButtons(roster.attendance_choices)
        lists = SubstituteLists(roster)
        for participant in self.forms:
            # Made of the participant's id: nothing in them to escape.
            prefix = f"p{participant.pk}"
            ident = f"id_{prefix}-substitute"
            initial = attendance_initial(participant)
            suggestion = roster.suggestion(participant)
            # attrs_html({**substitute_attrs(suggestion), "id": ident}), written at once.
            suggested = "" if suggestion is None else suggestion.pk
            attrs = (
                f' class="form-select" data-substitute="" data-suggestion="{suggested}"'
                f' id="{ident}"'
            )
            yield (
                participant,
                "",
                buttons.render(prefix, initial["attendance"]),
                ident,
                lists.select(
                    f"{prefix}-substitute", attrs, participant, suggestion, initial["substitute"]
                ),
            )

    def __html__(self):
        substituted_by = escape(gettext("Substituted by"))
        attendance_of = gettext("Attendance of %(name)s")
        places = {}  # (role name, area id): the row's post, written once
        rows = []
        for participant, errors, attendance, substitute_id, substitute in self._fields():
            user = participant.user
            name = escape(user.display_name)
            where = ""
            post = participant.post
            if post:
                place = (participant.role_name, post.area_id)
                where = places.get(place)
                if where is None:
                    where = places[place] = (
                        '<span class="small text-body-secondary">'
                        f"{escape(participant.role_name)} · {escape(post.area.name)}</span>"
                    )
            rows.append(
                f'\n      <div class="list-group-item" data-participant="{escape(user.username)}">'
                '\n        <div class="d-flex justify-content-between flex-wrap gap-1">'
                f'\n          <span class="fw-semibold">{name}</span>'
                f"\n          {where}"
                "\n        </div>"
                f"\n        {errors}"
                '\n        <div class="btn-group w-100 my-2" role="group"'
                f' aria-label="{attendance_of % {"name": name}}">'
                f"\n          {attendance}"
                "\n        </div>"
                '\n        <label class="form-label small mb-1"'
                f' for="{escape(substitute_id)}">{substituted_by}</label>'
                f"\n        {substitute}"
                "\n      </div>\n    "
            )
        return SafeString("".join(rows))

    def __str__(self):
        return self.__html__()


class AgendaRows:
    """The agenda's items, written in one pass as the template's loop over them wrote them
    (a monthly meeting's agenda has a few dozen items, each with three forms for the
    station): the items of `_agenda`, `can_edit` whether the forms are drawn, `csrf_input`
    the request's hidden CSRF field as `{% csrf_token %}` writes it."""

    def __init__(self, items, *, can_edit, csrf_input):
        self.items = items
        self.can_edit = can_edit
        self.csrf_input = csrf_input

    def __bool__(self):
        return bool(self.items)

    def __iter__(self):
        return iter(self.items)

    def _forms(self):
        """The words of the station's forms, translated and escaped once for the page."""
        return {
            "edit": escape(gettext("Edit")),
            "item": escape(gettext("Item")),
            "note": escape(gettext("Note")),
            "save": escape(gettext("Save the item")),
            "remove": escape(gettext("Remove from the agenda")),
            "up": escape(gettext("Move up")),
            "down": escape(gettext("Move down")),
            "csrf": self.csrf_input,
        }

    def __html__(self):
        if not self.items:
            nothing = escape(gettext("Nothing on the agenda yet."))
            return mark_safe(
                f'\n    <li class="list-group-item text-body-secondary">{nothing}</li>\n  '
            )
        edit_path = paths_of("meetings:agenda_edit")
        delete_path = paths_of("meetings:agenda_delete")
        move_path = paths_of("meetings:agenda_move")
        t = self._forms() if self.can_edit else None
        sources = {}  # source: its name, translated and escaped once
        last = len(self.items) - 1
        rows = []
        for index, item in enumerate(self.items):
            pk = item.pk
            source = item.source
            if source not in sources:
                sources[source] = escape(item.get_source_display())
            text = escape(item.text)
            if item.incident:
                shown = f'<a href="{escape(item.incident.get_absolute_url())}">{text}</a>'
            elif item.grid and source == "missed":
                shown = f'<a href="{escape(item.grid.get_absolute_url())}">{text}</a>'
            else:
                shown = text
            note = ""
            if item.note:
                note = f'<div class="small text-body-secondary">{linebreaksbr(item.note)}</div>'
            details = move = ""
            if t is not None:
                details = (
                    '\n        <details class="mt-1">'
                    f'\n          <summary class="small">{t["edit"]}</summary>'
                    f'\n          <form method="post" action="{escape(edit_path(pk))}"'
                    f' class="mt-2">{t["csrf"]}'
                    f'\n            <label class="form-label small" for="agenda-text-{pk}">'
                    f"{t['item']}</label>"
                    f'\n            <input class="form-control mb-2" id="agenda-text-{pk}"'
                    f' name="text" value="{text}" maxlength="300" required>'
                    f'\n            <label class="form-label small" for="agenda-note-{pk}">'
                    f"{t['note']}</label>"
                    f'\n            <textarea class="form-control mb-2" id="agenda-note-{pk}"'
                    f' name="note" rows="2">{escape(item.note)}</textarea>'
                    '\n            <button class="btn btn-primary btn-sm w-100" type="submit">'
                    f"{t['save']}</button>"
                    "\n          </form>"
                    f'\n          <form method="post" action="{escape(delete_path(pk))}"'
                    f' class="mt-2">{t["csrf"]}'
                    '\n            <button class="btn btn-outline-danger btn-sm w-100"'
                    f' type="submit">{t["remove"]}</button>'
                    "\n          </form>"
                    "\n        </details>"
                    "\n        "
                )
                move = (
                    f'\n      <form method="post" action="{escape(move_path(pk))}"'
                    f' class="d-flex flex-column gap-1 agenda-move">{t["csrf"]}'
                    '\n        <button class="btn btn-sm btn-outline-secondary" name="direction"'
                    f' value="up" type="submit"{" disabled" if index == 0 else ""}'
                    f' aria-label="{t["up"]}">↑</button>'
                    '\n        <button class="btn btn-sm btn-outline-secondary" name="direction"'
                    f' value="down" type="submit"{" disabled" if index == last else ""}'
                    f' aria-label="{t["down"]}">↓</button>'
                    "\n      </form>"
                    "\n      "
                )
            rows.append(
                f'\n    <li class="list-group-item d-flex gap-2" id="agenda-{pk}"'
                f' data-agenda-item="{pk}" data-source="{escape(source)}">'
                '\n      <div class="flex-grow-1 min-w-0">'
                f'\n        <span class="badge text-bg-light border">{sources[source]}</span>'
                f"\n        {shown}"
                f"\n        {note}"
                f"\n        {details}"
                "\n      </div>"
                f"\n      {move}"
                "\n    </li>\n  "
            )
        return mark_safe("".join(rows))

    def __str__(self):
        return self.__html__()
