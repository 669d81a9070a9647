"""The home page's incident lists, written in Python (reports.templatetags.home_rows), are
byte for byte what its loops over incidents/_row.html wrote: the same elements, text,
whitespace and escaping, in both languages, for each of the four lists."""

import pytest
from django.template import engines
from django.utils import translation

from tests.incidents.test_list_rows import NOW, incidents

# The home's loops (station: late and escalated; grid leader; mine) before the rows were
# written in Python: each the same but for the list and the words when it is empty.
BEFORE = """<div class="list-group list-group-flush" data-late>
          {% for incident in station.late_incidents %}{% include "incidents/_row.html" with incident=incident only %}
          {% empty %}<div class="list-group-item text-body-secondary">{% translate "No incident is late or close to its deadline." %}</div>{% endfor %}
        </div>"""  # noqa: E501

AFTER = """<div class="list-group list-group-flush" data-late>
          {% if station.late_incidents %}{{ station.late_incidents|home_incident_rows }}{% else %}<div class="list-group-item text-body-secondary">{% translate "No incident is late or close to its deadline." %}</div>{% endif %}
        </div>"""  # noqa: E501


def test_the_home_templates_hold_the_loop_written_here():
    """AFTER is what the home's templates hold, for each list (so that the test below is
    about them)."""
    for name, listed in [
        ("reports/_home_station.html", "station.late_incidents"),
        ("reports/_home_station.html", "station.escalations"),
        ("reports/_home_leader.html", "leader.incidents"),
        ("reports/_home_mine.html", "incidents"),
    ]:
        source = engines["django"].get_template(name).template.source
        assert (
            f"{{% if {listed} %}}{{{{ {listed}|home_incident_rows }}}}{{% else %}}<div " in source
        )
        assert "incidents/_row.html" not in source


@pytest.mark.parametrize("language", ["en", "zh-hans"])
@pytest.mark.parametrize("count", [0, 1, 5])
def test_the_rows_are_the_templates(language, count):
    rows = incidents()[:count]
    for incident in rows:
        incident.light_now = incident.light(NOW)

    class Station:
        late_incidents = rows

    with translation.override(language):
        expected = (
            engines["django"].from_string("{% load i18n %}" + BEFORE).render({"station": Station()})
        )
        drawn = (
            engines["django"]
            .from_string("{% load i18n home_rows %}" + AFTER)
            .render({"station": Station()})
        )
    assert drawn == expected
    if count == 5:
        assert "Ann &amp; &lt;Bo&gt;" in drawn and "&lt;full&gt;" in drawn
