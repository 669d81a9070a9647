import datetime
import time

import pytest
from django.core import mail
from django.db import transaction
from django.utils import timezone

from notifications.models import Notification
from notifications.services import notify
from notifications.tasks import send_notification_email


def test_the_same_key_reaches_each_person_once(world):
    first = notify([world.a.grid_member, world.a.grid_leader], key="k1", title="Hello")
    again = notify([world.a.grid_member, world.a.grid_leader], key="k1", title="Hello")
    assert len(first) == 2 and again == []
    assert Notification.objects.filter(key="k1").count() == 2


def test_each_recipient_gets_their_own_language(world):
    from django.utils.translation import gettext_lazy as _

    world.a.grid_member.language = "zh-hans"
    world.a.grid_member.save()
    notify([world.a.grid_member, world.a.grid_leader], key="lang", title=_("Grids"))
    titles = dict(
        Notification.objects.filter(key="lang").values_list("recipient__username", "title")
    )
    assert titles == {"gm_a": "网格", "gl_a": "Grids"}


def test_sending_the_email_is_idempotent(world):
    (notification,) = notify([world.a.grid_member], key="mail", title="Patrol missed")
    send_notification_email(notification.pk)
    send_notification_email(notification.pk)
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["gm_a@example.com"]
    notification.refresh_from_db()
    assert notification.emailed_at is not None


def test_a_vanished_notification_is_ignored(db):
    send_notification_email(987654)
    assert mail.outbox == []


def test_inbox_lists_only_my_notifications(client, world):
    notify([world.a.grid_member], key="mine", title="Mine")
    notify([world.b.grid_member], key="theirs", title="Theirs")
    client.force_login(world.a.grid_member)
    body = client.get("/notifications/").content.decode()
    assert "Mine" in body and "Theirs" not in body


def test_the_header_counts_unread_and_opening_marks_read(client, world):
    (n,) = notify([world.a.grid_member], key="one", title="One", url="/grids/")
    client.force_login(world.a.grid_member)
    assert "data-unread>1<" in client.get("/").content.decode()
    response = client.post(f"/notifications/{n.pk}/open/")
    assert response.status_code == 302 and response["Location"] == "/grids/"
    assert Notification.objects.get(pk=n.pk).is_read
    assert "data-unread" not in client.get("/").content.decode()


def test_an_offsite_link_is_not_followed(client, world):
    (n,) = notify([world.a.grid_member], key="evil", title="x", url="https://evil.example/")
    client.force_login(world.a.grid_member)
    assert client.post(f"/notifications/{n.pk}/open/")["Location"] == "/notifications/"


def test_mark_all_read(client, world):
    notify([world.a.grid_member], key="a", title="A")
    notify([world.a.grid_member], key="b", title="B")
    client.force_login(world.a.grid_member)
    client.post("/notifications/read-all/")
    assert not Notification.objects.for_user(world.a.grid_member).unread().exists()


def test_inbox_query_count_does_not_grow(client, world, django_assert_num_queries):
    notify([world.a.grid_member], key="first", title="First")
    client.force_login(world.a.grid_member)
    # session, user, count, page, unread count, posts (scope, for the menu)
    with django_assert_num_queries(6):
        client.get("/notifications/")
    for i in range(30):
        notify([world.a.grid_member], key=f"n{i}", title=f"N{i}")
    with django_assert_num_queries(6):
        client.get("/notifications/")


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_real_worker_on_redis_sends_the_email_once(celery_worker_on_redis, world):
    with transaction.atomic():
        (n,) = notify([world.a.grid_member], key="worker", title="Sent by the worker")
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        n.refresh_from_db()
        if n.emailed_at:
            break
        time.sleep(0.2)
    assert n.emailed_at is not None, "the worker did not send the email"
    # A second delivery of the same task finds nothing left to do.
    send_notification_email.delay(n.pk)
    time.sleep(1.5)
    assert [m.subject for m in mail.outbox] == ["Sent by the worker"]


def test_owed_emails_are_those_old_enough_with_an_address_and_never_sent(world, time_machine):
    from notifications.services import send_owed_emails

    time_machine.move_to(timezone.now() - datetime.timedelta(minutes=5), tick=False)
    (old,) = notify([world.a.grid_member], key="old", title="Old")
    (sent,) = notify([world.a.grid_member], key="sent", title="Sent")
    Notification.objects.filter(pk=sent.pk).update(emailed_at=timezone.now())
    notify([world.a.grid_leader], key="no-address", title="No address")
    time_machine.move_to(timezone.now() + datetime.timedelta(minutes=5), tick=False)
    notify([world.a.grid_member], key="new", title="New")
    assert send_owed_emails() == [old.pk]


def test_an_email_whose_worker_died_while_sending_is_sent_once_after_the_lease(world, time_machine):
    from notifications.models import EMAIL_LEASE
    from notifications.services import send_owed_emails

    time_machine.move_to(timezone.now(), tick=False)
    (n,) = notify([world.a.grid_member], key="dying", title="Claimed, never sent")
    # A worker claimed it and was killed before the mail server answered.
    Notification.objects.filter(pk=n.pk).update(email_claimed_at=timezone.now())
    time_machine.move_to(timezone.now() + datetime.timedelta(minutes=2), tick=False)
    assert send_owed_emails() == []  # maybe still being sent: left alone
    send_notification_email.apply(args=[n.pk])  # a redelivered message: nothing to do
    assert mail.outbox == []

    time_machine.move_to(timezone.now() + EMAIL_LEASE, tick=False)
    assert send_owed_emails() == [n.pk]  # the claim expired: owed again
    send_notification_email.apply(args=[n.pk])
    send_notification_email.apply(args=[n.pk])
    assert [m.subject for m in mail.outbox] == ["Claimed, never sent"]
    n.refresh_from_db()
    assert n.emailed_at is not None


def test_a_sent_email_whose_mark_failed_is_marked_without_sending_again(world):
    (n,) = notify([world.a.grid_member], key="marked", title="Sent, then the database went")
    send_notification_email.apply(args=[n.pk], kwargs={"sent": True})
    n.refresh_from_db()
    assert n.emailed_at is not None and mail.outbox == []
