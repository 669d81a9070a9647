"""Widgets written in one pass of plain escaping, with the markup of Django's templates: a
page with hundreds of options (a monthly meeting's attendance, the district's grids) spent
most of its time drawing each option through a template."""

import copy
import html
from contextlib import contextmanager

from django import forms
from django.forms.models import ModelChoiceIterator
from django.utils.choices import BaseChoiceIterator
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
        options = options_html(self, self.format_value(value))
        if options is None:
            return super().render(name, value, attrs, renderer)
        attrs = self.build_attrs(self.attrs, attrs)
        if self.allow_multiple_selected:
            attrs["multiple"] = True
        return format_html('<select name="{}"{}>{}\n</select>', name, attrs_html(attrs), options)


class _Rows(list):
    """A queryset's rows, read at once, in the place of the queryset in a copy of its
    ModelChoiceIterator: the iterator takes a queryset with prefetches as it is, where it
    would read any other through `.iterator()`."""

    _prefetch_related_lookups = True


def choice_list(widget):
    """The widget's choices as a list. A model choice field's rows are read by one plain
    query: its ModelChoiceIterator reads them through `queryset.iterator()`, which on
    PostgreSQL is a server-side cursor (DECLARE, FETCH, CLOSE) and costs about 1 ms more
    for a hundred rows. Runs that query, for a model choice field."""
    choices = widget.choices
    if isinstance(choices, ModelChoiceIterator) and not choices.queryset._prefetch_related_lookups:
        choices = copy.copy(choices)
        choices.queryset = _Rows(choices.queryset.all())
    return list(choices)


class _Read(BaseChoiceIterator):
    """Choices read into a list, which a widget takes as they are: a plain list set as a
    widget's choices is normalized again pair by pair (0.35 ms for a list of two hundred
    people), though the widget's choices were normalized when they were set."""

    def __init__(self, choices):
        self.choices = choices

    def __iter__(self):
        return iter(self.choices)


@contextmanager
def choices_read_once(widget):
    """While a select is drawn, its choices as one list: the `required` attribute's test
    (Select.use_required_attribute takes the first choice, a query of its own for a model
    choice field with no empty choice) and the options then read the same rows. The
    widget's own choices are put back after."""
    original = widget.choices
    widget.choices = _Read(choice_list(widget))
    try:
        yield
    finally:
        widget.choices = original


def options_html(widget, values):
    """The <option>s of a select widget with flat choices, as Django's templates write them
    (`values`: the selected values as format_value gives them); None when its choices are
    in groups. Reads the choices once (`choice_list`)."""
    choices = choice_list(widget)
    if any(isinstance(label, (list, tuple)) for _, label in choices):
        return None
    options, has_selected = [], False
    for option_value, label in choices:
        if option_value is None:
            option_value = ""
        selected = (not has_selected or widget.allow_multiple_selected) and str(
            option_value
        ) in values
        has_selected |= selected
        flag = " selected" if selected else ""
        options.append(
            f'\n  <option value="{escape(option_value)}"{flag}>{escape(label)}</option>\n'
        )
    return mark_safe("".join(options))  # every value in it is escaped


def attrs_html(attrs):
    """Attributes as django/forms/widgets/attrs.html writes them."""
    return mark_safe(
        "".join(
            f" {name}" if value is True else f' {name}="{escape(value)}"'
            for name, value in attrs.items()
            if value is not False
        )
    )
