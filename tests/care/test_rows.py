"""The visits due written in Python (care.templatetags.care_rows) are, byte for byte, what
the templates wrote row by row: the home page's and the patrol's short lists, and the
visits-due list, in both languages, with the values escaped as the template escaped them."""

import datetime

import pytest
from django.template import engines
from django.utils import translation

from care.models import CarePlan
from grids.models import Area, Household, Resident
from patrols.models import Patrol

# care/_due_rows.html before its rows were written in Python.
SHORT = """{% load i18n row_urls %}{% for plan in plans %}
<a class="list-group-item list-group-item-action{% if plan.is_late %} list-group-item-danger{% endif %}" href="{{ plan.resident_id|url_of:"care:person" }}{% if patrol %}?patrol={{ patrol.pk }}{% endif %}" data-care-due="{{ plan.resident_id }}">
  <div class="d-flex justify-content-between flex-wrap gap-1">
    <strong>{{ plan.resident.name }}</strong>
    <span class="small">{% blocktranslate with due=plan.next_due_on|date:"SHORT_DATE_FORMAT" %}due {{ due }}{% endblocktranslate %}{% if plan.is_late %} <span class="badge text-bg-danger">{% translate "overdue" %}</span>{% endif %}</span>
  </div>
  <div class="small text-body-secondary">{{ plan.grid.name }} · {{ plan.resident.household }}</div>
</a>
{% empty %}
<div class="list-group-item text-body-secondary">{% translate "No visits due." %}</div>
{% endfor %}
"""  # noqa: E501

# care/due_list.html's list before its rows were written in Python.
LIST = """{% load i18n row_urls %}<div class="list-group" data-care-list>
{% for plan in page.object_list %}
  <a class="list-group-item list-group-item-action{% if plan.is_late %} list-group-item-danger{% endif %}" href="{{ plan.resident_id|url_of:"care:person" }}" data-care-due="{{ plan.resident_id }}">
    <div class="d-flex justify-content-between flex-wrap gap-1">
      <strong>{{ plan.resident.name }}</strong>
      <span class="small">{% blocktranslate with due=plan.next_due_on|date:"SHORT_DATE_FORMAT" %}due {{ due }}{% endblocktranslate %}{% if plan.is_late %} <span class="badge text-bg-danger">{% translate "overdue" %}</span>{% endif %}</span>
    </div>
    <div class="small text-body-secondary">{{ plan.grid.name }} · {{ plan.resident.household }}{% if plan.shown_tags %} · {{ plan.shown_tags|join:"、" }}{% endif %}{% if plan.last_visited_on %} · {% blocktranslate with on=plan.last_visited_on|date:"SHORT_DATE_FORMAT" %}last visit {{ on }}{% endblocktranslate %}{% endif %}</div>
  </a>
{% empty %}
  <div class="list-group-item text-body-secondary">{% translate "No visits due." %}</div>
{% endfor %}
</div>"""  # noqa: E501


def plans():
    north = Area(pk=7, kind=Area.Kind.GRID, name='North <&> "1"', code="G1")
    south = Area(pk=8, kind=Area.Kind.GRID, name="南区", code="G2")
    rows = []
    for n, (name, address, room, grid, late, tags, last) in enumerate(
        [
            ("Ann & <Bo>", "Elm St. 5", "3-2 <a>", north, True, ["独居老人", "A&B"], None),
            ("王芳", "榕城路 8号", "", south, False, [], datetime.date(2026, 11, 2)),
            ('O\'Hara "Jr"', "1 'Quay'", "12", north, True, [], datetime.date(2025, 1, 31)),
            ("李四", "榕城路 9号", "101", south, False, ["低保户"], None),
        ]
    ):
        household = Household(pk=100 + n, address=address, room=room, grid=grid)
        resident = Resident(pk=[5, 123456, 90, 1][n], name=name, household=household)
        plan = CarePlan(
            pk=n + 1,
            resident=resident,
            grid=grid,
            next_due_on=datetime.date(2026, 11, 9 + 7 * n),
            last_visited_on=last,
        )
        plan.is_late, plan.shown_tags = late, tags
        rows.append(plan)
    return rows


def render(source, **context):
    return engines["django"].from_string(source).render(context)


@pytest.mark.parametrize("language", ["en", "zh-hans"])
@pytest.mark.parametrize("count", [0, 1, 4])
def test_the_short_lists_are_the_templates(language, count):
    patrol = Patrol(pk=31)
    with translation.override(language):
        for context in ({}, {"patrol": patrol}):
            expected = render(SHORT, plans=plans()[:count], **context)
            drawn = render(
                '{% include "care/_due_rows.html" with plans=plans patrol=patrol only %}'
                if context
                else '{% include "care/_due_rows.html" with plans=plans only %}',
                plans=plans()[:count],
                **context,
            )
            assert drawn == expected
    if count:
        assert "Ann &amp; &lt;Bo&gt;" in drawn and "?patrol=31" in drawn


@pytest.mark.parametrize("language", ["en", "zh-hans"])
@pytest.mark.parametrize("count", [0, 1, 4])
def test_the_list_is_the_templates(language, count):
    class Page:
        object_list = plans()[:count]

    with translation.override(language):
        expected = render(LIST, page=Page())
        source = engines["django"].get_template("care/due_list.html").template.source
        start = source.index('<div class="list-group" data-care-list>')
        end = source.index("</div>\n{% include", start) + len("</div>")
        drawn = render("{% load i18n care_rows %}" + source[start:end], page=Page())
    assert drawn == expected
    if count == 4:
        assert "A&amp;B" in drawn and "O&#x27;Hara &quot;Jr&quot;" in drawn
