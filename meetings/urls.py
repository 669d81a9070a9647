"""The meetings' addresses, one list per part: meetings and their record, the monthly grid
reports, and the calendar feed."""

from . import urls_feed, urls_meetings, urls_reports

app_name = "meetings"

urlpatterns = urls_meetings.urlpatterns + urls_reports.urlpatterns + urls_feed.urlpatterns
