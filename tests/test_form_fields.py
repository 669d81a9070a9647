"""gridmgmt's form_fields tags draw a field as crispy forms draws it (Bootstrap 5): the same
elements, attributes and classes, for every kind of field they write themselves, and they leave
to crispy what they do not (a field with errors, a checkbox, a custom widget)."""

import re

import django_filters
import pytest
from crispy_forms.templatetags.crispy_forms_filters import as_crispy_field, as_crispy_form
from django import forms
from django.test.html import parse_html

from gridmgmt import widgets
from gridmgmt.templatetags.form_fields import _widget, as_field, as_fields
from grids.models import Area
from tests.factories import make_area, make_community


class Everything(forms.Form):
    name = forms.CharField(label="Name <b>", help_text="Say <em>who</em>.", max_length=20)
    note = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))
    count = forms.IntegerField(required=False, min_value=1)
    when = forms.DateTimeField(
        required=False, widget=forms.DateTimeInput(attrs={"type": "datetime-local"})
    )
    kind = forms.ChoiceField(choices=[("", "—"), ("a", "A & B"), ("b", "B")])
    fast = forms.ChoiceField(choices=[("a", "A"), ("b", "B")], widget=widgets.Select)
    answer = forms.ChoiceField(
        choices=[("none", "None"), ("found", "Found")],
        required=False,
        widget=forms.RadioSelect(attrs={"data-check": "x"}),
        help_text="Pick one.",
    )
    must = forms.ChoiceField(choices=[("1", "One"), ("2", "Two")], widget=forms.RadioSelect)
    people = forms.MultipleChoiceField(
        choices=[(1, "Ann"), (2, "Bob")], required=False, widget=forms.CheckboxSelectMultiple
    )
    photo = forms.ImageField(
        required=False, widget=forms.ClearableFileInput(attrs={"accept": "image/*"})
    )
    hidden = forms.CharField(widget=forms.HiddenInput, initial="h")
    flag = forms.BooleanField(required=False)
    styled = forms.CharField(required=False, widget=forms.TextInput(attrs={"class": "wide"}))
    grouped = forms.ChoiceField(
        required=False, choices=[("", "—"), ("Fruit", [("a", "Apple"), ("p", "Pear")])]
    )
    grouped_radio = forms.ChoiceField(
        required=False,
        widget=forms.RadioSelect,
        choices=[("Fruit", [("a", "Apple"), ("p", "Pear")]), ("b", "Bread")],
    )
    day = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))


def same(ours, theirs):
    assert parse_html(str(ours)) == parse_html(str(theirs))


@pytest.mark.parametrize("name", list(Everything.base_fields))
@pytest.mark.parametrize(
    "data",
    [
        None,
        {"name": "x", "kind": "a", "fast": "b", "answer": "found", "must": "2", "people": ["2"]},
    ],
)
def test_a_field_is_drawn_as_crispy_draws_it(name, data):
    # Each side its own form: crispy sets the widget's classes on the form's copy.
    same(
        as_field(Everything(data, prefix="p")[name]),
        as_crispy_field(Everything(data, prefix="p")[name]),
    )


def test_a_field_with_errors_is_crispys():
    bound = Everything({"count": "0"})["count"]
    assert bound.errors
    same(as_field(bound), as_crispy_field(Everything({"count": "0"})["count"]))


@pytest.mark.parametrize("data", [None, {"name": "x"}, {"name": "", "count": "x"}])
def test_a_form_is_drawn_as_crispy_draws_it(data):
    same(as_fields(Everything(data)), as_crispy_form(Everything(data)))


def test_a_field_id_of_its_own():
    same(
        as_field(Everything(auto_id="id_step_%s")["answer"]),
        as_crispy_field(Everything(auto_id="id_step_%s")["answer"]),
    )


class Custom(forms.Widget):
    template_name = "django/forms/widgets/text.html"
    input_type = "search"


class WithCustom(forms.Form):
    who = forms.CharField(required=False, widget=Custom, help_text="Type a name.")


def test_a_custom_widget_is_drawn_with_crispys_classes():
    same(as_field(WithCustom()["who"]), as_crispy_field(WithCustom()["who"]))


@pytest.mark.parametrize("name", list(Everything.base_fields))
@pytest.mark.parametrize("data", [None, {"note": "<a> & b", "grouped": "a", "day": "2026-01-02"}])
def test_a_widget_is_drawn_as_django_draws_it(name, data):
    same(_widget(Everything(data)[name]), str(Everything(data)[name]))


class Areas(forms.Form):
    """Model choices as a filter form has them: Django's select, gridmgmt's and
    django-filter's field with its empty and null choices."""

    area = forms.ModelChoiceField(queryset=Area.objects.order_by("code"), required=False)
    fast = forms.ModelChoiceField(
        queryset=Area.objects.order_by("code"), required=False, widget=widgets.Select
    )
    filtered = django_filters.fields.ModelChoiceField(
        queryset=Area.objects.order_by("code"), required=False, null_label="None"
    )
    # Required with no empty choice: Django's `required` test reads the first choice, a
    # query of its own unless the choices are read once.
    first = forms.ModelChoiceField(queryset=Area.objects.order_by("code"), empty_label=None)


class Ticked(forms.Form):
    """Model choices drawn as boxes and buttons."""

    several = forms.ModelMultipleChoiceField(
        queryset=Area.objects.order_by("code"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    one = forms.ModelChoiceField(
        queryset=Area.objects.order_by("code"), widget=forms.RadioSelect, empty_label=None
    )


@pytest.mark.django_db
@pytest.mark.parametrize("name", list(Ticked.base_fields))
def test_model_boxes_are_read_in_one_plain_query(name, django_assert_num_queries):
    district = make_area(Area.Kind.DISTRICT, code="D1")
    street = make_area(Area.Kind.STREET, district, code="S1", name="Street <1>")
    make_community(street, "S1-01", grids=2)
    second = Area.objects.get(code="S1-01-02")
    data = {"several": [second.pk], "one": second.pk}
    for form in (Ticked(), Ticked(data)):
        expected = as_crispy_field(type(form)(form.data or None)[name])
        form.is_valid()  # a bound form's validation reads the areas chosen, first
        with django_assert_num_queries(1) as captured:  # the areas, no server-side cursor
            drawn = as_field(form[name])
        assert "DECLARE" not in captured.captured_queries[0]["sql"]
        same(drawn, expected)
        assert bool(re.search(f'value="{second.pk}"[^>]* checked', drawn)) == form.is_bound


@pytest.mark.django_db
@pytest.mark.parametrize("name", list(Areas.base_fields))
def test_model_choices_are_read_in_one_plain_query(name, django_assert_num_queries):
    district = make_area(Area.Kind.DISTRICT, code="D1")
    street = make_area(Area.Kind.STREET, district, code="S1", name="Street <1>")
    make_community(street, "S1-01", grids=2)
    second = Area.objects.get(code="S1-01-02")
    data = {"area": second.pk, "fast": second.pk, "filtered": second.pk, "first": second.pk}
    for form in (Areas(), Areas(data)):
        expected = str(form[name])  # Django's own drawing, through queryset.iterator()
        with django_assert_num_queries(1) as captured:  # the areas, no server-side cursor
            drawn = _widget(form[name])
        assert "DECLARE" not in captured.captured_queries[0]["sql"]
        same(drawn, expected)
        assert (f'value="{second.pk}" selected' in drawn) == form.is_bound
