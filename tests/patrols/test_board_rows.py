"""The board's waiting list and grids' table, written in Python, are the markup the template
wrote row by row: the same elements, text and escaping, in both languages."""

import datetime
import re

import pytest
from django.template import engines
from django.test.html import parse_html
from django.utils import translation

from grids.models import Area, User
from patrols.board import Cell, Group, Row, State
from patrols.models import DaySignOff, Patrol
from patrols.templatetags.patrol_board import grid_rows, waiting_rows

# patrols/board.html's loop before the list was written in Python.
TEMPLATE = """{% load i18n row_urls %}{% for patrol in waiting %}
  <a class="list-group-item list-group-item-action d-flex justify-content-between gap-2" href="{{ patrol.pk|url_of:"patrols:detail" }}" data-waiting="{{ patrol.pk }}">
    <span><strong>{{ patrol.grid.name }}</strong> · {{ patrol.get_slot_display }}<br><span class="small text-body-secondary">{{ patrol.member.display_name }}</span></span>
    <span class="text-end small">{% if patrol.duration_minutes is not None %}{% blocktranslate with minutes=patrol.duration_minutes %}{{ minutes }} min{% endblocktranslate %}{% endif %}{% if patrol.is_short %}<br><span class="badge text-bg-warning">{% translate "Short" %}</span>{% endif %}{% if patrol.is_all_none %}<br><span class="badge text-bg-warning" data-all-none>{% translate "nothing found" %}</span>{% endif %}</span>
  </a>
{% endfor %}"""  # noqa: E501


def patrols():
    grid = Area(pk=7, kind=Area.Kind.GRID, name='North <&> "1"', code="G1")
    named = User(pk=3, username="ann", full_name="Ann & <Bo>")
    unnamed = User(pk=4, username="bob", full_name="")
    rows = [
        Patrol(pk=1, slot="am", duration_minutes=45, is_short=False, is_all_none=False),
        Patrol(pk=22, slot="pm", duration_minutes=None, is_short=True, is_all_none=True),
        Patrol(pk=123456, slot="", duration_minutes=1500, is_short=True, is_all_none=False),
        Patrol(pk=9, slot="am", duration_minutes=0, is_short=False, is_all_none=True),
    ]
    for i, patrol in enumerate(rows):
        patrol.grid = grid
        patrol.member = named if i % 2 else unnamed
        patrol.member_name = patrol.member.display_name  # as the board's view reads it
    return rows


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_the_rows_are_the_templates(language):
    with translation.override(language):
        expected = engines["django"].from_string(TEMPLATE).render({"waiting": patrols()})
        drawn = waiting_rows(patrols())
    assert parse_html(drawn) == parse_html(expected)
    assert "&lt;Bo&gt;" in drawn and "&lt;&amp;&gt;" in drawn


def test_no_rows():
    assert waiting_rows([]) == ""


# patrols/board.html's table rows before they were written in Python.
GRID_ROWS = """{% load i18n row_urls %}{% for row in rows %}
      <tr data-grid="{{ row.grid.code }}">
        <th scope="row" class="fw-normal text-truncate">{{ row.grid.name }}</th>
        {% for cell in row.cells %}
        <td class="text-center" data-slot="{{ cell.slot }}" data-state="{{ cell.state }}">
          {% if cell.patrol %}<a class="badge {{ cell.badge }} text-decoration-none" href="{{ cell.patrol.pk|url_of:"patrols:detail" }}">{{ cell.state.label }}</a>{% if cell.patrol.is_all_none %} <span class="badge text-bg-warning" data-all-none title="{% translate 'All four checks none, nothing observed' %}">{% translate "nothing found" %}</span>{% endif %}{% else %}<span class="badge {{ cell.badge }}">{{ cell.state.label }}</span>{% endif %}
        </td>
        {% endfor %}
      </tr>
    {% endfor %}"""  # noqa: E501


def board_rows():
    logs = patrols()
    grids = [
        Area(pk=7, kind=Area.Kind.GRID, name='North <&> "1"', code="G<1>"),
        Area(pk=8, kind=Area.Kind.GRID, name="南区", code="G2"),
    ]
    states = list(State)
    rows = []
    for i, grid in enumerate(grids):
        cells = [
            Cell("am", states[i % len(states)], logs[i]),
            Cell("pm", states[(i + 3) % len(states)], None),
        ]
        rows.append(Row(grid, cells))
    rows.append(Row(grids[0], [Cell("am", State.SHORT, logs[1]), Cell("pm", State.DONE, logs[3])]))
    return rows


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_the_grid_rows_are_the_templates(language):
    with translation.override(language):
        expected = engines["django"].from_string(GRID_ROWS).render({"rows": board_rows()})
        drawn = grid_rows(board_rows())
    assert drawn == expected
    assert "G&lt;1&gt;" in drawn and "data-all-none" in drawn
    assert grid_rows([]) == ""


