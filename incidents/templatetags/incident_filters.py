"""The incident list's sort, written in one pass: django-filter's OrderingFilter draws it
with a CSV widget, which `as_field` leaves to crispy forms' templates (about 0.6 ms, a
tenth of the list's drawing). `sort_field` writes crispy's markup for it, whitespace and
all; a sort with errors, or a value of several orderings (the widget draws a text input),
is left to `as_field` as before."""

from django import template
from django.utils.safestring import mark_safe

from gridmgmt.templatetags.form_fields import as_field
from gridmgmt.widgets import attrs_html, escape, options_html

register = template.Library()

# What crispy's bootstrap5 field template writes around a select with a label, no help
# text and no errors.
BEFORE = (
    '\n\n\n    \n    <div id="div_{ident}" class="mb-3">\n        \n            \n'
    "            <label\n"
    '                for="{ident}" class="form-label">\n'
    "                {label}\n"
    "            </label>\n        \n\n        \n\n        \n            \n                \n"
    "                    \n                        \n                            "
)
AFTER = (
    "\n                        \n                    \n                    \n"
    "                        \n\n\n    \n\n\n\n\n    \n\n\n\n                    \n"
    "                \n            \n        \n        \n    </div>\n    \n\n"
)


@register.filter
def sort_field(bound):
    """`{{ bound|as_field }}` for the list's sort, as crispy drew it."""
    widget = bound.field.widget
    value = bound.value()
    values = value if isinstance(value, (list, tuple)) else [value]
    if (
        len(values) > 1
        or bound.errors
        or bound.help_text
        or bound.field.required
        or not bound.label
        or not bound.auto_id
        or widget.attrs
        or getattr(bound.form, "helper", None) is not None
    ):
        return as_field(bound)
    options = options_html(widget, widget.format_value(values[0] if values else ""))
    if options is None:
        return as_field(bound)
    # crispy's {% crispy_field field 'class' 'form-select' %}: the widget's class name first.
    attrs = {"class": f"{type(widget).__name__.lower()} form-select", "id": bound.auto_id}
    ident = escape(bound.auto_id)
    return mark_safe(
        BEFORE.format(ident=ident, label=escape(bound.label))
        + f'<select name="{escape(bound.html_name)}"{attrs_html(attrs)}>{options}\n</select>'
        + AFTER
    )
