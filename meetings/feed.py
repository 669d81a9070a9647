"""Each user's private calendar feed: an iCalendar (.ics) address a phone's calendar
subscribes to, showing the meetings the user takes part in. The token in the address is the
only key (a phone fetches it without logging in); making a new one retires the old. Only the
token's SHA-256 is stored, so the link is shown once, when it is made."""

import datetime
import hashlib
import secrets

import icalendar
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Q
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from .models import CalendarFeed, Kind, Meeting

PAST = datetime.timedelta(days=60)
ALARM_BEFORE = datetime.timedelta(hours=1)
UID_DOMAIN = "meetings.gridmgmt"


SHOW_ONCE = "calendar_feed_token"  # the session key holding a new token until it is shown


def token_hash(token):
    """What is stored for `token`: its SHA-256, hex."""
    return hashlib.sha256(token.encode()).hexdigest()


def renew_feed(user):
    """Give the user a new feed token; the old address stops working. Returns the feed, with
    the new token in `feed.token` (not stored: only its hash is)."""
    token = secrets.token_urlsafe(32)
    feed, created = CalendarFeed.objects.get_or_create(
        user=user, defaults={"token_hash": token_hash(token)}
    )
    if not created:
        feed.token_hash = token_hash(token)
        feed.save(update_fields=["token_hash"])
    feed.token = token
    return feed


def feed_url(token, request):
    """The absolute address of the feed with `token`."""
    return request.build_absolute_uri(reverse("meetings:feed", args=[token]))


def meetings_for_feed(user, now):
    """The meetings the user attends or substitutes at, from 60 days ago on, cancelled ones
    left out. One query."""
    return (
        Meeting.objects.filter(Q(participants__user=user) | Q(participants__substitute=user))
        .filter(starts_at__gte=now - PAST)
        .exclude(status=Meeting.Status.CANCELLED)
        .select_related("community")
        .distinct()
        .order_by("starts_at")
    )


def build_calendar(meetings, *, now, link=None):
    """An icalendar.Calendar with one event per meeting (UID stable per meeting), each with
    a display alarm an hour before. `link(meeting)` gives the event's URL."""
    cal = icalendar.Calendar()
    cal.add("prodid", "-//Community grid management//Meetings//EN")
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    cal.add("x-wr-calname", _("Meetings"))
    cal.add("x-wr-timezone", timezone.get_current_timezone_name())
    cal.add("refresh-interval", datetime.timedelta(hours=1), parameters={"VALUE": "DURATION"})
    cal.add("x-published-ttl", "PT1H")
    for meeting in meetings:
        summary = f"{Kind(meeting.kind).label} · {meeting.community.name}"
        event = icalendar.Event()
        event.add("uid", f"meeting-{meeting.pk}@{UID_DOMAIN}")
        event.add("dtstamp", now)
        event.add("last-modified", meeting.updated_at)
        event.add("dtstart", timezone.localtime(meeting.starts_at))
        event.add("dtend", timezone.localtime(meeting.ends_at))
        event.add("summary", summary)
        if meeting.place:
            event.add("location", meeting.place)
        if meeting.moved_from:
            event.add(
                "description",
                _("Moved from %(day)s, which is not a working day.")
                % {"day": meeting.moved_from.isoformat()},
            )
        event.add("status", "CONFIRMED")
        if link:
            event.add("url", link(meeting))
        alarm = icalendar.Alarm()
        alarm.add("action", "DISPLAY")
        alarm.add("description", summary)
        alarm.add("trigger", -ALARM_BEFORE)
        event.add_component(alarm)
        cal.add_component(event)
    cal.add_missing_timezones()
    return cal


@require_safe
def feed(request, token):
    """The .ics feed. No login: the token is the key; an unknown token is a 404."""
    subscription = get_object_or_404(
        CalendarFeed.objects.select_related("user"), token_hash=token_hash(token)
    )
    user = subscription.user
    if not user.is_active:
        return HttpResponse(status=404)
    with translation.override(user.language or settings.LANGUAGE_CODE):
        cal = build_calendar(
            meetings_for_feed(user, timezone.now()),
            now=timezone.now(),
            link=lambda m: request.build_absolute_uri(m.get_absolute_url()),
        )
    response = HttpResponse(cal.to_ical(), content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = 'inline; filename="meetings.ics"'
    response["Cache-Control"] = "private, max-age=300"
    return response


@login_required
def calendar(request):
    """The user's feed address right after it was made (it cannot be shown again), how to
    add it to a phone, and a button to make a new one."""
    token = request.session.pop(SHOW_ONCE, None)
    url = feed_url(token, request) if token else ""
    webcal_url = "webcal://" + url.split("://", 1)[1] if url else ""
    has_feed = bool(url) or CalendarFeed.objects.filter(user=request.user).exists()
    return render(
        request,
        "meetings/calendar.html",
        {"feed_url": url, "webcal_url": webcal_url, "has_feed": has_feed},
    )


@login_required
@require_POST
def calendar_renew(request):
    had_one = CalendarFeed.objects.filter(user=request.user).exists()
    request.session[SHOW_ONCE] = renew_feed(request.user).token
    if had_one:
        messages.success(request, _("A new calendar link was made. The old one no longer works."))
    else:
        messages.success(request, _("Your calendar link was made."))
    return redirect("meetings:calendar")
