"""The stationmaster's daily digest: the missed patrols, new overdue incidents and patrol logs
waiting for review of their communities, in one notice a day at the time they chose, instead
of one notice per missed window."""

import datetime

from django.conf import settings
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from grids.models import Area, Role

from .models import DEFAULT_DIGEST_AT, Kind, Notification, NotificationSettings
from .services import notify


def send_daily_digests(now=None):
    """Send each acting stationmaster whose digest time (local) has come today their digest,
    once: the key names the person and the day, so a repeated or concurrent run sends
    nothing more. The digest covers the 24 hours up to today's digest time; a stationmaster
    with nothing to read gets none. Returns the notifications sent.

    Runs two queries per community, two more, and four per digest sent."""
    from incidents.services import _supervisors

    now = now or timezone.now()
    today = timezone.localdate(now)
    communities = {}
    for community in Area.objects.of_kind(Area.Kind.COMMUNITY).order_by("code"):
        for user in _supervisors(community, [Role.STATIONMASTER], now):
            communities.setdefault(user, []).append(community)
    if not communities:
        return []
    key = f"digest:{today.isoformat()}"
    chosen = dict(
        NotificationSettings.objects.filter(user__in=communities).values_list(
            "user_id", "digest_at"
        )
    )
    done = set(
        Notification.objects.filter(key=key, recipient__in=communities).values_list(
            "recipient_id", flat=True
        )
    )
    sent = []
    for user, areas in communities.items():
        due = _local(today, chosen.get(user.pk, DEFAULT_DIGEST_AT))
        if user.pk in done or due > now:
            continue
        with translation.override(user.language or settings.LANGUAGE_CODE):
            digest = _digest(areas, today, due - datetime.timedelta(days=1), due)
        if digest is not None:
            sent += notify([user], key=key, kind=Kind.DIGEST, url="/patrols/board/", **digest)
    return sent


def _local(day, time):
    return datetime.datetime.combine(day, time, tzinfo=timezone.get_current_timezone())


def _digest(communities, today, since, until):
    """The title and body in the active language, or None when there is nothing to read.
    Runs three queries."""
    from incidents.models import Incident
    from patrols.models import MissedPatrol, Patrol

    missed = list(
        MissedPatrol.objects.filter(
            grid__parent__in=communities, recorded_at__gte=since, recorded_at__lt=until
        )
        .select_related("grid")
        .order_by("day", "slot", "grid__code")
    )
    overdue = list(
        Incident.objects.open()
        .filter(grid__parent__in=communities, deadline_at__gte=since, deadline_at__lt=until)
        .select_related("grid")
        .order_by("deadline_at")
    )
    waiting = list(
        Patrol.objects.filter(
            grid__parent__in=communities, status=Patrol.Status.SUBMITTED, ended_at__lt=until
        )
        .select_related("grid", "member")
        .order_by("day", "slot", "grid__code")
    )
    if not (missed or overdue or waiting):
        return None
    lines = []
    if missed:
        lines.append(_("Missed patrols (%(count)d):") % {"count": len(missed)})
        lines += [f"- {m.grid.name}, {m.day:%Y-%m-%d} {m.get_slot_display()}" for m in missed]
    if overdue:
        lines.append(_("New overdue incidents (%(count)d):") % {"count": len(overdue)})
        lines += [f"- {i.number} {i.title} ({i.grid.name})" for i in overdue]
    if waiting:
        lines.append(_("Patrol logs waiting for review (%(count)d):") % {"count": len(waiting)})
        lines += [
            f"- {p.grid.name}, {p.day:%Y-%m-%d} {p.get_slot_display()}, {p.member.display_name}"
            for p in waiting
        ]
    title = _("Daily digest %(day)s: %(missed)s, %(overdue)s, %(waiting)s") % {
        "day": f"{today:%Y-%m-%d}",
        "missed": ngettext("%(count)d missed patrol", "%(count)d missed patrols", len(missed))
        % {"count": len(missed)},
        "overdue": ngettext(
            "%(count)d new overdue incident", "%(count)d new overdue incidents", len(overdue)
        )
        % {"count": len(overdue)},
        "waiting": ngettext("%(count)d log waiting", "%(count)d logs waiting", len(waiting))
        % {"count": len(waiting)},
    }
    return {"title": title, "body": "\n".join(lines)}
