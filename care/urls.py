from django.urls import path

from . import views

app_name = "care"

urlpatterns = [
    path("", views.due_list, name="due"),
    path("people/<int:resident_id>/", views.person, name="person"),
    path("people/<int:resident_id>/visit/", views.record, name="record"),
    path("visits/<int:visit_id>/", views.visit_detail, name="visit"),
    path("visits/<int:visit_id>/photo/", views.visit_photo, name="visit_photo"),
]
