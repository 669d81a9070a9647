"""The board's waiting list, written in Python, is the markup the template wrote row by
row: the same elements, text and escaping, in both languages."""

import pytest
from django.template import engines
from django.test.html import parse_html
from django.utils import translation

from grids.models import Area, User
from patrols.models import Patrol
from patrols.templatetags.patrol_board import waiting_rows

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
