"""The home page's rows of today's patrol windows, written in Python
(reports.templatetags.home_rows.home_window_rows), are byte for byte what the loop of
reports/_home_windows.html wrote: the same elements, text, whitespace and escaping, in both
languages, for the station's board and a grid worker's grids."""

import pytest
from django.template import engines
from django.utils import translation

from grids.models import Area
from patrols.board import Cell, Row, State

# reports/_home_windows.html before its rows were written in Python.
BEFORE = """{% load i18n %}<div class="list-group list-group-flush" data-windows>
  {% for row in rows %}
  <div class="list-group-item d-flex justify-content-between align-items-center flex-wrap gap-2" data-grid="{{ row.grid.code }}">
    <a href="{{ row.grid.get_absolute_url }}">{{ row.grid.name }}</a>
    <span class="d-flex gap-1 flex-wrap">
      {% for cell in row.cells %}<span class="badge {{ cell.badge }}" data-slot="{{ cell.slot }}" data-state="{{ cell.state }}">{% if cell.slot == "am" %}{% translate "Morning" %}{% else %}{% translate "Afternoon" %}{% endif %}: {{ cell.state.label }}</span>{% endfor %}
    </span>
  </div>
  {% endfor %}
</div>
"""  # noqa: E501


def rows(count):
    states = list(State)
    found = []
    for n in range(count):
        grid = Area(
            kind=Area.Kind.GRID,
            code=f"01-01-0{n}<&\"'",
            name=f'Grid {n} & <b>"quoted"</b> 网格\'',
        )
        cells = [
            Cell("am", states[n % len(states)]),
            Cell("pm", states[(n + 1) % len(states)]),
        ]
        found.append(Row(grid, cells[: 1 + n % 2] if n % 3 == 2 else cells))
    return found


@pytest.mark.parametrize("language", ["en", "zh-hans"])
@pytest.mark.parametrize("count", [0, 1, 8])
def test_the_rows_are_the_templates(language, count):
    listed = rows(count)
    with translation.override(language):
        expected = engines["django"].from_string(BEFORE).render({"rows": listed})
        drawn = (
            engines["django"].get_template("reports/_home_windows.html").render({"rows": listed})
        )
    assert drawn == expected
    if count == 8:
        assert "&lt;b&gt;&quot;quoted&quot;" in drawn and 'data-state="missing"' in drawn
