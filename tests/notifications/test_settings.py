"""Each person chooses which kinds of notification also arrive by email; emails are written
in the recipient's language."""

import datetime

from django.core import mail
from django.utils.translation import gettext_lazy as _

from notifications.models import Kind, Notification, NotificationSettings
from notifications.services import notify
from notifications.tasks import send_notification_email


def test_a_person_chooses_which_kinds_arrive_by_email_and_when_the_digest_comes(client, world):
    client.force_login(world.a.grid_member)
    page = client.get("/notifications/settings/")
    assert page.status_code == 200
    assert page.content.decode().count('type="checkbox"') == len(Kind.choices)
    response = client.post(
        "/notifications/settings/", {"email_kinds": ["incident", "digest"], "digest_at": "07:30"}
    )
    assert response.status_code == 302
    saved = NotificationSettings.objects.get(user=world.a.grid_member)
    assert saved.email_kinds == ["incident", "digest"]
    assert saved.digest_at == datetime.time(7, 30)


def test_the_settings_page_needs_a_login(client, db):
    assert client.get("/notifications/settings/").status_code == 302


def test_a_kind_left_unticked_stays_in_the_inbox_and_is_not_emailed(world):
    NotificationSettings.objects.create(user=world.a.grid_member, email_kinds=[Kind.INCIDENT])
    (meeting,) = notify([world.a.grid_member], key="meeting-1-day", title="Reminder")
    (assigned,) = notify([world.a.grid_member], key="assigned:1:x", title="Assigned")
    assert (meeting.kind, assigned.kind) == (Kind.MEETING, Kind.INCIDENT)
    send_notification_email(meeting.pk)
    send_notification_email(assigned.pk)
    assert [m.subject for m in mail.outbox] == ["Assigned"]
    # The unwanted one is claimed, so the sweep of owed emails leaves it alone.
    assert Notification.objects.get(pk=meeting.pk).emailed_at is not None


def test_without_settings_every_kind_is_emailed(world):
    (n,) = notify([world.a.grid_member], key="patrol-missed:x", title="Missed")
    send_notification_email(n.pk)
    assert len(mail.outbox) == 1


def test_an_email_is_written_in_its_recipients_language_with_a_full_link(world, settings):
    settings.SITE_URL = "https://grid.example.org"
    member = world.a.grid_member
    member.language = "zh-hans"
    member.save(update_fields=["language"])
    (n,) = notify([member], key="lang-mail", title=_("Grids"), url="/grids/")
    send_notification_email(n.pk)
    [email] = mail.outbox
    assert email.subject == "网格"
    assert "https://grid.example.org/grids/" in email.body
    assert "https://grid.example.org/notifications/settings/" in email.body
    assert "notifications arrive by email" not in email.body  # the footer is in Chinese too
