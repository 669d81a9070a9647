"""A notification's text is whole in its recipient's language: counts take the right form
in English and no English is left in Chinese; a person's own note is passed on as written."""

import datetime
import re

import time_machine
from django.utils import translation

from grids.models import Absence, Post, Role, User
from grids.scope import Scope
from incidents import services
from notifications.models import Notification
from tests.incidents.factories import local, make_incident

LATIN_WORD = re.compile(r"[A-Za-z]{2,}")
MONDAY = datetime.date(2026, 11, 30)


def _cover_one_incident(world, backup_language, active):
    """A's grid member is away today with one open incident; B (reading `backup_language`)
    is told, by a task running under the `active` language."""
    member, backup, station = world.a.grid_member, world.a.grid_member_b, world.a.stationmaster
    User.objects.filter(pk=member.pk).update(full_name="李网格员")
    User.objects.filter(pk=backup.pk).update(language=backup_language)
    post = Post.objects.get(area=world.a.grid, role=Role.GRID_MEMBER)
    with time_machine.travel(local(MONDAY - datetime.timedelta(days=3), 10), tick=False):
        incident = make_incident(world.a.grid, station)
        services.take_step(incident, "assign", by=station, scope=Scope(station), post=post)
    Absence.objects.create(user=member, starts_on=MONDAY, ends_on=MONDAY)
    with time_machine.travel(local(MONDAY, 7, 30), tick=False), translation.override(active):
        assert services.tell_acting_holders() == 1
    return Notification.objects.get(recipient=backup, key__startswith="absence-cover:")


def test_one_incident_is_one_incident_in_english(world):
    notification = _cover_one_incident(world, "en", active="zh-hans")
    assert notification.title == "You are covering for 李网格员: 1 open incident"


def test_a_chinese_recipients_title_has_no_english_word(world):
    notification = _cover_one_incident(world, "zh-hans", active="en")
    assert notification.title == "您正在代李网格员履职：1 件未办结事件"
    assert not LATIN_WORD.search(notification.title)


def test_a_note_with_a_percent_sign_reaches_the_handler_as_written(world):
    station, member = world.a.stationmaster, world.a.grid_member
    post = Post.objects.get(area=world.a.grid, role=Role.GRID_MEMBER)
    incident = make_incident(world.a.grid, station)
    incident = services.take_step(incident, "assign", by=station, scope=Scope(station), post=post)
    note = "已完成50%，剩下的 100% 本周内办完"
    services.supervise(incident, by=station, scope=Scope(station), note=note)
    urged = Notification.objects.get(recipient=member, key__startswith="urge:")
    assert urged.body == note
    assert urged.title == f"{incident.number} is supervised: please settle it"
