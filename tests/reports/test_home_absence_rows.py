"""The station home's rows of who is away today and who covers, written in Python
(reports.templatetags.home_rows.home_absence_rows), are byte for byte what the loop of
reports/_home_station.html wrote: the same elements, text, whitespace and escaping, in both
languages, covered or not, and with nobody away."""

import datetime

import pytest
from django.template import engines
from django.utils import translation

from grids.models import Area, Post, Role, User

# The card's list in reports/_home_station.html before its rows were written in Python.
BEFORE = """{% load i18n %}<ul class="list-group list-group-flush" data-absences>
          {% for row in station.absences %}
          <li class="list-group-item">
            <div class="d-flex justify-content-between flex-wrap gap-1">
              <strong>{{ row.post.holder_a.display_name }}</strong>
              <span class="small text-body-secondary">{% blocktranslate with day=row.until|date:"SHORT_DATE_FORMAT" %}away until {{ day }}{% endblocktranslate %}</span>
            </div>
            <div class="small">{{ row.post.get_role_display }} · {{ row.post.area.name }} ·
              {% if row.covering %}{% blocktranslate with name=row.covering.display_name %}covered by {{ name }}{% endblocktranslate %}{% else %}<span class="text-danger fw-semibold" data-uncovered>{% translate "B is away too: the station acts" %}</span>{% endif %}
            </div>
          </li>
          {% empty %}
          <li class="list-group-item text-body-secondary">{% translate "Nobody is away today." %}</li>
          {% endfor %}
        </ul>"""  # noqa: E501

AFTER = """{% load i18n home_rows %}<ul class="list-group list-group-flush" data-absences>
          {% if station.absences %}{{ station.absences|home_absence_rows }}{% else %}
          <li class="list-group-item text-body-secondary">{% translate "Nobody is away today." %}</li>
          {% endif %}
        </ul>"""  # noqa: E501


def test_the_station_template_holds_the_list_written_here():
    source = engines["django"].get_template("reports/_home_station.html").template.source
    assert AFTER.split("%}", 1)[1] in source


def absences(count):
    roles = [Role.GRID_MEMBER, Role.GRID_LEADER, Role.BUILDING_LEADER]
    found = []
    for n in range(count):
        area = Area(kind=Area.Kind.GRID, code=f"g{n}", name=f'Grid {n} & <i>"网格"</i>\'')
        holder_a = User(username=f"a{n}<&>", full_name="" if n % 2 else f'Ann "{n}" & <Bo>')
        holder_b = User(username=f"b{n}", full_name=f"Bea <{n}> & 'Co'")
        post = Post(area=area, role=roles[n % len(roles)], holder_a=holder_a, holder_b=holder_b)
        found.append(
            {
                "post": post,
                "until": datetime.date(2026, 12, 1 + n),
                "covering": holder_b if n % 3 else None,
            }
        )
    return found


@pytest.mark.parametrize("language", ["en", "zh-hans"])
@pytest.mark.parametrize("count", [0, 1, 6])
def test_the_rows_are_the_templates(language, count):
    class Station:
        pass

    Station.absences = absences(count)
    with translation.override(language):
        expected = engines["django"].from_string(BEFORE).render({"station": Station()})
        drawn = engines["django"].from_string(AFTER).render({"station": Station()})
    assert drawn == expected
    if count == 6:
        assert "&lt;Bo&gt;" in drawn and "data-uncovered" in drawn and "a1&lt;&amp;&gt;" in drawn
