from django.urls import path

from . import views

app_name = "grids"

urlpatterns = [
    path("", views.grid_list, name="list"),
    path("<str:grid_code>/", views.grid_detail, name="detail"),
]
