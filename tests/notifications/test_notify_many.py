"""Notifications written in bulk by the sweeps: each person hears each key once, in their
own language, in one query per batch; their emails are owed to the sweep that sends them."""

import datetime

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from notifications.models import Notification
from notifications.services import notify, notify_many, send_owed_emails


def notices(world, key="bulk"):
    return [
        {
            "recipients": [world.a.grid_member, world.a.grid_leader, world.a.grid_member],
            "key": key,
            "title": _("Missed patrol: %(grid)s, %(day)s %(slot)s"),
            "params": {"grid": "G1", "day": "2026-11-28", "slot": "am"},
            "url": "/patrols/board/",
        },
        {"recipients": [world.a.grid_member, None], "key": f"{key}-2", "title": "Plain 100%"},
    ]


def test_each_person_hears_each_key_once_however_often_it_runs(world):
    assert notify_many(notices(world)) == 3
    assert notify_many(notices(world)) == 0
    # notify and notify_many share the key: neither writes a second one.
    assert notify([world.a.grid_member], key="bulk", title="Again") == []
    rows = Notification.objects.filter(key__startswith="bulk")
    assert sorted(rows.values_list("recipient__username", "key")) == [
        ("gl_a", "bulk"),
        ("gm_a", "bulk"),
        ("gm_a", "bulk-2"),
    ]
    plain = rows.get(key="bulk-2")
    assert (plain.title, plain.kind, plain.created_at is not None) == ("Plain 100%", "other", True)


def test_each_recipient_reads_it_in_their_own_language(world):
    world.a.grid_member.language = "zh-hans"
    world.a.grid_member.save()
    notify_many(notices(world))
    titles = dict(
        Notification.objects.filter(key="bulk").values_list("recipient__username", "title")
    )
    assert titles["gl_a"] == "Missed patrol: G1, 2026-11-28 am"
    assert titles["gm_a"] != titles["gl_a"] and "G1" in titles["gm_a"]
    assert Notification.objects.get(key="bulk", recipient=world.a.grid_leader).kind == "other"


def test_many_notices_cost_one_query_per_batch(world, settings, django_assert_num_queries):
    settings.SWEEP_BATCH = 2
    many = [{"recipients": [world.a.grid_member], "key": f"k{n}", "title": "T"} for n in range(5)]
    with django_assert_num_queries(3):  # three inserts: 2 + 2 + 1 rows
        assert notify_many(many) == 5
    with django_assert_num_queries(0):
        assert notify_many([]) == 0


def test_their_emails_are_owed_to_the_sweep(world, time_machine):
    world.a.grid_member.email = "gm@example.com"
    world.a.grid_member.save()
    time_machine.move_to(timezone.now(), tick=False)
    notify_many(notices(world))
    time_machine.move_to(timezone.now() + datetime.timedelta(minutes=2), tick=False)
    owed = Notification.objects.filter(recipient=world.a.grid_member)
    assert sorted(send_owed_emails()) == sorted(owed.values_list("pk", flat=True))
