from django import forms
from django.utils.html import conditional_escape
from django.utils.safestring import mark_safe
from django.utils.translation import gettext

from gridmgmt.widgets import attrs_html, escape


class AttendanceButtons(forms.RadioSelect):
    """A participant's attendance as a row of Bootstrap toggle buttons (`.btn-check`),
    written in one pass: the attendance table of a monthly meeting has a hundred rows.
    `id_prefix` names the row (the form's prefix); meetings.js finds the buttons by
    `data-attendance`."""

    colours = {"present": "success", "absent": "danger"}
    id_prefix = ""

    def render(self, name, value, attrs=None, renderer=None):
        rows = []
        for option_value, label in self.choices:
            option_id = escape(f"{self.id_prefix}-{option_value!s}")
            checked = " checked" if value == option_value else ""
            colour = self.colours.get(str(option_value), "warning")
            rows.append(
                f'\n          <input type="radio" class="btn-check" name="{escape(name)}"'
                f' id="{option_id}" value="{escape(option_value)}" autocomplete="off"'
                f" data-attendance{checked}>\n"
                f'          <label class="btn btn-outline-{colour}" for="{option_id}">'
                f"{escape(label)}</label>\n          "
            )
        return mark_safe("".join(rows))


def _select(name, attrs, choices, value, options):
    """What gridmgmt.widgets.Select(attrs).render(name, value) writes for flat `choices`
    of strings (the first option of the value selected), each option not selected taken
    from or kept in `options`: the same hundred people are in each of a monthly meeting's
    hundred lists."""
    drawn, selected = [], False
    for option_value, label in choices:
        if option_value is None:
            option_value = ""
        if not selected and str(option_value) == value:
            selected = True
            drawn.append(
                f'\n  <option value="{escape(option_value)}" selected>{escape(label)}</option>\n'
            )
            continue
        # The types too: a safe label and a plain one of the same text escape differently.
        key = (option_value, type(option_value), label, type(label))
        option = options.get(key)
        if option is None:
            option = options[key] = (
                f'\n  <option value="{escape(option_value)}">{escape(label)}</option>\n'
            )
        drawn.append(option)
    options_html = "".join(drawn)
    return mark_safe(f'<select name="{escape(name)}"{attrs_html(attrs)}>{options_html}\n</select>')


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
        from .forms import attendance_initial, substitute_attrs, substitute_choices

        buttons = AttendanceButtons(choices=self.roster.attendance_choices)
        options = {}  # (value, label): the option not selected, escaped once for the page
        for participant in self.forms:
            prefix = f"p{participant.pk}"
            initial = attendance_initial(participant)
            buttons.id_prefix = prefix
            ident = f"id_{prefix}-substitute"
            attrs = {**substitute_attrs(self.roster.suggestion(participant)), "id": ident}
            yield (
                participant,
                "",
                buttons.render(f"{prefix}-attendance", initial["attendance"]),
                ident,
                _select(
                    f"{prefix}-substitute",
                    attrs,
                    substitute_choices(participant, self.roster),
                    initial["substitute"],
                    options,
                ),
            )

    def __html__(self):
        substituted_by = escape(gettext("Substituted by"))
        attendance_of = gettext("Attendance of %(name)s")
        rows = []
        for participant, errors, attendance, substitute_id, substitute in self._fields():
            user = participant.user
            name = escape(user.display_name)
            where = ""
            if participant.post:
                where = (
                    f'<span class="small text-body-secondary">{escape(participant.role_name)}'
                    f" · {escape(participant.post.area.name)}</span>"
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
        return mark_safe("".join(rows))

    def __str__(self):
        return self.__html__()
