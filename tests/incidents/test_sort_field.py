"""The incident list's sort (incidents.templatetags.incident_filters.sort_field) is written
as crispy forms drew it through `as_field`, byte for byte, in both languages, whatever the
sort; a sort with errors or of several orderings is still drawn by crispy."""

import pytest
from crispy_forms.templatetags.crispy_forms_filters import as_crispy_field
from django.http import QueryDict
from django.utils import translation

from incidents.intake_forms import IncidentFilter
from incidents.models import Incident
from incidents.templatetags.incident_filters import sort_field


def sort_of(query):
    """The sort field of a new filter form (crispy changes the widget it draws)."""
    return IncidentFilter(QueryDict(query), queryset=Incident.objects.all()).form["sort"]


@pytest.mark.parametrize("language", ["en", "zh-hans"])
@pytest.mark.parametrize(
    "query",
    ["", "sort=filed", "sort=-filed", "sort=-deadline", "sort=number", "state=closed&sort=-number"],
)
def test_the_sort_is_written_as_crispy_drew_it(db, language, query):
    with translation.override(language):
        drawn = str(sort_field(sort_of(query)))
        assert drawn == str(as_crispy_field(sort_of(query)))
    assert 'class="csvselect form-select" id="id_sort"' in drawn
    if "sort=" in query:
        assert f'value="{query.rpartition("sort=")[2]}" selected>' in drawn
    else:
        assert '<option value="" selected>' in drawn


@pytest.mark.parametrize("query", ["sort=bogus", "sort=filed,number"])
def test_a_sort_crispy_draws_otherwise_is_left_to_it(db, query):
    drawn = str(sort_field(sort_of(query)))
    assert drawn == str(as_crispy_field(sort_of(query)))
