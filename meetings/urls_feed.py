from django.urls import path

from . import feed

urlpatterns = [
    path("calendar/", feed.calendar, name="calendar"),
    path("calendar/new/", feed.calendar_renew, name="calendar_renew"),
    path("calendar/<slug:token>.ics", feed.feed, name="feed"),
]
