from django.urls import path

from . import views

app_name = "residents"

urlpatterns = [
    # A status token is longer than a page token and never "s": the two never meet.
    path("s/<str:token>/", views.status, name="status"),
    # Staff only, through the incident's scope.
    path("photos/<int:resident_photo_id>/", views.photo, name="photo"),
    path("<str:token>/", views.page, name="page"),
]
