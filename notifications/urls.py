from django.urls import path

from . import views

app_name = "notifications"

urlpatterns = [
    path("", views.inbox, name="inbox"),
    path("settings/", views.notification_settings, name="settings"),
    path("read-all/", views.mark_all_read, name="mark_all_read"),
    path("<int:notification_id>/open/", views.open_notification, name="open"),
]
