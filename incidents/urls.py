from django.urls import include, path

from . import views

app_name = "incidents"

urlpatterns = [
    path("", include("incidents.intake_urls")),
    path("<str:incident_number>/", views.detail, name="detail"),
    path("<str:incident_number>/steps/<str:step_name>/", views.step, name="step"),
    path("<str:incident_number>/pause/", views.pause, name="pause"),
    path("<str:incident_number>/extension/", views.extension, name="extension"),
    path(
        "<str:incident_number>/extensions/<int:extension_id>/",
        views.decide_extension,
        name="decide_extension",
    ),
    path("<str:incident_number>/supervise/", views.supervise, name="supervise"),
    path("<str:incident_number>/handover/", views.handover, name="handover"),
    path("<str:incident_number>/return-to-a/", views.return_to_holder, name="return_to_holder"),
    path(
        "<str:incident_number>/handovers/<int:handover_id>/",
        views.answer_handover,
        name="answer_handover",
    ),
    path("<str:incident_number>/mediation/", views.mediation, name="mediation"),
    path("<str:incident_number>/parties/", views.parties, name="parties"),
]
