from django.urls import path

from . import views

app_name = "places"

urlpatterns = [
    path("", views.place_list, name="list"),
    path("new/", views.create, name="create"),
    path("<int:place_id>/", views.detail, name="detail"),
    path("<int:place_id>/edit/", views.edit, name="edit"),
    path("<int:place_id>/checks/", views.record_check, name="record_check"),
    path("<int:place_id>/checks/<int:check_id>/incident/", views.report_check, name="report_check"),
    path("checks/<int:check_id>/photo/", views.check_photo, name="check_photo"),
]
