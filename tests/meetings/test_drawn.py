"""The meeting page's agenda is written in one pass (meetings.widgets.AgendaRows): the HTML is
byte for byte what the template's loop over the items wrote, for the station (with its
forms) and for a participant (without), escaping and all."""

import datetime
import html
import re

import pytest
import time_machine
from django.template import Context, Template

from meetings.models import AgendaItem
from tests.incidents.factories import local, make_incident
from tests.meetings.test_agenda import make_meeting

D = datetime.date
DURING = local(D(2026, 12, 7), 9, 30)

# The loop of templates/meetings/_meeting_agenda.html before it was written in Python.
OLD_LOOP = (
    "{% load i18n row_urls %}"
    "{% for item in agenda %}\n"
    '    <li class="list-group-item d-flex gap-2" id="agenda-{{ item.pk }}"'
    ' data-agenda-item="{{ item.pk }}" data-source="{{ item.source }}">\n'
    '      <div class="flex-grow-1 min-w-0">\n'
    '        <span class="badge text-bg-light border">{{ item.get_source_display }}</span>\n'
    '        {% if item.incident %}<a href="{{ item.incident.get_absolute_url }}">'
    "{{ item.text }}</a>"
    '{% elif item.grid and item.source == "missed" %}<a href="{{ item.grid.get_absolute_url }}">'
    "{{ item.text }}</a>{% else %}{{ item.text }}{% endif %}\n"
    '        {% if item.note %}<div class="small text-body-secondary">'
    "{{ item.note|linebreaksbr }}</div>{% endif %}\n"
    "        {% if can_edit %}\n"
    '        <details class="mt-1">\n'
    '          <summary class="small">{% translate "Edit" %}</summary>\n'
    '          <form method="post" action="{{ item.pk|url_of:"meetings:agenda_edit" }}"'
    ' class="mt-2">{% csrf_token %}\n'
    '            <label class="form-label small" for="agenda-text-{{ item.pk }}">'
    '{% translate "Item" %}</label>\n'
    '            <input class="form-control mb-2" id="agenda-text-{{ item.pk }}" name="text"'
    ' value="{{ item.text }}" maxlength="300" required>\n'
    '            <label class="form-label small" for="agenda-note-{{ item.pk }}">'
    '{% translate "Note" %}</label>\n'
    '            <textarea class="form-control mb-2" id="agenda-note-{{ item.pk }}" name="note"'
    ' rows="2">{{ item.note }}</textarea>\n'
    '            <button class="btn btn-primary btn-sm w-100" type="submit">'
    '{% translate "Save the item" %}</button>\n'
    "          </form>\n"
    '          <form method="post" action="{{ item.pk|url_of:"meetings:agenda_delete" }}"'
    ' class="mt-2">{% csrf_token %}\n'
    '            <button class="btn btn-outline-danger btn-sm w-100" type="submit">'
    '{% translate "Remove from the agenda" %}</button>\n'
    "          </form>\n"
    "        </details>\n"
    "        {% endif %}\n"
    "      </div>\n"
    "      {% if can_edit %}\n"
    '      <form method="post" action="{{ item.pk|url_of:"meetings:agenda_move" }}"'
    ' class="d-flex flex-column gap-1 agenda-move">{% csrf_token %}\n'
    '        <button class="btn btn-sm btn-outline-secondary" name="direction" value="up"'
    ' type="submit"{% if forloop.first %} disabled{% endif %}'
    " aria-label=\"{% translate 'Move up' %}\">"
    "↑</button>\n"
    '        <button class="btn btn-sm btn-outline-secondary" name="direction" value="down"'
    ' type="submit"{% if forloop.last %} disabled{% endif %}'
    " aria-label=\"{% translate 'Move down' %}\">"
    "↓</button>\n"
    "      </form>\n"
    "      {% endif %}\n"
    "    </li>\n"
    "  {% empty %}\n"
    '    <li class="list-group-item text-body-secondary">'
    '{% translate "Nothing on the agenda yet." %}</li>\n'
    "  {% endfor %}"
)


