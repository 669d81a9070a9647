from django.urls import path

from . import views

app_name = "assessment"

urlpatterns = [
    path("", views.page, name="page"),
    path("assessment.xlsx", views.export, name="xlsx"),
]
