import html

from django import forms
from django.utils.html import format_html
from django.utils.safestring import mark_safe


def _escape(value):
    """django.utils.html.conditional_escape without its checks for lazy arguments, which
    cost more than the escaping for the thousand options of a meeting's page."""
    if hasattr(value, "__html__"):
        return value.__html__()
    return html.escape(str(value))


class Select(forms.Select):
    """Django's select with the same markup, written in one pass instead of a template per
    option: a monthly meeting's page has a hundred participants, each with a list of
    possible substitutes, and an owner list of the community's two hundred post holders;
    Django's templates took over 100 ms for them. Flat choices only (a list with option
    groups is left to Django's templates). Keeps the name `Select`: crispy forms adds the
    widget's class name as a CSS class ("select")."""

    def render(self, name, value, attrs=None, renderer=None):
        choices = list(self.choices)
        if any(isinstance(label, (list, tuple)) for _, label in choices):
            return super().render(name, value, attrs, renderer)
        attrs = self.build_attrs(self.attrs, attrs)
        if self.allow_multiple_selected:
            attrs["multiple"] = True
        values = self.format_value(value)
        options, has_selected = [], False
        for option_value, label in choices:
            if option_value is None:
                option_value = ""
            selected = (not has_selected or self.allow_multiple_selected) and str(
                option_value
            ) in values
            has_selected |= selected
            flag = " selected" if selected else ""
            options.append(
                f'\n  <option value="{_escape(option_value)}"{flag}>{_escape(label)}</option>\n'
            )
        return format_html(
            '<select name="{}"{}>{}\n</select>', name, _attrs(attrs), mark_safe("".join(options))
        )


def _attrs(attrs):
    """Attributes as django/forms/widgets/attrs.html writes them."""
    return mark_safe(
        "".join(
            f" {name}" if value is True else f' {name}="{_escape(value)}"'
            for name, value in attrs.items()
            if value is not False
        )
    )


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
            option_id = _escape(f"{self.id_prefix}-{option_value!s}")
            checked = " checked" if value == option_value else ""
            colour = self.colours.get(str(option_value), "warning")
            rows.append(
                f'\n          <input type="radio" class="btn-check" name="{_escape(name)}"'
                f' id="{option_id}" value="{_escape(option_value)}" autocomplete="off"'
                f" data-attendance{checked}>\n"
                f'          <label class="btn btn-outline-{colour}" for="{option_id}">'
                f"{_escape(label)}</label>\n          "
            )
        return mark_safe("".join(rows))