def _old(response, drawn):
    """The old loop over the page's items, with the CSRF token the page wrote (each reading
    of the request's token masks it anew)."""
    context = response.context
    tokens = set(re.findall(r'name="csrfmiddlewaretoken" value="([^"]+)"', drawn))
    assert len(tokens) <= 1
    return Template(OLD_LOOP).render(
        Context(
            {
                "agenda": context["agenda"],
                "can_edit": context["can_edit"],
                "csrf_token": tokens.pop() if tokens else context["csrf_token"],
            }
        )
    )


@pytest.fixture
def meeting(world):
    a = world.a
    meeting = make_meeting(a.community, local(D(2026, 12, 7), 9))
    incident = make_incident(a.grid, a.grid_member, title="楼道堆物")
    items = [
        ("supervised", "A <b>\"quoted\"</b> & 'odd' item", "", incident, a.grid),
        ("missed", "漏巡 T-01", "第一行\n第二行 <i>&", None, a.grid),
        ("other", "传达部署", "备注", None, None),
        ("overdue", "逾期 > 7 天", "", None, a.grid),
    ]
    for position, (source, text, note, on, grid) in enumerate(items, start=1):
        AgendaItem.objects.create(
            meeting=meeting,
            position=position,
            source=source,
            text=text,
            note=note,
            incident=on,
            grid=grid,
        )
    return meeting


@pytest.mark.parametrize("who", ["stationmaster", "grid_member"])
@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_the_agenda_is_written_as_the_templates_loop_wrote_it(
    client, world, meeting, who, language
):
    client.force_login(getattr(world.a, who))
    with time_machine.travel(DURING, tick=False):
        response = client.get(meeting.get_absolute_url(), HTTP_ACCEPT_LANGUAGE=language)
    assert response.status_code == 200
    assert response.context["can_edit"] is (who == "stationmaster")
    assert len(response.context["agenda"]) == 4
    drawn = str(response.context["agenda_rows"])
    assert drawn == _old(response, drawn)
    assert drawn in response.content.decode()
    assert "&lt;b&gt;&quot;quoted&quot;&lt;/b&gt; &amp; &#x27;odd&#x27;" in drawn
    assert "第一行<br>第二行 &lt;i&gt;&amp;" in drawn
    assert drawn.count("csrfmiddlewaretoken") == (12 if who == "stationmaster" else 0)


def test_an_empty_agenda_says_so_as_the_template_did(client, world):
    meeting = make_meeting(world.a.community, local(D(2026, 12, 7), 9))
    client.force_login(world.a.stationmaster)
    with time_machine.travel(DURING, tick=False):
        response = client.get(meeting.get_absolute_url())
    assert not response.context["agenda"]
    drawn = str(response.context["agenda_rows"])
    assert drawn == _old(response, drawn)
    assert "list-group-item text-body-secondary" in drawn


def test_the_attendance_buttons_escape_their_prefix_values_and_labels():
    """meetings.widgets.AttendanceButtons works out each choice's markup once for the
    widget; a row's buttons are still those of its prefix and value, every part escaped."""
    from django.utils.safestring import mark_safe

    from meetings.widgets import AttendanceButtons

    buttons = AttendanceButtons(
        choices=[("present", "In <b>"), ("a&b", mark_safe("<i>x</i>")), ("x", 'say "hi"')]
    )
    drawn = []
    for prefix, value in (('p1"&', "a&b"), ("p2", "present"), ("p3", "")):
        buttons.id_prefix = prefix
        drawn.append(str(buttons.render(f"{prefix}-attendance", value)))

    def expected(prefix, value):
        """As the widget wrote them before: each button's parts escaped as they were drawn."""
        rows = []
        for option, colour, label in (
            ("present", "success", "In &lt;b&gt;"),
            ("a&b", "warning", "<i>x</i>"),
            ("x", "warning", "say &quot;hi&quot;"),
        ):
            ident = html.escape(f"{prefix}-{option}")
            checked = " checked" if option == value else ""
            rows.append(
                f'\n          <input type="radio" class="btn-check"'
                f' name="{html.escape(prefix + "-attendance")}" id="{ident}"'
                f' value="{html.escape(option)}" autocomplete="off" data-attendance{checked}>\n'
                f'          <label class="btn btn-outline-{colour}" for="{ident}">'
                f"{label}</label>\n          "
            )
        return "".join(rows)

    assert drawn == [expected('p1"&', "a&b"), expected("p2", "present"), expected("p3", "")]
