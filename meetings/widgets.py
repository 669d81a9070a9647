from django import forms
from django.utils.safestring import mark_safe

from gridmgmt.widgets import escape


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