# patrols/board.html's sections of the communities before they were written in Python.
GROUPS = """{% load i18n patrol_board %}{% for group in groups %}
<section class="mb-3" aria-labelledby="community-{{ group.community.pk }}">
  <div class="d-flex justify-content-between align-items-center flex-wrap gap-1 mb-1">
    {% if is_street %}
    <h2 class="h6 mb-0" id="community-{{ group.community.pk }}"><a href="?day={{ day_iso }}&amp;area={{ group.community.code }}">{{ group.community.name }}</a></h2>
    {% else %}
    <h2 class="visually-hidden" id="community-{{ group.community.pk }}">{{ group.community.name }}</h2>
    {% endif %}
    {% if group.sign_off %}
    <span class="small text-success" data-signed-off>{% blocktranslate with name=group.sign_off.signed_by.display_name at=group.sign_off.signed_at|date:"SHORT_DATETIME_FORMAT" %}Signed off by {{ name }}, {{ at }}{% endblocktranslate %}</span>
    {% elif group.waiting %}
    <span class="small text-body-secondary">{% blocktranslate count counter=group.waiting %}{{ counter }} log waits for review{% plural %}{{ counter }} logs wait for review{% endblocktranslate %}</span>
    {% endif %}
  </div>
  <table class="table table-sm table-hover align-middle mb-1">
    <thead><tr>
      <th scope="col">{% translate "Grid" %}</th>
      <th scope="col" class="text-center">{% translate "Morning" %}</th>
      <th scope="col" class="text-center">{% translate "Afternoon" %}</th>
    </tr></thead>
    <tbody>
    {{ group.rows|grid_rows }}
    </tbody>
  </table>
  {% if group.can_sign_off %}
  <form method="post" action="{{ group.sign_off_url }}" class="d-flex gap-1">
    {% csrf_token %}
    <input type="hidden" name="day" value="{{ day_iso }}">
    <label class="visually-hidden" for="note-{{ group.community.pk }}">{% translate "Note" %}</label>
    <input class="form-control form-control-sm" id="note-{{ group.community.pk }}" name="note" maxlength="2000" placeholder="{% translate 'Note (optional)' %}">
    <button class="btn btn-success btn-sm text-nowrap" type="submit">{% blocktranslate with community=group.community.name %}Sign off {{ community }}{% endblocktranslate %}</button>
  </form>
  {% endif %}
</section>
{% endfor %}"""  # noqa: E501


def groups():
    rows = board_rows()
    communities = [
        Area(pk=1201, kind=Area.Kind.COMMUNITY, name='East <&> "A"', code="C<1>"),
        Area(pk=1202, kind=Area.Kind.COMMUNITY, name="西社区", code="C2"),
    ]
    signed = DaySignOff(
        signed_at=datetime.datetime(2026, 11, 28, 23, 40, tzinfo=datetime.UTC),
        signed_by=User(full_name="Ann & <Bo>"),
    )
    return [
        Group(communities[0], rows[:1], sign_off=signed),
        Group(communities[1], rows[1:], waiting=1),
        Group(communities[0], rows[2:], waiting=1234),
        Group(communities[1], rows, can_sign_off=True, sign_off_url="/patrols/board/C2/sign-off/"),
        Group(communities[0], [], can_sign_off=True, sign_off_url="/patrols/board/C%3C1%3E/"),
    ]


@pytest.mark.parametrize("language", ["en", "zh-hans"])
@pytest.mark.parametrize("is_street", [True, False])
def test_the_communities_sections_are_the_templates(rf, language, is_street):
    request = rf.get("/patrols/board/")
    context = {"is_street": is_street, "day_iso": "2026-11-28"}
    with translation.override(language):
        expected = (
            engines["django"].from_string(GROUPS).render({**context, "groups": groups()}, request)
        )
        drawn = (
            engines["django"]
            .from_string("{% load patrol_board %}{% board_groups groups %}")
            .render({**context, "groups": groups()}, request)
        )
    # The CSRF token is masked afresh each time it is written.
    assert unmasked(drawn) == unmasked(expected)
    assert drawn.count("csrfmiddlewaretoken") == 2 and "data-signed-off" in drawn
    assert "Ann &amp; &lt;Bo&gt;" in drawn and "East &lt;&amp;&gt;" in drawn


def unmasked(html):
    return re.sub(r'name="csrfmiddlewaretoken" value="\w+"', 'name="csrfmiddlewaretoken"', html)
