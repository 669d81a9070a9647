"""Widgets written in one pass of plain escaping, with the markup of Django's templates: a
page with hundreds of options (a monthly meeting's attendance, the district's grids) spent
most of its time drawing each option through a template."""

import html

from django import forms
from django.utils.html import format_html
from django.utils.safestring import mark_safe


def escape(value):
    """django.utils.html.conditional_escape without its checks for lazy arguments, which
    cost more than the escaping for a thousand options."""
    if hasattr(value, "__html__"):
        return value.__html__()
    return html.escape(str(value))


class Select(forms.Select):
    """Django's select with the same markup, written in one pass instead of a template per
    option (a monthly meeting's hundred substitute lists and its owner list of two hundred
    post holders; the district's 800 grids in a filter). Flat choices only (a list with
    option groups is left to Django's templates). Keeps the name `Select`: crispy forms adds
    the widget's class name as a CSS class ("select")."""

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
                f'\n  <option value="{escape(option_value)}"{flag}>{escape(label)}</option>\n'
            )
        options = mark_safe("".join(options))  # every value in it is escaped
        return format_html('<select name="{}"{}>{}\n</select>', name, attrs_html(attrs), options)


def attrs_html(attrs):
    """Attributes as django/forms/widgets/attrs.html writes them."""
    return mark_safe(
        "".join(
            f" {name}" if value is True else f' {name}="{escape(value)}"'
            for name, value in attrs.items()
            if value is not False
        )
    )
