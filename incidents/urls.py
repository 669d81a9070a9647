from django.urls import include, path

app_name = "incidents"

urlpatterns = [
    path("", include("incidents.intake_urls")),
]
