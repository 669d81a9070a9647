"""Reporting and lists: included in the incidents namespace."""

from django.urls import path

from . import intake_views

urlpatterns = [
    path("", intake_views.incident_list, name="list"),
    path("new/", intake_views.report, name="report"),
    path("duplicates/", intake_views.duplicates, name="duplicates"),
    path("<str:incident_number>/photo/", intake_views.photo, name="photo"),
    path(
        "from-observation/<int:observation_id>/",
        intake_views.from_observation,
        name="from_observation",
    ),
]
