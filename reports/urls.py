from django.urls import path

from . import views

app_name = "reports"

urlpatterns = [
    path("", views.report, name="report"),
    path("<str:area_code>/report.xlsx", views.report_xlsx, name="xlsx"),
]
