from django.urls import path

from . import series_views, views

urlpatterns = [
    path("", views.meeting_list, name="list"),
    path("series/", series_views.series_list, name="series_list"),
    path("series/<int:series_id>/", series_views.series_edit, name="series"),
    path("series/<str:community_code>/set-up/", series_views.series_set_up, name="series_set_up"),
    path("<int:meeting_id>/", views.detail, name="detail"),
    path("<int:meeting_id>/agenda/redraft/", views.agenda_redraft, name="agenda_redraft"),
    path("<int:meeting_id>/agenda/add/", views.agenda_add, name="agenda_add"),
    path("<int:meeting_id>/attendance/", views.attendance, name="attendance"),
    path("<int:meeting_id>/minutes/", views.minutes, name="minutes"),
    path("<int:meeting_id>/actions/add/", views.action_add, name="action_add"),
    path("<int:meeting_id>/close/", views.close, name="close"),
    path("agenda/<int:agenda_item_id>/edit/", views.agenda_edit, name="agenda_edit"),
    path("agenda/<int:agenda_item_id>/move/", views.agenda_move, name="agenda_move"),
    path("agenda/<int:agenda_item_id>/delete/", views.agenda_delete, name="agenda_delete"),
    path("actions/<int:action_item_id>/done/", views.action_done, name="action_done"),
    path("actions/<int:action_item_id>/incident/", views.action_incident, name="action_incident"),
]
