from django.urls import include, path

from . import views

app_name = "patrols"

urlpatterns = [
    path("", views.patrol_list, name="list"),
    path("start/", views.start, name="start"),
    path("instructions/", views.instruction_list, name="instructions"),
    path("instructions/new/", views.instruction_create, name="instruction_create"),
    path("<int:patrol_id>/", views.detail, name="detail"),
    path("<int:patrol_id>/acknowledge/", views.acknowledge, name="acknowledge"),
    path("<int:patrol_id>/observations/", views.observations, name="observations"),
    path(
        "<int:patrol_id>/instructions/<int:instruction_id>/",
        views.complete_instruction,
        name="complete_instruction",
    ),
    path("<int:patrol_id>/submit/", views.submit, name="submit"),
    path("<int:patrol_id>/companions/", views.companions, name="companions"),
    path(
        "observations/<int:observation_id>/photo/",
        views.observation_photo,
        name="observation_photo",
    ),
    path("", include("patrols.review_urls")),
]
